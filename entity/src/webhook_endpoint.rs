//! `webhook_endpoints`: where a partner (or the organisation's own sites) wants
//! to hear of stories, reading as one of its API keys.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_endpoints")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The key whose view of the archive (channel, partner, campaigns) decides
    /// what the endpoint hears of.
    pub api_key_id: Uuid,
    pub url: String,
    pub description: Option<String>,
    /// Comma-separated event names.
    pub events: String,
    /// The signing secret, encrypted with the key ring.
    pub secret: String,
    /// The secret before the last rotation, still signing until `previous_secret_until`.
    pub previous_secret: Option<String>,
    pub previous_secret_until: Option<DateTimeUtc>,
    /// Where the endpoint stands in the story feed.
    pub feed_cursor: Option<String>,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
    pub disabled_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
