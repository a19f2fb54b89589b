//! The background worker: it leases jobs from the [`crate::queue`] and runs each
//! kind with the domain that owns it (scheduled publishing and unpublishing in
//! [`crate::stories::workflow`], renders in [`crate::media::renditions`]), and
//! does the periodic chores: marking expired consents (which takes stories
//! down), sweeping orphaned media objects and expired uploads, pruning rows
//! past their keeping ([`crate::pruning`]). It sits above the domains, as the
//! HTTP layer does; the domains only ever enqueue.
//!
//! The work runs in three lanes, each its own task with its own leases, so that
//! a slow kind of work cannot hold up another: the *timely* lane (publishing,
//! unpublishing, consent expiry, which need only the database), the *media*
//! lane (renders, which wait on storage and the CPU) and the *sweep* lane (the
//! hourly orphan sweep, expired uploads and pruning).
//! Every run of a job has a deadline; a run that overruns it, like one that
//! fails, counts as a failed attempt (see [`crate::queue`] for retries and
//! giving up). The work itself is guarded too: publishing only moves an
//! `APPROVED` story at the version read, so even a job run again after a lost
//! lease cannot publish twice.

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use entity::{job, story};
use sea_orm::{DatabaseConnection, EntityTrait};
use uuid::Uuid;

use crate::{
    audit::{self, Actor},
    clock,
    config::{JobsConfig, PruningConfig},
    error::{Error, Result},
    queue::{self, Settled},
    storage::ObjectStore,
    stories::workflow,
};

/// How jobs are run: how long a lease lasts, how often a job may fail before it
/// is given up, and how long one run may take.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub lease: Duration,
    pub max_attempts: u32,
    pub deadline: Duration,
}

impl From<&JobsConfig> for Policy {
    fn from(config: &JobsConfig) -> Self {
        Self {
            lease: config.lease,
            max_attempts: config.max_attempts,
            deadline: config.deadline,
        }
    }
}

/// A share of the background work run by one task, apart from the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    /// Work that must happen on time and needs only the database: publishing,
    /// unpublishing, consent expiry (and the takedowns it causes).
    Timely,
    /// Renders, which wait on storage and the CPU and may be slow.
    Media,
    /// The hourly chores: the orphan sweep, expired uploads, pruning.
    Sweep,
}

impl Lane {
    /// Every lane.
    pub const ALL: [Lane; 3] = [Lane::Timely, Lane::Media, Lane::Sweep];

    /// The job kinds this lane leases.
    pub fn kinds(self) -> &'static [job::Kind] {
        match self {
            Lane::Timely => &[job::Kind::PublishStory, job::Kind::UnpublishStory],
            Lane::Media => &[job::Kind::RenderMedia],
            Lane::Sweep => &[],
        }
    }

    fn name(self) -> &'static str {
        match self {
            Lane::Timely => "timely",
            Lane::Media => "media",
            Lane::Sweep => "sweep",
        }
    }
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
        return queue::mark_done(db, job, now).await;
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
    queue::mark_done(&txn, job, now).await?;
    txn.commit().await?;
    Ok(())
}

/// Claims and runs every due job of `lane` once, each within the policy's
/// deadline; returns how many ran.
pub async fn run_lane(
    db: &DatabaseConnection,
    store: &dyn ObjectStore,
    worker: &str,
    policy: &Policy,
    lane: Lane,
) -> Result<usize> {
    let jobs = queue::lease_due(db, worker, lane.kinds(), policy.lease, clock::now()).await?;
    for job in &jobs {
        let outcome = tokio::time::timeout(policy.deadline, run(db, store, job, clock::now()))
            .await
            .unwrap_or_else(|_| {
                Err(Error::internal(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("did not finish within {:?}", policy.deadline),
                )))
            });
        let Err(err) = outcome else { continue };
        err.log_if_internal();
        let cause = err.cause();
        let settled =
            queue::settle_failure(db, worker, job, &cause, policy.max_attempts, clock::now())
                .await?;
        let (job_id, attempts) = (job.id, job.attempts);
        match settled {
            Settled::RetryLater => {
                tracing::warn!(%job_id, attempts, error = %cause, "job failed; will retry");
            }
            Settled::GaveUp => {
                tracing::error!(%job_id, attempts, error = %cause, "job failed its last attempt; given up");
            }
            Settled::LeaseLost => {
                tracing::warn!(%job_id, attempts, error = %cause, "job failed after its lease ran out");
            }
        }
    }
    Ok(jobs.len())
}

/// Claims and runs every due job of every lane once, with the default attempts
/// and deadline; returns how many ran (for tests and tools; the worker runs
/// lanes apart).
pub async fn run_due(
    db: &DatabaseConnection,
    store: &dyn ObjectStore,
    worker: &str,
    lease: Duration,
) -> Result<usize> {
    let policy = Policy {
        lease,
        max_attempts: DEFAULT_MAX_ATTEMPTS,
        deadline: lease,
    };
    let mut ran = 0;
    for lane in Lane::ALL {
        ran += run_lane(db, store, worker, &policy, lane).await?;
    }
    Ok(ran)
}

