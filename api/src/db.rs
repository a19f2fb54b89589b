//! Connecting to the database (embedded SQLite or PostgreSQL) and migrating it.

use std::{
    path::Path,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

use crate::{config::Config, owner_only};

/// Opens a connection pool. The pool connects lazily, so a server started with
/// migrations off comes up even while the database is away and reports it on
/// `/readyz`; the first query then connects.
pub async fn connect(config: &Config) -> Result<DatabaseConnection, DbErr> {
    if let Some(path) = sqlite_path(&config.database_url) {
        let path = Path::new(path);
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            owner_only::create_dir_all(parent).map_err(|e| {
                DbErr::Custom(format!(
                    "cannot create the directory {}: {e}",
                    parent.display()
                ))
            })?;
        }
        // SQLite would create the file `0644`, and its `-wal` and `-shm` take
        // the database file's mode: an owner-only file first keeps all three
        // so. Only where the URL lets SQLite create it (`mode=rwc`).
        if config.database_url.contains("mode=rwc") {
            owner_only::create_file(path).map_err(|e| {
                DbErr::Custom(format!(
                    "cannot create the database {}: {e}",
                    path.display()
                ))
            })?;
        }
    }
    let mut options = ConnectOptions::new(config.database_url.clone());
    options
        .max_connections(config.database_max_connections)
        .min_connections(0)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(5))
        .connect_lazy(true)
        .sqlx_logging(false)
        // Several readers alongside one writer, and writers wait for each other
        // instead of failing with "database is locked".
        .map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                // Erased personal data must not linger in the file's free pages.
                .pragma("secure_delete", "ON")
        })
        // Plan each prepared statement once per connection. Chorus's statements
        // are short lookups whose custom plans cost several times more to make
        // than to run (a by-slug read planned 0.2-0.7 ms per statement to run in
        // 0.05), and PostgreSQL keeps making them where the generic plan's
        // estimate looks worse, which for IN lists and EXISTS it usually does.
        .map_sqlx_postgres_opts(|opts| opts.options([("plan_cache_mode", "force_generic_plan")]));
    Database::connect(options).await
}

/// How many SQL statements the process has sent through its pool since it
/// started: every statement sea-orm runs (queries and writes, inside
/// transactions or not, failed ones too) adds one; what sqlx does on its own
/// (connecting, `BEGIN`/`COMMIT`, preparing) does not. Tests read it as a
/// difference around one request to bound the statements a request costs. One
/// relaxed atomic add per statement: nothing measurable beside the statement.
#[derive(Debug, Default)]
pub struct StatementCount(AtomicU64);

impl StatementCount {
    /// The statements counted so far.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Counts every statement of `db` and of every clone made from it afterwards
/// (the callback is shared by clones, so install it before cloning the pool).
pub fn counted(mut db: DatabaseConnection) -> (DatabaseConnection, Arc<StatementCount>) {
    let count = Arc::new(StatementCount::default());
    let counter = count.clone();
    db.set_metric_callback(move |_| {
        counter.0.fetch_add(1, Ordering::Relaxed);
    });
    (db, count)
}

/// Ids for an `IN (…)` list, without duplicates and padded to the next power of
/// two by repeating the last one (which changes nothing in `IN`). The list's
/// SQL then has one of a few lengths (1, 2, 4 … 128 for a page of up to 100),
/// so sqlx's per-connection cache of prepared statements holds one statement
/// per length rather than one per page size, and the values stay bound
/// parameters.
pub fn in_list(ids: impl IntoIterator<Item = uuid::Uuid>) -> Vec<uuid::Uuid> {
    let mut seen = std::collections::HashSet::new();
    let mut out: Vec<uuid::Uuid> = ids.into_iter().filter(|id| seen.insert(*id)).collect();
    if let Some(&last) = out.last() {
        out.resize(out.len().next_power_of_two(), last);
    }
    out
}

/// Starts a transaction that will write. On SQLite it takes the write lock at
/// once (`BEGIN IMMEDIATE`): a deferred transaction that reads first and writes
/// later cannot wait for another writer, it fails with "database is locked" if
/// one committed in between (the worker rendering or expiring while an editor
/// saves). PostgreSQL ignores the mode.
pub async fn begin_write(
    db: &impl TransactionTrait<Transaction = DatabaseTransaction>,
) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// True when the database answers.
pub async fn is_ready(db: &DatabaseConnection) -> bool {
    matches!(
        tokio::time::timeout(Duration::from_secs(3), db.ping()).await,
        Ok(Ok(()))
    )
}

/// The file path inside a `sqlite:` URL, unless it is an in-memory database.
fn sqlite_path(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then_some(path)
}

#[cfg(test)]
mod tests {
    use super::{in_list, sqlite_path};

    #[test]
    fn in_lists_are_deduplicated_and_padded_to_a_power_of_two() {
        let ids: Vec<uuid::Uuid> = (0..5).map(|_| uuid::Uuid::now_v7()).collect();
        assert!(in_list([]).is_empty());
        assert_eq!(in_list([ids[0], ids[0]]), vec![ids[0]]);
        let padded = in_list(ids.iter().copied().chain([ids[1]]));
        assert_eq!(padded.len(), 8);
        assert_eq!(&padded[..5], &ids[..]);
        assert!(padded[5..].iter().all(|id| *id == ids[4]));
        let page: Vec<uuid::Uuid> = (0..100).map(|_| uuid::Uuid::now_v7()).collect();
        assert_eq!(in_list(page).len(), 128);
    }

    #[test]
    fn sqlite_paths_are_read_from_urls() {
        assert_eq!(
            sqlite_path("sqlite://./data/chorus.db?mode=rwc"),
            Some("./data/chorus.db")
        );
        assert_eq!(sqlite_path("sqlite:/tmp/x.db"), Some("/tmp/x.db"));
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert_eq!(sqlite_path("postgres://localhost/chorus"), None);
    }
}
