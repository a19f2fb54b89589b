//! Pruning (issue 20): how far the story change log has been pruned, and an
//! index to find old login attempts by time alone.
//!
//! `story_change_counter.pruned_through` is the highest version whose log rows
//! may be gone. A sync cursor older than it cannot be answered (a tombstone in
//! the pruned range would be missed), which the smallest version left cannot
//! tell from a quiet spell. It is raised before rows are deleted, so a reader
//! that checks it after reading the log never mistakes a gap for no changes.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(StoryChangeCounter::Table)
                    .add_column(
                        ColumnDef::new(StoryChangeCounter::PrunedThrough)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_login_attempts_at")
                    .table(LoginAttempts::Table)
                    .col(LoginAttempts::AttemptedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_login_attempts_at")
                    .table(LoginAttempts::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(StoryChangeCounter::Table)
                    .drop_column(StoryChangeCounter::PrunedThrough)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum StoryChangeCounter {
    Table,
    PrunedThrough,
}

#[derive(DeriveIden)]
enum LoginAttempts {
    Table,
    AttemptedAt,
}
