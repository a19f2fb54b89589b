//! What Chorus measures about itself, in the Prometheus text format for `/metrics`.
//!
//! Each [`Metrics`] owns a registry of its own (a `metrics-exporter-prometheus`
//! recorder that is never installed globally), so several apps in one process
//! (the integration tests) each count only their own requests. Request paths
//! record through it directly; what lives in the database (jobs, takedowns,
//! uploads, webhook deliveries) and in the pool is read when `/metrics` is
//! scraped ([`backlog`]). With metrics closed (no token, no listener) nothing
//! is registered and every handle is a no-op. Labels that clients choose
//! (GraphQL operation names) are bounded in [`operations`].

pub mod backlog;
pub mod operations;

use std::{sync::Arc, time::Duration};

use ::metrics::{Counter, Gauge, Histogram, Key, Label, Metadata, Recorder, Unit};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle, PrometheusRecorder};

use operations::OperationNames;

/// Bucket bounds (seconds) of every duration histogram: from a cached answer or
/// a by-id statement (under a millisecond) to the GraphQL deadline's range.
const SECONDS_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// How often histogram samples are folded into their buckets between scrapes,
/// so an instance nobody scrapes does not keep every sample.
pub const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

static METADATA: Metadata<'static> =
    Metadata::new(module_path!(), ::metrics::Level::INFO, Some(module_path!()));

/// The registry of one app, and the handles the hot paths use without a lookup.
pub struct Metrics {
    recorder: Option<PrometheusRecorder>,
    handle: Option<PrometheusHandle>,
    operations: OperationNames,
    statement_seconds: Histogram,
    statement_failures: Counter,
}

impl Metrics {
    /// A registry, or (when `enabled` is false) handles that record nothing.
    pub fn new(enabled: bool) -> Self {
        let recorder = enabled.then(|| {
            let builder = PrometheusBuilder::new();
            match builder.set_buckets(SECONDS_BUCKETS) {
                Ok(builder) => builder,
                // Only for an empty list, which SECONDS_BUCKETS is not.
                Err(_) => PrometheusBuilder::new(),
            }
            .build_recorder()
        });
        let mut metrics = Self {
            handle: recorder.as_ref().map(PrometheusRecorder::handle),
            recorder,
            operations: OperationNames::default(),
            statement_seconds: Histogram::noop(),
            statement_failures: Counter::noop(),
        };
        metrics.describe();
        metrics.statement_seconds = metrics.histogram("chorus_db_statement_duration_seconds", &[]);
        metrics.statement_failures = metrics.counter("chorus_db_statement_failures_total", &[]);
        let version = [("version", env!("CARGO_PKG_VERSION"))];
        metrics.set("chorus_build_info", &version, 1.0);
        let started = crate::clock::now().timestamp_millis() as f64 / 1000.0;
        metrics.set("process_start_time_seconds", &[], started);
        metrics
    }

    /// True when anything is recorded.
    pub fn enabled(&self) -> bool {
        self.recorder.is_some()
    }

    /// One GraphQL request over HTTP: its operation (as the client named it;
    /// bounded, see [`operations`]), how it ended (`ok` or the first error's
    /// code) and how long it took.
    pub fn graphql_request(&self, operation: Option<&str>, outcome: &str, elapsed: Duration) {
        if !self.enabled() {
            return;
        }
        let operation = self.operations.label(operation);
        let outcome = outcome_label(outcome);
        self.counter(
            "chorus_graphql_requests_total",
            &[("operation", &operation), ("outcome", outcome)],
        )
        .increment(1);
        self.histogram(
            "chorus_graphql_request_duration_seconds",
            &[("operation", &operation)],
        )
        .record(elapsed.as_secs_f64());
    }

    /// One HTTP request: the kind of route it took, its status and duration.
    pub fn http_request(&self, route: &'static str, status: u16, elapsed: Duration) {
        if !self.enabled() {
            return;
        }
        let status = match status {
            100..=199 => "1xx",
            200..=299 => "2xx",
            300..=399 => "3xx",
            400..=499 => "4xx",
            _ => "5xx",
        };
        self.counter(
            "chorus_http_requests_total",
            &[("route", route), ("status", status)],
        )
        .increment(1);
        self.histogram("chorus_http_request_duration_seconds", &[("route", route)])
            .record(elapsed.as_secs_f64());
    }

    /// One SQL statement, from the pool's callback (`db::counted`): two relaxed
    /// atomic operations when enabled, none otherwise.
    pub fn statement(&self, elapsed: Duration, failed: bool) {
        self.statement_seconds.record(elapsed.as_secs_f64());
        if failed {
            self.statement_failures.increment(1);
        }
    }

    /// The text format of everything recorded; `None` when metrics are closed.
    pub fn render(&self) -> Option<String> {
        self.handle.as_ref().map(PrometheusHandle::render)
    }

    /// Folds histogram samples into their buckets (see [`UPKEEP_INTERVAL`]).
    pub fn run_upkeep(&self) {
        if let Some(handle) = &self.handle {
            handle.run_upkeep();
        }
    }

