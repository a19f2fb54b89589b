//! Media: assets (a story's photos, recordings and videos, or private consent
//! evidence), their renditions, the face masks editors place, and one-time
//! uploads awaiting their bytes.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MediaAssets::Table)
                    .col(pk_uuid(MediaAssets::Id))
                    .col(uuid_null(MediaAssets::StoryId))
                    .col(uuid_null(MediaAssets::StorytellerId))
                    .col(string_len(MediaAssets::Kind, 16))
                    .col(string_len(MediaAssets::Mime, 64))
                    .col(big_integer(MediaAssets::SizeBytes))
                    .col(string_len(MediaAssets::Sha256, 64))
                    .col(string_len_uniq(MediaAssets::StorageKey, 512))
                    .col(integer_null(MediaAssets::Width))
                    .col(integer_null(MediaAssets::Height))
                    .col(big_integer_null(MediaAssets::DurationMs))
                    .col(text_null(MediaAssets::AltText))
                    .col(text_null(MediaAssets::Caption))
                    .col(string_len_null(MediaAssets::Credit, 200))
                    .col(boolean(MediaAssets::ShowsFaces))
                    .col(timestamp_with_time_zone_null(MediaAssets::FacesReviewedAt))
                    .col(uuid_null(MediaAssets::FacesReviewedBy))
                    .col(boolean(MediaAssets::Private))
                    .col(string_len(MediaAssets::MetadataStatus, 16))
                    .col(string_len(MediaAssets::State, 16))
                    .col(uuid(MediaAssets::CreatedBy))
                    .col(timestamp_with_time_zone(MediaAssets::CreatedAt))
                    .col(timestamp_with_time_zone(MediaAssets::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(MediaAssets::Table, MediaAssets::StoryId)
                            .to(Stories::Table, Stories::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(MediaAssets::Table, MediaAssets::StorytellerId)
                            .to(Storytellers::Table, Storytellers::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_media_assets_story_sha256")
                    .table(MediaAssets::Table)
                    .col(MediaAssets::StoryId)
                    .col(MediaAssets::Sha256)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_media_assets_storyteller")
                    .table(MediaAssets::Table)
                    .col(MediaAssets::StorytellerId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(MediaRenditions::Table)
                    .col(uuid(MediaRenditions::MediaId))
                    .col(string_len(MediaRenditions::Variant, 32))
                    .col(string_len_uniq(MediaRenditions::StorageKey, 512))
                    .col(string_len(MediaRenditions::Mime, 64))
                    .col(integer_null(MediaRenditions::Width))
                    .col(integer_null(MediaRenditions::Height))
                    .col(big_integer(MediaRenditions::SizeBytes))
                    .col(timestamp_with_time_zone(MediaRenditions::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(MediaRenditions::MediaId)
                            .col(MediaRenditions::Variant),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(MediaRenditions::Table, MediaRenditions::MediaId)
                            .to(MediaAssets::Table, MediaAssets::Id),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(MediaFaceMasks::Table)
                    .col(pk_uuid(MediaFaceMasks::Id))
                    .col(uuid(MediaFaceMasks::MediaId))
                    .col(integer(MediaFaceMasks::X))
                    .col(integer(MediaFaceMasks::Y))
                    .col(integer(MediaFaceMasks::Width))
                    .col(integer(MediaFaceMasks::Height))
                    .col(uuid(MediaFaceMasks::CreatedBy))
                    .col(timestamp_with_time_zone(MediaFaceMasks::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(MediaFaceMasks::Table, MediaFaceMasks::MediaId)
                            .to(MediaAssets::Table, MediaAssets::Id),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(MediaUploads::Table)
                    .col(pk_uuid(MediaUploads::Id))
                    .col(uuid_null(MediaUploads::StoryId))
                    .col(uuid_null(MediaUploads::StorytellerId))
                    .col(string_len_uniq(MediaUploads::TokenHash, 64))
                    .col(string_len_uniq(MediaUploads::StagingKey, 512))
                    .col(big_integer(MediaUploads::MaxBytes))
                    .col(string_len_null(MediaUploads::ExpectedSha256, 64))
                    .col(boolean(MediaUploads::Private))
                    .col(uuid(MediaUploads::CreatedBy))
                    .col(timestamp_with_time_zone(MediaUploads::CreatedAt))
                    .col(timestamp_with_time_zone(MediaUploads::ExpiresAt))
                    .col(timestamp_with_time_zone_null(MediaUploads::CompletedAt))
                    .col(uuid_null(MediaUploads::MediaId))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            MediaUploads::Table.into_iden(),
            MediaFaceMasks::Table.into_iden(),
            MediaRenditions::Table.into_iden(),
            MediaAssets::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Stories {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Storytellers {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum MediaAssets {
    Table,
    Id,
    StoryId,
    StorytellerId,
    Kind,
    Mime,
    SizeBytes,
    Sha256,
    StorageKey,
    Width,
    Height,
    DurationMs,
    AltText,
    Caption,
    Credit,
    ShowsFaces,
    FacesReviewedAt,
    FacesReviewedBy,
    Private,
    MetadataStatus,
    State,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum MediaRenditions {
    Table,
    MediaId,
    Variant,
    StorageKey,
    Mime,
    Width,
    Height,
    SizeBytes,
    CreatedAt,
}

#[derive(DeriveIden)]
enum MediaFaceMasks {
    Table,
    Id,
    MediaId,
    X,
    Y,
    Width,
    Height,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum MediaUploads {
    Table,
    Id,
    StoryId,
    StorytellerId,
    TokenHash,
    StagingKey,
    MaxBytes,
    ExpectedSha256,
    Private,
    CreatedBy,
    CreatedAt,
    ExpiresAt,
    CompletedAt,
    MediaId,
}
