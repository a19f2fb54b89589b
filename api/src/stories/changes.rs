//! What changed, for whom: the story change log (appended by database
//! triggers, migrations 000011 and 000018), the freshness checks and the rows
//! the response cache sweeps with, and the sync feed offline apps keep their
//! copy with.
//!
//! The feed answers with each changed story's state *now* for the reader: the
//! story as they may see it (an upsert), or a tombstone saying it must go. It
//! learns of changes from the log (every write) and from the clock (a consent
//! expiring, a scheduled publication or unpublication passing), so a consent
//! that simply runs out produces a tombstone without anyone acting.
//!
//! The log is pruned ([`prune_log`], run by [`crate::pruning`]); the version it
//! is pruned through is kept, and a cursor before it is refused with
//! `SYNC_CURSOR_EXPIRED`, since a tombstone may have been among what went.

use std::collections::{HashMap, HashSet};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use entity::{
    consent_record::{self, Status},
    story::{self, State},
    story_change, story_read, takedown,
};
use sea_orm::{
    ActiveEnum, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, JoinType,
    Order, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Alias, Expr, ExprTrait, Query, UnionType},
};
use uuid::Uuid;

use crate::{
    consent::{
        gate::{self, USABLE, Viewer},
        takedown::ReadLog,
    },
    error::{Error, Result},
    stories::published::{self, PublishedStory},
};

/// The change counter: raised by every logged write (and by changes to what an
/// API key may read, which log nothing), in commit order.
pub async fn version(db: &impl ConnectionTrait) -> Result<i64> {
    counter(db, "value").await
}

/// A column of the one-row `story_change_counter`.
async fn counter(db: &impl ConnectionTrait, column: &str) -> Result<i64> {
    let row = db
        .query_one(
            Query::select()
                .column(Alias::new(column))
                .from(Alias::new("story_change_counter"))
                .and_where(Expr::col(Alias::new("id")).eq(1)),
        )
        .await?;
    Ok(match row {
        Some(row) => row.try_get("", column)?,
        None => 0,
    })
}

/// The highest version whose log rows may have been pruned (migration 000026):
/// a reader that knows less than this cannot be told what it missed.
pub async fn pruned_through(db: &impl ConnectionTrait) -> Result<i64> {
    counter(db, "pruned_through").await
}

/// `SYNC_CURSOR_EXPIRED` when the log rows after `from` may be gone. Called
/// after the log was read: the mark is raised before rows are deleted, so a
/// read that missed rows always sees it raised.
async fn check_kept(db: &impl ConnectionTrait, from: Mark) -> Result<()> {
    if from.version < pruned_through(db).await? {
        return Err(Error::SyncCursorExpired);
    }
    Ok(())
}

/// What one pruning of the log did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LogPruned {
    /// Rows deleted.
    pub rows: u64,
    /// The mark after it (cursors before it are expired).
    pub through: i64,
    /// Rows past the horizon were kept for a reader standing before them
    /// (a webhook endpoint's place).
    pub held: bool,
}

/// Deletes the log rows written at or before `horizon`, oldest first, `batch`
/// versions' rows at a time, never past version `hold` (the oldest place a
/// reader of the log still stands at). Each step raises the mark and commits
/// before it deletes, so no statement holds the log for long.
pub async fn prune_log(
    db: &DatabaseConnection,
    horizon: DateTime<Utc>,
    hold: Option<i64>,
    batch: u64,
) -> Result<LogPruned> {
    let mut done = LogPruned {
        through: pruned_through(db).await?,
        ..LogPruned::default()
    };
    loop {
        let rows: Vec<(i64, DateTime<Utc>)> = story_change::Entity::find()
            .select_only()
            .column(story_change::Column::Version)
            .column(story_change::Column::ChangedAt)
            .filter(story_change::Column::Version.gt(done.through))
            .order_by(story_change::Column::Version, Order::Asc)
            .limit(batch)
            .into_tuple()
            .all(db)
            .await?;
        let old = rows.iter().take_while(|(_, at)| *at <= horizon).count();
        let Some(&(mut target, _)) = rows[..old].last() else {
            return Ok(done);
        };
        if let Some(hold) = hold
            && hold < target
        {
            done.held = true;
            target = hold;
        }
        if target <= done.through {
            return Ok(done);
        }
        let txn = crate::db::begin_write(db).await?;
        txn.execute(
            Query::update()
                .table(Alias::new("story_change_counter"))
                .value(Alias::new("pruned_through"), target)
                .and_where(Expr::col(Alias::new("id")).eq(1))
                .and_where(Expr::col(Alias::new("pruned_through")).lt(target)),
        )
        .await?;
        txn.commit().await?;
        let deleted = story_change::Entity::delete_many()
            .filter(story_change::Column::Version.lte(target))
            .exec(db)
            .await?;
        done.rows += deleted.rows_affected;
        done.through = target;
        if done.held || old < rows.len() || (rows.len() as u64) < batch {
            return Ok(done);
        }
    }
}

