//! Handing media out: which items and variants a reader may receive, the URLs
//! they get, and the check every `/media/{id}/{variant}` request passes again.
//!
//! Consumers receive an item only when its story is visible to them through the
//! consent gate and the item itself is allowed: not private, metadata cleaned,
//! and what it shows or sounds like covered by the most protective of the
//! story's setting and every consent covering the read:
//! - images only as their web renditions, never the original (the renditions
//!   carry the face masks burned in); an image showing faces needs faces
//!   `SHOWN`, or `OBSCURED` with a confirmed masking review, and is never given
//!   when faces are `NOT_DEPICTED`;
//! - audio needs voice `ORIGINAL` (Chorus cannot alter a voice);
//! - video needs voice `ORIGINAL`, and faces `SHOWN` when it shows faces
//!   (Chorus cannot mask video);
//! - documents (consent evidence) never.
//!
//! The words of a recording or video (its transcripts and captions,
//! [`super::recordings`]) go with it: a reader who gets the item gets them. When
//! the item is held back only for its voice, they are still given if every
//! covering consent lets the words be read: `TEXT_ONLY` (the storyteller agreed
//! to their words as text) or `ORIGINAL`, but not `ALTERED` (agreed only to a
//! disguised voice, not to a written record). Held back for anything else (faces,
//! privacy), an item's words are held back too.
//!
//! Staff may fetch any item they may see, originals included; private items only
//! editors and admins, and every such read is audited. Private items are always
//! streamed by Chorus (so each read is seen); other items are presigned GETs on
//! S3 and Chorus links on local disk. Nothing is cached: a withdrawal, a revoked
//! key or an ended session stops the next request.

use chrono::{DateTime, Utc};
use entity::{
    api_key::Channel,
    consent_record::{self, Voice},
    media_asset::{self, Kind, MetadataStatus, State},
    media_rendition,
    story::{self, Faces},
};
use sea_orm::{
    ActiveEnum, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    sea_query::{Alias, Expr, ExprTrait, Query},
};
use serde_json::json;
use uuid::Uuid;

use super::{
    links::{Holder, LinkKeys},
    renditions::{self, pixels::CARD},
};
use crate::{
    audit::{self, Actor, Event},
    auth::{Principal, sessions},
    consent::gate::{self, Viewer},
    consumers,
    db::Columns,
    error::{Error, Result},
    state::AppState,
    storage::ObjectStore,
};

/// The variant name of an item's stored original.
pub const ORIGINAL: &str = "original";

/// What the consents covering one read allow media to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allowance {
    pub faces: Faces,
    pub voice: Voice,
    /// Every covering consent lets a recording's words be read as text: none
    /// says `ALTERED`.
    pub words: bool,
}

impl Allowance {
    /// The most protective of the story's own setting and every covering consent.
    pub fn of<'a>(
        story: &story::Model,
        covering: impl IntoIterator<Item = &'a consent_record::Model>,
    ) -> Self {
        Self::from_terms(
            story.faces,
            covering.into_iter().map(|c| (c.faces, c.voice)),
        )
    }

    /// [`Allowance::of`] from the story's faces setting and each covering
    /// consent's faces and voice terms.
    pub fn from_terms(
        story_faces: Faces,
        covering: impl IntoIterator<Item = (Faces, Voice)>,
    ) -> Self {
        covering.into_iter().fold(
            Self {
                faces: story_faces,
                voice: Voice::Original,
                words: true,
            },
            |acc, (faces, voice)| Self {
                faces: more_protective_faces(acc.faces, faces),
                voice: more_protective_voice(acc.voice, voice),
                words: acc.words && voice != Voice::Altered,
            },
        )
    }
}

fn more_protective_faces(a: Faces, b: Faces) -> Faces {
    let rank = |f: Faces| match f {
        Faces::Shown => 0,
        Faces::Obscured => 1,
        Faces::NotDepicted => 2,
    };
    if rank(a) >= rank(b) { a } else { b }
}

fn more_protective_voice(a: Voice, b: Voice) -> Voice {
    let rank = |v: Voice| match v {
        Voice::Original => 0,
        Voice::Altered => 1,
        Voice::TextOnly => 2,
    };
    if rank(a) >= rank(b) { a } else { b }
}

