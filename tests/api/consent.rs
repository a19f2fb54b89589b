//! Consent and the gate, over HTTP: what partner sites, apps and the public see is
//! decided at each request by the storyteller's consent, and withdrawal, expiry
//! and narrower terms take effect on the very next request.

use api::{
    auth::{Principal, Role},
    clock, consent,
    consumers::{self, NewKey},
    stories::{DetailChanges, workflow},
};
use chrono::{Datelike, Duration, Utc};
use entity::{
    api_key::Channel,
    story::{self, IdentityLevel, LocationPrecision},
    storyteller,
};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Statement};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    fixtures::{self, Person},
    helpers::{GqlResponse, PASSWORD, TestApp, spawn_app_with},
};

/// An app with an admin, an editor and a contributor, as principals and tokens.
struct World {
    app: TestApp,
    admin: Principal,
    editor: Principal,
    author: Principal,
    editor_token: String,
}

impl World {
    async fn new() -> Self {
        Self::with(&[]).await
    }

    async fn with(overrides: &[(&str, &str)]) -> Self {
        let app = spawn_app_with(overrides).await;
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

    async fn teller(&self, person: Person) -> storyteller::Model {
        fixtures::storyteller_without_consent(
            &self.app.db,
            &self.app.state.crypto,
            &self.editor,
            person,
            "Legal Name Of Teller",
        )
        .await
    }

    async fn approved(&self, teller: Uuid, title: &str) -> story::Model {
        fixtures::approved(&self.app.db, &self.author, &self.editor, teller, title).await
    }

    async fn publish(&self, story: &story::Model) -> story::Model {
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

    async fn published(&self, teller: Uuid, title: &str) -> story::Model {
        let story = self.approved(teller, title).await;
        self.publish(&story).await
    }

    async fn partner(&self, slug: &str) -> Uuid {
        consumers::create_partner(&self.app.db, &self.admin, slug, slug, clock::now())
            .await
            .expect("partner")
            .id
    }

    async fn key(
        &self,
        channel: Channel,
        partner_id: Option<Uuid>,
        campaign_ids: Vec<Uuid>,
    ) -> String {
        consumers::create_key(
            &self.app.db,
            &self.admin,
            NewKey {
                name: "test key".into(),
                channel,
                partner_id,
                campaign_ids,
                expires_at: None,
            },
            clock::now(),
        )
        .await
        .expect("key")
        .1
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
        let res = req.send().await.expect("sent");
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        GqlResponse {
            status,
            headers,
            body: res.json().await.expect("json"),
        }
    }

    /// The slugs a key lists, oldest publication first, and the count it is told.
    async fn listed(&self, key: Option<&str>) -> (Vec<String>, i64) {
        let res = self
            .read(
                key,
                "{ stories(orderBy: OLDEST_FIRST, first: 100) { totalCount edges { node { slug } } } }",
                json!({}),
            )
            .await;
        let data = &res.data()["stories"];
        let slugs = data["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .map(|e| e["node"]["slug"].as_str().expect("slug").to_owned())
            .collect();
        (slugs, data["totalCount"].as_i64().expect("count"))
    }

    async fn fetched(&self, key: Option<&str>, slug: &str) -> Value {
        self.read(
            key,
            "query($s: String!) { story(slug: $s) { slug } }",
            json!({ "s": slug }),
        )
        .await
        .data()["story"]
            .clone()
    }

    async fn editorial(&self, id: Uuid, fields: &str) -> Value {
        let res = self
            .app
            .gql(
                Some(&self.editor_token),
                &format!("query($id: ID!) {{ editorialStory(id: $id) {{ {fields} }} }}"),
                json!({ "id": id }),
            )
            .await;
        res.data()["editorialStory"].clone()
    }
}

fn terms(channels: &[Channel]) -> consent::Terms {
    fixtures::terms(channels)
}

const TERMS_INPUT: &str = r#"{
    "channels": ["MOBILE_APP"], "identityLevel": "PSEUDONYM", "faces": "OBSCURED",
    "voice": "ALTERED", "locationPrecision": "COUNTRY", "method": "WRITTEN", "language": "en",
    "noticeVersion": "2026-01", "noticeHash": "sha256:ab", "collectedBy": "Field worker",
    "jurisdiction": "GB"
}"#;

fn terms_input(changes: Value) -> Value {
    let mut input: Value = serde_json::from_str(TERMS_INPUT).expect("terms");
    for (k, v) in changes.as_object().expect("object") {
        input[k] = v.clone();
    }
    input
}

const RECORD: &str = "mutation($input: RecordConsentInput!) {
    recordConsent(input: $input) { withdrawalCode consent { id status expiresAt subjectMinor } }
}";

#[tokio::test]
async fn publishing_without_covering_consent_is_refused_and_editors_see_why_per_channel() {
    let w = World::new().await;
    let teller = w.teller(Person::Adult).await;
    let story = w.approved(teller.id, "Bread from home").await;

    let res = w
        .app
        .gql(
            Some(&w.editor_token),
            "mutation($id: ID!) { publishStory(id: $id) { state } }",
            json!({ "id": story.id }),
        )
        .await;
    assert_eq!(res.code(), "CONSENT_MISSING");
    let missing = res.body["errors"][0]["extensions"]["missing"]
        .as_array()
        .expect("missing")
        .clone();
    assert_eq!(missing.len(), 7, "every channel is named: {missing:?}");
    assert!(
        missing[0]
            .as_str()
            .unwrap()
            .contains("no consent is recorded")
    );
    assert_eq!(
        w.editorial(story.id, "state").await["state"],
        "APPROVED",
        "nothing changed"
    );

    // A scheduled publication is checked against consent at its time too.
    let res = w
        .app
        .gql(
            Some(&w.editor_token),
            "mutation($id: ID!, $at: DateTime!) { publishStory(id: $id, publishAt: $at) { state } }",
            json!({ "id": story.id, "at": Utc::now() + Duration::days(1) }),
        )
        .await;
    assert_eq!(res.code(), "CONSENT_MISSING");

    fixtures::consent(&w.app.db, teller.id, terms(&[Channel::MobileApp])).await;
    w.publish(&story).await;
    let visibility = w
        .editorial(story.id, "visibility { channel visible consented reasons }")
        .await["visibility"]
        .as_array()
        .expect("visibility")
        .clone();
    let of = |c: &str| {
        visibility
            .iter()
            .find(|v| v["channel"] == c)
            .expect("channel")
            .clone()
    };
    assert_eq!(of("MOBILE_APP")["visible"], true);
    assert_eq!(of("MOBILE_APP")["reasons"], json!([]));
    assert_eq!(of("PUBLIC_WEB")["visible"], false);
    assert_eq!(
        of("PUBLIC_WEB")["reasons"],
        json!(["no consent names this channel"])
    );
}

#[tokio::test]
async fn withdrawal_by_code_takes_the_story_off_every_key_on_the_next_request() {
    let w = World::new().await;
    let partner = w.partner("new-europeans").await;
    let teller = w.teller(Person::Adult).await;
    let mut t = terms(&[
        Channel::PublicWeb,
        Channel::MobileApp,
        Channel::PartnerSites,
    ]);
    t.all_partners = false;
    t.partner_ids = vec![partner];
    let recorded = fixtures::consent(&w.app.db, teller.id, t).await;
    let code = recorded
        .withdrawal_code
        .expect("a code is issued with a given consent");
    let story = w.published(teller.id, "Nurse on the night shift").await;
    let other = w.teller(Person::Adult).await;
    fixtures::consent(
        &w.app.db,
        other.id,
        terms(&[Channel::PublicWeb, Channel::MobileApp]),
    )
    .await;
    let unrelated = w.published(other.id, "Another story").await;

    let keys = [
        w.key(Channel::PublicWeb, None, vec![]).await,
        w.key(Channel::MobileApp, None, vec![]).await,
        w.key(Channel::PartnerSites, Some(partner), vec![]).await,
    ];
    for key in &keys {
        let (slugs, _) = w.listed(Some(key)).await;
        assert!(slugs.contains(&story.slug), "{slugs:?}");
        assert_eq!(
            w.fetched(Some(key), &story.slug).await["slug"],
            story.slug.as_str()
        );
    }

    // No account, no token: the code alone.
    let res = w
        .read(
            None,
            "mutation($c: String!) { withdrawConsent(code: $c) { withdrawn consentsWithdrawn } }",
            json!({ "c": code.to_lowercase() }),
        )
        .await;
    assert_eq!(
        res.data()["withdrawConsent"],
        json!({ "withdrawn": true, "consentsWithdrawn": 1 })
    );

    for key in &keys {
        let (slugs, total) = w.listed(Some(key)).await;
        assert!(
            !slugs.contains(&story.slug),
            "gone from the list: {slugs:?}"
        );
        let expected = usize::from(key != &keys[2]);
        assert_eq!(total as usize, expected, "and from the count");
        assert_eq!(w.fetched(Some(key), &story.slug).await, Value::Null);
    }
    assert_eq!(
        w.listed(Some(&keys[0])).await.0,
        vec![unrelated.slug.clone()],
        "others stay"
    );

    let after = w.editorial(story.id, "state isLive").await;
    assert_eq!(after, json!({ "state": "WITHDRAWN", "isLive": false }));
    let events = w
        .app
        .gql(
            Some(&w.editor_token),
            "query($id: ID!) { storyteller(id: $id) { consentEvents { action toStatus indicatedBy via actor { email } } } }",
            json!({ "id": teller.id }),
        )
        .await;
    let events = events.data()["storyteller"]["consentEvents"].clone();
    assert_eq!(
        events[1],
        json!({ "action": "WITHDRAWN", "toStatus": "WITHDRAWN", "indicatedBy": "STORYTELLER", "via": "WITHDRAWAL_CODE", "actor": null })
    );
    let takedowns = w
        .app
        .gql(
            Some(&w.editor_token),
            "query($id: ID!) { takedowns(storyId: $id) { reason partnerId deliveredAt } }",
            json!({ "id": story.id }),
        )
        .await;
    let takedowns = takedowns.data()["takedowns"]
        .as_array()
        .expect("takedowns")
        .clone();
    assert_eq!(
        takedowns.len(),
        3,
        "one per key that received the story: {takedowns:?}"
    );
    assert!(
        takedowns
            .iter()
            .all(|t| t["reason"] == "WITHDRAWN" && t["deliveredAt"].is_null())
    );
    assert!(
        takedowns
            .iter()
            .any(|t| t["partnerId"] == partner.to_string().as_str())
    );
    let withdrawn_events = entity::audit_event::Entity::find()
        .filter(entity::audit_event::Column::Action.eq("story.withdrawn"))
        .filter(entity::audit_event::Column::SubjectId.eq(story.id))
        .count(&w.app.db)
        .await
        .expect("count");
    assert_eq!(withdrawn_events, 1, "the audit log records it");

    // A used code is spent.
    let res = w
        .read(
            None,
            "mutation($c: String!) { withdrawConsent(code: $c) { withdrawn } }",
            json!({ "c": code }),
        )
        .await;
    assert_eq!(res.code(), "NOT_FOUND");
}

#[tokio::test]
async fn wrong_old_and_guessed_withdrawal_codes_are_refused_and_change_nothing() {
    let w = World::with(&[("CHORUS_WITHDRAWAL_MAX_FAILURES_PER_ADDRESS", "5")]).await;
    let teller = w.teller(Person::Adult).await;
    let first = fixtures::consent(&w.app.db, teller.id, terms(&[Channel::MobileApp])).await;
    let old_code = first.withdrawal_code.expect("code");
    // Renewing issues a new code and retires the old one.
    let renewed = consent::records::renew(
        &w.app.db,
        &w.editor,
        &w.app.state.config.consent,
        first.consent.record.id,
        terms(&[Channel::MobileApp]),
        consent::Decision {
            indicated_by: entity::consent_record::IndicatedBy::Storyteller,
            via: entity::consent_event::Via::InPerson,
        },
        clock::now(),
    )
    .await
    .expect("renewed");
    let code = renewed.withdrawal_code.expect("new code");
    assert_ne!(code, old_code);
    let story = w.published(teller.id, "Still here").await;
    let key = w.key(Channel::MobileApp, None, vec![]).await;
    let withdraw = |c: String| {
        let w = &w;
        async move {
            w.read(
                None,
                "mutation($c: String!) { withdrawConsent(code: $c) { withdrawn } }",
                json!({ "c": c }),
            )
            .await
        }
    };

    assert_eq!(
        withdraw(old_code).await.code(),
        "NOT_FOUND",
        "a replaced code is dead"
    );
    let wrong: String = code.chars().rev().collect();
    assert_eq!(withdraw(wrong).await.code(), "NOT_FOUND");
    assert_eq!(withdraw("not a code".into()).await.code(), "NOT_FOUND");
    for i in 0..2 {
        let guess = format!("AAAAA-AAAAA-AAAAA-AAAAA-AAAA{i}");
        assert_eq!(withdraw(guess).await.code(), "NOT_FOUND");
    }
    // Five failures from this address: the next wrong code is not even answered.
    let res = withdraw("AAAAA-AAAAA-AAAAA-AAAAA-AAAA9".into()).await;
    assert_eq!(res.code(), "RATE_LIMITED");
    assert!(
        res.body["errors"][0]["extensions"]["retryAfterSeconds"]
            .as_u64()
            .unwrap()
            > 0
    );

    assert_eq!(
        w.listed(Some(&key)).await,
        (vec![story.slug.clone()], 1),
        "nothing changed"
    );
    let records = w
        .app
        .gql(
            Some(&w.editor_token),
            "query($id: ID!) { storyteller(id: $id) { consents { status supersededBy } } }",
            json!({ "id": teller.id }),
        )
        .await;
    let records = records.data()["storyteller"]["consents"].clone();
    assert_eq!(records[1]["status"], "RENEWED");
    assert_eq!(records[1]["supersededBy"], Value::Null);

    // The storyteller's own code still works from that address: a limit that
    // blocked it would let anyone there keep them from withdrawing.
    let res = withdraw(code).await;
    assert_eq!(res.data()["withdrawConsent"]["withdrawn"], true);
}

#[tokio::test]
async fn no_consumer_response_contains_personal_data() {
    let w = World::with(&[("CHORUS_PUBLIC_READS", "true")]).await;
    let secrets = [
        "Zainab Legal-Surname",
        "+44 7700 900777",
        "zainab.private@example.org",
        "Guardian Khalida Secret",
        "guardian-contact@example.org",
        "Lives above the bakery on Elm Street",
    ];
    let teller = api::storytellers::create(
        &w.app.db,
        &w.app.state.crypto,
        &w.editor,
        api::storytellers::NewStoryteller {
            public_name: "Zainab Q".into(),
            public_name_is_pseudonym: false,
            legal_name: secrets[0].into(),
            contact: Some(format!("{} / {}", secrets[1], secrets[2])),
            year_of_birth: Some(Utc::now().year() - 15),
            date_of_birth: None,
            guardian: Some(api::storytellers::Guardian {
                name: secrets[3].into(),
                relationship: "aunt".into(),
                authority_basis: "special guardianship order".into(),
                contact: Some(secrets[4].into()),
            }),
            languages: vec!["fa".into()],
            private_notes: Some(secrets[5].into()),
            asylum_seeker: true,
            refugee: false,
            undocumented: false,
        },
        clock::now(),
    )
    .await
    .expect("storyteller");
    let all: Vec<Channel> = [Channel::PublicWeb, Channel::MobileApp].into();
    fixtures::consent(&w.app.db, teller.id, terms(&all)).await;
    let story = w.published(teller.id, "School in a new language").await;
    let key = w.key(Channel::MobileApp, None, vec![]).await;

    let everything = "slug locale title summary body bodyHtml region publishedAt firstPublishedAt
        storyteller { name isPseudonym } translations { locale title summary body bodyHtml }
        campaigns { slug name } tags { slug name }";
    let queries = [
        format!(
            "{{ stories(first: 20) {{ totalCount edges {{ cursor node {{ {everything} }} }} pageInfo {{ hasNextPage endCursor }} }} }}"
        ),
        format!("{{ story(slug: \"{}\") {{ {everything} }} }}", story.slug),
        "{ __type(name: \"PublishedStory\") { fields { name } } }".to_owned(),
    ];
    for key in [Some(key.as_str()), None] {
        for query in &queries {
            let res = w.read(key, query, json!({})).await;
            assert!(res.body["errors"].is_null(), "{}", res.body);
            let text = res.body.to_string();
            for secret in secrets {
                assert!(!text.contains(secret), "{secret} leaked in {text}");
            }
        }
        assert_eq!(
            w.fetched(key, &story.slug).await["slug"],
            story.slug.as_str(),
            "the story itself is served"
        );
    }
    // The consumer types have no field that could hold personal data.
    let fields = |ty: &str| {
        let w = &w;
        let ty = ty.to_owned();
        async move {
            let res = w
                .read(
                    None,
                    &format!("{{ __type(name: \"{ty}\") {{ fields {{ name }} }} }}"),
                    json!({}),
                )
                .await;
            let mut names: Vec<String> = res.data()["__type"]["fields"]
                .as_array()
                .expect("fields")
                .iter()
                .map(|f| f["name"].as_str().unwrap().to_owned())
                .collect();
            names.sort();
            names
        }
    };
    assert_eq!(fields("PublicStoryteller").await, ["isPseudonym", "name"]);
    assert_eq!(
        fields("PublishedMedia").await,
        [
            "altText",
            "caption",
            "captions",
            "credit",
            "id",
            "kind",
            "sources",
            "transcripts"
        ]
    );
    assert_eq!(
        fields("MediaSource").await,
        ["expiresAt", "height", "mime", "url", "variant", "width"]
    );
    assert_eq!(
        fields("PublishedStory").await,
        [
            "body",
            "bodyHtml",
            "campaigns",
            "firstPublishedAt",
            "id",
            "locale",
            "media",
            "primaryLocale",
            "publishedAt",
            "recordingTexts",
            "region",
            "shareCard",
            "slug",
            "storyteller",
            "summary",
            "tags",
            "title",
            "translations"
        ]
    );
}

#[tokio::test]
async fn a_partner_key_sees_only_stories_consented_for_its_partner_and_its_campaigns() {
    let w = World::new().await;
    let (a, b) = (w.partner("partner-a").await, w.partner("partner-b").await);
    let named_a = w.teller(Person::Adult).await;
    let mut t = terms(&[Channel::PartnerSites]);
    t.all_partners = false;
    t.partner_ids = vec![a];
    fixtures::consent(&w.app.db, named_a.id, t).await;
    let every_partner = w.teller(Person::Adult).await;
    fixtures::consent(&w.app.db, every_partner.id, terms(&[Channel::PartnerSites])).await;
    let web_only = w.teller(Person::Adult).await;
    fixtures::consent(&w.app.db, web_only.id, terms(&[Channel::PublicWeb])).await;
    let s_a = w.published(named_a.id, "For partner A").await;
    let s_all = w.published(every_partner.id, "For every partner").await;
    let s_web = w.published(web_only.id, "For the web").await;

    let key_a = w.key(Channel::PartnerSites, Some(a), vec![]).await;
    let key_b = w.key(Channel::PartnerSites, Some(b), vec![]).await;
    let key_web = w.key(Channel::PublicWeb, None, vec![]).await;
    assert_eq!(
        w.listed(Some(&key_a)).await,
        (vec![s_a.slug.clone(), s_all.slug.clone()], 2)
    );
    assert_eq!(w.listed(Some(&key_b)).await, (vec![s_all.slug.clone()], 1));
    assert_eq!(
        w.listed(Some(&key_web)).await,
        (vec![s_web.slug.clone()], 1)
    );
    assert_eq!(w.fetched(Some(&key_b), &s_a.slug).await, Value::Null);

    // A key limited to one campaign sees only that campaign's stories.
    let campaign = api::campaigns::create(
        &w.app.db,
        &w.editor,
        api::campaigns::NewCampaign {
            slug: "one-day-without-us".into(),
            name: "One Day Without Us".into(),
            hashtag: None,
            starts_on: None,
            ends_on: None,
            description: String::new(),
            share_url_pattern: None,
        },
        clock::now(),
    )
    .await
    .expect("campaign");
    let in_campaign = w.teller(Person::Adult).await;
    fixtures::consent(&w.app.db, in_campaign.id, terms(&[Channel::PublicWeb])).await;
    let s_campaign = w.published(in_campaign.id, "A day without us").await;
    api::stories::update_details(
        &w.app.db,
        &w.editor,
        s_campaign.id,
        s_campaign.version,
        DetailChanges {
            campaign_ids: Some(vec![campaign.id]),
            ..Default::default()
        },
        clock::now(),
    )
    .await
    .expect("linked");
    let scoped = w.key(Channel::PublicWeb, None, vec![campaign.id]).await;
    assert_eq!(
        w.listed(Some(&scoped)).await,
        (vec![s_campaign.slug.clone()], 1)
    );
    assert_eq!(w.fetched(Some(&scoped), &s_web.slug).await, Value::Null);
    assert_eq!(w.listed(Some(&key_web)).await.1, 2);
    let filtered = w
        .read(
            Some(&key_web),
            "{ stories(campaign: \"one-day-without-us\") { totalCount edges { node { slug } } } }",
            json!({}),
        )
        .await;
    assert_eq!(filtered.data()["stories"]["totalCount"], 1);

    // A revoked key reads nothing at all.
    let key_id = api::consumers::keys(
        &w.app.db,
        &w.admin,
        api::pagination::PageRequest::new(None, None).unwrap(),
    )
    .await
    .unwrap()
    .items[0]
        .id;
    consumers::revoke_key(&w.app.db, &w.admin, key_id, clock::now())
        .await
        .unwrap();
    let res = w
        .read(Some(&key_a), "{ stories { totalCount } }", json!({}))
        .await;
    assert_eq!(res.code(), "UNAUTHENTICATED");
}

#[tokio::test]
async fn an_expired_consent_stops_counting_at_that_instant_and_the_worker_records_it() {
    // No worker in this process: the gate alone must hide the story.
    let w = World::with(&[("CHORUS_JOBS_ENABLED", "false")]).await;
    let teller = w.teller(Person::Adult).await;
    let mut t = terms(&[Channel::MobileApp]);
    t.expires_at = Some(clock::now() + Duration::seconds(3));
    let short = fixtures::consent(&w.app.db, teller.id, t).await;
    let story = w.published(teller.id, "Short-lived").await;
    let key = w.key(Channel::MobileApp, None, vec![]).await;
    assert_eq!(w.listed(Some(&key)).await.1, 1);

    let soon = w.teller(Person::Adult).await;
    let mut t = terms(&[Channel::Press]);
    t.expires_at = Some(clock::now() + Duration::days(10));
    let renew_me = fixtures::consent(&w.app.db, soon.id, t).await;
    let later = w.teller(Person::Adult).await;
    let mut t = terms(&[Channel::Press]);
    t.expires_at = Some(clock::now() + Duration::days(60));
    fixtures::consent(&w.app.db, later.id, t).await;
    let res = w
        .app
        .gql(
            Some(&w.editor_token),
            "{ consentsExpiring(withinDays: 30) { id storytellerId } }",
            json!({}),
        )
        .await;
    let ids: Vec<Value> = res.data()["consentsExpiring"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].clone())
        .collect();
    assert_eq!(
        ids,
        vec![
            json!(short.consent.record.id.to_string()),
            json!(renew_me.consent.record.id.to_string())
        ],
        "soonest first, the 60-day one left out"
    );

