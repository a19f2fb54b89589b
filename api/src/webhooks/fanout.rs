//! From each endpoint's place in the story feed to deliveries. The feed says,
//! for the endpoint's key, which stories it may now show (upserts) and which it
//! must delete (tombstones, only for stories the key was served); what the
//! endpoint was already told (`webhook_known`) turns that into events: a story
//! not known live is `story.published`, one known with other content
//! `story.updated`, a tombstone `story.unpublished` or `story.taken_down`, once.
//! The deliveries, the known states and the endpoint's new place are written in
//! one transaction, so a crash repeats a step whole or not at all, and on
//! PostgreSQL the endpoint's row is locked so that two nodes never fan out the
//! same endpoint at once.

use std::collections::HashMap;

use chrono::{DateTime, SecondsFormat, Utc};
use entity::{api_key, takedown, webhook_delivery, webhook_endpoint, webhook_known};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, Statement,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{Event, events_of};
use crate::{
    consent::takedown::{ReadLog, viewer_of_key},
    error::Result,
    stories::{
        changes::{self, Change, Gone, Mark, SyncCursor},
        published::PublishedStory,
    },
};

/// Stories read from the feed per step.
const PAGE: u64 = 100;
/// The known state of a story the endpoint was told to delete.
const GONE: &str = "gone";

/// Fans out every enabled endpoint once; returns the deliveries created. An
/// endpoint that fails is logged and tried again on the next round.
pub async fn fan_out(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<usize> {
    let endpoints = webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::DisabledAt.is_null())
        .order_by_asc(webhook_endpoint::Column::Id)
        .all(db)
        .await?;
    if endpoints.is_empty() {
        return Ok(0);
    }
    let version = changes::version(db).await?;
    // Whether some instant (a consent running out, a scheduled publication)
    // passed since the oldest place any endpoint stands at: looked up once, so a
    // quiet round costs the same few statements however many endpoints there are.
    let oldest = endpoints
        .iter()
        .filter_map(|e| place(e).map(|m| m.at))
        .min()
        .unwrap_or(now);
    let instant_passed = changes::next_visibility_change(db, oldest)
        .await?
        .is_some_and(|at| at <= now);
    let mut created = 0;
    for endpoint in endpoints {
        let id = endpoint.id;
        if !has_news(db, &endpoint, version, instant_passed, now).await? {
            continue;
        }
        match fan_out_one(db, id, now).await {
            Ok(n) => created += n,
            Err(err) => {
                err.log_if_internal();
                tracing::warn!(endpoint = %id, error = %err, "could not fan out webhook events; will try again");
            }
        }
    }
    Ok(created)
}

/// The oldest place any endpoint, enabled or not, stands at in the change log:
/// the log is kept from there on, so that a paused endpoint, enabled again,
/// still hears of every takedown it missed.
pub async fn oldest_place(db: &impl ConnectionTrait) -> Result<Option<i64>> {
    let cursors: Vec<Option<String>> = webhook_endpoint::Entity::find()
        .select_only()
        .column(webhook_endpoint::Column::FeedCursor)
        .into_tuple()
        .all(db)
        .await?;
    Ok(cursors
        .iter()
        .filter_map(|c| SyncCursor::decode("feedCursor", c.as_deref()?).ok()?.from)
        .map(|m| m.version)
        .min())
}

/// Where an endpoint stands in the feed, if it has a place.
fn place(endpoint: &webhook_endpoint::Model) -> Option<Mark> {
    endpoint
        .feed_cursor
        .as_deref()
        .and_then(|c| SyncCursor::decode("feedCursor", c).ok())
        .and_then(|c| c.from)
}

/// Whether anything may have changed for the endpoint since its place in the
/// feed: a logged write, or an instant passed (`instant_passed` says whether
/// one did since the oldest place; only then is this endpoint's own asked).
/// Read without a transaction, so that a quiet archive takes no write lock.
async fn has_news(
    db: &DatabaseConnection,
    endpoint: &webhook_endpoint::Model,
    version: i64,
    instant_passed: bool,
    now: DateTime<Utc>,
) -> Result<bool> {
    let Some(from) = place(endpoint) else {
        return Ok(true);
    };
    if from.version != version {
        return Ok(true);
    }
    if !instant_passed {
        return Ok(false);
    }
    Ok(changes::next_visibility_change(db, from.at)
        .await?
        .is_some_and(|at| at <= now))
}

