//! The in-process cache of consumer answers, exact by construction.
//!
//! A consumer read (an API key's, or the public's) that ran without errors is kept
//! under everything its answer depends on: the key and its scope (channel, partner,
//! campaigns), the query text, the variables and the operation name. With it the
//! cache keeps what can change it ([`Dependencies`], collected while the query
//! ran): the stories shown, whether the answer is *open* (a list, or a lookup
//! that missed: it could gain a story it does not hold), and whether it is
//! *global* (it shows something else, such as the campaigns or tags). An entry
//! is served again only while two things hold:
//!
//! - **No write since that could change it.** Every write that can change what a
//!   consumer sees raises the change log's counter in its own transaction and
//!   logs one row per story it touches, flagged `public` when the story could be
//!   shown before or after it ([`crate::stories::changes`], by triggers). The
//!   cache is valid at a mark `V`: every row up to `V` has been applied. Each
//!   lookup reads the counter `m` first; if `m > V` it reads the rows in
//!   `(V, m]` (one statement, one sweep at a time) and ends the entries showing a
//!   changed story, the open entries if any row is public, and the global entries
//!   if the counter moved at all; then `V = m`. A story that could not be shown
//!   before or after a write cannot enter or leave any answer by it, so its
//!   unflagged rows end only entries that show it (none, unless it was shown and
//!   is being taken down: then its row is flagged). Counter moves with no rows
//!   (API key changes, [`super::known_keys`]) end only global entries: a changed
//!   key is authenticated again at the new mark, and its new channel, partner or
//!   campaigns make a new cache key, so it never finds its old entries.
//! - **No instant passed.** Without any write, visibility still changes when a
//!   consent expires (or its given-at time arrives) and at scheduled publication
//!   times. An entry is valid only until the earliest such instant anywhere
//!   ([`crate::stories::changes::next_visibility_change`], memoised per
//!   mark), until half the lifetime of the media URLs it carries has passed, and at
//!   most [`MAX_LIFETIME`].
//!
//! An answer is kept with the mark `h` read before its query ran, so it shows
//! everything written up to `h`, and perhaps some of what came after. If a sweep
//! moved `V` past `h` meanwhile, the rows in `(h, V]` are checked against it in
//! a journal of recently swept rows (the last [`JOURNAL_ROWS`]); when the
//! journal does not reach back to `h`, the answer is not kept. Rows after `V`
//! are applied by later sweeps as for every entry. So no write is missed, on
//! this node or any other sharing the database.
//!
//! So a withdrawn or expired consent is never served from here: the withdrawal
//! logs a public row for each story it hides (they could be shown before it),
//! ending every answer that shows them and every list, and the expiry's instant
//! bounds every entry made before it. The cache is bounded in bytes
//! (`CHORUS_RESPONSE_CACHE_BYTES`, least recently used entries go first); with 0
//! it keeps nothing and costs nothing.

