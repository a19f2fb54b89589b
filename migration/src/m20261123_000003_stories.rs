//! Storytellers (personal fields encrypted), stories with per-locale revision
//! chains, review comments, storyteller sign-offs, risk assessments, leased jobs and
//! the append-only audit log.

use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Storytellers::Table)
                    .col(pk_uuid(Storytellers::Id))
                    .col(string_len(Storytellers::PublicName, 200))
                    .col(boolean(Storytellers::PublicNameIsPseudonym))
                    .col(text(Storytellers::LegalNameEnc))
                    .col(text_null(Storytellers::ContactEnc))
                    .col(text_null(Storytellers::GuardianEnc))
                    .col(text_null(Storytellers::PrivateNotesEnc))
                    .col(integer_null(Storytellers::YearOfBirth))
                    .col(string_len(Storytellers::Languages, 200))
                    .col(boolean(Storytellers::AsylumSeeker))
                    .col(boolean(Storytellers::Refugee))
                    .col(boolean(Storytellers::Undocumented))
                    .col(uuid(Storytellers::CreatedBy))
                    .col(timestamp_with_time_zone(Storytellers::CreatedAt))
                    .col(timestamp_with_time_zone(Storytellers::UpdatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Stories::Table)
                    .col(pk_uuid(Stories::Id))
                    .col(string_len_uniq(Stories::Slug, 400))
                    .col(uuid(Stories::StorytellerId))
                    .col(string_len(Stories::PrimaryLocale, 35))
                    .col(string_len_null(Stories::Region, 200))
                    .col(string_len(Stories::State, 24))
                    .col(integer(Stories::Version))
                    .col(string_len(Stories::IdentityLevel, 16))
                    .col(string_len(Stories::Faces, 16))
                    .col(string_len(Stories::LocationPrecision, 16))
                    .col(uuid(Stories::CreatedBy))
                    .col(uuid_null(Stories::SubmittedBy))
                    .col(timestamp_with_time_zone_null(Stories::SubmittedAt))
                    .col(uuid_null(Stories::ApprovedBy))
                    .col(timestamp_with_time_zone_null(Stories::ApprovedAt))
                    .col(timestamp_with_time_zone_null(Stories::PublishAt))
                    .col(timestamp_with_time_zone_null(Stories::UnpublishAt))
                    .col(timestamp_with_time_zone_null(Stories::PublishedAt))
                    .col(timestamp_with_time_zone_null(Stories::FirstPublishedAt))
                    .col(timestamp_with_time_zone(Stories::CreatedAt))
                    .col(timestamp_with_time_zone(Stories::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Stories::Table, Stories::StorytellerId)
                            .to(Storytellers::Table, Storytellers::Id),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_stories_state_submitted",
            Stories::Table,
            &[Stories::State, Stories::SubmittedAt],
        )
        .await?;
        index(
            manager,
            "idx_stories_storyteller",
            Stories::Table,
            &[Stories::StorytellerId],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(StoryRevisions::Table)
                    .col(pk_uuid(StoryRevisions::Id))
                    .col(uuid(StoryRevisions::StoryId))
                    .col(string_len(StoryRevisions::Locale, 35))
                    .col(integer(StoryRevisions::Number))
                    .col(string_len(StoryRevisions::Title, 300))
                    .col(text(StoryRevisions::Summary))
                    .col(text(StoryRevisions::Body))
                    .col(uuid(StoryRevisions::AuthorId))
                    .col(string_len_null(StoryRevisions::Note, 500))
                    .col(uuid_null(StoryRevisions::RestoredFrom))
                    .col(timestamp_with_time_zone(StoryRevisions::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(StoryRevisions::Table, StoryRevisions::StoryId)
                            .to(Stories::Table, Stories::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_story_revisions_chain")
                    .table(StoryRevisions::Table)
                    .col(StoryRevisions::StoryId)
                    .col(StoryRevisions::Locale)
                    .col(StoryRevisions::Number)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(StoryLocales::Table)
                    .col(pk_uuid(StoryLocales::Id))
                    .col(uuid(StoryLocales::StoryId))
                    .col(string_len(StoryLocales::Locale, 35))
                    .col(uuid(StoryLocales::HeadRevisionId))
                    .col(uuid_null(StoryLocales::ApprovedRevisionId))
                    .col(uuid_null(StoryLocales::PublishedRevisionId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(StoryLocales::Table, StoryLocales::StoryId)
                            .to(Stories::Table, Stories::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_story_locales_story_locale")
                    .table(StoryLocales::Table)
                    .col(StoryLocales::StoryId)
                    .col(StoryLocales::Locale)
                    .unique()
                    .to_owned(),
            )
            .await?;

        for (table, other, other_col, name) in [
            (
                StoryCampaigns::Table.into_iden(),
                Alias::new("campaigns").into_iden(),
                StoryCampaigns::CampaignId.into_iden(),
                "story_campaigns",
            ),
            (
                StoryTags::Table.into_iden(),
                Alias::new("tags").into_iden(),
                StoryTags::TagId.into_iden(),
                "story_tags",
            ),
        ] {
            manager
                .create_table(
                    Table::create()
                        .table(table.clone())
                        .col(uuid(Alias::new("story_id")))
                        .col(ColumnDef::new(other_col.clone()).uuid().not_null())
                        .primary_key(
                            Index::create()
                                .col(Alias::new("story_id"))
                                .col(other_col.clone()),
                        )
                        .foreign_key(
                            ForeignKey::create()
                                .name(format!("fk_{name}_story"))
                                .from(table.clone(), Alias::new("story_id"))
                                .to(Stories::Table, Stories::Id),
                        )
                        .foreign_key(
                            ForeignKey::create()
                                .name(format!("fk_{name}_other"))
                                .from(table.clone(), other_col.clone())
                                .to(other, Alias::new("id")),
                        )
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(ReviewComments::Table)
                    .col(pk_uuid(ReviewComments::Id))
                    .col(uuid(ReviewComments::StoryId))
                    .col(uuid(ReviewComments::RevisionId))
                    .col(uuid(ReviewComments::AuthorId))
                    .col(text(ReviewComments::Body))
                    .col(timestamp_with_time_zone(ReviewComments::CreatedAt))
                    .col(timestamp_with_time_zone_null(ReviewComments::ResolvedAt))
                    .col(uuid_null(ReviewComments::ResolvedBy))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ReviewComments::Table, ReviewComments::RevisionId)
                            .to(StoryRevisions::Table, StoryRevisions::Id),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_review_comments_story",
            ReviewComments::Table,
            &[ReviewComments::StoryId],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(StorytellerReviews::Table)
                    .col(pk_uuid(StorytellerReviews::Id))
                    .col(uuid(StorytellerReviews::StoryId))
                    .col(uuid(StorytellerReviews::RevisionId))
                    .col(string_len(StorytellerReviews::Method, 16))
                    .col(timestamp_with_time_zone(StorytellerReviews::ReviewedAt))
                    .col(text_null(StorytellerReviews::Notes))
                    .col(uuid(StorytellerReviews::RecordedBy))
                    .col(timestamp_with_time_zone(StorytellerReviews::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(StorytellerReviews::Table, StorytellerReviews::RevisionId)
                            .to(StoryRevisions::Table, StoryRevisions::Id),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_storyteller_reviews_revision",
            StorytellerReviews::Table,
            &[StorytellerReviews::RevisionId],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(RiskAssessments::Table)
                    .col(pk_uuid(RiskAssessments::Id))
                    .col(uuid(RiskAssessments::StoryId))
                    .col(string_len(RiskAssessments::Assessor, 200))
                    .col(date(RiskAssessments::AssessedOn))
                    .col(string_len(RiskAssessments::Level, 8))
                    .col(text(RiskAssessments::Mitigations))
                    .col(uuid(RiskAssessments::RecordedBy))
                    .col(timestamp_with_time_zone(RiskAssessments::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(RiskAssessments::Table, RiskAssessments::StoryId)
                            .to(Stories::Table, Stories::Id),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_risk_assessments_story",
            RiskAssessments::Table,
            &[RiskAssessments::StoryId],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Jobs::Table)
                    .col(pk_uuid(Jobs::Id))
                    .col(string_len(Jobs::Kind, 32))
                    .col(uuid_null(Jobs::StoryId))
                    .col(timestamp_with_time_zone(Jobs::RunAt))
                    .col(integer(Jobs::Attempts))
                    .col(timestamp_with_time_zone_null(Jobs::LockedUntil))
                    .col(string_len_null(Jobs::LockedBy, 64))
                    .col(text_null(Jobs::LastError))
                    .col(timestamp_with_time_zone_null(Jobs::DoneAt))
                    .col(timestamp_with_time_zone_null(Jobs::CancelledAt))
                    .col(timestamp_with_time_zone(Jobs::CreatedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_jobs_due",
            Jobs::Table,
            &[Jobs::DoneAt, Jobs::RunAt],
        )
        .await?;
        index(manager, "idx_jobs_story", Jobs::Table, &[Jobs::StoryId]).await?;

        manager
            .create_table(
                Table::create()
                    .table(AuditEvents::Table)
                    .col(pk_uuid(AuditEvents::Id))
                    .col(timestamp_with_time_zone(AuditEvents::OccurredAt))
                    .col(uuid_null(AuditEvents::ActorId))
                    .col(string_len(AuditEvents::Actor, 64))
                    .col(string_len(AuditEvents::Action, 64))
                    .col(string_len(AuditEvents::SubjectType, 32))
                    .col(uuid_null(AuditEvents::SubjectId))
                    .col(string_len_null(AuditEvents::FromState, 24))
                    .col(string_len_null(AuditEvents::ToState, 24))
                    .col(text(AuditEvents::Detail))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_audit_subject",
            AuditEvents::Table,
            &[AuditEvents::SubjectId, AuditEvents::OccurredAt],
        )
        .await?;
        index(
            manager,
            "idx_audit_actor",
            AuditEvents::Table,
            &[AuditEvents::ActorId],
        )
        .await?;
        index(
            manager,
            "idx_audit_action",
            AuditEvents::Table,
            &[AuditEvents::Action],
        )
        .await?;

        // The audit log is evidence: the database itself refuses to change or remove it.
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared(
                    "CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                     BEGIN RAISE EXCEPTION 'audit_events is append-only'; END $$;
                     CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
                     FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();",
                )
                .await?;
            }
            DbBackend::Sqlite => {
                db.execute_unprepared(
                    "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
                     BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;",
                )
                .await?;
                db.execute_unprepared(
                    "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
                     BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;",
                )
                .await?;
            }
            _ => {}
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if manager.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events; DROP FUNCTION IF EXISTS audit_events_append_only();").await?;
        }
        for table in [
            AuditEvents::Table.into_iden(),
            Jobs::Table.into_iden(),
            RiskAssessments::Table.into_iden(),
            StorytellerReviews::Table.into_iden(),
            ReviewComments::Table.into_iden(),
            StoryTags::Table.into_iden(),
            StoryCampaigns::Table.into_iden(),
            StoryLocales::Table.into_iden(),
            StoryRevisions::Table.into_iden(),
            Stories::Table.into_iden(),
            Storytellers::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
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

#[derive(DeriveIden, Clone)]
enum Storytellers {
    Table,
    Id,
    PublicName,
    PublicNameIsPseudonym,
    LegalNameEnc,
    ContactEnc,
    GuardianEnc,
    PrivateNotesEnc,
    YearOfBirth,
    Languages,
    AsylumSeeker,
    Refugee,
    Undocumented,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone)]
enum Stories {
    Table,
    Id,
    Slug,
    StorytellerId,
    PrimaryLocale,
    Region,
    State,
    Version,
    IdentityLevel,
    Faces,
    LocationPrecision,
    CreatedBy,
    SubmittedBy,
    SubmittedAt,
    ApprovedBy,
    ApprovedAt,
    PublishAt,
    UnpublishAt,
    PublishedAt,
    FirstPublishedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone)]
enum StoryRevisions {
    Table,
    Id,
    StoryId,
    Locale,
    Number,
    Title,
    Summary,
    Body,
    AuthorId,
    Note,
    RestoredFrom,
    CreatedAt,
}

#[derive(DeriveIden, Clone)]
enum StoryLocales {
    Table,
    Id,
    StoryId,
    Locale,
    HeadRevisionId,
    ApprovedRevisionId,
    PublishedRevisionId,
}

#[derive(DeriveIden, Clone)]
enum StoryCampaigns {
    Table,
    CampaignId,
}

#[derive(DeriveIden, Clone)]
enum StoryTags {
    Table,
    TagId,
}

#[derive(DeriveIden, Clone)]
enum ReviewComments {
    Table,
    Id,
    StoryId,
    RevisionId,
    AuthorId,
    Body,
    CreatedAt,
    ResolvedAt,
    ResolvedBy,
}

#[derive(DeriveIden, Clone)]
enum StorytellerReviews {
    Table,
    Id,
    StoryId,
    RevisionId,
    Method,
    ReviewedAt,
    Notes,
    RecordedBy,
    CreatedAt,
}

#[derive(DeriveIden, Clone)]
enum RiskAssessments {
    Table,
    Id,
    StoryId,
    Assessor,
    AssessedOn,
    Level,
    Mitigations,
    RecordedBy,
    CreatedAt,
}

#[derive(DeriveIden, Clone)]
enum Jobs {
    Table,
    Id,
    Kind,
    StoryId,
    RunAt,
    Attempts,
    LockedUntil,
    LockedBy,
    LastError,
    DoneAt,
    CancelledAt,
    CreatedAt,
}

#[derive(DeriveIden, Clone)]
enum AuditEvents {
    Table,
    Id,
    OccurredAt,
    ActorId,
    Actor,
    Action,
    SubjectType,
    SubjectId,
    FromState,
    ToState,
    Detail,
}
