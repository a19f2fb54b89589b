//! The editorial workflow: which step may follow which, who may take it, and what
//! must be on record first.
//!
//! ```text
//! DRAFT ─submit→ IN_REVIEW ─approve→ APPROVED ─publish→ PUBLISHED ─unpublish→ UNPUBLISHED
//!   ↑               │request changes                        │edit (stays live)
//!   └──────── CHANGES_REQUESTED ←──┘        DRAFT ←─────────┘
//! any ─archive→ ARCHIVED ─unarchive→ DRAFT;  WITHDRAWN is entered only by consent withdrawal.
//! ```
//!
//! Every step is one transaction that moves the story from the version the caller
//! saw to the next, writes its audit event, and changes nothing if refused.

use chrono::{DateTime, Utc};
use entity::{
    job, risk_assessment,
    story::{self, State},
    story_locale, story_revision, storyteller_review,
};
use sea_orm::{
    ActiveValue::NotSet, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, PaginatorTrait, QueryFilter, Set, sea_query::Expr,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    audit::{self, Actor, Event},
    auth::{Principal, principal::Staff},
    error::{Error, Result},
    queue, storytellers,
};

/// A workflow step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Edit,
    Submit,
    RequestChanges,
    Approve,
    Publish,
    Unpublish,
    Archive,
    Unarchive,
}

/// The state a step leads to, or `None` if it may not be taken from `from`.
/// `live` says whether a publication is currently up.
pub fn next_state(from: State, step: Step, live: bool) -> Option<State> {
    use State::*;
    match (step, from) {
        (Step::Edit, Draft | Approved | Published | Unpublished) => Some(Draft),
        (Step::Edit, ChangesRequested) => Some(ChangesRequested),
        (Step::Submit, Draft | ChangesRequested) => Some(InReview),
        (Step::RequestChanges, InReview) => Some(ChangesRequested),
        (Step::Approve, InReview) => Some(Approved),
        (Step::Publish, Approved) => Some(Published),
        (Step::Unpublish, Published) if live => Some(Unpublished),
        // A live story with a new draft in progress goes offline; its draft carries on.
        (Step::Unpublish, Draft | InReview | ChangesRequested | Approved) if live => Some(from),
        (
            Step::Archive,
            Draft | InReview | ChangesRequested | Approved | Published | Unpublished,
        ) => Some(Archived),
        (Step::Unarchive, Archived) => Some(Draft),
        _ => None,
    }
}

/// The name of a state as clients see it.
pub fn state_name(state: State) -> &'static str {
    match state {
        State::Draft => "DRAFT",
        State::InReview => "IN_REVIEW",
        State::ChangesRequested => "CHANGES_REQUESTED",
        State::Approved => "APPROVED",
        State::Published => "PUBLISHED",
        State::Unpublished => "UNPUBLISHED",
        State::Archived => "ARCHIVED",
        State::Withdrawn => "WITHDRAWN",
    }
}

fn step_name(step: Step) -> &'static str {
    match step {
        Step::Edit => "edit",
        Step::Submit => "submit",
        Step::RequestChanges => "request changes to",
        Step::Approve => "approve",
        Step::Publish => "publish",
        Step::Unpublish => "unpublish",
        Step::Archive => "archive",
        Step::Unarchive => "unarchive",
    }
}

/// Whether the story is live (a publication is up), at any workflow state.
pub fn is_live(story: &story::Model) -> bool {
    story.published_at.is_some()
}

/// The next state, or `INVALID_TRANSITION` naming the step and the current state.
pub fn check_step(story: &story::Model, step: Step) -> Result<State> {
    next_state(story.state, step, is_live(story)).ok_or_else(|| {
        Error::transition(
            "NOT_ALLOWED_FROM_STATE",
            format!(
                "cannot {} a story that is {}",
                step_name(step),
                state_name(story.state)
            ),
        )
    })
}

/// Loads the story for a step, checking the caller's version.
pub async fn load(
    db: &impl ConnectionTrait,
    id: Uuid,
    expected_version: Option<i32>,
) -> Result<story::Model> {
    let story = story::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound("no story with this id".into()))?;
    if let Some(expected) = expected_version
        && expected != story.version
    {
        return Err(Error::VersionConflict {
            current: story.version,
        });
    }
    Ok(story)
}

