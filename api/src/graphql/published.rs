//! The consumer API: what partner sites, apps and (when enabled) the public read.
//!
//! Every answer comes through the consent gate for the caller's channel; the
//! types here carry no personal-data field at all, so no query can ask for one.

use std::{collections::HashMap, sync::Arc};

use async_graphql::{
    Context, Enum, ID, Lookahead, Object, Result, SimpleObject,
    connection::{Connection, EmptyFields},
};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{
    campaigns::{Campaign, Tag},
    connection::any_page_request,
    context::ContextExt,
    media::MediaKind,
    scalars::{Instant, encode_any_cursor},
};
use crate::{
    clock,
    consent::Viewer,
    error::Error,
    media::{delivery, recordings},
    stories::{self, filters, published, share, text::render_markdown},
};

/// The viewer this request reads as: its API key's channel, or `PUBLIC_WEB` for
/// anonymous reads when they are enabled.
pub(super) fn viewer(ctx: &Context<'_>) -> Result<Viewer, Error> {
    let principal = ctx.principal();
    Viewer::of(principal, ctx.state().config.consent.public_reads).ok_or_else(|| {
        match principal {
            crate::auth::Principal::Staff(_) => Error::Forbidden(
                "`stories` and `story` are what consumers see; staff use `editorialStories`, and a story's `visibility` shows each channel".into(),
            ),
            crate::auth::Principal::Consumer(_) => Error::Forbidden(
                "a SUBMISSIONS key sends stories in and reads none".into(),
            ),
            _ => Error::Unauthenticated(
                "send an API key in the `X-Api-Key` header to read stories".into(),
            ),
        }
    })
}

/// How the storyteller is named to this reader, as they consented.
#[derive(SimpleObject)]
pub struct PublicStoryteller {
    pub name: String,
    /// The name is a pseudonym, not the person's own name.
    pub is_pseudonym: bool,
}

/// One language version of a published story.
pub struct StoryText(published::PublishedText);

#[Object]
impl StoryText {
    /// BCP 47 language tag.
    async fn locale(&self) -> &str {
        &self.0.locale
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn summary(&self) -> &str {
        &self.0.summary
    }
    /// Markdown.
    async fn body(&self) -> &str {
        &self.0.body
    }
    /// The body as safe HTML (no scripts, no raw HTML).
    async fn body_html(&self) -> String {
        render_markdown(&self.0.body)
    }
}

/// A story as a partner site, app or the public may see it, in the language
/// the reader asked for when it has one.
pub struct PublishedStory(
    pub(super) published::PublishedStory,
    pub(super) Option<String>,
    pub(super) Option<Arc<Preloaded>>,
);

/// Relations loaded for every story of an answer at once (one statement for
/// campaigns and tags, one for media, whatever the number of stories), when the
/// query asks for them: a list's page, or the story of `story(slug)`.
#[derive(Default)]
pub(super) struct Preloaded {
    campaigns: Option<HashMap<Uuid, Vec<entity::campaign::Model>>>,
    tags: Option<HashMap<Uuid, Vec<entity::tag::Model>>>,
    media: Option<HashMap<Uuid, Vec<delivery::Delivered>>>,
    cards: Option<HashMap<Uuid, share::Card>>,
    words: Option<HashMap<Uuid, Vec<recordings::Words>>>,
}

impl Preloaded {
    /// Loads what the selection of a list's nodes asks for.
    async fn for_page(
        ctx: &Context<'_>,
        stories: &[published::PublishedStory],
    ) -> Result<Option<Arc<Self>>> {
        let look = ctx.look_ahead();
        Self::load(
            ctx,
            stories,
            &[look.field("edges").field("node"), look.field("nodes")],
        )
        .await
    }

    /// Loads what the selection of one story asks for.
    async fn for_story(
        ctx: &Context<'_>,
        story: &published::PublishedStory,
    ) -> Result<Option<Arc<Self>>> {
        Self::load(ctx, std::slice::from_ref(story), &[ctx.look_ahead()]).await
    }

