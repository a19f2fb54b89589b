//! Search that knows the storytellers' scripts (issue 19, docs/SEARCH.md):
//! Arabic-script text is folded before it is indexed, so that spellings that
//! differ only by harakat, tatweel, the form of alef, Arabic or Farsi yeh and
//! kaf, taa marbuta, or the digits used are one word. Latin and Cyrillic text
//! is left as it was (accents count).
//!
//! The folds are listed here once, in [`SCRIPT_FOLDS`]: the index this
//! migration builds applies them in SQL ([`fold_sql`], [`pg_document`]) and the
//! reader's words are folded by the same list in Rust ([`fold_text`],
//! `api::stories::search`). Changing the list means a new migration that
//! rebuilds the index with it, as this one rebuilds migration 000010's.
//!
//! - SQLite: the contentless FTS5 table `story_search` is made again and filled
//!   from the published texts; the triggers on `story_locales` are replaced by
//!   ones that index (and, to remove a row, hand FTS5) the folded text, by
//!   nested `replace()`. `story_search_docs` keeps its rows and ids.
//! - PostgreSQL: `idx_story_revisions_search` is built again, under the same
//!   name, on the document with the folds added to its `translate()`.

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Arabic-script folds, as (characters, what each becomes; `None`: removed).
/// Applied to a text before it is split into words, and to each of a reader's
/// words: every character listed is replaced or dropped, all others kept.
pub const SCRIPT_FOLDS: &[(&str, Option<char>)] = &[
    // Alef with hamza above or below, with madda, wasla: bare alef.
    ("\u{623}\u{625}\u{622}\u{671}", Some('\u{627}')),
    // Arabic yeh and alef maksura: Farsi yeh.
    ("\u{64A}\u{649}", Some('\u{6CC}')),
    // Arabic kaf: keheh (Farsi and Pashto kaf).
    ("\u{643}", Some('\u{6A9}')),
    // Taa marbuta, heh with yeh above: heh.
    ("\u{629}\u{6C0}", Some('\u{647}')),
    // Arabic-Indic and Persian digits: ASCII digits.
    ("\u{660}\u{6F0}", Some('0')),
    ("\u{661}\u{6F1}", Some('1')),
    ("\u{662}\u{6F2}", Some('2')),
    ("\u{663}\u{6F3}", Some('3')),
    ("\u{664}\u{6F4}", Some('4')),
    ("\u{665}\u{6F5}", Some('5')),
    ("\u{666}\u{6F6}", Some('6')),
    ("\u{667}\u{6F7}", Some('7')),
    ("\u{668}\u{6F8}", Some('8')),
    ("\u{669}\u{6F9}", Some('9')),
    // Harakat (fathatan … sukun), madda, hamza above and below, superscript
    // alef, tatweel: removed.
    (
        "\u{64B}\u{64C}\u{64D}\u{64E}\u{64F}\u{650}\u{651}\u{652}\
         \u{653}\u{654}\u{655}\u{670}\u{640}",
        None,
    ),
];

/// The characters PostgreSQL's text-search parser would otherwise join words
/// with (e-mail addresses, URLs, hosts, file paths, decimals, hyphenated
/// words, tags, entities): turned into spaces before parsing, so that its
/// words are the same runs of letters and digits SQLite's `unicode61` finds.
const PG_JOINERS: &str = "-@./:<>&;+~_";

/// `text` with [`SCRIPT_FOLDS`] applied, as the index applies them.
pub fn fold_text(text: &str) -> String {
    text.chars()
        .filter_map(|c| {
            SCRIPT_FOLDS
                .iter()
                .find(|(from, _)| from.contains(c))
                .map_or(Some(c), |(_, to)| *to)
        })
        .collect()
}

