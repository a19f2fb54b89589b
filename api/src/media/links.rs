//! Signed media links: the `/media/{id}/{variant}?t=…` URLs Chorus hands out when
//! it serves the bytes itself (local disk, and private items on any backend).
//!
//! A link names one item, one variant and who it was issued to (an API key, the
//! anonymous public, or a staff member's login session) and expires after
//! `CHORUS_MEDIA_URL_TTL`. Holding a link is never enough on its own: every
//! request re-checks, as that reader, everything that allowed the link, so a
//! withdrawal or a revoked key stops a link already handed out at once. Links are
//! HS256 JWTs under the server's JWT secret with an audience of their own, so an
//! access token is not a media link and a media link is not an access token.

use std::time::Duration;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use uuid::Uuid;

use crate::{
    config::AuthConfig,
    error::{Error, Result},
};

/// The audience of media links; access tokens carry another.
const AUDIENCE: &str = "chorus-media";

/// Who a link was issued to; the request is checked again as them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "lowercase")]
pub enum Holder {
    /// A consumer reading with this API key.
    Key { k: Uuid },
    /// An anonymous reader on `PUBLIC_WEB` (only while public reads are on).
    Public,
    /// A staff member in this login session.
    Staff { u: Uuid, s: Uuid },
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims<S = String> {
    /// The media item.
    sub: Uuid,
    /// The variant (`original`, `w800.webp`, …).
    var: S,
    who: Holder,
    iat: i64,
    exp: i64,
    iss: S,
    aud: S,
}

/// What a valid link says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub media_id: Uuid,
    pub variant: String,
    pub holder: Holder,
}

/// Signs and checks media links.
#[derive(Clone)]
pub struct LinkKeys {
    /// The HMAC keyed once: a list page signs a hundred links, and keying the
    /// MAC for each (what `jsonwebtoken::encode` does) was a third of the work.
    mac: Hmac<Sha256>,
    /// `base64url(header) + "."`, the same for every link.
    header: String,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
}

impl std::fmt::Debug for LinkKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkKeys").finish_non_exhaustive()
    }
}

