//! The four consent edges of issue 14, decided in the storyteller's favour:
//! - the name and place a reader sees follow the consents covering that
//!   reader's channel (and partner), and the receipt says so channel by channel;
//! - after a withdrawal, no older consent can be renewed, and every story any of
//!   the person's consents ever covered is withdrawn, even one whose consent had
//!   already expired;
//! - revocation, invalidation and expiry hold a story (hidden, not publishable)
//!   until a consent covers it again; only the person's own withdrawal is final;
//! - a consent that would already have expired when recorded is refused and
//!   leaves the person's withdrawal code as it was.

use api::{
    auth::{Principal, Role},
    clock, consent,
    consumers::{self, NewKey},
    stories::{DetailChanges, workflow},
    storytellers::{self, NewStoryteller},
};
use chrono::{Duration, Utc};
use entity::{
    api_key::Channel,
    story::{self, IdentityLevel, LocationPrecision},
    storyteller,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    fixtures::{self, Person},
    helpers::{GqlResponse, PASSWORD, TestApp, spawn_app_with},
};

/// An app without the background worker (the tests mark expiry themselves),
/// with an admin, an editor and a contributor.
struct World {
    app: TestApp,
    admin: Principal,
    editor: Principal,
    author: Principal,
    editor_token: String,
}

impl World {
    async fn new() -> Self {
        let app = spawn_app_with(&[("CHORUS_JOBS_ENABLED", "false")]).await;
        let admin = fixtures::staff(&app.db, "admin@chorus.test", Role::Admin).await;
        let editor = fixtures::staff(&app.db, "editor@chorus.test", Role::Editor).await;
        let author = fixtures::staff(&app.db, "author@chorus.test", Role::Contributor).await;
        let editor_token =
            app.login("editor@chorus.test", PASSWORD).await.data()["login"]["accessToken"]
                .as_str()
                .expect("token")
                .to_owned();
        Self {
            app,
            admin,
            editor,
            author,
            editor_token,
        }
    }

    async fn teller(&self) -> storyteller::Model {
        fixtures::storyteller_without_consent(
            &self.app.db,
            &self.app.state.crypto,
            &self.editor,
            Person::Adult,
            "Legal Name Of Teller",
        )
        .await
    }

    async fn approved(&self, teller: Uuid, title: &str) -> story::Model {
        fixtures::approved(&self.app.db, &self.author, &self.editor, teller, title).await
    }

    async fn published(&self, teller: Uuid, title: &str) -> story::Model {
        let story = self.approved(teller, title).await;
        workflow::publish(
            &self.app.db,
            &self.editor,
            story.id,
            None,
            None,
            clock::now(),
        )
        .await
        .expect("published")
    }

    async fn key(&self, channel: Channel) -> String {
        consumers::create_key(
            &self.app.db,
            &self.admin,
            NewKey {
                name: "edge key".into(),
                channel,
                partner_id: None,
                campaign_ids: vec![],
                expires_at: None,
            },
            clock::now(),
        )
        .await
        .expect("key")
        .1
    }

    async fn staff(&self, query: &str, variables: Value) -> GqlResponse {
        self.app
            .gql(Some(&self.editor_token), query, variables)
            .await
    }

    async fn read(&self, key: Option<&str>, query: &str, variables: Value) -> GqlResponse {
        let mut req = self
            .app
            .client
            .post(self.app.url("/graphql"))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(key) = key {
            req = req.header("x-api-key", key);
        }
        GqlResponse::read(req.send().await.expect("sent")).await
    }

    /// What a key is shown of one story: its name and place, or null.
    async fn shown(&self, key: &str, slug: &str) -> Value {
        self.read(
            Some(key),
            "query($s: String!) { story(slug: $s) { region storyteller { name isPseudonym } } }",
            json!({ "s": slug }),
        )
        .await
        .data()["story"]
            .clone()
    }

    async fn state(&self, id: Uuid) -> String {
        let res = self
            .staff(
                "query($id: ID!) { editorialStory(id: $id) { state } }",
                json!({ "id": id }),
            )
            .await;
        res.data()["editorialStory"]["state"]
            .as_str()
            .expect("state")
            .to_owned()
    }

    async fn publish(&self, id: Uuid) -> GqlResponse {
        self.staff(
            "mutation($id: ID!) { publishStory(id: $id) { state } }",
            json!({ "id": id }),
        )
        .await
    }

