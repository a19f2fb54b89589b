//! Encryption at rest for personal data: storytellers' legal names, contacts,
//! guardian details and private notes.
//!
//! A database dump or backup must not expose the people whose stories we hold,
//! so these columns store `v1:<key id>:<nonce || ciphertext || tag>` made with
//! AES-256-GCM. The key id travels with every value so keys can rotate: the
//! current key encrypts, older keys stay configured only to decrypt until
//! `chorus keys rotate` has re-encrypted everything. Each value is bound to a
//! context (table, column and row) so it cannot be copied elsewhere and still
//! decrypt.

use std::fmt;
use std::io::{self, Write};
use std::path::Path;

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use base64::Engine;
use base64::alphabet;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

/// Names the envelope layout, so a later change of algorithm or layout can be
/// told apart from values already stored.
const VERSION: &str = "v1";
const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
const MAX_ID_LEN: usize = 32;
const SPEC_FORMAT: &str = "expected <id>:<base64 of 32 bytes>";

type Nonce = aes_gcm::aead::Nonce<Aes256Gcm>;

/// Keys are pasted into environment variables and files by people, so either
/// base64 alphabet is accepted, with or without padding.
const LENIENT_PADDING: GeneralPurposeConfig =
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
const STANDARD_LENIENT: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT_PADDING);
const URL_SAFE_LENIENT: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT_PADDING);

/// One 256-bit key and its id.
#[derive(Clone)]
pub struct Key {
    id: String,
    cipher: Aes256Gcm,
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// The current key (encrypts) and older keys (decrypt only), by id.
#[derive(Clone)]
pub struct KeyRing {
    current: Key,
    old: Vec<Key>,
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let old: Vec<&str> = self.old.iter().map(|key| key.id.as_str()).collect();
        f.debug_struct("KeyRing")
            .field("current", &self.current.id)
            .field("old", &old)
            .finish()
    }
}

/// Why a stored value could not be turned back into text.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    #[error("the value was encrypted with key `{0}`, which is not configured")]
    UnknownKey(String),
    #[error("the stored value is not an encrypted value")]
    Malformed,
    #[error("the stored value could not be decrypted (wrong key or tampered)")]
    Decrypt,
}

