//! `organisations`: the platform's own organisation and the coalition's member
//! organisations, which own campaigns and employ staff.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// The platform organisation's fixed id, created by migration 15.
pub const PLATFORM_ID: Uuid = Uuid::from_u128(1);

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Kind {
    #[sea_orm(string_value = "PLATFORM")]
    Platform,
    #[sea_orm(string_value = "MEMBER")]
    Member,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organisations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub slug: String,
    pub name: String,
    pub kind: Kind,
    /// The partner (API-key holder) this organisation also is, if any.
    #[sea_orm(unique)]
    pub partner_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// The organisation's own data controller details for consent receipts;
    /// while `controller_name` is unset the instance-wide settings apply.
    pub controller_name: Option<String>,
    pub controller_address: Option<String>,
    pub controller_contact: Option<String>,
    pub controller_dpo_contact: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