    async fn end(&self, id: Uuid, ending: &str) -> GqlResponse {
        self.staff(
            "mutation($id: ID!, $e: ConsentEnding!) { endConsent(id: $id, ending: $e, indicatedBy: ORGANISATION) { status } }",
            json!({ "id": id, "e": ending }),
        )
        .await
    }

    async fn renew(&self, id: Uuid, changes: Value) -> GqlResponse {
        self.staff(
            "mutation($id: ID!, $t: ConsentTermsInput!) { renewConsent(id: $id, terms: $t) { consent { id status } } }",
            json!({ "id": id, "t": terms_input(changes) }),
        )
        .await
    }

    async fn withdraw_with(&self, code: &str) -> GqlResponse {
        self.read(
            None,
            "mutation($c: String!) { withdrawConsent(code: $c) { withdrawn consentsWithdrawn } }",
            json!({ "c": code }),
        )
        .await
    }

    /// A consent receipt: its JSON document and its printable page.
    async fn receipt(&self, id: Uuid) -> (Value, String) {
        let res = self
            .staff(
                "query($id: ID!) { consentReceipt(id: $id) { json html } }",
                json!({ "id": id }),
            )
            .await;
        let r = res.data()["consentReceipt"].clone();
        let doc: Value = serde_json::from_str(r["json"].as_str().expect("json")).expect("parsed");
        (doc, r["html"].as_str().expect("html").to_owned())
    }

    /// The id of the storyteller's latest record, whatever its status.
    async fn latest_record(&self, teller: Uuid) -> consent::Consent {
        let records = consent::records::of_storyteller(&self.app.db, &self.editor, teller)
            .await
            .expect("records");
        let latest = records.last().expect("a record").clone();
        consent::records::load(&self.app.db, latest)
            .await
            .expect("loaded")
    }
}

fn terms_input(changes: Value) -> Value {
    let mut input = json!({
        "channels": ["PUBLIC_WEB"], "identityLevel": "FULL_NAME", "faces": "SHOWN",
        "voice": "ORIGINAL", "locationPrecision": "CITY", "method": "WRITTEN", "language": "en",
        "noticeVersion": "2026-01", "noticeHash": "sha256:ab", "collectedBy": "Field worker",
        "jurisdiction": "GB"
    });
    for (k, v) in changes.as_object().expect("object") {
        input[k] = v.clone();
    }
    input
}

/// Amina Yusuf is named in full with her city on our website, and not at all,
/// with no place, in the app: each channel keeps the terms agreed for it, and
/// each receipt states them against every channel it grants.
#[tokio::test]
async fn the_name_and_place_shown_follow_the_consents_for_the_readers_channel() {
    let w = World::new().await;
    let amina = storytellers::create(
        &w.app.db,
        &w.app.state.crypto,
        &w.editor,
        NewStoryteller {
            public_name: "Amina Yusuf".into(),
            public_name_is_pseudonym: false,
            legal_name: "Amina Yusuf".into(),
            contact: None,
            year_of_birth: Some(1988),
            date_of_birth: None,
            guardian: None,
            languages: vec!["en".into()],
            private_notes: None,
            asylum_seeker: false,
            refugee: false,
            undocumented: false,
        },
        clock::now(),
    )
    .await
    .expect("storyteller");
    let mut web = fixtures::terms(&[Channel::PublicWeb]);
    web.identity_level = IdentityLevel::FullName;
    web.location_precision = LocationPrecision::City;
    let web = fixtures::consent(&w.app.db, amina.id, web).await;
    let mut app = fixtures::terms(&[Channel::MobileApp]);
    app.identity_level = IdentityLevel::Anonymous;
    app.location_precision = LocationPrecision::None;
    let app = fixtures::consent(&w.app.db, amina.id, app).await;

    let story = w.approved(amina.id, "The bakery on Oldham Road").await;
    api::stories::update_details(
        &w.app.db,
        &w.editor,
        story.id,
        story.version,
        DetailChanges {
            region: api::patch::Patch::Set("United Kingdom / North West / Manchester".into()),
            identity_level: Some(IdentityLevel::FullName),
            location_precision: Some(LocationPrecision::City),
            ..Default::default()
        },
        clock::now(),
    )
    .await
    .expect("details");
    assert_eq!(
        w.publish(story.id).await.data()["publishStory"]["state"],
        "PUBLISHED"
    );

    let web_key = w.key(Channel::PublicWeb).await;
    let app_key = w.key(Channel::MobileApp).await;
    assert_eq!(
        w.shown(&web_key, &story.slug).await,
        json!({ "region": "United Kingdom / North West / Manchester",
                "storyteller": { "name": "Amina Yusuf", "isPseudonym": false } }),
        "the website shows what she agreed for the website"
    );
    assert_eq!(
        w.shown(&app_key, &story.slug).await,
        json!({ "region": null, "storyteller": null }),
        "the app shows what she agreed for the app"
    );

    // Each receipt states the naming and place against each channel it grants.
    let (doc, html) = w.receipt(web.consent.record.id).await;
    let purpose = &doc["services"][0]["purposes"][0];
    assert_eq!(doc["services"][0]["service"], "PUBLIC_WEB");
    assert_eq!(purpose["identityLevel"], "FULL_NAME");
    assert_eq!(purpose["locationPrecision"], "CITY");
    assert!(
        html.contains(
            "<li>our website — name: your full name; place: the country, region and city</li>"
        ),
        "{html}"
    );
    assert!(html.contains("Each place your story is shown follows the terms listed with it"));
    let (doc, html) = w.receipt(app.consent.record.id).await;
    let purpose = &doc["services"][0]["purposes"][0];
    assert_eq!(doc["services"][0]["service"], "MOBILE_APP");
    assert_eq!(purpose["identityLevel"], "ANONYMOUS");
    assert_eq!(purpose["locationPrecision"], "NONE");
    assert!(
        html.contains(
            "<li>our mobile app — name: no name at all (anonymous); place: not shown</li>"
        ),
        "{html}"
    );
}

