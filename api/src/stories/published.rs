//! The consumer's view of stories: only what the consent gate lets the reading
//! channel see, projected so that no personal data can leave. The storyteller is
//! named only at the consented identity level and the region is cut to the
//! consented precision; the most protective of the story's own setting and every
//! covering consent wins.

use std::collections::{HashMap, hash_map::Entry};

use chrono::{DateTime, Utc};
use entity::{
    consent_record,
    story::{self, IdentityLevel, LocationPrecision},
    story_locale, story_revision, storyteller,
};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, IdenStatic, Iterable,
    JoinType, QueryFilter, QueryResult, QuerySelect, QueryTrait,
    sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement},
};
use uuid::Uuid;

use crate::{
    consent::{
        gate::{self, Viewer},
        takedown::{self, ReadLog},
    },
    consumers::dependencies,
    error::Result,
    pagination::{AnyCursor, Page, PageRequest},
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
#[derive(Debug, Clone, Default)]
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
    /// Words every one of which a published text must hold ([`super::search`]).
    pub search: Option<String>,
    /// A region (`Country / Region / City`, broadest first) that the region
    /// the viewer is shown must begin with ([`super::filters`]).
    pub region: Option<String>,
    /// Only stories with an item of one of these kinds that the viewer would
    /// receive; an empty list does not narrow.
    pub media: Vec<entity::media_asset::Kind>,
    /// Newest first (the default), oldest first, or by relevance to `search`.
    pub order: super::filters::Order,
}

/// What a list's reader asks for beyond the page itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Asks {
    /// How many stories there are in all (the gate over every match).
    pub count: bool,
    /// The texts' bodies; without them a page reads titles and summaries only
    /// (a body is most of a story's bytes).
    pub bodies: bool,
}

/// A page of the stories the viewer may see now, each with its cursor, with
/// how many there are in all when `asks.count`.
pub async fn page(
    db: &impl ConnectionTrait,
    reads: &ReadLog,
    viewer: &Viewer,
    filter: &Filter,
    request: PageRequest<AnyCursor>,
    asks: Asks,
    now: DateTime<Utc>,
) -> Result<(Page<(PublishedStory, AnyCursor)>, Option<u64>)> {
    dependencies::note_open();
    let select = story::Entity::find().filter(gate::visible(viewer, now));
    let (page, total) =
        super::filters::list(db, select, viewer, filter, request, asks.count, now).await?;
    let (stories, cursors): (Vec<story::Model>, Vec<AnyCursor>) = page.items.into_iter().unzip();
    let mut cursors: HashMap<Uuid, AnyCursor> = stories.iter().map(|s| s.id).zip(cursors).collect();
    let items = project(db, reads, viewer, stories, asks.bodies, now)
        .await?
        .into_iter()
        .filter_map(|s| cursors.remove(&s.id).map(|c| (s, c)))
        .collect();
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
///
/// One statement where a list takes two more ([`project`]): the story through the
/// gate, joined with its storyteller, the storyteller's consents usable for the
/// viewer now and the story's published texts, one row per consent and text
/// (a by-slug read is what an app does on every tap, mostly uncached).
pub async fn by_slug(
    db: &impl ConnectionTrait,
    reads: &ReadLog,
    viewer: &Viewer,
    slug: &str,
    now: DateTime<Utc>,
) -> Result<Option<PublishedStory>> {
    let (locale, text) = (Alias::new("l"), Alias::new("t"));
    let mut select = story::Entity::find()
        .filter(story::Column::Slug.eq(slug))
        .filter(gate::visible(viewer, now))
        .into_query();
    select.clear_selects();
    for column in story::Column::iter() {
        select.expr_as(
            column.select_as(Expr::col((story::Entity, column))),
            Alias::new(format!("s_{}", column.as_str())),
        );
    }
    select_teller_columns(&mut select);
    for column in story_revision::Column::iter() {
        select.expr_as(
            column.select_as(Expr::col((text.clone(), column))),
            Alias::new(format!("t_{}", column.as_str())),
        );
    }
    select
        .join(
            JoinType::InnerJoin,
            storyteller::Entity,
            Expr::col((storyteller::Entity, storyteller::Column::Id))
                .equals((story::Entity, story::Column::StorytellerId)),
        )
        .join_as(
            JoinType::LeftJoin,
            story_locale::Entity,
            locale.clone(),
            Expr::col((locale.clone(), story_locale::Column::StoryId))
                .equals((story::Entity, story::Column::Id)),
        )
        .join_as(
            JoinType::LeftJoin,
            story_revision::Entity,
            text.clone(),
            Expr::col((text, story_revision::Column::Id))
                .equals((locale, story_locale::Column::PublishedRevisionId)),
        );
    join_usable_consents(&mut select, viewer, now);
    let rows = db.query_all(&select).await?;
    let Some(first) = rows.first() else {
        dependencies::note_open();
        return Ok(None);
    };
    let story = story::Model::from_query_result(first, "s_")?;
    let mut teller = Teller {
        name: teller_name(first)?,
        consents: Vec::new(),
    };
    let mut texts: Vec<story_revision::Model> = Vec::new();
    for row in &rows {
        read_consent(row, &mut teller)?;
        // No published text leaves its columns `NULL`; any other row must read
        // in full.
        if let Some(id) = row.try_get::<Option<Uuid>>("", "t_id")?
            && !texts.iter().any(|t| t.id == id)
        {
            texts.push(story_revision::Model::from_query_result(row, "t_")?);
        }
    }
    let shown = shape(story, &teller, texts);
    takedown::record_reads(db, reads, viewer, &[shown.id], now).await?;
    dependencies::note_stories(&[shown.id]);
    Ok(Some(shown))
}

/// Those of these stories the viewer may see now, in the order of `ids`.
pub async fn by_ids(
    db: &impl ConnectionTrait,
    reads: &ReadLog,
    viewer: &Viewer,
    ids: &[Uuid],
    now: DateTime<Utc>,
) -> Result<Vec<PublishedStory>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let found = story::Entity::find()
        .filter(crate::db::id_in(
            db.get_database_backend(),
            (story::Entity, story::Column::Id),
            ids.iter().copied(),
        ))
        .filter(gate::visible(viewer, now))
        .all(db)
        .await?;
    if found.len() < ids.len() {
        dependencies::note_open();
    }
    let mut projected: HashMap<Uuid, PublishedStory> = project(db, reads, viewer, found, true, now)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    Ok(ids.iter().filter_map(|id| projected.remove(id)).collect())
}

