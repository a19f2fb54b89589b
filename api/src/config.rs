//! Every setting Chorus reads, typed and validated in one place.
//!
//! Settings come from environment variables (optionally loaded from `.env` by the
//! binary). Validation happens once at start-up: a wrong value becomes a
//! [`ConfigError`] naming the variable and what was expected, which the binary
//! prints as one line before exiting with status 2. Nothing else in the crate
//! reads the environment.

use std::{
    collections::HashMap,
    fmt,
    net::SocketAddr,
    path::{Path, PathBuf},
    time::Duration,
};

mod otel;

pub use otel::{OtlpProtocol, TraceSampler, TracesConfig};

/// A setting that could not be used, with the variable it came from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{var}: {problem}")]
pub struct ConfigError {
    /// The environment variable at fault.
    pub var: &'static str,
    /// What was wrong and what was expected, in words.
    pub problem: String,
}

impl ConfigError {
    fn new(var: &'static str, problem: impl Into<String>) -> Self {
        Self {
            var,
            problem: problem.into(),
        }
    }
}

/// Where Chorus runs; production turns every protective default on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// The key that signs access tokens; never printed.
#[derive(Clone)]
pub struct JwtSecret(Vec<u8>);

impl JwtSecret {
    /// The raw key bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for JwtSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JwtSecret(..)")
    }
}

/// Access and refresh token settings.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    pub jwt_secret: JwtSecret,
    /// True when no secret was configured and a random one was made for this process.
    pub jwt_secret_generated: bool,
    pub jwt_issuer: String,
    pub jwt_audience: String,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub login_window: Duration,
    pub login_max_failures_per_account: u32,
    pub login_max_failures_per_address: u32,
    pub trust_forwarded_for: bool,
    /// How long an invitation link to set a first password stays valid.
    pub invite_ttl: Duration,
}

/// Bounds on what one GraphQL request may ask for.
#[derive(Debug, Clone)]
pub struct GraphqlConfig {
    pub max_depth: usize,
    pub max_complexity: usize,
    /// The most fields an operation may select at its root, through fragments.
    pub max_root_fields: usize,
    /// The most selections (fields, fragment spreads, inline fragments) a
    /// document may hold once its fragments are expanded.
    pub max_selections: usize,
    /// The most lexical tokens a document may hold, counted before it is parsed.
    pub max_tokens: usize,
    /// How long a query may run before it is stopped with `DEADLINE_EXCEEDED`;
    /// also each PostgreSQL statement's `statement_timeout`.
    pub deadline: Duration,
    /// The most SQL statements one query may run.
    pub max_statements: u64,
    /// Whether callers who are not signed-in staff may introspect the schema.
    pub public_introspection: bool,
    pub max_body_bytes: usize,
    /// Live (WebSocket) connections one API key or staff member may hold at once.
    pub live_connections_per_key: u32,
}

/// How much consumers may ask of the API, and from which web pages.
#[derive(Debug, Clone)]
pub struct LimitsConfig {
    /// Requests per second an API key's bucket refills with.
    pub api_key_rate: f64,
    /// Requests an API key may send at once before the refill rate applies.
    pub api_key_burst: u32,
    /// Web origins (`https://host[:port]`) of the organisation's own sites, always
    /// allowed to call `/graphql` from a browser; partners' origins come from the database.
    pub cors_origins: Vec<String>,
}

/// Caching of consumer answers (see `docs/CACHING.md`).
#[derive(Debug, Clone)]
pub struct CacheConfig {
    /// The longest `max-age` a consumer's `GET` answer may carry; zero sends
    /// `no-cache` (revalidate with the `ETag` every time).
    pub max_age: Duration,
    /// Bytes of consumer answers kept in process memory; 0 keeps none.
    pub response_cache_bytes: usize,
    /// Bytes of persisted query texts (APQ) kept in process memory; 0 keeps none.
    pub apq_store_bytes: usize,
}

/// Where the key that encrypts personal data at rest comes from.
#[derive(Debug, Clone)]
pub enum EncryptionKeys {
    /// `CHORUS_ENCRYPTION_KEY` (and `CHORUS_ENCRYPTION_OLD_KEYS`), already checked.
    Configured {
        current: String,
        old: Option<String>,
    },
    /// Development without a key: a key file in the data directory, made on first use,
    /// so the embedded database stays readable across restarts.
    File(PathBuf),
}

/// Background job settings.
#[derive(Debug, Clone)]
pub struct JobsConfig {
    /// Run the job worker in this process.
    pub enabled: bool,
    pub poll_interval: Duration,
    /// How long a node may hold a job before another may take it over.
    pub lease: Duration,
    /// Runs of a job that fails every time before it is given up as failed.
    pub max_attempts: u32,
    /// The longest one run of a job may take; an overrun counts as a failed attempt.
    pub deadline: Duration,
}

/// How long rows that only grow are kept before the worker's hourly pruning
/// deletes them (`docs/OPERATIONS.md`, "Pruning").
#[derive(Debug, Clone, Copy)]
pub struct PruningConfig {
    /// Login and withdrawal-code attempts; never less than the login window.
    pub login_attempts: Duration,
    /// `CHORUS_LOGIN_WINDOW`: attempts inside it are never deleted.
    pub login_window: Duration,
    /// Refresh tokens after they were spent, ran out or their session was
    /// revoked; ended sessions after they ended.
    pub sessions: Duration,
    /// Finished jobs after they finished (a failure nobody replaced is kept).
    pub jobs: Duration,
    /// The story change log: how old a sync cursor may be.
    pub story_changes: Duration,
}

/// The shortest the story change log may be kept: the response cache ends its
/// entries by the log and keeps none for longer than minutes
/// ([`crate::consumers::response_cache::MAX_LIFETIME`]).
pub const MIN_STORY_CHANGES_KEPT: Duration = Duration::from_secs(86_400);
const _: () = assert!(
    MIN_STORY_CHANGES_KEPT.as_secs() > crate::consumers::response_cache::MAX_LIFETIME.as_secs()
);

/// How long Chorus waits on the object store before it calls it unavailable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StorageTimeouts {
    /// To open a connection to the store.
    pub connect: Duration,
    /// From sending a request (its body included) to the first byte of the answer.
    pub first_byte: Duration,
    /// The longest silence between two chunks of a body being read or sent.
    pub idle: Duration,
}

impl Default for StorageTimeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(5),
            first_byte: Duration::from_secs(10),
            idle: Duration::from_secs(15),
        }
    }
}

