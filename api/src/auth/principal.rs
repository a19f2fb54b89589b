//! The caller of one request, resolved once in the HTTP layer.

use uuid::Uuid;

use super::Role;
use crate::error::{Error, Result};

/// A signed-in staff member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staff {
    pub user_id: Uuid,
    pub email: String,
    pub role: Role,
    pub session_id: Uuid,
}

/// A partner site or app reading with an API key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consumer {
    pub key_id: Uuid,
    pub partner_id: Option<Uuid>,
    pub channel: entity::api_key::Channel,
    /// The campaigns the key is limited to; empty means all.
    pub campaign_ids: Vec<Uuid>,
}

/// Who is making a request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Principal {
    /// No credentials were sent.
    #[default]
    Anonymous,
    /// A staff member with a valid access token and a live session.
    Staff(Staff),
    /// A consumer with a valid API key.
    Consumer(Consumer),
}

impl Principal {
    /// The signed-in staff member, or `Unauthenticated`.
    pub fn staff(&self) -> Result<&Staff> {
        match self {
            Principal::Staff(staff) => Ok(staff),
            Principal::Anonymous => Err(Error::Unauthenticated(
                "sign in to do this: send `Authorization: Bearer <access token>`".into(),
            )),
            Principal::Consumer(_) => Err(Error::Forbidden(
                "API keys read published stories; this needs a staff account".into(),
            )),
        }
    }

    /// The staff member if their role is one of `roles`; `Forbidden` otherwise.
    pub fn require_role(&self, roles: &[Role]) -> Result<&Staff> {
        let staff = self.staff()?;
        if roles.contains(&staff.role) {
            Ok(staff)
        } else {
            Err(Error::Forbidden(format!(
                "this needs the role {}",
                roles
                    .iter()
                    .map(|r| role_name(*r))
                    .collect::<Vec<_>>()
                    .join(" or ")
            )))
        }
    }

    /// An editor or an admin: the people who manage content.
    pub fn require_editor(&self) -> Result<&Staff> {
        self.require_role(&[Role::Admin, Role::Editor])
    }

    /// True for any signed-in staff member.
    pub fn is_staff(&self) -> bool {
        matches!(self, Principal::Staff(_))
    }
}

/// The role's name as clients and the CLI spell it.
pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::Admin => "ADMIN",
        Role::Editor => "EDITOR",
        Role::Contributor => "CONTRIBUTOR",
    }
}

/// Parses a role name as clients and the CLI spell it.
pub fn parse_role(name: &str) -> Option<Role> {
    match name.to_ascii_uppercase().as_str() {
        "ADMIN" => Some(Role::Admin),
        "EDITOR" => Some(Role::Editor),
        "CONTRIBUTOR" => Some(Role::Contributor),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staff(role: Role) -> Principal {
        Principal::Staff(Staff {
            user_id: Uuid::now_v7(),
            email: "e@example.org".into(),
            role,
            session_id: Uuid::now_v7(),
        })
    }

    #[test]
    fn editors_and_admins_manage_content_and_contributors_do_not() {
        assert!(staff(Role::Admin).require_editor().is_ok());
        assert!(staff(Role::Editor).require_editor().is_ok());
        assert_eq!(
            staff(Role::Contributor)
                .require_editor()
                .unwrap_err()
                .code(),
            "FORBIDDEN"
        );
        assert_eq!(
            Principal::Anonymous.require_editor().unwrap_err().code(),
            "UNAUTHENTICATED"
        );
    }

    #[test]
    fn role_names_round_trip() {
        for role in [Role::Admin, Role::Editor, Role::Contributor] {
            assert_eq!(parse_role(role_name(role)), Some(role));
        }
        assert_eq!(parse_role("owner"), None);
    }
}
