//! Failure limits per account and per client address, kept in the database and
//! counted apart by purpose (staff login, withdrawal code).
//!
//! Attempts are rows rather than process memory so that every Chorus node behind
//! a load balancer sees the same counts. An attempt is *reserved* before the
//! secret is checked: one transaction counts the failures and, if the limit
//! allows one more, inserts the attempt as a failure, holding a lock so that
//! parallel requests count one after another (SQLite: the write lock of
//! `BEGIN IMMEDIATE`; PostgreSQL: a transaction-scoped advisory lock per
//! counted key). So a burst of parallel guesses gets exactly the limit of
//! checks, never more. A right answer then marks its attempt as a success.
//! An account's count restarts after a successful login; an address's does not
//! (one address guessing many accounts is the pattern to stop).

use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::login_attempt;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, Set, Statement, sea_query::Expr,
};
use uuid::Uuid;

use crate::error::{Error, Result};

/// Longest client address kept (an IPv6 address is at most 45 characters).
const MAX_ADDRESS_LEN: usize = 64;
/// Longest account name kept (an email address).
const MAX_ACCOUNT_LEN: usize = 320;

/// What is being attempted; each purpose has its own counts, so mistyped staff
/// passwords never stand between a storyteller and their withdrawal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    StaffLogin,
    WithdrawalCode,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::StaffLogin => "staff_login",
            Purpose::WithdrawalCode => "withdrawal_code",
        }
    }
}

/// How many failures are allowed within a window.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub window: Duration,
    /// Per account (since its last success); `None` when there is no account.
    pub per_account: Option<u32>,
    pub per_address: u32,
}

/// One attempt, counted as a failure until [`succeeded`] says otherwise.
#[derive(Debug, Clone, Copy)]
pub struct Attempt(Uuid);

/// Reserves one attempt for `account` (if any) from `client_address`, or refuses
/// with `RateLimited` when either has failed too often. Race-free: see the module.
pub async fn reserve(
    db: &DatabaseConnection,
    purpose: Purpose,
    limits: Limits,
    account: Option<&str>,
    client_address: &str,
    now: DateTime<Utc>,
) -> Result<Attempt> {
    let account: Option<String> = account.map(|a| a.chars().take(MAX_ACCOUNT_LEN).collect());
    let address: String = client_address.chars().take(MAX_ADDRESS_LEN).collect();
    let txn = crate::db::begin_write(db).await?;
    if txn.get_database_backend() == DbBackend::Postgres {
        let mut keys = vec![format!("{}/address/{address}", purpose.as_str())];
        if let Some(account) = &account {
            keys.push(format!("{}/account/{account}", purpose.as_str()));
        }
        // Always in the same order, so two requests never wait on each other's second lock.
        keys.sort();
        for key in keys {
            txn.query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                [key.into()],
            ))
            .await?;
        }
    }
    if let Some(retry_after_secs) =
        limited(&txn, purpose, limits, account.as_deref(), &address, now).await?
    {
        txn.rollback().await?;
        tracing::warn!(
            purpose = purpose.as_str(),
            retry_after_secs,
            "failure limit reached"
        );
        return Err(Error::RateLimited { retry_after_secs });
    }
    let id = Uuid::now_v7();
    login_attempt::ActiveModel {
        id: Set(id),
        email: Set(account.unwrap_or_default()),
        client_address: Set(address),
        succeeded: Set(false),
        attempted_at: Set(now),
        purpose: Set(purpose.as_str().into()),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(Attempt(id))
}

/// Marks a reserved attempt as a success (it no longer counts as a failure, and
/// restarts its account's count).
pub async fn succeeded(db: &impl ConnectionTrait, attempt: Attempt) -> Result<()> {
    login_attempt::Entity::update_many()
        .col_expr(login_attempt::Column::Succeeded, Expr::value(true))
        .filter(login_attempt::Column::Id.eq(attempt.0))
        .exec(db)
        .await?;
    Ok(())
}

/// Seconds until the next attempt is allowed, when the account or the address
/// has used up its failures; `None` while one more is allowed.
async fn limited(
    db: &impl ConnectionTrait,
    purpose: Purpose,
    limits: Limits,
    account: Option<&str>,
    address: &str,
    now: DateTime<Utc>,
) -> Result<Option<u64>> {
    let window = chrono::Duration::from_std(limits.window).unwrap_or(chrono::Duration::minutes(15));
    let window_start = now - window;
    let of_purpose = || {
        login_attempt::Entity::find()
            .filter(login_attempt::Column::Purpose.eq(purpose.as_str()))
            .filter(login_attempt::Column::AttemptedAt.gt(window_start))
    };

    let mut over = None;
    if let (Some(account), Some(max)) = (account, limits.per_account) {
        let last_success = of_purpose()
            .filter(login_attempt::Column::Email.eq(account))
            .filter(login_attempt::Column::Succeeded.eq(true))
            .order_by_desc(login_attempt::Column::AttemptedAt)
            .one(db)
            .await?
            .map(|a| a.attempted_at);
        let failures = of_purpose()
            .filter(login_attempt::Column::Email.eq(account))
            .filter(login_attempt::Column::Succeeded.eq(false))
            .filter(login_attempt::Column::AttemptedAt.gt(last_success.unwrap_or(window_start)));
        if failures.clone().count(db).await? >= u64::from(max) {
            over = Some(failures);
        }
    }
    if over.is_none() {
        let failures = of_purpose()
            .filter(login_attempt::Column::ClientAddress.eq(address))
            .filter(login_attempt::Column::Succeeded.eq(false));
        if failures.clone().count(db).await? >= u64::from(limits.per_address) {
            over = Some(failures);
        }
    }
    let Some(failures) = over else {
        return Ok(None);
    };
    // The limit lifts when the oldest counted failure leaves the window.
    let oldest = failures
        .order_by_asc(login_attempt::Column::AttemptedAt)
        .one(db)
        .await?
        .map_or(now, |a| a.attempted_at);
    Ok(Some((oldest + window - now).num_seconds().max(1) as u64))
}