/// An S3-compatible bucket (AWS, MinIO, Garage, R2…).
#[derive(Clone, PartialEq, Eq)]
pub struct S3Settings {
    pub bucket: String,
    pub region: String,
    /// A custom endpoint (`http://127.0.0.1:9000`); `None` for AWS itself.
    pub endpoint: Option<String>,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// `https://endpoint/bucket/key` rather than `https://bucket.endpoint/key`.
    pub path_style: bool,
    pub timeouts: StorageTimeouts,
}

impl std::fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret.
        f.debug_struct("S3Settings")
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("access_key_id", &self.access_key_id)
            .field("path_style", &self.path_style)
            .field("timeouts", &self.timeouts)
            .finish_non_exhaustive()
    }
}

/// Where media bytes are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageConfig {
    /// Files under `CHORUS_MEDIA_DIR` (the embedded default).
    Local,
    S3(S3Settings),
}

/// Consent and consumer-read settings.
#[derive(Debug, Clone)]
pub struct ConsentConfig {
    /// How long a consent lasts when it is recorded without an expiry.
    pub default_validity: Duration,
    /// Whether requests without credentials may read, as the `PUBLIC_WEB` channel.
    pub public_reads: bool,
    /// Wrong withdrawal codes allowed per client address per `login_window`.
    pub withdrawal_max_failures_per_address: u32,
    /// The data controller receipts name, unless the record's organisation set its own.
    pub controller: Controller,
}

/// A data controller's details as consent receipts state them; `None`: not
/// configured, which the receipt says rather than naming anyone.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Controller {
    pub name: Option<String>,
    /// A postal address, lines separated by commas or new lines.
    pub address: Option<String>,
    /// An email address, telephone number or web form, as given.
    pub contact: Option<String>,
    /// How to reach the data protection officer (or the person in that role).
    pub dpo_contact: Option<String>,
}

impl Controller {
    /// Longest name, contact or DPO contact; an address may be twice as long.
    pub const MAX_LEN: usize = 200;

    /// `BAD_USER_INPUT`-style reason if a value is too long or holds control
    /// characters (an address may hold line breaks), naming the field.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        for (field, value, max, lines) in [
            ("name", &self.name, Self::MAX_LEN, false),
            ("address", &self.address, 2 * Self::MAX_LEN, true),
            ("contact", &self.contact, Self::MAX_LEN, false),
            ("dpoContact", &self.dpo_contact, Self::MAX_LEN, false),
        ] {
            let Some(value) = value else { continue };
            let control = value
                .chars()
                .any(|c| c.is_control() && !(lines && c == '\n'));
            if value.trim().is_empty() || value.chars().count() > max || control {
                return Err((
                    field,
                    format!("1 to {max} characters, without control characters"),
                ));
            }
        }
        Ok(())
    }
}

/// The key that signs proof-of-work challenges and hashes senders' addresses; never printed.
#[derive(Clone)]
pub struct SubmissionSecret(Vec<u8>);

impl SubmissionSecret {
    /// The raw key bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for SubmissionSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SubmissionSecret(..)")
    }
}

/// Stories sent in through campaign sites (`docs/SUBMISSIONS.md`).
#[derive(Debug, Clone)]
pub struct SubmissionsConfig {
    /// `CHORUS_SUBMISSION_SECRET`, or one derived from the JWT secret.
    pub secret: SubmissionSecret,
    /// The largest number a challenge hides (the difficulty: a browser tries half
    /// of them on average).
    pub max_number: u64,
    /// How long a challenge may be solved and sent.
    pub challenge_ttl: Duration,
    /// Submissions one key may send per hour.
    pub max_per_key_per_hour: u32,
    /// Submissions one client address may send per hour.
    pub max_per_address_per_hour: u32,
    /// How long "block the source" refuses an address.
    pub block_duration: Duration,
    /// The longest story body accepted, in bytes.
    pub max_body_bytes: usize,
}

/// Webhooks and takedown acknowledgement (`docs/WEBHOOKS.md`).
#[derive(Debug, Clone)]
pub struct WebhooksConfig {
    /// How often the sender looks for events to fan out and deliveries due.
    pub poll_interval: Duration,
    /// The longest one delivery may take, connecting included.
    pub timeout: Duration,
    /// The wait before the first retry; each later one doubles it (with jitter),
    /// up to `max_retry_delay`.
    pub retry_delay: Duration,
    pub max_retry_delay: Duration,
    /// How long a failing delivery is retried before it goes to the dead-letter list.
    pub retry_for: Duration,
    /// Deliveries in flight at once, over all endpoints.
    pub concurrency: u32,
    /// Deliveries in flight at once to one endpoint.
    pub per_endpoint: u32,
    /// Whether endpoints may be on loopback, private or link-local addresses
    /// (tests and self-hosting).
    pub allow_private: bool,
    /// How long a partner has to acknowledge a takedown before it is flagged.
    pub takedown_deadline: Duration,
}

/// The bearer token `/metrics` answers to; never printed.
#[derive(Clone)]
pub struct MetricsToken(String);

impl MetricsToken {
    /// The shortest token accepted: a guessable one would open the metrics to anyone.
    pub const MIN_LEN: usize = 16;

    /// The token's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for MetricsToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MetricsToken(..)")
    }
}

/// Who may read `/metrics` (`docs/OPERATIONS.md`, "Metrics"). With neither set,
/// nothing is measured and `/metrics` answers 404.
#[derive(Debug, Clone, Default)]
pub struct MetricsConfig {
    /// Opens `/metrics` on the main listener to requests bearing it.
    pub token: Option<MetricsToken>,
    /// A listener of its own serving only `/metrics`, without a token.
    pub bind: Option<SocketAddr>,
}

impl MetricsConfig {
    /// True when anything may read the metrics, so they are worth recording.
    pub fn enabled(&self) -> bool {
        self.token.is_some() || self.bind.is_some()
    }
}

