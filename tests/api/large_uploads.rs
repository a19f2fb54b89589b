//! Large uploads over real HTTP: `createMediaUpload`, a `PUT` of the bytes to the
//! URL it returns, `completeMediaUpload`. On SQLite the app keeps media on local
//! disk and the URL is Chorus's one-time URL; on PostgreSQL it is a presigned URL
//! to a real S3 server, so each run covers one path end to end. Either way what is
//! stored has no metadata left, and every refusal leaves no asset and nothing
//! under `media/`.

use api::{
    auth::{Role, sha256_hex},
    clock,
    media::{strip::fixtures, uploads},
    storage::StorageError,
};
use chrono::Duration;
use entity::{audit_event, media_asset, media_upload};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, sea_query::Expr};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    fixtures::{self as domain, Person},
    helpers::{GqlResponse, PASSWORD, TestApp, spawn_media_app},
    storage::{read_all, tamper_signature},
};

const CREATE: &str = "mutation($input: CreateMediaUploadInput!) {
  createMediaUpload(input: $input) { id url method expiresAt maxBytes }
}";

const COMPLETE: &str = "mutation($id: ID!) {
  completeMediaUpload(id: $id) { id storyId kind mime sizeBytes sha256 private metadataStatus }
}";

/// An app with an editor, a contributor who wrote a draft, and its storyteller.
pub(crate) struct World {
    pub(crate) app: TestApp,
    editor: String,
    author: String,
    teller: Uuid,
    story: Uuid,
}

pub(crate) async fn world() -> World {
    let app = spawn_media_app(&[]).await;
    let editor = app.token_for("editor@chorus.test", Role::Editor).await;
    let author = domain::staff(&app.db, "author@chorus.test", Role::Contributor).await;
    let teller =
        domain::storyteller(&app.db, &app.state.crypto, &author, Person::Adult, "Legal").await;
    let story = domain::draft(&app.db, &author, teller.id, "With a video").await;
    let author = app.login("author@chorus.test", PASSWORD).await.data()["login"]["accessToken"]
        .as_str()
        .expect("token")
        .to_owned();
    World {
        app,
        editor,
        author,
        teller: teller.id,
        story: story.id,
    }
}

impl World {
    fn on_s3(&self) -> bool {
        self.app.s3.is_some()
    }

    async fn create(&self, token: &str, input: Value) -> GqlResponse {
        self.app
            .gql(Some(token), CREATE, json!({ "input": input }))
            .await
    }

    /// Creates an upload of `bytes` for the story; returns its id and URL.
    async fn create_for(&self, bytes: &[u8], sha256: Option<String>) -> (String, String) {
        let res = self
            .create(
                &self.editor,
                json!({
                    "storyId": self.story.to_string(),
                    "sizeBytes": bytes.len().to_string(),
                    "sha256": sha256,
                }),
            )
            .await;
        let upload = &res.data()["createMediaUpload"];
        assert_eq!(upload["method"], "PUT");
        assert_eq!(upload["maxBytes"], bytes.len().to_string());
        let url = upload["url"].as_str().expect("url").to_owned();
        if self.on_s3() {
            assert!(url.contains("X-Amz-Signature="), "presigned: {url}");
        } else {
            assert!(url.starts_with(&self.app.url("/uploads/")), "{url}");
        }
        (upload["id"].as_str().expect("id").to_owned(), url)
    }

    async fn put(&self, url: &str, bytes: Vec<u8>) -> u16 {
        self.app
            .client
            .put(url)
            .body(bytes)
            .send()
            .await
            .expect("PUT sent")
            .status()
            .as_u16()
    }

    async fn complete(&self, token: &str, id: &str) -> GqlResponse {
        self.app
            .gql(Some(token), COMPLETE, json!({ "id": id }))
            .await
    }

    /// Create, send and complete; returns the completion's answer.
    pub(crate) async fn upload(
        &self,
        bytes: &[u8],
        sha256: Option<String>,
    ) -> (String, GqlResponse) {
        let (id, url) = self.create_for(bytes, sha256).await;
        let status = self.put(&url, bytes.to_vec()).await;
        assert!(matches!(status, 200 | 201), "PUT answered {status}");
        (id.clone(), self.complete(&self.editor, &id).await)
    }