impl KeyRing {
    /// Parses `current` ("<id>:<base64 of exactly 32 bytes>") and an optional
    /// comma-separated list of old keys in the same form. Ids: 1–32 chars of
    /// [A-Za-z0-9_-], unique across current+old. Base64: standard or URL-safe,
    /// padding optional. Surrounding whitespace and empty list entries are
    /// ignored, so an empty old-keys setting means "none".
    ///
    /// The error is a sentence naming which key is wrong and why (prefixed
    /// "current key: " or "old key N: "); it never contains key material.
    pub fn parse(current: &str, old: Option<&str>) -> Result<KeyRing, String> {
        let current = parse_key(current).map_err(|e| format!("current key: {e}"))?;
        let old_specs = old
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|spec| !spec.is_empty());
        let mut ring = KeyRing {
            current,
            old: Vec::new(),
        };
        for (index, spec) in old_specs.enumerate() {
            let key = parse_key(spec).map_err(|e| format!("old key {}: {e}", index + 1))?;
            if ring.find(&key.id).is_some() {
                return Err(format!("duplicate key id `{}`", key.id));
            }
            ring.old.push(key);
        }
        Ok(ring)
    }

    /// A fresh key spec "<id>:<base64>" with a random 32-byte key and an id
    /// like "k" + 8 random hex chars.
    pub fn generate_spec() -> String {
        let id_bytes: [u8; 4] = random_bytes();
        let id: String = id_bytes.iter().map(|b| format!("{b:02x}")).collect();
        // URL-safe without padding so the spec needs no quoting in shells or .env files.
        let key = URL_SAFE_NO_PAD.encode(random_bytes::<KEY_LEN>());
        format!("k{id}:{key}")
    }

    /// The id of the key new values are encrypted with.
    pub fn current_id(&self) -> &str {
        &self.current.id
    }

    /// Encrypts `plaintext`, binding it to `context` (used as AES-GCM
    /// associated data, e.g. "storytellers.legal_name:<row uuid>") so a
    /// ciphertext copied to another row or column does not decrypt. Output:
    /// "v1:<key id>:<base64url-no-pad(12-byte random nonce || ciphertext+tag)>".
    ///
    /// # Panics
    /// Only if the operating system's random number generator is unavailable:
    /// without a fresh nonce, AES-GCM would leak plaintext and the key.
    pub fn encrypt(&self, plaintext: &str, context: &str) -> String {
        // Random 96-bit nonces are safe for far more values than one key will
        // ever encrypt here, and need no counter shared between processes.
        let nonce_bytes: [u8; NONCE_LEN] = random_bytes();
        let payload = Payload {
            msg: plaintext.as_bytes(),
            aad: context.as_bytes(),
        };
        let ciphertext = self
            .current
            .cipher
            .encrypt(&Nonce::from(nonce_bytes), payload)
            .expect("AES-GCM refuses only plaintexts over 64 GiB, which no text column holds");
        let mut sealed = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        sealed.extend_from_slice(&nonce_bytes);
        sealed.extend_from_slice(&ciphertext);
        format!(
            "{VERSION}:{}:{}",
            self.current.id,
            URL_SAFE_NO_PAD.encode(sealed)
        )
    }

    /// Decrypts a value from `encrypt` with whichever configured key its id names.
    pub fn decrypt(&self, stored: &str, context: &str) -> Result<String, CryptoError> {
        let envelope = Envelope::parse(stored).ok_or(CryptoError::Malformed)?;
        let key = self
            .find(envelope.key_id)
            .ok_or_else(|| CryptoError::UnknownKey(envelope.key_id.to_owned()))?;
        let (nonce, ciphertext) = envelope
            .sealed
            .split_first_chunk::<NONCE_LEN>()
            .ok_or(CryptoError::Malformed)?;
        let payload = Payload {
            msg: ciphertext,
            aad: context.as_bytes(),
        };
        let plaintext = key
            .cipher
            .decrypt(&Nonce::from(*nonce), payload)
            .map_err(|_| CryptoError::Decrypt)?;
        // Authentic bytes that are not UTF-8 were not written by `encrypt`,
        // so treat them like any other value we cannot trust.
        String::from_utf8(plaintext).map_err(|_| CryptoError::Decrypt)
    }

    /// True when `stored` was encrypted with a key other than the current one
    /// (so `chorus keys rotate` should re-encrypt it). Malformed values: false.
    /// A well-formed value under an unconfigured key is true: it is not under
    /// the current key, and trying to rotate it reports the missing key.
    pub fn needs_rotation(&self, stored: &str) -> bool {
        Envelope::parse(stored).is_some_and(|envelope| envelope.key_id != self.current.id)
    }

    /// True when the key `id` is configured (current or old).
    pub fn has_key(&self, id: &str) -> bool {
        self.find(id).is_some()
    }

    fn find(&self, id: &str) -> Option<&Key> {
        std::iter::once(&self.current)
            .chain(&self.old)
            .find(|key| key.id == id)
    }
}

/// The id of the key `stored` was encrypted with; `None` when it is not an
/// encrypted value. Backups list these ids, never the keys.
pub fn key_id_of(stored: &str) -> Option<&str> {
    Envelope::parse(stored).map(|envelope| envelope.key_id)
}

/// Reads the key spec stored in `path`, or creates the file with a new spec
/// (mode 0600 on unix, parent directories created) if it does not exist.
/// Returns the spec string (trimmed). Used in development so the embedded
/// database's personal data stays readable across restarts.
pub fn load_or_create_key_file(path: &Path) -> io::Result<String> {
    match std::fs::read_to_string(path) {
        Ok(contents) => non_empty_spec(path, contents),
        Err(e) if e.kind() == io::ErrorKind::NotFound => create_key_file(path),
        Err(e) => Err(e),
    }
}

fn create_key_file(path: &Path) -> io::Result<String> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        crate::owner_only::create_dir_all(parent)?;
    }
    let spec = KeyRing::generate_spec();
    // `create_new` so two processes starting together cannot overwrite each
    // other's key: the loser reads the winner's file instead.
    let mut file = match crate::owner_only::create_new(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            return non_empty_spec(path, std::fs::read_to_string(path)?);
        }
        Err(e) => return Err(e),
    };
    file.write_all(format!("{spec}\n").as_bytes())?;
    // Data encrypted under this key is unreadable if the key is lost in a crash.
    file.sync_all()?;
    Ok(spec)
}

/// An empty key file would otherwise surface later as a confusing parse error.
fn non_empty_spec(path: &Path, contents: String) -> io::Result<String> {
    let spec = contents.trim();
    if spec.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "key file {} is empty; delete it to generate a new key",
                path.display()
            ),
        ));
    }
    Ok(spec.to_owned())
}

/// The parts of a stored value, checked for shape but not yet decrypted.
struct Envelope<'a> {
    key_id: &'a str,
    /// Nonce followed by ciphertext and tag; at least nonce + tag long.
    sealed: Vec<u8>,
}

