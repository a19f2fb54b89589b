//! What wakes live readers (GraphQL subscriptions, `graphql::subscriptions`):
//! a counter raised whenever something a subscriber may care about was
//! written, by any node. On PostgreSQL, triggers (migration 000020) `NOTIFY`
//! the channel `chorus_live` when the story change counter moves (every logged
//! write to a story, every change to what a key may read) and when an audit
//! event is recorded; every node `LISTEN`s and raises its counter. On SQLite
//! (one process) the counter and the audit log are looked at a few times a
//! second instead. A woken subscriber reads what changed from the database
//! itself, so a wake-up carries nothing and one too many is harmless.
//!
//! It also counts the live connections of each API key and staff member, so
//! that one key cannot hold the server's sockets.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use entity::audit_event;
use sea_orm::{
    DatabaseConnection, DbBackend, EntityTrait, QueryOrder, QuerySelect, sqlx::postgres::PgListener,
};
use tokio::sync::watch;
use uuid::Uuid;

/// The channel the triggers notify.
pub const CHANNEL: &str = "chorus_live";
/// How often SQLite is looked at.
const POLL: Duration = Duration::from_millis(200);
/// The wait before listening again after the listening connection failed.
const RECONNECT: Duration = Duration::from_secs(1);

/// The wake-up counter and the live connections; shared by every request.
#[derive(Debug)]
pub struct Live {
    wake: watch::Sender<u64>,
    connections: Mutex<HashMap<Uuid, u32>>,
}

impl Default for Live {
    fn default() -> Self {
        Self {
            wake: watch::channel(0).0,
            connections: Mutex::new(HashMap::new()),
        }
    }
}

impl Live {
    /// Something was written: wake every subscriber.
    pub fn raise(&self) {
        self.wake.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// A receiver that sees every raise after this call.
    pub fn woken(&self) -> watch::Receiver<u64> {
        self.wake.subscribe()
    }

    /// True while some subscription is waiting to be woken.
    fn watched(&self) -> bool {
        self.wake.receiver_count() > 0
    }

    /// Counts a live connection of `holder` (a key or a staff member), unless it
    /// already holds `limit`; the connection ends when the guard drops.
    pub fn admit(self: &Arc<Self>, holder: Uuid, limit: u32) -> Option<ConnectionGuard> {
        let mut connections = self.connections.lock().unwrap_or_else(|p| p.into_inner());
        let held = connections.entry(holder).or_insert(0);
        if *held >= limit {
            return None;
        }
        *held += 1;
        Some(ConnectionGuard {
            live: self.clone(),
            holder,
        })
    }
}

/// One admitted live connection; dropping it frees its place.
#[derive(Debug)]
pub struct ConnectionGuard {
    live: Arc<Live>,
    holder: Uuid,
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        let mut connections = self
            .live
            .connections
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(held) = connections.get_mut(&self.holder) {
            *held = held.saturating_sub(1);
            if *held == 0 {
                connections.remove(&self.holder);
            }
        }
    }
}

/// Raises `live` for every write any node makes, until `stop` turns true.
pub async fn watch_writes(
    db: DatabaseConnection,
    database_url: String,
    live: Arc<Live>,
    mut stop: watch::Receiver<bool>,
) {
    match db.get_database_backend() {
        DbBackend::Postgres => loop {
            tokio::select! {
                outcome = listen(&database_url, &live) => {
                    if let Err(err) = outcome {
                        tracing::warn!(error = %err, "lost the live notifications; listening again");
                    }
                }
                _ = stop.changed() => return,
            }
            tokio::select! {
                _ = tokio::time::sleep(RECONNECT) => {}
                _ = stop.changed() => return,
            }
        },
        _ => {
            let mut seen = None;
            loop {
                // Nobody subscribed, nothing to look at: an idle server sends
                // no statements.
                if !live.watched() {
                    seen = None;
                } else {
                    match marks(&db).await {
                        Ok(now) => {
                            // The first look after a subscriber came may follow a
                            // write it has not read: wake it once to be sure.
                            if seen.is_none_or(|s| s != now) {
                                live.raise();
                            }
                            seen = Some(now);
                        }
                        Err(err) => {
                            err.log_if_internal();
                        }
                    }
                }
                tokio::select! {
                    _ = tokio::time::sleep(POLL) => {}
                    _ = stop.changed() => return,
                }
            }
        }
    }
}

/// Listens on PostgreSQL until the connection fails.
async fn listen(database_url: &str, live: &Live) -> Result<(), sea_orm::sqlx::Error> {
    let mut listener = PgListener::connect(database_url).await?;
    listener.listen(CHANNEL).await?;
    // Anything written while no one listened is read now.
    live.raise();
    loop {
        listener.recv().await?;
        live.raise();
    }
}

/// Where the story change counter and the audit log stand.
async fn marks(db: &DatabaseConnection) -> crate::error::Result<(i64, Option<Uuid>)> {
    let version = crate::stories::changes::version(db).await?;
    let last_audit = audit_event::Entity::find()
        .select_only()
        .column(audit_event::Column::Id)
        .order_by_desc(audit_event::Column::Id)
        .limit(1)
        .into_tuple::<Uuid>()
        .one(db)
        .await?;
    Ok((version, last_audit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_holder_keeps_at_most_its_limit_of_connections() {
        let live = Arc::new(Live::default());
        let key = Uuid::now_v7();
        let first = live.admit(key, 2).expect("first");
        let _second = live.admit(key, 2).expect("second");
        assert!(live.admit(key, 2).is_none(), "a third is refused");
        assert!(live.admit(Uuid::now_v7(), 2).is_some(), "per holder");
        drop(first);
        assert!(live.admit(key, 2).is_some(), "a place freed is taken again");
    }

    #[tokio::test]
    async fn a_raise_wakes_every_receiver() {
        let live = Live::default();
        let (mut a, mut b) = (live.woken(), live.woken());
        live.raise();
        a.changed().await.expect("a woken");
        b.changed().await.expect("b woken");
    }
}
