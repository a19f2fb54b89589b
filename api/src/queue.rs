//! The job queue: rows in `jobs` with a due time, added, cancelled, leased and
//! settled here. It is infrastructure below the domains (stories, consent and
//! media enqueue their work through it and import nothing else of the worker);
//! what each kind of job does is decided above them, in [`crate::jobs`].
//!
//! A worker claims due rows by setting a lease (`locked_until`); on PostgreSQL
//! the claim skips rows another node is claiming (`FOR UPDATE SKIP LOCKED`), so
//! any number of nodes can run workers and no job runs twice at once. On SQLite a
//! single process is assumed. Every lease counts an attempt. A failed attempt is
//! retried later with a growing delay, until the job has used its allowed
//! attempts: then it is given up (`failed_at`), keeps its last error for editors
//! and admins to read, and runs again only when an admin retries it.

use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::job;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    QueryFilter, QueryOrder, Set, Statement, sea_query::Expr,
};
use uuid::Uuid;

use crate::error::{Error, Result};

/// Jobs claimed per poll.
const BATCH: u64 = 50;
/// The longest wait between retries of a failing job.
const MAX_BACKOFF_SECS: i64 = 3600;
/// The most of an error message a job keeps.
const MAX_ERROR_CHARS: usize = 2000;

/// Adds a job for `story_id`, due at `run_at`.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    kind: job::Kind,
    story_id: Uuid,
    run_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<()> {
    insert(db, kind, Some(story_id), None, run_at, now).await
}

