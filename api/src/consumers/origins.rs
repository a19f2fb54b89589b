//! Partner origins: which web pages may call `/graphql` from a browser (CORS).
//!
//! Admins give each partner a list of origins (`https://host[:port]`). A browser's
//! preflight carries no API key, so the HTTP layer needs to know at once whether
//! *any* partner lists an origin: [`OriginCache`] keeps every list in memory,
//! reloaded right after a change on this node and every [`REFRESH_EVERY`] for
//! changes made on other nodes.

use std::{
    collections::{HashMap, HashSet},
    sync::{
        Arc, RwLock,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};
use entity::{partner, partner_origin};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    audit::{self, Actor, Event},
    auth::{Principal, Role},
    error::{Error, Result},
};

/// How stale the in-memory lists may get when another node changed them.
pub const REFRESH_EVERY: Duration = Duration::from_secs(30);
/// Most origins one partner may list; a partner has a handful of sites.
pub const MAX_PER_PARTNER: usize = 50;
const MAX_ORIGIN_LEN: usize = 300;

/// Checks and normalises one origin: `http` or `https`, a host name or IPv4
/// address, an optional port; lower case, and without the scheme's default port,
/// exactly as browsers send it in the `Origin` header.
pub fn normalize(origin: &str) -> std::result::Result<String, String> {
    let refuse = || {
        format!(
            "`{origin}` is not an origin: expected scheme://host[:port] such as https://stories.example.org, without a path"
        )
    };
    let lower = origin.trim().to_ascii_lowercase();
    if lower.len() > MAX_ORIGIN_LEN {
        return Err(refuse());
    }
    let (scheme, rest) = lower.split_once("://").ok_or_else(refuse)?;
    let default_port = match scheme {
        "https" => "443",
        "http" => "80",
        _ => return Err(refuse()),
    };
    let (host, port) = match rest.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (rest, None),
    };
    let host_ok = !host.is_empty()
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
    if !host_ok {
        return Err(refuse());
    }
    match port {
        None => Ok(format!("{scheme}://{host}")),
        Some(port) if port == default_port => Ok(format!("{scheme}://{host}")),
        Some(port) => match port.parse::<u16>() {
            Ok(n) if n > 0 && !port.starts_with('0') => Ok(format!("{scheme}://{host}:{n}")),
            _ => Err(refuse()),
        },
    }
}

/// A comma-separated list of origins (`CHORUS_CORS_ORIGINS`), normalised.
pub fn parse_list(list: &str) -> std::result::Result<Vec<String>, String> {
    let mut origins = list
        .split(',')
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(normalize)
        .collect::<std::result::Result<Vec<_>, _>>()?;
    origins.sort();
    origins.dedup();
    Ok(origins)
}

/// A partner's origins, sorted.
pub async fn list(db: &impl ConnectionTrait, partner_id: Uuid) -> Result<Vec<String>> {
    Ok(partner_origin::Entity::find()
        .filter(partner_origin::Column::PartnerId.eq(partner_id))
        .order_by_asc(partner_origin::Column::Origin)
        .all(db)
        .await?
        .into_iter()
        .map(|o| o.origin)
        .collect())
}

/// A partner's origins, for admins.
pub async fn partner_origins(
    db: &DatabaseConnection,
    principal: &Principal,
    partner_id: Uuid,
) -> Result<Vec<String>> {
    principal.require_role(&[Role::Admin])?;
    list(db, partner_id).await
}

/// Replaces a partner's origins (admins), audited, and reloads the cache so this
/// node answers with the new list at once. Returns the stored, normalised list.
pub async fn set(
    db: &DatabaseConnection,
    cache: &OriginCache,
    principal: &Principal,
    partner_id: Uuid,
    origins: &[String],
    now: DateTime<Utc>,
) -> Result<Vec<String>> {
    let admin = principal.require_role(&[Role::Admin])?;
    let mut normalized = origins
        .iter()
        .map(|o| normalize(o).map_err(|message| Error::invalid("origins", message)))
        .collect::<Result<Vec<_>>>()?;
    normalized.sort();
    normalized.dedup();
    if normalized.len() > MAX_PER_PARTNER {
        return Err(Error::invalid(
            "origins",
            format!("at most {MAX_PER_PARTNER} origins per partner"),
        ));
    }
    let txn = crate::db::begin_write(db).await?;
    if partner::Entity::find_by_id(partner_id)
        .one(&txn)
        .await?
        .is_none()
    {
        return Err(Error::NotFound("no partner with this id".into()));
    }
    let before = list(&txn, partner_id).await?;
    partner_origin::Entity::delete_many()
        .filter(partner_origin::Column::PartnerId.eq(partner_id))
        .exec(&txn)
        .await?;
    for origin in &normalized {
        partner_origin::ActiveModel {
            partner_id: Set(partner_id),
            origin: Set(origin.clone()),
            created_at: Set(now),
        }
        .insert(&txn)
        .await?;
    }
    audit::record(
        &txn,
        Actor::User(admin.user_id),
        Event::new("partner.origins_set", "partner", partner_id)
            .detail(json!({ "before": before, "after": normalized })),
        now,
    )
    .await?;
    txn.commit().await?;
    // The change is committed; a failed reload only delays it until the next refresh.
    if let Err(e) = cache.reload(db).await {
        e.log_if_internal();
    }
    Ok(normalized)
}

