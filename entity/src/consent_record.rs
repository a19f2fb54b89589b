//! `consent_records`: one person's consent, immutable; a change is a new record
//! whose `supersedes_id` points at the one it replaces.

use sea_orm::entity::prelude::*;

use crate::story::{Faces, IdentityLevel, LocationPrecision};

/// Consent statuses as the W3C Data Privacy Vocabulary names them; only `Given`
/// and `Renewed` allow any use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Status {
    #[sea_orm(string_value = "REQUESTED")]
    Requested,
    #[sea_orm(string_value = "GIVEN")]
    Given,
    #[sea_orm(string_value = "RENEWED")]
    Renewed,
    #[sea_orm(string_value = "REFUSED")]
    Refused,
    #[sea_orm(string_value = "WITHDRAWN")]
    Withdrawn,
    #[sea_orm(string_value = "REVOKED")]
    Revoked,
    #[sea_orm(string_value = "EXPIRED")]
    Expired,
    #[sea_orm(string_value = "INVALIDATED")]
    Invalidated,
    #[sea_orm(string_value = "UNKNOWN")]
    Unknown,
}

/// How the person's voice may be heard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Voice {
    #[sea_orm(string_value = "ORIGINAL")]
    Original,
    #[sea_orm(string_value = "ALTERED")]
    Altered,
    #[sea_orm(string_value = "TEXT_ONLY")]
    TextOnly,
}

/// How the consent was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum Method {
    #[sea_orm(string_value = "WRITTEN")]
    Written,
    #[sea_orm(string_value = "DIGITAL")]
    Digital,
    #[sea_orm(string_value = "VERBAL_RECORDED")]
    VerbalRecorded,
    #[sea_orm(string_value = "MARK_OR_THUMBPRINT")]
    MarkOrThumbprint,
    /// Given by the person themselves on a campaign site's form.
    #[sea_orm(string_value = "ONLINE_FORM")]
    OnlineForm,
}

/// Who expressed a consent decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum IndicatedBy {
    #[sea_orm(string_value = "STORYTELLER")]
    Storyteller,
    #[sea_orm(string_value = "GUARDIAN")]
    Guardian,
    #[sea_orm(string_value = "ORGANISATION")]
    Organisation,
}

/// What a consent's witness is given as: the recorder chooses, since naming a
/// witness can put them at risk where their role says enough.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum WitnessKind {
    #[sea_orm(string_value = "NAME")]
    Name,
    #[sea_orm(string_value = "ROLE")]
    Role,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "consent_records")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub storyteller_id: Uuid,
    /// `None`: the consent covers all of the person's stories.
    pub story_id: Option<Uuid>,
    #[sea_orm(unique)]
    pub supersedes_id: Option<Uuid>,
    pub status: Status,
    /// `PARTNER_SITES` for every partner, present and future: an explicit choice.
    pub all_partners: bool,
    pub identity_level: IdentityLevel,
    pub faces: Faces,
    pub voice: Voice,
    pub location_precision: LocationPrecision,
    /// GDPR Art. 9 categories the story reveals, comma-separated.
    pub special_categories: String,
    pub explicit: bool,
    pub given_at: Option<DateTimeUtc>,
    pub expires_at: DateTimeUtc,
    pub method: Method,
    pub language: String,
    pub interpreter: Option<String>,
    pub notice_version: String,
    pub notice_hash: String,
    pub collected_by: String,
    pub jurisdiction: String,
    /// The person was (or may have been) under 18 when this was recorded.
    pub subject_minor: bool,
    pub guardian_consent: bool,
    pub child_assent: bool,
    /// Where the private evidence (form, recording) is kept.
    pub evidence_ref: Option<String>,
    pub indicated_by: IndicatedBy,
    pub recorded_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    /// The data controller in force when the record was written, as JSON;
    /// `None` for records made before controllers were recorded.
    pub controller: Option<String>,
    /// Who witnessed the consent, as a name or a role (`witness_kind`).
    pub witness: Option<String>,
    pub witness_kind: Option<WitnessKind>,
    /// The processing operations allowed, comma-separated; `None`: not recorded.
    pub processing_operations: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
