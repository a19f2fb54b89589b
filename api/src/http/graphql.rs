//! `/graphql`: parse the request, resolve the caller, execute, give every error a code.
//!
//! Bodies are JSON (a POST must say so in its `Content-Type`), or multipart uploads
//! (see [`super::upload`]); answers take the media type the client prefers
//! ([`super::media_type`]). Queries may come
//! as persisted-query hashes (Apollo's APQ, [`crate::consumers::apq`]); consumer
//! answers are reused while exact ([`crate::consumers::response_cache`]) and
//! carry HTTP caching headers on `GET` ([`super::cache`]).

use std::{sync::Arc, time::Instant};

use async_graphql::{
    BatchRequest, Request as GqlRequest, Variables,
    parser::types::{ExecutableDocument, OperationType, Selection, SelectionSet},
};
use bytes::Bytes;
use poem::{
    Body, IntoResponse, Request, Response, handler,
    http::{Method, StatusCode, header},
    web::{Data, Json},
};

use super::{RequestId, cache, compression, drain, media_type, upload};
use crate::{
    auth::{Principal, sessions},
    clock,
    config::Config,
    consumers::{
        self,
        apq::{Lookup, Refused},
        dependencies::{self, Dependencies},
        response_cache::{self, Cached, Key},
    },
    graphql::{ChorusSchema, QueryLimits, RequestContext, finalize_errors},
    state::AppState,
};

/// Executes one GraphQL request sent by GET (queries only) or POST (JSON or
/// multipart), and measures it: its operation, how it ended, how long it took.
#[handler]
pub async fn handle(
    req: &Request,
    body: Body,
    state: Data<&AppState>,
    schema: Data<&ChorusSchema>,
    request_id: Data<&RequestId>,
) -> Response {
    let started = Instant::now();
    let mut seen = Seen::default();
    let response = serve(req, body, &state, &schema, &request_id.0.0, &mut seen).await;
    let outcome = media_type::request_error_code(&response)
        .or(seen.error.as_deref())
        .unwrap_or("ok");
    state
        .metrics
        .graphql_request(seen.operation.as_deref(), outcome, started.elapsed());
    response
}

/// What [`serve`] learnt about a request that its answer does not say plainly.
#[derive(Default)]
struct Seen {
    /// The operation's name, as the request gave it or its only operation has it.
    operation: Option<String>,
    /// The code of the first error of an answer that was executed.
    error: Option<String>,
}

