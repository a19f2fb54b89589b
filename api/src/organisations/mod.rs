//! Organisations: the platform's own and the coalition's member organisations,
//! who works for which, which campaigns each owns or was granted, and the one
//! scope rule ([`Scope`]) that says what a staff member may see and act on.
//!
//! Who may do what (see `docs/ORGANISATIONS.md`): platform admins (`ADMIN` in
//! the platform organisation) create and rename organisations, move people and
//! campaigns between them; an organisation admin (`ADMIN` in a member
//! organisation) manages its own people and shares the campaigns it owns. Every
//! change is audited in the same transaction.
//!
//! Every staff query and mutation reads the request's [`Scope`] (see
//! `scope.rs`): lists filter with its SQL conditions, single records go through
//! its `ensure_*` checks.

pub mod controller;
mod directory;
pub mod grants;
pub mod scope;

use chrono::{DateTime, Utc};
use entity::{organisation, organisation::Kind, partner, user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde_json::json;
use uuid::Uuid;

pub use directory::Directory;
pub use entity::organisation::PLATFORM_ID;
pub use scope::Scope;

use crate::{
    audit::{self, Actor},
    auth::{Principal, accounts::By},
    error::{Error, Result, is_unique_violation},
    slug,
};

const MAX_NAME_LEN: usize = 200;

/// Everything needed to create a member organisation.
#[derive(Debug, Clone, Default)]
pub struct NewOrganisation {
    pub slug: String,
    pub name: String,
    /// The partner (API-key holder) this organisation also is.
    pub partner_id: Option<Uuid>,
}

/// The audit actor if the caller is a platform admin (or the command line).
pub(crate) fn platform_admin(by: By<'_>) -> Result<Actor> {
    match by {
        By::Cli => Ok(Actor::Cli),
        By::Staff(principal) => {
            let staff = principal.staff()?;
            if staff.is_platform_admin() {
                Ok(Actor::User(staff.user_id))
            } else {
                Err(Error::Forbidden(
                    "only platform admins manage organisations".into(),
                ))
            }
        }
    }
}

/// Organisations by name: all of them for platform admins, the caller's own for
/// everyone else on the staff.
pub async fn list(
    db: &impl ConnectionTrait,
    principal: &Principal,
) -> Result<Vec<organisation::Model>> {
    let staff = principal.staff()?;
    let mut select = organisation::Entity::find().order_by_asc(organisation::Column::Name);
    if !staff.is_platform_admin() {
        select = select.filter(organisation::Column::Id.eq(staff.organisation_id));
    }
    Ok(select.all(db).await?)
}

/// Every organisation by name, for the command line.
pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<organisation::Model>> {
    Ok(organisation::Entity::find()
        .order_by_asc(organisation::Column::Name)
        .all(db)
        .await?)
}

/// The organisation with this id, if any.
pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<organisation::Model>> {
    Ok(organisation::Entity::find_by_id(id).one(db).await?)
}

/// The organisation with this slug, if any.
pub async fn find_by_slug(
    db: &impl ConnectionTrait,
    slug: &str,
) -> Result<Option<organisation::Model>> {
    Ok(organisation::Entity::find()
        .filter(organisation::Column::Slug.eq(slug))
        .one(db)
        .await?)
}

/// The organisations with these ids (those that exist), in one query.
pub async fn find_many(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<Vec<organisation::Model>> {
    let ids = crate::db::in_list(ids);
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(organisation::Entity::find()
        .filter(organisation::Column::Id.is_in(ids))
        .order_by_asc(organisation::Column::Name)
        .all(db)
        .await?)
}

/// The organisation with this id, or `NotFound`.
pub(crate) async fn require(db: &impl ConnectionTrait, id: Uuid) -> Result<organisation::Model> {
    find(db, id)
        .await?
        .ok_or_else(|| Error::NotFound("no organisation with this id".into()))
}

/// Creates a member organisation (platform admins). A taken slug, or a partner
/// that is already an organisation, is a `Conflict`; an unknown partner `NotFound`.
pub async fn create(
    db: &DatabaseConnection,
    by: By<'_>,
    input: NewOrganisation,
    now: DateTime<Utc>,
) -> Result<organisation::Model> {
    let actor = platform_admin(by)?;
    slug::validate("slug", &input.slug)?;
    let name = clean_name(&input.name)?;
    let txn = crate::db::begin_write(db).await?;
    if let Some(partner_id) = input.partner_id
        && partner::Entity::find_by_id(partner_id)
            .one(&txn)
            .await?
            .is_none()
    {
        return Err(Error::NotFound("no partner with this id".into()));
    }
    let created = organisation::ActiveModel {
        id: Set(Uuid::now_v7()),
        slug: Set(input.slug),
        name: Set(name),
        kind: Set(Kind::Member),
        partner_id: Set(input.partner_id),
        created_at: Set(now),
        updated_at: Set(now),
        controller_name: Set(None),
        controller_address: Set(None),
        controller_contact: Set(None),
        controller_dpo_contact: Set(None),
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            Error::Conflict("this slug is taken, or this partner is already an organisation".into())
        } else {
            e.into()
        }
    })?;
    audit::record(
        &txn,
        actor,
        audit::Event::new("organisation.created", "organisation", created.id).detail(json!({
            "slug": created.slug,
            "partnerId": created.partner_id,
        })),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// Renames an organisation, the platform's own included (platform admins).
pub async fn rename(
    db: &DatabaseConnection,
    by: By<'_>,
    id: Uuid,
    name: &str,
    now: DateTime<Utc>,
) -> Result<organisation::Model> {
    let actor = platform_admin(by)?;
    let name = clean_name(name)?;
    let txn = crate::db::begin_write(db).await?;
    let current = require(&txn, id).await?;
    if current.name == name {
        return Ok(current);
    }
    let mut active: organisation::ActiveModel = current.into();
    active.name = Set(name);
    active.updated_at = Set(now);
    let renamed = active.update(&txn).await?;
    audit::record(
        &txn,
        actor,
        audit::Event::new("organisation.renamed", "organisation", renamed.id),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(renamed)
}

/// Moves a staff member to another organisation. The caller must manage the
/// people of both organisations (so in practice a platform admin; an
/// organisation admin adds people by inviting them). Moving the last enabled
/// platform admin out of the platform is a `Conflict`.
pub async fn set_user_organisation(
    db: &DatabaseConnection,
    by: By<'_>,
    user_id: Uuid,
    organisation_id: Uuid,
    now: DateTime<Utc>,
) -> Result<user::Model> {
    let actor = match by {
        By::Cli => Actor::Cli,
        By::Staff(principal) => Actor::User(principal.staff()?.user_id),
    };
    let may_manage = |org: Uuid| match by {
        By::Cli => Ok(true),
        By::Staff(principal) => principal.staff().map(|s| s.manages_people_of(org)),
    };
    if !may_manage(organisation_id)? {
        return Err(Error::Forbidden(
            "only platform admins, and an organisation's own admins, place people in it".into(),
        ));
    }
    let txn = crate::db::begin_write(db).await?;
    let user = crate::auth::users::find_by_id(&txn, user_id)
        .await?
        .ok_or_else(|| Error::NotFound("no user with this id".into()))?;
    if !may_manage(user.organisation_id)? {
        return Err(Error::Forbidden(
            "this person works for an organisation you do not manage".into(),
        ));
    }
    require(&txn, organisation_id).await?;
    if user.organisation_id == organisation_id {
        return Ok(user);
    }
    crate::auth::accounts::keep_an_admin(&txn, &user, "move out of the platform").await?;
    let from = user.organisation_id;
    let mut active: user::ActiveModel = user.into();
    active.organisation_id = Set(organisation_id);
    active.updated_at = Set(now);
    let user = active.update(&txn).await?;
    audit::record(
        &txn,
        actor,
        audit::Event::new("user.organisation_changed", "user", user.id)
            .detail(json!({ "from": from, "to": organisation_id })),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(user)
}

fn clean_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_LEN || name.chars().any(char::is_control)
    {
        return Err(Error::invalid(
            "name",
            format!("a name has 1 to {MAX_NAME_LEN} characters and no control characters"),
        ));
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::clean_name;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(clean_name("  IMIX ").unwrap(), "IMIX");
        for bad in ["", "   ", "a\u{7}b"] {
            assert!(clean_name(bad).is_err(), "{bad:?}");
        }
        assert!(clean_name(&"x".repeat(201)).is_err());
    }
}
