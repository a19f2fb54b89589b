//! The per-API-key rate limit, applied to `/graphql` before a consumer's request runs.

use std::time::Instant;

use poem::{
    IntoResponse, Response,
    http::{HeaderValue, StatusCode, header},
    web::Json,
};

use crate::{
    auth::Principal,
    consumers::throttle::retry_after_secs,
    error::Error,
    graphql::{error_response, finalize_errors},
    state::AppState,
};

/// `None` when the request may go on; otherwise the `429 Too Many Requests`
/// answer, with `Retry-After` and a `RATE_LIMITED` error. Only API keys are counted.
pub fn refuse_if_limited(
    state: &AppState,
    principal: &Principal,
    request_id: &str,
) -> Option<Response> {
    let Principal::Consumer(consumer) = principal else {
        return None;
    };
    let wait = state.throttle.take(consumer.key_id, Instant::now()).err()?;
    let retry_after_secs = retry_after_secs(wait);
    tracing::debug!(key_id = %consumer.key_id, retry_after_secs, "API key rate limit reached");
    let refused = Error::RateLimited { retry_after_secs };
    let mut body = error_response(
        refused.code(),
        format!("too many requests for this API key; try again in {retry_after_secs} seconds"),
    );
    if let Some(error) = body.errors.first_mut() {
        error
            .extensions
            .get_or_insert_with(Default::default)
            .set("retryAfterSeconds", retry_after_secs);
    }
    finalize_errors(&mut body, request_id);
    let mut http = Json(&body).into_response();
    http.set_status(StatusCode::TOO_MANY_REQUESTS);
    super::media_type::mark_request_error(&mut http, &body.errors);
    let headers = http.headers_mut();
    headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Some(http)
}
