//! Share cards over real HTTP, on SQLite + local disk and on PostgreSQL + a real
//! S3 server: a story has a card only while its storyteller's consents cover
//! social media; the card's picture is the 1200×630 rendition of the chosen (or
//! oldest usable) image, face masks burned in and metadata-free, allowed by the
//! social consents' own faces terms; its URL comes from the campaign's pattern.

use std::time::{Duration, Instant};

use api::{
    auth::{Principal, Role},
    clock, jobs,
    media::intake::{self, Limits, Owner},
    stories::{self, DetailChanges},
};
use entity::{api_key::Channel, job, media_asset, story};
use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    fixtures::{self, Person},
    helpers::{GqlResponse, PASSWORD, TestApp, spawn_media_app},
};

const CARD: &str = "query($s: String!) {
  story(slug: $s) {
    slug
    shareCard {
      title description url
      image { url mime width height altText }
      metaTags { property content }
    }
    media { id sources { variant } }
  }
}";

const UPDATE_DETAILS: &str = "mutation($id: ID!, $v: Int!, $input: UpdateStoryDetailsInput!) {
  updateStoryDetails(storyId: $id, expectedVersion: $v, input: $input) { version shareImageId }
}";

/// A light yellow that survives JPEG well and is far from a mask's black.
const BRIGHT: [u8; 3] = [250, 220, 90];

struct World {
    app: TestApp,
    editor: Principal,
    editor_token: String,
    author: Principal,
    /// A campaign site's `PUBLIC_WEB` key.
    key: String,
    campaign: Uuid,
}

impl World {
    async fn new() -> Self {
        let app = spawn_media_app(&[]).await;
        let admin = fixtures::staff(&app.db, "admin@chorus.test", Role::Admin).await;
        let editor = fixtures::staff(&app.db, "editor@chorus.test", Role::Editor).await;
        let author = fixtures::staff(&app.db, "author@chorus.test", Role::Contributor).await;
        let editor_token =
            app.login("editor@chorus.test", PASSWORD).await.data()["login"]["accessToken"]
                .as_str()
                .expect("token")
                .to_owned();
        let (_, key) = fixtures::api_key(&app.db, &admin, Channel::PublicWeb, None).await;
        let created = app
            .gql(
                Some(&editor_token),
                "mutation($p: String) { createCampaign(input: { slug: \"imd\", name: \"International Migrants Day\", shareUrlPattern: $p }) { id shareUrlPattern } }",
                json!({ "p": "https://imday.example/stories/{slug}" }),
            )
            .await;
        let campaign = created.data()["createCampaign"]["id"]
            .as_str()
            .expect("campaign")
            .parse()
            .expect("uuid");
        Self {
            app,
            editor,
            editor_token,
            author,
            key,
            campaign,
        }
    }

    /// A storyteller with one consent per `(channels, faces)`: their id and
    /// each consent's id, in order.
    async fn teller(&self, consents: &[(&[Channel], story::Faces)]) -> (Uuid, Vec<Uuid>) {
        let teller = fixtures::storyteller_without_consent(
            &self.app.db,
            &self.app.state.crypto,
            &self.editor,
            Person::Adult,
            "Legal Name",
        )
        .await;
        let mut ids = Vec::new();
        for (channels, faces) in consents {
            let mut terms = fixtures::terms(channels);
            terms.faces = *faces;
            ids.push(
                fixtures::consent(&self.app.db, teller.id, terms)
                    .await
                    .consent
                    .record
                    .id,
            );
        }
        (teller.id, ids)
    }

    /// A draft in the campaign, its faces shown (the consents narrow that).
    async fn draft(&self, teller: Uuid, title: &str) -> story::Model {
        let draft = fixtures::draft(&self.app.db, &self.author, teller, title).await;
        stories::update_details(
            &self.app.db,
            &self.editor,
            draft.id,
            draft.version,
            DetailChanges {
                campaign_ids: Some(vec![self.campaign]),
                faces: Some(story::Faces::Shown),
                ..DetailChanges::default()
            },
            clock::now(),
        )
        .await
        .expect("details")
    }

