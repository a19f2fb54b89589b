//! Sending deliveries. Due deliveries are leased from the outbox (on
//! PostgreSQL skipping rows another node holds), each is sent in a task of its
//! own with a timeout, and the poll that leased them does not wait: a slow or
//! failing endpoint holds at most its own share of the sending slots
//! (`CHORUS_WEBHOOK_PER_ENDPOINT`) and never the loop, other endpoints or the
//! server. Every try is logged; a failure is retried after a doubling delay
//! with jitter, and one still failing `CHORUS_WEBHOOK_RETRY_FOR` after its
//! round began goes to the dead-letter list, where an admin can replay it.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};
use entity::{api_key, takedown, webhook_attempt, webhook_delivery, webhook_endpoint};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbBackend,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    sea_query::{Expr, ExprTrait, LockBehavior, LockType},
};
use tokio::{sync::Semaphore, task::JoinHandle};
use uuid::Uuid;

use super::{Event, signing, signing_secrets};
use crate::{
    audit::{self, Actor},
    clock,
    config::WebhooksConfig,
    crypto::KeyRing,
    error::{Error, Result},
};

/// Deliveries looked at per poll.
const BATCH: u64 = 200;
/// Time beyond the request timeout a lease lasts, for settling the outcome.
const LEASE_MARGIN: Duration = Duration::from_secs(60);
/// The most of an error message an attempt keeps.
const MAX_ERROR_CHARS: usize = 1000;

/// Sends deliveries; cheap to clone, shared by the tasks it starts.
#[derive(Clone)]
pub struct Sender {
    inner: Arc<Inner>,
}

struct Inner {
    db: DatabaseConnection,
    crypto: KeyRing,
    client: reqwest::Client,
    config: WebhooksConfig,
    worker: String,
    /// Sends in flight, by endpoint.
    in_flight: Mutex<HashMap<Uuid, u32>>,
    slots: Arc<Semaphore>,
}

impl Sender {
    pub fn new(db: DatabaseConnection, crypto: KeyRing, config: WebhooksConfig) -> Result<Self> {
        let client = super::address::client(config.allow_private, config.timeout)?;
        let slots = Arc::new(Semaphore::new(config.concurrency as usize));
        Ok(Self {
            inner: Arc::new(Inner {
                db,
                crypto,
                client,
                config,
                worker: format!("webhooks-{}", Uuid::now_v7().simple()),
                in_flight: Mutex::new(HashMap::new()),
                slots,
            }),
        })
    }

    /// Leases the due deliveries there are free slots for and starts sending
    /// each; returns at once with the tasks started.
    pub async fn start_due(&self, now: DateTime<Utc>) -> Result<Vec<JoinHandle<()>>> {
        let inner = &self.inner;
        let free = inner.slots.available_permits();
        if free == 0 {
            return Ok(Vec::new());
        }
        let leased = self.lease(now, free).await?;
        let mut tasks = Vec::with_capacity(leased.len());
        for leased in leased {
            let Ok(permit) = inner.slots.clone().try_acquire_owned() else {
                // Leased but no slot: its lease runs out and it is sent later.
                self.release(leased.endpoint.id);
                continue;
            };
            let sender = self.clone();
            tasks.push(tokio::spawn(async move {
                let endpoint_id = leased.endpoint.id;
                if let Err(err) = sender.send(leased).await {
                    err.log_if_internal();
                    tracing::warn!(endpoint = %endpoint_id, error = %err, "could not settle a webhook delivery; its lease will run out and it is sent again");
                }
                sender.release(endpoint_id);
                drop(permit);
            }));
        }
        Ok(tasks)
    }

