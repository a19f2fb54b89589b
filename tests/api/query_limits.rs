//! Query cost that cannot be dodged: hostile documents (fragment fan-outs, a
//! thousand aliases, tens of thousands of duplicated fields) are measured in one
//! linear pass and refused with `QUERY_TOO_COMPLEX` before any validation or
//! resolver runs; a query that runs past the deadline or past its budget of SQL
//! statements is stopped with its own code.
//!
//! Every hostile request is sent anonymously to a production-mode server with
//! public reads, as anyone on the internet could send it.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app_with};

/// Held by each test that times answers, so that they do not slow each other
/// down (the hostile load of one would decide another's timing).
static TIMING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A production server that answers anonymous reads.
async fn public_production_app(extra: &[(&str, &str)]) -> TestApp {
    let mut vars = vec![
        ("CHORUS_ENV", "production"),
        ("CHORUS_PUBLIC_READS", "true"),
    ];
    vars.extend_from_slice(extra);
    spawn_app_with(&vars).await
}

/// `{ <root> }` over `levels` fragments, each spreading the one before twice:
/// `2^levels` copies of `leaf` once expanded. `root` holds `...F{levels-1}`.
fn fan_out(levels: usize, root: &str, on: &str, leaf: &str) -> String {
    let mut doc = root.replace("$TOP", &format!("F{}", levels - 1));
    doc.push_str(&format!(" fragment F0 on {on} {{ {leaf} }}"));
    for i in 1..levels {
        doc.push_str(&format!(
            " fragment F{i} on {on} {{ ...F{prev} ...F{prev} }}",
            prev = i - 1
        ));
    }
    doc
}

/// The fan-out: 19 fragments of `__typename` on `Query`.
fn typename_fan_out(levels: usize) -> String {
    fan_out(levels, "{ ...$TOP }", "Query", "__typename")
}

/// The same fan-out below a page of 100 stories.
fn stories_fan_out(levels: usize) -> String {
    fan_out(
        levels,
        "{ stories(first: 100) { nodes { ...$TOP } } }",
        "PublishedStory",
        "slug",
    )
}

/// 999 aliased counts, each one statement.
fn aliased_counts() -> String {
    let fields: String = (0..999)
        .map(|i| format!("a{i}: stories(first: 0) {{ totalCount }} "))
        .collect();
    format!("{{ {fields}}}")
}

/// 20,000 copies of one root field.
fn duplicated_root_fields() -> String {
    format!("{{ {}}}", "__typename ".repeat(20_000))
}

/// Sends `query` anonymously; returns the answer and how long it took.
async fn timed(app: &TestApp, query: &str) -> (Value, Duration) {
    // Encoded before the clock starts: only the server's part is timed.
    let body = json!({ "query": query }).to_string();
    let started = Instant::now();
    let res = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", "application/json")
        .body(body)
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .expect("an answer within 30 s");
    let body: Value = res.json().await.expect("JSON answer");
    (body, started.elapsed())
}

/// The code of the first error.
fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("expected an error with a code, got {}", short(body)))
}

/// The start of an answer, for messages: some are half a megabyte.
fn short(body: &Value) -> String {
    body.to_string().chars().take(400).collect()
}

/// Opens the server's pooled connections, so that what is timed is the steady state.
async fn warm_up(app: &TestApp) {
    for _ in 0..3 {
        let (body, _) = timed(app, "{ __typename }").await;
        assert_eq!(body["data"]["__typename"], "Query", "{body}");
    }
}

/// Asserts `query` is refused with `QUERY_TOO_COMPLEX` in under 50 ms: the best
/// of five tries, so one stall of a loaded machine does not decide it.
async fn refused_at_once(app: &TestApp, name: &str, query: &str) {
    refused_within(app, name, query, Duration::from_millis(50)).await;
}

/// As [`refused_at_once`], within `bound`.
async fn refused_within(app: &TestApp, name: &str, query: &str, bound: Duration) {
    let _alone = TIMING.lock().await;
    warm_up(app).await;
    let mut best = Duration::MAX;
    for _ in 0..5 {
        let (body, took) = timed(app, query).await;
        assert_eq!(code(&body), "QUERY_TOO_COMPLEX", "{name}: {}", short(&body));
        assert!(body["data"].is_null(), "{name}: {}", short(&body));
        best = best.min(took);
    }
    println!("{name}: refused in {best:?}");
    assert!(best < bound, "{name} took {best:?} to refuse");
}

