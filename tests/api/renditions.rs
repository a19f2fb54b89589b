//! Image renditions, face masks and deleting media, on SQLite with local disk and
//! on PostgreSQL with S3: renditions are made in the background at web sizes and
//! carry no metadata, masks are burned in as black boxes and a render overtaken
//! by new masks never becomes current, and a deleted item leaves no row or byte.

use std::time::{Duration, Instant};

use api::{
    auth::{Principal, Role},
    clock, jobs,
    media::{
        faces::{self, Rect},
        intake::{self, Limits, Owner},
        renditions::{self, Outcome},
        strip::fixtures,
    },
    storage::ObjectStore,
};
use entity::{audit_event, job, media_asset, media_face_mask, media_rendition};
use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    fixtures::{self as domain, Person},
    helpers::{GqlResponse, PASSWORD, TestApp, spawn_media_app},
    storage::read_all,
};

const SET_FACE_MASKS: &str = "mutation($id: ID!, $masks: [FaceMaskInput!]!) {
    setFaceMasks(mediaId: $id, masks: $masks) { id facesReviewedAt }
}";
const DELETE_MEDIA: &str = "mutation($id: ID!) { deleteMedia(id: $id) }";

/// A light yellow that survives JPEG well and is far from a mask's black.
const BRIGHT: [u8; 3] = [250, 220, 90];
/// The face in the masked pictures: 1000×600, this rectangle.
const FACE: Rect = Rect {
    x: 400,
    y: 150,
    width: 300,
    height: 240,
};

/// An app with a story by a contributor, an editor, and a place for uploads.
struct Studio {
    app: TestApp,
    editor: Principal,
    editor_token: String,
    author: Principal,
    author_token: String,
    teller_id: Uuid,
    story_id: Uuid,
    uploads: tempfile::TempDir,
}

impl Studio {
    async fn new() -> Self {
        let app = spawn_media_app(&[]).await;
        let (editor, editor_token) = member(&app, "editor@chorus.test", Role::Editor).await;
        let (author, author_token) = member(&app, "author@chorus.test", Role::Contributor).await;
        let teller =
            domain::storyteller(&app.db, &app.state.crypto, &editor, Person::Adult, "Legal").await;
        let story = domain::draft(&app.db, &author, teller.id, "With photos").await;
        Self {
            app,
            editor,
            editor_token,
            author,
            author_token,
            teller_id: teller.id,
            story_id: story.id,
            uploads: tempfile::tempdir().expect("uploads dir"),
        }
    }

    fn store(&self) -> &dyn ObjectStore {
        self.app.state.storage.as_ref()
    }

    /// Takes in `bytes` for the story, as its author.
    async fn add(&self, name: &str, bytes: &[u8]) -> media_asset::Model {
        self.add_as(&self.author, Owner::Story(self.story_id), name, bytes)
            .await
    }

    async fn add_as(
        &self,
        who: &Principal,
        owner: Owner,
        name: &str,
        bytes: &[u8],
    ) -> media_asset::Model {
        let path = self.uploads.path().join(name);
        std::fs::write(&path, bytes).expect("upload written");
        intake::ingest(
            &self.app.db,
            self.store(),
            who,
            owner,
            &path,
            &Limits::default(),
            clock::now(),
        )
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    async fn asset(&self, id: Uuid) -> Option<media_asset::Model> {
        media_asset::Entity::find_by_id(id)
            .one(&self.app.db)
            .await
            .unwrap()
    }

    /// The item's current web sizes (its share card aside: `card`).
    async fn current(&self, id: Uuid) -> Vec<media_rendition::Model> {
        let asset = self.asset(id).await.expect("asset exists");
        let mut rows = renditions::current(&self.app.db, &asset).await.unwrap();
        rows.retain(|r| r.variant != renditions::pixels::CARD);
        rows
    }

    /// The item's current share card rendition.
    async fn card(&self, id: Uuid) -> Option<media_rendition::Model> {
        let asset = self.asset(id).await.expect("asset exists");
        renditions::current(&self.app.db, &asset)
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.variant == renditions::pixels::CARD)
    }