async fn serve(
    req: &Request,
    body: Body,
    state: &AppState,
    schema: &ChorusSchema,
    request_id: &str,
    seen: &mut Seen,
) -> Response {
    let uploads = upload::is_multipart(req);
    let mut gql = match read_request(req, body, &state.config).await {
        Ok(gql) => gql,
        Err((status, code, message)) => return error(status, code, message, request_id),
    };
    seen.operation.clone_from(&gql.operation_name);
    // A hash alone is replaced by its stored text; a text with its hash is checked
    // now and remembered once the caller is known and the text proves a query.
    let register = match persisted_query(state, &mut gql) {
        Ok(register) => register,
        Err(refused) => return refused.into_response(request_id),
    };

    let credentials = credentials(req);
    let is_get = req.method() == Method::GET;
    // Consumer reads (never staff, never uploads) may be answered from the cache,
    // and their GET answers carry a max-age: both need the change log's mark,
    // read first: before the key is looked up (a key known at this mark needs no
    // lookup), before the clock and before the query runs (see `response_cache`).
    let cache_setting = &state.config.cache;
    let tracked = !uploads
        && !matches!(credentials, Ok(Credentials::Bearer(_)))
        && (state.caches.responses.enabled() || (is_get && !cache_setting.max_age.is_zero()));
    // An API key known at the mark needs no lookup (two statements), so the
    // mark (one) is read for every key's request, cache or not.
    let keyed = matches!(credentials, Ok(Credentials::ApiKey(_)));
    let high_water = if tracked || keyed {
        match response_cache::high_water(&state.db).await {
            Ok(high_water) => Some(high_water),
            // The query will meet the same trouble and report it; keep nothing.
            Err(e) => {
                e.log_if_internal();
                None
            }
        }
    } else {
        None
    };

    let principal = match credentials {
        Ok(Credentials::None) => Ok(Principal::Anonymous),
        Ok(Credentials::Bearer(token)) => {
            sessions::authenticate(&state.db, &state.keys, token, clock::now()).await
        }
        Ok(Credentials::ApiKey(key)) => {
            let known = high_water.map(|mark| (&state.caches.keys, mark));
            consumers::authenticate(&state.db, known, key, clock::now()).await
        }
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
    if let Some(refused) = super::throttle::refuse_if_limited(state, &principal, request_id) {
        return refused;
    }

    // Only a campaign site's submission key may send files with an API key
    // (the multipart guard let it through for this check, with its preflight header).
    if uploads && matches!(principal, Principal::Consumer(_)) && !principal.is_submission_key() {
        return error(
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
            "API keys read published stories; uploads need a staff account or a SUBMISSIONS key",
            request_id,
        );
    }
    let key = if uploads || principal.is_staff() || principal.is_submission_key() {
        None
    } else {
        let variables = serde_json::to_vec(&gql.variables).unwrap_or_default();
        Key::new(
            &principal,
            &gql.query,
            &variables,
            gql.operation_name.as_deref(),
        )
    };
    let mut mark = None;
    if let (true, Some(high_water), Some(key)) = (tracked, high_water, &key) {
        // Entries a change up to this mark can change end first; should the
        // change rows not be readable, nothing is served from the cache.
        let current = match state.caches.responses.catch_up(&state.db, high_water).await {
            Ok(()) => true,
            Err(e) => {
                e.log_if_internal();
                false
            }
        };
        let now = clock::now();
        if current && let Some(hit) = state.caches.responses.get(key, now) {
            if seen.operation.is_none() {
                seen.operation = hit.operation.as_deref().map(str::to_owned);
            }
            if let Some(digest) = register {
                register_if_query(state, digest, &mut gql);
            }
            // No story bookkeeping here: the entry's key names this API key,
            // so the uncached run that made it already recorded this key's
            // reads of its stories (`takedown::record_reads`), and none of
            // them has changed since (a takedown is a change to the story,
            // which would have ended the entry).
            crate::telemetry::traces::graphql_operation(gql.operation_name.as_deref(), false);
            crate::telemetry::traces::graphql_outcome(None);
            match sendable(req, &hit.body, hit.gzipped) {
                Ok((body, gzipped)) => return answer(req, state, body, gzipped, Some(&hit)),
                // Never expected (the bytes were gzipped here); run the query.
                Err(e) => tracing::error!(error = %e, "a cached answer does not decode"),
            }
        }
        mark = Some((high_water, now));
    }

    let operation_name = gql.operation_name.clone();
    let limits = QueryLimits::new(&state.config.graphql);
    let parsed = match limits.check_text(&gql.query) {
        // Refused unparsed: its length alone is the cost.
        Err(refused) => Err(Some(refused)),
        Ok(()) => schema.documents.parse(&mut gql).map_err(|_| None),
    };
    if let (None, Ok(doc)) = (&seen.operation, &parsed) {
        seen.operation = only_operation_name(doc);
    }
    let (mutates, introspects, cacheable, over_limits) = match parsed {
        // Measured first, in one pass: a document over the limits is walked no
        // further, here or by validation.
        Ok(doc) => match limits.check(doc) {
            Ok(()) => (
                is_mutation(doc, operation_name.as_deref()),
                asks_for_introspection(doc),
                Cacheable::of(doc, operation_name.as_deref()),
                None,
            ),
            Err(refused) => (false, false, Cacheable::No, Some(refused)),
        },
        Err(Some(refused)) => (false, false, Cacheable::No, Some(refused)),
        // Execution reports the syntax error with its position.
        Err(None) => (false, false, Cacheable::No, None),
    };
    crate::telemetry::traces::graphql_operation(operation_name.as_deref(), mutates);
    // GET may be cached and replayed by anything on the way, so it never changes data.
    if mutates && is_get {
        return error(
            StatusCode::METHOD_NOT_ALLOWED,
            "BAD_USER_INPUT",
            "mutations must be sent with POST",
            request_id,
        );
    }
    if let Some(digest) = register
        && over_limits.is_none()
    {
        register_if_query(state, digest, &mut gql);
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
    // A staff member's answers are theirs alone; a submission key's are challenges
    // and receipts, each for one storyteller.
    let private = principal.is_staff() || principal.is_submission_key();
    gql = gql.data(RequestContext {
        principal,
        client_address: client_address(req, state.config.auth.trust_forwarded_for),
        request_id: request_id.to_owned(),
        organisations: Default::default(),
        scope: Default::default(),
    });

    // What the answer shows is noted while it is made (`dependencies`), when
    // it may be kept.
    let keepable = mark.is_some() && cacheable != Cacheable::No && state.caches.responses.enabled();
    let (mut response, mut depends) = match over_limits {
        Some(refused) => (
            async_graphql::Response::from_errors(vec![refused]),
            Dependencies::default(),
        ),
        None => {
            let run = crate::graphql::execute(schema, gql, &state.config.graphql, !mutates);
            if keepable {
                dependencies::collect(run).await
            } else {
                (run.await, Dependencies::default())
            }
        }
    };
    depends.global = cacheable == Cacheable::Global;
    finalize_errors(&mut response, request_id);
    crate::telemetry::traces::graphql_outcome(response.errors.first().map(error_code));
    let body = match serde_json::to_vec(&response) {
        Ok(body) => Bytes::from(body),
        Err(e) => {
            tracing::error!(error = %e, "cannot serialise a GraphQL response");
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL",
                "the answer could not be written",
                request_id,
            );
        }
    };
    seen.error = media_type::first_error_code(&response.errors).map(str::to_owned);
    // Private answers (above) are never kept, and errors are not worth keeping.
    if private || !response.errors.is_empty() || mutates {
        let mut http = cache::no_store(body);
        if media_type::is_request_error(&response) {
            media_type::mark_request_error(&mut http, &response.errors);
        }
        return http;
    }
    let Some((high_water, now)) = mark else {
        return answer(req, state, body, false, None);
    };
    // A write landing while the query ran does not spoil the answer: it is
    // kept at the mark read before, and that write (if it can change it) ends
    // it, when it is put or at the next sweep (see `response_cache`).
    let valid_until = match state
        .caches
        .responses
        .visible_until(&state.db, high_water, now)
        .await
    {
        Ok(next_change) => {
            response_cache::valid_until(next_change, now, state.config.media_url_ttl)
        }
        Err(e) => {
            e.log_if_internal();
            return answer(req, state, body, false, None);
        }
    };
    let etag = cache::etag(&body);
    // What is kept is gzipped once, here, and sent as it is to clients that
    // accept gzip; the rest get the JSON as it was made.
    let (stored, gzipped) = if keepable && body.len() >= compression::MIN_BYTES {
        match compression::encode(&body) {
            Ok(gzipped) => (Bytes::from(gzipped), true),
            Err(e) => {
                tracing::warn!(error = %e, "gzip failed; keeping the answer uncompressed");
                (body.clone(), false)
            }
        }
    } else {
        (body.clone(), false)
    };
    let entry = Cached {
        etag,
        body: stored,
        gzipped,
        valid_until,
        high_water,
        depends,
        operation: seen.operation.as_deref().map(Arc::from),
    };
    let response = if gzipped && compression::accepted(req) {
        answer(req, state, entry.body.clone(), true, Some(&entry))
    } else {
        answer(req, state, body, false, Some(&entry))
    };
    if keepable && let Some(key) = key {
        state.caches.responses.put(key, entry);
    }
    response
}

/// The bytes to send for a stored body: gzipped ones as they are when the
/// client accepts gzip, decoded otherwise.
fn sendable(req: &Request, body: &Bytes, gzipped: bool) -> std::io::Result<(Bytes, bool)> {
    if !gzipped || compression::accepted(req) {
        return Ok((body.clone(), gzipped));
    }
    Ok((Bytes::from(compression::decode(body)?), false))
}

/// The answer to a consumer's read: on GET with its `ETag` and a `max-age` up to
/// the end of `entry` (if it is known), else `no-store`. `gzipped` says what
/// `body` is.
fn answer(
    req: &Request,
    state: &AppState,
    body: Bytes,
    gzipped: bool,
    entry: Option<&Cached>,
) -> Response {
    let mut response = if req.method() != Method::GET {
        cache::no_store(body)
    } else {
        let configured = state.config.cache.max_age.as_secs();
        match entry {
            Some(entry) => {
                let max_age = cache::max_age(configured, Some(entry.valid_until), clock::now());
                cache::consumer_get(req, body, &entry.etag, max_age)
            }
            None => {
                let etag = cache::etag(&body);
                cache::consumer_get(req, body, &etag, 0)
            }
        }
    };
    if gzipped && response.status() == StatusCode::OK {
        compression::mark_gzipped(&mut response);
    }
    response
}

/// What the persisted-query extension asked for, when it cannot be served.
enum ApqRefusal {
    /// The hash is unknown: the client sends the text with it next.
    NotFound,
    Refused(Refused),
}

impl ApqRefusal {
    fn into_response(self, request_id: &str) -> Response {
        match self {
            // Apollo clients look for this exact message and code.
            ApqRefusal::NotFound => error(
                StatusCode::OK,
                "PERSISTED_QUERY_NOT_FOUND",
                "PersistedQueryNotFound",
                request_id,
            ),
            ApqRefusal::Refused(refused) => error(
                StatusCode::BAD_REQUEST,
                "BAD_USER_INPUT",
                refused.to_string(),
                request_id,
            ),
        }
    }
}

/// Applies `extensions.persistedQuery`: fills in the text for a known hash, and
/// returns the hash to register when the text came along and matched.
fn persisted_query(state: &AppState, gql: &mut GqlRequest) -> Result<Option<[u8; 32]>, ApqRefusal> {
    let Some(extension) = gql.extensions.remove("persistedQuery") else {
        return Ok(None);
    };
    let extension = extension.into_json().unwrap_or_default();
    let version = extension["version"].as_i64().unwrap_or(0);
    let hash = extension["sha256Hash"].as_str().unwrap_or_default();
    match state.caches.queries.lookup(version, hash, &gql.query) {
        Ok(Lookup::Found(text)) => {
            gql.query = text.to_string();
            Ok(None)
        }
        Ok(Lookup::NotFound) => Err(ApqRefusal::NotFound),
        Ok(Lookup::Register(digest)) => Ok(Some(digest)),
        Err(refused) => Err(ApqRefusal::Refused(refused)),
    }
}

/// Remembers the request's text under its hash if it parses and every operation
/// in it is a query: a hash never stands for a mutation.
fn register_if_query(state: &AppState, digest: [u8; 32], gql: &mut GqlRequest) {
    let only_queries = gql.parsed_query().is_ok_and(|doc| {
        doc.operations
            .iter()
            .all(|(_, op)| op.node.ty == OperationType::Query)
    });
    if only_queries {
        state.caches.queries.register(digest, &gql.query);
    }
}

/// A request refused before execution: the HTTP status, the code and the message.
pub(super) type Refusal = (StatusCode, &'static str, String);

async fn read_request(req: &Request, body: Body, config: &Config) -> Result<GqlRequest, Refusal> {
    let bad = |message: String| (StatusCode::BAD_REQUEST, "BAD_USER_INPUT", message);
    if req.method() == Method::GET {
        return read_query_string(req).map_err(|e| bad(format!("malformed GraphQL request: {e}")));
    }

    // A request refused before its body is read lets the client finish sending
    // what it was allowed to send, so it reads the refusal (see `drain`).
    if upload::is_multipart(req) {
        return match upload::admit(req, config) {
            Ok(boundary) => upload::read(req, body, config, boundary).await,
            Err(refused) => {
                drain::discard(req, body, upload::max_body(config)).await;
                Err(refused)
            }
        };
    }
    let limit = config.graphql.max_body_bytes;
    if let Err(refused) = admit_json(req, limit) {
        drain::discard(req, body, limit as u64).await;
        return Err(refused);
    }
    let bytes = body
        .into_bytes_limit(limit)
        .await
        .map_err(|_| too_large(limit))?;
    let batch: BatchRequest = serde_json::from_slice(&bytes)
        .map_err(|e| bad(format!("malformed GraphQL request: {e}")))?;
    batch.into_single().map_err(|_| {
        bad("batched requests are not supported; send one operation per request".into())
    })
}

/// What can be checked of a JSON POST before its body is read: a JSON content
/// type (a body without one is not taken for JSON) and a declared length within
/// `limit`. Reading then stops as soon as the limit is passed, so nothing larger
/// is buffered.
fn admit_json(req: &Request, limit: usize) -> Result<(), Refusal> {
    let essence = req
        .header(header::CONTENT_TYPE)
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    if !matches!(
        essence.as_deref(),
        Some("application/json" | media_type::GRAPHQL_RESPONSE)
    ) {
        return Err((
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            "send the request as application/json, or multipart/form-data for uploads".into(),
        ));
    }
    if req
        .header(header::CONTENT_LENGTH)
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|n| n > limit as u64)
    {
        return Err(too_large(limit));
    }
    Ok(())
}

fn too_large(limit: usize) -> Refusal {
    (
        StatusCode::PAYLOAD_TOO_LARGE,
        "PAYLOAD_TOO_LARGE",
        format!("the request body is larger than {limit} bytes"),
    )
}

/// A GET request's parameters, as GraphQL over HTTP names them (`operationName`;
/// `variables` and `extensions` as JSON).
fn read_query_string(req: &Request) -> Result<GqlRequest, String> {
    #[derive(serde::Deserialize)]
    struct Params {
        #[serde(default)]
        query: String,
        #[serde(rename = "operationName", alias = "operation_name")]
        operation_name: Option<String>,
        variables: Option<String>,
        extensions: Option<String>,
    }
    let params: Params = req.params().map_err(|e| e.to_string())?;
    let mut gql = GqlRequest::new(params.query);
    gql.operation_name = params.operation_name.filter(|name| !name.is_empty());
    if let Some(variables) = params.variables.filter(|v| !v.is_empty()) {
        gql.variables = serde_json::from_str::<Variables>(&variables)
            .map_err(|e| format!("invalid variables: {e}"))?;
    }
    if let Some(extensions) = params.extensions.filter(|v| !v.is_empty()) {
        gql.extensions =
            serde_json::from_str(&extensions).map_err(|e| format!("invalid extensions: {e}"))?;
    }
    Ok(gql)
}

/// The root fields whose answers the response cache may keep: those whose every
/// input is in the change log (`stories::changes`) or never changes (the schema).
/// A new consumer field is added here only once its writes are logged.
const CACHEABLE_ROOT_FIELDS: &[&str] = &[
    "stories",
    "story",
    "campaigns",
    "campaign",
    "tags",
    "tag",
    "__typename",
    "__schema",
    "__type",
];

/// The root fields whose answers note every story they show and whether they
/// could gain one (`consumers::dependencies`, in `stories::published`), or that
/// never change.
const STORY_ROOT_FIELDS: &[&str] = &["stories", "story", "__typename", "__schema", "__type"];

/// Whether, and how, the response cache may keep an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cacheable {
    No,
    /// Ended only by changes to what it noted while it ran.
    Stories,
    /// Ended by any write.
    Global,
}

