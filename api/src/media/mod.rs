//! The media intake pipeline: what an upload really is, and making it safe to
//! keep.
//!
//! A photo's GPS tag or embedded thumbnail can reveal where a storyteller
//! lives, so every upload is identified by its bytes ([`sniff`], never by the
//! client's filename or content type) and has its metadata removed
//! ([`strip`]) before anything is stored. These steps are pure file-in,
//! file-out functions with no database or HTTP, so they are tested directly;
//! hashing, size limits, renditions and storage build on them.

pub mod assets;
pub mod delivery;
pub mod faces;
pub mod intake;
pub mod integrity;
pub mod links;
pub mod recordings;
pub mod removal;
pub mod renditions;
pub mod sniff;
pub mod strip;
pub mod sweep;
pub mod uploads;
pub mod webvtt;
