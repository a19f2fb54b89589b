//! S3-compatible buckets (AWS, MinIO, Garage, R2…) through the `rust-s3` crate.
//!
//! Uploads stream from the source file: one `PUT` below 8 MiB, otherwise a
//! multipart upload with at most two parts in flight, so an upload holds about
//! 24 MiB in memory whatever the file's size. Reads stream the response body,
//! whole or by range, in one request. Errors name the operation and the
//! server's error code, never a credential.
//!
//! No call waits on the bucket for ever (see [`StorageTimeouts`]): a request
//! whose answer has not begun within the connect and first-byte timeouts, or a
//! body that stays silent longer than the idle timeout, ends in
//! [`StorageError::Unavailable`]. rust-s3 does not let us set reqwest's connect
//! timeout on its own, so connect and first byte bound the wait together; a
//! request that carries an upload part (at most 8 MiB) may also spend one idle
//! timeout sending it.

use std::{
    ops::Range,
    path::Path,
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use ::s3::{
    Bucket, Region, command::Command, creds::Credentials, error::S3Error, request::Request,
    request::tokio_backend::ReqwestRequest,
};
use bytes::Bytes;
use chrono::{DateTime, Utc};

use super::{
    ObjectInfo, ObjectRead, ObjectStore, PresignedUrl, StorageError, check_range, validate_key,
};
use crate::config::{S3Settings, StorageTimeouts};

/// The endpoint requests go to: the configured one, or AWS's for the region.
fn endpoint_of(settings: &S3Settings) -> String {
    settings
        .endpoint
        .clone()
        .unwrap_or_else(|| format!("https://s3.{}.amazonaws.com", settings.region))
}

/// The origin (`scheme://host[:port]`) of every URL presigned for these
/// settings, built as rust-s3 builds them (the bucket as a subdomain unless
/// path-style), so the admin page's Content-Security-Policy can let a browser
/// fetch previews from and send large uploads to the bucket, and nowhere else.
/// `None` if the settings do not make a plain origin: a header must not be
/// bent by a stray character in the configuration.
pub fn presigned_origin(settings: &S3Settings) -> Option<String> {
    let endpoint = endpoint_of(settings);
    let (scheme, rest) = endpoint.split_once("://").unwrap_or(("https", &endpoint));
    let host = rest.split('/').next().unwrap_or_default();
    let host = if settings.path_style {
        host.to_owned()
    } else {
        format!("{}.{host}", settings.bucket)
    };
    let plain = |s: &str, extra: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || extra.contains(c))
    };
    (matches!(scheme, "http" | "https") && plain(&host, ":[]"))
        .then(|| format!("{scheme}://{host}"))
}

/// The longest lifetime S3 allows for a presigned URL (seven days).
const MAX_PRESIGN_SECS: u64 = 7 * 24 * 60 * 60;
/// Multipart parts (8 MiB each) uploaded at once by one `put_file`.
const PARTS_IN_FLIGHT: usize = 2;

/// Objects in one S3 bucket.
#[derive(Clone)]
pub struct S3Store {
    /// For requests whose answer is small: each attempt is bounded by
    /// rust-s3's request timeout (connect + first byte).
    bucket: Box<Bucket>,
    /// For uploads: each request (one part at most) may also take one idle
    /// timeout to send its body.
    uploads: Box<Bucket>,
    /// For reads: the body may legitimately take longer than any fixed limit to
    /// reach a slow client, and the whole body counts against reqwest's timeout;
    /// [`Idle`] bounds the silences instead.
    streaming: Box<Bucket>,
    endpoint: String,
    timeouts: StorageTimeouts,
}

impl std::fmt::Debug for S3Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Bucket's own Debug would print its credentials' structure; keep to facts.
        f.debug_struct("S3Store")
            .field("bucket", &self.bucket.name)
            .field("endpoint", &self.endpoint)
            .field("path_style", &self.bucket.is_path_style())
            .finish_non_exhaustive()
    }
}

