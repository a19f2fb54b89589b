//! The scope rule: which campaigns a staff member may act on.
//!
//! One rule in one place, the way the consent gate is for consumers:
//! - staff of the platform organisation (any role) act on every campaign;
//! - staff of a member organisation act on the campaigns their organisation
//!   owns, and on those another organisation shared with it;
//! - nobody else is staff, so nobody else has a scope.
//!
//! Anything hanging off campaigns (stories, their storytellers, consents,
//! media, comments, audit events) is in scope when one of its campaigns is. The
//! next slice applies [`Scope::condition`] to every staff query and mutation;
//! until then this rule is answered but not yet enforced.

use std::collections::BTreeSet;

use entity::{campaign, campaign_grant};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
    sea_query::{Expr, ExprTrait, IntoColumnRef},
};
use uuid::Uuid;

use crate::{auth::Principal, error::Result};

/// The campaigns a staff member may act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every campaign, present and future (platform staff).
    All,
    /// Only these campaigns (possibly none).
    Campaigns(BTreeSet<Uuid>),
}

impl Scope {
    /// The scope of the request's caller; `Unauthenticated` or `Forbidden` for
    /// anyone who is not staff. Reads the campaigns at this moment: a grant made
    /// or taken back applies to the next request.
    pub async fn for_principal(db: &impl ConnectionTrait, principal: &Principal) -> Result<Scope> {
        let staff = principal.staff()?;
        if staff.is_platform() {
            return Ok(Scope::All);
        }
        Self::for_organisation(db, staff.organisation_id).await
    }

    /// The campaigns a member organisation owns or was granted.
    pub async fn for_organisation(
        db: &impl ConnectionTrait,
        organisation_id: Uuid,
    ) -> Result<Scope> {
        if organisation_id == super::PLATFORM_ID {
            return Ok(Scope::All);
        }
        let owned: Vec<Uuid> = campaign::Entity::find()
            .select_only()
            .column(campaign::Column::Id)
            .filter(campaign::Column::OrganisationId.eq(organisation_id))
            .into_tuple()
            .all(db)
            .await?;
        let granted: Vec<Uuid> = campaign_grant::Entity::find()
            .select_only()
            .column(campaign_grant::Column::CampaignId)
            .filter(campaign_grant::Column::OrganisationId.eq(organisation_id))
            .into_tuple()
            .all(db)
            .await?;
        Ok(Scope::Campaigns(owned.into_iter().chain(granted).collect()))
    }

    /// True if the campaign is in scope.
    pub fn allows(&self, campaign_id: Uuid) -> bool {
        match self {
            Scope::All => true,
            Scope::Campaigns(ids) => ids.contains(&campaign_id),
        }
    }

    /// True if a record filed under these campaigns is in scope: one of them is.
    /// A record under no campaign is the platform's alone.
    pub fn allows_any(&self, campaign_ids: &[Uuid]) -> bool {
        match self {
            Scope::All => true,
            Scope::Campaigns(_) => campaign_ids.iter().any(|id| self.allows(*id)),
        }
    }

    /// A SQL condition keeping the rows whose campaign column is in scope, for
    /// the query itself (so pages and counts never include what is out of scope).
    pub fn condition(&self, campaign_column: impl IntoColumnRef) -> Condition {
        match self {
            Scope::All => Condition::all(),
            // `IN ()` is not valid SQL everywhere; an empty scope keeps nothing.
            Scope::Campaigns(ids) if ids.is_empty() => Condition::all().add(Expr::cust("1 = 0")),
            Scope::Campaigns(ids) => {
                Condition::all().add(Expr::col(campaign_column).is_in(ids.iter().copied()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_allows_every_campaign_and_a_record_under_none() {
        assert!(Scope::All.allows(Uuid::now_v7()));
        assert!(Scope::All.allows_any(&[]));
    }

    #[test]
    fn a_campaign_list_allows_only_its_campaigns() {
        let (mine, theirs) = (Uuid::now_v7(), Uuid::now_v7());
        let scope = Scope::Campaigns([mine].into());
        assert!(scope.allows(mine));
        assert!(!scope.allows(theirs));
        assert!(scope.allows_any(&[theirs, mine]));
        assert!(!scope.allows_any(&[theirs]));
        assert!(!scope.allows_any(&[]));
        assert!(!Scope::Campaigns(BTreeSet::new()).allows(mine));
    }
}