/// Turns visible stories into what the viewer may see of them, and remembers
/// that the viewer's key received them. Two statements whatever the number of
/// stories ([`tellers_of`] and [`texts_of`]), and the `story_reads` write the
/// first time a key receives a story. Without `bodies`, the texts' bodies are
/// left empty.
async fn project(
    db: &impl ConnectionTrait,
    reads: &ReadLog,
    viewer: &Viewer,
    stories: Vec<story::Model>,
    bodies: bool,
    now: DateTime<Utc>,
) -> Result<Vec<PublishedStory>> {
    if stories.is_empty() {
        return Ok(Vec::new());
    }
    let story_ids: Vec<Uuid> = stories.iter().map(|s| s.id).collect();
    let tellers = tellers_of(db, viewer, stories.iter().map(|s| s.storyteller_id), now).await?;
    let mut texts = texts_of(db, &story_ids, bodies).await?;

    let out = stories
        .into_iter()
        .filter_map(|story| {
            // Always found (a foreign key); were it not, its consents could not
            // be applied, so the story is left out rather than shown unrestricted.
            let teller = tellers.get(&story.storyteller_id)?;
            let texts = texts.remove(&story.id).unwrap_or_default();
            Some(shape(story, teller, texts))
        })
        .collect();
    takedown::record_reads(db, reads, viewer, &story_ids, now).await?;
    dependencies::note_stories(&story_ids);
    Ok(out)
}

