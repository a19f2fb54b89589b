//! The editors' newsroom (`/admin`): nothing of a staff session is kept by a
//! browser or a proxy, and every GraphQL document the newsroom sends is valid
//! against the committed schema.

use std::{
    path::Path,
    process::{Command, Output},
    sync::OnceLock,
};

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

/// The Node script that checks the newsroom's documents (npm `graphql`).
fn operations_check_dir() -> &'static Path {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/admin-operations"
    ))
}

/// Installs the pinned `graphql` once (`.ci/run` does the same up front).
fn install_operations_check() -> &'static Path {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    let dir = operations_check_dir();
    INSTALLED.get_or_init(|| {
        if dir.join("node_modules/graphql").is_dir() {
            return;
        }
        let status = Command::new("npm")
            .args([
                "ci",
                "--ignore-scripts",
                "--no-audit",
                "--no-fund",
                "--loglevel=error",
            ])
            .current_dir(dir)
            .status();
        assert!(
            status.as_ref().is_ok_and(|s| s.success()),
            "`npm ci` in {} failed ({status:?}); this test needs Node.js and npm",
            dir.display()
        );
    });
    dir
}

/// Runs the check on `args` (none: the repository's schema and operations).
fn check_operations(args: &[&Path]) -> Output {
    let dir = install_operations_check();
    Command::new("node")
        .arg("check.mjs")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("node runs (install Node.js)")
}

#[test]
fn every_newsroom_operation_is_valid_against_the_committed_schema() {
    let out = check_operations(&[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "a document in api/admin/operations no longer matches schema.graphql:\n{stderr}"
    );
    assert!(stdout.contains("are valid"), "{stdout}");
}

#[test]
fn the_operations_check_refuses_documents_the_schema_does_not_answer() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let schema = root.join("schema.graphql");
    let ops = tempfile::tempdir().expect("a temporary directory");
    let write = |name: &str, text: &str| {
        std::fs::write(ops.path().join(name), text).expect("write a document");
    };
    write(
        "good.graphql",
        "query GoodMe {\n  me {\n    ...GoodUser\n  }\n}\n\nfragment GoodUser on User {\n  email\n}\n",
    );
    assert!(
        check_operations(&[&schema, ops.path()]).status.success(),
        "a valid document passes"
    );

    // Each of these breaks an editor's day at run time; each must fail the build.
    let cases = [
        (
            "query RenamedField { me { emailAddress } }\n",
            "Cannot query field \"emailAddress\"",
        ),
        (
            "query GoodMe { me { role } }\n",
            "GoodMe is already defined",
        ),
        ("query { me { email } }\n", "has no name"),
        (
            "query MissingFragment { me { ...Nowhere } }\n",
            "Unknown fragment \"Nowhere\"",
        ),
        (
            "mutation WrongArgument { disableUser(userId: \"x\") { id } }\n",
            "Unknown argument \"userId\"",
        ),
        ("query Broken { me { email }\n", "Syntax Error"),
    ];
    for (text, wanted) in cases {
        write("bad.graphql", text);
        let out = check_operations(&[&schema, ops.path()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{text} passed the check");
        assert!(stderr.contains(wanted), "{text}: {stderr}");
    }
}

/// The page's own scripts, as served: the sign-in shell and every newsroom module.
async fn own_scripts(app: &crate::helpers::TestApp) -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("api/admin/newsroom");
    let mut names = vec!["admin.js".to_owned()];
    for entry in std::fs::read_dir(dir).expect("api/admin/newsroom") {
        let name = entry.expect("a file").file_name();
        let name = name.to_string_lossy();
        if name.ends_with(".js") {
            names.push(format!("newsroom/{name}"));
        }
    }
    let mut scripts = Vec::new();
    for name in names {
        let res = app
            .client
            .get(app.url(&format!("/admin/assets/{name}")))
            .send()
            .await
            .expect("request sent");
        assert_eq!(res.status(), 200, "{name}");
        scripts.push((name, res.text().await.expect("text")));
    }
    scripts
}

/// GraphiQL 3 keeps tabs, history and answers in `localStorage` unless given a
/// store; the admin hands it one over `sessionStorage`, and nothing of its own
/// goes to `localStorage` or IndexedDB either.
#[tokio::test]
async fn the_admin_keeps_nothing_in_local_storage_or_indexeddb() {
    let app = spawn_app().await;
    let scripts = own_scripts(&app).await;
    assert!(scripts.len() >= 6, "{:?}", scripts.iter().map(|s| &s.0));
    for (name, text) in &scripts {
        for forbidden in [
            "localStorage.",
            "localStorage[",
            "indexedDB.",
            "window.indexedDB",
        ] {
            assert!(!text.contains(forbidden), "{name} uses {forbidden}");
        }
    }
    let (_, shell) = scripts
        .iter()
        .find(|(name, _)| name == "admin.js")
        .expect("admin.js");
    assert!(
        shell.contains("storage: graphiqlStorage("),
        "GraphiQL must be given the sessionStorage store, or it falls back to localStorage"
    );
    assert!(
        shell.contains("sessionStorage.removeItem"),
        "sign-out wipes"
    );
}
