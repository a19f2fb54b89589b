//! The consumer's view of stories: only what the consent gate lets the reading
//! channel see, projected so that no personal data can leave. The storyteller is
//! named only at the consented identity level and the region is cut to the
//! consented precision; the most protective of the story's own setting and every
//! covering consent wins.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{
    campaign, consent_record,
    story::{self, IdentityLevel, LocationPrecision},
    story_campaign, story_locale, story_revision, story_tag, storyteller, tag,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    sea_query::{Expr, ExprTrait, Query},
};
use uuid::Uuid;

use crate::{
    consent::{
        gate::{self, Viewer},
        takedown::{self, ReadLog},
    },
    error::Result,
    pagination::{self, Page, PageRequest},
};

/// One published text of a story.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedText {
    pub locale: String,
    pub title: String,
    pub summary: String,
    pub body: String,
}

/// How the storyteller may be named to this viewer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicName {
    pub name: String,
    pub is_pseudonym: bool,
}

/// A story as a consumer may see it.
#[derive(Debug, Clone)]
pub struct PublishedStory {
    pub id: Uuid,
    pub slug: String,
    pub primary_locale: String,
    pub published_at: Option<DateTime<Utc>>,
    pub first_published_at: Option<DateTime<Utc>>,
    /// The primary locale's text first.
    pub texts: Vec<PublishedText>,
    pub storyteller: Option<PublicName>,
    pub region: Option<String>,
    /// What the covering consents let the story's media show.
    pub media_allowance: crate::media::delivery::Allowance,
}

/// Narrowing a list.
#[derive(Debug, Clone)]
pub struct Filter {
    /// A campaign's slug.
    pub campaign: Option<String>,
    /// Tag slugs; an empty list does not narrow.
    pub tags: Vec<String>,
    /// Every tag in `tags` (`true`) or any of them (`false`).
    pub all_tags: bool,
    /// Only stories with a published text in this locale.
    pub has_locale: Option<String>,
    /// Published at or after this instant.
    pub published_from: Option<DateTime<Utc>>,
    /// Published before this instant.
    pub published_until: Option<DateTime<Utc>>,
    /// By publication time: `Desc` (newest first, the default) or `Asc`.
    pub order: sea_orm::Order,
}

impl Default for Filter {
    fn default() -> Self {
        Self {
            campaign: None,
            tags: Vec::new(),
            all_tags: false,
            has_locale: None,
            published_from: None,
            published_until: None,
            order: sea_orm::Order::Desc,
        }
    }
}

/// A page of the stories the viewer may see now, with how many there are in all
/// when `count` asks for it.
pub async fn page(
    db: &impl ConnectionTrait,
    reads: &ReadLog,
    viewer: &Viewer,
    filter: &Filter,
    request: PageRequest,
    count: bool,
    now: DateTime<Utc>,
) -> Result<(Page<PublishedStory>, Option<u64>)> {
    // Slugs are matched inside the query, so an unknown one simply matches
    // nothing and costs no extra statement.
    let mut select = story::Entity::find().filter(gate::visible(viewer, now));
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
            let wanted: std::collections::BTreeSet<&String> = filter.tags.iter().collect();
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
    let total = if count {
        Some(select.clone().count(db).await?)
    } else {
        None
    };
    let page = pagination::fetch_by_time(
        db,
        select,
        story::Column::PublishedAt,
        story::Column::Id,
        filter.order.clone(),
        request,
    )
    .await?;
    let items = project(db, reads, viewer, page.items, now).await?;
    Ok((
        Page {
            items,
            has_next_page: page.has_next_page,
            has_previous_page: page.has_previous_page,
        },
        total,
    ))
}

/// The story with this slug if the viewer may see it now; `None` otherwise, the
/// same answer as for a slug that does not exist.
pub async fn by_slug(
    db: &impl ConnectionTrait,
    reads: &ReadLog,
    viewer: &Viewer,
    slug: &str,
    now: DateTime<Utc>,
) -> Result<Option<PublishedStory>> {
    let found = story::Entity::find()
        .filter(story::Column::Slug.eq(slug))
        .filter(gate::visible(viewer, now))
        .all(db)
        .await?;
    Ok(project(db, reads, viewer, found, now)
        .await?
        .into_iter()
        .next())
}

