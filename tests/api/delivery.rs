//! Media delivery through the consent gate, over real HTTP, on SQLite + local
//! disk and on PostgreSQL + a real S3 server: readers get URLs only for what
//! the consents allow, links are checked again on every fetch, byte ranges
//! work, and private evidence reaches only editors, each read audited.

use api::{
    auth::{Principal, Role},
    clock,
    consent::{self, Decision, Ending},
    consumers::{self, NewKey},
    media::{intake::Owner, links::Holder, strip::fixtures as media_fixtures},
    stories::workflow,
};
use entity::{
    api_key::Channel,
    audit_event,
    consent_event::Via,
    consent_record::{IndicatedBy, Voice},
    media_asset,
    story::{self, Faces},
};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    fixtures::{self, Person},
    helpers::{GqlResponse, TestApp, spawn_media_app},
};

const STORY_MEDIA: &str = "query($s: String!) {
  story(slug: $s) { slug media { id kind altText sources { variant mime width url expiresAt } } }
}";

/// An app with an admin, an editor, an author and a partner site's API key.
struct World {
    app: TestApp,
    admin: Principal,
    editor: Principal,
    author: Principal,
    key: String,
    key_id: Uuid,
}

impl World {
    async fn new() -> Self {
        let app = spawn_media_app(&[]).await;
        let admin = fixtures::staff(&app.db, "admin@chorus.test", Role::Admin).await;
        let editor = fixtures::staff(&app.db, "editor@chorus.test", Role::Editor).await;
        let author = fixtures::staff(&app.db, "author@chorus.test", Role::Contributor).await;
        let partner = consumers::create_partner(
            &app.db,
            &admin,
            "migrants-org",
            "Migrants Org",
            clock::now(),
        )
        .await
        .expect("partner")
        .id;
        let (model, key) = consumers::create_key(
            &app.db,
            &admin,
            NewKey {
                name: "partner site".into(),
                channel: Channel::PartnerSites,
                partner_id: Some(partner),
                campaign_ids: Vec::new(),
                expires_at: None,
            },
            clock::now(),
        )
        .await
        .expect("key");
        Self {
            app,
            admin,
            editor,
            author,
            key,
            key_id: model.id,
        }
    }

    /// A storyteller whose one consent grants `PARTNER_SITES` with these faces and
    /// voice terms; returns them and the consent record's id.
    async fn teller(&self, faces: Faces, voice: Voice) -> (Uuid, Uuid) {
        let teller = fixtures::storyteller_without_consent(
            &self.app.db,
            &self.app.state.crypto,
            &self.editor,
            Person::Adult,
            "Legal Name",
        )
        .await;
        // Every partner, present and future (the fixture's choice for partner sites).
        let mut terms = fixtures::terms(&[Channel::PartnerSites]);
        terms.faces = faces;
        terms.voice = voice;
        let recorded = fixtures::consent(&self.app.db, teller.id, terms).await;
        (teller.id, recorded.consent.record.id)
    }

    async fn draft(&self, teller: Uuid, title: &str) -> story::Model {
        fixtures::draft(&self.app.db, &self.author, teller, title).await
    }

    /// Takes a file in as the editor, on the app's own store.
    async fn add(&self, owner: Owner, bytes: &[u8]) -> media_asset::Model {
        fixtures::ingest(&self.app, &self.editor, owner, bytes).await
    }

    async fn publish(&self, story: &story::Model) -> story::Model {
        let approved = {
            let submitted =
                workflow::submit(&self.app.db, &self.author, story.id, None, clock::now())
                    .await
                    .expect("submitted");
            fixtures::sign_off(&self.app.db, &self.author, &submitted).await;
            fixtures::assess(&self.app.db, &self.editor, &submitted).await;
            fixtures::transcribe(&self.app.db, &self.editor, story.id).await;
            workflow::approve(
                &self.app.db,
                &self.editor,
                true,
                story.id,
                None,
                clock::now(),
            )
            .await
            .expect("approved")
        };
        workflow::publish(
            &self.app.db,
            &self.editor,
            approved.id,
            None,
            None,
            clock::now(),
        )
        .await
        .expect("published")
    }

