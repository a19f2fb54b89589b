//! Whole-archive backups (`chorus backup`) and restores (`chorus restore`).
//!
//! A backup is a directory (or an S3 prefix) holding one file of rows per
//! table in a portable encoding ([`encoding`]), every media object the
//! database references, and a [`manifest`] with the hashes of all of them. It
//! is read from one snapshot of the database while Chorus serves, so it is one
//! moment of the archive; a SQLite backup restores into PostgreSQL and back,
//! which is how an instance moves off the embedded default. Personal data stays
//! encrypted exactly as stored: a backup names the key ids it needs, never the
//! keys. Restoring checks every hash before it writes anything.

pub mod dump;
pub mod encoding;
pub mod manifest;
pub mod restore;
pub mod schema;
pub mod table;

use std::{path::PathBuf, sync::Arc};

use crate::{
    config::Config,
    storage::{ObjectStore, StorageError, local::LocalStore, s3::S3Store},
};

pub use dump::backup;
pub use restore::restore;

/// What can stop a backup or a restore.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The address, the target or the settings must change (exit code 2).
    #[error("{0}")]
    Usage(String),
    /// The backup does not match its manifest; nothing was written.
    #[error("{0}")]
    Damaged(String),
    /// A value this format cannot hold (a column type Chorus does not use yet).
    #[error("{table}.{column}: {source}")]
    Encoding {
        table: String,
        column: String,
        source: encoding::EncodingError,
    },
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("storage: {0}")]
    Storage(#[from] StorageError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Every entity's table, once each; the order does not matter (rows load in
/// foreign-key order, read from the database).
macro_rules! entity_tables {
    ($($module:ident),* $(,)?) => {
        /// A copier for each entity's table.
        pub fn entity_tables() -> Vec<Box<dyn table::TableCopy>> {
            vec![$(Box::new(table::Copy::<entity::$module::Entity>::default())),*]
        }
    };
}

entity_tables!(
    api_key,
    api_key_campaign,
    audit_event,
    campaign,
    campaign_event,
    campaign_event_story,
    campaign_grant,
    consent_channel,
    consent_event,
    consent_partner,
    consent_record,
    job,
    login_attempt,
    media_asset,
    media_face_mask,
    media_rendition,
    media_text,
    media_upload,
    organisation,
    partner,
    partner_origin,
    refresh_token,
    review_comment,
    risk_assessment,
    session,
    spent_challenge,
    story,
    story_campaign,
    story_change,
    story_locale,
    story_read,
    story_revision,
    story_tag,
    storyteller,
    storyteller_review,
    submission,
    submission_block,
    tag,
    takedown,
    user,
    user_invite,
    webhook_attempt,
    webhook_delivery,
    webhook_endpoint,
    webhook_known,
    withdrawal_code,
);

/// The story change log: restored exactly, after every other table (whose
/// inserts fire the triggers that would log changes of their own).
pub const CHANGE_LOG: &str = "story_changes";

/// Tables that are not entities but are copied: rows of integers, by column.
pub const COUNTER_TABLES: &[&str] = &["story_change_counter"];

/// What a backup does with a table of the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coverage {
    /// Its rows are in the backup.
    Copied,
    /// sea-orm's record of the migrations: the manifest lists them, and the
    /// restore applies them.
    Migrations,
    /// Made from other tables (the SQLite search index and FTS5's own
    /// tables): rebuilt on restore (`stories::search::rebuild_index`).
    Derived,
    /// Nothing knows it: a backup would lose it, so backups refuse to run.
    Unknown,
}

/// How a backup covers `table`.
pub fn coverage(table: &str) -> Coverage {
    if table == "seaql_migrations" {
        Coverage::Migrations
    } else if table == "story_search" || table.starts_with("story_search_") {
        Coverage::Derived
    } else if COUNTER_TABLES.contains(&table) || entity_tables().iter().any(|t| t.table() == table)
    {
        Coverage::Copied
    } else {
        Coverage::Unknown
    }
}

/// Columns encrypted with the key ring besides the `*_enc` ones (which are
/// found by their name): the webhook signing secrets.
pub const ENCRYPTED_COLUMNS: &[(&str, &str)] = &[
    ("webhook_endpoints", "secret"),
    ("webhook_endpoints", "previous_secret"),
];

/// True when `table.column` holds values the key ring encrypted.
pub fn is_encrypted(table: &str, column: &str) -> bool {
    column.ends_with("_enc") || ENCRYPTED_COLUMNS.contains(&(table, column))
}

