//! `story_reads`: which consumer key has received which story, so a takedown can
//! reach every recipient.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "story_reads")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub story_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub api_key_id: Uuid,
    pub partner_id: Option<Uuid>,
    pub first_read_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