/// One fetchable form of an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// `original`, or a rendition such as `w800.webp`.
    pub variant: String,
    pub mime: String,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub size_bytes: i64,
    pub storage_key: String,
}

impl Source {
    fn original(asset: &media_asset::Model) -> Self {
        Self {
            variant: ORIGINAL.to_owned(),
            mime: asset.mime.clone(),
            width: asset.width,
            height: asset.height,
            size_bytes: asset.size_bytes,
            storage_key: asset.storage_key.clone(),
        }
    }

    pub fn rendition(r: &media_rendition::Model) -> Self {
        Self {
            variant: r.variant.clone(),
            mime: r.mime.clone(),
            width: r.width,
            height: r.height,
            size_bytes: r.size_bytes,
            storage_key: r.storage_key.clone(),
        }
    }
}

/// The forms of `asset` a consumer under `allowance` may receive; empty when
/// none. `renditions` are the asset's current renditions.
pub fn consumer_sources(
    asset: &media_asset::Model,
    renditions: &[media_rendition::Model],
    allowance: Allowance,
) -> Vec<Source> {
    match deliverable_form(asset, allowance) {
        Some(Form::Renditions) => renditions
            .iter()
            .filter(|r| r.variant != CARD)
            .map(Source::rendition)
            .collect(),
        Some(Form::Original) => vec![Source::original(asset)],
        None => Vec::new(),
    }
}

/// Which forms of an item a consumer may be given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    /// The web renditions (images: the masks are burned into them).
    Renditions,
    /// The cleaned original (audio and video).
    Original,
}

/// A consumer under `allowance` may receive `asset`'s renditions (it is an
/// image they may see, rendered with its current masks).
pub fn gives_renditions(asset: &media_asset::Model, allowance: Allowance) -> bool {
    deliverable_form(asset, allowance) == Some(Form::Renditions)
}

/// What of `asset` a consumer under `allowance` may receive, renditions aside:
/// `None` when nothing.
fn deliverable_form(asset: &media_asset::Model, allowance: Allowance) -> Option<Form> {
    let publishable = asset.state == State::Ready
        && !asset.private
        && asset.metadata_status == MetadataStatus::Cleaned
        && asset.story_id.is_some();
    if !publishable {
        return None;
    }
    let faces_ok = |maskable: bool| {
        !asset.shows_faces
            || match allowance.faces {
                Faces::Shown => true,
                Faces::Obscured => maskable && asset.faces_reviewed_at.is_some(),
                Faces::NotDepicted => false,
            }
    };
    let voice_ok = allowance.voice == Voice::Original;
    match asset.kind {
        Kind::Image if faces_ok(true) && is_current(asset) => Some(Form::Renditions),
        Kind::Audio if voice_ok => Some(Form::Original),
        Kind::Video if voice_ok && faces_ok(false) => Some(Form::Original),
        _ => None,
    }
}

/// Whether a reader under `allowance` may have the words (transcripts and
/// captions) of `asset`: when they receive the recording or video itself, or
/// when only its voice holds it back and every covering consent lets the words
/// be read ([`Allowance::words`]).
pub fn words_allowed(asset: &media_asset::Model, allowance: Allowance) -> bool {
    let heard = Allowance {
        voice: Voice::Original,
        ..allowance
    };
    matches!(asset.kind, Kind::Audio | Kind::Video)
        && (deliverable_form(asset, allowance).is_some()
            || (allowance.words && deliverable_form(asset, heard).is_some()))
}

/// The renditions were made with the latest face masks.
fn is_current(asset: &media_asset::Model) -> bool {
    asset.renditions_generation == Some(asset.masks_generation)
}

/// An item a consumer may receive, with the forms they may fetch.
#[derive(Debug, Clone)]
pub struct Delivered {
    pub asset: media_asset::Model,
    pub sources: Vec<Source>,
}

/// The media of a story (already found visible to the reader) that a consumer
/// under `allowance` may receive, oldest first.
pub async fn for_story(
    db: &impl ConnectionTrait,
    story_id: Uuid,
    allowance: Allowance,
) -> Result<Vec<Delivered>> {
    Ok(for_stories(db, &[(story_id, allowance)], None)
        .await?
        .remove(&story_id)
        .unwrap_or_default())
}

