//! The story change log: one row for every write that can change what a
//! consumer sees of a story, appended by triggers so that no service can forget
//! it (api/src/stories/changes.rs, docs/SYNC.md).
//!
//! `story_change_counter` holds one number, raised by every logging trigger.
//! On PostgreSQL the raise locks that row until the writing transaction ends,
//! so versions are handed out in commit order: a reader that saw version `v`
//! has seen every change up to `v`. That makes the version an exact cursor for
//! the sync feed and an exact freshness check for the response cache, across
//! processes. SQLite serialises writers anyway.
//!
//! Watched: stories, their locales, tag and campaign links, tag and campaign
//! names, storytellers (public name, erasure), consent records (every consent
//! change is a new record), media items and their renditions.

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A watched table: the SQL listing the story ids a row (`{r}`: `NEW` or `OLD`)
/// touches, and which operations are watched.
struct Watch {
    table: &'static str,
    stories: &'static str,
    delete: bool,
}

const WATCHED: &[Watch] = &[
    Watch {
        table: "stories",
        stories: "SELECT {r}.id AS sid",
        delete: true,
    },
    Watch {
        table: "story_locales",
        stories: "SELECT {r}.story_id AS sid",
        delete: true,
    },
    Watch {
        table: "story_tags",
        stories: "SELECT {r}.story_id AS sid",
        delete: true,
    },
    Watch {
        table: "story_campaigns",
        stories: "SELECT {r}.story_id AS sid",
        delete: true,
    },
    Watch {
        table: "tags",
        stories: "SELECT story_id AS sid FROM story_tags WHERE tag_id = {r}.id",
        delete: false,
    },
    Watch {
        table: "campaigns",
        stories: "SELECT story_id AS sid FROM story_campaigns WHERE campaign_id = {r}.id",
        delete: false,
    },
    Watch {
        table: "storytellers",
        stories: "SELECT id AS sid FROM stories WHERE storyteller_id = {r}.id",
        delete: false,
    },
    Watch {
        table: "consent_records",
        stories: "SELECT id AS sid FROM stories WHERE storyteller_id = {r}.storyteller_id",
        delete: false,
    },
    Watch {
        table: "media_assets",
        stories: "SELECT {r}.story_id AS sid",
        delete: true,
    },
    Watch {
        table: "media_renditions",
        stories: "SELECT story_id AS sid FROM media_assets WHERE id = {r}.media_id",
        delete: true,
    },
];

fn sqlite_triggers() -> Vec<String> {
    let mut out = Vec::new();
    for w in WATCHED {
        let mut ops = vec![("insert", "INSERT", "NEW"), ("update", "UPDATE", "NEW")];
        if w.delete {
            ops.push(("delete", "DELETE", "OLD"));
        }
        for (name, op, r) in ops {
            let mut ids = w.stories.replace("{r}", r);
            if op == "UPDATE" {
                // A row moved between stories changes both.
                ids = format!("{ids} UNION {}", w.stories.replace("{r}", "OLD"));
            }
            out.push(format!(
                "CREATE TRIGGER story_changes_{table}_{name} AFTER {op} ON {table}
                 BEGIN
                    UPDATE story_change_counter SET value = value + 1 WHERE id = 1;
                    INSERT INTO story_changes (version, story_id, changed_at)
                        SELECT (SELECT value FROM story_change_counter WHERE id = 1), s.sid,
                               strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')
                        FROM ({ids}) AS s WHERE s.sid IS NOT NULL;
                 END",
                table = w.table,
            ));
        }
    }
    out
}

fn postgres_triggers() -> Vec<String> {
    let mut out = Vec::new();
    for w in WATCHED {
        let new_ids = w.stories.replace("{r}", "NEW");
        let old_ids = w.stories.replace("{r}", "OLD");
        out.push(format!(
            "CREATE FUNCTION story_changes_{table}() RETURNS trigger LANGUAGE plpgsql AS $$
             DECLARE v bigint;
             BEGIN
                UPDATE story_change_counter SET value = value + 1 WHERE id = 1 RETURNING value INTO v;
                IF TG_OP = 'INSERT' THEN
                    INSERT INTO story_changes (version, story_id, changed_at)
                        SELECT v, s.sid, clock_timestamp() FROM ({new_ids}) AS s WHERE s.sid IS NOT NULL;
                ELSIF TG_OP = 'UPDATE' THEN
                    INSERT INTO story_changes (version, story_id, changed_at)
                        SELECT v, s.sid, clock_timestamp() FROM ({new_ids} UNION {old_ids}) AS s WHERE s.sid IS NOT NULL;
                ELSE
                    INSERT INTO story_changes (version, story_id, changed_at)
                        SELECT v, s.sid, clock_timestamp() FROM ({old_ids}) AS s WHERE s.sid IS NOT NULL;
                END IF;
                RETURN NULL;
             END $$",
            table = w.table,
        ));
        let ops = if w.delete {
            "INSERT OR UPDATE OR DELETE"
        } else {
            "INSERT OR UPDATE"
        };
        out.push(format!(
            "CREATE TRIGGER story_changes_{table} AFTER {ops} ON {table}
             FOR EACH ROW EXECUTE FUNCTION story_changes_{table}()",
            table = w.table,
        ));
    }
    out
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(StoryChanges::Table)
                    .col(
                        ColumnDef::new(StoryChanges::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(StoryChanges::Version)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(StoryChanges::StoryId).uuid().not_null())
                    .col(
                        ColumnDef::new(StoryChanges::ChangedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_story_changes_version")
                    .table(StoryChanges::Table)
                    .col(StoryChanges::Version)
                    .col(StoryChanges::StoryId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(StoryChangeCounter::Table)
                    .col(
                        ColumnDef::new(StoryChangeCounter::Id)
                            .integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(StoryChangeCounter::Value)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared("INSERT INTO story_change_counter (id, value) VALUES (1, 0)")
            .await?;
        let triggers = match manager.get_database_backend() {
            DbBackend::Sqlite => sqlite_triggers(),
            _ => postgres_triggers(),
        };
        for sql in triggers {
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        for w in WATCHED {
            if backend == DbBackend::Sqlite {
                for name in ["insert", "update", "delete"] {
                    db.execute_unprepared(&format!(
                        "DROP TRIGGER IF EXISTS story_changes_{}_{name}",
                        w.table
                    ))
                    .await?;
                }
            } else {
                db.execute_unprepared(&format!(
                    "DROP TRIGGER IF EXISTS story_changes_{t} ON {t}; DROP FUNCTION IF EXISTS story_changes_{t}()",
                    t = w.table
                ))
                .await?;
            }
        }
        manager
            .drop_table(Table::drop().table(StoryChangeCounter::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(StoryChanges::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum StoryChanges {
    Table,
    Id,
    Version,
    StoryId,
    ChangedAt,
}

#[derive(DeriveIden)]
enum StoryChangeCounter {
    Table,
    Id,
    Value,
}
