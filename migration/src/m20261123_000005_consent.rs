//! Consent: immutable consent records (each change a new record superseding the
//! old), their channels and partners, the append-only consent event log, personal
//! withdrawal codes, the record of which consumer read which story, and takedowns.
//! Storytellers gain an optional date of birth (a minor's consent ends on their
//! 18th birthday) and an erasure mark.

use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite takes one column per ALTER TABLE.
        manager
            .alter_table(
                Table::alter()
                    .table(Storytellers::Table)
                    .add_column(date_null(Storytellers::DateOfBirth))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Storytellers::Table)
                    .add_column(timestamp_with_time_zone_null(Storytellers::ErasedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ConsentRecords::Table)
                    .col(pk_uuid(ConsentRecords::Id))
                    .col(uuid(ConsentRecords::StorytellerId))
                    // No foreign key: proof of consent outlives an erased story.
                    .col(uuid_null(ConsentRecords::StoryId))
                    .col(uuid_null(ConsentRecords::SupersedesId).unique_key())
                    .col(string_len(ConsentRecords::Status, 16))
                    .col(boolean(ConsentRecords::AllPartners))
                    .col(string_len(ConsentRecords::IdentityLevel, 16))
                    .col(string_len(ConsentRecords::Faces, 16))
                    .col(string_len(ConsentRecords::Voice, 16))
                    .col(string_len(ConsentRecords::LocationPrecision, 16))
                    .col(string_len(ConsentRecords::SpecialCategories, 200))
                    .col(boolean(ConsentRecords::Explicit))
                    .col(timestamp_with_time_zone_null(ConsentRecords::GivenAt))
                    .col(timestamp_with_time_zone(ConsentRecords::ExpiresAt))
                    .col(string_len(ConsentRecords::Method, 24))
                    .col(string_len(ConsentRecords::Language, 35))
                    .col(string_len_null(ConsentRecords::Interpreter, 200))
                    .col(string_len(ConsentRecords::NoticeVersion, 100))
                    .col(string_len(ConsentRecords::NoticeHash, 128))
                    .col(string_len(ConsentRecords::CollectedBy, 200))
                    .col(string_len(ConsentRecords::Jurisdiction, 100))
                    .col(boolean(ConsentRecords::SubjectMinor))
                    .col(boolean(ConsentRecords::GuardianConsent))
                    .col(boolean(ConsentRecords::ChildAssent))
                    .col(string_len_null(ConsentRecords::EvidenceRef, 400))
                    .col(string_len(ConsentRecords::IndicatedBy, 16))
                    .col(uuid_null(ConsentRecords::RecordedBy))
                    .col(timestamp_with_time_zone(ConsentRecords::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ConsentRecords::Table, ConsentRecords::StorytellerId)
                            .to(Storytellers::Table, Storytellers::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ConsentRecords::Table, ConsentRecords::SupersedesId)
                            .to(ConsentRecords::Table, ConsentRecords::Id),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_consent_records_storyteller",
            ConsentRecords::Table,
            &[ConsentRecords::StorytellerId, ConsentRecords::Status],
        )
        .await?;
        index(
            manager,
            "idx_consent_records_expires",
            ConsentRecords::Table,
            &[ConsentRecords::Status, ConsentRecords::ExpiresAt],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(ConsentChannels::Table)
                    .col(uuid(ConsentChannels::ConsentId))
                    .col(string_len(ConsentChannels::Channel, 24))
                    .primary_key(
                        Index::create()
                            .col(ConsentChannels::ConsentId)
                            .col(ConsentChannels::Channel),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ConsentChannels::Table, ConsentChannels::ConsentId)
                            .to(ConsentRecords::Table, ConsentRecords::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ConsentPartners::Table)
                    .col(uuid(ConsentPartners::ConsentId))
                    .col(uuid(ConsentPartners::PartnerId))
                    .primary_key(
                        Index::create()
                            .col(ConsentPartners::ConsentId)
                            .col(ConsentPartners::PartnerId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ConsentPartners::Table, ConsentPartners::ConsentId)
                            .to(ConsentRecords::Table, ConsentRecords::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ConsentPartners::Table, ConsentPartners::PartnerId)
                            .to(Partners::Table, Partners::Id),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ConsentEvents::Table)
                    .col(pk_uuid(ConsentEvents::Id))
                    .col(uuid(ConsentEvents::ConsentId))
                    .col(uuid(ConsentEvents::StorytellerId))
                    .col(string_len(ConsentEvents::Action, 24))
                    .col(string_len_null(ConsentEvents::FromStatus, 16))
                    .col(string_len(ConsentEvents::ToStatus, 16))
                    .col(string_len(ConsentEvents::IndicatedBy, 16))
                    .col(string_len(ConsentEvents::Via, 24))
                    .col(uuid_null(ConsentEvents::ActorUserId))
                    .col(timestamp_with_time_zone(ConsentEvents::At))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ConsentEvents::Table, ConsentEvents::ConsentId)
                            .to(ConsentRecords::Table, ConsentRecords::Id),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_consent_events_storyteller",
            ConsentEvents::Table,
            &[ConsentEvents::StorytellerId],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(WithdrawalCodes::Table)
                    .col(pk_uuid(WithdrawalCodes::Id))
                    .col(uuid(WithdrawalCodes::StorytellerId))
                    .col(string_len_uniq(WithdrawalCodes::CodeHash, 64))
                    .col(timestamp_with_time_zone(WithdrawalCodes::CreatedAt))
                    .col(timestamp_with_time_zone_null(WithdrawalCodes::RetiredAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(WithdrawalCodes::Table, WithdrawalCodes::StorytellerId)
                            .to(Storytellers::Table, Storytellers::Id),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(StoryReads::Table)
                    .col(uuid(StoryReads::StoryId))
                    .col(uuid(StoryReads::ApiKeyId))
                    .col(uuid_null(StoryReads::PartnerId))
                    .col(timestamp_with_time_zone(StoryReads::FirstReadAt))
                    .primary_key(
                        Index::create()
                            .col(StoryReads::StoryId)
                            .col(StoryReads::ApiKeyId),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Takedowns::Table)
                    .col(pk_uuid(Takedowns::Id))
                    .col(uuid(Takedowns::StoryId))
                    .col(uuid(Takedowns::ApiKeyId))
                    .col(uuid_null(Takedowns::PartnerId))
                    .col(uuid_null(Takedowns::ConsentId))
                    .col(string_len(Takedowns::Reason, 16))
                    .col(timestamp_with_time_zone(Takedowns::CreatedAt))
                    .col(timestamp_with_time_zone_null(Takedowns::DeliveredAt))
                    .col(timestamp_with_time_zone_null(Takedowns::AcknowledgedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_takedowns_story",
            Takedowns::Table,
            &[Takedowns::StoryId],
        )
        .await?;

        // Consent events are evidence, like the audit log: never changed, never
        // removed. Consent records may lose personal details on erasure but are
        // never deleted: they are the proof that survives it.
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared(
                    "CREATE FUNCTION consent_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                     BEGIN RAISE EXCEPTION 'consent_events is append-only'; END $$;
                     CREATE TRIGGER consent_events_append_only BEFORE UPDATE OR DELETE ON consent_events
                     FOR EACH ROW EXECUTE FUNCTION consent_events_append_only();
                     CREATE FUNCTION consent_records_kept() RETURNS trigger LANGUAGE plpgsql AS $$
                     BEGIN RAISE EXCEPTION 'consent_records are proof and are never deleted'; END $$;
                     CREATE TRIGGER consent_records_kept BEFORE DELETE ON consent_records
                     FOR EACH ROW EXECUTE FUNCTION consent_records_kept();",
                )
                .await?;
            }
            DbBackend::Sqlite => {
                for sql in [
                    "CREATE TRIGGER consent_events_no_update BEFORE UPDATE ON consent_events
                     BEGIN SELECT RAISE(ABORT, 'consent_events is append-only'); END;",
                    "CREATE TRIGGER consent_events_no_delete BEFORE DELETE ON consent_events
                     BEGIN SELECT RAISE(ABORT, 'consent_events is append-only'); END;",
                    "CREATE TRIGGER consent_records_kept BEFORE DELETE ON consent_records
                     BEGIN SELECT RAISE(ABORT, 'consent_records are proof and are never deleted'); END;",
                ] {
                    db.execute_unprepared(sql).await?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if manager.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared(
                "DROP TRIGGER IF EXISTS consent_events_append_only ON consent_events;
                 DROP FUNCTION IF EXISTS consent_events_append_only();
                 DROP TRIGGER IF EXISTS consent_records_kept ON consent_records;
                 DROP FUNCTION IF EXISTS consent_records_kept();",
            )
            .await?;
        }
        for table in [
            Takedowns::Table.into_iden(),
            StoryReads::Table.into_iden(),
            WithdrawalCodes::Table.into_iden(),
            ConsentEvents::Table.into_iden(),
            ConsentPartners::Table.into_iden(),
            ConsentChannels::Table.into_iden(),
            ConsentRecords::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        for column in [Storytellers::ErasedAt, Storytellers::DateOfBirth] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Storytellers::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

async fn index<T: IntoIden + Clone + 'static, C: IntoIden + Clone + 'static>(
    manager: &SchemaManager<'_>,
    name: &str,
    table: T,
    cols: &[C],
) -> Result<(), DbErr> {
    let mut stmt = Index::create();
    stmt.name(name).table(table);
    for col in cols {
        stmt.col(col.clone());
    }
    manager.create_index(stmt.to_owned()).await
}

#[derive(DeriveIden)]
enum Storytellers {
    Table,
    Id,
    DateOfBirth,
    ErasedAt,
}

#[derive(DeriveIden)]
enum Partners {
    Table,
    Id,
}

#[derive(DeriveIden, Clone)]
enum ConsentRecords {
    Table,
    Id,
    StorytellerId,
    StoryId,
    SupersedesId,
    Status,
    AllPartners,
    IdentityLevel,
    Faces,
    Voice,
    LocationPrecision,
    SpecialCategories,
    Explicit,
    GivenAt,
    ExpiresAt,
    Method,
    Language,
    Interpreter,
    NoticeVersion,
    NoticeHash,
    CollectedBy,
    Jurisdiction,
    SubjectMinor,
    GuardianConsent,
    ChildAssent,
    EvidenceRef,
    IndicatedBy,
    RecordedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ConsentChannels {
    Table,
    ConsentId,
    Channel,
}

#[derive(DeriveIden)]
enum ConsentPartners {
    Table,
    ConsentId,
    PartnerId,
}

#[derive(DeriveIden, Clone)]
enum ConsentEvents {
    Table,
    Id,
    ConsentId,
    StorytellerId,
    Action,
    FromStatus,
    ToStatus,
    IndicatedBy,
    Via,
    ActorUserId,
    At,
}

#[derive(DeriveIden)]
enum WithdrawalCodes {
    Table,
    Id,
    StorytellerId,
    CodeHash,
    CreatedAt,
    RetiredAt,
}

#[derive(DeriveIden)]
enum StoryReads {
    Table,
    StoryId,
    ApiKeyId,
    PartnerId,
    FirstReadAt,
}

#[derive(DeriveIden, Clone)]
enum Takedowns {
    Table,
    Id,
    StoryId,
    ApiKeyId,
    PartnerId,
    ConsentId,
    Reason,
    CreatedAt,
    DeliveredAt,
    AcknowledgedAt,
}
