//! Access tokens: short-lived HS256 JWTs naming a user and their login session.
//!
//! The algorithm is pinned, and `exp`, `iat`, `iss`, `aud` and `sub` are all
//! required and checked, as is `nbf` when a token has one; any failure is the same `UNAUTHENTICATED` to the client
//! (the reason is logged at debug level only), so a probing client learns nothing.

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    config::AuthConfig,
    error::{Error, Result},
};

/// Seconds of clock difference tolerated between Chorus nodes.
const LEEWAY_SECS: u64 = 30;

/// What an access token says.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessClaims {
    /// The user's id.
    pub sub: Uuid,
    /// The login session the token belongs to; revoking it ends the token too.
    pub sid: Uuid,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
}

/// Signs and checks access tokens with the configured key.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    ttl: chrono::Duration,
}

impl TokenKeys {
    /// Keys and rules from the auth configuration.
    pub fn new(config: &AuthConfig) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[&config.jwt_issuer]);
        validation.set_audience(&[&config.jwt_audience]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = LEEWAY_SECS;
        // Chorus issues no `nbf`, but a token that carries one is not valid before it.
        validation.validate_nbf = true;
        Self {
            encoding: EncodingKey::from_secret(config.jwt_secret.as_bytes()),
            decoding: DecodingKey::from_secret(config.jwt_secret.as_bytes()),
            validation,
            issuer: config.jwt_issuer.clone(),
            audience: config.jwt_audience.clone(),
            ttl: chrono::Duration::from_std(config.access_token_ttl)
                .unwrap_or(chrono::Duration::minutes(15)),
        }
    }

    /// A new access token for `user_id` in session `session_id`, and when it expires.
    pub fn issue(
        &self,
        user_id: Uuid,
        session_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<(String, DateTime<Utc>)> {
        let expires_at = now + self.ttl;
        let claims = AccessClaims {
            sub: user_id,
            sid: session_id,
            iat: now.timestamp(),
            exp: expires_at.timestamp(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(Error::internal)?;
        Ok((token, expires_at))
    }

    /// The claims of a valid token, or `Unauthenticated`.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<AccessClaims> {
        let data = jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &self.validation)
            .map_err(|e| {
                tracing::debug!(reason = %e, "access token rejected");
                invalid_token()
            })?;
        // jsonwebtoken does not check `iat`; a token issued in the future was not issued by us.
        if data.claims.iat > now.timestamp() + LEEWAY_SECS as i64 {
            tracing::debug!("access token rejected: issued in the future");
            return Err(invalid_token());
        }
        Ok(data.claims)
    }
}

fn invalid_token() -> Error {
    Error::Unauthenticated("invalid or expired access token".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn keys() -> TokenKeys {
        TokenKeys::new(&Config::from_map(&Default::default()).unwrap().auth)
    }

    #[test]
    fn issued_tokens_verify_and_carry_their_session() {
        let keys = keys();
        let (user, session) = (Uuid::now_v7(), Uuid::now_v7());
        let now = Utc::now();
        let (token, exp) = keys.issue(user, session, now).unwrap();
        let claims = keys.verify(&token, now).unwrap();
        assert_eq!(claims.sub, user);
        assert_eq!(claims.sid, session);
        assert_eq!(claims.exp, exp.timestamp());
    }

    #[test]
    fn tokens_from_another_key_are_refused() {
        let (token, _) = keys()
            .issue(Uuid::now_v7(), Uuid::now_v7(), Utc::now())
            .unwrap();
        let err = keys().verify(&token, Utc::now()).unwrap_err();
        assert_eq!(err.code(), "UNAUTHENTICATED");
    }

    #[test]
    fn tokens_issued_in_the_future_are_refused() {
        let keys = keys();
        let later = Utc::now() + chrono::Duration::minutes(5);
        let (token, _) = keys.issue(Uuid::now_v7(), Uuid::now_v7(), later).unwrap();
        assert!(keys.verify(&token, Utc::now()).is_err());
    }
}