/// May this staff member write to the story? Editors always; contributors their own.
pub fn check_can_write(staff: &Staff, story: &story::Model) -> Result<()> {
    if matches!(
        staff.role,
        crate::auth::Role::Admin | crate::auth::Role::Editor
    ) || story.created_by == staff.user_id
    {
        Ok(())
    } else {
        Err(Error::Forbidden(
            "contributors may only change their own stories".into(),
        ))
    }
}

/// The people whose work the draft under review is: the story's creator and the
/// author of every revision not yet published (in each locale, every revision after
/// the published one). Counting only the newest revision's author would let an editor
/// write a text, have someone else fix a typo, and approve their own words.
pub async fn draft_authors(db: &impl ConnectionTrait, story: &story::Model) -> Result<Vec<Uuid>> {
    let locales = story_locale::Entity::find()
        .filter(story_locale::Column::StoryId.eq(story.id))
        .all(db)
        .await?;
    let published: Vec<Uuid> = locales
        .iter()
        .filter_map(|l| l.published_revision_id)
        .collect();
    let published_numbers: Vec<(String, i32)> = story_revision::Entity::find()
        .filter(story_revision::Column::Id.is_in(published))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.locale, r.number))
        .collect();
    let mut authors: Vec<Uuid> = story_revision::Entity::find()
        .filter(story_revision::Column::StoryId.eq(story.id))
        .all(db)
        .await?
        .into_iter()
        .filter(|r| {
            published_numbers
                .iter()
                .find(|(locale, _)| *locale == r.locale)
                .is_none_or(|(_, number)| r.number > *number)
        })
        .map(|r| r.author_id)
        .collect();
    authors.push(story.created_by);
    authors.sort();
    authors.dedup();
    Ok(authors)
}

