//! Changes to what an API key may read raise the story change counter too
//! (000011), without a log row: revoking a key, changing its expiry, channel,
//! partner or secret, deleting it, or changing its campaigns. The server keeps
//! authenticated keys in memory for as long as the counter stands still
//! (api/src/consumers/known_keys.rs), so this makes a revocation reach every
//! process on its next request, as a withdrawal does. `last_used_at` is left
//! out: it is refreshed once a minute by reads and changes nobody's rights.

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The watched operations: a trigger name and what it fires on.
const SQLITE: &[(&str, &str)] = &[
    (
        "api_keys_update",
        "UPDATE OF revoked_at, expires_at, channel, partner_id, secret_hash ON api_keys",
    ),
    ("api_keys_delete", "DELETE ON api_keys"),
    ("api_key_campaigns_insert", "INSERT ON api_key_campaigns"),
    ("api_key_campaigns_update", "UPDATE ON api_key_campaigns"),
    ("api_key_campaigns_delete", "DELETE ON api_key_campaigns"),
];

const POSTGRES: &[(&str, &str)] = &[
    (
        "api_keys",
        "UPDATE OF revoked_at, expires_at, channel, partner_id, secret_hash OR DELETE ON api_keys",
    ),
    (
        "api_key_campaigns",
        "INSERT OR UPDATE OR DELETE ON api_key_campaigns",
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if manager.get_database_backend() == DbBackend::Sqlite {
            for (name, on) in SQLITE {
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER key_changes_{name} AFTER {on}
                     BEGIN
                        UPDATE story_change_counter SET value = value + 1 WHERE id = 1;
                     END"
                ))
                .await?;
            }
        } else {
            // One raise per statement is enough: nothing reads the rows.
            db.execute_unprepared(
                "CREATE FUNCTION key_changes() RETURNS trigger LANGUAGE plpgsql AS $$
                 BEGIN
                    UPDATE story_change_counter SET value = value + 1 WHERE id = 1;
                    RETURN NULL;
                 END $$",
            )
            .await?;
            for (name, on) in POSTGRES {
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER key_changes_{name} AFTER {on}
                     FOR EACH STATEMENT EXECUTE FUNCTION key_changes()"
                ))
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if manager.get_database_backend() == DbBackend::Sqlite {
            for (name, _) in SQLITE {
                db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS key_changes_{name}"))
                    .await?;
            }
        } else {
            for (name, on) in POSTGRES {
                let table = on.rsplit(' ').next().unwrap_or_default();
                db.execute_unprepared(&format!(
                    "DROP TRIGGER IF EXISTS key_changes_{name} ON {table}"
                ))
                .await?;
            }
            db.execute_unprepared("DROP FUNCTION IF EXISTS key_changes()")
                .await?;
        }
        Ok(())
    }
}
