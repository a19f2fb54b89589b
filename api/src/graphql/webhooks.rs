//! Webhook endpoints, their deliveries and the dead-letter list (admins), and
//! takedowns as partners see and acknowledge them (the rules are in
//! `webhooks` and `consent::takedown`).

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{takedown, webhook_attempt, webhook_delivery, webhook_endpoint};

use super::{context::ContextExt, scalars::parse_id, sync::TombstoneReason};
use crate::{
    clock, consent,
    webhooks::{self, DeliveryStatus, Event},
};

/// What an endpoint hears of. An endpoint reads as one API key: it hears of a
/// story only while that key may see it, and of its removal only if the key
/// was served it.
// The names follow the events' wire names (`story.*`), which leave room for
// events about other things.
#[allow(clippy::enum_variant_names)]
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum WebhookEvent {
    /// `story.published`: the key may now see a story it could not before.
    StoryPublished,
    /// `story.updated`: what the key sees of a story it was told of changed.
    StoryUpdated,
    /// `story.unpublished`: taken offline, archived, or out of the key's campaigns.
    StoryUnpublished,
    /// `story.taken_down`: withdrawn, expired or erased; remove every copy and
    /// acknowledge with `acknowledgeTakedown`.
    StoryTakenDown,
}

impl From<WebhookEvent> for Event {
    fn from(e: WebhookEvent) -> Self {
        match e {
            WebhookEvent::StoryPublished => Event::StoryPublished,
            WebhookEvent::StoryUpdated => Event::StoryUpdated,
            WebhookEvent::StoryUnpublished => Event::StoryUnpublished,
            WebhookEvent::StoryTakenDown => Event::StoryTakenDown,
        }
    }
}

impl From<Event> for WebhookEvent {
    fn from(e: Event) -> Self {
        match e {
            Event::StoryPublished => WebhookEvent::StoryPublished,
            Event::StoryUpdated => WebhookEvent::StoryUpdated,
            Event::StoryUnpublished => WebhookEvent::StoryUnpublished,
            Event::StoryTakenDown => WebhookEvent::StoryTakenDown,
        }
    }
}

/// Where a delivery stands.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum WebhookDeliveryStatus {
    /// Waiting for its first try or a retry.
    Pending,
    Delivered,
    /// Retries ran out: in the dead-letter list, waiting for a replay.
    Dead,
}

impl From<WebhookDeliveryStatus> for DeliveryStatus {
    fn from(s: WebhookDeliveryStatus) -> Self {
        match s {
            WebhookDeliveryStatus::Pending => DeliveryStatus::Pending,
            WebhookDeliveryStatus::Delivered => DeliveryStatus::Delivered,
            WebhookDeliveryStatus::Dead => DeliveryStatus::Dead,
        }
    }
}

/// A registered endpoint.
pub struct WebhookEndpoint(webhook_endpoint::Model);

#[Object]
impl WebhookEndpoint {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The key it reads as.
    async fn api_key_id(&self) -> ID {
        ID(self.0.api_key_id.to_string())
    }

    async fn url(&self) -> &str {
        &self.0.url
    }

    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    async fn events(&self) -> Vec<WebhookEvent> {
        webhooks::events_of(&self.0)
            .into_iter()
            .map(Into::into)
            .collect()
    }

    async fn enabled(&self) -> bool {
        self.0.disabled_at.is_none()
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn disabled_at(&self) -> Option<DateTime<Utc>> {
        self.0.disabled_at
    }

    /// Until when the secret before the last rotation still signs (beside the
    /// new one); null when it no longer does.
    async fn previous_secret_valid_until(&self) -> Option<DateTime<Utc>> {
        self.0
            .previous_secret_until
            .filter(|until| *until > clock::now())
    }

    /// Its deliveries, newest first; `status: DEAD` is the dead-letter list.
    async fn deliveries(
        &self,
        ctx: &Context<'_>,
        status: Option<WebhookDeliveryStatus>,
        #[graphql(default = 20, desc = "1 to 100.")] first: i32,
    ) -> Result<Vec<WebhookDelivery>> {
        if !(1..=100).contains(&first) {
            return Err(crate::error::Error::invalid("first", "must be between 1 and 100").into());
        }
        let state = ctx.state();
        Ok(webhooks::deliveries(
            &state.db,
            ctx.principal(),
            self.0.id,
            status.map(Into::into),
            u64::try_from(first).unwrap_or(20),
        )
        .await?
        .into_iter()
        .map(WebhookDelivery)
        .collect())
    }
}

/// One event for one endpoint.
pub struct WebhookDelivery(webhook_delivery::Model);

#[Object]
impl WebhookDelivery {
    /// Also its `webhook-id` header: receivers use it to ignore a repeat.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn endpoint_id(&self) -> ID {
        ID(self.0.endpoint_id.to_string())
    }

