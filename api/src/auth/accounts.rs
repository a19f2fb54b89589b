//! What admins do to staff accounts: invite, change a role, disable and enable,
//! end sessions, list. Every action is audited, and each is open to an admin
//! (over GraphQL) or to an operator at the command line ([`By::Cli`]).
//!
//! Admins here are platform admins (see [`super::principal`]); an organisation
//! admin may only invite people into their own organisation ([`invite_into`]).
//!
//! The archive never loses its last enabled platform admin: disabling or demoting one
//! first locks every enabled admin's row (PostgreSQL `FOR UPDATE`; SQLite's
//! write transaction holds the whole database), so two admins disabling each
//! other at the same moment cannot both succeed.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use entity::{user, user_invite};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QuerySelect, Set, sea_query::Expr,
};
use serde_json::json;
use uuid::Uuid;

use super::{Principal, Role, password, principal::role_name, sessions, sha256_hex, users};
use crate::{
    audit::{self, Actor},
    error::{Error, Result},
};

/// Who asks for an account change.
#[derive(Debug, Clone, Copy)]
pub enum By<'a> {
    /// A request's caller; must be an admin.
    Staff(&'a Principal),
    /// An operator at the command line, who has the server's configuration already.
    Cli,
}

impl By<'_> {
    /// The audit actor, if the caller manages people at all (a platform or an
    /// organisation admin); `Forbidden` otherwise. Which people is
    /// [`By::check_manages`]'s question, once the account is read.
    fn authorise(self) -> Result<Actor> {
        match self {
            By::Staff(principal) => Ok(Actor::User(people_manager(principal)?.user_id)),
            By::Cli => Ok(Actor::Cli),
        }
    }

    /// `NotFound` when the account belongs to an organisation whose people the
    /// caller does not manage: to an organisation admin, another organisation's
    /// people are out of scope, as if they did not exist.
    fn check_manages(self, user: &user::Model) -> Result<()> {
        match self {
            By::Staff(principal) if !principal.staff()?.manages_people_of(user.organisation_id) => {
                Err(Error::NotFound("no user with this id".into()))
            }
            _ => Ok(()),
        }
    }
}

/// A platform admin or an organisation admin; `Forbidden` for everyone else.
fn people_manager(principal: &Principal) -> Result<&crate::auth::principal::Staff> {
    let staff = principal.staff()?;
    if staff.role == Role::Admin {
        Ok(staff)
    } else {
        principal.require_role(&[Role::Admin])
    }
}

