//! CORS for `/graphql`: which web pages may read Chorus's answers from a browser.
//!
//! An origin is allowed when it is on `CHORUS_CORS_ORIGINS` (the organisation's own
//! sites) or on a partner's list ([`crate::consumers::origins`]). A preflight has no
//! API key, so it is answered for any partner's origin; the real request is then
//! shared only with the origins of the key's own partner. Staff answers, and those
//! of keys without a partner, go to the configured origins only. Chorus uses no
//! cookies, so `Access-Control-Allow-Credentials` is never sent, and never `*`.

use std::sync::{Arc, OnceLock};

use poem::{
    Endpoint, IntoResponse, Request, Response,
    http::{HeaderValue, Method, StatusCode, header},
};

use crate::{
    auth::Principal,
    consumers::origins::{Audience, OriginCache},
    state::AppState,
};

const ALLOW_METHODS: &str = "GET, POST";
const ALLOW_HEADERS: &str = "content-type, x-api-key, authorization, graphql-preflight, apollo-require-preflight, if-none-match";
const EXPOSE_HEADERS: &str = "etag, retry-after, x-request-id";
/// How long a browser may reuse a preflight answer; short, as origin lists change.
const MAX_AGE_SECS: &str = "600";

/// Set by the GraphQL handler once it knows who is asking; read on the way out.
#[derive(Clone, Default)]
pub struct AudienceSlot(Arc<OnceLock<Audience>>);

/// Records whose origins the answer to `req` may be shared with.
pub fn note_principal(req: &Request, principal: &Principal) {
    if let Some(slot) = req.extensions().get::<AudienceSlot>() {
        let audience = match principal {
            Principal::Anonymous => Audience::AnyPartner,
            Principal::Consumer(c) => c
                .partner_id
                .map_or(Audience::OwnSitesOnly, Audience::Partner),
            Principal::Staff(_) => Audience::OwnSitesOnly,
        };
        let _ = slot.0.set(audience);
    }
}

/// Wraps `/graphql`: answers preflights and adds the CORS headers to answers.
pub async fn apply<E: Endpoint>(ep: Arc<E>, mut req: Request) -> poem::Result<Response> {
    let Some(state) = req.data::<AppState>() else {
        return ep.call(req).await.map(IntoResponse::into_response);
    };
    let (cache, db) = (state.origins.clone(), state.db.clone());
    cache.refresh_if_stale(&db);
    let origin = req
        .header(header::ORIGIN)
        .map(str::to_owned)
        .filter(|o| !o.is_empty());

    if req.method() == Method::OPTIONS
        && let Some(origin) = &origin
        && let Some(method) = req.header(header::ACCESS_CONTROL_REQUEST_METHOD)
    {
        return Ok(preflight(&cache, origin, method));
    }

    let slot = AudienceSlot::default();
    req.extensions_mut().insert(slot.clone());
    let mut response = match ep.call(req).await {
        Ok(output) => output.into_response(),
        Err(err) => err.into_response(),
    };
    // A request refused before its key was checked (a malformed body, a bad key)
    // is answered like a preflight, so the page can read the error.
    let audience = slot.0.get().copied().unwrap_or(Audience::AnyPartner);
    let headers = response.headers_mut();
    super::cache::vary(headers, "Origin");
    if let Some(origin) = origin
        && cache.allows(&origin, audience)
        && let Ok(value) = HeaderValue::from_str(&origin)
    {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSE_HEADERS),
        );
    }
    Ok(response)
}

/// The answer to a preflight: allowed for any partner's origin and the configured ones.
fn preflight(cache: &OriginCache, origin: &str, method: &str) -> Response {
    let allowed = matches!(method, "GET" | "POST")
        && cache.allows(origin, Audience::AnyPartner)
        && HeaderValue::from_str(origin).is_ok();
    let mut builder = Response::builder().header(header::VARY, "Origin");
    if !allowed {
        return builder.status(StatusCode::FORBIDDEN).finish();
    }
    builder = builder
        .status(StatusCode::NO_CONTENT)
        .header(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin)
        .header(header::ACCESS_CONTROL_ALLOW_METHODS, ALLOW_METHODS)
        .header(header::ACCESS_CONTROL_ALLOW_HEADERS, ALLOW_HEADERS)
        .header(header::ACCESS_CONTROL_MAX_AGE, MAX_AGE_SECS);
    builder.finish()
}
