//! OpenTelemetry traces, exported over OTLP/HTTP when the `OTEL_*` variables name
//! a collector (`config::TracesConfig`); otherwise nothing here runs.
//!
//! Every request's `tracing` span becomes a server span (joining the caller's
//! trace when a W3C `traceparent` comes in), and its trace id is written into
//! the request's log lines. SQL statements become child spans made from the
//! pool's statement callback ([`statement`]), storage calls from spans around
//! the store (`storage::traced`). Spans carry statement texts with their
//! placeholders, operation names and key prefixes: never bound values, full
//! storage keys or anything a storyteller told.

use std::{
    borrow::Cow,
    collections::HashMap,
    sync::{
        OnceLock,
        atomic::{AtomicBool, Ordering},
    },
    time::SystemTime,
};

use opentelemetry::{
    KeyValue,
    propagation::{Extractor, TextMapPropagator},
    trace::{Span as _, SpanBuilder, SpanKind, Status, TraceContextExt, Tracer as _},
};
use opentelemetry_otlp::{Protocol, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::{
    Resource,
    propagation::TraceContextPropagator,
    runtime,
    trace::{
        Sampler, SdkTracer, SdkTracerProvider,
        span_processor_with_async_runtime::BatchSpanProcessor,
    },
};
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::{Layer, filter::filter_fn, registry::LookupSpan};

use crate::config::{OtlpProtocol, TraceSampler, TracesConfig};

/// The longest statement text kept on a span, in bytes.
const MAX_STATEMENT: usize = 1024;

static ENABLED: AtomicBool = AtomicBool::new(false);
static TRACER: OnceLock<SdkTracer> = OnceLock::new();

/// True once trace export is running in this process.
pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// The exporter of a running process; [`Exporter::shutdown`] sends what is left.
pub struct Exporter(SdkTracerProvider);

impl Exporter {
    /// Exports the spans still queued and stops. Call it outside the async
    /// runtime's tasks (it waits on the batch task, which runs on the runtime).
    pub fn shutdown(self) {
        ENABLED.store(false, Ordering::Relaxed);
        if let Err(e) = self.0.shutdown() {
            eprintln!("chorus: could not send the last traces: {e}");
        }
    }
}

/// Builds the exporter and the layer that feeds it. Must run inside the tokio
/// runtime: the batch exporter is a task on it.
pub(super) fn start<S>(config: &TracesConfig) -> Result<(Exporter, impl Layer<S>), String>
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
{
    let headers: HashMap<String, String> = config.headers.iter().cloned().collect();
    let mut exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_endpoint(&config.endpoint)
        .with_protocol(match config.protocol {
            OtlpProtocol::HttpProtobuf => Protocol::HttpBinary,
            OtlpProtocol::HttpJson => Protocol::HttpJson,
        })
        .with_timeout(config.timeout)
        .with_headers(headers);
    if config.gzip {
        exporter = exporter.with_compression(opentelemetry_otlp::Compression::Gzip);
    }
    let exporter = exporter
        .build()
        .map_err(|e| format!("cannot set up trace export to {}: {e}", config.endpoint))?;
    let resource = Resource::builder_empty()
        .with_service_name(config.service_name.clone())
        .with_attributes(
            config
                .resource_attributes
                .iter()
                .map(|(k, v)| KeyValue::new(k.clone(), v.clone())),
        )
        .build();
    let provider = SdkTracerProvider::builder()
        .with_span_processor(BatchSpanProcessor::builder(exporter, runtime::Tokio).build())
        .with_sampler(sampler(&config.sampler))
        .with_resource(resource)
        .build();
    let tracer = opentelemetry::trace::TracerProvider::tracer(&provider, "chorus");
    let _ = TRACER.set(tracer.clone());
    ENABLED.store(true, Ordering::Relaxed);
    // Chorus's own spans only: log events stay in the log, and other crates'
    // spans (at whatever level logs are set to) are not sent.
    let layer = tracing_opentelemetry::layer()
        .with_tracer(tracer)
        .with_location(false)
        .with_threads(false)
        .with_filter(filter_fn(|meta| {
            meta.is_span()
                && *meta.level() <= tracing::Level::INFO
                && meta.target().starts_with("api")
        }));
    Ok((Exporter(provider), layer))
}

fn sampler(sampler: &TraceSampler) -> Sampler {
    match sampler {
        TraceSampler::AlwaysOn => Sampler::AlwaysOn,
        TraceSampler::AlwaysOff => Sampler::AlwaysOff,
        TraceSampler::TraceIdRatio(ratio) => Sampler::TraceIdRatioBased(*ratio),
        TraceSampler::ParentBased(root) => Sampler::ParentBased(Box::new(self::sampler(root))),
    }
}

/// Makes `span` (a request's, not yet entered) a server span in the caller's
/// trace when `headers` carry a `traceparent`, and writes its trace id into
/// the span's `trace_id` field, so every log line inside shows it. The span
/// declares the fields recorded here and in the other `request`/`graphql`
/// functions, empty: unless traces are on they stay so, and logs unchanged.
pub fn start_request(
    span: &tracing::Span,
    method: &str,
    path: &str,
    headers: &poem::http::HeaderMap,
) {
    if !enabled() {
        return;
    }
    let parent = TraceContextPropagator::new().extract(&Headers(headers));
    let _ = span.set_parent(parent);
    // The kind before the span starts (reading its context starts it).
    span.record("otel.kind", "server");
    let context = span.context();
    context
        .span()
        .update_name(format!("{method} {}", route(path)));
    let span_context = context.span().span_context().clone();
    if span_context.is_valid() {
        span.record("trace_id", tracing::field::display(span_context.trace_id()));
    }
}

/// The answer's status on the request's span; a server error marks it failed.
pub fn end_request(span: &tracing::Span, status: u16) {
    if !enabled() {
        return;
    }
    span.record("http.response.status_code", status);
    if status >= 500 {
        span.record("otel.status_code", "ERROR");
    }
}

/// Names the current request's span after the GraphQL operation the client
/// named (`operationName`), once it is known whether it writes.
pub fn graphql_operation(name: Option<&str>, mutation: bool) {
    if !enabled() {
        return;
    }
    let span = tracing::Span::current();
    let kind = if mutation { "mutation" } else { "query" };
    span.record("graphql.operation.type", kind);
    // A client's word: kept only if it is a GraphQL name of sensible length.
    let name = name.filter(|n| {
        n.len() <= 100
            && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            && !n.starts_with(|c: char| c.is_ascii_digit())
    });
    if let Some(name) = name {
        span.record("graphql.operation.name", name);
    }
    let title = match name {
        Some(name) => format!("{kind} {name}"),
        None => kind.to_owned(),
    };
    span.context().span().update_name(title);
}

/// How the GraphQL request ended: `ok`, or the first error's code.
pub fn graphql_outcome(code: Option<&str>) {
    if !enabled() {
        return;
    }
    tracing::Span::current().record("graphql.outcome", code.unwrap_or("ok"));
}

/// The route a path was served by, without the ids in it (span names must not
/// multiply with every media item).
fn route(path: &str) -> &'static str {
    const FIXED: [&str; 6] = ["/", "/graphql", "/admin", "/admin/", "/healthz", "/readyz"];
    if let Some(fixed) = FIXED.iter().find(|f| **f == path) {
        return fixed;
    }
    if path.starts_with("/media/") {
        "/media/{id}/{variant}"
    } else if path.starts_with("/uploads/") {
        "/uploads/{id}"
    } else if path.starts_with("/admin/assets/") {
        "/admin/assets/{name}"
    } else {
        "unknown route"
    }
}

