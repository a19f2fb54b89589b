//! `/metrics` (Prometheus text format) and the measuring of every HTTP request.
//!
//! On the main listener `/metrics` is closed unless `CHORUS_METRICS_TOKEN` is
//! set, and then answers only `Authorization: Bearer <token>`; on the listener
//! of `CHORUS_METRICS_BIND` (a private network's address) it answers anyone,
//! and nothing else is served there.

use std::{sync::Arc, time::Instant};

use poem::{
    Endpoint, EndpointExt, IntoResponse, Request, Response, Route, get, handler,
    http::{StatusCode, header},
    web::Data,
};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::{clock, metrics::Metrics, state::AppState};

/// The media type of the Prometheus text format.
const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// `/metrics` on the main listener: 404 without a configured token, 401 with
/// `WWW-Authenticate: Bearer` without the right one.
#[handler]
pub async fn guarded(req: &Request, state: Data<&AppState>) -> Response {
    let Some(token) = &state.config.metrics.token else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let presented = req
        .header(header::AUTHORIZATION)
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    // Digests first: equal lengths, so the comparison says nothing about the
    // token's length either.
    let matches = presented.is_some_and(|presented| {
        let presented = Sha256::digest(presented.as_bytes());
        let expected = Sha256::digest(token.as_bytes());
        bool::from(presented.ct_eq(&expected))
    });
    if !matches {
        return Response::builder()
            .status(StatusCode::UNAUTHORIZED)
            .header(header::WWW_AUTHENTICATE, "Bearer realm=\"metrics\"")
            .header(header::CACHE_CONTROL, "no-store")
            .body("a metrics token is required");
    }
    render(&state).await
}

/// `/metrics` on the metrics listener: open to whoever reaches that address.
#[handler]
async fn open(state: Data<&AppState>) -> Response {
    render(&state).await
}

async fn render(state: &AppState) -> Response {
    crate::metrics::backlog::scrape(state, clock::now()).await;
    let Some(text) = state.metrics.render() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    Response::builder()
        .header(header::CONTENT_TYPE, TEXT_FORMAT)
        .header(header::CACHE_CONTROL, "no-store")
        .body(text)
}

/// The routes of the metrics listener: `/metrics` and nothing else.
pub fn listener_routes(state: AppState) -> impl Endpoint + 'static {
    Route::new().at("/metrics", get(open)).data(state)
}

/// Wraps every route: counts the request by its route class and status class,
/// and times it.
pub async fn observe<E: Endpoint>(
    metrics: Arc<Metrics>,
    ep: Arc<E>,
    req: Request,
) -> poem::Result<Response> {
    if !metrics.enabled() {
        return ep.call(req).await.map(IntoResponse::into_response);
    }
    let route = route_class(req.uri().path());
    let started = Instant::now();
    let response = match ep.call(req).await {
        Ok(output) => output.into_response(),
        Err(err) => err.into_response(),
    };
    metrics.http_request(route, response.status().as_u16(), started.elapsed());
    Ok(response)
}

/// The kind of route a path takes, a fixed set so the label stays bounded.
fn route_class(path: &str) -> &'static str {
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    match first {
        "graphql" => "graphql",
        "admin" | "" => "admin",
        "media" => "media",
        "uploads" => "uploads",
        "healthz" | "readyz" => "health",
        "metrics" => "metrics",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::route_class;

    #[test]
    fn paths_fall_into_a_few_route_classes() {
        assert_eq!(route_class("/graphql"), "graphql");
        assert_eq!(route_class("/admin/assets/x.js"), "admin");
        assert_eq!(route_class("/"), "admin");
        assert_eq!(route_class("/media/1/web"), "media");
        assert_eq!(route_class("/uploads/1"), "uploads");
        assert_eq!(route_class("/readyz"), "health");
        assert_eq!(route_class("/metrics"), "metrics");
        assert_eq!(route_class("/wp-login.php"), "other");
    }
}
