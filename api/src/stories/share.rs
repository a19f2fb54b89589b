//! Share cards: what a site needs to put a published story on social
//! platforms (title, description, a 1200×630 picture and its alt text, the
//! story's canonical URL).
//!
//! Sharing a story publishes it on social media, so a card is made only where
//! the storyteller's consents cover that channel: for a reader, a card is the
//! story as a `SOCIAL_MEDIA` reader with the same partner and campaign limits
//! would see it now ([`social`]). The story must pass the gate for that viewer
//! as well as for the reader's own channel (the card is a field of a story the
//! reader already sees), and the picture must be an image that viewer may
//! receive under the social consents' faces terms. Its file is the image's
//! `card.jpg` rendition, which burns in the face masks like every rendition
//! and carries no metadata ([`crate::media::renditions`]); readers get it only
//! through a card, and `/media/…/card.jpg` checks the social gate again on
//! every fetch ([`open_card`]).
//!
//! The picture is the one the editor chose (`stories.share_media_id`) while it
//! is still such an image; otherwise the oldest that is. The URL comes from
//! the `shareUrlPattern` of the story's campaigns (the first by slug that has
//! one, among those the reader's key may read), with `{slug}` replaced.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{
    api_key::Channel,
    consent_record,
    media_asset::{self, Kind},
    media_rendition, story,
};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::{
    consent::gate::{self, Viewer},
    error::Result,
    media::{
        delivery::{self, Allowance, Source},
        renditions::{self, pixels::CARD},
    },
};

/// The part of a card that depends on consent and media; the texts are the
/// story's own, as the reader is shown them.
#[derive(Debug, Clone)]
pub struct Card {
    /// The picture, when the story has an image the social consents allow.
    pub image: Option<CardImage>,
    /// The story's canonical URL on a campaign site, when one is configured.
    pub url: Option<String>,
}

/// A card's picture: the image and its `card.jpg` rendition.
#[derive(Debug, Clone)]
pub struct CardImage {
    pub asset: media_asset::Model,
    pub source: Source,
}

/// The viewer a card is made for: the reader on the `SOCIAL_MEDIA` channel.
pub fn social(viewer: &Viewer) -> Viewer {
    Viewer {
        channel: Channel::SocialMedia,
        ..viewer.clone()
    }
}

/// The cards of these stories (already found visible to `viewer`), for
/// `viewer`, now: only stories the social consents cover have one. A few
/// statements whatever the number of stories.
pub async fn cards(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    story_ids: &[Uuid],
    now: DateTime<Utc>,
) -> Result<HashMap<Uuid, Card>> {
    let mut out = HashMap::new();
    if story_ids.is_empty() {
        return Ok(out);
    }
    let backend = db.get_database_backend();
    let social = social(viewer);
    let shown = story::Entity::find()
        .filter(crate::db::id_in(
            backend,
            (story::Entity, story::Column::Id),
            story_ids.iter().copied(),
        ))
        .filter(gate::visible(&social, now))
        .all(db)
        .await?;
    if shown.is_empty() {
        return Ok(out);
    }
    let mut tellers: Vec<Uuid> = shown.iter().map(|s| s.storyteller_id).collect();
    tellers.sort_unstable();
    tellers.dedup();
    let covering = consent_record::Entity::find()
        .filter(crate::db::id_in(
            backend,
            (
                consent_record::Entity,
                consent_record::Column::StorytellerId,
            ),
            tellers,
        ))
        .filter(gate::usable_consent(consent_record::Entity, &social, now))
        .all(db)
        .await?;
    let wanted: Vec<(Uuid, Allowance)> = shown
        .iter()
        .map(|s| {
            let covers = covering.iter().filter(|c| {
                c.storyteller_id == s.storyteller_id && c.story_id.is_none_or(|id| id == s.id)
            });
            (s.id, Allowance::of(s, covers))
        })
        .collect();
    // The items the social consents allow, without their sources: the card
    // renditions are read on their own below.
    let delivered = delivery::for_stories(db, &wanted, Some(&[])).await?;
    let images: Vec<&media_asset::Model> = delivered
        .values()
        .flatten()
        .filter(|d| d.asset.kind == Kind::Image)
        .map(|d| &d.asset)
        .collect();
    let card_files = card_renditions(db, &images).await?;
    let ids: Vec<Uuid> = shown.iter().map(|s| s.id).collect();
    let links = super::links_of(
        db,
        &ids,
        super::LinkKinds {
            campaigns: true,
            tags: false,
        },
    )
    .await?;
    for story in &shown {
        // Oldest first, as delivered; only those with a card file.
        let candidates: Vec<&media_asset::Model> = delivered
            .get(&story.id)
            .into_iter()
            .flatten()
            .map(|d| &d.asset)
            .filter(|a| card_files.contains_key(&a.id))
            .collect();
        let picked = story
            .share_media_id
            .and_then(|chosen| candidates.iter().find(|a| a.id == chosen))
            .or(candidates.first());
        let image = picked.and_then(|asset| {
            card_files.get(&asset.id).map(|file| CardImage {
                asset: (*asset).clone(),
                source: Source::rendition(file),
            })
        });
        let mut campaigns: Vec<&entity::campaign::Model> = links
            .campaigns
            .get(&story.id)
            .into_iter()
            .flatten()
            .filter(|c| viewer.campaign_ids.is_empty() || viewer.campaign_ids.contains(&c.id))
            .collect();
        campaigns.sort_by(|a, b| a.slug.cmp(&b.slug));
        let url = campaigns
            .iter()
            .find_map(|c| c.share_url_pattern.as_deref())
            .map(|pattern| story_url(pattern, &story.slug));
        out.insert(story.id, Card { image, url });
    }
    Ok(out)
}

