//! Taking in one uploaded file: identify it by its bytes, check its size, check
//! that an image decodes whole within the pixel limit, strip its metadata, hash
//! it, store it, refuse a duplicate, and record it, in that order, so that
//! nothing unsafe is ever stored and a failure at any step leaves neither an
//! object without a row (a refused one is removed at once) nor a row without an
//! object. [`store_checked`] and [`record`] are the two halves, for callers that
//! write the row in a transaction of their own (stories sent in).

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use entity::{
    job,
    media_asset::{self, Kind, MetadataStatus, State},
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set,
};
use serde_json::json;
use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt;
use uuid::Uuid;

use super::{
    integrity,
    sniff::{self, MediaKind, SNIFF_LEN, Sniffed},
    strip::{self, StripOutcome},
};
use crate::{
    audit::{self, Actor, Event},
    auth::Principal,
    error::{Error, Result},
    queue,
    storage::ObjectStore,
    stories, storytellers,
};

/// The largest file accepted per kind, in bytes, and the most pixels an
/// image may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub image: u64,
    pub audio: u64,
    pub video: u64,
    pub document: u64,
    /// Width × height, as the image's header claims it (`CHORUS_MEDIA_MAX_PIXELS`).
    pub image_pixels: u64,
}

impl Default for Limits {
    fn default() -> Self {
        const MIB: u64 = 1024 * 1024;
        Self {
            image: 25 * MIB,
            audio: 200 * MIB,
            video: 2048 * MIB,
            document: 25 * MIB,
            image_pixels: integrity::DEFAULT_MAX_PIXELS,
        }
    }
}

impl Limits {
    /// The defaults, with the pixel limit the configuration sets.
    pub fn from_config(config: &crate::config::Config) -> Self {
        Self {
            image_pixels: config.media_max_pixels,
            ..Self::default()
        }
    }

    fn of(&self, kind: MediaKind) -> u64 {
        match kind {
            MediaKind::Image => self.image.min(strip::MAX_IMAGE_BYTES),
            MediaKind::Audio => self.audio,
            MediaKind::Video => self.video,
            MediaKind::Document => self.document,
        }
    }
}

/// What an upload belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// A photo, recording or video of a story.
    Story(Uuid),
    /// Private evidence about a person (a consent form, a recording of verbal
    /// consent): editors only, never published.
    Evidence { storyteller_id: Uuid },
}

/// Takes in the file at `upload` (a temp file the caller owns and removes).
pub async fn ingest(
    db: &DatabaseConnection,
    store: &dyn ObjectStore,
    principal: &Principal,
    owner: Owner,
    upload: &Path,
    limits: &Limits,
    now: DateTime<Utc>,
) -> Result<media_asset::Model> {
    let staff = match owner {
        Owner::Story(_) => principal.staff()?,
        Owner::Evidence { .. } => principal.require_editor()?,
    };
    match owner {
        Owner::Story(story_id) => {
            // The same rule as for the story's text: contributors add media
            // only to their own stories.
            let story = stories::get(db, principal, story_id).await?;
            stories::workflow::check_can_write(staff, &story)?;
        }
        Owner::Evidence { storyteller_id } => {
            let teller = storytellers::find(db, storyteller_id).await?;
            storytellers::require_not_erased(&teller)?;
        }
    }

    let accepted: &[MediaKind] = match owner {
        Owner::Story(_) => &[MediaKind::Image, MediaKind::Audio, MediaKind::Video],
        Owner::Evidence { .. } => &[
            MediaKind::Image,
            MediaKind::Audio,
            MediaKind::Video,
            MediaKind::Document,
        ],
    };
    let stored = store_checked(store, upload, limits, accepted).await?;

    let record = async {
        if let Owner::Story(story_id) = owner
            && let Some(existing) = media_asset::Entity::find()
                .filter(media_asset::Column::StoryId.eq(story_id))
                .filter(media_asset::Column::Sha256.eq(stored.sha256.clone()))
                .filter(media_asset::Column::State.eq(State::Ready))
                .one(db)
                .await?
        {
            return Err(Error::Conflict(format!(
                "this file is already attached to the story as {}",
                existing.id
            )));
        }
        let txn = crate::db::begin_write(db).await?;
        let asset = record(
            &txn,
            &stored,
            owner,
            staff.user_id,
            staff.organisation_id,
            Actor::User(staff.user_id),
            now,
        )
        .await?;
        txn.commit().await?;
        Ok::<_, Error>(asset)
    }
    .await;
    match record {
        Ok(asset) => Ok(asset),
        Err(e) => {
            stored.discard(store).await;
            Err(e)
        }
    }
}

