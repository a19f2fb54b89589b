//! Narrowing and ordering the consumer list of stories: by campaign, tags,
//! locale, publication window, words of the texts ([`super::search`]), region
//! and media; newest or oldest first, or by relevance to a search.
//!
//! Every narrowing is a condition of the one query that applies the consent
//! gate, so no page, count or cursor can tell that a hidden story, or a hidden
//! detail of a visible one, exists. Region and media match what this viewer
//! would be shown, not the stored rows (docs/SEARCH.md):
//! - a region matches when its parts are the first parts of the story's region
//!   as cut to the most protective location precision of the story and every
//!   consent covering the read (what [`super::published::cut_region`] shows);
//! - a media kind matches when the story has an item of that kind that
//!   [`crate::media::delivery`] would hand this viewer now.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use entity::{
    campaign,
    consent_record::{self, Voice},
    media_asset::{self, Kind, MetadataStatus},
    media_rendition,
    story::{self, Faces, LocationPrecision},
    story_campaign, story_locale, story_tag, tag,
};
use sea_orm::{
    ActiveEnum, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QuerySelect, Select,
    sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement},
};

use super::{
    published::Filter,
    search::{self, Terms},
};
use crate::{
    consent::gate::{self, Viewer},
    error::{Error, Result},
    pagination::{self, AnyCursor, Cursor, Page, PageRequest, ScoreCursor},
};

/// The order of the consumer list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    /// By publication time, newest first.
    #[default]
    NewestFirst,
    /// By publication time, oldest first.
    OldestFirst,
    /// Best match to the search first, ties by id; only with a search.
    Relevance,
}

/// The stories of `select` (the gate's stories for `viewer`) that `filter`
/// keeps: one page in the filter's order, each story with its cursor, and how
/// many there are in all when `count` asks. Arguments are checked before any
/// statement runs.
pub async fn list(
    db: &impl ConnectionTrait,
    select: Select<story::Entity>,
    viewer: &Viewer,
    filter: &Filter,
    request: PageRequest<AnyCursor>,
    count: bool,
    now: DateTime<Utc>,
) -> Result<(Page<(story::Model, AnyCursor)>, Option<u64>)> {
    let terms = filter.search.as_deref().map(Terms::parse).transpose()?;
    let region = filter
        .region
        .as_deref()
        .map(RegionQuery::parse)
        .transpose()?;
    let order = match (filter.order, &terms) {
        (Order::Relevance, None) => {
            return Err(Error::invalid(
                "orderBy",
                "`RELEVANCE` orders the results of a `search`: give one, or choose another order",
            ));
        }
        (Order::Relevance, Some(terms)) => Ordering::Relevance(
            terms,
            request.convert(|c| match c {
                AnyCursor::Score(c) => Some(c),
                AnyCursor::Time(_) => None,
            })?,
        ),
        (order, _) => Ordering::Time(
            if order == Order::OldestFirst {
                sea_orm::Order::Asc
            } else {
                sea_orm::Order::Desc
            },
            request.convert(|c| match c {
                AnyCursor::Time(c) => Some(c),
                AnyCursor::Score(_) => None,
            })?,
        ),
    };

    let mut select = narrow(select, filter);
    if let Some(region) = &region {
        select = select.filter(region.condition(db, viewer, now).await?);
    }
    if !filter.media.is_empty() {
        select = select.filter(media_condition(&filter.media, viewer, now));
    }
    // By relevance, the page joins the scored matches itself; the count (and
    // a list in time order) asks only which stories match.
    let backend = db.get_database_backend();
    let searched = match &terms {
        Some(terms) => select
            .clone()
            .filter(story::Column::Id.in_subquery(search::matching(backend, terms, false))),
        None => select.clone(),
    };
    let total = if count {
        Some(searched.clone().count(db).await?)
    } else {
        None
    };
    let page = match order {
        Ordering::Relevance(terms, request) => {
            let page = search::fetch_by_relevance(db, select, terms, request).await?;
            with_cursors(page, |(story, score)| {
                let cursor = AnyCursor::Score(ScoreCursor {
                    id: story.id,
                    score,
                });
                (story, cursor)
            })
        }
        Ordering::Time(order, request) => {
            let page = pagination::fetch_by_time(
                db,
                searched,
                story::Column::PublishedAt,
                story::Column::Id,
                order,
                request,
            )
            .await?;
            with_cursors(page, |story| {
                let cursor = AnyCursor::Time(Cursor {
                    id: story.id,
                    at: story.published_at,
                });
                (story, cursor)
            })
        }
    };
    Ok((page, total))
}

