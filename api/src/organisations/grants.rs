//! Which organisation owns a campaign, and which others it is shared with.
//!
//! Platform admins move campaigns between organisations; a campaign's owner
//! (its organisation's admins, or a platform admin) shares it with other
//! organisations and takes it back. A grant gives the other organisation's staff
//! the same reach into the campaign as the owner's, through [`super::Scope`], from
//! the next request on.

use chrono::{DateTime, Utc};
use entity::{campaign, campaign_grant, organisation};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QuerySelect, Set,
};
use serde_json::json;
use uuid::Uuid;

use super::{platform_admin, require};
use crate::{
    audit::{self, Actor},
    auth::accounts::By,
    error::{Error, Result},
};

/// Gives a campaign to another organisation (platform admins). A grant to the
/// new owner is dropped: owning covers it.
pub async fn set_owner(
    db: &DatabaseConnection,
    by: By<'_>,
    campaign_id: Uuid,
    organisation_id: Uuid,
    now: DateTime<Utc>,
) -> Result<campaign::Model> {
    let actor = platform_admin(by)?;
    let txn = crate::db::begin_write(db).await?;
    let current = find_campaign(&txn, campaign_id).await?;
    require(&txn, organisation_id).await?;
    if current.organisation_id == organisation_id {
        return Ok(current);
    }
    let from = current.organisation_id;
    let mut active: campaign::ActiveModel = current.into();
    active.organisation_id = Set(organisation_id);
    active.updated_at = Set(now);
    let updated = active.update(&txn).await?;
    campaign_grant::Entity::delete_many()
        .filter(campaign_grant::Column::CampaignId.eq(campaign_id))
        .filter(campaign_grant::Column::OrganisationId.eq(organisation_id))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        actor,
        audit::Event::new("campaign.owner_changed", "campaign", campaign_id)
            .detail(json!({ "from": from, "to": organisation_id })),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

/// Shares a campaign with another organisation. Sharing it again changes
/// nothing; sharing it with its owner is `BadUserInput`.
pub async fn share(
    db: &DatabaseConnection,
    by: By<'_>,
    campaign_id: Uuid,
    organisation_id: Uuid,
    now: DateTime<Utc>,
) -> Result<campaign::Model> {
    let txn = crate::db::begin_write(db).await?;
    let campaign = find_campaign(&txn, campaign_id).await?;
    let actor = owner_admin(by, &campaign)?;
    require(&txn, organisation_id).await?;
    if campaign.organisation_id == organisation_id {
        return Err(Error::invalid(
            "organisationId",
            "this organisation owns the campaign already",
        ));
    }
    if grant_exists(&txn, campaign_id, organisation_id).await? {
        return Ok(campaign);
    }
    campaign_grant::ActiveModel {
        campaign_id: Set(campaign_id),
        organisation_id: Set(organisation_id),
        granted_by: Set(match actor {
            Actor::User(id) => Some(id),
            _ => None,
        }),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        actor,
        audit::Event::new("campaign.shared", "campaign", campaign_id)
            .detail(json!({ "organisationId": organisation_id })),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(campaign)
}

/// Takes a shared campaign back from an organisation; one it was not shared
/// with changes nothing.
pub async fn unshare(
    db: &DatabaseConnection,
    by: By<'_>,
    campaign_id: Uuid,
    organisation_id: Uuid,
    now: DateTime<Utc>,
) -> Result<campaign::Model> {
    let txn = crate::db::begin_write(db).await?;
    let campaign = find_campaign(&txn, campaign_id).await?;
    let actor = owner_admin(by, &campaign)?;
    require(&txn, organisation_id).await?;
    let removed = campaign_grant::Entity::delete_many()
        .filter(campaign_grant::Column::CampaignId.eq(campaign_id))
        .filter(campaign_grant::Column::OrganisationId.eq(organisation_id))
        .exec(&txn)
        .await?;
    if removed.rows_affected == 0 {
        return Ok(campaign);
    }
    audit::record(
        &txn,
        actor,
        audit::Event::new("campaign.unshared", "campaign", campaign_id)
            .detail(json!({ "organisationId": organisation_id })),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(campaign)
}

/// The organisations a campaign is shared with, by name.
pub async fn shared_with(
    db: &impl ConnectionTrait,
    campaign_id: Uuid,
) -> Result<Vec<organisation::Model>> {
    let ids: Vec<Uuid> = campaign_grant::Entity::find()
        .select_only()
        .column(campaign_grant::Column::OrganisationId)
        .filter(campaign_grant::Column::CampaignId.eq(campaign_id))
        .into_tuple()
        .all(db)
        .await?;
    super::find_many(db, ids).await
}

/// The actor if the caller may share this campaign: a platform admin, or an
/// admin of the organisation that owns it.
fn owner_admin(by: By<'_>, campaign: &campaign::Model) -> Result<Actor> {
    match by {
        By::Cli => Ok(Actor::Cli),
        By::Staff(principal) => {
            let staff = principal.staff()?;
            if staff.manages_people_of(campaign.organisation_id) {
                Ok(Actor::User(staff.user_id))
            } else {
                Err(Error::Forbidden(
                    "only the owning organisation's admins and platform admins share a campaign"
                        .into(),
                ))
            }
        }
    }
}

async fn find_campaign(db: &impl ConnectionTrait, id: Uuid) -> Result<campaign::Model> {
    campaign::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound("no campaign with this id".into()))
}

async fn grant_exists(
    db: &impl ConnectionTrait,
    campaign_id: Uuid,
    organisation_id: Uuid,
) -> Result<bool> {
    Ok(
        campaign_grant::Entity::find_by_id((campaign_id, organisation_id))
            .one(db)
            .await?
            .is_some(),
    )
}