/// A new invitation: the account and the one-time token (shown only this once).
#[derive(Debug, Clone)]
pub struct Invitation {
    pub user: user::Model,
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// The link an invitation token is opened with: the admin's page, which
/// asks for the new password (the token stays in the fragment, never sent to a server log).
pub fn invite_url(base_url: &str, token: &str) -> String {
    format!("{}/admin#invite={token}", base_url.trim_end_matches('/'))
}

/// Longest display name accepted.
const MAX_DISPLAY_NAME: usize = 200;

/// The staff accounts the caller manages, by email: every account for platform
/// admins, their own organisation's for an organisation admin.
pub async fn list(db: &impl ConnectionTrait, principal: &Principal) -> Result<Vec<user::Model>> {
    let staff = people_manager(principal)?;
    let all = users::all(db).await?;
    Ok(all
        .into_iter()
        .filter(|u| staff.manages_people_of(u.organisation_id))
        .collect())
}

/// Invites a staff member: creates the account without a password and returns a
/// one-time token to set one, valid for `ttl`. Inviting an address again whose
/// invitation was never accepted replaces the earlier link; an account that has
/// a password already is a `Conflict`.
pub async fn invite(
    db: &DatabaseConnection,
    by: By<'_>,
    email: &str,
    role: Role,
    display_name: Option<&str>,
    ttl: std::time::Duration,
    now: DateTime<Utc>,
) -> Result<Invitation> {
    invite_into(db, by, email, role, display_name, None, ttl, now).await
}

/// [`invite`] into an organisation: by default the inviter's (the platform's from
/// the command line). Platform admins invite into any organisation, organisation
/// admins only into their own; an unknown organisation is `NotFound`.
#[allow(clippy::too_many_arguments)]
pub async fn invite_into(
    db: &DatabaseConnection,
    by: By<'_>,
    email: &str,
    role: Role,
    display_name: Option<&str>,
    organisation_id: Option<Uuid>,
    ttl: std::time::Duration,
    now: DateTime<Utc>,
) -> Result<Invitation> {
    let (actor, organisation_id) = match by {
        By::Cli => (
            Actor::Cli,
            organisation_id.unwrap_or(entity::organisation::PLATFORM_ID),
        ),
        By::Staff(principal) => {
            let staff = principal.staff()?;
            let target = organisation_id.unwrap_or(staff.organisation_id);
            if !staff.manages_people_of(target) {
                return Err(Error::Forbidden(
                    "only platform admins, and an organisation's own admins, invite people into it"
                        .into(),
                ));
            }
            (Actor::User(staff.user_id), target)
        }
    };
    let email = users::normalize_email(email)?;
    let display_name = display_name.map(clean_display_name).transpose()?;
    let txn = crate::db::begin_write(db).await?;
    if entity::organisation::Entity::find_by_id(organisation_id)
        .one(&txn)
        .await?
        .is_none()
    {
        return Err(Error::NotFound("no organisation with this id".into()));
    }
    let user = match users::find_by_email(&txn, &email).await? {
        Some(existing) if !is_pending(&existing) => {
            return Err(Error::Conflict(
                "a user with this email already exists".into(),
            ));
        }
        Some(pending) => {
            // Re-inviting must not pull a pending account out of an organisation the
            // inviter does not manage.
            if let By::Staff(principal) = by
                && !principal
                    .staff()?
                    .manages_people_of(pending.organisation_id)
            {
                return Err(Error::Forbidden(
                    "this address is invited by another organisation".into(),
                ));
            }
            retire_invites(&txn, pending.id, now).await?;
            let mut active: user::ActiveModel = pending.into();
            active.role = Set(role);
            active.display_name = Set(display_name);
            active.organisation_id = Set(organisation_id);
            active.updated_at = Set(now);
            active.update(&txn).await?
        }
        None => {
            user::ActiveModel {
                id: Set(Uuid::now_v7()),
                email: Set(email),
                // No password yet: nothing verifies against an empty hash.
                password_hash: Set(String::new()),
                role: Set(role),
                created_at: Set(now),
                updated_at: Set(now),
                disabled_at: Set(None),
                display_name: Set(display_name),
                last_login_at: Set(None),
                organisation_id: Set(organisation_id),
            }
            .insert(&txn)
            .await?
        }
    };
    let token = format!(
        "chorus_inv_{}",
        URL_SAFE_NO_PAD.encode(super::random_bytes(32))
    );
    let expires_at =
        now + chrono::Duration::from_std(ttl).unwrap_or_else(|_| chrono::Duration::hours(72));
    user_invite::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user.id),
        token_hash: Set(sha256_hex(token.as_bytes())),
        created_by: Set(match actor {
            Actor::User(id) => Some(id),
            _ => None,
        }),
        created_at: Set(now),
        expires_at: Set(expires_at),
        used_at: Set(None),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        actor,
        audit::Event::new("user.invited", "user", user.id).detail(json!({
            "role": role_name(role),
            "expiresAt": expires_at,
            "organisationId": organisation_id,
        })),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(Invitation {
        user,
        token,
        expires_at,
    })
}