impl Cacheable {
    /// For the operation to run: [`Cacheable::Stories`] when it selects only
    /// [`STORY_ROOT_FIELDS`] at its root (directly or through fragments),
    /// [`Cacheable::Global`] when only [`CACHEABLE_ROOT_FIELDS`].
    fn of(doc: &ExecutableDocument, operation_name: Option<&str>) -> Self {
        let mut chosen = doc.operations.iter().filter(|(name, _)| {
            operation_name.is_none_or(|wanted| name.is_some_and(|n| n.as_str() == wanted))
        });
        let op = match (chosen.next(), chosen.next()) {
            (Some((_, op)), None) if op.node.ty == OperationType::Query => op,
            _ => return Self::No,
        };
        let set = &op.node.selection_set.node;
        // A campaign's events move from upcoming to past as time passes, which
        // no write logs: answers that show them are not kept.
        if selects_anywhere(doc, set, UNLOGGED_FIELDS, 0) {
            return Self::No;
        }
        if selects_only(doc, set, STORY_ROOT_FIELDS, 0) {
            Self::Stories
        } else if selects_only(doc, set, CACHEABLE_ROOT_FIELDS, 0) {
            Self::Global
        } else {
            Self::No
        }
    }
}

/// True when `set` selects only `fields`, directly or through fragments.
fn selects_only(
    doc: &ExecutableDocument,
    set: &SelectionSet,
    fields: &[&str],
    depth: usize,
) -> bool {
    depth < 16
        && set.items.iter().all(|item| match &item.node {
            Selection::Field(f) => fields.contains(&f.node.name.node.as_str()),
            Selection::InlineFragment(f) => {
                selects_only(doc, &f.node.selection_set.node, fields, depth + 1)
            }
            Selection::FragmentSpread(spread) => doc
                .fragments
                .get(&spread.node.fragment_name.node)
                .is_some_and(|f| selects_only(doc, &f.node.selection_set.node, fields, depth + 1)),
        })
}