/// Columns holding object keys, as (table, key column, MIME type column).
pub const OBJECT_COLUMNS: &[(&str, &str, Option<&str>)] = &[
    ("media_assets", "storage_key", Some("mime")),
    ("media_renditions", "storage_key", Some("mime")),
    ("media_uploads", "staging_key", None),
];

/// Where a backup is: a directory, or a prefix in an S3 bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Dir(PathBuf),
    S3 { bucket: String, prefix: String },
}

impl Location {
    /// Reads `DIR` or `s3://bucket/prefix`.
    pub fn parse(address: &str) -> Result<Self, BackupError> {
        let Some(rest) = address.strip_prefix("s3://") else {
            if address.trim().is_empty() || address.contains("://") {
                return Err(BackupError::Usage(format!(
                    "`{address}` is not a backup address: give a directory or s3://bucket/prefix"
                )));
            }
            return Ok(Location::Dir(PathBuf::from(address)));
        };
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let prefix = prefix.trim_end_matches('/');
        let bucket_ok = !bucket.is_empty()
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
        if !bucket_ok || (!prefix.is_empty() && crate::storage::validate_key(prefix).is_err()) {
            return Err(BackupError::Usage(format!(
                "`{address}` is not a backup address: expected s3://bucket/prefix with a bucket of \
                 lowercase letters, digits, `-` and `.`, and a prefix of letters, digits, `-`, `_`, `.` and `/`"
            )));
        }
        Ok(Location::S3 {
            bucket: bucket.into(),
            prefix: prefix.into(),
        })
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Dir(path) => write!(f, "{}", path.display()),
            Location::S3 { bucket, prefix } => write!(f, "s3://{bucket}/{prefix}"),
        }
    }
}

/// An opened backup location: files are objects under a prefix of a store.
pub struct Place {
    store: Arc<dyn ObjectStore>,
    prefix: String,
    location: Location,
}

impl Place {
    /// Opens `location` with the S3 endpoint and credentials of `config`.
    pub fn open(location: Location, config: &Config) -> Result<Self, BackupError> {
        let (store, prefix): (Arc<dyn ObjectStore>, String) = match &location {
            Location::Dir(path) => (Arc::new(LocalStore::new(path)), String::new()),
            Location::S3 { bucket, prefix } => {
                let Some(settings) = &config.backup_s3 else {
                    return Err(BackupError::Usage(
                        "an s3:// backup address needs CHORUS_S3_ACCESS_KEY_ID and \
                         CHORUS_S3_SECRET_ACCESS_KEY (and CHORUS_S3_ENDPOINT outside AWS)"
                            .into(),
                    ));
                };
                let settings = crate::config::S3Settings {
                    bucket: bucket.clone(),
                    ..settings.clone()
                };
                (Arc::new(S3Store::new(&settings)?), prefix.clone())
            }
        };
        Ok(Self {
            store,
            prefix,
            location,
        })
    }

    /// The store key of the backup's file `name`.
    fn key(&self, name: &str) -> String {
        if self.prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{}/{name}", self.prefix)
        }
    }

    /// True when nothing is there yet.
    async fn is_empty(&self) -> Result<bool, BackupError> {
        match &self.location {
            Location::Dir(path) => match std::fs::read_dir(path) {
                Ok(mut entries) => Ok(entries.next().is_none()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
                Err(e) => Err(BackupError::Usage(format!(
                    "cannot read the directory {}: {e}",
                    path.display()
                ))),
            },
            Location::S3 { .. } => {
                let prefix = if self.prefix.is_empty() {
                    String::new()
                } else {
                    format!("{}/", self.prefix)
                };
                Ok(self.store.list(&prefix).await?.is_empty())
            }
        }
    }
}

/// Reads `bytes` to the end, writing them to `into` when given, and returns
/// their size and hex SHA-256; nothing is held whole in memory.
async fn spool(
    mut bytes: crate::storage::ByteStream,
    into: Option<&std::path::Path>,
) -> Result<(u64, String), BackupError> {
    use futures_util::StreamExt;
    use sha2::Digest;
    use tokio::io::AsyncWriteExt;
    let mut file = match into {
        Some(path) => Some(tokio::fs::File::create(path).await?),
        None => None,
    };
    let mut hasher = sha2::Sha256::new();
    let mut size = 0u64;
    while let Some(chunk) = bytes.next().await {
        let chunk = chunk?;
        hasher.update(&chunk);
        size += chunk.len() as u64;
        if let Some(file) = file.as_mut() {
            file.write_all(&chunk).await?;
        }
    }
    if let Some(mut file) = file {
        file.flush().await?;
    }
    Ok((size, hex::encode(hasher.finalize())))
}
