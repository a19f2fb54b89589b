//! Accessible recordings (issue 19): the words of an audio or video item, as a
//! transcript or as a cleaned WebVTT caption track, one per item, kind and
//! language. Small text kept in the database; deleting the item (or erasing
//! its storyteller) deletes them with it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MediaTexts::Table)
                    .col(uuid(MediaTexts::MediaId))
                    // `TRANSCRIPT` or `CAPTIONS`.
                    .col(string_len(MediaTexts::Kind, 16))
                    // BCP 47.
                    .col(string_len(MediaTexts::Language, 35))
                    .col(text(MediaTexts::Body))
                    .col(uuid(MediaTexts::UpdatedBy))
                    .col(timestamp_with_time_zone(MediaTexts::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(MediaTexts::MediaId)
                            .col(MediaTexts::Kind)
                            .col(MediaTexts::Language),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_media_texts_media")
                            .from(MediaTexts::Table, MediaTexts::MediaId)
                            .to(MediaAssets::Table, MediaAssets::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MediaTexts::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum MediaTexts {
    Table,
    MediaId,
    Kind,
    Language,
    Body,
    UpdatedBy,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum MediaAssets {
    Table,
    Id,
}