    fn release(&self, endpoint_id: Uuid) {
        let mut in_flight = self
            .inner
            .in_flight
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(n) = in_flight.get_mut(&endpoint_id) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                in_flight.remove(&endpoint_id);
            }
        }
    }

    /// Claims up to `free` due deliveries, no endpoint beyond its share.
    async fn lease(&self, now: DateTime<Utc>, free: usize) -> Result<Vec<Leased>> {
        let inner = &self.inner;
        let due = || {
            webhook_delivery::Entity::find()
                .filter(webhook_delivery::Column::DeliveredAt.is_null())
                .filter(webhook_delivery::Column::DeadAt.is_null())
                .filter(webhook_delivery::Column::NextAttemptAt.lte(now))
                .filter(
                    Condition::any()
                        .add(webhook_delivery::Column::LockedUntil.is_null())
                        .add(webhook_delivery::Column::LockedUntil.lt(now)),
                )
        };
        // Looked for outside a transaction first: most polls find nothing, and
        // the embedded database has one writer.
        if due().one(&inner.db).await?.is_none() {
            return Ok(Vec::new());
        }
        let txn = crate::db::begin_write(&inner.db).await?;
        let enabled = sea_orm::sea_query::Query::select()
            .column(webhook_endpoint::Column::Id)
            .from(webhook_endpoint::Entity)
            .and_where(Expr::col(webhook_endpoint::Column::DisabledAt).is_null())
            .to_owned();
        let mut select = due()
            .filter(webhook_delivery::Column::EndpointId.in_subquery(enabled))
            .order_by_asc(webhook_delivery::Column::NextAttemptAt)
            .limit(BATCH);
        if txn.get_database_backend() == DbBackend::Postgres {
            select = select.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
        }
        let due = select.all(&txn).await?;
        let mut chosen = Vec::new();
        {
            let mut in_flight = inner.in_flight.lock().unwrap_or_else(|p| p.into_inner());
            for delivery in due {
                if chosen.len() >= free {
                    break;
                }
                let n = in_flight.entry(delivery.endpoint_id).or_insert(0);
                if *n >= inner.config.per_endpoint {
                    continue;
                }
                *n += 1;
                chosen.push(delivery);
            }
        }
        if chosen.is_empty() {
            return Ok(Vec::new());
        }
        let until = now
            + chrono::Duration::from_std(inner.config.timeout + LEASE_MARGIN)
                .unwrap_or(chrono::Duration::minutes(5));
        webhook_delivery::Entity::update_many()
            .col_expr(webhook_delivery::Column::LockedUntil, Expr::value(until))
            .col_expr(
                webhook_delivery::Column::LockedBy,
                Expr::value(inner.worker.clone()),
            )
            .filter(webhook_delivery::Column::Id.is_in(chosen.iter().map(|d| d.id)))
            .exec(&txn)
            .await?;
        let endpoints: HashMap<Uuid, webhook_endpoint::Model> = webhook_endpoint::Entity::find()
            .filter(webhook_endpoint::Column::Id.is_in(chosen.iter().map(|d| d.endpoint_id)))
            .all(&txn)
            .await?
            .into_iter()
            .map(|e| (e.id, e))
            .collect();
        let keys: HashMap<Uuid, api_key::Model> = api_key::Entity::find()
            .filter(api_key::Column::Id.is_in(endpoints.values().map(|e| e.api_key_id)))
            .all(&txn)
            .await?
            .into_iter()
            .map(|k| (k.id, k))
            .collect();
        txn.commit().await?;
        let mut leased = Vec::new();
        for delivery in chosen {
            match endpoints.get(&delivery.endpoint_id) {
                Some(endpoint) => {
                    let live = super::key_is_live(keys.get(&endpoint.api_key_id), now);
                    leased.push(Leased {
                        delivery,
                        endpoint: endpoint.clone(),
                        live,
                    });
                }
                None => self.release(delivery.endpoint_id),
            }
        }
        Ok(leased)
    }

    /// One try at one delivery, and its outcome recorded.
    async fn send(&self, leased: Leased) -> Result<()> {
        let Leased {
            delivery,
            endpoint,
            live,
        } = leased;
        let inner = &self.inner;
        // A key revoked or expired since the event hears no more of stories to
        // show; what it must remove still goes.
        if !live && super::tells_of_a_story(&delivery.event) {
            let why =
                "not sent: the endpoint's API key is revoked or expired; only removals still go";
            return self
                .settle(
                    &delivery,
                    None,
                    Some(why.into()),
                    Duration::ZERO,
                    true,
                    clock::now(),
                )
                .await;
        }
        // Checked again at each send: the rules may have tightened since the
        // endpoint was registered (an address given as an IP never meets the
        // resolver's check).
        if let Err(refused) =
            super::address::check_url("url", &endpoint.url, inner.config.allow_private)
        {
            let why = format!("not sent: the URL {refused}");
            return self
                .settle(
                    &delivery,
                    None,
                    Some(why),
                    Duration::ZERO,
                    false,
                    clock::now(),
                )
                .await;
        }
        let sent_at = clock::now();
        let secrets = signing_secrets(&inner.crypto, &endpoint, sent_at)?;
        let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
        let id = delivery.id.to_string();
        let timestamp = sent_at.timestamp();
        let body = delivery.payload.clone().into_bytes();
        let signature = signing::signature_header(&secrets, &id, timestamp, &body);
        let started = Instant::now();
        let answer = inner
            .client
            .post(&endpoint.url)
            .header("content-type", "application/json")
            .header("webhook-id", &id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body)
            .send()
            .await;
        let took = started.elapsed();
        let (status, error) = match answer {
            Ok(response) if response.status().is_success() => {
                (Some(response.status().as_u16()), None)
            }
            Ok(response) => {
                let status = response.status();
                (
                    Some(status.as_u16()),
                    Some(format!("the endpoint answered HTTP {status}")),
                )
            }
            Err(err) => (None, Some(describe(&err))),
        };
        self.settle(&delivery, status, error, took, false, clock::now())
            .await
    }

    async fn settle(
        &self,
        delivery: &webhook_delivery::Model,
        status: Option<u16>,
        error: Option<String>,
        took: Duration,
        give_up: bool,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let inner = &self.inner;
        let txn = crate::db::begin_write(&inner.db).await?;
        webhook_attempt::ActiveModel {
            id: Set(Uuid::now_v7()),
            delivery_id: Set(delivery.id),
            attempted_at: Set(now),
            duration_ms: Set(i32::try_from(took.as_millis()).unwrap_or(i32::MAX)),
            status: Set(status.map(i32::from)),
            error: Set(error.clone()),
        }
        .insert(&txn)
        .await?;
        let attempts = delivery.attempts.saturating_add(1);
        let mut update = webhook_delivery::Entity::update_many()
            .col_expr(webhook_delivery::Column::Attempts, Expr::value(attempts))
            .col_expr(
                webhook_delivery::Column::LastStatus,
                Expr::value(status.map(i32::from)),
            )
            .col_expr(
                webhook_delivery::Column::LockedUntil,
                Expr::value(None::<DateTime<Utc>>),
            )
            .col_expr(
                webhook_delivery::Column::LockedBy,
                Expr::value(None::<String>),
            );
        let mut dead = false;
        match &error {
            None => {
                update = update
                    .col_expr(webhook_delivery::Column::DeliveredAt, Expr::value(now))
                    .col_expr(
                        webhook_delivery::Column::LastError,
                        Expr::value(None::<String>),
                    );
            }
            Some(error) => {
                let error: String = error.chars().take(MAX_ERROR_CHARS).collect();
                update = update.col_expr(webhook_delivery::Column::LastError, Expr::value(error));
                let window = chrono::Duration::from_std(inner.config.retry_for)
                    .unwrap_or(chrono::Duration::hours(24));
                if give_up || now - delivery.retry_from >= window {
                    dead = true;
                    update = update.col_expr(webhook_delivery::Column::DeadAt, Expr::value(now));
                } else {
                    let delay = retry_delay(&inner.config, attempts, jitter());
                    let next = now
                        + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::hours(1));
                    update =
                        update.col_expr(webhook_delivery::Column::NextAttemptAt, Expr::value(next));
                }
            }
        }
        let settled = update
            .filter(webhook_delivery::Column::Id.eq(delivery.id))
            .filter(webhook_delivery::Column::LockedBy.eq(inner.worker.clone()))
            .exec(&txn)
            .await?;
        if settled.rows_affected == 0 {
            // The lease ran out and another sender took the delivery: its outcome
            // stands; this attempt stays in the log.
            txn.commit().await?;
            return Ok(());
        }
        if error.is_none() && delivery.event == Event::StoryTakenDown.name() {
            let ids = takedown_ids(&delivery.payload);
            if !ids.is_empty() {
                takedown::Entity::update_many()
                    .col_expr(takedown::Column::DeliveredAt, Expr::value(now))
                    .filter(takedown::Column::Id.is_in(ids))
                    .filter(takedown::Column::DeliveredAt.is_null())
                    .exec(&txn)
                    .await?;
            }
        }
        if dead {
            tracing::warn!(delivery = %delivery.id, endpoint = %delivery.endpoint_id, attempts, "webhook delivery failed for its whole retry window; moved to the dead-letter list");
            audit::record(
                &txn,
                Actor::Worker,
                audit::Event::new("webhook_delivery.dead", "webhook_delivery", delivery.id).detail(
                    serde_json::json!({
                        "endpointId": delivery.endpoint_id,
                        "event": delivery.event,
                        "attempts": attempts,
                    }),
                ),
                now,
            )
            .await?;
        }
        txn.commit().await?;
        Ok(())
    }
}

