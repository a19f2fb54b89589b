//! An image's web renditions: made by a background job (`RENDER_MEDIA`), never
//! on the request path, with the item's face masks burned in; and read back
//! only while they burn in the current masks.
//!
//! Each asset counts how often its masks changed (`masks_generation`). A job
//! renders for the generation it reads at start and stores the objects under
//! `media/{id}/g{generation}/` (inside the orphan sweep's prefix). It then makes
//! them current in one transaction, and only if the masks have not changed
//! meanwhile; otherwise it deletes what it stored and leaves the work to the
//! newer job. A rendition made before the latest masks is therefore never taken
//! for a masked one: [`current`] returns nothing until the newest masks are in.
//!
//! Sizes `w320`, `w800` and `w1600` (nominal widths, never upscaled; `w320`
//! always, at the original width when that is narrower), each as JPEG
//! (quality 82) and WebP. The WebP files are lossless, since the `image`
//! crate's pure-Rust encoder has no lossy mode: for photos they are larger
//! than the JPEGs. Beside them the share card, `card.jpg` (1200×630, the
//! middle of the picture), which readers get only through a story's share
//! card ([`crate::stories::share`]). The pixel work is in [`pixels`].

pub mod pixels;

use std::{collections::HashMap, path::Path};

use chrono::{DateTime, Utc};
use entity::{
    job,
    media_asset::{self, Kind, State},
    media_rendition,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
    sea_query::Expr,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use uuid::Uuid;

use super::{faces, strip::MAX_IMAGE_BYTES};
use crate::{
    audit::{self, Actor, Event},
    auth::{Principal, Role},
    error::{Error, Result},
    queue,
    storage::ObjectStore,
};

/// What a render did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The renditions were made and are now the asset's current ones.
    Current,
    /// The masks changed (or the asset went) while rendering: nothing was kept.
    Stale,
    /// Nothing to render: the asset is gone, private, not an image, or its
    /// renditions already burn in the current masks.
    NotNeeded,
}