/// Every partner's origins and the configured ones, in memory.
#[derive(Debug, Clone)]
pub struct OriginCache(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    configured: HashSet<String>,
    lists: RwLock<Lists>,
    refreshing: AtomicBool,
}

#[derive(Debug, Default)]
struct Lists {
    by_partner: HashMap<Uuid, HashSet<String>>,
    any_partner: HashSet<String>,
    /// `None` until the first load succeeds.
    loaded_at: Option<Instant>,
}

/// Whose origins a response may be shared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// A request without a (valid) key, or a preflight: any partner's origin.
    AnyPartner,
    /// A key of this partner: only its own origins.
    Partner(Uuid),
    /// Staff, or a key without a partner: only the configured origins.
    OwnSitesOnly,
}

impl OriginCache {
    /// An empty cache that always allows `configured` (`CHORUS_CORS_ORIGINS`).
    pub fn new(configured: &[String]) -> Self {
        Self(Arc::new(Inner {
            configured: configured.iter().cloned().collect(),
            lists: RwLock::new(Lists::default()),
            refreshing: AtomicBool::new(false),
        }))
    }

    /// Reads every partner's origins from the database.
    pub async fn reload(&self, db: &impl ConnectionTrait) -> Result<()> {
        let rows = partner_origin::Entity::find().all(db).await?;
        let mut lists = Lists {
            loaded_at: Some(Instant::now()),
            ..Lists::default()
        };
        for row in rows {
            lists.any_partner.insert(row.origin.clone());
            lists
                .by_partner
                .entry(row.partner_id)
                .or_default()
                .insert(row.origin);
        }
        *self.0.lists.write().unwrap_or_else(|e| e.into_inner()) = lists;
        Ok(())
    }

    /// Reloads in the background when the lists are older than [`REFRESH_EVERY`];
    /// the request that notices does not wait for it.
    pub fn refresh_if_stale(&self, db: &DatabaseConnection) {
        let stale = self
            .0
            .lists
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .loaded_at
            .is_none_or(|at| at.elapsed() >= REFRESH_EVERY);
        if !stale || self.0.refreshing.swap(true, Ordering::AcqRel) {
            return;
        }
        let (cache, db) = (self.clone(), db.clone());
        tokio::spawn(async move {
            if let Err(e) = cache.reload(&db).await {
                e.log_if_internal();
            }
            cache.0.refreshing.store(false, Ordering::Release);
        });
    }

    /// True when a response for `audience` may be read by a page from `origin`.
    pub fn allows(&self, origin: &str, audience: Audience) -> bool {
        if self.0.configured.contains(origin) {
            return true;
        }
        let lists = self.0.lists.read().unwrap_or_else(|e| e.into_inner());
        match audience {
            Audience::AnyPartner => lists.any_partner.contains(origin),
            Audience::Partner(id) => lists
                .by_partner
                .get(&id)
                .is_some_and(|origins| origins.contains(origin)),
            Audience::OwnSitesOnly => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_normalised_as_browsers_send_them() {
        for (given, expected) in [
            ("https://Stories.Example.org", "https://stories.example.org"),
            ("https://example.org:443", "https://example.org"),
            ("http://localhost:3000", "http://localhost:3000"),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
            ("  https://a-b.example  ", "https://a-b.example"),
        ] {
            assert_eq!(normalize(given).as_deref(), Ok(expected), "{given}");
        }
    }

    #[test]
    fn anything_but_scheme_host_port_is_refused() {
        for bad in [
            "example.org",
            "*",
            "https://*.example.org",
            "https://example.org/",
            "https://example.org/path",
            "ftp://example.org",
            "https://user@example.org",
            "https://example.org:0",
            "https://example.org:99999",
            "https://example.org:80a",
            "https://",
            "https://-bad.example",
            "https://exa mple.org",
            "https://example..org",
            "null",
        ] {
            assert!(normalize(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_list_is_split_on_commas_and_deduplicated() {
        assert_eq!(
            parse_list("https://a.org, https://A.org ,http://b.org:8080,").unwrap(),
            vec!["http://b.org:8080", "https://a.org"]
        );
        assert!(parse_list("https://a.org,nope").is_err());
    }

    #[test]
    fn configured_origins_are_allowed_for_every_audience() {
        let cache = OriginCache::new(&["https://admin.example.org".to_owned()]);
        for audience in [
            Audience::AnyPartner,
            Audience::Partner(Uuid::now_v7()),
            Audience::OwnSitesOnly,
        ] {
            assert!(cache.allows("https://admin.example.org", audience));
            assert!(!cache.allows("https://other.example.org", audience));
        }
    }
}