    tokio::time::sleep(std::time::Duration::from_millis(3200)).await;
    assert_eq!(
        w.listed(Some(&key)).await,
        (vec![], 0),
        "hidden at the instant of expiry"
    );
    assert_eq!(w.fetched(Some(&key), &story.slug).await, Value::Null);

    let marked = consent::expiry::mark_expired(&w.app.db, clock::now())
        .await
        .unwrap();
    assert_eq!(marked, 1);
    assert_eq!(
        consent::expiry::mark_expired(&w.app.db, clock::now())
            .await
            .unwrap(),
        0,
        "once"
    );
    let records = w
        .app
        .gql(
            Some(&w.editor_token),
            "query($id: ID!) { storyteller(id: $id) { consents { status supersedes } consentEvents { action indicatedBy via } } }",
            json!({ "id": teller.id }),
        )
        .await;
    let data = records.data()["storyteller"].clone();
    assert_eq!(data["consents"][1]["status"], "EXPIRED");
    assert_eq!(
        data["consents"][1]["supersedes"],
        short.consent.record.id.to_string().as_str()
    );
    assert_eq!(
        data["consentEvents"][1],
        json!({ "action": "EXPIRED", "indicatedBy": "ORGANISATION", "via": "AUTOMATIC" })
    );
    let takedowns = consent::takedown::of_story(&w.app.db, &w.editor, story.id)
        .await
        .unwrap();
    assert_eq!(takedowns.len(), 1);
    assert_eq!(takedowns[0].reason, "EXPIRED");
    assert_eq!(
        w.editorial(story.id, "state").await["state"],
        "PUBLISHED",
        "expiry is not withdrawal: a renewal brings the story back"
    );
}