impl<'a> Envelope<'a> {
    fn parse(stored: &'a str) -> Option<Self> {
        let mut parts = stored.splitn(3, ':');
        let (version, key_id, body) = (parts.next()?, parts.next()?, parts.next()?);
        if version != VERSION || !is_valid_id(key_id) {
            return None;
        }
        let sealed = URL_SAFE_NO_PAD.decode(body).ok()?;
        (sealed.len() >= NONCE_LEN + TAG_LEN).then_some(Envelope { key_id, sealed })
    }
}

/// Parses one "<id>:<base64>" spec. Errors never echo the input: a
/// mis-pasted spec may have key material where the id should be.
fn parse_key(spec: &str) -> Result<Key, String> {
    let (id, encoded) = spec.trim().split_once(':').ok_or(SPEC_FORMAT)?;
    if !is_valid_id(id) {
        return Err(format!(
            "{SPEC_FORMAT}; the id must be 1–{MAX_ID_LEN} characters of A-Z, a-z, 0-9, `_` or `-`"
        ));
    }
    let bytes = decode_key(encoded)?;
    if bytes.len() != KEY_LEN {
        return Err(format!(
            "the key must be {KEY_LEN} bytes, got {}",
            bytes.len()
        ));
    }
    let cipher = Aes256Gcm::new_from_slice(&bytes)
        .map_err(|_| format!("the key must be {KEY_LEN} bytes"))?;
    Ok(Key {
        id: id.to_owned(),
        cipher,
    })
}

fn decode_key(encoded: &str) -> Result<Vec<u8>, String> {
    // The decoder's own error names the offending byte, which is key material.
    STANDARD_LENIENT
        .decode(encoded)
        .or_else(|_| URL_SAFE_LENIENT.decode(encoded))
        .map_err(|_| format!("{SPEC_FORMAT}; the key is not valid base64"))
}