/// The `card.jpg` of `asset` that `/media/{id}/card.jpg` may stream to
/// `viewer` now: `None` unless the story passes the gate on the social
/// channel and the image is one the social consents allow.
pub async fn open_card(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    asset: &media_asset::Model,
    now: DateTime<Utc>,
) -> Result<Option<Source>> {
    let Some(story_id) = asset.story_id else {
        return Ok(None);
    };
    let social = social(viewer);
    let Some(story) = story::Entity::find_by_id(story_id)
        .filter(gate::visible(&social, now))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let allowance = delivery::allowance_for(db, &story, &social, now).await?;
    if asset.kind != Kind::Image || !delivery::gives_renditions(asset, allowance) {
        return Ok(None);
    }
    Ok(card_renditions(db, &[asset])
        .await?
        .remove(&asset.id)
        .map(|file| Source::rendition(&file)))
}

/// The current `card.jpg` of each image that has one.
async fn card_renditions(
    db: &impl ConnectionTrait,
    images: &[&media_asset::Model],
) -> Result<HashMap<Uuid, media_rendition::Model>> {
    let current: HashMap<Uuid, String> = images
        .iter()
        .filter(|a| a.renditions_generation == Some(a.masks_generation))
        .map(|a| {
            (
                a.id,
                renditions::generation_prefix(a.id, a.masks_generation),
            )
        })
        .collect();
    if current.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = media_rendition::Entity::find()
        .filter(crate::db::id_in(
            db.get_database_backend(),
            (media_rendition::Entity, media_rendition::Column::MediaId),
            current.keys().copied(),
        ))
        .filter(media_rendition::Column::Variant.eq(CARD))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter(|r| {
            current
                .get(&r.media_id)
                .is_some_and(|prefix| r.storage_key.starts_with(prefix.as_str()))
        })
        .map(|r| (r.media_id, r))
        .collect())
}

/// `pattern` with `{slug}` replaced by the story's slug (slugs are lower-case
/// words and hyphens, safe in any part of a URL).
pub fn story_url(pattern: &str, slug: &str) -> String {
    pattern.replace(SLUG_PLACEHOLDER, slug)
}

/// What a campaign's `shareUrlPattern` must hold.
pub const SLUG_PLACEHOLDER: &str = "{slug}";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_slug_fills_every_placeholder() {
        assert_eq!(
            story_url("https://imday.example/stories/{slug}", "amal-1"),
            "https://imday.example/stories/amal-1"
        );
        assert_eq!(
            story_url("https://x.example/{slug}?s={slug}", "a"),
            "https://x.example/a?s=a"
        );
    }
}
