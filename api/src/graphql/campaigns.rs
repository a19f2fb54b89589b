//! Campaigns and tags: public reads, editor writes.

use async_graphql::{
    ComplexObject, Context, ID, InputObject, MaybeUndefined, Object, Result, SimpleObject,
    connection::Connection,
};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{
    connection::{connection, page_request},
    context::{ContextExt, scope},
    events::{self, CampaignEvent, EventWhen},
    organisations::Organisation,
    scalars::{Date, parse_id, patch},
};
use crate::{
    campaigns::{self, CampaignChanges, NewCampaign, tags},
    clock,
};

/// A story campaign, such as International Migrants Day 2023, "I Am A Migrant".
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Campaign {
    pub id: ID,
    pub slug: String,
    pub name: String,
    /// With its `#`, e.g. `#IAmAMigrant`.
    pub hashtag: Option<String>,
    pub starts_on: Option<Date>,
    pub ends_on: Option<Date>,
    pub description: String,
    /// Where the campaign's site shows a story, `{slug}` standing for the
    /// story's slug: the canonical URL on its share cards.
    pub share_url_pattern: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[graphql(skip)]
    pub campaign_id: Uuid,
    #[graphql(skip)]
    pub organisation_id: Uuid,
}

#[ComplexObject]
impl Campaign {
    /// The organisation that runs the campaign. Staff only (null for others).
    async fn owner(&self, ctx: &Context<'_>) -> Result<Option<Organisation>> {
        if !ctx.principal().is_staff() {
            return Ok(None);
        }
        Ok(ctx
            .request()
            .organisations
            .organisation(&ctx.state().db, self.organisation_id)
            .await?
            .map(Organisation::from))
    }

    /// The campaign's events: `UPCOMING` (not over yet, soonest first) or
    /// `PAST` (latest first), split at the moment of the request. Cancelled
    /// events stay listed with their status. `first` is at most 100 (default 20).
    #[graphql(
        complexity = "first.or(last).unwrap_or(20).clamp(1, 100) as usize * child_complexity"
    )]
    async fn events(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "EventWhen::Upcoming")] when: EventWhen,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Connection<String, CampaignEvent>> {
        events::page(ctx, self.campaign_id, when, first, after, last, before).await
    }

    /// The organisations the campaign is shared with, by name. Staff only (null
    /// for others).
    async fn shared_with(&self, ctx: &Context<'_>) -> Result<Option<Vec<Organisation>>> {
        if !ctx.principal().is_staff() {
            return Ok(None);
        }
        Ok(Some(
            ctx.request()
                .organisations
                .shared_with(&ctx.state().db, self.campaign_id)
                .await?
                .into_iter()
                .map(Organisation::from)
                .collect(),
        ))
    }
}

impl From<entity::campaign::Model> for Campaign {
    fn from(c: entity::campaign::Model) -> Self {
        Self {
            id: ID(c.id.to_string()),
            slug: c.slug,
            name: c.name,
            hashtag: c.hashtag,
            starts_on: c.starts_on.map(Date),
            ends_on: c.ends_on.map(Date),
            description: c.description,
            share_url_pattern: c.share_url_pattern,
            created_at: c.created_at,
            updated_at: c.updated_at,
            campaign_id: c.id,
            organisation_id: c.organisation_id,
        }
    }
}

