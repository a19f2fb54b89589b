//! Searching and narrowing the consumer list over real HTTP, on SQLite and on
//! PostgreSQL alike: words of the published texts in any language, relevance
//! order with keyset paging, region as the reader is shown it, and media the
//! reader would receive. Nothing hidden by the gate, a draft or a consent's
//! terms may be found through them.

use std::collections::{BTreeMap, BTreeSet};

use api::{
    auth::{Principal, Role},
    clock,
    consumers::{self, NewKey},
    media::{intake::Owner, strip::fixtures as media_fixtures},
    stories::{self, DetailChanges, NewStory, Text, review, search::Terms, workflow},
};
use entity::{
    api_key::Channel,
    consent_record::Voice,
    media_asset,
    story::{self, Faces, LocationPrecision},
    storyteller_review,
};
use sea_orm::{ConnectionTrait, EntityTrait, Statement, TransactionTrait};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    fixtures::{self, Person},
    helpers::{GqlResponse, TestApp, spawn_app_with},
};

/// One text of a story: locale, title, summary, body.
type Txt<'a> = (&'a str, &'a str, &'a str, &'a str);

pub(crate) struct World {
    pub(crate) app: TestApp,
    editor: Principal,
    author: Principal,
    key: String,
}

impl World {
    pub(crate) async fn new() -> Self {
        // Every answer read fresh: these tests are about what the query
        // finds, not about the response cache.
        let app = spawn_app_with(&[("CHORUS_RESPONSE_CACHE_BYTES", "0")]).await;
        let admin = fixtures::staff(&app.db, "admin@chorus.test", Role::Admin).await;
        let editor = fixtures::staff(&app.db, "editor@chorus.test", Role::Editor).await;
        let author = fixtures::staff(&app.db, "author@chorus.test", Role::Contributor).await;
        let (_, key) = consumers::create_key(
            &app.db,
            &admin,
            NewKey {
                name: "app".into(),
                channel: Channel::MobileApp,
                partner_id: None,
                campaign_ids: Vec::new(),
                expires_at: None,
            },
            clock::now(),
        )
        .await
        .expect("key");
        Self {
            app,
            editor,
            author,
            key,
        }
    }

    /// A storyteller whose one consent grants `channels` with `adjust` applied
    /// to the fixture's terms (named in full, faces shown, voice original, city).
    async fn teller(
        &self,
        channels: &[Channel],
        adjust: impl FnOnce(&mut api::consent::Terms),
    ) -> Uuid {
        let teller = fixtures::storyteller_without_consent(
            &self.app.db,
            &self.app.state.crypto,
            &self.editor,
            Person::Adult,
            "Legal Name",
        )
        .await;
        let mut terms = fixtures::terms(channels);
        adjust(&mut terms);
        fixtures::consent(&self.app.db, teller.id, terms).await;
        teller.id
    }

    /// A storyteller whose consent covers the test key's channel.
    pub(crate) async fn reader_teller(&self) -> Uuid {
        self.teller(&[Channel::MobileApp], |_| {}).await
    }

