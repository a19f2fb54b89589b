//! Proof of work in the ALTCHA scheme: a challenge Chorus signs, that a
//! browser solves by brute force and sends back with the story.
//!
//! The challenge is `hex(SHA-256(salt + number))` for a random `number` from 0
//! to `maxNumber`; the browser tries numbers until the hash matches (half of
//! `maxNumber` tries on average), which costs a person's browser a moment and a
//! spammer's farm the same for every story. The salt carries its expiry and the
//! key it was issued to (`<hex>?expires=<unix>&key=<uuid>`), and the signature
//! (`hex(HMAC-SHA256(secret, challenge))`) proves Chorus issued it, so nothing
//! is stored when a challenge is issued. Spending it once is the caller's part
//! (the `spent_challenges` table). The payload sent back is ALTCHA's: base64 of
//! the JSON `{algorithm, challenge, number, salt, signature}`.

use base64::{
    Engine,
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
};
use chrono::{DateTime, TimeZone, Utc};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;
use uuid::Uuid;

use crate::{
    auth::{random_bytes, sha256_hex},
    error::{Error, Result},
};

/// The only algorithm issued and accepted.
pub const ALGORITHM: &str = "SHA-256";
/// Longest payload read, in bytes of base64: a real one is a few hundred.
const MAX_PAYLOAD_LEN: usize = 2_000;

/// A challenge as the browser receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub algorithm: &'static str,
    pub challenge: String,
    pub salt: String,
    pub max_number: u64,
    pub signature: String,
}

/// A payload that passed every check but the spending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub challenge: String,
    pub expires_at: DateTime<Utc>,
}

/// The key that signs challenges, derived from another secret (the JWT secret)
/// so that the two uses never share a key.
pub fn derive_secret(from: &[u8]) -> Vec<u8> {
    hmac_bytes(from, b"chorus/submissions/v1")
}

/// A new challenge for the key `key_id`, valid until `expires_at`.
pub fn issue(secret: &[u8], key_id: Uuid, max_number: u64, expires_at: DateTime<Utc>) -> Challenge {
    let salt = format!(
        "{}?expires={}&key={key_id}",
        hex::encode(random_bytes(12)),
        expires_at.timestamp()
    );
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&random_bytes(8));
    let number = u64::from_le_bytes(bytes) % (max_number + 1);
    let challenge = hash(&salt, number);
    Challenge {
        algorithm: ALGORITHM,
        signature: hex::encode(hmac_bytes(secret, challenge.as_bytes())),
        challenge,
        salt,
        max_number,
    }
}

/// `hex(SHA-256(salt + number))`, the hash the browser searches for.
pub fn hash(salt: &str, number: u64) -> String {
    sha256_hex(format!("{salt}{number}").as_bytes())
}

/// The keyed hash an address is kept as: counted and blocked, never readable.
pub fn address_hash(secret: &[u8], address: &str) -> String {
    hex::encode(hmac_bytes(secret, format!("address:{address}").as_bytes()))
}

#[derive(Deserialize)]
struct Payload {
    algorithm: String,
    challenge: String,
    number: u64,
    salt: String,
    signature: String,
}

