//! Accounts that can be ended (issue 13): a display name and the last sign-in on
//! each user, one-time invitation links, and login attempts counted by purpose
//! (staff login apart from withdrawal codes) so one never locks out the other.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(string_len_null(Users::DisplayName, 200))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(timestamp_with_time_zone_null(Users::LastLoginAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(UserInvites::Table)
                    .col(pk_uuid(UserInvites::Id))
                    .col(uuid(UserInvites::UserId))
                    .col(string_len_uniq(UserInvites::TokenHash, 64))
                    .col(uuid_null(UserInvites::CreatedBy))
                    .col(timestamp_with_time_zone(UserInvites::CreatedAt))
                    .col(timestamp_with_time_zone(UserInvites::ExpiresAt))
                    .col(timestamp_with_time_zone_null(UserInvites::UsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(UserInvites::Table, UserInvites::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_user_invites_user_id")
                    .table(UserInvites::Table)
                    .col(UserInvites::UserId)
                    .to_owned(),
            )
            .await?;

        manager
            .alter_table(
                Table::alter()
                    .table(LoginAttempts::Table)
                    .add_column(string_len(LoginAttempts::Purpose, 32).default("staff_login"))
                    .to_owned(),
            )
            .await?;
        // Wrong withdrawal codes were counted under this pseudo-account until now.
        manager
            .exec_stmt(
                Query::update()
                    .table(LoginAttempts::Table)
                    .value(LoginAttempts::Purpose, "withdrawal_code")
                    .and_where(Expr::col(LoginAttempts::Email).eq("withdrawal-code"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_login_attempts_purpose_address_at")
                    .table(LoginAttempts::Table)
                    .col(LoginAttempts::Purpose)
                    .col(LoginAttempts::ClientAddress)
                    .col(LoginAttempts::AttemptedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_login_attempts_purpose_address_at")
                    .table(LoginAttempts::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(LoginAttempts::Table)
                    .drop_column(LoginAttempts::Purpose)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(UserInvites::Table).to_owned())
            .await?;
        for column in [Users::LastLoginAt, Users::DisplayName] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Users::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    DisplayName,
    LastLoginAt,
}

#[derive(DeriveIden)]
enum UserInvites {
    Table,
    Id,
    UserId,
    TokenHash,
    CreatedBy,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum LoginAttempts {
    Table,
    Email,
    ClientAddress,
    Purpose,
    AttemptedAt,
}
