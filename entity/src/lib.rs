//! Storage shapes for Chorus: one sea-orm entity per table, and nothing else.
//!
//! These types mirror the migrations in `migration/` and carry no rules; the
//! `api` crate's services decide what may be read or written, and its GraphQL
//! types decide what is shown. Keeping them apart means a new column never
//! becomes public by accident.

pub mod api_key;
pub mod api_key_campaign;
pub mod audit_event;
pub mod campaign;
pub mod campaign_event;
pub mod campaign_event_story;
pub mod campaign_grant;
pub mod consent_channel;
pub mod consent_event;
pub mod consent_partner;
pub mod consent_record;
pub mod job;
pub mod login_attempt;
pub mod media_asset;
pub mod media_face_mask;
pub mod media_rendition;
pub mod media_text;
pub mod media_upload;
pub mod organisation;
pub mod partner;
pub mod partner_origin;
pub mod refresh_token;
pub mod review_comment;
pub mod risk_assessment;
pub mod session;
pub mod spent_challenge;
pub mod story;
pub mod story_campaign;
pub mod story_change;
pub mod story_locale;
pub mod story_read;
pub mod story_revision;
pub mod story_tag;
pub mod storyteller;
pub mod storyteller_review;
pub mod submission;
pub mod submission_block;
pub mod tag;
pub mod takedown;
pub mod user;
pub mod user_invite;
pub mod webhook_attempt;
pub mod webhook_delivery;
pub mod webhook_endpoint;
pub mod webhook_known;
pub mod withdrawal_code;

pub mod prelude {
    pub use super::campaign::Entity as Campaign;
    pub use super::login_attempt::Entity as LoginAttempt;
    pub use super::refresh_token::Entity as RefreshToken;
    pub use super::session::Entity as Session;
    pub use super::tag::Entity as Tag;
    pub use super::user::Entity as User;
}
