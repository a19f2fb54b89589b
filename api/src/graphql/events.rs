//! Campaign events: `Campaign.events` for everyone, the mutations for editors.
//!
//! A page of events loads what its nodes ask for at once: the links of every
//! event on the page in one statement, and the linked stories a consumer may
//! see through the same batched read as any other consumer list
//! (`stories::published::by_ids`), never one statement per event or story.

use std::{collections::HashMap, sync::Arc};

use async_graphql::{
    Context, Enum, ID, InputObject, Lookahead, MaybeUndefined, Object, Result,
    connection::Connection,
};
use chrono::{DateTime, Utc};
use entity::campaign_event;
use uuid::Uuid;

use super::{
    connection::{connection_by, page_request},
    context::{ContextExt, scope},
    organisations::Organisation,
    published::{Preloaded, PublishedStory, viewer},
    scalars::{Instant, parse_id, patch},
};
use crate::{
    campaigns::events::{self, EventChanges, NewEvent, When},
    clock,
    consent::Viewer,
    error::Error,
    stories::published,
};

/// Where an event stands.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum EventStatus {
    Planned,
    /// Called off; still listed, so readers who planned to go learn of it.
    Cancelled,
    Done,
}

impl From<campaign_event::Status> for EventStatus {
    fn from(s: campaign_event::Status) -> Self {
        match s {
            campaign_event::Status::Planned => Self::Planned,
            campaign_event::Status::Cancelled => Self::Cancelled,
            campaign_event::Status::Done => Self::Done,
        }
    }
}

impl From<EventStatus> for campaign_event::Status {
    fn from(s: EventStatus) -> Self {
        match s {
            EventStatus::Planned => Self::Planned,
            EventStatus::Cancelled => Self::Cancelled,
            EventStatus::Done => Self::Done,
        }
    }
}

/// Which of a campaign's events to list, split at the moment of the request.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum EventWhen {
    /// Not over yet (ending after now), soonest start first.
    Upcoming,
    /// Over, latest start first.
    Past,
}

/// Largest `first` of an event's `stories`.
const MAX_EVENT_STORIES: i32 = events::MAX_LINKED_STORIES as i32;

/// What a page of events loaded for all its nodes at once.
#[derive(Default)]
struct Loaded {
    /// Each event's linked stories, oldest link first.
    links: HashMap<Uuid, Vec<Uuid>>,
    /// The linked stories the reader may see now, when a consumer's page
    /// asked for them.
    shown: Option<HashMap<Uuid, published::PublishedStory>>,
    preloaded: Option<Arc<Preloaded>>,
    /// The linked stories in the caller's scope, when staff's page asked.
    in_scope: Option<Vec<Uuid>>,
}

/// An event of a campaign: when, where, who organises it, and the stories
/// linked to it. No personal data: the place is a coarse region, a venue
/// the organiser chose to publish, or an online link.
pub struct CampaignEvent(campaign_event::Model, Option<Arc<Loaded>>);

impl From<campaign_event::Model> for CampaignEvent {
    fn from(e: campaign_event::Model) -> Self {
        Self(e, None)
    }
}

impl CampaignEvent {
    /// `at` in the event's time zone, as RFC 3339 with that zone's offset.
    fn local(&self, at: DateTime<Utc>) -> String {
        match self.0.time_zone.parse::<chrono_tz::Tz>() {
            Ok(tz) => at.with_timezone(&tz).to_rfc3339(),
            // Validated when stored; were it not, UTC is still the right instant.
            Err(_) => at.to_rfc3339(),
        }
    }
}

