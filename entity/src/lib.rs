//! Storage shapes for Chorus: one sea-orm entity per table, and nothing else.
//!
//! These types mirror the migrations in `migration/` and carry no rules; the
//! `api` crate's services decide what may be read or written, and its GraphQL
//! types decide what is shown. Keeping them apart means a new column never
//! becomes public by accident.

pub mod campaign;
pub mod login_attempt;
pub mod refresh_token;
pub mod session;
pub mod tag;
pub mod user;

pub mod prelude {
    pub use super::campaign::Entity as Campaign;
    pub use super::login_attempt::Entity as LoginAttempt;
    pub use super::refresh_token::Entity as RefreshToken;
    pub use super::session::Entity as Session;
    pub use super::tag::Entity as Tag;
    pub use super::user::Entity as User;
}
