//! Gauges read when `/metrics` is scraped: the pool, the in-memory caches, and
//! the work waiting in the database (jobs, takedowns, uploads, webhook
//! deliveries).
//!
//! The database's part is four aggregate statements, bounded together by
//! [`QUERY_TIMEOUT`]: a scrape never waits on a stuck database. When they fail,
//! the scrape still answers with everything kept in memory,
//! `chorus_database_up` drops to 0 and `chorus_scrape_errors_total` counts it;
//! the database gauges keep the values of the last scrape that read them.

use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::{job, media_upload, takedown, webhook_delivery};
use metrics_exporter_prometheus::PrometheusRecorder;
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, DbBackend, DbErr, EntityTrait, QueryFilter,
    QuerySelect,
    sea_query::{Expr, Func},
};

use super::{Metrics, describe as describe_one};
use crate::{consumers::response_cache::Caches, state::AppState};

/// The longest the database's part of a scrape may take.
pub const QUERY_TIMEOUT: Duration = Duration::from_secs(2);

/// Everything a scrape reads besides what requests recorded.
pub async fn scrape(state: &AppState, now: DateTime<Utc>) {
    let metrics = &state.metrics;
    if !metrics.enabled() {
        return;
    }
    process(metrics);
    pool(metrics, &state.db, state.config.database_max_connections);
    caches(metrics, &state.caches);
    let read = tokio::time::timeout(QUERY_TIMEOUT, database(metrics, &state.db, now)).await;
    let up = match read {
        Ok(Ok(())) => true,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "metrics: cannot read the backlog from the database");
            false
        }
        Err(_) => {
            tracing::warn!(
                timeout_ms = QUERY_TIMEOUT.as_millis() as u64,
                "metrics: the database did not answer in time"
            );
            false
        }
    };
    metrics.set("chorus_database_up", &[], if up { 1.0 } else { 0.0 });
    let errors = metrics.counter("chorus_scrape_errors_total", &[]);
    if up {
        // Registered at 0, so a rate over it is defined before the first failure.
        errors.increment(0);
    } else {
        errors.increment(1);
    }
}

/// The process's resident memory, from `/proc/self/status` (Linux; elsewhere
/// the gauge is left out).
fn process(metrics: &Metrics) {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return;
    };
    let kib = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().strip_suffix("kB"))
        .and_then(|n| n.trim().parse::<u64>().ok());
    if let Some(kib) = kib {
        metrics.set("process_resident_memory_bytes", &[], (kib * 1024) as f64);
    }
}

/// Connections open, idle and in use, and the most the pool may open.
fn pool(metrics: &Metrics, db: &DatabaseConnection, max: u32) {
    let (size, idle) = match db.get_database_backend() {
        DbBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
        DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => return,
    };
    let idle = idle as f64;
    let in_use = (f64::from(size) - idle).max(0.0);
    for (state, value) in [("idle", idle), ("in_use", in_use)] {
        metrics.set("chorus_db_pool_connections", &[("state", state)], value);
    }
    metrics.set("chorus_db_pool_max_connections", &[], f64::from(max));
}

/// The response cache's and the persisted-query store's counters, kept by
/// the caches themselves since the process started.
fn caches(metrics: &Metrics, caches: &Caches) {
    let responses = caches.responses.stats();
    let queries = caches.queries.stats();
    for (cache, hits, misses) in [
        ("responses", responses.hits, responses.misses),
        ("persisted_queries", queries.hits, queries.misses),
    ] {
        let labels = [("cache", cache)];
        metrics
            .counter("chorus_cache_hits_total", &labels)
            .absolute(hits);
        metrics
            .counter("chorus_cache_misses_total", &labels)
            .absolute(misses);
    }
    metrics.set(
        "chorus_response_cache_entries",
        &[],
        responses.entries as f64,
    );
    metrics.set("chorus_response_cache_bytes", &[], responses.bytes as f64);
}

