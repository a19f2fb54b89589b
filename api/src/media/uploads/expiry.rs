//! Expiry of large uploads: their staging objects hold raw bytes, metadata and
//! all, so none outlives the upload that needs it.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use entity::media_upload;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::{FINISH_GRACE, ORPHAN_GRACE, PREFIX};
use crate::{error::Result, storage::ObjectStore};

/// Removes staging objects no open upload needs: those of uploads completed or
/// past their time (`expires_at` and the finishing grace), and objects under
/// [`PREFIX`] that no upload names, once older than a grace period. Returns their keys.
pub async fn expire(
    db: &impl ConnectionTrait,
    store: &dyn ObjectStore,
    now: DateTime<Utc>,
) -> Result<Vec<String>> {
    let objects = store.list(PREFIX).await?;
    if objects.is_empty() {
        return Ok(Vec::new());
    }
    let keys: Vec<String> = objects.iter().map(|o| o.key.clone()).collect();
    let (mut named, mut open) = (HashSet::new(), HashSet::new());
    // In chunks, so the `IN` list stays within every database's parameter limit.
    for chunk in keys.chunks(500) {
        let uploads = media_upload::Entity::find()
            .filter(media_upload::Column::StagingKey.is_in(chunk.to_vec()))
            .all(db)
            .await?;
        for upload in uploads {
            if upload.media_id.is_none() && now < upload.expires_at + FINISH_GRACE {
                open.insert(upload.staging_key.clone());
            }
            named.insert(upload.staging_key);
        }
    }
    let mut removed = Vec::new();
    for object in objects {
        let remove = if named.contains(&object.key) {
            !open.contains(&object.key)
        } else {
            object.modified.is_none_or(|at| now - at >= ORPHAN_GRACE)
        };
        if remove {
            store.delete(&object.key).await?;
            removed.push(object.key);
        }
    }
    if !removed.is_empty() {
        tracing::info!(count = removed.len(), "removed expired upload objects");
    }
    Ok(removed)
}