    async fn event(&self) -> Option<WebhookEvent> {
        Event::ALL
            .into_iter()
            .find(|e| e.name() == self.0.event)
            .map(Into::into)
    }

    async fn story_id(&self) -> ID {
        ID(self.0.story_id.to_string())
    }

    /// The JSON body sent, as sent.
    async fn payload(&self) -> &str {
        &self.0.payload
    }

    async fn status(&self) -> WebhookDeliveryStatus {
        if self.0.delivered_at.is_some() {
            WebhookDeliveryStatus::Delivered
        } else if self.0.dead_at.is_some() {
            WebhookDeliveryStatus::Dead
        } else {
            WebhookDeliveryStatus::Pending
        }
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// Tries so far.
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }

    /// When the next try is due; null once delivered or dead.
    async fn next_attempt_at(&self) -> Option<DateTime<Utc>> {
        (self.0.delivered_at.is_none() && self.0.dead_at.is_none())
            .then_some(self.0.next_attempt_at)
    }

    async fn delivered_at(&self) -> Option<DateTime<Utc>> {
        self.0.delivered_at
    }

    async fn dead_at(&self) -> Option<DateTime<Utc>> {
        self.0.dead_at
    }

    /// The HTTP status of the last answer, if one came.
    async fn last_status(&self) -> Option<i32> {
        self.0.last_status
    }

    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }

    /// Every try, oldest first.
    async fn attempt_log(&self, ctx: &Context<'_>) -> Result<Vec<WebhookAttempt>> {
        Ok(webhooks::attempts(&ctx.state().db, self.0.id)
            .await?
            .into_iter()
            .map(WebhookAttempt::from)
            .collect())
    }
}

/// One try at a delivery.
#[derive(SimpleObject)]
pub struct WebhookAttempt {
    pub attempted_at: DateTime<Utc>,
    pub duration_ms: i32,
    /// The HTTP status, when an answer came.
    pub status: Option<i32>,
    pub error: Option<String>,
}

impl From<webhook_attempt::Model> for WebhookAttempt {
    fn from(a: webhook_attempt::Model) -> Self {
        Self {
            attempted_at: a.attempted_at,
            duration_ms: a.duration_ms,
            status: a.status,
            error: a.error,
        }
    }
}

/// An endpoint with its signing secret, shown only in this answer.
#[derive(SimpleObject)]
pub struct WebhookEndpointWithSecret {
    pub endpoint: WebhookEndpoint,
    /// `whsec_…`: keep it where the receiver verifies signatures; it is not shown again.
    pub secret: String,
}

#[derive(InputObject)]
pub struct CreateWebhookEndpointInput {
    /// The key the endpoint reads as (one of the partner's keys, or one of the
    /// organisation's own sites' keys): its channel, partner and campaigns
    /// decide what the endpoint hears of.
    pub api_key_id: ID,
    /// `https://…`; loopback, private and link-local addresses are refused.
    pub url: String,
    pub events: Vec<WebhookEvent>,
    pub description: Option<String>,
}

/// A takedown as the partner sees it: remove the story and every copy, then
/// acknowledge.
#[derive(SimpleObject)]
pub struct TakedownRequest {
    pub id: ID,
    pub story_id: ID,
    pub reason: TombstoneReason,
    pub created_at: DateTime<Utc>,
    /// When it first reached the partner (by webhook or the sync feed).
    pub delivered_at: Option<DateTime<Utc>>,
    pub acknowledged_at: Option<DateTime<Utc>>,
}

/// What a partner is told of why: the storyteller's reasons stay with the archive.
fn partner_reason(reason: &str) -> TombstoneReason {
    match reason {
        "EXPIRED" => TombstoneReason::Expired,
        "ERASED" => TombstoneReason::Erased,
        _ => TombstoneReason::Withdrawn,
    }
}

