//! Large uploads (video): the bytes go to a staging object through a URL, and a
//! second step verifies them and hands them to the intake pipeline.
//!
//! A 2 GB video does not fit a GraphQL multipart request, so [`create`] records an
//! upload and returns where to `PUT` the file: a presigned URL straight to the
//! bucket on S3, or a one-time Chorus URL on local disk ([`receive`]). The raw
//! bytes land under [`PREFIX`], never under `media/`: they still carry their
//! metadata, and nothing there is ever served. [`complete`] checks the declared
//! size and hash, then runs [`intake::ingest`] (sniff, limits, strip, store,
//! record) and removes the staging object; [`expire`] removes what was never
//! completed. Every byte is streamed through temp files, never held whole.

mod expiry;
mod one_time;
mod spool;

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, TimeDelta, Utc};
use entity::{media_asset, media_upload};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, Set, sea_query::Expr,
};
use serde_json::json;
use tracing::Instrument;
use uuid::Uuid;

pub use expiry::expire;
pub use one_time::{ReceiveError, receive, receive_detached};

use self::spool::{Filled, Spooled};
use super::intake::{self, Limits, Owner};
use crate::{
    audit::{self, Actor, Event},
    auth::{Principal, Role, random_bytes, sha256_hex},
    error::{Error, Result},
    storage::{ObjectInfo, ObjectStore, StorageError},
    stories, storytellers,
};

/// Where raw uploads wait for [`complete`]; the media sweep never looks here.
pub const PREFIX: &str = "uploads/";
/// The HTTP method the upload URL takes.
pub const METHOD: &str = "PUT";
/// A transfer that started before `expires_at` may end after it (2 GB on a slow
/// link takes a while), so completion stays possible this much longer.
pub(super) const FINISH_GRACE: TimeDelta = TimeDelta::hours(1);
/// A completion that has not finished after this long is taken to have died with
/// its server, and another may take over.
const CLAIM_LEASE: TimeDelta = TimeDelta::hours(1);
/// How old an object under [`PREFIX`] that no upload names must be before
/// [`expire`] removes it (as in the media sweep).
pub(super) const ORPHAN_GRACE: TimeDelta = TimeDelta::hours(1);

/// A large upload to announce.
#[derive(Debug, Clone)]
pub struct NewUpload {
    pub owner: Owner,
    /// The exact size of the file to be sent.
    pub size_bytes: u64,
    /// Lowercase hex SHA-256 of the exact bytes to be sent, if the client knows it.
    pub sha256: Option<String>,
}

/// Where and for how long new uploads accept bytes.
#[derive(Debug, Clone, Copy)]
pub struct Window<'a> {
    /// The public base URL, without a trailing slash (for the one-time URL).
    pub base_url: &'a str,
    pub ttl: Duration,
}

/// A recorded upload and the URL to `PUT` its bytes to.
#[derive(Debug, Clone)]
pub struct Created {
    pub upload: media_upload::Model,
    /// A presigned bucket URL, or `{base_url}/uploads/{id}?token=…`.
    pub url: String,
}

/// Parses a decimal size in bytes (sizes exceed GraphQL's `Int`).
pub fn parse_size(field: &'static str, value: &str) -> Result<u64> {
    value
        .bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| value.parse::<u64>().ok())
        .flatten()
        .filter(|n| *n > 0)
        .ok_or_else(|| Error::invalid(field, "a number of bytes greater than 0, in decimal"))
}

/// Checks a hex SHA-256 and returns it in lowercase.
pub fn parse_sha256(value: &str) -> Result<String> {
    if value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(value.to_ascii_lowercase())
    } else {
        Err(Error::invalid(
            "sha256",
            "the SHA-256 of the file as 64 hexadecimal digits",
        ))
    }
}

