//! Storage that stalls cannot stop Chorus: against an S3 endpoint that accepts
//! connections and never answers, an upload answers `STORAGE_UNAVAILABLE` and a
//! media read answers 503 within seconds, and scheduled publishing keeps its time
//! while a render job is stuck on the store.

use std::time::{Duration, Instant};

use api::{
    auth::{Principal, Role},
    clock,
    media::strip::fixtures,
    stories::workflow,
};
use chrono::{DateTime, Utc};
use entity::{job, media_asset, story};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;
use tokio::net::TcpListener;
use uuid::Uuid;

use crate::{
    fixtures::{self as domain, Person},
    helpers::{TestApp, spawn_app_with},
    uploads::upload,
};

/// A peer on 127.0.0.1 that accepts every connection and never sends a byte:
/// the S3 endpoint no timeout of the client's own would ever notice.
pub struct StalledPeer {
    pub endpoint: String,
    task: tokio::task::JoinHandle<()>,
}

impl StalledPeer {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the stalled peer");
        let endpoint = format!("http://{}", listener.local_addr().expect("address"));
        let task = tokio::spawn(async move {
            // Holding the sockets keeps the connections open, silent.
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                held.push(socket);
            }
        });
        Self { endpoint, task }
    }
}

impl Drop for StalledPeer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// An app whose media bucket is on the stalled peer; `overrides` win.
async fn app_on_stalled_store(peer: &StalledPeer, overrides: &[(&str, &str)]) -> TestApp {
    let mut vars: Vec<(&str, &str)> = vec![
        ("CHORUS_STORAGE", "s3"),
        ("CHORUS_S3_BUCKET", "media"),
        ("CHORUS_S3_ENDPOINT", &peer.endpoint),
        ("CHORUS_S3_ACCESS_KEY_ID", "chorus"),
        ("CHORUS_S3_SECRET_ACCESS_KEY", "chorus-secret"),
        ("CHORUS_S3_PATH_STYLE", "true"),
        ("CHORUS_STORAGE_CONNECT_TIMEOUT", "1s"),
        ("CHORUS_STORAGE_FIRST_BYTE_TIMEOUT", "1s"),
        ("CHORUS_STORAGE_IDLE_TIMEOUT", "1s"),
    ];
    vars.extend_from_slice(overrides);
    spawn_app_with(&vars).await
}

/// A media row whose bytes are said to be in the bucket (no request can tell
/// otherwise: the bucket never answers).
async fn stored_item(app: &TestApp, by: &Principal, owner: Owner) -> media_asset::Model {
    let id = Uuid::now_v7();
    let now = clock::now();
    let (story_id, storyteller_id, kind, mime, private) = match owner {
        Owner::Story(story) => (
            Some(story),
            None,
            media_asset::Kind::Image,
            "image/jpeg",
            false,
        ),
        Owner::Evidence(teller) => (
            None,
            Some(teller),
            media_asset::Kind::Document,
            "application/pdf",
            true,
        ),
    };
    media_asset::ActiveModel {
        id: Set(id),
        story_id: Set(story_id),
        storyteller_id: Set(storyteller_id),
        kind: Set(kind),
        mime: Set(mime.into()),
        size_bytes: Set(1024),
        sha256: Set("0".repeat(64)),
        storage_key: Set(format!("media/{}/original", id.simple())),
        width: Set((kind == media_asset::Kind::Image).then_some(640)),
        height: Set((kind == media_asset::Kind::Image).then_some(480)),
        duration_ms: Set(None),
        alt_text: Set(None),
        caption: Set(None),
        credit: Set(None),
        shows_faces: Set(false),
        faces_reviewed_at: Set(None),
        faces_reviewed_by: Set(None),
        masks_generation: Set(0),
        renditions_generation: Set(None),
        private: Set(private),
        metadata_status: Set(media_asset::MetadataStatus::Cleaned),
        state: Set(media_asset::State::Ready),
        created_by: Set(by.staff().expect("staff").user_id),
        organisation_id: Set(by.staff().expect("staff").organisation_id),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&app.db)
    .await
    .expect("media row")
}

enum Owner {
    Story(Uuid),
    Evidence(Uuid),
}

/// An app on the stalled peer whose storage calls wait a minute, long enough
/// for a job on the store to stay stuck for a whole test; jobs get `deadline`.
async fn patient_app(peer: &StalledPeer, deadline: &str) -> TestApp {
    app_on_stalled_store(
        peer,
        &[
            ("CHORUS_STORAGE_CONNECT_TIMEOUT", "60s"),
            ("CHORUS_STORAGE_FIRST_BYTE_TIMEOUT", "60s"),
            ("CHORUS_STORAGE_IDLE_TIMEOUT", "60s"),
            ("CHORUS_JOBS_DEADLINE", deadline),
        ],
    )
    .await
}

/// A photo on a draft about `teller` and a job to render it, due now (returned).
async fn queue_render(app: &TestApp, editor: &Principal, teller: Uuid) -> DateTime<Utc> {
    let story = domain::draft(&app.db, editor, teller, "With a photo").await;
    let photo = stored_item(app, editor, Owner::Story(story.id)).await;
    let queued = clock::now();
    api::queue::enqueue_media(&app.db, job::Kind::RenderMedia, photo.id, queued, queued)
        .await
        .expect("render job");
    queued
}

