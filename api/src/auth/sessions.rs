//! Login sessions: sign in, rotate refresh tokens, detect reuse, sign out.
//!
//! A login starts a session (a token family). Each refresh spends the presented
//! refresh token and issues a new one; presenting a spent token again means it was
//! copied, so the whole session is revoked and every token of it stops working,
//! including access tokens already issued (they name their session, and each
//! request checks it is still live).

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use entity::{refresh_token, session, user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, QueryFilter, Set, sea_query::Expr,
};
use uuid::Uuid;

use super::{
    Principal, password,
    principal::Staff,
    rate_limit::{self, Purpose},
    sha256_hex,
    tokens::TokenKeys,
    users,
};
use crate::{
    config::AuthConfig,
    error::{Error, Result},
};

/// What a successful login or refresh hands back.
#[derive(Debug, Clone)]
pub struct SessionTokens {
    pub access_token: String,
    pub access_token_expires_at: DateTime<Utc>,
    pub refresh_token: String,
    pub refresh_token_expires_at: DateTime<Utc>,
    pub user: user::Model,
}

/// The single answer to every failed login, so unknown accounts and wrong passwords look alike.
fn bad_credentials() -> Error {
    Error::Unauthenticated("invalid email or password".into())
}

fn bad_refresh_token() -> Error {
    Error::Unauthenticated("invalid, expired or revoked refresh token".into())
}

/// Signs in with email and password.
pub async fn login(
    db: &DatabaseConnection,
    keys: &TokenKeys,
    config: &AuthConfig,
    email: &str,
    plain_password: &str,
    client_address: &str,
    now: DateTime<Utc>,
) -> Result<SessionTokens> {
    let email_key = email.trim().to_lowercase();
    // Reserved before the hash is checked, so parallel guesses cannot overtake the count.
    let attempt = rate_limit::reserve(
        db,
        Purpose::StaffLogin,
        login_limits(config),
        Some(&email_key),
        client_address,
        now,
    )
    .await?;

    let user = users::find_by_email(db, email).await?;
    let user = match user {
        // Verify first, so a disabled account costs the same time as any other.
        Some(user)
            if password::verify(plain_password, &user.password_hash)
                && user.disabled_at.is_none() =>
        {
            user
        }
        Some(_) => return Err(bad_credentials()),
        None => {
            password::verify_against_nothing(plain_password);
            return Err(bad_credentials());
        }
    };

    let txn = crate::db::begin_write(db).await?;
    // Only while the password just checked is still the account's and the account
    // is enabled: a password change or a disabling that commits first wins, and
    // one that waits for this row sees the session this login adds and ends it.
    let current = user::Entity::update_many()
        .col_expr(user::Column::LastLoginAt, Expr::value(now))
        .filter(user::Column::Id.eq(user.id))
        .filter(user::Column::PasswordHash.eq(user.password_hash.as_str()))
        .filter(user::Column::DisabledAt.is_null())
        .exec(&txn)
        .await?;
    if current.rows_affected != 1 {
        txn.rollback().await?;
        return Err(bad_credentials());
    }
    rate_limit::succeeded(&txn, attempt).await?;
    let user = user::Model {
        last_login_at: Some(now),
        ..user
    };
    let session_id = Uuid::now_v7();
    let refresh_expires_at = now + refresh_ttl(config);
    session::ActiveModel {
        id: Set(session_id),
        user_id: Set(user.id),
        created_at: Set(now),
        expires_at: Set(refresh_expires_at),
        revoked_at: Set(None),
        revoked_reason: Set(None),
    }
    .insert(&txn)
    .await?;
    tracing::info!(user_id = %user.id, %session_id, "signed in");
    issue_pair(txn, keys, user, session_id, refresh_expires_at, now).await
}

