//! Backups and restores (`chorus backup`, `chorus restore`): an archive on the
//! embedded default (SQLite + local disk) backed up while it serves and
//! restored into the run's database on S3 answers every consumer the same,
//! byte for byte; a damaged backup is refused before anything is written; a
//! backup never overwrites and a restore never merges.

use std::{
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use api::{
    auth::{Principal, Role, accounts::By},
    backup::{self, BackupError, Coverage, Location, Place, manifest::Manifest},
    clock,
    config::Config,
    media::{intake::Owner, strip::fixtures as media_fixtures},
    stories::workflow,
};
use entity::{api_key::Channel, job};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::{
    cli::chorus,
    fixtures,
    helpers::{ENCRYPTION_KEY, PASSWORD, TestApp, TestDatabase, spawn_app, spawn_app_in},
    s3_server::S3Server,
};

/// Every published story a key sees, with everything a site would show.
const STORIES: &str = "{ stories(first: 10) { totalCount nodes {
  id slug locale primaryLocale title summary body bodyHtml publishedAt firstPublishedAt region
  storyteller { name isPseudonym } campaigns { slug } tags { slug }
  recordingTexts { mediaId kind }
  media { id kind altText caption credit sources { variant mime width height url } }
} } }";

/// An archive on the embedded default with some of everything in it.
struct Archive {
    app: TestApp,
    author: Principal,
    /// A PUBLIC_WEB key.
    key: String,
    teller: uuid::Uuid,
    published: Vec<String>,
    withdrawn: String,
}

impl Archive {
    async fn new() -> Self {
        let app = spawn_app_in(TestDatabase::sqlite(), &[]).await;
        let db = &app.db;
        let admin = fixtures::staff(db, "admin@chorus.test", Role::Admin).await;
        let editor = fixtures::staff(db, "editor@chorus.test", Role::Editor).await;
        let author = fixtures::staff(db, "author@chorus.test", Role::Contributor).await;
        fixtures::partner(db, &admin, "migrants-org").await;
        let (key_id, key) = fixtures::api_key(db, &admin, Channel::PublicWeb, None).await;
        api::webhooks::create(
            db,
            &app.state.crypto,
            &admin,
            api::webhooks::NewEndpoint {
                api_key_id: key_id,
                url: "https://partner.example/chorus".into(),
                events: vec![api::webhooks::Event::StoryPublished],
                description: Some("the partner's site".into()),
            },
            true,
            clock::now(),
        )
        .await
        .expect("webhook endpoint");
        api::organisations::create(
            db,
            By::Cli,
            api::organisations::NewOrganisation {
                slug: "harbour-collective".into(),
                name: "Harbour Collective".into(),
                partner_id: None,
            },
            clock::now(),
        )
        .await
        .expect("organisation");

        let terms = || fixtures::terms(&[Channel::PublicWeb]);
        let (teller, _) = fixtures::teller_with(db, &app.state.crypto, &editor, terms()).await;
        let photo = media_fixtures::jpeg_with_metadata(1);
        let mut published = Vec::new();
        for (title, files) in [
            ("The bakery on the corner", vec![photo.clone()]),
            ("Songs from home", vec![fixtures::mp3(), photo]),
            ("Letters", vec![]),
        ] {
            let draft = fixtures::draft(db, &author, teller.id, title).await;
            for bytes in files {
                add_media(&app, &editor, draft.id, &bytes).await;
            }
            published.push(publish(&app, &author, &editor, &draft).await.slug);
        }
        let (leaving, consent) =
            fixtures::teller_with(db, &app.state.crypto, &editor, terms()).await;
        let draft = fixtures::draft(db, &author, leaving.id, "A story taken back").await;
        add_media(
            &app,
            &editor,
            draft.id,
            &media_fixtures::jpeg_with_metadata(1),
        )
        .await;
        let withdrawn = publish(&app, &author, &editor, &draft).await.slug;
        fixtures::withdraw(db, &editor, consent.consent.record.id).await;
        settle(&app).await;
        Self {
            app,
            author,
            key,
            teller: teller.id,
            published,
            withdrawn,
        }
    }

