//! `PUT /uploads/:id?token=…`: the one-time URL that takes a large upload's bytes
//! when media live on local disk (on S3 the client sends them to the bucket).
//!
//! The body is streamed to a temp file by [`uploads::receive`], never held in
//! memory, and cut off as soon as it passes the size announced with
//! `createMediaUpload`. No GraphQL here, so answers are plain HTTP statuses with a
//! short JSON body; an unknown id and a wrong token get the same `404`.

use poem::{
    Body, IntoResponse, Request, Response, handler,
    http::{StatusCode, header},
    web::{Data, Json, Path},
};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::RequestId;
use crate::{
    clock,
    media::uploads::{self, ReceiveError},
    state::AppState,
};

#[derive(Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

/// Stores the body as the upload's staging object; `201` with its size when done.
#[handler]
pub async fn put(
    req: &Request,
    Path(id): Path<String>,
    body: Body,
    state: Data<&AppState>,
    request_id: Data<&RequestId>,
) -> Response {
    let not_found = || error(StatusCode::NOT_FOUND, ReceiveError::NotFound, request_id.0);
    let Ok(id) = Uuid::parse_str(&id) else {
        return not_found();
    };
    let Some(token) = req
        .params::<TokenQuery>()
        .ok()
        .and_then(|q| q.token)
        .filter(|t| !t.is_empty())
    else {
        return not_found();
    };
    let content_length = req
        .header(header::CONTENT_LENGTH)
        .and_then(|v| v.parse::<u64>().ok());
    let received = uploads::receive_detached(
        state.db.clone(),
        state.storage.clone(),
        id,
        token,
        content_length,
        Box::pin(body.into_bytes_stream()),
        clock::now(),
    )
    .await;
    match received {
        Ok(info) => {
            let mut response = Json(json!({
                "id": id.to_string(),
                "sizeBytes": info.size.to_string(),
            }))
            .into_response();
            response.set_status(StatusCode::CREATED);
            no_store(response)
        }
        Err(e) => {
            let status = match &e {
                ReceiveError::NotFound => StatusCode::NOT_FOUND,
                ReceiveError::Gone => StatusCode::GONE,
                ReceiveError::Busy => StatusCode::CONFLICT,
                ReceiveError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
                ReceiveError::Body(_) => StatusCode::BAD_REQUEST,
                ReceiveError::Other(_) => StatusCode::INTERNAL_SERVER_ERROR,
            };
            error(status, e, request_id.0)
        }
    }
}

fn error(status: StatusCode, err: ReceiveError, request_id: &RequestId) -> Response {
    let (code, message) = match &err {
        ReceiveError::Other(inner) => {
            inner.log_if_internal();
            (inner.code(), inner.to_string())
        }
        ReceiveError::NotFound => ("NOT_FOUND", err.to_string()),
        ReceiveError::Gone => ("GONE", err.to_string()),
        ReceiveError::Busy => ("CONFLICT", err.to_string()),
        ReceiveError::TooLarge { .. } => ("PAYLOAD_TOO_LARGE", err.to_string()),
        ReceiveError::Body(_) => ("BAD_REQUEST", err.to_string()),
    };
    let mut response = Json(json!({
        "error": { "code": code, "message": message, "requestId": request_id.0 },
    }))
    .into_response();
    response.set_status(status);
    no_store(response)
}

fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}
