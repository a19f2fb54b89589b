//! Background work leased from database rows: scheduled publishing and unpublishing,
//! and rendering images (`RENDER_MEDIA`, see [`crate::media::renditions`]).
//!
//! A job is a row with a due time. A worker claims due rows by setting a lease
//! (`locked_until`); on PostgreSQL the claim skips rows another node is claiming
//! (`FOR UPDATE SKIP LOCKED`), so any number of nodes can run workers and no job runs
//! twice at once. On SQLite a single process is assumed. The work itself is guarded
//! too: publishing only moves an `APPROVED` story at the version read, so even a job
//! run again after a lost lease cannot publish twice. A failed job is logged and
//! retried later with a growing delay; it is never dropped.

use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::{job, story};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    QueryFilter, Set, Statement, sea_query::Expr,
};
use uuid::Uuid;

use crate::{
    audit::{self, Actor},
    clock,
    error::{Error, Result},
    storage::ObjectStore,
    stories::workflow,
};

/// Jobs claimed per poll.
const BATCH: u64 = 50;
/// The longest wait between retries of a failing job.
const MAX_BACKOFF_SECS: i64 = 3600;

/// Adds a job for `story_id`, due at `run_at`.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    kind: job::Kind,
    story_id: Uuid,
    run_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<()> {
    job::ActiveModel {
        id: Set(Uuid::now_v7()),
        kind: Set(kind),
        story_id: Set(Some(story_id)),
        media_id: Set(None),
        run_at: Set(run_at),
        attempts: Set(0),
        locked_until: Set(None),
        locked_by: Set(None),
        last_error: Set(None),
        done_at: Set(None),
        cancelled_at: Set(None),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Adds a job for media item `media_id`, due at `run_at`.
pub async fn enqueue_media(
    db: &impl ConnectionTrait,
    kind: job::Kind,
    media_id: Uuid,
    run_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<()> {
    job::ActiveModel {
        id: Set(Uuid::now_v7()),
        kind: Set(kind),
        story_id: Set(None),
        media_id: Set(Some(media_id)),
        run_at: Set(run_at),
        attempts: Set(0),
        locked_until: Set(None),
        locked_by: Set(None),
        last_error: Set(None),
        done_at: Set(None),
        cancelled_at: Set(None),
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

/// Claims up to [`BATCH`] due jobs for `worker` until `now + lease`.
pub async fn lease_due(
    db: &DatabaseConnection,
    worker: &str,
    lease: Duration,
    now: DateTime<Utc>,
) -> Result<Vec<job::Model>> {
    let backend = db.get_database_backend();
    let until = now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::minutes(5));
    let (sql, skip_locked) = match backend {
        DbBackend::Postgres => (
            "UPDATE jobs SET locked_until = $1, locked_by = $2, attempts = attempts + 1
             WHERE id IN (SELECT id FROM jobs
                          WHERE done_at IS NULL AND cancelled_at IS NULL AND run_at <= $3
                            AND (locked_until IS NULL OR locked_until < $3)
                          ORDER BY run_at LIMIT $4 FOR UPDATE SKIP LOCKED)
             RETURNING id",
            true,
        ),
        _ => (
            "UPDATE jobs SET locked_until = ?, locked_by = ?, attempts = attempts + 1
             WHERE id IN (SELECT id FROM jobs
                          WHERE done_at IS NULL AND cancelled_at IS NULL AND run_at <= ?
                            AND (locked_until IS NULL OR locked_until < ?)
                          ORDER BY run_at LIMIT ?)
             RETURNING id",
            false,
        ),
    };
    let values: Vec<sea_orm::Value> = if skip_locked {
        vec![
            until.into(),
            worker.into(),
            now.into(),
            (BATCH as i64).into(),
        ]
    } else {
        vec![
            until.into(),
            worker.into(),
            now.into(),
            now.into(),
            (BATCH as i64).into(),
        ]
    };
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
        .all(db)
        .await?)
}

/// Runs one leased job; on success it is marked done in the same transaction as its
/// work (a render, which takes seconds, commits its own work and is marked done after).
pub async fn run(
    db: &DatabaseConnection,
    store: &dyn ObjectStore,
    job: &job::Model,
    now: DateTime<Utc>,
) -> Result<()> {
    if job.kind == job::Kind::RenderMedia {
        // No transaction is held open while rendering. Run again (a lost lease, a
        // failure to mark it done), the render finds its work done and stops.
        if let Some(media_id) = job.media_id {
            crate::media::renditions::run(db, store, media_id, now).await?;
        }
        return mark_done(db, job, now).await;
    }
    let txn = crate::db::begin_write(db).await?;
    if let Some(story_id) = job.story_id
        && let Some(story) = story::Entity::find_by_id(story_id).one(&txn).await?
    {
        let due = |at: Option<DateTime<Utc>>| at.is_some_and(|at| at <= now);
        match job.kind {
            // The story may have been edited, rescheduled or archived since: then
            // there is nothing to do, and the job is simply done.
            job::Kind::PublishStory
                if story.state == story::State::Approved && due(story.publish_at) =>
            {
                match workflow::publish_now(&txn, &story, Actor::Worker, now).await {
                    // Consent lapsed since the publication was scheduled: the story
                    // stays approved and editors see why in the audit log.
                    Err(Error::ConsentMissing { missing, .. }) => {
                        audit::record(
                            &txn,
                            Actor::Worker,
                            audit::Event::new("story.publish_refused", "story", story.id)
                                .detail(serde_json::json!({ "consentMissing": missing })),
                            now,
                        )
                        .await?;
                    }
                    other => {
                        other?;
                    }
                }
            }
            job::Kind::UnpublishStory if workflow::is_live(&story) && due(story.unpublish_at) => {
                workflow::unpublish_now(&txn, &story, Actor::Worker, now).await?;
            }
            _ => tracing::info!(job_id = %job.id, "scheduled job no longer applies; skipped"),
        }
    }
    mark_done(&txn, job, now).await?;
    txn.commit().await?;
    Ok(())
}

async fn mark_done(db: &impl ConnectionTrait, job: &job::Model, now: DateTime<Utc>) -> Result<()> {
    job::Entity::update_many()
        .col_expr(job::Column::DoneAt, Expr::value(now))
        .filter(job::Column::Id.eq(job.id))
        .exec(db)
        .await?;
    Ok(())
}

/// Releases a failed job to run again later, keeping the error. Only while this
/// worker still holds the lease: if it expired and another worker took the job, that
/// worker's outcome stands.
async fn retry_later(
    db: &DatabaseConnection,
    worker: &str,
    job: &job::Model,
    error: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    // `attempts` already counts this run (the lease added it): 30 s, 60 s, 2 min…
    let backoff = (30_i64 << (job.attempts - 1).clamp(0, 7)).min(MAX_BACKOFF_SECS);
    let error: String = error.chars().take(2000).collect();
    job::Entity::update_many()
        .col_expr(
            job::Column::LockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(job::Column::LockedBy, Expr::value(Option::<String>::None))
        .col_expr(
            job::Column::RunAt,
            Expr::value(now + chrono::Duration::seconds(backoff)),
        )
        .col_expr(job::Column::LastError, Expr::value(error))
        .filter(job::Column::Id.eq(job.id))
        .filter(job::Column::LockedBy.eq(worker))
        .exec(db)
        .await?;
    Ok(())
}

/// Claims and runs every due job once; returns how many ran.
pub async fn run_due(
    db: &DatabaseConnection,
    store: &dyn ObjectStore,
    worker: &str,
    lease: Duration,
) -> Result<usize> {
    let jobs = lease_due(db, worker, lease, clock::now()).await?;
    for job in &jobs {
        if let Err(err) = run(db, store, job, clock::now()).await {
            err.log_if_internal();
            tracing::warn!(job_id = %job.id, attempts = job.attempts, error = %err, "job failed; will retry");
            retry_later(db, worker, job, &err.to_string(), clock::now()).await?;
        }
    }
    Ok(jobs.len())
}

/// How often the worker looks for orphaned media objects.
const SWEEP_EVERY: Duration = Duration::from_secs(3600);
/// How old an unrecorded object must be before the sweep removes it: longer than
/// any upload takes between storing its bytes and recording them.
const SWEEP_GRACE_HOURS: i64 = 24;

/// Polls for due jobs until `stop` resolves; also marks expired consents on every
/// poll and sweeps orphaned media objects and expired uploads every [`SWEEP_EVERY`].
pub async fn worker(
    db: DatabaseConnection,
    storage: std::sync::Arc<dyn crate::storage::ObjectStore>,
    poll_interval: Duration,
    lease: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let name = format!("worker-{}", Uuid::now_v7().simple());
    tracing::info!(worker = %name, ?poll_interval, "job worker started");
    let mut last_sweep: Option<std::time::Instant> = None;
    loop {
        if last_sweep.is_none_or(|at| at.elapsed() >= SWEEP_EVERY) {
            last_sweep = Some(std::time::Instant::now());
            let grace = chrono::Duration::hours(SWEEP_GRACE_HOURS);
            if let Err(err) =
                crate::media::sweep::orphans(&db, storage.as_ref(), grace, clock::now()).await
            {
                err.log_if_internal();
                tracing::warn!(worker = %name, error = %err, "could not sweep orphaned media; will try again");
            }
            if let Err(err) =
                crate::media::uploads::expire(&db, storage.as_ref(), clock::now()).await
            {
                err.log_if_internal();
                tracing::warn!(worker = %name, error = %err, "could not remove expired uploads; will try again");
            }
        }
        match crate::consent::expiry::mark_expired(&db, clock::now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(worker = %name, consents = n, "marked expired consents"),
            Err(err) => {
                err.log_if_internal();
                tracing::warn!(worker = %name, error = %err, "could not mark expired consents; will try again");
            }
        }
        match run_due(&db, storage.as_ref(), &name, lease).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(worker = %name, jobs = n, "ran due jobs"),
            Err(err) => {
                err.log_if_internal();
                tracing::warn!(worker = %name, error = %err, "could not poll for jobs; will try again");
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(poll_interval) => {}
            _ = stop.changed() => break,
        }
    }
    tracing::info!(worker = %name, "job worker stopped");
}
