//! The media type of `/graphql` answers, as GraphQL over HTTP defines it.
//!
//! A client whose `Accept` names `application/graphql-response+json` (at least as
//! high as `application/json`) gets that type, and with it HTTP statuses that
//! mean something: a request error (unparsable JSON or document, a failed
//! validation or variable coercion, no operation to run, a refused credential) is
//! a 4xx (or 5xx) with no `data` entry, while an answer whose execution began
//! stays `200` with its `data`, even when some fields failed. Everyone else
//! (`application/json`, `*/*`, no `Accept`) gets the legacy type: `200` with
//! `data: null` for the request errors that `200` has always carried. The
//! handler marks its request errors ([`mark_request_error`]); this layer, around
//! it, turns a marked answer into the chosen shape, so the handler and the
//! response cache deal in one representation.

use std::sync::Arc;

use async_graphql::{Response as GqlResponse, ServerError, Value};
use poem::{
    Endpoint, IntoResponse, Request, Response,
    http::{HeaderValue, StatusCode, header},
};

/// The media type GraphQL over HTTP registers for GraphQL responses.
pub const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

/// Which of the two media types a client gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaType {
    /// `application/json`: the legacy type, where every GraphQL answer is `200`.
    Json,
    /// `application/graphql-response+json`.
    GraphqlResponse,
}

