//! Consent: the records of what each storyteller agreed to, every later decision
//! about them, and the gate that decides at each request what a consumer may see.
//!
//! - [`records`]: recording, amending, renewing and ending consents (immutable
//!   records, each change a new record plus an append-only event);
//! - [`gate`]: the one rule of visibility, as SQL conditions;
//! - [`withdrawal`]: personal withdrawal codes, usable without an account;
//! - [`takedown`]: stories withdrawn and recipients told when consent ends;
//! - [`expiry`]: marking expired consents and listing those about to expire;
//! - [`visibility`]: per channel, whether a story is visible and why not;
//! - [`receipt`]: the consent receipt a storyteller keeps (JSON and printable HTML).
//!
//! The rules, in plain language, are in `docs/CONSENT.md`.

pub mod expiry;
pub mod gate;
pub mod receipt;
pub mod records;
pub mod takedown;
pub mod visibility;
pub mod withdrawal;

pub use gate::{PartnerScope, Viewer};
pub use records::{Consent, Decision, Ending, Recorded, Terms, Witness};

/// What may be done with a story and the person's data under a consent, in the
/// spirit of the W3C Data Privacy Vocabulary's processing terms (each is
/// described in the GraphQL schema, with its DPV term in `docs/CONSENT.md`). A
/// closed list, so a receipt can state each in every language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProcessingOperation {
    Collect,
    Record,
    Store,
    Transcribe,
    Translate,
    Edit,
    Publish,
    ShareWithPartners,
    Archive,
}

impl ProcessingOperation {
    /// Every operation, in the order of a story's life.
    pub const ALL: [ProcessingOperation; 9] = [
        ProcessingOperation::Collect,
        ProcessingOperation::Record,
        ProcessingOperation::Store,
        ProcessingOperation::Transcribe,
        ProcessingOperation::Translate,
        ProcessingOperation::Edit,
        ProcessingOperation::Publish,
        ProcessingOperation::ShareWithPartners,
        ProcessingOperation::Archive,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ProcessingOperation::Collect => "COLLECT",
            ProcessingOperation::Record => "RECORD",
            ProcessingOperation::Store => "STORE",
            ProcessingOperation::Transcribe => "TRANSCRIBE",
            ProcessingOperation::Translate => "TRANSLATE",
            ProcessingOperation::Edit => "EDIT",
            ProcessingOperation::Publish => "PUBLISH",
            ProcessingOperation::ShareWithPartners => "SHARE_WITH_PARTNERS",
            ProcessingOperation::Archive => "ARCHIVE",
        }
    }

    /// The operations stored in a record, in [`Self::ALL`]'s order; `None`
    /// when the record predates them or they were not given.
    pub fn parse_list(stored: Option<&str>) -> Option<Vec<ProcessingOperation>> {
        let stored = stored?;
        Some(
            Self::ALL
                .into_iter()
                .filter(|op| stored.split(',').any(|name| name == op.as_str()))
                .collect(),
        )
    }

    /// How a list is stored: in [`Self::ALL`]'s order, without repeats.
    pub fn store_list(operations: &[ProcessingOperation]) -> String {
        Self::ALL
            .into_iter()
            .filter(|op| operations.contains(op))
            .map(ProcessingOperation::as_str)
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// Special categories of personal data (GDPR Art. 9) a story may reveal; any of
/// them requires the consent to be explicit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SpecialCategory {
    EthnicOrigin,
    PoliticalOpinion,
    ReligionOrBelief,
    TradeUnion,
    Genetic,
    Biometric,
    Health,
    SexLifeOrOrientation,
}

impl SpecialCategory {
    /// Every category.
    pub const ALL: [SpecialCategory; 8] = [
        SpecialCategory::EthnicOrigin,
        SpecialCategory::PoliticalOpinion,
        SpecialCategory::ReligionOrBelief,
        SpecialCategory::TradeUnion,
        SpecialCategory::Genetic,
        SpecialCategory::Biometric,
        SpecialCategory::Health,
        SpecialCategory::SexLifeOrOrientation,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            SpecialCategory::EthnicOrigin => "ETHNIC_ORIGIN",
            SpecialCategory::PoliticalOpinion => "POLITICAL_OPINION",
            SpecialCategory::ReligionOrBelief => "RELIGION_OR_BELIEF",
            SpecialCategory::TradeUnion => "TRADE_UNION",
            SpecialCategory::Genetic => "GENETIC",
            SpecialCategory::Biometric => "BIOMETRIC",
            SpecialCategory::Health => "HEALTH",
            SpecialCategory::SexLifeOrOrientation => "SEX_LIFE_OR_ORIENTATION",
        }
    }

    /// The categories stored in a record.
    pub fn parse_list(stored: &str) -> Vec<SpecialCategory> {
        stored
            .split(',')
            .filter_map(|name| Self::ALL.into_iter().find(|c| c.as_str() == name))
            .collect()
    }
}
