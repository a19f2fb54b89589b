//! Gzip for `/graphql` answers, when the client accepts it and the answer is big.
//!
//! A small step of our own rather than poem's `compression` feature, which would
//! build brotli and zstd (C code) into the binary for one codec. GraphQL answers
//! are already whole in memory, so compressing them needs no streaming; media
//! (`/media/*`) is never compressed: it is already compressed, and streamed.

use std::{
    io::{Read, Write},
    sync::Arc,
};

use flate2::{Compression, read::GzDecoder, write::GzEncoder};
use poem::{
    Body, Endpoint, IntoResponse, Request, Response,
    http::{HeaderValue, StatusCode, header},
};

/// Answers shorter than this go as they are: gzip would save little or nothing.
pub const MIN_BYTES: usize = 1024;

/// Wraps `/graphql`: gzips the answer when the request accepts gzip.
pub async fn gzip<E: Endpoint>(ep: Arc<E>, req: Request) -> poem::Result<Response> {
    let accepts = accepted(&req);
    let mut response = match ep.call(req).await {
        Ok(output) => output.into_response(),
        Err(err) => err.into_response(),
    };
    // Whether gzip was offered changes the answer, so caches must key on it.
    super::cache::vary(response.headers_mut(), "Accept-Encoding");
    if !accepts
        || response.status() != StatusCode::OK
        || response.headers().contains_key(header::CONTENT_ENCODING)
    {
        return Ok(response);
    }
    let body = response.take_body().into_bytes().await?;
    if body.len() < MIN_BYTES {
        response.set_body(body);
        return Ok(response);
    }
    match encode(&body) {
        Ok(compressed) => {
            // The ETag is kept: it names the content, and `If-None-Match` revalidation
            // must match whichever encoding the client received (no ranges here).
            mark_gzipped(&mut response);
            response.set_body(Body::from_vec(compressed));
        }
        Err(e) => {
            tracing::warn!(error = %e, "gzip failed; answering uncompressed");
            response.set_body(body);
        }
    }
    Ok(response)
}

/// Gzips a whole body. Level 1: JSON still shrinks several times over, for a
/// fraction of the CPU.
pub fn encode(body: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(body.len() / 4), Compression::fast());
    encoder.write_all(body)?;
    encoder.finish()
}

/// The body [`encode`] was given.
pub fn decode(gzipped: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut body = Vec::with_capacity(gzipped.len() * 4);
    GzDecoder::new(gzipped).read_to_end(&mut body)?;
    Ok(body)
}

/// Says that the response's body is gzipped (which this layer then leaves alone).
pub fn mark_gzipped(response: &mut Response) {
    response
        .headers_mut()
        .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    response.headers_mut().remove(header::CONTENT_LENGTH);
}

/// Whether the request accepts a gzipped answer.
pub fn accepted(req: &Request) -> bool {
    req.header(header::ACCEPT_ENCODING)
        .is_some_and(accepts_gzip)
}

/// True when an `Accept-Encoding` value offers gzip with a non-zero quality.
fn accepts_gzip(value: &str) -> bool {
    value.split(',').any(|item| {
        let mut parts = item.split(';').map(str::trim);
        let coding = parts.next().unwrap_or_default();
        let quality_zero = parts.any(|p| {
            p.strip_prefix("q=")
                .and_then(|q| q.trim().parse::<f32>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !quality_zero
    })
}

#[cfg(test)]
mod tests {
    use super::accepts_gzip;

    #[test]
    fn what_is_gzipped_decodes_to_itself() {
        let body = br#"{"data":{"story":null}}"#.repeat(100);
        let gzipped = super::encode(&body).expect("gzip");
        assert!(gzipped.len() < body.len() / 10);
        assert_eq!(super::decode(&gzipped).expect("gunzip"), body);
        assert!(super::decode(b"not gzip").is_err());
    }

    #[test]
    fn gzip_is_used_only_when_offered() {
        assert!(accepts_gzip("gzip"));
        assert!(accepts_gzip("br, gzip, deflate"));
        assert!(accepts_gzip("gzip;q=0.5, identity"));
        assert!(accepts_gzip("*"));
        assert!(!accepts_gzip("gzip;q=0"));
        assert!(!accepts_gzip("br, deflate"));
        assert!(!accepts_gzip("identity"));
        assert!(!accepts_gzip(""));
    }
}
