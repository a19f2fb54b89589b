//! `storytellers`: the people whose stories these are. Personal fields are stored
//! encrypted (`*_enc`); only the `api` crate's crypto module reads them.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "storytellers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub public_name: String,
    pub public_name_is_pseudonym: bool,
    #[sea_orm(column_type = "Text")]
    pub legal_name_enc: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub contact_enc: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub guardian_enc: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub private_notes_enc: Option<String>,
    pub year_of_birth: Option<i32>,
    /// When known; makes the 18th birthday (when a minor's consent ends) exact.
    pub date_of_birth: Option<Date>,
    /// BCP 47 tags, comma-separated.
    pub languages: String,
    pub asylum_seeker: bool,
    pub refugee: bool,
    pub undocumented: bool,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Set when the person's data was erased; only proof of consent remains.
    pub erased_at: Option<DateTimeUtc>,
    /// The organisation that owns the record: its creator's (issue 16).
    pub organisation_id: Uuid,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
