//! Media uploads for staff: a photo, recording or video of a story, or private
//! consent evidence about a person, sent as a GraphQL multipart request.
//!
//! The HTTP layer has already bounded the request (file size and count); here the
//! upload's temp file is copied to a named temp file and handed to the intake
//! pipeline, which sniffs, strips, hashes, stores and records it.

use async_graphql::{
    ComplexObject, Context, Enum, ID, InputObject, MaybeUndefined, Object, Result, SimpleObject,
    Upload,
};
use chrono::{DateTime, Utc};
use entity::media_asset;

use super::{
    context::{ContextExt, scope},
    media_faces::FaceMask,
    published::{CaptionTrack, MediaSource, Transcript, caption_tracks, transcripts},
    scalars::patch,
    scoped,
};
use crate::{
    clock,
    error::Error,
    media::{
        assets::{self, Description},
        delivery, faces,
        intake::{self, Limits, Owner},
        recordings, renditions,
    },
};

/// How a media item is described. Fields left out stay as they are; `null` clears.
#[derive(InputObject)]
pub struct UpdateMediaInput {
    /// What the picture shows, for people who cannot see it; required before publication.
    pub alt_text: MaybeUndefined<String>,
    pub caption: MaybeUndefined<String>,
    pub credit: MaybeUndefined<String>,
    /// Whether anyone's face can be seen (masking comes with face review).
    pub shows_faces: Option<bool>,
}

/// What sort of media an asset is, decided from its bytes.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::media_asset::Kind")]
pub enum MediaKind {
    Image,
    Audio,
    Video,
    /// PDF, only as private consent evidence.
    Document,
}

/// Whether an asset's metadata could be removed.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::media_asset::MetadataStatus")]
pub enum MetadataStatus {
    Cleaned,
    /// The format cannot be cleaned yet: stored private, never published.
    NotCleanable,
}

/// One stored photo, recording, video or evidence document, for staff.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct MediaAsset {
    pub id: ID,
    /// `null` for consent evidence.
    pub story_id: Option<ID>,
    pub kind: MediaKind,
    /// Sniffed from the bytes, never the client's word.
    pub mime: String,
    /// The stored size in bytes, as a decimal string: sizes can exceed `Int`.
    pub size_bytes: String,
    /// SHA-256 of the stored (cleaned) bytes, in hex.
    pub sha256: String,
    pub width: Option<i32>,
    pub height: Option<i32>,
    /// Never given to consumers: evidence, and files whose metadata could not be removed.
    pub private: bool,
    pub metadata_status: MetadataStatus,
    /// Assumed until an editor says otherwise.
    pub shows_faces: bool,
    pub alt_text: Option<String>,
    pub caption: Option<String>,
    pub credit: Option<String>,
    /// When an editor last confirmed the face masks (`setFaceMasks`); needed
    /// before an image showing faces reaches readers whose consent says `OBSCURED`.
    pub faces_reviewed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    #[graphql(skip)]
    pub model: media_asset::Model,
}

#[ComplexObject]
impl MediaAsset {
    /// The boxes covering faces, in pixels of the stored original; set with
    /// `setFaceMasks` and burned into every rendition.
    async fn face_masks(&self, ctx: &Context<'_>) -> Result<Vec<FaceMask>> {
        ctx.principal().staff()?;
        Ok(faces::masks_of(&ctx.state().db, self.model.id)
            .await?
            .into_iter()
            .map(FaceMask::from)
            .collect())
    }

    /// Why the web renditions could not be made, once the background job that
    /// makes them gave up (`renditions failed after 5 attempts: …`); `null` while
    /// they are made, pending or being retried. An admin may run the job again
    /// with `retryMediaRenditions` once the cause is fixed.
    async fn rendition_error(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        ctx.principal().staff()?;
        Ok(renditions::failure(&ctx.state().db, self.model.id).await?)
    }

    /// What is said in a recording or video, by language (`setMediaTranscript`);
    /// a story's recordings need one before approval.
    async fn transcripts(&self, ctx: &Context<'_>) -> Result<Vec<Transcript>> {
        let (found, _) =
            recordings::of_item(&ctx.state().db, ctx.principal(), self.model.id).await?;
        Ok(transcripts(&found))
    }

