//! `media_uploads`: a large upload in progress: where the client puts the bytes
//! (a presigned PUT or a one-time Chorus URL) before `completeMediaUpload`
//! verifies them.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "media_uploads")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub story_id: Option<Uuid>,
    pub storyteller_id: Option<Uuid>,
    /// SHA-256 of the one-time token (local uploads).
    #[sea_orm(unique)]
    pub token_hash: String,
    /// Where the raw bytes land before verification.
    #[sea_orm(unique)]
    pub staging_key: String,
    pub max_bytes: i64,
    pub expected_sha256: Option<String>,
    pub private: bool,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub completed_at: Option<DateTimeUtc>,
    /// The asset it became.
    pub media_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
