//! Webhooks and acknowledged takedowns (issue 18): the endpoints admins
//! register (each reads as one API key, its secret encrypted at rest, the
//! previous secret kept through a rotation's overlap), where each endpoint's
//! feed stands and which stories it has been told of, the outbox of deliveries
//! with every attempt logged, and on takedowns who acknowledged one and when an
//! overdue one was flagged.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(WebhookEndpoints::Table)
                    .col(pk_uuid(WebhookEndpoints::Id))
                    .col(uuid(WebhookEndpoints::ApiKeyId))
                    .col(string_len(WebhookEndpoints::Url, 2048))
                    .col(string_len_null(WebhookEndpoints::Description, 200))
                    // Comma-separated event names.
                    .col(string_len(WebhookEndpoints::Events, 200))
                    .col(text(WebhookEndpoints::Secret))
                    .col(text_null(WebhookEndpoints::PreviousSecret))
                    .col(timestamp_with_time_zone_null(
                        WebhookEndpoints::PreviousSecretUntil,
                    ))
                    // The endpoint's place in the story feed (`stories::changes`).
                    .col(string_len_null(WebhookEndpoints::FeedCursor, 200))
                    .col(uuid(WebhookEndpoints::CreatedBy))
                    .col(timestamp_with_time_zone(WebhookEndpoints::CreatedAt))
                    .col(timestamp_with_time_zone_null(WebhookEndpoints::DisabledAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_webhook_endpoints_key")
                            .from(WebhookEndpoints::Table, WebhookEndpoints::ApiKeyId)
                            .to(ApiKeys::Table, ApiKeys::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        // The stories an endpoint was told are live, with a hash of what it was
        // told, so a save that changes nothing it can see sends nothing.
        manager
            .create_table(
                Table::create()
                    .table(WebhookKnown::Table)
                    .col(uuid(WebhookKnown::EndpointId))
                    .col(uuid(WebhookKnown::StoryId))
                    .col(string_len(WebhookKnown::ContentHash, 64))
                    .primary_key(
                        Index::create()
                            .col(WebhookKnown::EndpointId)
                            .col(WebhookKnown::StoryId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_webhook_known_endpoint")
                            .from(WebhookKnown::Table, WebhookKnown::EndpointId)
                            .to(WebhookEndpoints::Table, WebhookEndpoints::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(WebhookDeliveries::Table)
                    .col(pk_uuid(WebhookDeliveries::Id))
                    .col(uuid(WebhookDeliveries::EndpointId))
                    .col(string_len(WebhookDeliveries::Event, 32))
                    // No foreign key: an erased story's takedown is still sent.
                    .col(uuid(WebhookDeliveries::StoryId))
                    .col(text(WebhookDeliveries::Payload))
                    .col(timestamp_with_time_zone(WebhookDeliveries::CreatedAt))
                    .col(timestamp_with_time_zone(WebhookDeliveries::NextAttemptAt))
                    // When the current round of retries began (creation, or a replay).
                    .col(timestamp_with_time_zone(WebhookDeliveries::RetryFrom))
                    .col(integer(WebhookDeliveries::Attempts).default(0))
                    .col(timestamp_with_time_zone_null(
                        WebhookDeliveries::LockedUntil,
                    ))
                    .col(string_len_null(WebhookDeliveries::LockedBy, 64))
                    .col(timestamp_with_time_zone_null(
                        WebhookDeliveries::DeliveredAt,
                    ))
                    .col(timestamp_with_time_zone_null(WebhookDeliveries::DeadAt))
                    .col(integer_null(WebhookDeliveries::LastStatus))
                    .col(text_null(WebhookDeliveries::LastError))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_webhook_deliveries_endpoint")
                            .from(WebhookDeliveries::Table, WebhookDeliveries::EndpointId)
                            .to(WebhookEndpoints::Table, WebhookEndpoints::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The sender's lease: pending deliveries by when they are due.
        manager
            .create_index(
                Index::create()
                    .name("idx_webhook_deliveries_due")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_webhook_deliveries_endpoint")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::EndpointId)
                    .col(WebhookDeliveries::Id)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(WebhookAttempts::Table)
                    .col(pk_uuid(WebhookAttempts::Id))
                    .col(uuid(WebhookAttempts::DeliveryId))
                    .col(timestamp_with_time_zone(WebhookAttempts::AttemptedAt))
                    .col(integer(WebhookAttempts::DurationMs))
                    .col(integer_null(WebhookAttempts::Status))
                    .col(text_null(WebhookAttempts::Error))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_webhook_attempts_delivery")
                            .from(WebhookAttempts::Table, WebhookAttempts::DeliveryId)
                            .to(WebhookDeliveries::Table, WebhookDeliveries::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_webhook_attempts_delivery")
                    .table(WebhookAttempts::Table)
                    .col(WebhookAttempts::DeliveryId)
                    .to_owned(),
            )
            .await?;

        // SQLite adds one column per statement.
        for column in [
            ColumnDef::new(Takedowns::AcknowledgedBy)
                .uuid()
                .null()
                .to_owned(),
            ColumnDef::new(Takedowns::OverdueAt)
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Takedowns::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_takedowns_key")
                    .table(Takedowns::Table)
                    .col(Takedowns::ApiKeyId)
                    .col(Takedowns::StoryId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_takedowns_key")
                    .table(Takedowns::Table)
                    .to_owned(),
            )
            .await?;
        for column in [Takedowns::OverdueAt, Takedowns::AcknowledgedBy] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Takedowns::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        for table in [
            WebhookAttempts::Table.into_iden(),
            WebhookDeliveries::Table.into_iden(),
            WebhookKnown::Table.into_iden(),
            WebhookEndpoints::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Takedowns {
    Table,
    ApiKeyId,
    StoryId,
    AcknowledgedBy,
    OverdueAt,
}

#[derive(DeriveIden)]
enum WebhookEndpoints {
    Table,
    Id,
    ApiKeyId,
    Url,
    Description,
    Events,
    Secret,
    PreviousSecret,
    PreviousSecretUntil,
    FeedCursor,
    CreatedBy,
    CreatedAt,
    DisabledAt,
}

#[derive(DeriveIden)]
enum WebhookKnown {
    Table,
    EndpointId,
    StoryId,
    ContentHash,
}

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Id,
    EndpointId,
    Event,
    StoryId,
    Payload,
    CreatedAt,
    NextAttemptAt,
    RetryFrom,
    Attempts,
    LockedUntil,
    LockedBy,
    DeliveredAt,
    DeadAt,
    LastStatus,
    LastError,
}

#[derive(DeriveIden)]
enum WebhookAttempts {
    Table,
    Id,
    DeliveryId,
    AttemptedAt,
    DurationMs,
    Status,
    Error,
}
