//! `submission_blocks`: sources editors refused further submissions from.

use sea_orm::entity::prelude::*;

/// What is blocked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Kind {
    /// A sender's address; `value` is its keyed hash.
    #[sea_orm(string_value = "ADDRESS")]
    Address,
    /// A whole `SUBMISSIONS` key; `value` is its id.
    #[sea_orm(string_value = "API_KEY")]
    ApiKey,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "submission_blocks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kind: Kind,
    pub value: String,
    /// The submission (its story) that led to the block.
    pub story_id: Option<Uuid>,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
    /// `None`: until lifted.
    pub expires_at: Option<DateTimeUtc>,
    pub lifted_at: Option<DateTimeUtc>,
    pub lifted_by: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
