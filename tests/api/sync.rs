//! The sync feed (`storyChanges`), over HTTP: an offline app learns of every
//! story it may now show and of every story it must delete — withdrawn,
//! expired with nobody acting, unpublished, erased — and never of a story it
//! was not served.

use api::{
    auth::{Principal, Role},
    clock, consent,
    consent::{Decision, Ending},
    consumers::{self, NewKey},
    stories::{DetailChanges, changes, workflow},
    storytellers,
};
use chrono::Duration;
use entity::{
    api_key::Channel, consent_event::Via, consent_record::IndicatedBy, story, storyteller,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    fixtures::{self, Person},
    helpers::{GqlResponse, PASSWORD, TestApp, spawn_app_with},
};

const FEED: &str = "query($since: String, $first: Int) {
    storyChanges(since: $since, first: $first) {
        changes {
            __typename
            ... on StoryUpsert { story { id slug title } }
            ... on StoryTombstone { storyId reason }
        }
        hasNextPage endCursor
    }
}";

struct World {
    app: TestApp,
    admin: Principal,
    editor: Principal,
    author: Principal,
}

impl World {
    async fn new() -> Self {
        // No worker: whatever the feed reports, it found by itself.
        let app = spawn_app_with(&[("CHORUS_JOBS_ENABLED", "false")]).await;
        let admin = fixtures::staff(&app.db, "admin@chorus.test", Role::Admin).await;
        let editor = fixtures::staff(&app.db, "editor@chorus.test", Role::Editor).await;
        let author = fixtures::staff(&app.db, "author@chorus.test", Role::Contributor).await;
        Self {
            app,
            admin,
            editor,
            author,
        }
    }

    async fn teller(
        &self,
        channels: &[Channel],
        expires_in: Option<Duration>,
    ) -> (storyteller::Model, consent::Recorded) {
        let teller = fixtures::storyteller_without_consent(
            &self.app.db,
            &self.app.state.crypto,
            &self.editor,
            Person::Adult,
            "Legal Name Of Teller",
        )
        .await;
        let mut terms = fixtures::terms(channels);
        terms.expires_at = expires_in.map(|d| clock::now() + d);
        let recorded = fixtures::consent(&self.app.db, teller.id, terms).await;
        (teller, recorded)
    }

