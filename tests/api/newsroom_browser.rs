//! The newsroom in a real browser (issue 15's acceptance): Debian's Chromium,
//! driven by `tests/browser/newsroom.mjs` (playwright-core and axe-core from
//! npm), walks the editors' day through `/admin` against this server, with no
//! request leaving loopback, no console error and no serious accessibility
//! violation. This file starts Chorus and makes only what the journey itself
//! does not: the first admin, editor A, a `PUBLIC_WEB` key to read as readers
//! do, a photo carrying GPS, and for the organisations part (issue 16) a
//! campaign the platform runs and the partner a new member organisation is.
//! The journey adds an event to that campaign (issue 19); this file checks
//! the instant it stored.
//!
//! It runs on both backends, as the suite does: on SQLite with media on local
//! disk, and on PostgreSQL with media in a real S3 server (`spawn_media_app`),
//! where the page previews pictures from the bucket. About 50 s each.
//! Screenshots of every step: `target/newsroom-screenshots/<backend>/`.

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::Instant,
};

use api::{auth::Role, media::strip::fixtures};
use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use serde_json::json;

use crate::{
    helpers::{PASSWORD, spawn_media_app},
    submissions,
};

const CHROMIUM: &str = "/usr/bin/chromium";
const ADMIN: &str = "admin@newsroom.test";
const EDITOR_A: &str = "amira@newsroom.test";
const EDITOR_B: &str = "bashir@newsroom.test";
const ORG_EDITOR: &str = "chidi@imix.test";
const ORG_ADMIN: &str = "dalia@imix.test";
const CAMPAIGN_SLUG: &str = "it-takes-a-community";
const CAMPAIGN_NAME: &str = "It Takes A Community";
const ORG_PARTNER: &str = "IMIX (partner site)";
const SENT_IN_TITLE: &str = "Sent in from the campaign site";

fn workspace() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Installs the pinned npm packages when missing (`.ci/run` does it up front).
fn npm_ci(dir: &Path) {
    if dir.join("node_modules/playwright-core").is_dir()
        && dir.join("node_modules/axe-core").is_dir()
    {
        return;
    }
    let status = Command::new("npm")
        .args([
            "ci",
            "--ignore-scripts",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
        ])
        .current_dir(dir)
        .status();
    assert!(
        status.as_ref().is_ok_and(|s| s.success()),
        "`npm ci` in {} failed ({status:?}); this test needs Node.js and npm",
        dir.display()
    );
}

/// Debian's Chromium, installed when missing and this test runs as root.
fn chromium() {
    if Path::new(CHROMIUM).exists() {
        return;
    }
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0");
    if root {
        let installed = Command::new("apt-get")
            .args(["install", "-y", "chromium"])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .is_ok_and(|s| s.success());
        if !installed {
            // A fresh machine may have no package lists yet.
            let _ = Command::new("apt-get").arg("update").status();
            let _ = Command::new("apt-get")
                .args(["install", "-y", "chromium"])
                .env("DEBIAN_FRONTEND", "noninteractive")
                .status();
        }
    }
    assert!(
        Path::new(CHROMIUM).exists(),
        "the newsroom browser test needs Debian's Chromium at {CHROMIUM}: \
         run `apt-get install -y chromium` as root (.ci/run does)"
    );
}

