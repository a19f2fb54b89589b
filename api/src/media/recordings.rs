//! Accessible recordings: the words of a story's audio and video items, as a
//! transcript (plain text) or a caption track (WebVTT, cleaned by [`webvtt`]),
//! one per item, kind and language.
//!
//! People who cannot hear a recording must be able to read it, so a story with
//! an audio item lacking a transcript, or a video lacking captions, is neither
//! approved nor published ([`require_words`], beside alt text for images). A
//! video's captions are its words with their timing, so a video needs no
//! transcript as well. Readers get the words through the same gate as the
//! recording ([`super::delivery::words_allowed`]); the texts of an item they
//! may not have are never read from the database.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::{
    media_asset::{self, State},
    media_text::{self, Kind},
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde_json::json;
use uuid::Uuid;

use super::{delivery::Allowance, webvtt};
use crate::{
    audit::{self, Actor, Event},
    auth::Principal,
    error::{Error, Result},
};

/// The longest transcript accepted, in characters (an hour of speech is
/// about 60,000).
pub const MAX_TRANSCRIPT_CHARS: usize = 200_000;

/// The words of one recording or video in one language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    pub language: String,
    /// The transcript, or the cleaned WebVTT track.
    pub body: String,
}

/// The words of one item a reader may have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Words {
    pub media_id: Uuid,
    pub kind: media_asset::Kind,
    /// By language.
    pub transcripts: Vec<Text>,
    /// By language.
    pub captions: Vec<Text>,
}

/// Sets the transcript (`Kind::Transcript`, plain text) or caption track
/// (`Kind::Captions`, WebVTT, cleaned) of a story's recording or video in
/// `language`, or removes it when `body` is `None` (editors and admins). A
/// refused text changes nothing.
pub async fn set(
    db: &DatabaseConnection,
    principal: &Principal,
    media_id: Uuid,
    kind: Kind,
    language: &str,
    body: Option<&str>,
    now: DateTime<Utc>,
) -> Result<media_asset::Model> {
    let staff = principal.require_editor()?;
    crate::locale::validate("language", language)?;
    let body = body.map(|b| checked(kind, b)).transpose()?;
    let txn = crate::db::begin_write(db).await?;
    let asset = super::assets::get(&txn, principal, media_id).await?;
    let recording = matches!(
        asset.kind,
        media_asset::Kind::Audio | media_asset::Kind::Video
    );
    if !recording || asset.story_id.is_none() {
        return Err(Error::invalid(
            "mediaId",
            "transcripts and captions belong to a story's recordings and videos",
        ));
    }
    media_text::Entity::delete_many()
        .filter(media_text::Column::MediaId.eq(media_id))
        .filter(media_text::Column::Kind.eq(kind))
        .filter(media_text::Column::Language.eq(language))
        .exec(&txn)
        .await?;
    let action = match (&body, kind) {
        (Some(_), Kind::Transcript) => "media.transcript_set",
        (None, Kind::Transcript) => "media.transcript_removed",
        (Some(_), Kind::Captions) => "media.captions_set",
        (None, Kind::Captions) => "media.captions_removed",
    };
    if let Some(body) = body {
        media_text::ActiveModel {
            media_id: Set(media_id),
            kind: Set(kind),
            language: Set(language.to_owned()),
            body: Set(body),
            updated_by: Set(staff.user_id),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await?;
    }
    // The change log watches the item, not its words: touching the item logs
    // a change of its story, which ends the cached answers holding the old
    // words and tells the sync feed, as an edit of the item itself would.
    media_asset::Entity::update_many()
        .col_expr(
            media_asset::Column::UpdatedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(media_asset::Column::Id.eq(media_id))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        Actor::User(staff.user_id),
        Event::new(action, "media", media_id).detail(json!({ "language": language })),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(asset)
}

/// What is stored of a text sent as `kind`: a trimmed transcript, or the
/// cleaned track.
fn checked(kind: Kind, body: &str) -> Result<String> {
    match kind {
        Kind::Transcript => {
            let text = body.trim();
            if text.is_empty() || text.chars().count() > MAX_TRANSCRIPT_CHARS {
                return Err(Error::invalid(
                    "text",
                    format!(
                        "between 1 and {MAX_TRANSCRIPT_CHARS} characters; send null to remove the transcript"
                    ),
                ));
            }
            Ok(text.to_owned())
        }
        Kind::Captions => webvtt::clean(body)
            .map_err(|e| Error::invalid("vtt", format!("not a usable WebVTT track: {e}"))),
    }
}

/// An item's transcripts and caption tracks, each by language (staff).
pub async fn of_item(
    db: &impl ConnectionTrait,
    principal: &Principal,
    media_id: Uuid,
) -> Result<(Vec<Text>, Vec<Text>)> {
    principal.staff()?;
    let rows = media_text::Entity::find()
        .filter(media_text::Column::MediaId.eq(media_id))
        .order_by_asc(media_text::Column::Language)
        .all(db)
        .await?;
    Ok(split(rows))
}

/// Transcripts and captions apart, in the order of `rows`.
fn split(rows: impl IntoIterator<Item = media_text::Model>) -> (Vec<Text>, Vec<Text>) {
    let (mut transcripts, mut captions) = (Vec::new(), Vec::new());
    for row in rows {
        let text = Text {
            language: row.language,
            body: row.body,
        };
        match row.kind {
            Kind::Transcript => transcripts.push(text),
            Kind::Captions => captions.push(text),
        }
    }
    (transcripts, captions)
}

/// `INVALID_TRANSITION` while a public recording of the story has no transcript
/// (`TRANSCRIPT_MISSING`) or a public video has no captions
/// (`CAPTIONS_MISSING`): people who cannot hear it must be able to read it.
pub async fn require_words(db: &impl ConnectionTrait, story_id: Uuid) -> Result<()> {
    let recordings = public_recordings(db, media_asset::Column::StoryId.eq(story_id)).await?;
    if recordings.is_empty() {
        return Ok(());
    }
    let has: HashSet<(Uuid, Kind)> = media_text::Entity::find()
        .filter(media_text::Column::MediaId.is_in(recordings.iter().map(|r| r.id)))
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.media_id, t.kind))
        .collect();
    for (kind, needs, reason, how) in [
        (
            media_asset::Kind::Audio,
            Kind::Transcript,
            "TRANSCRIPT_MISSING",
            "recording(s) of this story have no transcript",
        ),
        (
            media_asset::Kind::Video,
            Kind::Captions,
            "CAPTIONS_MISSING",
            "video(s) of this story have no captions",
        ),
    ] {
        let missing: Vec<Uuid> = recordings
            .iter()
            .filter(|r| r.kind == kind && !has.contains(&(r.id, needs)))
            .map(|r| r.id)
            .collect();
        if let Some(first) = missing.first() {
            let fix = match needs {
                Kind::Transcript => "setMediaTranscript",
                Kind::Captions => "setMediaCaptions",
            };
            return Err(Error::transition(
                reason,
                format!(
                    "{} {how} (first: {first}); add them with {fix}",
                    missing.len()
                ),
            ));
        }
    }
    Ok(())
}

