//! `takedowns`: one per recipient of a story that must come down, for delivery
//! (webhooks) and acknowledgement tracking.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "takedowns")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub story_id: Uuid,
    pub api_key_id: Uuid,
    pub partner_id: Option<Uuid>,
    /// The consent record whose status change caused it.
    pub consent_id: Option<Uuid>,
    /// `WITHDRAWN`, `REVOKED`, `INVALIDATED`, `EXPIRED` or `ERASED`.
    pub reason: String,
    pub created_at: DateTimeUtc,
    pub delivered_at: Option<DateTimeUtc>,
    pub acknowledged_at: Option<DateTimeUtc>,
    /// The key that acknowledged it (the recipient's, or another of its partner's).
    pub acknowledged_by: Option<Uuid>,
    /// When it was flagged as unacknowledged past the deadline.
    pub overdue_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
