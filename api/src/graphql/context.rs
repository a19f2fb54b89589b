//! What a resolver may know about its request.

use async_graphql::Context;

use crate::{auth::Principal, state::AppState};

/// Built once per request by the HTTP layer and never shared between requests.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub principal: Principal,
    pub client_address: String,
    pub request_id: String,
    /// Organisations and grants, read once for the whole request.
    pub organisations: std::sync::Arc<crate::organisations::Directory>,
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
