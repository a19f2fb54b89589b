//! `api_keys`: consumer keys, stored as hashes, each bound to one channel.

use sea_orm::entity::prelude::*;

/// Where a story is shown; a consent grants each separately. `Submissions` is
/// the one key channel that shows nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum Channel {
    #[sea_orm(string_value = "PUBLIC_WEB")]
    PublicWeb,
    #[sea_orm(string_value = "PARTNER_SITES")]
    PartnerSites,
    #[sea_orm(string_value = "MOBILE_APP")]
    MobileApp,
    #[sea_orm(string_value = "SOCIAL_MEDIA")]
    SocialMedia,
    #[sea_orm(string_value = "PRESS")]
    Press,
    #[sea_orm(string_value = "PRINT_EXHIBITION")]
    PrintExhibition,
    #[sea_orm(string_value = "RESEARCH_ARCHIVE")]
    ResearchArchive,
    /// Not a place a story is shown: a campaign site's key that sends stories in
    /// and reads nothing. No consent grants it.
    #[sea_orm(string_value = "SUBMISSIONS")]
    Submissions,
}

impl Channel {
    /// True for the channels a story is shown on (every one but `Submissions`),
    /// which consents grant and the gate checks.
    pub fn shows_stories(self) -> bool {
        self != Channel::Submissions
    }
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    pub partner_id: Option<Uuid>,
    pub channel: Channel,
    /// The key's first characters, shown to admins to tell keys apart.
    pub prefix: String,
    /// SHA-256 of the whole key; the key itself is never stored.
    #[sea_orm(unique)]
    pub secret_hash: String,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
    pub expires_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
    pub last_used_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
