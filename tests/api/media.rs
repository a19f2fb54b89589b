//! Taking in media, on local disk and on a real S3 server: what is stored has no
//! metadata left, refused files leave nothing behind, and a storage failure
//! leaves no row.

use std::{path::Path, sync::Arc};

use api::{
    auth::Role,
    clock,
    media::{
        intake::{self, Limits, Owner},
        strip::fixtures,
    },
    storage::{ObjectStore, local::LocalStore},
};
use entity::media_asset;
use sea_orm::{EntityTrait, PaginatorTrait};

use crate::{
    fixtures::{self as domain, Person},
    helpers::{TestApp, spawn_app},
    s3_server::S3Server,
    storage::read_all,
};

/// A store to test against, and what keeps it alive.
struct Backend {
    store: Arc<dyn ObjectStore>,
    _dir: Option<tempfile::TempDir>,
    s3: Option<S3Server>,
}

async fn local() -> Backend {
    let dir = tempfile::tempdir().expect("dir");
    Backend {
        store: Arc::new(LocalStore::new(dir.path())),
        _dir: Some(dir),
        s3: None,
    }
}

async fn s3() -> Backend {
    let server = S3Server::start().await;
    let bucket = server.create_bucket();
    let store = api::storage::s3::S3Store::new(&server.settings(&bucket)).expect("store");
    Backend {
        store: Arc::new(store),
        _dir: None,
        s3: Some(server),
    }
}

async fn stored_bytes(store: &dyn ObjectStore, key: &str) -> Vec<u8> {
    read_all(store.get(key, None).await.expect("stored").bytes).await
}

/// An app, an editor, and a draft story to attach media to.
async fn story(app: &TestApp) -> (api::auth::Principal, uuid::Uuid) {
    let editor = domain::staff(&app.db, "editor@chorus.test", Role::Editor).await;
    let author = domain::staff(&app.db, "author@chorus.test", Role::Contributor).await;
    let teller =
        domain::storyteller(&app.db, &app.state.crypto, &editor, Person::Adult, "Legal").await;
    let story = domain::draft(&app.db, &author, teller.id, "With photos").await;
    (editor, story.id)
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("written");
    path
}

async fn nothing_stored(app: &TestApp, store: &dyn ObjectStore) {
    assert_eq!(media_asset::Entity::find().count(&app.db).await.unwrap(), 0);
    assert!(
        store.list("").await.unwrap().is_empty(),
        "storage holds nothing"
    );
}

async fn metadata_is_gone_from_what_is_stored(backend: Backend) {
    let app = spawn_app().await;
    let (editor, story_id) = story(&app).await;
    let uploads = tempfile::tempdir().unwrap();
    let cases = [
        ("photo.jpg", fixtures::jpeg_with_metadata(6)),
        ("scan.png", fixtures::png_with_metadata()),
        ("clip.mp4", fixtures::mp4_with_metadata(b"vide")),
    ];
    for (name, bytes) in cases {
        let path = write(uploads.path(), name, &bytes);
        let asset = intake::ingest(
            &app.db,
            backend.store.as_ref(),
            &editor,
            Owner::Story(story_id),
            &path,
            &Limits::default(),
            clock::now(),
        )
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            !asset.storage_key.contains(name),
            "the client's filename is not kept"
        );
        let stored = stored_bytes(backend.store.as_ref(), &asset.storage_key).await;
        for needle in [
            b"Exif".as_slice(),
            fixtures::XMP_NAMESPACE.as_bytes(),
            fixtures::COMMENT.as_bytes(),
            fixtures::IPTC_CITY.as_bytes(),
            fixtures::LOCATION.as_bytes(),
            &fixtures::rational_bytes(fixtures::GPS_LATITUDE),
        ] {
            assert!(
                !fixtures::contains(&stored, needle),
                "{name}: {:?} survived",
                String::from_utf8_lossy(needle)
            );
        }
        assert_eq!(asset.size_bytes as usize, stored.len());
        assert_eq!(asset.sha256, api::auth::sha256_hex(&stored));
        if name == "photo.jpg" {
            let img = image::load_from_memory(&stored).expect("still decodes");
            // The fixture is 48×32 with orientation 6: upright it is 32×48.
            assert_eq!((img.width(), img.height()), (32, 48));
            assert_eq!((asset.width, asset.height), (Some(32), Some(48)));
        }
        assert!(!asset.private, "{name} was cleaned");
    }
}