    /// Takes a picture in for the story, with alt text.
    async fn image(&self, story_id: Uuid, picture: RgbImage, alt: &str) -> media_asset::Model {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("upload.png");
        let bytes =
            api::media::strip::fixtures::encode(DynamicImage::ImageRgb8(picture), ImageFormat::Png);
        std::fs::write(&path, bytes).expect("written");
        let asset = intake::ingest(
            &self.app.db,
            self.app.state.storage.as_ref(),
            &self.editor,
            Owner::Story(story_id),
            &path,
            &Limits::default(),
            clock::now(),
        )
        .await
        .expect("ingested");
        let res = self
            .editor_gql(
                "mutation($id: ID!, $alt: String!) { updateMedia(id: $id, input: { altText: $alt }) { id } }",
                json!({ "id": asset.id, "alt": alt }),
            )
            .await;
        assert!(res.body["errors"].is_null(), "{}", res.body);
        asset
    }

    async fn editor_gql(&self, query: &str, variables: Value) -> GqlResponse {
        self.app
            .gql(Some(&self.editor_token), query, variables)
            .await
    }

    /// Runs render jobs until none is waiting.
    async fn settle(&self) {
        let deadline = Instant::now() + Duration::from_secs(180);
        loop {
            jobs::run_due(
                &self.app.db,
                self.app.state.storage.as_ref(),
                "test-worker",
                Duration::from_secs(300),
            )
            .await
            .expect("jobs polled");
            let waiting = job::Entity::find()
                .filter(job::Column::Kind.eq(job::Kind::RenderMedia))
                .filter(job::Column::DoneAt.is_null())
                .filter(job::Column::CancelledAt.is_null())
                .all(&self.app.db)
                .await
                .expect("jobs");
            if waiting.is_empty() {
                return;
            }
            assert!(Instant::now() < deadline, "renders stuck: {waiting:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn publish(&self, story: &story::Model) -> story::Model {
        fixtures::publish(&self.app.db, &self.author, &self.editor, story).await
    }

    /// The story as the site's key reads it, with its card.
    async fn read(&self, slug: &str) -> Value {
        let res = self
            .app
            .client
            .post(self.app.url("/graphql"))
            .header("x-api-key", &self.key)
            .json(&json!({ "query": CARD, "variables": { "s": slug } }))
            .send()
            .await
            .expect("sent");
        let body: Value = res.json().await.expect("json");
        assert!(body["errors"].is_null(), "{body}");
        body["data"]["story"].clone()
    }

    async fn fetch(&self, url: &str) -> (u16, Vec<u8>) {
        let res = self.app.client.get(url).send().await.expect("fetched");
        let status = res.status().as_u16();
        (status, res.bytes().await.expect("body").to_vec())
    }

    async fn choose(&self, story: &story::Model, image: Value) -> GqlResponse {
        let version = story::Entity::find_by_id(story.id)
            .one(&self.app.db)
            .await
            .expect("read")
            .expect("story")
            .version;
        self.editor_gql(
            UPDATE_DETAILS,
            json!({ "id": story.id, "v": version, "input": { "shareImageId": image } }),
        )
        .await
    }

    /// Chorus's own links are checked at every fetch; presigned S3 URLs (the
    /// PostgreSQL runs) stand until they expire, as for every media item.
    fn is_chorus_link(&self, url: &str) -> bool {
        url.starts_with(&self.app.url("/media/"))
    }
}

fn picture(width: u32, height: u32) -> RgbImage {
    api::media::strip::fixtures::picture(width, height)
}

fn decode_jpeg(bytes: &[u8]) -> RgbImage {
    assert_eq!(&bytes[..3], [0xFF, 0xD8, 0xFF], "a JPEG");
    image::load_from_memory_with_format(bytes, ImageFormat::Jpeg)
        .expect("decodes")
        .into_rgb8()
}

fn meta<'a>(card: &'a Value, property: &str) -> Option<&'a str> {
    card["metaTags"]
        .as_array()
        .expect("tags")
        .iter()
        .find(|t| t["property"] == property)
        .and_then(|t| t["content"].as_str())
}

