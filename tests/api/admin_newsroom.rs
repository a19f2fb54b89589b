//! The editors' newsroom (`/admin`): nothing of a staff session is kept by a
//! browser or a proxy, and every GraphQL document the newsroom sends is valid
//! against the committed schema.

use api::auth::Role;
use reqwest::Method;
use serde_json::json;

use crate::helpers::spawn_app;

/// A staff member's answers may hold a storyteller's legal name: whatever the
/// request and whoever answered it, nothing may keep them for the next person at
/// that browser.
#[tokio::test]
async fn every_answer_to_a_staff_request_is_no_store() {
    let app = spawn_app().await;
    let token = app.token_for("editor@chorus.test", Role::Editor).await;
    let bearer = format!("Bearer {token}");
    let query = json!({ "query": "{ me { email role } }" });

    let cases = [
        (
            "POST",
            app.client
                .post(app.url("/graphql"))
                .header("authorization", &bearer)
                .json(&query),
        ),
        (
            "GET",
            app.client
                .get(app.url("/graphql"))
                .header("authorization", &bearer)
                .query(&[("query", "{ me { email } }")]),
        ),
        (
            "a malformed body",
            app.client
                .post(app.url("/graphql"))
                .header("authorization", &bearer)
                .header("content-type", "application/json")
                .body("{not json"),
        ),
        (
            "a method /graphql does not take",
            app.client
                .request(Method::PUT, app.url("/graphql"))
                .header("authorization", &bearer)
                .json(&query),
        ),
        (
            "DELETE",
            app.client
                .request(Method::DELETE, app.url("/graphql"))
                .header("authorization", &bearer),
        ),
        (
            "a session that has ended",
            app.client
                .post(app.url("/graphql"))
                .header("authorization", "Bearer not-a-live-token")
                .json(&query),
        ),
    ];
    for (what, request) in cases {
        let res = request.send().await.expect("request sent");
        let status = res.status();
        let cache_control = res
            .headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        assert_eq!(
            cache_control.as_deref(),
            Some("no-store"),
            "{what} (HTTP {status})"
        );
    }

    // The staff answer itself really is the signed-in person's.
    let res = app.gql(Some(&token), "{ me { email } }", json!({})).await;
    assert_eq!(res.data()["me"]["email"], "editor@chorus.test");
}
