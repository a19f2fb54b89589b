//! Expiry: a consent stops counting at the instant it expires (the gate compares
//! times, so nothing has to run first). The worker then records the fact, as an
//! `EXPIRED` record superseding it, and takes the stories down from recipients.

use chrono::{DateTime, Utc};
use entity::{
    consent_event::Via,
    consent_record::{self, IndicatedBy},
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::{
    gate::{self, USABLE},
    records,
};
use crate::{
    audit::Actor,
    auth::Principal,
    error::{Error, Result},
    organisations::Scope,
};

/// Most records marked expired in one pass; the next pass takes the rest.
const BATCH: u64 = 100;

/// Marks current usable records past their expiry as `EXPIRED`; returns how many.
/// Safe on many nodes at once: a record can have only one successor, so the
/// second node's insert fails and that record is skipped.
pub async fn mark_expired(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<usize> {
    let due = consent_record::Entity::find()
        .filter(consent_record::Column::Status.is_in(USABLE))
        .filter(consent_record::Column::ExpiresAt.lte(now))
        .filter(gate::current(consent_record::Entity))
        .order_by_asc(consent_record::Column::ExpiresAt)
        .limit(BATCH)
        .all(db)
        .await?;
    let mut marked = 0;
    for record in due {
        let txn = crate::db::begin_write(db).await?;
        let result = records::end_record(
            &txn,
            &record,
            consent_record::Status::Expired,
            records::Decision {
                indicated_by: IndicatedBy::Organisation,
                via: Via::Automatic,
            },
            Actor::Worker,
            records::Consequences::TakeDown,
            now,
        )
        .await;
        match result {
            Ok(_) => {
                txn.commit().await?;
                marked += 1;
            }
            // Another node got there first.
            Err(Error::Conflict(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(marked)
}

/// Current usable consents in scope that expire within `within` of `now`, soonest first
/// (editors, to renew in time).
pub async fn expiring(
    db: &impl ConnectionTrait,
    principal: &Principal,
    scope: &Scope,
    within: chrono::Duration,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<consent_record::Model>> {
    principal.require_editor()?;
    Ok(consent_record::Entity::find()
        .filter(scope.consents())
        .filter(consent_record::Column::Status.is_in(USABLE))
        .filter(consent_record::Column::ExpiresAt.gt(now))
        .filter(consent_record::Column::ExpiresAt.lte(now + within))
        .filter(gate::current(consent_record::Entity))
        .order_by_asc(consent_record::Column::ExpiresAt)
        .limit(limit)
        .all(db)
        .await?)
}
