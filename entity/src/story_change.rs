//! `story_changes`: the change log, one row per story per logged write,
//! appended by database triggers (migrations 000011 and 000018) and never edited.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "story_changes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The change counter's value when the write happened; commit order.
    pub version: i64,
    pub story_id: Uuid,
    pub changed_at: DateTimeUtc,
    /// The story could be shown to some consumer, without another write, before
    /// or after this change (migration 000018); `true` on rows logged before.
    pub public: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