/// Fields, at any depth, whose answers change with time alone.
const UNLOGGED_FIELDS: &[&str] = &["events"];

/// True when `set` selects one of `fields` at any depth, directly or through
/// fragments.
fn selects_anywhere(
    doc: &ExecutableDocument,
    set: &SelectionSet,
    fields: &[&str],
    depth: usize,
) -> bool {
    // Deeper than the schema allows: refused later anyway, and never kept.
    depth >= 32
        || set.items.iter().any(|item| match &item.node {
            Selection::Field(f) => {
                fields.contains(&f.node.name.node.as_str())
                    || selects_anywhere(doc, &f.node.selection_set.node, fields, depth + 1)
            }
            Selection::InlineFragment(f) => {
                selects_anywhere(doc, &f.node.selection_set.node, fields, depth + 1)
            }
            Selection::FragmentSpread(spread) => doc
                .fragments
                .get(&spread.node.fragment_name.node)
                .is_some_and(|f| {
                    selects_anywhere(doc, &f.node.selection_set.node, fields, depth + 1)
                }),
        })
}

/// The name of a document's operation when it has exactly one.
fn only_operation_name(doc: &ExecutableDocument) -> Option<String> {
    let mut operations = doc.operations.iter();
    match (operations.next(), operations.next()) {
        (Some((name, _)), None) => name.map(|n| n.to_string()),
        _ => None,
    }
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
    crate::telemetry::traces::graphql_outcome(Some(code));
    let mut response = crate::graphql::error_response(code, message);
    finalize_errors(&mut response, request_id);
    let mut http = Json(&response).into_response();
    http.set_status(status);
    media_type::mark_request_error(&mut http, &response.errors);
    http.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    http
}

/// An error's `extensions.code` (every error Chorus sends has one).
fn error_code(error: &async_graphql::ServerError) -> &str {
    match error.extensions.as_ref().and_then(|e| e.get("code")) {
        Some(async_graphql::Value::String(code)) => code,
        _ => "INTERNAL",
    }
}
