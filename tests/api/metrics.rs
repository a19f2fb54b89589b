//! `/metrics`: closed by default, open to its bearer token (or on a listener of
//! its own), and read here as Prometheus reads it: with a text-format parser
//! that is not the exporter that wrote it. Counters must move by exactly what
//! the test did; client-chosen labels must stay bounded.

use api::{Application, Config, auth::Role, clock, metrics::operations::MAX_NAMES, queue};
use chrono::Duration;
use entity::{api_key::Channel, job};
use prometheus_parse::{Scrape, Value as Sample};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{
    fixtures,
    helpers::{TestApp, TestDatabase, spawn_app, spawn_app_with},
};

const TOKEN: &str = "metrics-token-0123456789";

async fn app_with_metrics(overrides: &[(&str, &str)]) -> TestApp {
    let mut vars = vec![("CHORUS_METRICS_TOKEN", TOKEN)];
    vars.extend_from_slice(overrides);
    spawn_app_with(&vars).await
}

/// One scrape, parsed.
struct Metrics(Scrape);

impl Metrics {
    async fn scrape(app: &TestApp) -> Self {
        Self::read(&app.client, &app.url("/metrics"), Some(TOKEN)).await
    }

    async fn read(client: &reqwest::Client, url: &str, token: Option<&str>) -> Self {
        let mut req = client.get(url);
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        let res = req.send().await.expect("scrape sent");
        assert_eq!(res.status(), 200);
        let content_type = res.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(
            content_type.starts_with("text/plain; version=0.0.4"),
            "{content_type}"
        );
        let text = res.text().await.expect("text");
        let lines = text.lines().map(|l| Ok(l.to_owned()));
        Self(Scrape::parse(lines).expect("the Prometheus text format"))
    }

    /// The value of a counter, gauge or untyped sample with exactly these labels.
    fn value(&self, metric: &str, labels: &[(&str, &str)]) -> Option<f64> {
        self.0
            .samples
            .iter()
            .filter(|s| s.metric == metric)
            .find(|s| labels.iter().all(|(k, v)| s.labels.get(k) == Some(v)))
            .map(|s| match s.value {
                Sample::Counter(v) | Sample::Gauge(v) | Sample::Untyped(v) => v,
                ref other => panic!("{metric} is not a single value: {other:?}"),
            })
    }

    /// Like [`Self::value`], 0 when the series does not exist yet.
    fn count(&self, metric: &str, labels: &[(&str, &str)]) -> f64 {
        self.value(metric, labels).unwrap_or(0.0)
    }

    /// Every value label `label` takes in `metric`.
    fn label_values(&self, metric: &str, label: &str) -> Vec<String> {
        let mut values: Vec<String> = self
            .0
            .samples
            .iter()
            .filter(|s| s.metric == metric)
            .filter_map(|s| s.labels.get(label).map(str::to_owned))
            .collect();
        values.sort();
        values.dedup();
        values
    }
}

/// POSTs `body` to the app's `/graphql` with an API key if given.
async fn post(app: &TestApp, key: Option<&str>, body: &Value) -> Value {
    post_to(&app.client, &app.url("/graphql"), key, body).await
}

async fn post_to(client: &reqwest::Client, url: &str, key: Option<&str>, body: &Value) -> Value {
    let mut req = client.post(url).json(body);
    if let Some(key) = key {
        req = req.header("x-api-key", key);
    }
    req.send().await.expect("sent").json().await.expect("JSON")
}

#[tokio::test]
async fn metrics_are_not_found_without_a_configured_token() {
    let app = spawn_app().await;
    let res = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    let res = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404, "no token opens what is not configured");
}

