//! Review material: comments on revisions, the storyteller's sign-off of a revision,
//! and risk assessments.

use chrono::{DateTime, NaiveDate, Utc};
use entity::{review_comment, risk_assessment, story, storyteller_review};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, QueryFilter, QueryOrder, Set, sea_query::Expr,
};
use serde_json::json;
use uuid::Uuid;

use super::{find_revision, workflow};
use crate::{
    audit::{self, Actor, Event},
    auth::{Principal, principal::Staff},
    error::{Error, Result},
};

const MAX_COMMENT_LEN: usize = 5_000;
const MAX_NOTES_LEN: usize = 5_000;

/// Adds a comment on a revision (any staff member).
pub async fn add_comment(
    db: &DatabaseConnection,
    principal: &Principal,
    revision_id: Uuid,
    body: String,
    now: DateTime<Utc>,
) -> Result<review_comment::Model> {
    let staff = principal.staff()?;
    let txn = crate::db::begin_write(db).await?;
    let revision = find_revision(&txn, revision_id).await?;
    let story = workflow::load(&txn, revision.story_id, None).await?;
    let comment = insert_comment(&txn, staff, &story, revision.id, body, now).await?;
    txn.commit().await?;
    Ok(comment)
}

/// Inserts a comment and its audit event inside the caller's transaction.
pub async fn insert_comment(
    txn: &DatabaseTransaction,
    staff: &Staff,
    story: &story::Model,
    revision_id: Uuid,
    body: String,
    now: DateTime<Utc>,
) -> Result<review_comment::Model> {
    let body = body.trim().to_owned();
    if body.is_empty() || body.chars().count() > MAX_COMMENT_LEN {
        return Err(Error::invalid(
            "body",
            format!("a comment is required, at most {MAX_COMMENT_LEN} characters"),
        ));
    }
    let comment = review_comment::ActiveModel {
        id: Set(Uuid::now_v7()),
        story_id: Set(story.id),
        revision_id: Set(revision_id),
        author_id: Set(staff.user_id),
        body: Set(body),
        created_at: Set(now),
        resolved_at: Set(None),
        resolved_by: Set(None),
    }
    .insert(txn)
    .await?;
    audit::record(
        txn,
        Actor::User(staff.user_id),
        Event::new("review.comment_added", "story", story.id)
            .detail(json!({ "commentId": comment.id, "revisionId": revision_id })),
        now,
    )
    .await?;
    Ok(comment)
}

/// Marks a comment resolved (any staff member); resolving twice is a no-op.
pub async fn resolve_comment(
    db: &DatabaseConnection,
    principal: &Principal,
    comment_id: Uuid,
    now: DateTime<Utc>,
) -> Result<review_comment::Model> {
    let staff = principal.staff()?;
    let txn = crate::db::begin_write(db).await?;
    let comment = review_comment::Entity::find_by_id(comment_id)
        .one(&txn)
        .await?
        .ok_or_else(|| Error::NotFound("no comment with this id".into()))?;
    if comment.resolved_at.is_none() {
        review_comment::Entity::update_many()
            .col_expr(review_comment::Column::ResolvedAt, Expr::value(now))
            .col_expr(
                review_comment::Column::ResolvedBy,
                Expr::value(staff.user_id),
            )
            .filter(review_comment::Column::Id.eq(comment.id))
            .exec(&txn)
            .await?;
        audit::record(
            &txn,
            Actor::User(staff.user_id),
            Event::new("review.comment_resolved", "story", comment.story_id)
                .detail(json!({ "commentId": comment.id })),
            now,
        )
        .await?;
    }
    let comment = review_comment::Entity::find_by_id(comment_id)
        .one(&txn)
        .await?
        .ok_or_else(|| Error::NotFound("no comment with this id".into()))?;
    txn.commit().await?;
    Ok(comment)
}

/// Comments on a story, oldest first.
pub async fn comments(
    db: &impl ConnectionTrait,
    story_id: Uuid,
) -> Result<Vec<review_comment::Model>> {
    Ok(review_comment::Entity::find()
        .filter(review_comment::Column::StoryId.eq(story_id))
        .order_by_asc(review_comment::Column::Id)
        .all(db)
        .await?)
}