async fn fan_out_one(db: &DatabaseConnection, id: Uuid, now: DateTime<Utc>) -> Result<usize> {
    let txn = crate::db::begin_write(db).await?;
    if txn.get_database_backend() == DbBackend::Postgres {
        let locked = txn
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT id FROM webhook_endpoints WHERE id = $1 FOR UPDATE SKIP LOCKED",
                [id.into()],
            ))
            .await?;
        if locked.is_none() {
            // Another node is on it.
            return Ok(0);
        }
    }
    let Some(endpoint) = webhook_endpoint::Entity::find_by_id(id).one(&txn).await? else {
        return Ok(0);
    };
    let key = api_key::Entity::find_by_id(endpoint.api_key_id)
        .one(&txn)
        .await?;
    if key.is_none() || endpoint.disabled_at.is_some() {
        return Ok(0);
    }
    // A revoked or expired key hears of nothing new, but a partner that was
    // served a story must still hear that it has to go.
    let live = super::key_is_live(key.as_ref(), now);
    let Some(viewer) = viewer_of_key(&txn, endpoint.api_key_id).await? else {
        return Ok(0);
    };
    let wanted = events_of(&endpoint);
    // Reads are recorded by the feed as for any reader; a log of its own keeps a
    // rolled-back step from being remembered as written.
    let reads = ReadLog::default();
    let mut since = endpoint
        .feed_cursor
        .as_deref()
        .and_then(|c| SyncCursor::decode("feedCursor", c).ok())
        .unwrap_or(SyncCursor {
            from: Some(Mark {
                version: changes::version(&txn).await?,
                at: now,
            }),
            to: None,
            after: None,
        });
    let mut created = 0;
    loop {
        let page = changes::feed(&txn, &reads, &viewer, Some(since), PAGE, now).await?;
        let told = Told::read(&txn, &endpoint, &page.changes).await?;
        for change in &page.changes {
            if !live && matches!(change, Change::Upsert(_)) {
                continue;
            }
            if let Some((event, story_id, data)) = event_for(&txn, &endpoint, &told, change).await?
                && wanted.contains(&event)
            {
                enqueue(&txn, endpoint.id, event, story_id, data, now).await?;
                created += 1;
            }
        }
        since = page.end_cursor;
        if !page.has_next_page {
            break;
        }
    }
    let mut active: webhook_endpoint::ActiveModel = endpoint.into();
    active.feed_cursor = Set(Some(since.encode()));
    active.update(&txn).await?;
    txn.commit().await?;
    Ok(created)
}

/// What an endpoint was told of a page's stories, and the key's open
/// takedowns of those that went: read in two statements for the page.
struct Told {
    known: HashMap<Uuid, webhook_known::Model>,
    takedowns: HashMap<Uuid, Vec<Uuid>>,
}

impl Told {
    async fn read(
        db: &impl ConnectionTrait,
        endpoint: &webhook_endpoint::Model,
        changes: &[Change],
    ) -> Result<Self> {
        let ids = changes.iter().map(|c| match c {
            Change::Upsert(story) => story.id,
            Change::Tombstone { story_id, .. } => *story_id,
        });
        let known = webhook_known::Entity::find()
            .filter(webhook_known::Column::EndpointId.eq(endpoint.id))
            .filter(webhook_known::Column::StoryId.is_in(ids))
            .all(db)
            .await?
            .into_iter()
            .map(|k| (k.story_id, k))
            .collect();
        let gone: Vec<Uuid> = changes
            .iter()
            .filter_map(|c| match c {
                Change::Tombstone { story_id, .. } => Some(*story_id),
                Change::Upsert(_) => None,
            })
            .collect();
        let mut takedowns: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
        if !gone.is_empty() {
            for t in takedown::Entity::find()
                .filter(takedown::Column::ApiKeyId.eq(endpoint.api_key_id))
                .filter(takedown::Column::StoryId.is_in(gone))
                .filter(takedown::Column::AcknowledgedAt.is_null())
                .order_by_asc(takedown::Column::Id)
                .all(db)
                .await?
            {
                takedowns.entry(t.story_id).or_default().push(t.id);
            }
        }
        Ok(Self { known, takedowns })
    }
}