/// Moves the story to `to` if it is still at the version read, applying `changes`,
/// and records the audit event. `CONFLICT` if someone else moved it first.
#[allow(clippy::too_many_arguments)]
pub async fn advance(
    txn: &DatabaseTransaction,
    story: &story::Model,
    to: State,
    actor: Actor,
    action: &str,
    mut changes: story::ActiveModel,
    detail: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<story::Model> {
    changes.state = Set(to);
    changes.version = Set(story.version + 1);
    changes.updated_at = Set(now);
    changes.id = NotSet;
    let updated = story::Entity::update_many()
        .set(changes)
        .filter(story::Column::Id.eq(story.id))
        .filter(story::Column::Version.eq(story.version))
        .exec(txn)
        .await?;
    if updated.rows_affected != 1 {
        let current = story::Entity::find_by_id(story.id)
            .one(txn)
            .await?
            .map_or(story.version, |s| s.version);
        return Err(Error::VersionConflict { current });
    }
    audit::record(
        txn,
        actor,
        Event::new(action, "story", story.id)
            .states(state_name(story.state), state_name(to))
            .detail(detail),
        now,
    )
    .await?;
    story::Entity::find_by_id(story.id)
        .one(txn)
        .await?
        .ok_or_else(|| Error::NotFound("no story with this id".into()))
}

/// A change that sets nothing yet.
pub fn unchanged() -> story::ActiveModel {
    story::ActiveModel {
        id: NotSet,
        ..Default::default()
    }
}

/// Sends the draft to review (its author or an editor).
pub async fn submit(
    db: &DatabaseConnection,
    principal: &Principal,
    id: Uuid,
    expected_version: Option<i32>,
    now: DateTime<Utc>,
) -> Result<story::Model> {
    let staff = principal.staff()?;
    let txn = crate::db::begin_write(db).await?;
    let story = load(&txn, id, expected_version).await?;
    check_can_write(staff, &story)?;
    let to = check_step(&story, Step::Submit)?;
    let mut changes = unchanged();
    changes.submitted_by = Set(Some(staff.user_id));
    changes.submitted_at = Set(Some(now));
    let story = advance(
        &txn,
        &story,
        to,
        Actor::User(staff.user_id),
        "story.submitted",
        changes,
        json!({}),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(story)
}

/// Refuses when the four-eyes rule is on and the caller wrote the draft.
async fn check_not_own_work(
    db: &impl ConnectionTrait,
    staff: &Staff,
    story: &story::Model,
    four_eyes: bool,
    what: &str,
) -> Result<()> {
    if four_eyes && draft_authors(db, story).await?.contains(&staff.user_id) {
        return Err(Error::Forbidden(format!(
            "four-eyes rule: another editor must {what} a story you wrote"
        )));
    }
    Ok(())
}

/// Sends the story back to its author (an editor other than the author).
pub async fn request_changes(
    db: &DatabaseConnection,
    principal: &Principal,
    four_eyes: bool,
    id: Uuid,
    expected_version: Option<i32>,
    comment: Option<String>,
    now: DateTime<Utc>,
) -> Result<story::Model> {
    let staff = principal.require_editor()?;
    let txn = crate::db::begin_write(db).await?;
    let story = load(&txn, id, expected_version).await?;
    let to = check_step(&story, Step::RequestChanges)?;
    check_not_own_work(&txn, staff, &story, four_eyes, "review").await?;
    if let Some(body) = comment.filter(|c| !c.trim().is_empty()) {
        let head = super::head_revision(&txn, &story, &story.primary_locale).await?;
        super::review::insert_comment(&txn, staff, &story, head.id, body, now).await?;
    }
    let story = advance(
        &txn,
        &story,
        to,
        Actor::User(staff.user_id),
        "story.changes_requested",
        unchanged(),
        json!({}),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(story)
}

/// Approves the draft (an editor other than its authors), once every locale's
/// newest revision has the storyteller's recorded sign-off, for the risk
/// groups a risk assessment is on record, and every recording can be read
/// (a transcript for audio, captions for video).
pub async fn approve(
    db: &DatabaseConnection,
    principal: &Principal,
    four_eyes: bool,
    id: Uuid,
    expected_version: Option<i32>,
    now: DateTime<Utc>,
) -> Result<story::Model> {
    let staff = principal.require_editor()?;
    let txn = crate::db::begin_write(db).await?;
    let story = load(&txn, id, expected_version).await?;
    let to = check_step(&story, Step::Approve)?;
    check_not_own_work(&txn, staff, &story, four_eyes, "approve").await?;

    let locales = story_locale::Entity::find()
        .filter(story_locale::Column::StoryId.eq(story.id))
        .all(&txn)
        .await?;
    for locale in &locales {
        let signed = storyteller_review::Entity::find()
            .filter(storyteller_review::Column::RevisionId.eq(locale.head_revision_id))
            .count(&txn)
            .await?;
        if signed == 0 {
            return Err(Error::transition(
                "STORYTELLER_REVIEW_MISSING",
                format!(
                    "the storyteller's review of the current `{}` revision is not recorded",
                    locale.locale
                ),
            ));
        }
    }
    let teller = storytellers::find(&txn, story.storyteller_id).await?;
    let groups = storytellers::risk_groups(&teller, now.date_naive());
    if !groups.is_empty() {
        let assessed = risk_assessment::Entity::find()
            .filter(risk_assessment::Column::StoryId.eq(story.id))
            .count(&txn)
            .await?;
        if assessed == 0 {
            return Err(Error::transition(
                "RISK_ASSESSMENT_MISSING",
                "this storyteller belongs to a group at risk (asylum seeker, refugee, undocumented or possibly under 18): record a risk assessment first",
            ));
        }
    }
    crate::media::recordings::require_words(&txn, story.id).await?;

    for locale in &locales {
        story_locale::Entity::update_many()
            .col_expr(
                story_locale::Column::ApprovedRevisionId,
                Expr::value(locale.head_revision_id),
            )
            .filter(story_locale::Column::Id.eq(locale.id))
            .exec(&txn)
            .await?;
    }
    let mut changes = unchanged();
    changes.approved_by = Set(Some(staff.user_id));
    changes.approved_at = Set(Some(now));
    let approved: Vec<Uuid> = locales.iter().map(|l| l.head_revision_id).collect();
    let story = advance(
        &txn,
        &story,
        to,
        Actor::User(staff.user_id),
        "story.approved",
        changes,
        json!({ "revisions": approved }),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(story)
}

/// Publishes the approved story now, or schedules it when `publish_at` is in the future.
pub async fn publish(
    db: &DatabaseConnection,
    principal: &Principal,
    id: Uuid,
    expected_version: Option<i32>,
    publish_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<story::Model> {
    now_or_later(
        db,
        principal,
        id,
        expected_version,
        publish_at,
        Timed::Publish,
        now,
    )
    .await
}

/// A step an editor can take now or schedule for later.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Timed {
    Publish,
    Unpublish,
}

impl Timed {
    fn step(self) -> Step {
        match self {
            Timed::Publish => Step::Publish,
            Timed::Unpublish => Step::Unpublish,
        }
    }

    fn job(self) -> job::Kind {
        match self {
            Timed::Publish => job::Kind::PublishStory,
            Timed::Unpublish => job::Kind::UnpublishStory,
        }
    }
}

/// Takes `timed` now, or enqueues it for `at` (replacing any earlier schedule of it).
#[allow(clippy::too_many_arguments)]
async fn now_or_later(
    db: &DatabaseConnection,
    principal: &Principal,
    id: Uuid,
    expected_version: Option<i32>,
    at: Option<DateTime<Utc>>,
    timed: Timed,
    now: DateTime<Utc>,
) -> Result<story::Model> {
    let staff = principal.require_editor()?;
    let txn = crate::db::begin_write(db).await?;
    let story = load(&txn, id, expected_version).await?;
    check_step(&story, timed.step())?;
    let actor = Actor::User(staff.user_id);
    // A new decision supersedes any schedule of the same step.
    queue::cancel_for_story(&txn, story.id, timed.job(), now).await?;
    let story = match at.filter(|at| *at > now) {
        Some(at) => {
            if timed == Timed::Publish {
                crate::consent::visibility::require_coverage(&txn, &story, at).await?;
            }
            queue::enqueue(&txn, timed.job(), story.id, at, now).await?;
            let mut changes = unchanged();
            let (action, detail) = match timed {
                Timed::Publish => {
                    changes.publish_at = Set(Some(at));
                    ("story.publish_scheduled", json!({ "publishAt": at }))
                }
                Timed::Unpublish => {
                    changes.unpublish_at = Set(Some(at));
                    ("story.unpublish_scheduled", json!({ "unpublishAt": at }))
                }
            };
            advance(
                &txn,
                &story,
                story.state,
                actor,
                action,
                changes,
                detail,
                now,
            )
            .await?
        }
        None => match timed {
            Timed::Publish => publish_now(&txn, &story, actor, now).await?,
            Timed::Unpublish => unpublish_now(&txn, &story, actor, now).await?,
        },
    };
    txn.commit().await?;
    Ok(story)
}

/// Makes the approved revisions the published ones and puts the story live. Used by
/// editors (after cancelling any schedule) and by the worker running a schedule.
pub async fn publish_now(
    txn: &DatabaseTransaction,
    story: &story::Model,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<story::Model> {
    let to = check_step(story, Step::Publish)?;
    crate::consent::visibility::require_coverage(txn, story, now).await?;
    crate::media::assets::require_alt_text(txn, story.id).await?;
    // Again here: an item may have been added since the approval.
    crate::media::recordings::require_words(txn, story.id).await?;
    let locales = story_locale::Entity::find()
        .filter(story_locale::Column::StoryId.eq(story.id))
        .all(txn)
        .await?;
    let mut published = Vec::new();
    for locale in &locales {
        let Some(approved) = locale.approved_revision_id else {
            return Err(Error::transition(
                "NOT_APPROVED",
                format!("the `{}` text has not been approved", locale.locale),
            ));
        };
        story_locale::Entity::update_many()
            .col_expr(
                story_locale::Column::PublishedRevisionId,
                Expr::value(approved),
            )
            .filter(story_locale::Column::Id.eq(locale.id))
            .exec(txn)
            .await?;
        published.push(approved);
    }
    let mut changes = unchanged();
    changes.published_at = Set(Some(now));
    changes.publish_at = Set(None);
    changes.first_published_at = Set(Some(story.first_published_at.unwrap_or(now)));
    advance(
        txn,
        story,
        to,
        actor,
        "story.published",
        changes,
        json!({ "revisions": published }),
        now,
    )
    .await
}

/// Takes the story offline now, or schedules that when `unpublish_at` is in the future.
pub async fn unpublish(
    db: &DatabaseConnection,
    principal: &Principal,
    id: Uuid,
    expected_version: Option<i32>,
    unpublish_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<story::Model> {
    now_or_later(
        db,
        principal,
        id,
        expected_version,
        unpublish_at,
        Timed::Unpublish,
        now,
    )
    .await
}

/// Takes the story offline; a draft in progress carries on.
pub async fn unpublish_now(
    txn: &DatabaseTransaction,
    story: &story::Model,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<story::Model> {
    let to = check_step(story, Step::Unpublish)?;
    let mut changes = unchanged();
    changes.published_at = Set(None);
    changes.unpublish_at = Set(None);
    advance(
        txn,
        story,
        to,
        actor,
        "story.unpublished",
        changes,
        json!({}),
        now,
    )
    .await
}

/// Archives the story (editors), taking it offline.
pub async fn archive(
    db: &DatabaseConnection,
    principal: &Principal,
    id: Uuid,
    expected_version: Option<i32>,
    now: DateTime<Utc>,
) -> Result<story::Model> {
    let staff = principal.require_editor()?;
    let txn = crate::db::begin_write(db).await?;
    let story = load(&txn, id, expected_version).await?;
    let to = check_step(&story, Step::Archive)?;
    queue::cancel_for_story(&txn, story.id, job::Kind::PublishStory, now).await?;
    queue::cancel_for_story(&txn, story.id, job::Kind::UnpublishStory, now).await?;
    let mut changes = unchanged();
    changes.published_at = Set(None);
    changes.publish_at = Set(None);
    changes.unpublish_at = Set(None);
    let story = advance(
        &txn,
        &story,
        to,
        Actor::User(staff.user_id),
        "story.archived",
        changes,
        json!({}),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(story)
}

/// Brings an archived story back as a draft (editors).
pub async fn unarchive(
    db: &DatabaseConnection,
    principal: &Principal,
    id: Uuid,
    expected_version: Option<i32>,
    now: DateTime<Utc>,
) -> Result<story::Model> {
    let staff = principal.require_editor()?;
    let txn = crate::db::begin_write(db).await?;
    let story = load(&txn, id, expected_version).await?;
    let to = check_step(&story, Step::Unarchive)?;
    let story = advance(
        &txn,
        &story,
        to,
        Actor::User(staff.user_id),
        "story.unarchived",
        unchanged(),
        json!({}),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(story)
}

/// What an edit does to the workflow: the next state, and, when an approval is
/// voided by the change, the cleared approval and any scheduled publication.
pub async fn after_edit(
    txn: &DatabaseTransaction,
    story: &story::Model,
    now: DateTime<Utc>,
) -> Result<(State, story::ActiveModel)> {
    let to = check_step(story, Step::Edit)?;
    let mut changes = unchanged();
    if story.approved_by.is_some() {
        changes.approved_by = Set(None);
        changes.approved_at = Set(None);
        changes.publish_at = Set(None);
        story_locale::Entity::update_many()
            .col_expr(
                story_locale::Column::ApprovedRevisionId,
                Expr::value(Option::<Uuid>::None),
            )
            .filter(story_locale::Column::StoryId.eq(story.id))
            .exec(txn)
            .await?;
        queue::cancel_for_story(txn, story.id, job::Kind::PublishStory, now).await?;
    }
    Ok((to, changes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_happy_path_runs_draft_to_published() {
        let mut state = State::Draft;
        for step in [Step::Submit, Step::Approve, Step::Publish] {
            state = next_state(state, step, false).unwrap();
        }
        assert_eq!(state, State::Published);
    }

    #[test]
    fn withdrawn_stories_take_no_workflow_step() {
        for step in [
            Step::Edit,
            Step::Submit,
            Step::RequestChanges,
            Step::Approve,
            Step::Publish,
            Step::Unpublish,
            Step::Archive,
            Step::Unarchive,
        ] {
            assert_eq!(next_state(State::Withdrawn, step, true), None, "{step:?}");
            assert_eq!(next_state(State::Withdrawn, step, false), None, "{step:?}");
        }
    }

    #[test]
    fn only_approved_stories_publish_and_only_live_ones_unpublish() {
        for state in [
            State::Draft,
            State::InReview,
            State::ChangesRequested,
            State::Published,
            State::Unpublished,
            State::Archived,
        ] {
            assert_eq!(next_state(state, Step::Publish, false), None, "{state:?}");
        }
        assert_eq!(next_state(State::Published, Step::Unpublish, false), None);
        assert_eq!(
            next_state(State::Draft, Step::Unpublish, true),
            Some(State::Draft)
        );
    }

    #[test]
    fn editing_an_approved_or_published_story_starts_a_new_draft() {
        assert_eq!(
            next_state(State::Approved, Step::Edit, false),
            Some(State::Draft)
        );
        assert_eq!(
            next_state(State::Published, Step::Edit, true),
            Some(State::Draft)
        );
        assert_eq!(next_state(State::InReview, Step::Edit, false), None);
    }
}