/// Attempts [`run_due`] allows a job (the setting's default).
const DEFAULT_MAX_ATTEMPTS: u32 = 5;
/// How often the worker looks for orphaned media objects.
const SWEEP_EVERY: Duration = Duration::from_secs(3600);
/// How old an unrecorded object must be before the sweep removes it: longer than
/// any upload takes between storing its bytes and recording them.
const SWEEP_GRACE_HOURS: i64 = 24;

/// Runs every lane until `stop` turns true. Work in progress when it does is
/// dropped as a crash would drop it: its lease runs out and the job runs again.
pub async fn worker(
    db: DatabaseConnection,
    storage: Arc<dyn ObjectStore>,
    policy: Policy,
    pruning: PruningConfig,
    poll_interval: Duration,
    stop: tokio::sync::watch::Receiver<bool>,
) {
    let id = Uuid::now_v7().simple();
    tracing::info!(worker = %id, ?poll_interval, ?policy, "job worker started");
    let lanes = Lane::ALL.map(|lane| {
        let (db, storage, mut stop) = (db.clone(), storage.clone(), stop.clone());
        let name = format!("worker-{id}-{}", lane.name());
        tokio::spawn(async move {
            let mut chores = Chores::default();
            loop {
                tokio::select! {
                    _ = poll(&db, storage.as_ref(), &name, &policy, &pruning, lane, &mut chores) => {}
                    _ = stop.changed() => break,
                }
                tokio::select! {
                    _ = tokio::time::sleep(poll_interval) => {}
                    _ = stop.changed() => break,
                }
            }
        })
    });
    for lane in lanes {
        let _ = lane.await;
    }
    tracing::info!(worker = %id, "job worker stopped");
}

/// When a lane last did its periodic chores.
#[derive(Default)]
struct Chores {
    last_sweep: Option<std::time::Instant>,
}

/// One poll of a lane: its chores, then its due jobs. Failures are logged and
/// tried again on the next poll.
async fn poll(
    db: &DatabaseConnection,
    storage: &dyn ObjectStore,
    name: &str,
    policy: &Policy,
    pruning: &PruningConfig,
    lane: Lane,
    chores: &mut Chores,
) {
    if lane == Lane::Timely {
        match crate::consent::expiry::mark_expired(db, clock::now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(worker = %name, consents = n, "marked expired consents"),
            Err(err) => {
                err.log_if_internal();
                tracing::warn!(worker = %name, error = %err, "could not mark expired consents; will try again");
            }
        }
    }
    if lane == Lane::Sweep
        && chores
            .last_sweep
            .is_none_or(|at| at.elapsed() >= SWEEP_EVERY)
    {
        chores.last_sweep = Some(std::time::Instant::now());
        sweep(db, storage, name, policy.deadline).await;
        prune(db, name, pruning).await;
    }
    match run_lane(db, storage, name, policy, lane).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(worker = %name, jobs = n, "ran due jobs"),
        Err(err) => {
            err.log_if_internal();
            tracing::warn!(worker = %name, error = %err, "could not poll for jobs; will try again");
        }
    }
}

/// Deletes the rows past their keeping, and says what went.
async fn prune(db: &DatabaseConnection, name: &str, settings: &PruningConfig) {
    match crate::pruning::run(db, settings, clock::now()).await {
        Ok(p) if p == crate::pruning::Pruned::default() => {}
        Ok(p) => tracing::info!(
            worker = %name,
            login_attempts = p.login_attempts,
            refresh_tokens = p.refresh_tokens,
            sessions = p.sessions,
            jobs = p.jobs,
            spent_challenges = p.spent_challenges,
            story_changes = p.story_changes,
            "pruned rows past their keeping"
        ),
        Err(err) => {
            err.log_if_internal();
            tracing::warn!(worker = %name, error = %err, "could not prune; will try again");
        }
    }
}

/// Removes orphaned media objects and expired uploads, each within `deadline`.
async fn sweep(db: &DatabaseConnection, storage: &dyn ObjectStore, name: &str, deadline: Duration) {
    let grace = chrono::Duration::hours(SWEEP_GRACE_HOURS);
    let orphans = crate::media::sweep::orphans(db, storage, grace, clock::now());
    match tokio::time::timeout(deadline, orphans).await {
        Ok(Ok(_)) => {}
        Ok(Err(err)) => {
            err.log_if_internal();
            tracing::warn!(worker = %name, error = %err, "could not sweep orphaned media; will try again");
        }
        Err(_) => {
            tracing::warn!(worker = %name, ?deadline, "sweeping orphaned media overran its deadline; will try again");
        }
    }
    match crate::media::renditions::queue_missing_cards(db, clock::now()).await {
        Ok(0) => {}
        Ok(n) => {
            tracing::info!(worker = %name, images = n, "queued share cards for images rendered before them")
        }
        Err(err) => {
            err.log_if_internal();
            tracing::warn!(worker = %name, error = %err, "could not queue missing share cards; will try again");
        }
    }
    let uploads = crate::media::uploads::expire(db, storage, clock::now());
    match tokio::time::timeout(deadline, uploads).await {
        Ok(Ok(_)) => {}
        Ok(Err(err)) => {
            err.log_if_internal();
            tracing::warn!(worker = %name, error = %err, "could not remove expired uploads; will try again");
        }
        Err(_) => {
            tracing::warn!(worker = %name, ?deadline, "removing expired uploads overran its deadline; will try again");
        }
    }
}
