//! A story's media as staff see and describe them: the list, and the words
//! that go with each item (alt text, caption, credit) and whether it shows faces.

use chrono::{DateTime, Utc};
use entity::media_asset::{self, State};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    audit::{self, Actor, Event},
    auth::Principal,
    error::{Error, Result},
    organisations::Scope,
    patch::Patch,
};

const MAX_ALT_TEXT: usize = 1000;
const MAX_CAPTION: usize = 2000;
const MAX_CREDIT: usize = 200;

/// How an item is described to the people who see or hear it.
#[derive(Debug, Clone, Default)]
pub struct Description {
    pub alt_text: Patch<String>,
    pub caption: Patch<String>,
    pub credit: Patch<String>,
    pub shows_faces: Option<bool>,
}

/// A story's media, oldest first (staff).
pub async fn of_story(
    db: &impl ConnectionTrait,
    principal: &Principal,
    story_id: Uuid,
) -> Result<Vec<media_asset::Model>> {
    principal.staff()?;
    Ok(media_asset::Entity::find()
        .filter(media_asset::Column::StoryId.eq(story_id))
        .filter(media_asset::Column::State.eq(State::Ready))
        .order_by_asc(media_asset::Column::Id)
        .all(db)
        .await?)
}

/// One item, for staff: private items (evidence, files that could not be
/// cleaned) only for editors and admins.
pub async fn get(
    db: &impl ConnectionTrait,
    principal: &Principal,
    id: Uuid,
) -> Result<media_asset::Model> {
    principal.staff()?;
    let asset = media_asset::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|a| a.state == State::Ready)
        .ok_or_else(|| Error::NotFound("no media item with this id".into()))?;
    super::delivery::staff_may_read(principal, &asset)?;
    Ok(asset)
}

/// The consent evidence kept about a person in scope, oldest first (editors and
/// admins); none for a person out of scope.
pub async fn evidence_of(
    db: &impl ConnectionTrait,
    principal: &Principal,
    scope: &Scope,
    storyteller_id: Uuid,
) -> Result<Vec<media_asset::Model>> {
    principal.require_editor()?;
    Ok(media_asset::Entity::find()
        .filter(media_asset::Column::StorytellerId.eq(storyteller_id))
        .filter(scope.of_storyteller((media_asset::Entity, media_asset::Column::StorytellerId)))
        .filter(media_asset::Column::State.eq(State::Ready))
        .order_by_asc(media_asset::Column::Id)
        .all(db)
        .await?)
}

/// `INVALID_TRANSITION` (`ALT_TEXT_MISSING`) while a public image of the story has
/// no alt text: people who cannot see a picture must be told what it shows.
pub async fn require_alt_text(db: &impl ConnectionTrait, story_id: Uuid) -> Result<()> {
    let missing = media_asset::Entity::find()
        .filter(media_asset::Column::StoryId.eq(story_id))
        .filter(media_asset::Column::State.eq(State::Ready))
        .filter(media_asset::Column::Kind.eq(media_asset::Kind::Image))
        .filter(media_asset::Column::Private.eq(false))
        .filter(media_asset::Column::AltText.is_null())
        .order_by_asc(media_asset::Column::Id)
        .all(db)
        .await?;
    match missing.first() {
        None => Ok(()),
        Some(first) => Err(Error::transition(
            "ALT_TEXT_MISSING",
            format!(
                "{} image(s) of this story have no alt text (first: {}); describe them with updateMedia",
                missing.len(),
                first.id
            ),
        )),
    }
}

/// Changes an item's description (editors and admins).
pub async fn describe(
    db: &DatabaseConnection,
    principal: &Principal,
    id: Uuid,
    changes: Description,
    now: DateTime<Utc>,
) -> Result<media_asset::Model> {
    let staff = principal.require_editor()?;
    for (field, patch, max) in [
        ("altText", &changes.alt_text, MAX_ALT_TEXT),
        ("caption", &changes.caption, MAX_CAPTION),
        ("credit", &changes.credit, MAX_CREDIT),
    ] {
        if let Patch::Set(text) = patch
            && (text.trim().is_empty() || text.chars().count() > max)
        {
            return Err(Error::invalid(
                field,
                format!("between 1 and {max} characters; send null to clear it"),
            ));
        }
    }
    let txn = crate::db::begin_write(db).await?;
    let asset = media_asset::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .filter(|a| a.state == State::Ready)
        .ok_or_else(|| Error::NotFound("no media item with this id".into()))?;
    let trimmed = |p: Patch<String>| match p {
        Patch::Set(t) => Patch::Set(t.trim().to_owned()),
        other => other,
    };
    let mut active: media_asset::ActiveModel = asset.clone().into();
    active.alt_text = Set(trimmed(changes.alt_text).apply(asset.alt_text.clone()));
    active.caption = Set(trimmed(changes.caption).apply(asset.caption.clone()));
    active.credit = Set(trimmed(changes.credit).apply(asset.credit.clone()));
    if let Some(shows_faces) = changes.shows_faces {
        active.shows_faces = Set(shows_faces);
    }
    active.updated_at = Set(now);
    let updated = active.update(&txn).await?;
    audit::record(
        &txn,
        Actor::User(staff.user_id),
        Event::new("media.described", "media", id)
            .detail(json!({ "showsFaces": updated.shows_faces })),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}
