//! A job that fails the same way every time is given up after its allowed
//! attempts (`CHORUS_JOBS_MAX_ATTEMPTS`) instead of being retried for ever, and
//! editors see why on the item it was for; an admin may run it again.

use api::{
    auth::Role,
    clock,
    jobs::{self, Lane, Policy},
    media::strip::fixtures,
};
use entity::{job, media_asset};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, sea_query::Expr};
use serde_json::json;
use uuid::Uuid;

use crate::{
    fixtures::{self as domain, Person},
    helpers::{TestApp, spawn_media_app},
    uploads::upload,
};

const RENDITION_ERROR: &str = "query($id: ID!) { mediaAsset(id: $id) { renditionError } }";
const RETRY: &str =
    "mutation($id: ID!) { retryMediaRenditions(mediaId: $id) { id renditionError } }";

/// Runs the media lane's due jobs once, as the app's own worker would.
async fn run_media_jobs(app: &TestApp) -> usize {
    let policy = Policy::from(&app.state.config.jobs);
    jobs::run_lane(
        &app.db,
        app.state.storage.as_ref(),
        "test-worker",
        &policy,
        Lane::Media,
    )
    .await
    .expect("jobs polled")
}

/// The newest render job of `media_id`.
async fn render_job(app: &TestApp, media_id: Uuid) -> job::Model {
    job::Entity::find()
        .filter(job::Column::MediaId.eq(media_id))
        .order_by_desc(job::Column::CreatedAt)
        .order_by_desc(job::Column::Id)
        .one(&app.db)
        .await
        .unwrap()
        .expect("a render job")
}

/// Makes every pending job due now instead of after its back-off.
async fn bring_forward(app: &TestApp) {
    job::Entity::update_many()
        .col_expr(job::Column::RunAt, Expr::value(clock::now()))
        .exec(&app.db)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_render_that_fails_every_time_is_given_up_and_editors_see_why() {
    let app = spawn_media_app(&[
        ("CHORUS_JOBS_ENABLED", "false"),
        ("CHORUS_JOBS_MAX_ATTEMPTS", "3"),
    ])
    .await;
    let author = domain::staff(&app.db, "author@chorus.test", Role::Contributor).await;
    let teller =
        domain::storyteller(&app.db, &app.state.crypto, &author, Person::Adult, "Legal").await;
    let story = domain::draft(&app.db, &author, teller.id, "With a photo").await;
    let editor = app.token_for("editor@chorus.test", Role::Editor).await;
    let admin = app.token_for("admin@chorus.test", Role::Admin).await;
    let res = upload(
        &app,
        &editor,
        story.id,
        vec![("photo.jpg", fixtures::jpeg_with_metadata(1))],
    )
    .await;
    let id: Uuid = res.data()["addStoryMedia"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("uploaded: {:?}", res.body))
        .parse()
        .unwrap();

    // The stored original goes bad (a disk fault, a bad copy): every render of
    // it fails the same way.
    let asset = media_asset::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let garbage = scratch.path().join("garbage");
    std::fs::write(&garbage, b"not a picture at all, whatever the name says").unwrap();
    app.state
        .storage
        .put_file(&asset.storage_key, &garbage, "image/jpeg")
        .await
        .unwrap();

    for attempt in 1..=3 {
        bring_forward(&app).await;
        assert_eq!(run_media_jobs(&app).await, 1, "attempt {attempt} runs");
        let job = render_job(&app, id).await;
        assert_eq!(job.attempts, attempt);
        assert_eq!(job.done_at, None);
        assert_eq!(job.failed_at.is_some(), attempt == 3, "{job:?}");
    }
    // Given up: however due it looks, it does not run again.
    bring_forward(&app).await;
    assert_eq!(run_media_jobs(&app).await, 0, "a given-up job stays put");
    let job = render_job(&app, id).await;
    assert_eq!(job.attempts, 3);
    let error = job.last_error.as_deref().unwrap_or_default();
    assert!(error.contains("could not be decoded"), "{error}");

    let seen = app
        .gql(
            Some(&editor),
            RENDITION_ERROR,
            json!({ "id": id.to_string() }),
        )
        .await;
    let shown = seen.data()["mediaAsset"]["renditionError"]
        .as_str()
        .unwrap_or_else(|| panic!("editors see the failure: {:?}", seen.body))
        .to_owned();
    assert!(
        shown.starts_with("renditions failed after 3 attempts: ")
            && shown.contains("could not be decoded"),
        "{shown}"
    );

    // Editors see it; only an admin may run it again, which starts it afresh.
    let refused = app
        .gql(Some(&editor), RETRY, json!({ "id": id.to_string() }))
        .await;
    assert_eq!(refused.code(), "FORBIDDEN");
    let retried = app
        .gql(Some(&admin), RETRY, json!({ "id": id.to_string() }))
        .await;
    assert_eq!(
        retried.data()["retryMediaRenditions"]["renditionError"],
        json!(null),
        "{:?}",
        retried.body
    );
    let job = render_job(&app, id).await;
    assert_eq!((job.attempts, job.failed_at), (0, None));
    assert_eq!(run_media_jobs(&app).await, 1, "it runs again at once");
    let again = app
        .gql(Some(&admin), RETRY, json!({ "id": id.to_string() }))
        .await;
    assert_eq!(
        again.code(),
        "CONFLICT",
        "not failed (yet) again: {:?}",
        again.body
    );
}