/// A bright 1000×600 JPEG as a phone makes it: EXIF with a GPS position and a
/// thumbnail. Made here so no photo is committed.
fn photo_with_gps() -> Vec<u8> {
    let bright = RgbImage::from_pixel(1000, 600, Rgb([250, 220, 90]));
    let plain = fixtures::encode(DynamicImage::ImageRgb8(bright), ImageFormat::Jpeg);
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
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn an_editors_day_in_the_newsroom_passes_in_a_real_browser() {
    let dir = workspace().join("tests/browser");
    npm_ci(&dir);
    chromium();

    // A developer may point at their checkout to try front-end edits without
    // rebuilding (run the test binary directly; cargo would rebuild anyway).
    let assets = std::env::var("CHORUS_ADMIN_ASSETS_DIR").ok();
    let mut overrides = vec![];
    if let Some(assets) = assets.as_deref() {
        overrides.push(("CHORUS_ADMIN_ASSETS_DIR", assets));
    }
    // A small proof of work: the test sends a story in as a campaign site would.
    overrides.push(("CHORUS_SUBMISSION_MAX_NUMBER", "2000"));
    let app = spawn_media_app(&overrides).await;
    app.create_user(ADMIN, Role::Admin).await;
    let admin = app.login(ADMIN, PASSWORD).await.data()["login"]["accessToken"]
        .as_str()
        .expect("access token")
        .to_owned();
    app.create_user(EDITOR_A, Role::Editor).await;
    let res = app
        .gql(
            Some(&admin),
            "mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }",
            json!({ "input": { "name": "Public website", "channel": "PUBLIC_WEB" } }),
        )
        .await;
    let public_key = res.data()["createApiKey"]["secret"]
        .as_str()
        .expect("key secret")
        .to_owned();
    // What the organisations part of the journey starts from (issue 16): a
    // campaign the platform runs, to share, and the partner the new member
    // organisation also is, to hold its keys.
    let res = app
        .gql(
            Some(&admin),
            "mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { id owner { name } } }",
            json!({ "input": { "slug": CAMPAIGN_SLUG, "name": CAMPAIGN_NAME } }),
        )
        .await;
    let platform_name = res.data()["createCampaign"]["owner"]["name"]
        .as_str()
        .expect("the platform runs the campaign")
        .to_owned();
    let campaign_id = res.data()["createCampaign"]["id"].clone();
    // A storyteller sends a story in through the campaign site's form (issue 16):
    // it waits in the review queue with its flag, for editor B to mark as spam.
    let res = app
        .gql(
            Some(&admin),
            "mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }",
            json!({ "input": { "name": "Campaign site form", "channel": "SUBMISSIONS", "campaignIds": [campaign_id] } }),
        )
        .await;
    let form_key = res.data()["createApiKey"]["secret"]
        .as_str()
        .expect("submission key secret")
        .to_owned();
    let send_in = async |title: &str| {
        let challenge =
            submissions::with_key(&app, Some(&form_key), submissions::CHALLENGE, json!({})).await;
        let proof = submissions::solve(&challenge.data()["submissionChallenge"]);
        let input = submissions::input(Some(&proof), title);
        submissions::with_key(
            &app,
            Some(&form_key),
            submissions::SUBMIT,
            json!({ "input": input }),
        )
        .await
    };
    send_in(SENT_IN_TITLE).await.data();
    app.gql(
        Some(&admin),
        "mutation($slug: String!, $name: String!) { createPartner(slug: $slug, name: $name) { id } }",
        json!({ "slug": "imix-partner", "name": ORG_PARTNER }),
    )
    .await
    .data();

    let scratch = tempfile::tempdir().expect("temp dir");
    let photo = scratch.path().join("IMG_0042.jpg");
    std::fs::write(&photo, photo_with_gps()).expect("photo written");
    // One folder per backend, so the SQLite and PostgreSQL runs keep theirs apart.
    let backend = if std::env::var("CHORUS_TEST_POSTGRES_URL").is_ok_and(|u| !u.is_empty()) {
        "postgres"
    } else {
        "sqlite"
    };
    let screenshots: PathBuf = workspace()
        .join("target/newsroom-screenshots")
        .join(backend);
    // Old screenshots would mix with this run's.
    let _ = std::fs::remove_dir_all(&screenshots);

    let settings = json!({
        "admin": { "email": ADMIN, "password": PASSWORD },
        "editorA": { "email": EDITOR_A, "password": PASSWORD },
        "editorB": { "email": EDITOR_B, "password": "bashir's own long passphrase" },
        "orgEditor": { "email": ORG_EDITOR, "password": "chidi's own long passphrase" },
        "orgAdmin": { "email": ORG_ADMIN, "password": "dalia's own long passphrase" },
        "organisation": { "slug": "imix", "name": "IMIX", "partner": ORG_PARTNER },
        "platformName": platform_name,
        "campaign": { "slug": CAMPAIGN_SLUG, "name": CAMPAIGN_NAME },
        "publicKey": public_key,
        "sentIn": { "title": SENT_IN_TITLE },
        "photo": photo,
        "gpsHex": hex(&fixtures::rational_bytes(fixtures::GPS_LATITUDE)),
        "screenshots": screenshots,
        "chromium": CHROMIUM,
    });
    let url = app.base_url.clone();
    let started = Instant::now();
    // The server runs on this test's runtime: wait for node off it.
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg("newsroom.mjs")
            .arg(&url)
            .env("CHORUS_BROWSER_TEST", settings.to_string())
            .current_dir(dir)
            .output()
    })
    .await
    .expect("the browser task")
    .expect("node runs (install Node.js)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "the newsroom browser test failed after {:.0?} (screenshots in {}):\n{stdout}\n{stderr}",
        started.elapsed(),
        screenshots.display()
    );
    assert!(stdout.contains("the newsroom journey passed"), "{stdout}");

    // The event added in the browser holds the instant its own clocks said
    // (18:30 in Istanbul, UTC+3), whatever the browser's zone.
    let res = app
        .gql(
            Some(&admin),
            "query($s: String!) { campaign(slug: $s) { events { nodes { title startsAt status } } } }",
            json!({ "s": CAMPAIGN_SLUG }),
        )
        .await;
    assert_eq!(
        res.data()["campaign"]["events"]["nodes"],
        json!([{ "title": "Community kitchen", "startsAt": "2031-12-18T15:30:00+00:00", "status": "CANCELLED" }])
    );

    // Editor B blocked where the spam came from: the next story from there is refused.
    let again = send_in("Another one from the same place").await;
    assert_eq!(submissions::reason(&again), "BLOCKED", "{}", again.body);
}