/// A theme stories are filed under, such as community, work or food.
#[derive(SimpleObject)]
pub struct Tag {
    pub id: ID,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<entity::tag::Model> for Tag {
    fn from(t: entity::tag::Model) -> Self {
        Self {
            id: ID(t.id.to_string()),
            slug: t.slug,
            name: t.name,
            description: t.description,
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

#[derive(InputObject)]
pub struct CreateCampaignInput {
    /// Lower-case words joined by hyphens, e.g. `international-migrants-day-2023`.
    pub slug: String,
    pub name: String,
    pub hashtag: Option<String>,
    pub starts_on: Option<Date>,
    pub ends_on: Option<Date>,
    #[graphql(default)]
    pub description: String,
    /// An `https` URL with `{slug}` where the story's slug goes, e.g.
    /// `https://campaign.example/stories/{slug}`.
    pub share_url_pattern: Option<String>,
}

/// Fields left out stay as they are; optional fields set to `null` are cleared.
#[derive(InputObject)]
pub struct UpdateCampaignInput {
    pub slug: Option<String>,
    pub name: Option<String>,
    pub hashtag: MaybeUndefined<String>,
    pub starts_on: MaybeUndefined<Date>,
    pub ends_on: MaybeUndefined<Date>,
    pub description: Option<String>,
    pub share_url_pattern: MaybeUndefined<String>,
}

#[derive(InputObject)]
pub struct CreateTagInput {
    pub slug: String,
    pub name: String,
    #[graphql(default)]
    pub description: String,
}

/// Fields left out stay as they are.
#[derive(InputObject)]
pub struct UpdateTagInput {
    pub slug: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
}

#[derive(Default)]
pub struct CampaignQuery;

#[Object]
impl CampaignQuery {
    /// Campaigns, oldest first; staff see those their organisation runs or was
    /// given. `first` is at most 100 (default 20).
    #[graphql(
        complexity = "first.or(last).unwrap_or(20).clamp(1, 100) as usize * child_complexity"
    )]
    async fn campaigns(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Connection<String, Campaign>> {
        let scope = staff_scope(ctx).await?;
        let page = campaigns::list(
            &ctx.state().db,
            scope,
            page_request(first, after, last, before)?,
        )
        .await?;
        Ok(connection(page, |c| c.id, Campaign::from))
    }

    /// The campaign with this slug, or null (also for staff, outside their scope).
    async fn campaign(&self, ctx: &Context<'_>, slug: String) -> Result<Option<Campaign>> {
        Ok(
            campaigns::find_by_slug(&ctx.state().db, staff_scope(ctx).await?, &slug)
                .await?
                .map(Campaign::from),
        )
    }

    /// Tags, oldest first. `first` is at most 100 (default 20).
    #[graphql(
        complexity = "first.or(last).unwrap_or(20).clamp(1, 100) as usize * child_complexity"
    )]
    async fn tags(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Connection<String, Tag>> {
        let page = tags::list(&ctx.state().db, page_request(first, after, last, before)?).await?;
        Ok(connection(page, |t| t.id, Tag::from))
    }

    /// The tag with this slug, or null.
    async fn tag(&self, ctx: &Context<'_>, slug: String) -> Result<Option<Tag>> {
        Ok(tags::find_by_slug(&ctx.state().db, &slug)
            .await?
            .map(Tag::from))
    }
}

#[derive(Default)]
pub struct CampaignMutation;

#[Object]
impl CampaignMutation {
    /// Creates a campaign. Editors and admins only.
    async fn create_campaign(
        &self,
        ctx: &Context<'_>,
        input: CreateCampaignInput,
    ) -> Result<Campaign> {
        let new = NewCampaign {
            slug: input.slug,
            name: input.name,
            hashtag: input.hashtag,
            starts_on: input.starts_on.map(|d| d.0),
            ends_on: input.ends_on.map(|d| d.0),
            description: input.description,
            share_url_pattern: input.share_url_pattern,
        };
        let created =
            campaigns::create(&ctx.state().db, ctx.principal(), new, clock::now()).await?;
        Ok(created.into())
    }

    /// Changes a campaign. Editors and admins of the organisation that runs it,
    /// or of the platform.
    async fn update_campaign(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateCampaignInput,
    ) -> Result<Campaign> {
        let id = parse_id("id", &id)?;
        scope(ctx).await?.ensure_campaigns(&[id])?;
        let changes = CampaignChanges {
            slug: input.slug,
            name: input.name,
            hashtag: patch(input.hashtag, |h| h),
            starts_on: patch(input.starts_on, |d| d.0),
            ends_on: patch(input.ends_on, |d| d.0),
            description: input.description,
            share_url_pattern: patch(input.share_url_pattern, |p| p),
        };
        let updated =
            campaigns::update(&ctx.state().db, ctx.principal(), id, changes, clock::now()).await?;
        Ok(updated.into())
    }

    /// Creates a tag. Editors and admins only.
    async fn create_tag(&self, ctx: &Context<'_>, input: CreateTagInput) -> Result<Tag> {
        let new = tags::NewTag {
            slug: input.slug,
            name: input.name,
            description: input.description,
        };
        let created = tags::create(&ctx.state().db, ctx.principal(), new, clock::now()).await?;
        Ok(created.into())
    }

    /// Changes a tag. Editors and admins only.
    async fn update_tag(&self, ctx: &Context<'_>, id: ID, input: UpdateTagInput) -> Result<Tag> {
        let id = parse_id("id", &id)?;
        let changes = tags::TagChanges {
            slug: input.slug,
            name: input.name,
            description: input.description,
        };
        let updated =
            tags::update(&ctx.state().db, ctx.principal(), id, changes, clock::now()).await?;
        Ok(updated.into())
    }
}

/// The caller's scope if they are staff; `None` for readers with an API key or
/// none, who see every campaign as before.
async fn staff_scope<'a>(ctx: &'a Context<'_>) -> Result<Option<&'a crate::organisations::Scope>> {
    if ctx.principal().is_staff() {
        Ok(Some(scope(ctx).await?))
    } else {
        Ok(None)
    }
}
