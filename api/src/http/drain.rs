//! Refusing a request before reading its body, without cutting the client off.
//!
//! When a handler answers without reading the body, the server closes the
//! connection as soon as the answer is written; a client still sending its body
//! (an upload refused for want of credentials) then meets a reset and reports a
//! broken pipe instead of the refusal. So before such an answer the body is read
//! and thrown away, as far as the request was allowed to send anyway, never kept,
//! and for at most [`MAX_WAIT`]. A body declared larger than that is not read (the
//! connection is closed after the answer, as before), nor is one the client holds
//! back until told to go on (`Expect: 100-continue`): that client reads the answer
//! first.

use std::time::Duration;

use async_graphql::futures_util::TryStreamExt;
use poem::{Body, Request, http::header};

/// The longest a refusal waits for the body it throws away.
pub const MAX_WAIT: Duration = Duration::from_secs(30);

/// Reads and discards `body` when at most `max_bytes` long and under way, so the
/// answer to `req` reaches the client.
pub async fn discard(req: &Request, body: Body, max_bytes: u64) {
    let declared = req
        .header(header::CONTENT_LENGTH)
        .and_then(|v| v.parse::<u64>().ok());
    let waits_to_send = req
        .headers()
        .get(header::EXPECT)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    if waits_to_send || declared.is_some_and(|n| n > max_bytes) {
        return;
    }
    let mut stream = body.into_bytes_stream();
    let mut read: u64 = 0;
    let drained = tokio::time::timeout(MAX_WAIT, async {
        while let Ok(Some(chunk)) = stream.try_next().await {
            read += chunk.len() as u64;
            if read > max_bytes {
                break;
            }
        }
    })
    .await;
    if drained.is_err() {
        tracing::debug!(read, "gave up reading the body of a refused request");
    }
}