    /// A draft with these texts (the first is the primary) and details.
    pub(crate) async fn draft(
        &self,
        teller: Uuid,
        texts: &[Txt<'_>],
        details: DetailChanges,
    ) -> story::Model {
        let db = &self.app.db;
        let (locale, title, summary, body) = texts[0];
        let mut story = stories::create(
            db,
            &self.author,
            NewStory {
                storyteller_id: teller,
                primary_locale: locale.into(),
                text: text(title, summary, body),
                region: Some("United Kingdom / North West / Manchester".into()),
                ..Default::default()
            },
            clock::now(),
        )
        .await
        .expect("created");
        for &(locale, title, summary, body) in &texts[1..] {
            story = self.save(&story, locale, (title, summary, body)).await;
        }
        stories::update_details(
            db,
            &self.editor,
            story.id,
            story.version,
            details,
            clock::now(),
        )
        .await
        .expect("details")
    }

    /// Saves a new revision of one locale.
    async fn save(
        &self,
        story: &story::Model,
        locale: &str,
        t: (&str, &str, &str),
    ) -> story::Model {
        stories::save_revision(
            &self.app.db,
            &self.author,
            story.id,
            story.version,
            locale,
            text(t.0, t.1, t.2),
            None,
            clock::now(),
        )
        .await
        .expect("saved")
        .0
    }

    /// Submits, signs off every locale, approves and publishes.
    async fn publish(&self, story: &story::Model) -> story::Model {
        let db = &self.app.db;
        let story = workflow::submit(db, &self.author, story.id, None, clock::now())
            .await
            .expect("submitted");
        for locale in stories::locales(db, story.id).await.expect("locales") {
            review::record_storyteller_review(
                db,
                &self.author,
                locale.head_revision_id,
                storyteller_review::Method::InPerson,
                clock::now(),
                None,
                clock::now(),
            )
            .await
            .expect("signed off");
        }
        fixtures::transcribe(db, &self.editor, story.id).await;
        workflow::approve(db, &self.editor, true, story.id, None, clock::now())
            .await
            .expect("approved");
        workflow::publish(db, &self.editor, story.id, None, None, clock::now())
            .await
            .expect("published")
    }

    pub(crate) async fn story(&self, teller: Uuid, texts: &[Txt<'_>]) -> story::Model {
        let draft = self.draft(teller, texts, DetailChanges::default()).await;
        self.publish(&draft).await
    }

    /// `stories(args)` as the test key.
    async fn list(&self, args: &str) -> GqlResponse {
        let query = format!(
            "{{ stories({args}) {{ totalCount
                 edges {{ cursor node {{ slug title region media {{ kind }} }} }}
                 pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} }} }}"
        );
        let res = self
            .app
            .client
            .post(self.app.url("/graphql"))
            .header("x-api-key", &self.key)
            .json(&json!({ "query": query }))
            .send()
            .await
            .expect("sent");
        GqlResponse {
            status: res.status().as_u16(),
            headers: res.headers().clone(),
            body: res.json().await.expect("json"),
        }
    }

    /// The slugs `stories(args)` lists, checked against its `totalCount`.
    async fn slugs(&self, args: &str) -> Vec<String> {
        let res = self.list(args).await;
        let listed = slugs(&res);
        assert_eq!(
            res.data()["stories"]["totalCount"].as_u64(),
            Some(listed.len() as u64),
            "{args}"
        );
        listed
    }

    /// `stories(search: …)` for a search string (sent as a variable, so any
    /// character reaches the server as typed).
    pub(crate) async fn search(&self, search: &str, more: &str) -> GqlResponse {
        let query = format!(
            "query($q: String!) {{ stories(search: $q{more}) {{ totalCount
                 edges {{ cursor node {{ slug }} }} }} }}"
        );
        let res = self
            .app
            .client
            .post(self.app.url("/graphql"))
            .header("x-api-key", &self.key)
            .json(&json!({ "query": query, "variables": { "q": search } }))
            .send()
            .await
            .expect("sent");
        GqlResponse {
            status: res.status().as_u16(),
            headers: res.headers().clone(),
            body: res.json().await.expect("json"),
        }
    }

    /// The slugs found for `search`, sorted, checked against `totalCount`.
    pub(crate) async fn found(&self, search: &str) -> Vec<String> {
        let res = self.search(search, "").await;
        let mut listed = slugs(&res);
        assert_eq!(
            res.data()["stories"]["totalCount"].as_u64(),
            Some(listed.len() as u64),
            "{search}"
        );
        listed.sort();
        listed
    }
}

fn text(title: &str, summary: &str, body: &str) -> Text {
    Text {
        title: title.into(),
        summary: summary.into(),
        body: body.into(),
    }
}

pub(crate) fn slugs(res: &GqlResponse) -> Vec<String> {
    assert!(res.body["errors"].is_null(), "{}", res.body);
    res.data()["stories"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["slug"].as_str().expect("slug").to_owned())
        .collect()
}

pub(crate) fn sorted(slugs: &[&story::Model]) -> Vec<String> {
    let mut out: Vec<String> = slugs.iter().map(|s| s.slug.clone()).collect();
    out.sort();
    out
}

/// Asserts a refusal: `BAD_USER_INPUT` on `field`, and no list at all.
fn refused(res: &GqlResponse, field: &str) {
    assert_eq!(res.code(), "BAD_USER_INPUT", "{}", res.body);
    assert_eq!(
        res.body["errors"][0]["extensions"]["field"], field,
        "{}",
        res.body
    );
    assert!(res.body["data"].is_null(), "{}", res.body);
}