impl S3Store {
    /// A store over an existing bucket (operators create buckets; Chorus never does).
    pub fn new(settings: &S3Settings) -> Result<Self, StorageError> {
        let endpoint = endpoint_of(settings);
        let region = Region::Custom {
            region: settings.region.clone(),
            endpoint: endpoint.clone(),
        };
        let credentials = Credentials::new(
            Some(&settings.access_key_id),
            Some(&settings.secret_access_key),
            None,
            None,
            None,
        )
        .map_err(|e| StorageError::Backend(format!("S3 credentials: {e}")))?;
        let mut bucket = Bucket::new(&settings.bucket, region, credentials)
            .map_err(|e| backend_error("configure S3 bucket", e))?;
        if settings.path_style {
            bucket.set_path_style();
        }
        let timeouts = settings.timeouts;
        let answer = timeouts.connect + timeouts.first_byte;
        bucket.set_request_timeout(Some(answer));
        let mut uploads = bucket.clone();
        uploads.set_request_timeout(Some(answer + timeouts.idle));
        let mut streaming = bucket.clone();
        streaming.set_request_timeout(None);
        Ok(Self {
            bucket,
            uploads,
            streaming,
            endpoint,
            timeouts,
        })
    }

    /// The longest wait for the answer to a request to begin.
    fn answer_timeout(&self) -> Duration {
        self.timeouts.connect + self.timeouts.first_byte
    }

    /// Runs `call`, giving up with `Unavailable` once the answer is overdue
    /// (rust-s3 may retry a read that timed out; this bounds the total).
    async fn within<T>(
        &self,
        operation: &str,
        call: impl Future<Output = Result<T, StorageError>>,
    ) -> Result<T, StorageError> {
        let limit = self.answer_timeout();
        tokio::time::timeout(limit, call)
            .await
            .unwrap_or_else(|_| Err(no_answer(operation, limit)))
    }
}

/// The error for a store that did not answer within `limit`.
fn no_answer(operation: &str, limit: Duration) -> StorageError {
    StorageError::Unavailable(format!("{operation}: no answer within {limit:?}"))
}

/// Maps a rust-s3 error: a missing object and a bad range mean something to
/// callers; anything else (a missing bucket too) is a backend failure described
/// by the operation, the HTTP status and the server's error code, never by the
/// request, whose headers carry the signature.
fn backend_error(operation: &str, err: S3Error) -> StorageError {
    match err {
        S3Error::HttpFailWithBody(404, body)
            if xml_element(&body, "Code") == Some("NoSuchBucket") =>
        {
            StorageError::Backend(format!("{operation}: HTTP 404 (NoSuchBucket)"))
        }
        S3Error::HttpFailWithBody(404, _) => StorageError::NotFound,
        S3Error::HttpFailWithBody(416, _) => StorageError::InvalidRange,
        S3Error::HttpFailWithBody(status, body) => {
            let code = xml_element(&body, "Code").unwrap_or("no error code");
            StorageError::Backend(format!("{operation}: HTTP {status} ({code})"))
        }
        // Slow or unreachable, not broken: callers may say "try again".
        S3Error::Reqwest(e) if e.is_timeout() || e.is_connect() => {
            StorageError::Unavailable(format!("{operation}: {e}"))
        }
        other => StorageError::Backend(format!("{operation}: {other}")),
    }
}

/// The text of the first `<name>` element of an S3 error body.
fn xml_element<'a>(body: &'a str, name: &str) -> Option<&'a str> {
    let start = body.find(&format!("<{name}>"))? + name.len() + 2;
    let len = body[start..].find(&format!("</{name}>"))?;
    let text = &body[start..start + len];
    // Codes are short words; anything else is not worth echoing.
    (text.len() <= 64 && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.'))
        .then_some(text)
}

/// A presigned URL's lifetime in whole seconds, as S3 accepts it (1 s to 7 days).
fn presign_secs(expires_in: Duration) -> Result<u32, StorageError> {
    let secs = expires_in.as_secs() + u64::from(expires_in.subsec_nanos() > 0);
    if secs == 0 || secs > MAX_PRESIGN_SECS {
        return Err(StorageError::Backend(format!(
            "a presigned URL must live between 1 s and 7 days, not {expires_in:?}"
        )));
    }
    u32::try_from(secs).map_err(|_| StorageError::Backend("presign lifetime".into()))
}

