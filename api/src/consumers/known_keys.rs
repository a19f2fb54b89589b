//! API keys already authenticated by this process, kept for as long as the
//! change counter stands still.
//!
//! Every change to what a key may read (revocation, expiry, channel, partner,
//! secret, campaigns) raises the counter (migration 000012), and the counter is
//! read at the start of every consumer request anyway, for the response cache.
//! A key found here at the mark just read is exactly what the database would
//! say, so a revocation is refused on the next request in every process, while
//! a steady stream of reads costs no key lookup. The expiry instant is checked
//! on every use, as the database lookup would.

use std::{
    collections::HashMap,
    sync::{Mutex, MutexGuard},
};

use chrono::{DateTime, Utc};

use crate::auth::principal::Consumer;

/// At most this many keys are held; past it the map starts over (partners'
/// keys number in the tens, so this only bounds a flood of distinct keys).
const CAPACITY: usize = 4096;

/// A key as authenticated at one mark.
#[derive(Debug, Clone)]
pub struct Known {
    pub consumer: Consumer,
    pub expires_at: Option<DateTime<Utc>>,
    /// When `last_used_at` was last written (or read) for this key.
    pub last_used_at: Option<DateTime<Utc>>,
    /// The change counter this was read at.
    pub high_water: i64,
}

/// Keys by the SHA-256 of their secret.
#[derive(Default)]
pub struct KnownKeys {
    entries: Mutex<HashMap<String, Known>>,
}

impl KnownKeys {
    /// The key with this secret hash if it was read at `high_water`.
    pub fn get(&self, secret_hash: &str, high_water: i64) -> Option<Known> {
        lock(&self.entries)
            .get(secret_hash)
            .filter(|k| k.high_water == high_water)
            .cloned()
    }

    /// Remembers a key read at `known.high_water`, unless a newer reading is held.
    pub fn put(&self, secret_hash: String, known: Known) {
        let mut entries = lock(&self.entries);
        if entries
            .get(&secret_hash)
            .is_some_and(|held| held.high_water > known.high_water)
        {
            return;
        }
        if entries.len() >= CAPACITY && !entries.contains_key(&secret_hash) {
            entries.clear();
        }
        entries.insert(secret_hash, known);
    }

    /// Notes that `last_used_at` was written for the key with this secret hash.
    pub fn used(&self, secret_hash: &str, at: DateTime<Utc>) {
        if let Some(known) = lock(&self.entries).get_mut(secret_hash) {
            known.last_used_at = Some(at);
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every operation under this lock completes before anything can panic, so a
    // poisoned lock still guards a consistent map.
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(high_water: i64) -> Known {
        Known {
            consumer: Consumer {
                key_id: uuid::Uuid::now_v7(),
                partner_id: None,
                channel: entity::api_key::Channel::PublicWeb,
                campaign_ids: Vec::new(),
            },
            expires_at: None,
            last_used_at: None,
            high_water,
        }
    }

    #[test]
    fn a_key_is_known_only_at_the_mark_it_was_read_at() {
        let keys = KnownKeys::default();
        keys.put("h".into(), known(7));
        assert!(keys.get("h", 7).is_some());
        assert!(
            keys.get("h", 8).is_none(),
            "a later mark needs a new reading"
        );
        assert!(keys.get("other", 7).is_none());
        keys.put("h".into(), known(9));
        keys.put("h".into(), known(8));
        assert!(
            keys.get("h", 9).is_some(),
            "an older reading never replaces a newer one"
        );
    }
}
