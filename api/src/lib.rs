//! Chorus: a consent-first GraphQL headless CMS for migrant stories.
//!
//! This crate is the whole application behind the thin `chorus` binary: the
//! configuration, the services that hold the rules (auth, campaigns, and later
//! stories, consent and media), the GraphQL schema over them, and the HTTP server.
//! See `docs/ARCHITECTURE.md` for the layers and the path of a request.

pub mod app;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod bench;
pub mod campaigns;
pub mod cli;
pub mod clock;
pub mod config;
pub mod consent;
pub mod consumers;
pub mod crypto;
pub mod db;
pub mod demo;
pub mod error;
/// Entry points for the fuzz harness; test builds only.
#[cfg(feature = "test-fixtures")]
pub mod fuzzing;
pub mod graphql;
pub mod http;
pub mod jobs;
pub mod live;
pub mod locale;
pub mod media;
pub mod metrics;
pub mod organisations;
pub mod owner_only;
pub mod pagination;
pub mod patch;
pub mod pruning;
pub mod queue;
pub mod slug;
pub mod state;
pub mod storage;
pub mod stories;
pub mod storytellers;
pub mod submissions;
pub mod telemetry;
pub mod webhooks;

pub use app::Application;
pub use config::Config;
pub use error::Error;
