//! Who is asking: staff accounts, passwords, access tokens, login sessions.
//!
//! Staff sign in with email and password and get a short-lived access JWT plus a
//! rotating refresh token (see [`sessions`]). Every request is resolved to a
//! [`Principal`] once, in the HTTP layer; services take the principal and check
//! roles through it, so a permission rule lives next to the work it guards.

pub mod accounts;
pub mod password;
pub mod principal;
pub mod rate_limit;
pub mod sessions;
pub mod tokens;
pub mod users;

pub use entity::user::Role;
pub use principal::Principal;

use sha2::{Digest, Sha256};

/// Fresh random bytes from the operating system.
pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    // The OS random source failing is not something a server can recover from.
    getrandom::fill(&mut buf).expect("operating system random source is unavailable");
    buf
}

/// Hex SHA-256, used to store tokens so a database leak does not leak them.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}