/// The whole validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub environment: Environment,
    pub bind: SocketAddr,
    /// Base URL printed for people (the admin link); defaults to the bound address.
    pub public_url: Option<String>,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub database_max_connections: u32,
    pub media_dir: PathBuf,
    pub storage: StorageConfig,
    /// The S3 endpoint and credentials for `s3://` backup addresses: the
    /// media store's, or the `CHORUS_S3_*` settings given beside local storage.
    pub backup_s3: Option<S3Settings>,
    /// How long a presigned media URL (S3) stays valid.
    pub media_url_ttl: Duration,
    /// The largest file accepted through a multipart `/graphql` upload, in bytes.
    pub media_max_upload_bytes: u64,
    /// The most files one multipart `/graphql` request may carry.
    pub media_max_files: u32,
    /// How long a large upload (`createMediaUpload`) accepts bytes.
    pub media_upload_ttl: Duration,
    /// The most pixels (width × height) an uploaded image may have.
    pub media_max_pixels: u64,
    pub migrate_on_start: bool,
    /// Load demo content on the first start with an empty embedded database.
    pub demo_on_first_start: bool,
    /// Development only: serve the admin's own files from this directory (the
    /// checkout's `api/admin`) instead of the copies built in, so front-end edits
    /// show on reload.
    pub admin_assets_dir: Option<PathBuf>,
    pub auth: AuthConfig,
    pub graphql: GraphqlConfig,
    pub limits: LimitsConfig,
    pub cache: CacheConfig,
    pub encryption: EncryptionKeys,
    pub jobs: JobsConfig,
    pub pruning: PruningConfig,
    /// Editors may not approve stories they wrote.
    pub four_eyes: bool,
    pub consent: ConsentConfig,
    pub submissions: SubmissionsConfig,
    pub webhooks: WebhooksConfig,
    pub metrics: MetricsConfig,
    pub shutdown_grace: Duration,
    pub log_filter: String,
    pub log_format: LogFormat,
    /// OpenTelemetry trace export (the standard `OTEL_*` variables); off when `None`.
    pub traces: Option<TracesConfig>,
}

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration from a map, as tests and tools do.
    pub fn from_map(map: &HashMap<String, String>) -> Result<Self, ConfigError> {
        Self::from_lookup(|name| map.get(name).cloned())
    }

    /// Reads the configuration through `lookup`, which returns a variable's value if set.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let vars = Vars(&lookup);
        let environment = match vars.get("CHORUS_ENV").as_deref() {
            None | Some("development") => Environment::Development,
            Some("production") => Environment::Production,
            Some(other) => {
                return Err(ConfigError::new(
                    "CHORUS_ENV",
                    format!("expected `development` or `production`, got `{other}`"),
                ));
            }
        };
        let production = environment == Environment::Production;

        let bind = vars.parse_with(
            "CHORUS_BIND",
            "127.0.0.1:8080",
            "a socket address such as 127.0.0.1:8080",
            |v| v.parse::<SocketAddr>().ok(),
        )?;
        let public_url = match vars.get("CHORUS_PUBLIC_URL") {
            None => None,
            Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
                Some(url.trim_end_matches('/').to_owned())
            }
            Some(other) => {
                return Err(ConfigError::new(
                    "CHORUS_PUBLIC_URL",
                    format!("expected an http:// or https:// URL, got `{other}`"),
                ));
            }
        };
        let data_dir = PathBuf::from(
            vars.get("CHORUS_DATA_DIR")
                .unwrap_or_else(|| "./data".into()),
        );
        let database_url = match vars.get("CHORUS_DATABASE_URL") {
            Some(url)
                if url.starts_with("sqlite:")
                    || url.starts_with("postgres://")
                    || url.starts_with("postgresql://") =>
            {
                url
            }
            Some(other) => {
                return Err(ConfigError::new(
                    "CHORUS_DATABASE_URL",
                    format!(
                        "expected a sqlite: or postgres:// URL, got `{}`",
                        redact_url(&other)
                    ),
                ));
            }
            None => default_sqlite_url(&data_dir),
        };
        let database_max_connections = vars.parse_with(
            "CHORUS_DATABASE_MAX_CONNECTIONS",
            "10",
            "a whole number from 1 to 1000",
            |v| v.parse::<u32>().ok().filter(|n| (1..=1000).contains(n)),
        )?;
        let media_dir = vars
            .get("CHORUS_MEDIA_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| data_dir.join("media"));
        let timeouts = StorageTimeouts {
            connect: vars.duration("CHORUS_STORAGE_CONNECT_TIMEOUT", "5s")?,
            first_byte: vars.duration("CHORUS_STORAGE_FIRST_BYTE_TIMEOUT", "10s")?,
            idle: vars.duration("CHORUS_STORAGE_IDLE_TIMEOUT", "15s")?,
        };
        let storage = match vars.get("CHORUS_STORAGE").as_deref() {
            None | Some("local") => StorageConfig::Local,
            Some("s3") => {
                let required = |name: &'static str| {
                    vars.get(name)
                        .ok_or_else(|| ConfigError::new(name, "required when CHORUS_STORAGE=s3"))
                };
                StorageConfig::S3(S3Settings {
                    bucket: required("CHORUS_S3_BUCKET")?,
                    region: vars
                        .get("CHORUS_S3_REGION")
                        .unwrap_or_else(|| "us-east-1".into()),
                    endpoint: vars.get("CHORUS_S3_ENDPOINT"),
                    access_key_id: required("CHORUS_S3_ACCESS_KEY_ID")?,
                    secret_access_key: required("CHORUS_S3_SECRET_ACCESS_KEY")?,
                    path_style: vars.bool("CHORUS_S3_PATH_STYLE", false)?,
                    timeouts,
                })
            }
            Some(other) => {
                return Err(ConfigError::new(
                    "CHORUS_STORAGE",
                    format!("expected `local` or `s3`, got `{other}`"),
                ));
            }
        };
        // Backups may go to a bucket while media stays on local disk: the
        // same S3 settings then name the endpoint and credentials, and the
        // bucket comes from the backup's `s3://` address.
        let backup_s3 = match &storage {
            StorageConfig::S3(settings) => Some(settings.clone()),
            StorageConfig::Local => match (
                vars.get("CHORUS_S3_ACCESS_KEY_ID"),
                vars.get("CHORUS_S3_SECRET_ACCESS_KEY"),
            ) {
                (Some(access_key_id), Some(secret_access_key)) => Some(S3Settings {
                    bucket: vars.get("CHORUS_S3_BUCKET").unwrap_or_default(),
                    region: vars
                        .get("CHORUS_S3_REGION")
                        .unwrap_or_else(|| "us-east-1".into()),
                    endpoint: vars.get("CHORUS_S3_ENDPOINT"),
                    access_key_id,
                    secret_access_key,
                    path_style: vars.bool("CHORUS_S3_PATH_STYLE", false)?,
                    timeouts,
                }),
                _ => None,
            },
        };
        let media_url_ttl = vars.duration("CHORUS_MEDIA_URL_TTL", "5m")?;
        let media_max_upload_bytes = vars.parse_with(
            "CHORUS_MEDIA_MAX_UPLOAD_BYTES",
            "26214400",
            "a number of bytes greater than 0",
            |v| v.parse::<u64>().ok().filter(|n| *n > 0),
        )?;
        let media_max_files = vars.count("CHORUS_MEDIA_MAX_FILES", "4")?;
        let media_upload_ttl = vars.duration("CHORUS_MEDIA_UPLOAD_TTL", "1h")?;
        let max_pixels = crate::media::integrity::MAX_MAX_PIXELS;
        let media_max_pixels = vars.parse_with(
            "CHORUS_MEDIA_MAX_PIXELS",
            &crate::media::integrity::DEFAULT_MAX_PIXELS.to_string(),
            &format!("a number of pixels from 1 to {max_pixels}"),
            |v| {
                v.parse::<u64>()
                    .ok()
                    .filter(|n| (1..=max_pixels).contains(n))
            },
        )?;
        // The upload URL is a presigned S3 URL, which cannot live longer.
        if media_upload_ttl > Duration::from_secs(7 * 86_400) {
            return Err(ConfigError::new(
                "CHORUS_MEDIA_UPLOAD_TTL",
                "at most 7d, the longest an S3 presigned URL may live",
            ));
        }
        let migrate_on_start = vars.bool("CHORUS_MIGRATE_ON_START", true)?;
        let demo_on_first_start = vars.bool("CHORUS_DEMO", !production)?;
        if production && demo_on_first_start {
            return Err(ConfigError::new(
                "CHORUS_DEMO",
                "demo content is never loaded in production; unset it or set it to false",
            ));
        }

        let admin_assets_dir = vars.get("CHORUS_ADMIN_ASSETS_DIR").map(PathBuf::from);
        if production && admin_assets_dir.is_some() {
            return Err(ConfigError::new(
                "CHORUS_ADMIN_ASSETS_DIR",
                "is for developing the admin; production serves the built-in copies",
            ));
        }

        let (jwt_secret, jwt_secret_generated) = match vars.get("CHORUS_JWT_SECRET") {
            Some(secret) if secret.len() >= 32 => (JwtSecret(secret.into_bytes()), false),
            Some(_) => {
                return Err(ConfigError::new(
                    "CHORUS_JWT_SECRET",
                    "expected at least 32 bytes (e.g. `openssl rand -base64 48`)",
                ));
            }
            None if production => {
                return Err(ConfigError::new(
                    "CHORUS_JWT_SECRET",
                    "required in production: set a random secret of at least 32 bytes",
                ));
            }
            None => (JwtSecret(crate::auth::random_bytes(32)), true),
        };
        let auth = AuthConfig {
            jwt_secret,
            jwt_secret_generated,
            jwt_issuer: vars.non_empty("CHORUS_JWT_ISSUER", "chorus")?,
            jwt_audience: vars.non_empty("CHORUS_JWT_AUDIENCE", "chorus-admin")?,
            access_token_ttl: vars.duration("CHORUS_ACCESS_TOKEN_TTL", "15m")?,
            refresh_token_ttl: vars.duration("CHORUS_REFRESH_TOKEN_TTL", "14d")?,
            login_window: vars.duration("CHORUS_LOGIN_WINDOW", "15m")?,
            login_max_failures_per_account: vars
                .count("CHORUS_LOGIN_MAX_FAILURES_PER_ACCOUNT", "5")?,
            login_max_failures_per_address: vars
                .count("CHORUS_LOGIN_MAX_FAILURES_PER_ADDRESS", "20")?,
            trust_forwarded_for: vars.bool("CHORUS_TRUST_FORWARDED_FOR", false)?,
            invite_ttl: vars.duration("CHORUS_INVITE_TTL", "72h")?,
        };
        let graphql = GraphqlConfig {
            max_depth: vars.count("CHORUS_GRAPHQL_MAX_DEPTH", "15")? as usize,
            max_complexity: vars.count("CHORUS_GRAPHQL_MAX_COMPLEXITY", "1000")? as usize,
            max_root_fields: vars.count("CHORUS_GRAPHQL_MAX_ROOT_FIELDS", "64")? as usize,
            max_selections: vars.count("CHORUS_GRAPHQL_MAX_SELECTIONS", "2000")? as usize,
            max_tokens: vars.count("CHORUS_GRAPHQL_MAX_TOKENS", "10000")? as usize,
            deadline: vars.parse_with(
                "CHORUS_GRAPHQL_DEADLINE",
                "5s",
                "a duration of at most 10m such as 5s",
                |v| parse_duration(v).filter(|d| *d <= Duration::from_secs(600)),
            )?,
            max_statements: vars.count("CHORUS_GRAPHQL_MAX_STATEMENTS", "200")?.into(),
            public_introspection: vars.bool("CHORUS_PUBLIC_INTROSPECTION", !production)?,
            max_body_bytes: vars.count("CHORUS_GRAPHQL_MAX_BODY_BYTES", "1048576")? as usize,
            live_connections_per_key: vars.count("CHORUS_LIVE_CONNECTIONS_PER_KEY", "5")?,
        };
        let limits = LimitsConfig {
            api_key_rate: vars.parse_with(
                "CHORUS_API_KEY_RATE",
                "50",
                "a number of requests per second greater than 0, such as 50 or 0.5",
                |v| v.parse::<f64>().ok().filter(|n| n.is_finite() && *n > 0.0),
            )?,
            api_key_burst: vars.count("CHORUS_API_KEY_BURST", "100")?,
            cors_origins: match vars.get("CHORUS_CORS_ORIGINS") {
                None => Vec::new(),
                Some(list) => crate::consumers::origins::parse_list(&list)
                    .map_err(|e| ConfigError::new("CHORUS_CORS_ORIGINS", e))?,
            },
        };
        let cache = CacheConfig {
            max_age: vars.parse_with(
                "CHORUS_CACHE_MAX_AGE",
                "30s",
                "a duration of at most 1h such as 30s, or 0 to disable",
                |v| match v {
                    "0" | "0s" => Some(Duration::ZERO),
                    _ => parse_duration(v).filter(|d| *d <= Duration::from_secs(3600)),
                },
            )?,
            response_cache_bytes: vars.bytes("CHORUS_RESPONSE_CACHE_BYTES", "33554432")?,
            apq_store_bytes: vars.bytes("CHORUS_APQ_STORE_BYTES", "4194304")?,
        };
        let encryption = match vars.get("CHORUS_ENCRYPTION_KEY") {
            Some(current) => {
                let old = vars.get("CHORUS_ENCRYPTION_OLD_KEYS");
                crate::crypto::KeyRing::parse(&current, old.as_deref()).map_err(|e| {
                    // The parser names which key; keep the variable name in front.
                    let var = if e.starts_with("old key") {
                        "CHORUS_ENCRYPTION_OLD_KEYS"
                    } else {
                        "CHORUS_ENCRYPTION_KEY"
                    };
                    ConfigError::new(var, e)
                })?;
                EncryptionKeys::Configured { current, old }
            }
            None if production => {
                return Err(ConfigError::new(
                    "CHORUS_ENCRYPTION_KEY",
                    "required in production: `chorus keys generate` prints a new key",
                ));
            }
            None => EncryptionKeys::File(data_dir.join("encryption.key")),
        };
        let jobs = JobsConfig {
            enabled: vars.bool("CHORUS_JOBS_ENABLED", true)?,
            poll_interval: vars.duration("CHORUS_JOBS_POLL_INTERVAL", "10s")?,
            lease: vars.duration("CHORUS_JOBS_LEASE", "5m")?,
            max_attempts: vars.parse_with(
                "CHORUS_JOBS_MAX_ATTEMPTS",
                "5",
                "a whole number from 1 to 100",
                |v| v.parse::<u32>().ok().filter(|n| (1..=100).contains(n)),
            )?,
            deadline: vars.duration("CHORUS_JOBS_DEADLINE", "2m")?,
        };
        // A job still running when its lease ends may be taken by another node:
        // the deadline stops it first.
        if jobs.deadline >= jobs.lease {
            return Err(ConfigError::new(
                "CHORUS_JOBS_DEADLINE",
                "must be shorter than CHORUS_JOBS_LEASE",
            ));
        }
        let pruning = PruningConfig {
            login_attempts: vars.duration("CHORUS_PRUNE_LOGIN_ATTEMPTS_AFTER", "30d")?,
            login_window: auth.login_window,
            sessions: vars.duration("CHORUS_PRUNE_SESSIONS_AFTER", "30d")?,
            jobs: vars.duration("CHORUS_PRUNE_JOBS_AFTER", "30d")?,
            story_changes: vars.duration("CHORUS_PRUNE_STORY_CHANGES_AFTER", "30d")?,
        };
        // Fewer attempts than the window counts would lift the failure limits early.
        if pruning.login_attempts < auth.login_window {
            return Err(ConfigError::new(
                "CHORUS_PRUNE_LOGIN_ATTEMPTS_AFTER",
                "must not be shorter than CHORUS_LOGIN_WINDOW",
            ));
        }
        if pruning.story_changes < MIN_STORY_CHANGES_KEPT {
            return Err(ConfigError::new(
                "CHORUS_PRUNE_STORY_CHANGES_AFTER",
                "must be at least 1d",
            ));
        }
        let four_eyes = vars.bool("CHORUS_FOUR_EYES", true)?;
        let consent = ConsentConfig {
            default_validity: vars.duration("CHORUS_CONSENT_DEFAULT_VALIDITY", "730d")?,
            public_reads: vars.bool("CHORUS_PUBLIC_READS", false)?,
            withdrawal_max_failures_per_address: vars
                .count("CHORUS_WITHDRAWAL_MAX_FAILURES_PER_ADDRESS", "10")?,
            controller: controller(&vars)?,
        };
        let submissions = SubmissionsConfig {
            secret: match vars.get("CHORUS_SUBMISSION_SECRET") {
                Some(secret) if secret.len() >= 32 => SubmissionSecret(secret.into_bytes()),
                Some(_) => {
                    return Err(ConfigError::new(
                        "CHORUS_SUBMISSION_SECRET",
                        "expected at least 32 bytes (e.g. `openssl rand -base64 48`)",
                    ));
                }
                // Every node shares the JWT secret already; a key derived from it
                // (never the secret itself) lets any node check any node's challenge.
                None => SubmissionSecret(crate::submissions::derive_secret(
                    auth.jwt_secret.as_bytes(),
                )),
            },
            max_number: vars.parse_with(
                "CHORUS_SUBMISSION_MAX_NUMBER",
                "100000",
                "a whole number from 1 to 10000000",
                |v| {
                    v.parse::<u64>()
                        .ok()
                        .filter(|n| (1..=10_000_000).contains(n))
                },
            )?,
            challenge_ttl: vars.duration("CHORUS_SUBMISSION_CHALLENGE_TTL", "20m")?,
            max_per_key_per_hour: vars.count("CHORUS_SUBMISSION_MAX_PER_KEY", "100")?,
            max_per_address_per_hour: vars.count("CHORUS_SUBMISSION_MAX_PER_ADDRESS", "5")?,
            block_duration: vars.duration("CHORUS_SUBMISSION_BLOCK_DURATION", "30d")?,
            max_body_bytes: vars.parse_with(
                "CHORUS_SUBMISSION_MAX_BODY_BYTES",
                "50000",
                &format!(
                    "a number of bytes from 1 to {}",
                    crate::stories::MAX_BODY_BYTES
                ),
                |v| {
                    v.parse::<usize>()
                        .ok()
                        .filter(|n| (1..=crate::stories::MAX_BODY_BYTES).contains(n))
                },
            )?,
        };
        let webhooks = WebhooksConfig {
            poll_interval: vars.duration("CHORUS_WEBHOOK_POLL_INTERVAL", "2s")?,
            timeout: vars.duration("CHORUS_WEBHOOK_TIMEOUT", "10s")?,
            retry_delay: vars.duration("CHORUS_WEBHOOK_RETRY_DELAY", "30s")?,
            max_retry_delay: vars.duration("CHORUS_WEBHOOK_MAX_RETRY_DELAY", "2h")?,
            retry_for: vars.duration("CHORUS_WEBHOOK_RETRY_FOR", "24h")?,
            concurrency: vars.count("CHORUS_WEBHOOK_CONCURRENCY", "32")?,
            per_endpoint: vars.count("CHORUS_WEBHOOK_PER_ENDPOINT", "4")?,
            allow_private: vars.bool("CHORUS_WEBHOOK_ALLOW_PRIVATE", false)?,
            takedown_deadline: vars.duration("CHORUS_TAKEDOWN_ACK_DEADLINE", "48h")?,
        };
        if webhooks.max_retry_delay < webhooks.retry_delay {
            return Err(ConfigError::new(
                "CHORUS_WEBHOOK_MAX_RETRY_DELAY",
                "must not be shorter than CHORUS_WEBHOOK_RETRY_DELAY",
            ));
        }
        let metrics = metrics(&vars, bind)?;
        let shutdown_grace = vars.duration("CHORUS_SHUTDOWN_GRACE", "30s")?;
        let log_filter = vars.get("CHORUS_LOG").unwrap_or_else(|| "info".into());
        if let Err(e) = tracing_subscriber::EnvFilter::try_new(&log_filter) {
            return Err(ConfigError::new(
                "CHORUS_LOG",
                format!("expected a log filter such as `info` or `chorus=debug,info`: {e}"),
            ));
        }
        let log_format = match vars.get("CHORUS_LOG_FORMAT").as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(ConfigError::new(
                    "CHORUS_LOG_FORMAT",
                    format!("expected `text` or `json`, got `{other}`"),
                ));
            }
        };
        let traces = otel::traces(&vars)?;

        Ok(Self {
            environment,
            bind,
            public_url,
            data_dir,
            database_url,
            database_max_connections,
            media_dir,
            storage,
            backup_s3,
            media_url_ttl,
            media_max_upload_bytes,
            media_max_files,
            media_upload_ttl,
            media_max_pixels,
            migrate_on_start,
            demo_on_first_start,
            admin_assets_dir,
            auth,
            graphql,
            limits,
            cache,
            encryption,
            jobs,
            pruning,
            four_eyes,
            consent,
            submissions,
            webhooks,
            metrics,
            shutdown_grace,
            log_filter,
            log_format,
            traces,
        })
    }

    /// True in production mode.
    pub fn is_production(&self) -> bool {
        self.environment == Environment::Production
    }

    /// True when the database is the embedded SQLite file.
    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }
}