/// A file that passed intake and is in the object store, waiting for its row.
#[derive(Debug, Clone)]
pub struct Stored {
    pub id: Uuid,
    pub key: String,
    pub kind: MediaKind,
    pub mime: &'static str,
    pub size: u64,
    pub sha256: String,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub not_cleanable: bool,
}

impl Stored {
    /// Removes the object when its row will never be written (no object without a
    /// row: the orphan sweep would find it, but do not wait).
    pub async fn discard(&self, store: &dyn ObjectStore) {
        if let Err(cleanup) = store.delete(&self.key).await {
            tracing::warn!(key = %self.key, error = %cleanup, "could not remove an unrecorded object; the orphan sweep will");
        }
    }
}

/// The intake pipeline up to the store: sniff (refusing kinds not in
/// `accepted`), size, integrity, strip, hash, store. The caller records the row
/// with [`record`] or [`Stored::discard`]s it.
pub async fn store_checked(
    store: &dyn ObjectStore,
    upload: &Path,
    limits: &Limits,
    accepted: &[MediaKind],
) -> Result<Stored> {
    let sniffed = sniff_file(upload).await?;
    if !accepted.contains(&sniffed.kind) {
        return Err(Error::UnsupportedMediaType(match sniffed.kind {
            MediaKind::Document => "PDF files are accepted only as private consent evidence".into(),
            _ => format!("{} files are not accepted here", sniffed.mime),
        }));
    }
    let size = tokio::fs::metadata(upload)
        .await
        .map_err(Error::internal)?
        .len();
    let limit = limits.of(sniffed.kind);
    if size > limit {
        return Err(Error::PayloadTooLarge(format!(
            "this {} is {size} bytes; the limit is {limit}",
            sniffed.mime
        )));
    }

    if sniffed.kind == MediaKind::Image {
        // Before stripping, which may decode too: a forged size is refused
        // from the header alone, and a damaged picture is never published.
        let (format, path, max_pixels) =
            (sniffed.format, upload.to_path_buf(), limits.image_pixels);
        tokio::task::spawn_blocking(move || integrity::check(format, &path, max_pixels))
            .await
            .map_err(Error::internal)??;
    }

    let cleaned = Cleaned::new(upload);
    let outcome = {
        let (src, dst) = (upload.to_path_buf(), cleaned.0.clone());
        tokio::task::spawn_blocking(move || strip::strip_file(&sniffed, &src, &dst))
            .await
            .map_err(Error::internal)??
    };
    let (sha256, size) = hash_file(&cleaned.0).await?;
    let (width, height) = if sniffed.kind == MediaKind::Image {
        dimensions(&cleaned.0).await?
    } else {
        (None, None)
    };

    let id = Uuid::now_v7();
    let key = format!("media/{id}/original.{}", sniffed.extension);
    store
        .put_file(&key, &cleaned.0, sniffed.mime)
        .await
        .map_err(Error::from)?;
    Ok(Stored {
        id,
        key,
        kind: sniffed.kind,
        mime: sniffed.mime,
        size,
        sha256,
        width,
        height,
        not_cleanable: outcome == StripOutcome::NotCleanable,
    })
}

