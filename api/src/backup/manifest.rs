//! `manifest.json`: what a backup holds and the hashes that prove it whole.
//!
//! Written last, so a backup without one was never finished. The body is
//! hashed too (`sha256` beside it), so an edited or truncated manifest is told
//! apart from a damaged file it lists.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::encoding::Kind;

/// The layout this Chorus writes and reads.
pub const FORMAT: u32 = 1;

/// The manifest's name at the root of a backup.
pub const FILE: &str = "manifest.json";

/// A backup's contents.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub format: u32,
    /// The Chorus that made it (`CARGO_PKG_VERSION`).
    pub chorus_version: String,
    /// The moment of the database snapshot.
    pub created_at: DateTime<Utc>,
    /// `sqlite` or `postgres`.
    pub source_backend: String,
    /// The migrations applied to the source, in order.
    pub migrations: Vec<String>,
    /// The ids of the keys personal data is encrypted with (never the keys).
    pub encryption_key_ids: Vec<String>,
    /// One file per table, in the order they load (parents first).
    pub tables: Vec<TableFile>,
    /// Rows of tables that are not entities (the change counter), by table.
    pub counters: BTreeMap<String, Vec<BTreeMap<String, i64>>>,
    /// Every object the snapshot references.
    pub objects: Vec<Object>,
}

/// A table's file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TableFile {
    pub table: String,
    /// Relative to the backup's root.
    pub file: String,
    pub columns: Vec<Column>,
    pub rows: u64,
    pub size: u64,
    pub sha256: String,
}

/// A column of a table file: its name and how its values are encoded.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Column {
    pub name: String,
    /// `None` when the table was empty (nothing to decode).
    pub kind: Option<Kind>,
}

/// A media object.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Object {
    /// The key in the instance's store.
    pub key: String,
    pub content_type: String,
    /// Where it is in the backup, relative to its root; `None` when missing.
    pub file: Option<String>,
    pub size: Option<u64>,
    pub sha256: Option<String>,
    /// Referenced by the snapshot but gone from the store when it was copied
    /// (a withdrawal erased it while the backup ran).
    pub missing: bool,
}

#[derive(Serialize, Deserialize)]
struct Envelope {
    manifest: Manifest,
    /// Hex SHA-256 of the manifest's compact JSON.
    sha256: String,
}

/// Why a manifest cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("manifest.json is damaged or truncated ({0})")]
    Unreadable(String),
    #[error("manifest.json does not match its own hash: it was edited or damaged")]
    Hash,
}

impl Manifest {
    /// The manifest file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let envelope = Envelope {
            manifest: self.clone(),
            sha256: self.hash(),
        };
        serde_json::to_vec_pretty(&envelope).unwrap_or_default()
    }

    /// Reads a manifest file and checks its own hash.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ManifestError> {
        let envelope: Envelope =
            serde_json::from_slice(bytes).map_err(|e| ManifestError::Unreadable(e.to_string()))?;
        if envelope.manifest.hash() != envelope.sha256 {
            return Err(ManifestError::Hash);
        }
        Ok(envelope.manifest)
    }

    fn hash(&self) -> String {
        hex::encode(Sha256::digest(serde_json::to_vec(self).unwrap_or_default()))
    }

    /// Rows in every table file.
    pub fn rows(&self) -> u64 {
        self.tables.iter().map(|t| t.rows).sum()
    }

    /// Bytes of every object copied.
    pub fn object_bytes(&self) -> u64 {
        self.objects.iter().filter_map(|o| o.size).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Manifest {
        Manifest {
            format: FORMAT,
            chorus_version: "0.1.0".into(),
            created_at: Utc::now(),
            source_backend: "sqlite".into(),
            migrations: vec!["m1".into()],
            encryption_key_ids: vec!["k1".into()],
            tables: vec![],
            counters: BTreeMap::new(),
            objects: vec![],
        }
    }

    #[test]
    fn a_manifest_reads_back_and_an_edit_is_caught() {
        let bytes = sample().to_bytes();
        assert_eq!(Manifest::from_bytes(&bytes).expect("reads"), {
            let mut m = sample();
            m.created_at = Manifest::from_bytes(&bytes).expect("reads").created_at;
            m
        });
        let edited = String::from_utf8(bytes.clone())
            .expect("utf-8")
            .replace("\"k1\"", "\"k2\"");
        assert!(matches!(
            Manifest::from_bytes(edited.as_bytes()),
            Err(ManifestError::Hash)
        ));
        assert!(matches!(
            Manifest::from_bytes(&bytes[..bytes.len() / 2]),
            Err(ManifestError::Unreadable(_))
        ));
    }
}
