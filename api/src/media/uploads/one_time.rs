//! The one-time URL for local disk, `PUT /uploads/{id}?token=…`: who may send
//! bytes to it, once, and how they become the staging object.
//!
//! Only the token's SHA-256 is stored, and the row holds one of three hashes of
//! it: `sha256(token)` while it may be used, `sha256("busy:" + token)` during a
//! transfer (one at a time), `sha256("spent:" + token)` once the bytes are stored.
//! So a second `PUT` with the right token can be told it is too late (`Gone`)
//! while a wrong token learns nothing (`NotFound`). A refused or broken transfer
//! gives the token back.

use std::{io, sync::Arc};

use chrono::{DateTime, Utc};
use entity::media_upload;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, sea_query::Expr,
};
use tracing::Instrument;
use uuid::Uuid;

use super::{
    same,
    spool::{Filled, SpoolError, Spooled},
};
use crate::{
    auth::sha256_hex,
    error::Error,
    storage::{ByteStream, ObjectInfo, ObjectStore},
};

/// Why a `PUT` to a one-time upload URL was refused.
#[derive(Debug, thiserror::Error)]
pub enum ReceiveError {
    /// Unknown id or wrong token: the same answer, so as not to say which.
    #[error("no upload at this address")]
    NotFound,
    #[error("this upload URL has been used or has expired; create a new upload")]
    Gone,
    #[error("bytes are being sent to this upload URL already")]
    Busy,
    #[error("the body is larger than the {limit} bytes announced")]
    TooLarge { limit: u64 },
    #[error("the request body could not be read: {0}")]
    Body(io::Error),
    #[error(transparent)]
    Other(#[from] Error),
}

/// Takes the body of a `PUT` to a one-time upload URL: checks the token, streams
/// the body to a temp file (refusing it as soon as it passes the declared size),
/// stores it as the staging object and spends the token. A refused or broken
/// transfer leaves the token usable, so the client may try again.
pub async fn receive(
    db: &DatabaseConnection,
    store: &dyn ObjectStore,
    id: Uuid,
    token: &str,
    content_length: Option<u64>,
    body: ByteStream,
    now: DateTime<Utc>,
) -> std::result::Result<ObjectInfo, ReceiveError> {
    let upload = media_upload::Entity::find_by_id(id)
        .one(db)
        .await
        .map_err(Error::from)?
        .ok_or(ReceiveError::NotFound)?;
    // The token's state is in which of its hashes the row holds.
    let (live, busy, spent) = (live_hash(token), busy_hash(token), spent_hash(token));
    if same(&upload.token_hash, &spent) {
        return Err(ReceiveError::Gone);
    }
    if same(&upload.token_hash, &busy) {
        return Err(ReceiveError::Busy);
    }
    if !same(&upload.token_hash, &live) {
        return Err(ReceiveError::NotFound);
    }
    if upload.completed_at.is_some() || now >= upload.expires_at {
        return Err(ReceiveError::Gone);
    }
    let limit = u64::try_from(upload.max_bytes).unwrap_or(0);
    if content_length.is_some_and(|len| len > limit) {
        return Err(ReceiveError::TooLarge { limit });
    }
    // One transfer at a time: the token moves to "busy" only if nobody else moved it.
    if !swap_token(db, id, &live, &busy).await? {
        return Err(ReceiveError::Busy);
    }
    let stored = async {
        let spooled = Spooled::new()?;
        match spooled.fill(body, limit).await {
            Ok(Filled::Within { .. }) => {}
            Ok(Filled::TooLarge) => return Err(ReceiveError::TooLarge { limit }),
            Err(SpoolError::Read(e)) => return Err(ReceiveError::Body(e)),
            Err(e @ SpoolError::Write(_)) => return Err(Error::internal(e).into()),
        }
        let info = store
            .put_file(
                &upload.staging_key,
                spooled.path(),
                "application/octet-stream",
            )
            .await
            .map_err(Error::internal)?;
        Ok(info)
    }
    .await;
    let next = if stored.is_ok() { &spent } else { &live };
    if !swap_token(db, id, &busy, next).await? {
        tracing::warn!(upload_id = %id, "an upload token changed during its transfer");
    }
    stored
}

/// [`receive`] on a task of its own. A client that disconnects mid-transfer makes
/// the server drop its request; the task still sees the body end in an error and
/// gives the token back, where a dropped `receive` would leave it busy for good.
pub async fn receive_detached(
    db: DatabaseConnection,
    store: Arc<dyn ObjectStore>,
    id: Uuid,
    token: String,
    content_length: Option<u64>,
    body: ByteStream,
    now: DateTime<Utc>,
) -> std::result::Result<ObjectInfo, ReceiveError> {
    let task =
        async move { receive(&db, store.as_ref(), id, &token, content_length, body, now).await };
    tokio::spawn(task.instrument(tracing::Span::current()))
        .await
        .map_err(|e| ReceiveError::Other(Error::internal(e)))?
}

/// Moves the row's token hash from `from` to `to`; false when it was not `from`.
async fn swap_token(
    db: &impl ConnectionTrait,
    id: Uuid,
    from: &str,
    to: &str,
) -> std::result::Result<bool, ReceiveError> {
    let updated = media_upload::Entity::update_many()
        .col_expr(media_upload::Column::TokenHash, Expr::value(to.to_owned()))
        .filter(media_upload::Column::Id.eq(id))
        .filter(media_upload::Column::TokenHash.eq(from.to_owned()))
        .filter(media_upload::Column::CompletedAt.is_null())
        .exec(db)
        .await
        .map_err(Error::from)?;
    Ok(updated.rows_affected == 1)
}

pub(super) fn live_hash(token: &str) -> String {
    sha256_hex(token.as_bytes())
}

fn busy_hash(token: &str) -> String {
    sha256_hex(format!("busy:{token}").as_bytes())
}

fn spent_hash(token: &str) -> String {
    sha256_hex(format!("spent:{token}").as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_has_three_distinct_states() {
        let token = "t";
        let hashes = [live_hash(token), busy_hash(token), spent_hash(token)];
        assert!(!same(&hashes[0], &hashes[1]) && !same(&hashes[1], &hashes[2]));
        assert!(same(&hashes[0], &live_hash(token)));
    }
}