#[tokio::test]
async fn a_minors_consent_needs_guardian_and_assent_and_ends_by_their_18th_birthday() {
    let w = World::new().await;
    let child = w.teller(Person::Child).await;
    let input = |changes: Value| json!({ "input": { "storytellerId": child.id, "terms": terms_input(changes) } });
    let far = Utc::now() + Duration::days(365 * 10);
    let res = w
        .app
        .gql(
            Some(&w.editor_token),
            RECORD,
            input(json!({ "childAssent": true, "expiresAt": far })),
        )
        .await;
    assert_eq!(res.code(), "BAD_USER_INPUT");
    assert_eq!(
        res.body["errors"][0]["extensions"]["field"],
        "guardianConsent"
    );
    let res = w
        .app
        .gql(
            Some(&w.editor_token),
            RECORD,
            input(json!({ "guardianConsent": true, "expiresAt": far })),
        )
        .await;
    assert_eq!(res.body["errors"][0]["extensions"]["field"], "childAssent");
    assert!(
        consent::records::of_storyteller(&w.app.db, &w.editor, child.id)
            .await
            .unwrap()
            .is_empty(),
        "refusals record nothing"
    );

    let both = json!({ "guardianConsent": true, "childAssent": true, "expiresAt": far });
    let res = w
        .app
        .gql(Some(&w.editor_token), RECORD, input(both.clone()))
        .await;
    let year = child.year_of_birth.unwrap();
    assert_eq!(
        res.data()["recordConsent"]["consent"]["expiresAt"],
        format!("{}-01-01T00:00:00+00:00", year + 18).as_str(),
        "cut to the earliest possible 18th birthday when only the year is known"
    );
    assert_eq!(res.data()["recordConsent"]["consent"]["subjectMinor"], true);

    // With the date of birth, the exact birthday.
    let born = format!("{year}-06-15");
    let res = w
        .app
        .gql(
            Some(&w.editor_token),
            "mutation($id: ID!, $d: Date!) { updateStoryteller(id: $id, input: { dateOfBirth: $d }) { dateOfBirth yearOfBirth } }",
            json!({ "id": child.id, "d": born }),
        )
        .await;
    assert_eq!(res.data()["updateStoryteller"]["yearOfBirth"], year);
    let res = w.app.gql(Some(&w.editor_token), RECORD, input(both)).await;
    assert_eq!(
        res.data()["recordConsent"]["consent"]["expiresAt"],
        format!("{}-06-15T00:00:00+00:00", year + 18).as_str()
    );

    // Someone turning 18 this year, with only the year known: ask for the date.
    let turning = api::storytellers::create(
        &w.app.db,
        &w.app.state.crypto,
        &w.editor,
        api::storytellers::NewStoryteller {
            public_name: "Sam".into(),
            legal_name: "Sam Legal".into(),
            year_of_birth: Some(Utc::now().year() - 18),
            guardian: Some(api::storytellers::Guardian {
                name: "G".into(),
                relationship: "father".into(),
                authority_basis: "parental responsibility".into(),
                contact: None,
            }),
            ..Default::default()
        },
        clock::now(),
    )
    .await
    .unwrap();
    let res = w
        .app
        .gql(
            Some(&w.editor_token),
            RECORD,
            json!({ "input": { "storytellerId": turning.id, "terms": terms_input(json!({ "guardianConsent": true, "childAssent": true })) } }),
        )
        .await;
    assert_eq!(res.body["errors"][0]["extensions"]["field"], "dateOfBirth");
}

