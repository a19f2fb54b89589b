//! The in-process cache of consumer answers, exact by construction.
//!
//! A consumer read (an API key's, or the public's) that ran without errors is kept
//! under everything its answer depends on: the key and its scope (channel, partner,
//! campaigns), the query text, the variables and the operation name. An entry is
//! served again only while two things hold, both checked on every lookup:
//!
//! - **No write since.** Every write that can change what any consumer sees raises
//!   the change log's counter in its own transaction ([`crate::stories::changes`],
//!   by triggers); an entry remembers that high-water mark read *before* its query
//!   ran, and is served only while the mark is unchanged. The mark lives in the database, so a write on any node
//!   invalidates every node's entries, and a write racing the query can only make
//!   the entry look older than it is.
//! - **No instant passed.** Without any write, visibility still changes when a
//!   consent expires (or its given-at time arrives) and at scheduled publication
//!   times. An entry is valid only until the earliest such instant anywhere
//!   ([`crate::stories::changes::next_visibility_change`], memoised per high-water
//!   mark), until half the lifetime of the media URLs it carries has passed, and at
//!   most [`MAX_LIFETIME`].
//!
//! So a withdrawn or expired consent is never served from here: the withdrawal's
//! write changes the mark, and the expiry's instant bounds every entry made before
//! it. The cache is bounded in bytes (`CHORUS_RESPONSE_CACHE_BYTES`, least recently
//! used entries go first); with 0 it keeps nothing and costs nothing.