/// The SQL of `expr` folded by [`SCRIPT_FOLDS`] on `backend`. On PostgreSQL
/// the same `translate()` also turns its word joiners into spaces (which
/// separate words on both databases anyway).
pub fn fold_sql(backend: DbBackend, expr: &str) -> String {
    match backend {
        DbBackend::Postgres => pg_translate(expr, SCRIPT_FOLDS),
        _ => SCRIPT_FOLDS
            .iter()
            .flat_map(|(from, to)| from.chars().map(move |c| (c, *to)))
            .fold(expr.to_owned(), |sql, (c, to)| {
                let to = to.map(String::from).unwrap_or_default();
                format!("replace({sql}, '{c}', '{to}')")
            }),
    }
}

/// `translate(expr, …)`: joiners to spaces, then `folds` (replacements first,
/// then the removed characters, which `translate` drops for having no
/// counterpart).
fn pg_translate(expr: &str, folds: &[(&str, Option<char>)]) -> String {
    let (mut from, mut to) = (String::from(PG_JOINERS), " ".repeat(PG_JOINERS.len()));
    let mut removed = String::new();
    for (chars, target) in folds {
        match target {
            Some(t) => {
                for c in chars.chars() {
                    from.push(c);
                    to.push(*t);
                }
            }
            None => removed.push_str(chars),
        }
    }
    from.push_str(&removed);
    format!("translate({expr}, '{from}', '{to}')")
}

/// The weighted `tsvector` of a revision (in table `r`, or unqualified when
/// `r` is empty): the expression of the search index, which queries must
/// spell out identically for PostgreSQL to use it.
pub fn pg_document(r: &str) -> String {
    pg_document_with(r, SCRIPT_FOLDS)
}

fn pg_document_with(r: &str, folds: &[(&str, Option<char>)]) -> String {
    let vector = |c: &str| {
        let column = if r.is_empty() {
            c.to_owned()
        } else {
            format!("\"{r}\".\"{c}\"")
        };
        format!(
            "to_tsvector('simple'::regconfig, {})",
            pg_translate(&column, folds)
        )
    };
    format!(
        "setweight({}, 'A') || setweight({}, 'B') || {}",
        vector("title"),
        vector("summary"),
        vector("body")
    )
}

/// The FTS5 table, its triggers and its rows, each text passed through
/// `fold` (an SQL expression of a column); migration 000010's with no fold.
fn sqlite_index(fold: impl Fn(&str) -> String) -> Vec<String> {
    let texts = format!(
        "{}, {}, {}",
        fold("r.title"),
        fold("r.summary"),
        fold("r.body")
    );
    let replace = |revision: &str, locale: &str, delete: bool| {
        let (command, values) = if delete {
            ("story_search, ", "'delete', ")
        } else {
            ("", "")
        };
        format!(
            "INSERT INTO story_search ({command}rowid, title, summary, body)
                SELECT {values}d.id, {texts}
                FROM story_search_docs d JOIN story_revisions r ON r.id = {revision}
                WHERE d.locale_id = {locale};"
        )
    };
    vec![
        "DROP TRIGGER IF EXISTS story_search_locale_delete".into(),
        "DROP TRIGGER IF EXISTS story_search_locale_update".into(),
        "DROP TRIGGER IF EXISTS story_search_locale_insert".into(),
        "DROP TABLE IF EXISTS story_search".into(),
        // As in migration 000010: contentless, diacritics kept, BM25 with
        // the title weighted 4, the summary 2, the body 1, secure delete.
        "CREATE VIRTUAL TABLE story_search USING fts5(
            title, summary, body,
            content = '',
            tokenize = 'unicode61 remove_diacritics 0'
        )"
        .into(),
        "INSERT INTO story_search (story_search, rank) VALUES ('rank', 'bm25(4.0, 2.0, 1.0)')"
            .into(),
        "INSERT INTO story_search (story_search, rank) VALUES ('secure-delete', 1)".into(),
        format!(
            "CREATE TRIGGER story_search_locale_insert AFTER INSERT ON story_locales
             WHEN NEW.published_revision_id IS NOT NULL
             BEGIN
                INSERT INTO story_search_docs (locale_id, story_id) VALUES (NEW.id, NEW.story_id);
                {}
             END",
            replace("NEW.published_revision_id", "NEW.id", false)
        ),
        format!(
            "CREATE TRIGGER story_search_locale_update AFTER UPDATE OF published_revision_id ON story_locales
             WHEN NEW.published_revision_id IS NOT OLD.published_revision_id
             BEGIN
                {}
                DELETE FROM story_search_docs WHERE locale_id = OLD.id;
                INSERT INTO story_search_docs (locale_id, story_id)
                    SELECT NEW.id, NEW.story_id WHERE NEW.published_revision_id IS NOT NULL;
                {}
             END",
            replace("OLD.published_revision_id", "OLD.id", true),
            replace("NEW.published_revision_id", "NEW.id", false)
        ),
        format!(
            "CREATE TRIGGER story_search_locale_delete AFTER DELETE ON story_locales
             BEGIN
                {}
                DELETE FROM story_search_docs WHERE locale_id = OLD.id;
             END",
            replace("OLD.published_revision_id", "OLD.id", true)
        ),
        // Every published text, under its locale's existing id.
        format!(
            "INSERT INTO story_search (rowid, title, summary, body)
                SELECT d.id, {texts}
                FROM story_search_docs d
                JOIN story_locales l ON l.id = d.locale_id
                JOIN story_revisions r ON r.id = l.published_revision_id"
        ),
    ]
}

