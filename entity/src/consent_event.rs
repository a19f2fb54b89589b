//! `consent_events`: append-only history of every consent decision.

use sea_orm::entity::prelude::*;

use crate::consent_record::{IndicatedBy, Status};

/// Through which channel a decision reached the organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum Via {
    #[sea_orm(string_value = "IN_PERSON")]
    InPerson,
    #[sea_orm(string_value = "PHONE")]
    Phone,
    #[sea_orm(string_value = "EMAIL")]
    Email,
    #[sea_orm(string_value = "POST")]
    Post,
    #[sea_orm(string_value = "MESSAGE")]
    Message,
    #[sea_orm(string_value = "WITHDRAWAL_CODE")]
    WithdrawalCode,
    #[sea_orm(string_value = "AUTOMATIC")]
    Automatic,
    /// A campaign site's form, sent in with a `SUBMISSIONS` key.
    #[sea_orm(string_value = "ONLINE_FORM")]
    OnlineForm,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "consent_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The record this event created.
    pub consent_id: Uuid,
    pub storyteller_id: Uuid,
    /// `RECORDED`, `AMENDED`, `RENEWED`, `WITHDRAWN`, `REVOKED`, `INVALIDATED`, `EXPIRED`.
    pub action: String,
    pub from_status: Option<Status>,
    pub to_status: Status,
    pub indicated_by: IndicatedBy,
    pub via: Via,
    pub actor_user_id: Option<Uuid>,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