/// Spends an invitation token to set the account's first password. A used,
/// replaced, expired or unknown token is `NotFound`, and so is one for an
/// account disabled since.
pub async fn accept_invite(
    db: &DatabaseConnection,
    token: &str,
    plain_password: &str,
    now: DateTime<Utc>,
) -> Result<user::Model> {
    let refused = || Error::NotFound("this invitation link is not valid or has expired".into());
    password::validate(plain_password)?;
    let hash = password::hash(plain_password)?;
    let txn = crate::db::begin_write(db).await?;
    let Some((invite, Some(user))) = user_invite::Entity::find()
        .filter(user_invite::Column::TokenHash.eq(sha256_hex(token.trim().as_bytes())))
        .find_also_related(user::Entity)
        .one(&txn)
        .await?
    else {
        return Err(refused());
    };
    if invite.used_at.is_some() || invite.expires_at <= now || user.disabled_at.is_some() {
        return Err(refused());
    }
    // Spend it only if nobody spent it first.
    let spent = user_invite::Entity::update_many()
        .col_expr(user_invite::Column::UsedAt, Expr::value(now))
        .filter(user_invite::Column::Id.eq(invite.id))
        .filter(user_invite::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    if spent.rows_affected != 1 {
        return Err(refused());
    }
    let user = users::store_password(&txn, user, hash, now).await?;
    audit::record(
        &txn,
        Actor::User(user.id),
        audit::Event::new("user.invite_accepted", "user", user.id),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(user)
}

/// Changes a role; demoting the last enabled admin is a `Conflict`.
pub async fn set_role(
    db: &DatabaseConnection,
    by: By<'_>,
    user_id: Uuid,
    role: Role,
    now: DateTime<Utc>,
) -> Result<user::Model> {
    let actor = by.authorise()?;
    let txn = crate::db::begin_write(db).await?;
    let user = find(&txn, user_id).await?;
    by.check_manages(&user)?;
    if user.role == role {
        return Ok(user);
    }
    if role != Role::Admin {
        keep_an_admin(&txn, &user, "demote").await?;
    }
    let from = user.role;
    let mut active: user::ActiveModel = user.into();
    active.role = Set(role);
    active.updated_at = Set(now);
    let user = active.update(&txn).await?;
    audit::record(
        &txn,
        actor,
        audit::Event::new("user.role_changed", "user", user.id)
            .states(role_name(from), role_name(role)),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(user)
}

/// Disables an account and ends its sessions: it can no longer sign in, refresh
/// or use a token it holds. Disabling the last enabled admin is a `Conflict`.
pub async fn disable(
    db: &DatabaseConnection,
    by: By<'_>,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<user::Model> {
    let actor = by.authorise()?;
    let txn = crate::db::begin_write(db).await?;
    let user = find(&txn, user_id).await?;
    by.check_manages(&user)?;
    if user.disabled_at.is_some() {
        return Ok(user);
    }
    keep_an_admin(&txn, &user, "disable").await?;
    let mut active: user::ActiveModel = user.into();
    active.disabled_at = Set(Some(now));
    active.updated_at = Set(now);
    let user = active.update(&txn).await?;
    let ended = sessions::end_all(&txn, user.id, "account disabled", now).await?;
    audit::record(
        &txn,
        actor,
        audit::Event::new("user.disabled", "user", user.id)
            .states("ENABLED", "DISABLED")
            .detail(json!({ "sessionsEnded": ended })),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(user)
}

/// Enables a disabled account again; its old sessions stay ended.
pub async fn enable(
    db: &DatabaseConnection,
    by: By<'_>,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<user::Model> {
    let actor = by.authorise()?;
    let txn = crate::db::begin_write(db).await?;
    let user = find(&txn, user_id).await?;
    by.check_manages(&user)?;
    if user.disabled_at.is_none() {
        return Ok(user);
    }
    let mut active: user::ActiveModel = user.into();
    active.disabled_at = Set(None);
    active.updated_at = Set(now);
    let user = active.update(&txn).await?;
    audit::record(
        &txn,
        actor,
        audit::Event::new("user.enabled", "user", user.id).states("DISABLED", "ENABLED"),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(user)
}

/// Ends every session of an account at once (a lost laptop); returns how many
/// were live. The person can sign in again.
pub async fn end_sessions(
    db: &DatabaseConnection,
    by: By<'_>,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<u64> {
    let actor = by.authorise()?;
    let txn = crate::db::begin_write(db).await?;
    let user = find(&txn, user_id).await?;
    by.check_manages(&user)?;
    let ended = sessions::end_all(&txn, user.id, "ended by an admin", now).await?;
    audit::record(
        &txn,
        actor,
        audit::Event::new("user.sessions_ended", "user", user.id)
            .detail(json!({ "sessionsEnded": ended })),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(ended)
}

/// True while the account waits for its invitation to be accepted.
pub fn is_pending(user: &user::Model) -> bool {
    user.password_hash.is_empty()
}

async fn find(db: &impl ConnectionTrait, user_id: Uuid) -> Result<user::Model> {
    users::find_by_id(db, user_id)
        .await?
        .ok_or_else(|| Error::NotFound("no user with this id".into()))
}

/// `Conflict` when `user` is the only enabled platform admin (organisation
/// admins cannot run the archive). Locks every enabled platform admin's row
/// first, so a concurrent disabling, demotion or move waits and then counts what
/// this one left. Also used when a person leaves the platform organisation.
pub(crate) async fn keep_an_admin(
    db: &impl ConnectionTrait,
    user: &user::Model,
    what: &str,
) -> Result<()> {
    if user.role != Role::Admin
        || user.disabled_at.is_some()
        || user.organisation_id != entity::organisation::PLATFORM_ID
    {
        return Ok(());
    }
    let admins: Vec<Uuid> = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::Role.eq(Role::Admin))
        .filter(user::Column::OrganisationId.eq(entity::organisation::PLATFORM_ID))
        .filter(user::Column::DisabledAt.is_null())
        .lock_exclusive()
        .into_tuple()
        .all(db)
        .await?;
    if admins.iter().all(|id| *id == user.id) {
        return Err(Error::Conflict(format!(
            "cannot {what} the last enabled admin; make another admin first"
        )));
    }
    Ok(())
}

async fn retire_invites(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<()> {
    user_invite::Entity::update_many()
        .col_expr(user_invite::Column::UsedAt, Expr::value(now))
        .filter(user_invite::Column::UserId.eq(user_id))
        .filter(user_invite::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

fn clean_display_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty()
        || name.chars().count() > MAX_DISPLAY_NAME
        || name.chars().any(char::is_control)
    {
        return Err(Error::invalid(
            "displayName",
            format!(
                "a display name has 1 to {MAX_DISPLAY_NAME} characters and no control characters"
            ),
        ));
    }
    Ok(name.to_owned())
}