#[tokio::test]
async fn search_finds_words_of_published_texts_in_every_language() {
    let w = World::new().await;
    let teller = w.reader_teller().await;
    let night = w
        .story(
            teller,
            &[
                (
                    "en",
                    "The night shift",
                    "Twelve hours at the hospital.",
                    "I came to Manchester as a nurse.",
                ),
                (
                    "fr",
                    "Le service de nuit",
                    "Douze heures à l'hôpital.",
                    "Le matin, je passe à la boulangerie.",
                ),
            ],
        )
        .await;
    let lunch = w
        .story(
            teller,
            &[(
                "en",
                "Sunday lunch",
                "Family, food and home.",
                "We cook biryani together, every Sunday.",
            )],
        )
        .await;
    let greeting = w
        .story(
            teller,
            &[(
                "ar",
                "مرحبا بالجيران",
                "قصة عن الجيران",
                "تعلمت الطبخ من جارتي في المدينة.",
            )],
        )
        .await;

    // A word only the French text has; any case.
    for q in ["boulangerie", "BOULANGERIE", "Boulangerie"] {
        assert_eq!(w.found(q).await, sorted(&[&night]), "{q}");
    }
    // Every word must occur in one text, in title, summary or body.
    assert_eq!(w.found("night hospital nurse").await, sorted(&[&night]));
    assert!(w.found("night biryani").await.is_empty());
    // Words across two languages of the same story are not one text.
    assert!(w.found("night boulangerie").await.is_empty());
    // Whole words, or a beginning when asked with `*`.
    assert!(w.found("biry").await.is_empty());
    assert_eq!(w.found("biry*").await, sorted(&[&lunch]));
    assert_eq!(w.found("SUN*").await, sorted(&[&lunch]));
    // Accents count (on both databases).
    assert_eq!(w.found("hôpital").await, sorted(&[&night]));
    assert!(w.found("hopital").await.is_empty());
    // Arabic.
    assert_eq!(w.found("الجيران").await, sorted(&[&greeting]));
    assert_eq!(w.found("جارتي المدينة").await, sorted(&[&greeting]));
    // Punctuation and query operators are only separators.
    for q in [
        "night!!! (shift) -- ; 'hospital' \"",
        "\"night\" AND-shift* OR",
        "night:* & shift | !",
        "l'hôpital",
        "NEAR(night shift)",
        "night) OR 1=1 --",
        "{\"$where\": \"night\"}",
        "\\night\\",
    ] {
        let res = w.search(q, "").await;
        assert!(res.body["errors"].is_null(), "{q}: {}", res.body);
    }
    assert_eq!(
        w.found("night!!! (shift) -- ; 'hospital' \"").await,
        sorted(&[&night])
    );
    assert_eq!(w.found("l'hôpital").await, sorted(&[&night]));
    // Operators are words like any other: no story says "near" or "or".
    assert!(w.found("NEAR(night shift)").await.is_empty());
    assert!(w.found("night) OR 1=1 --").await.is_empty());
    // No hits: an empty list, not an error.
    assert!(w.found("xylophone").await.is_empty());
    // Search narrows alongside the other arguments.
    assert_eq!(
        slugs(&w.search("night", ", hasLocale: \"fr\"").await),
        [night.slug.as_str()]
    );
    assert!(slugs(&w.search("biryani", ", hasLocale: \"fr\"").await).is_empty());
}

