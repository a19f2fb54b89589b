//! What the database itself says about its tables: their names, their foreign
//! keys (the order rows must load in), PostgreSQL's identity columns, and the
//! migrations applied. Read from the catalogue rather than listed by hand, so
//! a later migration's table or key is seen without changing this file.

use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};

/// A foreign key: `table.column` refers to `parent.parent_column`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignKey {
    pub table: String,
    pub column: String,
    pub parent: String,
    pub parent_column: String,
}

async fn strings(db: &impl ConnectionTrait, sql: &str) -> Result<Vec<Vec<String>>, DbErr> {
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?;
    rows.iter()
        .map(|row| {
            (0..row.column_names().len())
                .map(|i| {
                    row.try_get_by_index::<Option<String>>(i)
                        .map(Option::unwrap_or_default)
                })
                .collect()
        })
        .collect()
}

/// A name safe to put between double quotes in SQL.
pub fn checked_name(name: &str) -> Result<&str, DbErr> {
    if !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        Ok(name)
    } else {
        Err(DbErr::Custom(format!(
            "unexpected table or column name {name:?}"
        )))
    }
}

/// Every table of the database (SQLite's own `sqlite_*` tables aside).
pub async fn tables(db: &impl ConnectionTrait) -> Result<Vec<String>, DbErr> {
    let sql = match db.get_database_backend() {
        DbBackend::Postgres => {
            "SELECT CAST(table_name AS text) FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1"
        }
        _ => {
            "SELECT name FROM sqlite_master WHERE type = 'table' \
             AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY 1"
        }
    };
    Ok(strings(db, sql)
        .await?
        .into_iter()
        .filter_map(|row| row.into_iter().next())
        .collect())
}

/// Every foreign key between the tables.
pub async fn foreign_keys(db: &impl ConnectionTrait) -> Result<Vec<ForeignKey>, DbErr> {
    let rows = match db.get_database_backend() {
        DbBackend::Postgres => {
            strings(
                db,
                "SELECT CAST(kcu.table_name AS text), CAST(kcu.column_name AS text), \
                        CAST(ccu.table_name AS text), CAST(ccu.column_name AS text) \
                 FROM information_schema.table_constraints tc \
                 JOIN information_schema.key_column_usage kcu \
                   ON kcu.constraint_name = tc.constraint_name AND kcu.table_schema = tc.table_schema \
                 JOIN information_schema.constraint_column_usage ccu \
                   ON ccu.constraint_name = tc.constraint_name AND ccu.table_schema = tc.table_schema \
                 WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = current_schema()",
            )
            .await?
        }
        _ => {
            let mut rows = Vec::new();
            for table in tables(db).await? {
                let sql = format!(
                    "SELECT '{t}', \"from\", \"table\", \"to\" FROM pragma_foreign_key_list('{t}')",
                    t = checked_name(&table)?
                );
                rows.extend(strings(db, &sql).await?);
            }
            rows
        }
    };
    Ok(rows
        .into_iter()
        .filter_map(|row| match <[String; 4]>::try_from(row) {
            Ok([table, column, parent, parent_column]) => Some(ForeignKey {
                table,
                column,
                // SQLite leaves `to` empty for a key naming the parent's primary key.
                parent_column: if parent_column.is_empty() {
                    "id".into()
                } else {
                    parent_column
                },
                parent,
            }),
            Err(_) => None,
        })
        .collect())
}

/// PostgreSQL's columns whose values come from a sequence (identity or
/// `serial`), as (table, column); none on SQLite, whose `INTEGER PRIMARY KEY`
/// continues from the largest value by itself.
pub async fn sequenced_columns(db: &impl ConnectionTrait) -> Result<Vec<(String, String)>, DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(Vec::new());
    }
    Ok(strings(
        db,
        "SELECT CAST(table_name AS text), CAST(column_name AS text) FROM information_schema.columns \
         WHERE table_schema = current_schema() \
           AND (is_identity = 'YES' OR column_default LIKE 'nextval(%')",
    )
    .await?
    .into_iter()
    .filter_map(|row| <[String; 2]>::try_from(row).ok())
    .map(|[t, c]| (t, c))
    .collect())
}

/// The migrations applied, in order; empty for a database never migrated.
pub async fn applied_migrations(db: &impl ConnectionTrait) -> Result<Vec<String>, DbErr> {
    if !tables(db).await?.iter().any(|t| t == "seaql_migrations") {
        return Ok(Vec::new());
    }
    Ok(
        strings(db, "SELECT version FROM seaql_migrations ORDER BY version")
            .await?
            .into_iter()
            .filter_map(|row| row.into_iter().next())
            .collect(),
    )
}

/// The rows of a table of integers (the change counter), as column → value.
pub async fn integer_rows(
    db: &impl ConnectionTrait,
    table: &str,
) -> Result<Vec<std::collections::BTreeMap<String, i64>>, DbErr> {
    let sql = format!("SELECT * FROM \"{}\"", checked_name(table)?);
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?;
    rows.iter()
        .map(|row| {
            row.column_names()
                .into_iter()
                .enumerate()
                .map(|(i, name)| {
                    // PostgreSQL's `integer` does not decode as i64.
                    let value = row
                        .try_get_by_index::<i64>(i)
                        .or_else(|_| row.try_get_by_index::<i32>(i).map(i64::from))?;
                    Ok((name, value))
                })
                .collect()
        })
        .collect()
}

/// `tables` ordered so that every table comes after the tables its foreign
/// keys name (a key to itself aside: its rows are ordered instead). Ties go
/// alphabetically, so the order is the same on every run.
pub fn load_order(tables: &[&str], keys: &[ForeignKey]) -> Result<Vec<String>, DbErr> {
    let mut left: Vec<&str> = tables.to_vec();
    left.sort_unstable();
    let mut out: Vec<String> = Vec::with_capacity(left.len());
    while !left.is_empty() {
        let ready = left.iter().position(|table| {
            keys.iter().all(|k| {
                k.table != *table || k.parent == *table || !left.contains(&k.parent.as_str())
            })
        });
        let Some(at) = ready else {
            return Err(DbErr::Custom(format!(
                "the foreign keys between {} form a cycle",
                left.join(", ")
            )));
        };
        out.push(left.remove(at).to_owned());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(table: &str, parent: &str) -> ForeignKey {
        ForeignKey {
            table: table.into(),
            column: "x".into(),
            parent: parent.into(),
            parent_column: "id".into(),
        }
    }

    #[test]
    fn parents_load_before_their_children() {
        let keys = [
            key("a", "c"),
            key("c", "b"),
            key("c", "c"),
            key("b", "elsewhere"),
        ];
        assert_eq!(
            load_order(&["a", "b", "c"], &keys).expect("no cycle"),
            ["b", "c", "a"]
        );
        assert!(load_order(&["a", "c"], &[key("a", "c"), key("c", "a")]).is_err());
    }
}
