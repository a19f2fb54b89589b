//! Failure limits under concurrency, and counted apart by purpose: a burst of
//! parallel guesses gets no more answers than the limit allows, and mistyped
//! staff logins never stand between a storyteller and their withdrawal.

use api::auth::Role;
use entity::api_key::Channel;
use serde_json::{Value, json};
use tokio::task::JoinSet;

use crate::{
    fixtures::{self, Person},
    helpers::{GqlResponse, PASSWORD, TestApp, spawn_app, spawn_app_with},
};

const WITHDRAW: &str = "mutation($c: String!) { withdrawConsent(code: $c) { withdrawn } }";

async fn withdraw(app: &TestApp, code: &str) -> GqlResponse {
    app.gql(None, WITHDRAW, json!({ "c": code })).await
}

/// Sends every request at once (each its own task) and returns how many
/// answers carried `refused` and how many `RATE_LIMITED`; anything else fails.
async fn burst(app: &TestApp, requests: Vec<Value>, refused: &str) -> (usize, usize) {
    let mut sent = JoinSet::new();
    for body in requests {
        let (client, url) = (app.client.clone(), app.url("/graphql"));
        sent.spawn(async move {
            let res = client.post(url).json(&body).send().await.expect("sent");
            res.json::<Value>().await.expect("JSON")
        });
    }
    let mut counted = (0, 0);
    while let Some(answer) = sent.join_next().await {
        let answer = answer.expect("task");
        match answer["errors"][0]["extensions"]["code"].as_str() {
            Some(code) if code == refused => counted.0 += 1,
            Some("RATE_LIMITED") => counted.1 += 1,
            _ => panic!("unexpected answer: {answer}"),
        }
    }
    counted
}

/// A storyteller with a current consent and the withdrawal code they hold.
async fn storyteller_with_code(app: &TestApp) -> String {
    let editor = fixtures::staff(&app.db, "editor@chorus.test", Role::Editor).await;
    let teller = fixtures::storyteller_without_consent(
        &app.db,
        &app.state.crypto,
        &editor,
        Person::Adult,
        "Mira Example",
    )
    .await;
    fixtures::consent(&app.db, teller.id, fixtures::terms(&[Channel::MobileApp]))
        .await
        .withdrawal_code
        .expect("a withdrawal code")
}

#[tokio::test]
async fn thirty_parallel_wrong_passwords_get_at_most_the_account_limit_of_password_checks() {
    // The default limit: 5 failures per account.
    let app = spawn_app().await;
    app.create_user("ana@example.org", Role::Editor).await;
    let logins = (0..30)
        .map(|i| {
            json!({
                "query": "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }",
                "variables": { "e": "ana@example.org", "p": format!("wrong password number {i}") },
            })
        })
        .collect();
    let (checked, limited) = burst(&app, logins, "UNAUTHENTICATED").await;
    assert_eq!(
        checked, 5,
        "exactly the limit is checked against the hash ({limited} limited)"
    );
    assert_eq!(limited, 25);
}

#[tokio::test]
async fn thirty_parallel_wrong_withdrawal_codes_get_at_most_the_address_limit_of_answers() {
    // The default limit: 10 wrong codes per address.
    let app = spawn_app().await;
    let code = storyteller_with_code(&app).await;
    let guesses = (0..30)
        .map(|i| {
            json!({
                "query": WITHDRAW,
                "variables": { "c": format!("AAAAA-AAAAA-AAAAA-AAAAA-AA{i:03}") },
            })
        })
        .collect();
    let (refused, limited) = burst(&app, guesses, "NOT_FOUND").await;
    assert_eq!(
        refused, 10,
        "exactly the limit is answered ({limited} limited)"
    );
    assert_eq!(limited, 20);

    // The storyteller's own code still works from the same address.
    let res = withdraw(&app, &code).await;
    assert_eq!(res.data()["withdrawConsent"]["withdrawn"], true);
}

#[tokio::test]
async fn mistyped_staff_logins_do_not_block_a_withdrawal_from_the_same_address() {
    let app = spawn_app_with(&[("CHORUS_LOGIN_MAX_FAILURES_PER_ADDRESS", "12")]).await;
    let code = storyteller_with_code(&app).await;
    // An office of people mistyping their passwords, one address.
    for i in 0..12 {
        let res = app
            .login(&format!("colleague{i}@example.org"), "not my password")
            .await;
        assert_eq!(res.code(), "UNAUTHENTICATED");
    }
    assert_eq!(
        app.login("ana@example.org", PASSWORD).await.code(),
        "RATE_LIMITED",
        "staff logins from the address are limited"
    );

    // Wrong codes are still answered as wrong (their own count is untouched)...
    let res = withdraw(&app, "AAAAA-AAAAA-AAAAA-AAAAA-AAAAA").await;
    assert_eq!(res.code(), "NOT_FOUND");
    // ...and the storyteller's code works.
    let res = withdraw(&app, &code).await;
    assert_eq!(res.data()["withdrawConsent"]["withdrawn"], true);
}

#[tokio::test]
async fn wrong_withdrawal_codes_do_not_block_staff_logins_from_the_same_address() {
    let app = spawn_app_with(&[("CHORUS_WITHDRAWAL_MAX_FAILURES_PER_ADDRESS", "3")]).await;
    app.create_user("ana@example.org", Role::Editor).await;
    for i in 0..3 {
        let res = withdraw(&app, &format!("AAAAA-AAAAA-AAAAA-AAAAA-AAAA{i}")).await;
        assert_eq!(res.code(), "NOT_FOUND");
    }
    assert_eq!(
        withdraw(&app, "AAAAA-AAAAA-AAAAA-AAAAA-AAAA9").await.code(),
        "RATE_LIMITED"
    );
    app.login("ana@example.org", PASSWORD).await.data();
}