#[tokio::test]
async fn metrics_refuse_a_missing_or_wrong_token() {
    let app = app_with_metrics(&[]).await;
    let wrong_prefix = &TOKEN[..TOKEN.len() - 1];
    let attempts = [
        None,
        Some(format!("Bearer {wrong_prefix}")),
        Some(format!("Bearer {TOKEN}x")),
        Some(format!("Basic {TOKEN}")),
        Some("Bearer".to_owned()),
    ];
    for authorization in attempts {
        let mut req = app.client.get(app.url("/metrics"));
        if let Some(value) = &authorization {
            req = req.header("authorization", value);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 401, "{authorization:?}");
        assert!(
            res.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with("Bearer"),
            "{authorization:?}"
        );
        let body = res.text().await.unwrap();
        assert!(!body.contains("chorus_"), "{body}");
    }
    // The token is accepted whatever the scheme's case.
    let res = app
        .client
        .get(app.url("/metrics"))
        .header("authorization", format!("bearer {TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn each_request_moves_its_operation_counter_by_exactly_one() {
    let app = app_with_metrics(&[]).await;
    let before = Metrics::scrape(&app).await;
    let probe = [("operation", "MetricsProbe"), ("outcome", "ok")];
    let broken = [
        ("operation", "MetricsBroken"),
        ("outcome", "BAD_USER_INPUT"),
    ];
    let statements = before.count("chorus_db_statement_duration_seconds_count", &[]);
    let graphql_2xx = [("route", "graphql"), ("status", "2xx")];
    assert_eq!(before.count("chorus_graphql_requests_total", &probe), 0.0);

    for _ in 0..3 {
        let answer = post(
            &app,
            None,
            &json!({ "query": "query MetricsProbe { __typename }" }),
        )
        .await;
        assert_eq!(answer["data"]["__typename"], "Query");
    }
    // Named by `operationName` rather than by its only operation.
    let answer = post(
        &app,
        None,
        &json!({ "query": "query MetricsBroken { noSuchField }", "operationName": "MetricsBroken" }),
    )
    .await;
    assert_eq!(answer["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    post(&app, None, &json!({ "query": "{ __typename }" })).await;
    // Statements, run by a sign-in attempt, and counted apart by the pool's
    // statement counter.
    let login = "mutation { login(email: \"nobody@chorus.test\", password: \"not the password\") { accessToken } }";
    let counted = app.state.statements.get();
    post(&app, None, &json!({ "query": login })).await;
    let login_statements = app.state.statements.get() - counted;
    assert!(login_statements > 0);

    let after = Metrics::scrape(&app).await;
    assert_eq!(after.count("chorus_graphql_requests_total", &probe), 3.0);
    assert_eq!(after.count("chorus_graphql_requests_total", &broken), 1.0);
    assert_eq!(
        after.count(
            "chorus_graphql_requests_total",
            &[("operation", "anonymous"), ("outcome", "ok")]
        ),
        1.0
    );
    assert_eq!(
        after.count(
            "chorus_graphql_request_duration_seconds_count",
            &[("operation", "MetricsProbe")]
        ),
        3.0
    );
    assert_eq!(
        after.count("chorus_http_requests_total", &graphql_2xx)
            - before.count("chorus_http_requests_total", &graphql_2xx),
        6.0,
        "every /graphql request answered 200"
    );
    // The first scrape was counted when it finished, after its own body was rendered.
    assert_eq!(
        after.count(
            "chorus_http_requests_total",
            &[("route", "metrics"), ("status", "2xx")]
        ),
        1.0
    );
    // At least the sign-in's statements (the second scrape's own, and anything
    // the server did meanwhile, come on top).
    assert!(
        after.count("chorus_db_statement_duration_seconds_count", &[]) - statements
            >= login_statements as f64,
        "every statement was timed"
    );
    assert_eq!(after.value("chorus_database_up", &[]), Some(1.0));
    assert_eq!(after.value("chorus_scrape_errors_total", &[]), Some(0.0));
    assert!(after.value("chorus_db_pool_max_connections", &[]).unwrap() >= 1.0);
    if cfg!(target_os = "linux") {
        let rss = after.value("process_resident_memory_bytes", &[]).unwrap();
        assert!(rss > 1024.0 * 1024.0, "{rss}");
    }
    let started = after.value("process_start_time_seconds", &[]).unwrap();
    assert!(
        (started - clock::now().timestamp() as f64).abs() < 3600.0,
        "{started}"
    );
}

#[tokio::test]
async fn cache_counters_move_with_a_repeated_consumer_query() {
    let app = app_with_metrics(&[]).await;
    let admin = fixtures::staff(&app.db, "admin@chorus.test", Role::Admin).await;
    let (_, key) = fixtures::api_key(&app.db, &admin, Channel::PublicWeb, None).await;
    let responses = [("cache", "responses")];
    let queries = [("cache", "persisted_queries")];
    let before = Metrics::scrape(&app).await;

    let list = json!({ "query": "{ stories(first: 5) { totalCount } }" });
    let first = post(&app, Some(&key), &list).await;
    let second = post(&app, Some(&key), &list).await;
    assert_eq!(first, second);
    let after = Metrics::scrape(&app).await;
    let moved = |metric: &str, labels: &[(&str, &str)]| {
        after.count(metric, labels) - before.count(metric, labels)
    };
    assert_eq!(moved("chorus_cache_misses_total", &responses), 1.0);
    assert_eq!(moved("chorus_cache_hits_total", &responses), 1.0);
    assert!(after.value("chorus_response_cache_entries", &[]).unwrap() >= 1.0);

    // A persisted query: the hash alone misses, the text registers it, the hash
    // alone then hits.
    let text = "query PersistedProbe { __typename }";
    let hash: String = Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let extensions = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });
    let missed = post(&app, Some(&key), &json!({ "extensions": extensions })).await;
    assert_eq!(
        missed["errors"][0]["extensions"]["code"],
        "PERSISTED_QUERY_NOT_FOUND"
    );
    post(
        &app,
        Some(&key),
        &json!({ "query": text, "extensions": extensions }),
    )
    .await;
    let found = post(&app, Some(&key), &json!({ "extensions": extensions })).await;
    assert!(found.get("errors").is_none(), "{found}");
    let last = Metrics::scrape(&app).await;
    assert_eq!(last.count("chorus_cache_misses_total", &queries), 1.0);
    assert_eq!(last.count("chorus_cache_hits_total", &queries), 1.0);
}

#[tokio::test]
async fn waiting_and_scheduled_jobs_show_in_the_jobs_gauges() {
    // No worker: what is queued stays queued.
    let app = app_with_metrics(&[("CHORUS_JOBS_ENABLED", "false")]).await;
    let render = [("kind", "RENDER_MEDIA")];
    let publish = [("kind", "PUBLISH_STORY")];
    let before = Metrics::scrape(&app).await;
    assert_eq!(before.value("chorus_jobs_waiting", &render), Some(0.0));
    assert_eq!(
        before.value("chorus_jobs_oldest_waiting_age_seconds", &render),
        Some(0.0)
    );

    let now = clock::now();
    let media_id = Uuid::now_v7();
    queue::enqueue_media(
        &app.db,
        job::Kind::RenderMedia,
        media_id,
        now - Duration::minutes(10),
        now,
    )
    .await
    .unwrap();
    queue::enqueue_media(
        &app.db,
        job::Kind::RenderMedia,
        media_id,
        now - Duration::minutes(1),
        now,
    )
    .await
    .unwrap();
    queue::enqueue(
        &app.db,
        job::Kind::PublishStory,
        Uuid::now_v7(),
        now + Duration::days(1),
        now,
    )
    .await
    .unwrap();

    let after = Metrics::scrape(&app).await;
    assert_eq!(after.value("chorus_jobs_waiting", &render), Some(2.0));
    let age = after
        .value("chorus_jobs_oldest_waiting_age_seconds", &render)
        .unwrap();
    assert!(
        (600.0..3600.0).contains(&age),
        "the oldest waits 10 minutes: {age}"
    );
    assert_eq!(after.value("chorus_jobs_scheduled", &publish), Some(1.0));
    assert_eq!(after.value("chorus_jobs_waiting", &publish), Some(0.0));
    assert_eq!(after.value("chorus_jobs_given_up", &render), Some(0.0));
    for empty in [
        "chorus_takedowns_outstanding",
        "chorus_media_uploads_in_progress",
        "chorus_webhook_deliveries_pending",
        "chorus_webhook_deliveries_oldest_pending_age_seconds",
    ] {
        assert_eq!(after.value(empty, &[]), Some(0.0), "{empty}");
    }
}

#[tokio::test]
async fn a_flood_of_operation_names_stays_within_the_cap() {
    let app = app_with_metrics(&[]).await;
    let extra = 25;
    for i in 0..MAX_NAMES + extra {
        let query = format!("query Flood{i} {{ __typename }}");
        let answer = post(&app, None, &json!({ "query": query })).await;
        assert!(answer.get("errors").is_none(), "{answer}");
    }
    // Names that are not identifiers, or too long, never get a series.
    let long = format!("Q{}", "x".repeat(100));
    for name in ["not a name", long.as_str()] {
        post(
            &app,
            None,
            &json!({ "query": "{ __typename }", "operationName": name }),
        )
        .await;
    }

    let scraped = Metrics::scrape(&app).await;
    let names = scraped.label_values("chorus_graphql_requests_total", "operation");
    let flood = names.iter().filter(|n| n.starts_with("Flood")).count();
    assert_eq!(flood, MAX_NAMES, "the first names each get a series");
    assert_eq!(
        names.len(),
        MAX_NAMES + 1,
        "and the rest share `other`: {names:?}"
    );
    let other: f64 = ["ok", "BAD_USER_INPUT"]
        .iter()
        .map(|outcome| {
            scraped.count(
                "chorus_graphql_requests_total",
                &[("operation", "other"), ("outcome", outcome)],
            )
        })
        .sum();
    assert_eq!(other, (extra + 2) as f64);
}

#[tokio::test]
async fn a_scrape_without_its_database_still_answers_and_says_so() {
    let app = app_with_metrics(&[]).await;
    post(
        &app,
        None,
        &json!({ "query": "query BeforeTheOutage { __typename }" }),
    )
    .await;
    app.db.clone().close().await.unwrap();

    let scraped = Metrics::scrape(&app).await;
    assert_eq!(scraped.value("chorus_database_up", &[]), Some(0.0));
    assert_eq!(scraped.value("chorus_scrape_errors_total", &[]), Some(1.0));
    assert_eq!(
        scraped.count(
            "chorus_graphql_requests_total",
            &[("operation", "BeforeTheOutage"), ("outcome", "ok")]
        ),
        1.0,
        "what the process measured itself is still there"
    );
}

#[tokio::test]
async fn the_metrics_listener_serves_only_metrics_and_needs_no_token() {
    let database = TestDatabase::new().await;
    let config = Config::from_map(&database.config(&[("CHORUS_METRICS_BIND", "127.0.0.1:0")]))
        .expect("valid config");
    let app = Application::build(config).await.expect("app builds");
    let main = format!("http://{}", app.local_addr());
    let metrics = format!("http://{}", app.metrics_addr().expect("a metrics listener"));
    assert_ne!(main, metrics);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = rx.await;
    }));
    let client = reqwest::Client::new();

    let query = json!({ "query": "query OnTheMainListener { __typename }" });
    let answer = post_to(&client, &format!("{main}/graphql"), None, &query).await;
    assert_eq!(answer["data"]["__typename"], "Query");
    let scraped = Metrics::read(&client, &format!("{metrics}/metrics"), None).await;
    assert_eq!(
        scraped.count(
            "chorus_graphql_requests_total",
            &[("operation", "OnTheMainListener"), ("outcome", "ok")]
        ),
        1.0
    );
    // Nothing else is served there, and without a token the main listener has
    // no /metrics.
    let res = client
        .get(format!("{metrics}/graphql"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let res = client.get(format!("{main}/metrics")).send().await.unwrap();
    assert_eq!(res.status(), 404);

    let _ = tx.send(());
    server.await.unwrap().unwrap();
}