#[tokio::test]
async fn search_finds_only_gate_visible_stories_and_only_their_published_text() {
    let w = World::new().await;
    let seen = w.reader_teller().await;
    // Consent for the press only: published, but not for this key.
    let press_only = w.teller(&[Channel::Press], |_| {}).await;
    let visible = w
        .story(
            seen,
            &[(
                "en",
                "The lighthouse",
                "",
                "A lighthouse keeper's daughter.",
            )],
        )
        .await;
    let hidden = w
        .story(
            press_only,
            &[("en", "Lighthouse nights", "", "Another lighthouse.")],
        )
        .await;
    // A draft that was never published.
    w.draft(
        seen,
        &[("en", "Lighthouse drafts", "", "An unpublished lighthouse.")],
        DetailChanges::default(),
    )
    .await;
    assert_eq!(w.found("lighthouse").await, sorted(&[&visible]));
    // The index holds published texts only; the gate then hides what the
    // reader may not see.
    let mut published = vec![visible.id, hidden.id];
    published.sort();
    assert_eq!(w.indexed("lighthouse").await, published);

    // A new draft of the live story: its words are not in the index, the
    // published ones still are…
    let edited = w
        .save(
            &visible,
            "en",
            ("The albatross", "", "An albatross over the sea."),
        )
        .await;
    assert!(w.found("albatross").await.is_empty());
    assert!(w.indexed("albatross").await.is_empty());
    assert_eq!(w.indexed("lighthouse").await, published);
    // …until it is published, which replaces the old words.
    let republished = w.publish(&edited).await;
    assert_eq!(w.indexed("albatross").await, [visible.id]);
    assert!(w.indexed("keeper").await.is_empty());
    assert_eq!(w.found("albatross").await, sorted(&[&republished]));
    assert!(w.found("lighthouse").await.is_empty());

    // Unpublished, it is found no more.
    workflow::unpublish(&w.app.db, &w.editor, visible.id, None, None, clock::now())
        .await
        .expect("unpublished");
    assert!(w.found("albatross").await.is_empty());
}

#[tokio::test]
async fn relevance_orders_matches_and_pages_through_each_exactly_once() {
    let w = World::new().await;
    let teller = w.reader_teller().await;
    let in_title = w
        .story(
            teller,
            &[("en", "The harbour", "A port town.", "Boats and nets.")],
        )
        .await;
    let mut all = vec![in_title.clone()];
    for (n, body) in [
        "We worked at the harbour.",
        "Harbour lights, harbour bells, a harbour of our own.",
        "Far from the sea; a harbour only in dreams.",
        "The harbour master knew us all.",
    ]
    .iter()
    .enumerate()
    {
        all.push(
            w.story(teller, &[("en", &format!("Story {n}"), "", body)])
                .await,
        );
    }
    // Stories without the word, so it is a rare word.
    for n in 0..6 {
        w.story(
            teller,
            &[("en", &format!("Other {n}"), "", "Fields and rivers.")],
        )
        .await;
    }

    let res = w.search("harbour", ", orderBy: RELEVANCE, first: 10").await;
    let ranked = slugs(&res);
    assert_eq!(res.data()["stories"]["totalCount"], 5);
    let mut expected: Vec<String> = all.iter().map(|s| s.slug.clone()).collect();
    expected.sort();
    let mut got = ranked.clone();
    got.sort();
    assert_eq!(got, expected);
    // The title counts most on both databases.
    assert_eq!(ranked[0], in_title.slug);

    // One at a time forward: each exactly once, in the same order.
    let mut paged = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let args = match &after {
            Some(c) => format!(", orderBy: RELEVANCE, first: 1, after: \"{c}\""),
            None => ", orderBy: RELEVANCE, first: 1".to_owned(),
        };
        let res = w.search("harbour", &args).await;
        let page = slugs(&res);
        assert!(page.len() <= 1);
        paged.extend(page);
        let edges = res.data()["stories"]["edges"]
            .as_array()
            .expect("edges")
            .clone();
        let Some(last) = edges.last() else { break };
        after = Some(last["cursor"].as_str().expect("cursor").to_owned());
        assert!(paged.len() <= 5, "{paged:?}");
    }
    assert_eq!(paged, ranked);

    // Backward with `last`/`before` gives the same order.
    let mut backward = Vec::new();
    let mut before: Option<String> = None;
    loop {
        let args = match &before {
            Some(c) => format!(", orderBy: RELEVANCE, last: 2, before: \"{c}\""),
            None => ", orderBy: RELEVANCE, last: 2".to_owned(),
        };
        let res = w.search("harbour", &args).await;
        let page = slugs(&res);
        let edges = res.data()["stories"]["edges"]
            .as_array()
            .expect("edges")
            .clone();
        backward.splice(0..0, page);
        let Some(first) = edges.first() else { break };
        before = Some(first["cursor"].as_str().expect("cursor").to_owned());
        assert!(backward.len() <= 5, "{backward:?}");
    }
    assert_eq!(backward, ranked);

    // A search in time order lists the same stories newest first.
    let newest = slugs(&w.search("harbour", ", first: 10").await);
    let mut by_time = all.clone();
    by_time.reverse();
    assert_eq!(
        newest,
        by_time.iter().map(|s| s.slug.clone()).collect::<Vec<_>>()
    );

    // Cursors belong to their order.
    let relevance_cursor = w
        .search("harbour", ", orderBy: RELEVANCE, first: 1")
        .await
        .body["data"]["stories"]["edges"][0]["cursor"]
        .as_str()
        .expect("cursor")
        .to_owned();
    let time_cursor =
        w.search("harbour", ", first: 1").await.body["data"]["stories"]["edges"][0]["cursor"]
            .as_str()
            .expect("cursor")
            .to_owned();
    refused(
        &w.search(
            "harbour",
            &format!(", first: 1, after: \"{relevance_cursor}\""),
        )
        .await,
        "after",
    );
    refused(
        &w.search(
            "harbour",
            &format!(", orderBy: RELEVANCE, last: 1, before: \"{time_cursor}\""),
        )
        .await,
        "before",
    );
}

