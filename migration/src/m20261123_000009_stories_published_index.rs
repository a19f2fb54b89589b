//! An index for reading published stories newest first: the consumer list
//! orders by (`published_at`, `id`) and stops after a page, which without it
//! means sorting every published story on each request.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("idx_stories_published_at_id")
                    .table(Stories::Table)
                    .col(Stories::PublishedAt)
                    .col(Stories::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_stories_published_at_id")
                    .table(Stories::Table)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Stories {
    Table,
    Id,
    PublishedAt,
}
