//! Every GraphQL example in README.md and docs/*.md is a valid document on its
//! own and runs as written against a live server under the default limits.
//!
//! Each ```graphql block is read with the server's own parser: a block with more
//! than one operation must name them all (as graphql-codegen and
//! graphql-inspector require). Each operation is then sent, by name, with
//! variables a client would have (a story slug from the data, no cursor), as the
//! caller it is written for: a mutation (signing in) anonymously, a read with a
//! consumer's API key. What is asserted: no error without a `path`, i.e. none
//! from parsing, validation, variables or the depth and complexity limits
//! (`QUERY_TOO_COMPLEX`); errors a resolver raises about the data (a
//! placeholder password refused, `UNAUTHENTICATED`) carry a `path` and are the
//! example working as written. `docs/SUBMISSIONS.md` is run by its own test
//! (tests/api/submissions.rs), as a campaign site's key with a solved proof.

use api::clock;
use async_graphql_parser::types::{DocumentOperations, OperationType};
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::helpers::{GqlResponse, TestApp, spawn_app};

/// Every ```graphql block in the README and docs/, with where it is.
fn examples() -> Vec<(String, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("README.md")];
    let mut docs: Vec<_> = std::fs::read_dir(root.join("docs"))
        .expect("docs/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        // Its documents need a SUBMISSIONS key and a solved proof of work:
        // `submissions::the_documents_in_the_submissions_guide_run_as_written`
        // runs them.
        .filter(|p| !p.ends_with("SUBMISSIONS.md"))
        .collect();
    docs.sort();
    files.extend(docs);
    let mut found = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("readable");
        let name = file.strip_prefix(root).unwrap().display().to_string();
        let mut block: Option<(usize, String)> = None;
        for (n, line) in text.lines().enumerate() {
            match &mut block {
                None if line.trim_start() == "```graphql" => block = Some((n + 1, String::new())),
                Some((start, body)) if line.trim_start().starts_with("```") => {
                    found.push((format!("{name}:{start}"), std::mem::take(body)));
                    block = None;
                }
                Some((_, body)) => {
                    body.push_str(line);
                    body.push('\n');
                }
                None => {}
            }
        }
    }
    found
}

async fn send(app: &TestApp, key: Option<&str>, body: Value) -> GqlResponse {
    let mut req = app.client.post(app.url("/graphql")).json(&body);
    if let Some(key) = key {
        req = req.header("x-api-key", key);
    }
    let res = req.send().await.expect("sent");
    GqlResponse {
        status: res.status().as_u16(),
        headers: res.headers().clone(),
        body: res.json().await.expect("JSON"),
    }
}

#[tokio::test]
async fn every_graphql_example_in_the_docs_is_valid_and_runs_under_the_default_limits() {
    // The demo content (what `chorus serve` loads into an empty database): the
    // campaigns and stories the examples name, and a mobile app's key.
    let app = spawn_app().await;
    api::demo::load(&app.db, clock::now()).await.expect("demo");
    let key = api::demo::stories::load(
        &app.db,
        &app.state.crypto,
        &app.state.config.consent,
        clock::now(),
    )
    .await
    .expect("demo stories")
    .expect("a demo key");
    // A story's slug, for the examples that read one (it need not be visible
    // to this key: an answer of `null` is the example working).
    let slug = entity::story::Entity::find()
        .one(&app.db)
        .await
        .expect("read")
        .expect("the demo has stories")
        .slug;
    let variables = json!({ "slug": slug, "since": null, "after": null });

    let examples = examples();
    assert!(examples.len() >= 6, "found only {examples:?}");
    for (at, text) in &examples {
        let doc = async_graphql_parser::parse_query(text)
            .unwrap_or_else(|e| panic!("{at}: not a GraphQL document: {e}\n{text}"));
        let operations: Vec<(Option<String>, OperationType)> = match &doc.operations {
            DocumentOperations::Single(op) => vec![(None, op.node.ty)],
            DocumentOperations::Multiple(ops) => ops
                .iter()
                .map(|(name, op)| (Some(name.to_string()), op.node.ty))
                .collect(),
        };
        for (name, ty) in operations {
            let caller = match ty {
                OperationType::Mutation => None,
                _ => Some(key.as_str()),
            };
            let res = send(
                &app,
                caller,
                json!({ "query": text, "operationName": name, "variables": variables }),
            )
            .await;
            let what = format!("{at} {}", name.as_deref().unwrap_or("(anonymous)"));
            for error in res.body["errors"].as_array().into_iter().flatten() {
                assert!(
                    error["path"].is_array() && error["extensions"]["code"] != "QUERY_TOO_COMPLEX",
                    "{what}: refused as written: {error}"
                );
            }
            if ty == OperationType::Query {
                assert!(!res.body["data"].is_null(), "{what}: {}", res.body);
            }
        }
    }
}