#[tokio::test]
async fn region_matches_only_what_the_reader_is_shown() {
    let w = World::new().await;
    let city = w.reader_teller().await;
    let country_only = w
        .teller(&[Channel::MobileApp], |t| {
            t.location_precision = LocationPrecision::Country
        })
        .await;
    let precise = |precision| DetailChanges {
        location_precision: Some(precision),
        ..Default::default()
    };
    let at = |region: &str, precision| DetailChanges {
        region: api::patch::Patch::Set(region.into()),
        location_precision: Some(precision),
        ..Default::default()
    };
    let publish = |teller, title: &'static str, details| {
        let w = &w;
        async move {
            let draft = w.draft(teller, &[("en", title, "", "…")], details).await;
            w.publish(&draft).await
        }
    };
    // Manchester, shown in full.
    let manchester = publish(city, "Manchester", precise(LocationPrecision::City)).await;
    // The same place, but the consent allows the country only.
    let consented_country = publish(
        country_only,
        "Consented country",
        precise(LocationPrecision::City),
    )
    .await;
    // The story itself says country (the default).
    let story_country = publish(city, "Story country", DetailChanges::default()).await;
    let paris = publish(
        city,
        "Paris",
        at("France / Île-de-France / Paris", LocationPrecision::Region),
    )
    .await;
    let nowhere = publish(city, "Nowhere", precise(LocationPrecision::None)).await;

    let region = |r: &str| format!("region: {}, first: 50", json!(r));
    assert_eq!(
        sorted_slugs(w.slugs(&region("United Kingdom")).await),
        sorted(&[&manchester, &consented_country, &story_country])
    );
    for r in [
        "United Kingdom / North West",
        "united kingdom/north west",
        "  UNITED KINGDOM /  North   West ",
        "United Kingdom / North West / Manchester",
    ] {
        assert_eq!(w.slugs(&region(r)).await, [manchester.slug.as_str()], "{r}");
    }
    // Whole parts only.
    assert!(w.slugs(&region("United Kingdom / North")).await.is_empty());
    assert!(w.slugs(&region("United")).await.is_empty());
    // Case folding beyond ASCII; a region cut to `REGION` shows no city.
    assert_eq!(
        w.slugs(&region("FRANCE / ÎLE-DE-FRANCE")).await,
        [paris.slug.as_str()]
    );
    assert!(
        w.slugs(&region("France / Île-de-France / Paris"))
            .await
            .is_empty()
    );

    // What is listed begins with what was asked, as the reader sees it.
    let res = w.list(&region("United Kingdom")).await;
    for edge in res.data()["stories"]["edges"].as_array().expect("edges") {
        let shown = edge["node"]["region"].as_str().expect("region");
        assert!(shown.starts_with("United Kingdom"), "{shown}");
    }
    let shown: BTreeMap<String, Value> = res.data()["stories"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| {
            (
                e["node"]["slug"].as_str().expect("slug").to_owned(),
                e["node"]["region"].clone(),
            )
        })
        .collect();
    assert_eq!(shown[&consented_country.slug], "United Kingdom");
    assert_eq!(shown[&story_country.slug], "United Kingdom");
    assert!(!shown.contains_key(&nowhere.slug));

    for bad in ["", " / ", "A / B / C / D"] {
        refused(&w.list(&region(bad)).await, "region");
    }
}

fn sorted_slugs(mut slugs: Vec<String>) -> Vec<String> {
    slugs.sort();
    slugs
}

