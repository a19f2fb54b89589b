//! Webhooks: the endpoints admins register for a partner or for the
//! organisation's own sites, and what is sent to them (`docs/WEBHOOKS.md`).
//!
//! An endpoint reads the archive as one API key: it hears of a story only when
//! that key may see it at that moment, through the same consent gate and the
//! same sync feed ([`crate::stories::changes`]) an offline app uses. The
//! [`fanout`] turns each endpoint's feed into deliveries (an outbox in the
//! database, written in the transaction that moves the endpoint's place in the
//! feed), and the [`sender`] sends them, signed as Standard Webhooks, retrying
//! with backoff until they succeed or go to the dead-letter list.
//! [`address`] keeps deliveries off loopback, private and link-local addresses.

pub mod address;
pub mod fanout;
pub mod sender;
pub mod signing;

use chrono::{DateTime, Utc};
use entity::{api_key, webhook_attempt, webhook_delivery, webhook_endpoint};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, sea_query::Expr,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    audit::{self, Actor, Event as AuditEvent},
    auth::Principal,
    consumers::reach,
    crypto::KeyRing,
    error::{Error, Result},
    stories::changes::{self, Mark, SyncCursor},
};

/// What an endpoint may ask to hear of.
// The names follow the events' wire names (`story.*`), which leave room for
// events about other things.
#[allow(clippy::enum_variant_names)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Event {
    /// The key may now see a story it could not before.
    StoryPublished,
    /// A story the endpoint was told of changed in what the key sees.
    StoryUpdated,
    /// Taken offline, archived, out of its window or out of the key's campaigns.
    StoryUnpublished,
    /// Withdrawn, expired or erased: remove every copy (a takedown).
    StoryTakenDown,
}

impl Event {
    pub const ALL: [Event; 4] = [
        Event::StoryPublished,
        Event::StoryUpdated,
        Event::StoryUnpublished,
        Event::StoryTakenDown,
    ];

    /// The name in payloads (`type`) and in the stored list.
    pub fn name(self) -> &'static str {
        match self {
            Event::StoryPublished => "story.published",
            Event::StoryUpdated => "story.updated",
            Event::StoryUnpublished => "story.unpublished",
            Event::StoryTakenDown => "story.taken_down",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.name() == name)
    }
}

/// Whether an endpoint's key still reads: not revoked, not expired. A key
/// that no longer does still gets takedowns, but no news of stories.
pub fn key_is_live(key: Option<&api_key::Model>, now: DateTime<Utc>) -> bool {
    key.is_some_and(|k| k.revoked_at.is_none() && k.expires_at.is_none_or(|at| at > now))
}

/// Whether an event tells of a story to show (rather than one to remove).
pub(crate) fn tells_of_a_story(event: &str) -> bool {
    event == Event::StoryPublished.name() || event == Event::StoryUpdated.name()
}

/// The events stored for an endpoint.
pub fn events_of(endpoint: &webhook_endpoint::Model) -> Vec<Event> {
    endpoint
        .events
        .split(',')
        .filter_map(Event::from_name)
        .collect()
}

/// What encrypts an endpoint's secret (bound to the row, so a secret copied
/// to another row does not decrypt).
fn secret_context(endpoint_id: Uuid) -> String {
    format!("webhook_endpoints.secret:{endpoint_id}")
}

/// The secrets that sign a delivery now: the current one, and the previous one
/// while a rotation's overlap lasts.
pub fn signing_secrets(
    crypto: &KeyRing,
    endpoint: &webhook_endpoint::Model,
    now: DateTime<Utc>,
) -> Result<Vec<String>> {
    let context = secret_context(endpoint.id);
    let mut secrets = vec![
        crypto
            .decrypt(&endpoint.secret, &context)
            .map_err(Error::internal)?,
    ];
    if let (Some(previous), Some(until)) =
        (&endpoint.previous_secret, endpoint.previous_secret_until)
        && now < until
    {
        secrets.push(
            crypto
                .decrypt(previous, &context)
                .map_err(Error::internal)?,
        );
    }
    Ok(secrets)
}

