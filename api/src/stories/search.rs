//! Full-text search over the texts consumers can read: the title, summary and
//! body of each locale's *published* revision, never a draft.
//!
//! One contract on both databases (docs/SEARCH.md): a word is a run of letters,
//! digits and combining marks, anything else separates words; matching ignores
//! case and keeps Latin and Cyrillic diacritics (`café` ≠ `cafe`); every word
//! must occur in the same published text (one locale), as a whole word, or as
//! its beginning when the word ends with `*`. Chorus reads the words out of the
//! reader's string itself and hands the database only quoted words, so no
//! punctuation or operator can be taken for query syntax.
//!
//! Arabic-script spellings are folded into one on both sides: texts as they
//! are indexed, words as they are read, by the one list of migration 000021
//! (`migration::SCRIPT_FOLDS`: harakat and tatweel removed, alef forms, yeh,
//! kaf, taa marbuta and digits unified). The definite article `ال` is matched
//! with or without, by asking for both spellings of a word.
//!
//! - SQLite: an FTS5 index (`story_search`, contentless, `unicode61` without
//!   diacritic removal) of the published texts, one row per published locale,
//!   kept by triggers on `story_locales` (`story_search_docs` maps a row to its
//!   story) that fold the text with nested `replace()`. Relevance is BM25,
//!   title weighted 4, summary 2, body 1.
//! - PostgreSQL: a GIN index on the `'simple'` `tsvector` of every revision,
//!   folded by `translate()` (`migration::pg_document`, which the query spells
//!   out identically); revisions never change, so it needs no upkeep. Reached
//!   through `story_locales.published_revision_id`. Relevance is `ts_rank` with the
//!   title weighted `A`, the summary `B`, the body `D`.
//!
//! Both give the same stories; the order by relevance may differ between them.
//! A story's score is its best text's.

use entity::{story, story_locale, story_revision};
use migration::pg_document;
use sea_orm::{
    ConnectionTrait, DbBackend, FromQueryResult, Order, QueryTrait, Select,
    sea_query::{Alias, Condition, Expr, ExprTrait, Func, JoinType, Query, SelectStatement},
};
use unicode_normalization::{UnicodeNormalization, char::is_combining_mark};

use crate::{
    error::{Error, Result},
    pagination::{self, Page, PageRequest, ScoreCursor},
};

/// The longest search a reader may send, in characters.
pub const MAX_SEARCH_CHARS: usize = 200;
/// The most words a search may hold.
pub const MAX_SEARCH_WORDS: usize = 12;

/// Arabic's definite article, written joined to its word.
const ARTICLE: &str = "\u{627}\u{644}";
/// The fewest letters left after `ال` for it to be taken for the article:
/// `الآن` (now) is not the article on `ان`, nor `ألم` (pain) on `م`.
const MIN_AFTER_ARTICLE: usize = 3;

/// One word of a search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub text: String,
    /// Matches any word that begins with `text` (written `text*`).
    pub prefix: bool,
}

/// A reader's search, read into words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terms {
    words: Vec<Word>,
}

impl Terms {
    /// Reads the words out of a reader's search; `BAD_USER_INPUT` (field
    /// `search`) when there is none, or too many, or the string is too long.
    pub fn parse(input: &str) -> Result<Self> {
        if input.chars().count() > MAX_SEARCH_CHARS {
            return Err(Error::invalid(
                "search",
                format!("a search is at most {MAX_SEARCH_CHARS} characters"),
            ));
        }
        let mut words: Vec<Word> = Vec::new();
        let mut current = String::new();
        // Composed (NFC) first, so an accent typed as a separate mark
        // matches the same letter written as one character.
        for c in input.nfc().chain(std::iter::once(' ')) {
            if c.is_alphanumeric() || is_combining_mark(c) {
                current.push(c);
                continue;
            }
            // Folded as the index folds texts (migration 000021): a word of
            // only harakat or tatweel is none.
            let text = migration::fold_text(&std::mem::take(&mut current));
            if !text.is_empty() {
                let word = Word {
                    text,
                    prefix: c == '*',
                };
                // The same word twice narrows nothing more.
                if !words.contains(&word) {
                    words.push(word);
                }
            }
        }
        if words.is_empty() {
            return Err(Error::invalid(
                "search",
                "give at least one word (letters or digits) to search for, or leave `search` out",
            ));
        }
        if words.len() > MAX_SEARCH_WORDS {
            return Err(Error::invalid(
                "search",
                format!("a search is at most {MAX_SEARCH_WORDS} words"),
            ));
        }
        Ok(Self { words })
    }

