//! The orphan sweep: objects in storage that no row points at (a crash between
//! storing and recording, a half-finished upload) are removed once they are older
//! than a grace period, so nothing about a person lingers unaccounted for.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use entity::{media_asset, media_rendition};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::{error::Result, storage::ObjectStore};

/// Where every media object lives; nothing else in the store is touched.
pub const PREFIX: &str = "media/";

/// Deletes objects under [`PREFIX`] that no asset or rendition row names and
/// that are older than `grace` (or whose age the store cannot tell); returns
/// their keys. The grace period covers uploads between storing and recording.
pub async fn orphans(
    db: &impl ConnectionTrait,
    store: &dyn ObjectStore,
    grace: Duration,
    now: DateTime<Utc>,
) -> Result<Vec<String>> {
    let objects = store.list(PREFIX).await?;
    if objects.is_empty() {
        return Ok(Vec::new());
    }
    let keys: Vec<String> = objects.iter().map(|o| o.key.clone()).collect();
    let mut known: HashSet<String> = HashSet::new();
    // In chunks, so the `IN` list stays within every database's parameter limit.
    for chunk in keys.chunks(500) {
        let assets: Vec<String> = media_asset::Entity::find()
            .select_only()
            .column(media_asset::Column::StorageKey)
            .filter(media_asset::Column::StorageKey.is_in(chunk.to_vec()))
            .into_tuple()
            .all(db)
            .await?;
        let renditions: Vec<String> = media_rendition::Entity::find()
            .select_only()
            .column(media_rendition::Column::StorageKey)
            .filter(media_rendition::Column::StorageKey.is_in(chunk.to_vec()))
            .into_tuple()
            .all(db)
            .await?;
        known.extend(assets);
        known.extend(renditions);
    }
    let mut removed = Vec::new();
    for object in objects {
        let old_enough = object.modified.is_none_or(|at| now - at >= grace);
        if !known.contains(&object.key) && old_enough {
            store.delete(&object.key).await?;
            removed.push(object.key);
        }
    }
    if !removed.is_empty() {
        tracing::info!(count = removed.len(), "removed orphaned media objects");
    }
    Ok(removed)
}