    /// Runs render jobs until none is waiting or running. The app's own worker
    /// may run some of them: the outcome is the same whoever runs them.
    async fn settle(&self) {
        let deadline = Instant::now() + Duration::from_secs(180);
        loop {
            jobs::run_due(
                &self.app.db,
                self.store(),
                "test-worker",
                Duration::from_secs(300),
            )
            .await
            .expect("jobs polled");
            let now = clock::now();
            let busy: Vec<job::Model> = job::Entity::find()
                .filter(job::Column::Kind.eq(job::Kind::RenderMedia))
                .filter(job::Column::DoneAt.is_null())
                .all(&self.app.db)
                .await
                .unwrap()
                .into_iter()
                // A cancelled job may still be finishing under its lease.
                .filter(|j| j.cancelled_at.is_none() || j.locked_until.is_some_and(|t| t > now))
                .collect();
            if busy.is_empty() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "render jobs did not finish: {busy:#?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn keys(&self, prefix: &str) -> Vec<String> {
        let mut keys: Vec<String> = self
            .store()
            .list(prefix)
            .await
            .expect("listed")
            .into_iter()
            .map(|o| o.key)
            .collect();
        keys.sort();
        keys
    }

    async fn bytes(&self, key: &str) -> Vec<u8> {
        read_all(self.store().get(key, None).await.expect("stored").bytes).await
    }

    async fn gql(&self, token: &str, query: &str, variables: Value) -> GqlResponse {
        self.app.gql(Some(token), query, variables).await
    }

    async fn set_masks(&self, token: &str, id: Uuid, masks: Value) -> GqlResponse {
        self.gql(token, SET_FACE_MASKS, json!({ "id": id, "masks": masks }))
            .await
    }

    async fn jobs_of(&self, id: Uuid) -> Vec<job::Model> {
        job::Entity::find()
            .filter(job::Column::MediaId.eq(id))
            .all(&self.app.db)
            .await
            .unwrap()
    }

    async fn audit(&self, action: &str) -> Vec<audit_event::Model> {
        audit_event::Entity::find()
            .filter(audit_event::Column::Action.eq(action))
            .all(&self.app.db)
            .await
            .unwrap()
    }
}

/// A staff account, as a principal for service calls and a token for HTTP.
async fn member(app: &TestApp, email: &str, role: Role) -> (Principal, String) {
    let principal = domain::staff(&app.db, email, role).await;
    let res = app.login(email, PASSWORD).await;
    let token = res.data()["login"]["accessToken"]
        .as_str()
        .expect("access token")
        .to_owned();
    (principal, token)
}

/// A JPEG straight from a phone: an EXIF block with GPS position and thumbnail.
fn photo_with_gps(width: u32, height: u32) -> Vec<u8> {
    let plain = fixtures::encode(
        DynamicImage::ImageRgb8(fixtures::picture(width, height)),
        ImageFormat::Jpeg,
    );
    let thumbnail = fixtures::encode(
        DynamicImage::ImageRgb8(fixtures::picture(8, 6)),
        ImageFormat::Jpeg,
    );
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend(fixtures::exif_tiff(1, &thumbnail));
    let len = u16::try_from(app1.len() + 2).expect("segment fits");
    let mut out = plain[..2].to_vec();
    out.extend([0xFF, 0xE1]);
    out.extend(len.to_be_bytes());
    out.extend(app1);
    out.extend(&plain[2..]);
    assert!(fixtures::contains(&out, &gps()), "fixture carries GPS");
    out
}

fn gps() -> Vec<u8> {
    fixtures::rational_bytes(fixtures::GPS_LATITUDE)
}

fn png(picture: RgbImage) -> Vec<u8> {
    fixtures::encode(DynamicImage::ImageRgb8(picture), ImageFormat::Png)
}

fn bright(width: u32, height: u32) -> Vec<u8> {
    png(RgbImage::from_pixel(width, height, Rgb(BRIGHT)))
}

/// The markers of a JPEG up to its first scan.
fn jpeg_markers(bytes: &[u8]) -> Vec<u8> {
    let mut markers = Vec::new();
    let mut at = 2;
    while at + 4 <= bytes.len() && bytes[at] == 0xFF {
        let marker = bytes[at + 1];
        markers.push(marker);
        if marker == 0xDA {
            break;
        }
        at += 2 + usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
    }
    markers
}

/// The ids of a WebP's chunks.
fn webp_chunks(bytes: &[u8]) -> Vec<String> {
    let mut chunks = Vec::new();
    let mut at = 12;
    while at + 8 <= bytes.len() {
        chunks.push(String::from_utf8_lossy(&bytes[at..at + 4]).into_owned());
        let size = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
        at += 8 + size + (size & 1);
    }
    chunks
}

/// Decodes a stored rendition, checking that its bytes are what its row says.
async fn decoded(studio: &Studio, row: &media_rendition::Model) -> RgbImage {
    let bytes = studio.bytes(&row.storage_key).await;
    assert_eq!(bytes.len() as i64, row.size_bytes, "{}", row.variant);
    let format = match row.mime.as_str() {
        "image/jpeg" => {
            assert_eq!(&bytes[..3], [0xFF, 0xD8, 0xFF], "{}", row.variant);
            ImageFormat::Jpeg
        }
        "image/webp" => {
            assert!(
                &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP",
                "{}",
                row.variant
            );
            ImageFormat::WebP
        }
        other => panic!("unexpected mime {other}"),
    };
    let picture = image::load_from_memory_with_format(&bytes, format)
        .unwrap_or_else(|e| panic!("{} decodes: {e}", row.variant))
        .into_rgb8();
    assert_eq!(
        (Some(picture.width() as i32), Some(picture.height() as i32)),
        (row.width, row.height),
        "{}",
        row.variant
    );
    picture
}

fn variants(rows: &[media_rendition::Model]) -> Vec<&str> {
    rows.iter().map(|r| r.variant.as_str()).collect()
}

#[tokio::test]
async fn photos_are_rendered_in_the_background_at_web_sizes_without_metadata() {
    let studio = Studio::new().await;
    let asset = studio.add("phone.jpg", &photo_with_gps(2000, 1200)).await;

    // Taking the photo in only queued the work.
    assert!(studio.current(asset.id).await.is_empty());
    let rows = media_rendition::Entity::find()
        .filter(media_rendition::Column::MediaId.eq(asset.id))
        .count(&studio.app.db)
        .await
        .unwrap();
    assert_eq!(rows, 0, "nothing rendered on the request path");
    let queued = studio.jobs_of(asset.id).await;
    assert_eq!(queued.len(), 1, "{queued:?}");
    assert_eq!(queued[0].kind, job::Kind::RenderMedia);
    assert_eq!(queued[0].story_id, None);

    studio.settle().await;

    let current = studio.current(asset.id).await;
    assert_eq!(
        variants(&current),
        [
            "w320.jpg",
            "w320.webp",
            "w800.jpg",
            "w800.webp",
            "w1600.jpg",
            "w1600.webp"
        ]
    );
    for row in &current {
        let width: i32 = row.variant[1..row.variant.find('.').unwrap()]
            .parse()
            .unwrap();
        assert_eq!(row.width, Some(width), "{}", row.variant);
        assert_eq!(row.height, Some(width * 1200 / 2000), "{}", row.variant);
        assert_eq!(
            row.storage_key,
            format!("media/{}/g0/{}", asset.id, row.variant)
        );
        let picture = decoded(&studio, row).await;
        // The fixture's top-left quarter is red, the rest blue: still so.
        let (w, h) = picture.dimensions();
        assert!(picture.get_pixel(w / 4, h / 4)[0] > 200, "{}", row.variant);
        assert!(
            picture.get_pixel(3 * w / 4, 3 * h / 4)[2] > 200,
            "{}",
            row.variant
        );

        let bytes = studio.bytes(&row.storage_key).await;
        for secret in [
            b"Exif".as_slice(),
            &gps(),
            fixtures::XMP_NAMESPACE.as_bytes(),
            b"ICC_PROFILE",
        ] {
            assert!(
                !fixtures::contains(&bytes, secret),
                "{}: {:?} found",
                row.variant,
                String::from_utf8_lossy(secret)
            );
        }
        if row.mime == "image/jpeg" {
            let markers = jpeg_markers(&bytes);
            assert_eq!(markers.last(), Some(&0xDA), "{}: {markers:X?}", row.variant);
            assert!(
                markers
                    .iter()
                    .all(|&m| !(0xE1..=0xEF).contains(&m) && m != 0xFE),
                "{}: metadata segments {markers:X?}",
                row.variant
            );
        } else {
            assert_eq!(webp_chunks(&bytes), ["VP8L"], "{}", row.variant);
        }
    }
    // The share card: the middle of the picture at 1200×630, clean too.
    let card = studio.card(asset.id).await.expect("a share card");
    assert_eq!(card.storage_key, format!("media/{}/g0/card.jpg", asset.id));
    let picture = decoded(&studio, &card).await;
    assert_eq!(picture.dimensions(), (1200, 630));
    assert!(picture.get_pixel(300, 150)[0] > 200, "top left still red");
    assert!(
        picture.get_pixel(900, 480)[2] > 200,
        "bottom right still blue"
    );
    let bytes = studio.bytes(&card.storage_key).await;
    assert!(!fixtures::contains(&bytes, b"Exif") && !fixtures::contains(&bytes, &gps()));
    let markers = jpeg_markers(&bytes);
    assert!(
        markers
            .iter()
            .all(|&m| !(0xE1..=0xEF).contains(&m) && m != 0xFE),
        "card metadata segments {markers:X?}"
    );

    let asset = studio.asset(asset.id).await.unwrap();
    assert_eq!(asset.renditions_generation, Some(0));
    assert_eq!(
        renditions::run(&studio.app.db, studio.store(), asset.id, clock::now())
            .await
            .unwrap(),
        Outcome::NotNeeded,
        "nothing left to do"
    );
}

#[tokio::test]
async fn narrow_pictures_are_never_upscaled() {
    let studio = Studio::new().await;
    let medium = studio
        .add("medium.png", &png(fixtures::picture(500, 300)))
        .await;
    let small = studio
        .add("small.png", &png(fixtures::picture(200, 120)))
        .await;
    studio.settle().await;

    let medium = studio.current(medium.id).await;
    assert_eq!(variants(&medium), ["w320.jpg", "w320.webp"]);
    let small = studio.current(small.id).await;
    assert_eq!(variants(&small), ["w320.jpg", "w320.webp"]);
    for (rows, size) in [(medium, (320, 192)), (small, (200, 120))] {
        for row in &rows {
            assert_eq!((row.width, row.height), (Some(size.0), Some(size.1)));
            decoded(&studio, row).await;
        }
    }

    // Lists read every item's renditions at once.
    let assets = api::media::assets::of_story(&studio.app.db, &studio.editor, studio.story_id)
        .await
        .unwrap();
    let all = renditions::current_for(&studio.app.db, &assets)
        .await
        .unwrap();
    assert_eq!(all.len(), 2);
    // w320 in both formats, and the share card.
    assert!(all.values().all(|rows| rows.len() == 3), "{all:?}");
}

/// A sampled point of a rendition `picture` of a 1000-pixel-wide original, at
/// (`x`, `y`) in the original's pixels.
fn at(picture: &RgbImage, x: f64, y: f64) -> [u8; 3] {
    let scale = f64::from(picture.width()) / 1000.0;
    picture.get_pixel((x * scale) as u32, (y * scale) as u32).0
}

/// Points well inside the face, away from the edges resampling blends.
fn inside_face() -> Vec<(f64, f64)> {
    let mut points = Vec::new();
    for fx in [0.2, 0.5, 0.8] {
        for fy in [0.2, 0.5, 0.8] {
            points.push((
                f64::from(FACE.x) + fx * f64::from(FACE.width),
                f64::from(FACE.y) + fy * f64::from(FACE.height),
            ));
        }
    }
    points
}

fn close_to(pixel: [u8; 3], colour: [u8; 3], tolerance: u8) -> bool {
    pixel
        .iter()
        .zip(colour)
        .all(|(&p, c)| p.abs_diff(c) <= tolerance)
}

#[tokio::test]
async fn face_masks_are_burned_into_every_rendition_and_old_ones_removed() {
    let studio = Studio::new().await;
    let asset = studio.add("group.png", &bright(1000, 600)).await;
    studio.settle().await;
    let unmasked = studio.current(asset.id).await;
    assert_eq!(variants(&unmasked).len(), 4, "w320 and w800");
    for row in &unmasked {
        let picture = decoded(&studio, row).await;
        for (x, y) in inside_face() {
            assert!(close_to(at(&picture, x, y), BRIGHT, 24), "{}", row.variant);
        }
    }

    let face = json!([{ "x": FACE.x, "y": FACE.y, "width": FACE.width, "height": FACE.height }]);
    let res = studio.set_masks(&studio.editor_token, asset.id, face).await;
    assert!(
        res.data()["setFaceMasks"]["facesReviewedAt"].is_string(),
        "{}",
        res.body
    );
    let masked = studio.asset(asset.id).await.unwrap();
    assert_eq!(masked.masks_generation, 1);
    assert!(masked.faces_reviewed_at.is_some());
    let Principal::Staff(editor) = &studio.editor else {
        unreachable!()
    };
    assert_eq!(masked.faces_reviewed_by, Some(editor.user_id));
    assert!(
        studio.current(asset.id).await.is_empty(),
        "the unmasked renditions are no longer current"
    );
    let masks = faces::masks_of(&studio.app.db, asset.id).await.unwrap();
    assert_eq!(masks.len(), 1);
    assert_eq!(
        (masks[0].x, masks[0].y, masks[0].width, masks[0].height),
        (FACE.x, FACE.y, FACE.width, FACE.height)
    );
    let events = studio.audit("media.faces_masked").await;
    assert_eq!(events.len(), 1);
    let detail: Value = serde_json::from_str(&events[0].detail).unwrap();
    assert_eq!(detail, json!({ "masks": 1, "generation": 1 }));

    studio.settle().await;
    let current = studio.current(asset.id).await;
    assert_eq!(variants(&current), variants(&unmasked));
    for row in &current {
        assert!(row.storage_key.contains("/g1/"), "{}", row.storage_key);
        let picture = decoded(&studio, row).await;
        for (x, y) in inside_face() {
            let pixel = at(&picture, x, y);
            assert!(
                close_to(pixel, [0, 0, 0], 40),
                "{}: {pixel:?} at ({x}, {y})",
                row.variant
            );
        }
        for (x, y) in [(100.0, 100.0), (900.0, 500.0), (550.0, 500.0)] {
            let pixel = at(&picture, x, y);
            assert!(
                close_to(pixel, BRIGHT, 24),
                "{}: {pixel:?} at ({x}, {y})",
                row.variant
            );
        }
    }
    // The share card too, through its crop: the middle 1000×525 of the
    // 1000×600 original, scaled by 1.2.
    let card = studio.card(asset.id).await.expect("a share card");
    assert!(card.storage_key.contains("/g1/"), "{}", card.storage_key);
    let picture = decoded(&studio, &card).await;
    let on_card = |x: f64, y: f64| {
        picture
            .get_pixel((x * 1.2) as u32, ((y - 37.0) * 1.2) as u32)
            .0
    };
    for (x, y) in inside_face() {
        let pixel = on_card(x, y);
        assert!(
            close_to(pixel, [0, 0, 0], 40),
            "card: {pixel:?} at ({x}, {y})"
        );
    }
    for (x, y) in [(100.0, 100.0), (900.0, 500.0), (550.0, 500.0)] {
        let pixel = on_card(x, y);
        assert!(close_to(pixel, BRIGHT, 24), "card: {pixel:?} at ({x}, {y})");
    }
    let prefix = format!("media/{}/", asset.id);
    let objects = studio.keys(&prefix).await;
    assert!(
        objects
            .iter()
            .all(|k| k.contains("/g1/") || k.contains("/original.")),
        "the unmasked renditions are gone from storage: {objects:?}"
    );
    assert_eq!(
        objects.len(),
        6,
        "original, 4 renditions, card: {objects:?}"
    );

    // No masks withdraws the review, and the picture is shown whole again.
    let res = studio
        .set_masks(&studio.editor_token, asset.id, json!([]))
        .await;
    assert!(
        res.data()["setFaceMasks"]["facesReviewedAt"].is_null(),
        "{}",
        res.body
    );
    let cleared = studio.asset(asset.id).await.unwrap();
    assert_eq!(cleared.masks_generation, 2);
    assert_eq!(
        (cleared.faces_reviewed_at, cleared.faces_reviewed_by),
        (None, None)
    );
    studio.settle().await;
    for row in &studio.current(asset.id).await {
        let picture = decoded(&studio, row).await;
        for (x, y) in inside_face() {
            assert!(close_to(at(&picture, x, y), BRIGHT, 24), "{}", row.variant);
        }
    }
}

#[tokio::test]
async fn a_render_overtaken_by_new_masks_is_thrown_away() {
    let studio = Studio::new().await;
    let asset = studio.add("group.png", &bright(1000, 600)).await;
    faces::set(
        &studio.app.db,
        &studio.editor,
        asset.id,
        &[FACE],
        clock::now(),
    )
    .await
    .unwrap();
    studio.settle().await;
    let masked = studio.current(asset.id).await;
    assert_eq!(masked.len(), 4);
    let g0 = format!("media/{}/g0/", asset.id);
    assert!(studio.keys(&g0).await.is_empty());

    // A render of generation 0 (before the mask) that finishes only now.
    let outcome = renditions::render(&studio.app.db, studio.store(), asset.id, 0, clock::now())
        .await
        .unwrap();

    assert_eq!(outcome, Outcome::Stale);
    assert_eq!(
        studio.current(asset.id).await,
        masked,
        "still the masked ones"
    );
    let asset = studio.asset(asset.id).await.unwrap();
    assert_eq!(asset.renditions_generation, Some(1));
    assert!(
        studio.keys(&g0).await.is_empty(),
        "the stale render left nothing behind"
    );
    let g1 = format!("media/{}/g1/", asset.id);
    assert_eq!(
        studio.keys(&g1).await.len(),
        5,
        "the current ones (and the card) stay"
    );
}

#[tokio::test]
async fn face_masks_must_lie_inside_a_picture_and_bad_ones_change_nothing() {
    let studio = Studio::new().await;
    let picture = studio.add("group.png", &bright(1000, 600)).await;
    let mut audio = fixtures::id3v2_tag();
    audio.extend(fixtures::mp3_frames());
    let recording = studio.add("voice.mp3", &audio).await;
    let rect = |x: i32, y: i32, width: i32, height: i32| json!({ "x": x, "y": y, "width": width, "height": height });

    let too_many: Vec<Value> = (0..201).map(|i| rect(i, 0, 1, 1)).collect();
    let cases = [
        (
            "outside on the right",
            picture.id,
            json!([rect(900, 0, 101, 10)]),
        ),
        (
            "outside at the bottom",
            picture.id,
            json!([rect(0, 550, 10, 51)]),
        ),
        (
            "left of the picture",
            picture.id,
            json!([rect(-1, 0, 10, 10)]),
        ),
        ("no width", picture.id, json!([rect(0, 0, 0, 10)])),
        ("no height", picture.id, json!([rect(0, 0, 10, 0)])),
        (
            "overflowing",
            picture.id,
            json!([rect(i32::MAX, 0, i32::MAX, 1)]),
        ),
        (
            "one bad among good",
            picture.id,
            json!([rect(0, 0, 10, 10), rect(995, 0, 10, 10)]),
        ),
        ("too many", picture.id, Value::Array(too_many)),
        ("on a recording", recording.id, json!([rect(0, 0, 1, 1)])),
    ];
    for (case, id, masks) in cases {
        let res = studio.set_masks(&studio.editor_token, id, masks).await;
        assert_eq!(res.code(), "BAD_USER_INPUT", "{case}: {}", res.body);
    }
    let res = studio
        .set_masks(
            &studio.author_token,
            picture.id,
            json!([rect(0, 0, 10, 10)]),
        )
        .await;
    assert_eq!(res.code(), "FORBIDDEN", "a contributor: {}", res.body);
    let res = studio
        .set_masks(&studio.editor_token, Uuid::now_v7(), json!([]))
        .await;
    assert_eq!(res.code(), "NOT_FOUND", "{}", res.body);

    for id in [picture.id, recording.id] {
        let asset = studio.asset(id).await.unwrap();
        assert_eq!(asset.masks_generation, 0);
        assert_eq!(asset.faces_reviewed_at, None);
        assert!(
            faces::masks_of(&studio.app.db, id)
                .await
                .unwrap()
                .is_empty()
        );
    }
    assert_eq!(studio.jobs_of(picture.id).await.len(), 1, "only intake's");
    assert!(
        studio.jobs_of(recording.id).await.is_empty(),
        "never rendered"
    );
    assert!(studio.audit("media.faces_masked").await.is_empty());

    // The whole picture is inside it.
    let res = studio
        .set_masks(
            &studio.editor_token,
            picture.id,
            json!([rect(0, 0, 1000, 600)]),
        )
        .await;
    res.data();
    assert_eq!(studio.asset(picture.id).await.unwrap().masks_generation, 1);
}

#[tokio::test]
async fn deleting_media_removes_its_rows_and_every_object() {
    let studio = Studio::new().await;
    let asset = studio.add("group.png", &bright(1000, 600)).await;
    faces::set(
        &studio.app.db,
        &studio.editor,
        asset.id,
        &[FACE],
        clock::now(),
    )
    .await
    .unwrap();
    studio.settle().await;
    let prefix = format!("media/{}/", asset.id);
    assert_eq!(
        studio.keys(&prefix).await.len(),
        6,
        "original, renditions and share card"
    );

    // Another contributor may not touch a story that is not theirs.
    let (_, other) = member(&studio.app, "other@chorus.test", Role::Contributor).await;
    let res = studio
        .gql(&other, DELETE_MEDIA, json!({ "id": asset.id }))
        .await;
    assert_eq!(res.code(), "FORBIDDEN", "{}", res.body);
    assert!(studio.asset(asset.id).await.is_some());

    let res = studio
        .gql(
            &studio.author_token,
            DELETE_MEDIA,
            json!({ "id": asset.id }),
        )
        .await;
    assert_eq!(res.data()["deleteMedia"], true);
    assert!(studio.asset(asset.id).await.is_none());
    let renditions_left = media_rendition::Entity::find()
        .filter(media_rendition::Column::MediaId.eq(asset.id))
        .count(&studio.app.db)
        .await
        .unwrap();
    let masks_left = media_face_mask::Entity::find()
        .filter(media_face_mask::Column::MediaId.eq(asset.id))
        .count(&studio.app.db)
        .await
        .unwrap();
    assert_eq!((renditions_left, masks_left), (0, 0));
    assert!(studio.keys(&prefix).await.is_empty(), "no byte left");
    let events = studio.audit("media.deleted").await;
    assert_eq!(events.len(), 1);
    let Principal::Staff(author) = &studio.author else {
        unreachable!()
    };
    assert_eq!(events[0].actor_id, Some(author.user_id));
    assert_eq!(events[0].subject_id, Some(asset.id));
    let detail: Value = serde_json::from_str(&events[0].detail).unwrap();
    assert_eq!(detail["storyId"], json!(studio.story_id));
    assert_eq!(detail["kind"], "IMAGE");

    let res = studio
        .gql(
            &studio.author_token,
            DELETE_MEDIA,
            json!({ "id": asset.id }),
        )
        .await;
    assert_eq!(res.code(), "NOT_FOUND", "{}", res.body);

    // Deleted before it was rendered: the render is called off, and whatever
    // it may already have begun leaves nothing behind.
    let fresh = studio.add("fresh.png", &bright(1000, 600)).await;
    let res = studio
        .gql(
            &studio.editor_token,
            DELETE_MEDIA,
            json!({ "id": fresh.id }),
        )
        .await;
    assert_eq!(res.data()["deleteMedia"], true);
    studio.settle().await;
    let job = &studio.jobs_of(fresh.id).await[0];
    assert!(
        job.cancelled_at.is_some() || job.done_at.is_some(),
        "{job:?}"
    );
    assert!(
        studio
            .keys(&format!("media/{}/", fresh.id))
            .await
            .is_empty(),
        "no byte left"
    );
}

#[tokio::test]
async fn consent_evidence_is_deleted_by_admins_only() {
    let studio = Studio::new().await;
    let evidence = studio
        .add_as(
            &studio.editor,
            Owner::Evidence {
                storyteller_id: studio.teller_id,
            },
            "form.png",
            &bright(400, 300),
        )
        .await;
    assert!(evidence.private);
    assert!(
        studio.jobs_of(evidence.id).await.is_empty(),
        "private items are never rendered"
    );

    for token in [&studio.editor_token, &studio.author_token] {
        let res = studio
            .gql(token, DELETE_MEDIA, json!({ "id": evidence.id }))
            .await;
        assert_eq!(res.code(), "FORBIDDEN", "{}", res.body);
    }
    assert!(studio.asset(evidence.id).await.is_some());

    let (_, admin) = member(&studio.app, "admin@chorus.test", Role::Admin).await;
    let res = studio
        .gql(&admin, DELETE_MEDIA, json!({ "id": evidence.id }))
        .await;
    assert_eq!(res.data()["deleteMedia"], true);
    assert!(studio.asset(evidence.id).await.is_none());
    assert!(
        studio
            .keys(&format!("media/{}/", evidence.id))
            .await
            .is_empty()
    );
    let events = studio.audit("media.deleted").await;
    let detail: Value = serde_json::from_str(&events[0].detail).unwrap();
    assert_eq!(detail["storytellerId"], json!(studio.teller_id));
}
