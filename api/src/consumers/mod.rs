//! Consumers: partner organisations and the API keys their sites and apps read with.
//!
//! Each key is bound to one channel (a partner site, a mobile app…), optionally to a
//! partner and to a set of campaigns; that binding is what the consent gate will
//! check every read against. Keys are shown once and stored as SHA-256 hashes (they
//! are long random strings, so a fast hash is enough); admins create and revoke them.

pub mod apq;
pub mod dependencies;
pub mod known_keys;
pub(crate) mod lru;
pub mod origins;
pub mod reach;
pub mod response_cache;
pub mod throttle;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use entity::{
    api_key::{self, Channel},
    api_key_campaign, partner,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set, sea_query::Expr,
};
use serde_json::json;
use uuid::Uuid;

use self::known_keys::{Known, KnownKeys};
use crate::{
    audit::{self, Actor, Event},
    auth::{Principal, Role, principal::Consumer, random_bytes, sha256_hex},
    error::{Error, Result, is_unique_violation},
    pagination::{self, Page, PageRequest},
    slug,
};

/// Every key starts with this, so leaked keys are easy to recognise and scan for.
pub const KEY_PREFIX: &str = "chk_";
/// How stale `last_used_at` may get before a request refreshes it; saves a write per read.
const LAST_USED_GRANULARITY_SECS: i64 = 60;