#[tokio::test]
async fn a_fragment_fan_out_is_refused_at_once() {
    let app = public_production_app(&[]).await;
    refused_at_once(&app, "19 levels", &typename_fan_out(19)).await;
    refused_at_once(&app, "26 levels", &typename_fan_out(26)).await;
    refused_at_once(&app, "19 levels below stories", &stories_fan_out(19)).await;
    // Defined but never used, it would still be walked by validation.
    let unused = format!(
        "{{ __typename }} {}",
        typename_fan_out(26).replacen("{ ...F25 }", "", 1)
    );
    refused_at_once(&app, "an unused fan-out", &unused).await;
}

#[tokio::test]
async fn a_fragment_cycle_is_refused_at_once() {
    let app = public_production_app(&[]).await;
    let (body, _) = timed(
        &app,
        "{ ...A } fragment A on Query { ...B } fragment B on Query { __typename ...A }",
    )
    .await;
    assert!(body["data"].is_null(), "{body}");
    assert!(
        body["errors"][0]["extensions"]["code"].is_string(),
        "{body}"
    );
}

#[tokio::test]
async fn a_thousand_aliased_counts_are_refused_at_once() {
    let app = public_production_app(&[]).await;
    refused_at_once(&app, "999 aliased counts", &aliased_counts()).await;
}

#[tokio::test]
async fn twenty_thousand_duplicated_root_fields_are_refused_at_once() {
    let app = public_production_app(&[]).await;
    // Refused by its token count, before the parser (whose cost grows with the
    // text: 60-100 ms for these 220 KB on a debug build) sees it.
    refused_within(
        &app,
        "20,000 root fields",
        &duplicated_root_fields(),
        Duration::from_millis(50),
    )
    .await;
}

// Two workers, as on a small production host: with one, the test's own client
// would compete with the server for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_answers_at_once_while_hostile_queries_are_in_flight() {
    let app = public_production_app(&[]).await;
    let _alone = TIMING.lock().await;
    warm_up(&app).await;
    // The fan-outs that used to burn a core each, and the thousand statements.
    let hostile = [typename_fan_out(26), stories_fan_out(26), aliased_counts()];
    let stop = Instant::now() + Duration::from_secs(2);
    let mut senders = Vec::new();
    for i in 0..8 {
        let client = app.client.clone();
        let url = app.url("/graphql");
        // Encoded once: the client shares the server's two workers.
        let body = json!({ "query": hostile[i % hostile.len()] }).to_string();
        senders.push(tokio::spawn(async move {
            let mut sent = 0;
            while Instant::now() < stop {
                let res = client
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .timeout(Duration::from_secs(30))
                    .send()
                    .await
                    .expect("an answer within 30 s");
                let body: Value = res.json().await.expect("JSON answer");
                assert_eq!(code(&body), "QUERY_TOO_COMPLEX", "{}", short(&body));
                sent += 1;
            }
            sent
        }));
    }
    // Let the hostile requests get going, then probe.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut waits = Vec::new();
    while Instant::now() < stop {
        let started = Instant::now();
        let res = app
            .client
            .get(app.url("/healthz"))
            .timeout(Duration::from_secs(15))
            .send()
            .await
            .expect("/healthz answers within 15 s");
        assert_eq!(res.status().as_u16(), 200);
        waits.push(started.elapsed());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut sent = 0;
    for sender in senders {
        sent += sender.await.expect("sender finished");
    }
    waits.sort();
    println!("{sent} hostile requests; /healthz waits {waits:?}");
    assert!(waits.len() >= 5, "{waits:?}");
    // The median, so one scheduling stall of a loaded machine does not decide it.
    let median = waits[waits.len() / 2];
    assert!(
        median < Duration::from_millis(100),
        "/healthz took {median:?} (median) while hostile queries ran: {waits:?}"
    );
}

#[tokio::test]
async fn a_query_over_its_statement_budget_is_stopped() {
    let app = public_production_app(&[("CHORUS_GRAPHQL_MAX_STATEMENTS", "4")]).await;
    // One count fits.
    let (body, _) = timed(&app, "{ stories(first: 1) { totalCount } }").await;
    assert_eq!(body["data"]["stories"]["totalCount"], 0, "{body}");
    // Eight do not: each is at least one statement.
    let counts: String = (0..8)
        .map(|i| format!("a{i}: stories(first: 1) {{ totalCount }} "))
        .collect();
    let (body, _) = timed(&app, &format!("{{ {counts}}}")).await;
    assert_eq!(code(&body), "QUERY_TOO_COMPLEX", "{body}");
    assert!(body["data"].is_null(), "{body}");
    let ext = &body["errors"][0]["extensions"];
    assert_eq!(ext["maxStatements"], 4, "{body}");
    assert!(ext["statements"].as_u64().unwrap() > 4, "{body}");
}

/// True when the tests run on PostgreSQL.
fn on_postgres() -> bool {
    std::env::var("CHORUS_TEST_POSTGRES_URL").is_ok_and(|u| !u.is_empty())
}

