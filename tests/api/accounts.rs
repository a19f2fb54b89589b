//! Accounts that can be ended: a password change, a disabling or an admin's
//! order ends every session at once; admins invite staff with a one-time link,
//! change roles, disable and enable accounts, and never lose the last admin.

use std::{io::Write, process::Stdio};

use api::{
    auth::{
        Role,
        accounts::{self, By},
    },
    clock,
};
use serde_json::{Value, json};

use crate::{
    cli::chorus,
    helpers::{GqlResponse, PASSWORD, TestApp, spawn_app},
};

const NEW_PASSWORD: &str = "a brand new long password";

/// A signed-in session: its access and refresh tokens.
struct Session {
    access: String,
    refresh: String,
}

async fn sign_in(app: &TestApp, email: &str, password: &str) -> Session {
    let res = app.login(email, password).await;
    let login = &res.data()["login"];
    Session {
        access: login["accessToken"].as_str().expect("access").to_owned(),
        refresh: login["refreshToken"].as_str().expect("refresh").to_owned(),
    }
}

async fn me(app: &TestApp, token: &str) -> GqlResponse {
    app.gql(Some(token), "{ me { email role } }", json!({}))
        .await
}

async fn refresh(app: &TestApp, token: &str) -> GqlResponse {
    app.gql(
        None,
        "mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken } }",
        json!({ "t": token }),
    )
    .await
}

/// Asserts that neither token of the session works any more.
async fn assert_ended(app: &TestApp, session: &Session) {
    assert_eq!(me(app, &session.access).await.code(), "UNAUTHENTICATED");
    assert_eq!(
        refresh(app, &session.refresh).await.code(),
        "UNAUTHENTICATED"
    );
}

/// An app with an admin (signed in) and an editor; returns the admin's token.
async fn with_admin(app: &TestApp) -> String {
    app.token_for("admin@example.org", Role::Admin).await
}

async fn user_id(app: &TestApp, email: &str) -> String {
    api::auth::users::find_by_email(&app.db, email)
        .await
        .expect("query")
        .expect("user")
        .id
        .to_string()
}

/// Calls an admin mutation that takes a user `id`.
async fn on_user(app: &TestApp, token: &str, mutation: &str, id: &str) -> GqlResponse {
    let selection = if mutation == "endUserSessions" {
        ""
    } else {
        " { email role disabled }"
    };
    app.gql(
        Some(token),
        &format!("mutation($id: ID!) {{ {mutation}(id: $id){selection} }}"),
        json!({ "id": id }),
    )
    .await
}

async fn set_role(app: &TestApp, token: &str, id: &str, role: &str) -> GqlResponse {
    app.gql(
        Some(token),
        "mutation($id: ID!, $role: Role!) { setUserRole(id: $id, role: $role) { email role } }",
        json!({ "id": id, "role": role }),
    )
    .await
}

const INVITE: &str = "mutation($email: String!, $role: Role!, $name: String) {
    inviteUser(email: $email, role: $role, displayName: $name) {
        url token expiresAt user { id email displayName role pendingInvite }
    }
}";

const ACCEPT: &str = "mutation($token: String!, $password: String!) {
    acceptInvite(token: $token, password: $password) { email pendingInvite }
}";

/// Runs `chorus user <args>` against the app's database, with `stdin` piped in.
fn cli(app: &TestApp, args: &[&str], stdin: &str) -> std::process::Output {
    let dir = tempfile::tempdir().expect("dir");
    let mut child = chorus(dir.path())
        .arg("user")
        .args(args)
        .env("CHORUS_DATABASE_URL", &app.database_url)
        .env("CHORUS_PUBLIC_URL", "https://chorus.example.org")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chorus runs");
    let mut input = child.stdin.take().expect("stdin");
    input.write_all(stdin.as_bytes()).expect("write");
    drop(input);
    child.wait_with_output().expect("output")
}

