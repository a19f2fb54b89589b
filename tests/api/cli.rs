//! The `chorus` binary: configuration errors, `user create`, demo content, and the
//! README's run command end to end (start, sign in as the printed demo admin, stop).

use std::{
    io::{BufRead, BufReader, Write},
    process::{Command, Stdio},
};

use serde_json::json;

use crate::helpers::{PASSWORD, TestDatabase, spawn_app};

/// The binary, run in an empty directory with no CHORUS_* variables inherited.
pub(crate) fn chorus(dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_chorus"));
    cmd.current_dir(dir);
    for (key, _) in std::env::vars() {
        if key.starts_with("CHORUS_") {
            cmd.env_remove(key);
        }
    }
    cmd.env("CHORUS_LOG", "warn");
    cmd
}

#[test]
fn a_bad_setting_stops_start_up_with_exit_2_and_one_line_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("CHORUS_BIND", "localhost")], "CHORUS_BIND"),
        (
            &[("CHORUS_ACCESS_TOKEN_TTL", "forever")],
            "CHORUS_ACCESS_TOKEN_TTL",
        ),
        (
            &[("CHORUS_DATABASE_URL", "mysql://db/chorus")],
            "CHORUS_DATABASE_URL",
        ),
        (&[("CHORUS_ENV", "production")], "CHORUS_JWT_SECRET"),
        (
            &[
                ("CHORUS_ENV", "production"),
                ("CHORUS_JWT_SECRET", "too-short"),
            ],
            "CHORUS_JWT_SECRET",
        ),
    ];
    for (vars, named) in cases {
        let out = chorus(dir.path())
            .envs(vars.iter().copied())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{vars:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
        assert!(stderr.contains(named), "{vars:?} names {named}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    assert!(
        !dir.path().join("data").exists(),
        "nothing was created before validation"
    );
}

#[test]
fn chorus_schema_prints_the_sdl() {
    let dir = tempfile::tempdir().unwrap();
    let out = chorus(dir.path()).arg("schema").output().unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap(), api::graphql::sdl());
}

#[tokio::test]
async fn user_create_reads_the_password_from_stdin_and_the_user_can_sign_in() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let create = |email: &str, role: &str, password: &str| {
        let mut child = chorus(dir.path())
            .args(["user", "create", "--email", email, "--role", role])
            .env("CHORUS_DATABASE_URL", &app.database_url)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(format!("{password}\n").as_bytes()).unwrap();
        drop(stdin);
        child.wait_with_output().unwrap()
    };

    let out = create("Amal@Example.org", "editor", PASSWORD);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("amal@example.org (EDITOR)"));
    let res = app.login("amal@example.org", PASSWORD).await;
    assert_eq!(res.data()["login"]["user"]["role"], "EDITOR");

    // The same email again is refused, and so is a short password.
    for (email, password) in [("amal@example.org", PASSWORD), ("new@example.org", "short")] {
        let out = create(email, "ADMIN", password);
        assert_eq!(out.status.code(), Some(2), "{email}");
    }
}

#[tokio::test]
async fn chorus_demo_loads_content_once_and_prints_the_admin_once() {
    let database = TestDatabase::new().await;
    let dir = tempfile::tempdir().unwrap();
    let run = || {
        chorus(dir.path())
            .arg("demo")
            .env("CHORUS_DATABASE_URL", &database.url)
            .output()
            .unwrap()
    };
    let first = run();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let stdout = String::from_utf8(first.stdout).unwrap();
    assert!(
        stdout.contains("admin@chorus.example") && stdout.contains("password:"),
        "{stdout}"
    );

    let second = run();
    let stdout = String::from_utf8(second.stdout).unwrap();
    assert!(second.status.success());
    assert!(
        !stdout.contains("password:"),
        "the password is shown only once: {stdout}"
    );
}

/// A `chorus serve` child that is killed when dropped, so a failing assertion
/// does not leave a server running after the test.
pub(crate) struct Server(Option<std::process::Child>);

impl Server {
    pub(crate) fn start(command: &mut Command) -> Self {
        Self(Some(command.spawn().expect("chorus starts")))
    }

    pub(crate) fn stdout(&mut self) -> std::process::ChildStdout {
        self.child().stdout.take().expect("stdout is piped")
    }

    fn child(&mut self) -> &mut std::process::Child {
        self.0.as_mut().expect("the child is still owned")
    }