/// What the viewer may see of a visible story, given its storyteller with the
/// consents usable for the viewer and its published texts: the covering
/// consents and the story's own settings decide the name, region and media.
fn shape(
    story: story::Model,
    teller: &Teller,
    texts: Vec<story_revision::Model>,
) -> PublishedStory {
    let covering: Vec<&Terms> = teller
        .consents
        .iter()
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
    let mut texts: Vec<PublishedText> = texts
        .into_iter()
        .map(|r| PublishedText {
            locale: r.locale,
            title: r.title,
            summary: r.summary,
            body: r.body,
        })
        .collect();
    texts.sort_by_key(|t| (t.locale != story.primary_locale, t.locale.clone()));
    let media_allowance = crate::media::delivery::Allowance::from_terms(
        story.faces,
        covering.iter().map(|c| (c.faces, c.voice)),
    );
    PublishedStory {
        media_allowance,
        id: story.id,
        storyteller: public_name(&teller.name, identity),
        region: story
            .region
            .as_deref()
            .and_then(|r| cut_region(r, precision)),
        slug: story.slug,
        primary_locale: story.primary_locale,
        published_at: story.published_at,
        first_published_at: story.first_published_at,
        texts,
    }
}

/// A storyteller as the consumer projection knows them: the public name, and
/// the consents usable for this viewer now. Personal fields are not selected.
struct Teller {
    name: TellerName,
    consents: Vec<Terms>,
}

/// What a usable consent says that shapes a consumer's view: which story it
/// covers and how much it lets show. Only these columns are read (a list page
/// reads one row per storyteller and consent).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Terms {
    id: Uuid,
    /// `None`: every story of the storyteller.
    story_id: Option<Uuid>,
    identity_level: IdentityLevel,
    location_precision: LocationPrecision,
    faces: entity::story::Faces,
    voice: consent_record::Voice,
}

/// The columns of [`Terms`], as `c_<name>`.
const TERMS: [consent_record::Column; 6] = [
    consent_record::Column::Id,
    consent_record::Column::StoryId,
    consent_record::Column::IdentityLevel,
    consent_record::Column::LocationPrecision,
    consent_record::Column::Faces,
    consent_record::Column::Voice,
];

/// The columns of a storyteller a consumer's projection may use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TellerName {
    pub public_name: String,
    pub is_pseudonym: bool,
    /// The storyteller's data has been erased: no name at all.
    pub erased: bool,
}

/// The storytellers with these ids, each with the consents usable for the
/// viewer now (which covering a given story is decided per story), in one
/// statement: the usable consents of these storytellers joined with their
/// storyteller, one row per consent. Driven from the consents, so each
/// storyteller's are found by its index rather than every usable consent being
/// gathered first. A storyteller with no usable consent is left out: none of
/// their stories can be shown ([`project`] leaves such a story out).
async fn tellers_of(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    ids: impl IntoIterator<Item = Uuid>,
    now: DateTime<Utc>,
) -> Result<HashMap<Uuid, Teller>> {
    let c = Alias::new("c");
    let mut select = Query::select();
    select_teller_columns(&mut select);
    select_terms(&mut select);
    select
        .from_as(consent_record::Entity, c.clone())
        .join(
            JoinType::InnerJoin,
            storyteller::Entity,
            Expr::col((storyteller::Entity, storyteller::Column::Id))
                .equals((c.clone(), consent_record::Column::StorytellerId)),
        )
        .and_where(crate::db::id_in(
            db.get_database_backend(),
            (c.clone(), consent_record::Column::StorytellerId),
            ids,
        ))
        .cond_where(gate::usable_consent(c, viewer, now));
    let mut out: HashMap<Uuid, Teller> = HashMap::new();
    for row in db.query_all(&select).await? {
        let id: Uuid = row.try_get("", "teller_id")?;
        let teller = match out.entry(id) {
            Entry::Occupied(found) => found.into_mut(),
            Entry::Vacant(slot) => slot.insert(Teller {
                name: teller_name(&row)?,
                consents: Vec::new(),
            }),
        };
        read_consent(&row, teller)?;
    }
    Ok(out)
}

/// Selects the storyteller columns a consumer's projection may use, and no
/// other: personal fields never leave the database for a consumer read.
fn select_teller_columns(select: &mut SelectStatement) {
    let teller = |column: storyteller::Column| Expr::col((storyteller::Entity, column));
    select
        .expr_as(teller(storyteller::Column::Id), Alias::new("teller_id"))
        .expr_as(
            teller(storyteller::Column::PublicName),
            Alias::new("teller_public_name"),
        )
        .expr_as(
            teller(storyteller::Column::PublicNameIsPseudonym),
            Alias::new("teller_is_pseudonym"),
        )
        .expr_as(
            teller(storyteller::Column::ErasedAt),
            Alias::new("teller_erased_at"),
        );
}

