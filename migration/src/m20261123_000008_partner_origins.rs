//! Partner origins: the web origins (`https://host[:port]`) each partner's pages call
//! `/graphql` from, which CORS answers for.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PartnerOrigins::Table)
                    .col(uuid(PartnerOrigins::PartnerId))
                    // scheme://host:port; hostnames are at most 253 characters.
                    .col(string_len(PartnerOrigins::Origin, 300))
                    .col(timestamp_with_time_zone(PartnerOrigins::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(PartnerOrigins::PartnerId)
                            .col(PartnerOrigins::Origin),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(PartnerOrigins::Table, PartnerOrigins::PartnerId)
                            .to(Partners::Table, Partners::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PartnerOrigins::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum PartnerOrigins {
    Table,
    PartnerId,
    Origin,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Partners {
    Table,
    Id,
}