/// The greatest change version: equal values mean nothing a consumer could see
/// has been written in between, in any process sharing the database.
pub async fn high_water(db: &impl ConnectionTrait) -> Result<i64> {
    version(db).await
}

/// One logged write to one story, as the response cache sweeps them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Logged {
    pub version: i64,
    pub story_id: Uuid,
    /// The story could be shown before or after the write (migration 000018).
    pub public: bool,
}

/// The log's rows with versions in `(after, upto]`, oldest first, at most
/// `limit` of them (one more than wanted tells the caller there are too many).
/// One statement.
pub async fn logged_between(
    db: &impl ConnectionTrait,
    after: i64,
    upto: i64,
    limit: u64,
) -> Result<Vec<Logged>> {
    let rows: Vec<(i64, Uuid, bool)> = story_change::Entity::find()
        .select_only()
        .column(story_change::Column::Version)
        .column(story_change::Column::StoryId)
        .column(story_change::Column::Public)
        .filter(story_change::Column::Version.gt(after))
        .filter(story_change::Column::Version.lte(upto))
        .order_by(story_change::Column::Version, Order::Asc)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(version, story_id, public)| Logged {
            version,
            story_id,
            public,
        })
        .collect())
}

/// The earliest instant after `now` at which some story's visibility can change
/// with no write at all: a consent running out or starting, a scheduled
/// publication or unpublication. `None` when nothing is due.
pub async fn next_visibility_change(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>> {
    let usable = consent_record::Column::Status.is_in(USABLE.map(|s| s.to_value()));
    let candidates = [
        earliest::<consent_record::Entity, _>(
            db,
            consent_record::Column::ExpiresAt,
            Condition::all().add(usable.clone()),
            now,
        )
        .await?,
        earliest::<consent_record::Entity, _>(
            db,
            consent_record::Column::GivenAt,
            Condition::all().add(usable),
            now,
        )
        .await?,
        earliest::<story::Entity, _>(db, story::Column::PublishedAt, Condition::all(), now).await?,
        earliest::<story::Entity, _>(db, story::Column::UnpublishAt, Condition::all(), now).await?,
    ];
    Ok(candidates.into_iter().flatten().min())
}

async fn earliest<E: EntityTrait, C: ColumnTrait>(
    db: &impl ConnectionTrait,
    column: C,
    also: Condition,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>> {
    Ok(E::find()
        .select_only()
        .column(column)
        .filter(column.gt(now))
        .filter(also)
        .order_by(column, Order::Asc)
        .limit(1)
        .into_tuple::<Option<DateTime<Utc>>>()
        .one(db)
        .await?
        .flatten())
}

/// Where a reader's copy stands: everything up to `from` is known; while a sync
/// is being paged, the window's end (`to`) and the last story handed out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncCursor {
    /// `None`: nothing known yet (a full sync).
    pub from: Option<Mark>,
    /// The end of the window being paged; `None` once the window is done.
    pub to: Option<Mark>,
    /// Stories are handed out by id; the last one of the previous page.
    pub after: Option<Uuid>,
}

/// A point in the history: a change version and an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    pub version: i64,
    pub at: DateTime<Utc>,
}

const CURSOR_TAG: u8 = b'Y';