    async fn published(&self, teller: Uuid, title: &str) -> story::Model {
        let story =
            fixtures::approved(&self.app.db, &self.author, &self.editor, teller, title).await;
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
                name: "app".into(),
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

    async fn sync(&self, key: &str, since: Option<&str>, first: i32) -> GqlResponse {
        let res = self
            .app
            .client
            .post(self.app.url("/graphql"))
            .header("x-api-key", key)
            .json(&json!({ "query": FEED, "variables": { "since": since, "first": first } }))
            .send()
            .await
            .expect("sent");
        GqlResponse {
            status: res.status().as_u16(),
            headers: res.headers().clone(),
            body: res.json().await.expect("json"),
        }
    }

    /// Syncs to the end from `since`: every change in order, and the cursor to
    /// keep.
    async fn sync_all(&self, key: &str, since: Option<String>) -> (Vec<Value>, String) {
        let mut since = since;
        let mut all = Vec::new();
        loop {
            let res = self.sync(key, since.as_deref(), 100).await;
            let page = &res.data()["storyChanges"];
            all.extend(page["changes"].as_array().expect("changes").iter().cloned());
            since = Some(page["endCursor"].as_str().expect("cursor").to_owned());
            if page["hasNextPage"] != true {
                return (all, since.unwrap_or_default());
            }
        }
    }

    async fn end_consent(&self, recorded: &consent::Recorded) {
        consent::records::end(
            &self.app.db,
            &self.editor,
            recorded.consent.record.id,
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

fn upserted(changes: &[Value]) -> Vec<String> {
    changes
        .iter()
        .filter(|c| c["__typename"] == "StoryUpsert")
        .map(|c| c["story"]["slug"].as_str().expect("slug").to_owned())
        .collect()
}

fn tombstones(changes: &[Value]) -> Vec<(String, String)> {
    changes
        .iter()
        .filter(|c| c["__typename"] == "StoryTombstone")
        .map(|c| {
            (
                c["storyId"].as_str().expect("id").to_owned(),
                c["reason"].as_str().expect("reason").to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_first_sync_pages_through_the_visible_stories_and_the_next_one_is_empty() {
    let w = World::new().await;
    let (teller, _) = w.teller(&[Channel::MobileApp], None).await;
    let mut slugs = Vec::new();
    for n in 0..3 {
        slugs.push(w.published(teller.id, &format!("Story {n}")).await.slug);
    }
    let (web_only, _) = w.teller(&[Channel::PublicWeb], None).await;
    let hidden = w.published(web_only.id, "Web only").await;
    let key = w.key(Channel::MobileApp).await;

    let mut since: Option<String> = None;
    let mut seen = Vec::new();
    for page in 0..3 {
        let res = w.sync(&key, since.as_deref(), 1).await;
        let feed = &res.data()["storyChanges"];
        let changes = feed["changes"].as_array().expect("changes");
        assert_eq!(changes.len(), 1, "page {page}: {feed}");
        seen.extend(upserted(changes));
        assert_eq!(feed["hasNextPage"], page < 2, "page {page}");
        since = Some(feed["endCursor"].as_str().expect("cursor").to_owned());
    }
    seen.sort();
    slugs.sort();
    assert_eq!(
        seen, slugs,
        "each visible story once, never {}",
        hidden.slug
    );

    let (again, _) = w.sync_all(&key, since).await;
    assert_eq!(again, Vec::<Value>::new(), "nothing changed");
}

#[tokio::test]
async fn withdrawal_by_an_editor_or_by_code_shows_up_as_a_tombstone_on_the_next_sync() {
    let w = World::new().await;
    let (by_editor, editor_consent) = w.teller(&[Channel::MobileApp], None).await;
    let first = w.published(by_editor.id, "Withdrawn by the editor").await;
    let (by_code, code_consent) = w.teller(&[Channel::MobileApp], None).await;
    let second = w
        .published(by_code.id, "Withdrawn by the storyteller")
        .await;
    let (stays, _) = w.teller(&[Channel::MobileApp], None).await;
    let kept = w.published(stays.id, "Stays").await;
    let key = w.key(Channel::MobileApp).await;
    let (changes, cursor) = w.sync_all(&key, None).await;
    assert_eq!(upserted(&changes).len(), 3);

    w.end_consent(&editor_consent).await;
    let (changes, cursor) = w.sync_all(&key, Some(cursor)).await;
    assert_eq!(
        tombstones(&changes),
        vec![(first.id.to_string(), "WITHDRAWN".to_owned())]
    );
    assert!(upserted(&changes).is_empty(), "{changes:?}");

    let code = code_consent.withdrawal_code.clone().expect("code");
    let res = w
        .app
        .gql(
            None,
            "mutation($c: String!) { withdrawConsent(code: $c) { withdrawn } }",
            json!({ "c": code }),
        )
        .await;
    assert_eq!(res.data()["withdrawConsent"]["withdrawn"], true);
    let (changes, _) = w.sync_all(&key, Some(cursor)).await;
    assert_eq!(
        tombstones(&changes),
        vec![(second.id.to_string(), "WITHDRAWN".to_owned())]
    );
    assert!(!format!("{changes:?}").contains(&kept.slug));
}

#[tokio::test]
async fn a_consent_running_out_gives_a_tombstone_with_nobody_acting() {
    let w = World::new().await;
    let (teller, _) = w
        .teller(&[Channel::MobileApp], Some(Duration::seconds(3)))
        .await;
    let story = w.published(teller.id, "Short-lived").await;
    let key = w.key(Channel::MobileApp).await;
    let (changes, cursor) = w.sync_all(&key, None).await;
    assert_eq!(upserted(&changes), vec![story.slug.clone()]);
    let written = changes::high_water(&w.app.db).await.expect("version");

    tokio::time::sleep(std::time::Duration::from_millis(3200)).await;
    let (changes, _) = w.sync_all(&key, Some(cursor)).await;
    assert_eq!(
        tombstones(&changes),
        vec![(story.id.to_string(), "EXPIRED".to_owned())]
    );
    assert_eq!(
        changes::high_water(&w.app.db).await.expect("version"),
        written,
        "nothing was written: the clock alone did it"
    );
}

#[tokio::test]
async fn unpublishing_erasure_and_republishing_reach_the_app_and_strangers_hear_nothing() {
    let w = World::new().await;
    let (teller, _) = w.teller(&[Channel::MobileApp], None).await;
    let unpublished = w.published(teller.id, "Taken offline").await;
    let edited = w.published(teller.id, "Edited later").await;
    let (erased_teller, _) = w.teller(&[Channel::MobileApp], None).await;
    let erased = w.published(erased_teller.id, "Erased").await;
    let key = w.key(Channel::MobileApp).await;
    let (_, cursor) = w.sync_all(&key, None).await;
    // A key of another channel, never served these stories, syncing all along.
    let stranger = w.key(Channel::PublicWeb).await;
    let (_, stranger_cursor) = w.sync_all(&stranger, None).await;

    workflow::unpublish(
        &w.app.db,
        &w.editor,
        unpublished.id,
        None,
        None,
        clock::now(),
    )
    .await
    .expect("unpublished");
    storytellers::rights::erase(
        &w.app.db,
        w.app.state.storage.as_ref(),
        &w.admin,
        erased_teller.id,
        clock::now(),
    )
    .await
    .expect("erased");
    let (changes, cursor) = w.sync_all(&key, Some(cursor)).await;
    let mut gone = tombstones(&changes);
    gone.sort();
    let mut expected = vec![
        (unpublished.id.to_string(), "UNPUBLISHED".to_owned()),
        (erased.id.to_string(), "ERASED".to_owned()),
    ];
    expected.sort();
    assert_eq!(gone, expected);

    // A live story whose details change is sent again.
    api::stories::update_details(
        &w.app.db,
        &w.editor,
        edited.id,
        edited.version,
        DetailChanges {
            region: api::patch::Patch::Set("United Kingdom".into()),
            ..Default::default()
        },
        clock::now(),
    )
    .await
    .expect("updated");
    let (changes, _) = w.sync_all(&key, Some(cursor)).await;
    assert_eq!(upserted(&changes), vec![edited.slug.clone()]);

    // The stranger hears nothing of them: not even that they existed.
    let (changes, _) = w.sync_all(&stranger, Some(stranger_cursor)).await;
    assert_eq!(changes, Vec::<Value>::new());
    assert!(!format!("{changes:?}").contains(&unpublished.id.to_string()));
}

#[tokio::test]
async fn staff_cannot_sync_and_bad_cursors_are_refused() {
    let w = World::new().await;
    let token = w.app.login("editor@chorus.test", PASSWORD).await.data()["login"]["accessToken"]
        .as_str()
        .expect("token")
        .to_owned();
    let res = w.app.gql(Some(&token), FEED, json!({})).await;
    assert_eq!(res.code(), "FORBIDDEN");
    let key = w.key(Channel::MobileApp).await;
    for (since, first) in [(Some("not-a-cursor"), 10), (None, 0), (None, 101)] {
        let res = w.sync(&key, since, first).await;
        assert_eq!(res.code(), "BAD_USER_INPUT", "{since:?} {first}");
    }
}

#[tokio::test]
async fn every_kind_of_write_raises_the_change_version_and_the_clock_is_read_ahead() {
    let w = World::new().await;
    let db = &w.app.db;
    let v0 = changes::high_water(db).await.unwrap();
    let (teller, recorded) = w
        .teller(&[Channel::MobileApp], Some(Duration::days(3)))
        .await;
    let v1 = changes::high_water(db).await.unwrap();
    let story = w.published(teller.id, "Versioned").await;
    let v2 = changes::high_water(db).await.unwrap();
    w.end_consent(&recorded).await;
    let v3 = changes::high_water(db).await.unwrap();
    assert!(v0 <= v1 && v1 < v2 && v2 < v3, "{v0} {v1} {v2} {v3}");

    let (other, _) = w
        .teller(&[Channel::MobileApp], Some(Duration::days(2)))
        .await;
    let _ = w.published(other.id, "Soon gone").await;
    let next = changes::next_visibility_change(db, clock::now())
        .await
        .unwrap()
        .expect("an expiry is due");
    let in_two_days = clock::now() + Duration::days(2);
    assert!(
        (next - in_two_days).num_seconds().abs() < 60,
        "the soonest expiry: {next} for {}",
        story.slug
    );
}

#[tokio::test]
async fn a_live_story_being_revised_stays_up_with_its_published_text() {
    let w = World::new().await;
    let (teller, _) = w.teller(&[Channel::MobileApp], None).await;
    let story = w.published(teller.id, "The published words").await;
    let key = w.key(Channel::MobileApp).await;
    let (_, cursor) = w.sync_all(&key, None).await;

    let (revised, _) = api::stories::save_revision(
        &w.app.db,
        &w.author,
        story.id,
        story.version,
        "en",
        api::stories::Text {
            title: "Words still in draft".into(),
            summary: String::new(),
            body: "Not reviewed yet.".into(),
        },
        None,
        clock::now(),
    )
    .await
    .expect("a new draft");
    assert_eq!(revised.state, story::State::Draft);

    let read = w
        .app
        .client
        .post(w.app.url("/graphql"))
        .header("x-api-key", &key)
        .json(&json!({
            "query": "query($s: String!) { story(slug: $s) { title } stories { nodes { title } } }",
            "variables": { "s": story.slug }
        }))
        .send()
        .await
        .expect("sent")
        .json::<Value>()
        .await
        .expect("json");
    assert_eq!(
        read["data"]["story"]["title"], "The published words",
        "{read}"
    );
    assert_eq!(
        read["data"]["stories"]["nodes"],
        json!([{ "title": "The published words" }])
    );
    let (changes, _) = w.sync_all(&key, Some(cursor)).await;
    assert!(tombstones(&changes).is_empty(), "{changes:?}");
}

#[tokio::test]
async fn a_new_public_name_reaches_apps_and_moves_the_change_version() {
    let w = World::new().await;
    let (teller, _) = w.teller(&[Channel::MobileApp], None).await;
    let story = w.published(teller.id, "Named").await;
    // Stories start anonymous; this one names its teller by pseudonym.
    let story = api::stories::update_details(
        &w.app.db,
        &w.editor,
        story.id,
        story.version,
        DetailChanges {
            identity_level: Some(story::IdentityLevel::Pseudonym),
            ..Default::default()
        },
        clock::now(),
    )
    .await
    .expect("named by pseudonym");
    let key = w.key(Channel::MobileApp).await;
    let (_, cursor) = w.sync_all(&key, None).await;
    let before = changes::high_water(&w.app.db).await.unwrap();

    storytellers::update(
        &w.app.db,
        &w.app.state.crypto,
        &w.editor,
        teller.id,
        storytellers::StorytellerChanges {
            public_name: Some("Samira".into()),
            public_name_is_pseudonym: Some(true),
            ..Default::default()
        },
        clock::now(),
    )
    .await
    .expect("renamed");
    assert!(changes::high_water(&w.app.db).await.unwrap() > before);

    let res = w
        .app
        .client
        .post(w.app.url("/graphql"))
        .header("x-api-key", &key)
        .json(&json!({
            "query": "query($since: String) { storyChanges(since: $since) { changes { ... on StoryUpsert { story { slug storyteller { name isPseudonym } } } } } }",
            "variables": { "since": cursor }
        }))
        .send()
        .await
        .expect("sent")
        .json::<Value>()
        .await
        .expect("json");
    assert_eq!(
        res["data"]["storyChanges"]["changes"],
        json!([{ "story": { "slug": story.slug, "storyteller": { "name": "Samira", "isPseudonym": true } } }])
    );
}
