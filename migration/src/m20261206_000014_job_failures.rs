//! A job that failed every one of its attempts is given up (`failed_at`) rather
//! than retried for ever; editors see why on the item it was for, and an admin
//! may run it again (`retryFailedJob`). See api/src/queue.rs.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Jobs::Table)
                    .add_column(timestamp_with_time_zone_null(Jobs::FailedAt))
                    .to_owned(),
            )
            .await?;
        // Editors read the latest render job of an item to see whether it failed.
        manager
            .create_index(
                Index::create()
                    .name("idx_jobs_media")
                    .table(Jobs::Table)
                    .col(Jobs::MediaId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_jobs_media")
                    .table(Jobs::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Jobs::Table)
                    .drop_column(Jobs::FailedAt)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Jobs {
    Table,
    MediaId,
    FailedAt,
}
