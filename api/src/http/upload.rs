//! `multipart/form-data` POSTs to `/graphql` (the GraphQL multipart request spec):
//! who may send one, and the limits enforced while the body streams in.
//!
//! A multipart POST is a "simple" request that browsers send cross-site without a
//! preflight, so it must carry an access token or a header no form can set
//! (`GraphQL-Preflight` or `Apollo-Require-Preflight`); API keys never upload.
//! Each file may be at most `CHORUS_MEDIA_MAX_UPLOAD_BYTES` (multer stops reading the
//! part), and the body is metered as it arrives: more parts than
//! `CHORUS_MEDIA_MAX_FILES` files plus `operations` and `map`, or more bytes than
//! those files could need, ends the read at once. Files go to temp files, never
//! into memory whole. Either refusal is `PAYLOAD_TOO_LARGE` (HTTP 413), before any
//! resolver runs, so nothing is stored. A request refused before its body is read
//! ([`admit`]) still has its body read and thrown away ([`super::drain`]), so the
//! client reads the refusal rather than a broken pipe.

use std::{
    io,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicU8, Ordering},
    },
    task::{Context, Poll},
};

use async_graphql::{
    ParseRequestError, Request as GqlRequest,
    futures_util::TryStreamExt,
    http::{MultipartOptions, receive_body},
};
use bytes::Bytes;
use futures_core::Stream;
use poem::{
    Body, Request,
    http::{StatusCode, header},
};

use super::graphql::Refusal;
use crate::config::Config;

/// True for a `multipart/form-data` request.
pub(super) fn is_multipart(req: &Request) -> bool {
    req.header(header::CONTENT_TYPE).is_some_and(|v| {
        v.trim_start()
            .to_ascii_lowercase()
            .starts_with("multipart/")
    })
}

/// Refuses, before the body is read, a multipart request a browser could have sent
/// cross-site (no token, no preflight header). An API key must come with the
/// preflight header too; which keys may upload at all (only `SUBMISSIONS` keys)
/// is checked once the key is known, in the GraphQL handler.
fn guard(req: &Request) -> Result<(), Refusal> {
    let forbidden = |message: &str| (StatusCode::FORBIDDEN, "FORBIDDEN", message.to_owned());
    let has = |name: &str| req.header(name).is_some_and(|v| !v.trim().is_empty());
    if req.header("x-api-key").is_some()
        && !(has("graphql-preflight") || has("apollo-require-preflight"))
    {
        return Err(forbidden(
            "API keys read published stories; uploads need a staff account, or a SUBMISSIONS key with a `GraphQL-Preflight: 1` header",
        ));
    }
    if has("authorization") || has("graphql-preflight") || has("apollo-require-preflight") {
        Ok(())
    } else {
        Err(forbidden(
            "multipart requests must carry `Authorization: Bearer <access token>` or a `GraphQL-Preflight: 1` header",
        ))
    }
}

/// The most bytes a multipart request may hold: every file at its largest, plus
/// `operations` and `map`.
pub(super) fn max_body(config: &Config) -> u64 {
    config
        .media_max_upload_bytes
        .saturating_mul(u64::from(config.media_max_files))
        .saturating_add(config.graphql.max_body_bytes as u64)
}

/// What can be checked before the body is read: who sends it ([`guard`]), its
/// boundary and its declared length. Returns the boundary.
pub(super) fn admit<'r>(req: &'r Request, config: &Config) -> Result<&'r str, Refusal> {
    guard(req)?;
    let content_type = req.header(header::CONTENT_TYPE).unwrap_or_default();
    let boundary = boundary(content_type).ok_or_else(|| {
        (
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
            "multipart requests need a boundary in their Content-Type".into(),
        )
    })?;
    let max_body = max_body(config);
    if req
        .header(header::CONTENT_LENGTH)
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|len| len > max_body)
    {
        return Err(too_large(format!(
            "the request body is larger than {max_body} bytes"
        )));
    }
    Ok(boundary)
}

fn too_large(message: String) -> Refusal {
    (StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE", message)
}

/// Reads the body of a multipart GraphQL request [`admit`]ted with `boundary`,
/// within the upload limits of `config`.
pub(super) async fn read(
    req: &Request,
    body: Body,
    config: &Config,
    boundary: &str,
) -> Result<GqlRequest, Refusal> {
    let max_file = config.media_max_upload_bytes;
    let max_files = config.media_max_files as usize;
    let max_body = max_body(config);
    let too_many = || too_large(format!("send at most {max_files} files per request"));
    let file_too_large = || {
        too_large(format!(
            "a file is larger than {max_file} bytes, the largest accepted here"
        ))
    };
    let content_type = req.header(header::CONTENT_TYPE).unwrap_or_default();

    let verdict = Arc::new(AtomicU8::new(WITHIN));
    let metered = Metered {
        inner: Box::pin(body.into_bytes_stream()),
        needle: [b"\r\n--", boundary.as_bytes()].concat(),
        // The first delimiter may open the body without a line break before it.
        tail: b"\r\n".to_vec(),
        delimiters: 0,
        // `operations`, `map` and the files, and the closing delimiter.
        max_delimiters: max_files + 3,
        bytes: 0,
        max_bytes: max_body,
        verdict: verdict.clone(),
    };
    let opts = MultipartOptions::default()
        .max_file_size(usize::try_from(max_file).unwrap_or(usize::MAX))
        .max_num_files(max_files);
    let parsed = receive_body(Some(content_type), metered.into_async_read(), opts).await;
    match verdict.load(Ordering::Relaxed) {
        TOO_MANY_PARTS => return Err(too_many()),
        TOO_MANY_BYTES => {
            return Err(too_large(format!(
                "the request body is larger than {max_body} bytes"
            )));
        }
        _ => {}
    }
    let request = parsed.map_err(|e| match e {
        ParseRequestError::PayloadTooLarge => file_too_large(),
        other => (
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
            format!("malformed multipart GraphQL request: {other}"),
        ),
    })?;
    // One file mapped to several variables counts once per variable.
    if request.uploads.len() > max_files {
        return Err(too_many());
    }
    Ok(request)
}

/// The `boundary` parameter of a multipart Content-Type.
fn boundary(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        let value = value.trim().trim_matches('"');
        (name.trim().eq_ignore_ascii_case("boundary") && !value.is_empty()).then_some(value)
    })
}

