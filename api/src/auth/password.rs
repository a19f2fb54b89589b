//! Password hashing (argon2id) and the password policy.

use argon2::{
    Argon2, PasswordHasher, PasswordVerifier,
    password_hash::{PasswordHash, SaltString},
};

use crate::error::{Error, Result};

/// Shortest password accepted for a staff account.
pub const MIN_LENGTH: usize = 12;
/// Longest password accepted; argon2 would take more, but nobody types this much.
pub const MAX_LENGTH: usize = 256;

/// Checks the password policy.
pub fn validate(password: &str) -> Result<()> {
    let len = password.chars().count();
    if len < MIN_LENGTH {
        return Err(Error::invalid(
            "password",
            format!("password must be at least {MIN_LENGTH} characters"),
        ));
    }
    if len > MAX_LENGTH {
        return Err(Error::invalid(
            "password",
            format!("password must be at most {MAX_LENGTH} characters"),
        ));
    }
    Ok(())
}

/// Hashes a password with argon2id and a random salt, in PHC string form.
pub fn hash(password: &str) -> Result<String> {
    let salt = SaltString::encode_b64(&super::random_bytes(16)).map_err(Error::internal)?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(Error::internal)
}

/// True when `password` matches the stored PHC hash.
pub fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Spends the time a real verification would, so an unknown email answers as slowly as
/// a wrong password and response times do not reveal which accounts exist.
pub fn verify_against_nothing(password: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash("a password nobody has").unwrap_or_default());
    let _ = verify(password, dummy);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_only_the_same_password() {
        let h = hash("correct horse battery staple").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse battery staple", &h));
        assert!(!verify("correct horse battery stapler", &h));
        assert!(!verify("anything", "not a phc string"));
    }

    #[test]
    fn policy_refuses_short_passwords() {
        assert!(validate("short").is_err());
        assert!(validate("twelve chars").is_ok());
    }
}