/// [`for_story`] for many stories, in one statement whatever their number:
/// the stories' ready, non-private items `LEFT JOIN` their renditions, one row
/// per rendition (or one without, for an item that has none). Only the
/// renditions of the generation the item names current are kept, as
/// [`renditions::current_for`] does.
///
/// With `variants`, only renditions of those names are read (an image has six,
/// and a page that shows one size asks for one): the items delivered are the
/// same, only their `sources` are cut to those variants. Whether an image has
/// renditions at all is then asked of the database; the rows of a generation
/// replace the last one's in one transaction (`renditions::make_current`), so
/// a current image's rows are all of its generation.
pub async fn for_stories(
    db: &impl ConnectionTrait,
    stories: &[(Uuid, Allowance)],
    variants: Option<&[String]>,
) -> Result<std::collections::HashMap<Uuid, Vec<Delivered>>> {
    let allowances: std::collections::HashMap<Uuid, Allowance> = stories.iter().copied().collect();
    let mut out: std::collections::HashMap<Uuid, Vec<Delivered>> = std::collections::HashMap::new();
    if allowances.is_empty() {
        return Ok(out);
    }
    // Columns in the order `read_asset` and `read_rendition` take them.
    use media_asset::Column as A;
    use media_rendition::Column as R;
    const ASSET: [media_asset::Column; 26] = [
        A::Id,
        A::StoryId,
        A::StorytellerId,
        A::Kind,
        A::Mime,
        A::SizeBytes,
        A::Sha256,
        A::StorageKey,
        A::Width,
        A::Height,
        A::DurationMs,
        A::AltText,
        A::Caption,
        A::Credit,
        A::ShowsFaces,
        A::FacesReviewedAt,
        A::FacesReviewedBy,
        A::MasksGeneration,
        A::RenditionsGeneration,
        A::Private,
        A::MetadataStatus,
        A::State,
        A::CreatedBy,
        A::CreatedAt,
        A::UpdatedAt,
        A::OrganisationId,
    ];
    const RENDITION: [media_rendition::Column; 8] = [
        R::MediaId,
        R::Variant,
        R::StorageKey,
        R::Mime,
        R::Width,
        R::Height,
        R::SizeBytes,
        R::CreatedAt,
    ];
    let mut select = Query::select();
    for column in ASSET {
        select.expr(column.select_as(Expr::col((media_asset::Entity, column))));
    }
    for column in RENDITION {
        select.expr(column.select_as(Expr::col((media_rendition::Entity, column))));
    }
    let asset = |column: media_asset::Column| Expr::col((media_asset::Entity, column));
    let mut joined = Expr::col((media_rendition::Entity, media_rendition::Column::MediaId))
        .equals((media_asset::Entity, media_asset::Column::Id));
    if let Some(variants) = variants {
        joined = joined.and(
            Expr::col((media_rendition::Entity, media_rendition::Column::Variant))
                .is_in(variants.iter().map(String::as_str)),
        );
        let any = Alias::new("any_rendition");
        select.expr(Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from_as(media_rendition::Entity, any.clone())
                .and_where(
                    Expr::col((any, media_rendition::Column::MediaId))
                        .equals((media_asset::Entity, media_asset::Column::Id)),
                )
                .to_owned(),
        ));
    }
    // No ORDER BY: sorting every joined row in the database (by the variant's
    // collation) cost more than the rest of the statement; the few items of a
    // page are put in order below.
    select
        .from(media_asset::Entity)
        .left_join(media_rendition::Entity, joined)
        .and_where(crate::db::id_in(
            db.get_database_backend(),
            (media_asset::Entity, media_asset::Column::StoryId),
            allowances.keys().copied(),
        ))
        .and_where(asset(media_asset::Column::State).eq(State::Ready.to_value()))
        .and_where(asset(media_asset::Column::Private).eq(false));
    // By item: the item, its current renditions read, and whether it has any.
    type Read = (media_asset::Model, Vec<media_rendition::Model>, bool);
    let mut by_id: std::collections::HashMap<Uuid, Read> = std::collections::HashMap::new();
    for row in db.query_all(&select).await? {
        let id: Uuid = row.try_get_by_index(0)?;
        let (asset, renditions, any) = match by_id.entry(id) {
            std::collections::hash_map::Entry::Occupied(found) => found.into_mut(),
            std::collections::hash_map::Entry::Vacant(slot) => {
                let asset = read_asset(&mut Columns::new(&row, 0))?;
                let any = match variants {
                    Some(_) => row.try_get_by_index::<bool>(ASSET.len() + RENDITION.len())?,
                    None => false,
                };
                slot.insert((asset, Vec::new(), any))
            }
        };
        // An item without renditions leaves the joined columns `NULL`.
        if row.try_get_by_index::<Option<Uuid>>(ASSET.len())?.is_some() {
            let rendition = read_rendition(&mut Columns::new(&row, ASSET.len()))?;
            let current = asset.renditions_generation == Some(asset.masks_generation)
                && rendition
                    .storage_key
                    .starts_with(&renditions::generation_prefix(
                        asset.id,
                        asset.masks_generation,
                    ));
            // The share card goes out only through a story's card
            // (`stories::share`), never among an item's sources.
            if current && rendition.variant != CARD {
                renditions.push(rendition);
                // Unfiltered, the rows read are all there are.
                *any |= variants.is_none();
            }
        }
    }
    // Items oldest first (ids are time-ordered), renditions narrowest first.
    let mut items: Vec<Read> = by_id.into_values().collect();
    items.sort_by_key(|(asset, _, _)| asset.id);
    for (_, renditions, _) in &mut items {
        renditions.sort_by(|a, b| (a.width, &a.variant).cmp(&(b.width, &b.variant)));
    }
    for (asset, renditions, any) in items {
        let (Some(story_id), Some(allowance)) = (
            asset.story_id,
            asset.story_id.and_then(|id| allowances.get(&id).copied()),
        ) else {
            continue;
        };
        let sources = match deliverable_form(&asset, allowance) {
            // An image is given when it has renditions, whichever were read.
            Some(Form::Renditions) if any => renditions.iter().map(Source::rendition).collect(),
            Some(Form::Original) => vec![Source::original(&asset)],
            _ => continue,
        };
        out.entry(story_id)
            .or_default()
            .push(Delivered { asset, sources });
    }
    Ok(out)
}