/// A leased delivery, its endpoint, and whether the endpoint's key still reads.
struct Leased {
    delivery: webhook_delivery::Model,
    endpoint: webhook_endpoint::Model,
    live: bool,
}

/// The takedowns a `story.taken_down` payload names.
fn takedown_ids(payload: &str) -> Vec<Uuid> {
    serde_json::from_str::<serde_json::Value>(payload)
        .ok()
        .and_then(|v| {
            v["data"]["takedownIds"].as_array().map(|ids| {
                ids.iter()
                    .filter_map(|id| id.as_str()?.parse().ok())
                    .collect()
            })
        })
        .unwrap_or_default()
}

/// The wait after the `attempts`-th failure: the first delay doubled per
/// failure before it, capped, times `jitter` (0.8 to 1.2) so that endpoints
/// failing together do not retry together.
pub fn retry_delay(config: &WebhooksConfig, attempts: i32, jitter: f64) -> Duration {
    let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(0);
    let delay = config
        .retry_delay
        .saturating_mul(2u32.saturating_pow(doublings))
        .min(config.max_retry_delay);
    delay.mul_f64(jitter.clamp(0.8, 1.2))
}

fn jitter() -> f64 {
    let mut byte = [0u8; 2];
    if getrandom::fill(&mut byte).is_err() {
        return 1.0;
    }
    0.8 + 0.4 * f64::from(u16::from_le_bytes(byte)) / f64::from(u16::MAX)
}

