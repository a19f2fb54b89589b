//! The caller of one request, resolved once in the HTTP layer.
//!
//! A staff member's powers come from their role *and* their organisation: the
//! `ADMIN` role within the platform organisation makes a platform admin (every
//! admin-only operation), while `ADMIN` within a member organisation makes an
//! organisation admin, who manages that organisation's people and otherwise works
//! as an editor. [`Staff::effective_role`] is that one rule.

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
    /// The organisation the person works for.
    pub organisation_id: Uuid,
}

impl Staff {
    /// True for staff of the platform's own organisation.
    pub fn is_platform(&self) -> bool {
        self.organisation_id == entity::organisation::PLATFORM_ID
    }

    /// An admin of the platform organisation.
    pub fn is_platform_admin(&self) -> bool {
        self.role == Role::Admin && self.is_platform()
    }

    /// The role role checks see: an organisation admin counts as an editor, so
    /// every operation that needs `ADMIN` stays a platform admin's.
    pub fn effective_role(&self) -> Role {
        if self.role == Role::Admin && !self.is_platform() {
            Role::Editor
        } else {
            self.role
        }
    }

    /// May invite, move and manage the accounts of `organisation_id`: platform
    /// admins for every organisation, organisation admins for their own.
    pub fn manages_people_of(&self, organisation_id: Uuid) -> bool {
        self.role == Role::Admin && (self.is_platform() || self.organisation_id == organisation_id)
    }
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
    /// `ADMIN` means a platform admin (see [`Staff::effective_role`]).
    pub fn require_role(&self, roles: &[Role]) -> Result<&Staff> {
        let staff = self.staff()?;
        if roles.contains(&staff.effective_role()) {
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

    /// True for a campaign site's `SUBMISSIONS` key, which sends stories in and
    /// reads nothing.
    pub fn is_submission_key(&self) -> bool {
        matches!(self, Principal::Consumer(c) if !c.channel.shows_stories())
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
        staff_of(role, entity::organisation::PLATFORM_ID)
    }

    fn staff_of(role: Role, organisation_id: Uuid) -> Principal {
        Principal::Staff(Staff {
            user_id: Uuid::now_v7(),
            email: "e@example.org".into(),
            role,
            session_id: Uuid::now_v7(),
            organisation_id,
        })
    }

    #[test]
    fn an_organisation_admin_works_as_an_editor_and_manages_only_their_people() {
        let member = Uuid::now_v7();
        let org_admin = staff_of(Role::Admin, member);
        assert!(org_admin.require_editor().is_ok());
        assert_eq!(
            org_admin.require_role(&[Role::Admin]).unwrap_err().code(),
            "FORBIDDEN"
        );
        let Principal::Staff(s) = &org_admin else {
            unreachable!()
        };
        assert!(s.manages_people_of(member));
        assert!(!s.manages_people_of(entity::organisation::PLATFORM_ID));
        assert!(!s.is_platform_admin());

        let Principal::Staff(platform) = staff(Role::Admin) else {
            unreachable!()
        };
        assert!(platform.is_platform_admin());
        assert!(platform.manages_people_of(member));
        let Principal::Staff(editor) = staff_of(Role::Editor, member) else {
            unreachable!()
        };
        assert!(!editor.manages_people_of(member));
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
