//! Local disk: the embedded default. Objects are files under one root
//! directory; a write goes to a temp file in the same directory and is renamed
//! into place, so a reader never sees half an object and a crash leaves no
//! partial file under a real key.

use std::{
    io::SeekFrom,
    ops::Range,
    path::{Path, PathBuf},
    time::Duration,
};

use chrono::{DateTime, Utc};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use crate::owner_only;

use super::{
    ObjectInfo, ObjectRead, ObjectStore, PresignedUrl, StorageError, check_range, validate_key,
};

/// Objects as files under `root`.
#[derive(Debug, Clone)]
pub struct LocalStore {
    root: PathBuf,
}

impl LocalStore {
    /// A store rooted at `root` (created on first write).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    fn path(&self, key: &str) -> Result<PathBuf, StorageError> {
        validate_key(key)?;
        Ok(self.root.join(key))
    }
}

fn info(key: &str, meta: &std::fs::Metadata) -> ObjectInfo {
    ObjectInfo {
        key: key.to_owned(),
        size: meta.len(),
        modified: meta.modified().ok().map(DateTime::<Utc>::from),
    }
}

/// Copies `source` to `target` through a temp file beside it, renamed into
/// place; the file and any directory made for it are owner-only (media is
/// personal data, and `copy` would give the file its source's mode).
fn write_owner_only(source: &Path, target: &Path) -> std::io::Result<std::fs::Metadata> {
    let dir = target.parent().unwrap_or(Path::new("."));
    owner_only::create_dir_all(dir)?;
    let temp = dir.join(format!(".upload-{}", uuid::Uuid::now_v7().simple()));
    let written = std::fs::copy(source, &temp)
        .and_then(|_| owner_only::restrict_file(&temp))
        .and_then(|()| std::fs::rename(&temp, target));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(e);
    }
    std::fs::metadata(target)
}

#[async_trait::async_trait]
impl ObjectStore for LocalStore {
    async fn put_file(
        &self,
        key: &str,
        source: &Path,
        _content_type: &str,
    ) -> Result<ObjectInfo, StorageError> {
        let target = self.path(key)?;
        if target.parent().is_none() {
            return Err(StorageError::InvalidKey(key.to_owned()));
        }
        let source = source.to_owned();
        let meta = tokio::task::spawn_blocking(move || write_owner_only(&source, &target))
            .await
            .map_err(std::io::Error::other)??;
        Ok(info(key, &meta))
    }

    async fn get(&self, key: &str, range: Option<Range<u64>>) -> Result<ObjectRead, StorageError> {
        let path = self.path(key)?;
        let mut file = tokio::fs::File::open(&path).await?;
        let size = file.metadata().await?.len();
        let reader: Box<dyn tokio::io::AsyncRead + Send + Unpin> = match range {
            None => Box::new(file),
            Some(range) => {
                check_range(&range, size)?;
                file.seek(SeekFrom::Start(range.start)).await?;
                Box::new(file.take(range.end - range.start))
            }
        };
        Ok(ObjectRead {
            size,
            bytes: Box::pin(tokio_util::io::ReaderStream::new(reader)),
        })
    }

    async fn head(&self, key: &str) -> Result<ObjectInfo, StorageError> {
        let meta = tokio::fs::metadata(self.path(key)?).await?;
        Ok(info(key, &meta))
    }

    async fn delete(&self, key: &str) -> Result<(), StorageError> {
        match tokio::fs::remove_file(self.path(key)?).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>, StorageError> {
        // Walk the whole tree below the root: key prefixes need not end at a `/`.
        let mut out = Vec::new();
        let mut pending = vec![self.root.clone()];
        while let Some(dir) = pending.pop() {
            let mut entries = match tokio::fs::read_dir(&dir).await {
                Ok(entries) => entries,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e.into()),
            };
            while let Some(entry) = entries.next_entry().await? {
                let meta = entry.metadata().await?;
                let path = entry.path();
                if meta.is_dir() {
                    pending.push(path);
                    continue;
                }
                let Ok(relative) = path.strip_prefix(&self.root) else {
                    continue;
                };
                let key = relative
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                // Temp files of writes in progress are not objects.
                if key.starts_with(prefix)
                    && validate_key(&key).is_ok()
                    && !key.contains("/.upload-")
                    && !key.starts_with(".upload-")
                {
                    out.push(info(&key, &meta));
                }
            }
        }
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }

    async fn presign_put(
        &self,
        key: &str,
        _expires_in: Duration,
    ) -> Result<Option<PresignedUrl>, StorageError> {
        validate_key(key)?;
        Ok(None)
    }

    async fn presign_get(
        &self,
        key: &str,
        _expires_in: Duration,
    ) -> Result<Option<PresignedUrl>, StorageError> {
        validate_key(key)?;
        Ok(None)
    }
}