/// The order asked for, with the request's cursors of that order.
enum Ordering<'a> {
    Time(sea_orm::Order, PageRequest<Cursor>),
    Relevance(&'a Terms, PageRequest<ScoreCursor>),
}

fn with_cursors<T, U>(page: Page<T>, f: impl FnMut(T) -> U) -> Page<U> {
    Page {
        items: page.items.into_iter().map(f).collect(),
        has_next_page: page.has_next_page,
        has_previous_page: page.has_previous_page,
    }
}

/// The narrowings that need no lookup: campaign, tags, locale, publication
/// window. Slugs are matched inside the query, so an unknown one simply
/// matches nothing and costs no extra statement.
fn narrow(mut select: Select<story::Entity>, filter: &Filter) -> Select<story::Entity> {
    if let Some(slug) = &filter.campaign {
        select = select.filter(
            story::Column::Id.in_subquery(
                Query::select()
                    .column((story_campaign::Entity, story_campaign::Column::StoryId))
                    .from(story_campaign::Entity)
                    .inner_join(
                        campaign::Entity,
                        Expr::col((campaign::Entity, campaign::Column::Id))
                            .equals((story_campaign::Entity, story_campaign::Column::CampaignId)),
                    )
                    .and_where(Expr::col((campaign::Entity, campaign::Column::Slug)).eq(slug))
                    .to_owned(),
            ),
        );
    }
    if !filter.tags.is_empty() {
        let mut tagged = Query::select()
            .column((story_tag::Entity, story_tag::Column::StoryId))
            .from(story_tag::Entity)
            .inner_join(
                tag::Entity,
                Expr::col((tag::Entity, tag::Column::Id))
                    .equals((story_tag::Entity, story_tag::Column::TagId)),
            )
            .and_where(Expr::col((tag::Entity, tag::Column::Slug)).is_in(filter.tags.clone()))
            .to_owned();
        if filter.all_tags {
            let wanted: BTreeSet<&String> = filter.tags.iter().collect();
            tagged
                .group_by_col((story_tag::Entity, story_tag::Column::StoryId))
                .and_having(
                    Expr::col((tag::Entity, tag::Column::Id))
                        .count_distinct()
                        .eq(i64::try_from(wanted.len()).unwrap_or(i64::MAX)),
                );
        }
        select = select.filter(story::Column::Id.in_subquery(tagged));
    }
    if let Some(locale) = &filter.has_locale {
        select = select.filter(
            story::Column::Id.in_subquery(
                Query::select()
                    .column(story_locale::Column::StoryId)
                    .from(story_locale::Entity)
                    .and_where(story_locale::Column::Locale.eq(locale))
                    .and_where(story_locale::Column::PublishedRevisionId.is_not_null())
                    .to_owned(),
            ),
        );
    }
    if let Some(from) = filter.published_from {
        select = select.filter(story::Column::PublishedAt.gte(from));
    }
    if let Some(until) = filter.published_until {
        select = select.filter(story::Column::PublishedAt.lt(until));
    }
    select
}

/// The alias of the consent record in [`covering`].
const COVERING: &str = "cc";

/// A column of the consent record in [`covering`].
fn covering_col(column: consent_record::Column) -> Expr {
    Expr::col((Alias::new(COVERING), column))
}

/// `SELECT 1` of the consents usable for the viewer now that cover the story
/// in the outer `stories` table (the gate's own conditions) and also meet
/// `narrow`. "No such consent" is how the most protective setting of all
/// covering consents is asked in SQL.
fn covering(viewer: &Viewer, now: DateTime<Utc>, narrow: Condition) -> SelectStatement {
    let c = Alias::new(COVERING);
    Query::select()
        .expr(Expr::val(1))
        .from_as(consent_record::Entity, c.clone())
        .and_where(
            Expr::col((c.clone(), consent_record::Column::StorytellerId))
                .equals((story::Entity, story::Column::StorytellerId)),
        )
        .cond_where(
            Condition::any()
                .add(Expr::col((c.clone(), consent_record::Column::StoryId)).is_null())
                .add(
                    Expr::col((c.clone(), consent_record::Column::StoryId))
                        .equals((story::Entity, story::Column::Id)),
                ),
        )
        .cond_where(gate::usable_consent(c, viewer, now))
        .cond_where(narrow)
        .to_owned()
}