/// A finished SQL statement as a child of the current span, timed as the pool
/// timed it. Only the statement text (placeholders, no values) is kept.
pub fn statement(info: &sea_orm::metric::Info<'_>) {
    if !enabled() {
        return;
    }
    let Some(tracer) = TRACER.get() else { return };
    let parent = tracing::Span::current().context();
    // Background work outside any span would make a trace per statement.
    if !parent.has_active_span() {
        return;
    }
    let end = SystemTime::now();
    let start = end.checked_sub(info.elapsed).unwrap_or(end);
    let sql = info.statement.sql.trim_start();
    let operation = sql
        .split(|c: char| c.is_whitespace() || c == '(')
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase();
    let system = match info.statement.db_backend {
        sea_orm::DbBackend::Postgres => "postgresql",
        sea_orm::DbBackend::Sqlite => "sqlite",
        _ => "other_sql",
    };
    let mut attributes = vec![
        KeyValue::new("db.system.name", system),
        KeyValue::new("db.query.text", capped(sql, MAX_STATEMENT).into_owned()),
    ];
    if !operation.is_empty() {
        attributes.push(KeyValue::new("db.operation.name", operation.clone()));
    }
    let name = if operation.is_empty() {
        system.to_owned()
    } else {
        operation
    };
    let mut builder = SpanBuilder::from_name(name)
        .with_kind(SpanKind::Client)
        .with_start_time(start)
        .with_attributes(attributes);
    if info.failed {
        builder = builder.with_status(Status::error("statement failed"));
    }
    tracer
        .build_with_context(builder, &parent)
        .end_with_timestamp(end);
}

/// `text` cut to at most `max` bytes, at a character boundary.
fn capped(text: &str, max: usize) -> Cow<'_, str> {
    if text.len() <= max {
        return Cow::Borrowed(text);
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    Cow::Owned(format!("{}…", &text[..end]))
}

/// Request headers as the propagator reads them.
struct Headers<'a>(&'a poem::http::HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::capped;

    #[test]
    fn long_statements_are_cut_at_a_character_boundary() {
        assert_eq!(capped("SELECT 1", 100), "SELECT 1");
        let long = "é".repeat(600);
        let cut = capped(&long, 1024);
        assert!(cut.len() <= 1024 + '…'.len_utf8());
        assert!(cut.ends_with('…'));
    }
}