#[tokio::test]
async fn a_password_change_at_the_command_line_ends_the_old_access_and_refresh_tokens() {
    let app = spawn_app().await;
    app.create_user("ana@example.org", Role::Editor).await;
    let old = sign_in(&app, "ana@example.org", PASSWORD).await;
    me(&app, &old.access).await.data();

    let out = cli(
        &app,
        &["set-password", "--email", "ana@example.org"],
        &format!("{NEW_PASSWORD}\n"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    assert_ended(&app, &old).await;
    assert_eq!(
        app.login("ana@example.org", PASSWORD).await.code(),
        "UNAUTHENTICATED"
    );
    let new = sign_in(&app, "ana@example.org", NEW_PASSWORD).await;
    me(&app, &new.access).await.data();
}

#[tokio::test]
async fn disabling_a_user_ends_their_sessions_and_blocks_login_until_enabled() {
    let app = spawn_app().await;
    let admin = with_admin(&app).await;
    app.create_user("ana@example.org", Role::Editor).await;
    let session = sign_in(&app, "ana@example.org", PASSWORD).await;
    let id = user_id(&app, "ana@example.org").await;

    let res = on_user(&app, &admin, "disableUser", &id).await;
    assert_eq!(res.data()["disableUser"]["disabled"], true);
    assert_ended(&app, &session).await;
    assert_eq!(
        app.login("ana@example.org", PASSWORD).await.code(),
        "UNAUTHENTICATED"
    );

    let res = on_user(&app, &admin, "enableUser", &id).await;
    assert_eq!(res.data()["enableUser"]["disabled"], false);
    assert_ended(&app, &session).await;
    let again = sign_in(&app, "ana@example.org", PASSWORD).await;
    me(&app, &again.access).await.data();
}

#[tokio::test]
async fn ending_a_users_sessions_ends_every_token_and_they_can_sign_in_again() {
    let app = spawn_app().await;
    let admin = with_admin(&app).await;
    app.create_user("ana@example.org", Role::Editor).await;
    let laptop = sign_in(&app, "ana@example.org", PASSWORD).await;
    let phone = sign_in(&app, "ana@example.org", PASSWORD).await;
    let id = user_id(&app, "ana@example.org").await;

    let res = on_user(&app, &admin, "endUserSessions", &id).await;
    assert_eq!(res.data()["endUserSessions"], 2);
    assert_ended(&app, &laptop).await;
    assert_ended(&app, &phone).await;
    me(&app, &admin).await.data();
    let again = sign_in(&app, "ana@example.org", PASSWORD).await;
    me(&app, &again.access).await.data();
}

#[tokio::test]
async fn an_invited_user_sets_a_password_with_a_one_time_link_and_signs_in() {
    let app = spawn_app().await;
    let admin = with_admin(&app).await;
    let res = app
        .gql(
            Some(&admin),
            INVITE,
            json!({ "email": "New@Example.org", "role": "EDITOR", "name": "Nadia K." }),
        )
        .await;
    let invite = res.data()["inviteUser"].clone();
    let token = invite["token"].as_str().expect("token").to_owned();
    assert!(
        invite["url"]
            .as_str()
            .expect("url")
            .ends_with(&format!("/admin#invite={token}")),
        "{invite}"
    );
    assert_eq!(invite["user"]["email"], "new@example.org");
    assert_eq!(invite["user"]["displayName"], "Nadia K.");
    assert_eq!(invite["user"]["pendingInvite"], true);
    // Nobody signs in to an invited account before the link is used.
    assert_eq!(
        app.login("new@example.org", "").await.code(),
        "UNAUTHENTICATED"
    );

    let accept = |token: String, password: &'static str| {
        let app = &app;
        async move {
            app.gql(
                None,
                ACCEPT,
                json!({ "token": token, "password": password }),
            )
            .await
        }
    };
    assert_eq!(
        accept(token.clone(), "short").await.code(),
        "BAD_USER_INPUT",
        "the password rules apply"
    );
    let res = accept(token.clone(), NEW_PASSWORD).await;
    assert_eq!(res.data()["acceptInvite"]["pendingInvite"], false);
    let session = sign_in(&app, "new@example.org", NEW_PASSWORD).await;
    assert_eq!(
        me(&app, &session.access).await.data()["me"]["role"],
        "EDITOR"
    );

    // The link is spent.
    assert_eq!(
        accept(token, "another long password").await.code(),
        "NOT_FOUND"
    );
    // An account with a password cannot be invited again.
    let res = app
        .gql(
            Some(&admin),
            INVITE,
            json!({ "email": "new@example.org", "role": "ADMIN" }),
        )
        .await;
    assert_eq!(res.code(), "CONFLICT");
}

#[tokio::test]
async fn an_invitation_link_expires_and_a_new_invitation_replaces_the_old_link() {
    let app = spawn_app().await;
    let ttl = std::time::Duration::from_secs(72 * 3600);
    let long_ago = clock::now() - chrono::Duration::hours(73);
    let expired = accounts::invite(
        &app.db,
        By::Cli,
        "late@example.org",
        Role::Contributor,
        None,
        ttl,
        long_ago,
    )
    .await
    .expect("invited");
    let res = app
        .gql(
            None,
            ACCEPT,
            json!({ "token": expired.token, "password": NEW_PASSWORD }),
        )
        .await;
    assert_eq!(res.code(), "NOT_FOUND", "an expired link");

    let first = accounts::invite(
        &app.db,
        By::Cli,
        "late@example.org",
        Role::Contributor,
        None,
        ttl,
        clock::now(),
    )
    .await
    .expect("invited again");
    let second = accounts::invite(
        &app.db,
        By::Cli,
        "late@example.org",
        Role::Editor,
        None,
        ttl,
        clock::now(),
    )
    .await
    .expect("and again");
    let accept = |token: String| {
        let app = &app;
        async move {
            app.gql(
                None,
                ACCEPT,
                json!({ "token": token, "password": NEW_PASSWORD }),
            )
            .await
        }
    };
    assert_eq!(accept(first.token).await.code(), "NOT_FOUND", "replaced");
    accept(second.token).await.data();
    let session = sign_in(&app, "late@example.org", NEW_PASSWORD).await;
    assert_eq!(
        me(&app, &session.access).await.data()["me"]["role"],
        "EDITOR"
    );
}

#[tokio::test]
async fn a_role_change_applies_to_the_next_request() {
    let app = spawn_app().await;
    let admin = with_admin(&app).await;
    let token = app.token_for("ana@example.org", Role::Contributor).await;
    let id = user_id(&app, "ana@example.org").await;

    let res = set_role(&app, &admin, &id, "EDITOR").await;
    assert_eq!(res.data()["setUserRole"]["role"], "EDITOR");
    assert_eq!(me(&app, &token).await.data()["me"]["role"], "EDITOR");
}

#[tokio::test]
async fn the_last_enabled_admin_cannot_be_disabled_or_demoted() {
    let app = spawn_app().await;
    let admin = with_admin(&app).await;
    let me_id = user_id(&app, "admin@example.org").await;

    let res = on_user(&app, &admin, "disableUser", &me_id).await;
    assert_eq!(res.code(), "CONFLICT");
    let res = set_role(&app, &admin, &me_id, "EDITOR").await;
    assert_eq!(res.code(), "CONFLICT");

    // A disabled second admin does not count.
    app.create_user("second@example.org", Role::Admin).await;
    let second = user_id(&app, "second@example.org").await;
    on_user(&app, &admin, "disableUser", &second).await.data();
    assert_eq!(
        set_role(&app, &admin, &me_id, "EDITOR").await.code(),
        "CONFLICT"
    );
    // Enabled again, either may step down.
    on_user(&app, &admin, "enableUser", &second).await.data();
    set_role(&app, &admin, &me_id, "EDITOR").await.data();
    assert_eq!(me(&app, &admin).await.data()["me"]["role"], "EDITOR");
}

#[tokio::test]
async fn two_admins_disabling_each_other_at_once_leave_one_enabled() {
    let app = spawn_app().await;
    let first = with_admin(&app).await;
    let second = app.token_for("second@example.org", Role::Admin).await;
    let first_id = user_id(&app, "admin@example.org").await;
    let second_id = user_id(&app, "second@example.org").await;
    let (a, b) = tokio::join!(
        on_user(&app, &first, "disableUser", &second_id),
        on_user(&app, &second, "disableUser", &first_id),
    );
    let won = [a.body["errors"].is_null(), b.body["errors"].is_null()];
    assert_eq!(
        won.iter().filter(|ok| **ok).count(),
        1,
        "exactly one wins: {} / {}",
        a.body,
        b.body
    );
    let loser = if won[0] { &b } else { &a };
    // The loser either met the rule or had already been disabled (its session ended).
    assert!(
        ["CONFLICT", "UNAUTHENTICATED"].contains(&loser.code()),
        "{}",
        loser.body
    );
    let enabled = api::auth::users::all(&app.db)
        .await
        .expect("users")
        .into_iter()
        .filter(|u| u.role == Role::Admin && u.disabled_at.is_none())
        .count();
    assert_eq!(enabled, 1);
}

#[tokio::test]
async fn account_management_is_for_admins_only() {
    let app = spawn_app().await;
    with_admin(&app).await;
    let editor = app.token_for("editor@example.org", Role::Editor).await;
    let id = user_id(&app, "admin@example.org").await;

    assert_eq!(
        app.gql(Some(&editor), "{ users { email } }", json!({}))
            .await
            .code(),
        "FORBIDDEN"
    );
    let res = app
        .gql(
            Some(&editor),
            INVITE,
            json!({ "email": "x@example.org", "role": "ADMIN" }),
        )
        .await;
    assert_eq!(res.code(), "FORBIDDEN");
    assert_eq!(
        set_role(&app, &editor, &id, "CONTRIBUTOR").await.code(),
        "FORBIDDEN"
    );
    for mutation in ["disableUser", "enableUser", "endUserSessions"] {
        assert_eq!(
            on_user(&app, &editor, mutation, &id).await.code(),
            "FORBIDDEN",
            "{mutation}"
        );
    }
    assert_eq!(
        app.gql(None, "{ users { email } }", json!({})).await.code(),
        "UNAUTHENTICATED"
    );
}

#[tokio::test]
async fn admins_list_users_and_the_audit_log_names_who_acted() {
    let app = spawn_app().await;
    let admin = with_admin(&app).await;
    app.gql(
        Some(&admin),
        INVITE,
        json!({ "email": "nadia@example.org", "role": "CONTRIBUTOR", "name": "Nadia K." }),
    )
    .await
    .data();
    app.create_user("ana@example.org", Role::Editor).await;
    let ana = user_id(&app, "ana@example.org").await;
    on_user(&app, &admin, "disableUser", &ana).await.data();

    let res = app
        .gql(
            Some(&admin),
            "{ users { email displayName role disabled pendingInvite lastLoginAt } }",
            json!({}),
        )
        .await;
    let users = res.data()["users"].as_array().expect("list").clone();
    let by_email = |email: &str| -> Value {
        users
            .iter()
            .find(|u| u["email"] == email)
            .cloned()
            .unwrap_or_else(|| panic!("{email} listed"))
    };
    assert_eq!(users.len(), 3);
    assert_eq!(by_email("ana@example.org")["disabled"], true);
    assert_eq!(by_email("nadia@example.org")["displayName"], "Nadia K.");
    assert_eq!(by_email("nadia@example.org")["pendingInvite"], true);
    assert!(by_email("admin@example.org")["lastLoginAt"].is_string());

    let res = app
        .gql(
            Some(&admin),
            "query($id: ID!) { auditEvents(filter: { subjectId: $id }) {
                 edges { node { action actor actorId actorUser { email role } } }
             } }",
            json!({ "id": ana }),
        )
        .await;
    let event = res.data()["auditEvents"]["edges"][0]["node"].clone();
    assert_eq!(event["action"], "user.disabled");
    assert_eq!(event["actor"], "user");
    assert_eq!(event["actorUser"]["email"], "admin@example.org");
    assert_eq!(event["actorUser"]["role"], "ADMIN");
}