/// A transport error with its causes (the resolver's refusal among them).
fn describe(err: &reqwest::Error) -> String {
    let mut text = if err.is_timeout() {
        "timed out".to_owned()
    } else if err.is_connect() {
        "could not connect".to_owned()
    } else {
        "request failed".to_owned()
    };
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Fans out and sends until `stop` turns true, and flags takedowns left
/// unacknowledged past the deadline. Sends in flight when it stops are dropped
/// as a crash would drop them: their leases run out and they are sent again.
pub async fn worker(
    db: DatabaseConnection,
    crypto: KeyRing,
    config: WebhooksConfig,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let sender = match Sender::new(db.clone(), crypto, config.clone()) {
        Ok(sender) => sender,
        Err(err) => {
            err.log_if_internal();
            tracing::error!(error = %err, "could not start the webhook sender");
            return;
        }
    };
    tracing::info!(poll_interval = ?config.poll_interval, "webhook sender started");
    loop {
        tokio::select! {
            _ = round(&db, &sender, &config) => {}
            _ = stop.changed() => break,
        }
        tokio::select! {
            _ = tokio::time::sleep(config.poll_interval) => {}
            _ = stop.changed() => break,
        }
    }
    tracing::info!("webhook sender stopped");
}

async fn round(db: &DatabaseConnection, sender: &Sender, config: &WebhooksConfig) {
    if let Err(err) = super::fanout::fan_out(db, clock::now()).await {
        log_failure(&err, "could not fan out webhook events");
    }
    if let Err(err) = sender.start_due(clock::now()).await {
        log_failure(&err, "could not lease webhook deliveries");
    }
    let deadline =
        chrono::Duration::from_std(config.takedown_deadline).unwrap_or(chrono::Duration::hours(48));
    if let Err(err) = crate::consent::takedown::flag_overdue(db, deadline, clock::now()).await {
        log_failure(&err, "could not flag overdue takedowns");
    }
}

fn log_failure(err: &Error, what: &str) {
    err.log_if_internal();
    tracing::warn!(error = %err, "{what}; will try again");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> WebhooksConfig {
        WebhooksConfig {
            poll_interval: Duration::from_secs(2),
            timeout: Duration::from_secs(10),
            retry_delay: Duration::from_secs(30),
            max_retry_delay: Duration::from_secs(7200),
            retry_for: Duration::from_secs(86_400),
            concurrency: 32,
            per_endpoint: 4,
            allow_private: false,
            takedown_deadline: Duration::from_secs(172_800),
        }
    }

    #[test]
    fn retry_delays_double_up_to_the_cap_and_jitter_stays_within_a_fifth() {
        let c = config();
        let delays: Vec<u64> = (1..=10)
            .map(|n| retry_delay(&c, n, 1.0).as_secs())
            .collect();
        assert_eq!(delays, [30, 60, 120, 240, 480, 960, 1920, 3840, 7200, 7200]);
        assert_eq!(retry_delay(&c, 1, 0.0), Duration::from_secs(24));
        assert_eq!(retry_delay(&c, 1, 9.0), Duration::from_secs(36));
        assert_eq!(retry_delay(&c, i32::MAX, 1.0), Duration::from_secs(7200));
        // With the cap, retries carry on past a day: at least 24 hours of them.
        let mut waited = 0;
        let mut n = 1;
        while waited < 86_400 {
            waited += retry_delay(&c, n, 0.8).as_secs();
            n += 1;
        }
        assert!(n < 40, "{n} attempts in a day");
        for _ in 0..100 {
            assert!((0.8..=1.2).contains(&jitter()));
        }
    }

    #[test]
    fn a_takedown_payload_names_its_takedowns() {
        let id = Uuid::now_v7();
        let payload = serde_json::json!({ "data": { "takedownIds": [id, "junk"] } }).to_string();
        assert_eq!(takedown_ids(&payload), vec![id]);
        assert!(takedown_ids("not json").is_empty());
    }
}
