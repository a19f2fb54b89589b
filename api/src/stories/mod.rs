//! Stories: creation, revisions per locale, details, and the queries editors use.
//!
//! A story's text lives in immutable revisions, one chain per locale; each locale
//! points at its newest (`head`), approved and published revision, so a published
//! story stays live unchanged while a new draft is written, reviewed and approved.
//! The workflow rules are in [`workflow`]; comments, sign-offs and risk assessments
//! in [`review`].

pub mod changes;
pub mod filters;
pub mod published;
pub mod review;
pub mod search;
pub mod share;
pub mod text;
pub mod workflow;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{story, story_campaign, story_locale, story_revision, story_tag};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, QueryFilter, QueryOrder, Set,
    sea_query::{Expr, ExprTrait, Query},
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    audit::{self, Actor, Event},
    auth::Principal,
    error::{Error, Result, is_unique_violation},
    locale,
    organisations::Scope,
    pagination::{self, Page, PageRequest},
    storytellers,
};

const MAX_TITLE_LEN: usize = 300;
const MAX_SUMMARY_LEN: usize = 2_000;
/// Largest story body, in bytes of Markdown.
pub const MAX_BODY_BYTES: usize = 100_000;
const MAX_REGION_LEN: usize = 200;
const MAX_NOTE_LEN: usize = 500;

/// The text of one revision.
#[derive(Debug, Clone, Default)]
pub struct Text {
    pub title: String,
    pub summary: String,
    pub body: String,
}

/// Everything needed to start a story.
#[derive(Debug, Clone, Default)]
pub struct NewStory {
    pub storyteller_id: Uuid,
    /// Generated from the title when not given.
    pub slug: Option<String>,
    pub primary_locale: String,
    pub text: Text,
    pub region: Option<String>,
    pub campaign_ids: Vec<Uuid>,
    pub tag_ids: Vec<Uuid>,
    pub note: Option<String>,
}

/// A change to a story's details (not its text).
#[derive(Debug, Clone, Default)]
pub struct DetailChanges {
    pub slug: Option<String>,
    pub region: crate::patch::Patch<String>,
    pub campaign_ids: Option<Vec<Uuid>>,
    pub tag_ids: Option<Vec<Uuid>>,
    pub identity_level: Option<story::IdentityLevel>,
    pub faces: Option<story::Faces>,
    pub location_precision: Option<story::LocationPrecision>,
    /// The image for the story's share card ([`share`]); cleared, the card
    /// shows the oldest image the social consents allow.
    pub share_image_id: crate::patch::Patch<Uuid>,
}

/// Starts a story as a draft with its first revision (any staff member). It starts
/// anonymous, faces obscured, location at country level, unpublished.
pub async fn create(
    db: &DatabaseConnection,
    principal: &Principal,
    input: NewStory,
    now: DateTime<Utc>,
) -> Result<story::Model> {
    create_named(db, principal, input, None, now).await
}