/// Seconds from `oldest` to `now` (0 when nothing waits).
fn age(oldest: Option<DateTime<Utc>>, now: DateTime<Utc>) -> f64 {
    oldest.map_or(0.0, |t| (now - t).num_milliseconds().max(0) as f64 / 1000.0)
}

/// A kind of job: how many wait, are scheduled, were given up; the oldest due time waiting.
type JobCounts = (job::Kind, i64, i64, i64, Option<DateTime<Utc>>);

async fn database(
    metrics: &Metrics,
    db: &DatabaseConnection,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    // Unfinished jobs by kind: due now (waiting), due later (scheduled) and
    // given up, with the oldest due time of those waiting.
    let waiting = Condition::all()
        .add(job::Column::FailedAt.is_null())
        .add(job::Column::RunAt.lte(now));
    let scheduled = Condition::all()
        .add(job::Column::FailedAt.is_null())
        .add(job::Column::RunAt.gt(now));
    let jobs: Vec<JobCounts> = job::Entity::find()
        .select_only()
        .column(job::Column::Kind)
        .column_as(
            count(Expr::case(waiting.clone(), Expr::col(job::Column::Id))),
            "waiting",
        )
        .column_as(
            count(Expr::case(scheduled, Expr::col(job::Column::Id))),
            "scheduled",
        )
        .column_as(count(Expr::col(job::Column::FailedAt)), "given_up")
        .column_as(
            min(Expr::case(waiting, Expr::col(job::Column::RunAt))),
            "oldest",
        )
        .filter(job::Column::DoneAt.is_null())
        .filter(job::Column::CancelledAt.is_null())
        .group_by(job::Column::Kind)
        .into_tuple()
        .all(db)
        .await?;
    for kind in <job::Kind as sea_orm::Iterable>::iter() {
        let label = [("kind", kind_label(kind))];
        let (waiting, scheduled, given_up, oldest) = jobs
            .iter()
            .find(|row| row.0 == kind)
            .map_or((0, 0, 0, None), |row| (row.1, row.2, row.3, row.4));
        metrics.set("chorus_jobs_waiting", &label, waiting as f64);
        metrics.set("chorus_jobs_scheduled", &label, scheduled as f64);
        metrics.set("chorus_jobs_given_up", &label, given_up as f64);
        metrics.set(
            "chorus_jobs_oldest_waiting_age_seconds",
            &label,
            age(oldest, now),
        );
    }

    let (outstanding, overdue): (i64, i64) = takedown::Entity::find()
        .select_only()
        .column_as(count(Expr::col(takedown::Column::Id)), "outstanding")
        .column_as(count(Expr::col(takedown::Column::OverdueAt)), "overdue")
        .filter(takedown::Column::AcknowledgedAt.is_null())
        .into_tuple()
        .one(db)
        .await?
        .unwrap_or_default();
    metrics.set("chorus_takedowns_outstanding", &[], outstanding as f64);
    metrics.set("chorus_takedowns_overdue", &[], overdue as f64);

    let uploads: i64 = media_upload::Entity::find()
        .select_only()
        .column_as(count(Expr::col(media_upload::Column::Id)), "n")
        .filter(media_upload::Column::MediaId.is_null())
        .filter(media_upload::Column::ExpiresAt.gt(now))
        .into_tuple()
        .one(db)
        .await?
        .unwrap_or_default();
    metrics.set("chorus_media_uploads_in_progress", &[], uploads as f64);

    let pending = Condition::all().add(webhook_delivery::Column::DeadAt.is_null());
    let (pending_count, dead, oldest): (i64, i64, Option<DateTime<Utc>>) =
        webhook_delivery::Entity::find()
            .select_only()
            .column_as(
                count(Expr::case(
                    pending.clone(),
                    Expr::col(webhook_delivery::Column::Id),
                )),
                "pending",
            )
            .column_as(count(Expr::col(webhook_delivery::Column::DeadAt)), "dead")
            .column_as(
                min(Expr::case(
                    pending,
                    Expr::col(webhook_delivery::Column::CreatedAt),
                )),
                "oldest",
            )
            .filter(webhook_delivery::Column::DeliveredAt.is_null())
            .into_tuple()
            .one(db)
            .await?
            .unwrap_or_default();
    metrics.set(
        "chorus_webhook_deliveries_pending",
        &[],
        pending_count as f64,
    );
    metrics.set("chorus_webhook_deliveries_dead", &[], dead as f64);
    metrics.set(
        "chorus_webhook_deliveries_oldest_pending_age_seconds",
        &[],
        age(oldest, now),
    );
    Ok(())
}

