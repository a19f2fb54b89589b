//! Pruning: deleting the rows that only grow (login attempts, refresh tokens
//! and ended sessions, finished jobs, spent submission challenges, the story
//! change log) once they are older than their setting and nobody still needs
//! them. The worker runs it hourly in its sweep lane; it is a plain function
//! so that tests and tools can run it with any `now`.
//!
//! Every delete goes in batches of [`BATCH`] rows, each its own statement, so
//! no lock is held for long. What is kept whatever its age:
//! - login attempts inside `CHORUS_LOGIN_WINDOW` (they are the failure limits);
//! - a live session's unspent refresh token;
//! - pending jobs, and for each story and media item the newest job of each
//!   kind: a render given up stays, with its error, until an admin retries it,
//!   and a finished newest job keeps an older failure from showing again;
//! - story changes after the oldest place of any webhook endpoint (enabled or
//!   not), so that an endpoint still hears of every takedown it is owed.
//!
//! Apps whose sync cursor falls before the pruned part of the change log get
//! `SYNC_CURSOR_EXPIRED` ([`crate::stories::changes`]).

use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::{job, login_attempt, refresh_token, session, spent_challenge};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter,
    sea_query::{Alias, Expr, ExprTrait, Query},
};

use crate::{config::PruningConfig, error::Result, stories::changes, webhooks::fanout};

/// Rows (story change log: versions) deleted per statement.
pub const BATCH: u64 = 1000;

/// How many rows of each kind one run deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    pub login_attempts: u64,
    pub refresh_tokens: u64,
    pub sessions: u64,
    pub jobs: u64,
    pub spent_challenges: u64,
    pub story_changes: u64,
    /// Old story changes were kept because a webhook endpoint stands before them.
    pub story_changes_held: bool,
}

/// The moment `keep` before `now`, or the Unix epoch when that is earlier: a
/// setting such as `100000000d`, meaning "keep it all", would otherwise panic
/// the worker on every run (and a date before 4713 BC is out of PostgreSQL's
/// range); nothing Chorus keeps predates 1970.
fn horizon(now: DateTime<Utc>, keep: Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(keep)
        .ok()
        .and_then(|keep| now.checked_sub_signed(keep))
        .filter(|at| *at > DateTime::UNIX_EPOCH)
        .unwrap_or(DateTime::UNIX_EPOCH)
}

/// Deletes what is past its setting at `now`.
pub async fn run(
    db: &DatabaseConnection,
    settings: &PruningConfig,
    now: DateTime<Utc>,
) -> Result<Pruned> {
    let before = |keep: Duration| horizon(now, keep);
    let attempts = before(settings.login_attempts.max(settings.login_window));
    let sessions = before(settings.sessions);
    let jobs = before(settings.jobs);

    let mut pruned = Pruned {
        login_attempts: delete::<login_attempt::Entity>(
            db,
            login_attempt::Column::Id,
            Condition::all().add(login_attempt::Column::AttemptedAt.lte(attempts)),
        )
        .await?,
        ..Pruned::default()
    };
    let revoked = Query::select()
        .column(session::Column::Id)
        .from(session::Entity)
        .and_where(session::Column::RevokedAt.lte(sessions))
        .to_owned();
    // Tokens first: an ended session's tokens have all run out or been revoked
    // by then, so none is left without its session.
    pruned.refresh_tokens = delete::<refresh_token::Entity>(
        db,
        refresh_token::Column::Id,
        Condition::any()
            .add(refresh_token::Column::UsedAt.lte(sessions))
            .add(refresh_token::Column::ExpiresAt.lte(sessions))
            .add(refresh_token::Column::SessionId.in_subquery(revoked)),
    )
    .await?;
    pruned.sessions = delete::<session::Entity>(
        db,
        session::Column::Id,
        Condition::any()
            .add(session::Column::RevokedAt.lte(sessions))
            .add(session::Column::ExpiresAt.lte(sessions)),
    )
    .await?;
    pruned.jobs = delete::<job::Entity>(db, job::Column::Id, finished_jobs(jobs)).await?;
    // Refused as expired anyway; submissions also delete them as they come.
    pruned.spent_challenges = delete::<spent_challenge::Entity>(
        db,
        spent_challenge::Column::Challenge,
        Condition::all().add(spent_challenge::Column::ExpiresAt.lt(now)),
    )
    .await?;
    let log = changes::prune_log(
        db,
        before(settings.story_changes),
        fanout::oldest_place(db).await?,
        BATCH,
    )
    .await?;
    pruned.story_changes = log.rows;
    pruned.story_changes_held = log.held;
    if log.held {
        tracing::info!(
            through = log.through,
            "story changes past their setting kept for a webhook endpoint that has not read them (a disabled one holds them until deleted)"
        );
    }
    Ok(pruned)
}