/// No consent covering the read meets `narrow`.
fn no_covering(viewer: &Viewer, now: DateTime<Utc>, narrow: Condition) -> Expr {
    Expr::exists(covering(viewer, now, narrow)).not()
}

/// Location precisions, coarsest first: a region cut to the one at index `k`
/// shows at most `k` parts (as [`super::published::cut_region`] cuts).
const PRECISIONS: [LocationPrecision; 4] = [
    LocationPrecision::None,
    LocationPrecision::Country,
    LocationPrecision::Region,
    LocationPrecision::City,
];

/// The parts of a region, broadest first, as matching compares them: trimmed,
/// inner spaces collapsed, lowercase; empty parts dropped (as `cut_region`
/// drops them).
fn region_parts(region: &str) -> Vec<String> {
    region
        .split('/')
        .map(|p| {
            p.split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase()
        })
        .filter(|p| !p.is_empty())
        .collect()
}

/// A region a reader narrows by.
struct RegionQuery {
    parts: Vec<String>,
}

impl RegionQuery {
    /// `BAD_USER_INPUT` (field `region`) for a blank region or one of more
    /// parts than a region ever shows (`Country / Region / City`).
    fn parse(input: &str) -> Result<Self> {
        const MAX_CHARS: usize = 200;
        let parts = region_parts(input);
        if parts.is_empty() || input.chars().count() > MAX_CHARS {
            return Err(Error::invalid(
                "region",
                format!(
                    "give a region such as `United Kingdom / North West`, at most {MAX_CHARS} characters"
                ),
            ));
        }
        if parts.len() >= PRECISIONS.len() {
            return Err(Error::invalid(
                "region",
                "a region has at most three parts: `Country / Region / City`",
            ));
        }
        Ok(Self { parts })
    }

    /// Whether a story's stored region begins with these parts.
    fn matches(&self, stored: &str) -> bool {
        region_parts(stored).starts_with(&self.parts)
    }

    /// The condition on `stories`: the stored region begins with these parts,
    /// and the story's precision and every covering consent's let at least
    /// that many parts be shown. Which stored spellings begin with the parts
    /// is decided here, with Unicode case folding the same on both databases,
    /// from the distinct regions of published stories (one statement); the
    /// rest is SQL.
    async fn condition(
        &self,
        db: &impl ConnectionTrait,
        viewer: &Viewer,
        now: DateTime<Utc>,
    ) -> Result<Condition> {
        let spellings: Vec<String> = story::Entity::find()
            .select_only()
            .column(story::Column::Region)
            .distinct()
            .filter(story::Column::PublishedAt.is_not_null())
            .filter(story::Column::Region.is_not_null())
            .into_tuple::<String>()
            .all(db)
            .await?
            .into_iter()
            .filter(|r| self.matches(r))
            .collect();
        if spellings.is_empty() {
            return Ok(Condition::all().add(Expr::val(1).eq(0)));
        }
        let fine_enough: Vec<_> = PRECISIONS[self.parts.len()..]
            .iter()
            .map(|p| p.to_value())
            .collect();
        Ok(Condition::all()
            .add(story::Column::Region.is_in(spellings))
            .add(story::Column::LocationPrecision.is_in(fine_enough.clone()))
            .add(no_covering(
                viewer,
                now,
                Condition::all().add(
                    covering_col(consent_record::Column::LocationPrecision).is_not_in(fine_enough),
                ),
            )))
    }
}

