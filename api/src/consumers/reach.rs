//! Whose partners and keys a staff member reaches (issue 16): platform staff
//! every partner's, staff of a member organisation only the partner their
//! organisation is (if any). Among them, platform admins and organisation
//! admins manage keys: an organisation admin their partner's keys and the
//! `SUBMISSIONS` keys of the campaigns their organisation runs; everyone else
//! is `Forbidden`.

use entity::{api_key, api_key_campaign, campaign};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait,
    sea_query::{Expr, ExprTrait, Query},
};
use uuid::Uuid;

use crate::{
    auth::{Principal, Role, principal::Staff},
    error::Result,
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

/// The caller, if they manage keys (admins), and the partners they reach;
/// `Forbidden` for everyone else.
pub async fn key_manager<'a>(
    db: &impl ConnectionTrait,
    principal: &'a Principal,
) -> Result<(&'a Staff, Reach)> {
    let staff = principal.staff()?;
    if staff.role != Role::Admin {
        principal.require_role(&[Role::Admin])?;
    }
    Ok((staff, Reach::of(db, staff).await?))
}

/// Keeps the keys (table `api_keys`) a key manager manages: every key for the
/// platform; for an organisation admin, their partner's keys and the
/// `SUBMISSIONS` keys bound to a campaign their organisation owns (a campaign
/// only shared with it stays its owner's to open to submissions).
pub fn managed_keys(staff: &Staff, reach: Reach) -> Condition {
    if reach == Reach::All {
        return Condition::all();
    }
    let owned = Query::select()
        .column(api_key_campaign::Column::ApiKeyId)
        .from(api_key_campaign::Entity)
        .and_where(
            Expr::col(api_key_campaign::Column::CampaignId).in_subquery(
                Query::select()
                    .column(campaign::Column::Id)
                    .from(campaign::Entity)
                    .and_where(
                        Expr::col(campaign::Column::OrganisationId).eq(staff.organisation_id),
                    )
                    .to_owned(),
            ),
        )
        .to_owned();
    Condition::any()
        .add(reach.condition(api_key::Column::PartnerId))
        .add(
            Condition::all()
                .add(api_key::Column::Channel.eq(api_key::Channel::Submissions))
                .add(api_key::Column::Id.in_subquery(owned)),
        )
}
