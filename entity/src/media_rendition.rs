//! `media_renditions`: derived versions of an asset (web sizes, the face-masked
//! image consumers get).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "media_renditions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub media_id: Uuid,
    /// e.g. `w800.webp`, `masked.jpg`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub variant: String,
    #[sea_orm(unique)]
    pub storage_key: String,
    pub mime: String,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub size_bytes: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