impl From<takedown::Model> for TakedownRequest {
    fn from(t: takedown::Model) -> Self {
        Self {
            id: ID(t.id.to_string()),
            story_id: ID(t.story_id.to_string()),
            reason: partner_reason(&t.reason),
            created_at: t.created_at,
            delivered_at: t.delivered_at,
            acknowledged_at: t.acknowledged_at,
        }
    }
}

/// A takedown its recipient has not acknowledged yet (admins).
#[derive(SimpleObject)]
pub struct OutstandingTakedown {
    pub id: ID,
    pub story_id: ID,
    pub api_key_id: ID,
    /// Null for the organisation's own keys.
    pub partner_id: Option<ID>,
    /// `WITHDRAWN`, `REVOKED`, `INVALIDATED`, `EXPIRED`, `NARROWED` or `ERASED`.
    pub reason: String,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    /// Whole hours since it was made.
    pub age_hours: i32,
    /// When it becomes overdue (`CHORUS_TAKEDOWN_ACK_DEADLINE` after it was made).
    pub due_by: DateTime<Utc>,
    /// Past `dueBy` with no acknowledgement (also flagged in the audit log).
    pub overdue: bool,
}

fn outstanding(
    t: takedown::Model,
    deadline: chrono::Duration,
    now: DateTime<Utc>,
) -> OutstandingTakedown {
    let due_by = t.created_at + deadline;
    OutstandingTakedown {
        id: ID(t.id.to_string()),
        story_id: ID(t.story_id.to_string()),
        api_key_id: ID(t.api_key_id.to_string()),
        partner_id: t.partner_id.map(|p| ID(p.to_string())),
        reason: t.reason,
        created_at: t.created_at,
        delivered_at: t.delivered_at,
        age_hours: i32::try_from((now - t.created_at).num_hours()).unwrap_or(i32::MAX),
        due_by,
        overdue: t.overdue_at.is_some() || now >= due_by,
    }
}

#[derive(Default)]
pub struct WebhookQuery;

#[Object]
impl WebhookQuery {
    /// The webhook endpoints of the keys you manage (admins).
    async fn webhook_endpoints(&self, ctx: &Context<'_>) -> Result<Vec<WebhookEndpoint>> {
        Ok(webhooks::list(&ctx.state().db, ctx.principal())
            .await?
            .into_iter()
            .map(WebhookEndpoint)
            .collect())
    }

    /// One endpoint you manage (admins).
    async fn webhook_endpoint(&self, ctx: &Context<'_>, id: ID) -> Result<WebhookEndpoint> {
        let id = parse_id("id", &id)?;
        let (endpoint, _) = webhooks::managed(&ctx.state().db, ctx.principal(), id).await?;
        Ok(WebhookEndpoint(endpoint))
    }

    /// Takedowns not acknowledged yet, oldest first, with their age and whether
    /// they are overdue, for the partners you reach (admins). `partnerId`
    /// narrows to one partner; `ownKeys: true` to the organisation's own keys.
    async fn outstanding_takedowns(
        &self,
        ctx: &Context<'_>,
        partner_id: Option<ID>,
        #[graphql(default = false)] own_keys: bool,
        #[graphql(default = 100, desc = "1 to 500.")] first: i32,
    ) -> Result<Vec<OutstandingTakedown>> {
        if !(1..=500).contains(&first) {
            return Err(crate::error::Error::invalid("first", "must be between 1 and 500").into());
        }
        let partner = match (partner_id, own_keys) {
            (Some(_), true) => {
                return Err(crate::error::Error::invalid(
                    "ownKeys",
                    "give `partnerId` or `ownKeys: true`, not both",
                )
                .into());
            }
            (Some(id), false) => Some(Some(parse_id("partnerId", &id)?)),
            (None, true) => Some(None),
            (None, false) => None,
        };
        let state = ctx.state();
        let deadline = chrono::Duration::from_std(state.config.webhooks.takedown_deadline)
            .unwrap_or(chrono::Duration::hours(48));
        let now = clock::now();
        Ok(consent::takedown::outstanding(
            &state.db,
            ctx.principal(),
            partner,
            u64::try_from(first).unwrap_or(100),
        )
        .await?
        .into_iter()
        .map(|t| outstanding(t, deadline, now))
        .collect())
    }

