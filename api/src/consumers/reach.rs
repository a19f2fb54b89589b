//! Whose partners and keys a staff member reaches (issue 16): platform staff
//! every partner's, staff of a member organisation only the partner their
//! organisation is (if any). Among them, platform admins and the organisation
//! admins of a partner organisation manage keys; everyone else is `Forbidden`.

use sea_orm::{ColumnTrait, Condition, ConnectionTrait};
use uuid::Uuid;

use crate::{
    auth::{Principal, Role, principal::Staff},
    error::{Error, Result},
};

/// The partners a staff member reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Every partner (platform staff).
    All,
    /// One partner, or none (a member organisation that is no partner).
    Partner(Option<Uuid>),
}

impl Reach {
    /// The reach of a staff member of this organisation.
    pub async fn of(db: &impl ConnectionTrait, staff: &Staff) -> Result<Reach> {
        if staff.is_platform() {
            return Ok(Reach::All);
        }
        let own = crate::organisations::find(db, staff.organisation_id).await?;
        Ok(Reach::Partner(own.and_then(|o| o.partner_id)))
    }

    /// Keeps the rows whose partner column is reached.
    pub fn condition(self, partner_column: impl ColumnTrait) -> Condition {
        match self {
            Reach::All => Condition::all(),
            Reach::Partner(Some(id)) => Condition::all().add(partner_column.eq(id)),
            Reach::Partner(None) => Condition::all().add(sea_orm::sea_query::Expr::cust("1 = 0")),
        }
    }

    /// True if this partner (or, for `None`, the platform's own keys) is reached.
    pub fn allows(self, partner_id: Option<Uuid>) -> bool {
        match self {
            Reach::All => true,
            Reach::Partner(own) => own.is_some() && own == partner_id,
        }
    }
}

/// The caller, if they manage keys, and whose: platform admins every partner's,
/// an organisation admin their partner organisation's; `Forbidden` otherwise.
pub async fn key_manager<'a>(
    db: &impl ConnectionTrait,
    principal: &'a Principal,
) -> Result<(&'a Staff, Reach)> {
    let staff = principal.staff()?;
    if staff.role != Role::Admin {
        principal.require_role(&[Role::Admin])?;
    }
    let reach = Reach::of(db, staff).await?;
    if reach == Reach::Partner(None) {
        return Err(Error::Forbidden(
            "only platform admins, and the admins of a partner organisation, manage API keys"
                .into(),
        ));
    }
    Ok((staff, reach))
}