    /// Cleaned WebVTT caption tracks, by language (`setMediaCaptions`); a
    /// story's videos need one before approval.
    async fn captions(&self, ctx: &Context<'_>) -> Result<Vec<CaptionTrack>> {
        let (_, found) =
            recordings::of_item(&ctx.state().db, ctx.principal(), self.model.id).await?;
        Ok(caption_tracks(&found))
    }

    /// The original and its current renditions, with URLs for the signed-in
    /// staff member. Private items are served by Chorus only, to editors and
    /// admins, and each fetch is written to the audit log.
    async fn sources(&self, ctx: &Context<'_>) -> Result<Vec<MediaSource>> {
        let principal = ctx.principal();
        delivery::staff_may_read(principal, &self.model)?;
        let holder = delivery::staff_holder(principal)?;
        let state = ctx.state();
        let issuer = delivery::Issuer::new(state);
        let now = clock::now();
        let mut out = Vec::new();
        for source in delivery::staff_sources(&state.db, &self.model).await? {
            let (url, expires_at) = issuer.url(&self.model, &source, holder, now).await?;
            out.push(MediaSource {
                variant: source.variant,
                mime: source.mime,
                width: source.width,
                height: source.height,
                url,
                expires_at,
            });
        }
        Ok(out)
    }
}

impl From<media_asset::Model> for MediaAsset {
    fn from(m: media_asset::Model) -> Self {
        Self {
            id: ID(m.id.to_string()),
            story_id: m.story_id.map(|id| ID(id.to_string())),
            kind: m.kind.into(),
            mime: m.mime.clone(),
            size_bytes: m.size_bytes.to_string(),
            sha256: m.sha256.clone(),
            width: m.width,
            height: m.height,
            private: m.private,
            metadata_status: m.metadata_status.into(),
            shows_faces: m.shows_faces,
            alt_text: m.alt_text.clone(),
            caption: m.caption.clone(),
            credit: m.credit.clone(),
            faces_reviewed_at: m.faces_reviewed_at,
            created_at: m.created_at,
            model: m,
        }
    }
}

#[derive(Default)]
pub struct MediaQuery;

#[Object]
impl MediaQuery {
    /// One media item (staff; private items editors and admins only).
    async fn media_asset(&self, ctx: &Context<'_>, id: ID) -> Result<MediaAsset> {
        let id = scoped::media(ctx, "id", &id).await?;
        Ok(assets::get(&ctx.state().db, ctx.principal(), id)
            .await?
            .into())
    }

    /// The consent evidence kept about a person (editors and admins).
    async fn consent_evidence(
        &self,
        ctx: &Context<'_>,
        storyteller_id: ID,
    ) -> Result<Vec<MediaAsset>> {
        let storyteller_id = super::scalars::parse_id("storytellerId", &storyteller_id)?;
        Ok(assets::evidence_of(
            &ctx.state().db,
            ctx.principal(),
            scope(ctx).await?,
            storyteller_id,
        )
        .await?
        .into_iter()
        .map(MediaAsset::from)
        .collect())
    }
}

#[derive(Default)]
pub struct MediaMutation;

#[Object]
impl MediaMutation {
    /// Attaches a photo, recording or video to a story; its metadata is removed
    /// before it is stored. Any staff member who may see the story.
    async fn add_story_media(
        &self,
        ctx: &Context<'_>,
        story_id: ID,
        file: Upload,
    ) -> Result<MediaAsset> {
        let story_id = scoped::story(ctx, "storyId", &story_id).await?;
        Ok(ingest(ctx, Owner::Story(story_id), file).await?.into())
    }

    /// Stores evidence of a person's consent (a signed form, a recording of
    /// verbal consent), private for good. Editors and admins.
    async fn add_consent_evidence(
        &self,
        ctx: &Context<'_>,
        storyteller_id: ID,
        file: Upload,
    ) -> Result<MediaAsset> {
        let storyteller_id = scoped::storyteller(ctx, "storytellerId", &storyteller_id).await?;
        Ok(ingest(ctx, Owner::Evidence { storyteller_id }, file)
            .await?
            .into())
    }