/// Checks a solved payload: its form, Chorus's signature, the hash, that it was
/// issued to `key_id`, and that it has not expired.
pub fn verify(secret: &[u8], payload: &str, key_id: Uuid, now: DateTime<Utc>) -> Result<Verified> {
    let invalid = || {
        Error::refused(
            "PROOF_INVALID",
            "the proof of work is not a solved challenge from this server",
        )
    };
    let payload = payload.trim();
    if payload.len() > MAX_PAYLOAD_LEN {
        return Err(invalid());
    }
    let bytes = STANDARD
        .decode(payload)
        .or_else(|_| URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')))
        .map_err(|_| invalid())?;
    let p: Payload = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    if p.algorithm != ALGORITHM {
        return Err(invalid());
    }
    let signature = hex::decode(&p.signature).map_err(|_| invalid())?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).map_err(|_| invalid())?;
    mac.update(p.challenge.as_bytes());
    // Constant-time: the signature is the one secret-dependent value compared.
    mac.verify_slice(&signature).map_err(|_| invalid())?;
    if hash(&p.salt, p.number) != p.challenge {
        return Err(invalid());
    }
    let (expires, key) = salt_params(&p.salt).ok_or_else(invalid)?;
    if key != key_id {
        return Err(invalid());
    }
    let expires_at = Utc.timestamp_opt(expires, 0).single().ok_or_else(invalid)?;
    if expires_at <= now {
        return Err(Error::refused(
            "PROOF_EXPIRED",
            "the proof of work has expired: ask for a new challenge",
        ));
    }
    Ok(Verified {
        challenge: p.challenge,
        expires_at,
    })
}

/// The expiry and key a salt carries (`…?expires=<unix>&key=<uuid>`).
fn salt_params(salt: &str) -> Option<(i64, Uuid)> {
    let (_, query) = salt.split_once('?')?;
    let (mut expires, mut key) = (None, None);
    for pair in query.split('&') {
        match pair.split_once('=')? {
            ("expires", v) => expires = v.parse::<i64>().ok(),
            ("key", v) => key = Uuid::parse_str(v).ok(),
            _ => {}
        }
    }
    Some((expires?, key?))
}

fn hmac_bytes(key: &[u8], message: &[u8]) -> Vec<u8> {
    // HMAC takes a key of any length, so this never fails.
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A payload with `c`'s salt and signature and the number that solves `real`.
    fn payload(c: &Challenge, real: &Challenge) -> String {
        let number = (0..=real.max_number)
            .find(|n| hash(&real.salt, *n) == real.challenge)
            .expect("a solution exists");
        STANDARD.encode(
            serde_json::json!({
                "algorithm": c.algorithm,
                "challenge": c.challenge,
                "number": number,
                "salt": c.salt,
                "signature": c.signature,
            })
            .to_string(),
        )
    }

    fn solve(c: &Challenge) -> String {
        payload(c, c)
    }

    #[test]
    fn a_solved_challenge_verifies_once_for_its_key_until_it_expires() {
        let secret = b"0123456789abcdef0123456789abcdef";
        let key = Uuid::now_v7();
        let now = Utc::now();
        let c = issue(secret, key, 500, now + chrono::Duration::minutes(5));
        let payload = solve(&c);
        let ok = verify(secret, &payload, key, now).unwrap();
        assert_eq!(ok.challenge, c.challenge);

        let code = |r: Result<Verified>| match r {
            Err(Error::SubmissionRefused { reason, .. }) => reason,
            other => panic!("expected a refusal, got {other:?}"),
        };
        assert_eq!(
            code(verify(secret, &payload, Uuid::now_v7(), now)),
            "PROOF_INVALID"
        );
        assert_eq!(
            code(verify(b"another secret", &payload, key, now)),
            "PROOF_INVALID"
        );
        assert_eq!(
            code(verify(
                secret,
                &payload,
                key,
                now + chrono::Duration::minutes(6)
            )),
            "PROOF_EXPIRED"
        );
        assert_eq!(
            code(verify(secret, "not base64!", key, now)),
            "PROOF_INVALID"
        );
    }

    #[test]
    fn a_forged_salt_is_refused() {
        let secret = b"0123456789abcdef0123456789abcdef";
        let key = Uuid::now_v7();
        let now = Utc::now();
        let c = issue(secret, key, 50, now + chrono::Duration::minutes(5));
        // A later expiry in the salt breaks the hash the signature covers.
        let forged = Challenge {
            salt: c.salt.replace("?expires=", "?expires=9"),
            ..c.clone()
        };
        assert!(verify(secret, &payload(&forged, &c), key, now).is_err());
    }
}