/// The `RENDER_MEDIA` job: renders `media_id` for its current masks if its
/// renditions do not already burn them in.
pub async fn run(
    db: &DatabaseConnection,
    store: &dyn ObjectStore,
    media_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Outcome> {
    let Some(asset) = media_asset::Entity::find_by_id(media_id).one(db).await? else {
        return Ok(Outcome::NotNeeded);
    };
    let wanted = asset.state == State::Ready && asset.kind == Kind::Image && !asset.private;
    let current = asset.renditions_generation == Some(asset.masks_generation);
    if !wanted || (current && has_card(db, media_id).await?) {
        return Ok(Outcome::NotNeeded);
    }
    render(db, store, media_id, asset.masks_generation, now).await
}

/// The item has a share card among its renditions (those rendered before
/// cards existed have none).
async fn has_card(db: &impl ConnectionTrait, media_id: Uuid) -> Result<bool> {
    Ok(media_rendition::Entity::find()
        .filter(media_rendition::Column::MediaId.eq(media_id))
        .filter(media_rendition::Column::Variant.eq(pixels::CARD))
        .one(db)
        .await?
        .is_some())
}

/// The most images [`queue_missing_cards`] queues at once.
const CARD_BACKFILL_BATCH: u64 = 1000;

/// Queues a render for images whose current renditions were made before share
/// cards existed and that have no render waiting: up to
/// [`CARD_BACKFILL_BATCH`] per call (the job worker's sweep calls it hourly,
/// and first when it starts). Returns how many it queued.
pub async fn queue_missing_cards(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<usize> {
    use sea_orm::{
        QuerySelect,
        sea_query::{ExprTrait, Query},
    };
    let card = Query::select()
        .expr(Expr::val(1))
        .from(media_rendition::Entity)
        .and_where(
            Expr::col((media_rendition::Entity, media_rendition::Column::MediaId))
                .equals((media_asset::Entity, media_asset::Column::Id)),
        )
        .and_where(
            Expr::col((media_rendition::Entity, media_rendition::Column::Variant)).eq(pixels::CARD),
        )
        .to_owned();
    let waiting = Query::select()
        .expr(Expr::val(1))
        .from(job::Entity)
        .and_where(
            Expr::col((job::Entity, job::Column::MediaId))
                .equals((media_asset::Entity, media_asset::Column::Id)),
        )
        .and_where(Expr::col((job::Entity, job::Column::DoneAt)).is_null())
        .and_where(Expr::col((job::Entity, job::Column::CancelledAt)).is_null())
        .and_where(Expr::col((job::Entity, job::Column::FailedAt)).is_null())
        .to_owned();
    let ids: Vec<Uuid> = media_asset::Entity::find()
        .select_only()
        .column(media_asset::Column::Id)
        .filter(media_asset::Column::Kind.eq(Kind::Image))
        .filter(media_asset::Column::State.eq(State::Ready))
        .filter(media_asset::Column::Private.eq(false))
        .filter(
            Expr::col(media_asset::Column::RenditionsGeneration)
                .equals(media_asset::Column::MasksGeneration),
        )
        .filter(Expr::exists(card).not())
        .filter(Expr::exists(waiting).not())
        .limit(CARD_BACKFILL_BATCH)
        .into_tuple()
        .all(db)
        .await?;
    for &id in &ids {
        queue::enqueue_media(db, job::Kind::RenderMedia, id, now, now).await?;
    }
    Ok(ids.len())
}

/// Renders `media_id` with its masks as masks generation `generation`, stores
/// the objects and makes them current if the asset is still at that
/// generation; otherwise deletes them again ([`Outcome::Stale`]). Callers read
/// `generation` from the asset before calling.
pub async fn render(
    db: &DatabaseConnection,
    store: &dyn ObjectStore,
    media_id: Uuid,
    generation: i32,
    now: DateTime<Utc>,
) -> Result<Outcome> {
    let Some(asset) = media_asset::Entity::find_by_id(media_id).one(db).await? else {
        return Ok(Outcome::Stale);
    };
    // The masks are read after the caller read the generation, so they are that
    // generation's or newer, and newer ones fail the guard in `make_current`.
    // The other way round, old masks could pass as the new generation's.
    let masks = faces::masks_of(db, media_id)
        .await?
        .iter()
        .map(|m| {
            Ok(pixels::Mask {
                x: u32::try_from(m.x)?,
                y: u32::try_from(m.y)?,
                width: u32::try_from(m.width)?,
                height: u32::try_from(m.height)?,
            })
        })
        .collect::<std::result::Result<Vec<_>, std::num::TryFromIntError>>()
        .map_err(Error::internal)?;
    let recorded = match (asset.width, asset.height) {
        (Some(w), Some(h)) => (
            u32::try_from(w).map_err(Error::internal)?,
            u32::try_from(h).map_err(Error::internal)?,
        ),
        _ => return Err(Error::internal(MissingSize(media_id))),
    };

    let work = tempfile::tempdir().map_err(Error::internal)?;
    let original = work.path().join("original");
    download(store, &asset.storage_key, &original).await?;
    let out_dir = work.path().to_path_buf();
    let made =
        tokio::task::spawn_blocking(move || pixels::render(&original, recorded, &masks, &out_dir))
            .await
            .map_err(Error::internal)?
            .map_err(Error::internal)?;

    let prefix = generation_prefix(media_id, generation);
    let mut stored = Vec::with_capacity(made.len());
    let mut rows = Vec::with_capacity(made.len());
    for m in &made {
        let key = format!("{prefix}{}", m.variant);
        // On failure what was stored stays: another run of this generation may
        // have made the same keys current (a lease that ran out), and a retry
        // overwrites them; the sweep removes them if no row ever names them.
        store
            .put_file(&key, &m.path, m.mime)
            .await
            .map_err(Error::from)?;
        stored.push(key.clone());
        rows.push(media_rendition::ActiveModel {
            media_id: Set(media_id),
            variant: Set(m.variant.clone()),
            storage_key: Set(key),
            mime: Set(m.mime.to_owned()),
            width: Set(i32::try_from(m.width).ok()),
            height: Set(i32::try_from(m.height).ok()),
            size_bytes: Set(i64::try_from(m.size).unwrap_or(i64::MAX)),
            created_at: Set(now),
        });
    }
    // On a database error the objects stay too, for the same reasons.
    if make_current(db, media_id, generation, rows, now).await? {
        remove_older_generations(store, media_id, generation).await;
        Ok(Outcome::Current)
    } else {
        tracing::info!(%media_id, generation, "masks changed while rendering; discarded");
        discard(store, &stored).await;
        Ok(Outcome::Stale)
    }
}

/// Why the item's renditions could not be made, for editors, once the render
/// job used its last attempt (`renditions failed after 5 attempts: …`); `None`
/// while they are made, pending or being retried.
pub async fn failure(db: &impl ConnectionTrait, media_id: Uuid) -> Result<Option<String>> {
    let latest = queue::latest_for_media(db, job::Kind::RenderMedia, media_id).await?;
    Ok(latest.filter(|j| j.failed_at.is_some()).map(|j| {
        format!(
            "renditions failed after {} attempts: {}",
            j.attempts,
            j.last_error.as_deref().unwrap_or("no error recorded")
        )
    }))
}

/// Gives the item's failed render job a fresh set of attempts, due now
/// (admins, once the cause is fixed). `CONFLICT` unless the renditions failed.
pub async fn retry(
    db: &DatabaseConnection,
    principal: &Principal,
    media_id: Uuid,
    now: DateTime<Utc>,
) -> Result<media_asset::Model> {
    let staff = principal.require_role(&[Role::Admin])?;
    let txn = crate::db::begin_write(db).await?;
    let asset = media_asset::Entity::find_by_id(media_id)
        .one(&txn)
        .await?
        .filter(|a| a.state == State::Ready)
        .ok_or_else(|| Error::NotFound("no media item with this id".into()))?;
    let failed = queue::latest_for_media(&txn, job::Kind::RenderMedia, media_id)
        .await?
        .filter(|j| j.failed_at.is_some())
        .ok_or_else(|| Error::Conflict("this item's renditions have not failed".into()))?;
    queue::retry_failed(&txn, failed.id, now).await?;
    audit::record(
        &txn,
        Actor::User(staff.user_id),
        Event::new("media.renditions_retried", "media", media_id)
            .detail(serde_json::json!({ "lastError": failed.last_error })),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(asset)
}

/// The asset's current renditions, smallest first (by width, then variant):
/// none unless they burn in its current masks.
pub async fn current(
    db: &impl ConnectionTrait,
    asset: &media_asset::Model,
) -> Result<Vec<media_rendition::Model>> {
    Ok(current_for(db, std::slice::from_ref(asset))
        .await?
        .remove(&asset.id)
        .unwrap_or_default())
}

/// [`current`] for many assets in one query (per 500): every asset's id maps to
/// its renditions, empty when it has none that are current.
pub async fn current_for(
    db: &impl ConnectionTrait,
    assets: &[media_asset::Model],
) -> Result<HashMap<Uuid, Vec<media_rendition::Model>>> {
    let mut out: HashMap<Uuid, Vec<media_rendition::Model>> =
        assets.iter().map(|a| (a.id, Vec::new())).collect();
    // The asset as the caller read it decides which generation is current;
    // rows of another generation (a render committed since) are not mixed in.
    let prefixes: HashMap<Uuid, String> = assets
        .iter()
        .filter(|a| a.renditions_generation == Some(a.masks_generation))
        .map(|a| (a.id, generation_prefix(a.id, a.masks_generation)))
        .collect();
    let ids: Vec<Uuid> = prefixes.keys().copied().collect();
    for chunk in ids.chunks(500) {
        let rows = media_rendition::Entity::find()
            .filter(media_rendition::Column::MediaId.is_in(chunk.to_vec()))
            .order_by_asc(media_rendition::Column::Width)
            .order_by_asc(media_rendition::Column::Variant)
            .all(db)
            .await?;
        for row in rows {
            let current = prefixes
                .get(&row.media_id)
                .is_some_and(|prefix| row.storage_key.starts_with(prefix.as_str()));
            if current && let Some(list) = out.get_mut(&row.media_id) {
                list.push(row);
            }
        }
    }
    Ok(out)
}

/// Where the objects of one generation live: `media/{id}/g{generation}/`.
pub fn generation_prefix(media_id: Uuid, generation: i32) -> String {
    format!("media/{media_id}/g{generation}/")
}

#[derive(Debug, thiserror::Error)]
#[error("image {0} has no recorded size")]
struct MissingSize(Uuid);

/// In one transaction: records `generation` as rendered if the asset is still
/// ready at that masks generation, and replaces its rendition rows. False
/// (and nothing changed) when the masks moved on or the asset went.
async fn make_current(
    db: &DatabaseConnection,
    media_id: Uuid,
    generation: i32,
    rows: Vec<media_rendition::ActiveModel>,
    now: DateTime<Utc>,
) -> Result<bool> {
    let txn = crate::db::begin_write(db).await?;
    let updated = media_asset::Entity::update_many()
        .col_expr(
            media_asset::Column::RenditionsGeneration,
            Expr::value(generation),
        )
        .filter(media_asset::Column::Id.eq(media_id))
        .filter(media_asset::Column::MasksGeneration.eq(generation))
        .filter(media_asset::Column::State.eq(State::Ready))
        .exec(&txn)
        .await?;
    if updated.rows_affected != 1 {
        txn.rollback().await?;
        return Ok(false);
    }
    media_rendition::Entity::delete_many()
        .filter(media_rendition::Column::MediaId.eq(media_id))
        .exec(&txn)
        .await?;
    media_rendition::Entity::insert_many(rows)
        .exec_without_returning(&txn)
        .await?;
    // Editors waiting in the newsroom hear of it (`newsroomEvents`).
    audit::record(
        &txn,
        Actor::Worker,
        Event::new("media.renditions_ready", "media", media_id)
            .detail(serde_json::json!({ "generation": generation })),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}

/// Copies the stored original to `dest`, streaming: the store may be a bucket
/// elsewhere, and an image is never held whole in memory twice.
async fn download(store: &dyn ObjectStore, key: &str, dest: &Path) -> Result<()> {
    let read = store.get(key, None).await.map_err(Error::from)?;
    // Originals were at most this big when taken in; a bigger object is not one
    // of ours, and must not fill the disk.
    let mut reader = tokio_util::io::StreamReader::new(read.bytes).take(MAX_IMAGE_BYTES + 1);
    let mut file = tokio::fs::File::create(dest)
        .await
        .map_err(Error::internal)?;
    let copied = tokio::io::copy(&mut reader, &mut file)
        .await
        .map_err(|e| Error::from(crate::storage::StorageError::from(e)))?;
    file.flush().await.map_err(Error::internal)?;
    if copied > MAX_IMAGE_BYTES {
        return Err(Error::internal(std::io::Error::other(format!(
            "stored original {key} is larger than {MAX_IMAGE_BYTES} bytes"
        ))));
    }
    Ok(())
}

/// Deletes objects no row names (best effort: the sweep removes leftovers).
/// Only for keys that can never become current: a stale generation's.
async fn discard(store: &dyn ObjectStore, keys: &[String]) {
    for key in keys {
        if let Err(e) = store.delete(key).await {
            tracing::warn!(%key, error = %e, "could not delete a discarded rendition; the orphan sweep will");
        }
    }
}

/// Deletes the objects of generations before `generation`, which no row names
/// any more. Only older ones: a newer generation's objects may be current by
/// now. Best effort, like [`discard`].
async fn remove_older_generations(store: &dyn ObjectStore, media_id: Uuid, generation: i32) {
    let item = format!("media/{media_id}/");
    let objects = match store.list(&item).await {
        Ok(objects) => objects,
        Err(e) => {
            tracing::warn!(%media_id, error = %e, "could not list old renditions; the orphan sweep will remove them");
            return;
        }
    };
    let older: Vec<String> = objects
        .into_iter()
        .map(|o| o.key)
        .filter(|key| {
            key.strip_prefix(&item)
                .and_then(|rest| rest.split_once('/'))
                .and_then(|(dir, _)| dir.strip_prefix('g'))
                .and_then(|n| n.parse::<i32>().ok())
                .is_some_and(|g| g < generation)
        })
        .collect();
    discard(store, &older).await;
}
