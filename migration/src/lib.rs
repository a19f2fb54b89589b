//! Chorus's schema history: append-only migrations, the same on SQLite and PostgreSQL.
//!
//! A migration that has shipped is never edited; a change is a new file added at
//! the end of [`Migrator::migrations`]. The server applies pending migrations on
//! start (unless told not to) and `chorus migrate` applies them on demand.

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_accounts;
mod m20261123_000002_campaigns_tags;
mod m20261123_000003_stories;
mod m20261123_000004_partners_api_keys;
mod m20261123_000005_consent;
mod m20261123_000006_media;
mod m20261123_000007_media_renditions;
mod m20261123_000008_partner_origins;
mod m20261123_000009_stories_published_index;
mod m20261123_000010_story_search;
mod m20261123_000011_story_changes;
mod m20261124_000012_api_key_changes;
mod m20261206_000013_account_admin;
mod m20261206_000014_job_failures;
mod m20261206_000015_organisations;
mod m20261206_000016_record_owners;
mod m20261206_000017_submissions;
mod m20261206_000018_story_change_visibility;
mod m20261206_000019_webhooks;
mod m20261206_000020_live_notify;
mod m20261206_000021_search_scripts;
mod m20261206_000022_receipt_terms;
mod m20261206_000023_recordings;
mod m20261206_000024_campaign_events;
mod m20261206_000025_share_cards;
mod m20261207_000026_pruning;

/// The Arabic-script folds of the search index, which the reader's words
/// must go through too (`api::stories::search`).
pub use m20261206_000021_search_scripts::{SCRIPT_FOLDS, fold_sql, fold_text, pg_document};

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_accounts::Migration),
            Box::new(m20261123_000002_campaigns_tags::Migration),
            Box::new(m20261123_000003_stories::Migration),
            Box::new(m20261123_000004_partners_api_keys::Migration),
            Box::new(m20261123_000005_consent::Migration),
            Box::new(m20261123_000006_media::Migration),
            Box::new(m20261123_000007_media_renditions::Migration),
            Box::new(m20261123_000008_partner_origins::Migration),
            Box::new(m20261123_000009_stories_published_index::Migration),
            Box::new(m20261123_000010_story_search::Migration),
            Box::new(m20261123_000011_story_changes::Migration),
            Box::new(m20261124_000012_api_key_changes::Migration),
            Box::new(m20261206_000013_account_admin::Migration),
            Box::new(m20261206_000014_job_failures::Migration),
            Box::new(m20261206_000015_organisations::Migration),
            Box::new(m20261206_000016_record_owners::Migration),
            Box::new(m20261206_000017_submissions::Migration),
            Box::new(m20261206_000018_story_change_visibility::Migration),
            Box::new(m20261206_000019_webhooks::Migration),
            Box::new(m20261206_000020_live_notify::Migration),
            Box::new(m20261206_000021_search_scripts::Migration),
            Box::new(m20261206_000022_receipt_terms::Migration),
            Box::new(m20261206_000023_recordings::Migration),
            Box::new(m20261206_000024_campaign_events::Migration),
            Box::new(m20261206_000025_share_cards::Migration),
            Box::new(m20261207_000026_pruning::Migration),
        ]
    }
}
