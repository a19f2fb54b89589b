//! What a resolver may know about its request.

use async_graphql::Context;

use crate::{auth::Principal, error::Result, organisations::Scope, state::AppState};

/// Built once per request by the HTTP layer and never shared between requests.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub principal: Principal,
    pub client_address: String,
    pub request_id: String,
    /// Organisations and grants, read once for the whole request.
    pub organisations: std::sync::Arc<crate::organisations::Directory>,
    /// The caller's scope, read by the first staff field that needs it.
    pub scope: std::sync::Arc<tokio::sync::OnceCell<Scope>>,
}

/// Short access to the shared state and the request's context.
pub(crate) trait ContextExt {
    fn state(&self) -> &AppState;
    fn request(&self) -> &RequestContext;
    fn principal(&self) -> &Principal {
        &self.request().principal
    }
}

impl ContextExt for Context<'_> {
    fn state(&self) -> &AppState {
        // Both are inserted by `build_schema` and the HTTP handler; a schema executed
        // without them is a programming error caught by every test.
        self.data_unchecked::<AppState>()
    }

    fn request(&self) -> &RequestContext {
        self.data_unchecked::<RequestContext>()
    }
}

/// The caller's scope (`Unauthenticated`/`Forbidden` for anyone not on the
/// staff), read once per request: every staff field asks for it here.
pub(crate) async fn scope<'a>(ctx: &'a Context<'_>) -> Result<&'a Scope> {
    let request = ctx.request();
    request
        .scope
        .get_or_try_init(|| Scope::for_principal(&ctx.state().db, &request.principal))
        .await
}