async fn refused_files_leave_nothing_behind(backend: Backend) {
    let app = spawn_app().await;
    let (editor, story_id) = story(&app).await;
    let uploads = tempfile::tempdir().unwrap();
    let ingest = |path: std::path::PathBuf, limits: Limits| {
        let (app, backend, editor) = (&app, &backend, &editor);
        async move {
            intake::ingest(
                &app.db,
                backend.store.as_ref(),
                editor,
                Owner::Story(story_id),
                &path,
                &limits,
                clock::now(),
            )
            .await
        }
    };
    let html = write(
        uploads.path(),
        "photo.jpg",
        b"<!DOCTYPE html><script>alert(1)</script>",
    );
    let err = ingest(html, Limits::default()).await.unwrap_err();
    assert_eq!(err.code(), "UNSUPPORTED_MEDIA_TYPE");
    let pdf = write(uploads.path(), "story.pdf", b"%PDF-1.7\n%...");
    let err = ingest(pdf, Limits::default()).await.unwrap_err();
    assert_eq!(err.code(), "UNSUPPORTED_MEDIA_TYPE", "PDF only as evidence");
    let big = write(uploads.path(), "big.jpg", &fixtures::jpeg_with_metadata(1));
    let tiny = Limits {
        image: 100,
        ..Limits::default()
    };
    let err = ingest(big.clone(), tiny).await.unwrap_err();
    assert_eq!(err.code(), "PAYLOAD_TOO_LARGE");
    nothing_stored(&app, backend.store.as_ref()).await;

    ingest(big.clone(), Limits::default())
        .await
        .expect("first copy");
    let err = ingest(big, Limits::default()).await.unwrap_err();
    assert_eq!(err.code(), "CONFLICT", "a duplicate within a story");
    assert_eq!(media_asset::Entity::find().count(&app.db).await.unwrap(), 1);
    assert_eq!(backend.store.list("").await.unwrap().len(), 1);
}

#[tokio::test]
async fn local_disk_stores_media_without_metadata() {
    metadata_is_gone_from_what_is_stored(local().await).await;
}

#[tokio::test]
async fn s3_stores_media_without_metadata() {
    metadata_is_gone_from_what_is_stored(s3().await).await;
}

#[tokio::test]
async fn local_disk_refused_files_leave_nothing_behind() {
    refused_files_leave_nothing_behind(local().await).await;
}

#[tokio::test]
async fn s3_refused_files_leave_nothing_behind() {
    refused_files_leave_nothing_behind(s3().await).await;
}

#[tokio::test]
async fn an_s3_outage_fails_the_upload_cleanly_and_a_retry_succeeds() {
    let mut backend = s3().await;
    let app = spawn_app().await;
    let (editor, story_id) = story(&app).await;
    let uploads = tempfile::tempdir().unwrap();
    let path = write(
        uploads.path(),
        "photo.jpg",
        &fixtures::jpeg_with_metadata(1),
    );
    let limits = Limits::default();
    let ingest = || {
        intake::ingest(
            &app.db,
            backend.store.as_ref(),
            &editor,
            Owner::Story(story_id),
            &path,
            &limits,
            clock::now(),
        )
    };
    backend.s3.as_mut().expect("s3").stop().await;
    let err = ingest().await.unwrap_err();
    // A store that refuses connections is unavailable, not broken: try again.
    assert_eq!(err.code(), "STORAGE_UNAVAILABLE");
    assert_eq!(
        media_asset::Entity::find().count(&app.db).await.unwrap(),
        0,
        "no row"
    );

    backend.s3.as_mut().expect("s3").restart().await;
    let asset = ingest().await.expect("the same upload succeeds");
    backend
        .store
        .head(&asset.storage_key)
        .await
        .expect("stored");
}

async fn the_sweep_removes_only_old_unrecorded_objects(backend: Backend) {
    let app = spawn_app().await;
    let (editor, story_id) = story(&app).await;
    let uploads = tempfile::tempdir().unwrap();
    let photo = write(uploads.path(), "p.jpg", &fixtures::jpeg_with_metadata(1));
    let asset = intake::ingest(
        &app.db,
        backend.store.as_ref(),
        &editor,
        Owner::Story(story_id),
        &photo,
        &Limits::default(),
        clock::now(),
    )
    .await
    .expect("recorded");
    let orphan = format!("media/{}/original.jpg", uuid::Uuid::now_v7());
    backend
        .store
        .put_file(&orphan, &photo, "image/jpeg")
        .await
        .expect("stored without a row");
    backend
        .store
        .put_file("elsewhere/keep.bin", &photo, "application/octet-stream")
        .await
        .expect("stored outside media/");
    let sweep =
        |grace| api::media::sweep::orphans(&app.db, backend.store.as_ref(), grace, clock::now());

    assert!(
        sweep(chrono::Duration::hours(1)).await.unwrap().is_empty(),
        "a fresh object may be an upload about to be recorded"
    );
    assert_eq!(
        sweep(chrono::Duration::zero()).await.unwrap(),
        vec![orphan.clone()]
    );
    let left: Vec<String> = backend
        .store
        .list("")
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.key)
        .collect();
    assert_eq!(left.len(), 2, "{left:?}");
    assert!(left.contains(&asset.storage_key) && left.contains(&"elsewhere/keep.bin".to_owned()));
}