    pub(crate) async fn staging_exists(&self, id: &str) -> bool {
        match self.app.state.storage.head(&format!("uploads/{id}")).await {
            Ok(_) => true,
            Err(StorageError::NotFound) => false,
            Err(e) => panic!("head: {e}"),
        }
    }

    async fn staging_bytes(&self, id: &str) -> Vec<u8> {
        let read = self
            .app
            .state
            .storage
            .get(&format!("uploads/{id}"), None)
            .await;
        read_all(read.expect("staging object").bytes).await
    }

    async fn stored(&self, asset_id: &str) -> Vec<u8> {
        let id: Uuid = asset_id.parse().expect("uuid");
        let row = media_asset::Entity::find_by_id(id)
            .one(&self.app.db)
            .await
            .unwrap()
            .expect("asset row");
        let read = self.app.state.storage.get(&row.storage_key, None).await;
        read_all(read.expect("stored object").bytes).await
    }

    /// No asset row and no object under `media/`.
    pub(crate) async fn no_asset(&self) {
        let assets = media_asset::Entity::find()
            .count(&self.app.db)
            .await
            .unwrap();
        assert_eq!(assets, 0, "no asset row");
        let objects = self.app.state.storage.list("media/").await.unwrap();
        assert!(objects.is_empty(), "nothing under media/: {objects:?}");
    }
}

fn field(res: &GqlResponse) -> &str {
    res.body["errors"][0]["extensions"]["field"]
        .as_str()
        .unwrap_or_default()
}

fn with_token(url: &str, token: &str) -> String {
    let (base, _) = url.split_once("?token=").expect("one-time URL");
    format!("{base}?token={token}")
}

#[tokio::test]
async fn a_large_upload_is_stored_without_its_metadata_and_its_staging_object_removed() {
    let w = world().await;
    let video = fixtures::mp4_with_metadata(b"vide");
    let (upload_id, res) = w.upload(&video, Some(sha256_hex(&video))).await;
    let asset = &res.data()["completeMediaUpload"];
    assert_eq!(asset["storyId"], w.story.to_string());
    assert_eq!(asset["kind"], "VIDEO");
    assert_eq!(asset["mime"], "video/mp4");
    assert_eq!(asset["metadataStatus"], "CLEANED");
    assert_eq!(asset["private"], false);

    let stored = w.stored(asset["id"].as_str().unwrap()).await;
    assert_eq!(asset["sizeBytes"], stored.len().to_string());
    assert_eq!(asset["sha256"], sha256_hex(&stored));
    for needle in [
        fixtures::LOCATION.as_bytes(),
        b"Amina at the border".as_slice(),
        fixtures::XMP_NAMESPACE.as_bytes(),
        fixtures::PREVIEW,
        b"2025-05-17T09:30".as_slice(),
    ] {
        assert!(
            !fixtures::contains(&stored, needle),
            "{:?} survived",
            String::from_utf8_lossy(needle)
        );
    }
    // Still a well-formed MP4 whose media data did not move.
    let tree = fixtures::mp4_tree(&stored);
    assert!(
        tree.iter()
            .any(|(depth, kind, ..)| *depth == 0 && kind == b"moov")
    );
    assert!(fixtures::contains(&stored, fixtures::MDAT_PAYLOAD));

    assert!(
        !w.staging_exists(&upload_id).await,
        "staging object removed"
    );
    let row = media_upload::Entity::find_by_id(upload_id.parse::<Uuid>().unwrap())
        .one(&w.app.db)
        .await
        .unwrap()
        .expect("upload row");
    assert_eq!(
        row.media_id.map(|id| id.to_string()).as_deref(),
        asset["id"].as_str()
    );
    assert!(row.completed_at.is_some());
    for action in ["media.upload_created", "media.added"] {
        let events = audit_event::Entity::find()
            .filter(audit_event::Column::Action.eq(action))
            .count(&w.app.db)
            .await
            .unwrap();
        assert_eq!(events, 1, "{action}");
    }
}