/// Adds a job for media item `media_id`, due at `run_at`.
pub async fn enqueue_media(
    db: &impl ConnectionTrait,
    kind: job::Kind,
    media_id: Uuid,
    run_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<()> {
    insert(db, kind, None, Some(media_id), run_at, now).await
}

async fn insert(
    db: &impl ConnectionTrait,
    kind: job::Kind,
    story_id: Option<Uuid>,
    media_id: Option<Uuid>,
    run_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<()> {
    job::ActiveModel {
        id: Set(Uuid::now_v7()),
        kind: Set(kind),
        story_id: Set(story_id),
        media_id: Set(media_id),
        run_at: Set(run_at),
        attempts: Set(0),
        locked_until: Set(None),
        locked_by: Set(None),
        last_error: Set(None),
        done_at: Set(None),
        cancelled_at: Set(None),
        failed_at: Set(None),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Cancels the pending jobs of one kind for a story (it was rescheduled or changed).
pub async fn cancel_for_story(
    db: &impl ConnectionTrait,
    story_id: Uuid,
    kind: job::Kind,
    now: DateTime<Utc>,
) -> Result<()> {
    job::Entity::update_many()
        .col_expr(job::Column::CancelledAt, Expr::value(now))
        .filter(job::Column::StoryId.eq(story_id))
        .filter(job::Column::Kind.eq(kind))
        .filter(job::Column::DoneAt.is_null())
        .filter(job::Column::CancelledAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Claims up to [`BATCH`] due jobs of the given kinds for `worker` until
/// `now + lease`, counting an attempt for each.
pub async fn lease_due(
    db: &DatabaseConnection,
    worker: &str,
    kinds: &[job::Kind],
    lease: Duration,
    now: DateTime<Utc>,
) -> Result<Vec<job::Model>> {
    if kinds.is_empty() {
        return Ok(Vec::new());
    }
    let backend = db.get_database_backend();
    let until = now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::minutes(5));
    let postgres = backend == DbBackend::Postgres;
    // Placeholders are numbered on PostgreSQL ($1…) and positional on SQLite (?):
    // values are added in the order they appear in the statement.
    let mut values: Vec<sea_orm::Value> = Vec::new();
    let mut param = |value: sea_orm::Value| {
        values.push(value);
        if postgres {
            format!("${}", values.len())
        } else {
            "?".to_owned()
        }
    };
    let set_until = param(until.into());
    let set_worker = param(worker.into());
    let due = param(now.into());
    let expired = if postgres {
        due.clone()
    } else {
        param(now.into())
    };
    let kinds = kinds
        .iter()
        .map(|kind| param(sea_orm::ActiveEnum::to_value(kind).into()))
        .collect::<Vec<_>>()
        .join(", ");
    let limit = param((BATCH as i64).into());
    let skip_locked = if postgres {
        " FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    let sql = format!(
        "UPDATE jobs SET locked_until = {set_until}, locked_by = {set_worker}, attempts = attempts + 1
         WHERE id IN (SELECT id FROM jobs
                      WHERE done_at IS NULL AND cancelled_at IS NULL AND failed_at IS NULL
                        AND run_at <= {due}
                        AND (locked_until IS NULL OR locked_until < {expired})
                        AND kind IN ({kinds})
                      ORDER BY run_at LIMIT {limit}{skip_locked})
         RETURNING id"
    );
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    let ids: Vec<Uuid> = rows
        .iter()
        .map(|row| row.try_get::<Uuid>("", "id"))
        .collect::<std::result::Result<_, _>>()?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(job::Entity::find()
        .filter(job::Column::Id.is_in(ids))
        .order_by_asc(job::Column::RunAt)
        .all(db)
        .await?)
}

/// Marks a job done.
pub async fn mark_done(
    db: &impl ConnectionTrait,
    job: &job::Model,
    now: DateTime<Utc>,
) -> Result<()> {
    job::Entity::update_many()
        .col_expr(job::Column::DoneAt, Expr::value(now))
        .filter(job::Column::Id.eq(job.id))
        .exec(db)
        .await?;
    Ok(())
}

/// What became of a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    /// It runs again after a delay.
    RetryLater,
    /// It used its last attempt and is given up.
    GaveUp,
    /// This worker no longer held the lease: another worker's outcome stands.
    LeaseLost,
}

/// Settles a failed attempt, keeping the error: the job runs again later with
/// a growing delay (30 s, 60 s, 2 min… up to an hour), or, when this was its
/// `max_attempts`-th attempt, it is given up. Only while `worker` still holds the
/// lease: if it expired and another worker took the job, that outcome stands.
pub async fn settle_failure(
    db: &DatabaseConnection,
    worker: &str,
    job: &job::Model,
    error: &str,
    max_attempts: u32,
    now: DateTime<Utc>,
) -> Result<Settled> {
    let error: String = error.chars().take(MAX_ERROR_CHARS).collect();
    let gave_up = i64::from(job.attempts) >= i64::from(max_attempts);
    let update = job::Entity::update_many()
        .col_expr(
            job::Column::LockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(job::Column::LockedBy, Expr::value(Option::<String>::None))
        .col_expr(job::Column::LastError, Expr::value(error));
    let update = if gave_up {
        update.col_expr(job::Column::FailedAt, Expr::value(now))
    } else {
        // `attempts` already counts this run (the lease added it).
        let backoff = (30_i64 << (job.attempts - 1).clamp(0, 7)).min(MAX_BACKOFF_SECS);
        update.col_expr(
            job::Column::RunAt,
            Expr::value(now + chrono::Duration::seconds(backoff)),
        )
    };
    let result = update
        .filter(job::Column::Id.eq(job.id))
        .filter(job::Column::LockedBy.eq(worker))
        .exec(db)
        .await?;
    Ok(match (result.rows_affected, gave_up) {
        (0, _) => Settled::LeaseLost,
        (_, true) => Settled::GaveUp,
        (_, false) => Settled::RetryLater,
    })
}

/// The newest job of `kind` for media item `media_id`, whatever its state.
pub async fn latest_for_media(
    db: &impl ConnectionTrait,
    kind: job::Kind,
    media_id: Uuid,
) -> Result<Option<job::Model>> {
    Ok(job::Entity::find()
        .filter(job::Column::MediaId.eq(media_id))
        .filter(job::Column::Kind.eq(kind))
        .order_by_desc(job::Column::CreatedAt)
        .order_by_desc(job::Column::Id)
        .one(db)
        .await?)
}

/// Jobs that were given up, newest first, at most `limit`.
pub async fn failed(db: &impl ConnectionTrait, limit: u64) -> Result<Vec<job::Model>> {
    use sea_orm::QuerySelect;
    Ok(job::Entity::find()
        .filter(job::Column::FailedAt.is_not_null())
        .filter(job::Column::CancelledAt.is_null())
        .order_by_desc(job::Column::FailedAt)
        .limit(limit)
        .all(db)
        .await?)
}

/// Gives a failed job a fresh set of attempts, due now. `NotFound` unless the
/// job exists and was given up.
pub async fn retry_failed(
    db: &impl ConnectionTrait,
    job_id: Uuid,
    now: DateTime<Utc>,
) -> Result<job::Model> {
    let result = job::Entity::update_many()
        .col_expr(
            job::Column::FailedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(job::Column::Attempts, Expr::value(0))
        .col_expr(job::Column::RunAt, Expr::value(now))
        .filter(job::Column::Id.eq(job_id))
        .filter(job::Column::FailedAt.is_not_null())
        .filter(job::Column::CancelledAt.is_null())
        .exec(db)
        .await?;
    if result.rows_affected == 0 {
        return Err(Error::NotFound("no failed job with this id".into()));
    }
    job::Entity::find_by_id(job_id)
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound("no failed job with this id".into()))
}
