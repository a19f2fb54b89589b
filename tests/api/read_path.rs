//! The consumer read path asked for less: `sources(variants:)` signs and
//! returns only the variants a site shows, in the usual order.

use api::{
    bench::{self, Shape},
    clock,
};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

/// An app with `stories` bench stories of two images each, and its key.
async fn seeded(stories: usize) -> (TestApp, String) {
    let app = spawn_app().await;
    let shape = Shape {
        campaigns: 1,
        tags: 2,
        storytellers: 2,
        stories,
        media_per_story: 2,
    };
    let seeded = bench::seed(
        &app.db,
        &app.state.crypto,
        &app.state.config.consent,
        shape,
        clock::now(),
    )
    .await
    .expect("seeded");
    (app, seeded.api_key)
}

async fn read(app: &TestApp, key: &str, query: &str) -> Value {
    read_with(app, key, query, json!({})).await
}

async fn read_with(app: &TestApp, key: &str, query: &str, variables: Value) -> Value {
    app.client
        .post(app.url("/graphql"))
        .header("x-api-key", key)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .expect("request sent")
        .json()
        .await
        .expect("JSON response")
}

fn variants(media: &Value) -> Vec<Vec<String>> {
    media
        .as_array()
        .expect("media")
        .iter()
        .map(|m| {
            m["sources"]
                .as_array()
                .expect("sources")
                .iter()
                .map(|s| {
                    assert!(s["url"].as_str().is_some_and(|u| u.contains("?t=")), "{s}");
                    s["variant"].as_str().expect("variant").to_owned()
                })
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn sources_can_be_narrowed_to_the_variants_a_site_shows() {
    let (app, key) = seeded(4).await;
    let key = &key;

    let all = read(
        &app,
        key,
        r#"{ story(slug: "story-1") { media { sources { variant url } } } }"#,
    )
    .await;
    assert_eq!(
        variants(&all["data"]["story"]["media"]),
        vec![
            vec![
                "w320.jpg",
                "w320.webp",
                "w800.jpg",
                "w800.webp",
                "w1600.jpg",
                "w1600.webp"
            ];
            2
        ]
    );

    // Named out of order, they come in the usual order (narrowest first).
    let two = read(
        &app,
        key,
        r#"{ story(slug: "story-1") { media { sources(variants: ["w1600.jpg", "w320.webp"]) { variant url } } } }"#,
    )
    .await;
    assert_eq!(
        variants(&two["data"]["story"]["media"]),
        vec![vec!["w320.webp", "w1600.jpg"]; 2]
    );

    // The same in a list, and a name no item has matches nothing.
    let list = read(
        &app,
        key,
        r#"{ stories(first: 2) { nodes { media(first: 1) { sources(variants: ["w800.webp", "w9000.gif"]) { variant url } } } } }"#,
    )
    .await;
    for node in list["data"]["stories"]["nodes"].as_array().expect("nodes") {
        assert_eq!(variants(&node["media"]), vec![vec!["w800.webp"]]);
    }

    let too_many: Vec<String> = (0..17).map(|i| format!("w{i}.jpg")).collect();
    let refused = read(
        &app,
        key,
        &format!(
            r#"{{ story(slug: "story-1") {{ media {{ sources(variants: {}) {{ variant }} }} }} }}"#,
            serde_json::to_string(&too_many).expect("names")
        ),
    )
    .await;
    assert_eq!(
        refused["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{refused}"
    );
}

/// The variants asked for are read from the database alone (the page's media
/// statement joins only those renditions), yet they never change which items a
/// reader receives: an item without the variant is still given, with no
/// source, and a second selection asking for every variant still gets them all.
#[tokio::test]
async fn asking_for_variants_leaves_the_items_as_they_are() {
    let (app, key) = seeded(3).await;
    let key = &key;
    let ids = |answer: &Value| -> Vec<Vec<String>> {
        answer["data"]["stories"]["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .map(|n| {
                n["media"]
                    .as_array()
                    .expect("media")
                    .iter()
                    .map(|m| m["id"].as_str().expect("id").to_owned())
                    .collect()
            })
            .collect()
    };

    let plain = read(&app, key, r#"{ stories { nodes { media { id } } } }"#).await;
    let expected = ids(&plain);
    assert_eq!(expected.len(), 3, "{plain}");
    assert!(expected.iter().all(|m| m.len() == 2), "{plain}");

    let none = read(
        &app,
        key,
        r#"{ stories { nodes { media { id sources(variants: ["w9000.gif"]) { url } } } } }"#,
    )
    .await;
    assert_eq!(ids(&none), expected, "{none}");
    for node in none["data"]["stories"]["nodes"].as_array().expect("nodes") {
        for item in node["media"].as_array().expect("media") {
            assert_eq!(item["sources"], json!([]), "{none}");
        }
    }

    // Through a variable, beside a selection of every variant.
    let both = read_with(
        &app,
        key,
        r#"query ($v: [String!]) { stories { nodes {
            one: media { id sources(variants: $v) { variant url } }
            all: media { id sources { variant url } } } } }"#,
        json!({ "v": ["w320.jpg"] }),
    )
    .await;
    for node in both["data"]["stories"]["nodes"].as_array().expect("nodes") {
        assert_eq!(variants(&node["one"]), vec![vec!["w320.jpg"]; 2], "{both}");
        assert_eq!(variants(&node["all"])[0].len(), 6, "{both}");
    }
}

/// A list reads the texts' bodies only when its selection shows one, however
/// it is asked for: by alias, in a fragment, through `edges`, in a translation.
#[tokio::test]
async fn a_list_has_its_bodies_whenever_its_selection_asks_for_them() {
    let (app, key) = seeded(2).await;
    let bodies = |answer: &Value, path: &[&str]| -> Vec<String> {
        let mut nodes = &answer["data"]["stories"];
        for step in path {
            nodes = &nodes[*step];
        }
        nodes
            .as_array()
            .unwrap_or_else(|| panic!("no list at {path:?}: {answer}"))
            .iter()
            .map(|n| {
                let n = n.get("node").unwrap_or(n);
                n["text"]
                    .as_str()
                    .or_else(|| n["translations"][0]["body"].as_str())
                    .unwrap_or_else(|| panic!("no body: {answer}"))
                    .to_owned()
            })
            .collect()
    };
    let by_slug = read(&app, &key, r#"{ story(slug: "story-1") { body } }"#).await;
    let body = by_slug["data"]["story"]["body"].as_str().expect("a body");
    assert!(!body.is_empty(), "{by_slug}");

    for (query, path) in [
        (
            "{ stories { nodes { ...F } } } fragment F on PublishedStory { text: body }",
            &["nodes"][..],
        ),
        ("{ stories { edges { node { text: body } } } }", &["edges"]),
        (
            "{ stories { nodes { ... on PublishedStory { translations { body } } } } }",
            &["nodes"],
        ),
    ] {
        let answer = read(&app, &key, query).await;
        let found = bodies(&answer, path);
        assert_eq!(found.len(), 2, "{answer}");
        assert!(found.iter().all(|b| !b.is_empty()), "{query}: {answer}");
        assert!(found.iter().any(|b| b == body), "{query}: {answer}");
    }
}