const WITHIN: u8 = 0;
const TOO_MANY_PARTS: u8 = 1;
const TOO_MANY_BYTES: u8 = 2;

/// The body as it arrives, cut off with an error once it holds too many parts
/// (counted by their `\r\n--boundary` delimiters) or too many bytes.
struct Metered {
    inner: Pin<Box<dyn Stream<Item = io::Result<Bytes>> + Send>>,
    needle: Vec<u8>,
    /// The end of the previous chunk, so a delimiter split across chunks is found.
    tail: Vec<u8>,
    delimiters: usize,
    max_delimiters: usize,
    bytes: u64,
    max_bytes: u64,
    verdict: Arc<AtomicU8>,
}

impl Metered {
    fn refuse(&mut self, verdict: u8) -> Poll<Option<io::Result<Bytes>>> {
        self.verdict.store(verdict, Ordering::Relaxed);
        Poll::Ready(Some(Err(io::Error::other("upload limit exceeded"))))
    }
}

impl Stream for Metered {
    type Item = io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.verdict.load(Ordering::Relaxed) != WITHIN {
            return Poll::Ready(None);
        }
        let chunk = match self.inner.as_mut().poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => chunk,
            other => return other,
        };
        self.bytes += chunk.len() as u64;
        if self.bytes > self.max_bytes {
            return self.refuse(TOO_MANY_BYTES);
        }
        let mut window = std::mem::take(&mut self.tail);
        window.extend_from_slice(&chunk);
        // The tail is shorter than the needle, so every match here is a new one.
        self.delimiters += count(&window, &self.needle);
        let keep = window.len().saturating_sub(self.needle.len() - 1);
        window.drain(..keep);
        self.tail = window;
        if self.delimiters > self.max_delimiters {
            return self.refuse(TOO_MANY_PARTS);
        }
        Poll::Ready(Some(Ok(chunk)))
    }
}

/// How often `needle` (which starts with `\r`) occurs in `haystack`.
fn count(haystack: &[u8], needle: &[u8]) -> usize {
    let mut found = 0;
    let mut at = 0;
    while let Some(offset) = haystack[at..].iter().position(|b| *b == needle[0]) {
        let start = at + offset;
        if haystack[start..].starts_with(needle) {
            found += 1;
            at = start + needle.len();
        } else {
            at = start + 1;
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metered(chunks: Vec<&'static [u8]>, max_delimiters: usize) -> (Metered, Arc<AtomicU8>) {
        let verdict = Arc::new(AtomicU8::new(WITHIN));
        let stream = async_graphql::futures_util::stream::iter(
            chunks
                .into_iter()
                .map(|c| Ok::<_, io::Error>(Bytes::from_static(c))),
        );
        let metered = Metered {
            inner: Box::pin(stream),
            needle: b"\r\n--XYZ".to_vec(),
            tail: b"\r\n".to_vec(),
            delimiters: 0,
            max_delimiters,
            bytes: 0,
            max_bytes: 1 << 20,
            verdict: verdict.clone(),
        };
        (metered, verdict)
    }

    async fn drain(m: Metered) -> usize {
        let mut m = Box::pin(m);
        let mut ok = 0;
        while let Some(item) = std::future::poll_fn(|cx| m.as_mut().poll_next(cx)).await {
            if item.is_err() {
                break;
            }
            ok += 1;
        }
        ok
    }

    #[tokio::test]
    async fn delimiters_are_counted_across_chunk_borders() {
        // Three parts and the closing delimiter, one delimiter split over two chunks.
        let body: Vec<&'static [u8]> = vec![
            b"--XYZ\r\nA: 1\r\n\r\none\r\n-",
            b"-XYZ\r\n\r\ntwo\r\n--X",
            b"YZ\r\n\r\nthree, not --XYZ mid-line\r\n--XYZ--\r\n",
        ];
        let (m, verdict) = metered(body.clone(), 4);
        assert_eq!(drain(m).await, 3);
        assert_eq!(verdict.load(Ordering::Relaxed), WITHIN);
        let (m, verdict) = metered(body, 3);
        assert_eq!(
            drain(m).await,
            2,
            "cut off at the chunk holding the fourth delimiter"
        );
        assert_eq!(verdict.load(Ordering::Relaxed), TOO_MANY_PARTS);
    }

    #[test]
    fn the_boundary_is_read_from_the_content_type() {
        assert_eq!(boundary("multipart/form-data; boundary=abc"), Some("abc"));
        assert_eq!(
            boundary("multipart/form-data; charset=utf-8; Boundary=\"a b\""),
            Some("a b")
        );
        assert_eq!(boundary("multipart/form-data"), None);
    }
}
