//! `campaigns`: story campaigns such as International Migrants Day.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "campaigns")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub slug: String,
    pub name: String,
    pub hashtag: Option<String>,
    pub starts_on: Option<Date>,
    pub ends_on: Option<Date>,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// The organisation that runs the campaign.
    pub organisation_id: Uuid,
    /// Where a campaign site shows a story: `https://…{slug}…` (share cards).
    pub share_url_pattern: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