/// An item's columns as `for_stories` selects them, in that order.
fn read_asset(c: &mut Columns<'_>) -> Result<media_asset::Model> {
    Ok(media_asset::Model {
        id: c.take()?,
        story_id: c.take()?,
        storyteller_id: c.take()?,
        kind: c.take()?,
        mime: c.take()?,
        size_bytes: c.take()?,
        sha256: c.take()?,
        storage_key: c.take()?,
        width: c.take()?,
        height: c.take()?,
        duration_ms: c.take()?,
        alt_text: c.take()?,
        caption: c.take()?,
        credit: c.take()?,
        shows_faces: c.take()?,
        faces_reviewed_at: c.take()?,
        faces_reviewed_by: c.take()?,
        masks_generation: c.take()?,
        renditions_generation: c.take()?,
        private: c.take()?,
        metadata_status: c.take()?,
        state: c.take()?,
        created_by: c.take()?,
        created_at: c.take()?,
        updated_at: c.take()?,
        organisation_id: c.take()?,
    })
}

/// A rendition's columns as `for_stories` selects them, in that order.
fn read_rendition(c: &mut Columns<'_>) -> Result<media_rendition::Model> {
    Ok(media_rendition::Model {
        media_id: c.take()?,
        variant: c.take()?,
        storage_key: c.take()?,
        mime: c.take()?,
        width: c.take()?,
        height: c.take()?,
        size_bytes: c.take()?,
        created_at: c.take()?,
    })
}

/// Issues URLs for sources.
pub struct Issuer<'a> {
    store: &'a dyn ObjectStore,
    links: &'a LinkKeys,
    base_url: &'a str,
    ttl: std::time::Duration,
}

impl<'a> Issuer<'a> {
    pub fn new(state: &'a AppState) -> Self {
        Self {
            store: state.storage.as_ref(),
            links: &state.media_links,
            base_url: &state.base_url,
            ttl: state.config.media_url_ttl,
        }
    }