fn is_valid_id(id: &str) -> bool {
    (1..=MAX_ID_LEN).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect(
        "the operating system's random number generator is unavailable, \
         so no encryption key or nonce can be made safely",
    );
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::STANDARD;

    const CONTEXT: &str = "storytellers.legal_name:7f1c2a9e-0000-4000-8000-000000000001";

    fn spec(id: &str, byte: u8) -> String {
        format!("{id}:{}", STANDARD.encode([byte; KEY_LEN]))
    }

    fn ring(id: &str, byte: u8) -> KeyRing {
        KeyRing::parse(&spec(id, byte), None).unwrap()
    }

    fn decode_body(stored: &str) -> (String, Vec<u8>) {
        let (prefix, body) = stored.rsplit_once(':').unwrap();
        (prefix.to_owned(), URL_SAFE_NO_PAD.decode(body).unwrap())
    }

    #[test]
    fn round_trips_any_text() {
        let ring = ring("k1", 1);
        for text in [
            "Amina Yusuf",
            "",
            "أمينة يوسف",
            "🌍✈️🏠 Tiếng Việt, 中文, Ελληνικά",
            "line one\nline two",
        ] {
            let stored = ring.encrypt(text, CONTEXT);
            assert_eq!(ring.decrypt(&stored, CONTEXT).unwrap(), text);
        }
    }

    #[test]
    fn output_names_version_and_key_and_hides_plaintext() {
        let stored = ring("k1", 1).encrypt("Amina Yusuf", CONTEXT);
        assert!(stored.starts_with("v1:k1:"), "{stored}");
        assert!(!stored.contains("Amina"));
        let (_, sealed) = decode_body(&stored);
        assert_eq!(sealed.len(), NONCE_LEN + "Amina Yusuf".len() + TAG_LEN);
    }

    #[test]
    fn same_plaintext_encrypts_differently_each_time() {
        let ring = ring("k1", 1);
        let first = ring.encrypt("Amina Yusuf", CONTEXT);
        let second = ring.encrypt("Amina Yusuf", CONTEXT);
        assert_ne!(first, second);
        assert_ne!(
            decode_body(&first).1[..NONCE_LEN],
            decode_body(&second).1[..NONCE_LEN]
        );
    }

    #[test]
    fn ciphertext_does_not_decrypt_under_another_context() {
        let ring = ring("k1", 1);
        let stored = ring.encrypt("Amina Yusuf", CONTEXT);
        for other in [
            "storytellers.legal_name:7f1c2a9e-0000-4000-8000-000000000002",
            "storytellers.contact:7f1c2a9e-0000-4000-8000-000000000001",
            "",
        ] {
            assert_eq!(ring.decrypt(&stored, other), Err(CryptoError::Decrypt));
        }
    }

    #[test]
    fn tampering_with_any_byte_fails_to_decrypt() {
        let ring = ring("k1", 1);
        let stored = ring.encrypt("+44 7700 900123", CONTEXT);
        let (prefix, sealed) = decode_body(&stored);
        for index in 0..sealed.len() {
            let mut tampered = sealed.clone();
            tampered[index] ^= 0x01;
            let tampered = format!("{prefix}:{}", URL_SAFE_NO_PAD.encode(&tampered));
            assert_eq!(
                ring.decrypt(&tampered, CONTEXT),
                Err(CryptoError::Decrypt),
                "byte {index}"
            );
        }
    }

    #[test]
    fn a_different_key_with_the_same_id_fails_to_decrypt() {
        let stored = ring("k1", 1).encrypt("Amina Yusuf", CONTEXT);
        assert_eq!(
            ring("k1", 2).decrypt(&stored, CONTEXT),
            Err(CryptoError::Decrypt)
        );
    }

    #[test]
    fn values_from_an_old_key_decrypt_after_rotation_and_need_rotating() {
        let before = ring("k1", 1);
        let old_value = before.encrypt("Amina Yusuf", CONTEXT);
        assert!(!before.needs_rotation(&old_value));

        let after = KeyRing::parse(&spec("k2", 2), Some(&spec("k1", 1))).unwrap();
        assert_eq!(after.current_id(), "k2");
        assert_eq!(after.decrypt(&old_value, CONTEXT).unwrap(), "Amina Yusuf");
        assert!(after.needs_rotation(&old_value));

        let new_value = after.encrypt("Amina Yusuf", CONTEXT);
        assert!(new_value.starts_with("v1:k2:"));
        assert!(!after.needs_rotation(&new_value));
    }

    #[test]
    fn malformed_values_do_not_need_rotation() {
        let ring = ring("k1", 1);
        for garbage in ["", "Amina Yusuf", "v1:k0:not base64!", "v2:k0:AAAA"] {
            assert!(!ring.needs_rotation(garbage), "{garbage}");
        }
    }

    #[test]
    fn a_value_from_an_unconfigured_key_is_unknown_key() {
        let stored = ring("gone", 1).encrypt("Amina Yusuf", CONTEXT);
        let ring = KeyRing::parse(&spec("k2", 2), Some(&spec("k1", 1))).unwrap();
        assert_eq!(
            ring.decrypt(&stored, CONTEXT),
            Err(CryptoError::UnknownKey("gone".to_owned()))
        );
        assert!(ring.needs_rotation(&stored));
    }

    #[test]
    fn garbage_is_malformed() {
        let ring = ring("k1", 1);
        let valid = ring.encrypt("Amina Yusuf", CONTEXT);
        let (_, body) = valid.rsplit_once(':').unwrap();
        let too_short = URL_SAFE_NO_PAD.encode([0u8; NONCE_LEN + TAG_LEN - 1]);
        for garbage in [
            String::new(),
            "Amina Yusuf".to_owned(),
            "v1".to_owned(),
            "v1:k1".to_owned(),
            "v1:k1:".to_owned(),
            format!("v2:k1:{body}"),
            format!("v1::{body}"),
            format!("v1:bad id:{body}"),
            format!("v1:k1:{body}:extra"),
            format!("v1:k1:{body}="),
            "v1:k1:not base64!".to_owned(),
            format!("v1:k1:{too_short}"),
        ] {
            assert_eq!(
                ring.decrypt(&garbage, CONTEXT),
                Err(CryptoError::Malformed),
                "{garbage}"
            );
        }
    }

    #[test]
    fn parse_accepts_either_base64_alphabet_with_or_without_padding() {
        // 0xfb bytes encode to `+`/`/` in standard base64 and `-`/`_` in URL-safe.
        let key = [0xfb; KEY_LEN];
        let engines = [
            base64::engine::general_purpose::STANDARD,
            base64::engine::general_purpose::STANDARD_NO_PAD,
            base64::engine::general_purpose::URL_SAFE,
            base64::engine::general_purpose::URL_SAFE_NO_PAD,
        ];
        let values: Vec<String> = engines
            .iter()
            .map(|engine| {
                let ring = KeyRing::parse(&format!("k-1_A:{}", engine.encode(key)), None).unwrap();
                ring.encrypt("Amina Yusuf", CONTEXT)
            })
            .collect();
        let reference = KeyRing::parse(&format!("k-1_A:{}", STANDARD.encode(key)), None).unwrap();
        for value in values {
            assert_eq!(reference.decrypt(&value, CONTEXT).unwrap(), "Amina Yusuf");
        }
    }

    #[test]
    fn parse_ignores_whitespace_and_empty_old_key_entries() {
        let ring = KeyRing::parse(
            &format!("  {}\n", spec("k3", 3)),
            Some(&format!(" {} , ,{},", spec("k1", 1), spec("k2", 2))),
        )
        .unwrap();
        assert_eq!(
            format!("{ring:?}"),
            r#"KeyRing { current: "k3", old: ["k1", "k2"] }"#
        );
        assert!(KeyRing::parse(&spec("k3", 3), Some("")).is_ok());
    }

    #[test]
    fn parse_rejects_bad_specs_without_revealing_the_key() {
        let short = STANDARD.encode([7u8; 16]);
        let long = STANDARD.encode([7u8; 33]);
        let good = STANDARD.encode([7u8; KEY_LEN]);
        // Mixing the two alphabets in one key is a paste error, not either form.
        let mixed = STANDARD.encode([0xfb; KEY_LEN]).replacen('+', "-", 1);
        let cases: Vec<(String, Option<String>, &str)> = vec![
            (good.clone(), None, "expected <id>:<base64 of 32 bytes>"),
            (
                format!("k1:{short}"),
                None,
                "the key must be 32 bytes, got 16",
            ),
            (
                format!("k1:{long}"),
                None,
                "the key must be 32 bytes, got 33",
            ),
            (format!("k1:{good}!"), None, "not valid base64"),
            (format!("k1:{mixed}"), None, "not valid base64"),
            (
                format!("k1:{good} "),
                Some(format!("k2:{short}")),
                "old key 1",
            ),
            (format!(":{good}"), None, "the id must be"),
            (format!("bad id:{good}"), None, "the id must be"),
            (format!("{}:{good}", "k".repeat(33)), None, "the id must be"),
            (format!("{good}:k1"), None, "the id must be"),
            (
                format!("a:{good}"),
                Some(format!("a:{good}")),
                "duplicate key id `a`",
            ),
            (
                format!("a:{good}"),
                Some(format!("b:{good},b:{good}")),
                "duplicate key id `b`",
            ),
        ];
        for (current, old, expected) in cases {
            let error = KeyRing::parse(&current, old.as_deref()).unwrap_err();
            assert!(
                error.contains(expected),
                "{error:?} should mention {expected:?}"
            );
            for secret in [&short, &long, &good, &mixed] {
                let material = secret.trim_end_matches('=');
                assert!(
                    !error.contains(&material[..8]),
                    "{error:?} leaks key material"
                );
            }
        }
    }

    #[test]
    fn generated_specs_parse_and_differ() {
        let first = KeyRing::generate_spec();
        let second = KeyRing::generate_spec();
        assert_ne!(first, second);
        let (id, _) = first.split_once(':').unwrap();
        assert_eq!(id.len(), 9);
        assert!(id.starts_with('k'));
        assert!(id[1..].bytes().all(|b| b.is_ascii_hexdigit()));
        let ring = KeyRing::parse(&first, None).unwrap();
        assert_eq!(ring.current_id(), id);
        let stored = ring.encrypt("Amina Yusuf", CONTEXT);
        assert_eq!(ring.decrypt(&stored, CONTEXT).unwrap(), "Amina Yusuf");
    }

    #[test]
    fn debug_shows_key_ids_only() {
        let generated = KeyRing::generate_spec();
        let ring = KeyRing::parse(&generated, Some(&spec("old", 9))).unwrap();
        let (id, material) = generated.split_once(':').unwrap();
        for shown in [format!("{ring:?}"), format!("{:?}", ring.current)] {
            assert!(shown.contains(id), "{shown}");
            assert!(!shown.contains(material), "{shown}");
        }
        assert!(format!("{ring:?}").contains("old"));
    }

    #[test]
    fn key_file_is_created_once_then_reread() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested").join("dir").join("data.key");
        let created = load_or_create_key_file(&path).unwrap();
        assert!(KeyRing::parse(&created, None).is_ok());
        assert_eq!(load_or_create_key_file(&path).unwrap(), created);
        assert_eq!(std::fs::read_to_string(&path).unwrap().trim(), created);

        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn key_file_is_read_trimmed_and_an_empty_one_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data.key");
        let spec = spec("k1", 1);
        std::fs::write(&path, format!("\n {spec} \r\n")).unwrap();
        assert_eq!(load_or_create_key_file(&path).unwrap(), spec);

        std::fs::write(&path, "  \n").unwrap();
        let error = load_or_create_key_file(&path).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
    }
}
