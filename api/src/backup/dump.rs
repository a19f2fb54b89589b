//! Making a backup: every table read inside one snapshot, then the objects the
//! snapshot references, then the manifest (last, so its presence means done).

use std::{
    collections::{BTreeMap, BTreeSet},
    io::Write,
    path::Path,
};

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    AccessMode, DatabaseConnection, DatabaseTransaction, DbBackend, IsolationLevel,
    TransactionTrait, Value,
};
use sha2::Digest;

use super::{
    BackupError, COUNTER_TABLES, Coverage, OBJECT_COLUMNS, Place, coverage,
    encoding::{self, Kind},
    entity_tables,
    manifest::{self, Column, Manifest, Object, TableFile},
    schema,
    table::TableCopy,
};
use crate::storage::{ObjectStore, StorageError};

/// Rows read per statement.
const PAGE: u64 = 500;

/// The names of the migrations this Chorus knows, in order.
pub fn known_migrations() -> Vec<String> {
    Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect()
}

/// What the rows of the snapshot point at.
#[derive(Default)]
struct Found {
    key_ids: BTreeSet<String>,
    /// Object key → its MIME type, when a column names it.
    objects: BTreeMap<String, Option<String>>,
}

/// Backs up the database `db` and the objects in `store` to `to`, which must
/// be empty. Chorus may keep serving meanwhile.
pub async fn backup(
    db: &DatabaseConnection,
    store: &dyn ObjectStore,
    to: &Place,
) -> Result<Manifest, BackupError> {
    if !to.is_empty().await? {
        return Err(BackupError::Usage(format!(
            "{} is not empty: back up into a new or empty directory or prefix",
            to.location
        )));
    }
    let staging = tempfile::tempdir()?;
    let backend = db.get_database_backend();
    // One snapshot for every table: PostgreSQL's repeatable read; SQLite in
    // WAL mode reads one snapshot for a whole read transaction.
    let snapshot = match backend {
        DbBackend::Postgres => {
            db.begin_with_config(
                Some(IsolationLevel::RepeatableRead),
                Some(AccessMode::ReadOnly),
            )
            .await?
        }
        _ => db.begin().await?,
    };
    let migrations = schema::applied_migrations(&snapshot).await?;
    let created_at = crate::clock::now();
    if migrations != known_migrations() {
        return Err(BackupError::Usage(format!(
            "the database has {} migrations applied and this Chorus knows {}: back up with the \
             Chorus version that serves it (or run `chorus migrate` first)",
            migrations.len(),
            known_migrations().len()
        )));
    }
    let present = schema::tables(&snapshot).await?;
    if let Some(unknown) = present.iter().find(|t| coverage(t) == Coverage::Unknown) {
        return Err(BackupError::Usage(format!(
            "the table {unknown} is neither backed up nor rebuilt by this Chorus: use the Chorus \
             version that made it"
        )));
    }
    let copiers = entity_tables();
    let names: Vec<&str> = copiers.iter().map(|c| c.table()).collect();
    let keys = schema::foreign_keys(&snapshot).await?;
    let mut found = Found::default();
    let mut tables = Vec::new();
    for name in schema::load_order(&names, &keys)? {
        let copier = copiers
            .iter()
            .find(|c| c.table() == name)
            .ok_or_else(|| BackupError::Usage(format!("no copier for {name}")))?;
        let file = format!("tables/{name}.jsonl");
        let path = staging.path().join(format!("{name}.jsonl"));
        tables.push(dump_table(&snapshot, copier.as_ref(), &file, &path, &mut found).await?);
    }
    let mut counters = BTreeMap::new();
    for table in COUNTER_TABLES {
        counters.insert(
            (*table).to_owned(),
            schema::integer_rows(&snapshot, table).await?,
        );
    }
    // Read only: nothing to keep.
    snapshot.rollback().await?;

    for table in &tables {
        let path = staging.path().join(format!("{}.jsonl", table.table));
        to.store
            .put_file(&to.key(&table.file), &path, "application/jsonl")
            .await?;
    }
    let mut objects = Vec::with_capacity(found.objects.len());
    for (key, content_type) in &found.objects {
        objects.push(copy_object(store, to, key, content_type.as_deref(), staging.path()).await?);
    }
    let manifest = Manifest {
        format: manifest::FORMAT,
        chorus_version: env!("CARGO_PKG_VERSION").into(),
        created_at,
        source_backend: match backend {
            DbBackend::Postgres => "postgres".into(),
            _ => "sqlite".into(),
        },
        migrations,
        encryption_key_ids: found.key_ids.into_iter().collect(),
        tables,
        counters,
        objects,
    };
    let path = staging.path().join(manifest::FILE);
    std::fs::write(&path, manifest.to_bytes())?;
    to.store
        .put_file(&to.key(manifest::FILE), &path, "application/json")
        .await?;
    Ok(manifest)
}