/// Joins the storytellers of `select` (which must have `storytellers` in its
/// FROM) with their consents usable for the viewer now, one row per consent,
/// and selects the consents' columns as `c_*` ([`read_consent`]).
fn join_usable_consents(select: &mut SelectStatement, viewer: &Viewer, now: DateTime<Utc>) {
    let c = Alias::new("c");
    select_terms(select);
    select.join_as(
        JoinType::LeftJoin,
        consent_record::Entity,
        c.clone(),
        Condition::all()
            .add(
                Expr::col((c.clone(), consent_record::Column::StorytellerId))
                    .equals((storyteller::Entity, storyteller::Column::Id)),
            )
            .add(gate::usable_consent(c, viewer, now)),
    );
}

/// Selects the [`TERMS`] of the consent records aliased `c`, as `c_*`.
fn select_terms(select: &mut SelectStatement) {
    let c = Alias::new("c");
    for column in TERMS {
        select.expr_as(
            column.select_as(Expr::col((c.clone(), column))),
            Alias::new(format!("c_{}", column.as_str())),
        );
    }
}

/// Adds the consent of a [`join_usable_consents`] row to the teller, once.
fn read_consent(row: &QueryResult, teller: &mut Teller) -> Result<()> {
    // No usable consent leaves the joined columns `NULL`; any other row must
    // read in full (an error, never a consent silently left out).
    if let Some(id) = row.try_get::<Option<Uuid>>("", "c_id")?
        && !teller.consents.iter().any(|c| c.id == id)
    {
        teller.consents.push(Terms {
            id,
            story_id: row.try_get("", "c_story_id")?,
            identity_level: row.try_get("", "c_identity_level")?,
            location_precision: row.try_get("", "c_location_precision")?,
            faces: row.try_get("", "c_faces")?,
            voice: row.try_get("", "c_voice")?,
        });
    }
    Ok(())
}

/// The name columns of [`select_teller_columns`] in a row.
fn teller_name(row: &QueryResult) -> Result<TellerName> {
    Ok(TellerName {
        public_name: row.try_get("", "teller_public_name")?,
        is_pseudonym: row.try_get("", "teller_is_pseudonym")?,
        erased: row
            .try_get::<Option<DateTime<Utc>>>("", "teller_erased_at")?
            .is_some(),
    })
}

/// The published revision of every locale of these stories, by story, in one
/// statement (revisions joined with the locales that publish them); with an
/// empty body unless `bodies`.
async fn texts_of(
    db: &impl ConnectionTrait,
    story_ids: &[Uuid],
    bodies: bool,
) -> Result<HashMap<Uuid, Vec<story_revision::Model>>> {
    let mut select = story_revision::Entity::find();
    if !bodies {
        select = select.select_only();
        for column in story_revision::Column::iter() {
            select = match column {
                story_revision::Column::Body => select.column_as(Expr::val(""), column.as_str()),
                column => select.column(column),
            };
        }
    }
    QueryTrait::query(&mut select).inner_join(
        story_locale::Entity,
        Expr::col((
            story_locale::Entity,
            story_locale::Column::PublishedRevisionId,
        ))
        .equals((story_revision::Entity, story_revision::Column::Id)),
    );
    let mut out: HashMap<Uuid, Vec<story_revision::Model>> = HashMap::new();
    for revision in select
        .filter(crate::db::id_in(
            db.get_database_backend(),
            (story_locale::Entity, story_locale::Column::StoryId),
            story_ids.iter().copied(),
        ))
        .all(db)
        .await?
    {
        out.entry(revision.story_id).or_default().push(revision);
    }
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
pub fn public_name(teller: &TellerName, level: IdentityLevel) -> Option<PublicName> {
    if teller.erased {
        return None;
    }
    let name = teller.public_name.trim();
    match level {
        IdentityLevel::Anonymous => None,
        IdentityLevel::Pseudonym => teller.is_pseudonym.then(|| PublicName {
            name: name.to_owned(),
            is_pseudonym: true,
        }),
        IdentityLevel::FirstName => name.split_whitespace().next().map(|first| PublicName {
            name: first.to_owned(),
            is_pseudonym: teller.is_pseudonym,
        }),
        IdentityLevel::FullName => Some(PublicName {
            name: name.to_owned(),
            is_pseudonym: teller.is_pseudonym,
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
