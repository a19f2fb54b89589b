//! `stories`: one story, its workflow state and its publication.

use sea_orm::entity::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum State {
    #[sea_orm(string_value = "DRAFT")]
    Draft,
    #[sea_orm(string_value = "IN_REVIEW")]
    InReview,
    #[sea_orm(string_value = "CHANGES_REQUESTED")]
    ChangesRequested,
    #[sea_orm(string_value = "APPROVED")]
    Approved,
    #[sea_orm(string_value = "PUBLISHED")]
    Published,
    #[sea_orm(string_value = "UNPUBLISHED")]
    Unpublished,
    #[sea_orm(string_value = "ARCHIVED")]
    Archived,
    #[sea_orm(string_value = "WITHDRAWN")]
    Withdrawn,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum IdentityLevel {
    #[sea_orm(string_value = "FULL_NAME")]
    FullName,
    #[sea_orm(string_value = "FIRST_NAME")]
    FirstName,
    #[sea_orm(string_value = "PSEUDONYM")]
    Pseudonym,
    #[sea_orm(string_value = "ANONYMOUS")]
    Anonymous,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Faces {
    #[sea_orm(string_value = "SHOWN")]
    Shown,
    #[sea_orm(string_value = "OBSCURED")]
    Obscured,
    #[sea_orm(string_value = "NOT_DEPICTED")]
    NotDepicted,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum LocationPrecision {
    #[sea_orm(string_value = "NONE")]
    None,
    #[sea_orm(string_value = "COUNTRY")]
    Country,
    #[sea_orm(string_value = "REGION")]
    Region,
    #[sea_orm(string_value = "CITY")]
    City,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stories")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub slug: String,
    pub storyteller_id: Uuid,
    pub primary_locale: String,
    pub region: Option<String>,
    pub state: State,
    pub version: i32,
    pub identity_level: IdentityLevel,
    pub faces: Faces,
    pub location_precision: LocationPrecision,
    pub created_by: Uuid,
    pub submitted_by: Option<Uuid>,
    pub submitted_at: Option<DateTimeUtc>,
    pub approved_by: Option<Uuid>,
    pub approved_at: Option<DateTimeUtc>,
    pub publish_at: Option<DateTimeUtc>,
    pub unpublish_at: Option<DateTimeUtc>,
    /// When the current publication went live; `None` when the story is not live.
    pub published_at: Option<DateTimeUtc>,
    pub first_published_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// The organisation that owns the record: its creator's (issue 16).
    pub organisation_id: Uuid,
    /// The image an editor chose for the story's share card (issue 19); used
    /// only while it is a deliverable image of the story.
    pub share_media_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
