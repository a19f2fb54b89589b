//! Loading a backup into an empty instance: check everything, then write.
//!
//! Order: the manifest and every hash are checked and the target is found
//! empty before anything is written; then the database is migrated to the
//! backup's level, the rows load in one transaction (parents first, the
//! search index rebuilt, the change log and its counter last and exactly as
//! backed up), the rest of the
//! migrations run, and the objects are uploaded and their sizes checked.

use std::collections::HashSet;

use futures_util::StreamExt;
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, Statement};
use tokio::io::AsyncBufReadExt;

use super::{
    BackupError, CHANGE_LOG, Place,
    dump::known_migrations,
    encoding, entity_tables,
    manifest::{self, Manifest, TableFile},
    schema::{self, checked_name},
    spool,
};
use crate::{
    crypto::KeyRing,
    storage::{ObjectStore, StorageError},
};

/// Rows inserted per statement.
const BATCH: usize = 100;

/// Restores the backup at `from` into the database `db` and the store `store`,
/// which must hold nothing yet; `keys` must hold every key the backup names.
pub async fn restore(
    db: &DatabaseConnection,
    store: &dyn ObjectStore,
    keys: &KeyRing,
    from: &Place,
) -> Result<Manifest, BackupError> {
    let manifest = read_manifest(from).await?;
    check_compatible(&manifest, keys)?;
    verify(from, &manifest).await?;
    check_empty(db, store).await?;

    let applied = schema::applied_migrations(db).await?.len();
    let level = manifest.migrations.len();
    if applied < level {
        let steps = u32::try_from(level - applied).unwrap_or(u32::MAX);
        crate::db::migrate_up(db, Some(steps)).await?;
    }
    let txn = crate::db::begin_write(db).await?;
    load(&txn, from, &manifest).await?;
    txn.commit().await?;
    crate::db::migrate(db).await?;

    let staging = tempfile::tempdir()?;
    let temp = staging.path().join("object");
    for object in manifest.objects.iter().filter(|o| !o.missing) {
        let (Some(file), Some(size)) = (&object.file, object.size) else {
            continue;
        };
        let read = from.store.get(&from.key(file), None).await?;
        let (copied, sha256) = spool(read.bytes, Some(&temp)).await?;
        if copied != size || Some(&sha256) != object.sha256.as_ref() {
            return Err(BackupError::Damaged(format!(
                "{file} changed while it was restored"
            )));
        }
        store
            .put_file(&object.key, &temp, &object.content_type)
            .await?;
        let stored = store.head(&object.key).await?;
        if stored.size != size {
            return Err(BackupError::Damaged(format!(
                "{} was stored with {} bytes, not {size}",
                object.key, stored.size
            )));
        }
    }
    Ok(manifest)
}

async fn read_manifest(from: &Place) -> Result<Manifest, BackupError> {
    let read = match from.store.get(&from.key(manifest::FILE), None).await {
        Ok(read) => read,
        Err(StorageError::NotFound) => {
            return Err(BackupError::Usage(format!(
                "{} has no manifest.json: it is not a Chorus backup, or its backup did not finish",
                from.location
            )));
        }
        Err(e) => return Err(e.into()),
    };
    let mut bytes = Vec::new();
    let mut stream = read.bytes;
    while let Some(chunk) = stream.next().await {
        bytes.extend_from_slice(&chunk?);
    }
    Manifest::from_bytes(&bytes).map_err(|e| BackupError::Damaged(e.to_string()))
}

/// Refuses a backup this Chorus cannot load, or whose keys it lacks.
fn check_compatible(manifest: &Manifest, keys: &KeyRing) -> Result<(), BackupError> {
    if manifest.format != manifest::FORMAT {
        return Err(BackupError::Usage(format!(
            "the backup's format {} is not one this Chorus reads ({})",
            manifest.format,
            manifest::FORMAT
        )));
    }
    let known = known_migrations();
    if let Some(unknown) = manifest
        .migrations
        .iter()
        .enumerate()
        .find(|(i, name)| known.get(*i) != Some(*name))
        .map(|(_, name)| name)
    {
        return Err(BackupError::Usage(format!(
            "the backup was made by a newer Chorus ({}; migration {unknown} is unknown here): \
             restore it with that version or a later one",
            manifest.chorus_version
        )));
    }
    let copiers = entity_tables();
    if let Some(table) = manifest
        .tables
        .iter()
        .find(|t| !copiers.iter().any(|c| c.table() == t.table))
    {
        return Err(BackupError::Usage(format!(
            "the backup has a table {} this Chorus does not know",
            table.table
        )));
    }
    if let Some(id) = manifest
        .encryption_key_ids
        .iter()
        .find(|id| !keys.has_key(id))
    {
        return Err(BackupError::Usage(format!(
            "personal data in the backup is encrypted with key `{id}`, which is neither \
             CHORUS_ENCRYPTION_KEY nor in CHORUS_ENCRYPTION_OLD_KEYS: configure the key the \
             backed-up instance used"
        )));
    }
    Ok(())
}

