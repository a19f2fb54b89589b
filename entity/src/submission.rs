//! `submissions`: a story sent in by a storyteller through a campaign site.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "submissions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The draft it created.
    #[sea_orm(unique)]
    pub story_id: Uuid,
    /// The `SUBMISSIONS` key it came through.
    pub api_key_id: Uuid,
    pub campaign_id: Uuid,
    /// HMAC-SHA256 (hex) of the sender's address; the address itself is never kept.
    pub address_hash: String,
    pub received_at: DateTimeUtc,
    /// Set when an editor marked it as spam.
    pub spam_at: Option<DateTimeUtc>,
    pub spam_by: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
