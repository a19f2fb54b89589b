//! Deleting a media item: its rows at once, in one transaction, then its bytes
//! (the original and every rendition).
//!
//! Rows go first so that from the commit on nothing serves or names the item;
//! objects that cannot be deleted straight away are left for the orphan sweep,
//! which removes whatever no row names.

use chrono::{DateTime, Utc};
use entity::{
    job,
    media_asset::{self, State},
    media_face_mask, media_rendition,
};
use sea_orm::{
    ActiveEnum, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect,
    sea_query::Expr,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    audit::{self, Actor, Event},
    auth::{Principal, Role},
    error::{Error, Result},
    storage::ObjectStore,
    stories,
};

/// Deletes media item `id`. Editors and admins may delete any story's media,
/// contributors only that of stories they may write; consent evidence only
/// admins, since it is the record that a person agreed.
pub async fn delete(
    db: &DatabaseConnection,
    store: &dyn ObjectStore,
    principal: &Principal,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<()> {
    let staff = principal.staff()?;
    let asset = media_asset::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|a| a.state == State::Ready)
        .ok_or_else(not_found)?;
    match (asset.storyteller_id, asset.story_id) {
        (Some(_), _) => {
            principal.require_role(&[Role::Admin])?;
        }
        (None, Some(story_id)) => {
            // The same rule as adding media: contributors change only their own stories.
            let story = stories::get(db, principal, story_id).await?;
            stories::workflow::check_can_write(staff, &story)?;
        }
        (None, None) => {
            principal.require_editor()?;
        }
    }

    let txn = crate::db::begin_write(db).await?;
    job::Entity::update_many()
        .col_expr(job::Column::CancelledAt, Expr::value(now))
        .filter(job::Column::MediaId.eq(id))
        .filter(job::Column::Kind.eq(job::Kind::RenderMedia))
        .filter(job::Column::DoneAt.is_null())
        .filter(job::Column::CancelledAt.is_null())
        .exec(&txn)
        .await?;
    let mut keys: Vec<String> = media_rendition::Entity::find()
        .select_only()
        .column(media_rendition::Column::StorageKey)
        .filter(media_rendition::Column::MediaId.eq(id))
        .into_tuple()
        .all(&txn)
        .await?;
    keys.push(asset.storage_key.clone());
    media_face_mask::Entity::delete_many()
        .filter(media_face_mask::Column::MediaId.eq(id))
        .exec(&txn)
        .await?;
    media_rendition::Entity::delete_many()
        .filter(media_rendition::Column::MediaId.eq(id))
        .exec(&txn)
        .await?;
    let deleted = media_asset::Entity::delete_many()
        .filter(media_asset::Column::Id.eq(id))
        .filter(media_asset::Column::State.eq(State::Ready))
        .exec(&txn)
        .await?;
    if deleted.rows_affected != 1 {
        // Someone else deleted it since it was read.
        return Err(not_found());
    }
    audit::record(
        &txn,
        Actor::User(staff.user_id),
        Event::new("media.deleted", "media", id).detail(json!({
            "storyId": asset.story_id,
            "storytellerId": asset.storyteller_id,
            "kind": asset.kind.to_value(),
        })),
        now,
    )
    .await?;
    txn.commit().await?;

    delete_objects(store, id, keys).await;
    Ok(())
}

/// Deletes every object of item `id` once its rows are gone: whatever is under
/// its prefix (a render still running discards its own objects when it finds the
/// item gone) and `known` keys, in case the listing fails. Failures are logged;
/// the orphan sweep removes what is left, since no row names it any more.
pub async fn delete_objects(store: &dyn ObjectStore, id: Uuid, mut known: Vec<String>) {
    let prefix = format!("media/{id}/");
    match store.list(&prefix).await {
        Ok(objects) => known.extend(objects.into_iter().map(|o| o.key)),
        Err(e) => {
            tracing::warn!(media_id = %id, error = %e, "could not list a deleted item's objects; the orphan sweep will remove what is left");
        }
    }
    delete_objects_by_key(store, known).await;
}

/// Deletes these objects, logging failures for the orphan sweep to finish.
pub async fn delete_objects_by_key(store: &dyn ObjectStore, mut keys: Vec<String>) {
    keys.sort();
    keys.dedup();
    for key in &keys {
        if let Err(e) = store.delete(key).await {
            tracing::warn!(%key, error = %e, "could not delete a removed media object; the orphan sweep will");
        }
    }
}

fn not_found() -> Error {
    Error::NotFound("no media item with this id".into())
}
