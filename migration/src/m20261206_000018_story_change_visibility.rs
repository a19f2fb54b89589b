//! Each change log row (000011) says whether the change could be seen: `public`
//! is true when the write could change what some consumer sees of the story
//! (or whether they see it), because the story could be shown, without another
//! write, before or after it. The response cache ends the answers that list
//! stories (or miss one) only on such rows, and ends the answers holding a
//! story on any row of that story (api/src/consumers/response_cache.rs).
//!
//! "Could be shown without another write" is the part of the consent gate that
//! only a write can change: the story is *live*, in a live state (published, or
//! published and being revised) with a publication instant
//! (`consent::gate::LIVE_STATES`, `published_at IS NOT NULL`; unpublishing,
//! archiving and withdrawal clear `published_at`). The rest of the gate
//! (consent, the instants, campaigns) can only narrow that. An update of
//! `stories` or `story_locales` that leaves every column a reader depends on
//! as it was (a new draft of a published story, a submission, an approval) is
//! not flagged either.
//!
//! The triggers of 000011 are replaced, each logging the same rows as before
//! with the flag: for `stories`, from `OLD` and `NEW`; for the other watched
//! tables, from the story's row as the writing transaction sees it then. Rows
//! logged before this migration are flagged `true`.
//!
//! Why an answer that lists stories (or missed one) at mark `V` and would
//! differ at a later mark `m` always meets a flagged row in `(V, m]`: it
//! differs because some story's view changed, which takes a write that changes
//! a column a reader depends on, in `stories` or another watched table. Only
//! such a write to the story's own row changes whether it is live, and it is
//! flagged when the story is live before or after it (`OLD`, `NEW`). Any other
//! such write is flagged when the story is live as the writing transaction
//! sees it. So: if the story is live at `V`, the first of those writes in the
//! window sees it live (nothing earlier in the window changed that) and is
//! flagged; if it is live at `m`, so is the last one; if it is live at neither,
//! and never in between, its view is empty throughout and the answer cannot
//! differ by it; if it is live in between only, the write making it live is
//! flagged. On PostgreSQL the counter's row lock hands out versions in commit
//! order, and each statement of a trigger function takes a fresh snapshot
//! (read committed), so a trigger that waited for the counter reads the story
//! as the writers before it left it; SQLite serialises writers.

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A watched table (as in 000011): the SQL listing the story ids a row (`{r}`:
/// `NEW` or `OLD`) touches, and whether deletes are watched.
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

/// The states a story can be live in (`consent::gate::LIVE_STATES`).
const LIVE: &str = "('PUBLISHED', 'DRAFT', 'IN_REVIEW', 'CHANGES_REQUESTED', 'APPROVED')";

/// The story row `row` could be shown without another write.
fn showable(row: &str) -> String {
    format!("({row}.state IN {LIVE} AND {row}.published_at IS NOT NULL)")
}

/// Columns of `stories` that a consumer's answer can depend on (shown,
/// filtered or gated on). The others are workflow bookkeeping (`version`,
/// `updated_at`, `submitted_*`, `approved_*`, `publish_at`), and `state` counts
/// only as far as it makes the story live: saving a new draft of a published
/// story changes nothing a reader sees. A column added to `stories` later
/// belongs here if any consumer answer reads it.
const STORY_COLUMNS: &[&str] = &[
    "id",
    "slug",
    "storyteller_id",
    "primary_locale",
    "region",
    "identity_level",
    "faces",
    "location_precision",
    "unpublish_at",
    "published_at",
    "first_published_at",
    "created_by",
    "created_at",
    "organisation_id",
];

/// Columns of `story_locales` that a consumer's answer can depend on: a new
/// head or approved revision is a draft nobody reads.
const LOCALE_COLUMNS: &[&str] = &["id", "story_id", "locale", "published_revision_id"];

/// An update changed one of `columns` (`distinct`: the backend's null-safe
/// inequality).
fn changed(columns: &[&str], distinct: &str) -> String {
    columns
        .iter()
        .map(|c| format!("NEW.{c} {distinct} OLD.{c}"))
        .collect::<Vec<_>>()
        .join(" OR ")
}

/// `SELECT sid, pub`: the stories a write touches, each with its flag. `rows`
/// are the trigger's records to read (`NEW`, `OLD` or both: an update);
/// `distinct` is the backend's null-safe inequality.
///
/// An update of `stories` or `story_locales` that changes none of the columns
/// a reader depends on is not flagged: it cannot change any answer, whatever
/// the story's state.
fn logged(w: &Watch, rows: &[&str], distinct: &str) -> String {
    let update = rows.len() == 2;
    if w.table == "stories" {
        // The same story before and after: flagged if either could be shown.
        let mut flag = rows
            .iter()
            .map(|r| showable(r))
            .collect::<Vec<_>>()
            .join(" OR ");
        if update {
            flag = format!(
                "({flag}) AND ({} <> {} OR {})",
                showable("NEW"),
                showable("OLD"),
                changed(STORY_COLUMNS, distinct)
            );
        }
        return rows
            .iter()
            .map(|r| format!("SELECT {r}.id AS sid, ({flag}) AS pub"))
            .collect::<Vec<_>>()
            .join(" UNION ");
    }
    let ids = rows
        .iter()
        .map(|r| w.stories.replace("{r}", r))
        .collect::<Vec<_>>()
        .join(" UNION ");
    let mut flag = format!(
        "EXISTS (SELECT 1 FROM stories p WHERE p.id = i.sid AND {})",
        showable("p")
    );
    if update && w.table == "story_locales" {
        flag = format!("{flag} AND ({})", changed(LOCALE_COLUMNS, distinct));
    }
    format!("SELECT i.sid AS sid, {flag} AS pub FROM ({ids}) AS i")
}

/// The columns the triggers fill, and the values for a row `s` of [`logged`]:
/// with the flag (this migration) or without it (000011, for `down`).
fn columns(flagged: bool) -> (&'static str, &'static str) {
    if flagged {
        ("version, story_id, changed_at, public", ", s.pub")
    } else {
        ("version, story_id, changed_at", "")
    }
}

fn sqlite_triggers(flagged: bool) -> Vec<String> {
    let (cols, flag) = columns(flagged);
    let mut out = Vec::new();
    for w in WATCHED {
        let mut ops = vec![
            ("insert", "INSERT", vec!["NEW"]),
            // A row moved between stories changes both.
            ("update", "UPDATE", vec!["NEW", "OLD"]),
        ];
        if w.delete {
            ops.push(("delete", "DELETE", vec!["OLD"]));
        }
        for (name, op, rows) in ops {
            // One call, so one connection: another one of the pool may still
            // see the dropped trigger and refuse to create it again.
            out.push(format!(
                "DROP TRIGGER IF EXISTS story_changes_{table}_{name};
                 CREATE TRIGGER story_changes_{table}_{name} AFTER {op} ON {table}
                 BEGIN
                    UPDATE story_change_counter SET value = value + 1 WHERE id = 1;
                    INSERT INTO story_changes ({cols})
                        SELECT (SELECT value FROM story_change_counter WHERE id = 1), s.sid,
                               strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'){flag}
                        FROM ({ids}) AS s WHERE s.sid IS NOT NULL;
                 END",
                table = w.table,
                ids = logged(w, &rows, "IS NOT"),
            ));
        }
    }
    out
}

fn postgres_functions(flagged: bool) -> Vec<String> {
    let (cols, flag) = columns(flagged);
    WATCHED
        .iter()
        .map(|w| {
            let insert = |rows: &[&str]| {
                format!(
                    "INSERT INTO story_changes ({cols})
                        SELECT v, s.sid, clock_timestamp(){flag} FROM ({}) AS s WHERE s.sid IS NOT NULL;",
                    logged(w, rows, "IS DISTINCT FROM")
                )
            };
            format!(
                "CREATE OR REPLACE FUNCTION story_changes_{table}() RETURNS trigger LANGUAGE plpgsql AS $$
                 DECLARE v bigint;
                 BEGIN
                    UPDATE story_change_counter SET value = value + 1 WHERE id = 1 RETURNING value INTO v;
                    IF TG_OP = 'INSERT' THEN
                        {on_insert}
                    ELSIF TG_OP = 'UPDATE' THEN
                        {on_update}
                    ELSE
                        {on_delete}
                    END IF;
                    RETURN NULL;
                 END $$",
                table = w.table,
                on_insert = insert(&["NEW"]),
                on_update = insert(&["NEW", "OLD"]),
                on_delete = insert(&["OLD"]),
            )
        })
        .collect()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(StoryChanges::Table)
                    .add_column(
                        ColumnDef::new(StoryChanges::Public)
                            .boolean()
                            .not_null()
                            .default(true),
                    )
                    .to_owned(),
            )
            .await?;
        let statements = match manager.get_database_backend() {
            DbBackend::Sqlite => sqlite_triggers(true),
            _ => postgres_functions(true),
        };
        let db = manager.get_connection();
        for sql in statements {
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The same rows, unflagged, as 000011 logged them.
        let statements = match manager.get_database_backend() {
            DbBackend::Sqlite => sqlite_triggers(false),
            _ => postgres_functions(false),
        };
        let db = manager.get_connection();
        for sql in statements {
            db.execute_unprepared(&sql).await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(StoryChanges::Table)
                    .drop_column(StoryChanges::Public)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum StoryChanges {
    Table,
    Public,
}