use std::{
    collections::{HashMap, HashSet, VecDeque},
    sync::{
        Arc, Mutex, MutexGuard,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

pub use super::dependencies::Dependencies;
use super::lru::Lru;
use crate::{
    auth::Principal,
    error::Result,
    stories::changes::{self, Logged},
};

/// The longest any entry is kept, whatever else bounds it: a safety net, since
/// invalidation does not depend on it.
pub const MAX_LIFETIME: Duration = Duration::from_secs(600);
/// What an entry costs beyond its key and body (map slots, the entry itself,
/// its index slots).
const ENTRY_OVERHEAD: usize = 160;
/// The most change rows one sweep applies one by one; past that (a node that
/// was idle through a bulk import, say) it empties the cache instead.
pub const SWEEP_ROWS: u64 = 20_000;
/// Swept rows kept to check answers whose query raced a sweep.
pub const JOURNAL_ROWS: usize = 4096;

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
    /// What can change it.
    pub depends: Dependencies,
    /// The name of the document's only operation, for `/metrics` (a hit is
    /// answered without parsing the document).
    pub operation: Option<Arc<str>>,
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
    /// Sweeps that read change rows.
    pub sweeps: u64,
    /// Entries ended by sweeps (or not kept after a racing one).
    pub ended: u64,
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
    held: Mutex<Held>,
    /// Held by the one lookup reading change rows; the others wait for it
    /// rather than read the same rows.
    sweeping: tokio::sync::Mutex<()>,
    next_change: Mutex<Option<NextChange>>,
    hits: AtomicU64,
    misses: AtomicU64,
    stores: AtomicU64,
    sweeps: AtomicU64,
    ended: AtomicU64,
}

/// The entries, indexed by what ends them, and the mark they are valid at.
struct Held {
    entries: Lru<Key, Arc<Cached>>,
    /// Every change row up to here has been applied; `None` before the first
    /// lookup.
    valid_at: Option<i64>,
    by_story: HashMap<Uuid, HashSet<Key>>,
    open: HashSet<Key>,
    global: HashSet<Key>,
    journal: Journal,
}

/// The rows of the latest sweeps: every row with a version in `(floor, valid_at]`.
#[derive(Default)]
struct Journal {
    floor: i64,
    rows: VecDeque<Logged>,
}

impl Journal {
    fn restart(&mut self, at: i64) {
        self.rows.clear();
        self.floor = at;
    }

    fn extend(&mut self, rows: &[Logged]) {
        self.rows.extend(rows.iter().copied());
        while self.rows.len() > JOURNAL_ROWS {
            let Some(oldest) = self.rows.pop_front() else {
                break;
            };
            self.floor = oldest.version;
        }
        // A version's rows are kept whole or not at all.
        while self.rows.front().is_some_and(|r| r.version <= self.floor) {
            self.rows.pop_front();
        }
    }

    /// Whether no row after `since` can change an answer with `depends`;
    /// `false` when the journal does not reach back that far.
    fn spares(&self, since: i64, depends: &Dependencies) -> bool {
        since >= self.floor
            && self
                .rows
                .iter()
                .filter(|r| r.version > since)
                .all(|r| !ends(depends, r))
    }
}

/// Whether the change `row` can change an answer with `depends` (global answers
/// aside: any counter move ends those).
fn ends(depends: &Dependencies, row: &Logged) -> bool {
    (row.public && depends.open) || depends.stories.binary_search(&row.story_id).is_ok()
}

impl Held {
    fn end(&mut self, key: &Key) -> bool {
        match self.entries.remove(key) {
            Some(entry) => {
                self.unindex(key, &entry.depends);
                true
            }
            None => false,
        }
    }

    fn unindex(&mut self, key: &Key, depends: &Dependencies) {
        for story in &depends.stories {
            if let Some(keys) = self.by_story.get_mut(story) {
                keys.remove(key);
                if keys.is_empty() {
                    self.by_story.remove(story);
                }
            }
        }
        if depends.open {
            self.open.remove(key);
        }
        if depends.global {
            self.global.remove(key);
        }
    }

    fn index(&mut self, key: &Key, depends: &Dependencies) {
        for story in &depends.stories {
            self.by_story.entry(*story).or_default().insert(key.clone());
        }
        if depends.open {
            self.open.insert(key.clone());
        }
        if depends.global {
            self.global.insert(key.clone());
        }
    }

    fn clear(&mut self, at: i64) -> usize {
        let ended = self.entries.len();
        self.entries.clear();
        self.by_story.clear();
        self.open.clear();
        self.global.clear();
        self.journal.restart(at);
        self.valid_at = Some(at);
        ended
    }

    /// Applies the rows in `(valid_at, mark]` (`rows` may start earlier: those
    /// were applied already). Returns how many entries ended.
    fn sweep(&mut self, rows: &[Logged], mark: i64) -> usize {
        let Some(valid_at) = self.valid_at else {
            return self.clear(mark);
        };
        if valid_at >= mark {
            return 0;
        }
        let rows: Vec<Logged> = rows
            .iter()
            .filter(|r| r.version > valid_at && r.version <= mark)
            .copied()
            .collect();
        let mut doomed: Vec<Key> = self.global.drain().collect();
        if rows.iter().any(|r| r.public) {
            doomed.extend(self.open.drain());
        }
        for row in &rows {
            if let Some(keys) = self.by_story.remove(&row.story_id) {
                doomed.extend(keys);
            }
        }
        let mut ended = 0;
        for key in doomed {
            ended += usize::from(self.end(&key));
        }
        self.journal.extend(&rows);
        self.valid_at = Some(mark);
        ended
    }
}

impl ResponseCache {
    /// A cache holding at most `capacity_bytes`; 0 disables it.
    pub fn new(capacity_bytes: usize) -> Self {
        Self {
            capacity: capacity_bytes,
            held: Mutex::new(Held {
                entries: Lru::new(capacity_bytes),
                valid_at: None,
                by_story: HashMap::new(),
                open: HashSet::new(),
                global: HashSet::new(),
                journal: Journal::default(),
            }),
            sweeping: tokio::sync::Mutex::new(()),
            next_change: Mutex::new(None),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            stores: AtomicU64::new(0),
            sweeps: AtomicU64::new(0),
            ended: AtomicU64::new(0),
        }
    }

    /// Whether answers are kept at all.
    pub fn enabled(&self) -> bool {
        self.capacity > 0
    }

    /// Brings the entries up to `mark` (the change log's counter, just read):
    /// ends those that a change row up to `mark` can change. Reads the rows
    /// after the mark the entries are valid at, one statement, only when the
    /// counter has moved since; concurrent lookups wait for one reader.
    pub async fn catch_up(&self, db: &impl ConnectionTrait, mark: i64) -> Result<()> {
        if !self.enabled() || self.current(mark) {
            return Ok(());
        }
        let _sweeping = self.sweeping.lock().await;
        // Another lookup may have swept while this one waited.
        let from = {
            let mut held = lock(&self.held);
            match held.valid_at {
                Some(at) if at >= mark => return Ok(()),
                Some(at) => at,
                None => {
                    held.clear(mark);
                    return Ok(());
                }
            }
        };
        let rows = changes::logged_between(db, from, mark, SWEEP_ROWS + 1).await?;
        self.apply(&rows, mark);
        Ok(())
    }

    /// Applies the change rows read up to `mark` (more than [`SWEEP_ROWS`]
    /// of them: everything ends).
    fn apply(&self, rows: &[Logged], mark: i64) {
        let mut held = lock(&self.held);
        let ended = if rows.len() as u64 > SWEEP_ROWS {
            held.clear(mark)
        } else {
            held.sweep(rows, mark)
        };
        drop(held);
        self.sweeps.fetch_add(1, Ordering::Relaxed);
        self.ended.fetch_add(ended as u64, Ordering::Relaxed);
    }

    /// True when the entries are valid at `mark` already.
    fn current(&self, mark: i64) -> bool {
        lock(&self.held).valid_at.is_some_and(|at| at >= mark)
    }

    /// The entry for `key` if it may be served at `now`. [`Self::catch_up`]
    /// must have been called with a mark read before `now` was taken, so no
    /// write or instant can slip between them unseen.
    pub fn get(&self, key: &Key, now: DateTime<Utc>) -> Option<Arc<Cached>> {
        if !self.enabled() {
            return None;
        }
        let mut held = lock(&self.held);
        let found = match held.entries.get(key) {
            Some(entry) if now < entry.valid_until => Some(entry),
            Some(_) => {
                // Stale for good: time only passes.
                held.end(key);
                None
            }
            None => None,
        };
        drop(held);
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// Keeps `entry` under `key`, unless it is larger than an eighth of the cache
    /// (one huge answer should not flush everything else), or a change the
    /// entries were swept for since its mark can change it.
    pub fn put(&self, key: Key, entry: Cached) {
        let weight = key.len()
            + entry.body.len()
            + entry.etag.len()
            + entry.depends.weight()
            + entry.operation.as_ref().map_or(0, |name| name.len())
            + ENTRY_OVERHEAD;
        if !self.enabled() || weight > self.capacity / 8 {
            return;
        }
        let mut held = lock(&self.held);
        let Some(valid_at) = held.valid_at else {
            return;
        };
        if entry.high_water < valid_at
            && (entry.depends.global || !held.journal.spares(entry.high_water, &entry.depends))
        {
            drop(held);
            self.ended.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let entry = Arc::new(entry);
        for (gone_key, gone) in held.entries.insert(key.clone(), entry.clone(), weight) {
            held.unindex(&gone_key, &gone.depends);
        }
        if held
            .entries
            .get(&key)
            .is_some_and(|kept| Arc::ptr_eq(&kept, &entry))
        {
            held.index(&key, &entry.depends);
        }
        drop(held);
        self.stores.fetch_add(1, Ordering::Relaxed);
    }

    /// Counters and size.
    pub fn stats(&self) -> Stats {
        let held = lock(&self.held);
        Stats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            stores: self.stores.load(Ordering::Relaxed),
            sweeps: self.sweeps.load(Ordering::Relaxed),
            ended: self.ended.load(Ordering::Relaxed),
            entries: held.entries.len(),
            bytes: held.entries.weight(),
        }
    }

    /// Until when an answer computed at `now`, after `high_water` was read, shows
    /// what a consumer may see: the earliest visibility change after `now`
    /// (`None`: none is scheduled at all).
    ///
    /// Read while or after the query ran, so it may already include writes after
    /// `high_water`; that is safe, since an entry is ended by every later change
    /// to what it depends on, and an instant that such a change moved belongs to
    /// one of its stories (logged) or to a story that could not be shown either
    /// way. Memoised per mark.
    pub async fn visible_until(
        &self,
        db: &impl ConnectionTrait,
        high_water: i64,
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>> {
        let known = *lock(&self.next_change);
        // Usable only if read at this mark, from an instant no later than `now`
        // (a change between its `from` and `now` would be missing otherwise), and
        // not yet passed.
        let memo = known.filter(|m| {
            m.high_water == high_water && m.from <= now && m.at.is_none_or(|at| now < at)
        });
        if let Some(memo) = memo {
            return Ok(memo.at);
        }
        let at = changes::next_visibility_change(db, now).await?;
        let mut slot = lock(&self.next_change);
        // Keep the newest reading: a later mark, or the same mark from later.
        if slot.is_none_or(|m| (m.high_water, m.from) < (high_water, now)) {
            *slot = Some(NextChange {
                high_water,
                from: now,
                at,
            });
        }
        Ok(at)
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

    fn entry(high_water: i64, valid_until: DateTime<Utc>, depends: Dependencies) -> Cached {
        Cached {
            body: Bytes::from_static(b"{}"),
            gzipped: false,
            etag: Arc::from("\"e\""),
            valid_until,
            high_water,
            depends,
            operation: None,
        }
    }

    fn shows(stories: &[Uuid], open: bool, global: bool) -> Dependencies {
        let mut stories = stories.to_vec();
        stories.sort_unstable();
        Dependencies {
            stories,
            open,
            global,
        }
    }

    fn key(name: &str) -> Key {
        Key::new(&Principal::Anonymous, name, b"{}", None).expect("a key")
    }

    fn row(version: i64, story_id: Uuid, public: bool) -> Logged {
        Logged {
            version,
            story_id,
            public,
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
    fn a_change_ends_the_entries_showing_its_story_and_a_visible_one_every_list() {
        let cache = ResponseCache::new(1 << 20);
        let later = Utc::now() + Span::seconds(60);
        let (a, b, draft) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        cache.apply(&[], 7);
        cache.put(key("a"), entry(7, later, shows(&[a], false, false)));
        cache.put(key("b"), entry(7, later, shows(&[b], false, false)));
        cache.put(key("list"), entry(7, later, shows(&[a, b], true, false)));
        cache.put(key("miss"), entry(7, later, shows(&[], true, false)));
        cache.put(key("tags"), entry(7, later, shows(&[], false, true)));
        cache.put(key("schema"), entry(7, later, shows(&[], false, false)));
        let held = |name: &str| cache.get(&key(name), Utc::now()).is_some();

        // A draft nobody can see: nothing ends but what any write ends.
        cache.apply(&[row(8, draft, false)], 8);
        assert!(["a", "b", "list", "miss", "schema"].iter().all(|n| held(n)));
        assert!(!held("tags"), "any write ends a global answer");

        // An edit to a shown story: the answers showing it, and every open one.
        cache.apply(&[row(9, a, true)], 9);
        assert!(!held("a") && !held("list") && !held("miss"));
        assert!(held("b") && held("schema"));

        // A key change (the counter moves, no rows): only global answers.
        cache.put(key("tags"), entry(9, later, shows(&[], false, true)));
        cache.apply(&[], 10);
        assert!(!held("tags") && held("b"));
        assert_eq!(cache.stats().entries, 2);
    }

    #[test]
    fn an_answer_made_across_a_sweep_is_kept_only_if_the_journal_spares_it() {
        let cache = ResponseCache::new(1 << 20);
        let later = Utc::now() + Span::seconds(60);
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        cache.apply(&[], 5);
        // Made at mark 5; meanwhile a sweep applied 6 (story a, visible).
        cache.apply(&[row(6, a, true)], 6);
        cache.put(key("b"), entry(5, later, shows(&[b], false, false)));
        cache.put(key("a"), entry(5, later, shows(&[a], false, false)));
        cache.put(key("list"), entry(5, later, shows(&[b], true, false)));
        cache.put(key("tags"), entry(5, later, shows(&[], false, true)));
        let held = |name: &str| cache.get(&key(name), Utc::now()).is_some();
        assert!(held("b"));
        assert!(!held("a") && !held("list") && !held("tags"));

        // A journal that no longer reaches back keeps nothing older.
        let many: Vec<Logged> = (0..=JOURNAL_ROWS as i64)
            .map(|i| row(7 + i, Uuid::now_v7(), false))
            .collect();
        let mark = many.last().map_or(7, |r| r.version);
        cache.apply(&many, mark);
        cache.put(key("c"), entry(6, later, shows(&[b], false, false)));
        assert!(!held("c"));
        cache.put(key("c"), entry(mark - 1, later, shows(&[b], false, false)));
        assert!(held("c"));
    }

    #[test]
    fn an_entry_is_served_only_before_its_end() {
        let cache = ResponseCache::new(1 << 20);
        let now = Utc::now();
        cache.apply(&[], 7);
        cache.put(
            key("x"),
            entry(7, now + Span::seconds(10), shows(&[], false, false)),
        );
        assert!(cache.get(&key("x"), now).is_some());
        assert!(
            cache.get(&key("x"), now + Span::seconds(10)).is_none(),
            "the instant has come"
        );
        assert!(cache.get(&key("x"), now).is_none(), "and it was dropped");
        let stats = cache.stats();
        assert_eq!((stats.hits, stats.misses, stats.stores), (1, 2, 1));
        assert_eq!(stats.entries, 0);
    }

    #[test]
    fn too_many_rows_end_everything() {
        let cache = ResponseCache::new(1 << 20);
        let later = Utc::now() + Span::seconds(60);
        cache.apply(&[], 1);
        cache.put(key("x"), entry(1, later, shows(&[], false, false)));
        let rows: Vec<Logged> = (0..=SWEEP_ROWS as i64)
            .map(|_| row(2, Uuid::now_v7(), false))
            .collect();
        cache.apply(&rows, 2);
        assert_eq!(cache.stats().entries, 0);
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
        cache.apply(&[], 1);
        let later = Utc::now() + Span::seconds(10);
        cache.put(key("x"), entry(1, later, shows(&[], false, false)));
        assert!(cache.get(&key("x"), Utc::now()).is_none());
        assert_eq!(cache.stats().entries, 0);
    }
}