/// Writes the row of a [`Stored`] file in `txn`, with its audit event and its
/// rendition job; `created_by` is the staff member (or the submission key) it
/// came from, `organisation_id` the organisation it belongs to.
#[allow(clippy::too_many_arguments)]
pub async fn record(
    txn: &impl ConnectionTrait,
    stored: &Stored,
    owner: Owner,
    created_by: Uuid,
    organisation_id: Uuid,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<media_asset::Model> {
    let not_cleanable = stored.not_cleanable;
    let asset = media_asset::ActiveModel {
        id: Set(stored.id),
        story_id: Set(match owner {
            Owner::Story(story_id) => Some(story_id),
            Owner::Evidence { .. } => None,
        }),
        storyteller_id: Set(match owner {
            Owner::Evidence { storyteller_id } => Some(storyteller_id),
            Owner::Story(_) => None,
        }),
        kind: Set(kind(stored.kind)),
        mime: Set(stored.mime.to_owned()),
        size_bytes: Set(i64::try_from(stored.size).unwrap_or(i64::MAX)),
        sha256: Set(stored.sha256.clone()),
        storage_key: Set(stored.key.clone()),
        width: Set(stored.width),
        height: Set(stored.height),
        duration_ms: Set(None),
        alt_text: Set(None),
        caption: Set(None),
        credit: Set(None),
        // Protective default: assume faces until an editor says otherwise.
        shows_faces: Set(stored.kind == MediaKind::Image || stored.kind == MediaKind::Video),
        faces_reviewed_at: Set(None),
        faces_reviewed_by: Set(None),
        masks_generation: Set(0),
        renditions_generation: Set(None),
        private: Set(not_cleanable || matches!(owner, Owner::Evidence { .. })),
        metadata_status: Set(if not_cleanable {
            MetadataStatus::NotCleanable
        } else {
            MetadataStatus::Cleaned
        }),
        state: Set(State::Ready),
        created_by: Set(created_by),
        organisation_id: Set(organisation_id),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(txn)
    .await?;
    audit::record(
        txn,
        actor,
        Event::new("media.added", "media", stored.id).detail(json!({
            "storyId": asset.story_id,
            "storytellerId": asset.storyteller_id,
            "mime": asset.mime,
            "metadata": if not_cleanable { "NOT_CLEANABLE" } else { "CLEANED" },
        })),
        now,
    )
    .await?;
    // Renditions are made in the background, never on the request path; a
    // private item is never rendered, since renditions exist to be shown.
    if asset.kind == Kind::Image && !asset.private {
        queue::enqueue_media(txn, job::Kind::RenderMedia, stored.id, now, now).await?;
    }
    Ok(asset)
}

/// The cleaned copy next to the upload, removed when dropped.
struct Cleaned(PathBuf);

impl Cleaned {
    fn new(upload: &Path) -> Self {
        let mut name = upload
            .file_name()
            .map(|n| n.to_os_string())
            .unwrap_or_default();
        name.push(format!(".clean-{}", Uuid::now_v7().simple()));
        Self(upload.with_file_name(name))
    }
}

impl Drop for Cleaned {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

async fn sniff_file(path: &Path) -> Result<Sniffed> {
    let mut file = tokio::fs::File::open(path).await.map_err(Error::internal)?;
    let mut head = Vec::with_capacity(SNIFF_LEN);
    (&mut file)
        .take(SNIFF_LEN as u64)
        .read_to_end(&mut head)
        .await
        .map_err(Error::internal)?;
    sniff::sniff(&head).map_err(|_| {
        Error::UnsupportedMediaType(
            "not an accepted format: photos as JPEG, PNG, WebP or GIF; audio as MP3, M4A, OGG or WAV; video as MP4, MOV or WebM".into(),
        )
    })
}

/// SHA-256 and size of a file, read in chunks.
async fn hash_file(path: &Path) -> Result<(String, u64)> {
    let mut file = tokio::fs::File::open(path).await.map_err(Error::internal)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf).await.map_err(Error::internal)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    Ok((hex::encode(hasher.finalize()), size))
}

async fn dimensions(path: &Path) -> Result<(Option<i32>, Option<i32>)> {
    let path = path.to_path_buf();
    let read = tokio::task::spawn_blocking(move || {
        image::ImageReader::open(&path)
            .and_then(|r| r.with_guessed_format())
            .map_err(|e| e.to_string())
            .and_then(|r| r.into_dimensions().map_err(|e| e.to_string()))
    })
    .await
    .map_err(Error::internal)?;
    match read {
        Ok((w, h)) => Ok((i32::try_from(w).ok(), i32::try_from(h).ok())),
        Err(_) => Err(Error::invalid("file", "the image could not be read")),
    }
}

fn kind(kind: MediaKind) -> Kind {
    match kind {
        MediaKind::Image => Kind::Image,
        MediaKind::Audio => Kind::Audio,
        MediaKind::Video => Kind::Video,
        MediaKind::Document => Kind::Document,
    }
}
