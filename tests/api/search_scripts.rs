//! Search in the storytellers' scripts, on SQLite and on PostgreSQL alike
//! (issue 19): Arabic, Farsi and Pashto spellings that differ by harakat,
//! tatweel, alef forms, Arabic or Farsi yeh and kaf, taa marbuta, digits or
//! the definite article `ال` find each other; other words, parts of words and
//! unpublished text still do not.

use api::{
    clock,
    stories::search::{self, Terms},
};
use migration::{Alias, MigratorTrait, Query};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement, Value};
use uuid::Uuid;

use crate::{
    helpers::TestDatabase,
    search::{World, sorted},
};

#[tokio::test]
async fn arabic_script_spellings_find_each_others_stories() {
    let w = World::new().await;
    let teller = w.reader_teller().await;
    let hospital = w
        .story(
            teller,
            &[("ar", "ليلة في المستشفى", "سنة ٢٠١٥", "عملت ممرضة هناك.")],
        )
        .await;
    let clinic = w
        .story(
            teller,
            &[("ar", "مستشفى الأطفال", "", "قال أن الطريق طويل.")],
        )
        .await;
    let kabul = w
        .story(
            teller,
            &[("fa", "شبی در کابل", "مدرسه", "نانوایی سر کوچه، سال ۱۳۹۴.")],
        )
        .await;
    let village = w
        .story(teller, &[("ps", "زموږ کلی", "", "زموږ کور ډېر ښکلي دی.")])
        .await;
    let marks = w
        .story(teller, &[("ar", "كِتَابٌ جَمِيلٌ", "", "قـــلـــم و دفتر، الآن.")])
        .await;
    // Never published: its words are found nowhere.
    w.draft(
        teller,
        &[("fa", "قندهار", "", "نانوايي قندهار")],
        Default::default(),
    )
    .await;

    for (search, found) in [
        // The three searches.
        ("مستشفى", vec![&hospital, &clinic]),
        ("كابل", vec![&kabul]),
        ("نانوايي", vec![&kabul]),
        // The article, either way; alef with hamza; a beginning.
        ("المستشفى", vec![&hospital, &clinic]),
        ("اطفال", vec![&clinic]),
        ("الاطفال", vec![&clinic]),
        ("مستش*", vec![&hospital, &clinic]),
        ("المستش*", vec![&hospital, &clinic]),
        // Farsi written with Arabic letters, and the other way round.
        ("مدرسة", vec![&kabul]),
        ("کابل", vec![&kabul]),
        ("نانوایی كابل", vec![&kabul]),
        ("ممرضه", vec![&hospital]),
        // Pashto: Arabic kaf, either yeh.
        ("كور", vec![&village]),
        ("كلي", vec![&village]),
        ("ښکلی", vec![&village]),
        // Harakat and tatweel: the bare word finds the marked text, and the
        // marked word the bare text.
        ("كتاب جميل", vec![&marks]),
        ("قلم", vec![&marks]),
        ("دَفْتَر", vec![&marks]),
        ("دفـــتر", vec![&marks]),
        ("لَيْلَة", vec![&hospital]),
        // Arabic-Indic and Persian digits are ASCII digits.
        ("2015", vec![&hospital]),
        ("۲۰۱۵", vec![&hospital]),
        ("1394", vec![&kabul]),
    ] {
        assert_eq!(w.found(search).await, sorted(&found), "{search}");
    }

    for search in [
        // A different word with a letter no fold touches: qaf is not kaf.
        "قابل",
        // Parts of words, and a longer word.
        "کاب",
        "ستشفى",
        "مستشفيات",
        "نان",
        // Unpublished text.
        "قندهار",
    ] {
        assert!(w.found(search).await.is_empty(), "{search}");
    }
    // Two letters after `ال` are no article: `الآن` (now) is not `أن`
    // (that), and neither finds the other.
    assert_eq!(w.found("الآن").await, sorted(&[&marks]));
    assert_eq!(w.found("الان").await, sorted(&[&marks]));
    assert_eq!(w.found("أن").await, sorted(&[&clinic]));
}

