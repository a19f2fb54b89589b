//! `spawn_app()`: the real server on 127.0.0.1:0 with a fresh database of its own.
//!
//! SQLite (a temp file) by default; when `CHORUS_TEST_POSTGRES_URL` is set (a URL
//! to any database on the server, e.g. `postgres://postgres@127.0.0.1:5432/postgres`),
//! each app gets a new PostgreSQL database that is dropped when the app is.

use std::collections::HashMap;

use api::{Application, Config, auth::Role, clock};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};
use tokio::sync::oneshot;

/// The JWT secret every test app signs with, so tests can forge tokens with it.
pub const JWT_SECRET: &str = "test-secret-of-at-least-32-bytes-0123456789";
/// The key test apps encrypt personal data with.
pub const ENCRYPTION_KEY: &str = "test1:Y2hvcnVzLXRlc3Qta2V5LW9mLTMyLWJ5dGVzLWxvbmc";
/// The password `create_user` gives every account.
pub const PASSWORD: &str = "a long enough test password";

pub struct TestApp {
    pub base_url: String,
    pub database_url: String,
    /// The server's own pool.
    pub db: DatabaseConnection,
    /// The server's shared state (configuration, keys), for calling services directly.
    pub state: api::state::AppState,
    pub client: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    /// The S3 server the app stores media in, when it uses one.
    pub s3: Option<crate::s3_server::S3Server>,
    /// Dropped after the server is told to stop (fields drop after `Drop::drop`);
    /// `None` for a second server on another's database ([`spawn_app_on`]).
    _database: Option<TestDatabase>,
}

/// A fresh database URL: a temp SQLite file, or a new PostgreSQL database.
pub struct TestDatabase {
    pub url: String,
    pub pg: Option<(String, String)>,
    pub dir: tempfile::TempDir,
}

impl TestDatabase {
    pub async fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        match std::env::var("CHORUS_TEST_POSTGRES_URL") {
            Ok(admin_url) if !admin_url.is_empty() => {
                let name = format!("chorus_test_{}", uuid::Uuid::new_v4().simple());
                let admin = Database::connect(&admin_url)
                    .await
                    .expect("connect to CHORUS_TEST_POSTGRES_URL");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .expect("create test database");
                admin.close().await.ok();
                let url = with_database(&admin_url, &name);
                Self {
                    url,
                    pg: Some((admin_url, name)),
                    dir,
                }
            }
            _ => {
                let url = format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("chorus.db").display()
                );
                Self { url, pg: None, dir }
            }
        }
    }

    /// A temp SQLite file, whatever the run's backend (the embedded default).
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("chorus.db").display()
        );
        Self { url, pg: None, dir }
    }

    /// Settings for a test app on this database; `overrides` win.
    pub fn config(&self, overrides: &[(&str, &str)]) -> HashMap<String, String> {
        let mut vars: HashMap<String, String> = [
            ("CHORUS_BIND", "127.0.0.1:0"),
            ("CHORUS_DEMO", "false"),
            ("CHORUS_JWT_SECRET", JWT_SECRET),
            ("CHORUS_SHUTDOWN_GRACE", "5s"),
            ("CHORUS_ENCRYPTION_KEY", ENCRYPTION_KEY),
            ("CHORUS_JOBS_POLL_INTERVAL", "1s"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        vars.insert("CHORUS_DATABASE_URL".into(), self.url.clone());
        vars.insert(
            "CHORUS_DATA_DIR".into(),
            self.dir.path().display().to_string(),
        );
        for (k, v) in overrides {
            vars.insert((*k).to_owned(), (*v).to_owned());
        }
        vars
    }
}

fn with_database(admin_url: &str, name: &str) -> String {
    let (base, query) = admin_url
        .split_once('?')
        .map_or((admin_url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

fn drop_pg_database(admin_url: String, name: String) {
    // Drop runs inside the test's runtime, which cannot be blocked on; use a thread
    // with a runtime of its own.
    let _ = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            if let Ok(admin) = Database::connect(&admin_url).await {
                let _ = admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .await;
                admin.close().await.ok();
            }
        });
    })
    .join();
}

/// Starts the server with the default test settings.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Starts the server with some settings overridden.
pub async fn spawn_app_with(overrides: &[(&str, &str)]) -> TestApp {
    serve(TestDatabase::new().await, overrides).await
}

/// Starts a server on `database` (kept until the app is dropped).
pub async fn spawn_app_in(database: TestDatabase, overrides: &[(&str, &str)]) -> TestApp {
    serve(database, overrides).await
}

async fn serve(database: TestDatabase, overrides: &[(&str, &str)]) -> TestApp {
    let config = Config::from_map(&database.config(overrides)).expect("valid test config");
    let app = Application::build(config).await.expect("app builds");
    let addr = app.local_addr();
    let db = app.state().db.clone();
    let state = app.state().clone();
    let (tx, rx) = oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = rx.await;
    }));
    TestApp {
        base_url: format!("http://{addr}"),
        database_url: database.url.clone(),
        db,
        state,
        client: reqwest::Client::new(),
        shutdown: Some(tx),
        server: Some(server),
        s3: None,
        _database: Some(database),
    }
}