    /// A backup of the archive in a new directory of `dir`.
    async fn backup(&self, dir: &Path) -> Result<Manifest, BackupError> {
        let place = Place::open(Location::Dir(dir.to_owned()), &self.app.state.config)?;
        backup::backup(&self.app.db, self.app.state.storage.as_ref(), &place).await
    }
}

/// A file of the story, described as publishing asks and showing no face.
async fn add_media(app: &TestApp, editor: &Principal, story: uuid::Uuid, bytes: &[u8]) {
    use sea_orm::{ActiveModelTrait, Set};
    let item = fixtures::ingest(app, editor, Owner::Story(story), bytes).await;
    let mut item: entity::media_asset::ActiveModel = item.into();
    item.alt_text = Set(Some("A described picture".into()));
    // Nobody's face: delivered under the story's protective default (faces obscured).
    item.shows_faces = Set(false);
    item.update(&app.db).await.expect("described");
}

async fn publish(
    app: &TestApp,
    author: &Principal,
    editor: &Principal,
    draft: &entity::story::Model,
) -> entity::story::Model {
    let db = &app.db;
    let submitted = workflow::submit(db, author, draft.id, None, clock::now())
        .await
        .expect("submitted");
    fixtures::sign_off(db, author, &submitted).await;
    fixtures::assess(db, editor, &submitted).await;
    fixtures::transcribe(db, editor, draft.id).await;
    workflow::approve(db, editor, true, draft.id, None, clock::now())
        .await
        .expect("approved");
    fixtures::publish_now(db, editor, draft.id).await
}

