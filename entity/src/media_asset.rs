//! `media_assets`: one photo, recording, video or evidence document, stripped of
//! metadata before it was stored.

use sea_orm::entity::prelude::*;

/// What sort of media an asset is, decided from its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Kind {
    #[sea_orm(string_value = "IMAGE")]
    Image,
    #[sea_orm(string_value = "AUDIO")]
    Audio,
    #[sea_orm(string_value = "VIDEO")]
    Video,
    /// PDF, only as private consent evidence.
    #[sea_orm(string_value = "DOCUMENT")]
    Document,
}

/// Whether the metadata could be removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum MetadataStatus {
    #[sea_orm(string_value = "CLEANED")]
    Cleaned,
    /// The format cannot be cleaned yet: stored private, never published.
    #[sea_orm(string_value = "NOT_CLEANABLE")]
    NotCleanable,
}

/// Where an asset is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum State {
    #[sea_orm(string_value = "READY")]
    Ready,
    /// Removed; its bytes are deleted from storage.
    #[sea_orm(string_value = "DELETED")]
    Deleted,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "media_assets")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub story_id: Option<Uuid>,
    /// Set for private evidence about a person (a consent form, a recording).
    pub storyteller_id: Option<Uuid>,
    pub kind: Kind,
    /// Sniffed from the bytes, never the client's word.
    pub mime: String,
    pub size_bytes: i64,
    pub sha256: String,
    #[sea_orm(unique)]
    pub storage_key: String,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub duration_ms: Option<i64>,
    #[sea_orm(column_type = "Text", nullable)]
    pub alt_text: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub caption: Option<String>,
    pub credit: Option<String>,
    pub shows_faces: bool,
    pub faces_reviewed_at: Option<DateTimeUtc>,
    pub faces_reviewed_by: Option<Uuid>,
    /// Bumped whenever the face masks change.
    pub masks_generation: i32,
    /// The masks generation the current renditions burn in; `None` until made.
    pub renditions_generation: Option<i32>,
    pub private: bool,
    pub metadata_status: MetadataStatus,
    pub state: State,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// The organisation that owns the record: its creator's (issue 16).
    pub organisation_id: Uuid,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