    /// Hands the child over, no longer killed on drop.
    fn into_child(mut self) -> std::process::Child {
        self.0.take().expect("the child is still owned")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Stops the server with SIGTERM; the exit must be graceful (status 0).
/// Returns what it wrote to stderr.
pub(crate) async fn stop(server: Server) -> String {
    let child = server.into_child();
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "graceful exit: {stderr}");
    stderr
}

/// What the first start prints: the base URL, the demo admin, the demo API key.
pub(crate) type Banner = (String, Option<(String, String)>, Option<String>);

/// Reads the server's stdout until the banner is complete.
pub(crate) fn read_banner(stdout: impl std::io::Read) -> Banner {
    let mut base = String::new();
    let mut email = None;
    let mut password = None;
    let mut key = None;
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(url) = line.strip_prefix("Chorus is running at ") {
            base = url.trim().to_owned();
        } else if line.trim().starts_with("chk_") {
            key = Some(line.trim().to_owned());
        } else if let Some(v) = line.trim().strip_prefix("email:") {
            email = Some(v.trim().to_owned());
        } else if let Some(v) = line.trim().strip_prefix("password:") {
            password = Some(v.trim().to_owned());
        } else if line.contains("Stop with Ctrl-C") {
            break;
        }
    }
    (base, email.zip(password), key)
}

#[tokio::test]
async fn first_start_loads_the_demo_and_its_admin_can_sign_in_then_sigterm_stops_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(
        chorus(dir.path())
            .env("CHORUS_BIND", "127.0.0.1:0")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    );
    let stdout = server.stdout();
    let (base, credentials, key) = tokio::task::spawn_blocking(move || read_banner(stdout))
        .await
        .unwrap();
    let (email, password) = credentials.expect("the first start prints the demo admin");
    let key = key.expect("the first start prints a demo API key");
    assert!(
        dir.path().join("data/chorus.db").exists(),
        "the embedded database is under ./data"
    );

    let client = reqwest::Client::new();
    let login: serde_json::Value = client
        .post(format!("{base}/graphql"))
        .json(&json!({
            "query": "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }",
            "variables": { "e": email, "p": password }
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["data"]["login"]["accessToken"]
        .as_str()
        .expect("demo admin signs in");
    let me: serde_json::Value = client
        .post(format!("{base}/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": "{ me { email role } campaigns { edges { node { slug } } } }" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        me["data"]["me"],
        json!({ "email": "admin@chorus.example", "role": "ADMIN" })
    );
    assert!(
        !me["data"]["campaigns"]["edges"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    // The demo key reads, through the consent gate, only the demo stories whose
    // consent covers PUBLIC_WEB: not the app-only one, not the draft.
    let stories: serde_json::Value = client
        .post(format!("{base}/graphql"))
        .header("x-api-key", &key)
        .json(&json!({ "query": "{ stories(orderBy: OLDEST_FIRST) { totalCount edges { node { title storyteller { name isPseudonym } region } } } }" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stories["data"]["stories"]["totalCount"], 2, "{stories}");
    assert_eq!(
        stories["data"]["stories"]["edges"][0]["node"],
        json!({ "title": "The first winter", "storyteller": { "name": "Nadia", "isPseudonym": true }, "region": "United Kingdom" })
    );

    let stderr = stop(server).await;
    assert!(!stderr.contains("panicked"), "{stderr}");

    // A second start finds content and prints no password.
    let mut server = Server::start(
        chorus(dir.path())
            .env("CHORUS_BIND", "127.0.0.1:0")
            .stdout(Stdio::piped())
            .stderr(Stdio::null()),
    );
    let stdout = server.stdout();
    let (_, credentials, key) = tokio::task::spawn_blocking(move || read_banner(stdout))
        .await
        .unwrap();
    assert!(credentials.is_none());
    assert!(key.is_none(), "the key is shown only once");
}

#[tokio::test]
async fn production_never_creates_demo_content() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(
        chorus(dir.path())
            .env("CHORUS_ENV", "production")
            .env(
                "CHORUS_JWT_SECRET",
                "a-production-secret-of-at-least-32-bytes",
            )
            .env(
                "CHORUS_ENCRYPTION_KEY",
                api::crypto::KeyRing::generate_spec(),
            )
            .env("CHORUS_BIND", "127.0.0.1:0")
            .stdout(Stdio::piped())
            .stderr(Stdio::null()),
    );
    let stdout = server.stdout();
    let (base, credentials, key) = tokio::task::spawn_blocking(move || read_banner(stdout))
        .await
        .unwrap();
    assert!(credentials.is_none() && key.is_none());
    let body: serde_json::Value = reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .json(&json!({ "query": "{ campaigns { edges { cursor } } }" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["data"]["campaigns"]["edges"], json!([]));
}