/// A new endpoint, as an admin registers it.
#[derive(Debug, Clone)]
pub struct NewEndpoint {
    /// The key it reads as: its partner, channel and campaigns decide what it hears of.
    pub api_key_id: Uuid,
    pub url: String,
    pub events: Vec<Event>,
    pub description: Option<String>,
}

/// The longest description kept.
const MAX_DESCRIPTION_CHARS: usize = 200;
/// The longest rotation overlap allowed.
const MAX_OVERLAP_HOURS: i64 = 7 * 24;

/// Registers an endpoint; returns it and its secret, which is shown this once.
/// The endpoint hears of what changes from now on, not of the archive as it is.
pub async fn create(
    db: &DatabaseConnection,
    crypto: &KeyRing,
    principal: &Principal,
    new: NewEndpoint,
    allow_private: bool,
    now: DateTime<Utc>,
) -> Result<(webhook_endpoint::Model, String)> {
    let (admin, reach) = reach::key_manager(db, principal).await?;
    let url = address::check_url("url", &new.url, allow_private)?;
    let events = checked_events(&new.events)?;
    let description = checked_description(new.description)?;
    let txn = crate::db::begin_write(db).await?;
    let key = api_key::Entity::find_by_id(new.api_key_id)
        .filter(reach::managed_keys(admin, reach))
        .one(&txn)
        .await?
        .ok_or_else(|| Error::NotFound("no API key with this id".into()))?;
    if key.revoked_at.is_some() {
        return Err(Error::invalid("apiKeyId", "the key is revoked"));
    }
    if !key.channel.shows_stories() {
        return Err(Error::invalid(
            "apiKeyId",
            "a SUBMISSIONS key reads no stories, so an endpoint reading as it would hear nothing",
        ));
    }
    let id = Uuid::now_v7();
    let secret = signing::new_secret();
    let start = SyncCursor {
        from: Some(Mark {
            version: changes::version(&txn).await?,
            at: now,
        }),
        to: None,
        after: None,
    };
    let endpoint = webhook_endpoint::ActiveModel {
        id: Set(id),
        api_key_id: Set(key.id),
        url: Set(url),
        description: Set(description),
        events: Set(events),
        secret: Set(crypto.encrypt(&secret, &secret_context(id))),
        previous_secret: Set(None),
        previous_secret_until: Set(None),
        feed_cursor: Set(Some(start.encode())),
        created_by: Set(admin.user_id),
        created_at: Set(now),
        disabled_at: Set(None),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        Actor::User(admin.user_id),
        AuditEvent::new("webhook_endpoint.created", "webhook_endpoint", id).detail(json!({
            "apiKeyId": key.id,
            "partnerId": key.partner_id,
            "events": endpoint.events,
        })),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok((endpoint, secret))
}

fn checked_events(events: &[Event]) -> Result<String> {
    if events.is_empty() {
        return Err(Error::invalid("events", "name at least one event"));
    }
    let names: Vec<&str> = Event::ALL
        .into_iter()
        .filter(|e| events.contains(e))
        .map(Event::name)
        .collect();
    Ok(names.join(","))
}

fn checked_description(description: Option<String>) -> Result<Option<String>> {
    let description = description
        .map(|d| d.trim().to_owned())
        .filter(|d| !d.is_empty());
    if description
        .as_ref()
        .is_some_and(|d| d.chars().count() > MAX_DESCRIPTION_CHARS)
    {
        return Err(Error::invalid(
            "description",
            format!("must be at most {MAX_DESCRIPTION_CHARS} characters"),
        ));
    }
    Ok(description)
}

/// The endpoints the caller manages (those reading as keys they manage), oldest first.
pub async fn list(
    db: &DatabaseConnection,
    principal: &Principal,
) -> Result<Vec<webhook_endpoint::Model>> {
    let (admin, reach) = reach::key_manager(db, principal).await?;
    Ok(webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::ApiKeyId.in_subquery(managed_key_ids(admin, reach)))
        .order_by_asc(webhook_endpoint::Column::Id)
        .all(db)
        .await?)
}

