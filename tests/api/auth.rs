//! Signing in, rotating refresh tokens, catching reuse, signing out, rate limits.

use api::auth::Role;
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, spawn_app, spawn_app_with};

const REFRESH: &str = "mutation($t: String!) {
    refreshSession(refreshToken: $t) { accessToken refreshToken user { email } }
}";

async fn refresh(app: &TestApp, token: &str) -> crate::helpers::GqlResponse {
    app.gql(None, REFRESH, json!({ "t": token })).await
}

async fn me(app: &TestApp, token: &str) -> crate::helpers::GqlResponse {
    app.gql(Some(token), "{ me { email role } }", json!({}))
        .await
}

#[tokio::test]
async fn login_returns_tokens_and_me_answers_with_email_and_role() {
    let app = spawn_app().await;
    app.create_user("Editor@Example.org", Role::Editor).await;

    let res = app.login("editor@example.org", PASSWORD).await;
    let login = &res.data()["login"];
    assert_eq!(login["user"]["email"], "editor@example.org");
    assert_eq!(login["user"]["role"], "EDITOR");
    assert!(
        login["refreshToken"]
            .as_str()
            .unwrap()
            .starts_with("chorus_rt_")
    );

    let res = me(&app, login["accessToken"].as_str().unwrap()).await;
    assert_eq!(
        res.data()["me"],
        json!({ "email": "editor@example.org", "role": "EDITOR" })
    );
}

#[tokio::test]
async fn me_without_a_token_is_unauthenticated() {
    let app = spawn_app().await;
    let res = app.gql(None, "{ me { email } }", json!({})).await;
    assert_eq!(res.code(), "UNAUTHENTICATED");
}

#[tokio::test]
async fn unknown_email_and_wrong_password_get_the_same_answer() {
    let app = spawn_app().await;
    app.create_user("ana@example.org", Role::Editor).await;

    let wrong_password = app
        .login("ana@example.org", "not the password at all")
        .await;
    let unknown_email = app
        .login("nobody@example.org", "not the password at all")
        .await;
    assert_eq!(wrong_password.code(), "UNAUTHENTICATED");
    assert_eq!(wrong_password.body, unknown_email.body);
    assert_eq!(wrong_password.status, unknown_email.status);
}

#[tokio::test]
async fn refresh_rotates_both_tokens_and_the_new_access_token_works() {
    let app = spawn_app().await;
    app.create_user("ana@example.org", Role::Contributor).await;
    let first = app.login("ana@example.org", PASSWORD).await.data()["login"].clone();

    let res = refresh(&app, first["refreshToken"].as_str().unwrap()).await;
    let second = &res.data()["refreshSession"];
    assert_ne!(second["refreshToken"], first["refreshToken"]);
    assert_eq!(second["user"]["email"], "ana@example.org");
    let res = me(&app, second["accessToken"].as_str().unwrap()).await;
    assert_eq!(res.data()["me"]["role"], "CONTRIBUTOR");
}

#[tokio::test]
async fn reusing_a_spent_refresh_token_revokes_the_whole_session() {
    let app = spawn_app().await;
    app.create_user("ana@example.org", Role::Editor).await;
    let first = app.login("ana@example.org", PASSWORD).await.data()["login"].clone();
    let spent = first["refreshToken"].as_str().unwrap();
    let second = refresh(&app, spent).await.data()["refreshSession"].clone();

    // Someone replays the spent token: refused, and the family is revoked.
    let replay = refresh(&app, spent).await;
    assert_eq!(replay.code(), "UNAUTHENTICATED");

    // So the newest refresh token and the access token issued with it stop working too.
    let res = refresh(&app, second["refreshToken"].as_str().unwrap()).await;
    assert_eq!(res.code(), "UNAUTHENTICATED");
    let res = me(&app, second["accessToken"].as_str().unwrap()).await;
    assert_eq!(res.code(), "UNAUTHENTICATED");

    // A separate login is a separate session and is unaffected.
    let other = app.login("ana@example.org", PASSWORD).await;
    let res = me(&app, other.data()["login"]["accessToken"].as_str().unwrap()).await;
    assert_eq!(res.data()["me"]["email"], "ana@example.org");
}

#[tokio::test]
async fn an_unknown_refresh_token_is_unauthenticated() {
    let app = spawn_app().await;
    let res = refresh(&app, "chorus_rt_made-up").await;
    assert_eq!(res.code(), "UNAUTHENTICATED");
}

#[tokio::test]
async fn logout_ends_the_access_and_refresh_tokens_at_once() {
    let app = spawn_app().await;
    app.create_user("ana@example.org", Role::Admin).await;
    let login = app.login("ana@example.org", PASSWORD).await.data()["login"].clone();
    let access = login["accessToken"].as_str().unwrap();

    let res = app
        .gql(Some(access), "mutation { logout }", json!({}))
        .await;
    assert_eq!(res.data()["logout"], true);

    assert_eq!(me(&app, access).await.code(), "UNAUTHENTICATED");
    let res = refresh(&app, login["refreshToken"].as_str().unwrap()).await;
    assert_eq!(res.code(), "UNAUTHENTICATED");
}

#[tokio::test]
async fn logout_without_a_session_is_unauthenticated() {
    let app = spawn_app().await;
    let res = app.gql(None, "mutation { logout }", json!({})).await;
    assert_eq!(res.code(), "UNAUTHENTICATED");
}

#[tokio::test]
async fn login_is_rate_limited_per_account_even_with_the_right_password() {
    let app = spawn_app_with(&[("CHORUS_LOGIN_MAX_FAILURES_PER_ACCOUNT", "3")]).await;
    app.create_user("ana@example.org", Role::Editor).await;
    for _ in 0..3 {
        let res = app.login("ana@example.org", "wrong password, wrong").await;
        assert_eq!(res.code(), "UNAUTHENTICATED");
    }

    let res = app.login("ana@example.org", PASSWORD).await;
    assert_eq!(res.code(), "RATE_LIMITED");
    let retry = res.body["errors"][0]["extensions"]["retryAfterSeconds"]
        .as_u64()
        .unwrap();
    assert!((1..=15 * 60).contains(&retry), "retry after {retry}s");

    // Another account from the same address is not locked out by it.
    app.create_user("ben@example.org", Role::Editor).await;
    assert!(app.login("ben@example.org", PASSWORD).await.body["errors"].is_null());
}

#[tokio::test]
async fn a_successful_login_restarts_the_account_failure_count() {
    let app = spawn_app_with(&[("CHORUS_LOGIN_MAX_FAILURES_PER_ACCOUNT", "3")]).await;
    app.create_user("ana@example.org", Role::Editor).await;
    for _ in 0..2 {
        app.login("ana@example.org", "wrong password, wrong").await;
    }
    app.login("ana@example.org", PASSWORD).await.data();
    for _ in 0..2 {
        app.login("ana@example.org", "wrong password, wrong").await;
    }
    app.login("ana@example.org", PASSWORD).await.data();
}

#[tokio::test]
async fn login_is_rate_limited_per_client_address_across_accounts() {
    let app = spawn_app_with(&[("CHORUS_LOGIN_MAX_FAILURES_PER_ADDRESS", "4")]).await;
    app.create_user("ana@example.org", Role::Editor).await;
    for i in 0..4 {
        let res = app
            .login(&format!("guess{i}@example.org"), "some password guess")
            .await;
        assert_eq!(res.code(), "UNAUTHENTICATED");
    }
    let res = app.login("ana@example.org", PASSWORD).await;
    assert_eq!(res.code(), "RATE_LIMITED");
}