    /// `nodes`: the selections of a story (one per path to it).
    pub(super) async fn load(
        ctx: &Context<'_>,
        stories: &[published::PublishedStory],
        nodes: &[Lookahead<'_>],
    ) -> Result<Option<Arc<Self>>> {
        let asks = |field: &str| nodes.iter().any(|n| n.field(field).exists());
        let kinds = stories::LinkKinds {
            campaigns: asks("campaigns"),
            tags: asks("tags"),
        };
        let media = asks("media");
        let cards = asks("shareCard");
        let words = asks("recordingTexts") || nodes.iter().any(|n| asks_words(&n.field("media")));
        if stories.is_empty() || !(kinds.campaigns || kinds.tags || media || cards || words) {
            return Ok(None);
        }
        let db = &ctx.state().db;
        let ids: Vec<Uuid> = stories.iter().map(|s| s.id).collect();
        let mut loaded = Self::default();
        if kinds.campaigns || kinds.tags {
            let links = stories::links_of(db, &ids, kinds).await?;
            loaded.campaigns = kinds.campaigns.then_some(links.campaigns);
            loaded.tags = kinds.tags.then_some(links.tags);
        }
        let wanted: Vec<(Uuid, delivery::Allowance)> =
            stories.iter().map(|s| (s.id, s.media_allowance)).collect();
        if media {
            let variants = asked_variants(nodes);
            loaded.media = Some(delivery::for_stories(db, &wanted, variants.as_deref()).await?);
        }
        if cards {
            loaded.cards = Some(share::cards(db, &viewer(ctx)?, &ids, clock::now()).await?);
        }
        if words {
            loaded.words = Some(recordings::for_stories(db, &wanted).await?);
        }
        Ok(Some(Arc::new(loaded)))
    }
}

/// Whether a selection of media asks for their words.
fn asks_words(media: &Lookahead<'_>) -> bool {
    media.field("transcripts").exists() || media.field("captions").exists()
}

/// The rendition variants the `media { sources(variants: …) }` selections
/// under `nodes` name, all together; `None` when one of them takes every
/// variant (or names too many, which its resolver refuses). No `sources` at
/// all names none.
fn asked_variants(nodes: &[Lookahead<'_>]) -> Option<Vec<String>> {
    let mut names: Vec<String> = Vec::new();
    for sources in nodes
        .iter()
        .flat_map(|n| n.field("media").field("sources").selection_fields())
    {
        let arguments = sources.arguments().ok()?;
        let (_, async_graphql::Value::List(asked)) = arguments
            .iter()
            .find(|(name, _)| name.as_str() == "variants")?
        else {
            return None;
        };
        if asked.len() > MAX_VARIANTS {
            return None;
        }
        for name in asked {
            let async_graphql::Value::String(name) = name else {
                return None;
            };
            if !names.contains(name) {
                names.push(name.clone());
            }
        }
    }
    Some(names)
}

impl PublishedStory {
    /// The words of this story's recordings the reader may read, preloaded or
    /// read now.
    async fn words(&self, ctx: &Context<'_>) -> Result<Vec<recordings::Words>> {
        Ok(match self.2.as_ref().and_then(|p| p.words.as_ref()) {
            Some(all) => all.get(&self.0.id).cloned().unwrap_or_default(),
            None => {
                recordings::for_stories(&ctx.state().db, &[(self.0.id, self.0.media_allowance)])
                    .await?
                    .remove(&self.0.id)
                    .unwrap_or_default()
            }
        })
    }

    /// This story's campaigns (or tags) when they were not preloaded.
    async fn links_alone(&self, ctx: &Context<'_>, campaigns: bool) -> Result<stories::Links> {
        Ok(stories::links_of(
            &ctx.state().db,
            &[self.0.id],
            stories::LinkKinds {
                campaigns,
                tags: !campaigns,
            },
        )
        .await?)
    }

    /// The text to show: the requested locale, else one of its language, else
    /// the story's primary locale.
    fn primary(&self) -> Option<&published::PublishedText> {
        let tags: Vec<&str> = self.0.texts.iter().map(|t| t.locale.as_str()).collect();
        let chosen = crate::locale::negotiate(self.1.as_deref(), &tags)?;
        self.0.texts.iter().find(|t| t.locale == chosen)
    }
}

#[Object]
impl PublishedStory {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    /// The language of `title`, `summary` and `body`: the locale asked for, one
    /// of the same language, or else the story's primary locale.
    async fn locale(&self) -> &str {
        self.primary()
            .map_or(self.0.primary_locale.as_str(), |t| t.locale.as_str())
    }
    /// The language the storyteller's story was first written in.
    async fn primary_locale(&self) -> &str {
        &self.0.primary_locale
    }
    async fn title(&self) -> &str {
        self.primary().map_or("", |t| t.title.as_str())
    }
    async fn summary(&self) -> &str {
        self.primary().map_or("", |t| t.summary.as_str())
    }
    /// Markdown.
    async fn body(&self) -> &str {
        self.primary().map_or("", |t| t.body.as_str())
    }
    /// The body as safe HTML.
    async fn body_html(&self) -> String {
        self.primary()
            .map_or(String::new(), |t| render_markdown(&t.body))
    }
    /// Every published language version, the primary one first.
    async fn translations(&self) -> Vec<StoryText> {
        self.0.texts.iter().cloned().map(StoryText).collect()
    }
    async fn published_at(&self) -> Option<DateTime<Utc>> {
        self.0.published_at
    }
    async fn first_published_at(&self) -> Option<DateTime<Utc>> {
        self.0.first_published_at
    }
    /// Broadest first (`Country / Region / City`), cut to the consented precision.
    async fn region(&self) -> Option<&str> {
        self.0.region.as_deref()
    }
    /// `null` when the storyteller chose not to be named.
    async fn storyteller(&self) -> Option<PublicStoryteller> {
        self.0.storyteller.as_ref().map(|n| PublicStoryteller {
            name: n.name.clone(),
            is_pseudonym: n.is_pseudonym,
        })
    }
    async fn campaigns(&self, ctx: &Context<'_>) -> Result<Vec<Campaign>> {
        let found = match self.2.as_ref().and_then(|p| p.campaigns.as_ref()) {
            Some(all) => all.get(&self.0.id).cloned().unwrap_or_default(),
            // A selection the look-ahead did not foresee: the same loader.
            None => (self.links_alone(ctx, true).await?.campaigns)
                .remove(&self.0.id)
                .unwrap_or_default(),
        };
        Ok(found.into_iter().map(Campaign::from).collect())
    }
    async fn tags(&self, ctx: &Context<'_>) -> Result<Vec<Tag>> {
        let found = match self.2.as_ref().and_then(|p| p.tags.as_ref()) {
            Some(all) => all.get(&self.0.id).cloned().unwrap_or_default(),
            None => (self.links_alone(ctx, false).await?.tags)
                .remove(&self.0.id)
                .unwrap_or_default(),
        };
        Ok(found.into_iter().map(Tag::from).collect())
    }
    /// The words of the story's recordings and videos this reader may read,
    /// oldest item first: those of the items in `media`, and those of items
    /// held back only because the storyteller agreed to their words as text
    /// alone (voice `TEXT_ONLY`), whose sound never reaches a reader.
    async fn recording_texts(&self, ctx: &Context<'_>) -> Result<Vec<RecordingText>> {
        Ok(self
            .words(ctx)
            .await?
            .into_iter()
            .map(RecordingText)
            .collect())
    }
    /// The story's photos, recordings and videos this reader may receive now,
    /// with short-lived URLs; items the consents do not cover are left out.
    async fn media(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "At most this many items (0 to 100), oldest first.")] first: Option<i32>,
    ) -> Result<Vec<PublishedMedia>> {
        let limit = match first {
            None => usize::MAX,
            Some(n) if (0..=100).contains(&n) => n as usize,
            Some(_) => {
                return Err(Error::invalid("first", "`first` must be between 0 and 100").into());
            }
        };
        let viewer = viewer(ctx)?;
        let state = ctx.state();
        let now = clock::now();
        let mut delivered = match self.2.as_ref().and_then(|p| p.media.as_ref()) {
            Some(all) => all.get(&self.0.id).cloned().unwrap_or_default(),
            None => delivery::for_story(&state.db, self.0.id, self.0.media_allowance).await?,
        };
        delivered.truncate(limit);
        let mut words: HashMap<Uuid, recordings::Words> = if asks_words(&ctx.look_ahead()) {
            self.words(ctx)
                .await?
                .into_iter()
                .map(|w| (w.media_id, w))
                .collect()
        } else {
            HashMap::new()
        };
        let holder = delivery::holder_of(&viewer);
        Ok(delivered
            .into_iter()
            .map(|item| PublishedMedia {
                words: words.remove(&item.asset.id),
                item,
                holder,
                now,
            })
            .collect())
    }
    /// What a site needs to share the story on social media (Open Graph tags
    /// included). `null` unless the storyteller's consents cover social media
    /// now, whatever this key's own channel: sharing puts the story there.
    async fn share_card(&self, ctx: &Context<'_>) -> Result<Option<ShareCard>> {
        let viewer = viewer(ctx)?;
        let state = ctx.state();
        let now = clock::now();
        let card = match self.2.as_ref().and_then(|p| p.cards.as_ref()) {
            Some(all) => all.get(&self.0.id).cloned(),
            None => share::cards(&state.db, &viewer, &[self.0.id], now)
                .await?
                .remove(&self.0.id),
        };
        let Some(card) = card else {
            return Ok(None);
        };
        let image = match card.image {
            Some(picture) => {
                let (url, expires_at) = delivery::Issuer::new(state)
                    .url(
                        &picture.asset,
                        &picture.source,
                        delivery::holder_of(&viewer),
                        now,
                    )
                    .await?;
                Some(ShareImage {
                    url,
                    mime: picture.source.mime,
                    width: picture.source.width,
                    height: picture.source.height,
                    alt_text: picture.asset.alt_text,
                    expires_at,
                })
            }
            None => None,
        };
        let text = self.primary();
        Ok(Some(ShareCard::new(
            text.map_or("", |t| t.title.as_str()),
            text.map_or("", |t| t.summary.as_str()),
            card.url,
            image,
        )))
    }
}

/// What a site needs to share a story on social platforms: the texts, a
/// 1200×630 picture with its alt text, the canonical URL, and the same as
/// Open Graph and Twitter `<meta>` tags. The picture's URL expires like every
/// media URL: make the page's tags from a fresh answer.
#[derive(SimpleObject)]
pub struct ShareCard {
    /// The story's title, in the locale of the answer.
    pub title: String,
    /// The story's summary.
    pub description: String,
    /// The story on its campaign's site (`Campaign.shareUrlPattern`), when one
    /// is configured.
    pub url: Option<String>,
    /// `null` when the story has no image its storyteller agreed to show on
    /// social media.
    pub image: Option<ShareImage>,
    /// `og:*` and `twitter:*` tags, in the order to write them.
    pub meta_tags: Vec<MetaTag>,
}

/// A share card's picture: 1200×630 JPEG, face masks burned in, no metadata.
#[derive(SimpleObject)]
pub struct ShareImage {
    pub url: String,
    pub mime: String,
    pub width: Option<i32>,
    pub height: Option<i32>,
    /// What the picture shows, for people who cannot see it.
    pub alt_text: Option<String>,
    pub expires_at: DateTime<Utc>,
}

/// One `<meta property="…" content="…">` tag.
#[derive(SimpleObject)]
pub struct MetaTag {
    pub property: String,
    pub content: String,
}

impl ShareCard {
    fn new(title: &str, description: &str, url: Option<String>, image: Option<ShareImage>) -> Self {
        let mut tags: Vec<(&str, String)> = vec![
            ("og:type", "article".into()),
            ("og:title", title.into()),
            ("og:description", description.into()),
        ];
        if let Some(url) = &url {
            tags.push(("og:url", url.clone()));
        }
        if let Some(image) = &image {
            tags.push(("og:image", image.url.clone()));
            tags.push(("og:image:type", image.mime.clone()));
            for (name, value) in [
                ("og:image:width", image.width),
                ("og:image:height", image.height),
            ] {
                if let Some(value) = value {
                    tags.push((name, value.to_string()));
                }
            }
            if let Some(alt) = &image.alt_text {
                tags.push(("og:image:alt", alt.clone()));
            }
        }
        let large = if image.is_some() {
            "summary_large_image"
        } else {
            "summary"
        };
        tags.push(("twitter:card", large.into()));
        tags.push(("twitter:title", title.into()));
        tags.push(("twitter:description", description.into()));
        if let Some(image) = &image {
            tags.push(("twitter:image", image.url.clone()));
            if let Some(alt) = &image.alt_text {
                tags.push(("twitter:image:alt", alt.clone()));
            }
        }
        Self {
            title: title.into(),
            description: description.into(),
            url,
            image,
            meta_tags: tags
                .into_iter()
                .map(|(property, content)| MetaTag {
                    property: property.into(),
                    content,
                })
                .collect(),
        }
    }
}

/// A photo, recording or video of a published story, as a reader may receive it.
pub struct PublishedMedia {
    item: delivery::Delivered,
    holder: crate::media::links::Holder,
    /// When the story was read: every link of the answer is issued as of then.
    now: DateTime<Utc>,
    /// Its transcripts and captions, when the query asks for them.
    words: Option<recordings::Words>,
}

/// Variants one `sources` may name.
const MAX_VARIANTS: usize = 16;

#[Object]
impl PublishedMedia {
    async fn id(&self) -> ID {
        ID(self.item.asset.id.to_string())
    }
    async fn kind(&self) -> MediaKind {
        self.item.asset.kind.into()
    }
    /// What the picture shows, for people who cannot see it.
    async fn alt_text(&self) -> Option<&str> {
        self.item.asset.alt_text.as_deref()
    }
    async fn caption(&self) -> Option<&str> {
        self.item.asset.caption.as_deref()
    }
    async fn credit(&self) -> Option<&str> {
        self.item.asset.credit.as_deref()
    }
    /// What is said in a recording or video, by language.
    async fn transcripts(&self) -> Vec<Transcript> {
        self.words
            .as_ref()
            .map(|w| transcripts(&w.transcripts))
            .unwrap_or_default()
    }
    /// WebVTT caption tracks for a video (or recording), by language.
    async fn captions(&self) -> Vec<CaptionTrack> {
        self.words
            .as_ref()
            .map(|w| caption_tracks(&w.captions))
            .unwrap_or_default()
    }
    /// The forms to fetch: web renditions (narrowest first, JPEG and WebP) for
    /// images, the cleaned file for audio and video.
    async fn sources(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Only these variants (for example `[\"w800.webp\"]`), in the usual order; every one when absent. A name the item does not have matches nothing."
        )]
        variants: Option<Vec<String>>,
    ) -> Result<Vec<MediaSource>> {
        if variants.as_ref().is_some_and(|v| v.len() > MAX_VARIANTS) {
            return Err(Error::invalid(
                "variants",
                format!("name at most {MAX_VARIANTS} variants"),
            )
            .into());
        }
        let issuer = delivery::Issuer::new(ctx.state());
        let wanted = |variant: &str| {
            variants
                .as_ref()
                .is_none_or(|v| v.iter().any(|w| w == variant))
        };
        let mut sources = Vec::with_capacity(self.item.sources.len());
        for source in self.item.sources.iter().filter(|s| wanted(&s.variant)) {
            let (url, expires_at) = issuer
                .url(&self.item.asset, source, self.holder, self.now)
                .await?;
            sources.push(MediaSource {
                variant: source.variant.clone(),
                mime: source.mime.clone(),
                width: source.width,
                height: source.height,
                url,
                expires_at,
            });
        }
        Ok(sources)
    }
}

