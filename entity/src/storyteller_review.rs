//! `storyteller_reviews`: the storyteller's sign-off of one exact revision.

use sea_orm::entity::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Method {
    #[sea_orm(string_value = "IN_PERSON")]
    InPerson,
    #[sea_orm(string_value = "PHONE")]
    Phone,
    #[sea_orm(string_value = "VIDEO_CALL")]
    VideoCall,
    #[sea_orm(string_value = "MESSAGE")]
    Message,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "storyteller_reviews")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub story_id: Uuid,
    pub revision_id: Uuid,
    pub method: Method,
    pub reviewed_at: DateTimeUtc,
    #[sea_orm(column_type = "Text", nullable)]
    pub notes: Option<String>,
    pub recorded_by: Uuid,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
