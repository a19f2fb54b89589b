//! Staff mutations on a media item's life after intake: placing face masks
//! (burned into its renditions by a background job), running that job again
//! after it gave up, and deleting the item.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::media_face_mask;

use super::{context::ContextExt, media::MediaAsset, scoped};
use crate::{
    clock,
    media::{
        faces::{self, Rect},
        removal, renditions,
    },
};

/// A rectangle over a face, in pixels of the stored (upright) original: the
/// `width` and `height` of its `MediaAsset`.
#[derive(InputObject)]
pub struct FaceMaskInput {
    /// Left edge, from 0.
    pub x: i32,
    /// Top edge, from 0.
    pub y: i32,
    /// At least 1.
    pub width: i32,
    /// At least 1.
    pub height: i32,
}

/// A rectangle painted opaque black over a face in every rendition.
#[derive(SimpleObject)]
pub struct FaceMask {
    pub id: ID,
    pub x: i32,
    pub y: i32,
    pub width: i32,
    pub height: i32,
    pub created_at: DateTime<Utc>,
}

impl From<media_face_mask::Model> for FaceMask {
    fn from(m: media_face_mask::Model) -> Self {
        Self {
            id: ID(m.id.to_string()),
            x: m.x,
            y: m.y,
            width: m.width,
            height: m.height,
            created_at: m.created_at,
        }
    }
}

#[derive(Default)]
pub struct MediaFacesMutation;

#[Object]
impl MediaFacesMutation {
    /// Replaces a picture's face masks (at most 200), records the face review
    /// and queues new renditions with the masks burned in; until they are made
    /// the picture has no renditions. An empty list removes the masks and
    /// withdraws the review (a picture without faces: `updateMedia(showsFaces:
    /// false)`). Editors and admins.
    async fn set_face_masks(
        &self,
        ctx: &Context<'_>,
        media_id: ID,
        masks: Vec<FaceMaskInput>,
    ) -> Result<MediaAsset> {
        let media_id = scoped::media(ctx, "mediaId", &media_id).await?;
        let masks: Vec<Rect> = masks
            .into_iter()
            .map(|m| Rect {
                x: m.x,
                y: m.y,
                width: m.width,
                height: m.height,
            })
            .collect();
        Ok(faces::set(
            &ctx.state().db,
            ctx.principal(),
            media_id,
            &masks,
            clock::now(),
        )
        .await?
        .into())
    }

    /// Runs the job that makes a picture's renditions again after it gave up
    /// (see `MediaAsset.renditionError`), with a fresh set of attempts. Admins.
    async fn retry_media_renditions(&self, ctx: &Context<'_>, media_id: ID) -> Result<MediaAsset> {
        let media_id = scoped::media(ctx, "mediaId", &media_id).await?;
        Ok(
            renditions::retry(&ctx.state().db, ctx.principal(), media_id, clock::now())
                .await?
                .into(),
        )
    }

    /// Deletes a media item with its renditions and masks, bytes included.
    /// Editors and admins any story's media, contributors their own stories';
    /// consent evidence admins only.
    async fn delete_media(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let id = scoped::media(ctx, "id", &id).await?;
        let state = ctx.state();
        removal::delete(
            &state.db,
            state.storage.as_ref(),
            ctx.principal(),
            id,
            clock::now(),
        )
        .await?;
        Ok(true)
    }
}