/// What is said in a recording or video, in one language.
#[derive(SimpleObject)]
pub struct Transcript {
    /// BCP 47.
    pub language: String,
    pub text: String,
}

/// A caption track for a video or recording, in one language.
#[derive(SimpleObject)]
pub struct CaptionTrack {
    /// BCP 47 (the `srclang` of an HTML `<track>`).
    pub language: String,
    /// WebVTT holding only the `WEBVTT` line and the cues: their timings and
    /// plain text, with no identifiers, settings, tags, notes or styles.
    pub vtt: String,
}

pub(super) fn transcripts(texts: &[recordings::Text]) -> Vec<Transcript> {
    texts
        .iter()
        .map(|t| Transcript {
            language: t.language.clone(),
            text: t.body.clone(),
        })
        .collect()
}

pub(super) fn caption_tracks(texts: &[recordings::Text]) -> Vec<CaptionTrack> {
    texts
        .iter()
        .map(|t| CaptionTrack {
            language: t.language.clone(),
            vtt: t.body.clone(),
        })
        .collect()
}

/// The words of a recording or video of a published story that a reader may read.
pub struct RecordingText(recordings::Words);

#[Object]
impl RecordingText {
    /// The item in `media`, when the reader also receives it.
    async fn media_id(&self) -> ID {
        ID(self.0.media_id.to_string())
    }
    async fn kind(&self) -> MediaKind {
        self.0.kind.into()
    }
    async fn transcripts(&self) -> Vec<Transcript> {
        transcripts(&self.0.transcripts)
    }
    async fn captions(&self) -> Vec<CaptionTrack> {
        caption_tracks(&self.0.captions)
    }
}

