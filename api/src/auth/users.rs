//! Staff accounts: creating them, finding them, changing their passwords.
//! What admins do to other people's accounts lives in [`super::accounts`].

use chrono::{DateTime, Utc};
use entity::user;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set,
};
use uuid::Uuid;

use super::{Role, password, sessions};
use crate::{
    audit::{self, Actor},
    error::{Error, Result, is_unique_violation},
};

/// Longest email address accepted (RFC 5321's path limit).
const MAX_EMAIL_LEN: usize = 320;

/// Trims and lower-cases an email address and checks its shape.
pub fn normalize_email(email: &str) -> Result<String> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= MAX_EMAIL_LEN
        && !email.chars().any(char::is_whitespace)
        && matches!(email.split_once('@'), Some((local, domain))
            if !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
               && !domain.ends_with('.') && !domain.contains('@'));
    if valid {
        Ok(email)
    } else {
        Err(Error::invalid(
            "email",
            "expected an email address such as name@example.org",
        ))
    }
}

/// Creates a staff account; `Conflict` if the email is taken.
pub async fn create(
    db: &impl ConnectionTrait,
    email: &str,
    plain_password: &str,
    role: Role,
    now: DateTime<Utc>,
) -> Result<user::Model> {
    let email = normalize_email(email)?;
    password::validate(plain_password)?;
    let hash = password::hash(plain_password)?;
    user::ActiveModel {
        id: Set(Uuid::now_v7()),
        email: Set(email),
        password_hash: Set(hash),
        role: Set(role),
        created_at: Set(now),
        updated_at: Set(now),
        disabled_at: Set(None),
        display_name: Set(None),
        last_login_at: Set(None),
        // Accounts made outside an invitation are the platform's own (the command
        // line, the demo); `accounts::invite_into` places people elsewhere.
        organisation_id: Set(entity::organisation::PLATFORM_ID),
    }
    .insert(db)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            Error::Conflict("a user with this email already exists".into())
        } else {
            e.into()
        }
    })
}

/// The account with this email, if any.
pub async fn find_by_email(db: &impl ConnectionTrait, email: &str) -> Result<Option<user::Model>> {
    let Ok(email) = normalize_email(email) else {
        return Ok(None);
    };
    Ok(user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(db)
        .await?)
}

/// The account with this id, if any.
pub async fn find_by_id(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<user::Model>> {
    Ok(user::Entity::find_by_id(id).one(db).await?)
}

/// Sets a new password and ends every session of the account, so whoever knew
/// the old one is signed out at once; `NotFound` if there is no such account.
pub async fn set_password(
    db: &DatabaseConnection,
    actor: Actor,
    email: &str,
    plain_password: &str,
    now: DateTime<Utc>,
) -> Result<user::Model> {
    password::validate(plain_password)?;
    let hash = password::hash(plain_password)?;
    let txn = crate::db::begin_write(db).await?;
    let user = find_by_email(&txn, email)
        .await?
        .ok_or_else(|| Error::NotFound("no user with this email".into()))?;
    let user = store_password(&txn, user, hash, now).await?;
    let ended = sessions::end_all(&txn, user.id, "password changed", now).await?;
    audit::record(
        &txn,
        actor,
        audit::Event::new("user.password_changed", "user", user.id)
            .detail(serde_json::json!({ "sessionsEnded": ended })),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(user)
}

/// Stores an argon2 hash as the account's password.
pub(super) async fn store_password(
    db: &impl ConnectionTrait,
    user: user::Model,
    hash: String,
    now: DateTime<Utc>,
) -> Result<user::Model> {
    let mut active: user::ActiveModel = user.into();
    active.password_hash = Set(hash);
    active.updated_at = Set(now);
    Ok(active.update(db).await?)
}

/// The accounts with these ids (those that exist), in one query.
pub async fn find_many(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<Vec<user::Model>> {
    let ids = crate::db::in_list(ids);
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all(db)
        .await?)
}

/// Every account, by email (for the command line; admins use `accounts::list`).
pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<user::Model>> {
    use sea_orm::QueryOrder;
    Ok(user::Entity::find()
        .order_by_asc(user::Column::Email)
        .all(db)
        .await?)
}

/// The number of staff accounts.
pub async fn count(db: &impl ConnectionTrait) -> Result<u64> {
    use sea_orm::PaginatorTrait;
    Ok(user::Entity::find().count(db).await?)
}

#[cfg(test)]
mod tests {
    use super::normalize_email;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            normalize_email("  Ana@Example.ORG ").unwrap(),
            "ana@example.org"
        );
        for bad in [
            "",
            "ana",
            "@example.org",
            "ana@",
            "ana@example",
            "a b@example.org",
            "a@b@c.org",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad}");
        }
    }
}
