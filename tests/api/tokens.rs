//! Every forged, stale or malformed access token is `UNAUTHENTICATED`.

use api::auth::Role;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::helpers::{JWT_SECRET, PASSWORD, TestApp, spawn_app};

/// A signed-in user's real claims, to tamper with.
async fn real_claims(app: &TestApp) -> Value {
    app.create_user("ana@example.org", Role::Editor).await;
    let res = app.login("ana@example.org", PASSWORD).await;
    let token = res.data()["login"]["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn sign(claims: &Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

async fn assert_refused(app: &TestApp, token: &str, why: &str) {
    let res = app
        .gql(Some(token), "{ campaigns { edges { cursor } } }", json!({}))
        .await;
    assert_eq!(res.code(), "UNAUTHENTICATED", "{why}: {}", res.body);
    assert!(res.body["data"].is_null(), "{why}: no data may be served");
}

#[tokio::test]
async fn a_token_signed_with_the_right_key_and_claims_is_accepted() {
    let app = spawn_app().await;
    let claims = real_claims(&app).await;
    let res = app
        .gql(
            Some(&sign(&claims, JWT_SECRET)),
            "{ me { email } }",
            json!({}),
        )
        .await;
    assert_eq!(res.data()["me"]["email"], "ana@example.org");
}

#[tokio::test]
async fn forged_stale_and_malformed_tokens_are_unauthenticated() {
    let app = spawn_app().await;
    let claims = real_claims(&app).await;
    let now = chrono::Utc::now().timestamp();
    let with = |key: &str, value: Value| {
        let mut c = claims.clone();
        c[key] = value;
        c
    };
    let without = |key: &str| {
        let mut c = claims.clone();
        c.as_object_mut().unwrap().remove(key);
        c
    };

    let header_none = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let body = URL_SAFE_NO_PAD.encode(claims.to_string());
    let unsigned = format!("{header_none}.{body}.");
    assert_refused(&app, &unsigned, "alg none").await;

    let hs512 = jsonwebtoken::encode(
        &Header::new(Algorithm::HS512),
        &claims,
        &EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .unwrap();
    assert_refused(&app, &hs512, "another algorithm").await;

    assert_refused(
        &app,
        &sign(&claims, "another-secret-of-at-least-32-bytes!!"),
        "wrong key",
    )
    .await;
    assert_refused(
        &app,
        &sign(&with("aud", json!("partner-api")), JWT_SECRET),
        "wrong audience",
    )
    .await;
    assert_refused(
        &app,
        &sign(&with("iss", json!("someone-else")), JWT_SECRET),
        "wrong issuer",
    )
    .await;
    assert_refused(
        &app,
        &sign(&with("exp", json!(now - 3600)), JWT_SECRET),
        "expired",
    )
    .await;
    assert_refused(
        &app,
        &sign(&with("iat", json!(now + 3600)), JWT_SECRET),
        "issued in the future",
    )
    .await;
    for claim in ["exp", "iat", "iss", "aud", "sub"] {
        assert_refused(&app, &sign(&without(claim), JWT_SECRET), claim).await;
    }
    assert_refused(
        &app,
        &sign(&with("sid", json!(uuid::Uuid::now_v7())), JWT_SECRET),
        "unknown session",
    )
    .await;
    assert_refused(
        &app,
        &sign(&with("sub", json!(uuid::Uuid::now_v7())), JWT_SECRET),
        "session of another user",
    )
    .await;

    let real = sign(&claims, JWT_SECRET);
    let (head, rest) = real.split_once('.').unwrap();
    let tampered_body = URL_SAFE_NO_PAD.encode(with("sub", json!("x")).to_string());
    let tampered = format!("{head}.{tampered_body}.{}", rest.split('.').nth(1).unwrap());
    assert_refused(&app, &tampered, "tampered payload").await;

    for junk in ["abc", "a.b.c", "", "Bearer", "eyJhbGciOiJIUzI1NiJ9..."] {
        assert_refused(&app, junk, junk).await;
    }
}

#[tokio::test]
async fn an_authorization_header_that_is_not_bearer_is_refused() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(app.url("/graphql"))
        .header("authorization", "Basic YW5hOnB3")
        .json(&json!({ "query": "{ campaigns { edges { cursor } } }" }))
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    assert!(body["data"].is_null());
}

#[tokio::test]
async fn a_token_is_refused_before_its_not_before_time_and_accepted_after() {
    let app = spawn_app().await;
    let claims = real_claims(&app).await;
    let now = chrono::Utc::now().timestamp();
    let with_nbf = |nbf: i64| {
        let mut c = claims.clone();
        c["nbf"] = json!(nbf);
        sign(&c, JWT_SECRET)
    };
    // An hour ahead, and just past the 30 s of clock difference allowed.
    assert_refused(&app, &with_nbf(now + 3600), "nbf an hour ahead").await;
    assert_refused(&app, &with_nbf(now + 90), "nbf 90 s ahead").await;
    let res = app
        .gql(Some(&with_nbf(now - 60)), "{ me { email } }", json!({}))
        .await;
    assert_eq!(res.data()["me"]["email"], "ana@example.org");
}