/// Spends a refresh token and issues a new pair; a spent token revokes its session.
pub async fn refresh(
    db: &DatabaseConnection,
    keys: &TokenKeys,
    config: &AuthConfig,
    presented: &str,
    now: DateTime<Utc>,
) -> Result<SessionTokens> {
    let token_hash = sha256_hex(presented.as_bytes());
    let Some((token, Some(session))) = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(token_hash))
        .find_also_related(session::Entity)
        .one(db)
        .await?
    else {
        return Err(bad_refresh_token());
    };
    if session.revoked_at.is_some() {
        return Err(bad_refresh_token());
    }
    if token.used_at.is_some() {
        revoke(db, session.id, "refresh token reuse", now).await?;
        tracing::warn!(session_id = %session.id, "refresh token reused; session revoked");
        return Err(bad_refresh_token());
    }
    if token.expires_at <= now {
        return Err(bad_refresh_token());
    }
    let user = user::Entity::find_by_id(session.user_id)
        .one(db)
        .await?
        .filter(|u| u.disabled_at.is_none())
        .ok_or_else(bad_refresh_token)?;

    let txn = crate::db::begin_write(db).await?;
    // Spend the token only if nobody else spent it first; losing that race is reuse too.
    let spent = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::UsedAt, Expr::value(now))
        .filter(refresh_token::Column::Id.eq(token.id))
        .filter(refresh_token::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    if spent.rows_affected != 1 {
        txn.rollback().await?;
        revoke(db, session.id, "refresh token reuse", now).await?;
        tracing::warn!(session_id = %session.id, "refresh token raced; session revoked");
        return Err(bad_refresh_token());
    }
    let refresh_expires_at = now + refresh_ttl(config);
    session::Entity::update_many()
        .col_expr(session::Column::ExpiresAt, Expr::value(refresh_expires_at))
        .filter(session::Column::Id.eq(session.id))
        .exec(&txn)
        .await?;
    issue_pair(txn, keys, user, session.id, refresh_expires_at, now).await
}

/// Ends a session: its refresh tokens and access tokens stop working at once.
pub async fn revoke(
    db: &impl ConnectionTrait,
    session_id: Uuid,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now))
        .col_expr(session::Column::RevokedReason, Expr::value(reason))
        .filter(session::Column::Id.eq(session_id))
        .filter(session::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Ends every live session of a user (a password change, a disabling, an
/// admin's order); returns how many were live.
pub async fn end_all(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<u64> {
    let ended = session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now))
        .col_expr(session::Column::RevokedReason, Expr::value(reason))
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    if ended.rows_affected > 0 {
        tracing::info!(%user_id, sessions = ended.rows_affected, reason, "sessions ended");
    }
    Ok(ended.rows_affected)
}

/// Resolves a bearer access token to the staff member behind it.
pub async fn authenticate(
    db: &impl ConnectionTrait,
    keys: &TokenKeys,
    bearer: &str,
    now: DateTime<Utc>,
) -> Result<Principal> {
    let claims = keys.verify(bearer, now)?;
    resume(db, claims.sub, claims.sid).await
}

/// The staff member of a login session that is still live (not revoked, the
/// user not disabled): how bearer tokens and staff media links are checked.
pub async fn resume(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    session_id: Uuid,
) -> Result<Principal> {
    let found = session::Entity::find_by_id(session_id)
        .find_also_related(user::Entity)
        .one(db)
        .await?;
    match found {
        Some((session, Some(user)))
            if session.user_id == user_id
                && session.revoked_at.is_none()
                && user.disabled_at.is_none() =>
        {
            Ok(Principal::Staff(Staff {
                user_id: user.id,
                email: user.email,
                role: user.role,
                session_id: session.id,
                organisation_id: user.organisation_id,
            }))
        }
        _ => Err(Error::Unauthenticated(
            "this session has ended; sign in again".into(),
        )),
    }
}

/// Stores a new refresh token for the session, commits, and issues the access token.
async fn issue_pair(
    txn: DatabaseTransaction,
    keys: &TokenKeys,
    user: user::Model,
    session_id: Uuid,
    refresh_expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<SessionTokens> {
    let refresh_token = insert_refresh_token(&txn, session_id, refresh_expires_at, now).await?;
    txn.commit().await?;
    let (access_token, access_token_expires_at) = keys.issue(user.id, session_id, now)?;
    Ok(SessionTokens {
        access_token,
        access_token_expires_at,
        refresh_token,
        refresh_token_expires_at: refresh_expires_at,
        user,
    })
}

async fn insert_refresh_token(
    db: &impl ConnectionTrait,
    session_id: Uuid,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<String> {
    let token = format!(
        "chorus_rt_{}",
        URL_SAFE_NO_PAD.encode(super::random_bytes(32))
    );
    refresh_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        session_id: Set(session_id),
        token_hash: Set(sha256_hex(token.as_bytes())),
        created_at: Set(now),
        expires_at: Set(expires_at),
        used_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(token)
}

fn login_limits(config: &AuthConfig) -> rate_limit::Limits {
    rate_limit::Limits {
        window: config.login_window,
        per_account: Some(config.login_max_failures_per_account),
        per_address: config.login_max_failures_per_address,
    }
}

fn refresh_ttl(config: &AuthConfig) -> chrono::Duration {
    chrono::Duration::from_std(config.refresh_token_ttl).unwrap_or(chrono::Duration::days(14))
}
