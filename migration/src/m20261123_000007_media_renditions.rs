//! Renditions made by a background job: each asset counts how often its face
//! masks changed (`masks_generation`) and which generation its current
//! renditions burn in (`renditions_generation`), so a rendition made before
//! the latest masks is never taken for a masked one; jobs can name a media item.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(MediaAssets::Table)
                    .add_column(integer(MediaAssets::MasksGeneration).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(MediaAssets::Table)
                    .add_column(integer_null(MediaAssets::RenditionsGeneration))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Jobs::Table)
                    .add_column(uuid_null(Jobs::MediaId))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Jobs::Table)
                    .drop_column(Jobs::MediaId)
                    .to_owned(),
            )
            .await?;
        for column in [
            MediaAssets::RenditionsGeneration,
            MediaAssets::MasksGeneration,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(MediaAssets::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum MediaAssets {
    Table,
    MasksGeneration,
    RenditionsGeneration,
}

#[derive(DeriveIden)]
enum Jobs {
    Table,
    MediaId,
}