/// Drops the search index and builds it on `document`.
fn pg_index(document: &str) -> [String; 2] {
    [
        "DROP INDEX IF EXISTS idx_story_revisions_search".into(),
        format!(
            "CREATE INDEX idx_story_revisions_search ON story_revisions USING GIN (({document}))"
        ),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let statements: Vec<String> = match manager.get_database_backend() {
            DbBackend::Postgres => pg_index(&pg_document("")).into(),
            backend => sqlite_index(|column| fold_sql(backend, column)),
        };
        let db = manager.get_connection();
        for statement in statements {
            db.execute_unprepared(&statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let statements: Vec<String> = match manager.get_database_backend() {
            DbBackend::Postgres => pg_index(&pg_document_with("", &[])).into(),
            _ => sqlite_index(str::to_owned),
        };
        let db = manager.get_connection();
        for statement in statements {
            db.execute_unprepared(&statement).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_character_is_folded_once_and_no_fold_can_end_an_sql_string() {
        let listed: Vec<char> = SCRIPT_FOLDS
            .iter()
            .flat_map(|(from, _)| from.chars())
            .collect();
        for c in &listed {
            assert_eq!(listed.iter().filter(|d| *d == c).count(), 1, "{c:?}");
            assert!(!PG_JOINERS.contains(*c));
        }
        for (_, to) in SCRIPT_FOLDS {
            assert!(to.is_none_or(|t| !listed.contains(&t) && t != '\''));
        }
        assert!(!listed.contains(&'\''));
    }

    #[test]
    fn the_issue_spellings_fold_to_one_word() {
        for (a, b) in [
            ("كابل", "کابل"),
            ("نانوايي", "نانوایی"),
            ("مدرسة", "مدرسه"),
            ("مَدْرَسَةٌ", "مدرسه"),
            ("كـــتاب", "کتاب"),
            ("أمل", "امل"),
            ("إيران", "ایران"),
            ("مستشفى", "مستشفی"),
            ("٢٠١٥", "2015"),
            ("۲۰۱۵", "2015"),
        ] {
            assert_eq!(fold_text(a), fold_text(b), "{a} {b}");
        }
        // Latin and Cyrillic are untouched, accents and case included.
        assert_eq!(fold_text("Café ÉCOLE Ёлка"), "Café ÉCOLE Ёлка");
    }

    #[test]
    fn the_old_document_is_migration_10s_index_expression() {
        assert_eq!(
            pg_document_with("", &[]),
            "setweight(to_tsvector('simple'::regconfig, translate(title, '-@./:<>&;+~_', '            ')), 'A') \
             || setweight(to_tsvector('simple'::regconfig, translate(summary, '-@./:<>&;+~_', '            ')), 'B') \
             || to_tsvector('simple'::regconfig, translate(body, '-@./:<>&;+~_', '            '))"
        );
    }
}
