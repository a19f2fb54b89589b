//! Large uploads (video) for staff: `createMediaUpload` says where to `PUT` the
//! file, `completeMediaUpload` verifies what arrived and takes it in.
//!
//! Arguments in, a call to `media::uploads`, GraphQL types out; the rules
//! (permissions, limits, verification) live in the service.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::{context::ContextExt, media::MediaAsset, scoped};
use crate::{
    clock,
    error::Error,
    media::{
        intake::{Limits, Owner},
        uploads::{self, NewUpload, Window},
    },
};

/// A large file to upload: a story's video, photo or recording, or private
/// consent evidence about a storyteller. Give exactly one of `storyId` and
/// `storytellerId`.
#[derive(InputObject)]
pub struct CreateMediaUploadInput {
    pub story_id: Option<ID>,
    /// For consent evidence (editors and admins).
    pub storyteller_id: Option<ID>,
    /// The exact size of the file in bytes, as a decimal string: sizes can exceed `Int`.
    pub size_bytes: String,
    /// SHA-256 of the exact bytes to be sent, in hex; checked on completion if given.
    pub sha256: Option<String>,
}

/// Where to send a large file's bytes, once, before `expiresAt`; then call
/// `completeMediaUpload`.
#[derive(SimpleObject)]
pub struct MediaUpload {
    pub id: ID,
    /// A presigned storage URL or a one-time Chorus URL; send the file as the body.
    pub url: String,
    /// Always `PUT`.
    pub method: String,
    /// The URL accepts no transfer started after this.
    pub expires_at: DateTime<Utc>,
    /// The size announced, which the upload must match, as a decimal string.
    pub max_bytes: String,
}

#[derive(Default)]
pub struct MediaUploadMutation;

#[Object]
impl MediaUploadMutation {
    /// Starts a large upload (video up to 2 GiB): returns a URL to `PUT` the file
    /// to. Story media: any staff member who may edit the story; consent
    /// evidence: editors and admins.
    async fn create_media_upload(
        &self,
        ctx: &Context<'_>,
        input: CreateMediaUploadInput,
    ) -> Result<MediaUpload> {
        let owner = match (&input.story_id, &input.storyteller_id) {
            (Some(story_id), None) => Owner::Story(scoped::story(ctx, "storyId", story_id).await?),
            (None, Some(teller)) => Owner::Evidence {
                storyteller_id: scoped::storyteller(ctx, "storytellerId", teller).await?,
            },
            _ => {
                return Err(Error::invalid(
                    "storyId",
                    "give exactly one of storyId (story media) and storytellerId (consent evidence)",
                )
                .into());
            }
        };
        let new = NewUpload {
            owner,
            size_bytes: uploads::parse_size("sizeBytes", &input.size_bytes)?,
            sha256: input.sha256,
        };
        let state = ctx.state();
        let window = Window {
            base_url: &state.base_url,
            ttl: state.config.media_upload_ttl,
        };
        let created = uploads::create(
            &state.db,
            state.storage.as_ref(),
            ctx.principal(),
            new,
            &window,
            &Limits::from_config(&state.config),
            clock::now(),
        )
        .await?;
        Ok(MediaUpload {
            id: ID(created.upload.id.to_string()),
            url: created.url,
            method: uploads::METHOD.to_owned(),
            expires_at: created.upload.expires_at,
            max_bytes: created.upload.max_bytes.to_string(),
        })
    }

    /// Verifies an upload's bytes (size, SHA-256 if announced, type) and adds
    /// them as media with their metadata removed. The uploader, or an editor;
    /// calling it again returns the same media item.
    async fn complete_media_upload(&self, ctx: &Context<'_>, id: ID) -> Result<MediaAsset> {
        let id = scoped::upload(ctx, "id", &id).await?;
        let state = ctx.state();
        Ok(uploads::complete_detached(
            state.db.clone(),
            state.storage.clone(),
            ctx.principal().clone(),
            id,
            Limits::from_config(&state.config),
            clock::now(),
        )
        .await?
        .into())
    }
}