use std::{
    borrow::Borrow,
    collections::{BTreeMap, HashMap},
    hash::Hash,
    sync::{
        Arc, Mutex, MutexGuard,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use crate::{auth::Principal, error::Result, stories::changes};

/// The longest any entry is kept, whatever else bounds it: a safety net, since
/// invalidation does not depend on it.
pub const MAX_LIFETIME: Duration = Duration::from_secs(600);
/// What an entry costs beyond its key and body (map slots, the entry itself).
const ENTRY_OVERHEAD: usize = 160;

/// What this process keeps for consumers: their answers, the persisted query
/// texts they refer to by hash, and their authenticated keys.
pub struct Caches {
    pub responses: ResponseCache,
    pub queries: super::apq::PersistedQueries,
    /// API keys authenticated at the current mark.
    pub keys: super::known_keys::KnownKeys,
}

impl Caches {
    /// Both, sized as configured.
    pub fn from_config(config: &crate::config::CacheConfig) -> Self {
        Self {
            responses: ResponseCache::new(config.response_cache_bytes),
            queries: super::apq::PersistedQueries::new(config.apq_store_bytes),
            keys: Default::default(),
        }
    }
}

/// An answer kept for reuse.
#[derive(Debug)]
pub struct Cached {
    /// The JSON body; gzipped when `gzipped` (long answers are kept that way:
    /// several times more of them fit, and clients that accept gzip get these
    /// very bytes).
    pub body: Bytes,
    pub gzipped: bool,
    /// Its strong entity tag, quotes included.
    pub etag: Arc<str>,
    /// The instant from which it must not be served.
    pub valid_until: DateTime<Utc>,
    /// The change log's high-water mark read before the query ran.
    pub high_water: i64,
}

/// Everything an answer depends on, as one byte string.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key(Arc<[u8]>);

impl Key {
    /// The key of a read by `principal`; `None` for staff, whose answers are never kept.
    ///
    /// `variables` is the request's variables serialised as JSON. Each part is
    /// length-prefixed, so no two different requests can spell the same key.
    pub fn new(
        principal: &Principal,
        query: &str,
        variables: &[u8],
        operation_name: Option<&str>,
    ) -> Option<Self> {
        let mut key = Vec::with_capacity(query.len() + variables.len() + 96);
        match principal {
            Principal::Staff(_) => return None,
            // Every challenge must be new; nothing a submission key asks is kept.
            Principal::Consumer(consumer) if !consumer.channel.shows_stories() => return None,
            Principal::Anonymous => key.push(b'A'),
            Principal::Consumer(consumer) => {
                key.push(b'K');
                key.extend_from_slice(consumer.key_id.as_bytes());
                part(&mut key, format!("{:?}", consumer.channel).as_bytes());
                match consumer.partner_id {
                    Some(partner) => key.extend_from_slice(partner.as_bytes()),
                    None => key.extend_from_slice(&[0; 16]),
                }
                let mut campaigns = consumer.campaign_ids.clone();
                campaigns.sort();
                key.extend_from_slice(&(campaigns.len() as u64).to_le_bytes());
                for campaign in campaigns {
                    key.extend_from_slice(campaign.as_bytes());
                }
            }
        }
        match operation_name {
            Some(name) => {
                key.push(1);
                part(&mut key, name.as_bytes());
            }
            None => key.push(0),
        }
        part(&mut key, variables);
        part(&mut key, query.as_bytes());
        Some(Self(key.into()))
    }

    fn len(&self) -> usize {
        self.0.len()
    }
}

fn part(key: &mut Vec<u8>, bytes: &[u8]) {
    key.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
    key.extend_from_slice(bytes);
}

/// How the cache has been doing, for tests and operators.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Answers served from the cache.
    pub hits: u64,
    /// Lookups that found nothing usable.
    pub misses: u64,
    /// Answers stored.
    pub stores: u64,
    /// Entries held now.
    pub entries: usize,
    /// Bytes held now.
    pub bytes: usize,
}

/// The earliest visibility change after `from`, as read at one high-water mark.
#[derive(Debug, Clone, Copy)]
struct NextChange {
    high_water: i64,
    from: DateTime<Utc>,
    at: Option<DateTime<Utc>>,
}

/// Consumer answers, with what keeps them exact (see the module docs).
pub struct ResponseCache {
    capacity: usize,
    entries: Mutex<Lru<Key, Arc<Cached>>>,
    next_change: Mutex<Option<NextChange>>,
    hits: AtomicU64,
    misses: AtomicU64,
    stores: AtomicU64,
}

impl ResponseCache {
    /// A cache holding at most `capacity_bytes`; 0 disables it.
    pub fn new(capacity_bytes: usize) -> Self {
        Self {
            capacity: capacity_bytes,
            entries: Mutex::new(Lru::new(capacity_bytes)),
            next_change: Mutex::new(None),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            stores: AtomicU64::new(0),
        }
    }

    /// Whether answers are kept at all.
    pub fn enabled(&self) -> bool {
        self.capacity > 0
    }

    /// The entry for `key` if it may be served now: made at the current
    /// `high_water` mark, and `now` before its end. `high_water` must have been read
    /// before `now` was taken, so no write or instant can slip between them unseen.
    pub fn get(&self, key: &Key, high_water: i64, now: DateTime<Utc>) -> Option<Arc<Cached>> {
        if !self.enabled() {
            return None;
        }
        let mut entries = lock(&self.entries);
        let found = match entries.get(key) {
            Some(entry) if entry.high_water == high_water && now < entry.valid_until => Some(entry),
            Some(_) => {
                // Stale for good: the mark only grows and time only passes.
                entries.remove(key);
                None
            }
            None => None,
        };
        drop(entries);
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// Keeps `entry` under `key`, unless it is larger than an eighth of the cache
    /// (one huge answer should not flush everything else).
    pub fn put(&self, key: Key, entry: Cached) {
        let weight = key.len() + entry.body.len() + entry.etag.len() + ENTRY_OVERHEAD;
        if !self.enabled() || weight > self.capacity / 8 {
            return;
        }
        lock(&self.entries).insert(key, Arc::new(entry), weight);
        self.stores.fetch_add(1, Ordering::Relaxed);
    }

    /// Counters and size.
    pub fn stats(&self) -> Stats {
        let entries = lock(&self.entries);
        Stats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            stores: self.stores.load(Ordering::Relaxed),
            entries: entries.len(),
            bytes: entries.weight(),
        }
    }

    /// Until when an answer computed at `now`, after `high_water` was read, shows
    /// what a consumer may see: the earliest visibility change after `now`.
    ///
    /// Reads the high-water mark again afterwards; `None` if it moved, since then a
    /// write landed while the answer was being made and neither the answer nor the
    /// instant can be trusted to belong to `high_water` (keep nothing then).
    /// `Some(None)` means no change is scheduled at all.
    pub async fn visible_until(
        &self,
        db: &impl ConnectionTrait,
        high_water: i64,
        now: DateTime<Utc>,
    ) -> Result<Option<Option<DateTime<Utc>>>> {
        let known = *lock(&self.next_change);
        // Usable only if read at this mark, from an instant no later than `now`
        // (a change between its `from` and `now` would be missing otherwise), and
        // not yet passed.
        let memo = known.filter(|m| {
            m.high_water == high_water && m.from <= now && m.at.is_none_or(|at| now < at)
        });
        let at = match memo {
            Some(memo) => memo.at,
            None => changes::next_visibility_change(db, now).await?,
        };
        if changes::high_water(db).await? != high_water {
            return Ok(None);
        }
        if memo.is_none() {
            let mut slot = lock(&self.next_change);
            // Keep the newest reading: a later mark, or the same mark from later.
            if slot.is_none_or(|m| (m.high_water, m.from) < (high_water, now)) {
                *slot = Some(NextChange {
                    high_water,
                    from: now,
                    at,
                });
            }
        }
        Ok(Some(at))
    }
}

/// The end of an answer computed at `now`: the next visibility change
/// (`next_change`, from [`ResponseCache::visible_until`]), half the life of the
/// media URLs it may carry (issued after `now`, valid `media_url_ttl`), and
/// [`MAX_LIFETIME`], whichever comes first. Half, so that a client holding the
/// answer for its `max-age` still finds its URLs working.
pub fn valid_until(
    next_change: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    media_url_ttl: Duration,
) -> DateTime<Utc> {
    let lifetime = MAX_LIFETIME.min(media_url_ttl / 2);
    let cap = now + chrono::Duration::from_std(lifetime).unwrap_or(chrono::Duration::zero());
    next_change.map_or(cap, |at| at.min(cap))
}

/// The change log's high-water mark: read it before a lookup or a query.
pub async fn high_water(db: &impl ConnectionTrait) -> Result<i64> {
    changes::high_water(db).await
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every operation under these locks completes before anything can panic, so a
    // poisoned lock still guards a consistent map.
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// A map bounded by the total weight of its values, evicting the least recently
/// used first.
pub(crate) struct Lru<K, V> {
    map: HashMap<K, Slot<V>>,
    /// Keys by their last use, oldest first.
    order: BTreeMap<u64, K>,
    clock: u64,
    weight: usize,
    capacity: usize,
}

struct Slot<V> {
    value: V,
    used: u64,
    weight: usize,
}

impl<K: Hash + Eq + Clone, V: Clone> Lru<K, V> {
    /// An empty map holding at most `capacity` in total weight.
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            map: HashMap::new(),
            order: BTreeMap::new(),
            clock: 0,
            weight: 0,
            capacity,
        }
    }

    /// The value under `key`, now the most recently used.
    pub(crate) fn get<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.clock += 1;
        let (stored_key, slot) = self.map.get_key_value(key)?;
        let stored_key = stored_key.clone();
        let previous = slot.used;
        self.order.remove(&previous);
        self.order.insert(self.clock, stored_key);
        let slot = self.map.get_mut(key)?;
        slot.used = self.clock;
        Some(slot.value.clone())
    }

    /// Puts `value` under `key` (replacing any), then evicts until within capacity.
    /// A value heavier than the whole capacity is not kept.
    pub(crate) fn insert(&mut self, key: K, value: V, weight: usize) {
        self.remove(&key);
        if weight > self.capacity {
            return;
        }
        self.clock += 1;
        self.order.insert(self.clock, key.clone());
        self.map.insert(
            key,
            Slot {
                value,
                used: self.clock,
                weight,
            },
        );
        self.weight += weight;
        while self.weight > self.capacity {
            let Some((_, oldest)) = self.order.pop_first() else {
                break;
            };
            if let Some(slot) = self.map.remove(&oldest) {
                self.weight -= slot.weight;
            }
        }
    }

    /// Forgets `key`.
    pub(crate) fn remove<Q>(&mut self, key: &Q)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if let Some(slot) = self.map.remove(key) {
            self.order.remove(&slot.used);
            self.weight -= slot.weight;
        }
    }

    /// How many values are held.
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    /// Their total weight.
    pub(crate) fn weight(&self) -> usize {
        self.weight
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration as Span;
    use entity::api_key::Channel;
    use uuid::Uuid;

    use super::*;
    use crate::auth::principal::Consumer;

    fn consumer(key_id: Uuid, partner_id: Option<Uuid>) -> Principal {
        Principal::Consumer(Consumer {
            key_id,
            partner_id,
            channel: Channel::PartnerSites,
            campaign_ids: vec![],
        })
    }

    fn entry(body: &str, high_water: i64, valid_until: DateTime<Utc>) -> Cached {
        Cached {
            body: Bytes::copy_from_slice(body.as_bytes()),
            gzipped: false,
            etag: Arc::from("\"e\""),
            valid_until,
            high_water,
        }
    }

    #[test]
    fn keys_differ_by_caller_query_variables_and_operation() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let key = |p: &Principal, q: &str, v: &str, o: Option<&str>| {
            Key::new(p, q, v.as_bytes(), o).expect("a consumer's key")
        };
        let base = key(&consumer(a, None), "{ x }", "{}", None);
        assert_eq!(base, key(&consumer(a, None), "{ x }", "{}", None));
        assert_ne!(base, key(&consumer(b, None), "{ x }", "{}", None));
        assert_ne!(base, key(&consumer(a, Some(b)), "{ x }", "{}", None));
        assert_ne!(base, key(&Principal::Anonymous, "{ x }", "{}", None));
        assert_ne!(base, key(&consumer(a, None), "{ y }", "{}", None));
        assert_ne!(base, key(&consumer(a, None), "{ x }", "{\"a\":1}", None));
        assert_ne!(base, key(&consumer(a, None), "{ x }", "{}", Some("")));
        // Length prefixes: moving bytes between parts changes the key.
        assert_ne!(
            key(&consumer(a, None), "b{ x }", "{}", Some("a")),
            key(&consumer(a, None), "{ x }", "{}", Some("ab"))
        );
    }

    #[test]
    fn an_entry_is_served_only_at_its_mark_and_before_its_end() {
        let cache = ResponseCache::new(1 << 20);
        let key = Key::new(&Principal::Anonymous, "{ x }", b"{}", None).unwrap();
        let now = Utc::now();
        cache.put(key.clone(), entry("{}", 7, now + Span::seconds(10)));
        assert!(cache.get(&key, 7, now).is_some());
        assert!(cache.get(&key, 8, now).is_none(), "a write since");
        cache.put(key.clone(), entry("{}", 7, now + Span::seconds(10)));
        assert!(
            cache.get(&key, 7, now + Span::seconds(10)).is_none(),
            "the instant has come"
        );
        assert!(cache.get(&key, 7, now).is_none(), "and it was dropped");
        let stats = cache.stats();
        assert_eq!((stats.hits, stats.misses, stats.stores), (1, 3, 2));
        assert_eq!(stats.entries, 0);
    }

    #[test]
    fn an_answer_ends_at_the_next_change_or_half_the_url_life() {
        let now = Utc::now();
        let ttl = Duration::from_secs(300);
        assert_eq!(valid_until(None, now, ttl), now + Span::seconds(150));
        let soon = now + Span::seconds(20);
        assert_eq!(valid_until(Some(soon), now, ttl), soon);
        assert_eq!(
            valid_until(None, now, Duration::from_secs(86_400)),
            now + Span::seconds(600)
        );
    }

    #[test]
    fn a_disabled_cache_keeps_nothing() {
        let cache = ResponseCache::new(0);
        let key = Key::new(&Principal::Anonymous, "{ x }", b"{}", None).unwrap();
        cache.put(key.clone(), entry("{}", 1, Utc::now() + Span::seconds(10)));
        assert!(cache.get(&key, 1, Utc::now()).is_none());
        assert_eq!(cache.stats().entries, 0);
    }

    #[test]
    fn the_lru_keeps_to_its_weight_and_drops_the_least_recently_used() {
        let mut lru = Lru::new(10);
        lru.insert("a", 1, 4);
        lru.insert("b", 2, 4);
        assert_eq!(lru.get("a"), Some(1));
        lru.insert("c", 3, 4);
        assert_eq!(lru.get("b"), None, "b was the least recently used");
        assert_eq!((lru.get("a"), lru.get("c")), (Some(1), Some(3)));
        assert_eq!((lru.len(), lru.weight()), (2, 8));
        lru.insert("a", 10, 2);
        assert_eq!((lru.get("a"), lru.weight()), (Some(10), 6));
        lru.insert("huge", 0, 11);
        assert_eq!((lru.get("huge"), lru.len()), (None, 2));
        lru.remove("a");
        assert_eq!((lru.len(), lru.weight()), (1, 4));
    }
}
