//! Staff accounts: creating them, finding them, changing their passwords.

use chrono::{DateTime, Utc};
use entity::user;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::{Role, password};
use crate::error::{Error, Result, is_unique_violation};

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

/// Sets a new password; `NotFound` if there is no such account.
pub async fn set_password(
    db: &impl ConnectionTrait,
    email: &str,
    plain_password: &str,
    now: DateTime<Utc>,
) -> Result<user::Model> {
    password::validate(plain_password)?;
    let user = find_by_email(db, email)
        .await?
        .ok_or_else(|| Error::NotFound("no user with this email".into()))?;
    let mut active: user::ActiveModel = user.into();
    active.password_hash = Set(password::hash(plain_password)?);
    active.updated_at = Set(now);
    Ok(active.update(db).await?)
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