/// A server whose queries of the stories table wait once [`hold_stories`] holds
/// it: on SQLite, whose readers never wait for a lock, its pool has a single
/// connection, which `hold_stories` takes.
async fn holdable_app(extra: &[(&str, &str)]) -> TestApp {
    let mut vars = vec![
        ("CHORUS_GRAPHQL_DEADLINE", "1s"),
        // Nothing before execution reads the database.
        ("CHORUS_RESPONSE_CACHE_BYTES", "0"),
        ("CHORUS_JOBS_ENABLED", "false"),
    ];
    if !on_postgres() {
        vars.push(("CHORUS_DATABASE_MAX_CONNECTIONS", "1"));
    }
    vars.extend_from_slice(extra);
    public_production_app(&vars).await
}

/// Holds the stories table until dropped: on PostgreSQL with an `ACCESS
/// EXCLUSIVE` lock from a connection of its own, on SQLite by holding the
/// pool's only connection.
async fn hold_stories(app: &TestApp) -> sea_orm::DatabaseTransaction {
    use sea_orm::{ConnectOptions, ConnectionTrait, Database, TransactionTrait};
    if !on_postgres() {
        return app.db.begin().await.expect("the pool's connection");
    }
    let mut options = ConnectOptions::new(app.database_url.clone());
    options.max_connections(1).sqlx_logging(false);
    let db = Database::connect(options).await.expect("second connection");
    let txn = db.begin().await.expect("transaction");
    txn.execute_unprepared("LOCK TABLE stories IN ACCESS EXCLUSIVE MODE")
        .await
        .expect("lock taken");
    txn
}

/// Statements of the app's database waiting for a lock (PostgreSQL only).
async fn waiting_statements(app: &TestApp) -> i64 {
    use sea_orm::{ConnectionTrait, Statement};
    let row = app
        .db
        .query_one_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT count(*) AS n FROM pg_stat_activity \
             WHERE datname = current_database() AND state = 'active' \
             AND wait_event_type = 'Lock'",
        ))
        .await
        .expect("pg_stat_activity")
        .expect("a row");
    row.try_get::<i64>("", "n").expect("a count")
}

#[tokio::test]
async fn a_query_past_the_deadline_is_stopped_with_deadline_exceeded() {
    let app = holdable_app(&[]).await;
    let held = hold_stories(&app).await;
    let (body, took) = timed(&app, "{ stories(first: 1) { totalCount } }").await;
    assert_eq!(code(&body), "DEADLINE_EXCEEDED", "{body}");
    assert!(body["data"].is_null(), "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["deadlineMs"], 1000,
        "{body}"
    );
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(5),
        "answered after {took:?}"
    );
    if on_postgres() {
        // The database stopped the statement too (`statement_timeout`), while
        // the lock it waited for is still held.
        let started = Instant::now();
        while waiting_statements(&app).await > 0 {
            assert!(
                started.elapsed() < Duration::from_secs(3),
                "the statement still waits after the deadline"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    drop(held);

    // Once the table is free, the same query runs.
    let (body, _) = timed(&app, "{ stories(first: 1) { totalCount } }").await;
    assert_eq!(body["data"]["stories"]["totalCount"], 0, "{body}");
}

#[tokio::test]
async fn the_deadline_stops_a_query_whose_client_has_gone() {
    if !on_postgres() {
        // SQLite gives no view of waiting statements; the deadline itself is
        // proven by the test above.
        return;
    }
    let app = holdable_app(&[]).await;
    let held = hold_stories(&app).await;
    let gone = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": "{ stories(first: 1) { totalCount } }" }))
        .timeout(Duration::from_millis(200))
        .send()
        .await;
    assert!(gone.is_err(), "the client gave up first");
    let started = Instant::now();
    while waiting_statements(&app).await == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "the statement never waited"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    while waiting_statements(&app).await > 0 {
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "the statement still waits after the deadline"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(held);
}

#[tokio::test]
async fn a_statement_the_database_stops_at_the_deadline_is_deadline_exceeded_not_internal() {
    if !on_postgres() {
        // SQLite has no statement_timeout; the deadline alone stops its queries.
        return;
    }
    use sea_orm::ConnectionTrait;
    let app = holdable_app(&[]).await;
    // The server's own pool carries `statement_timeout` = the 1 s deadline. When
    // that clock fires before the request's own (a loaded machine), the
    // resolver's error must still read as the deadline, never as INTERNAL.
    let err = app
        .db
        .execute_unprepared("SELECT pg_sleep(3)")
        .await
        .expect_err("statement_timeout stops the statement");
    let err = api::error::Error::from(err);
    assert_eq!(err.code(), "DEADLINE_EXCEEDED", "{err:?}");
}
