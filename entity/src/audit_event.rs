//! `audit_events`: the append-only record of who did what (the database refuses
//! updates and deletes).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub occurred_at: DateTimeUtc,
    pub actor_id: Option<Uuid>,
    /// `user`, `worker` or `cli`.
    pub actor: String,
    pub action: String,
    pub subject_type: String,
    pub subject_id: Option<Uuid>,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    /// JSON object with details; never personal data.
    #[sea_orm(column_type = "Text")]
    pub detail: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