#[tokio::test]
async fn consent_records_are_never_edited_only_superseded() {
    let w = World::new().await;
    let teller = w.teller(Person::Adult).await;
    let res = w
        .app
        .gql(
            Some(&w.editor_token),
            RECORD,
            json!({ "input": { "storytellerId": teller.id, "terms": terms_input(json!({ "channels": ["MOBILE_APP", "PRESS"] })) } }),
        )
        .await;
    let first = res.data()["recordConsent"]["consent"]["id"].clone();
    let amend = "mutation($id: ID!, $t: ConsentTermsInput!) { amendConsent(id: $id, terms: $t) { consent { id status supersedes channels } } }";
    let res = w
        .app
        .gql(
            Some(&w.editor_token),
            amend,
            json!({ "id": first, "t": terms_input(json!({ "channels": ["PRESS"] })) }),
        )
        .await;
    let second = res.data()["amendConsent"]["consent"].clone();
    assert_eq!(second["supersedes"], first);
    assert_eq!(second["status"], "GIVEN");
    assert_eq!(second["channels"], json!(["PRESS"]));
    let res = w
        .app
        .gql(
            Some(&w.editor_token),
            amend,
            json!({ "id": first, "t": terms_input(json!({})) }),
        )
        .await;
    assert_eq!(res.code(), "CONFLICT", "only the current record can change");

    let res = w
        .app
        .gql(
            Some(&w.editor_token),
            "query($id: ID!) { consentRecord(id: $id) { channels supersededBy status } }",
            json!({ "id": first }),
        )
        .await;
    assert_eq!(
        res.data()["consentRecord"],
        json!({ "channels": ["MOBILE_APP", "PRESS"], "supersededBy": second["id"], "status": "GIVEN" }),
        "the old record is as it was"
    );
    let res = w
        .app
        .gql(
            Some(&w.editor_token),
            "mutation($id: ID!) { endConsent(id: $id, ending: REVOKE, indicatedBy: ORGANISATION) { status supersedes } }",
            json!({ "id": second["id"] }),
        )
        .await;
    assert_eq!(
        res.data()["endConsent"],
        json!({ "status": "REVOKED", "supersedes": second["id"] })
    );
    let events = consent::records::events_of(&w.app.db, &w.editor, teller.id)
        .await
        .unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["RECORDED", "AMENDED", "REVOKED"]);

    let db = &w.app.db;
    let backend = db.get_database_backend();
    for sql in [
        "UPDATE consent_events SET action = 'RECORDED'",
        "DELETE FROM consent_events",
        "DELETE FROM consent_records",
    ] {
        assert!(
            db.execute_raw(Statement::from_string(backend, sql))
                .await
                .is_err(),
            "the database refuses: {sql}"
        );
    }
}