/// Consent A (website, all stories) expires; the person then withdraws with the
/// code of consent B (one other story). The story only A covered is withdrawn
/// too, A can no longer be renewed, and nothing but a new consent for new
/// stories can follow.
#[tokio::test]
async fn after_a_withdrawal_an_expired_consent_cannot_be_renewed_and_its_stories_are_withdrawn() {
    let w = World::new().await;
    let teller = w.teller().await;
    let mut a = fixtures::terms(&[Channel::PublicWeb]);
    a.expires_at = Some(clock::now() + Duration::seconds(3));
    let a = fixtures::consent(&w.app.db, teller.id, a).await;
    let only_a = w.published(teller.id, "Covered only by A").await;
    let also_b = w.approved(teller.id, "Covered by B").await;
    let mut b = fixtures::terms(&[Channel::PublicWeb, Channel::MobileApp]);
    b.story_id = Some(also_b.id);
    let b = fixtures::consent(&w.app.db, teller.id, b).await;
    let code = b.withdrawal_code.expect("code");
    assert_eq!(
        w.publish(also_b.id).await.data()["publishStory"]["state"],
        "PUBLISHED"
    );
    let web_key = w.key(Channel::PublicWeb).await;
    assert!(w.shown(&web_key, &only_a.slug).await.is_object());

    tokio::time::sleep(std::time::Duration::from_millis(3200)).await;
    assert_eq!(
        consent::expiry::mark_expired(&w.app.db, clock::now())
            .await
            .expect("marked"),
        1
    );
    let expired_a = w.latest_record(teller.id).await;
    assert_eq!(expired_a.record.supersedes_id, Some(a.consent.record.id));
    assert_eq!(
        w.state(only_a.id).await,
        "PUBLISHED",
        "expiry holds, it does not end"
    );

    let res = w.withdraw_with(&code).await;
    assert_eq!(
        res.data()["withdrawConsent"],
        json!({ "withdrawn": true, "consentsWithdrawn": 1 })
    );
    assert_eq!(w.state(also_b.id).await, "WITHDRAWN");
    assert_eq!(
        w.state(only_a.id).await,
        "WITHDRAWN",
        "every story any of the person's consents covered"
    );

    // Renewing the expired record would bring the story back without her.
    let res = w.renew(expired_a.record.id, json!({})).await;
    assert_eq!(res.code(), "INVALID_TRANSITION", "{}", res.body);
    assert_eq!(
        res.body["errors"][0]["extensions"]["reason"],
        "WITHDRAWN_SINCE"
    );
    assert_eq!(
        consent::records::successor(&w.app.db, expired_a.record.id)
            .await
            .expect("successor"),
        None,
        "nothing recorded"
    );

    // Even a new consent does not bring a withdrawn story back.
    fixtures::consent(&w.app.db, teller.id, fixtures::terms(&[Channel::PublicWeb])).await;
    assert_eq!(w.shown(&web_key, &only_a.slug).await, Value::Null);
    assert_eq!(w.publish(only_a.id).await.code(), "INVALID_TRANSITION");
    // A new story under the new consent is publishable: the person agreed anew.
    let fresh = w.published(teller.id, "A new story").await;
    assert!(w.shown(&web_key, &fresh.slug).await.is_object());
}