#[tokio::test]
async fn local_disk_sweep_removes_only_old_unrecorded_objects() {
    the_sweep_removes_only_old_unrecorded_objects(local().await).await;
}

#[tokio::test]
async fn s3_sweep_removes_only_old_unrecorded_objects() {
    the_sweep_removes_only_old_unrecorded_objects(s3().await).await;
}

#[tokio::test]
async fn erasing_a_storyteller_deletes_their_media_and_evidence_from_storage() {
    let app = spawn_app().await;
    let (editor, story_id) = story(&app).await;
    let story = entity::story::Entity::find_by_id(story_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let uploads = tempfile::tempdir().unwrap();
    let store = app.state.storage.as_ref();
    let ingest = |owner, name: &str, bytes: Vec<u8>| {
        let path = write(uploads.path(), name, &bytes);
        let (app, editor) = (&app, &editor);
        async move {
            intake::ingest(
                &app.db,
                store,
                editor,
                owner,
                &path,
                &Limits::default(),
                clock::now(),
            )
            .await
            .expect("stored")
        }
    };
    ingest(
        Owner::Story(story_id),
        "p.jpg",
        fixtures::jpeg_with_metadata(1),
    )
    .await;
    ingest(
        Owner::Evidence {
            storyteller_id: story.storyteller_id,
        },
        "form.pdf",
        b"%PDF-1.7\n% a signed consent form".to_vec(),
    )
    .await;
    // Originals only: the picture's renditions may be made meanwhile.
    let originals = store.list("").await.unwrap();
    let originals = originals.iter().filter(|o| o.key.contains("/original."));
    assert_eq!(originals.count(), 2);

    let admin = app.token_for("admin@chorus.test", Role::Admin).await;
    let res = app
        .gql(
            Some(&admin),
            "mutation($id: ID!) { eraseStoryteller(id: $id) { storiesDeleted } }",
            serde_json::json!({ "id": story.storyteller_id }),
        )
        .await;
    assert_eq!(
        res.data()["eraseStoryteller"]["storiesDeleted"],
        1,
        "{}",
        res.body
    );
    assert_eq!(media_asset::Entity::find().count(&app.db).await.unwrap(), 0);
    assert!(store.list("").await.unwrap().is_empty(), "no bytes left");
}

#[tokio::test]
async fn a_story_with_an_undescribed_image_cannot_be_published() {
    let app = spawn_app().await;
    let editor = domain::staff(&app.db, "editor@chorus.test", Role::Editor).await;
    let author = domain::staff(&app.db, "author@chorus.test", Role::Contributor).await;
    let teller =
        domain::storyteller(&app.db, &app.state.crypto, &editor, Person::Adult, "Legal").await;
    let story = domain::approved(&app.db, &author, &editor, teller.id, "Pictured").await;
    let uploads = tempfile::tempdir().unwrap();
    let path = write(uploads.path(), "p.jpg", &fixtures::jpeg_with_metadata(1));
    let asset = intake::ingest(
        &app.db,
        app.state.storage.as_ref(),
        &editor,
        Owner::Story(story.id),
        &path,
        &Limits::default(),
        clock::now(),
    )
    .await
    .expect("stored");
    let publish =
        || api::stories::workflow::publish(&app.db, &editor, story.id, None, None, clock::now());

    match publish().await {
        Err(api::Error::InvalidTransition { reason, .. }) => assert_eq!(reason, "ALT_TEXT_MISSING"),
        other => panic!("expected ALT_TEXT_MISSING, got {other:?}"),
    }
    api::media::assets::describe(
        &app.db,
        &editor,
        asset.id,
        api::media::assets::Description {
            alt_text: api::patch::Patch::Set("A kitchen table covered in flour".into()),
            ..Default::default()
        },
        clock::now(),
    )
    .await
    .expect("described");
    let published = publish().await.expect("published once described");
    assert_eq!(published.state, entity::story::State::Published);
}
