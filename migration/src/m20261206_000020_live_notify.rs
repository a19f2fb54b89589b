//! Live notifications (issue 18): on PostgreSQL, every transaction that moves
//! the story change counter (a logged write to a story, a change to what a key
//! may read) or records an audit event notifies the channel `chorus_live` on
//! commit, so that every node's subscriptions wake (`api::live`). PostgreSQL
//! folds identical notifications of one transaction into one. SQLite has one
//! process, which looks for itself.

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE FUNCTION chorus_live_notify() RETURNS trigger AS $$
             BEGIN
                 PERFORM pg_notify('chorus_live', '');
                 RETURN NULL;
             END $$ LANGUAGE plpgsql",
        )
        .await?;
        db.execute_unprepared(
            "CREATE TRIGGER story_change_counter_live AFTER UPDATE ON story_change_counter
             FOR EACH STATEMENT EXECUTE FUNCTION chorus_live_notify()",
        )
        .await?;
        db.execute_unprepared(
            "CREATE TRIGGER audit_events_live AFTER INSERT ON audit_events
             FOR EACH STATEMENT EXECUTE FUNCTION chorus_live_notify()",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared("DROP TRIGGER IF EXISTS audit_events_live ON audit_events")
            .await?;
        db.execute_unprepared(
            "DROP TRIGGER IF EXISTS story_change_counter_live ON story_change_counter",
        )
        .await?;
        db.execute_unprepared("DROP FUNCTION IF EXISTS chorus_live_notify()")
            .await?;
        Ok(())
    }
}