#[tokio::test]
async fn a_card_exists_only_while_consent_covers_social_media() {
    let world = World::new().await;
    // Two consents: the web, and social media apart, so one can end alone.
    let (teller, consents) = world
        .teller(&[
            (&[Channel::PublicWeb], story::Faces::Shown),
            (&[Channel::SocialMedia], story::Faces::Shown),
        ])
        .await;
    let draft = world.draft(teller, "Bread at dawn").await;
    world
        .image(draft.id, picture(2000, 1200), "The bakery")
        .await;
    let second = world
        .image(
            draft.id,
            RgbImage::from_pixel(900, 900, Rgb(BRIGHT)),
            "Flour",
        )
        .await;
    world.settle().await;
    let story = world.publish(&draft).await;

    let (web_only, _) = world
        .teller(&[(&[Channel::PublicWeb], story::Faces::Shown)])
        .await;
    let other = world.draft(web_only, "Not for sharing").await;
    let other_image = world.image(other.id, picture(800, 600), "A street").await;
    world.settle().await;
    let other = world.publish(&other).await;

    // The shared story: texts, the campaign's URL, the oldest image's card.
    let read = world.read(&story.slug).await;
    let card = &read["shareCard"];
    assert_eq!(card["title"], "Bread at dawn", "{read}");
    let url = format!("https://imday.example/stories/{}", story.slug);
    assert_eq!(card["url"], url.as_str());
    let image = &card["image"];
    assert_eq!(image["altText"], "The bakery");
    assert_eq!(
        (image["width"].as_i64(), image["height"].as_i64()),
        (Some(1200), Some(630))
    );
    assert_eq!(image["mime"], "image/jpeg");
    let image_url = image["url"].as_str().expect("url").to_owned();
    assert_eq!(meta(card, "og:image"), Some(image_url.as_str()));
    assert_eq!(meta(card, "og:url"), Some(url.as_str()));
    assert_eq!(meta(card, "og:image:alt"), Some("The bakery"));
    assert_eq!(meta(card, "twitter:card"), Some("summary_large_image"));
    // The card's file is not among the items' sources.
    for item in read["media"].as_array().expect("media") {
        for source in item["sources"].as_array().expect("sources") {
            assert_ne!(source["variant"], "card.jpg", "{read}");
        }
    }
    let (status, bytes) = world.fetch(&image_url).await;
    assert_eq!(status, 200);
    let fetched = decode_jpeg(&bytes);
    assert_eq!(fetched.dimensions(), (1200, 630));
    // The middle of the picture: red top left, blue bottom right.
    assert!(fetched.get_pixel(300, 150)[0] > 200);
    assert!(fetched.get_pixel(900, 480)[2] > 200);
    assert!(
        !api::media::strip::fixtures::contains(&bytes, b"Exif"),
        "no metadata"
    );

    // The story whose consents leave social media out: read, but no card.
    let read_other = world.read(&other.slug).await;
    assert_eq!(read_other["slug"], other.slug.as_str());
    assert!(read_other["shareCard"].is_null(), "{read_other}");

    // The editor picks the second image; another story's image is refused.
    let chosen = world.choose(&story, json!(second.id)).await;
    assert_eq!(
        chosen.data()["updateStoryDetails"]["shareImageId"],
        second.id.to_string()
    );
    assert_eq!(
        world.read(&story.slug).await["shareCard"]["image"]["altText"],
        "Flour"
    );
    let refused = world.choose(&story, json!(other_image.id)).await;
    assert_eq!(refused.code(), "BAD_USER_INPUT", "{}", refused.body);
    assert_eq!(
        world.read(&story.slug).await["shareCard"]["image"]["altText"],
        "Flour",
        "unchanged"
    );
    // Cleared, the oldest usable image again.
    world.choose(&story, Value::Null).await;
    let card = world.read(&story.slug).await["shareCard"].clone();
    assert_eq!(card["image"]["altText"], "The bakery");

    // Social media withdrawn: the story stays on the web, its card goes, and
    // the card link stops working.
    fixtures::withdraw(&world.app.db, &world.editor, consents[1]).await;
    let read = world.read(&story.slug).await;
    assert_eq!(read["slug"], story.slug.as_str(), "still on the web");
    assert!(read["shareCard"].is_null(), "{read}");
    if world.is_chorus_link(&image_url) {
        let (status, _) = world.fetch(&image_url).await;
        assert_eq!(status, 404, "the card link is checked again");
    }
}

