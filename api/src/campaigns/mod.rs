//! Campaigns (International Migrants Day, #WeAreAllMigrants…), their events
//! (`events`) and tags (themes).
//!
//! Anyone may read them; only editors and admins create or change them. A new
//! campaign is owned by its creator's organisation; who owns and shares it
//! afterwards is `crate::organisations`'s business.

pub mod events;
pub mod tags;

use chrono::{DateTime, NaiveDate, Utc};
use entity::campaign;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::{
    auth::Principal,
    error::{Error, Result, is_unique_violation},
    organisations::Scope,
    pagination::{self, Page, PageRequest},
    patch::Patch,
    slug,
};

const MAX_NAME_LEN: usize = 200;
const MAX_HASHTAG_LEN: usize = 100;
const MAX_DESCRIPTION_LEN: usize = 10_000;
const MAX_SHARE_URL_LEN: usize = 500;

/// Everything needed to create a campaign.
#[derive(Debug, Clone, Default)]
pub struct NewCampaign {
    pub slug: String,
    pub name: String,
    pub hashtag: Option<String>,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub description: String,
    /// Where a campaign site shows a story, with `{slug}` for its slug.
    pub share_url_pattern: Option<String>,
}

/// A partial change to a campaign.
#[derive(Debug, Clone, Default)]
pub struct CampaignChanges {
    pub slug: Option<String>,
    pub name: Option<String>,
    pub hashtag: Patch<String>,
    pub starts_on: Patch<NaiveDate>,
    pub ends_on: Patch<NaiveDate>,
    pub description: Option<String>,
    pub share_url_pattern: Patch<String>,
}

/// A page of campaigns, oldest first: for staff, those in their scope; for
/// everyone else (`None`), all of them.
pub async fn list(
    db: &impl ConnectionTrait,
    scope: Option<&Scope>,
    page: PageRequest,
) -> Result<Page<campaign::Model>> {
    pagination::fetch(
        db,
        campaign::Entity::find().filter(in_scope(scope)),
        campaign::Column::Id,
        page,
    )
    .await
}

/// The campaign with this slug, if any (and, for staff, in their scope).
pub async fn find_by_slug(
    db: &impl ConnectionTrait,
    scope: Option<&Scope>,
    slug: &str,
) -> Result<Option<campaign::Model>> {
    Ok(campaign::Entity::find()
        .filter(campaign::Column::Slug.eq(slug))
        .filter(in_scope(scope))
        .one(db)
        .await?)
}

fn in_scope(scope: Option<&Scope>) -> sea_orm::Condition {
    scope.map_or_else(sea_orm::Condition::all, |s| {
        s.condition((campaign::Entity, campaign::Column::Id))
    })
}

/// Creates a campaign (editors and admins).
pub async fn create(
    db: &impl ConnectionTrait,
    principal: &Principal,
    input: NewCampaign,
    now: DateTime<Utc>,
) -> Result<campaign::Model> {
    let staff = principal.require_editor()?;
    let model = campaign::Model {
        id: Uuid::now_v7(),
        slug: input.slug,
        name: input.name.trim().to_owned(),
        hashtag: input.hashtag,
        starts_on: input.starts_on,
        ends_on: input.ends_on,
        description: input.description,
        created_at: now,
        updated_at: now,
        // A campaign belongs to whoever runs it: the creator's organisation.
        organisation_id: staff.organisation_id,
        share_url_pattern: input.share_url_pattern.map(|p| p.trim().to_owned()),
    };
    validate(&model)?;
    let active: campaign::ActiveModel = model.into();
    active.insert(db).await.map_err(slug_conflict)
}

/// Changes a campaign (editors and admins of its organisation or the platform).
pub async fn update(
    db: &impl ConnectionTrait,
    principal: &Principal,
    id: Uuid,
    changes: CampaignChanges,
    now: DateTime<Utc>,
) -> Result<campaign::Model> {
    let staff = principal.require_editor()?;
    let current = campaign::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound("no campaign with this id".into()))?;
    // A campaign shared with a member organisation is theirs to work in, not to change.
    if !staff.is_platform() && current.organisation_id != staff.organisation_id {
        return Err(Error::Forbidden(
            "only the organisation that runs a campaign, and the platform's staff, change it"
                .into(),
        ));
    }
    let updated = campaign::Model {
        slug: changes.slug.unwrap_or(current.slug.clone()),
        name: changes
            .name
            .map_or(current.name.clone(), |n| n.trim().to_owned()),
        hashtag: changes.hashtag.apply(current.hashtag.clone()),
        starts_on: changes.starts_on.apply(current.starts_on),
        ends_on: changes.ends_on.apply(current.ends_on),
        description: changes.description.unwrap_or(current.description.clone()),
        share_url_pattern: changes
            .share_url_pattern
            .apply(current.share_url_pattern.clone())
            .map(|p| p.trim().to_owned()),
        updated_at: now,
        ..current.clone()
    };
    validate(&updated)?;
    let mut active: campaign::ActiveModel = current.into();
    active.slug = Set(updated.slug);
    active.name = Set(updated.name);
    active.hashtag = Set(updated.hashtag);
    active.starts_on = Set(updated.starts_on);
    active.ends_on = Set(updated.ends_on);
    active.description = Set(updated.description);
    active.share_url_pattern = Set(updated.share_url_pattern);
    active.updated_at = Set(updated.updated_at);
    active.update(db).await.map_err(slug_conflict)
}