/// The event a feed entry makes for an endpoint, if any, and records what the
/// endpoint now knows.
async fn event_for(
    db: &impl ConnectionTrait,
    endpoint: &webhook_endpoint::Model,
    told: &Told,
    change: &Change,
) -> Result<Option<(Event, Uuid, Value)>> {
    let (story_id, state) = match change {
        Change::Upsert(story) => (story.id, content_hash(story)),
        Change::Tombstone { story_id, .. } => (*story_id, GONE.to_owned()),
    };
    let known = told.known.get(&story_id).cloned();
    let event = match (change, known.as_ref().map(|k| k.content_hash.as_str())) {
        (_, Some(was)) if was == state => return Ok(None),
        (Change::Upsert(_), None | Some(GONE)) => Event::StoryPublished,
        (Change::Upsert(_), Some(_)) => Event::StoryUpdated,
        (Change::Tombstone { reason, .. }, _) if *reason == Gone::Unpublished => {
            Event::StoryUnpublished
        }
        (Change::Tombstone { .. }, _) => Event::StoryTakenDown,
    };
    match known {
        Some(known) => {
            let mut active: webhook_known::ActiveModel = known.into();
            active.content_hash = Set(state);
            active.update(db).await?;
        }
        None => {
            webhook_known::ActiveModel {
                endpoint_id: Set(endpoint.id),
                story_id: Set(story_id),
                content_hash: Set(state),
            }
            .insert(db)
            .await?;
        }
    }
    let data = match change {
        Change::Upsert(story) => json!({
            "storyId": story.id,
            "slug": story.slug,
            "locale": story.primary_locale,
            "publishedAt": story.published_at.map(|at| at.to_rfc3339_opts(SecondsFormat::Micros, true)),
        }),
        Change::Tombstone { story_id, reason } => {
            let takedowns = told.takedowns.get(story_id).cloned().unwrap_or_default();
            json!({
                "storyId": story_id,
                "reason": reason_name(*reason),
                // What to acknowledge with `acknowledgeTakedown` once every copy is gone.
                "takedownIds": takedowns,
            })
        }
    };
    Ok(Some((event, story_id, data)))
}

/// A digest of what the key sees of a story: a save that leaves it alone
/// (a draft revision, an editor's note) sends no `story.updated`.
fn content_hash(story: &PublishedStory) -> String {
    let allowance = &story.media_allowance;
    let seen = format!(
        "{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|Allowance {{ faces: {:?}, voice: {:?} }}",
        story.slug,
        story.primary_locale,
        story.published_at,
        story.texts,
        story.storyteller,
        story.region,
        // Written as the allowance printed before it had more fields, so the
        // hashes stored for every endpoint stay valid and no story is sent again.
        allowance.faces,
        allowance.voice,
    );
    hex::encode(Sha256::digest(seen.as_bytes()))
}

fn reason_name(reason: Gone) -> &'static str {
    match reason {
        Gone::Unpublished => "UNPUBLISHED",
        Gone::Withdrawn => "WITHDRAWN",
        Gone::Expired => "EXPIRED",
        Gone::Erased => "ERASED",
    }
}

async fn enqueue(
    db: &impl ConnectionTrait,
    endpoint_id: Uuid,
    event: Event,
    story_id: Uuid,
    data: Value,
    now: DateTime<Utc>,
) -> Result<()> {
    let payload = json!({
        "type": event.name(),
        "timestamp": now.to_rfc3339_opts(SecondsFormat::Micros, true),
        "data": data,
    });
    webhook_delivery::ActiveModel {
        id: Set(Uuid::now_v7()),
        endpoint_id: Set(endpoint_id),
        event: Set(event.name().to_owned()),
        story_id: Set(story_id),
        payload: Set(payload.to_string()),
        created_at: Set(now),
        next_attempt_at: Set(now),
        retry_from: Set(now),
        attempts: Set(0),
        locked_until: Set(None),
        locked_by: Set(None),
        delivered_at: Set(None),
        dead_at: Set(None),
        last_status: Set(None),
        last_error: Set(None),
    }
    .insert(db)
    .await?;
    Ok(())
}