/// Turns visible stories into what the viewer may see of them, and remembers
/// that the viewer's key received them.
async fn project(
    db: &impl ConnectionTrait,
    reads: &ReadLog,
    viewer: &Viewer,
    stories: Vec<story::Model>,
    now: DateTime<Utc>,
) -> Result<Vec<PublishedStory>> {
    if stories.is_empty() {
        return Ok(Vec::new());
    }
    let story_ids: Vec<Uuid> = stories.iter().map(|s| s.id).collect();
    let teller_ids: Vec<Uuid> = stories.iter().map(|s| s.storyteller_id).collect();

    let consents = consent_record::Entity::find()
        .filter(consent_record::Column::StorytellerId.is_in(teller_ids.clone()))
        .filter(gate::usable_consent(consent_record::Entity, viewer, now))
        .all(db)
        .await?;
    let tellers: HashMap<Uuid, storyteller::Model> = storyteller::Entity::find()
        .filter(storyteller::Column::Id.is_in(teller_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    let locales = story_locale::Entity::find()
        .filter(story_locale::Column::StoryId.is_in(story_ids.clone()))
        .filter(story_locale::Column::PublishedRevisionId.is_not_null())
        .all(db)
        .await?;
    let revisions: HashMap<Uuid, story_revision::Model> = story_revision::Entity::find()
        .filter(
            story_revision::Column::Id.is_in(
                locales
                    .iter()
                    .filter_map(|l| l.published_revision_id)
                    .collect::<Vec<_>>(),
            ),
        )
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();

    let mut out = Vec::with_capacity(stories.len());
    for story in stories {
        let covering: Vec<&consent_record::Model> = consents
            .iter()
            .filter(|c| c.storyteller_id == story.storyteller_id)
            .filter(|c| c.story_id.is_none_or(|id| id == story.id))
            .collect();
        let identity = covering
            .iter()
            .map(|c| c.identity_level)
            .fold(story.identity_level, more_protective_identity);
        let precision = covering
            .iter()
            .map(|c| c.location_precision)
            .fold(story.location_precision, coarser);
        let mut texts: Vec<PublishedText> = locales
            .iter()
            .filter(|l| l.story_id == story.id)
            .filter_map(|l| l.published_revision_id.and_then(|id| revisions.get(&id)))
            .map(|r| PublishedText {
                locale: r.locale.clone(),
                title: r.title.clone(),
                summary: r.summary.clone(),
                body: r.body.clone(),
            })
            .collect();
        texts.sort_by_key(|t| (t.locale != story.primary_locale, t.locale.clone()));
        let media_allowance =
            crate::media::delivery::Allowance::of(&story, covering.iter().copied());
        out.push(PublishedStory {
            media_allowance,
            id: story.id,
            storyteller: tellers
                .get(&story.storyteller_id)
                .and_then(|t| public_name(t, identity)),
            region: story
                .region
                .as_deref()
                .and_then(|r| cut_region(r, precision)),
            slug: story.slug,
            primary_locale: story.primary_locale,
            published_at: story.published_at,
            first_published_at: story.first_published_at,
            texts,
        });
    }
    takedown::record_reads(db, reads, viewer, &story_ids, now).await?;
    Ok(out)
}

fn identity_rank(level: IdentityLevel) -> u8 {
    match level {
        IdentityLevel::FullName => 0,
        IdentityLevel::FirstName => 1,
        IdentityLevel::Pseudonym => 2,
        IdentityLevel::Anonymous => 3,
    }
}

/// The more protective of two identity levels.
pub fn more_protective_identity(a: IdentityLevel, b: IdentityLevel) -> IdentityLevel {
    if identity_rank(b) > identity_rank(a) {
        b
    } else {
        a
    }
}

fn precision_rank(precision: LocationPrecision) -> usize {
    match precision {
        LocationPrecision::None => 0,
        LocationPrecision::Country => 1,
        LocationPrecision::Region => 2,
        LocationPrecision::City => 3,
    }
}

/// The coarser of two location precisions.
pub fn coarser(a: LocationPrecision, b: LocationPrecision) -> LocationPrecision {
    if precision_rank(b) < precision_rank(a) {
        b
    } else {
        a
    }
}

/// The storyteller's name at an identity level; never the legal name, which is
/// personal data and not even loaded here.
pub fn public_name(teller: &storyteller::Model, level: IdentityLevel) -> Option<PublicName> {
    if teller.erased_at.is_some() {
        return None;
    }
    let name = teller.public_name.trim();
    match level {
        IdentityLevel::Anonymous => None,
        IdentityLevel::Pseudonym => teller.public_name_is_pseudonym.then(|| PublicName {
            name: name.to_owned(),
            is_pseudonym: true,
        }),
        IdentityLevel::FirstName => name.split_whitespace().next().map(|first| PublicName {
            name: first.to_owned(),
            is_pseudonym: teller.public_name_is_pseudonym,
        }),
        IdentityLevel::FullName => Some(PublicName {
            name: name.to_owned(),
            is_pseudonym: teller.public_name_is_pseudonym,
        }),
    }
}

/// A region written broadest first (`Country / Region / City`) cut to a precision.
pub fn cut_region(region: &str, precision: LocationPrecision) -> Option<String> {
    let parts: Vec<&str> = region
        .split('/')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .take(precision_rank(precision))
        .collect();
    (!parts.is_empty()).then(|| parts.join(" / "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_are_cut_to_the_consented_precision() {
        let r = "United Kingdom / North West / Manchester";
        assert_eq!(cut_region(r, LocationPrecision::None), None);
        assert_eq!(
            cut_region(r, LocationPrecision::Country).as_deref(),
            Some("United Kingdom")
        );
        assert_eq!(
            cut_region(r, LocationPrecision::Region).as_deref(),
            Some("United Kingdom / North West")
        );
        assert_eq!(cut_region(r, LocationPrecision::City).as_deref(), Some(r));
    }

    #[test]
    fn the_more_protective_setting_wins() {
        use IdentityLevel::*;
        assert_eq!(more_protective_identity(FullName, Pseudonym), Pseudonym);
        assert_eq!(more_protective_identity(Anonymous, FirstName), Anonymous);
        assert_eq!(
            coarser(LocationPrecision::City, LocationPrecision::Country),
            LocationPrecision::Country
        );
    }
}