#[Object]
impl CampaignEvent {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    async fn starts_at(&self) -> DateTime<Utc> {
        self.0.starts_at
    }
    async fn ends_at(&self) -> DateTime<Utc> {
        self.0.ends_at
    }
    /// The IANA time zone the event is held in (e.g. `Europe/London`), to show
    /// its local times.
    async fn time_zone(&self) -> &str {
        &self.0.time_zone
    }
    /// `startsAt` in the event's time zone (RFC 3339 with its offset).
    async fn local_starts_at(&self) -> String {
        self.local(self.0.starts_at)
    }
    /// `endsAt` in the event's time zone (RFC 3339 with its offset).
    async fn local_ends_at(&self) -> String {
        self.local(self.0.ends_at)
    }
    /// A coarse region, such as `Manchester, UK`; null for an online-only event.
    async fn region(&self) -> Option<&str> {
        self.0.region.as_deref()
    }
    /// The venue, when the organiser chose to publish it.
    async fn venue(&self) -> Option<&str> {
        self.0.venue.as_deref()
    }
    /// An https link to join online.
    async fn online_url(&self) -> Option<&str> {
        self.0.online_url.as_deref()
    }
    async fn status(&self) -> EventStatus {
        self.0.status.into()
    }
    /// The organisation that organises the event. Staff only (null for others).
    async fn organiser(&self, ctx: &Context<'_>) -> Result<Option<Organisation>> {
        if !ctx.principal().is_staff() {
            return Ok(None);
        }
        Ok(ctx
            .request()
            .organisations
            .organisation(&ctx.state().db, self.0.organiser_id)
            .await?
            .map(Organisation::from))
    }
    /// The ids of the stories linked to the event that are in the caller's
    /// scope, oldest link first. Staff only (null for others).
    async fn linked_story_ids(&self, ctx: &Context<'_>) -> Result<Option<Vec<ID>>> {
        if !ctx.principal().is_staff() {
            return Ok(None);
        }
        let ids = self.links(ctx).await?;
        let shown = match self.1.as_ref().and_then(|l| l.in_scope.as_ref()) {
            Some(in_scope) => ids.into_iter().filter(|id| in_scope.contains(id)).collect(),
            None => events::in_scope(&ctx.state().db, scope(ctx).await?, &ids).await?,
        };
        Ok(Some(shown.iter().map(|id| ID(id.to_string())).collect()))
    }
    /// The linked stories this API key (or, when enabled, the public) may see
    /// right now, oldest link first; the others are left out, exactly as from
    /// `stories`.
    #[graphql(complexity = "first.unwrap_or(10).clamp(0, 50) as usize * child_complexity")]
    async fn stories(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "At most this many stories (0 to 50, default 10).")] first: Option<i32>,
        #[graphql(
            desc = "The language to show each story in (BCP 47), falling back to one of the same language, then to the story's own."
        )]
        locale: Option<String>,
    ) -> Result<Vec<PublishedStory>> {
        let limit = match first {
            None => 10,
            Some(n) if (0..=MAX_EVENT_STORIES).contains(&n) => n as usize,
            Some(_) => {
                return Err(Error::invalid(
                    "first",
                    format!("`first` must be between 0 and {MAX_EVENT_STORIES}"),
                )
                .into());
            }
        };
        let viewer = viewer(ctx)?;
        if let Some(tag) = &locale {
            crate::locale::validate("locale", tag)?;
        }
        let loaded = match &self.1 {
            Some(loaded) if loaded.shown.is_some() => loaded.clone(),
            // A selection the page's look-ahead did not foresee: the same loader.
            _ => {
                let event = [self.0.id];
                Arc::new(load(ctx, &event, Some(&viewer), false, &[ctx.look_ahead()]).await?)
            }
        };
        Ok(loaded
            .links
            .get(&self.0.id)
            .into_iter()
            .flatten()
            .filter_map(|id| loaded.shown.as_ref()?.get(id))
            .take(limit)
            .map(|s| PublishedStory(s.clone(), locale.clone(), loaded.preloaded.clone()))
            .collect())
    }
}

impl CampaignEvent {
    /// This event's linked story ids, from the page's load or on their own.
    async fn links(&self, ctx: &Context<'_>) -> Result<Vec<Uuid>> {
        if let Some(loaded) = &self.1 {
            return Ok(loaded.links.get(&self.0.id).cloned().unwrap_or_default());
        }
        Ok(events::linked_stories(&ctx.state().db, &[self.0.id])
            .await?
            .remove(&self.0.id)
            .unwrap_or_default())
    }
}

