//! `webhook_deliveries`: the outbox, one row per event for one endpoint, with
//! its lease, retries and outcome (delivered, or dead and waiting for a replay).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_deliveries")]
pub struct Model {
    /// Sent as `webhook-id`: the receiver's key for deduplication.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub endpoint_id: Uuid,
    pub event: String,
    pub story_id: Uuid,
    /// The JSON body, fixed when the event happened.
    pub payload: String,
    pub created_at: DateTimeUtc,
    pub next_attempt_at: DateTimeUtc,
    /// When the current round of retries began (creation, or a replay): a
    /// delivery still failing `retry_for` after it goes to the dead-letter list.
    pub retry_from: DateTimeUtc,
    pub attempts: i32,
    pub locked_until: Option<DateTimeUtc>,
    pub locked_by: Option<String>,
    pub delivered_at: Option<DateTimeUtc>,
    /// Set when retries ran out: the delivery is in the dead-letter list.
    pub dead_at: Option<DateTimeUtc>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
