//! The data controller an organisation's consent receipts name: the
//! instance-wide `CHORUS_CONTROLLER_*` settings, or the organisation's own
//! details once its admins (or a platform admin) have set a name.
//!
//! Each consent record keeps the controller in force when it was written
//! (`consent::records`), so changing these details changes no existing receipt.

use chrono::{DateTime, Utc};
use entity::organisation;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseConnection, Set};
use serde_json::json;
use uuid::Uuid;

use crate::{
    audit::{self, Actor},
    auth::Principal,
    config::Controller,
    error::{Error, Result},
};

/// The organisation's own details, if it has set a name.
pub fn own(org: &organisation::Model) -> Option<Controller> {
    org.controller_name.as_ref()?;
    Some(Controller {
        name: org.controller_name.clone(),
        address: org.controller_address.clone(),
        contact: org.controller_contact.clone(),
        dpo_contact: org.controller_dpo_contact.clone(),
    })
}

/// The controller of the organisation's records now: its own details, or the
/// instance's. An organisation that no longer exists gets the instance's.
pub async fn in_force(
    db: &impl ConnectionTrait,
    instance: &Controller,
    organisation_id: Uuid,
) -> Result<Controller> {
    let org = super::find(db, organisation_id).await?;
    Ok(org
        .as_ref()
        .and_then(own)
        .unwrap_or_else(|| instance.clone()))
}

/// Sets (or, with no name, clears) an organisation's own controller details:
/// admins of that organisation and platform admins. Values are trimmed; a
/// blank one counts as not given.
pub async fn set(
    db: &DatabaseConnection,
    principal: &Principal,
    organisation_id: Uuid,
    details: Controller,
    now: DateTime<Utc>,
) -> Result<organisation::Model> {
    let staff = principal.staff()?;
    if !staff.manages_people_of(organisation_id) {
        return Err(Error::Forbidden(
            "only the organisation's own admins and platform admins set its data controller".into(),
        ));
    }
    let clean = |v: Option<String>| v.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let details = Controller {
        name: clean(details.name),
        address: clean(details.address),
        contact: clean(details.contact),
        dpo_contact: clean(details.dpo_contact),
    };
    details
        .check()
        .map_err(|(field, reason)| Error::invalid(field, reason))?;
    if details.name.is_none() && details != Controller::default() {
        return Err(Error::invalid(
            "name",
            "name the controller, or leave every field empty to use the instance's settings",
        ));
    }
    let txn = crate::db::begin_write(db).await?;
    let current = super::require(&txn, organisation_id).await?;
    let mut active: organisation::ActiveModel = current.into();
    active.controller_name = Set(details.name.clone());
    active.controller_address = Set(details.address);
    active.controller_contact = Set(details.contact);
    active.controller_dpo_contact = Set(details.dpo_contact);
    active.updated_at = Set(now);
    let updated = active.update(&txn).await?;
    audit::record(
        &txn,
        Actor::User(staff.user_id),
        audit::Event::new("organisation.controller_set", "organisation", updated.id)
            .detail(json!({ "own": details.name.is_some() })),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}