    /// The words, in the reader's order (folded).
    pub fn words(&self) -> &[Word] {
        &self.words
    }

    /// The FTS5 query: each word a quoted string (`"word"`, `"word"*`), or
    /// its spellings in brackets (`("word" OR "alt")`), joined with `AND`
    /// (FTS5 takes no implicit `AND` next to brackets). Words hold no quote,
    /// so nothing needs escaping.
    fn fts5(&self) -> String {
        self.query(
            |s, prefix| format!("\"{s}\"{}", if prefix { "*" } else { "" }),
            " OR ",
            " AND ",
        )
    }

    /// The `tsquery` text: each word a quoted lexeme (`'word'`, `'word':*`),
    /// or its spellings in brackets (`('word' | 'alt')`), joined with `&`.
    /// Words hold no quote or operator.
    fn tsquery(&self) -> String {
        self.query(
            |s, prefix| format!("'{s}'{}", if prefix { ":*" } else { "" }),
            " | ",
            " & ",
        )
    }

    /// Each word's spellings quoted by `quote`, joined by `or`; the words
    /// joined by `and`.
    fn query(&self, quote: impl Fn(&str, bool) -> String, or: &str, and: &str) -> String {
        let words: Vec<String> = self
            .words
            .iter()
            .map(|w| {
                let spellings: Vec<String> =
                    w.spellings().iter().map(|s| quote(s, w.prefix)).collect();
                match spellings.as_slice() {
                    [one] => one.clone(),
                    _ => format!("({})", spellings.join(or)),
                }
            })
            .collect();
        words.join(and)
    }
}

impl Word {
    /// The spellings the word is found by: itself, and an Arabic-script word
    /// also with the definite article `ال` if it has none, or without it if
    /// it has (when at least [`MIN_AFTER_ARTICLE`] letters remain).
    fn spellings(&self) -> Vec<String> {
        let text = &self.text;
        let other = match text.strip_prefix(ARTICLE) {
            Some(rest) => (rest.chars().count() >= MIN_AFTER_ARTICLE).then(|| rest.to_owned()),
            None => (text.chars().count() >= MIN_AFTER_ARTICLE && text.chars().all(is_arabic))
                .then(|| format!("{ARTICLE}{text}")),
        };
        std::iter::once(text.clone()).chain(other).collect()
    }
}

/// A letter of the Arabic script (its main block; folded digits are ASCII).
fn is_arabic(c: char) -> bool {
    matches!(c, '\u{600}'..='\u{6FF}' | '\u{750}'..='\u{77F}' | '\u{8A0}'..='\u{8FF}')
}

const STORY_ID: &str = "story_id";
const SCORE: &str = "score";

/// `SELECT story_id [, score]` of the stories with a published text holding
/// every word: one row per matching text without the score, one per story
/// (its best text's score, higher is better) with it.
pub fn matching(backend: DbBackend, terms: &Terms, scored: bool) -> SelectStatement {
    let story_id = Alias::new(STORY_ID);
    let mut select = Query::select();
    match backend {
        DbBackend::Postgres => {
            let (l, r) = (Alias::new("l"), Alias::new("r"));
            let query = terms.tsquery();
            select
                .expr_as(
                    Expr::col((l.clone(), story_locale::Column::StoryId)),
                    story_id.clone(),
                )
                .from_as(story_locale::Entity, l.clone())
                .join_as(
                    JoinType::InnerJoin,
                    story_revision::Entity,
                    r.clone(),
                    Expr::col((r.clone(), story_revision::Column::Id))
                        .equals((l.clone(), story_locale::Column::PublishedRevisionId)),
                )
                .and_where(Expr::cust_with_values(
                    format!(
                        "{} @@ to_tsquery('simple'::regconfig, $1)",
                        pg_document("r")
                    ),
                    [query.clone()],
                ));
            if scored {
                select
                    .expr_as(
                        Func::max(Expr::cust_with_values(
                            format!(
                                "CAST(ts_rank({}, to_tsquery('simple'::regconfig, $1)) AS double precision)",
                                pg_document("r")
                            ),
                            [query],
                        )),
                        Alias::new(SCORE),
                    )
                    .group_by_col((l, story_locale::Column::StoryId));
            }
        }
        // SQLite (the only other backend Chorus runs on).
        _ => {
            let (fts, docs) = (Alias::new("story_search"), Alias::new("story_search_docs"));
            select
                .expr_as(
                    Expr::col((docs.clone(), story_id.clone())),
                    story_id.clone(),
                )
                .from(fts.clone())
                .inner_join(
                    docs.clone(),
                    Expr::col((docs.clone(), Alias::new("id")))
                        .equals((fts.clone(), Alias::new("rowid"))),
                )
                .and_where(Expr::cust_with_values(
                    "\"story_search\" MATCH ?",
                    [terms.fts5()],
                ));
            if scored {
                // `rank` is the table's configured BM25 (lower is better);
                // an auxiliary function could not be aggregated.
                select
                    .expr_as(
                        Func::max(Expr::col((fts, Alias::new("rank"))).mul(-1.0)),
                        Alias::new(SCORE),
                    )
                    .group_by_col((docs, story_id));
            }
        }
    }
    select
}