    async fn read(&self, key: &str, slug: &str) -> GqlResponse {
        self.query_as(key, STORY_MEDIA, slug).await
    }

    async fn read_query(&self, query: &str, slug: &str) -> GqlResponse {
        self.query_as(&self.key, query, slug).await
    }

    async fn query_as(&self, key: &str, query: &str, slug: &str) -> GqlResponse {
        let res = self
            .app
            .client
            .post(self.app.url("/graphql"))
            .header("x-api-key", key)
            .json(&json!({ "query": query, "variables": { "s": slug } }))
            .send()
            .await
            .expect("sent");
        GqlResponse {
            status: res.status().as_u16(),
            headers: res.headers().clone(),
            body: res.json().await.expect("json"),
        }
    }

    /// The media the key receives for the story, by id.
    async fn media(&self, slug: &str) -> Vec<Value> {
        let res = self.read(&self.key, slug).await;
        assert!(res.body["errors"].is_null(), "{:?}", res.body);
        res.data()["story"]["media"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    async fn fetch(
        &self,
        url: &str,
        range: Option<&str>,
    ) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
        let mut req = self.app.client.get(url);
        if let Some(range) = range {
            req = req.header("range", range);
        }
        let res = req.send().await.expect("fetched");
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        (status, headers, res.bytes().await.expect("body").to_vec())
    }

    async fn withdraw(&self, consent_id: Uuid) {
        consent::records::end(
            &self.app.db,
            &self.editor,
            consent_id,
            Ending::Withdraw,
            Decision {
                indicated_by: IndicatedBy::Storyteller,
                via: Via::InPerson,
            },
            clock::now(),
        )
        .await
        .expect("withdrawn");
    }
}

fn ids(media: &[Value]) -> Vec<String> {
    media
        .iter()
        .map(|m| m["id"].as_str().expect("id").to_owned())
        .collect()
}

fn original_url(item: &Value) -> String {
    let sources = item["sources"].as_array().expect("sources");
    assert_eq!(sources.len(), 1, "{item}");
    assert_eq!(sources[0]["variant"], "original");
    sources[0]["url"].as_str().expect("url").to_owned()
}

/// A WAV file: a format Chorus cannot clean yet, so it is stored private.
fn wav() -> Vec<u8> {
    let mut data = b"RIFF".to_vec();
    data.extend(36u32.to_le_bytes());
    data.extend(b"WAVEfmt ");
    data.extend(16u32.to_le_bytes());
    data.extend([1, 0, 1, 0, 0x40, 0x1f, 0, 0, 0x80, 0x3e, 0, 0, 2, 0, 16, 0]);
    data.extend(b"data");
    data.extend(0u32.to_le_bytes());
    data
}

#[tokio::test]
async fn readers_get_urls_only_for_items_their_consent_allows() {
    let world = World::new().await;
    let (teller, _) = world.teller(Faces::Obscured, Voice::Original).await;
    let draft = world.draft(teller, "Voices from the crossing").await;
    let audio = world.add(Owner::Story(draft.id), &fixtures::mp3()).await;
    // A video shows faces until an editor says otherwise, and Chorus cannot mask
    // video: under OBSCURED it is held back.
    let video = world
        .add(
            Owner::Story(draft.id),
            &media_fixtures::mp4_with_metadata(b"vide"),
        )
        .await;
    let not_cleanable = world.add(Owner::Story(draft.id), &wav()).await;
    assert!(not_cleanable.private);
    let evidence = world
        .add(
            Owner::Evidence {
                storyteller_id: teller,
            },
            &fixtures::mp3(),
        )
        .await;
    assert!(evidence.private);
    let story = world.publish(&draft).await;

    let media = world.media(&story.slug).await;
    assert_eq!(ids(&media), vec![audio.id.to_string()], "{media:?}");
    assert_eq!(media[0]["kind"], "AUDIO");

    // Told the video shows no one's face, the editor makes it deliverable.
    let editor_token = world.app.token_for("chief@chorus.test", Role::Editor).await;
    let res = world
        .app
        .gql(
            Some(&editor_token),
            "mutation($id: ID!) { updateMedia(id: $id, input: { showsFaces: false }) { showsFaces } }",
            json!({ "id": video.id.to_string() }),
        )
        .await;
    assert!(res.body["errors"].is_null(), "{:?}", res.body);
    let media = world.media(&story.slug).await;
    assert_eq!(
        ids(&media),
        vec![audio.id.to_string(), video.id.to_string()]
    );
    // `media(first:)` keeps the oldest items; out of range is refused.
    for (first, expected) in [("1", 1), ("0", 0)] {
        let res = world
            .read_query(
                &format!(
                    "query($s: String!) {{ story(slug: $s) {{ media(first: {first}) {{ id }} }} }}"
                ),
                &story.slug,
            )
            .await;
        let items = res.data()["story"]["media"]
            .as_array()
            .expect("media")
            .clone();
        assert_eq!(items.len(), expected);
        if expected == 1 {
            assert_eq!(items[0]["id"], audio.id.to_string());
        }
    }
    let res = world
        .read_query(
            "query($s: String!) { story(slug: $s) { media(first: 101) { id } } }",
            &story.slug,
        )
        .await;
    assert_eq!(res.code(), "BAD_USER_INPUT");

    // What the reader fetches is the cleaned file: no location, frames intact.
    let (status, _, served) = world.fetch(&original_url(&media[1]), None).await;
    assert_eq!(status, 200);
    assert!(!media_fixtures::contains(
        &served,
        media_fixtures::LOCATION.as_bytes()
    ));
    assert!(media_fixtures::contains(
        &served,
        media_fixtures::MDAT_PAYLOAD
    ));

    // A voice consented only as text holds recordings back.
    let (quiet, _) = world.teller(Faces::Shown, Voice::TextOnly).await;
    let draft = world.draft(quiet, "Only in writing").await;
    world.add(Owner::Story(draft.id), &fixtures::mp3()).await;
    let story = world.publish(&draft).await;
    assert!(world.media(&story.slug).await.is_empty());

    // Nothing the reader received names a private item.
    let all = world.read(&world.key, &story.slug).await.body.to_string();
    for private in [not_cleanable.id, evidence.id] {
        assert!(!all.contains(&private.to_string()));
    }
}

#[tokio::test]
async fn a_media_url_stops_working_the_moment_consent_is_withdrawn() {
    let world = World::new().await;
    let (teller, consent_id) = world.teller(Faces::Shown, Voice::Original).await;
    let draft = world.draft(teller, "A song for home").await;
    let audio = world.add(Owner::Story(draft.id), &fixtures::mp3()).await;
    let story = world.publish(&draft).await;

    let media = world.media(&story.slug).await;
    let url = original_url(&media[0]);
    let (status, headers, body) = world.fetch(&url, None).await;
    assert_eq!(status, 200);
    assert_eq!(body.len() as i64, audio.size_bytes);
    assert!(!media_fixtures::contains(&body, b"ID3"), "tags stripped");

    world.withdraw(consent_id).await;

    // No URL is issued any more, on any backend.
    let res = world.read(&world.key, &story.slug).await;
    assert!(res.data()["story"].is_null(), "{:?}", res.body);
    match &world.app.s3 {
        None => {
            // Chorus's own link, issued before, answers 404 at once.
            assert_eq!(headers["cache-control"], "private, no-store");
            let (status, _, body) = world.fetch(&url, None).await;
            assert_eq!(status, 404);
            assert!(!media_fixtures::contains(
                &body,
                &media_fixtures::mp3_frames()[..8]
            ));
        }
        Some(s3) => assert!(
            url.starts_with(s3.endpoint.as_str()),
            "a presigned GET: {url}"
        ),
    }
}

#[tokio::test]
async fn byte_ranges_return_206_with_exactly_those_bytes() {
    let world = World::new().await;
    let (teller, _) = world.teller(Faces::Shown, Voice::Original).await;
    let draft = world.draft(teller, "Seekable").await;
    world.add(Owner::Story(draft.id), &fixtures::mp3()).await;
    let story = world.publish(&draft).await;
    let url = original_url(&world.media(&story.slug).await[0]);
    let (_, _, whole) = world.fetch(&url, None).await;
    let size = whole.len();

    let (status, headers, body) = world.fetch(&url, Some("bytes=100-199")).await;
    assert_eq!(status, 206);
    assert_eq!(body, &whole[100..200]);
    assert_eq!(
        headers["content-range"].to_str().unwrap(),
        format!("bytes 100-199/{size}")
    );
    let (status, _, body) = world.fetch(&url, Some("bytes=-10")).await;
    assert_eq!(status, 206);
    assert_eq!(body, &whole[size - 10..]);
    let (status, _, body) = world
        .fetch(&url, Some(&format!("bytes={}-", size - 3)))
        .await;
    assert_eq!(status, 206);
    assert_eq!(body, &whole[size - 3..]);

    let (status, _, _) = world
        .fetch(&url, Some(&format!("bytes={size}-{}", size + 10)))
        .await;
    assert_eq!(status, 416);
}

#[tokio::test]
async fn links_are_bound_to_their_item_variant_and_holder() {
    let world = World::new().await;
    let (teller, _) = world.teller(Faces::Shown, Voice::Original).await;
    let draft = world.draft(teller, "Bound links").await;
    let audio = world.add(Owner::Story(draft.id), &fixtures::mp3()).await;
    let other = world
        .add(
            Owner::Story(draft.id),
            &media_fixtures::mp4_with_metadata(b"vide"),
        )
        .await;
    world.publish(&draft).await;
    let links = &world.app.state.media_links;
    let link = |id: Uuid, variant: &str, holder: Holder| {
        let (token, _) = links
            .sign(
                id,
                variant,
                holder,
                std::time::Duration::from_secs(60),
                clock::now(),
            )
            .expect("signed");
        world.app.url(&format!("/media/{id}/{variant}?t={token}"))
    };
    let key = Holder::Key { k: world.key_id };
    assert_eq!(
        world.fetch(&link(audio.id, "original", key), None).await.0,
        200
    );

    // Another item's or variant's link, a tampered one, or none at all.
    let url = link(audio.id, "original", key);
    let other_item = url.replace(&audio.id.to_string(), &other.id.to_string());
    let tampered = format!("{}x", url);
    let bare = world.app.url(&format!("/media/{}/original", audio.id));
    for url in [other_item, tampered, bare, link(audio.id, "w320.jpg", key)] {
        assert_eq!(world.fetch(&url, None).await.0, 404, "{url}");
    }
    // Anonymous reads are off, so a link for the public opens nothing.
    assert_eq!(
        world
            .fetch(&link(audio.id, "original", Holder::Public), None)
            .await
            .0,
        404
    );

    // A revoked key's links stop at once.
    consumers::revoke_key(&world.app.db, &world.admin, world.key_id, clock::now())
        .await
        .expect("revoked");
    assert_eq!(
        world.fetch(&link(audio.id, "original", key), None).await.0,
        404
    );
}

#[tokio::test]
async fn private_evidence_reaches_only_editors_and_every_read_is_audited() {
    let world = World::new().await;
    let (teller, _) = world.teller(Faces::Shown, Voice::Original).await;
    let editor = world.app.token_for("chief@chorus.test", Role::Editor).await;
    let contributor = world
        .app
        .token_for("helper@chorus.test", Role::Contributor)
        .await;
    let form = media_fixtures::jpeg_with_metadata(1);
    let evidence = world
        .add(
            Owner::Evidence {
                storyteller_id: teller,
            },
            &form,
        )
        .await;

    const SOURCES: &str =
        "query($id: ID!) { mediaAsset(id: $id) { private sources { variant url } } }";
    let res = world
        .app
        .gql(
            Some(&contributor),
            SOURCES,
            json!({ "id": evidence.id.to_string() }),
        )
        .await;
    assert_eq!(res.code(), "FORBIDDEN", "{:?}", res.body);

    let res = world
        .app
        .gql(
            Some(&editor),
            SOURCES,
            json!({ "id": evidence.id.to_string() }),
        )
        .await;
    assert!(res.body["errors"].is_null(), "{:?}", res.body);
    let sources = res.data()["mediaAsset"]["sources"]
        .as_array()
        .expect("sources")
        .clone();
    assert_eq!(sources.len(), 1, "no renditions of evidence");
    let url = sources[0]["url"].as_str().expect("url").to_owned();
    // Always through Chorus, whatever the backend, so every read is seen.
    assert!(url.starts_with(&world.app.base_url), "{url}");

    let audited = || async {
        audit_event::Entity::find()
            .filter(audit_event::Column::Action.eq("media.private_read"))
            .filter(audit_event::Column::SubjectId.eq(evidence.id))
            .count(&world.app.db)
            .await
            .expect("count")
    };
    assert_eq!(audited().await, 0);
    for expected in 1..=2 {
        let (status, _, body) = world.fetch(&url, None).await;
        assert_eq!(status, 200);
        assert_eq!(body.len() as i64, evidence.size_bytes);
        assert_eq!(audited().await, expected);
    }
    let (status, _, _) = world.fetch(&url, Some("bytes=0-9")).await;
    assert_eq!(status, 206);
    assert_eq!(audited().await, 3);

    // Signed out, the editor's link is dead.
    let res = world
        .app
        .gql(Some(&editor), "mutation { logout }", json!({}))
        .await;
    assert!(res.body["errors"].is_null(), "{:?}", res.body);
    assert_eq!(world.fetch(&url, None).await.0, 404);
    assert_eq!(audited().await, 3);
}

/// Waits (up to 30 s) for the app's worker to render the asset's current masks.
async fn rendered(world: &World, id: Uuid) -> media_asset::Model {
    for _ in 0..300 {
        let asset = media_asset::Entity::find_by_id(id)
            .one(&world.app.db)
            .await
            .expect("read")
            .expect("asset");
        if asset.renditions_generation == Some(asset.masks_generation) {
            return asset;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the worker did not render {id}");
}

#[tokio::test]
async fn images_reach_readers_only_as_renditions_with_faces_covered_as_consented() {
    let world = World::new().await;
    let editor = world.app.token_for("chief@chorus.test", Role::Editor).await;
    let describe = |id: Uuid| {
        let editor = editor.clone();
        let app = &world.app;
        async move {
            let res = app
                .gql(
                    Some(&editor),
                    "mutation($id: ID!) { updateMedia(id: $id, input: { altText: \"Two hands\" }) { id } }",
                    json!({ "id": id.to_string() }),
                )
                .await;
            assert!(res.body["errors"].is_null(), "{:?}", res.body);
        }
    };
    let photo = media_fixtures::encode(
        image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(
            1000,
            600,
            image::Rgb([250, 250, 250]),
        )),
        image::ImageFormat::Jpeg,
    );

    // Faces OBSCURED: nothing until an editor has covered the faces.
    let (teller, _) = world.teller(Faces::Obscured, Voice::Original).await;
    let draft = world.draft(teller, "Hands at work").await;
    let image = world.add(Owner::Story(draft.id), &photo).await;
    describe(image.id).await;
    let story = world.publish(&draft).await;
    rendered(&world, image.id).await;
    assert!(
        world.media(&story.slug).await.is_empty(),
        "faces not reviewed"
    );

    let res = world
        .app
        .gql(
            Some(&editor),
            "mutation($id: ID!) { setFaceMasks(mediaId: $id, masks: [{ x: 100, y: 100, width: 300, height: 200 }]) { facesReviewedAt } }",
            json!({ "id": image.id.to_string() }),
        )
        .await;
    assert!(res.body["errors"].is_null(), "{:?}", res.body);
    rendered(&world, image.id).await;
    let media = world.media(&story.slug).await;
    assert_eq!(ids(&media), vec![image.id.to_string()]);
    let sources = media[0]["sources"].as_array().expect("sources");
    let variants: Vec<&str> = sources
        .iter()
        .map(|s| s["variant"].as_str().expect("variant"))
        .collect();
    assert_eq!(variants, ["w320.jpg", "w320.webp", "w800.jpg", "w800.webp"]);

    // What the reader fetches has the box burned in.
    let w800 = sources[2]["url"].as_str().expect("url");
    let (status, _, bytes) = world.fetch(w800, None).await;
    assert_eq!(status, 200);
    let fetched = image::load_from_memory(&bytes).expect("decodes").to_rgb8();
    assert_eq!(fetched.width(), 800);
    assert!(
        fetched.get_pixel(200, 160).0.iter().all(|&c| c < 40),
        "covered"
    );
    assert!(
        fetched.get_pixel(700, 400).0.iter().all(|&c| c > 200),
        "uncovered"
    );

    // The original never reaches a reader, even with a link forged for it.
    let (token, _) = world
        .app
        .state
        .media_links
        .sign(
            image.id,
            "original",
            Holder::Key { k: world.key_id },
            std::time::Duration::from_secs(60),
            clock::now(),
        )
        .expect("signed");
    let forged = world
        .app
        .url(&format!("/media/{}/original?t={token}", image.id));
    assert_eq!(world.fetch(&forged, None).await.0, 404);

    // Faces SHOWN by consent and story: renditions are enough. The story's own
    // setting counts too (it starts OBSCURED), and NOT_DEPICTED holds a picture
    // showing faces back whatever the story says.
    for (consented, on_story, expected) in [
        (Faces::Shown, Faces::Shown, 1),
        (Faces::Shown, Faces::Obscured, 0),
        (Faces::NotDepicted, Faces::Shown, 0),
    ] {
        let (teller, _) = world.teller(consented, Voice::Original).await;
        let draft = world
            .draft(teller, &format!("Faces {consented:?} {on_story:?}"))
            .await;
        let draft = api::stories::update_details(
            &world.app.db,
            &world.editor,
            draft.id,
            draft.version,
            api::stories::DetailChanges {
                faces: Some(on_story),
                ..Default::default()
            },
            clock::now(),
        )
        .await
        .expect("details");
        let image = world.add(Owner::Story(draft.id), &photo).await;
        describe(image.id).await;
        let story = world.publish(&draft).await;
        rendered(&world, image.id).await;
        assert_eq!(
            world.media(&story.slug).await.len(),
            expected,
            "{consented:?} {on_story:?}"
        );
    }
}

#[tokio::test]
async fn a_media_link_ends_at_its_stated_expiry_with_no_grace() {
    let world = World::new().await;
    let (teller, _) = world.teller(Faces::Shown, Voice::Original).await;
    let draft = world.draft(teller, "Links that end").await;
    let audio = world.add(Owner::Story(draft.id), &fixtures::mp3()).await;
    world.publish(&draft).await;
    let key = Holder::Key { k: world.key_id };
    // Links issued a minute ago for a minute and `seconds`: ended `-seconds` ago,
    // or ending in `seconds`.
    let link = |seconds: i64| {
        let issued = clock::now() - chrono::Duration::seconds(60);
        let (token, expires_at) = world
            .app
            .state
            .media_links
            .sign(
                audio.id,
                "original",
                key,
                std::time::Duration::from_secs((60 + seconds) as u64),
                issued,
            )
            .expect("signed");
        let url = world
            .app
            .url(&format!("/media/{}/original?t={token}", audio.id));
        (url, expires_at)
    };
    for ended in [2, 10, 25] {
        let (url, expires_at) = link(-ended);
        assert!(expires_at < clock::now());
        assert_eq!(
            world.fetch(&url, None).await.0,
            404,
            "a link that ended {ended} s ago"
        );
    }
    // Still live for a while: the request runs well inside the 30 s left.
    let (url, expires_at) = link(30);
    assert!(expires_at > clock::now());
    assert_eq!(world.fetch(&url, None).await.0, 200);

    // The `expiresAt` a reader is told is what the link's token says.
    let item = &world.media(&draft.slug).await[0];
    let stated = item["sources"][0]["expiresAt"].as_str().expect("expiresAt");
    let url = item["sources"][0]["url"].as_str().expect("url");
    if let Some(token) = url.split("?t=").nth(1) {
        use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
        let payload = token.split('.').nth(1).expect("payload");
        let claims: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64"))
                .expect("json");
        let stated = chrono::DateTime::parse_from_rfc3339(stated).expect("time");
        assert_eq!(stated.timestamp(), claims["exp"].as_i64().expect("exp"));
        assert_eq!(stated.timestamp_subsec_nanos(), 0);
    }
}
