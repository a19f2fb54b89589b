//! How many SQL statements a consumer read costs: the benchmark's list (slug,
//! title, summary, date, campaigns, storyteller, tags, one media item with its
//! sources) takes the same few statements for a page of 20 stories as for a
//! page of 100, and `story(slug)` with every field fewer still.
//!
//! Counted on the real server and database (SQLite, or PostgreSQL with
//! `CHORUS_TEST_POSTGRES_URL`) by the pool's statement counter
//! (`AppState::statements`), as the difference around one HTTP request, with
//! nothing else running: the jobs worker is off, the response cache is off (an
//! answer served from it would cost nothing and prove nothing), and the CORS
//! origin lists are fresh (so no background reload starts). The bound is for
//! the GraphQL execution in steady state:
//!
//! - the key's authentication, before execution, is measured separately (the
//!   cost of `{ __typename }` with the same key) and subtracted;
//! - the `story_reads` row written the first time a key receives a story is
//!   written before counting (a first read of every story), so the counted
//!   requests are a key's second reads, as nearly every read is;
//! - `totalCount` is not in the benchmark's list; selecting it adds exactly one
//!   statement (the count).

use api::{
    bench::{self, Shape},
    clock,
};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app_with};

/// 125 stories, of which 100 are published, each with one campaign, two or
/// three tags (never one: with 10 tags only story numbers divisible by 10,
/// which are drafts, would get a single one), a storyteller with a public
/// name, and two images with six renditions each.
const SHAPE: Shape = Shape {
    campaigns: 5,
    tags: 10,
    storytellers: 20,
    stories: 125,
    media_per_story: 2,
};

/// The bound: page, storytellers with their consents, published texts,
/// campaigns and tags, media with renditions.
const MAX_STATEMENTS: u64 = 5;

/// `story(slug)`'s bound: the story with its storyteller, consents and texts in
/// one statement, then campaigns and tags, and media with renditions.
const MAX_BY_SLUG_STATEMENTS: u64 = 3;

/// The benchmark's list request, for a page of `n`.
fn list_body(n: usize) -> Value {
    let mut body: Value =
        serde_json::from_str(include_str!("../../bench/queries/chorus_list.json")).expect("JSON");
    let query = body["query"].as_str().expect("query").to_owned();
    assert!(query.contains("stories(first: 20"), "{query}");
    body["query"] = json!(query.replace("stories(first: 20", &format!("stories(first: {n}")));
    body
}

/// The benchmark's by-slug request.
fn by_slug_body(slug: &str) -> Value {
    let template = include_str!("../../bench/queries/chorus_by_slug.tmpl.json");
    serde_json::from_str(&template.replace("__SLUG__", slug)).expect("JSON")
}

/// Sends one request with the key and returns the statements it cost and its data.
async fn counted(app: &TestApp, key: &str, body: &Value) -> (u64, Value) {
    let before = app.state.statements.get();
    let res = app
        .client
        .post(app.url("/graphql"))
        .header("x-api-key", key)
        .json(body)
        .send()
        .await
        .expect("request sent");
    assert_eq!(res.status().as_u16(), 200);
    let answer: Value = res.json().await.expect("JSON response");
    let cost = app.state.statements.get() - before;
    assert!(
        answer.get("errors").is_none(),
        "unexpected errors: {answer}"
    );
    (cost, answer["data"].clone())
}

/// A story as the benchmark's fields show it: every relation present.
fn assert_complete(node: &Value) {
    let slug = &node["slug"];
    assert!(
        node["title"].as_str().is_some_and(|t| !t.is_empty()),
        "{slug}"
    );
    assert!(node["storyteller"]["name"].is_string(), "{slug}");
    assert_eq!(
        node["campaigns"].as_array().map(Vec::len),
        Some(1),
        "{slug}"
    );
    assert!(
        node["tags"].as_array().is_some_and(|t| t.len() >= 2),
        "{slug}"
    );
    let media = node["media"].as_array().expect("media");
    assert!(!media.is_empty(), "{slug}");
    assert!(
        media[0]["sources"]
            .as_array()
            .is_some_and(|s| !s.is_empty()),
        "{slug}"
    );
}

#[tokio::test]
async fn the_benchmark_list_costs_the_same_few_statements_for_20_and_for_100_stories() {
    let app = spawn_app_with(&[
        ("CHORUS_JOBS_ENABLED", "false"),
        ("CHORUS_RESPONSE_CACHE_BYTES", "0"),
        // The benchmark's fields for 100 stories cost 1,800 (the default limit is 1,000).
        ("CHORUS_GRAPHQL_MAX_COMPLEXITY", "5000"),
    ])
    .await;
    let seeded = bench::seed(
        &app.db,
        &app.state.crypto,
        &app.state.config.consent,
        SHAPE,
        clock::now(),
    )
    .await
    .expect("seeded");
    assert_eq!(seeded.published, 100);
    let key = seeded.api_key.as_str();
    // Fresh origin lists: no request in the next 30 s reloads them in the background.
    app.state.origins.reload(&app.db).await.expect("origins");
    // The key's first read of every story (and its last-used time, written at
    // most once a minute): one-time writes, done before counting.
    let (_, all) = counted(
        &app,
        key,
        &json!({ "query": "{ stories(first: 100) { nodes { slug } } }" }),
    )
    .await;
    assert_eq!(all["stories"]["nodes"].as_array().map(Vec::len), Some(100));
    let (authentication, _) = counted(&app, key, &json!({ "query": "{ __typename }" })).await;

    let mut costs = Vec::new();
    for n in [20, 100] {
        let body = list_body(n);
        let (first, _) = counted(&app, key, &body).await;
        let (second, data) = counted(&app, key, &body).await;
        assert_eq!(
            first, second,
            "a steady state: the same request costs the same"
        );
        let nodes = data["stories"]["nodes"].as_array().expect("nodes");
        assert_eq!(nodes.len(), n);
        nodes.iter().for_each(assert_complete);
        let cost = second - authentication;
        eprintln!(
            "list of {n}: {second} statements, of which {authentication} authenticate the key"
        );
        assert!(
            (1..=MAX_STATEMENTS).contains(&cost),
            "a list of {n} costs {cost} statements beside authentication"
        );
        costs.push(cost);
    }
    assert_eq!(costs[0], costs[1], "20 and 100 stories cost the same");

    // Asking for `totalCount` adds the count, and nothing else.
    let mut body = list_body(100);
    let query = body["query"]
        .as_str()
        .expect("query")
        .replacen("nodes {", "totalCount nodes {", 1);
    body["query"] = json!(query);
    let (with_count, data) = counted(&app, key, &body).await;
    assert_eq!(data["stories"]["totalCount"], 100);
    assert_eq!(with_count - authentication, costs[1] + 1);

    // One story by slug, with every field, through the same loaders.
    let body = by_slug_body("story-3");
    let (_, _) = counted(&app, key, &body).await;
    let (by_slug, data) = counted(&app, key, &body).await;
    assert_eq!(data["story"]["slug"], "story-3");
    assert_complete(&data["story"]);
    eprintln!("story(slug): {by_slug} statements, of which {authentication} authenticate the key");
    assert!(by_slug - authentication <= MAX_BY_SLUG_STATEMENTS);
}
