//! The HTTP surface: routes and the middleware every request passes through.
//!
//! `/graphql` (GET for cacheable reads, POST for everything, multipart POST for
//! uploads), `/admin` (the self-hosted GraphiQL), `/media/{id}/{variant}` (consent-checked
//! media links), `/uploads/{id}` (the one-time URL for large uploads on local disk),
//! `/healthz`, `/readyz` and `/metrics` (`metrics`, closed by default). Every
//! request gets a request id (echoed in `x-request-id`) and a tracing span carrying it,
//! which is also its OpenTelemetry server span when traces are exported.
//! `/graphql` also answers in the media type the client prefers (`media_type`),
//! answers CORS (`cors`), gzips large answers (`compression`) and rate-limits API
//! keys (`throttle`). Every request is counted and timed by its route class
//! (`metrics::observe`).

mod admin;
mod cache;
mod compression;
mod cors;
mod direct_upload;
mod drain;
mod graphql;
mod health;
mod media;
mod media_type;
mod metrics;
mod request_id;
mod subscriptions;
mod throttle;
mod upload;

use poem::{
    Endpoint, EndpointExt, Route, get, handler, middleware::CatchPanic, put, web::Redirect,
};

pub use metrics::listener_routes as metrics_listener_routes;
pub use request_id::RequestId;

use crate::{graphql::ChorusSchema, state::AppState};

/// Every route Chorus serves.
pub fn routes(state: AppState, schema: ChorusSchema) -> impl Endpoint + 'static {
    let measured = state.metrics.clone();
    Route::new()
        .at("/", get(root))
        .at(
            "/graphql",
            subscriptions::UpgradeOr {
                ws: get(subscriptions::upgrade),
                http: get(graphql::handle)
                    .post(graphql::handle)
                    .around(media_type::negotiate)
                    .around(compression::gzip)
                    .around(cors::apply)
                    .around(cache::staff_no_store),
            },
        )
        .at("/admin", get(admin::index))
        .at("/admin/", get(admin::index))
        .at("/admin/assets/*name", get(admin::asset))
        .at("/media/:id/:variant", get(media::serve))
        .at("/uploads/:id", put(direct_upload::put))
        .at("/healthz", get(health::healthz))
        .at("/readyz", get(health::readyz))
        .at("/metrics", get(metrics::guarded))
        .data(state)
        .data(schema)
        .with(CatchPanic::new())
        .around(move |ep, req| metrics::observe(measured.clone(), ep, req))
        .around(request_id::trace_request)
}

#[handler]
fn root() -> Redirect {
    Redirect::see_other("/admin")
}