impl SyncCursor {
    /// Opaque to clients.
    pub fn encode(&self) -> String {
        let mut bytes = vec![CURSOR_TAG];
        for mark in [self.from, self.to] {
            match mark {
                Some(m) => {
                    bytes.push(1);
                    bytes.extend_from_slice(&m.version.to_be_bytes());
                    bytes.extend_from_slice(&m.at.timestamp_micros().to_be_bytes());
                }
                None => bytes.push(0),
            }
        }
        if let Some(after) = self.after {
            bytes.extend_from_slice(after.as_bytes());
        }
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// Reads a cursor handed out by [`SyncCursor::encode`].
    pub fn decode(field: &'static str, text: &str) -> Result<Self> {
        let bad = || Error::invalid(field, "expected a cursor as returned by `storyChanges`");
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| bad())?;
        let mut rest = bytes.strip_prefix(&[CURSOR_TAG]).ok_or_else(bad)?;
        let mut marks = [None, None];
        for mark in &mut marks {
            let (&flag, tail) = rest.split_first().ok_or_else(bad)?;
            rest = tail;
            if flag == 1 {
                let (version, tail) = rest.split_at_checked(8).ok_or_else(bad)?;
                let (at, tail) = tail.split_at_checked(8).ok_or_else(bad)?;
                rest = tail;
                let version = i64::from_be_bytes(version.try_into().map_err(|_| bad())?);
                let at = i64::from_be_bytes(at.try_into().map_err(|_| bad())?);
                *mark = Some(Mark {
                    version,
                    at: DateTime::from_timestamp_micros(at).ok_or_else(bad)?,
                });
            } else if flag != 0 {
                return Err(bad());
            }
        }
        let after = match rest.len() {
            0 => None,
            16 => Some(Uuid::from_slice(rest).map_err(|_| bad())?),
            _ => return Err(bad()),
        };
        let [from, to] = marks;
        if after.is_some() && to.is_none() {
            return Err(bad());
        }
        Ok(Self { from, to, after })
    }
}

/// Why a reader must delete a story.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gone {
    /// Taken offline, archived, out of its publication window, or out of the
    /// campaigns this key serves.
    Unpublished,
    /// The storyteller withdrew; or no consent covers the story for the viewer
    /// any more and none ran out: one was revoked or invalidated (the story is
    /// held), or an amendment or renewal dropped the viewer's channel or partner.
    Withdrawn,
    /// The consent ran out.
    Expired,
    /// The storyteller's data was erased.
    Erased,
}

/// One entry of the feed.
pub enum Change {
    Upsert(Box<PublishedStory>),
    Tombstone { story_id: Uuid, reason: Gone },
}

/// A page of the feed.
pub struct Feed {
    pub changes: Vec<Change>,
    pub has_next_page: bool,
    /// Where to continue: the next page, or (when none) the next sync.
    pub end_cursor: SyncCursor,
}

/// The changes since `since` (everything, when `None`) the viewer must apply,
/// at most `first` stories at a time.
pub async fn feed(
    db: &impl ConnectionTrait,
    reads: &ReadLog,
    viewer: &Viewer,
    since: Option<SyncCursor>,
    first: u64,
    now: DateTime<Utc>,
) -> Result<Feed> {
    let since = since.unwrap_or(SyncCursor {
        from: None,
        to: None,
        after: None,
    });
    let to = match since.to {
        Some(to) => to,
        None => Mark {
            version: version(db).await?,
            at: now,
        },
    };
    let mut ids = match since.from {
        None => visible_ids(db, viewer, since.after, first + 1, now).await?,
        Some(from) => {
            let ids = changed_ids(db, from, to, since.after, first + 1).await?;
            check_kept(db, from).await?;
            ids
        }
    };
    let has_next_page = ids.len() as u64 > first;
    ids.truncate(usize::try_from(first).unwrap_or(usize::MAX));
    let end_cursor = match (has_next_page, ids.last()) {
        (true, Some(&last)) => SyncCursor {
            from: since.from,
            to: Some(to),
            after: Some(last),
        },
        _ => SyncCursor {
            from: Some(to),
            to: None,
            after: None,
        },
    };

    let shown = published::by_ids(db, reads, viewer, &ids, now).await?;
    let shown_ids: HashSet<Uuid> = shown.iter().map(|s| s.id).collect();
    let hidden: Vec<Uuid> = ids
        .iter()
        .copied()
        .filter(|id| !shown_ids.contains(id))
        .collect();
    let mut tombstones = if since.from.is_some() {
        tombstones(db, viewer, &hidden, now).await?
    } else {
        HashMap::new()
    };
    let mut shown: HashMap<Uuid, PublishedStory> = shown.into_iter().map(|s| (s.id, s)).collect();
    let changes = ids
        .iter()
        .filter_map(|id| match shown.remove(id) {
            Some(story) => Some(Change::Upsert(Box::new(story))),
            None => tombstones.remove(id).map(|reason| Change::Tombstone {
                story_id: *id,
                reason,
            }),
        })
        .collect();
    Ok(Feed {
        changes,
        has_next_page,
        end_cursor,
    })
}

