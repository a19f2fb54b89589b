//! Connecting to the database (embedded SQLite or PostgreSQL) and migrating it.

use std::{
    future::Future,
    path::Path,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    SqliteTransactionMode, SqlxPostgresConnector, SqlxSqliteConnector, TransactionOptions,
    TransactionTrait,
    sqlx::{postgres::PgPoolOptions, sqlite::SqlitePoolOptions},
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
    let statement_timeout_ms = config.graphql.deadline.as_millis();
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
        .map_sqlx_postgres_opts(move |opts| {
            opts.options([
                ("plan_cache_mode", "force_generic_plan".to_owned()),
                // A query stopped at the deadline drops its statement's future,
                // but the server would finish the statement anyway: no statement
                // may outlive the longest a request may run. Migrations run
                // without it (see `migrate`).
                ("statement_timeout", statement_timeout_ms.to_string()),
            ])
        });
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
/// (the callback is shared by clones, so install it before cloning the pool),
/// and times it into `metrics` (nothing when metrics are closed).
pub fn counted(
    mut db: DatabaseConnection,
    metrics: Arc<crate::metrics::Metrics>,
) -> (DatabaseConnection, Arc<StatementCount>) {
    let count = Arc::new(StatementCount::default());
    let counter = count.clone();
    db.set_metric_callback(move |info| {
        counter.0.fetch_add(1, Ordering::Relaxed);
        metrics.statement(info.elapsed, info.failed);
        // Only inside `with_statement_budget`; background work has none.
        let _ = BUDGET.try_with(|budget| budget.charge());
        crate::telemetry::traces::statement(info);
    });
    (db, count)
}

tokio::task_local! {
    /// The statement budget of the request the current task is serving.
    static BUDGET: Arc<Budget>;
}

/// A request's allowance of statements, charged by the pool's statement
/// callback (see [`counted`]) for every statement run in its task.
#[derive(Debug)]
struct Budget {
    limit: u64,
    spent: AtomicU64,
    /// Told once the limit is passed.
    exhausted: tokio::sync::Notify,
}

impl Budget {
    fn charge(&self) {
        if self.spent.fetch_add(1, Ordering::Relaxed) == self.limit {
            // A stored permit: the waiter may not be polling yet.
            self.exhausted.notify_one();
        }
    }

    fn spent(&self) -> u64 {
        self.spent.load(Ordering::Relaxed)
    }
}

/// The statements a future had run when it passed its budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BudgetSpent(pub u64);

/// Runs `work` with a budget of `limit` SQL statements: once it runs one more, it
/// is dropped (its pending statement with it) and the count is returned. Counts
/// the statements sea-orm runs in this task through a pool made by [`counted`];
/// work spawned onto other tasks is not charged.
pub async fn with_statement_budget<F: Future>(
    limit: u64,
    work: F,
) -> Result<F::Output, BudgetSpent> {
    let budget = Arc::new(Budget {
        limit,
        spent: AtomicU64::new(0),
        exhausted: tokio::sync::Notify::new(),
    });
    let watched = budget.clone();
    BUDGET
        .scope(budget.clone(), async move {
            tokio::select! {
                output = work => Ok(output),
                () = watched.exhausted.notified() => Err(()),
            }
        })
        .await
        .ok()
        // The last statement may have been the one over, and the work done after it.
        .filter(|_| budget.spent() <= limit)
        .ok_or_else(|| BudgetSpent(budget.spent()))
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

/// `column IN (ids)` for a statement run on `backend`. On PostgreSQL the ids go
/// as one array (`= ANY(…)`): the statement is the same for any number of ids,
/// and a generic plan estimates a few rows and looks each id up by its index,
/// where a long `IN` list of parameters is compared with every row of a scan.
/// SQLite has no arrays; it takes [`in_list`].
pub fn id_in(
    backend: DbBackend,
    column: impl sea_orm::sea_query::IntoColumnRef,
    ids: impl IntoIterator<Item = uuid::Uuid>,
) -> sea_orm::sea_query::SimpleExpr {
    use sea_orm::sea_query::{Expr, ExprTrait};
    match backend {
        DbBackend::Postgres => {
            let mut array = String::from("{");
            for (i, id) in ids.into_iter().enumerate() {
                if i > 0 {
                    array.push(',');
                }
                array.push_str(&id.to_string());
            }
            array.push('}');
            // Bound as text and cast once, in a scalar subquery (a plain cast
            // would parse the text again for every row compared); cast again
            // outside, or `ANY` would take the subquery's rows as the set.
            Expr::col(column).eq(sea_orm::sea_query::extension::postgres::PgFunc::any(
                Expr::cust_with_values("(SELECT CAST($1 AS uuid[]))", [array]).cast_as("uuid[]"),
            ))
        }
        _ => Expr::col(column).is_in(in_list(ids)),
    }
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

/// Applies every pending migration, on a connection of their own. On
/// PostgreSQL without the pool's `statement_timeout`: building an index on a
/// large table may take longer than any request may. On SQLite so that a
/// migration's statements all run on one connection: spread over the pool, a
/// statement re-creating a trigger that the one before dropped could run on a
/// connection still reading the schema from before the drop, and fail with
/// "already exists" (seen once in CI with migration 000021).
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    migrate_up(db, None).await
}

/// Applies the next `steps` pending migrations (all of them for `None`), as
/// [`migrate`] does; a restore stops at the level its backup was made at.
pub async fn migrate_up(db: &DatabaseConnection, steps: Option<u32>) -> Result<(), DbErr> {
    let connect_error =
        |e: sea_orm::sqlx::Error| DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e.into()));
    match db.get_database_backend() {
        DbBackend::Postgres => {}
        DbBackend::Sqlite => {
            let shared = db.get_sqlite_connection_pool();
            // Already one connection (an in-memory database lives in its only
            // one, and a new connection would open another): migrate there.
            if shared.options().get_max_connections() <= 1 {
                return Migrator::up(db, steps).await;
            }
            let options = (*shared.connect_options()).clone();
            let pool = SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(options)
                .await
                .map_err(connect_error)?;
            let single = SqlxSqliteConnector::from_sqlx_sqlite_pool(pool);
            let migrated = Migrator::up(&single, steps).await;
            single.close().await.ok();
            return migrated;
        }
        _ => return Migrator::up(db, steps).await,
    }
    let options = (*db.get_postgres_connection_pool().connect_options())
        .clone()
        .options([("statement_timeout", "0")]);
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .map_err(connect_error)?;
    let unbounded = SqlxPostgresConnector::from_sqlx_postgres_pool(pool);
    let migrated = Migrator::up(&unbounded, steps).await;
    unbounded.close().await.ok();
    migrated
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

/// Reads a row's columns by position, in the order a statement selected them.
///
/// Decoding a joined row into models by name costs a `format!` and a name
/// lookup per column (`FromQueryResult` with a prefix); on the consumer read
/// path, where a list page decodes hundreds of joined rows, that was the
/// larger part of the work. A reader is paired with a select list written in
/// the same function, in the same order, and builds the model with a struct
/// literal, so a column added to the entity fails to compile until both are
/// told.
pub struct Columns<'a> {
    row: &'a sea_orm::QueryResult,
    at: usize,
}

impl<'a> Columns<'a> {
    /// A reader starting at column `at`.
    pub fn new(row: &'a sea_orm::QueryResult, at: usize) -> Self {
        Self { row, at }
    }

    /// The next column's value.
    pub fn take<T: sea_orm::TryGetable>(&mut self) -> Result<T, DbErr> {
        let value = self.row.try_get_by_index(self.at);
        self.at += 1;
        value
    }
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