    /// Describes a media item: alt text, caption, credit, whether it shows faces.
    /// Editors and admins.
    async fn update_media(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateMediaInput,
    ) -> Result<MediaAsset> {
        let id = scoped::media(ctx, "id", &id).await?;
        let changes = Description {
            alt_text: patch(input.alt_text, |t| t),
            caption: patch(input.caption, |t| t),
            credit: patch(input.credit, |t| t),
            shows_faces: input.shows_faces,
        };
        Ok(
            assets::describe(&ctx.state().db, ctx.principal(), id, changes, clock::now())
                .await?
                .into(),
        )
    }

    /// Sets what is said in a story's recording or video, in one language, as
    /// plain text; `null` removes it. Editors and admins.
    async fn set_media_transcript(
        &self,
        ctx: &Context<'_>,
        media_id: ID,
        #[graphql(desc = "BCP 47, such as `en` or `ar`.")] language: String,
        #[graphql(desc = "At most 200,000 characters.")] text: Option<String>,
    ) -> Result<MediaAsset> {
        Self::set_words(
            ctx,
            &media_id,
            entity::media_text::Kind::Transcript,
            &language,
            text.as_deref(),
        )
        .await
    }

    /// Sets a caption track of a story's video or recording, in one language;
    /// `null` removes it. Editors and admins. The track must be WebVTT (a
    /// `WEBVTT` first line, then cues with well-formed timings, each ending
    /// after it starts, in order of their start times, at least one); only the
    /// `WEBVTT` line and each cue's timing and text are kept, every tag
    /// (`<v Name>`, `<c>`, `<b>`, …), cue identifier and setting and every
    /// `NOTE`, `STYLE` and `REGION` block removed. Refused whole with
    /// `BAD_USER_INPUT` naming the line otherwise.
    async fn set_media_captions(
        &self,
        ctx: &Context<'_>,
        media_id: ID,
        #[graphql(desc = "BCP 47, such as `en` or `ar`.")] language: String,
        #[graphql(desc = "The WebVTT text, at most 512 KiB.")] vtt: Option<String>,
    ) -> Result<MediaAsset> {
        Self::set_words(
            ctx,
            &media_id,
            entity::media_text::Kind::Captions,
            &language,
            vtt.as_deref(),
        )
        .await
    }
}

impl MediaMutation {
    async fn set_words(
        ctx: &Context<'_>,
        media_id: &ID,
        kind: entity::media_text::Kind,
        language: &str,
        body: Option<&str>,
    ) -> Result<MediaAsset> {
        let id = scoped::media(ctx, "mediaId", media_id).await?;
        Ok(recordings::set(
            &ctx.state().db,
            ctx.principal(),
            id,
            kind,
            language,
            body,
            clock::now(),
        )
        .await?
        .into())
    }
}

/// A named copy of an upload, removed when dropped: the intake pipeline reads
/// a path, and async-graphql's temp file has none.
pub(super) async fn copy_to_temp(
    upload: async_graphql::UploadValue,
) -> Result<tempfile::TempPath, Error> {
    tokio::task::spawn_blocking(move || {
        let mut source = upload.content;
        let mut copy = tempfile::NamedTempFile::new()?;
        std::io::copy(&mut source, &mut copy)?;
        Ok::<_, std::io::Error>(copy.into_temp_path())
    })
    .await
    .map_err(Error::internal)?
    .map_err(Error::internal)
}

async fn ingest(
    ctx: &Context<'_>,
    owner: Owner,
    file: Upload,
) -> Result<media_asset::Model, Error> {
    // Refuse before copying anything.
    match owner {
        Owner::Story(_) => ctx.principal().staff().map(|_| ())?,
        Owner::Evidence { .. } => ctx.principal().require_editor().map(|_| ())?,
    }
    let upload = file
        .value(ctx)
        .map_err(|_| Error::invalid("file", "expected an uploaded file"))?;
    let path = copy_to_temp(upload).await?;
    let state = ctx.state();
    intake::ingest(
        &state.db,
        state.storage.as_ref(),
        ctx.principal(),
        owner,
        &path,
        &Limits::from_config(&state.config),
        clock::now(),
    )
    .await
}
