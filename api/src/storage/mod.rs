//! Where media bytes live: one small [`ObjectStore`] trait with a driver per
//! backend ([`local`] disk, the embedded default; [`s3`]-compatible buckets).
//!
//! Services speak only to the trait. Objects are addressed by keys Chorus makes
//! (never a client's filename), written from a file on disk (uploads are
//! streamed to a temp file first, so nothing is held whole in memory) and read
//! back as byte streams, whole or by range.

pub mod local;
pub mod s3;
pub mod traced;

use std::{ops::Range, path::Path, pin::Pin, time::Duration};

use chrono::{DateTime, Utc};

/// A stream of an object's bytes.
pub type ByteStream =
    Pin<Box<dyn futures_core::Stream<Item = std::io::Result<bytes::Bytes>> + Send>>;

/// What can go wrong with storage, in terms services can act on.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("no object with this key")]
    NotFound,
    #[error("invalid object key: {0}")]
    InvalidKey(String),
    #[error("the requested range is outside the object")]
    InvalidRange,
    #[error("storage backend failed: {0}")]
    Backend(String),
    /// The store did not connect, answer or keep sending within its timeouts.
    #[error("storage did not answer in time: {0}")]
    Unavailable(String),
}

impl From<std::io::Error> for StorageError {
    fn from(err: std::io::Error) -> Self {
        match err.kind() {
            std::io::ErrorKind::NotFound => StorageError::NotFound,
            // What a stream of object bytes yields when the store goes quiet.
            std::io::ErrorKind::TimedOut => StorageError::Unavailable(err.to_string()),
            _ => StorageError::Backend(err.to_string()),
        }
    }
}

impl From<StorageError> for crate::error::Error {
    fn from(err: StorageError) -> Self {
        match err {
            StorageError::NotFound => crate::error::Error::NotFound("no such media object".into()),
            StorageError::Unavailable(cause) => crate::error::Error::StorageUnavailable { cause },
            other => crate::error::Error::internal(other),
        }
    }
}

/// Facts about a stored object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    pub key: String,
    pub size: u64,
    pub modified: Option<DateTime<Utc>>,
}

/// A read of an object: its total size and the bytes asked for.
pub struct ObjectRead {
    /// The whole object's size, whatever range was read.
    pub size: u64,
    /// The bytes of the range (or of the whole object).
    pub bytes: ByteStream,
}

/// A URL that lets a client move bytes directly, without Chorus in the path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresignedUrl {
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

/// One storage backend.
#[async_trait::async_trait]
pub trait ObjectStore: Send + Sync + std::fmt::Debug {
    /// Stores the file at `source` under `key`, replacing any object there.
    async fn put_file(
        &self,
        key: &str,
        source: &Path,
        content_type: &str,
    ) -> Result<ObjectInfo, StorageError>;

    /// Reads the object, or the byte `range` of it (end exclusive).
    async fn get(&self, key: &str, range: Option<Range<u64>>) -> Result<ObjectRead, StorageError>;

    /// The object's size and time, or `NotFound`.
    async fn head(&self, key: &str) -> Result<ObjectInfo, StorageError>;

    /// Removes the object; removing a missing object is not an error.
    async fn delete(&self, key: &str) -> Result<(), StorageError>;

    /// Every object whose key starts with `prefix` (for sweeping orphans).
    async fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>, StorageError>;

    /// A URL a client may `PUT` the object's bytes to until it expires; `None`
    /// when the backend cannot sign URLs (local disk: Chorus serves uploads itself).
    async fn presign_put(
        &self,
        key: &str,
        expires_in: Duration,
    ) -> Result<Option<PresignedUrl>, StorageError>;

    /// A URL a client may `GET` the object from until it expires; `None` when
    /// the backend cannot sign URLs (local disk: Chorus streams it itself).
    async fn presign_get(
        &self,
        key: &str,
        expires_in: Duration,
    ) -> Result<Option<PresignedUrl>, StorageError>;
}

/// The store the configuration names: local disk under `media_dir`, or an S3 bucket.
pub fn from_config(
    config: &crate::config::Config,
) -> Result<std::sync::Arc<dyn ObjectStore>, StorageError> {
    let (store, backend): (std::sync::Arc<dyn ObjectStore>, _) = match &config.storage {
        crate::config::StorageConfig::Local => (
            std::sync::Arc::new(local::LocalStore::new(&config.media_dir)),
            "local",
        ),
        crate::config::StorageConfig::S3(settings) => {
            (std::sync::Arc::new(s3::S3Store::new(settings)?), "s3")
        }
    };
    // Only while traces are exported: otherwise no span per call is made.
    Ok(if config.traces.is_some() {
        std::sync::Arc::new(traced::Traced::new(store, backend))
    } else {
        store
    })
}

/// Checks a key Chorus made: relative, `/`-separated segments of letters,
/// digits, `-`, `_` and `.`, no empty, `.` or `..` segment. Drivers call it so
/// that no key can reach outside its bucket or directory.
pub fn validate_key(key: &str) -> Result<(), StorageError> {
    let ok = !key.is_empty()
        && key.len() <= 512
        && key.split('/').all(|segment| {
            !segment.is_empty()
                && segment != "."
                && segment != ".."
                && segment
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        });
    if ok {
        Ok(())
    } else {
        Err(StorageError::InvalidKey(key.chars().take(80).collect()))
    }
}

/// Validates a byte range against an object's size.
pub fn check_range(range: &Range<u64>, size: u64) -> Result<(), StorageError> {
    if range.start >= range.end || range.end > size {
        Err(StorageError::InvalidRange)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_cannot_climb_out_of_the_store() {
        assert!(validate_key("media/01HZ/original.jpg").is_ok());
        for bad in [
            "",
            "/etc/passwd",
            "a/../b",
            "a//b",
            "./a",
            "a/b c",
            "a\\b",
            "..",
            "ä",
        ] {
            assert!(validate_key(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn ranges_must_lie_inside_the_object() {
        assert!(check_range(&(0..10), 10).is_ok());
        assert!(check_range(&(5..6), 10).is_ok());
        assert!(check_range(&(5..11), 10).is_err());
        assert!(check_range(&(5..5), 10).is_err());
    }
}