/// An approved story that was never published, whose only consent ends: held
/// (not publishable, not withdrawn) after a revocation, an invalidation or an
/// expiry, publishable again once a consent covers it; withdrawn for good only
/// after the person's own withdrawal. A published story is held the same way.
#[tokio::test]
async fn only_the_persons_own_withdrawal_ends_a_story_for_good() {
    let w = World::new().await;
    let web_key = w.key(Channel::PublicWeb).await;
    for ending in ["REVOKE", "INVALIDATE", "EXPIRY"] {
        let teller = w.teller().await;
        let mut t = fixtures::terms(&[Channel::PublicWeb]);
        if ending == "EXPIRY" {
            t.expires_at = Some(clock::now() + Duration::seconds(2));
        }
        let only = fixtures::consent(&w.app.db, teller.id, t).await;
        let never_live = w.approved(teller.id, &format!("Never live {ending}")).await;
        let live = w.published(teller.id, &format!("Live {ending}")).await;
        assert!(w.shown(&web_key, &live.slug).await.is_object());

        if ending == "EXPIRY" {
            tokio::time::sleep(std::time::Duration::from_millis(2200)).await;
            consent::expiry::mark_expired(&w.app.db, clock::now())
                .await
                .expect("marked");
        } else {
            let res = w.end(only.consent.record.id, ending).await;
            assert!(res.data()["endConsent"]["status"].is_string(), "{ending}");
        }
        assert_eq!(w.state(never_live.id).await, "APPROVED", "{ending}: held");
        assert_eq!(w.state(live.id).await, "PUBLISHED", "{ending}: held");
        assert_eq!(w.shown(&web_key, &live.slug).await, Value::Null, "{ending}");
        assert_eq!(
            w.publish(never_live.id).await.code(),
            "CONSENT_MISSING",
            "{ending}"
        );

        // A new consent, with its own evidence, covers them again.
        let mut again = fixtures::terms(&[Channel::PublicWeb]);
        again.evidence_ref = Some(format!("forms/{ending}-again.pdf"));
        fixtures::consent(&w.app.db, teller.id, again).await;
        assert!(w.shown(&web_key, &live.slug).await.is_object(), "{ending}");
        assert_eq!(
            w.publish(never_live.id).await.data()["publishStory"]["state"],
            "PUBLISHED",
            "{ending}"
        );
    }

    // The person's own withdrawal is final, live or not.
    let teller = w.teller().await;
    let only =
        fixtures::consent(&w.app.db, teller.id, fixtures::terms(&[Channel::PublicWeb])).await;
    let never_live = w.approved(teller.id, "Never live WITHDRAW").await;
    let live = w.published(teller.id, "Live WITHDRAW").await;
    let res = w.end(only.consent.record.id, "WITHDRAW").await;
    assert_eq!(res.data()["endConsent"]["status"], "WITHDRAWN");
    assert_eq!(w.state(never_live.id).await, "WITHDRAWN");
    assert_eq!(w.state(live.id).await, "WITHDRAWN");
    fixtures::consent(&w.app.db, teller.id, fixtures::terms(&[Channel::PublicWeb])).await;
    assert_eq!(w.publish(never_live.id).await.code(), "INVALID_TRANSITION");
    assert_eq!(w.shown(&web_key, &live.slug).await, Value::Null);
}