impl MediaType {
    /// The type `accept` asks for: `application/graphql-response+json` only when it
    /// is named with a quality above zero and no lower than `application/json`'s
    /// (wildcards stand for the legacy type, as the spec asks).
    pub fn preferred(accept: Option<&str>) -> Self {
        let Some(accept) = accept else {
            return MediaType::Json;
        };
        let mut graphql_response: Option<f32> = None;
        // The quality of the most specific range that matches application/json.
        let mut json: (u8, f32) = (0, 0.0);
        for range in accept.split(',') {
            let mut parts = range.split(';');
            let essence = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let quality = parts
                .filter_map(|p| p.split_once('='))
                .find(|(name, _)| name.trim().eq_ignore_ascii_case("q"))
                .and_then(|(_, q)| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let specificity = match essence.as_str() {
                GRAPHQL_RESPONSE => {
                    graphql_response = Some(graphql_response.unwrap_or(0.0).max(quality));
                    continue;
                }
                "application/json" => 3,
                "application/*" => 2,
                "*/*" => 1,
                _ => continue,
            };
            if specificity > json.0 {
                json = (specificity, quality);
            }
        }
        match graphql_response {
            Some(q) if q > 0.0 && q >= json.1 => MediaType::GraphqlResponse,
            _ => MediaType::Json,
        }
    }
}

/// The request errors of an answer, kept beside its legacy JSON body.
#[derive(Clone)]
struct RequestErrors(Vec<ServerError>);

/// Marks `response` as a request error: nothing was executed, and `errors` say why.
pub fn mark_request_error(response: &mut Response, errors: &[ServerError]) {
    response
        .extensions_mut()
        .insert(RequestErrors(errors.to_vec()));
}

/// The code of the first request error `response` was marked with, if any.
pub fn request_error_code(response: &Response) -> Option<&str> {
    let RequestErrors(errors) = response.extensions().get::<RequestErrors>()?;
    first_error_code(errors)
}

/// The `extensions.code` of the first of `errors`.
pub fn first_error_code(errors: &[ServerError]) -> Option<&str> {
    match errors.first()?.extensions.as_ref()?.get("code")? {
        Value::String(code) => Some(code),
        _ => None,
    }
}

/// True when execution never began: errors and no data, and no error at a field
/// (parse, validation and variable errors have no path; a field's error has one).
pub fn is_request_error(response: &GqlResponse) -> bool {
    !response.errors.is_empty()
        && response.data == Value::Null
        && response.errors.iter().all(|e| e.path.is_empty())
}

/// The status of a request error in `application/graphql-response+json`, by its
/// code; `None` for an answer that keeps `200` and `data: null`.
fn request_error_status(code: &str) -> Option<StatusCode> {
    Some(match code {
        // The persisted-query protocol predates this media type: Apollo's clients
        // look for this error in a `200` answer (and turn the protocol off for
        // the session on a 400 or 500), and Apollo Server answers it so.
        "PERSISTED_QUERY_NOT_FOUND" => return None,
        "BAD_USER_INPUT" | "QUERY_TOO_COMPLEX" | "SYNC_CURSOR_EXPIRED" => StatusCode::BAD_REQUEST,
        "UNAUTHENTICATED" => StatusCode::UNAUTHORIZED,
        "FORBIDDEN" => StatusCode::FORBIDDEN,
        "NOT_FOUND" => StatusCode::NOT_FOUND,
        "CONFLICT" => StatusCode::CONFLICT,
        "PAYLOAD_TOO_LARGE" => StatusCode::PAYLOAD_TOO_LARGE,
        "UNSUPPORTED_MEDIA_TYPE" => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "RATE_LIMITED" => StatusCode::TOO_MANY_REQUESTS,
        // The server (or its media store) could not finish in time: worth a retry.
        "DEADLINE_EXCEEDED" | "STORAGE_UNAVAILABLE" => StatusCode::SERVICE_UNAVAILABLE,
        // `INTERNAL`, and any code the client did not cause.
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    })
}

/// Wraps `/graphql`: answers in the media type the request prefers.
pub async fn negotiate<E: Endpoint>(ep: Arc<E>, req: Request) -> poem::Result<Response> {
    let wanted = MediaType::preferred(req.header(header::ACCEPT));
    let mut response = match ep.call(req).await {
        Ok(output) => output.into_response(),
        Err(err) => err.into_response(),
    };
    // The same request answers differently by its Accept, so caches key on it.
    super::cache::vary(response.headers_mut(), "Accept");
    let is_json = response
        .content_type()
        .is_some_and(|t| t.starts_with("application/json"));
    if wanted == MediaType::Json || !is_json {
        return Ok(response);
    }
    if let Some(RequestErrors(errors)) = response.extensions_mut().remove::<RequestErrors>() {
        let code = errors
            .first()
            .and_then(|e| e.extensions.as_ref())
            .and_then(|ext| ext.get("code"))
            .and_then(|code| match code {
                Value::String(code) => Some(code.as_str()),
                _ => None,
            })
            .unwrap_or("INTERNAL");
        if let Some(status) = request_error_status(code) {
            if response.status() == StatusCode::OK {
                response.set_status(status);
            }
            // The same errors, without the `data` entry no execution produced.
            match serde_json::to_vec(&serde_json::json!({ "errors": errors })) {
                Ok(body) => response.set_body(body),
                Err(e) => tracing::error!(error = %e, "cannot serialise request errors"),
            }
        }
    }
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/graphql-response+json; charset=utf-8"),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graphql_response_json_is_chosen_only_when_preferred() {
        use MediaType::*;
        for (accept, wanted) in [
            (None, Json),
            (Some(""), Json),
            (Some("*/*"), Json),
            (Some("application/json"), Json),
            (Some("text/html"), Json),
            (Some(GRAPHQL_RESPONSE), GraphqlResponse),
            (
                Some("Application/GraphQL-Response+JSON; charset=utf-8"),
                GraphqlResponse,
            ),
            (
                Some("application/graphql-response+json,application/json;q=0.9"),
                GraphqlResponse,
            ),
            (
                Some("application/json, application/graphql-response+json"),
                GraphqlResponse,
            ),
            (
                Some("application/json, application/graphql-response+json;q=0.9"),
                Json,
            ),
            (Some("application/graphql-response+json;q=0"), Json),
            (
                Some("application/graphql-response+json;q=0.5, */*;q=0.1"),
                GraphqlResponse,
            ),
            (Some("application/graphql-response+json;q=0.5, */*"), Json),
            (
                Some("application/graphql-response+json;q=0.5, application/json;q=0.1, */*"),
                GraphqlResponse,
            ),
        ] {
            assert_eq!(MediaType::preferred(accept), wanted, "{accept:?}");
        }
    }
}
