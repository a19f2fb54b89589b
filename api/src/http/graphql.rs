//! `/graphql`: parse the request, resolve the caller, execute, give every error a code.
//!
//! Bodies are JSON, or multipart uploads (see [`super::upload`]).

use async_graphql::{
    BatchRequest, Request as GqlRequest,
    parser::types::{ExecutableDocument, OperationType, Selection, SelectionSet},
};
use poem::{
    Body, IntoResponse, Request, Response, handler,
    http::{Method, StatusCode, header},
    web::{Data, Json},
};

use super::{RequestId, upload};
use crate::{
    auth::{Principal, sessions},
    clock,
    config::Config,
    consumers,
    graphql::{ChorusSchema, RequestContext, finalize_errors},
    state::AppState,
};

/// Executes one GraphQL request sent by GET (queries only) or POST (JSON or multipart).
#[handler]
pub async fn handle(
    req: &Request,
    body: Body,
    state: Data<&AppState>,
    schema: Data<&ChorusSchema>,
    request_id: Data<&RequestId>,
) -> Response {
    let request_id = &request_id.0.0;
    let mut gql = match read_request(req, body, &state.config).await {
        Ok(gql) => gql,
        Err((status, code, message)) => return error(status, code, message, request_id),
    };

    let operation_name = gql.operation_name.clone();
    let (mutates, introspects) = match gql.parsed_query() {
        Ok(doc) => (
            is_mutation(doc, operation_name.as_deref()),
            asks_for_introspection(doc),
        ),
        // Execution reports the syntax error with its position.
        Err(_) => (false, false),
    };
    // GET may be cached and replayed by anything on the way, so it never changes data.
    if mutates && req.method() == Method::GET {
        return error(
            StatusCode::METHOD_NOT_ALLOWED,
            "BAD_USER_INPUT",
            "mutations must be sent with POST",
            request_id,
        );
    }

    let principal = match credentials(req) {
        Ok(Credentials::None) => Ok(Principal::Anonymous),
        Ok(Credentials::Bearer(token)) => {
            sessions::authenticate(&state.db, &state.keys, token, clock::now()).await
        }
        Ok(Credentials::ApiKey(key)) => consumers::authenticate(&state.db, key, clock::now()).await,
        Err(message) => Err(crate::error::Error::Unauthenticated(message)),
    };
    let principal = match principal {
        Ok(principal) => principal,
        Err(e) => {
            e.log_if_internal();
            return error(StatusCode::OK, e.code(), e.to_string(), request_id);
        }
    };
    super::cors::note_principal(req, &principal);
    if let Some(refused) = super::throttle::refuse_if_limited(&state, &principal, request_id) {
        return refused;
    }

    if !state.config.graphql.public_introspection && !principal.is_staff() {
        if introspects {
            return error(
                StatusCode::OK,
                "FORBIDDEN",
                "schema introspection is open to signed-in staff only",
                request_id,
            );
        }
        gql = gql.disable_introspection();
    }
    let is_staff = principal.is_staff();
    gql = gql.data(RequestContext {
        principal,
        client_address: client_address(req, state.config.auth.trust_forwarded_for),
        request_id: request_id.clone(),
    });

    let mut response = schema.execute(gql).await;
    finalize_errors(&mut response, request_id);
    let mut http = Json(&response).into_response();
    // A staff member's answer is theirs alone; nothing between may keep it.
    if is_staff || req.method() != Method::GET {
        http.headers_mut().insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("no-store"),
        );
    }
    http
}