    /// A URL `holder` may fetch `source` of `asset` from, and when it stops
    /// working: a presigned GET when the store signs URLs and the item is not
    /// private, a Chorus link otherwise.
    pub async fn url(
        &self,
        asset: &media_asset::Model,
        source: &Source,
        holder: Holder,
        now: DateTime<Utc>,
    ) -> Result<(String, DateTime<Utc>)> {
        if !asset.private
            && let Some(signed) = self
                .store
                .presign_get(&source.storage_key, self.ttl)
                .await?
        {
            return Ok((signed.url, signed.expires_at));
        }
        let (token, expires_at) =
            self.links
                .sign(asset.id, &source.variant, holder, self.ttl, now)?;
        Ok((
            format!(
                "{}/media/{}/{}?t={token}",
                self.base_url, asset.id, source.variant
            ),
            expires_at,
        ))
    }
}

/// Who a viewer's links are issued to.
pub fn holder_of(viewer: &Viewer) -> Holder {
    match viewer.api_key_id {
        Some(k) => Holder::Key { k },
        None => Holder::Public,
    }
}

/// The holder of links for a staff principal.
pub fn staff_holder(principal: &Principal) -> Result<Holder> {
    let staff = principal.staff()?;
    Ok(Holder::Staff {
        u: staff.user_id,
        s: staff.session_id,
    })
}

/// What `/media/{id}/{variant}` may stream.
#[derive(Debug, Clone)]
pub struct Opened {
    pub storage_key: String,
    pub mime: String,
}

/// Checks a link request again, as its holder, now; `NotFound` for every
/// refusal (an expired or forged link, a withdrawn consent, a revoked key, an
/// ended session), so a probing client learns nothing.
pub async fn open(
    state: &AppState,
    media_id: Uuid,
    variant: &str,
    token: &str,
    client_address: &str,
    now: DateTime<Utc>,
) -> Result<Opened> {
    let db = &state.db;
    let not_found = || Error::NotFound("no such media".into());
    let link = state
        .media_links
        .verify(token, media_id, variant, now)
        .ok_or_else(not_found)?;
    let asset = media_asset::Entity::find_by_id(media_id)
        .one(db)
        .await?
        .filter(|a| a.state == State::Ready)
        .ok_or_else(not_found)?;

    let viewer = match link.holder {
        Holder::Staff { u, s } => {
            let principal = sessions::resume(db, u, s).await.map_err(|_| not_found())?;
            return open_for_staff(db, &principal, asset, variant, client_address, now).await;
        }
        Holder::Key { k } => {
            let principal = consumers::principal_of_key(db, k, now)
                .await
                .map_err(|_| not_found())?;
            Viewer::of(&principal, false).ok_or_else(not_found)?
        }
        Holder::Public if state.config.consent.public_reads => Viewer::channel(Channel::PublicWeb),
        Holder::Public => return Err(not_found()),
    };
    let story_id = asset.story_id.ok_or_else(not_found)?;
    let story = story::Entity::find_by_id(story_id)
        .filter(gate::visible(&viewer, now))
        .one(db)
        .await?
        .ok_or_else(not_found)?;
    if variant == CARD {
        // A share card link: the social channel's consents decide, again.
        return crate::stories::share::open_card(db, &viewer, &asset, now)
            .await?
            .map(|s| Opened {
                storage_key: s.storage_key,
                mime: s.mime,
            })
            .ok_or_else(not_found);
    }
    let allowance = allowance_for(db, &story, &viewer, now).await?;
    let renditions = renditions::current(db, &asset).await?;
    consumer_sources(&asset, &renditions, allowance)
        .into_iter()
        .find(|s| s.variant == variant)
        .map(|s| Opened {
            storage_key: s.storage_key,
            mime: s.mime,
        })
        .ok_or_else(not_found)
}

/// The allowance of the consents covering `story` for `viewer` now.
pub async fn allowance_for(
    db: &impl ConnectionTrait,
    story: &story::Model,
    viewer: &Viewer,
    now: DateTime<Utc>,
) -> Result<Allowance> {
    let covering = consent_record::Entity::find()
        .filter(consent_record::Column::StorytellerId.eq(story.storyteller_id))
        .filter(gate::usable_consent(consent_record::Entity, viewer, now))
        .all(db)
        .await?;
    Ok(Allowance::of(
        story,
        covering
            .iter()
            .filter(|c| c.story_id.is_none_or(|id| id == story.id)),
    ))
}

