//! Partners and API keys: admins issue them, the secret is shown once and stored
//! hashed, and revoked or expired keys are refused.

use api::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{GqlResponse, TestApp, spawn_app};

const CREATE_KEY: &str = "mutation($input: CreateApiKeyInput!) {
    createApiKey(input: $input) { secret apiKey { id prefix channel partnerId lastUsedAt } }
}";

async fn with_key(app: &TestApp, key: &str, query: &str) -> GqlResponse {
    let res = app
        .client
        .post(app.url("/graphql"))
        .header("x-api-key", key)
        .json(&json!({ "query": query }))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    GqlResponse {
        status,
        headers,
        body: res.json().await.unwrap(),
    }
}

async fn partner(app: &TestApp, admin: &str) -> Value {
    let res = app
        .gql(Some(admin), "mutation { createPartner(slug: \"migrants-rights-network\", name: \"Migrants' Rights Network\") { id } }", json!({}))
        .await;
    res.data()["createPartner"]["id"].clone()
}

#[tokio::test]
async fn an_admin_issues_a_key_whose_secret_is_shown_once_and_stored_hashed() {
    let app = spawn_app().await;
    let admin = app.token_for("admin@example.org", Role::Admin).await;
    let partner = partner(&app, &admin).await;
    let res = app
        .gql(Some(&admin), CREATE_KEY, json!({ "input": { "name": "Partner site", "channel": "PARTNER_SITES", "partnerId": partner } }))
        .await;
    let created = res.data()["createApiKey"].clone();
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("chk_") && secret.len() > 40);
    assert!(secret.starts_with(created["apiKey"]["prefix"].as_str().unwrap()));

    // The key reads public content, and its use is recorded.
    let res = with_key(&app, &secret, "{ campaigns { edges { cursor } } }").await;
    assert!(res.body["errors"].is_null(), "{}", res.body);
    let res = app
        .gql(
            Some(&admin),
            "{ apiKeys { edges { node { lastUsedAt } } } }",
            json!({}),
        )
        .await;
    assert!(!res.data()["apiKeys"]["edges"][0]["node"]["lastUsedAt"].is_null());

    // Only the hash is stored; nothing lists the secret again.
    use sea_orm::EntityTrait;
    let stored = entity::api_key::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(
        stored[0].secret_hash,
        api::auth::sha256_hex(secret.as_bytes())
    );
    assert!(
        !format!("{:?}", stored[0]).contains(&secret[4..]),
        "the secret itself is nowhere in the row"
    );
}

#[tokio::test]
async fn revoked_expired_and_made_up_keys_are_unauthenticated() {
    let app = spawn_app().await;
    let admin = app.token_for("admin@example.org", Role::Admin).await;
    let res = app
        .gql(
            Some(&admin),
            CREATE_KEY,
            json!({ "input": { "name": "App", "channel": "MOBILE_APP" } }),
        )
        .await;
    let created = res.data()["createApiKey"].clone();
    let secret = created["secret"].as_str().unwrap().to_owned();
    let query = "{ campaigns { edges { cursor } } }";
    assert!(with_key(&app, &secret, query).await.body["errors"].is_null());

    app.gql(
        Some(&admin),
        "mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }",
        json!({ "id": created["apiKey"]["id"] }),
    )
    .await
    .data();
    let res = with_key(&app, &secret, query).await;
    assert_eq!(res.code(), "UNAUTHENTICATED");
    assert!(res.body["data"].is_null());

    for made_up in ["chk_not-a-real-key", "nonsense", ""] {
        assert_eq!(
            with_key(&app, made_up, query).await.code(),
            "UNAUTHENTICATED",
            "{made_up}"
        );
    }

    // An expired key: issued, then its expiry passes.
    let res = app
        .gql(
            Some(&admin),
            CREATE_KEY,
            json!({ "input": { "name": "Short-lived", "channel": "PRESS", "expiresAt": chrono::Utc::now() + chrono::Duration::seconds(1) } }),
        )
        .await;
    let short = res.data()["createApiKey"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    assert_eq!(
        with_key(&app, &short, query).await.code(),
        "UNAUTHENTICATED"
    );
}

#[tokio::test]
async fn only_admins_manage_keys_and_keys_cannot_act_as_staff() {
    let app = spawn_app().await;
    let admin = app.token_for("admin@example.org", Role::Admin).await;
    let editor = app.token_for("editor@example.org", Role::Editor).await;
    let input = json!({ "input": { "name": "Site", "channel": "PUBLIC_WEB" } });
    assert_eq!(
        app.gql(Some(&editor), CREATE_KEY, input.clone())
            .await
            .code(),
        "FORBIDDEN"
    );
    assert_eq!(
        app.gql(None, CREATE_KEY, input.clone()).await.code(),
        "UNAUTHENTICATED"
    );
    assert_eq!(
        app.gql(Some(&editor), "{ apiKeys { edges { cursor } } }", json!({}))
            .await
            .code(),
        "FORBIDDEN"
    );

    // A partner-sites key must name its partner.
    let res = app
        .gql(
            Some(&admin),
            CREATE_KEY,
            json!({ "input": { "name": "Site", "channel": "PARTNER_SITES" } }),
        )
        .await;
    assert_eq!(res.code(), "BAD_USER_INPUT");
    assert_eq!(res.body["errors"][0]["extensions"]["field"], "partnerId");

    let res = app.gql(Some(&admin), CREATE_KEY, input).await;
    let secret = res.data()["createApiKey"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = with_key(&app, &secret, "{ editorialStories { edges { cursor } } }").await;
    assert_eq!(
        res.code(),
        "FORBIDDEN",
        "a key reads published stories only, never the staff views"
    );
    let res = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&admin)
        .header("x-api-key", &secret)
        .json(&json!({ "query": "{ me { email } }" }))
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "one credential at a time"
    );
}