/// Runs render jobs until none is left, so every rendition is in the store.
async fn settle(app: &TestApp) {
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        api::jobs::run_due(
            &app.db,
            app.state.storage.as_ref(),
            "backup-test",
            Duration::from_secs(300),
        )
        .await
        .expect("jobs polled");
        let busy = job::Entity::find()
            .filter(job::Column::Kind.eq(job::Kind::RenderMedia))
            .filter(job::Column::DoneAt.is_null())
            .all(&app.db)
            .await
            .expect("jobs");
        if busy.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "renders did not finish: {busy:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The settings of a media store in a fresh bucket of `server`.
fn s3_vars(server: &S3Server) -> Vec<(String, String)> {
    [
        ("CHORUS_STORAGE", "s3".to_owned()),
        ("CHORUS_S3_BUCKET", server.create_bucket()),
        ("CHORUS_S3_ENDPOINT", server.endpoint.clone()),
        ("CHORUS_S3_ACCESS_KEY_ID", server.access_key.clone()),
        ("CHORUS_S3_SECRET_ACCESS_KEY", server.secret_key.clone()),
        ("CHORUS_S3_PATH_STYLE", "true".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

fn borrowed(vars: &[(String, String)]) -> Vec<(&str, &str)> {
    vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// Restores `from` into the instance `database` + `vars` configure, as
/// `chorus restore` does; the target's pool, for looking inside afterwards.
async fn restore_into(
    database: &TestDatabase,
    vars: &[(String, String)],
    from: impl Into<Target>,
) -> (Result<Manifest, BackupError>, DatabaseConnection) {
    let config = Config::from_map(&database.config(&borrowed(vars))).expect("target config");
    let db = api::db::connect(&config).await.expect("target database");
    let store = api::storage::from_config(&config).expect("target store");
    let keys = api::app::load_key_ring(&config.encryption).expect("keys");
    let place = Place::open(from.into().0, &config).expect("place");
    let restored = backup::restore(&db, store.as_ref(), &keys, &place).await;
    (restored, db)
}

/// A backup's location, from a directory or a parsed address.
struct Target(Location);

impl From<&Path> for Target {
    fn from(dir: &Path) -> Self {
        Target(Location::Dir(dir.to_owned()))
    }
}

impl From<&PathBuf> for Target {
    fn from(dir: &PathBuf) -> Self {
        Target(Location::Dir(dir.clone()))
    }
}

impl From<Location> for Target {
    fn from(location: Location) -> Self {
        Target(location)
    }
}

/// What `key` reads of every published story, each media URL replaced by
/// the hash of the bytes it serves (signed URLs differ between instances;
/// the bytes may not).
async fn answers(app: &TestApp, key: &str) -> Value {
    let res = app.consume(key, STORIES, json!({})).await;
    assert!(res.body["errors"].is_null(), "{:?}", res.body);
    let mut data = res.data().clone();
    let mut urls = Vec::new();
    collect_urls(&data, &mut urls);
    for url in urls {
        let res = app.client.get(&url).send().await.expect("media fetched");
        assert_eq!(res.status().as_u16(), 200, "{url}");
        let bytes = res.bytes().await.expect("media bytes");
        let digest = format!(
            "sha256:{:x} ({} bytes)",
            Sha256::digest(&bytes),
            bytes.len()
        );
        replace_url(&mut data, &url, &digest);
    }
    data
}

fn collect_urls(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (name, inner) in map {
                match (name.as_str(), inner) {
                    ("url", Value::String(url)) => out.push(url.clone()),
                    _ => collect_urls(inner, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect_urls(i, out)),
        _ => {}
    }
}

fn replace_url(value: &mut Value, url: &str, with: &str) {
    match value {
        Value::Object(map) => {
            for (name, inner) in map.iter_mut() {
                if name == "url" && inner.as_str() == Some(url) {
                    *inner = Value::String(with.to_owned());
                } else {
                    replace_url(inner, url, with);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| replace_url(i, url, with)),
        _ => {}
    }
}

#[tokio::test]
async fn a_backup_of_the_embedded_default_taken_while_serving_restores_onto_s3_with_identical_answers()
 {
    let archive = Archive::new().await;
    let dir = tempfile::tempdir().expect("dir");
    let to = dir.path().join("backup");

    // Writes and reads go on while the backup runs.
    let writes = async {
        for n in 0..5 {
            fixtures::draft(
                &archive.app.db,
                &archive.author,
                archive.teller,
                &format!("Written during the backup {n}"),
            )
            .await;
            let res = archive.app.consume(&archive.key, STORIES, json!({})).await;
            assert!(res.body["errors"].is_null(), "{:?}", res.body);
        }
    };
    let (manifest, ()) = tokio::join!(archive.backup(&to), writes);
    let manifest = manifest.expect("backed up");
    assert_eq!(manifest.source_backend, "sqlite");
    assert_eq!(manifest.encryption_key_ids, vec!["test1".to_owned()]);
    assert!(
        manifest.objects.len() >= 4 && manifest.objects.iter().all(|o| !o.missing),
        "originals and renditions: {:?}",
        manifest.objects
    );
    let before = answers(&archive.app, &archive.key).await;
    let stories = before["stories"]["nodes"].as_array().expect("stories");
    let slugs: Vec<&str> = stories.iter().filter_map(|s| s["slug"].as_str()).collect();
    assert_eq!(slugs.len(), archive.published.len(), "{slugs:?}");
    assert!(!slugs.contains(&archive.withdrawn.as_str()));
    assert!(
        stories
            .iter()
            .filter(|s| !s["media"].as_array().expect("media").is_empty())
            .count()
            >= 2,
        "media reach the reader: {before}"
    );

    // The target: the run's database (PostgreSQL on the CI's second pass)
    // with its media on S3.
    let server = S3Server::start().await;
    let vars = s3_vars(&server);
    let database = TestDatabase::new().await;
    let (restored, db) = restore_into(&database, &vars, &to).await;
    let restored = restored.expect("restored");
    assert_eq!(restored.rows(), manifest.rows());
    db.close().await.ok();
    let mut target = spawn_app_in(database, &borrowed(&vars)).await;
    target.s3 = Some(server);

    // The same key reads the same stories, the same words and the same bytes.
    assert_eq!(answers(&target, &archive.key).await, before);
    for slug in archive.published.iter().chain([&archive.withdrawn]) {
        let query = "query($s: String!) { story(slug: $s) { slug title } }";
        let source = archive
            .app
            .consume(&archive.key, query, json!({ "s": slug }))
            .await;
        let restored = target
            .consume(&archive.key, query, json!({ "s": slug }))
            .await;
        assert_eq!(restored.body, source.body, "{slug}");
    }
    let gone = target
        .consume(
            &archive.key,
            "query($s: String!) { story(slug: $s) { slug } }",
            json!({ "s": archive.withdrawn }),
        )
        .await;
    assert!(
        gone.data()["story"].is_null(),
        "the withdrawn story stays away"
    );
    // The search index, which is rebuilt rather than copied, finds the same.
    let search = r#"{ stories(search: "bakery") { nodes { slug } } }"#;
    let source = archive.app.consume(&archive.key, search, json!({})).await;
    assert_eq!(
        source.data()["stories"]["nodes"],
        json!([{ "slug": "the-bakery-on-the-corner" }]),
        "source {:?}",
        source.body
    );
    let found = target.consume(&archive.key, search, json!({})).await;
    assert_eq!(
        found.data()["stories"]["nodes"],
        json!([{ "slug": "the-bakery-on-the-corner" }]),
        "{:?}",
        found.body
    );
    // Staff sign in with the passwords they had.
    let login = target.login("editor@chorus.test", PASSWORD).await;
    assert!(login.body["errors"].is_null(), "{:?}", login.body);
    // The change log goes on from where it was: a new change gets a later version.
    let version = |db: DatabaseConnection| async move {
        backup::schema::integer_rows(&db, "story_change_counter")
            .await
            .expect("counter")[0]["value"]
    };
    assert_eq!(
        version(target.db.clone()).await,
        manifest.counters["story_change_counter"][0]["value"]
    );
}

/// A small archive: one storyteller, one draft with a recording.
async fn small_archive(overrides: &[(&str, &str)]) -> (TestApp, entity::media_asset::Model) {
    let app = spawn_app_in(TestDatabase::sqlite(), overrides).await;
    let editor = fixtures::staff(&app.db, "editor@chorus.test", Role::Editor).await;
    let author = fixtures::staff(&app.db, "author@chorus.test", Role::Contributor).await;
    let (teller, _) = fixtures::teller_with(
        &app.db,
        &app.state.crypto,
        &editor,
        fixtures::terms(&[Channel::PublicWeb]),
    )
    .await;
    let draft = fixtures::draft(&app.db, &author, teller.id, "Small").await;
    let item = fixtures::ingest(&app, &editor, Owner::Story(draft.id), &fixtures::mp3()).await;
    (app, item)
}

/// `app` backed up into a new directory.
async fn backup_of(app: &TestApp) -> (tempfile::TempDir, PathBuf, Manifest) {
    let dir = tempfile::tempdir().expect("dir");
    let to = dir.path().join("backup");
    let place = Place::open(Location::Dir(to.clone()), &app.state.config).expect("place");
    let manifest = backup::backup(&app.db, app.state.storage.as_ref(), &place)
        .await
        .expect("backed up");
    (dir, to, manifest)
}

/// A small archive's backup, for the refusals.
async fn small_backup() -> (tempfile::TempDir, PathBuf, Manifest) {
    let (app, _) = small_archive(&[]).await;
    backup_of(&app).await
}

#[tokio::test]
async fn an_object_erased_since_the_snapshot_is_recorded_missing_and_the_rest_restores() {
    let (app, item) = small_archive(&[]).await;
    // As a withdrawal erasing media while the backup runs leaves it: the row
    // is in the snapshot, the object is gone.
    app.state
        .storage
        .delete(&item.storage_key)
        .await
        .expect("erased");
    let (_dir, to, manifest) = backup_of(&app).await;
    let entry = manifest
        .objects
        .iter()
        .find(|o| o.key == item.storage_key)
        .expect("still listed");
    assert!(entry.missing && entry.file.is_none(), "{entry:?}");
    let database = TestDatabase::new().await;
    let (restored, _db) = restore_into(&database, &[], &to).await;
    let restored = restored.expect("restored");
    assert_eq!(restored.objects.iter().filter(|o| o.missing).count(), 1);
}

/// The error of a restore that was refused, after checking it wrote nothing.
async fn refusal(restored: Result<Manifest, BackupError>, db: &DatabaseConnection) -> BackupError {
    assert!(
        backup::schema::tables(db).await.expect("tables").is_empty(),
        "a refused restore writes nothing"
    );
    restored.expect_err("refused")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("dir");
    for entry in std::fs::read_dir(from).expect("read") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copied");
        }
    }
}

fn flip_a_byte(path: &Path) {
    let mut bytes = std::fs::read(path).expect("read");
    let at = bytes.len() / 2;
    bytes[at] ^= 0x01;
    std::fs::write(path, bytes).expect("written");
}

#[tokio::test]
async fn a_damaged_backup_is_refused_before_anything_is_written() {
    let (dir, good, manifest) = small_backup().await;
    let object = manifest
        .objects
        .iter()
        .find_map(|o| o.file.clone())
        .expect("an object");
    // (what is damaged, the file, what the refusal names)
    let cases = [
        (
            "a byte of a table file",
            "tables/stories.jsonl",
            "tables/stories.jsonl",
        ),
        (
            "a byte of a media object",
            object.as_str(),
            "objects/media/",
        ),
        ("the manifest cut short", "manifest.json", "manifest.json"),
    ];
    for (what, file, named) in cases {
        let copy = dir.path().join(what.replace(' ', "-"));
        copy_dir(&good, &copy);
        let path = copy.join(file);
        if file == "manifest.json" {
            let bytes = std::fs::read(&path).expect("read");
            std::fs::write(&path, &bytes[..bytes.len() / 2]).expect("written");
        } else {
            flip_a_byte(&path);
        }
        let database = TestDatabase::new().await;
        let (restored, db) = restore_into(&database, &[], &copy).await;
        match refusal(restored, &db).await {
            BackupError::Damaged(message) => {
                assert!(message.contains(named), "{what}: {message}");
            }
            other => panic!("{what}: expected a refusal for damage, got {other:?}"),
        }
        db.close().await.ok();
    }
    // The undamaged backup restores.
    let database = TestDatabase::new().await;
    let (restored, _db) = restore_into(&database, &[], &good).await;
    restored.expect("the good copy restores");
}

#[tokio::test]
async fn a_restore_never_merges_and_a_backup_never_overwrites() {
    let (_dir, good, _) = small_backup().await;
    let busy = spawn_app().await;
    busy.create_user("someone@chorus.test", Role::Editor).await;
    let config = busy.state.config.clone();
    let place = Place::open(Location::Dir(good.clone()), &config).expect("place");
    let refused = backup::restore(
        &busy.db,
        busy.state.storage.as_ref(),
        &busy.state.crypto,
        &place,
    )
    .await;
    match refused {
        Err(BackupError::Usage(message)) => assert!(message.contains("not empty"), "{message}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    let users = busy
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            busy.db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM users",
        ))
        .await
        .expect("count")
        .expect("row")
        .try_get_by_index::<i64>(0)
        .expect("n");
    assert_eq!(users, 1, "the instance's own data is untouched");

    let again = backup::backup(&busy.db, busy.state.storage.as_ref(), &place).await;
    match again {
        Err(BackupError::Usage(message)) => assert!(message.contains("not empty"), "{message}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn a_backup_needs_the_keys_it_names() {
    let (_dir, good, _) = small_backup().await;
    let database = TestDatabase::new().await;
    let other_key = [(
        "CHORUS_ENCRYPTION_KEY".to_owned(),
        "other:YW5vdGhlci10ZXN0LWtleS1vZi0zMi1ieXRlcy14eXo=".to_owned(),
    )];
    let (restored, db) = restore_into(&database, &other_key, &good).await;
    match refusal(restored, &db).await {
        BackupError::Usage(message) => assert!(message.contains("`test1`"), "{message}"),
        other => panic!("expected a refusal naming the key, got {other:?}"),
    }
}

/// Every table of a migrated database is copied or rebuilt by a restore.
async fn assert_every_table_is_covered(db: &DatabaseConnection) {
    let tables = backup::schema::tables(db).await.expect("tables");
    assert!(tables.len() > 40, "{tables:?}");
    let lost: Vec<&String> = tables
        .iter()
        .filter(|t| backup::coverage(t) == Coverage::Unknown)
        .collect();
    assert!(
        lost.is_empty(),
        "tables a backup would lose: {lost:?}; list them in api/src/backup (an entity, a counter, or derived)"
    );
}

#[tokio::test]
async fn every_table_of_both_databases_is_backed_up_or_rebuilt() {
    let embedded = spawn_app_in(TestDatabase::sqlite(), &[]).await;
    assert_every_table_is_covered(&embedded.db).await;
    let run = spawn_app().await;
    assert_every_table_is_covered(&run.db).await;

    // A table nothing knows stops the backup rather than going missing.
    run.db
        .execute_unprepared("CREATE TABLE notes_from_the_future (id integer)")
        .await
        .expect("created");
    let dir = tempfile::tempdir().expect("dir");
    let place = Place::open(Location::Dir(dir.path().join("b")), &run.state.config).expect("place");
    match backup::backup(&run.db, run.state.storage.as_ref(), &place).await {
        Err(BackupError::Usage(message)) => {
            assert!(message.contains("notes_from_the_future"), "{message}")
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn chorus_backup_then_restore_into_another_data_dir() {
    let first = tempfile::tempdir().expect("dir");
    let second = tempfile::tempdir().expect("dir");
    let run = |dir: &Path, args: &[&str]| {
        chorus(dir)
            .args(args)
            .env("CHORUS_DATA_DIR", dir.join("data"))
            .env("CHORUS_ENCRYPTION_KEY", ENCRYPTION_KEY)
            .output()
            .expect("ran")
    };
    let demo = run(first.path(), &["demo"]);
    assert!(demo.status.success(), "{demo:?}");
    let to = first.path().join("backup");
    let to = to.to_str().expect("utf-8 path");
    let backed_up = run(first.path(), &["backup", "--to", to]);
    assert_eq!(backed_up.status.code(), Some(0), "{backed_up:?}");
    let restored = run(second.path(), &["restore", "--from", to]);
    assert_eq!(restored.status.code(), Some(0), "{restored:?}");
    let stdout = String::from_utf8_lossy(&restored.stdout);
    assert!(stdout.contains("withdrawals recorded after"), "{stdout}");
    let users = |dir: &Path| run(dir, &["user", "list"]).stdout;
    assert_eq!(users(second.path()), users(first.path()));
    assert!(!users(second.path()).is_empty());

    for bad in ["ftp://example.org/x", "s3://bucket/prefix", to] {
        let out = run(first.path(), &["backup", "--to", bad]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{bad}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    }
}

#[tokio::test]
async fn a_local_disk_instance_backs_up_to_an_s3_prefix_and_restores_from_it() {
    let server = S3Server::start().await;
    let bucket = server.create_bucket();
    let credentials = [
        ("CHORUS_S3_ENDPOINT", server.endpoint.as_str()),
        ("CHORUS_S3_ACCESS_KEY_ID", server.access_key.as_str()),
        ("CHORUS_S3_SECRET_ACCESS_KEY", server.secret_key.as_str()),
        ("CHORUS_S3_PATH_STYLE", "true"),
    ];
    let (app, item) = small_archive(&credentials).await;
    let address = format!("s3://{bucket}/nightly/2026-12-07");
    let location = Location::parse(&address).expect("address");
    let place = Place::open(location.clone(), &app.state.config).expect("place");
    let manifest = backup::backup(&app.db, app.state.storage.as_ref(), &place)
        .await
        .expect("backed up");
    assert!(
        manifest
            .objects
            .iter()
            .any(|o| o.key == item.storage_key && !o.missing)
    );
    let again = backup::backup(&app.db, app.state.storage.as_ref(), &place).await;
    assert!(matches!(again, Err(BackupError::Usage(_))), "{again:?}");

    // Restored onto local disk, with the same credentials to read the bucket.
    let database = TestDatabase::new().await;
    let vars: Vec<(String, String)> = credentials
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let media_dir = database.dir.path().join("media");
    let (restored, _db) = restore_into(&database, &vars, location).await;
    assert_eq!(restored.expect("restored").rows(), manifest.rows());
    let copied = std::fs::read(media_dir.join(&item.storage_key)).expect("object restored");
    assert_eq!(copied, stored_bytes(&app, &item.storage_key).await);

    // Without credentials an S3 address is a configuration mistake.
    let plain = Config::from_map(&TestDatabase::sqlite().config(&[])).expect("config");
    match Place::open(Location::parse(&address).expect("address"), &plain) {
        Err(BackupError::Usage(message)) => {
            assert!(message.contains("CHORUS_S3_ACCESS_KEY_ID"), "{message}")
        }
        other => panic!("expected a refusal, got {:?}", other.err()),
    }
}

/// An object's bytes in `app`'s store.
async fn stored_bytes(app: &TestApp, key: &str) -> Vec<u8> {
    use futures_util::StreamExt;
    let mut read = app
        .state
        .storage
        .get(key, None)
        .await
        .expect("stored")
        .bytes;
    let mut bytes = Vec::new();
    while let Some(chunk) = read.next().await {
        bytes.extend_from_slice(&chunk.expect("chunk"));
    }
    bytes
}

#[tokio::test]
async fn a_backup_from_a_newer_chorus_is_refused() {
    let (_dir, good, manifest) = small_backup().await;
    let mut newer = manifest.clone();
    newer.chorus_version = "99.0.0".into();
    newer
        .migrations
        .push("m20991231_000099_from_the_future".into());
    std::fs::write(good.join("manifest.json"), newer.to_bytes()).expect("written");
    let database = TestDatabase::new().await;
    let (restored, db) = restore_into(&database, &[], &good).await;
    match refusal(restored, &db).await {
        BackupError::Usage(message) => {
            assert!(message.contains("newer Chorus"), "{message}");
            assert!(
                message.contains("m20991231_000099_from_the_future"),
                "{message}"
            );
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn a_table_longer_than_a_page_is_copied_whole() {
    use entity::login_attempt;
    use sea_orm::{ActiveValue::Set, QueryOrder};

    let app = spawn_app().await;
    // More rows than a backup reads at a time (500), over three pages.
    let at = api::clock::now();
    let attempts: Vec<login_attempt::ActiveModel> = (0..1_234)
        .map(|n| login_attempt::ActiveModel {
            id: Set(uuid::Uuid::now_v7()),
            email: Set(format!("person{n}@chorus.test")),
            client_address: Set("192.0.2.1".to_owned()),
            succeeded: Set(n % 3 == 0),
            attempted_at: Set(at),
            purpose: Set("staff_login".to_owned()),
        })
        .collect();
    for chunk in attempts.chunks(200) {
        login_attempt::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&app.db)
            .await
            .expect("attempts");
    }
    let dir = tempfile::tempdir().expect("dir");
    let to = dir.path().join("backup");
    let place = Place::open(Location::Dir(to.clone()), &app.state.config).expect("place");
    let manifest = backup::backup(&app.db, app.state.storage.as_ref(), &place)
        .await
        .expect("backed up");
    let table = manifest
        .tables
        .iter()
        .find(|t| t.table == "login_attempts")
        .expect("login_attempts backed up");
    assert_eq!(table.rows, 1_234);

    let database = TestDatabase::new().await;
    let (restored, db) = restore_into(&database, &[], &to).await;
    restored.expect("restored");
    let rows = |db: DatabaseConnection| async move {
        login_attempt::Entity::find()
            .order_by_asc(login_attempt::Column::Id)
            .all(&db)
            .await
            .expect("rows")
    };
    assert_eq!(rows(db).await, rows(app.db.clone()).await);
}
