//! Limits and manners of the consumer API: per-key rate limits, CORS per partner
//! origin list, the request body limit, gzip, and depth and complexity limits
//! that realistic partner queries fit under.

use std::{
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use api::auth::Role;
use reqwest::{Method, header};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::helpers::{GqlResponse, TestApp, spawn_app, spawn_app_with};

const CAMPAIGNS: &str = "{ campaigns { edges { cursor } } }";

/// POSTs `query` with an API key and, if given, an `Origin` header.
async fn as_key(app: &TestApp, key: &str, origin: Option<&str>, query: &str) -> GqlResponse {
    let mut req = app
        .client
        .post(app.url("/graphql"))
        .header("x-api-key", key)
        .json(&json!({ "query": query }));
    if let Some(origin) = origin {
        req = req.header(header::ORIGIN, origin);
    }
    let res = req.send().await.expect("request sent");
    GqlResponse {
        status: res.status().as_u16(),
        headers: res.headers().clone(),
        body: res.json().await.expect("JSON response"),
    }
}

async fn create_partner(app: &TestApp, admin: &str, slug: &str) -> Value {
    let res = app
        .gql(
            Some(admin),
            "mutation($slug: String!) { createPartner(slug: $slug, name: \"Partner\") { id } }",
            json!({ "slug": slug }),
        )
        .await;
    res.data()["createPartner"]["id"].clone()
}

/// Issues a key (for `partner`, on `PARTNER_SITES`; else a `MOBILE_APP` key) and
/// returns its secret.
async fn create_key(app: &TestApp, admin: &str, partner: Option<&Value>) -> String {
    let input = match partner {
        Some(id) => json!({ "name": "Site", "channel": "PARTNER_SITES", "partnerId": id }),
        None => json!({ "name": "App", "channel": "MOBILE_APP" }),
    };
    let res = app
        .gql(
            Some(admin),
            "mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }",
            json!({ "input": input }),
        )
        .await;
    res.data()["createApiKey"]["secret"]
        .as_str()
        .expect("secret")
        .to_owned()
}

// ---- Rate limits -------------------------------------------------------------

#[tokio::test]
async fn an_api_key_gets_its_burst_then_429_with_retry_after_until_the_bucket_refills() {
    // One token every two seconds: slow enough that a loaded machine still sends
    // the burst and the next request before a token comes back.
    let app = spawn_app_with(&[
        ("CHORUS_API_KEY_RATE", "0.5"),
        ("CHORUS_API_KEY_BURST", "3"),
    ])
    .await;
    let admin = app.token_for("admin@example.org", Role::Admin).await;
    let (key, other) = (
        create_key(&app, &admin, None).await,
        create_key(&app, &admin, None).await,
    );

    for _ in 0..3 {
        let res = as_key(&app, &key, None, CAMPAIGNS).await;
        assert_eq!(res.status, 200);
        res.data();
    }
    let res = as_key(&app, &key, None, CAMPAIGNS).await;
    assert_eq!(res.status, 429);
    assert_eq!(res.code(), "RATE_LIMITED");
    let retry_after: u64 = res.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    assert_eq!(
        res.body["errors"][0]["extensions"]["retryAfterSeconds"],
        retry_after
    );
    assert!(res.body["data"].is_null());
    assert_eq!(res.headers["cache-control"], "no-store");

    // Another key has its own bucket, and staff are not counted at all.
    as_key(&app, &other, None, CAMPAIGNS).await.data();
    for _ in 0..5 {
        app.gql(Some(&admin), CAMPAIGNS, json!({})).await.data();
    }

    // A token is back once Retry-After has passed.
    tokio::time::sleep(Duration::from_millis(retry_after * 1000 + 100)).await;
    let res = as_key(&app, &key, None, CAMPAIGNS).await;
    assert_eq!(res.status, 200);
    res.data();
    assert_eq!(as_key(&app, &key, None, CAMPAIGNS).await.status, 429);
}

#[tokio::test]
async fn the_default_rate_lets_a_busy_partner_site_through() {
    // 32 requests at once, as the benchmark's 32 connections send them.
    let app = spawn_app().await;
    let admin = app.token_for("admin@example.org", Role::Admin).await;
    let key = create_key(&app, &admin, None).await;
    let tasks: Vec<_> = (0..32)
        .map(|_| {
            let (client, url, key) = (app.client.clone(), app.url("/graphql"), key.clone());
            tokio::spawn(async move {
                let res = client
                    .post(url)
                    .header("x-api-key", key)
                    .json(&json!({ "query": CAMPAIGNS }))
                    .send()
                    .await
                    .expect("request sent");
                res.status().as_u16()
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.expect("request task"), 200);
    }
}

// ---- CORS ----------------------------------------------------------------------

const SET_ORIGINS: &str = "mutation($partnerId: ID!, $origins: [String!]!) {
    setPartnerOrigins(partnerId: $partnerId, origins: $origins)
}";

async fn preflight(app: &TestApp, origin: &str) -> reqwest::Response {
    app.client
        .request(Method::OPTIONS, app.url("/graphql"))
        .header(header::ORIGIN, origin)
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
        .header(
            header::ACCESS_CONTROL_REQUEST_HEADERS,
            "content-type, x-api-key",
        )
        .send()
        .await
        .expect("preflight sent")
}

fn allowed_origin(headers: &reqwest::header::HeaderMap) -> Option<&str> {
    headers
        .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
        .map(|v| v.to_str().expect("ascii"))
}

fn varies_on_origin(headers: &reqwest::header::HeaderMap) -> bool {
    headers
        .get_all(header::VARY)
        .iter()
        .any(|v| v.to_str().is_ok_and(|v| v.contains("Origin")))
}

#[tokio::test]
async fn admins_set_partner_origins_which_are_validated_normalised_and_audited() {
    let app = spawn_app().await;
    let admin = app.token_for("admin@example.org", Role::Admin).await;
    let editor = app.token_for("editor@example.org", Role::Editor).await;
    let partner = create_partner(&app, &admin, "harbour-voices").await;

    let res = app
        .gql(
            Some(&admin),
            SET_ORIGINS,
            json!({ "partnerId": partner, "origins": ["https://Stories.Harbour.example:443", "http://localhost:3000", "https://stories.harbour.example"] }),
        )
        .await;
    assert_eq!(
        res.data()["setPartnerOrigins"],
        json!(["http://localhost:3000", "https://stories.harbour.example"])
    );
    let res = app
        .gql(
            Some(&admin),
            "query($id: ID!) { partnerOrigins(partnerId: $id) }",
            json!({ "id": partner }),
        )
        .await;
    assert_eq!(
        res.data()["partnerOrigins"],
        json!(["http://localhost:3000", "https://stories.harbour.example"])
    );

    for bad in [
        "stories.harbour.example",
        "https://x.example/path",
        "*",
        "https://*.example",
    ] {
        let res = app
            .gql(
                Some(&admin),
                SET_ORIGINS,
                json!({ "partnerId": partner, "origins": [bad] }),
            )
            .await;
        assert_eq!(res.code(), "BAD_USER_INPUT", "{bad}");
        assert_eq!(res.body["errors"][0]["extensions"]["field"], "origins");
    }
    let res = app
        .gql(
            Some(&editor),
            SET_ORIGINS,
            json!({ "partnerId": partner, "origins": [] }),
        )
        .await;
    assert_eq!(res.code(), "FORBIDDEN");
    let res = app
        .gql(
            Some(&admin),
            SET_ORIGINS,
            json!({ "partnerId": uuid::Uuid::now_v7().to_string(), "origins": [] }),
        )
        .await;
    assert_eq!(res.code(), "NOT_FOUND");

    let events = entity::audit_event::Entity::find()
        .filter(entity::audit_event::Column::Action.eq("partner.origins_set"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(events.len(), 1, "one successful change, one event");
    assert!(events[0].detail.contains("https://stories.harbour.example"));
}

#[tokio::test]
async fn cors_answers_only_listed_origins_and_each_key_only_for_its_partners_origins() {
    let app = spawn_app_with(&[("CHORUS_CORS_ORIGINS", "https://admin.chorus.example")]).await;
    let admin = app.token_for("admin@example.org", Role::Admin).await;
    let (harbour, river) = (
        create_partner(&app, &admin, "harbour-voices").await,
        create_partner(&app, &admin, "river-stories").await,
    );
    let site = "https://stories.harbour.example";
    app.gql(
        Some(&admin),
        SET_ORIGINS,
        json!({ "partnerId": harbour, "origins": [site] }),
    )
    .await
    .data();
    let (harbour_key, river_key) = (
        create_key(&app, &admin, Some(&harbour)).await,
        create_key(&app, &admin, Some(&river)).await,
    );

    // A preflight (no key) is answered for any partner's origin.
    let res = preflight(&app, site).await;
    assert_eq!(res.status(), 204);
    assert_eq!(allowed_origin(res.headers()), Some(site));
    let allowed_headers = res.headers()[header::ACCESS_CONTROL_ALLOW_HEADERS]
        .to_str()
        .unwrap();
    for wanted in [
        "content-type",
        "x-api-key",
        "authorization",
        "if-none-match",
    ] {
        assert!(allowed_headers.contains(wanted), "{allowed_headers}");
    }
    assert!(varies_on_origin(res.headers()));
    assert!(
        res.headers()
            .get(header::ACCESS_CONTROL_ALLOW_CREDENTIALS)
            .is_none()
    );
    let res = preflight(&app, "https://elsewhere.example").await;
    assert_eq!(res.status(), 403);
    assert_eq!(allowed_origin(res.headers()), None);

    // The partner's own key from its own site: shared, with the useful headers exposed.
    let res = as_key(&app, &harbour_key, Some(site), CAMPAIGNS).await;
    res.data();
    assert_eq!(allowed_origin(&res.headers), Some(site));
    let exposed = res.headers[header::ACCESS_CONTROL_EXPOSE_HEADERS]
        .to_str()
        .unwrap();
    for wanted in ["etag", "retry-after", "x-request-id"] {
        assert!(exposed.contains(wanted), "{exposed}");
    }
    assert!(varies_on_origin(&res.headers));
    // Another partner's key from that site: answered, but not shared with the page.
    let res = as_key(&app, &river_key, Some(site), CAMPAIGNS).await;
    res.data();
    assert_eq!(allowed_origin(&res.headers), None);
    assert!(varies_on_origin(&res.headers));
    // An unlisted site gets nothing, whatever the key.
    let res = as_key(
        &app,
        &harbour_key,
        Some("https://elsewhere.example"),
        CAMPAIGNS,
    )
    .await;
    assert_eq!(allowed_origin(&res.headers), None);

    // The organisation's own origins work for every caller, staff included; staff
    // answers are never shared with a partner's page.
    let own = "https://admin.chorus.example";
    let res = as_key(&app, &river_key, Some(own), CAMPAIGNS).await;
    assert_eq!(allowed_origin(&res.headers), Some(own));
    let staff = |origin: &'static str| {
        app.client
            .post(app.url("/graphql"))
            .bearer_auth(&admin)
            .header(header::ORIGIN, origin)
            .json(&json!({ "query": CAMPAIGNS }))
            .send()
    };
    let res = staff(own).await.unwrap();
    assert_eq!(allowed_origin(res.headers()), Some(own));
    let res = staff("https://stories.harbour.example").await.unwrap();
    assert_eq!(allowed_origin(res.headers()), None);

    // Taking the origin off the list takes effect at once.
    app.gql(
        Some(&admin),
        SET_ORIGINS,
        json!({ "partnerId": harbour, "origins": [] }),
    )
    .await
    .data();
    assert_eq!(preflight(&app, site).await.status(), 403);
    let res = as_key(&app, &harbour_key, Some(site), CAMPAIGNS).await;
    assert_eq!(allowed_origin(&res.headers), None);
}

// ---- Body size ---------------------------------------------------------------------

/// A request body that sends `first` and then never ends.
struct EndlessBody {
    first: Option<Vec<u8>>,
}

impl futures_core::Stream for EndlessBody {
    type Item = Result<Vec<u8>, std::io::Error>;
    fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match self.first.take() {
            Some(chunk) => Poll::Ready(Some(Ok(chunk))),
            None => Poll::Pending,
        }
    }
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_while_it_is_still_arriving() {
    let app = spawn_app_with(&[("CHORUS_GRAPHQL_MAX_BODY_BYTES", "1024")]).await;
    // Declared too large: refused before reading.
    let res = app
        .client
        .post(app.url("/graphql"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(format!(
            r#"{{"query": "{{ campaigns {{ edges {{ cursor }} }} }} #{}"}}"#,
            "x".repeat(2048)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "PAYLOAD_TOO_LARGE");

    // Chunked, no length, and never finished: the answer comes as soon as the limit
    // is passed, so the server cannot have waited for (or buffered) the whole body.
    let mut first = br#"{"query": "{ campaigns { edges { cursor } } } #"#.to_vec();
    first.extend(std::iter::repeat_n(b'x', 4096));
    let sent = app
        .client
        .post(app.url("/graphql"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(reqwest::Body::wrap_stream(EndlessBody {
            first: Some(first),
        }))
        .send();
    let res = tokio::time::timeout(Duration::from_secs(10), sent)
        .await
        .expect("answered before the body ended")
        .unwrap();
    assert_eq!(res.status(), 413);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "PAYLOAD_TOO_LARGE");

    // Under the limit is fine.
    let res = app.gql(None, CAMPAIGNS, json!({})).await;
    assert_eq!(res.status, 200);
}

// ---- Compression -------------------------------------------------------------------

#[tokio::test]
async fn large_answers_are_gzipped_for_clients_that_accept_it_and_small_ones_are_not() {
    use std::io::Read;

    let app = spawn_app().await;
    // The schema's type list: tens of kilobytes of JSON.
    let query = json!({ "query": "{ __schema { types { name description } } }" });
    let plain = app
        .client
        .post(app.url("/graphql"))
        .json(&query)
        .send()
        .await
        .unwrap();
    assert!(plain.headers().get(header::CONTENT_ENCODING).is_none());
    let plain: Value = plain.json().await.unwrap();
    assert!(plain.to_string().len() > 10_000);

    let res = app
        .client
        .post(app.url("/graphql"))
        .header(header::ACCEPT_ENCODING, "br;q=1.0, gzip;q=0.8")
        .json(&query)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()[header::CONTENT_ENCODING], "gzip");
    assert!(
        res.headers()
            .get_all(header::VARY)
            .iter()
            .any(|v| v.to_str().unwrap().contains("Accept-Encoding"))
    );
    let compressed = res.bytes().await.unwrap();
    let mut json = String::new();
    flate2::read::GzDecoder::new(&compressed[..])
        .read_to_string(&mut json)
        .expect("valid gzip");
    assert!(compressed.len() * 2 < json.len(), "gzip shrinks JSON");
    assert_eq!(serde_json::from_str::<Value>(&json).unwrap(), plain);

    // A small answer is not worth it.
    let res = app
        .client
        .post(app.url("/graphql"))
        .header(header::ACCEPT_ENCODING, "gzip")
        .json(&json!({ "query": CAMPAIGNS }))
        .send()
        .await
        .unwrap();
    assert!(res.headers().get(header::CONTENT_ENCODING).is_none());
    let body: Value = res.json().await.unwrap();
    assert!(body["data"]["campaigns"].is_object(), "{body}");
}

// ---- Depth and complexity ----------------------------------------------------------

/// The benchmark's list query (bench/queries/chorus_list.graphql): the 20 newest
/// stories with what a partner's index page shows.
const PARTNER_LIST: &str = include_str!("../../bench/queries/chorus_list.graphql");
/// The benchmark's story page query (bench/queries/chorus_by_slug.graphql).
const PARTNER_STORY: &str = include_str!("../../bench/queries/chorus_by_slug.graphql");

/// The cost the server reports for `query`, read from the refusal of an app whose
/// limits are 1.
async fn cost_of(tiny: &TestApp, key: &str, query: &str) -> (u64, u64) {
    let res = as_key(tiny, key, None, query).await;
    assert_eq!(res.code(), "QUERY_TOO_COMPLEX", "{}", res.body);
    let ext = &res.body["errors"][0]["extensions"];
    (
        ext["complexity"].as_u64().expect("complexity"),
        ext["depth"].as_u64().expect("depth"),
    )
}

#[tokio::test]
async fn realistic_partner_queries_fit_the_default_limits_with_room_to_spare() {
    let defaults = api::Config::from_map(&Default::default()).unwrap().graphql;
    let tiny = spawn_app_with(&[
        ("CHORUS_GRAPHQL_MAX_COMPLEXITY", "1"),
        ("CHORUS_GRAPHQL_MAX_DEPTH", "1"),
    ])
    .await;
    // Even signing in is over such limits: issue the key through the service.
    let admin = crate::fixtures::staff(&tiny.db, "admin@example.org", Role::Admin).await;
    let new = api::consumers::NewKey {
        name: "App".into(),
        channel: entity::api_key::Channel::MobileApp,
        partner_id: None,
        campaign_ids: vec![],
        expires_at: None,
    };
    let (_, key) = api::consumers::create_key(&tiny.db, &admin, new, api::clock::now())
        .await
        .expect("key issued");
    for (name, query) in [("list", PARTNER_LIST), ("story", PARTNER_STORY)] {
        let (complexity, depth) = cost_of(&tiny, &key, query).await;
        println!("{name}: complexity {complexity}, depth {depth}");
        assert!(
            complexity * 2 <= defaults.max_complexity as u64,
            "{name} costs {complexity}: less than half the default limit {} expected",
            defaults.max_complexity
        );
        assert!(
            depth * 2 <= defaults.max_depth as u64,
            "{name} is {depth} deep: less than half the default limit {} expected",
            defaults.max_depth
        );
    }

    // And on a default app both run.
    let app = spawn_app().await;
    let admin = app.token_for("admin@example.org", Role::Admin).await;
    let key = create_key(&app, &admin, None).await;
    let res = as_key(&app, &key, None, PARTNER_LIST).await;
    res.data();
    let res = app
        .client
        .post(app.url("/graphql"))
        .header("x-api-key", &key)
        .json(&json!({ "query": PARTNER_STORY, "variables": { "slug": "no-such-story" } }))
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    assert!(body["errors"].is_null(), "{body}");
}

#[tokio::test]
async fn an_over_limit_query_is_query_too_complex_with_its_cost() {
    let app = spawn_app().await;
    let admin = app.token_for("admin@example.org", Role::Admin).await;
    let key = create_key(&app, &admin, None).await;
    let fields = "nodes { slug title summary body bodyHtml publishedAt region
        campaigns { name } storyteller { name } tags { name slug }
        media { kind altText caption credit sources { variant url mime width height } } }";
    let query = format!(
        "{{ a: stories(first: 100) {{ {fields} }} b: stories(first: 100) {{ {fields} }} }}"
    );
    let res = as_key(&app, &key, None, &query).await;
    assert_eq!(res.codes(), vec!["QUERY_TOO_COMPLEX"], "{}", res.body);
    let ext = &res.body["errors"][0]["extensions"];
    assert_eq!(ext["maxComplexity"], 1000);
    assert!(ext["complexity"].as_u64().unwrap() > 1000, "{ext}");
    assert!(ext["depth"].as_u64().is_some());
    assert!(res.message().contains(&ext["complexity"].to_string()));
    assert!(res.body["data"].is_null());

    // Too deep is the same code, with the depth.
    let deep = format!(
        "{{ __schema {{ types {{ fields {{ type {} name {} }} }} }} }}",
        "{ ofType ".repeat(12),
        "}".repeat(12)
    );
    let res = app.gql(Some(&admin), &deep, json!({})).await;
    assert_eq!(res.code(), "QUERY_TOO_COMPLEX");
    let ext = &res.body["errors"][0]["extensions"];
    assert_eq!(ext["maxDepth"], 15);
    assert!(ext["depth"].as_u64().unwrap() > 15, "{ext}");
}