fn managed_key_ids(
    admin: &crate::auth::principal::Staff,
    reach: reach::Reach,
) -> sea_orm::sea_query::SelectStatement {
    sea_orm::sea_query::Query::select()
        .column(api_key::Column::Id)
        .from(api_key::Entity)
        .cond_where(reach::managed_keys(admin, reach))
        .to_owned()
}

/// One endpoint the caller manages; `NotFound` otherwise, as for an unknown id.
pub async fn managed(
    db: &impl ConnectionTrait,
    principal: &Principal,
    id: Uuid,
) -> Result<(webhook_endpoint::Model, Uuid)> {
    let (admin, reach) = reach::key_manager(db, principal).await?;
    let endpoint = webhook_endpoint::Entity::find_by_id(id)
        .filter(webhook_endpoint::Column::ApiKeyId.in_subquery(managed_key_ids(admin, reach)))
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound("no webhook endpoint with this id".into()))?;
    Ok((endpoint, admin.user_id))
}

/// Replaces an endpoint's secret; the old one keeps signing (beside the new)
/// for `overlap_hours`, so receivers can switch without missing a delivery.
/// Returns the endpoint and the new secret, shown this once.
pub async fn rotate_secret(
    db: &DatabaseConnection,
    crypto: &KeyRing,
    principal: &Principal,
    id: Uuid,
    overlap_hours: i64,
    now: DateTime<Utc>,
) -> Result<(webhook_endpoint::Model, String)> {
    if !(0..=MAX_OVERLAP_HOURS).contains(&overlap_hours) {
        return Err(Error::invalid(
            "overlapHours",
            format!("must be from 0 to {MAX_OVERLAP_HOURS}"),
        ));
    }
    let txn = crate::db::begin_write(db).await?;
    let (endpoint, admin) = managed(&txn, principal, id).await?;
    let secret = signing::new_secret();
    let context = secret_context(endpoint.id);
    let mut active: webhook_endpoint::ActiveModel = endpoint.clone().into();
    active.secret = Set(crypto.encrypt(&secret, &context));
    if overlap_hours > 0 {
        active.previous_secret = Set(Some(endpoint.secret.clone()));
        active.previous_secret_until = Set(Some(now + chrono::Duration::hours(overlap_hours)));
    } else {
        active.previous_secret = Set(None);
        active.previous_secret_until = Set(None);
    }
    let endpoint = active.update(&txn).await?;
    audit::record(
        &txn,
        Actor::User(admin),
        AuditEvent::new("webhook_endpoint.secret_rotated", "webhook_endpoint", id)
            .detail(json!({ "overlapHours": overlap_hours })),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok((endpoint, secret))
}

/// Stops or resumes sending to an endpoint. While stopped its deliveries wait;
/// resumed, it catches up from where its feed stood.
pub async fn set_enabled(
    db: &DatabaseConnection,
    principal: &Principal,
    id: Uuid,
    enabled: bool,
    now: DateTime<Utc>,
) -> Result<webhook_endpoint::Model> {
    let txn = crate::db::begin_write(db).await?;
    let (endpoint, admin) = managed(&txn, principal, id).await?;
    if endpoint.disabled_at.is_none() == enabled {
        txn.commit().await?;
        return Ok(endpoint);
    }
    let mut active: webhook_endpoint::ActiveModel = endpoint.into();
    active.disabled_at = Set((!enabled).then_some(now));
    let endpoint = active.update(&txn).await?;
    let action = if enabled {
        "webhook_endpoint.enabled"
    } else {
        "webhook_endpoint.disabled"
    };
    audit::record(
        &txn,
        Actor::User(admin),
        AuditEvent::new(action, "webhook_endpoint", id),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(endpoint)
}

/// Removes an endpoint with its deliveries and their attempts.
pub async fn delete(
    db: &DatabaseConnection,
    principal: &Principal,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<()> {
    let txn = crate::db::begin_write(db).await?;
    let (endpoint, admin) = managed(&txn, principal, id).await?;
    // Its deliveries, their attempts and what it was told go with it (the
    // foreign keys cascade; SQLite enforces them, `db::connect`).
    webhook_endpoint::Entity::delete_by_id(endpoint.id)
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        Actor::User(admin),
        AuditEvent::new("webhook_endpoint.deleted", "webhook_endpoint", id)
            .detail(json!({ "url": endpoint.url })),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Which deliveries to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Waiting for a first try or a retry.
    Pending,
    Delivered,
    /// Retries ran out: the dead-letter list.
    Dead,
}

/// An endpoint's deliveries, newest first, at most `limit`; every status when
/// `status` is `None`.
pub async fn deliveries(
    db: &DatabaseConnection,
    principal: &Principal,
    endpoint_id: Uuid,
    status: Option<DeliveryStatus>,
    limit: u64,
) -> Result<Vec<webhook_delivery::Model>> {
    managed(db, principal, endpoint_id).await?;
    let mut select = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::EndpointId.eq(endpoint_id));
    select = match status {
        None => select,
        Some(DeliveryStatus::Pending) => select
            .filter(webhook_delivery::Column::DeliveredAt.is_null())
            .filter(webhook_delivery::Column::DeadAt.is_null()),
        Some(DeliveryStatus::Delivered) => {
            select.filter(webhook_delivery::Column::DeliveredAt.is_not_null())
        }
        Some(DeliveryStatus::Dead) => select.filter(webhook_delivery::Column::DeadAt.is_not_null()),
    };
    Ok(select
        .order_by_desc(webhook_delivery::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// The attempts at a delivery, oldest first.
pub async fn attempts(
    db: &impl ConnectionTrait,
    delivery_id: Uuid,
) -> Result<Vec<webhook_attempt::Model>> {
    Ok(webhook_attempt::Entity::find()
        .filter(webhook_attempt::Column::DeliveryId.eq(delivery_id))
        .order_by_asc(webhook_attempt::Column::Id)
        .all(db)
        .await?)
}

/// Sends a dead delivery again, with a fresh round of retries; its body,
/// `webhook-id` and attempt log stay as they were.
pub async fn replay(
    db: &DatabaseConnection,
    principal: &Principal,
    delivery_id: Uuid,
    now: DateTime<Utc>,
) -> Result<webhook_delivery::Model> {
    // Who may replay at all comes first, so that others are told they may not.
    reach::key_manager(db, principal).await?;
    let txn = crate::db::begin_write(db).await?;
    let delivery = webhook_delivery::Entity::find_by_id(delivery_id)
        .one(&txn)
        .await?
        .ok_or_else(|| Error::NotFound("no webhook delivery with this id".into()))?;
    let (_, admin) = managed(&txn, principal, delivery.endpoint_id)
        .await
        .map_err(|_| Error::NotFound("no webhook delivery with this id".into()))?;
    if delivery.dead_at.is_none() {
        return Err(Error::Conflict(
            "only a delivery in the dead-letter list can be replayed".into(),
        ));
    }
    let updated = webhook_delivery::Entity::update_many()
        .col_expr(
            webhook_delivery::Column::DeadAt,
            Expr::value(None::<DateTime<Utc>>),
        )
        .col_expr(webhook_delivery::Column::NextAttemptAt, Expr::value(now))
        .col_expr(webhook_delivery::Column::RetryFrom, Expr::value(now))
        .col_expr(
            webhook_delivery::Column::LockedUntil,
            Expr::value(None::<DateTime<Utc>>),
        )
        .col_expr(
            webhook_delivery::Column::LockedBy,
            Expr::value(None::<String>),
        )
        .filter(webhook_delivery::Column::Id.eq(delivery.id))
        .exec(&txn)
        .await?;
    if updated.rows_affected != 1 {
        return Err(Error::NotFound("no webhook delivery with this id".into()));
    }
    audit::record(
        &txn,
        Actor::User(admin),
        AuditEvent::new("webhook_delivery.replayed", "webhook_delivery", delivery.id)
            .detail(json!({ "endpointId": delivery.endpoint_id, "event": delivery.event })),
        now,
    )
    .await?;
    let delivery = webhook_delivery::Entity::find_by_id(delivery.id)
        .one(&txn)
        .await?
        .ok_or_else(|| Error::NotFound("no webhook delivery with this id".into()))?;
    txn.commit().await?;
    Ok(delivery)
}
