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
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, Iterable,
    QueryFilter, QueryOrder, Set, sea_query::OnConflict,
};
use serde_json::json;
use uuid::Uuid;

use super::gate::{self, PartnerScope, Viewer};
use crate::{audit::Actor, error::Result, queue, stories::workflow};

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
async fn viewer_of_key(db: &impl ConnectionTrait, key_id: Uuid) -> Result<Option<Viewer>> {
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