/// Records a partner organisation (admins).
pub async fn create_partner(
    db: &DatabaseConnection,
    principal: &Principal,
    slug_value: &str,
    name: &str,
    now: DateTime<Utc>,
) -> Result<partner::Model> {
    let admin = principal.require_role(&[Role::Admin])?;
    slug::validate("slug", slug_value)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(Error::invalid(
            "name",
            "a name is required, at most 200 characters",
        ));
    }
    let txn = crate::db::begin_write(db).await?;
    let created = partner::ActiveModel {
        id: Set(Uuid::now_v7()),
        slug: Set(slug_value.to_owned()),
        name: Set(name.to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            Error::Conflict("this slug is already taken".into())
        } else {
            e.into()
        }
    })?;
    audit::record(
        &txn,
        Actor::User(admin.user_id),
        Event::new("partner.created", "partner", created.id),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// A page of partners (editors and admins: editors name partners in consent
/// terms): every partner for platform staff, their own organisation's for a
/// member organisation's staff.
pub async fn partners(
    db: &DatabaseConnection,
    principal: &Principal,
    page: PageRequest,
) -> Result<Page<partner::Model>> {
    let staff = principal.require_role(&[Role::Admin, Role::Editor])?;
    let reach = reach::Reach::of(db, staff).await?;
    pagination::fetch(
        db,
        partner::Entity::find().filter(reach.condition(partner::Column::Id)),
        partner::Column::Id,
        page,
    )
    .await
}

/// Everything needed to issue a key.
#[derive(Debug, Clone)]
pub struct NewKey {
    pub name: String,
    pub channel: Channel,
    pub partner_id: Option<Uuid>,
    /// Empty: every campaign.
    pub campaign_ids: Vec<Uuid>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// Issues a key (platform admins; an organisation admin for their partner
/// organisation only: another partner is `NotFound`, no partner means theirs).
/// The secret is returned once and never stored.
pub async fn create_key(
    db: &DatabaseConnection,
    principal: &Principal,
    mut input: NewKey,
    now: DateTime<Utc>,
) -> Result<(api_key::Model, String)> {
    let (admin, reach) = reach::key_manager(db, principal).await?;
    if input.channel == Channel::Submissions {
        // A submission key belongs to the campaign its stories go to: the
        // organisation that runs it issues it (checked below, once the one
        // campaign is known), whatever partner that organisation may be.
    } else if let reach::Reach::Partner(own) = reach {
        if own.is_none() {
            return Err(Error::Forbidden(
                "an organisation that is no partner holds no partner keys; it may issue SUBMISSIONS keys for its campaigns"
                    .into(),
            ));
        }
        input.partner_id = input.partner_id.or(own);
        if !reach.allows(input.partner_id) {
            return Err(Error::NotFound("no partner with this id".into()));
        }
    }
    let name = input.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(Error::invalid(
            "name",
            "a name is required, at most 200 characters",
        ));
    }
    if input.channel == Channel::PartnerSites && input.partner_id.is_none() {
        return Err(Error::invalid(
            "partnerId",
            "a PARTNER_SITES key belongs to a partner",
        ));
    }
    if input.channel == Channel::Submissions {
        let mut campaigns = input.campaign_ids.clone();
        campaigns.sort();
        campaigns.dedup();
        if campaigns.len() != 1 {
            return Err(Error::invalid(
                "campaignIds",
                "a SUBMISSIONS key is bound to exactly one campaign: the one its stories go to",
            ));
        }
        if input.partner_id.is_some() {
            return Err(Error::invalid(
                "partnerId",
                "a SUBMISSIONS key belongs to a campaign, not a partner",
            ));
        }
    }
    if input.expires_at.is_some_and(|at| at <= now) {
        return Err(Error::invalid(
            "expiresAt",
            "the expiry must be in the future",
        ));
    }
    let txn = crate::db::begin_write(db).await?;
    if let Some(partner_id) = input.partner_id
        && partner::Entity::find_by_id(partner_id)
            .one(&txn)
            .await?
            .is_none()
    {
        return Err(Error::invalid("partnerId", "no partner with this id"));
    }
    let mut campaign_ids = input.campaign_ids.clone();
    campaign_ids.sort();
    campaign_ids.dedup();
    let found = entity::campaign::Entity::find()
        .filter(entity::campaign::Column::Id.is_in(campaign_ids.clone()))
        .all(&txn)
        .await?;
    if found.len() != campaign_ids.len() {
        return Err(Error::invalid(
            "campaignIds",
            "no campaign with one of these ids",
        ));
    }
    if input.channel == Channel::Submissions
        && reach != reach::Reach::All
        && found
            .iter()
            .any(|c| c.organisation_id != admin.organisation_id)
    {
        return Err(Error::Forbidden(
            "only the organisation that runs a campaign issues its SUBMISSIONS keys".into(),
        ));
    }

    let secret = format!("{KEY_PREFIX}{}", URL_SAFE_NO_PAD.encode(random_bytes(32)));
    let key = api_key::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(name),
        partner_id: Set(input.partner_id),
        channel: Set(input.channel),
        prefix: Set(secret.chars().take(12).collect()),
        secret_hash: Set(sha256_hex(secret.as_bytes())),
        created_by: Set(admin.user_id),
        created_at: Set(now),
        expires_at: Set(input.expires_at),
        revoked_at: Set(None),
        last_used_at: Set(None),
    }
    .insert(&txn)
    .await?;
    for campaign_id in campaign_ids {
        api_key_campaign::ActiveModel {
            api_key_id: Set(key.id),
            campaign_id: Set(campaign_id),
        }
        .insert(&txn)
        .await?;
    }
    audit::record(
        &txn,
        Actor::User(admin.user_id),
        Event::new("api_key.created", "api_key", key.id).detail(
            json!({ "channel": format!("{:?}", key.channel), "partnerId": key.partner_id }),
        ),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok((key, secret))
}

/// Revokes a key at once (the admins who manage it); revoking twice is a no-op.
pub async fn revoke_key(
    db: &DatabaseConnection,
    principal: &Principal,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<api_key::Model> {
    let (admin, reach) = reach::key_manager(db, principal).await?;
    let txn = crate::db::begin_write(db).await?;
    let key = api_key::Entity::find_by_id(id)
        .filter(reach::managed_keys(admin, reach))
        .one(&txn)
        .await?
        .ok_or_else(|| Error::NotFound("no API key with this id".into()))?;
    if key.revoked_at.is_some() {
        txn.commit().await?;
        return Ok(key);
    }
    let mut active: api_key::ActiveModel = key.into();
    active.revoked_at = Set(Some(now));
    let key = active.update(&txn).await?;
    audit::record(
        &txn,
        Actor::User(admin.user_id),
        Event::new("api_key.revoked", "api_key", key.id),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(key)
}

/// A page of keys: every key for platform admins; for an organisation admin,
/// their partner's and their campaigns' `SUBMISSIONS` keys.
pub async fn keys(
    db: &DatabaseConnection,
    principal: &Principal,
    page: PageRequest,
) -> Result<Page<api_key::Model>> {
    let (admin, reach) = reach::key_manager(db, principal).await?;
    pagination::fetch(
        db,
        api_key::Entity::find().filter(reach::managed_keys(admin, reach)),
        api_key::Column::Id,
        page,
    )
    .await
}

/// The campaigns a key is limited to (empty: all).
pub async fn key_campaigns(db: &impl ConnectionTrait, key_id: Uuid) -> Result<Vec<Uuid>> {
    Ok(api_key_campaign::Entity::find()
        .filter(api_key_campaign::Column::ApiKeyId.eq(key_id))
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.campaign_id)
        .collect())
}

/// Resolves a presented key to the consumer behind it; unknown, revoked and expired
/// keys are all the same `UNAUTHENTICATED`.
///
/// With `known` (the process's [`KnownKeys`] and the change counter read for this
/// request), a key already read at that mark is taken from memory: the counter
/// moves with every change to a key's rights (see [`known_keys`]).
pub async fn authenticate(
    db: &impl ConnectionTrait,
    known: Option<(&KnownKeys, i64)>,
    presented: &str,
    now: DateTime<Utc>,
) -> Result<Principal> {
    let refused = || Error::Unauthenticated("invalid, expired or revoked API key".into());
    if !presented.starts_with(KEY_PREFIX) {
        return Err(refused());
    }
    let secret_hash = sha256_hex(presented.as_bytes());
    let found = match known.and_then(|(keys, mark)| keys.get(&secret_hash, mark)) {
        Some(found) => found,
        None => {
            let key = api_key::Entity::find()
                .filter(api_key::Column::SecretHash.eq(secret_hash.as_str()))
                .one(db)
                .await?
                .ok_or_else(refused)?;
            if key.revoked_at.is_some() {
                return Err(refused());
            }
            let found = Known {
                expires_at: key.expires_at,
                last_used_at: key.last_used_at,
                high_water: known.map_or(0, |(_, mark)| mark),
                consumer: Consumer {
                    key_id: key.id,
                    partner_id: key.partner_id,
                    channel: key.channel,
                    campaign_ids: key_campaigns(db, key.id).await?,
                },
            };
            if let Some((keys, _)) = known {
                keys.put(secret_hash.clone(), found.clone());
            }
            found
        }
    };
    if found.expires_at.is_some_and(|at| at <= now) {
        return Err(refused());
    }
    if found
        .last_used_at
        .is_none_or(|at| (now - at).num_seconds() >= LAST_USED_GRANULARITY_SECS)
    {
        api_key::Entity::update_many()
            .col_expr(api_key::Column::LastUsedAt, Expr::value(now))
            .filter(api_key::Column::Id.eq(found.consumer.key_id))
            .exec(db)
            .await?;
        if let Some((keys, _)) = known {
            keys.used(&secret_hash, now);
        }
    }
    Ok(Principal::Consumer(found.consumer))
}

/// The consumer behind a key id, if the key is still valid: how media links
/// issued to a key are checked again on every request.
pub async fn principal_of_key(
    db: &impl ConnectionTrait,
    key_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Principal> {
    let key = api_key::Entity::find_by_id(key_id)
        .one(db)
        .await?
        .filter(|k| k.revoked_at.is_none() && k.expires_at.is_none_or(|at| at > now))
        .ok_or_else(|| Error::Unauthenticated("invalid, expired or revoked API key".into()))?;
    consumer(db, key).await
}

async fn consumer(db: &impl ConnectionTrait, key: api_key::Model) -> Result<Principal> {
    Ok(Principal::Consumer(Consumer {
        key_id: key.id,
        partner_id: key.partner_id,
        channel: key.channel,
        campaign_ids: key_campaigns(db, key.id).await?,
    }))
}
