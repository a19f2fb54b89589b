//! Organisations (issue 16, first slice): the platform's own organisation and the
//! member organisations of a coalition. Every staff account belongs to one, every
//! campaign is owned by one and may be granted to others (`campaign_grants`).
//!
//! The platform organisation is created here with a fixed id, so existing users and
//! campaigns land in it through the column default, and code can tell a platform
//! account from its id alone. On SQLite the new columns carry no foreign key (an
//! added column may only reference another table with a NULL default); the
//! services check the organisation exists before they write it.

use sea_orm_migration::{prelude::*, schema::*, sea_orm::DatabaseBackend};

/// The platform organisation's id; `entity::organisation::PLATFORM_ID` must equal it.
const PLATFORM_ID: &str = "00000000-0000-0000-0000-000000000001";

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        manager
            .create_table(
                Table::create()
                    .table(Organisations::Table)
                    .col(pk_uuid(Organisations::Id))
                    .col(string_len_uniq(Organisations::Slug, 100))
                    .col(string_len(Organisations::Name, 200))
                    .col(string_len(Organisations::Kind, 16))
                    .col(uuid_null(Organisations::PartnerId).unique_key())
                    .col(timestamp_with_time_zone(Organisations::CreatedAt))
                    .col(timestamp_with_time_zone(Organisations::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Organisations::Table, Organisations::PartnerId)
                            .to(Partners::Table, Partners::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        // A fixed timestamp in the text form sqlx writes and reads on SQLite (RFC 3339);
        // PostgreSQL parses it as well. The platform existed before it was named.
        let platform = uuid_literal(backend);
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "INSERT INTO organisations (id, slug, name, kind, partner_id, created_at, updated_at) \
                 VALUES ({platform}, 'platform', 'Platform', 'PLATFORM', NULL, '2026-12-06T00:00:00+00:00', '2026-12-06T00:00:00+00:00')"
            ))
            .await?;

        for table in [Users::Table.into_iden(), Campaigns::Table.into_iden()] {
            manager
                .alter_table(
                    Table::alter()
                        .table(table.clone())
                        .add_column(
                            ColumnDef::new(Alias::new("organisation_id"))
                                .uuid()
                                .not_null()
                                .default(Expr::cust(platform.clone())),
                        )
                        .to_owned(),
                )
                .await?;
            if backend == DatabaseBackend::Postgres {
                manager
                    .alter_table(
                        Table::alter()
                            .table(table.clone())
                            .add_foreign_key(
                                TableForeignKey::new()
                                    .name(format!("fk_{}_organisation", table))
                                    .from_tbl(table.clone())
                                    .from_col(Alias::new("organisation_id"))
                                    .to_tbl(Organisations::Table)
                                    .to_col(Organisations::Id),
                            )
                            .to_owned(),
                    )
                    .await?;
            }
            manager
                .create_index(
                    Index::create()
                        .name(format!("idx_{}_organisation_id", table))
                        .table(table)
                        .col(Alias::new("organisation_id"))
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(CampaignGrants::Table)
                    .col(uuid(CampaignGrants::CampaignId))
                    .col(uuid(CampaignGrants::OrganisationId))
                    .col(uuid_null(CampaignGrants::GrantedBy))
                    .col(timestamp_with_time_zone(CampaignGrants::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(CampaignGrants::CampaignId)
                            .col(CampaignGrants::OrganisationId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(CampaignGrants::Table, CampaignGrants::CampaignId)
                            .to(Campaigns::Table, Campaigns::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(CampaignGrants::Table, CampaignGrants::OrganisationId)
                            .to(Organisations::Table, Organisations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(CampaignGrants::Table, CampaignGrants::GrantedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        // The scope rule asks "which campaigns were granted to this organisation".
        manager
            .create_index(
                Index::create()
                    .name("idx_campaign_grants_organisation_id")
                    .table(CampaignGrants::Table)
                    .col(CampaignGrants::OrganisationId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        manager
            .drop_table(Table::drop().table(CampaignGrants::Table).to_owned())
            .await?;
        for table in [Campaigns::Table.into_iden(), Users::Table.into_iden()] {
            manager
                .drop_index(
                    Index::drop()
                        .name(format!("idx_{}_organisation_id", table))
                        .table(table.clone())
                        .to_owned(),
                )
                .await?;
            if backend == DatabaseBackend::Postgres {
                manager
                    .alter_table(
                        Table::alter()
                            .table(table.clone())
                            .drop_foreign_key(Alias::new(format!("fk_{}_organisation", table)))
                            .to_owned(),
                    )
                    .await?;
            }
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .drop_column(Alias::new("organisation_id"))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_table(Table::drop().table(Organisations::Table).to_owned())
            .await
    }
}

/// The platform id as a literal of the backend's uuid storage: sqlx keeps a uuid
/// as 16 raw bytes on SQLite and as a native `uuid` on PostgreSQL.
fn uuid_literal(backend: DatabaseBackend) -> String {
    match backend {
        DatabaseBackend::Sqlite => format!("X'{}'", PLATFORM_ID.replace('-', "")),
        _ => format!("'{PLATFORM_ID}'::uuid"),
    }
}

#[derive(DeriveIden)]
enum Organisations {
    Table,
    Id,
    Slug,
    Name,
    Kind,
    PartnerId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CampaignGrants {
    Table,
    CampaignId,
    OrganisationId,
    GrantedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Partners {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Campaigns {
    Table,
    Id,
}