/// `COUNT(expr)`: the rows where `expr` is not null.
fn count(expr: impl Into<Expr>) -> Expr {
    Func::count(expr).into()
}

/// `MIN(expr)`.
fn min(expr: impl Into<Expr>) -> Expr {
    Func::min(expr).into()
}

/// A job kind as stored (`RENDER_MEDIA`), so a label matches the `jobs` table.
fn kind_label(kind: job::Kind) -> &'static str {
    match kind {
        job::Kind::PublishStory => "PUBLISH_STORY",
        job::Kind::UnpublishStory => "UNPUBLISH_STORY",
        job::Kind::RenderMedia => "RENDER_MEDIA",
    }
}

/// The `# HELP` lines of what a scrape reads.
pub(super) fn describe(recorder: &PrometheusRecorder) {
    for (name, help) in [
        (
            "chorus_database_up",
            "1 when the last scrape read the database, 0 when it failed or timed out.",
        ),
        (
            "chorus_scrape_errors_total",
            "Scrapes that could not read the database.",
        ),
        (
            "process_resident_memory_bytes",
            "Resident memory of the process (Linux).",
        ),
        (
            "process_start_time_seconds",
            "When the app started, in seconds since the Unix epoch.",
        ),
        (
            "chorus_db_pool_connections",
            "Pooled database connections by state (idle, in_use).",
        ),
        (
            "chorus_db_pool_max_connections",
            "The most connections the pool opens (CHORUS_DATABASE_MAX_CONNECTIONS).",
        ),
        (
            "chorus_cache_hits_total",
            "Lookups answered from an in-memory cache (responses, persisted_queries).",
        ),
        (
            "chorus_cache_misses_total",
            "Lookups an in-memory cache could not answer.",
        ),
        (
            "chorus_response_cache_entries",
            "Answers held by the response cache.",
        ),
        (
            "chorus_response_cache_bytes",
            "Bytes held by the response cache.",
        ),
        ("chorus_jobs_waiting", "Jobs due and not yet done, by kind."),
        ("chorus_jobs_scheduled", "Jobs due later, by kind."),
        (
            "chorus_jobs_given_up",
            "Jobs that failed their last attempt and wait for an admin, by kind.",
        ),
        (
            "chorus_jobs_oldest_waiting_age_seconds",
            "How long the oldest waiting job has been due, by kind (0 when none waits).",
        ),
        (
            "chorus_takedowns_outstanding",
            "Takedowns not yet acknowledged by their recipient.",
        ),
        (
            "chorus_takedowns_overdue",
            "Outstanding takedowns past CHORUS_TAKEDOWN_ACK_DEADLINE.",
        ),
        (
            "chorus_media_uploads_in_progress",
            "Large uploads created and neither completed nor expired.",
        ),
        (
            "chorus_webhook_deliveries_pending",
            "Webhook deliveries not yet delivered and still being tried.",
        ),
        (
            "chorus_webhook_deliveries_dead",
            "Webhook deliveries on the dead-letter list.",
        ),
        (
            "chorus_webhook_deliveries_oldest_pending_age_seconds",
            "Age of the oldest pending webhook delivery (0 when none is pending).",
        ),
    ] {
        describe_one(recorder, name, help);
    }
}