    fn key(name: &'static str, labels: &[(&'static str, &str)]) -> Key {
        let labels: Vec<Label> = labels
            .iter()
            .map(|(k, v)| Label::new(*k, (*v).to_owned()))
            .collect();
        Key::from_parts(name, labels)
    }

    pub(crate) fn counter(&self, name: &'static str, labels: &[(&'static str, &str)]) -> Counter {
        match &self.recorder {
            Some(r) => r.register_counter(&Self::key(name, labels), &METADATA),
            None => Counter::noop(),
        }
    }

    pub(crate) fn gauge(&self, name: &'static str, labels: &[(&'static str, &str)]) -> Gauge {
        match &self.recorder {
            Some(r) => r.register_gauge(&Self::key(name, labels), &METADATA),
            None => Gauge::noop(),
        }
    }

    /// Sets the gauge `name` with `labels` to `value`.
    pub(crate) fn set(&self, name: &'static str, labels: &[(&'static str, &str)], value: f64) {
        self.gauge(name, labels).set(value);
    }

    fn histogram(&self, name: &'static str, labels: &[(&'static str, &str)]) -> Histogram {
        match &self.recorder {
            Some(r) => r.register_histogram(&Self::key(name, labels), &METADATA),
            None => Histogram::noop(),
        }
    }

    /// The `# HELP` line of every metric (docs/OPERATIONS.md lists them too).
    fn describe(&self) {
        let Some(r) = &self.recorder else {
            return;
        };
        for (name, help) in [
            ("chorus_build_info", "Always 1; the version is a label."),
            (
                "chorus_graphql_requests_total",
                "GraphQL requests over HTTP by operation name and outcome (ok or the first error's code).",
            ),
            (
                "chorus_graphql_request_duration_seconds",
                "Time to answer a GraphQL request over HTTP, by operation name.",
            ),
            (
                "chorus_http_requests_total",
                "HTTP requests by route class and status class.",
            ),
            (
                "chorus_http_request_duration_seconds",
                "Time to answer an HTTP request, by route class.",
            ),
            (
                "chorus_db_statement_duration_seconds",
                "Time SQL statements took, as the pool saw them.",
            ),
            (
                "chorus_db_statement_failures_total",
                "SQL statements that failed.",
            ),
        ] {
            describe(r, name, help);
        }
        backlog::describe(r);
    }
}

/// Gives `name` its `# HELP` text, as the kind its suffix says it is.
fn describe(recorder: &PrometheusRecorder, name: &'static str, help: &'static str) {
    if name.ends_with("_total") {
        recorder.describe_counter(name.into(), None, help.into());
    } else if name.ends_with("_seconds") && !name.contains("_age_") {
        recorder.describe_histogram(name.into(), Some(Unit::Seconds), help.into());
    } else {
        recorder.describe_gauge(name.into(), None, help.into());
    }
}

/// Runs [`Metrics::run_upkeep`] every [`UPKEEP_INTERVAL`] until `stop` turns true.
pub async fn upkeep(metrics: Arc<Metrics>, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut ticks = tokio::time::interval(UPKEEP_INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while !*stop.borrow() {
        tokio::select! {
            _ = ticks.tick() => metrics.run_upkeep(),
            changed = stop.changed() => if changed.is_err() { break },
        }
    }
}

/// The outcome label: `ok`, or an error code as the server sets them (upper
/// case and underscores); anything else is `ERROR`, so the label stays bounded.
fn outcome_label(outcome: &str) -> &str {
    let plain = !outcome.is_empty()
        && outcome.len() <= 32
        && outcome.bytes().all(|b| b.is_ascii_uppercase() || b == b'_');
    if outcome == "ok" || plain {
        outcome
    } else {
        "ERROR"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_are_ok_or_error_codes() {
        assert_eq!(outcome_label("ok"), "ok");
        assert_eq!(outcome_label("BAD_USER_INPUT"), "BAD_USER_INPUT");
        assert_eq!(outcome_label("bad input"), "ERROR");
        assert_eq!(outcome_label(""), "ERROR");
    }

    #[test]
    fn closed_metrics_record_and_render_nothing() {
        let metrics = Metrics::new(false);
        metrics.graphql_request(Some("Feed"), "ok", Duration::from_millis(3));
        metrics.statement(Duration::from_millis(1), true);
        assert!(metrics.render().is_none());
    }

    #[test]
    fn two_registries_count_apart() {
        let (a, b) = (Metrics::new(true), Metrics::new(true));
        a.graphql_request(Some("Feed"), "ok", Duration::from_millis(3));
        let (a, b) = (
            a.render().unwrap_or_default(),
            b.render().unwrap_or_default(),
        );
        assert!(a.contains(r#"chorus_graphql_requests_total{operation="Feed",outcome="ok"} 1"#));
        assert!(!b.contains("operation=\"Feed\""));
    }
}
