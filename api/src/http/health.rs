//! Liveness and readiness for load balancers and orchestrators.

use poem::{handler, http::StatusCode, web::Data};

use crate::{db, state::AppState};

/// The process is up.
#[handler]
pub fn healthz() -> &'static str {
    "ok"
}

/// The process can serve: its database answers.
#[handler]
pub async fn readyz(state: Data<&AppState>) -> (StatusCode, &'static str) {
    if db::is_ready(&state.db).await {
        (StatusCode::OK, "ready")
    } else {
        tracing::warn!("readiness check failed: database unreachable");
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
    }
}
