//! Full-text search over published story texts (api/src/stories/search.rs,
//! docs/SEARCH.md).
//!
//! - SQLite: `story_search`, a contentless FTS5 table (`unicode61`, diacritics
//!   kept, secure delete) holding one row per published locale, and
//!   `story_search_docs`, which names the locale and story of each row. Triggers
//!   on `story_locales` follow `published_revision_id`: when it changes, the
//!   locale's row is replaced by the newly published revision's text (or
//!   removed); revisions themselves never change. Existing published texts are
//!   indexed here.
//! - PostgreSQL: a GIN index on the weighted `'simple'` `tsvector` of every
//!   revision (append-only, so the index needs no upkeep), and an index on
//!   `story_locales.published_revision_id` to go from a matching revision to
//!   the locale that publishes it. The index expression must stay identical to
//!   `api::stories::search::pg_document`.

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE_UP: &[&str] = &[
    // Ids are never reused, so no stale index entry can ever name a new row.
    "CREATE TABLE story_search_docs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        locale_id uuid_text NOT NULL UNIQUE,
        story_id uuid_text NOT NULL
    )",
    // Contentless: the text stays in `story_revisions` only.
    "CREATE VIRTUAL TABLE story_search USING fts5(
        title, summary, body,
        content = '',
        tokenize = 'unicode61 remove_diacritics 0'
    )",
    // `rank`: BM25 with the title weighted 4, the summary 2, the body 1.
    "INSERT INTO story_search (story_search, rank) VALUES ('rank', 'bm25(4.0, 2.0, 1.0)')",
    // A removed text's words leave the index at once, and with `PRAGMA
    // secure_delete` (api/src/db.rs) the freed space is zeroed: an erased
    // story leaves no word behind.
    "INSERT INTO story_search (story_search, rank) VALUES ('secure-delete', 1)",
    // A contentless row is removed by handing FTS5 the text it indexed: the
    // published revision's, which never changes and is deleted (on erasure)
    // only after its locale.
    "CREATE TRIGGER story_search_locale_insert AFTER INSERT ON story_locales
     WHEN NEW.published_revision_id IS NOT NULL
     BEGIN
        INSERT INTO story_search_docs (locale_id, story_id) VALUES (NEW.id, NEW.story_id);
        INSERT INTO story_search (rowid, title, summary, body)
            SELECT d.id, r.title, r.summary, r.body
            FROM story_search_docs d JOIN story_revisions r ON r.id = NEW.published_revision_id
            WHERE d.locale_id = NEW.id;
     END",
    "CREATE TRIGGER story_search_locale_update AFTER UPDATE OF published_revision_id ON story_locales
     WHEN NEW.published_revision_id IS NOT OLD.published_revision_id
     BEGIN
        INSERT INTO story_search (story_search, rowid, title, summary, body)
            SELECT 'delete', d.id, r.title, r.summary, r.body
            FROM story_search_docs d JOIN story_revisions r ON r.id = OLD.published_revision_id
            WHERE d.locale_id = OLD.id;
        DELETE FROM story_search_docs WHERE locale_id = OLD.id;
        INSERT INTO story_search_docs (locale_id, story_id)
            SELECT NEW.id, NEW.story_id WHERE NEW.published_revision_id IS NOT NULL;
        INSERT INTO story_search (rowid, title, summary, body)
            SELECT d.id, r.title, r.summary, r.body
            FROM story_search_docs d JOIN story_revisions r ON r.id = NEW.published_revision_id
            WHERE d.locale_id = NEW.id;
     END",
    "CREATE TRIGGER story_search_locale_delete AFTER DELETE ON story_locales
     BEGIN
        INSERT INTO story_search (story_search, rowid, title, summary, body)
            SELECT 'delete', d.id, r.title, r.summary, r.body
            FROM story_search_docs d JOIN story_revisions r ON r.id = OLD.published_revision_id
            WHERE d.locale_id = OLD.id;
        DELETE FROM story_search_docs WHERE locale_id = OLD.id;
     END",
    "INSERT INTO story_search_docs (locale_id, story_id)
        SELECT id, story_id FROM story_locales WHERE published_revision_id IS NOT NULL",
    "INSERT INTO story_search (rowid, title, summary, body)
        SELECT d.id, r.title, r.summary, r.body
        FROM story_search_docs d
        JOIN story_locales l ON l.id = d.locale_id
        JOIN story_revisions r ON r.id = l.published_revision_id",
];

const SQLITE_DOWN: &[&str] = &[
    "DROP TRIGGER IF EXISTS story_search_locale_delete",
    "DROP TRIGGER IF EXISTS story_search_locale_update",
    "DROP TRIGGER IF EXISTS story_search_locale_insert",
    "DROP TABLE IF EXISTS story_search",
    "DROP TABLE IF EXISTS story_search_docs",
];

/// The weighted document of a revision; the same expression as
/// `api::stories::search::pg_document("")`.
const PG_DOCUMENT: &str = "setweight(to_tsvector('simple'::regconfig, translate(title, '-@./:<>&;+~_', '            ')), 'A') \
     || setweight(to_tsvector('simple'::regconfig, translate(summary, '-@./:<>&;+~_', '            ')), 'B') \
     || to_tsvector('simple'::regconfig, translate(body, '-@./:<>&;+~_', '            '))";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared(&format!(
                    "CREATE INDEX idx_story_revisions_search ON story_revisions USING GIN (({PG_DOCUMENT}))"
                ))
                .await?;
                manager
                    .create_index(
                        Index::create()
                            .name("idx_story_locales_published_revision")
                            .table(StoryLocales::Table)
                            .col(StoryLocales::PublishedRevisionId)
                            .to_owned(),
                    )
                    .await?;
            }
            _ => {
                for statement in SQLITE_UP {
                    db.execute_unprepared(statement).await?;
                }
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared("DROP INDEX IF EXISTS idx_story_revisions_search")
                    .await?;
                db.execute_unprepared("DROP INDEX IF EXISTS idx_story_locales_published_revision")
                    .await?;
            }
            _ => {
                for statement in SQLITE_DOWN {
                    db.execute_unprepared(statement).await?;
                }
            }
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum StoryLocales {
    Table,
    PublishedRevisionId,
}
