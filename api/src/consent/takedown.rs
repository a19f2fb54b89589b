//! What follows when consent stops covering a story. Only the storyteller's own
//! withdrawal is final: their stories nothing covers any more move to the state
//! `WITHDRAWN` for good. A revocation, an invalidation or an expiry holds a story
//! instead (its state stays; the gate hides it and publishing is refused) until a
//! consent covers it again. Either way every key that ever received a story it
//! may no longer see gets a takedown record for the webhook work to deliver.

use chrono::{DateTime, Utc};
use entity::{
    api_key::{self, Channel},
    consent_record::{self, Status},
    job,
    story::{self, State},
    story_read, takedown,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, EntityTrait, Iterable, QueryFilter, QueryOrder, QuerySelect, Set,
    sea_query::{Expr, OnConflict},
};
use serde_json::json;
use uuid::Uuid;

use super::gate::{self, PartnerScope, Viewer};
use crate::{
    audit::{self, Actor},
    auth::Principal,
    error::{Error, Result},
    queue,
    stories::workflow,
};

/// After a record ended (withdrawn, revoked, invalidated, expired): take its
/// stories down from every recipient that may no longer see them. A withdrawal
/// also withdraws, for good, every story of the person that any of their
/// consents ever covered and that nothing covers any more, including stories
/// whose own consent had already expired: after the person said no, only a
/// story they newly agree to may appear (docs/CONSENT.md).
pub async fn after_ending(
    txn: &DatabaseTransaction,
    ended: &consent_record::Model,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<()> {
    let reason = match ended.status {
        Status::Withdrawn => "WITHDRAWN",
        Status::Revoked => "REVOKED",
        Status::Invalidated => "INVALIDATED",
        _ => "EXPIRED",
    };
    let stories = in_scope(txn, ended).await?;
    for story in &stories {
        take_down(txn, story.id, Some(ended.id), reason, now).await?;
    }
    if ended.status != Status::Withdrawn {
        return Ok(());
    }
    let mut candidates = stories.clone();
    for story in ever_covered(txn, ended.storyteller_id).await? {
        if !candidates.iter().any(|s| s.id == story.id) {
            candidates.push(story);
        }
    }
    for story in &candidates {
        if story.state == State::Withdrawn || covered_anywhere(txn, story.id, now).await? {
            continue;
        }
        withdraw_story(txn, story, ended, actor, now).await?;
        if !stories.iter().any(|s| s.id == story.id) {
            // Its recipients had an expiry's takedown at most; now it is final.
            take_down(txn, story.id, Some(ended.id), reason, now).await?;
        }
    }
    Ok(())
}

/// Every story of the storyteller that any of their consent records allowed at
/// some point (a `GIVEN` or `RENEWED` record, superseded or not): all their
/// stories when one was for all of them.
async fn ever_covered(
    db: &impl ConnectionTrait,
    storyteller_id: Uuid,
) -> Result<Vec<story::Model>> {
    let allowed = consent_record::Entity::find()
        .filter(consent_record::Column::StorytellerId.eq(storyteller_id))
        .filter(consent_record::Column::Status.is_in(gate::USABLE))
        .all(db)
        .await?;
    if allowed.is_empty() {
        return Ok(Vec::new());
    }
    let mut select = story::Entity::find().filter(story::Column::StorytellerId.eq(storyteller_id));
    if allowed.iter().all(|r| r.story_id.is_some()) {
        select = select.filter(story::Column::Id.is_in(allowed.iter().filter_map(|r| r.story_id)));
    }
    Ok(select.all(db).await?)
}

/// After an amendment or renewal replaced `previous`: recipients who may no longer
/// see a story under the new terms get a takedown.
pub async fn after_change(
    txn: &DatabaseTransaction,
    previous: &consent_record::Model,
    replacement: &consent_record::Model,
    now: DateTime<Utc>,
) -> Result<()> {
    for story in in_scope(txn, previous).await? {
        take_down(txn, story.id, Some(replacement.id), "NARROWED", now).await?;
    }
    Ok(())
}

/// Creates a takedown for every key that read the story and may no longer see it.
pub async fn take_down(
    txn: &impl ConnectionTrait,
    story_id: Uuid,
    consent_id: Option<Uuid>,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<usize> {
    let reads = story_read::Entity::find()
        .filter(story_read::Column::StoryId.eq(story_id))
        .all(txn)
        .await?;
    let mut created = 0;
    for read in reads {
        let still_visible = match viewer_of_key(txn, read.api_key_id).await? {
            Some(viewer) => gate::is_visible(txn, story_id, &viewer, now).await?,
            None => false,
        };
        if still_visible {
            continue;
        }
        takedown::ActiveModel {
            id: Set(Uuid::now_v7()),
            story_id: Set(story_id),
            api_key_id: Set(read.api_key_id),
            partner_id: Set(read.partner_id),
            consent_id: Set(consent_id),
            reason: Set(reason.to_owned()),
            created_at: Set(now),
            delivered_at: Set(None),
            acknowledged_at: Set(None),
            acknowledged_by: Set(None),
            overdue_at: Set(None),
        }
        .insert(txn)
        .await?;
        created += 1;
    }
    Ok(created)
}

/// The takedowns of a story, oldest first (editors).
pub async fn of_story(
    db: &impl ConnectionTrait,
    principal: &crate::auth::Principal,
    story_id: Uuid,
) -> Result<Vec<takedown::Model>> {
    principal.require_editor()?;
    Ok(takedown::Entity::find()
        .filter(takedown::Column::StoryId.eq(story_id))
        .order_by_asc(takedown::Column::Id)
        .all(db)
        .await?)
}

/// Acknowledges a takedown for the partner: every copy of the story is gone.
/// The key it was made for may acknowledge it, and so may another key of the
/// same partner; anyone else gets `NOT_FOUND`, as for an unknown id. Saying it
/// twice keeps the first acknowledgement.
pub async fn acknowledge(
    db: &DatabaseConnection,
    principal: &Principal,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<takedown::Model> {
    let consumer = match principal {
        Principal::Consumer(consumer) => consumer,
        _ => {
            return Err(Error::Forbidden(
                "a partner acknowledges its takedowns with its API key".into(),
            ));
        }
    };
    let txn = crate::db::begin_write(db).await?;
    let found = takedown::Entity::find_by_id(id)
        .filter(of_consumer(consumer))
        .one(&txn)
        .await?
        .ok_or_else(|| Error::NotFound("no takedown with this id for this key".into()))?;
    if found.acknowledged_at.is_some() {
        txn.commit().await?;
        return Ok(found);
    }
    let mut active: takedown::ActiveModel = found.into();
    active.acknowledged_at = Set(Some(now));
    active.acknowledged_by = Set(Some(consumer.key_id));
    let acknowledged = active.update(&txn).await?;
    audit::record(
        &txn,
        Actor::ApiKey(consumer.key_id),
        audit::Event::new("takedown.acknowledged", "takedown", acknowledged.id).detail(json!({
            "storyId": acknowledged.story_id,
            "partnerId": acknowledged.partner_id,
            "hoursAfter": (now - acknowledged.created_at).num_hours(),
        })),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(acknowledged)
}

/// The oldest unacknowledged takedown of each of these stories for a key,
/// marked delivered now: the sync feed hands them out with its tombstones.
pub async fn hand_out(
    db: &DatabaseConnection,
    key_id: Uuid,
    story_ids: &[Uuid],
    now: DateTime<Utc>,
) -> Result<std::collections::HashMap<Uuid, Uuid>> {
    let mut by_story = std::collections::HashMap::new();
    if story_ids.is_empty() {
        return Ok(by_story);
    }
    let found = takedown::Entity::find()
        .filter(takedown::Column::ApiKeyId.eq(key_id))
        .filter(takedown::Column::StoryId.is_in(story_ids.iter().copied()))
        .filter(takedown::Column::AcknowledgedAt.is_null())
        .order_by_asc(takedown::Column::Id)
        .all(db)
        .await?;
    let undelivered: Vec<Uuid> = found
        .iter()
        .filter(|t| t.delivered_at.is_none())
        .map(|t| t.id)
        .collect();
    for t in found {
        by_story.entry(t.story_id).or_insert(t.id);
    }
    if !undelivered.is_empty() {
        takedown::Entity::update_many()
            .col_expr(takedown::Column::DeliveredAt, Expr::value(now))
            .filter(takedown::Column::Id.is_in(undelivered))
            .filter(takedown::Column::DeliveredAt.is_null())
            .exec(db)
            .await?;
    }
    Ok(by_story)
}

/// The takedowns a consumer may see and acknowledge: its key's, and its
/// partner's other keys'.
fn of_consumer(consumer: &crate::auth::principal::Consumer) -> Condition {
    let mut mine = Condition::any().add(takedown::Column::ApiKeyId.eq(consumer.key_id));
    if let Some(partner) = consumer.partner_id {
        mine = mine.add(takedown::Column::PartnerId.eq(partner));
    }
    mine
}

/// A consumer's takedowns, oldest first; only those not acknowledged yet when
/// `outstanding`.
pub async fn for_consumer(
    db: &impl ConnectionTrait,
    principal: &Principal,
    outstanding: bool,
    limit: u64,
) -> Result<Vec<takedown::Model>> {
    let Principal::Consumer(consumer) = principal else {
        return Err(Error::Forbidden(
            "`takedowns` lists a partner's takedowns: send its API key".into(),
        ));
    };
    let mut select = takedown::Entity::find().filter(of_consumer(consumer));
    if outstanding {
        select = select.filter(takedown::Column::AcknowledgedAt.is_null());
    }
    Ok(select
        .order_by_asc(takedown::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// The takedowns not yet acknowledged, oldest first, for the partners the
/// admin reaches (one partner's when `partner_id` is given; `None` inside it
/// means the organisation's own keys). Admins only.
pub async fn outstanding(
    db: &DatabaseConnection,
    principal: &Principal,
    partner_id: Option<Option<Uuid>>,
    limit: u64,
) -> Result<Vec<takedown::Model>> {
    let (_, reach) = crate::consumers::reach::key_manager(db, principal).await?;
    let mut select = takedown::Entity::find()
        .filter(takedown::Column::AcknowledgedAt.is_null())
        .filter(reach.condition(takedown::Column::PartnerId));
    select = match partner_id {
        None => select,
        Some(Some(partner)) => select.filter(takedown::Column::PartnerId.eq(partner)),
        Some(None) => select.filter(takedown::Column::PartnerId.is_null()),
    };
    Ok(select
        .order_by_asc(takedown::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// Flags every takedown still unacknowledged `deadline` after it was made,
/// once each, in the audit log; returns how many were flagged.
pub async fn flag_overdue(
    db: &DatabaseConnection,
    deadline: chrono::Duration,
    now: DateTime<Utc>,
) -> Result<usize> {
    let late = || {
        takedown::Entity::find()
            .filter(takedown::Column::AcknowledgedAt.is_null())
            .filter(takedown::Column::OverdueAt.is_null())
            .filter(takedown::Column::CreatedAt.lte(now - deadline))
    };
    // Looked for outside a transaction: on most rounds there is none, and the
    // embedded database has one writer.
    if late().one(db).await?.is_none() {
        return Ok(0);
    }
    let txn = crate::db::begin_write(db).await?;
    let overdue = late()
        .order_by_asc(takedown::Column::Id)
        .limit(500)
        .all(&txn)
        .await?;
    let mut flagged = 0;
    for late in &overdue {
        let marked = takedown::Entity::update_many()
            .col_expr(takedown::Column::OverdueAt, Expr::value(now))
            .filter(takedown::Column::Id.eq(late.id))
            .filter(takedown::Column::OverdueAt.is_null())
            .exec(&txn)
            .await?;
        if marked.rows_affected == 0 {
            continue;
        }
        flagged += 1;
        audit::record(
            &txn,
            Actor::Worker,
            audit::Event::new("takedown.overdue", "takedown", late.id).detail(json!({
                "storyId": late.story_id,
                "apiKeyId": late.api_key_id,
                "partnerId": late.partner_id,
                "reason": late.reason,
                "deliveredAt": late.delivered_at,
                "ageHours": (now - late.created_at).num_hours(),
            })),
            now,
        )
        .await?;
    }
    txn.commit().await?;
    if flagged > 0 {
        tracing::warn!(
            takedowns = flagged,
            "takedowns unacknowledged past the deadline; flagged in the audit log"
        );
    }
    Ok(flagged)
}

/// The (story, key) pairs this process has already written to `story_reads`, so
/// a busy list does not write on every request. A row, once written, is never
/// deleted while its story exists (erasure deletes both), so remembering it is
/// safe; the set is bounded and simply starts again when full (a repeated insert
/// does nothing).
#[derive(Debug, Default)]
pub struct ReadLog {
    seen: std::sync::Mutex<std::collections::HashSet<(Uuid, Uuid)>>,
}

/// Pairs remembered before the log starts again (about 4 MB).
const READ_LOG_CAPACITY: usize = 100_000;

impl ReadLog {
    fn unseen(&self, key: Uuid, story_ids: &[Uuid]) -> Vec<Uuid> {
        let seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        story_ids
            .iter()
            .copied()
            .filter(|id| !seen.contains(&(*id, key)))
            .collect()
    }

    fn remember(&self, key: Uuid, story_ids: &[Uuid]) {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.len() + story_ids.len() > READ_LOG_CAPACITY {
            seen.clear();
        }
        seen.extend(story_ids.iter().map(|id| (*id, key)));
    }
}

/// Remembers that a key received these stories, so a takedown can reach it.
pub async fn record_reads(
    db: &impl ConnectionTrait,
    log: &ReadLog,
    viewer: &Viewer,
    story_ids: &[Uuid],
    now: DateTime<Utc>,
) -> Result<()> {
    let Some(api_key_id) = viewer.api_key_id else {
        return Ok(());
    };
    let story_ids = log.unseen(api_key_id, story_ids);
    if story_ids.is_empty() {
        return Ok(());
    }
    let partner_id = match viewer.partner {
        PartnerScope::Only(id) => Some(id),
        _ => None,
    };
    let rows = story_ids.iter().map(|story_id| story_read::ActiveModel {
        story_id: Set(*story_id),
        api_key_id: Set(api_key_id),
        partner_id: Set(partner_id),
        first_read_at: Set(now),
    });
    story_read::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([story_read::Column::StoryId, story_read::Column::ApiKeyId])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    // Only once written: a failed write is tried again on the next read.
    log.remember(api_key_id, &story_ids);
    Ok(())
}

/// The stories a record speaks for.
async fn in_scope(
    db: &impl ConnectionTrait,
    record: &consent_record::Model,
) -> Result<Vec<story::Model>> {
    let mut select =
        story::Entity::find().filter(story::Column::StorytellerId.eq(record.storyteller_id));
    if let Some(story_id) = record.story_id {
        select = select.filter(story::Column::Id.eq(story_id));
    }
    Ok(select.all(db).await?)
}

/// Whether any usable consent still covers the story on any channel.
pub async fn covered_anywhere(
    db: &impl ConnectionTrait,
    story_id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool> {
    for channel in Channel::iter().filter(|c| c.shows_stories()) {
        if gate::covers_channel(db, story_id, channel, now).await? {
            return Ok(true);
        }
    }
    Ok(false)
}

async fn withdraw_story(
    txn: &DatabaseTransaction,
    story: &story::Model,
    ended: &consent_record::Model,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<()> {
    for kind in [job::Kind::PublishStory, job::Kind::UnpublishStory] {
        queue::cancel_for_story(txn, story.id, kind, now).await?;
    }
    let mut changes = workflow::unchanged();
    changes.published_at = Set(None);
    changes.publish_at = Set(None);
    changes.unpublish_at = Set(None);
    workflow::advance(
        txn,
        story,
        State::Withdrawn,
        actor,
        "story.withdrawn",
        changes,
        json!({ "consentId": ended.id }),
        now,
    )
    .await?;
    Ok(())
}

/// The viewer a key reads as; `None` when the key is gone.
pub async fn viewer_of_key(db: &impl ConnectionTrait, key_id: Uuid) -> Result<Option<Viewer>> {
    let Some(key) = api_key::Entity::find_by_id(key_id).one(db).await? else {
        return Ok(None);
    };
    let campaign_ids = crate::consumers::key_campaigns(db, key.id).await?;
    Ok(Some(Viewer {
        channel: key.channel,
        partner: key
            .partner_id
            .map_or(PartnerScope::Nobody, PartnerScope::Only),
        campaign_ids,
        api_key_id: Some(key.id),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_read_log_skips_only_pairs_already_written_and_stays_bounded() {
        let log = ReadLog::default();
        let (key, other_key) = (Uuid::now_v7(), Uuid::now_v7());
        let stories: Vec<Uuid> = (0..3).map(|_| Uuid::now_v7()).collect();
        assert_eq!(log.unseen(key, &stories), stories);
        log.remember(key, &stories[..2]);
        assert_eq!(log.unseen(key, &stories), vec![stories[2]]);
        assert_eq!(log.unseen(other_key, &stories), stories, "per key");

        let many: Vec<Uuid> = (0..READ_LOG_CAPACITY).map(|_| Uuid::now_v7()).collect();
        log.remember(key, &many);
        assert!(log.seen.lock().unwrap().len() <= READ_LOG_CAPACITY);
        assert_eq!(
            log.unseen(key, &stories[..1]),
            vec![stories[0]],
            "started again"
        );
    }
}
