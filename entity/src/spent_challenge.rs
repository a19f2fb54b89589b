//! `spent_challenges`: proofs of work already used; the primary key makes a
//! second use fail, even at the same moment.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "spent_challenges")]
pub struct Model {
    /// The challenge (hex SHA-256) as issued.
    #[sea_orm(primary_key, auto_increment = false)]
    pub challenge: String,
    pub api_key_id: Uuid,
    /// After this the challenge is refused as expired anyway, so the row may go.
    pub expires_at: DateTimeUtc,
    pub spent_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
