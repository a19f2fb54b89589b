//! What the newsroom's consent form needs from the API: editors name partners in
//! consent terms, so they may list them; contributors, who record no consent, may not.

use api::auth::Role;
use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn editors_list_partners_to_name_them_in_consent_but_contributors_cannot() {
    let app = spawn_app().await;
    let admin = app.token_for("admin@example.org", Role::Admin).await;
    let editor = app.token_for("editor@example.org", Role::Editor).await;
    let contributor = app.token_for("writer@example.org", Role::Contributor).await;
    app.gql(
        Some(&admin),
        "mutation { createPartner(slug: \"refugee-voices\", name: \"Refugee Voices\") { id } }",
        json!({}),
    )
    .await
    .data();

    const LIST: &str = "{ partners(first: 100) { nodes { id slug name } } }";
    let listed = app.gql(Some(&editor), LIST, json!({})).await;
    assert_eq!(
        listed.data()["partners"]["nodes"][0]["name"],
        json!("Refugee Voices")
    );
    let refused = app.gql(Some(&contributor), LIST, json!({})).await;
    assert_eq!(refused.code(), "FORBIDDEN");
    let created = app
        .gql(
            Some(&editor),
            "mutation { createPartner(slug: \"other\", name: \"Other\") { id } }",
            json!({}),
        )
        .await;
    assert_eq!(created.code(), "FORBIDDEN", "only admins create partners");
}