/// The app's one render job.
async fn render_job(app: &TestApp) -> job::Model {
    job::Entity::find()
        .filter(job::Column::Kind.eq(job::Kind::RenderMedia))
        .one(&app.db)
        .await
        .unwrap()
        .expect("the render job")
}

#[tokio::test]
async fn an_upload_to_a_stalled_store_answers_storage_unavailable_within_seconds() {
    let peer = StalledPeer::start().await;
    let app = app_on_stalled_store(&peer, &[("CHORUS_JOBS_ENABLED", "false")]).await;
    let author = domain::staff(&app.db, "author@chorus.test", Role::Contributor).await;
    let teller =
        domain::storyteller(&app.db, &app.state.crypto, &author, Person::Adult, "Legal").await;
    let story = domain::draft(&app.db, &author, teller.id, "With photos").await;
    let token = app.token_for("editor@chorus.test", Role::Editor).await;

    let started = Instant::now();
    let res = upload(
        &app,
        &token,
        story.id,
        vec![("photo.jpg", fixtures::jpeg_with_metadata(1))],
    )
    .await;
    let took = started.elapsed();

    assert_eq!(res.code(), "STORAGE_UNAVAILABLE", "{:?}", res.body);
    assert!(took < Duration::from_secs(10), "answered after {took:?}");
    assert_eq!(
        media_asset::Entity::find()
            .all(&app.db)
            .await
            .unwrap()
            .len(),
        0,
        "no row for bytes that were never stored"
    );
}

#[tokio::test]
async fn evidence_on_a_stalled_store_answers_503_within_seconds() {
    let peer = StalledPeer::start().await;
    let app = app_on_stalled_store(&peer, &[("CHORUS_JOBS_ENABLED", "false")]).await;
    let editor = domain::staff(&app.db, "keeper@chorus.test", Role::Editor).await;
    let teller =
        domain::storyteller(&app.db, &app.state.crypto, &editor, Person::Adult, "Legal").await;
    let evidence = stored_item(&app, &editor, Owner::Evidence(teller.id)).await;
    let token = app.token_for("editor@chorus.test", Role::Editor).await;
    let res = app
        .gql(
            Some(&token),
            "query($id: ID!) { mediaAsset(id: $id) { sources { url } } }",
            json!({ "id": evidence.id.to_string() }),
        )
        .await;
    let url = res.data()["mediaAsset"]["sources"][0]["url"]
        .as_str()
        .unwrap_or_else(|| panic!("a link to the evidence: {:?}", res.body))
        .to_owned();

    let started = Instant::now();
    let answer = app
        .client
        .get(&url)
        .timeout(Duration::from_secs(180))
        .send()
        .await
        .expect("an answer");
    let took = started.elapsed();

    assert_eq!(answer.status().as_u16(), 503);
    assert!(
        answer.headers().contains_key("retry-after"),
        "{:?}",
        answer.headers()
    );
    assert!(took < Duration::from_secs(10), "answered after {took:?}");
}

#[tokio::test]
async fn scheduled_publishing_keeps_its_time_while_a_render_is_stuck_on_storage() {
    let peer = StalledPeer::start().await;
    let app = patient_app(&peer, "4m").await;
    let author = domain::staff(&app.db, "author@chorus.test", Role::Contributor).await;
    let editor = domain::staff(&app.db, "editor@chorus.test", Role::Editor).await;
    let teller =
        domain::storyteller(&app.db, &app.state.crypto, &editor, Person::Adult, "Legal").await;
    queue_render(&app, &editor, teller.id).await;
    // Let the worker take the render first.
    tokio::time::sleep(Duration::from_secs(2)).await;

    let story = domain::approved(&app.db, &author, &editor, teller.id, "On time").await;
    let at = clock::now() + chrono::Duration::seconds(2);
    workflow::publish(&app.db, &editor, story.id, None, Some(at), clock::now())
        .await
        .expect("scheduled");

    let deadline = Instant::now() + Duration::from_secs(30);
    let published = loop {
        let now = story::Entity::find_by_id(story.id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        if now.state == story::State::Published || Instant::now() > deadline {
            break now;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(published.state, story::State::Published);
    let late = published.published_at.expect("published at") - at;
    assert!(
        late < chrono::Duration::seconds(6),
        "published {late:?} after its time"
    );
    let render = render_job(&app).await;
    assert!(
        render.attempts == 1 && render.locked_until.is_some() && render.done_at.is_none(),
        "the render was taken and is still stuck: {render:?}"
    );
}

#[tokio::test]
async fn a_job_that_overruns_its_deadline_counts_as_a_failed_attempt() {
    let peer = StalledPeer::start().await;
    let app = patient_app(&peer, "1s").await;
    let editor = domain::staff(&app.db, "editor@chorus.test", Role::Editor).await;
    let teller =
        domain::storyteller(&app.db, &app.state.crypto, &editor, Person::Adult, "Legal").await;
    let queued = queue_render(&app, &editor, teller.id).await;

    let deadline = Instant::now() + Duration::from_secs(20);
    let render = loop {
        let render = render_job(&app).await;
        if render.last_error.is_some() || Instant::now() > deadline {
            break render;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let error = render.last_error.as_deref().unwrap_or_default();
    assert!(error.contains("did not finish within 1s"), "{render:?}");
    assert_eq!(render.attempts, 1);
    assert_eq!(render.locked_until, None, "the lease is given back");
    assert!(render.run_at > queued, "retried later: {render:?}");
}
