//! Structured logs (human-readable text by default, JSON lines for log
//! collectors) and, when the standard `OTEL_*` variables name a collector,
//! OpenTelemetry traces ([`traces`]).

pub mod traces;

use tracing_subscriber::{EnvFilter, Layer, layer::SubscriberExt, util::SubscriberInitExt};

use crate::config::{Config, LogFormat};

/// What must be told when the process ends: the trace exporter, if any.
#[must_use = "call `shutdown` before exiting, or the last traces are lost"]
pub struct Telemetry(Option<traces::Exporter>);

impl Telemetry {
    /// Sends the traces still queued. Call it outside the runtime's tasks.
    pub fn shutdown(self) {
        if let Some(exporter) = self.0 {
            exporter.shutdown();
        }
    }
}

/// Installs the global log subscriber (safe to call more than once: later calls
/// install nothing) and, when configured, trace export, which runs on the
/// current tokio runtime and so must be started inside one.
pub fn init(config: &Config) -> Result<Telemetry, String> {
    let filter = EnvFilter::try_new(&config.log_filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let Some(traces) = &config.traces else {
        let builder = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr);
        let _ = match config.log_format {
            LogFormat::Text => builder.try_init(),
            LogFormat::Json => builder.json().flatten_event(true).try_init(),
        };
        return Ok(Telemetry(None));
    };
    // The log filter applies to log lines only: spans are sent whatever the
    // log level, and a request's lines carry its trace id.
    let (exporter, otel) = traces::start(traces)?;
    let logs = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let logs = match config.log_format {
        LogFormat::Text => logs.with_filter(filter).boxed(),
        LogFormat::Json => logs.json().flatten_event(true).with_filter(filter).boxed(),
    };
    let _ = tracing_subscriber::registry()
        .with(logs)
        .with(otel)
        .try_init();
    Ok(Telemetry(Some(exporter)))
}
