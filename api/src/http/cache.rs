//! HTTP caching of `/graphql` answers: `ETag`, `304 Not Modified`,
//! `Cache-Control` and `Vary`.
//!
//! A consumer's `GET` answer without errors gets a strong `ETag` (a hash of the
//! uncompressed JSON, so it names the content whatever the encoding) and
//! `Cache-Control: private, max-age=N`, where N never reaches past the next
//! instant a story's visibility can change nor half the life of the media URLs
//! inside (see [`crate::consumers::response_cache`]); `If-None-Match` with that tag
//! answers `304` with no body. Everything else (staff answers, `POST`, errors) is
//! `no-store`. What an answer varies on is listed in one `Vary` header, which the
//! CORS and gzip layers add to rather than repeat. [`staff_no_store`] makes sure of
//! `no-store` for every answer to a request carrying a staff session token,
//! whichever layer made it.

use std::sync::Arc;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use poem::{
    Endpoint, IntoResponse, Request, Response,
    http::{HeaderMap, HeaderValue, StatusCode, header},
};
use sha2::{Digest, Sha256};

/// The strong entity tag of a body: 128 bits of its SHA-256, quoted. Strong enough
/// that two different answers never share one, or a revalidation could keep a
/// withdrawn story on a client.
pub fn etag(body: &[u8]) -> Arc<str> {
    let digest = Sha256::digest(body);
    Arc::from(format!("\"{}\"", hex::encode(&digest[..16])))
}

/// Whether the request's `If-None-Match` names `etag` (or is `*`); weak
/// comparison, as RFC 9110 asks for this header.
pub fn matches_if_none_match(req: &Request, etag: &str) -> bool {
    let bare = |tag: &str| tag.trim().trim_start_matches("W/").to_owned();
    let wanted = bare(etag);
    req.headers()
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|tag| tag.trim() == "*" || bare(tag) == wanted)
}

/// Seconds a client may reuse an answer that stays exact until `valid_until`:
/// at most `configured`, and 0 when the end is unknown or has come.
pub fn max_age(configured: u64, valid_until: Option<DateTime<Utc>>, now: DateTime<Utc>) -> u64 {
    let Some(until) = valid_until else {
        return 0;
    };
    // Whole seconds, rounded down: a client never holds it past `until`.
    let left = (until - now).num_seconds().max(0) as u64;
    left.min(configured)
}

/// A consumer's `GET` answer: `304` when the client holds this very answer,
/// else the body; either way with its `ETag` and `Cache-Control`.
pub fn consumer_get(req: &Request, body: Bytes, etag: &str, max_age: u64) -> Response {
    let cache_control = if max_age == 0 {
        // Nothing may be reused unasked, but the ETag still saves the body.
        HeaderValue::from_static("private, no-cache")
    } else {
        HeaderValue::from_str(&format!("private, max-age={max_age}"))
            .unwrap_or_else(|_| HeaderValue::from_static("private, no-cache"))
    };
    let mut response = if matches_if_none_match(req, etag) {
        Response::builder()
            .status(StatusCode::NOT_MODIFIED)
            .finish()
    } else {
        json(body)
    };
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(etag) {
        headers.insert(header::ETAG, value);
    }
    headers.insert(header::CACHE_CONTROL, cache_control);
    vary(headers, "X-Api-Key");
    response
}

/// Wraps `/graphql` so that the answer to any request carrying a session token
/// (`Authorization`: only staff have one) is `no-store`, whoever made it: the
/// handler, or a layer that refused the request before it (a method `/graphql`
/// does not take). A staff answer may hold a storyteller's legal name, and no
/// browser or proxy may keep it for the next person at that machine.
pub async fn staff_no_store<E: Endpoint>(ep: Arc<E>, req: Request) -> poem::Result<Response> {
    let staff = req.headers().contains_key(header::AUTHORIZATION);
    let mut response = match ep.call(req).await {
        Ok(output) => output.into_response(),
        Err(err) => err.into_response(),
    };
    if staff {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(response)
}

/// An answer nothing may keep: staff answers, `POST`, errors.
pub fn no_store(body: Bytes) -> Response {
    let mut response = json(body);
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    vary(headers, "X-Api-Key");
    response
}

fn json(body: Bytes) -> Response {
    Response::builder()
        .content_type("application/json; charset=utf-8")
        .body(body)
}

/// Adds `token` to the response's `Vary`, keeping one header with each name once.
pub fn vary(headers: &mut HeaderMap, token: &str) {
    let mut names: Vec<String> = Vec::new();
    let existing = headers.get_all(header::VARY).iter();
    for name in existing
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .chain(std::iter::once(token))
    {
        if !name.is_empty() && !names.iter().any(|n| n.eq_ignore_ascii_case(name)) {
            names.push(name.to_owned());
        }
    }
    let value = if names.iter().any(|n| n == "*") {
        "*".to_owned()
    } else {
        names.join(", ")
    };
    if let Ok(value) = HeaderValue::from_str(&value) {
        headers.insert(header::VARY, value);
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    #[test]
    fn vary_lists_each_name_once_in_one_header() {
        let mut headers = HeaderMap::new();
        vary(&mut headers, "X-Api-Key");
        headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
        vary(&mut headers, "Accept-Encoding");
        vary(&mut headers, "Origin");
        vary(&mut headers, "origin");
        let all: Vec<_> = headers.get_all(header::VARY).iter().collect();
        assert_eq!(all, ["X-Api-Key, accept-encoding, Origin"]);
    }

    #[test]
    fn if_none_match_takes_lists_weak_tags_and_the_wildcard() {
        let tag = etag(b"{\"data\":{}}");
        assert!(tag.starts_with('"') && tag.ends_with('"') && tag.len() == 34);
        let req = |value: &str| {
            Request::builder()
                .header(header::IF_NONE_MATCH, value.to_owned())
                .finish()
        };
        assert!(matches_if_none_match(&req(&tag), &tag));
        assert!(matches_if_none_match(
            &req(&format!("\"x\", W/{tag}")),
            &tag
        ));
        assert!(matches_if_none_match(&req("*"), &tag));
        assert!(!matches_if_none_match(&req("\"x\""), &tag));
        assert!(!matches_if_none_match(&Request::default(), &tag));
    }

    #[test]
    fn max_age_stops_at_the_end_and_at_the_setting() {
        let now = Utc::now();
        assert_eq!(max_age(30, Some(now + Duration::seconds(90)), now), 30);
        assert_eq!(
            max_age(30, Some(now + Duration::milliseconds(12_900)), now),
            12
        );
        assert_eq!(max_age(30, Some(now - Duration::seconds(1)), now), 0);
        assert_eq!(max_age(30, None, now), 0);
        assert_eq!(max_age(0, Some(now + Duration::seconds(90)), now), 0);
    }
}