/// [`create`], naming the storyteller to readers at `identity` from the start
/// (anonymous when `None`). The newsroom offers the consented pseudonym here, so a
/// story is not published nameless because nobody remembered `updateStoryDetails`;
/// readers still get the more protective of this and the consent.
pub async fn create_named(
    db: &DatabaseConnection,
    principal: &Principal,
    input: NewStory,
    identity: Option<story::IdentityLevel>,
    now: DateTime<Utc>,
) -> Result<story::Model> {
    let staff = principal.staff()?;
    locale::validate("primaryLocale", &input.primary_locale)?;
    validate_text(&input.text)?;
    validate_region(input.region.as_deref())?;
    validate_note(input.note.as_deref())?;
    let txn = crate::db::begin_write(db).await?;
    let story = insert(
        &txn,
        input,
        identity,
        staff.user_id,
        staff.organisation_id,
        Actor::User(staff.user_id),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(story)
}

/// Writes a new draft and its first revision in `txn` (inputs already
/// validated), with its audit event; `author` is the staff member, or the
/// submission key a storyteller sent it in with, and `owner` the organisation
/// the story belongs to (the staff member's, or the campaign's owner).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn insert(
    txn: &DatabaseTransaction,
    input: NewStory,
    identity: Option<story::IdentityLevel>,
    author: Uuid,
    owner: Uuid,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<story::Model> {
    let teller = storytellers::find(txn, input.storyteller_id)
        .await
        .map_err(|_| Error::invalid("storytellerId", "no storyteller with this id"))?;
    if teller.erased_at.is_some() {
        return Err(Error::invalid(
            "storytellerId",
            "this storyteller's data has been erased",
        ));
    }
    let slug = match input.slug {
        Some(slug) => {
            text::validate_slug(&slug).map_err(|m| Error::invalid("slug", m))?;
            if slug_taken(txn, &slug).await? {
                return Err(Error::Conflict("this slug is already taken".into()));
            }
            slug
        }
        None => free_slug(txn, &text::slugify(&input.text.title)).await?,
    };
    let id = Uuid::now_v7();
    story::ActiveModel {
        id: Set(id),
        slug: Set(slug),
        storyteller_id: Set(input.storyteller_id),
        primary_locale: Set(input.primary_locale.clone()),
        region: Set(input
            .region
            .map(|r| r.trim().to_owned())
            .filter(|r| !r.is_empty())),
        state: Set(story::State::Draft),
        version: Set(1),
        identity_level: Set(identity.unwrap_or(story::IdentityLevel::Anonymous)),
        faces: Set(story::Faces::Obscured),
        location_precision: Set(story::LocationPrecision::Country),
        created_by: Set(author),
        organisation_id: Set(owner),
        share_media_id: Set(None),
        submitted_by: Set(None),
        submitted_at: Set(None),
        approved_by: Set(None),
        approved_at: Set(None),
        publish_at: Set(None),
        unpublish_at: Set(None),
        published_at: Set(None),
        first_published_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(txn)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            Error::Conflict("this slug is already taken".into())
        } else {
            e.into()
        }
    })?;
    set_links(txn, id, Some(&input.campaign_ids), Some(&input.tag_ids)).await?;
    let revision = insert_revision(
        txn,
        id,
        &input.primary_locale,
        &input.text,
        author,
        input.note,
        None,
        now,
    )
    .await?;
    audit::record(
        txn,
        actor,
        Event::new("story.created", "story", id)
            .states("", "DRAFT")
            .detail(json!({ "revisionId": revision.id, "locale": revision.locale })),
        now,
    )
    .await?;
    workflow::load(txn, id, None).await
}

/// Saves new text for one locale as a new revision (adding the locale if new). The
/// caller must send the version they edited; a published story stays live with its
/// published text while this draft goes through review.
#[allow(clippy::too_many_arguments)]
pub async fn save_revision(
    db: &DatabaseConnection,
    principal: &Principal,
    story_id: Uuid,
    expected_version: i32,
    locale_tag: &str,
    text: Text,
    note: Option<String>,
    now: DateTime<Utc>,
) -> Result<(story::Model, story_revision::Model)> {
    save(
        db,
        principal,
        story_id,
        expected_version,
        locale_tag,
        text,
        note,
        None,
        now,
    )
    .await
}

