//! Share cards (issue 19): the image an editor chose for a story's card, and a
//! campaign's canonical story URL pattern (`https://…/{slug}`).
//!
//! `stories.share_media_id` has no foreign key: SQLite cannot add one to an
//! existing table, and the choice is checked whenever a card is made (the item
//! must still be a deliverable image of the story), so a removed item is simply
//! no longer chosen. Both columns live in tables the change log already watches
//! (000018), so the response cache ends the answers that show them.

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
                    .table(Stories::Table)
                    .add_column(uuid_null(Stories::ShareMediaId))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Campaigns::Table)
                    .add_column(string_len_null(Campaigns::ShareUrlPattern, 500))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Campaigns::Table)
                    .drop_column(Campaigns::ShareUrlPattern)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Stories::Table)
                    .drop_column(Stories::ShareMediaId)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Stories {
    Table,
    ShareMediaId,
}

#[derive(DeriveIden)]
enum Campaigns {
    Table,
    ShareUrlPattern,
}
