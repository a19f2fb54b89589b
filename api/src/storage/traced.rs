//! A span around every call to the store, for trace export: the operation, the
//! backend and the key's first segment (`media`, `uploads`), never the whole key.
//! Installed by [`super::from_config`] only while traces are exported.

use std::{ops::Range, path::Path, sync::Arc, time::Duration};

use tracing::Instrument;

use super::{ObjectInfo, ObjectRead, ObjectStore, PresignedUrl, StorageError};

/// Wraps a store; every call gets a `storage` span.
#[derive(Debug)]
pub struct Traced {
    inner: Arc<dyn ObjectStore>,
    backend: &'static str,
}

impl Traced {
    /// Traces calls to `inner`, a store of kind `backend` (`local`, `s3`).
    pub fn new(inner: Arc<dyn ObjectStore>, backend: &'static str) -> Self {
        Self { inner, backend }
    }

    async fn run<T>(
        &self,
        operation: &'static str,
        key: &str,
        call: impl Future<Output = Result<T, StorageError>>,
    ) -> Result<T, StorageError> {
        let span = tracing::info_span!(
            "storage",
            otel.name = operation,
            otel.kind = "client",
            otel.status_code = tracing::field::Empty,
            storage.operation = operation,
            storage.backend = self.backend,
            storage.key_prefix = prefix(key),
            error.type = tracing::field::Empty,
        );
        let result = call.instrument(span.clone()).await;
        if let Err(e) = &result {
            span.record("error.type", kind(e));
            // A missing object is an answer, not a failure of the store.
            if !matches!(e, StorageError::NotFound) {
                span.record("otel.status_code", "ERROR");
            }
        }
        result
    }
}

/// The key's first segment: what kind of object, not which one.
fn prefix(key: &str) -> &str {
    key.split('/').next().unwrap_or_default()
}

fn kind(error: &StorageError) -> &'static str {
    match error {
        StorageError::NotFound => "not_found",
        StorageError::InvalidKey(_) => "invalid_key",
        StorageError::InvalidRange => "invalid_range",
        StorageError::Backend(_) => "backend",
        StorageError::Unavailable(_) => "unavailable",
    }
}

#[async_trait::async_trait]
impl ObjectStore for Traced {
    async fn put_file(
        &self,
        key: &str,
        source: &Path,
        content_type: &str,
    ) -> Result<ObjectInfo, StorageError> {
        let call = self.inner.put_file(key, source, content_type);
        self.run("storage.put", key, call).await
    }

    async fn get(&self, key: &str, range: Option<Range<u64>>) -> Result<ObjectRead, StorageError> {
        self.run("storage.get", key, self.inner.get(key, range))
            .await
    }

    async fn head(&self, key: &str) -> Result<ObjectInfo, StorageError> {
        self.run("storage.head", key, self.inner.head(key)).await
    }

    async fn delete(&self, key: &str) -> Result<(), StorageError> {
        self.run("storage.delete", key, self.inner.delete(key))
            .await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>, StorageError> {
        self.run("storage.list", prefix, self.inner.list(prefix))
            .await
    }

    async fn presign_put(
        &self,
        key: &str,
        expires_in: Duration,
    ) -> Result<Option<PresignedUrl>, StorageError> {
        let call = self.inner.presign_put(key, expires_in);
        self.run("storage.presign_put", key, call).await
    }

    async fn presign_get(
        &self,
        key: &str,
        expires_in: Duration,
    ) -> Result<Option<PresignedUrl>, StorageError> {
        let call = self.inner.presign_get(key, expires_in);
        self.run("storage.presign_get", key, call).await
    }
}

#[cfg(test)]
mod tests {
    use super::prefix;

    #[test]
    fn only_the_first_segment_of_a_key_is_recorded() {
        assert_eq!(prefix("media/0190c0de/original.jpg"), "media");
        assert_eq!(prefix("uploads/0190c0de"), "uploads");
        assert_eq!(prefix(""), "");
    }
}