fn default_sqlite_url(data_dir: &Path) -> String {
    format!("sqlite://{}?mode=rwc", data_dir.join("chorus.db").display())
}

/// Hides a password in a database URL before it is shown anywhere.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..scheme_end + 3], user, &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// The instance-wide data controller, from `CHORUS_CONTROLLER_*`.
fn controller(vars: &Vars<'_>) -> Result<Controller, ConfigError> {
    let controller = Controller {
        name: vars.get("CHORUS_CONTROLLER_NAME"),
        // `\n` in the setting is a line break: an address spans lines.
        address: vars
            .get("CHORUS_CONTROLLER_ADDRESS")
            .map(|a| a.replace("\\n", "\n")),
        contact: vars.get("CHORUS_CONTROLLER_CONTACT"),
        dpo_contact: vars.get("CHORUS_CONTROLLER_DPO_CONTACT"),
    };
    controller.check().map_err(|(field, reason)| {
        let name = match field {
            "name" => "CHORUS_CONTROLLER_NAME",
            "address" => "CHORUS_CONTROLLER_ADDRESS",
            "contact" => "CHORUS_CONTROLLER_CONTACT",
            _ => "CHORUS_CONTROLLER_DPO_CONTACT",
        };
        ConfigError::new(name, reason)
    })?;
    Ok(controller)
}