impl World {
    /// The stories of this app whose published text matches `search`
    /// (before the gate: what the index holds), as the service's query finds
    /// them.
    pub(crate) async fn indexed(&self, search: &str) -> Vec<Uuid> {
        let db = &self.app.db;
        let terms = Terms::parse(search).expect("terms");
        let select = api::stories::search::matching(db.get_database_backend(), &terms, true);
        let mut ids: Vec<Uuid> = db
            .query_all(&select)
            .await
            .expect("matched")
            .iter()
            .map(|row| row.try_get("", "story_id").expect("id"))
            .collect();
        ids.sort();
        ids
    }
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

impl World {
    async fn add(&self, owner: Owner, bytes: &[u8]) -> media_asset::Model {
        fixtures::ingest(&self.app, &self.editor, owner, bytes).await
    }

    /// The media kinds each listed story's `media` gives this key.
    async fn kinds_received(&self) -> BTreeMap<String, BTreeSet<String>> {
        let res = self.list("first: 50").await;
        res.data()["stories"]["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .map(|e| {
                let kinds = e["node"]["media"]
                    .as_array()
                    .expect("media")
                    .iter()
                    .map(|m| m["kind"].as_str().expect("kind").to_owned())
                    .collect();
                (e["node"]["slug"].as_str().expect("slug").to_owned(), kinds)
            })
            .collect()
    }
}

/// Waits (up to 30 s) for the worker to render the asset's current masks.
async fn rendered(w: &World, id: Uuid) {
    for _ in 0..300 {
        let asset = media_asset::Entity::find_by_id(id)
            .one(&w.app.db)
            .await
            .expect("read")
            .expect("asset");
        if asset.renditions_generation == Some(asset.masks_generation) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the worker did not render {id}");
}

#[tokio::test]
async fn media_kinds_match_only_items_the_reader_would_receive() {
    let w = World::new().await;
    let editor_token = w.app.token_for("chief@chorus.test", Role::Editor).await;
    let open = w.reader_teller().await;
    let text_only = w
        .teller(&[Channel::MobileApp], |t| t.voice = Voice::TextOnly)
        .await;
    let obscured = w
        .teller(&[Channel::MobileApp], |t| t.faces = Faces::Obscured)
        .await;
    let faces_shown = DetailChanges {
        faces: Some(Faces::Shown),
        ..Default::default()
    };
    let photo = media_fixtures::encode(
        image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(
            900,
            600,
            image::Rgb([240, 240, 240]),
        )),
        image::ImageFormat::Jpeg,
    );
    let describe = |id: Uuid| {
        let token = editor_token.clone();
        let app = &w.app;
        async move {
            let res = app
                .gql(
                    Some(&token),
                    "mutation($id: ID!) { updateMedia(id: $id, input: { altText: \"A kitchen\" }) { id } }",
                    json!({ "id": id.to_string() }),
                )
                .await;
            assert!(res.body["errors"].is_null(), "{}", res.body);
        }
    };

    // A recording the reader receives.
    let d = w
        .draft(open, &[("en", "Voice", "", "…")], DetailChanges::default())
        .await;
    w.add(Owner::Story(d.id), &fixtures::mp3()).await;
    let voice = w.publish(&d).await;
    // The same recording, the voice consented as text only: withheld.
    let d = w
        .draft(
            text_only,
            &[("en", "Withheld voice", "", "…")],
            DetailChanges::default(),
        )
        .await;
    w.add(Owner::Story(d.id), &fixtures::mp3()).await;
    let withheld = w.publish(&d).await;
    // A recording that cannot be cleaned: private, never given.
    let d = w
        .draft(
            open,
            &[("en", "Private recording", "", "…")],
            DetailChanges::default(),
        )
        .await;
    assert!(w.add(Owner::Story(d.id), &wav()).await.private);
    let private = w.publish(&d).await;
    // Private evidence about the storyteller is no story's media.
    w.add(
        Owner::Evidence {
            storyteller_id: open,
        },
        &fixtures::mp3(),
    )
    .await;
    // A video showing faces, faces shown by consent and story.
    let d = w
        .draft(open, &[("en", "Video", "", "…")], faces_shown.clone())
        .await;
    w.add(
        Owner::Story(d.id),
        &media_fixtures::mp4_with_metadata(b"vide"),
    )
    .await;
    let video = w.publish(&d).await;
    // A video showing faces under OBSCURED: Chorus cannot mask video.
    let d = w
        .draft(
            obscured,
            &[("en", "Masked video", "", "…")],
            faces_shown.clone(),
        )
        .await;
    w.add(
        Owner::Story(d.id),
        &media_fixtures::mp4_with_metadata(b"vide"),
    )
    .await;
    let masked_video = w.publish(&d).await;
    // A photo, faces shown: given once its renditions are made.
    let d = w
        .draft(open, &[("en", "Photo", "", "…")], faces_shown.clone())
        .await;
    let image = w.add(Owner::Story(d.id), &photo).await;
    describe(image.id).await;
    let picture = w.publish(&d).await;
    rendered(&w, image.id).await;
    // A photo showing faces under OBSCURED, the faces not yet reviewed.
    let d = w
        .draft(
            obscured,
            &[("en", "Unreviewed photo", "", "…")],
            faces_shown,
        )
        .await;
    let unreviewed_image = w.add(Owner::Story(d.id), &photo).await;
    describe(unreviewed_image.id).await;
    let unreviewed = w.publish(&d).await;
    rendered(&w, unreviewed_image.id).await;
    // No media at all.
    let none = w.story(open, &[("en", "Words only", "", "…")]).await;

    let has = |kinds: &str| format!("hasMedia: [{kinds}], first: 50");
    assert_eq!(
        sorted_slugs(w.slugs(&has("AUDIO")).await),
        sorted(&[&voice])
    );
    assert_eq!(
        sorted_slugs(w.slugs(&has("VIDEO")).await),
        sorted(&[&video])
    );
    assert_eq!(
        sorted_slugs(w.slugs(&has("IMAGE")).await),
        sorted(&[&picture])
    );
    assert_eq!(
        sorted_slugs(w.slugs(&has("AUDIO, VIDEO")).await),
        sorted(&[&voice, &video])
    );
    assert!(w.slugs(&has("DOCUMENT")).await.is_empty());
    assert_eq!(
        w.slugs(&has("")).await.len(),
        8,
        "an empty list does not narrow"
    );

    // Exactly the stories whose `media` gives the reader an item of the kind.
    let received = w.kinds_received().await;
    for kind in ["IMAGE", "AUDIO", "VIDEO"] {
        let expected: BTreeSet<String> = received
            .iter()
            .filter(|(_, kinds)| kinds.contains(kind))
            .map(|(slug, _)| slug.clone())
            .collect();
        let listed: BTreeSet<String> = w.slugs(&has(kind)).await.into_iter().collect();
        assert_eq!(listed, expected, "{kind}");
    }
    for hidden in [&withheld, &private, &masked_video, &unreviewed, &none] {
        assert!(received[&hidden.slug].is_empty(), "{}", hidden.slug);
    }
}