/// Records that the storyteller reviewed this exact revision (any staff member: the
/// person who met or called them).
pub async fn record_storyteller_review(
    db: &DatabaseConnection,
    principal: &Principal,
    revision_id: Uuid,
    method: storyteller_review::Method,
    reviewed_at: DateTime<Utc>,
    notes: Option<String>,
    now: DateTime<Utc>,
) -> Result<storyteller_review::Model> {
    let staff = principal.staff()?;
    if reviewed_at > now + chrono::Duration::minutes(5) {
        return Err(Error::invalid(
            "reviewedAt",
            "a review cannot be recorded as happening in the future",
        ));
    }
    if notes
        .as_deref()
        .is_some_and(|n| n.chars().count() > MAX_NOTES_LEN)
    {
        return Err(Error::invalid(
            "notes",
            format!("at most {MAX_NOTES_LEN} characters"),
        ));
    }
    let txn = crate::db::begin_write(db).await?;
    let revision = find_revision(&txn, revision_id).await?;
    let review = storyteller_review::ActiveModel {
        id: Set(Uuid::now_v7()),
        story_id: Set(revision.story_id),
        revision_id: Set(revision.id),
        method: Set(method),
        reviewed_at: Set(reviewed_at),
        notes: Set(notes.filter(|n| !n.trim().is_empty())),
        recorded_by: Set(staff.user_id),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        Actor::User(staff.user_id),
        Event::new(
            "story.storyteller_review_recorded",
            "story",
            revision.story_id,
        )
        .detail(json!({ "revisionId": revision.id, "method": format!("{method:?}") })),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(review)
}

/// Sign-offs recorded for a story, oldest first.
pub async fn storyteller_reviews(
    db: &impl ConnectionTrait,
    story_id: Uuid,
) -> Result<Vec<storyteller_review::Model>> {
    Ok(storyteller_review::Entity::find()
        .filter(storyteller_review::Column::StoryId.eq(story_id))
        .order_by_asc(storyteller_review::Column::Id)
        .all(db)
        .await?)
}

/// Everything a risk assessment records.
#[derive(Debug, Clone)]
pub struct NewAssessment {
    pub assessor: String,
    pub assessed_on: NaiveDate,
    pub level: risk_assessment::Level,
    pub mitigations: String,
}

/// Records a risk assessment for a story (editors and admins).
pub async fn record_risk_assessment(
    db: &DatabaseConnection,
    principal: &Principal,
    story_id: Uuid,
    input: NewAssessment,
    now: DateTime<Utc>,
) -> Result<risk_assessment::Model> {
    let staff = principal.require_editor()?;
    let assessor = input.assessor.trim().to_owned();
    if assessor.is_empty() || assessor.chars().count() > 200 {
        return Err(Error::invalid(
            "assessor",
            "the assessor's name is required, at most 200 characters",
        ));
    }
    if input.assessed_on > now.date_naive() {
        return Err(Error::invalid(
            "assessedOn",
            "an assessment cannot be dated in the future",
        ));
    }
    if input.mitigations.trim().is_empty() || input.mitigations.chars().count() > MAX_NOTES_LEN {
        return Err(Error::invalid(
            "mitigations",
            format!("describe the mitigations, at most {MAX_NOTES_LEN} characters"),
        ));
    }
    let txn = crate::db::begin_write(db).await?;
    let story = workflow::load(&txn, story_id, None).await?;
    let assessment = risk_assessment::ActiveModel {
        id: Set(Uuid::now_v7()),
        story_id: Set(story.id),
        assessor: Set(assessor),
        assessed_on: Set(input.assessed_on),
        level: Set(input.level),
        mitigations: Set(input.mitigations),
        recorded_by: Set(staff.user_id),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        Actor::User(staff.user_id),
        Event::new("story.risk_assessment_recorded", "story", story.id).detail(
            json!({ "assessmentId": assessment.id, "level": format!("{:?}", input.level) }),
        ),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(assessment)
}

/// Risk assessments recorded for a story, oldest first.
pub async fn risk_assessments(
    db: &impl ConnectionTrait,
    story_id: Uuid,
) -> Result<Vec<risk_assessment::Model>> {
    Ok(risk_assessment::Entity::find()
        .filter(risk_assessment::Column::StoryId.eq(story_id))
        .order_by_asc(risk_assessment::Column::Id)
        .all(db)
        .await?)
}
