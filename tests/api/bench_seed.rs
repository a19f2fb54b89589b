//! `chorus bench seed`: the benchmark's data set, seeded small, is what the
//! consumer API shows to the printed key, through real HTTP.

use std::collections::BTreeSet;

use api::{
    bench::{self, Shape},
    clock,
};
use serde_json::{Value, json};

use crate::helpers::spawn_app;

const SMALL: Shape = Shape {
    campaigns: 3,
    tags: 7,
    storytellers: 10,
    stories: 50,
    media_per_story: 3,
};

async fn consumer(app: &crate::helpers::TestApp, key: &str, query: &str) -> Value {
    let res = app
        .client
        .post(app.url("/graphql"))
        .header("x-api-key", key)
        .json(&json!({ "query": query }))
        .send()
        .await
        .expect("request sent");
    assert_eq!(res.status().as_u16(), 200);
    let body: Value = res.json().await.expect("JSON response");
    assert!(body.get("errors").is_none(), "unexpected errors: {body}");
    body["data"].clone()
}

#[tokio::test]
async fn seeded_benchmark_data_is_what_the_benchmark_key_reads() {
    let app = spawn_app().await;
    let seeded = bench::seed(
        &app.db,
        &app.state.crypto,
        &app.state.config.consent,
        SMALL,
        clock::now(),
    )
    .await
    .expect("seeded");
    assert_eq!(
        (seeded.stories, seeded.published, seeded.media),
        (50, 40, 150)
    );

    // Exactly the published ones (N % 5 != 0) are listed.
    let data = consumer(
        &app,
        &seeded.api_key,
        "{ stories(first: 100) { totalCount nodes { slug } } }",
    )
    .await;
    assert_eq!(data["stories"]["totalCount"], 40);
    let listed: BTreeSet<String> = data["stories"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .filter_map(|n| n["slug"].as_str().map(str::to_owned))
        .collect();
    let expected: BTreeSet<String> = (1..=50)
        .filter(|n: &usize| !n.is_multiple_of(5))
        .map(|n| format!("story-{n}"))
        .collect();
    assert_eq!(listed, expected);

    // A published story carries everything the by-slug benchmark asks for.
    let data = consumer(
        &app,
        &seeded.api_key,
        r#"{ story(slug: "story-3") {
            slug title summary body publishedAt
            storyteller { name isPseudonym }
            campaigns { name slug }
            tags { slug }
            media { kind altText sources { variant url } }
        } }"#,
    )
    .await;
    let story = &data["story"];
    assert_eq!(story["slug"], "story-3");
    assert_eq!(story["title"], "Story title number 3");
    assert!(story["publishedAt"].is_string());
    // Storyteller index 3 % 10, campaign 3 % 3, tags (3·k·7919) mod 7 for k = 1…3.
    assert_eq!(
        story["storyteller"],
        json!({ "name": "teller_4", "isPseudonym": true })
    );
    assert_eq!(
        story["campaigns"],
        json!([{ "name": "Campaign 1", "slug": "campaign-1" }])
    );
    let tags: BTreeSet<&str> = story["tags"]
        .as_array()
        .expect("tags")
        .iter()
        .filter_map(|t| t["slug"].as_str())
        .collect();
    assert_eq!(tags, BTreeSet::from(["tag-5", "tag-6", "tag-7"]));
    let media = story["media"].as_array().expect("media");
    assert_eq!(media.len(), 3);
    assert_eq!(media[0]["kind"], "IMAGE");
    assert_eq!(media[0]["altText"], "Alt text 3/0");
    let sources = media[0]["sources"].as_array().expect("sources");
    assert_eq!(sources.len(), 6);
    assert_eq!(sources[0]["variant"], "w320.jpg");
    assert!(sources[0]["url"].as_str().is_some_and(|u| !u.is_empty()));

    // Every fifth story is a draft: not there, as for a slug that does not exist.
    let data = consumer(
        &app,
        &seeded.api_key,
        r#"{ story(slug: "story-5") { slug } }"#,
    )
    .await;
    assert!(data["story"].is_null(), "{data}");
}

