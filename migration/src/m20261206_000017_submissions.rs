//! Stories sent in by storytellers through a campaign site (issue 16): one row per
//! submission (linking the draft it created to the key and campaign it came
//! through, with the sender's address as a keyed hash only), the proofs of work
//! already spent (unique, so a replay is refused even when sent twice at once),
//! and the sources editors blocked.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Submissions::Table)
                    .col(pk_uuid(Submissions::Id))
                    .col(uuid_uniq(Submissions::StoryId))
                    .col(uuid(Submissions::ApiKeyId))
                    .col(uuid(Submissions::CampaignId))
                    // HMAC-SHA256 of the client address: counted and blocked, never shown.
                    .col(string_len(Submissions::AddressHash, 64))
                    .col(timestamp_with_time_zone(Submissions::ReceivedAt))
                    .col(timestamp_with_time_zone_null(Submissions::SpamAt))
                    .col(uuid_null(Submissions::SpamBy))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_submissions_story")
                            .from(Submissions::Table, Submissions::StoryId)
                            .to(Stories::Table, Stories::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The per-key and per-address limits count the last hour's rows.
        manager
            .create_index(
                Index::create()
                    .name("idx_submissions_key_time")
                    .table(Submissions::Table)
                    .col(Submissions::ApiKeyId)
                    .col(Submissions::ReceivedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_submissions_address_time")
                    .table(Submissions::Table)
                    .col(Submissions::AddressHash)
                    .col(Submissions::ReceivedAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SpentChallenges::Table)
                    .col(string_len(SpentChallenges::Challenge, 64).primary_key())
                    .col(uuid(SpentChallenges::ApiKeyId))
                    .col(timestamp_with_time_zone(SpentChallenges::ExpiresAt))
                    .col(timestamp_with_time_zone(SpentChallenges::SpentAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_spent_challenges_expiry")
                    .table(SpentChallenges::Table)
                    .col(SpentChallenges::ExpiresAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SubmissionBlocks::Table)
                    .col(pk_uuid(SubmissionBlocks::Id))
                    // `ADDRESS` (value: the address hash) or `API_KEY` (value: the key id).
                    .col(string_len(SubmissionBlocks::Kind, 16))
                    .col(string_len(SubmissionBlocks::Value, 64))
                    .col(uuid_null(SubmissionBlocks::StoryId))
                    .col(uuid(SubmissionBlocks::CreatedBy))
                    .col(timestamp_with_time_zone(SubmissionBlocks::CreatedAt))
                    .col(timestamp_with_time_zone_null(SubmissionBlocks::ExpiresAt))
                    .col(timestamp_with_time_zone_null(SubmissionBlocks::LiftedAt))
                    .col(uuid_null(SubmissionBlocks::LiftedBy))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_submission_blocks_value")
                    .table(SubmissionBlocks::Table)
                    .col(SubmissionBlocks::Kind)
                    .col(SubmissionBlocks::Value)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            SubmissionBlocks::Table.into_iden(),
            SpentChallenges::Table.into_iden(),
            Submissions::Table.into_iden(),
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
enum Submissions {
    Table,
    Id,
    StoryId,
    ApiKeyId,
    CampaignId,
    AddressHash,
    ReceivedAt,
    SpamAt,
    SpamBy,
}

#[derive(DeriveIden)]
enum SpentChallenges {
    Table,
    Challenge,
    ApiKeyId,
    ExpiresAt,
    SpentAt,
}

#[derive(DeriveIden)]
enum SubmissionBlocks {
    Table,
    Id,
    Kind,
    Value,
    StoryId,
    CreatedBy,
    CreatedAt,
    ExpiresAt,
    LiftedAt,
    LiftedBy,
}
