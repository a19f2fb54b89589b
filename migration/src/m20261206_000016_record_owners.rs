//! Record owners (issue 16, second slice): every story, storyteller and media
//! asset belongs to one organisation, the one of the staff member who created it.
//! The staff scope rule reads it: a member organisation's staff see what their
//! organisation owns, plus what hangs off the campaigns it owns or was granted.
//!
//! Existing rows are backfilled from their creator's organisation (the platform's
//! when the creator is gone). As in migration 15, SQLite gets no foreign key on an
//! added column; the services write the creator's organisation, which exists.

use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

const PLATFORM_ID: &str = "00000000-0000-0000-0000-000000000001";

const TABLES: [&str; 3] = ["stories", "storytellers", "media_assets"];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let platform = uuid_literal(backend);
        for table in TABLES {
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new(table))
                        .add_column(
                            ColumnDef::new(Alias::new("organisation_id"))
                                .uuid()
                                .not_null()
                                .default(Expr::cust(platform.clone())),
                        )
                        .to_owned(),
                )
                .await?;
            manager
                .get_connection()
                .execute_unprepared(&format!(
                    "UPDATE {table} SET organisation_id = \
                     (SELECT users.organisation_id FROM users WHERE users.id = {table}.created_by) \
                     WHERE EXISTS (SELECT 1 FROM users WHERE users.id = {table}.created_by)"
                ))
                .await?;
            if backend == DatabaseBackend::Postgres {
                manager
                    .alter_table(
                        Table::alter()
                            .table(Alias::new(table))
                            .add_foreign_key(
                                TableForeignKey::new()
                                    .name(format!("fk_{table}_organisation"))
                                    .from_tbl(Alias::new(table))
                                    .from_col(Alias::new("organisation_id"))
                                    .to_tbl(Alias::new("organisations"))
                                    .to_col(Alias::new("id")),
                            )
                            .to_owned(),
                    )
                    .await?;
            }
            // The scope condition filters on it for every member organisation's list.
            manager
                .create_index(
                    Index::create()
                        .name(format!("idx_{table}_organisation_id"))
                        .table(Alias::new(table))
                        .col(Alias::new("organisation_id"))
                        .to_owned(),
                )
                .await?;
        }
        // The scope asks which stories are filed under a member's campaigns; the
        // primary key starts with the story.
        manager
            .create_index(
                Index::create()
                    .name("idx_story_campaigns_campaign")
                    .table(Alias::new("story_campaigns"))
                    .col(Alias::new("campaign_id"))
                    .col(Alias::new("story_id"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        manager
            .drop_index(
                Index::drop()
                    .name("idx_story_campaigns_campaign")
                    .table(Alias::new("story_campaigns"))
                    .to_owned(),
            )
            .await?;
        for table in TABLES {
            manager
                .drop_index(
                    Index::drop()
                        .name(format!("idx_{table}_organisation_id"))
                        .table(Alias::new(table))
                        .to_owned(),
                )
                .await?;
            if backend == DatabaseBackend::Postgres {
                manager
                    .alter_table(
                        Table::alter()
                            .table(Alias::new(table))
                            .drop_foreign_key(Alias::new(format!("fk_{table}_organisation")))
                            .to_owned(),
                    )
                    .await?;
            }
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new(table))
                        .drop_column(Alias::new("organisation_id"))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

/// The platform id as a literal of the backend's uuid storage (see migration 15).
fn uuid_literal(backend: DatabaseBackend) -> String {
    match backend {
        DatabaseBackend::Sqlite => format!("X'{}'", PLATFORM_ID.replace('-', "")),
        _ => format!("'{PLATFORM_ID}'::uuid"),
    }
}
