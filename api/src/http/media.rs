//! `/media/{id}/{variant}?t=…`: streams media bytes Chorus serves itself, after
//! checking the link again as whoever it was issued to (see
//! [`crate::media::delivery::open`]). Single byte ranges are honoured so audio
//! and video can seek; every refusal is a bare 404.

use std::ops::Range;

use poem::{
    Body, IntoResponse, Request, Response, handler,
    http::{HeaderValue, StatusCode, header},
    web::{Data, Path},
};
use uuid::Uuid;

use crate::{clock, error::Error, media::delivery, state::AppState, storage::StorageError};

#[handler]
pub async fn serve(
    req: &Request,
    Path((id, variant)): Path<(String, String)>,
    state: Data<&AppState>,
) -> Response {
    let Ok(id) = Uuid::parse_str(&id) else {
        return not_found();
    };
    let token = req
        .uri()
        .query()
        .unwrap_or_default()
        .split('&')
        .find_map(|pair| pair.strip_prefix("t="))
        .unwrap_or_default();
    let client = super::graphql::client_address(req, state.config.auth.trust_forwarded_for);
    let opened = match delivery::open(&state, id, &variant, token, &client, clock::now()).await {
        Ok(opened) => opened,
        Err(Error::NotFound(_)) => return not_found(),
        Err(e) => {
            e.log_if_internal();
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };

    let info = match state.storage.head(&opened.storage_key).await {
        Ok(info) => info,
        Err(StorageError::NotFound) => return not_found(),
        Err(e) => return storage_failed(e),
    };
    let range = match req.headers().get(header::RANGE) {
        None => None,
        Some(value) => match value.to_str().ok().and_then(|v| parse_range(v, info.size)) {
            Some(range) => Some(range),
            None => {
                return Response::builder()
                    .status(StatusCode::RANGE_NOT_SATISFIABLE)
                    .header(header::CONTENT_RANGE, format!("bytes */{}", info.size))
                    .finish();
            }
        },
    };
    let read = match state.storage.get(&opened.storage_key, range.clone()).await {
        Ok(read) => read,
        Err(StorageError::NotFound) => return not_found(),
        Err(e) => return storage_failed(e),
    };

    let mut response = Response::builder()
        .header(header::CONTENT_TYPE, opened.mime)
        .header(header::ACCEPT_RANGES, "bytes")
        // Every fetch is checked again: nothing on the way may keep a copy that
        // would outlive a withdrawal.
        .header(header::CACHE_CONTROL, "private, no-store")
        .header("x-content-type-options", "nosniff")
        .header(header::CONTENT_DISPOSITION, "inline")
        .header(
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; sandbox",
        );
    let length = match &range {
        Some(r) => {
            response = response.status(StatusCode::PARTIAL_CONTENT).header(
                header::CONTENT_RANGE,
                format!("bytes {}-{}/{}", r.start, r.end - 1, read.size),
            );
            r.end - r.start
        }
        None => read.size,
    };
    let mut response = response.body(Body::from_bytes_stream(read.bytes));
    if let Ok(value) = HeaderValue::from_str(&length.to_string()) {
        response.headers_mut().insert(header::CONTENT_LENGTH, value);
    }
    response
}

fn not_found() -> Response {
    Response::builder()
        .status(StatusCode::NOT_FOUND)
        .header(header::CACHE_CONTROL, "no-store")
        .body("not found")
}

/// How long a client is asked to wait before trying a read again when storage
/// failed or did not answer.
const RETRY_AFTER_SECS: u32 = 30;

fn storage_failed(e: StorageError) -> Response {
    match &e {
        StorageError::Unavailable(_) => tracing::warn!(error = %e, "media storage unavailable"),
        _ => tracing::error!(error = %e, "could not read a media object"),
    }
    Response::builder()
        .status(StatusCode::SERVICE_UNAVAILABLE)
        .header(header::RETRY_AFTER, RETRY_AFTER_SECS.to_string())
        .header(header::CACHE_CONTROL, "no-store")
        .body("media storage is not answering; try again in a moment")
}

/// One range of `bytes=a-b`, `bytes=a-` or `bytes=-n` (end exclusive), or `None`
/// when it is malformed, lies outside the object, or asks for several ranges.
fn parse_range(header: &str, size: u64) -> Option<Range<u64>> {
    let spec = header.trim().strip_prefix("bytes=")?;
    if spec.contains(',') || size == 0 {
        return None;
    }
    let (start, end) = spec.split_once('-')?;
    let (start, end) = (start.trim(), end.trim());
    let range = if start.is_empty() {
        let suffix: u64 = end.parse().ok()?;
        if suffix == 0 {
            return None;
        }
        size.saturating_sub(suffix)..size
    } else {
        let start: u64 = start.parse().ok()?;
        let end = if end.is_empty() {
            size
        } else {
            end.parse::<u64>().ok()?.saturating_add(1).min(size)
        };
        start..end
    };
    (range.start < range.end).then_some(range)
}

#[cfg(test)]
mod tests {
    use super::parse_range;

    #[test]
    fn byte_ranges_are_read_as_rfc_9110_says() {
        assert_eq!(parse_range("bytes=0-9", 100), Some(0..10));
        assert_eq!(parse_range("bytes=90-", 100), Some(90..100));
        assert_eq!(parse_range("bytes=-10", 100), Some(90..100));
        assert_eq!(parse_range("bytes=95-200", 100), Some(95..100));
        assert_eq!(parse_range("bytes=-200", 100), Some(0..100));
        for bad in [
            "bytes=100-",
            "bytes=10-5",
            "bytes=-0",
            "bytes=0-1,5-6",
            "items=0-1",
            "bytes=a-b",
            "bytes=",
        ] {
            assert_eq!(parse_range(bad, 100), None, "{bad}");
        }
        assert_eq!(parse_range("bytes=0-0", 0), None);
    }
}
