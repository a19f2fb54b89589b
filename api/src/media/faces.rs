//! Face masks: the rectangles an editor places over faces in a picture, and the
//! face review they record.
//!
//! Masks are kept in the stored original's pixels and burned into every
//! rendition as opaque black boxes by the render job. Setting them replaces
//! the whole list, counts a new masks generation (so renditions made before
//! cannot pass for masked ones) and queues the re-render, all in one
//! transaction.

use chrono::{DateTime, Utc};
use entity::{
    job,
    media_asset::{self, Kind, State},
    media_face_mask,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    sea_query::{Expr, ExprTrait},
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    audit::{self, Actor, Event},
    auth::Principal,
    error::{Error, Result},
    queue,
};

/// The most masks one picture may carry; more is a mistake or an attack.
pub const MAX_MASKS: usize = 200;

/// A rectangle over a face, in the stored original's pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    pub x: i32,
    pub y: i32,
    pub width: i32,
    pub height: i32,
}

/// A picture's masks, in the order they were given.
pub async fn masks_of(
    db: &impl ConnectionTrait,
    media_id: Uuid,
) -> Result<Vec<media_face_mask::Model>> {
    Ok(media_face_mask::Entity::find()
        .filter(media_face_mask::Column::MediaId.eq(media_id))
        .order_by_asc(media_face_mask::Column::Id)
        .all(db)
        .await?)
}

/// Replaces the masks of image `media_id` (editors and admins) and queues its
/// re-render. A non-empty list records the face review (now, by this editor);
/// an empty one withdraws it, since no masks is not the same as "no faces"
/// (that is `showsFaces: false`).
pub async fn set(
    db: &DatabaseConnection,
    principal: &Principal,
    media_id: Uuid,
    masks: &[Rect],
    now: DateTime<Utc>,
) -> Result<media_asset::Model> {
    let staff = principal.require_editor()?;
    if masks.len() > MAX_MASKS {
        return Err(Error::invalid(
            "masks",
            format!("at most {MAX_MASKS} masks per picture"),
        ));
    }
    let txn = crate::db::begin_write(db).await?;
    let asset = media_asset::Entity::find_by_id(media_id)
        .one(&txn)
        .await?
        .filter(|a| a.state == State::Ready)
        .ok_or_else(|| Error::NotFound("no media item with this id".into()))?;
    check(&asset, masks)?;

    // The generation first: on PostgreSQL this locks the row, so two editors
    // saving at once are applied one after the other, and the later list of
    // masks goes with the later generation.
    let reviewed = !masks.is_empty();
    media_asset::Entity::update_many()
        .col_expr(
            media_asset::Column::MasksGeneration,
            Expr::col(media_asset::Column::MasksGeneration).add(1),
        )
        .col_expr(
            media_asset::Column::FacesReviewedAt,
            Expr::value(reviewed.then_some(now)),
        )
        .col_expr(
            media_asset::Column::FacesReviewedBy,
            Expr::value(reviewed.then_some(staff.user_id)),
        )
        .col_expr(media_asset::Column::UpdatedAt, Expr::value(now))
        .filter(media_asset::Column::Id.eq(media_id))
        .exec(&txn)
        .await?;
    media_face_mask::Entity::delete_many()
        .filter(media_face_mask::Column::MediaId.eq(media_id))
        .exec(&txn)
        .await?;
    let rows = masks.iter().map(|m| media_face_mask::ActiveModel {
        // v7 ids are ordered, so the list reads back in the order given.
        id: sea_orm::Set(Uuid::now_v7()),
        media_id: sea_orm::Set(media_id),
        x: sea_orm::Set(m.x),
        y: sea_orm::Set(m.y),
        width: sea_orm::Set(m.width),
        height: sea_orm::Set(m.height),
        created_by: sea_orm::Set(staff.user_id),
        created_at: sea_orm::Set(now),
    });
    media_face_mask::Entity::insert_many(rows)
        .exec_without_returning(&txn)
        .await?;
    let updated = media_asset::Entity::find_by_id(media_id)
        .one(&txn)
        .await?
        .ok_or_else(|| Error::NotFound("no media item with this id".into()))?;
    queue::enqueue_media(&txn, job::Kind::RenderMedia, media_id, now, now).await?;
    audit::record(
        &txn,
        Actor::User(staff.user_id),
        Event::new("media.faces_masked", "media", media_id).detail(json!({
            "masks": masks.len(),
            "generation": updated.masks_generation,
        })),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

/// `BAD_USER_INPUT` unless every mask is a real rectangle inside the picture.
fn check(asset: &media_asset::Model, masks: &[Rect]) -> Result<()> {
    if asset.kind != Kind::Image {
        return Err(Error::invalid("masks", "face masks apply to pictures only"));
    }
    let (Some(width), Some(height)) = (asset.width, asset.height) else {
        return Err(Error::invalid(
            "masks",
            "this picture's size is unknown, so masks cannot be placed on it",
        ));
    };
    for (i, m) in masks.iter().enumerate() {
        if m.width < 1 || m.height < 1 {
            return Err(Error::invalid(
                "masks",
                format!("mask {i} must be at least 1 pixel wide and high"),
            ));
        }
        // In i64: x + width must not overflow on the way to being refused.
        let inside = m.x >= 0
            && m.y >= 0
            && i64::from(m.x) + i64::from(m.width) <= i64::from(width)
            && i64::from(m.y) + i64::from(m.height) <= i64::from(height);
        if !inside {
            return Err(Error::invalid(
                "masks",
                format!("mask {i} reaches outside the {width}×{height} picture"),
            ));
        }
    }
    Ok(())
}