impl LinkKeys {
    pub fn new(config: &AuthConfig) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[&config.jwt_issuer]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        // A link ends at the `expiresAt` it was handed out with, not a grace later
        // (`verify` checks it against the request's clock).
        validation.leeway = 0;
        let secret = config.jwt_secret.as_bytes();
        let header = serde_json::to_vec(&Header::new(Algorithm::HS256))
            .map(|json| format!("{}.", URL_SAFE_NO_PAD.encode(json)))
            .unwrap_or_default();
        Self {
            mac: Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes a key of any length"),
            header,
            decoding: DecodingKey::from_secret(config.jwt_secret.as_bytes()),
            validation,
            issuer: config.jwt_issuer.clone(),
        }
    }

    /// A link token for `variant` of `media_id`, valid for `ttl` (to the whole
    /// second, which is what the token can say), and when it ends.
    pub fn sign(
        &self,
        media_id: Uuid,
        variant: &str,
        holder: Holder,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> Result<(String, DateTime<Utc>)> {
        let ends = now + chrono::Duration::from_std(ttl).map_err(Error::internal)?;
        // The stated end is the token's own `exp`, so the two cannot differ.
        let expires_at = DateTime::from_timestamp(ends.timestamp(), 0).ok_or_else(|| {
            Error::internal(std::io::Error::other("a media link's end is out of range"))
        })?;
        let claims = Claims {
            sub: media_id,
            var: variant,
            who: holder,
            iat: now.timestamp(),
            exp: expires_at.timestamp(),
            iss: self.issuer.as_str(),
            aud: AUDIENCE,
        };
        // An HS256 JWT, as `jsonwebtoken::encode` writes it (a test holds the two
        // equal): header and claims in base64url, then the MAC of both.
        let mut json = Vec::with_capacity(256);
        serde_json::to_writer(&mut json, &claims).map_err(Error::internal)?;
        let mut token = String::with_capacity(self.header.len() + json.len() * 2 + 48);
        token.push_str(&self.header);
        URL_SAFE_NO_PAD.encode_string(&json, &mut token);
        let mut mac = self.mac.clone();
        mac.update(token.as_bytes());
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(mac.finalize().into_bytes(), &mut token);
        Ok((token, expires_at))
    }

    /// What a token says, if it is ours, for this item and variant, and `now` is
    /// before its end; `None` otherwise (the caller answers 404 whatever the
    /// reason).
    pub fn verify(
        &self,
        token: &str,
        media_id: Uuid,
        variant: &str,
        now: DateTime<Utc>,
    ) -> Option<Link> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| tracing::debug!(reason = %e, "media link rejected"))
            .ok()?;
        let claims = data.claims;
        let live = now.timestamp() < claims.exp;
        (live && claims.sub == media_id && claims.var == variant).then_some(Link {
            media_id,
            variant: claims.var,
            holder: claims.who,
        })
    }
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::EncodingKey;

    use super::*;
    use crate::config::Config;

    fn keys() -> LinkKeys {
        LinkKeys::new(&Config::from_map(&Default::default()).unwrap().auth)
    }

    #[test]
    fn a_link_opens_only_its_own_item_and_variant() {
        let keys = keys();
        let (id, other) = (Uuid::now_v7(), Uuid::now_v7());
        let holder = Holder::Key { k: Uuid::now_v7() };
        let (token, _) = keys
            .sign(id, "w800.jpg", holder, Duration::from_secs(60), Utc::now())
            .unwrap();
        let link = keys.verify(&token, id, "w800.jpg", Utc::now()).unwrap();
        assert_eq!(link.holder, holder);
        assert!(keys.verify(&token, other, "w800.jpg", Utc::now()).is_none());
        assert!(keys.verify(&token, id, "original", Utc::now()).is_none());
        let mut tampered = token.clone();
        tampered.pop();
        assert!(keys.verify(&tampered, id, "w800.jpg", Utc::now()).is_none());
    }

    #[test]
    fn a_link_is_the_jwt_jsonwebtoken_would_write() {
        let config = Config::from_map(&Default::default()).unwrap();
        let keys = LinkKeys::new(&config.auth);
        let (id, key) = (Uuid::now_v7(), Uuid::now_v7());
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let (token, expires_at) = keys
            .sign(
                id,
                "w800.webp",
                Holder::Key { k: key },
                Duration::from_secs(300),
                now,
            )
            .unwrap();
        let claims = Claims {
            sub: id,
            var: "w800.webp".to_owned(),
            who: Holder::Key { k: key },
            iat: now.timestamp(),
            exp: expires_at.timestamp(),
            iss: config.auth.jwt_issuer.clone(),
            aud: AUDIENCE.to_owned(),
        };
        let expected = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(config.auth.jwt_secret.as_bytes()),
        )
        .unwrap();
        assert_eq!(token, expected);
    }

    #[test]
    fn expired_links_and_access_tokens_do_not_open_media() {
        let keys = keys();
        let id = Uuid::now_v7();
        let long_ago = Utc::now() - chrono::Duration::hours(1);
        let (token, _) = keys
            .sign(
                id,
                "original",
                Holder::Public,
                Duration::from_secs(60),
                long_ago,
            )
            .unwrap();
        assert!(keys.verify(&token, id, "original", Utc::now()).is_none());

        let config = Config::from_map(&Default::default()).unwrap();
        let access = crate::auth::tokens::TokenKeys::new(&config.auth);
        let (bearer, _) = access.issue(id, Uuid::now_v7(), Utc::now()).unwrap();
        assert!(keys.verify(&bearer, id, "original", Utc::now()).is_none());
    }

    #[test]
    fn a_link_ends_at_the_stated_expiry_to_the_second() {
        let keys = keys();
        let id = Uuid::now_v7();
        let issued = Utc::now();
        let (token, expires_at) = keys
            .sign(
                id,
                "original",
                Holder::Public,
                Duration::from_secs(60),
                issued,
            )
            .unwrap();
        assert_eq!(
            expires_at.timestamp(),
            (issued + chrono::Duration::seconds(60)).timestamp()
        );
        assert_eq!(
            expires_at.timestamp_subsec_nanos(),
            0,
            "whole seconds, as in the token"
        );
        let just_before = expires_at - chrono::Duration::milliseconds(1);
        assert!(keys.verify(&token, id, "original", just_before).is_some());
        assert!(keys.verify(&token, id, "original", expires_at).is_none());
    }
}
