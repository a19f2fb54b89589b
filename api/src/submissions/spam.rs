//! Spam: editors mark a sent-in draft as spam (it is archived, out of the review
//! queue) and may block where it came from: the sender's address (its keyed
//! hash, for `CHORUS_SUBMISSION_BLOCK_DURATION`) or the whole key (until lifted).
//! A blocked source is refused with `SUBMISSION_REFUSED` / `BLOCKED`.

use chrono::{DateTime, Utc};
use entity::{
    submission,
    submission_block::{self, Kind},
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, Set,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    audit::{self, Actor, Event},
    auth::Principal,
    config::Config,
    error::{Error, Result},
    organisations::Scope,
    pagination::{self, Page, PageRequest},
    stories::workflow,
};

/// What to block along with marking a submission as spam.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Block {
    /// The sender's address, for the configured duration.
    pub address: bool,
    /// The campaign site's key, until an editor lifts it.
    pub key: bool,
}

/// Refuses with `BLOCKED` when the key or the address is blocked now.
pub async fn require_not_blocked(
    db: &impl ConnectionTrait,
    key_id: Uuid,
    address_hash: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let blocked = submission_block::Entity::find()
        .filter(
            Condition::any()
                .add(
                    Condition::all()
                        .add(submission_block::Column::Kind.eq(Kind::Address))
                        .add(submission_block::Column::Value.eq(address_hash)),
                )
                .add(
                    Condition::all()
                        .add(submission_block::Column::Kind.eq(Kind::ApiKey))
                        .add(submission_block::Column::Value.eq(key_id.to_string())),
                ),
        )
        .filter(active(now))
        .one(db)
        .await?;
    match blocked {
        Some(_) => {
            tracing::info!(api_key = %key_id, "submission refused: source blocked");
            Err(Error::refused(
                "BLOCKED",
                "submissions from here are not accepted at the moment",
            ))
        }
        None => Ok(()),
    }
}

/// Blocks in force at `now`.
fn active(now: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(submission_block::Column::LiftedAt.is_null())
        .add(
            Condition::any()
                .add(submission_block::Column::ExpiresAt.is_null())
                .add(submission_block::Column::ExpiresAt.gt(now)),
        )
}

/// Marks the sent-in story as spam (editors): archives it, out of the review
/// queue, and places the blocks asked for. Marking twice is a no-op, though
/// new blocks are still placed.
pub async fn mark_spam(
    db: &DatabaseConnection,
    config: &Config,
    principal: &Principal,
    story_id: Uuid,
    block: Block,
    now: DateTime<Utc>,
) -> Result<(submission::Model, Vec<submission_block::Model>)> {
    let staff = principal.require_editor()?;
    let txn = crate::db::begin_write(db).await?;
    let sub = submission::Entity::find()
        .filter(submission::Column::StoryId.eq(story_id))
        .one(&txn)
        .await?
        .ok_or_else(|| Error::NotFound("no story sent in with this id".into()))?;
    let actor = Actor::User(staff.user_id);
    let sub = if sub.spam_at.is_none() {
        let story = workflow::load(&txn, story_id, None).await?;
        if let Some(to) = workflow::next_state(
            story.state,
            workflow::Step::Archive,
            workflow::is_live(&story),
        ) {
            workflow::advance(
                &txn,
                &story,
                to,
                actor,
                "story.archived",
                workflow::unchanged(),
                json!({ "spam": true }),
                now,
            )
            .await?;
        }
        let mut active: submission::ActiveModel = sub.into();
        active.spam_at = Set(Some(now));
        active.spam_by = Set(Some(staff.user_id));
        let sub = active.update(&txn).await?;
        audit::record(
            &txn,
            actor,
            Event::new("submission.marked_spam", "story", story_id)
                .detail(json!({ "submissionId": sub.id })),
            now,
        )
        .await?;
        sub
    } else {
        sub
    };
    let mut placed = Vec::new();
    let duration = chrono::Duration::from_std(config.submissions.block_duration)
        .unwrap_or(chrono::Duration::days(30));
    for (wanted, kind, value, expires_at) in [
        (
            block.address,
            Kind::Address,
            sub.address_hash.clone(),
            Some(now + duration),
        ),
        (block.key, Kind::ApiKey, sub.api_key_id.to_string(), None),
    ] {
        if !wanted {
            continue;
        }
        let row = submission_block::ActiveModel {
            id: Set(Uuid::now_v7()),
            kind: Set(kind),
            value: Set(value),
            story_id: Set(Some(story_id)),
            created_by: Set(staff.user_id),
            created_at: Set(now),
            expires_at: Set(expires_at),
            lifted_at: Set(None),
            lifted_by: Set(None),
        }
        .insert(&txn)
        .await?;
        // The address hash stays out of the log: the block's id names it.
        audit::record(
            &txn,
            actor,
            Event::new("submission.source_blocked", "submission_block", row.id).detail(json!({
                "kind": kind_name(kind),
                "storyId": story_id,
                "apiKeyId": (kind == Kind::ApiKey).then_some(sub.api_key_id),
            })),
            now,
        )
        .await?;
        placed.push(row);
    }
    txn.commit().await?;
    Ok((sub, placed))
}

/// The blocks in force, oldest first (editors): those placed over a story in
/// the caller's scope.
pub async fn blocks(
    db: &DatabaseConnection,
    principal: &Principal,
    scope: &Scope,
    page: PageRequest,
    now: DateTime<Utc>,
) -> Result<Page<submission_block::Model>> {
    principal.require_editor()?;
    pagination::fetch(
        db,
        submission_block::Entity::find()
            .filter(active(now))
            .filter(scope.of_story((submission_block::Entity, submission_block::Column::StoryId))),
        submission_block::Column::Id,
        page,
    )
    .await
}

/// Lifts a block at once (editors, over a story in their scope); lifting twice
/// is a no-op.
pub async fn unblock(
    db: &DatabaseConnection,
    principal: &Principal,
    scope: &Scope,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<submission_block::Model> {
    let staff = principal.require_editor()?;
    let txn = crate::db::begin_write(db).await?;
    let unknown = || Error::NotFound("no submission block with this id".into());
    let row = submission_block::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(unknown)?;
    // Out of scope answers as an unknown id does (docs/ORGANISATIONS.md).
    match (row.story_id, scope) {
        (_, Scope::All) => {}
        (Some(story_id), _) => scope
            .ensure_story(&txn, story_id)
            .await
            .map_err(|e| match e {
                Error::NotFound(_) => unknown(),
                other => other,
            })?,
        (None, _) => return Err(unknown()),
    }
    if row.lifted_at.is_some() {
        txn.commit().await?;
        return Ok(row);
    }
    let mut active: submission_block::ActiveModel = row.into();
    active.lifted_at = Set(Some(now));
    active.lifted_by = Set(Some(staff.user_id));
    let row = active.update(&txn).await?;
    audit::record(
        &txn,
        Actor::User(staff.user_id),
        Event::new("submission.source_unblocked", "submission_block", row.id)
            .detail(json!({ "kind": kind_name(row.kind) })),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// The kind's name as clients see it.
pub fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Address => "ADDRESS",
        Kind::ApiKey => "API_KEY",
    }
}