/// The condition on `stories`: the story has an item of one of `kinds` that
/// the viewer would receive now, by the rules of
/// [`crate::media::delivery::consumer_sources`] under the story's
/// [`crate::media::delivery::Allowance`] (the most protective of the story's
/// faces setting and every covering consent's faces and voice):
/// ready, not private, metadata cleaned; an image with current renditions
/// and its faces allowed (shown, or obscured with the masks reviewed); audio
/// with the voice `ORIGINAL`; video with the voice `ORIGINAL` and its faces
/// shown; a document never.
fn media_condition(kinds: &[Kind], viewer: &Viewer, now: DateTime<Utc>) -> Condition {
    let m = Alias::new("m");
    let item = |c: media_asset::Column| Expr::col((m.clone(), c));
    let on_story = |c: story::Column| Expr::col((story::Entity, c));
    let voice_original = no_covering(
        viewer,
        now,
        Condition::all()
            .add(covering_col(consent_record::Column::Voice).ne(Voice::Original.to_value())),
    );
    let faces_shown = Condition::all()
        .add(on_story(story::Column::Faces).eq(Faces::Shown.to_value()))
        .add(no_covering(
            viewer,
            now,
            Condition::all()
                .add(covering_col(consent_record::Column::Faces).ne(Faces::Shown.to_value())),
        ));
    let faces_maskable = Condition::all()
        .add(on_story(story::Column::Faces).ne(Faces::NotDepicted.to_value()))
        .add(no_covering(
            viewer,
            now,
            Condition::all()
                .add(covering_col(consent_record::Column::Faces).eq(Faces::NotDepicted.to_value())),
        ));
    let no_faces = || item(media_asset::Column::ShowsFaces).eq(false);
    let of_kind =
        |kind: Kind| Condition::all().add(item(media_asset::Column::Kind).eq(kind.to_value()));

    // Evidence (a document) is never handed to a reader.
    let mut deliverable = Condition::any();
    if kinds.contains(&Kind::Image) {
        deliverable = deliverable.add(
            of_kind(Kind::Image)
                .add(
                    Condition::any()
                        .add(no_faces())
                        .add(faces_shown.clone())
                        .add(
                            faces_maskable
                                .add(item(media_asset::Column::FacesReviewedAt).is_not_null()),
                        ),
                )
                // Renditions made with the latest masks. Only the render job
                // writes rendition rows, in one transaction with the
                // generation they burn in, so when that is the masks
                // generation every row of the item is current.
                .add(
                    item(media_asset::Column::RenditionsGeneration)
                        .equals((m.clone(), media_asset::Column::MasksGeneration)),
                )
                .add(Expr::exists(
                    Query::select()
                        .expr(Expr::val(1))
                        .from(media_rendition::Entity)
                        .and_where(
                            Expr::col((media_rendition::Entity, media_rendition::Column::MediaId))
                                .equals((m.clone(), media_asset::Column::Id)),
                        )
                        .to_owned(),
                )),
        );
    }
    if kinds.contains(&Kind::Audio) {
        deliverable = deliverable.add(of_kind(Kind::Audio).add(voice_original.clone()));
    }
    if kinds.contains(&Kind::Video) {
        deliverable = deliverable.add(
            of_kind(Kind::Video)
                .add(voice_original)
                .add(Condition::any().add(no_faces()).add(faces_shown)),
        );
    }
    if deliverable.is_empty() {
        return Condition::all().add(Expr::val(1).eq(0));
    }
    Condition::all().add(Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from_as(media_asset::Entity, m.clone())
            .and_where(
                item(media_asset::Column::StoryId).equals((story::Entity, story::Column::Id)),
            )
            .and_where(item(media_asset::Column::State).eq(media_asset::State::Ready.to_value()))
            .and_where(item(media_asset::Column::Private).eq(false))
            .and_where(
                item(media_asset::Column::MetadataStatus).eq(MetadataStatus::Cleaned.to_value()),
            )
            .cond_where(deliverable)
            .to_owned(),
    ))
}

#[cfg(test)]
mod tests {
    use super::{super::published::cut_region, *};

    #[test]
    fn regions_match_by_whole_parts_without_case_or_extra_spaces() {
        let asked = RegionQuery::parse(" united kingdom/  NORTH   west ").expect("region");
        assert!(asked.matches("United Kingdom / North West / Manchester"));
        assert!(asked.matches("United Kingdom/North West"));
        assert!(!asked.matches("United Kingdom / North"));
        assert!(!asked.matches("United Kingdom / North Western Isles"));
        assert!(!asked.matches("United Kingdom"));
        for bad in ["", " / / ", "A / B / C / D"] {
            match RegionQuery::parse(bad) {
                Err(Error::BadUserInput { field, .. }) => assert_eq!(field, Some("region")),
                _ => panic!("{bad:?} accepted"),
            }
        }
    }

    #[test]
    fn precisions_show_as_many_parts_as_their_place_in_the_list() {
        for (k, precision) in PRECISIONS.iter().enumerate() {
            let shown = cut_region("A / B / C", *precision);
            assert_eq!(shown.map_or(0, |r| r.split(" / ").count()), k);
        }
    }
}