#[tokio::test]
async fn bad_arguments_are_refused_with_the_field_at_fault_and_no_data() {
    let w = World::new().await;
    let teller = w.reader_teller().await;
    w.story(teller, &[("en", "Anything", "", "Some words.")])
        .await;
    let words = |n: usize| {
        (0..n)
            .map(|i| format!("w{i}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    for q in ["", "   ", "?!*", "-- ;", &words(13), &"a".repeat(201)] {
        refused(&w.search(q, "").await, "search");
    }
    refused(&w.list("orderBy: RELEVANCE").await, "orderBy");
    refused(&w.list("region: \"\"").await, "region");
    refused(&w.list("after: \"not-a-cursor\"").await, "after");
    // The most words and characters are fine.
    assert!(w.search(&words(12), "").await.body["errors"].is_null());
    assert!(w.search(&"a".repeat(200), "").await.body["errors"].is_null());
}

#[tokio::test]
async fn a_search_without_hits_is_answered_from_the_index() {
    let w = World::new().await;
    let teller = w.reader_teller().await;
    w.story(teller, &[("en", "Indexed", "", "Words to find.")])
        .await;
    let db = &w.app.db;
    let backend = db.get_database_backend();
    let txn = db.begin().await.expect("begin");
    // Also a search whose words have other spellings (`OR` in the query).
    for search in ["nothing-like-this", "المستشفى كابل*"] {
        let terms = Terms::parse(search).expect("terms");
        let select = api::stories::search::matching(backend, &terms, true);
        let built = backend.build(&select);
        let (sql, values) = (built.sql, built.values.map(|v| v.0).unwrap_or_default());
        let plan: Vec<String> = match backend {
            sea_orm::DbBackend::Postgres => {
                // Tiny tables would be scanned anyway: forbid it, so the plan shows
                // whether the index can answer at all.
                txn.execute_unprepared("SET LOCAL enable_seqscan = off")
                    .await
                    .expect("set");
                txn.query_all_raw(Statement::from_sql_and_values(
                    backend,
                    format!("EXPLAIN {sql}"),
                    values,
                ))
                .await
                .expect("explain")
                .iter()
                .map(|row| row.try_get::<String>("", "QUERY PLAN").expect("plan"))
                .collect()
            }
            _ => txn
                .query_all_raw(Statement::from_sql_and_values(
                    backend,
                    format!("EXPLAIN QUERY PLAN {sql}"),
                    values,
                ))
                .await
                .expect("explain")
                .iter()
                .map(|row| row.try_get::<String>("", "detail").expect("detail"))
                .collect(),
        };
        let plan = plan.join("\n");
        match backend {
            sea_orm::DbBackend::Postgres => {
                assert!(
                    plan.contains("idx_story_revisions_search"),
                    "{search}: {plan}"
                );
                assert!(
                    !plan.contains("Seq Scan on story_revisions"),
                    "{search}: {plan}"
                );
            }
            _ => assert!(plan.contains("VIRTUAL TABLE INDEX"), "{search}: {plan}"),
        }
    }
    txn.rollback().await.expect("rollback");
    assert!(w.found("nothing-like-this").await.is_empty());
}

/// Every byte of the SQLite file (and its log), after a checkpoint; `None` on
/// PostgreSQL, whose index pages are not readable as rows.
async fn sqlite_bytes(app: &TestApp) -> Option<Vec<u8>> {
    if app.db.get_database_backend() != sea_orm::DbBackend::Sqlite {
        return None;
    }
    app.db
        .execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
        .await
        .expect("checkpoint");
    let path = app
        .database_url
        .trim_start_matches("sqlite://")
        .split('?')
        .next()
        .expect("path")
        .to_owned();
    let mut bytes = std::fs::read(&path).expect("database file");
    if let Ok(wal) = std::fs::read(format!("{path}-wal")) {
        bytes.extend(wal);
    }
    Some(bytes)
}

fn holds(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

#[tokio::test]
async fn erasure_leaves_no_word_of_the_story_in_the_search_index() {
    let w = World::new().await;
    let admin = fixtures::staff(&w.app.db, "erasing-admin@chorus.test", Role::Admin).await;
    let teller = w.reader_teller().await;
    // Words that appear nowhere else, in each field and in two languages.
    let story = w
        .story(
            teller,
            &[
                (
                    "en",
                    "Zephyrquill",
                    "Marrowlantern",
                    "Quobblestone harbour.",
                ),
                ("fr", "Vrillemousse", "Ombrelapin", "Pluchetonnerre."),
                // Indexed folded (Farsi yeh, keheh, heh): the index must be
                // handed the folded words to forget them.
                ("ar", "زنجبيلة", "", "كركمة"),
            ],
        )
        .await;
    let words = [
        "zephyrquill",
        "marrowlantern",
        "quobblestone",
        "vrillemousse",
        "ombrelapin",
        "pluchetonnerre",
        "زنجبيلة",
        "كركمة",
        "زنجبیله",
        "کرکمه",
    ];
    for word in words {
        assert_eq!(w.found(word).await, sorted(&[&story]), "{word}");
    }
    if let Some(before) = sqlite_bytes(&w.app).await {
        assert!(words.iter().all(|word| holds(&before, word)));
    }

    api::storytellers::rights::erase(
        &w.app.db,
        w.app.state.storage.as_ref(),
        &admin,
        teller,
        clock::now(),
    )
    .await
    .expect("erased");
    for word in words {
        assert!(w.indexed(word).await.is_empty(), "{word}");
        assert!(w.found(word).await.is_empty(), "{word}");
    }
    if let Some(after) = sqlite_bytes(&w.app).await {
        let left: Vec<&str> = words
            .into_iter()
            .filter(|word| holds(&after, word))
            .collect();
        assert!(left.is_empty(), "still in the database file: {left:?}");
    }
}