#[tokio::test]
async fn a_photo_can_take_the_large_path_too_and_loses_its_exif() {
    let w = world().await;
    let photo = fixtures::jpeg_with_metadata(6);
    let (_, res) = w.upload(&photo, None).await;
    let asset = &res.data()["completeMediaUpload"];
    assert_eq!(asset["kind"], "IMAGE");
    let stored = w.stored(asset["id"].as_str().unwrap()).await;
    for needle in [
        b"Exif".as_slice(),
        fixtures::COMMENT.as_bytes(),
        &fixtures::rational_bytes(fixtures::GPS_LATITUDE),
    ] {
        assert!(!fixtures::contains(&stored, needle));
    }
}

#[tokio::test]
async fn consent_evidence_can_arrive_as_a_large_upload_and_stays_private() {
    let w = world().await;
    let video = fixtures::mp4_with_metadata(b"vide");
    let res = w
        .create(
            &w.editor,
            json!({ "storytellerId": w.teller.to_string(), "sizeBytes": video.len().to_string() }),
        )
        .await;
    let upload = &res.data()["createMediaUpload"];
    let status = w.put(upload["url"].as_str().unwrap(), video).await;
    assert!(matches!(status, 200 | 201));
    let res = w.complete(&w.editor, upload["id"].as_str().unwrap()).await;
    let asset = &res.data()["completeMediaUpload"];
    assert_eq!(asset["private"], true);
    assert!(asset["storyId"].is_null());
}

#[tokio::test]
async fn completing_twice_returns_the_same_asset() {
    let w = world().await;
    let video = fixtures::mp4_with_metadata(b"vide");
    let (id, first) = w.upload(&video, None).await;
    let again = w.complete(&w.editor, &id).await;
    assert_eq!(
        first.data()["completeMediaUpload"],
        again.data()["completeMediaUpload"]
    );
    assert_eq!(
        media_asset::Entity::find().count(&w.app.db).await.unwrap(),
        1
    );
}

#[tokio::test]
async fn bytes_that_do_not_hash_as_announced_are_refused_and_leave_nothing() {
    let w = world().await;
    let video = fixtures::mp4_with_metadata(b"vide");
    let (id, res) = w.upload(&video, Some(sha256_hex(b"other bytes"))).await;
    assert_eq!(res.code(), "BAD_USER_INPUT", "{}", res.body);
    assert_eq!(field(&res), "sha256");
    w.no_asset().await;
    assert!(!w.staging_exists(&id).await, "staging object removed");
}

#[tokio::test]
async fn bytes_of_another_size_than_announced_are_refused_and_leave_nothing() {
    let w = world().await;
    let video = fixtures::mp4_with_metadata(b"vide");
    let mut announced = video.clone();
    announced.extend_from_slice(&[0; 10]);
    let (id, url) = w.create_for(&announced, None).await;
    let status = w.put(&url, video).await;
    assert!(
        matches!(status, 200 | 201),
        "fewer bytes are taken: {status}"
    );
    let res = w.complete(&w.editor, &id).await;
    assert_eq!(res.code(), "BAD_USER_INPUT", "{}", res.body);
    assert_eq!(field(&res), "sizeBytes");
    w.no_asset().await;
    assert!(!w.staging_exists(&id).await);
}

#[tokio::test]
async fn an_html_page_disguised_as_a_video_is_unsupported() {
    let w = world().await;
    let page = b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>".to_vec();
    let (id, res) = w.upload(&page, None).await;
    assert_eq!(res.code(), "UNSUPPORTED_MEDIA_TYPE", "{}", res.body);
    w.no_asset().await;
    assert!(!w.staging_exists(&id).await);
}

#[tokio::test]
async fn completing_before_any_bytes_arrive_is_refused() {
    let w = world().await;
    let video = fixtures::mp4_with_metadata(b"vide");
    let (id, url) = w.create_for(&video, None).await;
    let res = w.complete(&w.editor, &id).await;
    assert_eq!(res.code(), "BAD_USER_INPUT", "{}", res.body);
    assert_eq!(field(&res), "id");
    assert!(res.message().contains("no bytes"), "{}", res.message());
    w.no_asset().await;
    // The upload is still open: send the bytes and complete it.
    assert!(matches!(w.put(&url, video).await, 200 | 201));
    w.complete(&w.editor, &id).await.data();
}