/// The words of the recordings and videos of these stories (each already found
/// visible to the reader, with its allowance) that the reader may have, by
/// story, oldest item first. Two statements whatever the number of stories:
/// the stories' recordings, then the texts of those the gate lets through.
pub async fn for_stories(
    db: &impl ConnectionTrait,
    stories: &[(Uuid, Allowance)],
) -> Result<HashMap<Uuid, Vec<Words>>> {
    let allowances: HashMap<Uuid, Allowance> = stories.iter().copied().collect();
    let mut out: HashMap<Uuid, Vec<Words>> = HashMap::new();
    if allowances.is_empty() {
        return Ok(out);
    }
    let backend = db.get_database_backend();
    let recordings = public_recordings(
        db,
        crate::db::id_in(
            backend,
            (media_asset::Entity, media_asset::Column::StoryId),
            allowances.keys().copied(),
        ),
    )
    .await?;
    let allowed: Vec<media_asset::Model> = recordings
        .into_iter()
        .filter(|asset| {
            asset
                .story_id
                .and_then(|id| allowances.get(&id))
                .is_some_and(|allowance| super::delivery::words_allowed(asset, *allowance))
        })
        .collect();
    if allowed.is_empty() {
        return Ok(out);
    }
    let mut texts: HashMap<Uuid, Vec<media_text::Model>> = HashMap::new();
    for row in media_text::Entity::find()
        .filter(crate::db::id_in(
            backend,
            (media_text::Entity, media_text::Column::MediaId),
            allowed.iter().map(|a| a.id),
        ))
        .order_by_asc(media_text::Column::Language)
        .all(db)
        .await?
    {
        texts.entry(row.media_id).or_default().push(row);
    }
    for asset in allowed {
        let (Some(story_id), Some(rows)) = (asset.story_id, texts.remove(&asset.id)) else {
            continue;
        };
        let (transcripts, captions) = split(rows);
        out.entry(story_id).or_default().push(Words {
            media_id: asset.id,
            kind: asset.kind,
            transcripts,
            captions,
        });
    }
    Ok(out)
}

/// The ready, non-private audio and video items of the stories `stories`
/// selects, oldest first.
async fn public_recordings(
    db: &impl ConnectionTrait,
    stories: sea_orm::sea_query::SimpleExpr,
) -> Result<Vec<media_asset::Model>> {
    Ok(media_asset::Entity::find()
        .filter(stories)
        .filter(media_asset::Column::State.eq(State::Ready))
        .filter(media_asset::Column::Private.eq(false))
        .filter(
            media_asset::Column::Kind.is_in([media_asset::Kind::Audio, media_asset::Kind::Video]),
        )
        .order_by_asc(media_asset::Column::Id)
        .all(db)
        .await?)
}