/// A full sync: the stories visible now, by id.
async fn visible_ids(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    after: Option<Uuid>,
    limit: u64,
    now: DateTime<Utc>,
) -> Result<Vec<Uuid>> {
    let mut select = story::Entity::find()
        .select_only()
        .column(story::Column::Id)
        .filter(gate::visible(viewer, now));
    if let Some(after) = after {
        select = select.filter(story::Column::Id.gt(after));
    }
    Ok(select
        .order_by(story::Column::Id, Order::Asc)
        .limit(limit)
        .into_tuple::<Uuid>()
        .all(db)
        .await?)
}

/// The stories with a logged write in `(from, to]` by version, or a clock
/// event in `(from, to]` by time, by id.
async fn changed_ids(
    db: &impl ConnectionTrait,
    from: Mark,
    to: Mark,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<Uuid>> {
    let sid = Alias::new("sid");
    let s = story::Entity;
    let c = consent_record::Entity;
    let within = |col: Expr| col.clone().gt(from.at).and(col.lte(to.at));

    let mut union = Query::select()
        .expr_as(Expr::col(story_change::Column::StoryId), sid.clone())
        .from(story_change::Entity)
        .and_where(Expr::col(story_change::Column::Version).gt(from.version))
        .and_where(Expr::col(story_change::Column::Version).lte(to.version))
        .to_owned();
    let consent_events = Query::select()
        .expr_as(Expr::col((s, story::Column::Id)), sid.clone())
        .from(s)
        .join(JoinType::InnerJoin, c, gate::may_cover_story(c))
        .cond_where(
            Condition::any()
                .add(within(Expr::col((c, consent_record::Column::ExpiresAt))))
                .add(within(Expr::col((c, consent_record::Column::GivenAt)))),
        )
        .to_owned();
    let story_events = Query::select()
        .expr_as(Expr::col((s, story::Column::Id)), sid.clone())
        .from(s)
        .cond_where(
            Condition::any()
                .add(within(Expr::col((s, story::Column::PublishedAt))))
                .add(within(Expr::col((s, story::Column::UnpublishAt)))),
        )
        .to_owned();
    union
        .union(UnionType::Distinct, consent_events)
        .union(UnionType::Distinct, story_events);

    let changed = Alias::new("changed");
    let mut select = Query::select();
    select
        .column((changed.clone(), sid.clone()))
        .from_subquery(union, changed.clone())
        .order_by((changed.clone(), sid.clone()), Order::Asc)
        .limit(limit);
    if let Some(after) = after {
        select.and_where(Expr::col((changed, sid)).gt(after));
    }
    let mut ids = Vec::new();
    for row in db.query_all(&select).await? {
        ids.push(row.try_get::<Uuid>("", "sid")?);
    }
    Ok(ids)
}

/// Why each of these stories (not visible to the viewer now) must go, for
/// those the viewer may be told about: a key hears only of stories it was
/// served; anonymous readers only of stories that were once published or are
/// erased. A tombstone names nothing but the story's id and the reason.
async fn tombstones(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    ids: &[Uuid],
    now: DateTime<Utc>,
) -> Result<HashMap<Uuid, Gone>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let wanted = crate::db::in_list(ids.iter().copied());
    let stories: HashMap<Uuid, story::Model> = story::Entity::find()
        .filter(story::Column::Id.is_in(wanted.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let served: Option<HashSet<Uuid>> = match viewer.api_key_id {
        Some(key) => {
            let read: Vec<Uuid> = story_read::Entity::find()
                .select_only()
                .column(story_read::Column::StoryId)
                .filter(story_read::Column::ApiKeyId.eq(key))
                .filter(story_read::Column::StoryId.is_in(wanted.clone()))
                .into_tuple()
                .all(db)
                .await?;
            let taken_down: Vec<Uuid> = takedown::Entity::find()
                .select_only()
                .column(takedown::Column::StoryId)
                .filter(takedown::Column::ApiKeyId.eq(key))
                .filter(takedown::Column::StoryId.is_in(wanted.clone()))
                .into_tuple()
                .all(db)
                .await?;
            Some(read.into_iter().chain(taken_down).collect())
        }
        None => None,
    };
    let covered: HashSet<Uuid> = story::Entity::find()
        .select_only()
        .column(story::Column::Id)
        .filter(story::Column::Id.is_in(wanted.clone()))
        .filter(gate::consent_covers(viewer, now))
        .into_tuple::<Uuid>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let expired: HashSet<Uuid> = expired_stories(db, &wanted, now).await?;

    let mut out = HashMap::new();
    for &id in ids {
        let story = stories.get(&id);
        let may_hear = match &served {
            Some(served) => served.contains(&id),
            None => story.is_none_or(|s| s.first_published_at.is_some()),
        };
        if !may_hear {
            continue;
        }
        let reason = match story {
            None => Gone::Erased,
            Some(s) if s.state == State::Withdrawn => Gone::Withdrawn,
            Some(s) if !gate::is_up(s, now) || covered.contains(&id) => Gone::Unpublished,
            Some(_) if expired.contains(&id) => Gone::Expired,
            Some(_) => Gone::Withdrawn,
        };
        out.insert(id, reason);
    }
    Ok(out)
}

/// Which of these stories have a current consent that ran out (marked expired
/// by the worker, or past its expiry and not yet marked).
async fn expired_stories(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
    now: DateTime<Utc>,
) -> Result<HashSet<Uuid>> {
    let s = story::Entity;
    let c = consent_record::Entity;
    let select = Query::select()
        .expr_as(Expr::col((s, story::Column::Id)), Alias::new("sid"))
        .from(s)
        .join(JoinType::InnerJoin, c, gate::may_cover_story(c))
        .and_where(Expr::col((s, story::Column::Id)).is_in(ids.to_vec()))
        .cond_where(gate::current(c))
        .cond_where(
            Condition::any()
                .add(Expr::col((c, consent_record::Column::Status)).eq(Status::Expired.to_value()))
                .add(
                    Condition::all()
                        .add(
                            Expr::col((c, consent_record::Column::Status))
                                .is_in(USABLE.map(|s| s.to_value())),
                        )
                        .add(Expr::col((c, consent_record::Column::ExpiresAt)).lte(now)),
                ),
        )
        .to_owned();
    let mut out = HashSet::new();
    for row in db.query_all(&select).await? {
        out.insert(row.try_get::<Uuid>("", "sid")?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_read_back_as_written_and_junk_is_refused() {
        let at = DateTime::from_timestamp_micros(1_795_000_000_123_456).unwrap();
        let mark = Mark { version: 42, at };
        for cursor in [
            SyncCursor {
                from: None,
                to: Some(mark),
                after: Some(Uuid::now_v7()),
            },
            SyncCursor {
                from: Some(mark),
                to: None,
                after: None,
            },
        ] {
            assert_eq!(
                SyncCursor::decode("since", &cursor.encode()).unwrap(),
                cursor
            );
        }
        for junk in ["", "abc", "WQ", "WQIB"] {
            assert!(SyncCursor::decode("since", junk).is_err(), "{junk}");
        }
    }
}
