//! Standard Webhooks signatures: the secret's form (`whsec_` and base64 key
//! bytes) and the `webhook-signature` header, an HMAC-SHA256 of
//! `{webhook-id}.{webhook-timestamp}.{body}` per secret in use.

use base64::{Engine, engine::general_purpose::STANDARD};
use hmac::{Hmac, Mac};
use sha2::Sha256;

const PREFIX: &str = "whsec_";
/// Key bytes in a new secret (the format allows 24 to 64).
const KEY_BYTES: usize = 32;

/// A new secret, as shown once to the admin who asked for it.
pub fn new_secret() -> String {
    let mut key = [0u8; KEY_BYTES];
    // The OS generator failing leaves no safe way on; no secret is better than a weak one.
    getrandom::fill(&mut key).expect("the operating system's random generator is unavailable");
    format!("{PREFIX}{}", STANDARD.encode(key))
}

/// The key bytes of a secret made by [`new_secret`]; `None` for anything else.
fn key_of(secret: &str) -> Option<Vec<u8>> {
    STANDARD.decode(secret.strip_prefix(PREFIX)?).ok()
}

/// One `v1,<signature>` for a secret.
fn sign_one(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Option<String> {
    let mut mac = Hmac::<Sha256>::new_from_slice(&key_of(secret)?).ok()?;
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Some(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// The `webhook-signature` header: one signature per secret, space-separated,
/// so a receiver that still holds the previous secret during a rotation's
/// overlap keeps verifying.
pub fn signature_header(secrets: &[&str], id: &str, timestamp: i64, body: &[u8]) -> String {
    secrets
        .iter()
        .filter_map(|secret| sign_one(secret, id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_standard_webhooks_reference_vector() {
        // The example in the Standard Webhooks specification.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            signature_header(&[secret], "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn signs_once_per_secret_and_new_secrets_are_distinct_and_well_formed() {
        let (a, b) = (new_secret(), new_secret());
        assert_ne!(a, b);
        assert_eq!(key_of(&a).map(|k| k.len()), Some(KEY_BYTES));
        let header = signature_header(&[&a, &b], "id", 1, b"{}");
        let parts: Vec<&str> = header.split(' ').collect();
        assert_eq!(parts.len(), 2);
        assert!(parts.iter().all(|p| p.starts_with("v1,")));
        assert_ne!(parts[0], parts[1]);
        assert_eq!(signature_header(&["not a secret"], "id", 1, b"{}"), "");
    }
}
