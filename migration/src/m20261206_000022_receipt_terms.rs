//! Receipt terms (issue 19, part 3): the data controller a receipt names, the
//! witness of a consent and the processing operations it allows.
//!
//! - `organisations` gain their own controller details, which replace the
//!   instance-wide `CHORUS_CONTROLLER_*` settings for their records once a name
//!   is set;
//! - `consent_records` gain the controller in force when each was written (JSON,
//!   so a receipt keeps stating it, and keeps its hash, after the details
//!   change), an optional witness with its kind (`NAME` or `ROLE`) and the
//!   processing operations, comma-separated.
//!
//! Every new column is nullable: a record made before this migration has no
//! controller, witness or operations recorded, and none is invented for it.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Each column on its own `ALTER TABLE`: SQLite adds one column at a time.
fn columns() -> Vec<(&'static str, ColumnDef)> {
    let text = |name: &str| ColumnDef::new(Alias::new(name)).text().null().to_owned();
    let short = |name: &str, len: u32| {
        ColumnDef::new(Alias::new(name))
            .string_len(len)
            .null()
            .to_owned()
    };
    vec![
        ("organisations", short("controller_name", 200)),
        ("organisations", text("controller_address")),
        ("organisations", short("controller_contact", 200)),
        ("organisations", short("controller_dpo_contact", 200)),
        ("consent_records", text("controller")),
        ("consent_records", short("witness", 200)),
        ("consent_records", short("witness_kind", 16)),
        ("consent_records", text("processing_operations")),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, mut column) in columns() {
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new(table))
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, column) in columns().into_iter().rev() {
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new(table))
                        .drop_column(Alias::new(column.get_column_name()))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