/// The stories of `select` that match `terms`, one page of them by relevance:
/// best score first, ties by id; keyset on (score, id).
pub async fn fetch_by_relevance(
    db: &impl ConnectionTrait,
    select: Select<story::Entity>,
    terms: &Terms,
    request: PageRequest<ScoreCursor>,
) -> Result<Page<(story::Model, f64)>> {
    let search = Alias::new("search");
    let score = || Expr::col((search.clone(), Alias::new(SCORE)));
    let id = || Expr::col((story::Entity, story::Column::Id));
    let mut query = select.into_query();
    query
        .join_subquery(
            JoinType::InnerJoin,
            matching(db.get_database_backend(), terms, true),
            search.clone(),
            Expr::col((search.clone(), Alias::new(STORY_ID)))
                .equals((story::Entity, story::Column::Id)),
        )
        .expr_as(score(), Alias::new("search_score"));
    // Rows past `c` in the list's order (`forward`), or before it.
    let beyond = |c: ScoreCursor, forward: bool| {
        if forward {
            Condition::any()
                .add(score().lt(c.score))
                .add(Condition::all().add(score().eq(c.score)).add(id().gt(c.id)))
        } else {
            Condition::any()
                .add(score().gt(c.score))
                .add(Condition::all().add(score().eq(c.score)).add(id().lt(c.id)))
        }
    };
    if let Some(after) = request.after {
        query.cond_where(beyond(after, true));
    }
    if let Some(before) = request.before {
        query.cond_where(beyond(before, false));
    }
    let (by_score, by_id) = if request.backward {
        (Order::Asc, Order::Desc)
    } else {
        (Order::Desc, Order::Asc)
    };
    query
        .order_by((search.clone(), Alias::new(SCORE)), by_score)
        .order_by((story::Entity, story::Column::Id), by_id)
        .limit(request.size + 1);
    let mut rows = Vec::new();
    for row in db.query_all(&query).await? {
        rows.push((
            story::Model::from_query_result(&row, "")?,
            row.try_get::<f64>("", "search_score")?,
        ));
    }
    Ok(pagination::assemble(rows, &request))
}

