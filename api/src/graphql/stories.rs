//! Stories for staff: the editorial workflow, revisions, reviews and the queue.

use async_graphql::{
    Context, Enum, ID, InputObject, MaybeUndefined, Object, Result, SimpleObject,
    connection::Connection,
};
use chrono::{DateTime, Utc};
use entity::{review_comment, risk_assessment, story, story_revision, storyteller_review};
use uuid::Uuid;

use crate::pagination::Cursor;

use super::{
    auth::User,
    campaigns::{Campaign, Tag},
    connection::{connection, connection_by, page_request},
    context::{ContextExt, scope},
    scalars::{Date, Instant, parse_id, patch},
    scoped,
    storytellers::Storyteller,
};
use crate::{
    auth::users,
    clock,
    error::Error,
    pagination::Page,
    patch::Patch,
    stories::{self, DetailChanges, NewStory, Text, review, text::render_markdown, workflow},
    storytellers,
};

/// Where a story is in the editorial workflow.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::story::State")]
pub enum StoryState {
    Draft,
    InReview,
    ChangesRequested,
    Approved,
    Published,
    Unpublished,
    Archived,
    /// Consent was withdrawn; entered only by the consent module.
    Withdrawn,
}

/// How the storyteller may be named.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::story::IdentityLevel")]
pub enum IdentityLevel {
    FullName,
    FirstName,
    Pseudonym,
    Anonymous,
}

/// Whether faces may be shown.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::story::Faces")]
pub enum Faces {
    Shown,
    Obscured,
    NotDepicted,
}

/// How precisely a place may be named.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::story::LocationPrecision")]
pub enum LocationPrecision {
    None,
    Country,
    Region,
    City,
}

/// How the storyteller reviewed the text.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::storyteller_review::Method")]
pub enum ReviewMethod {
    InPerson,
    Phone,
    VideoCall,
    Message,
}

/// The assessed risk of publishing.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::risk_assessment::Level")]
pub enum RiskLevel {
    Low,
    Medium,
    High,
}

pub(super) async fn user(ctx: &Context<'_>, id: Option<Uuid>) -> Result<Option<User>> {
    match id {
        Some(id) => Ok(users::find_by_id(&ctx.state().db, id)
            .await?
            .map(User::from)),
        None => Ok(None),
    }
}

fn id(uuid: Uuid) -> ID {
    ID(uuid.to_string())
}

/// A story as staff see it: every state, every revision.
pub struct Story(pub story::Model);