/// Writes one table's rows to `path`, one JSON array per line.
async fn dump_table(
    snapshot: &DatabaseTransaction,
    copier: &dyn TableCopy,
    file: &str,
    path: &Path,
    found: &mut Found,
) -> Result<TableFile, BackupError> {
    let table = copier.table();
    let names = copier.columns();
    let mut kinds: Vec<Option<Kind>> = vec![None; names.len()];
    let encrypted: Vec<bool> = names
        .iter()
        .map(|n| super::is_encrypted(table, n))
        .collect();
    let object_column = |column: &str| {
        OBJECT_COLUMNS
            .iter()
            .find(|(t, c, _)| *t == table && *c == column)
    };
    let key_at = names.iter().position(|n| object_column(n).is_some());
    let mime_at = key_at
        .and_then(|at| object_column(names[at]))
        .and_then(|(_, _, mime)| *mime)
        .and_then(|mime| names.iter().position(|n| *n == mime));

    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut hasher = sha2::Sha256::new();
    let (mut rows, mut size) = (0u64, 0u64);
    let mut line = Vec::new();
    let mut after = None;
    loop {
        let (page, last) = copier.page(snapshot, after.take(), PAGE).await?;
        after = last;
        let fetched = page.len() as u64;
        for row in page {
            let mut encoded = Vec::with_capacity(row.len());
            for (i, value) in row.iter().enumerate() {
                let (kind, json) =
                    encoding::encode(value).map_err(|source| BackupError::Encoding {
                        table: table.to_owned(),
                        column: names[i].to_owned(),
                        source,
                    })?;
                match kinds[i] {
                    None => kinds[i] = Some(kind),
                    Some(known) if known != kind => {
                        return Err(BackupError::Encoding {
                            table: table.to_owned(),
                            column: names[i].to_owned(),
                            source: encoding::EncodingError::Mixed(known, kind),
                        });
                    }
                    Some(_) => {}
                }
                if encrypted[i]
                    && let Value::String(Some(stored)) = value
                    && let Some(id) = crate::crypto::key_id_of(stored)
                {
                    found.key_ids.insert(id.to_owned());
                }
                encoded.push(json);
            }
            if let Some(at) = key_at
                && let Value::String(Some(key)) = &row[at]
            {
                let mime = mime_at.and_then(|m| match &row[m] {
                    Value::String(Some(mime)) => Some(mime.clone()),
                    _ => None,
                });
                let entry = found.objects.entry(key.clone()).or_default();
                if entry.is_none() {
                    *entry = mime;
                }
            }
            line.clear();
            serde_json::to_writer(&mut line, &encoded).map_err(std::io::Error::other)?;
            line.push(b'\n');
            hasher.update(&line);
            out.write_all(&line)?;
            size += line.len() as u64;
        }
        rows += fetched;
        if fetched < PAGE {
            break;
        }
    }
    out.flush()?;
    Ok(TableFile {
        table: table.to_owned(),
        file: file.to_owned(),
        columns: names
            .iter()
            .zip(kinds)
            .map(|(name, kind)| Column {
                name: (*name).to_owned(),
                kind,
            })
            .collect(),
        rows,
        size,
        sha256: hex::encode(hasher.finalize()),
    })
}

/// Copies one object into the backup through a file in `staging`; an object
/// deleted since the snapshot is recorded as missing.
async fn copy_object(
    store: &dyn ObjectStore,
    to: &Place,
    key: &str,
    content_type: Option<&str>,
    staging: &Path,
) -> Result<Object, BackupError> {
    let content_type = content_type
        .unwrap_or("application/octet-stream")
        .to_owned();
    let missing = || Object {
        key: key.to_owned(),
        content_type: content_type.clone(),
        file: None,
        size: None,
        sha256: None,
        missing: true,
    };
    let read = match store.get(key, None).await {
        Ok(read) => read,
        Err(StorageError::NotFound) => return Ok(missing()),
        Err(e) => return Err(e.into()),
    };
    let temp = staging.join("object");
    let (size, sha256) = match super::spool(read.bytes, Some(&temp)).await {
        Ok(done) => done,
        // Erased between the open and the last byte.
        Err(BackupError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(missing());
        }
        Err(e) => return Err(e),
    };
    let file = format!("objects/{key}");
    to.store
        .put_file(&to.key(&file), &temp, &content_type)
        .await?;
    std::fs::remove_file(&temp)?;
    Ok(Object {
        key: key.to_owned(),
        content_type,
        file: Some(file),
        size: Some(size),
        sha256: Some(sha256),
        missing: false,
    })
}

/// The moment a manifest's snapshot was read, for summaries.
pub fn describe(manifest: &Manifest) -> String {
    format!(
        "{} tables, {} rows, {} objects ({} bytes; {} missing), snapshot of {}",
        manifest.tables.len(),
        manifest.rows(),
        manifest.objects.iter().filter(|o| !o.missing).count(),
        manifest.object_bytes(),
        manifest.objects.iter().filter(|o| o.missing).count(),
        manifest.created_at.to_rfc3339()
    )
}