fn validate(c: &campaign::Model) -> Result<()> {
    slug::validate("slug", &c.slug)?;
    if c.name.is_empty() || c.name.chars().count() > MAX_NAME_LEN {
        return Err(Error::invalid(
            "name",
            format!("a name is required, at most {MAX_NAME_LEN} characters"),
        ));
    }
    if let Some(tag) = &c.hashtag {
        validate_hashtag(tag)?;
    }
    if let (Some(start), Some(end)) = (c.starts_on, c.ends_on)
        && end < start
    {
        return Err(Error::invalid(
            "endsOn",
            "a campaign cannot end before it starts",
        ));
    }
    if c.description.chars().count() > MAX_DESCRIPTION_LEN {
        return Err(Error::invalid(
            "description",
            format!("at most {MAX_DESCRIPTION_LEN} characters"),
        ));
    }
    if let Some(pattern) = &c.share_url_pattern {
        validate_share_url_pattern(pattern)?;
    }
    Ok(())
}

/// A share URL pattern is an `https` URL of a named host, with `{slug}` where
/// the story's slug goes (share cards, [`crate::stories::share`]).
fn validate_share_url_pattern(pattern: &str) -> Result<()> {
    use crate::stories::share::{SLUG_PLACEHOLDER, story_url};
    let bad = |why: &str| {
        Err(Error::invalid(
            "shareUrlPattern",
            format!("{why}, for example https://campaign.example/stories/{{slug}}"),
        ))
    };
    if pattern.chars().count() > MAX_SHARE_URL_LEN {
        return bad(&format!("at most {MAX_SHARE_URL_LEN} characters"));
    }
    if !pattern.contains(SLUG_PLACEHOLDER) {
        return bad("the pattern needs `{slug}` where the story's slug goes");
    }
    let Ok(url) = url::Url::parse(&story_url(pattern, "a-story")) else {
        return bad("the pattern is not a URL");
    };
    let named = url
        .host()
        .is_some_and(|h| matches!(h, url::Host::Domain(d) if d.contains('.')));
    if url.scheme() != "https" || !named || !url.username().is_empty() || url.password().is_some() {
        return bad("the pattern must be an https URL of a named host, without credentials");
    }
    Ok(())
}

/// A hashtag is `#` then letters, digits or underscores, in any script.
fn validate_hashtag(tag: &str) -> Result<()> {
    let body = tag.strip_prefix('#').unwrap_or_default();
    if body.is_empty()
        || tag.chars().count() > MAX_HASHTAG_LEN
        || !body.chars().all(|c| c.is_alphanumeric() || c == '_')
    {
        return Err(Error::invalid(
            "hashtag",
            "expected a hashtag such as #IAmAMigrant: `#` then letters, digits or underscores",
        ));
    }
    Ok(())
}

fn slug_conflict(err: sea_orm::DbErr) -> Error {
    if is_unique_violation(&err) {
        Error::Conflict("this slug is already taken".into())
    } else {
        err.into()
    }
}

#[cfg(test)]
mod tests {
    use super::{validate_hashtag, validate_share_url_pattern};

    #[test]
    fn share_url_patterns_are_https_urls_with_the_slug() {
        for good in [
            "https://imday.example/stories/{slug}",
            "https://www.example.org/s?story={slug}&utm_source=share",
        ] {
            assert!(validate_share_url_pattern(good).is_ok(), "{good}");
        }
        for bad in [
            "https://imday.example/stories/",
            "http://imday.example/{slug}",
            "https://localhost/{slug}",
            "https://user:pw@imday.example/{slug}",
            "javascript:alert(1)//{slug}",
            "{slug}",
        ] {
            assert!(validate_share_url_pattern(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn hashtags_need_a_hash_and_word_characters() {
        for good in ["#IAmAMigrant", "#1DayWithoutUs", "#Göçmen", "#we_are_all"] {
            assert!(validate_hashtag(good).is_ok(), "{good}");
        }
        for bad in ["IAmAMigrant", "#", "#two words", "#a-b"] {
            assert!(validate_hashtag(bad).is_err(), "{bad}");
        }
    }
}
