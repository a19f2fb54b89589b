//! Media that cannot be rendered is refused at intake, not published: a
//! truncated picture and a forged size claim are answered with a typed error,
//! through the multipart upload and the large-upload completion alike, and
//! leave neither an object nor a row behind; a whole picture is still taken.

use std::time::{Duration, Instant};

use api::{auth::Role, media::strip::fixtures};
use image::{DynamicImage, ImageFormat};

use crate::{
    helpers::{GqlResponse, TestApp, spawn_media_app},
    large_uploads, uploads,
};

/// A whole 64×64 photo-like JPEG.
fn good_jpeg() -> Vec<u8> {
    fixtures::encode(
        DynamicImage::ImageRgb8(fixtures::noise(64, 64)),
        ImageFormat::Jpeg,
    )
}

async fn add(app: &TestApp, name: &str, bytes: Vec<u8>) -> GqlResponse {
    let token = app.token_for("editor@chorus.test", Role::Editor).await;
    let (_, story_id) = uploads::story(app).await;
    uploads::upload(app, &token, story_id, vec![(name, bytes)]).await
}

#[tokio::test]
async fn a_truncated_jpeg_is_refused_and_nothing_is_stored() {
    let app = spawn_media_app(&[]).await;

    let res = add(&app, "cut.jpg", fixtures::truncated_jpeg()).await;

    assert_eq!(res.code(), "BAD_USER_INPUT", "{}", res.body);
    assert!(
        res.message().contains("truncated or damaged"),
        "{}",
        res.message()
    );
    uploads::nothing_stored(&app).await;
}

#[tokio::test]
async fn a_tiny_png_claiming_30000_by_30000_pixels_is_refused_at_once() {
    let app = spawn_media_app(&[]).await;
    let bomb = fixtures::png_claiming(30_000, 30_000);
    assert!(bomb.len() < 1024, "{} bytes", bomb.len());

    let started = Instant::now();
    let res = add(&app, "bomb.png", bomb).await;
    let took = started.elapsed();

    assert_eq!(res.code(), "PAYLOAD_TOO_LARGE", "{}", res.body);
    assert!(
        res.message().contains("30000×30000 pixels") && res.message().contains("50000000"),
        "{}",
        res.message()
    );
    // Refused from its header: decoding 900 megapixels would take far longer
    // (and gigabytes). Generous for a debug build on a loaded machine; the
    // time includes logging in and creating the story.
    assert!(took < Duration::from_secs(3), "took {took:?}");
    uploads::nothing_stored(&app).await;
}

#[tokio::test]
async fn a_whole_photo_is_still_taken_in() {
    let app = spawn_media_app(&[]).await;

    let res = add(&app, "whole.jpg", good_jpeg()).await;

    assert_eq!(res.status, 200, "{}", res.body);
    let asset = &res.data()["addStoryMedia"];
    assert_eq!(asset["metadataStatus"], "CLEANED");
    assert_eq!(
        (&asset["width"], &asset["height"]),
        (&64.into(), &64.into())
    );
}

#[tokio::test]
async fn the_pixel_limit_is_a_setting() {
    let app = spawn_media_app(&[("CHORUS_MEDIA_MAX_PIXELS", "4000")]).await;

    let res = add(&app, "whole.jpg", good_jpeg()).await;

    assert_eq!(res.code(), "PAYLOAD_TOO_LARGE", "{}", res.body);
    assert!(
        res.message()
            .contains("64×64 pixels; the limit is 4000 pixels"),
        "{}",
        res.message()
    );
    uploads::nothing_stored(&app).await;
}

#[tokio::test]
async fn a_damaged_image_sent_as_a_large_upload_is_refused_and_leaves_nothing() {
    let w = large_uploads::world().await;

    let (id, res) = w.upload(&fixtures::truncated_jpeg(), None).await;
    assert_eq!(res.code(), "BAD_USER_INPUT", "{}", res.body);
    w.no_asset().await;
    assert!(!w.staging_exists(&id).await, "staging object removed");

    let (id, res) = w
        .upload(&fixtures::png_claiming(30_000, 30_000), None)
        .await;
    assert_eq!(res.code(), "PAYLOAD_TOO_LARGE", "{}", res.body);
    w.no_asset().await;
    assert!(!w.staging_exists(&id).await, "staging object removed");
}