/// A request refused before execution: the HTTP status, the code and the message.
pub(super) type Refusal = (StatusCode, &'static str, String);

async fn read_request(req: &Request, body: Body, config: &Config) -> Result<GqlRequest, Refusal> {
    let bad = |message: String| (StatusCode::BAD_REQUEST, "BAD_USER_INPUT", message);
    if req.method() == Method::GET {
        return async_graphql::http::parse_query_string(req.uri().query().unwrap_or_default())
            .map_err(|e| bad(format!("malformed GraphQL request: {e}")));
    }

    if upload::is_multipart(req) {
        // Before a byte of the body is read.
        upload::guard(req)?;
        return upload::read(req, body, config).await;
    }

    let limit = config.graphql.max_body_bytes;
    let content_type = req
        .header(header::CONTENT_TYPE)
        .unwrap_or("application/json");
    if !content_type.starts_with("application/json")
        && !content_type.starts_with("application/graphql-response+json")
    {
        return Err((
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "BAD_USER_INPUT",
            "send the request as application/json, or multipart/form-data for uploads".into(),
        ));
    }
    let too_large = || {
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            format!("the request body is larger than {limit} bytes"),
        )
    };
    // A declared length over the limit is refused before a byte is read; otherwise
    // reading stops as soon as the limit is passed, so nothing larger is buffered.
    if req
        .header(header::CONTENT_LENGTH)
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|n| n > limit as u64)
    {
        return Err(too_large());
    }
    let bytes = body
        .into_bytes_limit(limit)
        .await
        .map_err(|_| too_large())?;
    let batch: BatchRequest = serde_json::from_slice(&bytes)
        .map_err(|e| bad(format!("malformed GraphQL request: {e}")))?;
    batch.into_single().map_err(|_| {
        bad("batched requests are not supported; send one operation per request".into())
    })
}

/// True when the operation to run (or any, if unnamed) is not a query.
fn is_mutation(doc: &ExecutableDocument, operation_name: Option<&str>) -> bool {
    doc.operations.iter().any(|(name, op)| {
        op.node.ty != OperationType::Query
            && operation_name.is_none_or(|wanted| name.is_some_and(|n| n.as_str() == wanted))
    })
}

/// True when an operation selects `__schema` or `__type` at its root, directly or
/// through fragments.
fn asks_for_introspection(doc: &ExecutableDocument) -> bool {
    fn selects(doc: &ExecutableDocument, set: &SelectionSet, depth: usize) -> bool {
        // Fragment cycles are rejected by validation later; don't follow them here.
        depth < 16
            && set.items.iter().any(|item| match &item.node {
                Selection::Field(f) => matches!(f.node.name.node.as_str(), "__schema" | "__type"),
                Selection::InlineFragment(f) => selects(doc, &f.node.selection_set.node, depth + 1),
                Selection::FragmentSpread(spread) => doc
                    .fragments
                    .get(&spread.node.fragment_name.node)
                    .is_some_and(|f| selects(doc, &f.node.selection_set.node, depth + 1)),
            })
    }
    doc.operations
        .iter()
        .any(|(_, op)| selects(doc, &op.node.selection_set.node, 0))
}

/// What a request authenticates with.
enum Credentials<'a> {
    None,
    /// A staff access token (`Authorization: Bearer …`).
    Bearer(&'a str),
    /// A consumer key (`X-Api-Key: …`).
    ApiKey(&'a str),
}

/// The request's credentials; a malformed `Authorization` header, or both kinds at
/// once, is refused rather than ignored.
fn credentials(req: &Request) -> Result<Credentials<'_>, String> {
    let bearer = match req.header(header::AUTHORIZATION) {
        None => None,
        Some(value) => match value.split_once(' ') {
            Some((scheme, token))
                if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
            {
                Some(token.trim())
            }
            _ => return Err("the Authorization header must be `Bearer <access token>`".into()),
        },
    };
    let api_key = req.header("x-api-key").map(str::trim);
    match (bearer, api_key) {
        (None, None) => Ok(Credentials::None),
        (Some(token), None) => Ok(Credentials::Bearer(token)),
        (None, Some(key)) => Ok(Credentials::ApiKey(key)),
        (Some(_), Some(_)) => Err("send either an access token or an API key, not both".into()),
    }
}

/// The client's address: the connection's peer, or behind one trusted proxy the
/// address it appended to `X-Forwarded-For`.
pub(super) fn client_address(req: &Request, trust_forwarded_for: bool) -> String {
    if trust_forwarded_for
        && let Some(last) = req
            .header("x-forwarded-for")
            .and_then(|v| v.rsplit(',').next())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    {
        return last.to_owned();
    }
    req.remote_addr()
        .as_socket_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

fn error(status: StatusCode, code: &str, message: impl Into<String>, request_id: &str) -> Response {
    let mut response = crate::graphql::error_response(code, message);
    finalize_errors(&mut response, request_id);
    let mut http = Json(&response).into_response();
    http.set_status(status);
    http.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    http
}