/// One fetchable form of a media item. The URL stops working at `expiresAt`, or
/// sooner if consent is withdrawn: ask again rather than storing it.
#[derive(SimpleObject)]
pub struct MediaSource {
    /// `w320.jpg`, `w800.webp`, … or `original` for audio and video.
    pub variant: String,
    pub mime: String,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

/// The order of a list of published stories (by when they went live).
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum StoryOrder {
    NewestFirst,
    OldestFirst,
    /// Best match to `search` first (only with `search`). Scores are the
    /// database's own (BM25 on SQLite, `ts_rank` on PostgreSQL): the same
    /// stories, in an order that may differ between them; ties by id.
    Relevance,
}

/// How a list of tags narrows stories.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum TagsMatch {
    /// Stories with at least one of the tags.
    Any,
    /// Stories with every one of the tags.
    All,
}

/// Extra fields of a list of published stories.
#[derive(SimpleObject)]
pub struct StoryListInfo {
    /// How many stories match in all, across every page.
    pub total_count: i64,
}

#[derive(Default)]
pub struct PublishedQuery;

#[Object]
impl PublishedQuery {
    /// Published stories this API key (or, when enabled, the public) may see right
    /// now, newest first unless `orderBy` says otherwise; optionally only one
    /// campaign's or one tag's (by slug). Page forward with `first`/`after` or
    /// backward with `last`/`before` (at most 100).
    #[graphql(
        complexity = "first.or(last).unwrap_or(20).clamp(1, 100) as usize * child_complexity"
    )]
    #[allow(clippy::too_many_arguments, reason = "one per GraphQL argument")]
    async fn stories(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A campaign's slug.")] campaign: Option<String>,
        #[graphql(desc = "A tag's slug (the same as `tags: [slug]`).")] tag: Option<String>,
        #[graphql(desc = "Tag slugs: stories with any of them, or all with `tagsMatch: ALL`.")]
        tags: Option<Vec<String>>,
        #[graphql(default_with = "TagsMatch::Any")] tags_match: TagsMatch,
        #[graphql(desc = "Only stories published in this locale (BCP 47).")] has_locale: Option<
            String,
        >,
        #[graphql(desc = "Published at or after this instant.")] published_from: Option<Instant>,
        #[graphql(desc = "Published before this instant.")] published_until: Option<Instant>,
        #[graphql(
            desc = "Words to find in the published title, summary or body, in any language: every word must occur in one text, as a whole word or, written `word*`, as its beginning. Case is ignored; accents count (`café` is not `cafe`). Punctuation only separates words. At least one word, at most 12 words and 200 characters."
        )]
        search: Option<String>,
        #[graphql(
            desc = "A region, broadest first (`United Kingdom / North West`): stories whose region, as shown to you, begins with these parts (case ignored)."
        )]
        region: Option<String>,
        #[graphql(
            desc = "Only stories with at least one item of one of these kinds that you would receive in `media` (an empty list does not narrow)."
        )]
        has_media: Option<Vec<MediaKind>>,
        #[graphql(default_with = "StoryOrder::NewestFirst")] order_by: StoryOrder,
        #[graphql(
            desc = "The language to show each story in (BCP 47), falling back to one of the same language, then to the story's own."
        )]
        locale: Option<String>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Connection<String, PublishedStory, StoryListInfo, EmptyFields>> {
        let viewer = viewer(ctx)?;
        if let Some(tag) = &locale {
            crate::locale::validate("locale", tag)?;
        }
        if let Some(tag) = &has_locale {
            crate::locale::validate("hasLocale", tag)?;
        }
        let (published_from, published_until) =
            (published_from.map(|t| t.0), published_until.map(|t| t.0));
        if let (Some(from), Some(until)) = (published_from, published_until)
            && from >= until
        {
            return Err(Error::invalid(
                "publishedUntil",
                "`publishedUntil` must be after `publishedFrom`",
            )
            .into());
        }
        let request = any_page_request(first, after, last, before)?;
        let look = ctx.look_ahead();
        let asks = published::Asks {
            // Counting means evaluating the gate over every match: only when asked.
            count: look.field("totalCount").exists(),
            bodies: [look.field("edges").field("node"), look.field("nodes")]
                .iter()
                .any(|node| {
                    ["body", "bodyHtml", "translations"]
                        .iter()
                        .any(|field| node.field(field).exists())
                }),
        };
        let (page, total) = published::page(
            &ctx.state().db,
            &ctx.state().reads,
            &viewer,
            &published::Filter {
                campaign,
                tags: tag.into_iter().chain(tags.unwrap_or_default()).collect(),
                all_tags: tags_match == TagsMatch::All,
                has_locale,
                published_from,
                published_until,
                search,
                region,
                media: has_media
                    .unwrap_or_default()
                    .into_iter()
                    .map(Into::into)
                    .collect(),
                order: match order_by {
                    StoryOrder::NewestFirst => filters::Order::NewestFirst,
                    StoryOrder::OldestFirst => filters::Order::OldestFirst,
                    StoryOrder::Relevance => filters::Order::Relevance,
                },
            },
            request,
            asks,
            clock::now(),
        )
        .await?;
        let mut conn = Connection::with_additional_fields(
            page.has_previous_page,
            page.has_next_page,
            StoryListInfo {
                // Not asked for, so never read.
                total_count: total.map_or(0, |t| i64::try_from(t).unwrap_or(i64::MAX)),
            },
        );
        let (stories, cursors): (Vec<_>, Vec<_>) = page.items.into_iter().unzip();
        let preloaded = Preloaded::for_page(ctx, &stories).await?;
        conn.edges
            .extend(stories.into_iter().zip(cursors).map(|(s, cursor)| {
                async_graphql::connection::Edge::new(
                    encode_any_cursor(cursor),
                    PublishedStory(s, locale.clone(), preloaded.clone()),
                )
            }));
        Ok(conn)
    }

    /// One published story by slug, if this API key (or the public) may see it
    /// right now; `null` otherwise, exactly as for a slug that does not exist.
    async fn story(
        &self,
        ctx: &Context<'_>,
        slug: String,
        #[graphql(
            desc = "The language to show the story in (BCP 47), falling back to one of the same language, then to the story's own."
        )]
        locale: Option<String>,
    ) -> Result<Option<PublishedStory>> {
        let viewer = viewer(ctx)?;
        if let Some(tag) = &locale {
            crate::locale::validate("locale", tag)?;
        }
        let Some(story) = published::by_slug(
            &ctx.state().db,
            &ctx.state().reads,
            &viewer,
            &slug,
            clock::now(),
        )
        .await?
        else {
            return Ok(None);
        };
        let preloaded = Preloaded::for_story(ctx, &story).await?;
        Ok(Some(PublishedStory(story, locale, preloaded)))
    }
}