/// Builds SQLite's index again from the published texts, as migration 000021
/// fills it (a restore loads rows in an order the triggers cannot follow: a
/// locale may arrive before the revision it publishes). PostgreSQL's index is
/// on the revisions themselves and needs nothing.
pub async fn rebuild_index(db: &impl sea_orm::ConnectionTrait) -> Result<(), sea_orm::DbErr> {
    let backend = db.get_database_backend();
    if backend != DbBackend::Sqlite {
        return Ok(());
    }
    let fold = |column: &str| migration::fold_sql(backend, column);
    let statements = [
        "DELETE FROM story_search_docs".to_owned(),
        // Contentless FTS5 forgets every row at once this way (and keeps its
        // rank and secure-delete settings).
        "INSERT INTO story_search (story_search) VALUES ('delete-all')".to_owned(),
        "INSERT INTO story_search_docs (locale_id, story_id) \
         SELECT id, story_id FROM story_locales WHERE published_revision_id IS NOT NULL"
            .to_owned(),
        format!(
            "INSERT INTO story_search (rowid, title, summary, body) \
             SELECT d.id, {}, {}, {} FROM story_search_docs d \
             JOIN story_locales l ON l.id = d.locale_id \
             JOIN story_revisions r ON r.id = l.published_revision_id",
            fold("r.title"),
            fold("r.summary"),
            fold("r.body")
        ),
    ];
    for statement in statements {
        db.execute_unprepared(&statement).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(input: &str) -> Vec<(String, bool)> {
        Terms::parse(input)
            .expect("words")
            .words()
            .iter()
            .map(|w| (w.text.clone(), w.prefix))
            .collect()
    }

    #[test]
    fn words_are_runs_of_letters_and_digits() {
        assert_eq!(
            words("  Hello, world!! l'eau Île-de-France x_y 3.5 "),
            [
                ("Hello", false),
                ("world", false),
                ("l", false),
                ("eau", false),
                ("Île", false),
                ("de", false),
                ("France", false),
                ("x", false),
                ("y", false),
                ("3", false),
                ("5", false),
            ]
            .map(|(w, p)| (w.to_owned(), p))
        );
        assert_eq!(
            words("مرحبا بالعالم"),
            [("مرحبا".to_owned(), false), ("بالعالم".to_owned(), false)]
        );
        // A decomposed accent is composed first.
        assert_eq!(words("cafe\u{301}"), [("café".to_owned(), false)]);
    }

    #[test]
    fn a_trailing_star_asks_for_a_prefix_and_repeats_are_dropped() {
        assert_eq!(
            words("migr* work work *"),
            [("migr".to_owned(), true), ("work".to_owned(), false)]
        );
    }

    #[test]
    fn operators_and_quotes_reach_the_database_only_as_quoted_words() {
        let terms = Terms::parse(r#"NOT "a" OR b* AND (c) NEAR(d e) ' ; -- :* & | ! <-> \"#)
            .expect("words");
        assert_eq!(
            terms.fts5(),
            r#""NOT" AND "a" AND "OR" AND "b"* AND "AND" AND "c" AND "NEAR" AND "d" AND "e""#
        );
        assert_eq!(
            terms.tsquery(),
            "'NOT' & 'a' & 'OR' & 'b':* & 'AND' & 'c' & 'NEAR' & 'd' & 'e'"
        );
    }

    #[test]
    fn searches_without_words_or_too_long_are_refused_on_the_search_field() {
        for bad in [
            String::new(),
            "   ".into(),
            "?!* -- ()".into(),
            "a".repeat(MAX_SEARCH_CHARS + 1),
            (0..=MAX_SEARCH_WORDS)
                .map(|n| format!("w{n}"))
                .collect::<Vec<_>>()
                .join(" "),
        ] {
            match Terms::parse(&bad) {
                Err(Error::BadUserInput { field, .. }) => assert_eq!(field, Some("search")),
                other => panic!("{bad:?} gave {other:?}"),
            }
        }
    }

    #[test]
    fn arabic_words_are_folded_and_asked_with_and_without_the_article() {
        let terms = Terms::parse("المستشفى كابل* نانوايي الآن مَدْرَسَةٌ ـــ Café").expect("words");
        assert_eq!(
            terms.fts5(),
            "(\"المستشفی\" OR \"مستشفی\") AND (\"کابل\"* OR \"الکابل\"*) \
             AND (\"نانوایی\" OR \"النانوایی\") AND \"الان\" \
             AND (\"مدرسه\" OR \"المدرسه\") AND \"Café\""
        );
        assert_eq!(
            terms.tsquery(),
            "('المستشفی' | 'مستشفی') & ('کابل':* | 'الکابل':*) & ('نانوایی' | 'النانوایی') \
             & 'الان' & ('مدرسه' | 'المدرسه') & 'Café'"
        );
        // Two spellings of one word are one word; two letters are no word
        // with an article.
        assert_eq!(
            words("كابل کابل حب"),
            [("کابل".to_owned(), false), ("حب".to_owned(), false)]
        );
        assert_eq!(Terms::parse("حب").expect("words").fts5(), "\"حب\"");
    }
}