/// Given two days ago, expiring an hour ago: refused, and the code the person
/// already holds still works.
#[tokio::test]
async fn a_consent_already_expired_when_recorded_is_refused_and_keeps_the_code() {
    let w = World::new().await;
    let teller = w.teller().await;
    let held =
        fixtures::consent(&w.app.db, teller.id, fixtures::terms(&[Channel::PublicWeb])).await;
    let code = held.withdrawal_code.expect("code");

    let lapsed = json!({
        "givenAt": Utc::now() - Duration::days(2),
        "expiresAt": Utc::now() - Duration::hours(1),
    });
    let res = w
        .staff(
            "mutation($input: RecordConsentInput!) { recordConsent(input: $input) { withdrawalCode } }",
            json!({ "input": { "storytellerId": teller.id, "terms": terms_input(lapsed.clone()) } }),
        )
        .await;
    assert_eq!(res.code(), "BAD_USER_INPUT", "{}", res.body);
    assert_eq!(res.body["errors"][0]["extensions"]["field"], "expiresAt");
    // Renewing (or amending) into the past is refused the same way.
    let res = w.renew(held.consent.record.id, lapsed).await;
    assert_eq!(res.code(), "BAD_USER_INPUT", "{}", res.body);
    assert_eq!(
        consent::records::of_storyteller(&w.app.db, &w.editor, teller.id)
            .await
            .expect("records")
            .len(),
        1,
        "nothing recorded"
    );

    let res = w.withdraw_with(&code).await;
    assert_eq!(
        res.data()["withdrawConsent"],
        json!({ "withdrawn": true, "consentsWithdrawn": 1 }),
        "the earlier code was not replaced"
    );

    // A consent past its expiry, not yet marked by the worker, takes new dates
    // only by renewal (with its own check), never by an amendment.
    let other = w.teller().await;
    let mut t = fixtures::terms(&[Channel::PublicWeb]);
    t.expires_at = Some(clock::now() + Duration::seconds(1));
    let short = fixtures::consent(&w.app.db, other.id, t).await;
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let res = w
        .staff(
            "mutation($id: ID!, $t: ConsentTermsInput!) { amendConsent(id: $id, terms: $t) { consent { id } } }",
            json!({ "id": short.consent.record.id, "t": terms_input(json!({ "expiresAt": Utc::now() + Duration::days(30) })) }),
        )
        .await;
    assert_eq!(res.code(), "INVALID_TRANSITION", "{}", res.body);
    assert_eq!(
        res.body["errors"][0]["extensions"]["reason"],
        "CONSENT_ENDED"
    );
    let res = w
        .renew(
            short.consent.record.id,
            json!({ "expiresAt": Utc::now() + Duration::days(30) }),
        )
        .await;
    assert_eq!(res.data()["renewConsent"]["consent"]["status"], "RENEWED");
}

/// The sync feed's tombstone for a story that lost its cover for a key without
/// any consent running out: `WITHDRAWN`, whether an amendment dropped the key's
/// channel (the takedown reads `NARROWED`) or the consent was revoked (the story
/// itself is only held). docs/SYNC.md says so.
#[tokio::test]
async fn a_story_that_lost_its_cover_to_an_amendment_is_tombstoned_as_withdrawn() {
    let w = World::new().await;
    let teller = w.teller().await;
    let recorded = fixtures::consent(
        &w.app.db,
        teller.id,
        fixtures::terms(&[Channel::PublicWeb, Channel::MobileApp]),
    )
    .await;
    let story = w.published(teller.id, "Narrowed").await;
    let app_key = w.key(Channel::MobileApp).await;
    let web_key = w.key(Channel::PublicWeb).await;
    const FEED: &str = "query($since: String) { storyChanges(since: $since) {
        changes { __typename ... on StoryTombstone { storyId reason } } endCursor } }";
    let mut cursors = Vec::new();
    for key in [&app_key, &web_key] {
        let res = w.read(Some(key), FEED, json!({})).await;
        let feed = &res.data()["storyChanges"];
        assert_eq!(feed["changes"][0]["__typename"], "StoryUpsert");
        cursors.push(feed["endCursor"].clone());
    }

    let res = w
        .staff(
            "mutation($id: ID!, $t: ConsentTermsInput!) { amendConsent(id: $id, terms: $t) { consent { id } } }",
            json!({ "id": recorded.consent.record.id, "t": terms_input(json!({})) }),
        )
        .await;
    let amended: Uuid = res.data()["amendConsent"]["consent"]["id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("uuid");
    let res = w
        .read(Some(&app_key), FEED, json!({ "since": cursors[0] }))
        .await;
    assert_eq!(
        res.data()["storyChanges"]["changes"],
        json!([{ "__typename": "StoryTombstone", "storyId": story.id, "reason": "WITHDRAWN" }])
    );
    let takedowns = consent::takedown::of_story(&w.app.db, &w.editor, story.id)
        .await
        .expect("takedowns");
    assert_eq!(
        takedowns
            .iter()
            .map(|t| t.reason.as_str())
            .collect::<Vec<_>>(),
        ["NARROWED"],
        "the app key only"
    );

    let res = w.end(amended, "REVOKE").await;
    assert_eq!(res.data()["endConsent"]["status"], "REVOKED");
    let res = w
        .read(Some(&web_key), FEED, json!({ "since": cursors[1] }))
        .await;
    assert_eq!(
        res.data()["storyChanges"]["changes"],
        json!([{ "__typename": "StoryTombstone", "storyId": story.id, "reason": "WITHDRAWN" }])
    );
    assert_eq!(w.state(story.id).await, "PUBLISHED", "held, not withdrawn");
}