    /// The takedowns for your API key (and your partner's other keys), oldest
    /// first: remove each story everywhere you keep it, then acknowledge.
    async fn takedown_requests(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = true, desc = "Only those not acknowledged yet.")] outstanding: bool,
        #[graphql(default = 100, desc = "1 to 500.")] first: i32,
    ) -> Result<Vec<TakedownRequest>> {
        if !(1..=500).contains(&first) {
            return Err(crate::error::Error::invalid("first", "must be between 1 and 500").into());
        }
        Ok(consent::takedown::for_consumer(
            &ctx.state().db,
            ctx.principal(),
            outstanding,
            u64::try_from(first).unwrap_or(100),
        )
        .await?
        .into_iter()
        .map(TakedownRequest::from)
        .collect())
    }
}

#[derive(Default)]
pub struct WebhookMutation;

#[Object]
impl WebhookMutation {
    /// Registers an endpoint for one of the keys you manage (admins). The
    /// answer holds its signing secret, shown this once. It hears of what
    /// changes from now on.
    async fn create_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        input: CreateWebhookEndpointInput,
    ) -> Result<WebhookEndpointWithSecret> {
        let state = ctx.state();
        let new = webhooks::NewEndpoint {
            api_key_id: parse_id("apiKeyId", &input.api_key_id)?,
            url: input.url,
            events: input.events.into_iter().map(Into::into).collect(),
            description: input.description,
        };
        let (endpoint, secret) = webhooks::create(
            &state.db,
            &state.crypto,
            ctx.principal(),
            new,
            state.config.webhooks.allow_private,
            clock::now(),
        )
        .await?;
        Ok(WebhookEndpointWithSecret {
            endpoint: WebhookEndpoint(endpoint),
            secret,
        })
    }

    /// Gives an endpoint a new secret, shown this once; the old one keeps
    /// signing beside it for `overlapHours` (0 to 168), so the receiver can
    /// switch without missing a delivery.
    async fn rotate_webhook_secret(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(default = 24)] overlap_hours: i32,
    ) -> Result<WebhookEndpointWithSecret> {
        let state = ctx.state();
        let (endpoint, secret) = webhooks::rotate_secret(
            &state.db,
            &state.crypto,
            ctx.principal(),
            parse_id("id", &id)?,
            i64::from(overlap_hours),
            clock::now(),
        )
        .await?;
        Ok(WebhookEndpointWithSecret {
            endpoint: WebhookEndpoint(endpoint),
            secret,
        })
    }

    /// Stops or resumes sending to an endpoint; resumed, it catches up.
    async fn set_webhook_endpoint_enabled(
        &self,
        ctx: &Context<'_>,
        id: ID,
        enabled: bool,
    ) -> Result<WebhookEndpoint> {
        let state = ctx.state();
        Ok(WebhookEndpoint(
            webhooks::set_enabled(
                &state.db,
                ctx.principal(),
                parse_id("id", &id)?,
                enabled,
                clock::now(),
            )
            .await?,
        ))
    }

    /// Removes an endpoint with its deliveries; returns its id.
    async fn delete_webhook_endpoint(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        let state = ctx.state();
        webhooks::delete(
            &state.db,
            ctx.principal(),
            parse_id("id", &id)?,
            clock::now(),
        )
        .await?;
        Ok(id)
    }

    /// Sends a delivery from the dead-letter list again, with a fresh round of
    /// retries (admins).
    async fn replay_webhook_delivery(&self, ctx: &Context<'_>, id: ID) -> Result<WebhookDelivery> {
        let state = ctx.state();
        Ok(WebhookDelivery(
            webhooks::replay(
                &state.db,
                ctx.principal(),
                parse_id("id", &id)?,
                clock::now(),
            )
            .await?,
        ))
    }

    /// Says, with your API key, that the story of this takedown is gone from
    /// everywhere you kept it. Acknowledging twice keeps the first time.
    async fn acknowledge_takedown(&self, ctx: &Context<'_>, id: ID) -> Result<TakedownRequest> {
        let state = ctx.state();
        Ok(consent::takedown::acknowledge(
            &state.db,
            ctx.principal(),
            parse_id("id", &id)?,
            clock::now(),
        )
        .await?
        .into())
    }
}
