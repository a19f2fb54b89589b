//! The contract every client relies on: the committed schema, request limits, and a
//! code on every error.

use api::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{spawn_app, spawn_app_with};

#[test]
fn schema_graphql_matches_the_code() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
        .expect("schema.graphql at the repository root");
    let generated = api::graphql::sdl();
    assert!(
        committed == generated,
        "schema.graphql is out of date with the code. Regenerate it with\n\n    cargo run -q -- schema > schema.graphql\n\nand commit the change (review it: it is the public contract)."
    );
}

#[tokio::test]
async fn a_query_nested_too_deep_is_query_too_complex() {
    let app = spawn_app().await;
    let deep = format!(
        "{{ __schema {{ types {{ fields {{ type {} name {} }} }} }} }}",
        "{ ofType ".repeat(12),
        "}".repeat(12)
    );
    let res = app.gql(None, &deep, json!({})).await;
    assert_eq!(res.code(), "QUERY_TOO_COMPLEX");
    assert!(res.body["data"].is_null());
}

#[tokio::test]
async fn a_query_asking_for_too_much_is_query_too_complex() {
    let app = spawn_app().await;
    let fields = "edges { node { id slug name hashtag startsOn endsOn description } }";
    let query = format!(
        "{{ a: campaigns(first: 100) {{ {fields} }} b: campaigns(first: 100) {{ {fields} }} }}"
    );
    let res = app.gql(None, &query, json!({})).await;
    assert_eq!(res.code(), "QUERY_TOO_COMPLEX");

    // The same fields on a small page are fine.
    let query = format!("{{ a: campaigns(first: 10) {{ {fields} }} }}");
    app.gql(None, &query, json!({})).await.data();
}

#[tokio::test]
async fn malformed_requests_are_bad_user_input() {
    let app = spawn_app().await;
    for query in [
        "{ campaigns { ",
        "{ noSuchField }",
        "query($n: Int!) { campaigns(first: $n) { edges { cursor } } }",
    ] {
        let res = app.gql(None, query, json!({})).await;
        assert_eq!(res.codes(), vec!["BAD_USER_INPUT"], "{query}: {}", res.body);
    }
    let res = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
}

#[tokio::test]
async fn an_oversized_body_is_payload_too_large() {
    let app = spawn_app_with(&[("CHORUS_GRAPHQL_MAX_BODY_BYTES", "1024")]).await;
    let query = format!(
        "{{ campaigns {{ edges {{ cursor }} }} }} # {}",
        "x".repeat(2048)
    );
    let res = app.gql(None, &query, json!({})).await;
    assert_eq!(res.status, 413);
    assert_eq!(res.code(), "PAYLOAD_TOO_LARGE");
}

#[tokio::test]
async fn get_serves_queries_and_refuses_mutations() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", "{ campaigns { edges { cursor } } }")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert!(body["data"]["campaigns"]["edges"].is_array(), "{body}");

    let res = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", "mutation { logout }")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 405);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
}

/// The shape of the schema query GraphiQL and most clients send: type references
/// nested nine `ofType`s deep.
fn standard_introspection_query() -> String {
    let type_ref = format!(
        "kind name {}",
        "ofType { kind name ".repeat(9) + &"}".repeat(9)
    );
    format!(
        "query IntrospectionQuery {{ __schema {{
            queryType {{ name }} mutationType {{ name }} subscriptionType {{ name }}
            types {{ ...FullType }}
            directives {{ name description locations args {{ ...InputValue }} }}
        }} }}
        fragment FullType on __Type {{
            kind name description
            fields(includeDeprecated: true) {{
                name description args {{ ...InputValue }} type {{ ...TypeRef }}
                isDeprecated deprecationReason
            }}
            inputFields {{ ...InputValue }}
            interfaces {{ ...TypeRef }}
            enumValues(includeDeprecated: true) {{ name description isDeprecated deprecationReason }}
            possibleTypes {{ ...TypeRef }}
        }}
        fragment InputValue on __InputValue {{ name description type {{ ...TypeRef }} defaultValue }}
        fragment TypeRef on __Type {{ {type_ref} }}"
    )
}

#[tokio::test]
async fn the_admins_schema_query_fits_the_default_limits() {
    let app = spawn_app_with(&[("CHORUS_PUBLIC_INTROSPECTION", "false")]).await;
    let editor = app.token_for("editor@example.org", Role::Editor).await;
    let res = app
        .gql(Some(&editor), &standard_introspection_query(), json!({}))
        .await;
    let types = res.data()["__schema"]["types"].as_array().unwrap();
    assert!(types.iter().any(|t| t["name"] == "Campaign"));
}

#[tokio::test]
async fn introspection_can_be_limited_to_signed_in_staff() {
    let app = spawn_app_with(&[("CHORUS_PUBLIC_INTROSPECTION", "false")]).await;
    let query = "{ __schema { queryType { name } } }";
    for query in [
        query,
        "{ __type(name: \"Campaign\") { name } }",
        "query { ...q } fragment q on Query { __schema { types { name } } }",
    ] {
        let res = app.gql(None, query, json!({})).await;
        assert_eq!(res.code(), "FORBIDDEN", "{query}: {}", res.body);
        assert!(res.body["data"].is_null());
    }
    // Ordinary queries, `__typename` included, still work for everyone.
    let res = app
        .gql(
            None,
            "{ __typename campaigns { edges { cursor } } }",
            json!({}),
        )
        .await;
    assert_eq!(res.data()["__typename"], "Query");

    let contributor = app.token_for("writer@example.org", Role::Contributor).await;
    let res = app.gql(Some(&contributor), query, json!({})).await;
    assert_eq!(res.data()["__schema"]["queryType"]["name"], "Query");
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_internal_errors_repeat_it() {
    let app = spawn_app().await;
    let res = app
        .gql(None, "{ campaigns { edges { cursor } } }", json!({}))
        .await;
    assert!(res.headers.get("x-request-id").is_some());

    // Take the database away from under the server.
    app.db.clone().close().await.unwrap();
    let res = app
        .gql(None, "{ campaigns { edges { cursor } } }", json!({}))
        .await;
    assert_eq!(res.code(), "INTERNAL");
    assert_eq!(
        res.message(),
        "internal error",
        "no database text reaches the client"
    );
    let header = res.headers["x-request-id"].to_str().unwrap();
    assert_eq!(res.body["errors"][0]["extensions"]["requestId"], header);
}

#[test]
fn every_setting_is_documented_in_the_readme_and_env_example() {
    let root = env!("CARGO_MANIFEST_DIR");
    let read = |path: &str| std::fs::read_to_string(format!("{root}/{path}")).unwrap();
    let source = read("api/src/config.rs");
    let mut settings: Vec<&str> = source
        .match_indices("\"CHORUS_")
        .map(|(i, _)| {
            let rest = &source[i + 1..];
            &rest[..rest.find('"').unwrap()]
        })
        .collect();
    settings.sort();
    settings.dedup();
    assert!(settings.len() > 20, "found the settings: {settings:?}");
    let (readme, example) = (read("README.md"), read(".env.example"));
    for setting in settings {
        assert!(
            readme.contains(&format!("`{setting}`")),
            "README.md does not document {setting}"
        );
        assert!(
            example.contains(&format!("\n{setting}=")),
            ".env.example does not list {setting}"
        );
    }
}