#[tokio::test]
async fn seeding_a_database_that_holds_stories_is_refused() {
    let app = spawn_app().await;
    let small = Shape {
        stories: 5,
        ..SMALL
    };
    let (db, keys, consent) = (&app.db, &app.state.crypto, &app.state.config.consent);
    bench::seed(db, keys, consent, small, clock::now())
        .await
        .expect("first seed");
    let again = bench::seed(db, keys, consent, small, clock::now()).await;
    assert!(
        matches!(again, Err(api::Error::Conflict(_))),
        "{:?}",
        again.map(|s| s.stories)
    );
}

#[tokio::test]
async fn a_list_loads_relations_for_the_whole_page_and_says_what_each_story_says_alone() {
    let app = spawn_app().await;
    let seeded = bench::seed(
        &app.db,
        &app.state.crypto,
        &app.state.config.consent,
        SMALL,
        clock::now(),
    )
    .await
    .expect("seeded");
    const FIELDS: &str =
        "slug campaigns { name } tags { slug } media(first: 2) { id kind sources { variant } }";
    let list = consumer(
        &app,
        &seeded.api_key,
        &format!("{{ stories(first: 50) {{ nodes {{ {FIELDS} }} }} }}"),
    )
    .await;
    let nodes = list["stories"]["nodes"].as_array().expect("nodes");
    assert_eq!(nodes.len(), 40);
    for node in nodes {
        let slug = node["slug"].as_str().expect("slug");
        let alone = consumer(
            &app,
            &seeded.api_key,
            &format!("{{ story(slug: \"{slug}\") {{ {FIELDS} }} }}"),
        )
        .await;
        assert_eq!(&alone["story"], node, "{slug}");
        assert!(!node["tags"].as_array().expect("tags").is_empty(), "{slug}");
        assert_eq!(node["media"].as_array().expect("media").len(), 2, "{slug}");
    }
}

#[tokio::test]
async fn any_story_count_seeds_the_kits_shape_and_logs_every_story_once_changed() {
    use sea_orm::{ConnectionTrait, Statement};

    let app = spawn_app().await;
    let before = api::stories::changes::version(&app.db)
        .await
        .expect("version");
    let twelve = Shape {
        stories: 12,
        ..SMALL
    };
    let seeded = bench::seed(
        &app.db,
        &app.state.crypto,
        &app.state.config.consent,
        twelve,
        clock::now(),
    )
    .await
    .expect("seeded");
    assert_eq!((seeded.stories, seeded.published), (12, 10));

    let data = consumer(
        &app,
        &seeded.api_key,
        "{ stories(first: 100) { totalCount nodes { slug } } }",
    )
    .await;
    assert_eq!(data["stories"]["totalCount"], 10);
    assert_eq!(data["stories"]["nodes"][0]["slug"], "story-1");
    assert_eq!(data["stories"]["nodes"][9]["slug"], "story-12");

    // The change log names every seeded story (the sync feed and the cache's
    // freshness check read it), however the seed wrote it.
    let backend = app.db.get_database_backend();
    let row = app
        .db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT COUNT(DISTINCT c.story_id) AS n FROM story_changes c \
             JOIN stories s ON s.id = c.story_id",
        ))
        .await
        .expect("query")
        .expect("a row");
    let logged: i64 = row.try_get("", "n").expect("count");
    assert_eq!(logged, 12);
    let after = api::stories::changes::version(&app.db)
        .await
        .expect("version");
    assert!(after > before, "{before} → {after}");

    // The triggers log writes after the seed as before it.
    app.db
        .execute_raw(Statement::from_string(
            backend,
            "UPDATE stories SET region = region WHERE slug = 'story-3'",
        ))
        .await
        .expect("update");
    let later = api::stories::changes::version(&app.db)
        .await
        .expect("version");
    assert!(later > after, "{after} → {later}");
}
