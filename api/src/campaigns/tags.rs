//! Tags: the themes stories are filed under (community, work, the NHS, food…).

use chrono::{DateTime, Utc};
use entity::tag;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::slug_conflict;
use crate::{
    auth::Principal,
    error::{Error, Result},
    pagination::{self, Page, PageRequest},
    slug,
};

const MAX_NAME_LEN: usize = 100;
const MAX_DESCRIPTION_LEN: usize = 2_000;

/// Everything needed to create a tag.
#[derive(Debug, Clone, Default)]
pub struct NewTag {
    pub slug: String,
    pub name: String,
    pub description: String,
}

/// A partial change to a tag.
#[derive(Debug, Clone, Default)]
pub struct TagChanges {
    pub slug: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
}

/// A page of tags, oldest first.
pub async fn list(db: &impl ConnectionTrait, page: PageRequest) -> Result<Page<tag::Model>> {
    pagination::fetch(db, tag::Entity::find(), tag::Column::Id, page).await
}

/// The tag with this slug, if any.
pub async fn find_by_slug(db: &impl ConnectionTrait, slug: &str) -> Result<Option<tag::Model>> {
    Ok(tag::Entity::find()
        .filter(tag::Column::Slug.eq(slug))
        .one(db)
        .await?)
}

/// Creates a tag (editors and admins).
pub async fn create(
    db: &impl ConnectionTrait,
    principal: &Principal,
    input: NewTag,
    now: DateTime<Utc>,
) -> Result<tag::Model> {
    principal.require_editor()?;
    let model = tag::Model {
        id: Uuid::now_v7(),
        slug: input.slug,
        name: input.name.trim().to_owned(),
        description: input.description,
        created_at: now,
        updated_at: now,
    };
    validate(&model)?;
    let active: tag::ActiveModel = model.into();
    active.insert(db).await.map_err(slug_conflict)
}

/// Changes a tag (editors and admins).
pub async fn update(
    db: &impl ConnectionTrait,
    principal: &Principal,
    id: Uuid,
    changes: TagChanges,
    now: DateTime<Utc>,
) -> Result<tag::Model> {
    principal.require_editor()?;
    let current = tag::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound("no tag with this id".into()))?;
    let updated = tag::Model {
        slug: changes.slug.unwrap_or(current.slug.clone()),
        name: changes
            .name
            .map_or(current.name.clone(), |n| n.trim().to_owned()),
        description: changes.description.unwrap_or(current.description.clone()),
        updated_at: now,
        ..current.clone()
    };
    validate(&updated)?;
    let mut active: tag::ActiveModel = current.into();
    active.slug = Set(updated.slug);
    active.name = Set(updated.name);
    active.description = Set(updated.description);
    active.updated_at = Set(updated.updated_at);
    active.update(db).await.map_err(slug_conflict)
}

fn validate(t: &tag::Model) -> Result<()> {
    slug::validate("slug", &t.slug)?;
    if t.name.is_empty() || t.name.chars().count() > MAX_NAME_LEN {
        return Err(Error::invalid(
            "name",
            format!("a name is required, at most {MAX_NAME_LEN} characters"),
        ));
    }
    if t.description.chars().count() > MAX_DESCRIPTION_LEN {
        return Err(Error::invalid(
            "description",
            format!("at most {MAX_DESCRIPTION_LEN} characters"),
        ));
    }
    Ok(())
}
