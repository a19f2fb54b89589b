//! Login throttling per account and per client address, kept in the database.
//!
//! Attempts are rows rather than process memory so that every Chorus node behind
//! a load balancer sees the same counts. An account's count restarts after a
//! successful login; an address's does not (one address guessing many accounts
//! is the pattern to stop).

use chrono::{DateTime, Utc};
use entity::login_attempt;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use crate::{
    config::AuthConfig,
    error::{Error, Result},
};

/// Longest client address kept (an IPv6 address is at most 45 characters).
const MAX_ADDRESS_LEN: usize = 64;

/// Refuses with `RateLimited` when the account or the address has failed too often.
pub async fn check(
    db: &impl ConnectionTrait,
    config: &AuthConfig,
    email: &str,
    client_address: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let window =
        chrono::Duration::from_std(config.login_window).unwrap_or(chrono::Duration::minutes(15));
    let window_start = now - window;

    let last_success = login_attempt::Entity::find()
        .filter(login_attempt::Column::Email.eq(email))
        .filter(login_attempt::Column::Succeeded.eq(true))
        .filter(login_attempt::Column::AttemptedAt.gt(window_start))
        .order_by_desc(login_attempt::Column::AttemptedAt)
        .one(db)
        .await?
        .map(|a| a.attempted_at);
    let account_since = last_success.map_or(window_start, |t| t.max(window_start));
    let account_failures = failures(db, login_attempt::Column::Email, email, account_since).await?;
    let address = truncate(client_address);
    let address_failures = failures(
        db,
        login_attempt::Column::ClientAddress,
        &address,
        window_start,
    )
    .await?;

    let limited = if account_failures >= u64::from(config.login_max_failures_per_account) {
        Some((
            login_attempt::Column::Email,
            email.to_owned(),
            account_since,
        ))
    } else if address_failures >= u64::from(config.login_max_failures_per_address) {
        Some((login_attempt::Column::ClientAddress, address, window_start))
    } else {
        None
    };
    let Some((column, value, since)) = limited else {
        return Ok(());
    };
    // The limit lifts when the oldest counted failure leaves the window.
    let oldest = login_attempt::Entity::find()
        .filter(column.eq(value))
        .filter(login_attempt::Column::Succeeded.eq(false))
        .filter(login_attempt::Column::AttemptedAt.gt(since))
        .order_by_asc(login_attempt::Column::AttemptedAt)
        .limit(1)
        .one(db)
        .await?
        .map_or(now, |a| a.attempted_at);
    let retry_after_secs = (oldest + window - now).num_seconds().max(1) as u64;
    tracing::warn!(retry_after_secs, "login rate limit reached");
    Err(Error::RateLimited { retry_after_secs })
}

/// Records one login attempt.
pub async fn record(
    db: &impl ConnectionTrait,
    email: &str,
    client_address: &str,
    succeeded: bool,
    now: DateTime<Utc>,
) -> Result<()> {
    login_attempt::ActiveModel {
        id: Set(Uuid::now_v7()),
        email: Set(email.chars().take(320).collect()),
        client_address: Set(truncate(client_address)),
        succeeded: Set(succeeded),
        attempted_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(())
}

async fn failures(
    db: &impl ConnectionTrait,
    column: login_attempt::Column,
    value: &str,
    since: DateTime<Utc>,
) -> Result<u64> {
    Ok(login_attempt::Entity::find()
        .filter(column.eq(value))
        .filter(login_attempt::Column::Succeeded.eq(false))
        .filter(login_attempt::Column::AttemptedAt.gt(since))
        .count(db)
        .await?)
}

fn truncate(address: &str) -> String {
    address.chars().take(MAX_ADDRESS_LEN).collect()
}