#[tokio::test]
async fn unknown_uploads_are_not_found() {
    let w = world().await;
    let res = w.complete(&w.editor, &Uuid::now_v7().to_string()).await;
    assert_eq!(res.code(), "NOT_FOUND");
}

#[tokio::test]
async fn the_one_time_url_works_once_and_only_with_its_token() {
    let w = world().await;
    if w.on_s3() {
        return; // The bucket checks presigned URLs: see the tampered-URL test.
    }
    let video = fixtures::mp4_with_metadata(b"vide");
    let (id, url) = w.create_for(&video, None).await;
    let wrong = with_token(&url, &"0".repeat(64));
    let missing = url.split_once('?').unwrap().0.to_owned();
    let unknown = url.replace(&id, &Uuid::now_v7().to_string());
    for bad in [wrong, missing, unknown] {
        assert_eq!(w.put(&bad, video.clone()).await, 404, "{bad}");
    }
    assert!(
        !w.staging_exists(&id).await,
        "nothing stored by a refused PUT"
    );

    assert_eq!(w.put(&url, video.clone()).await, 201);
    let second = w.put(&url, b"replacement bytes".to_vec()).await;
    assert!(
        matches!(second, 404 | 410),
        "a second PUT answered {second}"
    );
    assert_eq!(
        w.staging_bytes(&id).await,
        video,
        "the first PUT's bytes stay"
    );
    w.complete(&w.editor, &id).await.data();
}

#[tokio::test]
async fn a_body_larger_than_announced_is_refused_with_413_and_stores_nothing() {
    let w = world().await;
    let video = fixtures::mp4_with_metadata(b"vide");
    let (id, url) = w.create_for(&video[..100], None).await;
    if w.on_s3() {
        // A presigned PUT does not bind the size; completion refuses it.
        assert!(matches!(w.put(&url, video).await, 200 | 201));
        let res = w.complete(&w.editor, &id).await;
        assert_eq!(field(&res), "sizeBytes");
        w.no_asset().await;
        return;
    }
    // Announced with Content-Length, refused before the body is read.
    assert_eq!(w.put(&url, video.clone()).await, 413);
    // Streamed without a length: cut off once past the size.
    let chunked = reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::new(
        std::io::Cursor::new(video.clone()),
    ));
    let res = w
        .app
        .client
        .put(&url)
        .body(chunked)
        .send()
        .await
        .expect("PUT");
    assert_eq!(res.status(), 413);
    assert!(!w.staging_exists(&id).await, "nothing stored");
    assert!(
        w.app
            .state
            .storage
            .list("uploads/")
            .await
            .unwrap()
            .is_empty()
    );
    // A refused transfer does not spend the URL.
    assert_eq!(w.put(&url, video[..100].to_vec()).await, 201);
}

#[tokio::test]
async fn a_transfer_cut_off_midway_leaves_the_one_time_url_usable() {
    let w = world().await;
    if w.on_s3() {
        return; // The bucket's business.
    }
    let video = fixtures::mp4_with_metadata(b"vide");
    let (id, url) = w.create_for(&video, None).await;
    let (mut writer, reader) = tokio::io::duplex(1024);
    let body = reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::new(reader));
    let sending = tokio::spawn(w.app.client.put(&url).body(body).send());
    tokio::io::AsyncWriteExt::write_all(&mut writer, &video[..100])
        .await
        .expect("first bytes");
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    // The client goes away mid-body: the connection closes under the server.
    sending.abort();
    drop(writer);

    let mut status = 0;
    for _ in 0..50 {
        status = w.put(&url, video.clone()).await;
        if status != 409 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, 201, "the token was given back");
    assert_eq!(w.staging_bytes(&id).await, video);
}