#[tokio::test]
async fn anonymous_reads_are_off_by_default_and_count_as_public_web_when_enabled() {
    let w = World::new().await;
    let res = w.read(None, "{ stories { totalCount } }", json!({})).await;
    assert_eq!(res.code(), "UNAUTHENTICATED");
    let res = w
        .app
        .gql(
            Some(&w.editor_token),
            "{ stories { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        res.code(),
        "FORBIDDEN",
        "an editor's read is never a publication"
    );

    let w = World::with(&[("CHORUS_PUBLIC_READS", "true")]).await;
    let web = w.teller(Person::Adult).await;
    fixtures::consent(&w.app.db, web.id, terms(&[Channel::PublicWeb])).await;
    let app_only = w.teller(Person::Adult).await;
    fixtures::consent(&w.app.db, app_only.id, terms(&[Channel::MobileApp])).await;
    let s_web = w.published(web.id, "On the web").await;
    w.published(app_only.id, "In the app").await;
    assert_eq!(w.listed(None).await, (vec![s_web.slug], 1));
}

#[tokio::test]
async fn consent_terms_that_could_harm_are_refused_with_the_field_at_fault() {
    let w = World::new().await;
    let teller = w.teller(Person::Adult).await;
    for (changes, field) in [
        (json!({ "specialCategories": ["HEALTH"] }), "explicit"),
        (json!({ "channels": ["PARTNER_SITES"] }), "partnerIds"),
        (json!({ "channels": [] }), "channels"),
        (
            json!({ "givenAt": Utc::now() + Duration::days(1) }),
            "givenAt",
        ),
        (
            json!({ "expiresAt": Utc::now() - Duration::days(1) }),
            "expiresAt",
        ),
        (json!({ "language": "not a language!" }), "language"),
        (json!({ "noticeHash": "" }), "noticeHash"),
    ] {
        let res = w
            .app
            .gql(
                Some(&w.editor_token),
                RECORD,
                json!({ "input": { "storytellerId": teller.id, "terms": terms_input(changes.clone()) } }),
            )
            .await;
        assert_eq!(res.code(), "BAD_USER_INPUT", "{changes}");
        assert_eq!(
            res.body["errors"][0]["extensions"]["field"], field,
            "{changes}"
        );
    }
    let ok = w
        .app
        .gql(
            Some(&w.editor_token),
            RECORD,
            json!({ "input": { "storytellerId": teller.id, "terms": terms_input(json!({ "specialCategories": ["HEALTH"], "explicit": true })) } }),
        )
        .await;
    assert_eq!(ok.data()["recordConsent"]["consent"]["status"], "GIVEN");
    assert_eq!(
        consent::records::of_storyteller(&w.app.db, &w.editor, teller.id)
            .await
            .unwrap()
            .len(),
        1,
        "the refused ones recorded nothing"
    );
}