#[tokio::test]
async fn the_command_line_invites_disables_enables_changes_roles_and_ends_sessions() {
    let app = spawn_app().await;
    let run = |args: &[&str]| {
        let out = cli(&app, args, "");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8")
    };

    let out = run(&[
        "invite",
        "--email",
        "ana@example.org",
        "--role",
        "contributor",
    ]);
    let url = out
        .lines()
        .find(|l| l.starts_with("https://chorus.example.org/admin#invite="))
        .unwrap_or_else(|| panic!("a link: {out}"));
    let token = url.rsplit('=').next().expect("token");
    app.gql(
        None,
        ACCEPT,
        json!({ "token": token, "password": NEW_PASSWORD }),
    )
    .await
    .data();
    let session = sign_in(&app, "ana@example.org", NEW_PASSWORD).await;

    run(&["set-role", "--email", "ana@example.org", "--role", "EDITOR"]);
    assert_eq!(
        me(&app, &session.access).await.data()["me"]["role"],
        "EDITOR"
    );
    assert!(run(&["end-sessions", "--email", "ana@example.org"]).contains("ended 1 session"));
    assert_ended(&app, &session).await;

    run(&["disable", "--email", "ana@example.org"]);
    assert_eq!(
        app.login("ana@example.org", NEW_PASSWORD).await.code(),
        "UNAUTHENTICATED"
    );
    run(&["enable", "--email", "ana@example.org"]);
    sign_in(&app, "ana@example.org", NEW_PASSWORD).await;

    let list = run(&["list"]);
    assert!(list.contains("ana@example.org\tEDITOR\tenabled"), "{list}");

    // The last admin keeps their role at the command line too.
    app.create_user("admin@example.org", Role::Admin).await;
    let out = cli(
        &app,
        &[
            "set-role",
            "--email",
            "admin@example.org",
            "--role",
            "EDITOR",
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("last enabled admin"));
}
