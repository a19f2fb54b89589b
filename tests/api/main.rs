//! Integration tests: the real server over real HTTP, on SQLite by default and on
//! PostgreSQL when `CHORUS_TEST_POSTGRES_URL` is set. One binary, so it links once.

mod admin;
mod auth;
mod bench_seed;
mod caching;
mod campaigns;
mod cli;
mod consent;
mod consent_props;
mod consumers;
mod contract;
mod damaged_media;
mod delivery;
mod fixtures;
mod fuzz_regressions;
mod health;
mod helpers;
mod journey;
mod large_uploads;
mod lifecycle;
mod manners;
mod media;
mod pagination;
mod renditions;
mod rights;
mod s3_server;
mod scheduling;
mod search;
mod statements;
mod storage;
mod storytellers;
mod sync;
mod tokens;
mod uploads;
mod workflow_props;