/// Saves an old revision's text again as the newest revision of its locale.
pub async fn restore_revision(
    db: &DatabaseConnection,
    principal: &Principal,
    revision_id: Uuid,
    expected_version: i32,
    now: DateTime<Utc>,
) -> Result<(story::Model, story_revision::Model)> {
    principal.staff()?;
    let old = find_revision(db, revision_id).await?;
    let text = Text {
        title: old.title.clone(),
        summary: old.summary.clone(),
        body: old.body.clone(),
    };
    let note = Some(format!("Restored from revision {}", old.number));
    save(
        db,
        principal,
        old.story_id,
        expected_version,
        &old.locale,
        text,
        note,
        Some(old.id),
        now,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn save(
    db: &DatabaseConnection,
    principal: &Principal,
    story_id: Uuid,
    expected_version: i32,
    locale_tag: &str,
    text: Text,
    note: Option<String>,
    restored_from: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<(story::Model, story_revision::Model)> {
    let staff = principal.staff()?;
    locale::validate("locale", locale_tag)?;
    validate_text(&text)?;
    validate_note(note.as_deref())?;
    let txn = crate::db::begin_write(db).await?;
    let story = workflow::load(&txn, story_id, Some(expected_version)).await?;
    workflow::check_can_write(staff, &story)?;
    let (to, changes) = workflow::after_edit(&txn, &story, now).await?;
    let revision = insert_revision(
        &txn,
        story.id,
        locale_tag,
        &text,
        staff.user_id,
        note,
        restored_from,
        now,
    )
    .await?;
    let action = if restored_from.is_some() {
        "story.revision_restored"
    } else {
        "story.revision_saved"
    };
    let detail = json!({ "revisionId": revision.id, "locale": revision.locale, "number": revision.number, "restoredFrom": restored_from });
    let story = workflow::advance(
        &txn,
        &story,
        to,
        Actor::User(staff.user_id),
        action,
        changes,
        detail,
        now,
    )
    .await?;
    txn.commit().await?;
    Ok((story, revision))
}

/// Changes a story's details (slug, region, campaigns, tags, how the storyteller is shown).
pub async fn update_details(
    db: &DatabaseConnection,
    principal: &Principal,
    story_id: Uuid,
    expected_version: i32,
    changes: DetailChanges,
    now: DateTime<Utc>,
) -> Result<story::Model> {
    let staff = principal.staff()?;
    validate_region(match &changes.region {
        crate::patch::Patch::Set(r) => Some(r.as_str()),
        _ => None,
    })?;
    let txn = crate::db::begin_write(db).await?;
    let story = workflow::load(&txn, story_id, Some(expected_version)).await?;
    workflow::check_can_write(staff, &story)?;
    if story.state == story::State::Withdrawn {
        return Err(Error::transition(
            "NOT_ALLOWED_FROM_STATE",
            "a withdrawn story cannot be changed",
        ));
    }
    let mut active = workflow::unchanged();
    if let Some(slug) = changes.slug.filter(|s| *s != story.slug) {
        if story.first_published_at.is_some() {
            return Err(Error::invalid(
                "slug",
                "the slug of a story that has been published cannot change: links to it must keep working",
            ));
        }
        text::validate_slug(&slug).map_err(|m| Error::invalid("slug", m))?;
        if slug_taken(&txn, &slug).await? {
            return Err(Error::Conflict("this slug is already taken".into()));
        }
        active.slug = Set(slug);
    }
    active.region = Set(changes
        .region
        .apply(story.region.clone())
        .map(|r| r.trim().to_owned()));
    if let Some(level) = changes.identity_level {
        active.identity_level = Set(level);
    }
    if let Some(faces) = changes.faces {
        active.faces = Set(faces);
    }
    if let Some(precision) = changes.location_precision {
        active.location_precision = Set(precision);
    }
    match changes.share_image_id {
        crate::patch::Patch::Keep => {}
        crate::patch::Patch::Clear => active.share_media_id = Set(None),
        crate::patch::Patch::Set(media_id) => {
            share_image_of(&txn, story.id, media_id).await?;
            active.share_media_id = Set(Some(media_id));
        }
    }
    set_links(
        &txn,
        story.id,
        changes.campaign_ids.as_deref(),
        changes.tag_ids.as_deref(),
    )
    .await?;
    let story = workflow::advance(
        &txn,
        &story,
        story.state,
        Actor::User(staff.user_id),
        "story.details_updated",
        active,
        json!({}),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(story)
}

/// Checks that `media_id` can be the share card's image of `story_id`: one
/// of the story's own images, ready and not private (the card still uses it
/// only while the social consents allow it). `BAD_USER_INPUT` otherwise.
async fn share_image_of(txn: &DatabaseTransaction, story_id: Uuid, media_id: Uuid) -> Result<()> {
    use entity::media_asset::{self, Kind, State};
    let usable = media_asset::Entity::find_by_id(media_id)
        .one(txn)
        .await?
        .is_some_and(|a| {
            a.story_id == Some(story_id)
                && a.kind == Kind::Image
                && a.state == State::Ready
                && !a.private
        });
    if usable {
        Ok(())
    } else {
        Err(Error::invalid(
            "shareImageId",
            "the share card's image must be one of this story's images, ready and not private",
        ))
    }
}

/// The story with this id, or `NotFound` (staff only).
pub async fn get(
    db: &impl ConnectionTrait,
    principal: &Principal,
    id: Uuid,
) -> Result<story::Model> {
    principal.staff()?;
    workflow::load(db, id, None).await
}

/// The story with this slug, if any and in scope.
pub async fn find_by_slug(
    db: &impl ConnectionTrait,
    scope: &Scope,
    slug: &str,
) -> Result<Option<story::Model>> {
    Ok(story::Entity::find()
        .filter(story::Column::Slug.eq(slug))
        .filter(scope.stories())
        .one(db)
        .await?)
}

/// A page of the stories in scope, oldest first, optionally in one state.
pub async fn list(
    db: &impl ConnectionTrait,
    scope: &Scope,
    state: Option<story::State>,
    page: PageRequest,
) -> Result<Page<story::Model>> {
    let mut select = story::Entity::find().filter(scope.stories());
    if let Some(state) = state {
        select = select.filter(story::Column::State.eq(state));
    }
    pagination::fetch(db, select, story::Column::Id, page).await
}

/// Stories waiting for review, longest-waiting first (staff only): those
/// submitted for review, and drafts storytellers sent in themselves (not
/// marked as spam), which wait for an editor to take them up.
pub async fn review_queue(
    db: &impl ConnectionTrait,
    scope: &Scope,
    page: PageRequest,
) -> Result<Page<story::Model>> {
    let sent_in = Query::select()
        .column(entity::submission::Column::StoryId)
        .from(entity::submission::Entity)
        .and_where(Expr::col(entity::submission::Column::SpamAt).is_null())
        .to_owned();
    // Submitting sets `submitted_at`, and so does sending in, so every story
    // here has one.
    pagination::fetch_by_time(
        db,
        story::Entity::find()
            .filter(
                sea_orm::Condition::any()
                    .add(story::Column::State.eq(story::State::InReview))
                    .add(
                        sea_orm::Condition::all()
                            .add(story::Column::State.eq(story::State::Draft))
                            .add(story::Column::Id.in_subquery(sent_in)),
                    ),
            )
            .filter(scope.stories()),
        story::Column::SubmittedAt,
        story::Column::Id,
        sea_orm::Order::Asc,
        page,
    )
    .await
}

/// The locales of a story with their head, approved and published revisions.
pub async fn locales(
    db: &impl ConnectionTrait,
    story_id: Uuid,
) -> Result<Vec<story_locale::Model>> {
    Ok(story_locale::Entity::find()
        .filter(story_locale::Column::StoryId.eq(story_id))
        .order_by_asc(story_locale::Column::Locale)
        .all(db)
        .await?)
}

/// The newest revision of a story in one locale.
pub async fn head_revision(
    db: &impl ConnectionTrait,
    story: &story::Model,
    locale_tag: &str,
) -> Result<story_revision::Model> {
    let locale = story_locale::Entity::find()
        .filter(story_locale::Column::StoryId.eq(story.id))
        .filter(story_locale::Column::Locale.eq(locale_tag))
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound(format!("this story has no `{locale_tag}` text")))?;
    find_revision(db, locale.head_revision_id).await
}

/// A revision by id, or `NotFound`.
pub async fn find_revision(db: &impl ConnectionTrait, id: Uuid) -> Result<story_revision::Model> {
    story_revision::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound("no revision with this id".into()))
}

/// Every revision of a story, optionally in one locale, in order.
pub async fn revisions(
    db: &impl ConnectionTrait,
    story_id: Uuid,
    locale_tag: Option<&str>,
) -> Result<Vec<story_revision::Model>> {
    let mut select =
        story_revision::Entity::find().filter(story_revision::Column::StoryId.eq(story_id));
    if let Some(tag) = locale_tag {
        select = select.filter(story_revision::Column::Locale.eq(tag));
    }
    Ok(select
        .order_by_asc(story_revision::Column::Locale)
        .order_by_asc(story_revision::Column::Number)
        .all(db)
        .await?)
}

/// A text diff between two revisions of the same story, per field.
pub struct RevisionDiff {
    pub title: String,
    pub summary: String,
    pub body: String,
}

/// Compares two revisions of one story (staff only).
pub async fn diff(
    db: &impl ConnectionTrait,
    principal: &Principal,
    from: Uuid,
    to: Uuid,
) -> Result<RevisionDiff> {
    principal.staff()?;
    let (a, b) = (find_revision(db, from).await?, find_revision(db, to).await?);
    if a.story_id != b.story_id {
        return Err(Error::invalid(
            "to",
            "both revisions must belong to the same story",
        ));
    }
    let label = |r: &story_revision::Model| format!("{} revision {}", r.locale, r.number);
    let (la, lb) = (label(&a), label(&b));
    Ok(RevisionDiff {
        title: text::unified_diff(&a.title, &b.title, &la, &lb),
        summary: text::unified_diff(&a.summary, &b.summary, &la, &lb),
        body: text::unified_diff(&a.body, &b.body, &la, &lb),
    })
}

/// The campaigns a story belongs to, in one query.
pub async fn campaigns(
    db: &impl ConnectionTrait,
    story_id: Uuid,
) -> Result<Vec<entity::campaign::Model>> {
    let linked = Query::select()
        .column(story_campaign::Column::CampaignId)
        .from(story_campaign::Entity)
        .and_where(story_campaign::Column::StoryId.eq(story_id))
        .to_owned();
    Ok(entity::campaign::Entity::find()
        .filter(entity::campaign::Column::Id.in_subquery(linked))
        .order_by_asc(entity::campaign::Column::Id)
        .all(db)
        .await?)
}

/// The tags a story is filed under, in one query.
pub async fn tags(db: &impl ConnectionTrait, story_id: Uuid) -> Result<Vec<entity::tag::Model>> {
    let linked = Query::select()
        .column(story_tag::Column::TagId)
        .from(story_tag::Entity)
        .and_where(story_tag::Column::StoryId.eq(story_id))
        .to_owned();
    Ok(entity::tag::Entity::find()
        .filter(entity::tag::Column::Id.in_subquery(linked))
        .order_by_asc(entity::tag::Column::Id)
        .all(db)
        .await?)
}

/// The campaigns and tags of a set of stories, each list in id order.
#[derive(Debug, Default)]
pub struct Links {
    pub campaigns: HashMap<Uuid, Vec<entity::campaign::Model>>,
    pub tags: HashMap<Uuid, Vec<entity::tag::Model>>,
}

/// Which links [`links_of`] loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkKinds {
    pub campaigns: bool,
    pub tags: bool,
}

/// The campaigns and/or tags of each of these stories, in one statement
/// whatever their number: each kind is its link table joined with its own
/// table, and both kinds are one `UNION ALL`, every row tagged with its kind
/// (tag rows leave the campaign-only columns `NULL`).
pub async fn links_of(
    db: &impl ConnectionTrait,
    story_ids: &[Uuid],
    kinds: LinkKinds,
) -> Result<Links> {
    use entity::{campaign, tag};
    use sea_orm::{
        FromQueryResult, IdenStatic,
        sea_query::{Alias, DynIden, ExprTrait, IntoIden, SelectStatement, UnionType},
    };

    const CAMPAIGN: i32 = 0;
    const TAG: i32 = 1;
    // The union's columns after `story_id` and `kind`, named as the campaign's.
    let names = {
        use campaign::Column::*;
        [
            Id,
            Slug,
            Name,
            Description,
            CreatedAt,
            UpdatedAt,
            Hashtag,
            StartsOn,
            EndsOn,
            OrganisationId,
            ShareUrlPattern,
        ]
    };
    let campaign_columns = names.map(|c| Some(c.into_iden()));
    let tag_columns: [Option<DynIden>; 11] = {
        use tag::Column::*;
        [
            Some(Id.into_iden()),
            Some(Slug.into_iden()),
            Some(Name.into_iden()),
            Some(Description.into_iden()),
            Some(CreatedAt.into_iden()),
            Some(UpdatedAt.into_iden()),
            None,
            None,
            None,
            None,
            None,
        ]
    };
    let backend = db.get_database_backend();
    // `link` (its story and target columns) joined with `table` on its id.
    let branch = |kind: i32,
                  link: DynIden,
                  (story_id, target_id): (DynIden, DynIden),
                  (table, table_id): (DynIden, DynIden),
                  columns: [Option<DynIden>; 11]|
     -> SelectStatement {
        let mut select = Query::select();
        select
            .expr_as(
                Expr::col((link.clone(), story_id.clone())),
                Alias::new("story_id"),
            )
            .expr_as(Expr::val(kind), Alias::new("kind"));
        for (column, name) in columns.into_iter().zip(names) {
            let value = match column {
                Some(column) => Expr::col((table.clone(), column)),
                None => Expr::null(),
            };
            select.expr_as(value, Alias::new(name.as_str()));
        }
        select
            .from(link.clone())
            .inner_join(
                table.clone(),
                Expr::col((table, table_id)).equals((link.clone(), target_id)),
            )
            .and_where(crate::db::id_in(
                backend,
                (link, story_id),
                story_ids.iter().copied(),
            ));
        select
    };
    let mut branches = Vec::new();
    if kinds.campaigns {
        branches.push(branch(
            CAMPAIGN,
            story_campaign::Entity.into_iden(),
            (
                story_campaign::Column::StoryId.into_iden(),
                story_campaign::Column::CampaignId.into_iden(),
            ),
            (
                campaign::Entity.into_iden(),
                campaign::Column::Id.into_iden(),
            ),
            campaign_columns,
        ));
    }
    if kinds.tags {
        branches.push(branch(
            TAG,
            story_tag::Entity.into_iden(),
            (
                story_tag::Column::StoryId.into_iden(),
                story_tag::Column::TagId.into_iden(),
            ),
            (tag::Entity.into_iden(), tag::Column::Id.into_iden()),
            tag_columns,
        ));
    }
    let mut out = Links::default();
    let mut branches = branches.into_iter();
    let Some(mut select) = branches.next().filter(|_| !story_ids.is_empty()) else {
        return Ok(out);
    };
    select.unions(branches.map(|b| (UnionType::All, b)));
    for row in db.query_all(&select).await? {
        let story_id: Uuid = row.try_get("", "story_id")?;
        if row.try_get::<i32>("", "kind")? == CAMPAIGN {
            out.campaigns
                .entry(story_id)
                .or_default()
                .push(campaign::Model::from_query_result(&row, "")?);
        } else {
            out.tags
                .entry(story_id)
                .or_default()
                .push(tag::Model::from_query_result(&row, "")?);
        }
    }
    out.campaigns
        .values_mut()
        .for_each(|list| list.sort_by_key(|c| c.id));
    out.tags
        .values_mut()
        .for_each(|list| list.sort_by_key(|t| t.id));
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
async fn insert_revision(
    txn: &DatabaseTransaction,
    story_id: Uuid,
    locale_tag: &str,
    text: &Text,
    author: Uuid,
    note: Option<String>,
    restored_from: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<story_revision::Model> {
    let existing = story_locale::Entity::find()
        .filter(story_locale::Column::StoryId.eq(story_id))
        .filter(story_locale::Column::Locale.eq(locale_tag))
        .one(txn)
        .await?;
    let number = match &existing {
        Some(l) => find_revision(txn, l.head_revision_id).await?.number + 1,
        None => 1,
    };
    let revision = story_revision::ActiveModel {
        id: Set(Uuid::now_v7()),
        story_id: Set(story_id),
        locale: Set(locale_tag.to_owned()),
        number: Set(number),
        title: Set(text.title.trim().to_owned()),
        summary: Set(text.summary.clone()),
        body: Set(text.body.clone()),
        author_id: Set(author),
        note: Set(note.filter(|n| !n.trim().is_empty())),
        restored_from: Set(restored_from),
        created_at: Set(now),
    }
    .insert(txn)
    .await?;
    match existing {
        Some(l) => {
            story_locale::Entity::update_many()
                .col_expr(
                    story_locale::Column::HeadRevisionId,
                    Expr::value(revision.id),
                )
                .filter(story_locale::Column::Id.eq(l.id))
                .exec(txn)
                .await?;
        }
        None => {
            story_locale::ActiveModel {
                id: Set(Uuid::now_v7()),
                story_id: Set(story_id),
                locale: Set(locale_tag.to_owned()),
                head_revision_id: Set(revision.id),
                approved_revision_id: Set(None),
                published_revision_id: Set(None),
            }
            .insert(txn)
            .await?;
        }
    }
    Ok(revision)
}

async fn set_links(
    txn: &DatabaseTransaction,
    story_id: Uuid,
    campaigns: Option<&[Uuid]>,
    tags: Option<&[Uuid]>,
) -> Result<()> {
    if let Some(ids) = campaigns {
        let ids = dedup(ids);
        let found = entity::campaign::Entity::find()
            .filter(entity::campaign::Column::Id.is_in(ids.clone()))
            .all(txn)
            .await?;
        if found.len() != ids.len() {
            return Err(Error::invalid(
                "campaignIds",
                "no campaign with one of these ids",
            ));
        }
        story_campaign::Entity::delete_many()
            .filter(story_campaign::Column::StoryId.eq(story_id))
            .exec(txn)
            .await?;
        for campaign_id in ids {
            story_campaign::ActiveModel {
                story_id: Set(story_id),
                campaign_id: Set(campaign_id),
            }
            .insert(txn)
            .await?;
        }
    }
    if let Some(ids) = tags {
        let ids = dedup(ids);
        let found = entity::tag::Entity::find()
            .filter(entity::tag::Column::Id.is_in(ids.clone()))
            .all(txn)
            .await?;
        if found.len() != ids.len() {
            return Err(Error::invalid("tagIds", "no tag with one of these ids"));
        }
        story_tag::Entity::delete_many()
            .filter(story_tag::Column::StoryId.eq(story_id))
            .exec(txn)
            .await?;
        for tag_id in ids {
            story_tag::ActiveModel {
                story_id: Set(story_id),
                tag_id: Set(tag_id),
            }
            .insert(txn)
            .await?;
        }
    }
    Ok(())
}

fn dedup(ids: &[Uuid]) -> Vec<Uuid> {
    let mut ids = ids.to_vec();
    ids.sort();
    ids.dedup();
    ids
}

async fn slug_taken(db: &impl ConnectionTrait, slug: &str) -> Result<bool> {
    Ok(story::Entity::find()
        .filter(story::Column::Slug.eq(slug))
        .one(db)
        .await?
        .is_some())
}

/// `base`, or `base-2`, `base-3`… whichever is free first.
async fn free_slug(db: &impl ConnectionTrait, base: &str) -> Result<String> {
    if !slug_taken(db, base).await? {
        return Ok(base.to_owned());
    }
    for n in 2..1000 {
        let suffix = format!("-{n}");
        let stem: String = base
            .chars()
            .take(text::MAX_SLUG_LEN - suffix.chars().count())
            .collect();
        let candidate = format!("{}{suffix}", stem.trim_end_matches('-'));
        if !slug_taken(db, &candidate).await? {
            return Ok(candidate);
        }
    }
    Ok(format!(
        "{}-{}",
        base.chars().take(60).collect::<String>(),
        Uuid::now_v7().simple()
    ))
}

pub(crate) fn validate_text(text: &Text) -> Result<()> {
    let title = text.title.trim();
    if title.is_empty() || title.chars().count() > MAX_TITLE_LEN {
        return Err(Error::invalid(
            "title",
            format!("a title is required, at most {MAX_TITLE_LEN} characters"),
        ));
    }
    if text.summary.chars().count() > MAX_SUMMARY_LEN {
        return Err(Error::invalid(
            "summary",
            format!("at most {MAX_SUMMARY_LEN} characters"),
        ));
    }
    if text.body.len() > MAX_BODY_BYTES {
        return Err(Error::invalid(
            "body",
            format!("the body is larger than {MAX_BODY_BYTES} bytes of Markdown"),
        ));
    }
    Ok(())
}

fn validate_region(region: Option<&str>) -> Result<()> {
    if region.is_some_and(|r| r.chars().count() > MAX_REGION_LEN) {
        return Err(Error::invalid(
            "region",
            format!("at most {MAX_REGION_LEN} characters: a coarse region, never an address"),
        ));
    }
    Ok(())
}

fn validate_note(note: Option<&str>) -> Result<()> {
    if note.is_some_and(|n| n.chars().count() > MAX_NOTE_LEN) {
        return Err(Error::invalid(
            "note",
            format!("at most {MAX_NOTE_LEN} characters"),
        ));
    }
    Ok(())
}