#[Object]
impl Story {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// Readable and unique; fixed once the story has been published.
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    async fn state(&self) -> StoryState {
        self.0.state.into()
    }
    /// Send it back with every change; a stale version gets `CONFLICT`.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// Whether a publication is up now (a new draft may be in progress meanwhile).
    async fn is_live(&self) -> bool {
        workflow::is_live(&self.0)
    }
    async fn primary_locale(&self) -> &str {
        &self.0.primary_locale
    }
    /// A coarse region, never an address.
    async fn region(&self) -> Option<&str> {
        self.0.region.as_deref()
    }
    async fn identity_level(&self) -> IdentityLevel {
        self.0.identity_level.into()
    }
    async fn faces(&self) -> Faces {
        self.0.faces.into()
    }
    async fn location_precision(&self) -> LocationPrecision {
        self.0.location_precision.into()
    }
    /// The image the editor chose for the story's share card, if any.
    async fn share_image_id(&self) -> Option<ID> {
        self.0.share_media_id.map(|id| ID(id.to_string()))
    }
    async fn publish_at(&self) -> Option<DateTime<Utc>> {
        self.0.publish_at
    }
    async fn unpublish_at(&self) -> Option<DateTime<Utc>> {
        self.0.unpublish_at
    }
    async fn published_at(&self) -> Option<DateTime<Utc>> {
        self.0.published_at
    }
    async fn first_published_at(&self) -> Option<DateTime<Utc>> {
        self.0.first_published_at
    }
    async fn submitted_at(&self) -> Option<DateTime<Utc>> {
        self.0.submitted_at
    }
    async fn approved_at(&self) -> Option<DateTime<Utc>> {
        self.0.approved_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    async fn storyteller(&self, ctx: &Context<'_>) -> Result<Storyteller> {
        Ok(Storyteller(
            storytellers::find(&ctx.state().db, self.0.storyteller_id).await?,
        ))
    }
    /// Set when the storyteller sent the story in through a campaign site;
    /// `null` for stories staff wrote.
    async fn submission(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Option<super::submissions::StorySubmission>> {
        super::submissions::of_story(ctx, self.0.id).await
    }
    /// The staff member who wrote it; `null` for a story sent in.
    async fn created_by(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        user(ctx, Some(self.0.created_by)).await
    }
    async fn submitted_by(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        user(ctx, self.0.submitted_by).await
    }
    async fn approved_by(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        user(ctx, self.0.approved_by).await
    }
    async fn campaigns(&self, ctx: &Context<'_>) -> Result<Vec<Campaign>> {
        let found = stories::campaigns(&ctx.state().db, self.0.id).await?;
        Ok(found.into_iter().map(Campaign::from).collect())
    }
    async fn tags(&self, ctx: &Context<'_>) -> Result<Vec<Tag>> {
        let found = stories::tags(&ctx.state().db, self.0.id).await?;
        Ok(found.into_iter().map(Tag::from).collect())
    }
    /// Each locale's newest, approved and published revision.
    async fn locales(&self, ctx: &Context<'_>) -> Result<Vec<StoryLocale>> {
        Ok(stories::locales(&ctx.state().db, self.0.id)
            .await?
            .into_iter()
            .map(StoryLocale)
            .collect())
    }
    /// Every revision, by locale and number.
    async fn revisions(
        &self,
        ctx: &Context<'_>,
        locale: Option<String>,
    ) -> Result<Vec<StoryRevision>> {
        Ok(
            stories::revisions(&ctx.state().db, self.0.id, locale.as_deref())
                .await?
                .into_iter()
                .map(StoryRevision)
                .collect(),
        )
    }
    async fn comments(&self, ctx: &Context<'_>) -> Result<Vec<ReviewComment>> {
        Ok(review::comments(&ctx.state().db, self.0.id)
            .await?
            .into_iter()
            .map(ReviewComment)
            .collect())
    }
    /// The storyteller's recorded sign-offs, each of one exact revision.
    async fn storyteller_reviews(&self, ctx: &Context<'_>) -> Result<Vec<StorytellerReview>> {
        Ok(review::storyteller_reviews(&ctx.state().db, self.0.id)
            .await?
            .into_iter()
            .map(StorytellerReview)
            .collect())
    }
    /// On which channels the story is visible right now, and why not on the others.
    /// Editors and admins.
    async fn visibility(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Vec<super::consent::ChannelVisibility>> {
        Ok(crate::consent::visibility::of_story(
            &ctx.state().db,
            ctx.principal(),
            &self.0,
            clock::now(),
        )
        .await?
        .into_iter()
        .filter_map(super::consent::ChannelVisibility::shown)
        .collect())
    }

    /// The story's photos, recordings and videos, oldest first. Staff.
    async fn media(&self, ctx: &Context<'_>) -> Result<Vec<super::media::MediaAsset>> {
        Ok(
            crate::media::assets::of_story(&ctx.state().db, ctx.principal(), self.0.id)
                .await?
                .into_iter()
                .map(Into::into)
                .collect(),
        )
    }

    async fn risk_assessments(&self, ctx: &Context<'_>) -> Result<Vec<RiskAssessment>> {
        Ok(review::risk_assessments(&ctx.state().db, self.0.id)
            .await?
            .into_iter()
            .map(RiskAssessment)
            .collect())
    }
}

/// One locale of a story.
pub struct StoryLocale(entity::story_locale::Model);

#[Object]
impl StoryLocale {
    async fn locale(&self) -> &str {
        &self.0.locale
    }
    /// The newest revision: the working draft.
    async fn head(&self, ctx: &Context<'_>) -> Result<StoryRevision> {
        Ok(StoryRevision(
            stories::find_revision(&ctx.state().db, self.0.head_revision_id).await?,
        ))
    }
    async fn approved(&self, ctx: &Context<'_>) -> Result<Option<StoryRevision>> {
        revision(ctx, self.0.approved_revision_id).await
    }
    /// What consumers see while the story is live.
    async fn published(&self, ctx: &Context<'_>) -> Result<Option<StoryRevision>> {
        revision(ctx, self.0.published_revision_id).await
    }
}

async fn revision(ctx: &Context<'_>, id: Option<Uuid>) -> Result<Option<StoryRevision>> {
    match id {
        Some(id) => Ok(Some(StoryRevision(
            stories::find_revision(&ctx.state().db, id).await?,
        ))),
        None => Ok(None),
    }
}

/// An immutable snapshot of a story's text in one locale.
pub struct StoryRevision(story_revision::Model);

#[Object]
impl StoryRevision {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn locale(&self) -> &str {
        &self.0.locale
    }
    /// 1, 2, 3… within the locale.
    async fn number(&self) -> i32 {
        self.0.number
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn summary(&self) -> &str {
        &self.0.summary
    }
    /// Markdown.
    async fn body(&self) -> &str {
        &self.0.body
    }
    /// The body as HTML that cannot carry scripts: raw HTML is shown as text and
    /// only http, https, mailto and relative links are kept.
    async fn body_html(&self) -> String {
        render_markdown(&self.0.body)
    }
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    async fn restored_from(&self) -> Option<ID> {
        self.0.restored_from.map(id)
    }
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        user(ctx, Some(self.0.author_id)).await
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// A comment on a revision.
pub struct ReviewComment(review_comment::Model);

#[Object]
impl ReviewComment {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn revision_id(&self) -> ID {
        id(self.0.revision_id)
    }
    async fn body(&self) -> &str {
        &self.0.body
    }
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        user(ctx, Some(self.0.author_id)).await
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn resolved_at(&self) -> Option<DateTime<Utc>> {
        self.0.resolved_at
    }
    async fn resolved_by(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        user(ctx, self.0.resolved_by).await
    }
}

/// The storyteller's sign-off of one exact revision.
pub struct StorytellerReview(storyteller_review::Model);

#[Object]
impl StorytellerReview {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn revision_id(&self) -> ID {
        id(self.0.revision_id)
    }
    async fn method(&self) -> ReviewMethod {
        self.0.method.into()
    }
    async fn reviewed_at(&self) -> DateTime<Utc> {
        self.0.reviewed_at
    }
    async fn notes(&self) -> Option<&str> {
        self.0.notes.as_deref()
    }
    async fn recorded_by(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        user(ctx, Some(self.0.recorded_by)).await
    }
}

/// A recorded risk assessment.
pub struct RiskAssessment(risk_assessment::Model);

#[Object]
impl RiskAssessment {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn assessor(&self) -> &str {
        &self.0.assessor
    }
    async fn assessed_on(&self) -> Date {
        Date(self.0.assessed_on)
    }
    async fn level(&self) -> RiskLevel {
        self.0.level.into()
    }
    async fn mitigations(&self) -> &str {
        &self.0.mitigations
    }
    async fn recorded_by(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        user(ctx, Some(self.0.recorded_by)).await
    }
}

/// A line diff (unified format) of each field between two revisions.
#[derive(SimpleObject)]
pub struct RevisionDiff {
    pub title: String,
    pub summary: String,
    pub body: String,
}

/// A story and the revision just saved.
#[derive(SimpleObject)]
pub struct SaveRevisionPayload {
    pub story: Story,
    pub revision: StoryRevision,
}

#[derive(InputObject)]
pub struct CreateStoryInput {
    pub storyteller_id: ID,
    /// Made from the title when left out.
    pub slug: Option<String>,
    /// A language tag such as `en`, `ar`, `uk`.
    pub primary_locale: String,
    pub title: String,
    #[graphql(default)]
    pub summary: String,
    /// Markdown, at most 100,000 bytes.
    #[graphql(default)]
    pub body: String,
    pub region: Option<String>,
    #[graphql(default)]
    pub campaign_ids: Vec<ID>,
    #[graphql(default)]
    pub tag_ids: Vec<ID>,
    pub note: Option<String>,
    /// How readers see the storyteller's name: never more than their consent
    /// allows, whatever is chosen here. `ANONYMOUS` when left out.
    pub identity_level: Option<IdentityLevel>,
}

#[derive(InputObject)]
pub struct SaveStoryRevisionInput {
    pub story_id: ID,
    /// The story version this edit started from.
    pub expected_version: i32,
    /// The locale to save; a new one adds a translation.
    pub locale: String,
    pub title: String,
    #[graphql(default)]
    pub summary: String,
    #[graphql(default)]
    pub body: String,
    pub note: Option<String>,
}

/// Fields left out stay as they are.
#[derive(InputObject)]
pub struct UpdateStoryDetailsInput {
    pub slug: Option<String>,
    pub region: MaybeUndefined<String>,
    pub campaign_ids: Option<Vec<ID>>,
    pub tag_ids: Option<Vec<ID>>,
    pub identity_level: Option<IdentityLevel>,
    pub faces: Option<Faces>,
    pub location_precision: Option<LocationPrecision>,
    /// The image for the story's share card: one of its own images. `null`
    /// goes back to the oldest image the social-media consents allow.
    pub share_image_id: MaybeUndefined<ID>,
}

#[derive(InputObject)]
pub struct RiskAssessmentInput {
    pub assessor: String,
    pub assessed_on: Date,
    pub level: RiskLevel,
    pub mitigations: String,
}

fn ids(field: &'static str, ids: &[ID]) -> Result<Vec<Uuid>> {
    Ok(ids
        .iter()
        .map(|i| parse_id(field, i))
        .collect::<Result<_, Error>>()?)
}

fn stories_connection(page: Page<story::Model>) -> Connection<String, Story> {
    connection(page, |s| s.id, Story)
}

#[derive(Default)]
pub struct StoryQuery;

#[Object]
impl StoryQuery {
    /// Stories in any state, oldest first. Staff only, within their scope.
    /// (Partner sites and apps read `stories`, which shows only what consent
    /// allows.)
    #[graphql(
        complexity = "first.or(last).unwrap_or(20).clamp(1, 100) as usize * child_complexity"
    )]
    async fn editorial_stories(
        &self,
        ctx: &Context<'_>,
        state: Option<StoryState>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Connection<String, Story>> {
        let page = stories::list(
            &ctx.state().db,
            scope(ctx).await?,
            state.map(Into::into),
            page_request(first, after, last, before)?,
        )
        .await?;
        Ok(stories_connection(page))
    }

    /// One story by id or slug, in any state. Staff only; null outside their scope.
    async fn editorial_story(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        slug: Option<String>,
    ) -> Result<Option<Story>> {
        let db = &ctx.state().db;
        match (id, slug) {
            (Some(id), None) => {
                let found = async {
                    let id = scoped::story(ctx, "id", &id).await?;
                    stories::get(db, ctx.principal(), id).await
                };
                match found.await {
                    Ok(s) => Ok(Some(Story(s))),
                    Err(Error::NotFound(_)) => Ok(None),
                    Err(e) => Err(e.into()),
                }
            }
            (None, Some(slug)) => Ok(stories::find_by_slug(db, scope(ctx).await?, &slug)
                .await?
                .map(Story)),
            _ => Err(Error::invalid("id", "give either `id` or `slug`").into()),
        }
    }

    /// Stories waiting for review, longest-waiting first. Staff only, within their scope.
    #[graphql(
        complexity = "first.or(last).unwrap_or(20).clamp(1, 100) as usize * child_complexity"
    )]
    async fn review_queue(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Connection<String, Story>> {
        let page = stories::review_queue(
            &ctx.state().db,
            scope(ctx).await?,
            page_request(first, after, last, before)?,
        )
        .await?;
        Ok(connection_by(
            page,
            |s| Cursor {
                id: s.id,
                at: s.submitted_at,
            },
            Story,
        ))
    }

    /// A line diff of two revisions of the same story. Staff only.
    async fn revision_diff(&self, ctx: &Context<'_>, from: ID, to: ID) -> Result<RevisionDiff> {
        let d = stories::diff(
            &ctx.state().db,
            ctx.principal(),
            scoped::revision(ctx, "from", &from).await?,
            scoped::revision(ctx, "to", &to).await?,
        )
        .await?;
        Ok(RevisionDiff {
            title: d.title,
            summary: d.summary,
            body: d.body,
        })
    }
}

#[derive(Default)]
pub struct StoryMutation;

#[Object]
impl StoryMutation {
    /// Starts a story as a draft: anonymous unless `identityLevel` says how to
    /// name the storyteller (never more than consent allows), faces obscured,
    /// location coarse, unpublished. Any staff member.
    async fn create_story(&self, ctx: &Context<'_>, input: CreateStoryInput) -> Result<Story> {
        let new = NewStory {
            storyteller_id: scoped::storyteller(ctx, "storytellerId", &input.storyteller_id)
                .await?,
            slug: input.slug,
            primary_locale: input.primary_locale,
            text: Text {
                title: input.title,
                summary: input.summary,
                body: input.body,
            },
            region: input.region,
            campaign_ids: scoped::campaigns(ctx, "campaignIds", &input.campaign_ids).await?,
            tag_ids: ids("tagIds", &input.tag_ids)?,
            note: input.note,
        };
        Ok(Story(
            stories::create_named(
                &ctx.state().db,
                ctx.principal(),
                new,
                input.identity_level.map(Into::into),
                clock::now(),
            )
            .await?,
        ))
    }

    /// Saves text for one locale as a new revision. Its author or an editor.
    async fn save_story_revision(
        &self,
        ctx: &Context<'_>,
        input: SaveStoryRevisionInput,
    ) -> Result<SaveRevisionPayload> {
        let text = Text {
            title: input.title,
            summary: input.summary,
            body: input.body,
        };
        let (story, revision) = stories::save_revision(
            &ctx.state().db,
            ctx.principal(),
            scoped::story(ctx, "storyId", &input.story_id).await?,
            input.expected_version,
            &input.locale,
            text,
            input.note,
            clock::now(),
        )
        .await?;
        Ok(SaveRevisionPayload {
            story: Story(story),
            revision: StoryRevision(revision),
        })
    }

    /// Saves an old revision's text again as the newest revision of its locale.
    async fn restore_revision(
        &self,
        ctx: &Context<'_>,
        revision_id: ID,
        expected_version: i32,
    ) -> Result<SaveRevisionPayload> {
        let (story, revision) = stories::restore_revision(
            &ctx.state().db,
            ctx.principal(),
            scoped::revision(ctx, "revisionId", &revision_id).await?,
            expected_version,
            clock::now(),
        )
        .await?;
        Ok(SaveRevisionPayload {
            story: Story(story),
            revision: StoryRevision(revision),
        })
    }

    /// Changes slug, region, campaigns, tags or how the storyteller is shown.
    async fn update_story_details(
        &self,
        ctx: &Context<'_>,
        story_id: ID,
        expected_version: i32,
        input: UpdateStoryDetailsInput,
    ) -> Result<Story> {
        let changes = DetailChanges {
            slug: input.slug,
            region: patch(input.region, |r| r),
            campaign_ids: match input.campaign_ids.as_deref() {
                Some(i) => Some(scoped::campaigns(ctx, "campaignIds", i).await?),
                None => None,
            },
            tag_ids: input
                .tag_ids
                .as_deref()
                .map(|i| ids("tagIds", i))
                .transpose()?,
            identity_level: input.identity_level.map(Into::into),
            faces: input.faces.map(Into::into),
            location_precision: input.location_precision.map(Into::into),
            share_image_id: match input.share_image_id {
                MaybeUndefined::Undefined => Patch::Keep,
                MaybeUndefined::Null => Patch::Clear,
                MaybeUndefined::Value(id) => Patch::Set(parse_id("shareImageId", &id)?),
            },
        };
        let story = stories::update_details(
            &ctx.state().db,
            ctx.principal(),
            scoped::story(ctx, "storyId", &story_id).await?,
            expected_version,
            changes,
            clock::now(),
        )
        .await?;
        Ok(Story(story))
    }

    /// Sends the draft to review. Its author or an editor.
    async fn submit_story(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: Option<i32>,
    ) -> Result<Story> {
        Ok(Story(
            workflow::submit(
                &ctx.state().db,
                ctx.principal(),
                scoped::story(ctx, "id", &id).await?,
                expected_version,
                clock::now(),
            )
            .await?,
        ))
    }

    /// Sends the story back to its author, optionally with a comment on the newest
    /// primary-locale revision. An editor who did not write it.
    async fn request_changes(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: Option<i32>,
        comment: Option<String>,
    ) -> Result<Story> {
        let state = ctx.state();
        let story = workflow::request_changes(
            &state.db,
            ctx.principal(),
            state.config.four_eyes,
            scoped::story(ctx, "id", &id).await?,
            expected_version,
            comment,
            clock::now(),
        )
        .await?;
        Ok(Story(story))
    }

    /// Approves the story. An editor who did not write it; the storyteller's review
    /// of every current revision, for groups at risk a risk assessment, a
    /// transcript of every recording and captions for every video must be on
    /// record (`INVALID_TRANSITION` with `extensions.reason` otherwise).
    async fn approve_story(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: Option<i32>,
    ) -> Result<Story> {
        let state = ctx.state();
        let story = workflow::approve(
            &state.db,
            ctx.principal(),
            state.config.four_eyes,
            scoped::story(ctx, "id", &id).await?,
            expected_version,
            clock::now(),
        )
        .await?;
        Ok(Story(story))
    }

    /// Publishes an approved story now, or at `publishAt`. Editors.
    async fn publish_story(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: Option<i32>,
        publish_at: Option<Instant>,
    ) -> Result<Story> {
        let story = workflow::publish(
            &ctx.state().db,
            ctx.principal(),
            scoped::story(ctx, "id", &id).await?,
            expected_version,
            publish_at.map(|t| t.0),
            clock::now(),
        )
        .await?;
        Ok(Story(story))
    }

    /// Takes a live story offline now, or at `unpublishAt`. Editors.
    async fn unpublish_story(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: Option<i32>,
        unpublish_at: Option<Instant>,
    ) -> Result<Story> {
        let story = workflow::unpublish(
            &ctx.state().db,
            ctx.principal(),
            scoped::story(ctx, "id", &id).await?,
            expected_version,
            unpublish_at.map(|t| t.0),
            clock::now(),
        )
        .await?;
        Ok(Story(story))
    }

    /// Archives a story, taking it offline. Editors.
    async fn archive_story(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: Option<i32>,
    ) -> Result<Story> {
        Ok(Story(
            workflow::archive(
                &ctx.state().db,
                ctx.principal(),
                scoped::story(ctx, "id", &id).await?,
                expected_version,
                clock::now(),
            )
            .await?,
        ))
    }

    /// Brings an archived story back as a draft. Editors.
    async fn unarchive_story(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: Option<i32>,
    ) -> Result<Story> {
        Ok(Story(
            workflow::unarchive(
                &ctx.state().db,
                ctx.principal(),
                scoped::story(ctx, "id", &id).await?,
                expected_version,
                clock::now(),
            )
            .await?,
        ))
    }

    /// Comments on a revision. Any staff member.
    async fn add_review_comment(
        &self,
        ctx: &Context<'_>,
        revision_id: ID,
        body: String,
    ) -> Result<ReviewComment> {
        Ok(ReviewComment(
            review::add_comment(
                &ctx.state().db,
                ctx.principal(),
                scoped::revision(ctx, "revisionId", &revision_id).await?,
                body,
                clock::now(),
            )
            .await?,
        ))
    }

    /// Marks a comment resolved. Any staff member.
    async fn resolve_review_comment(&self, ctx: &Context<'_>, id: ID) -> Result<ReviewComment> {
        Ok(ReviewComment(
            review::resolve_comment(
                &ctx.state().db,
                ctx.principal(),
                scoped::comment(ctx, "id", &id).await?,
                clock::now(),
            )
            .await?,
        ))
    }

    /// Records that the storyteller reviewed this exact revision. Any staff member.
    async fn record_storyteller_review(
        &self,
        ctx: &Context<'_>,
        revision_id: ID,
        method: ReviewMethod,
        reviewed_at: Instant,
        notes: Option<String>,
    ) -> Result<StorytellerReview> {
        let review = review::record_storyteller_review(
            &ctx.state().db,
            ctx.principal(),
            scoped::revision(ctx, "revisionId", &revision_id).await?,
            method.into(),
            reviewed_at.0,
            notes,
            clock::now(),
        )
        .await?;
        Ok(StorytellerReview(review))
    }

    /// Records a risk assessment for a story. Editors.
    async fn record_risk_assessment(
        &self,
        ctx: &Context<'_>,
        story_id: ID,
        input: RiskAssessmentInput,
    ) -> Result<RiskAssessment> {
        let new = review::NewAssessment {
            assessor: input.assessor,
            assessed_on: input.assessed_on.0,
            level: input.level.into(),
            mitigations: input.mitigations,
        };
        Ok(RiskAssessment(
            review::record_risk_assessment(
                &ctx.state().db,
                ctx.principal(),
                scoped::story(ctx, "storyId", &story_id).await?,
                new,
                clock::now(),
            )
            .await?,
        ))
    }
}
