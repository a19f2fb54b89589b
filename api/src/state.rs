//! What every request shares: the database pool, the configuration, the token
//! keys, the media store.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::{auth::tokens::TokenKeys, config::Config, crypto::KeyRing, storage::ObjectStore};

/// Shared, cheap to clone, and holding nothing per user.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub keys: TokenKeys,
    /// Encrypts and decrypts personal data at rest.
    pub crypto: KeyRing,
    /// Where media bytes live (local disk or an S3 bucket).
    pub storage: Arc<dyn ObjectStore>,
    /// Where clients reach this server (`CHORUS_PUBLIC_URL`, or the bound
    /// address), without a trailing slash: the start of every URL Chorus hands out.
    pub base_url: Arc<str>,
    /// Signs and checks the media links Chorus serves itself.
    pub media_links: crate::media::links::LinkKeys,
    /// Per-API-key rate limits (token buckets in memory).
    pub throttle: Arc<crate::consumers::throttle::Throttle>,
    /// Which web origins may call `/graphql` from a browser.
    pub origins: crate::consumers::origins::OriginCache,
    /// Which (story, key) reads this process has already recorded.
    pub reads: Arc<crate::consent::takedown::ReadLog>,
    /// Consumer answers and persisted queries kept in memory (exact: see `response_cache`).
    pub caches: Arc<crate::consumers::response_cache::Caches>,
    pub statements: Arc<crate::db::StatementCount>, // SQL statements sent so far (see its docs)
    /// Wakes live subscriptions, and counts their connections.
    pub live: Arc<crate::live::Live>,
    /// What `/metrics` shows (records nothing when metrics are closed).
    pub metrics: Arc<crate::metrics::Metrics>,
}