/// Jobs finished (done, cancelled or given up) at or before `horizon` that a
/// newer job of the same kind for the same story or media item replaced, or
/// that were for no item at all.
fn finished_jobs(horizon: DateTime<Utc>) -> Condition {
    let newer = Alias::new("newer");
    let same_item = Condition::any()
        .add(
            Expr::col((newer.clone(), job::Column::StoryId))
                .equals((job::Entity, job::Column::StoryId)),
        )
        .add(
            Expr::col((newer.clone(), job::Column::MediaId))
                .equals((job::Entity, job::Column::MediaId)),
        );
    let later = Condition::any()
        .add(
            Expr::col((newer.clone(), job::Column::CreatedAt))
                .gt(Expr::col((job::Entity, job::Column::CreatedAt))),
        )
        .add(
            Condition::all()
                .add(
                    Expr::col((newer.clone(), job::Column::CreatedAt))
                        .eq(Expr::col((job::Entity, job::Column::CreatedAt))),
                )
                .add(
                    Expr::col((newer.clone(), job::Column::Id))
                        .gt(Expr::col((job::Entity, job::Column::Id))),
                ),
        );
    let replaced = Query::select()
        .expr(Expr::val(1))
        .from_as(job::Entity, newer.clone())
        .and_where(Expr::col((newer, job::Column::Kind)).equals((job::Entity, job::Column::Kind)))
        .cond_where(same_item)
        .cond_where(later)
        .to_owned();
    Condition::all()
        .add(
            Condition::any()
                .add(job::Column::DoneAt.lte(horizon))
                .add(job::Column::CancelledAt.lte(horizon))
                .add(job::Column::FailedAt.lte(horizon)),
        )
        .add(
            Condition::any().add(Expr::exists(replaced)).add(
                Condition::all()
                    .add(job::Column::StoryId.is_null())
                    .add(job::Column::MediaId.is_null()),
            ),
        )
}

/// Deletes the rows of `key`'s table matching `which`, [`BATCH`] at a time.
async fn delete<E: EntityTrait>(
    db: &DatabaseConnection,
    key: E::Column,
    which: Condition,
) -> Result<u64> {
    let mut total = 0;
    loop {
        let batch = Query::select()
            .column(key)
            .from(E::default())
            .cond_where(which.clone())
            .limit(BATCH)
            .to_owned();
        let deleted = E::delete_many()
            .filter(key.in_subquery(batch))
            .exec(db)
            .await?
            .rows_affected;
        total += deleted;
        if deleted < BATCH {
            return Ok(total);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_setting_longer_than_any_date_keeps_everything_instead_of_panicking() {
        let now = DateTime::<Utc>::from_timestamp(1_796_000_000, 0).expect("a date");
        let day = Duration::from_secs(86_400);
        assert_eq!(horizon(now, day), now - chrono::Duration::days(1));
        let forever = crate::config::parse_duration("100000000d").expect("a valid setting");
        assert_eq!(horizon(now, forever), DateTime::UNIX_EPOCH);
        assert_eq!(horizon(now, Duration::MAX), DateTime::UNIX_EPOCH);
    }
}