#[tokio::test]
async fn the_card_picture_is_masked_and_follows_the_social_faces_terms() {
    let world = World::new().await;
    // On the web faces may be shown; on social media only masked.
    let (teller, _) = world
        .teller(&[
            (&[Channel::PublicWeb], story::Faces::Shown),
            (&[Channel::SocialMedia], story::Faces::Obscured),
        ])
        .await;
    let draft = world.draft(teller, "Our choir").await;
    let group = world
        .image(
            draft.id,
            RgbImage::from_pixel(1000, 600, Rgb(BRIGHT)),
            "The choir",
        )
        .await;
    assert!(
        group.shows_faces,
        "pictures show faces until told otherwise"
    );
    world.settle().await;
    let story = world.publish(&draft).await;

    // Unmasked and unreviewed, the picture cannot go to social media.
    let card = world.read(&story.slug).await["shareCard"].clone();
    assert_eq!(card["title"], "Our choir");
    assert!(card["image"].is_null(), "{card}");
    assert_eq!(meta(&card, "twitter:card"), Some("summary"));

    // Masked by an editor: the card shows the picture, the face black.
    let res = world
        .editor_gql(
            "mutation($id: ID!) { setFaceMasks(mediaId: $id, masks: [{ x: 400, y: 150, width: 300, height: 240 }]) { id } }",
            json!({ "id": group.id }),
        )
        .await;
    assert!(res.body["errors"].is_null(), "{}", res.body);
    world.settle().await;
    let card = world.read(&story.slug).await["shareCard"].clone();
    let url = card["image"]["url"].as_str().expect("a picture now");
    let (status, bytes) = world.fetch(url).await;
    assert_eq!(status, 200);
    let fetched = decode_jpeg(&bytes);
    // The 1000×600 original's middle 1000×525, scaled by 1.2.
    let on_card = |x: f64, y: f64| {
        fetched
            .get_pixel((x * 1.2) as u32, ((y - 37.0) * 1.2) as u32)
            .0
    };
    let near = |p: [u8; 3], c: [u8; 3], t: u8| p.iter().zip(c).all(|(&a, b)| a.abs_diff(b) <= t);
    for (x, y) in [(460.0, 200.0), (550.0, 270.0), (640.0, 340.0)] {
        assert!(
            near(on_card(x, y), [0, 0, 0], 40),
            "face at ({x}, {y}) masked"
        );
    }
    for (x, y) in [(100.0, 100.0), (900.0, 500.0)] {
        assert!(near(on_card(x, y), BRIGHT, 24), "rest at ({x}, {y}) shown");
    }

    // A storyteller who keeps faces off social media altogether: a card
    // without a picture, even masked.
    let (strict, _) = world
        .teller(&[
            (&[Channel::PublicWeb], story::Faces::Shown),
            (&[Channel::SocialMedia], story::Faces::NotDepicted),
        ])
        .await;
    let draft = world.draft(strict, "Faces stay home").await;
    let portrait = world
        .image(
            draft.id,
            RgbImage::from_pixel(1000, 600, Rgb(BRIGHT)),
            "A portrait",
        )
        .await;
    world
        .editor_gql(
            "mutation($id: ID!) { setFaceMasks(mediaId: $id, masks: [{ x: 1, y: 1, width: 10, height: 10 }]) { id } }",
            json!({ "id": portrait.id }),
        )
        .await;
    world.settle().await;
    let story = world.publish(&draft).await;
    let read = world.read(&story.slug).await;
    assert_eq!(
        read["media"].as_array().map(Vec::len),
        Some(1),
        "the web gets it"
    );
    assert!(read["shareCard"]["image"].is_null(), "{read}");
    assert_eq!(read["shareCard"]["title"], "Faces stay home");
}

#[tokio::test]
async fn share_url_patterns_are_checked() {
    let world = World::new().await;
    for bad in [
        "http://imday.example/{slug}",
        "https://imday.example/stories/",
        "https://localhost/{slug}",
    ] {
        let res = world
            .editor_gql(
                "mutation($id: ID!, $p: String) { updateCampaign(id: $id, input: { shareUrlPattern: $p }) { shareUrlPattern } }",
                json!({ "id": world.campaign, "p": bad }),
            )
            .await;
        assert_eq!(res.code(), "BAD_USER_INPUT", "{bad}: {}", res.body);
    }
    let campaign = world
        .editor_gql(
            "query { campaign(slug: \"imd\") { shareUrlPattern } }",
            json!({}),
        )
        .await;
    assert_eq!(
        campaign.data()["campaign"]["shareUrlPattern"],
        "https://imday.example/stories/{slug}",
        "unchanged"
    );
}