#[tokio::test]
async fn an_expired_upload_cannot_be_completed_and_expiry_removes_its_bytes() {
    let w = world().await;
    let video = fixtures::mp4_with_metadata(b"vide");
    let (old, old_url) = w.create_for(&video, None).await;
    assert!(matches!(w.put(&old_url, video.clone()).await, 200 | 201));
    let (open, open_url) = w.create_for(&[&video[..], b"x"].concat(), None).await;
    assert!(matches!(
        w.put(&open_url, [&video[..], b"x"].concat()).await,
        200 | 201
    ));

    // Past its time, and past the grace for transfers that started in time.
    let past = clock::now() - Duration::hours(3);
    media_upload::Entity::update_many()
        .col_expr(media_upload::Column::ExpiresAt, Expr::value(past))
        .filter(media_upload::Column::Id.eq(old.parse::<Uuid>().unwrap()))
        .exec(&w.app.db)
        .await
        .unwrap();
    let res = w.complete(&w.editor, &old).await;
    assert_eq!(res.code(), "BAD_USER_INPUT", "{}", res.body);
    assert!(res.message().contains("expired"), "{}", res.message());
    if !w.on_s3() {
        assert_eq!(w.put(&old_url, video.clone()).await, 410);
    }

    let removed = uploads::expire(&w.app.db, w.app.state.storage.as_ref(), clock::now())
        .await
        .expect("expire");
    assert_eq!(removed, vec![format!("uploads/{old}")]);
    assert!(!w.staging_exists(&old).await);
    assert!(
        w.staging_exists(&open).await,
        "an open upload keeps its bytes"
    );
    w.no_asset().await;
}

#[tokio::test]
async fn a_contributor_uploads_only_to_their_own_stories_and_never_evidence() {
    let w = world().await;
    let other = w
        .app
        .token_for("other@chorus.test", Role::Contributor)
        .await;
    let input = json!({ "storyId": w.story.to_string(), "sizeBytes": "1000" });
    assert_eq!(w.create(&other, input.clone()).await.code(), "FORBIDDEN");
    let evidence = json!({ "storytellerId": w.teller.to_string(), "sizeBytes": "1000" });
    assert_eq!(w.create(&w.author, evidence).await.code(), "FORBIDDEN");
    assert_eq!(
        media_upload::Entity::find().count(&w.app.db).await.unwrap(),
        0
    );

    // The author may, and only they or an editor may complete it.
    let res = w.create(&w.author, input).await;
    let id = res.data()["createMediaUpload"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(w.complete(&other, &id).await.code(), "FORBIDDEN");
}

#[tokio::test]
async fn impossible_sizes_and_malformed_input_are_refused_up_front() {
    let w = world().await;
    let story = w.story.to_string();
    let cases = [
        (
            json!({ "storyId": story, "sizeBytes": "3000000000" }),
            "PAYLOAD_TOO_LARGE",
        ),
        (
            json!({ "storyId": story, "sizeBytes": "12 MB" }),
            "BAD_USER_INPUT",
        ),
        (
            json!({ "storyId": story, "sizeBytes": "0" }),
            "BAD_USER_INPUT",
        ),
        (
            json!({ "storyId": story, "sizeBytes": "10", "sha256": "abc" }),
            "BAD_USER_INPUT",
        ),
        (
            json!({ "storyId": story, "storytellerId": w.teller.to_string(), "sizeBytes": "10" }),
            "BAD_USER_INPUT",
        ),
        (json!({ "sizeBytes": "10" }), "BAD_USER_INPUT"),
    ];
    for (input, code) in cases {
        let res = w.create(&w.editor, input.clone()).await;
        assert_eq!(res.code(), code, "{input}: {}", res.body);
    }
    assert_eq!(
        media_upload::Entity::find().count(&w.app.db).await.unwrap(),
        0
    );
}

#[tokio::test]
async fn s3_a_tampered_presigned_put_url_is_refused_by_the_bucket() {
    let w = world().await;
    if !w.on_s3() {
        return; // Local disk has no presigned URLs: see the one-time URL test.
    }
    let video = fixtures::mp4_with_metadata(b"vide");
    let (id, url) = w.create_for(&video, None).await;
    let other_key = url.replace(&format!("uploads/{id}"), "media/planted");
    assert_ne!(other_key, url);
    for bad in [tamper_signature(&url), other_key] {
        assert_eq!(w.put(&bad, video.clone()).await, 403, "{bad}");
    }
    assert!(w.app.state.storage.list("").await.unwrap().is_empty());
    assert!(matches!(w.put(&url, video).await, 200 | 201));
    w.complete(&w.editor, &id).await.data();
}
