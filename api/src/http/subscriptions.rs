//! `GET /graphql` with `Upgrade: websocket`: GraphQL subscriptions over the
//! `graphql-transport-ws` protocol (the `graphql-ws` library's; the older
//! `subscriptions-transport-ws` is understood too). Credentials come in
//! `connection_init`'s payload, not in headers (browsers cannot set them on a
//! WebSocket): `{"authorization": "Bearer <access token>"}` for staff or
//! `{"x-api-key": "chk_…"}` for a partner. They are checked there, and again
//! by each subscription on each event (`graphql::subscriptions`). Each key or
//! staff member holds at most `CHORUS_LIVE_CONNECTIONS_PER_KEY` connections.

use std::time::Duration;

use async_graphql::{Data, ErrorExtensions, http::ALL_WEBSOCKET_PROTOCOLS};
use async_graphql_poem::{GraphQLProtocol, GraphQLWebSocket};
use poem::{
    Endpoint, IntoResponse, Request, Response, Result, handler,
    web::{Data as PoemData, websocket::WebSocket},
};
use serde_json::Value;

use crate::{
    auth::Principal,
    graphql::{ChorusSchema, LiveCredential, RequestContext},
    state::AppState,
};

/// How long a connection may stay silent before `connection_init`.
const INIT_TIMEOUT: Duration = Duration::from_secs(10);

#[handler]
pub async fn upgrade(
    req: &Request,
    ws: WebSocket,
    protocol: GraphQLProtocol,
    state: PoemData<&AppState>,
    schema: PoemData<&ChorusSchema>,
) -> impl IntoResponse {
    let state = state.0.clone();
    let schema = schema.live();
    let client_address = super::graphql::client_address(req, state.config.auth.trust_forwarded_for);
    ws.protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |stream| async move {
            let (said, heard) = tokio::sync::oneshot::channel::<()>();
            let serve = GraphQLWebSocket::new(stream, schema, protocol)
                .on_connection_init(move |payload| {
                    let _ = said.send(());
                    init(state, payload, client_address)
                })
                .serve();
            tokio::pin!(serve);
            // A socket that never says who it is gets closed, not kept.
            tokio::select! {
                () = &mut serve => return,
                initialised = tokio::time::timeout(INIT_TIMEOUT, heard) => {
                    if !matches!(initialised, Ok(Ok(()))) {
                        return;
                    }
                }
            }
            serve.await;
        })
}

/// Checks `connection_init`: the credentials, and a place for one more live
/// connection of their holder. The answer is the connection's data.
async fn init(
    state: AppState,
    payload: Value,
    client_address: String,
) -> async_graphql::Result<Data> {
    let credential = credential(&payload).map_err(|message| {
        async_graphql::Error::new(message).extend_with(|_, e| e.set("code", "UNAUTHENTICATED"))
    })?;
    let principal = credential.check(&state).await.map_err(|e| {
        e.log_if_internal();
        async_graphql::Error::new(e.to_string()).extend_with(|_, ext| ext.set("code", e.code()))
    })?;
    let holder = match &principal {
        Principal::Staff(staff) => staff.user_id,
        Principal::Consumer(consumer) => consumer.key_id,
        Principal::Anonymous => {
            return Err(async_graphql::Error::new("sign in to subscribe"));
        }
    };
    let limit = state.config.graphql.live_connections_per_key;
    let Some(guard) = state.live.admit(holder, limit) else {
        return Err(async_graphql::Error::new(format!(
            "at most {limit} live connections per key or account; close one first"
        ))
        .extend_with(|_, e| e.set("code", "RATE_LIMITED")));
    };
    let mut data = Data::default();
    data.insert(RequestContext {
        principal,
        client_address,
        request_id: uuid::Uuid::now_v7().simple().to_string(),
        organisations: Default::default(),
        scope: Default::default(),
    });
    data.insert(credential);
    data.insert(std::sync::Arc::new(guard));
    Ok(data)
}

/// The credentials in a `connection_init` payload; names are matched without
/// regard to case, as headers are.
fn credential(payload: &Value) -> std::result::Result<LiveCredential, String> {
    let field = |name: &str| {
        payload.as_object().and_then(|fields| {
            fields
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .and_then(|(_, v)| v.as_str())
                .map(str::trim)
                .filter(|v| !v.is_empty())
        })
    };
    let bearer = field("authorization");
    let key = field("x-api-key").or_else(|| field("apiKey"));
    match (bearer, key) {
        (Some(_), Some(_)) => Err("send either an access token or an API key, not both".into()),
        (Some(value), None) => match value.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => {
                Ok(LiveCredential::Bearer(token.trim().to_owned()))
            }
            _ => Err("`authorization` must be `Bearer <access token>`".into()),
        },
        (None, Some(key)) => Ok(LiveCredential::ApiKey(key.to_owned())),
        (None, None) => Err(
            "send credentials in connection_init: {\"authorization\": \"Bearer …\"} or {\"x-api-key\": \"chk_…\"}"
                .into(),
        ),
    }
}

/// `/graphql`: WebSocket upgrades go to [`upgrade`], everything else to the
/// HTTP endpoint (with its content negotiation, gzip and CORS, which have no
/// place on a socket).
pub struct UpgradeOr<W, H> {
    pub ws: W,
    pub http: H,
}

impl<W: Endpoint, H: Endpoint> Endpoint for UpgradeOr<W, H> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Self::Output> {
        let wants_socket = req
            .header(poem::http::header::UPGRADE)
            .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
        if wants_socket {
            self.ws.call(req).await.map(IntoResponse::into_response)
        } else {
            self.http.call(req).await.map(IntoResponse::into_response)
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn connection_init_names_one_credential() {
        assert!(matches!(
            credential(&json!({ "Authorization": "Bearer abc" })),
            Ok(LiveCredential::Bearer(t)) if t == "abc"
        ));
        assert!(matches!(
            credential(&json!({ "x-api-key": " chk_1 " })),
            Ok(LiveCredential::ApiKey(k)) if k == "chk_1"
        ));
        assert!(matches!(
            credential(&json!({ "apiKey": "chk_2" })),
            Ok(LiveCredential::ApiKey(k)) if k == "chk_2"
        ));
        for refused in [
            json!({}),
            json!(null),
            json!({ "authorization": "Basic abc" }),
            json!({ "authorization": "Bearer a", "x-api-key": "chk_1" }),
            json!({ "x-api-key": "" }),
        ] {
            assert!(credential(&refused).is_err(), "{refused}");
        }
    }
}
