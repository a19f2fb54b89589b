//! Automatic persisted queries (Apollo's APQ protocol): a client sends the
//! SHA-256 of its query instead of the query, and the full text only once.
//!
//! The store is a bounded LRU in process memory (`CHORUS_APQ_STORE_BYTES`): losing
//! an entry costs one round trip, since the client answers `PERSISTED_QUERY_NOT_FOUND`
//! by sending the text again. Only queries are registered, never mutations, and
//! only texts up to [`MAX_QUERY_BYTES`]; the HTTP layer decides what is a query.
//! The hash names a text anyone could send in full, so one store serves every caller.

use std::sync::{
    Arc, Mutex,
    atomic::{AtomicU64, Ordering},
};

use sha2::{Digest, Sha256};

use super::lru::Lru;

/// The longest query text the store keeps; longer ones run but are not remembered.
pub const MAX_QUERY_BYTES: usize = 64 * 1024;

/// What the `persistedQuery` extension of a request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// No text came with the hash, and the store has none for it.
    NotFound,
    /// The stored text for the hash.
    Found(Arc<str>),
    /// The text came along and matches the hash: run it, and remember it.
    Register([u8; 32]),
}

/// Why a `persistedQuery` extension was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("only version 1 of the persistedQuery extension is supported")]
    Version,
    #[error("persistedQuery.sha256Hash must be 64 hexadecimal digits")]
    Hash,
    #[error("provided sha does not match query")]
    Mismatch,
}

/// Query texts by the SHA-256 of their bytes.
pub struct PersistedQueries {
    texts: Mutex<Lru<[u8; 32], Arc<str>>>,
    capacity: usize,
    hits: AtomicU64,
    misses: AtomicU64,
}

/// How the store has been doing since the process started (for `/metrics`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Hashes sent alone whose text the store had.
    pub hits: u64,
    /// Hashes sent alone whose text it did not have (the client sends it next).
    pub misses: u64,
}

impl PersistedQueries {
    /// A store holding at most `capacity_bytes` of query text; 0 keeps nothing.
    pub fn new(capacity_bytes: usize) -> Self {
        Self {
            texts: Mutex::new(Lru::new(capacity_bytes)),
            capacity: capacity_bytes,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// Applies the protocol to one request: `version` and `hash` from its
    /// `extensions.persistedQuery`, `query` its text (empty when only the hash came).
    pub fn lookup(&self, version: i64, hash: &str, query: &str) -> Result<Lookup, Refused> {
        if version != 1 {
            return Err(Refused::Version);
        }
        let digest = parse_hash(hash).ok_or(Refused::Hash)?;
        if query.is_empty() {
            let found = self.lock().get(&digest);
            let counter = if found.is_some() {
                &self.hits
            } else {
                &self.misses
            };
            counter.fetch_add(1, Ordering::Relaxed);
            return Ok(found.map_or(Lookup::NotFound, Lookup::Found));
        }
        let computed: [u8; 32] = Sha256::digest(query.as_bytes()).into();
        if computed != digest {
            return Err(Refused::Mismatch);
        }
        Ok(Lookup::Register(digest))
    }

    /// Remembers `query` under `digest` (from [`Lookup::Register`]), if it fits.
    pub fn register(&self, digest: [u8; 32], query: &str) {
        if query.len() > MAX_QUERY_BYTES || query.len() > self.capacity {
            return;
        }
        self.lock().insert(digest, Arc::from(query), query.len());
    }

    /// Hits and misses so far.
    pub fn stats(&self) -> Stats {
        Stats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Lru<[u8; 32], Arc<str>>> {
        // A panic while holding the lock leaves a consistent map (each operation
        // completes before it can panic), so a poisoned lock is still usable.
        self.texts.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The 32 bytes of a hex SHA-256 (either case).
fn parse_hash(hash: &str) -> Option<[u8; 32]> {
    let mut digest = [0u8; 32];
    hex::decode_to_slice(hash, &mut digest).ok()?;
    Some(digest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sha(text: &str) -> String {
        hex::encode(Sha256::digest(text.as_bytes()))
    }

    #[test]
    fn a_hash_is_found_only_after_its_text_was_registered() {
        let store = PersistedQueries::new(1024);
        let query = "{ stories { totalCount } }";
        assert_eq!(store.lookup(1, &sha(query), ""), Ok(Lookup::NotFound));
        let Ok(Lookup::Register(digest)) = store.lookup(1, &sha(query), query) else {
            panic!("a matching text registers")
        };
        store.register(digest, query);
        assert_eq!(
            store.lookup(1, &sha(query).to_uppercase(), ""),
            Ok(Lookup::Found(Arc::from(query)))
        );
        // The text sent with its hash is neither: only hashes sent alone count.
        assert_eq!(store.stats(), Stats { hits: 1, misses: 1 });
    }

    #[test]
    fn wrong_hashes_and_versions_are_refused() {
        let store = PersistedQueries::new(1024);
        assert_eq!(
            store.lookup(1, &sha("{ a }"), "{ b }"),
            Err(Refused::Mismatch)
        );
        assert_eq!(store.lookup(2, &sha("{ a }"), ""), Err(Refused::Version));
        assert_eq!(store.lookup(1, "abc", ""), Err(Refused::Hash));
    }

    #[test]
    fn the_store_keeps_to_its_size_and_forgets_the_least_recently_used() {
        let store = PersistedQueries::new(30);
        let texts = ["{ aaaaaaaaa }", "{ bbbbbbbbb }", "{ ccccccccc }"];
        for text in &texts[..2] {
            store.register(Sha256::digest(text.as_bytes()).into(), text);
        }
        // Touch the first, so the second is the one to go.
        assert!(matches!(
            store.lookup(1, &sha(texts[0]), ""),
            Ok(Lookup::Found(_))
        ));
        store.register(Sha256::digest(texts[2].as_bytes()).into(), texts[2]);
        assert!(matches!(
            store.lookup(1, &sha(texts[0]), ""),
            Ok(Lookup::Found(_))
        ));
        assert_eq!(store.lookup(1, &sha(texts[1]), ""), Ok(Lookup::NotFound));
        // Too long to keep at all.
        let long = format!("{{ {} }}", "x".repeat(40));
        store.register(Sha256::digest(long.as_bytes()).into(), &long);
        assert_eq!(store.lookup(1, &sha(&long), ""), Ok(Lookup::NotFound));
    }
}