/// Every form of an item staff may fetch: the original and its current renditions.
pub async fn staff_sources(
    db: &impl ConnectionTrait,
    asset: &media_asset::Model,
) -> Result<Vec<Source>> {
    let mut sources = vec![Source::original(asset)];
    sources.extend(
        renditions::current(db, asset)
            .await?
            .iter()
            .map(Source::rendition),
    );
    Ok(sources)
}

/// Whether `principal` may fetch `asset` at all.
pub fn staff_may_read(principal: &Principal, asset: &media_asset::Model) -> Result<()> {
    if asset.private {
        principal.require_editor()?;
    } else {
        principal.staff()?;
    }
    Ok(())
}

async fn open_for_staff(
    db: &impl ConnectionTrait,
    principal: &Principal,
    asset: media_asset::Model,
    variant: &str,
    client_address: &str,
    now: DateTime<Utc>,
) -> Result<Opened> {
    let not_found = || Error::NotFound("no such media".into());
    staff_may_read(principal, &asset).map_err(|_| not_found())?;
    // Checked again at every fetch: a link outlives a campaign taken back.
    crate::organisations::Scope::for_principal(db, principal)
        .await?
        .ensure_media(db, asset.id)
        .await
        .map_err(|e| match e {
            Error::NotFound(_) => not_found(),
            e => e,
        })?;
    let source = staff_sources(db, &asset)
        .await?
        .into_iter()
        .find(|s| s.variant == variant)
        .ok_or_else(not_found)?;
    if asset.private {
        let staff = principal.staff()?;
        audit::record(
            db,
            Actor::User(staff.user_id),
            Event::new("media.private_read", "media", asset.id).detail(json!({
                "variant": variant,
                "storytellerId": asset.storyteller_id,
                "storyId": asset.story_id,
                "role": crate::auth::principal::role_name(staff.role),
                "clientAddress": client_address,
            })),
            now,
        )
        .await?;
    }
    Ok(Opened {
        storage_key: source.storage_key,
        mime: source.mime,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(kind: Kind, shows_faces: bool) -> media_asset::Model {
        let at = chrono::DateTime::UNIX_EPOCH;
        media_asset::Model {
            id: Uuid::nil(),
            story_id: Some(Uuid::nil()),
            storyteller_id: None,
            kind,
            mime: "audio/mpeg".into(),
            size_bytes: 1,
            sha256: String::new(),
            storage_key: String::new(),
            width: None,
            height: None,
            duration_ms: None,
            alt_text: None,
            caption: None,
            credit: None,
            shows_faces,
            faces_reviewed_at: None,
            faces_reviewed_by: None,
            masks_generation: 0,
            renditions_generation: None,
            private: false,
            metadata_status: MetadataStatus::Cleaned,
            state: State::Ready,
            created_by: Uuid::nil(),
            created_at: at,
            updated_at: at,
            organisation_id: Uuid::nil(),
        }
    }

    fn words(asset: &media_asset::Model, faces: Faces, voices: &[Voice]) -> bool {
        let allowance =
            Allowance::from_terms(Faces::Shown, voices.iter().map(|voice| (faces, *voice)));
        words_allowed(asset, allowance)
    }

    #[test]
    fn words_go_with_the_voice_unless_agreed_as_text_and_never_under_altered() {
        use Voice::*;
        let audio = item(Kind::Audio, false);
        for (voices, expected) in [
            (&[Original][..], true),
            (&[TextOnly], true),
            (&[Altered], false),
            (&[Original, TextOnly], true),
            // One consent agreed only to a disguised voice: another's text-only
            // term does not open the words up.
            (&[TextOnly, Altered], false),
            (&[Original, Altered], false),
        ] {
            assert_eq!(words(&audio, Faces::Shown, voices), expected, "{voices:?}");
        }
        // Held back for its faces, a video gives no words either.
        let video = item(Kind::Video, true);
        assert!(words(&video, Faces::Shown, &[TextOnly]));
        assert!(!words(&video, Faces::Obscured, &[TextOnly]));
        assert!(!words(&video, Faces::Obscured, &[Original]));
        // Nor does a private item, or anything but a recording.
        let mut private = item(Kind::Audio, false);
        private.private = true;
        assert!(!words(&private, Faces::Shown, &[Original]));
        assert!(!words(&item(Kind::Image, false), Faces::Shown, &[Original]));
    }
}
