//! Temp files that a stream of bytes is written to, counted and hashed on the
//! way, so no upload is ever held whole in memory. They live in the system temp
//! directory (`TMPDIR`), which must not be a RAM disk for large uploads.

use std::{io, path::Path};

use bytes::Bytes;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::{error::Error, storage::ByteStream};

/// Bytes written to a temp file at once.
const WRITE_BUFFER: usize = 256 * 1024;

/// A temp file that bytes are streamed into, removed when dropped.
pub(super) struct Spooled(tempfile::TempPath);

/// What [`Spooled::fill`] found.
pub(super) enum Filled {
    Within {
        size: u64,
        sha256: String,
    },
    /// More than the limit arrived; reading stopped there.
    TooLarge,
}

/// Why [`Spooled::fill`] stopped early.
#[derive(Debug, thiserror::Error)]
pub(super) enum SpoolError {
    #[error("reading the bytes failed: {0}")]
    Read(io::Error),
    #[error("writing the temp file failed: {0}")]
    Write(io::Error),
}

impl Spooled {
    pub(super) fn new() -> Result<Self, Error> {
        let file = tempfile::Builder::new()
            .prefix("chorus-upload-")
            .tempfile()
            .map_err(Error::internal)?;
        Ok(Self(file.into_temp_path()))
    }

    pub(super) fn path(&self) -> &Path {
        &self.0
    }

    /// Writes `stream` to the file, hashing it, stopping once it exceeds `limit`.
    pub(super) async fn fill(
        &self,
        mut stream: ByteStream,
        limit: u64,
    ) -> Result<Filled, SpoolError> {
        let file = tokio::fs::File::create(&self.0)
            .await
            .map_err(SpoolError::Write)?;
        let mut file = tokio::io::BufWriter::with_capacity(WRITE_BUFFER, file);
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        while let Some(chunk) = next(&mut stream).await {
            let chunk = chunk.map_err(SpoolError::Read)?;
            size += chunk.len() as u64;
            if size > limit {
                return Ok(Filled::TooLarge);
            }
            hasher.update(&chunk);
            file.write_all(&chunk).await.map_err(SpoolError::Write)?;
        }
        file.flush().await.map_err(SpoolError::Write)?;
        Ok(Filled::Within {
            size,
            sha256: hex::encode(hasher.finalize()),
        })
    }
}

async fn next(stream: &mut ByteStream) -> Option<io::Result<Bytes>> {
    std::future::poll_fn(|cx| stream.as_mut().poll_next(cx)).await
}