/// The links of these events and, for a consumer, the linked stories they may
/// see now with what `nodes` (the selections of an event's `stories`) ask of
/// them, or for staff (`staff_ids`) which are in their scope: a few statements
/// whatever the number of events and stories.
async fn load(
    ctx: &Context<'_>,
    event_ids: &[Uuid],
    viewer: Option<&Viewer>,
    staff_ids: bool,
    nodes: &[Lookahead<'_>],
) -> Result<Loaded> {
    let state = ctx.state();
    let links = events::linked_stories(&state.db, event_ids).await?;
    let mut loaded = Loaded {
        links,
        ..Loaded::default()
    };
    let mut ids: Vec<Uuid> = loaded.links.values().flatten().copied().collect();
    ids.sort_unstable();
    ids.dedup();
    if staff_ids {
        loaded.in_scope = Some(events::in_scope(&state.db, scope(ctx).await?, &ids).await?);
    }
    let Some(viewer) = viewer else {
        return Ok(loaded);
    };
    let shown = published::by_ids(&state.db, &state.reads, viewer, &ids, clock::now()).await?;
    loaded.preloaded = Preloaded::load(ctx, &shown, nodes).await?;
    loaded.shown = Some(shown.into_iter().map(|s| (s.id, s)).collect());
    Ok(loaded)
}

/// A page of a campaign's events, with what its nodes ask for loaded at once.
pub(super) async fn page(
    ctx: &Context<'_>,
    campaign_id: Uuid,
    when: EventWhen,
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> Result<Connection<String, CampaignEvent>> {
    let when = match when {
        EventWhen::Upcoming => When::Upcoming,
        EventWhen::Past => When::Past,
    };
    let page = events::list(
        &ctx.state().db,
        campaign_id,
        when,
        page_request(first, after, last, before)?,
        clock::now(),
    )
    .await?;
    let look = ctx.look_ahead();
    let nodes = [look.field("edges").field("node"), look.field("nodes")];
    let asks = |field: &str| nodes.iter().any(|n| n.field(field).exists());
    let loaded = if !page.items.is_empty() && (asks("stories") || asks("linkedStoryIds")) {
        let ids: Vec<Uuid> = page.items.iter().map(|e| e.id).collect();
        // Stories are loaded for consumers only; staff read ids (and anyone
        // else is told by `stories` itself why they cannot).
        let viewer = Viewer::of(ctx.principal(), ctx.state().config.consent.public_reads)
            .filter(|_| asks("stories"));
        let stories: Vec<Lookahead<'_>> = nodes.iter().map(|n| n.field("stories")).collect();
        let staff_ids = asks("linkedStoryIds") && ctx.principal().is_staff();
        Some(Arc::new(
            load(ctx, &ids, viewer.as_ref(), staff_ids, &stories).await?,
        ))
    } else {
        None
    };
    Ok(connection_by(page, events::cursor, |e| {
        CampaignEvent(e, loaded.clone())
    }))
}

#[derive(InputObject)]
pub struct CreateCampaignEventInput {
    pub campaign_id: ID,
    pub title: String,
    #[graphql(default)]
    pub description: String,
    pub starts_at: Instant,
    pub ends_at: Instant,
    /// An IANA time zone name, such as `Europe/London`.
    pub time_zone: String,
    /// A coarse region, such as `Manchester, UK` (never more precise than the
    /// venue you choose to publish). An event needs a region, an online link, or both.
    pub region: Option<String>,
    /// A venue to publish, with its region.
    pub venue: Option<String>,
    /// An https link to join online.
    pub online_url: Option<String>,
    /// The organising organisation: by default the campaign's when you run it,
    /// else your own.
    pub organiser_id: Option<ID>,
    #[graphql(default_with = "EventStatus::Planned")]
    pub status: EventStatus,
}

/// Fields left out stay as they are; optional fields set to `null` are cleared.
#[derive(InputObject)]
pub struct UpdateCampaignEventInput {
    pub title: Option<String>,
    pub description: Option<String>,
    pub starts_at: Option<Instant>,
    pub ends_at: Option<Instant>,
    pub time_zone: Option<String>,
    pub region: MaybeUndefined<String>,
    pub venue: MaybeUndefined<String>,
    pub online_url: MaybeUndefined<String>,
    pub organiser_id: Option<ID>,
    pub status: Option<EventStatus>,
}

#[derive(Default)]
pub struct EventMutation;

#[Object]
impl EventMutation {
    /// Adds an event to a campaign. Editors and admins whose scope holds the
    /// campaign.
    async fn create_campaign_event(
        &self,
        ctx: &Context<'_>,
        input: CreateCampaignEventInput,
    ) -> Result<CampaignEvent> {
        let new = NewEvent {
            campaign_id: parse_id("campaignId", &input.campaign_id)?,
            title: input.title,
            description: input.description,
            starts_at: input.starts_at.0,
            ends_at: input.ends_at.0,
            time_zone: input.time_zone,
            region: input.region,
            venue: input.venue,
            online_url: input.online_url,
            organiser_id: input
                .organiser_id
                .map(|id| parse_id("organiserId", &id))
                .transpose()?,
            status: input.status.into(),
        };
        let created = events::create(
            &ctx.state().db,
            ctx.principal(),
            scope(ctx).await?,
            new,
            clock::now(),
        )
        .await?;
        Ok(created.into())
    }

    /// Changes an event. Editors and admins of the organisation that runs its
    /// campaign or organises it, or of the platform.
    async fn update_campaign_event(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateCampaignEventInput,
    ) -> Result<CampaignEvent> {
        let changes = EventChanges {
            title: input.title,
            description: input.description,
            starts_at: input.starts_at.map(|t| t.0),
            ends_at: input.ends_at.map(|t| t.0),
            time_zone: input.time_zone,
            region: patch(input.region, |r| r),
            venue: patch(input.venue, |v| v),
            online_url: patch(input.online_url, |u| u),
            organiser_id: input
                .organiser_id
                .map(|id| parse_id("organiserId", &id))
                .transpose()?,
            status: input.status.map(Into::into),
        };
        let updated = events::update(
            &ctx.state().db,
            ctx.principal(),
            scope(ctx).await?,
            parse_id("id", &id)?,
            changes,
            clock::now(),
        )
        .await?;
        Ok(updated.into())
    }

    /// Deletes an event and its links to stories (the stories stay). Returns
    /// the deleted event's id.
    async fn delete_campaign_event(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        events::delete(
            &ctx.state().db,
            ctx.principal(),
            scope(ctx).await?,
            parse_id("id", &id)?,
            clock::now(),
        )
        .await?;
        Ok(id)
    }

    /// Links a story in your scope to an event (again: no change).
    async fn link_event_story(
        &self,
        ctx: &Context<'_>,
        event_id: ID,
        story_id: ID,
    ) -> Result<CampaignEvent> {
        set_link(ctx, &event_id, &story_id, true).await
    }

    /// Takes a story's link off an event (not linked: no change).
    async fn unlink_event_story(
        &self,
        ctx: &Context<'_>,
        event_id: ID,
        story_id: ID,
    ) -> Result<CampaignEvent> {
        set_link(ctx, &event_id, &story_id, false).await
    }
}

async fn set_link(
    ctx: &Context<'_>,
    event_id: &ID,
    story_id: &ID,
    linked: bool,
) -> Result<CampaignEvent> {
    let event = events::set_story_link(
        &ctx.state().db,
        ctx.principal(),
        scope(ctx).await?,
        parse_id("eventId", event_id)?,
        parse_id("storyId", story_id)?,
        linked,
        clock::now(),
    )
    .await?;
    Ok(event.into())
}