#[tokio::test]
async fn names_and_regions_follow_the_most_protective_of_story_and_consent() {
    let w = World::new().await;
    let teller = w.teller(Person::Adult).await;
    let mut t = terms(&[Channel::MobileApp]);
    t.identity_level = IdentityLevel::Pseudonym;
    t.location_precision = LocationPrecision::Region;
    fixtures::consent(&w.app.db, teller.id, t).await;
    let story = w.approved(teller.id, "Where I live now").await;
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
    let story = w.publish(&story).await;
    let key = w.key(Channel::MobileApp, None, vec![]).await;
    let query =
        "query($s: String!) { story(slug: $s) { region storyteller { name isPseudonym } } }";
    let res = w.read(Some(&key), query, json!({ "s": story.slug })).await;
    assert_eq!(
        res.data()["story"],
        json!({ "region": "United Kingdom / North West", "storyteller": { "name": "Amal", "isPseudonym": true } })
    );

    // The story's own setting is stricter than the consent: it wins.
    sea_orm::ActiveModelTrait::update(
        story::ActiveModel {
            id: sea_orm::Set(story.id),
            identity_level: sea_orm::Set(IdentityLevel::Anonymous),
            location_precision: sea_orm::Set(LocationPrecision::Country),
            ..Default::default()
        },
        &w.app.db,
    )
    .await
    .expect("updated");
    let res = w.read(Some(&key), query, json!({ "s": story.slug })).await;
    assert_eq!(
        res.data()["story"],
        json!({ "region": "United Kingdom", "storyteller": null })
    );
}

#[tokio::test]
async fn the_background_worker_marks_expired_consents_without_anyone_acting() {
    // The test servers poll every second.
    let w = World::new().await;
    let teller = w.teller(Person::Adult).await;
    let mut t = terms(&[Channel::MobileApp]);
    t.expires_at = Some(clock::now() + Duration::seconds(1));
    fixtures::consent(&w.app.db, teller.id, t).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let statuses: Vec<_> = consent::records::of_storyteller(&w.app.db, &w.editor, teller.id)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.status)
            .collect();
        if statuses.contains(&entity::consent_record::Status::Expired) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not marked: {statuses:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}