/// The object's total size from a `206` response's `Content-Range: bytes a-b/total`,
/// checking that the server sent the range asked for.
fn total_from_content_range(value: Option<&str>, range: &Range<u64>) -> Option<u64> {
    let rest = value?.strip_prefix("bytes ")?;
    let (span, total) = rest.split_once('/')?;
    let (first, _last) = span.split_once('-')?;
    (first.parse::<u64>().ok()? == range.start)
        .then(|| total.parse().ok())
        .flatten()
}

/// A stream of body chunks with transport errors turned into `io::Error`s,
/// which ends with a `TimedOut` error when no chunk comes for `idle`.
struct Idle<S> {
    inner: Pin<Box<S>>,
    idle: Duration,
    silence: Pin<Box<tokio::time::Sleep>>,
    ended: bool,
}

impl<S> Idle<S> {
    fn new(inner: S, idle: Duration) -> Self {
        Self {
            inner: Box::pin(inner),
            idle,
            silence: Box::pin(tokio::time::sleep(idle)),
            ended: false,
        }
    }
}

impl<S, E> futures_core::Stream for Idle<S>
where
    S: futures_core::Stream<Item = Result<Bytes, E>>,
    E: std::error::Error + Send + Sync + 'static,
{
    type Item = std::io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.ended {
            return Poll::Ready(None);
        }
        if let Poll::Ready(item) = self.inner.as_mut().poll_next(cx) {
            let deadline = tokio::time::Instant::now() + self.idle;
            self.silence.as_mut().reset(deadline);
            return Poll::Ready(item.map(|chunk| chunk.map_err(std::io::Error::other)));
        }
        match self.silence.as_mut().poll(cx) {
            Poll::Ready(()) => {
                self.ended = true;
                Poll::Ready(Some(Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("S3 get: no bytes for {:?}", self.idle),
                ))))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

#[async_trait::async_trait]
impl ObjectStore for S3Store {
    async fn put_file(
        &self,
        key: &str,
        source: &Path,
        content_type: &str,
    ) -> Result<ObjectInfo, StorageError> {
        validate_key(key)?;
        let mut file = tokio::fs::File::open(source).await?;
        // Each request is bounded by `uploads`' request timeout; a file of many
        // parts may take as long as its parts take.
        let response = self
            .uploads
            .put_object_stream_builder(key)
            .with_content_type(content_type)
            .with_max_concurrent_chunks(PARTS_IN_FLIGHT)
            .execute_stream(&mut file)
            .await
            .map_err(|e| backend_error("S3 put", e))?;
        if !(200..300).contains(&response.status_code()) {
            return Err(StorageError::Backend(format!(
                "S3 put: HTTP {}",
                response.status_code()
            )));
        }
        self.head(key).await
    }

    async fn get(&self, key: &str, range: Option<Range<u64>>) -> Result<ObjectRead, StorageError> {
        validate_key(key)?;
        let command = match &range {
            None => Command::GetObject,
            // Also keeps rust-s3 from asserting (panicking) on an inverted range.
            Some(r) if r.start >= r.end => return Err(StorageError::InvalidRange),
            Some(r) => Command::GetObjectRange {
                start: r.start,
                end: Some(r.end - 1),
            },
        };
        let response = self
            .within("S3 get", async {
                let request = ReqwestRequest::new(&self.streaming, key, command)
                    .await
                    .map_err(|e| backend_error("S3 get", e))?;
                request
                    .response()
                    .await
                    .map_err(|e| backend_error("S3 get", e))
            })
            .await?;
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
        };
        let size = match &range {
            None => header("content-length").and_then(|v| v.parse().ok()),
            Some(range) => total_from_content_range(header("content-range"), range),
        }
        .ok_or_else(|| StorageError::Backend("S3 get: response without a usable size".into()))?;
        if let Some(range) = &range {
            // S3 clips a range that runs past the end; the trait refuses it.
            check_range(range, size)?;
        }
        Ok(ObjectRead {
            size,
            bytes: Box::pin(Idle::new(response.bytes_stream(), self.timeouts.idle)),
        })
    }

    async fn head(&self, key: &str) -> Result<ObjectInfo, StorageError> {
        validate_key(key)?;
        let (head, _status) = self
            .within("S3 head", async {
                self.bucket
                    .head_object(key)
                    .await
                    .map_err(|e| backend_error("S3 head", e))
            })
            .await?;
        let size = head
            .content_length
            .and_then(|len| u64::try_from(len).ok())
            .ok_or_else(|| StorageError::Backend("S3 head: no content length".into()))?;
        let modified = head
            .last_modified
            .as_deref()
            .and_then(|v| DateTime::parse_from_rfc2822(v).ok())
            .map(|t| t.with_timezone(&Utc));
        Ok(ObjectInfo {
            key: key.to_owned(),
            size,
            modified,
        })
    }

    async fn delete(&self, key: &str) -> Result<(), StorageError> {
        validate_key(key)?;
        self.within("S3 delete", async {
            match self.bucket.delete_object(key).await {
                Ok(_) => Ok(()),
                Err(e) => match backend_error("S3 delete", e) {
                    StorageError::NotFound => Ok(()),
                    other => Err(other),
                },
            }
        })
        .await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>, StorageError> {
        let pages = self
            .bucket
            .list(prefix.to_owned(), None)
            .await
            .map_err(|e| backend_error("S3 list", e))?;
        let mut out: Vec<ObjectInfo> = pages
            .into_iter()
            .flat_map(|page| page.contents)
            // Objects another tool put in the bucket under keys Chorus never makes
            // are not ours to sweep.
            .filter(|object| object.key.starts_with(prefix) && validate_key(&object.key).is_ok())
            .map(|object| ObjectInfo {
                modified: DateTime::parse_from_rfc3339(&object.last_modified)
                    .ok()
                    .map(|t| t.with_timezone(&Utc)),
                key: object.key,
                size: object.size,
            })
            .collect();
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }

    async fn presign_put(
        &self,
        key: &str,
        expires_in: Duration,
    ) -> Result<Option<PresignedUrl>, StorageError> {
        validate_key(key)?;
        let secs = presign_secs(expires_in)?;
        let signed_at = Utc::now();
        let url = self
            .bucket
            .presign_put(key, secs, None, None)
            .await
            .map_err(|e| backend_error("S3 presign put", e))?;
        Ok(Some(PresignedUrl {
            url,
            expires_at: signed_at + chrono::Duration::seconds(i64::from(secs)),
        }))
    }

    async fn presign_get(
        &self,
        key: &str,
        expires_in: Duration,
    ) -> Result<Option<PresignedUrl>, StorageError> {
        validate_key(key)?;
        let secs = presign_secs(expires_in)?;
        let signed_at = Utc::now();
        let url = self
            .bucket
            .presign_get(key, secs, None)
            .await
            .map_err(|e| backend_error("S3 presign get", e))?;
        Ok(Some(PresignedUrl {
            url,
            expires_at: signed_at + chrono::Duration::seconds(i64::from(secs)),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_keep_the_code_and_drop_the_rest() {
        let body = "<?xml version=\"1.0\"?><Error><Code>SignatureDoesNotMatch</Code>\
                    <Message>secret-ish details</Message></Error>";
        let err = backend_error("S3 get", S3Error::HttpFailWithBody(403, body.into()));
        assert_eq!(
            err.to_string(),
            "storage backend failed: S3 get: HTTP 403 (SignatureDoesNotMatch)"
        );
        assert!(matches!(
            backend_error("x", S3Error::HttpFailWithBody(404, String::new())),
            StorageError::NotFound
        ));
        let no_bucket = "<Error><Code>NoSuchBucket</Code></Error>";
        assert!(matches!(
            backend_error("x", S3Error::HttpFailWithBody(404, no_bucket.into())),
            StorageError::Backend(_)
        ));
    }

    /// One chunk, then silence for ever.
    struct OneThenQuiet(Option<Bytes>);

    impl futures_core::Stream for OneThenQuiet {
        type Item = Result<Bytes, std::io::Error>;

        fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
            match self.0.take() {
                Some(chunk) => Poll::Ready(Some(Ok(chunk))),
                None => Poll::Pending,
            }
        }
    }

    async fn next<S: futures_core::Stream + Unpin>(stream: &mut S) -> Option<S::Item> {
        std::future::poll_fn(|cx| Pin::new(&mut *stream).poll_next(cx)).await
    }

    #[tokio::test]
    async fn a_body_that_goes_quiet_ends_with_a_timeout() {
        let quiet = OneThenQuiet(Some(Bytes::from_static(b"first")));
        let mut body = Idle::new(quiet, Duration::from_millis(50));
        assert_eq!(
            next(&mut body).await.unwrap().unwrap(),
            Bytes::from_static(b"first")
        );
        let started = std::time::Instant::now();
        let err = next(&mut body).await.unwrap().unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(next(&mut body).await.is_none(), "nothing after the timeout");
        assert!(matches!(
            StorageError::from(err),
            StorageError::Unavailable(_)
        ));
    }

    fn settings(endpoint: Option<&str>, path_style: bool) -> S3Settings {
        S3Settings {
            bucket: "chorus-media".into(),
            region: "eu-west-3".into(),
            endpoint: endpoint.map(str::to_owned),
            access_key_id: "key".into(),
            secret_access_key: "secret".into(),
            path_style,
            timeouts: StorageTimeouts::default(),
        }
    }

    #[tokio::test]
    async fn presigned_urls_start_with_the_origin_given_to_the_admin_page() {
        for (endpoint, path_style, origin) in [
            (
                None,
                false,
                "https://chorus-media.s3.eu-west-3.amazonaws.com",
            ),
            (None, true, "https://s3.eu-west-3.amazonaws.com"),
            (Some("http://127.0.0.1:9000"), true, "http://127.0.0.1:9000"),
            (
                Some("https://r2.example.net/"),
                false,
                "https://chorus-media.r2.example.net",
            ),
        ] {
            let settings = settings(endpoint, path_style);
            assert_eq!(presigned_origin(&settings).as_deref(), Some(origin));
            let store = S3Store::new(&settings).expect("store");
            for url in [
                store
                    .presign_get("media/a/w800.jpg", Duration::from_secs(60))
                    .await,
                store
                    .presign_put("uploads/b", Duration::from_secs(60))
                    .await,
            ] {
                let url = url.expect("signed").expect("S3 signs URLs").url;
                assert!(url.starts_with(&format!("{origin}/")), "{url} vs {origin}");
            }
        }
    }

    #[test]
    fn an_endpoint_that_is_not_a_plain_origin_gives_none() {
        for endpoint in [
            "https://evil.example; script-src *",
            "ftp://files.example",
            "https:// spaced.example",
        ] {
            assert_eq!(
                presigned_origin(&settings(Some(endpoint), true)),
                None,
                "{endpoint}"
            );
        }
    }

    #[test]
    fn presigned_lifetimes_are_whole_seconds_within_s3_limits() {
        assert_eq!(presign_secs(Duration::from_millis(1500)).ok(), Some(2));
        assert_eq!(presign_secs(Duration::from_secs(300)).ok(), Some(300));
        assert!(presign_secs(Duration::ZERO).is_err());
        assert!(presign_secs(Duration::from_secs(MAX_PRESIGN_SECS + 1)).is_err());
    }

    #[test]
    fn content_range_gives_the_total_size_of_the_range_asked_for() {
        assert_eq!(
            total_from_content_range(Some("bytes 10-19/1048576"), &(10..20)),
            Some(1_048_576)
        );
        assert_eq!(
            total_from_content_range(Some("bytes 0-19/1048576"), &(10..20)),
            None
        );
        assert_eq!(total_from_content_range(None, &(10..20)), None);
    }
}