/// `CHORUS_METRICS_TOKEN` and `CHORUS_METRICS_BIND`.
fn metrics(vars: &Vars<'_>, main_bind: SocketAddr) -> Result<MetricsConfig, ConfigError> {
    let token = match vars.get("CHORUS_METRICS_TOKEN") {
        None => None,
        Some(token) if token.chars().count() < MetricsToken::MIN_LEN => {
            return Err(ConfigError::new(
                "CHORUS_METRICS_TOKEN",
                format!(
                    "must be at least {} characters (`openssl rand -hex 24`)",
                    MetricsToken::MIN_LEN
                ),
            ));
        }
        Some(token) => Some(MetricsToken(token)),
    };
    let bind = match vars.get("CHORUS_METRICS_BIND") {
        None => None,
        Some(value) => match value.parse::<SocketAddr>() {
            Ok(addr) if addr == main_bind && addr.port() != 0 => {
                return Err(ConfigError::new(
                    "CHORUS_METRICS_BIND",
                    "must differ from CHORUS_BIND: the metrics listener serves only /metrics",
                ));
            }
            Ok(addr) => Some(addr),
            Err(_) => {
                return Err(ConfigError::new(
                    "CHORUS_METRICS_BIND",
                    format!("expected a socket address such as 10.0.0.5:9187, got `{value}`"),
                ));
            }
        },
    };
    Ok(MetricsConfig { token, bind })
}

