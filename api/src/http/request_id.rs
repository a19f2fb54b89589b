//! A request id for every request: on its tracing span, in `x-request-id`, and in
//! `INTERNAL` errors, so a user's report can be matched to the log. The same span
//! is the request's server span when traces are exported (`telemetry::traces`).

use std::time::Instant;

use poem::{Endpoint, IntoResponse, Request, Response};
use tracing::Instrument;
use uuid::Uuid;

use crate::telemetry::traces;

/// The id of the request being served.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

const HEADER: &str = "x-request-id";

/// Wraps the whole app: assigns the id, opens the span, logs the outcome.
pub async fn trace_request<E: Endpoint>(
    ep: std::sync::Arc<E>,
    mut req: Request,
) -> poem::Result<Response> {
    // A proxy's id is kept so logs line up across hops, if it is short and plain.
    let id = req
        .header(HEADER)
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        })
        .map(str::to_owned)
        .unwrap_or_else(|| Uuid::now_v7().to_string());
    req.extensions_mut().insert(RequestId(id.clone()));
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %req.method(),
        path = %req.uri().path(),
        // Filled only while traces are exported (telemetry::traces).
        trace_id = tracing::field::Empty,
        otel.kind = tracing::field::Empty,
        otel.status_code = tracing::field::Empty,
        http.response.status_code = tracing::field::Empty,
        graphql.operation.name = tracing::field::Empty,
        graphql.operation.type = tracing::field::Empty,
        graphql.outcome = tracing::field::Empty,
    );
    traces::start_request(
        &span,
        req.method().as_str(),
        req.uri().path(),
        req.headers(),
    );
    async move {
        let started = Instant::now();
        let mut response = match ep.call(req).await {
            Ok(output) => output.into_response(),
            Err(err) => err.into_response(),
        };
        if let Ok(value) = id.parse() {
            response.headers_mut().insert(HEADER, value);
        }
        traces::end_request(&tracing::Span::current(), response.status().as_u16());
        tracing::info!(
            status = response.status().as_u16(),
            elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
            "request finished"
        );
        Ok(response)
    }
    .instrument(span)
    .await
}