/// Checks every file's and object's size and hash against the manifest.
async fn verify(from: &Place, manifest: &Manifest) -> Result<(), BackupError> {
    let files = manifest
        .tables
        .iter()
        .map(|t| (t.file.as_str(), Some(t.size), Some(t.sha256.as_str())))
        .chain(
            manifest
                .objects
                .iter()
                .filter(|o| !o.missing)
                .map(|o| (o.file.as_deref().unwrap_or(""), o.size, o.sha256.as_deref())),
        );
    for (file, size, sha256) in files {
        let damaged = |why: &str| {
            BackupError::Damaged(format!(
                "{file} {why}: the backup is damaged, nothing was restored"
            ))
        };
        let read = match from.store.get(&from.key(file), None).await {
            Ok(read) => read,
            Err(StorageError::NotFound) | Err(StorageError::InvalidKey(_)) => {
                return Err(damaged("is missing"));
            }
            Err(e) => return Err(e.into()),
        };
        let (actual_size, actual_sha) = spool(read.bytes, None).await?;
        if Some(actual_size) != size {
            return Err(damaged("does not have the size the manifest gives"));
        }
        if Some(actual_sha.as_str()) != sha256 {
            return Err(damaged("does not match its hash in the manifest"));
        }
    }
    Ok(())
}

/// Refuses an instance that holds anything beyond what migrations seed (the
/// platform organisation, the change counter).
async fn check_empty(db: &DatabaseConnection, store: &dyn ObjectStore) -> Result<(), BackupError> {
    let present: HashSet<String> = schema::tables(db).await?.into_iter().collect();
    for copier in entity_tables() {
        let table = copier.table();
        if !present.contains(table) {
            continue;
        }
        let seeded = if table == "organisations" {
            format!(
                " WHERE id <> '{}'",
                entity::organisation::PLATFORM_ID.hyphenated()
            )
        } else {
            String::new()
        };
        let sql = format!("SELECT 1 FROM \"{table}\"{seeded} LIMIT 1");
        let row = db
            .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
            .await?;
        if row.is_some() {
            return Err(BackupError::Usage(format!(
                "the target database is not empty (the table {table} has rows): restore into a \
                 new, empty instance"
            )));
        }
    }
    if !store.list("").await?.is_empty() {
        return Err(BackupError::Usage(
            "the target media store is not empty: restore into a new, empty store".into(),
        ));
    }
    Ok(())
}

/// Loads every table, then the change log and its counter, then moves
/// PostgreSQL's sequences past the loaded ids.
async fn load(
    txn: &DatabaseTransaction,
    from: &Place,
    manifest: &Manifest,
) -> Result<(), BackupError> {
    let backend = txn.get_database_backend();
    let keys = schema::foreign_keys(txn).await?;
    let copiers = entity_tables();
    // The target's keys decide the order: SQLite lacks some that PostgreSQL
    // has (a column added later cannot get one there).
    let names: Vec<&str> = manifest.tables.iter().map(|t| t.table.as_str()).collect();
    let ordered: Vec<&TableFile> = schema::load_order(&names, &keys)?
        .iter()
        .filter_map(|name| manifest.tables.iter().find(|t| &t.table == name))
        .collect();
    // Rows the migrations seeded are replaced by the backup's.
    for table in ordered.iter().rev() {
        let sql = format!("DELETE FROM \"{}\"", checked_name(&table.table)?);
        txn.execute_raw(Statement::from_string(backend, sql))
            .await?;
    }
    let (log, tables): (Vec<&TableFile>, Vec<&TableFile>) =
        ordered.into_iter().partition(|t| t.table == CHANGE_LOG);
    for table in tables {
        let self_keys: Vec<(usize, usize)> = keys
            .iter()
            .filter(|k| k.table == table.table && k.parent == table.table)
            .filter_map(|k| {
                let at = |name: &str| table.columns.iter().position(|c| c.name == name);
                Some((at(&k.column)?, at(&k.parent_column)?))
            })
            .collect();
        load_table(txn, from, table, &copiers, &self_keys).await?;
    }
    crate::stories::search::rebuild_index(txn).await?;
    // The loads above fired the change-log triggers: the backup's log replaces
    // what they wrote, and its counter theirs.
    let sql = format!("DELETE FROM \"{CHANGE_LOG}\"");
    txn.execute_raw(Statement::from_string(backend, sql))
        .await?;
    for table in log {
        load_table(txn, from, table, &copiers, &[]).await?;
    }
    for (table, rows) in &manifest.counters {
        for row in rows {
            let Some(id) = row.get("id") else { continue };
            let sets: Vec<String> = row
                .iter()
                .filter(|(name, _)| name.as_str() != "id")
                .map(|(name, value)| Ok(format!("\"{}\" = {value}", checked_name(name)?)))
                .collect::<Result<_, sea_orm::DbErr>>()?;
            let table = checked_name(table)?;
            let updated = txn
                .execute_raw(Statement::from_string(
                    backend,
                    format!("UPDATE \"{table}\" SET {} WHERE id = {id}", sets.join(", ")),
                ))
                .await?;
            if updated.rows_affected() == 0 {
                let names: Vec<String> = row.keys().map(|n| format!("\"{n}\"")).collect();
                let values: Vec<String> = row.values().map(i64::to_string).collect();
                txn.execute_raw(Statement::from_string(
                    backend,
                    format!(
                        "INSERT INTO \"{table}\" ({}) VALUES ({})",
                        names.join(", "),
                        values.join(", ")
                    ),
                ))
                .await?;
            }
        }
    }
    if backend == DbBackend::Postgres {
        for (table, column) in schema::sequenced_columns(txn).await? {
            let (t, c) = (checked_name(&table)?, checked_name(&column)?);
            let sql = format!(
                "SELECT setval(pg_get_serial_sequence('\"{t}\"', '{c}'), \
                 COALESCE((SELECT MAX(\"{c}\") FROM \"{t}\"), 0) + 1, false)"
            );
            txn.query_one_raw(Statement::from_string(backend, sql))
                .await?;
        }
    }
    Ok(())
}