/// A second server (another process, as far as Chorus can tell: its own pool,
/// caches and worker) on `first`'s database, which `first` keeps.
pub async fn spawn_app_on(first: &TestApp, overrides: &[(&str, &str)]) -> TestApp {
    let database = TestDatabase {
        url: first.database_url.clone(),
        // Not this app's to drop.
        pg: None,
        dir: tempfile::tempdir().expect("temp dir"),
    };
    serve(database, overrides).await
}

/// Starts the server with the media backend paired to the database: local disk
/// beside SQLite, a real S3 server (in this process, with its own bucket) beside
/// PostgreSQL, so each suite run covers one production-like pairing.
pub async fn spawn_media_app(overrides: &[(&str, &str)]) -> TestApp {
    let on_postgres = std::env::var("CHORUS_TEST_POSTGRES_URL").is_ok_and(|u| !u.is_empty());
    if !on_postgres {
        return spawn_app_with(overrides).await;
    }
    let server = crate::s3_server::S3Server::start().await;
    let bucket = server.create_bucket();
    let mut vars: Vec<(&str, &str)> = vec![
        ("CHORUS_STORAGE", "s3"),
        ("CHORUS_S3_BUCKET", &bucket),
        ("CHORUS_S3_ENDPOINT", &server.endpoint),
        ("CHORUS_S3_ACCESS_KEY_ID", &server.access_key),
        ("CHORUS_S3_SECRET_ACCESS_KEY", &server.secret_key),
        ("CHORUS_S3_PATH_STYLE", "true"),
    ];
    vars.extend_from_slice(overrides);
    let mut app = spawn_app_with(&vars).await;
    app.s3 = Some(server);
    app
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = self.pg.take() {
            drop_pg_database(admin_url, name);
        }
    }
}

/// A GraphQL response, with shortcuts for what tests look at.
#[derive(Debug)]
pub struct GqlResponse {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl GqlResponse {
    /// Reads an answer whose body is JSON.
    pub async fn read(res: reqwest::Response) -> Self {
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let body = res.json().await.expect("JSON response");
        GqlResponse {
            status,
            headers,
            body,
        }
    }

    /// `data`, asserting there were no errors.
    pub fn data(&self) -> &Value {
        assert!(
            self.body.get("errors").is_none(),
            "unexpected errors: {}",
            self.body
        );
        &self.body["data"]
    }

    /// The `extensions.code` of the first error, asserting there is one.
    pub fn code(&self) -> &str {
        self.body["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("expected an error with a code, got {}", self.body))
    }

    /// The first error's message.
    pub fn message(&self) -> &str {
        self.body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
    }

    /// Every error's code.
    pub fn codes(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .map(|e| {
                        e["extensions"]["code"]
                            .as_str()
                            .unwrap_or("<none>")
                            .to_owned()
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl TestApp {
    /// Signals shutdown, as SIGTERM does, without waiting.
    pub fn begin_shutdown(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }

    /// Waits for the server to stop after [`TestApp::begin_shutdown`].
    pub async fn stopped(&mut self) -> std::io::Result<()> {
        match self.server.take() {
            Some(server) => server.await.expect("server task"),
            None => Ok(()),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// POSTs a GraphQL request, with a bearer token if given.
    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> GqlResponse {
        let mut req = self
            .client
            .post(self.url("/graphql"))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        GqlResponse::read(req.send().await.expect("request sent")).await
    }

    /// POSTs a consumer's GraphQL request with an API key.
    pub async fn consume(&self, key: &str, query: &str, variables: Value) -> GqlResponse {
        self.gql_with_key(Some(key), query, variables).await
    }

    /// POSTs a GraphQL request as a reader: with this API key, or anonymously.
    pub async fn gql_with_key(
        &self,
        key: Option<&str>,
        query: &str,
        variables: Value,
    ) -> GqlResponse {
        let mut req = self
            .client
            .post(self.url("/graphql"))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(key) = key {
            req = req.header("x-api-key", key);
        }
        GqlResponse::read(req.send().await.expect("request sent")).await
    }

    /// Creates an account directly through the service, with [`PASSWORD`].
    pub async fn create_user(&self, email: &str, role: Role) {
        api::auth::users::create(&self.db, email, PASSWORD, role, clock::now())
            .await
            .expect("user created");
    }

    /// Signs in and returns the `login` payload.
    pub async fn login(&self, email: &str, password: &str) -> GqlResponse {
        self.gql(
            None,
            "mutation($email: String!, $password: String!) {
               login(email: $email, password: $password) {
                 accessToken accessTokenExpiresAt refreshToken refreshTokenExpiresAt
                 user { email role }
               }
             }",
            json!({ "email": email, "password": password }),
        )
        .await
    }

    /// Creates an account with `role` and returns a fresh access token for it.
    pub async fn token_for(&self, email: &str, role: Role) -> String {
        self.create_user(email, role).await;
        let res = self.login(email, PASSWORD).await;
        res.data()["login"]["accessToken"]
            .as_str()
            .expect("access token")
            .to_owned()
    }
}