/// Records a large upload and returns the URL its bytes go to. The permissions
/// are those of [`intake::ingest`], checked before any byte moves.
pub async fn create(
    db: &DatabaseConnection,
    store: &dyn ObjectStore,
    principal: &Principal,
    new: NewUpload,
    window: &Window<'_>,
    limits: &Limits,
    now: DateTime<Utc>,
) -> Result<Created> {
    // The same rule as `intake::ingest`, which checks it again on completion.
    let staff = match new.owner {
        Owner::Story(story_id) => {
            let staff = principal.staff()?;
            let story = stories::get(db, principal, story_id).await?;
            stories::workflow::check_can_write(staff, &story)?;
            staff
        }
        Owner::Evidence { storyteller_id } => {
            let staff = principal.require_editor()?;
            let teller = storytellers::find(db, storyteller_id).await?;
            storytellers::require_not_erased(&teller)?;
            staff
        }
    };
    if new.size_bytes == 0 {
        return Err(Error::invalid("sizeBytes", "an empty file is not media"));
    }
    // The real kind is known only from the bytes; the largest limit of any kind
    // refuses what no kind could accept, and `ingest` applies the right one.
    let largest = limits
        .image
        .max(limits.audio)
        .max(limits.video)
        .max(limits.document);
    if new.size_bytes > largest {
        return Err(Error::PayloadTooLarge(format!(
            "{} bytes is more than the {largest} bytes any file may have",
            new.size_bytes
        )));
    }
    let max_bytes = i64::try_from(new.size_bytes)
        .map_err(|_| Error::PayloadTooLarge("the file is too large".into()))?;
    let sha256 = new.sha256.as_deref().map(parse_sha256).transpose()?;

    let id = Uuid::now_v7();
    let staging_key = format!("{PREFIX}{id}");
    let token = hex::encode(random_bytes(32));
    let (url, token_hash, direct) = match store
        .presign_put(&staging_key, window.ttl)
        .await
        .map_err(Error::internal)?
    {
        // The bucket checks the URL's signature; the token is never handed out,
        // and its hash only fills the unique column.
        Some(presigned) => (presigned.url, sha256_hex(token.as_bytes()), true),
        None => (
            format!("{}/uploads/{id}?token={token}", window.base_url),
            one_time::live_hash(&token),
            false,
        ),
    };
    let ttl = TimeDelta::from_std(window.ttl).map_err(Error::internal)?;
    let (story_id, storyteller_id) = match new.owner {
        Owner::Story(story_id) => (Some(story_id), None),
        Owner::Evidence { storyteller_id } => (None, Some(storyteller_id)),
    };

    let txn = crate::db::begin_write(db).await?;
    let upload = media_upload::ActiveModel {
        id: Set(id),
        story_id: Set(story_id),
        storyteller_id: Set(storyteller_id),
        token_hash: Set(token_hash),
        staging_key: Set(staging_key),
        max_bytes: Set(max_bytes),
        expected_sha256: Set(sha256),
        private: Set(storyteller_id.is_some()),
        created_by: Set(staff.user_id),
        created_at: Set(now),
        expires_at: Set(now + ttl),
        completed_at: Set(None),
        media_id: Set(None),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        Actor::User(staff.user_id),
        Event::new("media.upload_created", "media_upload", id).detail(json!({
            "storyId": story_id,
            "storytellerId": storyteller_id,
            "sizeBytes": new.size_bytes.to_string(),
            "direct": direct,
        })),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(Created { upload, url })
}

/// Verifies an upload's bytes and takes them in through [`intake::ingest`]; the
/// uploader or an editor. Completing a completed upload returns its asset again.
/// The staging object is removed afterwards unless the failure was Chorus's own
/// (then the client may simply try again).
pub async fn complete(
    db: &DatabaseConnection,
    store: &dyn ObjectStore,
    principal: &Principal,
    id: Uuid,
    limits: &Limits,
    now: DateTime<Utc>,
) -> Result<media_asset::Model> {
    let staff = principal.staff()?;
    let upload = media_upload::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound("no upload with this id".into()))?;
    if upload.created_by != staff.user_id && !matches!(staff.role, Role::Admin | Role::Editor) {
        return Err(Error::Forbidden(
            "only the person who started an upload, or an editor, may complete it".into(),
        ));
    }
    if let Some(media_id) = upload.media_id {
        return asset(db, media_id).await;
    }
    if now >= upload.expires_at + FINISH_GRACE {
        return Err(Error::invalid(
            "id",
            "this upload has expired; create a new one",
        ));
    }
    let head = match store.head(&upload.staging_key).await {
        Ok(head) => head,
        Err(StorageError::NotFound) => {
            return Err(Error::invalid("id", "no bytes have been uploaded yet"));
        }
        Err(e) => return Err(Error::internal(e)),
    };
    // A client that timed out may retry while the first completion still runs:
    // `completed_at` without `media_id` marks a completion in progress.
    let claimed = media_upload::Entity::update_many()
        .col_expr(media_upload::Column::CompletedAt, Expr::value(now))
        .filter(media_upload::Column::Id.eq(id))
        .filter(media_upload::Column::MediaId.is_null())
        .filter(
            Condition::any()
                .add(media_upload::Column::CompletedAt.is_null())
                .add(media_upload::Column::CompletedAt.lt(now - CLAIM_LEASE)),
        )
        .exec(db)
        .await?;
    if claimed.rows_affected != 1 {
        let current = media_upload::Entity::find_by_id(id).one(db).await?;
        return match current.and_then(|u| u.media_id) {
            Some(media_id) => asset(db, media_id).await,
            None => Err(Error::Conflict(
                "this upload is being completed; ask again in a moment".into(),
            )),
        };
    }

    let outcome = verify_and_ingest(db, store, principal, &upload, &head, limits, now).await;
    match &outcome {
        Ok(asset) => {
            media_upload::Entity::update_many()
                .col_expr(media_upload::Column::MediaId, Expr::value(Some(asset.id)))
                .col_expr(media_upload::Column::CompletedAt, Expr::value(now))
                .filter(media_upload::Column::Id.eq(id))
                .exec(db)
                .await?;
        }
        Err(_) => {
            let open: Option<DateTime<Utc>> = None;
            media_upload::Entity::update_many()
                .col_expr(media_upload::Column::CompletedAt, Expr::value(open))
                .filter(media_upload::Column::Id.eq(id))
                .filter(media_upload::Column::MediaId.is_null())
                .exec(db)
                .await?;
        }
    }
    // Chorus's own failure is no reason to make the client send 2 GB again.
    let keep_staging = matches!(outcome, Err(Error::Internal(_)));
    if !keep_staging && let Err(e) = store.delete(&upload.staging_key).await {
        tracing::warn!(key = %upload.staging_key, error = %e, "could not remove a staging object; expiry will");
    }
    outcome
}