/// Loads one table file in batches. A table with a key to itself (`self_keys`:
/// column → referenced column) is ordered so that each row comes after the row
/// it names.
async fn load_table(
    txn: &DatabaseTransaction,
    from: &Place,
    table: &TableFile,
    copiers: &[Box<dyn super::table::TableCopy>],
    self_keys: &[(usize, usize)],
) -> Result<(), BackupError> {
    let Some(copier) = copiers.iter().find(|c| c.table() == table.table) else {
        return Ok(());
    };
    let columns: Vec<String> = table.columns.iter().map(|c| c.name.clone()).collect();
    let read = from.store.get(&from.key(&table.file), None).await?;
    let mut lines = tokio_util::io::StreamReader::new(read.bytes).lines();
    let mut rows: Vec<Vec<serde_json::Value>> = Vec::new();
    while let Some(line) = lines.next_line().await? {
        let row: Vec<serde_json::Value> = serde_json::from_str(&line).map_err(|e| {
            BackupError::Damaged(format!("{}: a row does not parse: {e}", table.file))
        })?;
        rows.push(row);
        if self_keys.is_empty() && rows.len() == BATCH {
            insert(
                txn,
                copier.as_ref(),
                table,
                &columns,
                std::mem::take(&mut rows),
            )
            .await?;
        }
    }
    if !self_keys.is_empty() {
        rows = parents_first(rows, self_keys);
        for batch in rows.chunks(BATCH) {
            insert(txn, copier.as_ref(), table, &columns, batch.to_vec()).await?;
        }
        return Ok(());
    }
    insert(txn, copier.as_ref(), table, &columns, rows).await
}

async fn insert(
    txn: &DatabaseTransaction,
    copier: &dyn super::table::TableCopy,
    table: &TableFile,
    columns: &[String],
    rows: Vec<Vec<serde_json::Value>>,
) -> Result<(), BackupError> {
    let mut values = Vec::with_capacity(rows.len());
    for row in rows {
        let decoded = table
            .columns
            .iter()
            .zip(&row)
            .map(|(column, json)| match column.kind {
                Some(kind) => encoding::decode(kind, json).map_err(|e| {
                    BackupError::Damaged(format!("{}.{}: {e}", table.table, column.name))
                }),
                None => Err(BackupError::Damaged(format!(
                    "{}.{} has rows but no kind",
                    table.table, column.name
                ))),
            })
            .collect::<Result<Vec<_>, _>>()?;
        values.push(decoded);
    }
    copier.insert(txn, columns, values).await?;
    Ok(())
}

/// `rows` reordered so that a row naming another row of the same table
/// through `keys` (column → referenced column) comes after it.
fn parents_first(
    rows: Vec<Vec<serde_json::Value>>,
    keys: &[(usize, usize)],
) -> Vec<Vec<serde_json::Value>> {
    let all: HashSet<String> = rows
        .iter()
        .flat_map(|row| keys.iter().map(|(_, to)| row[*to].to_string()))
        .collect();
    let mut placed: HashSet<String> = HashSet::new();
    let mut left = rows;
    let mut out = Vec::with_capacity(left.len());
    while !left.is_empty() {
        let (ready, waiting): (Vec<_>, Vec<_>) = left.into_iter().partition(|row| {
            keys.iter().all(|(from, _)| {
                let named = row[*from].to_string();
                row[*from].is_null() || placed.contains(&named) || !all.contains(&named)
            })
        });
        if ready.is_empty() {
            // A cycle: let the database say which row is wrong.
            out.extend(waiting);
            break;
        }
        for row in &ready {
            for (_, to) in keys {
                placed.insert(row[*to].to_string());
            }
        }
        out.extend(ready);
        left = waiting;
    }
    out
}
