//! `media_texts`: the words of a recording or video, as a transcript or as a
//! cleaned WebVTT caption track, one per item, kind and language.

use sea_orm::entity::prelude::*;

/// Which form the words take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Kind {
    /// Plain text of everything said.
    #[sea_orm(string_value = "TRANSCRIPT")]
    Transcript,
    /// A WebVTT track holding only its header and cues.
    #[sea_orm(string_value = "CAPTIONS")]
    Captions,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "media_texts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub media_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: Kind,
    /// BCP 47.
    #[sea_orm(primary_key, auto_increment = false)]
    pub language: String,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    pub updated_by: Uuid,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