#[tokio::test]
async fn the_database_folds_texts_as_chorus_folds_words() {
    let w = World::new().await;
    let db = &w.app.db;
    let backend = db.get_database_backend();
    let every_fold: String = migration::SCRIPT_FOLDS
        .iter()
        .map(|(from, _)| *from)
        .collect();
    let sample = format!("{every_fold} كِتابٌ کابل Café ÉCOLE Ёлка 2015 ä");
    let parameter = match backend {
        DbBackend::Postgres => "CAST($1 AS text)",
        _ => "CAST(? AS TEXT)",
    };
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT {} AS folded",
                migration::fold_sql(backend, parameter)
            ),
            [Value::from(sample.clone())],
        ))
        .await
        .expect("folded")
        .expect("a row");
    let folded: String = row.try_get("", "folded").expect("text");
    assert_eq!(folded, migration::fold_text(&sample));
    assert_ne!(folded, sample);
}

/// Inserts one row of `columns` into `table`.
async fn insert(db: &DatabaseConnection, table: &str, columns: Vec<(&str, Value)>) {
    let (names, values): (Vec<&str>, Vec<Value>) = columns.into_iter().unzip();
    db.execute(
        &Query::insert()
            .into_table(Alias::new(table))
            .columns(names.into_iter().map(Alias::new))
            .values_panic(values.into_iter().map(Into::into))
            .to_owned(),
    )
    .await
    .unwrap_or_else(|e| panic!("a row of {table}: {e}"));
}

#[tokio::test]
async fn the_migration_folds_texts_published_before_it() {
    let database = TestDatabase::new().await;
    let db = Database::connect(&database.url).await.expect("connect");
    migration::Migrator::up(&db, Some(20))
        .await
        .expect("migrations before the folded index");
    let now = clock::now();
    let (teller, story, revision, locale) = (
        Uuid::now_v7(),
        Uuid::now_v7(),
        Uuid::now_v7(),
        Uuid::now_v7(),
    );
    insert(
        &db,
        "storytellers",
        vec![
            ("id", teller.into()),
            ("public_name", "Teller".into()),
            ("public_name_is_pseudonym", false.into()),
            ("legal_name_enc", String::new().into()),
            ("languages", "ar".into()),
            ("asylum_seeker", false.into()),
            ("refugee", false.into()),
            ("undocumented", false.into()),
            ("created_by", Uuid::now_v7().into()),
            ("created_at", now.into()),
            ("updated_at", now.into()),
        ],
    )
    .await;
    insert(
        &db,
        "stories",
        vec![
            ("id", story.into()),
            ("slug", "from-before".into()),
            ("storyteller_id", teller.into()),
            ("primary_locale", "ar".into()),
            ("state", "PUBLISHED".into()),
            ("version", 1.into()),
            ("identity_level", "FULL_NAME".into()),
            ("faces", "NOT_DEPICTED".into()),
            ("location_precision", "COUNTRY".into()),
            ("created_by", Uuid::now_v7().into()),
            ("published_at", now.into()),
            ("created_at", now.into()),
            ("updated_at", now.into()),
        ],
    )
    .await;
    insert(
        &db,
        "story_revisions",
        vec![
            ("id", revision.into()),
            ("story_id", story.into()),
            ("locale", "ar".into()),
            ("number", 1.into()),
            // Arabic kaf and yeh, taa marbuta, harakat.
            ("title", "رِحْلَةٌ إلى كابل".into()),
            ("summary", String::new().into()),
            ("body", "نانوايي".into()),
            ("author_id", Uuid::now_v7().into()),
            ("created_at", now.into()),
        ],
    )
    .await;
    insert(
        &db,
        "story_locales",
        vec![
            ("id", locale.into()),
            ("story_id", story.into()),
            ("locale", "ar".into()),
            ("head_revision_id", revision.into()),
            ("published_revision_id", revision.into()),
        ],
    )
    .await;

    migration::Migrator::up(&db, None)
        .await
        .expect("the folded index");
    let found = |search: &'static str| {
        let db = &db;
        async move {
            let terms = Terms::parse(search).expect("terms");
            let select = search::matching(db.get_database_backend(), &terms, false);
            let rows = db.query_all(&select).await.expect("matched");
            rows.iter()
                .map(|row| row.try_get::<Uuid>("", "story_id").expect("id"))
                .collect::<Vec<_>>()
        }
    };
    // Farsi spellings, and the bare word for the marked one.
    for search in ["کابل", "نانوایی", "رحله", "الی"] {
        assert_eq!(found(search).await, [story], "{search}");
    }
    // Unpublished, its folded words leave the index.
    db.execute_unprepared("UPDATE story_locales SET published_revision_id = NULL")
        .await
        .expect("unpublished");
    assert!(found("کابل").await.is_empty());
    db.close().await.expect("closed");
}