/// [`complete`] on a task of its own: a client that gives up on a long completion
/// (2 GB is read, cleaned and stored again) must not cut it off halfway, between
/// storing and recording; its retry finds the finished asset.
pub async fn complete_detached(
    db: DatabaseConnection,
    store: Arc<dyn ObjectStore>,
    principal: Principal,
    id: Uuid,
    limits: Limits,
    now: DateTime<Utc>,
) -> Result<media_asset::Model> {
    let task = async move { complete(&db, store.as_ref(), &principal, id, &limits, now).await };
    tokio::spawn(task.instrument(tracing::Span::current()))
        .await
        .map_err(Error::internal)?
}

async fn asset(db: &impl ConnectionTrait, id: Uuid) -> Result<media_asset::Model> {
    media_asset::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound("the media item this upload became is gone".into()))
}

async fn verify_and_ingest(
    db: &DatabaseConnection,
    store: &dyn ObjectStore,
    principal: &Principal,
    upload: &media_upload::Model,
    head: &ObjectInfo,
    limits: &Limits,
    now: DateTime<Utc>,
) -> Result<media_asset::Model> {
    let owner = match (upload.story_id, upload.storyteller_id) {
        (Some(story_id), None) => Owner::Story(story_id),
        (None, Some(storyteller_id)) => Owner::Evidence { storyteller_id },
        _ => {
            return Err(Error::Internal(
                format!(
                    "upload {} names neither a story nor a storyteller",
                    upload.id
                )
                .into(),
            ));
        }
    };
    let declared = u64::try_from(upload.max_bytes).unwrap_or(0);
    let size_mismatch = |got: u64| {
        Error::invalid(
            "sizeBytes",
            format!("{got} bytes were uploaded, but {declared} were announced"),
        )
    };
    if head.size != declared {
        return Err(size_mismatch(head.size));
    }
    let read = store
        .get(&upload.staging_key, None)
        .await
        .map_err(Error::internal)?;
    let spooled = Spooled::new()?;
    // The object could change between `head` and `get`; what was read counts.
    let sha256 = match spooled.fill(read.bytes, declared).await {
        Ok(Filled::Within { size, sha256 }) if size == declared => sha256,
        Ok(Filled::Within { size, .. }) => return Err(size_mismatch(size)),
        Ok(Filled::TooLarge) => return Err(size_mismatch(declared + 1)),
        Err(e) => return Err(Error::internal(e)),
    };
    if let Some(expected) = &upload.expected_sha256
        && !same(expected, &sha256)
    {
        return Err(Error::invalid(
            "sha256",
            format!("the uploaded bytes have the SHA-256 {sha256}, not the one announced"),
        ));
    }
    intake::ingest(db, store, principal, owner, spooled.path(), limits, now).await
}

/// Compares two hashes in time independent of where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_plain_positive_decimals() {
        assert_eq!(parse_size("s", "2147483648").ok(), Some(2_147_483_648));
        for bad in [
            "",
            "0",
            "-1",
            "+5",
            " 5",
            "1e9",
            "0x10",
            "99999999999999999999",
        ] {
            assert!(parse_size("s", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn hashes_are_64_hex_digits_kept_in_lowercase() {
        let upper = "AB".repeat(32);
        assert_eq!(parse_sha256(&upper).ok(), Some("ab".repeat(32)));
        assert!(parse_sha256(&"g".repeat(64)).is_err());
        assert!(parse_sha256(&"a".repeat(63)).is_err());
    }

    #[test]
    fn hashes_compare_equal_only_when_equal() {
        assert!(same("ab", "ab"));
        assert!(!same("ab", "ac"));
        assert!(!same("ab", "abc"));
    }
}