struct Vars<'a>(&'a dyn Fn(&str) -> Option<String>);

impl Vars<'_> {
    /// A variable's value; set-but-empty counts as unset, as in most shells' `.env` habits.
    fn get(&self, name: &str) -> Option<String> {
        (self.0)(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    fn parse_with<T>(
        &self,
        name: &'static str,
        default: &str,
        expected: &str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Result<T, ConfigError> {
        let value = self.get(name).unwrap_or_else(|| default.to_owned());
        parse(&value)
            .ok_or_else(|| ConfigError::new(name, format!("expected {expected}, got `{value}`")))
    }

    fn bool(&self, name: &'static str, default: bool) -> Result<bool, ConfigError> {
        let default = if default { "true" } else { "false" };
        self.parse_with(name, default, "`true` or `false`", |v| {
            match v.to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "on" => Some(true),
                "false" | "0" | "no" | "off" => Some(false),
                _ => None,
            }
        })
    }

    fn count(&self, name: &'static str, default: &str) -> Result<u32, ConfigError> {
        self.parse_with(name, default, "a whole number greater than 0", |v| {
            v.parse::<u32>().ok().filter(|n| *n > 0)
        })
    }

    /// A size in bytes; 0 allowed (it turns the thing off).
    fn bytes(&self, name: &'static str, default: &str) -> Result<usize, ConfigError> {
        self.parse_with(name, default, "a number of bytes, or 0 to disable", |v| {
            v.parse::<usize>().ok()
        })
    }

    fn duration(&self, name: &'static str, default: &str) -> Result<Duration, ConfigError> {
        self.parse_with(
            name,
            default,
            "a duration such as 90s, 15m, 12h or 14d",
            parse_duration,
        )
    }

    fn non_empty(&self, name: &'static str, default: &str) -> Result<String, ConfigError> {
        Ok(self.get(name).unwrap_or_else(|| default.to_owned()))
    }
}

/// Parses `250ms`, `90s`, `15m`, `12h`, `14d` or a bare number of seconds;
/// zero is refused.
pub fn parse_duration(value: &str) -> Option<Duration> {
    let (digits, unit) = match value.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => value.split_at(i),
        None => (value, "s"),
    };
    let n: u64 = digits.parse().ok().filter(|n| *n > 0)?;
    if unit == "ms" {
        return Some(Duration::from_millis(n));
    }
    let secs = match unit {
        "s" => n,
        "m" => n.checked_mul(60)?,
        "h" => n.checked_mul(3600)?,
        "d" => n.checked_mul(86_400)?,
        _ => return None,
    };
    Some(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_map(&map)
    }

    #[test]
    fn defaults_are_the_embedded_development_setup() {
        let c = config(&[]).expect("defaults are valid");
        assert_eq!(c.environment, Environment::Development);
        assert_eq!(c.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(c.database_url, "sqlite://./data/chorus.db?mode=rwc");
        assert_eq!(c.media_dir, PathBuf::from("./data/media"));
        assert!(c.demo_on_first_start);
        assert!(c.auth.jwt_secret_generated);
        assert!(c.graphql.public_introspection);
        assert_eq!(c.media_max_upload_bytes, 25 * 1024 * 1024);
        assert_eq!(c.media_max_files, 4);
        assert_eq!(c.media_upload_ttl, Duration::from_secs(3600));
        assert_eq!(c.media_max_pixels, 50_000_000);
        assert_eq!(c.cache.max_age, Duration::from_secs(30));
        assert_eq!(c.cache.response_cache_bytes, 32 * 1024 * 1024);
        assert_eq!(c.cache.apq_store_bytes, 4 * 1024 * 1024);
    }

    #[test]
    fn caching_can_be_turned_off() {
        let c = config(&[
            ("CHORUS_CACHE_MAX_AGE", "0"),
            ("CHORUS_RESPONSE_CACHE_BYTES", "0"),
            ("CHORUS_APQ_STORE_BYTES", "0"),
        ])
        .expect("zero turns caching off");
        assert_eq!(c.cache.max_age, Duration::ZERO);
        assert_eq!(c.cache.response_cache_bytes, 0);
        assert_eq!(c.cache.apq_store_bytes, 0);
    }

    #[test]
    fn production_requires_a_long_jwt_secret() {
        let err = config(&[("CHORUS_ENV", "production")]).unwrap_err();
        assert_eq!(err.var, "CHORUS_JWT_SECRET");
        let err =
            config(&[("CHORUS_ENV", "production"), ("CHORUS_JWT_SECRET", "short")]).unwrap_err();
        assert_eq!(err.var, "CHORUS_JWT_SECRET");
        let c = config(&[
            ("CHORUS_ENV", "production"),
            ("CHORUS_JWT_SECRET", "0123456789abcdef0123456789abcdef"),
            ("CHORUS_ENCRYPTION_KEY", KEY),
        ])
        .expect("valid production config");
        assert!(!c.demo_on_first_start);
        assert!(!c.graphql.public_introspection);
    }

    const KEY: &str = "k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY";

    #[test]
    fn production_refuses_demo_content() {
        let err = config(&[
            ("CHORUS_ENV", "production"),
            ("CHORUS_JWT_SECRET", "0123456789abcdef0123456789abcdef"),
            ("CHORUS_DEMO", "true"),
        ])
        .unwrap_err();
        assert_eq!(err.var, "CHORUS_DEMO");
    }

    #[test]
    fn production_requires_an_encryption_key_and_bad_keys_are_named() {
        let err = config(&[
            ("CHORUS_ENV", "production"),
            ("CHORUS_JWT_SECRET", "0123456789abcdef0123456789abcdef"),
        ])
        .unwrap_err();
        assert_eq!(err.var, "CHORUS_ENCRYPTION_KEY");
        let err = config(&[("CHORUS_ENCRYPTION_KEY", "k1:c2hvcnQ")]).unwrap_err();
        assert_eq!(err.var, "CHORUS_ENCRYPTION_KEY");
        assert!(!err.to_string().contains("c2hvcnQ"), "{err}");
        let err = config(&[
            ("CHORUS_ENCRYPTION_KEY", KEY),
            ("CHORUS_ENCRYPTION_OLD_KEYS", "nope"),
        ])
        .unwrap_err();
        assert_eq!(err.var, "CHORUS_ENCRYPTION_OLD_KEYS");
        assert!(matches!(
            config(&[]).unwrap().encryption,
            EncryptionKeys::File(path) if path == Path::new("./data/encryption.key")
        ));
    }

    #[test]
    fn bad_values_name_their_variable() {
        for (var, value) in [
            ("CHORUS_BIND", "localhost"),
            ("CHORUS_ENV", "staging"),
            ("CHORUS_DATABASE_URL", "mysql://x"),
            ("CHORUS_ACCESS_TOKEN_TTL", "soon"),
            ("CHORUS_MIGRATE_ON_START", "maybe"),
            ("CHORUS_LOGIN_MAX_FAILURES_PER_ACCOUNT", "0"),
            ("CHORUS_LOG_FORMAT", "xml"),
            ("CHORUS_PUBLIC_URL", "example.org"),
            ("CHORUS_MEDIA_MAX_UPLOAD_BYTES", "0"),
            ("CHORUS_MEDIA_MAX_FILES", "many"),
            ("CHORUS_MEDIA_UPLOAD_TTL", "8d"),
            ("CHORUS_API_KEY_RATE", "0"),
            ("CHORUS_API_KEY_BURST", "none"),
            ("CHORUS_CORS_ORIGINS", "example.org"),
            ("CHORUS_CACHE_MAX_AGE", "2h"),
            ("CHORUS_CACHE_MAX_AGE", "-1"),
            ("CHORUS_RESPONSE_CACHE_BYTES", "32MiB"),
            ("CHORUS_APQ_STORE_BYTES", "-1"),
            ("CHORUS_SUBMISSION_SECRET", "short"),
            ("CHORUS_SUBMISSION_MAX_NUMBER", "0"),
            ("CHORUS_SUBMISSION_MAX_PER_ADDRESS", "0"),
            ("CHORUS_SUBMISSION_MAX_BODY_BYTES", "200000"),
        ] {
            let err = config(&[(var, value)]).unwrap_err();
            assert_eq!(err.var, var, "{value}");
            assert!(err.to_string().starts_with(var));
        }
    }

    #[test]
    fn the_submission_secret_is_its_own_or_derived_from_the_jwt_secret_and_never_printed() {
        let jwt = "0123456789abcdef0123456789abcdef";
        let derived = config(&[("CHORUS_JWT_SECRET", jwt)]).unwrap().submissions;
        assert_ne!(derived.secret.as_bytes(), jwt.as_bytes());
        assert_eq!(
            derived.secret.as_bytes(),
            config(&[("CHORUS_JWT_SECRET", jwt)])
                .unwrap()
                .submissions
                .secret
                .as_bytes(),
            "every node derives the same key"
        );
        let own = "another secret of at least 32 bytes!";
        let c = config(&[("CHORUS_SUBMISSION_SECRET", own)]).unwrap();
        assert_eq!(c.submissions.secret.as_bytes(), own.as_bytes());
        assert!(!format!("{c:?}").contains(own));
        assert_eq!(c.submissions.max_number, 100_000);
        assert_eq!(c.submissions.max_per_address_per_hour, 5);
    }

    #[test]
    fn s3_storage_needs_a_bucket_and_keys_and_never_prints_the_secret() {
        assert_eq!(config(&[]).unwrap().storage, StorageConfig::Local);
        let err = config(&[("CHORUS_STORAGE", "s3")]).unwrap_err();
        assert_eq!(err.var, "CHORUS_S3_BUCKET");
        let err = config(&[("CHORUS_STORAGE", "s3"), ("CHORUS_S3_BUCKET", "media")]).unwrap_err();
        assert_eq!(err.var, "CHORUS_S3_ACCESS_KEY_ID");
        let c = config(&[
            ("CHORUS_STORAGE", "s3"),
            ("CHORUS_S3_BUCKET", "media"),
            ("CHORUS_S3_ENDPOINT", "http://127.0.0.1:9000"),
            ("CHORUS_S3_ACCESS_KEY_ID", "chorus"),
            ("CHORUS_S3_SECRET_ACCESS_KEY", "very-secret-value"),
            ("CHORUS_S3_PATH_STYLE", "true"),
        ])
        .expect("valid S3 config");
        let StorageConfig::S3(s3) = &c.storage else {
            panic!("expected S3: {:?}", c.storage)
        };
        assert!(s3.path_style);
        assert_eq!(s3.region, "us-east-1");
        assert!(!format!("{c:?}").contains("very-secret-value"));
        let err = config(&[("CHORUS_STORAGE", "ftp")]).unwrap_err();
        assert_eq!(err.var, "CHORUS_STORAGE");
    }

    #[test]
    fn jobs_get_a_deadline_inside_their_lease_and_a_bounded_number_of_attempts() {
        let c = config(&[]).unwrap();
        assert_eq!(c.jobs.max_attempts, 5);
        assert_eq!(c.jobs.deadline, Duration::from_secs(120));
        let err = config(&[("CHORUS_JOBS_DEADLINE", "5m")]).unwrap_err();
        assert_eq!(err.var, "CHORUS_JOBS_DEADLINE");
        for bad in ["0", "101", "many"] {
            let err = config(&[("CHORUS_JOBS_MAX_ATTEMPTS", bad)]).unwrap_err();
            assert_eq!(err.var, "CHORUS_JOBS_MAX_ATTEMPTS", "{bad}");
        }
    }

    #[test]
    fn s3_storage_waits_are_bounded_by_default() {
        let c = config(&[
            ("CHORUS_STORAGE", "s3"),
            ("CHORUS_S3_BUCKET", "media"),
            ("CHORUS_S3_ACCESS_KEY_ID", "chorus"),
            ("CHORUS_S3_SECRET_ACCESS_KEY", "very-secret-value"),
            ("CHORUS_STORAGE_IDLE_TIMEOUT", "30s"),
        ])
        .unwrap();
        let StorageConfig::S3(s3) = &c.storage else {
            panic!("expected S3: {:?}", c.storage)
        };
        assert_eq!(
            s3.timeouts,
            StorageTimeouts {
                connect: Duration::from_secs(5),
                first_byte: Duration::from_secs(10),
                idle: Duration::from_secs(30),
            }
        );
        let err = config(&[("CHORUS_STORAGE_CONNECT_TIMEOUT", "0s")]).unwrap_err();
        assert_eq!(err.var, "CHORUS_STORAGE_CONNECT_TIMEOUT");
    }

    #[test]
    fn pruning_never_cuts_into_the_login_window_or_below_a_day_of_history() {
        let c = config(&[]).expect("defaults are valid");
        assert_eq!(c.pruning.login_attempts, Duration::from_secs(30 * 86_400));
        assert_eq!(c.pruning.story_changes, Duration::from_secs(30 * 86_400));
        let err = config(&[
            ("CHORUS_LOGIN_WINDOW", "2h"),
            ("CHORUS_PRUNE_LOGIN_ATTEMPTS_AFTER", "1h"),
        ])
        .unwrap_err();
        assert_eq!(err.var, "CHORUS_PRUNE_LOGIN_ATTEMPTS_AFTER");
        assert!(
            config(&[
                ("CHORUS_LOGIN_WINDOW", "2h"),
                ("CHORUS_PRUNE_LOGIN_ATTEMPTS_AFTER", "2h"),
            ])
            .is_ok()
        );
        let err = config(&[("CHORUS_PRUNE_STORY_CHANGES_AFTER", "23h")]).unwrap_err();
        assert_eq!(err.var, "CHORUS_PRUNE_STORY_CHANGES_AFTER");
        assert!(config(&[("CHORUS_PRUNE_STORY_CHANGES_AFTER", "1d")]).is_ok());
        let err = config(&[("CHORUS_PRUNE_JOBS_AFTER", "0")]).unwrap_err();
        assert_eq!(err.var, "CHORUS_PRUNE_JOBS_AFTER");
    }

    #[test]
    fn durations_accept_units_and_refuse_zero() {
        assert_eq!(parse_duration("90"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("15m"), Some(Duration::from_secs(900)));
        assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_duration("0ms"), None);
        assert_eq!(parse_duration("2h"), Some(Duration::from_secs(7200)));
        assert_eq!(
            parse_duration("14d"),
            Some(Duration::from_secs(14 * 86_400))
        );
        assert_eq!(parse_duration("0s"), None);
        assert_eq!(parse_duration("5w"), None);
        assert_eq!(parse_duration("m"), None);
    }

    #[test]
    fn metrics_are_closed_unless_a_long_token_or_a_listener_is_set() {
        let c = config(&[]).expect("defaults are valid");
        assert!(!c.metrics.enabled());
        let err = config(&[("CHORUS_METRICS_TOKEN", "short-token")]).unwrap_err();
        assert_eq!(err.var, "CHORUS_METRICS_TOKEN");
        let c = config(&[("CHORUS_METRICS_TOKEN", "0123456789abcdef")]).expect("16 characters");
        assert_eq!(c.metrics.token.map(|t| t.as_bytes().len()), Some(16));
        let err = config(&[("CHORUS_METRICS_BIND", "localhost")]).unwrap_err();
        assert_eq!(err.var, "CHORUS_METRICS_BIND");
        let err = config(&[("CHORUS_METRICS_BIND", "127.0.0.1:8080")]).unwrap_err();
        assert_eq!(err.var, "CHORUS_METRICS_BIND");
        let c = config(&[("CHORUS_METRICS_BIND", "127.0.0.1:9187")]).expect("another port");
        assert!(c.metrics.enabled() && c.metrics.token.is_none());
    }

    #[test]
    fn database_passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://chorus:hunter2@db:5432/chorus"),
            "postgres://chorus:***@db:5432/chorus"
        );
        assert_eq!(redact_url("sqlite://./data/x.db"), "sqlite://./data/x.db");
    }
}
