//! Stories sent in by storytellers through a campaign site's `SUBMISSIONS` key:
//! a proof of work spent once, limits that hold under parallel load, a
//! honeypot, spam blocks, media through the same stripping intake, and a draft
//! no reader sees until the workflow publishes it.

use api::{
    auth::{Principal, Role, sha256_hex},
    campaigns::{self, NewCampaign},
    clock,
    consumers::{self, NewKey},
    media::strip::fixtures,
    stories::workflow,
};
use base64::{Engine, engine::general_purpose::STANDARD};
use entity::{
    api_key::Channel, audit_event, consent_record, media_asset, story, storyteller, submission,
};
use reqwest::multipart::{Form, Part};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    fixtures as domain,
    helpers::{GqlResponse, TestApp, spawn_app_with},
    storage::read_all,
};

pub(crate) const CHALLENGE: &str =
    "query { submissionChallenge { algorithm challenge salt maxNumber signature } }";
pub(crate) const SUBMIT: &str = "mutation($input: SendInStoryInput!) {
  sendInStory(input: $input) { storyId receivedAt withdrawalCode receipt { receiptId hash language json } }
}";

/// A server with a small difficulty (the tests solve challenges in a loop) and,
/// unless a test says otherwise, no per-address limit in the way.
async fn app_with(overrides: &[(&str, &str)]) -> TestApp {
    let mut vars = vec![
        ("CHORUS_SUBMISSION_MAX_NUMBER", "2000"),
        ("CHORUS_SUBMISSION_MAX_PER_ADDRESS", "1000"),
    ];
    vars.extend_from_slice(overrides);
    spawn_app_with(&vars).await
}

/// A campaign, a platform admin, and a `SUBMISSIONS` key bound to the campaign.
struct Site {
    admin: Principal,
    campaign_id: Uuid,
    key: String,
    key_id: Uuid,
}

async fn site(app: &TestApp) -> Site {
    let admin = domain::staff(&app.db, "admin@chorus.test", Role::Admin).await;
    let campaign = campaigns::create(
        &app.db,
        &admin,
        NewCampaign {
            slug: "we-are-all-migrants".into(),
            name: "We Are All Migrants".into(),
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
    let (key, secret) = key(app, &admin, Channel::Submissions, vec![campaign.id], None).await;
    Site {
        admin,
        campaign_id: campaign.id,
        key: secret,
        key_id: key,
    }
}

async fn key(
    app: &TestApp,
    admin: &Principal,
    channel: Channel,
    campaign_ids: Vec<Uuid>,
    partner_id: Option<Uuid>,
) -> (Uuid, String) {
    let (key, secret) = consumers::create_key(
        &app.db,
        admin,
        NewKey {
            name: format!("{channel:?} site"),
            channel,
            partner_id,
            campaign_ids,
            expires_at: None,
        },
        clock::now(),
    )
    .await
    .expect("key");
    (key.id, secret)
}

pub(crate) async fn with_key(
    app: &TestApp,
    key: Option<&str>,
    query: &str,
    variables: Value,
) -> GqlResponse {
    let mut req = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(key) = key {
        req = req.header("x-api-key", key);
    }
    GqlResponse::read(req.send().await.expect("sent")).await
}

/// Solves a challenge as a browser does: tries every number until the hash matches.
pub(crate) fn solve(c: &Value) -> String {
    let salt = c["salt"].as_str().expect("salt");
    let max = c["maxNumber"].as_u64().expect("maxNumber");
    let number = (0..=max)
        .find(|n| sha256_hex(format!("{salt}{n}").as_bytes()) == c["challenge"])
        .expect("a solution");
    payload(c, number)
}

fn payload(c: &Value, number: u64) -> String {
    STANDARD.encode(
        json!({
            "algorithm": c["algorithm"],
            "challenge": c["challenge"],
            "number": number,
            "salt": c["salt"],
            "signature": c["signature"],
        })
        .to_string(),
    )
}

async fn challenge(app: &TestApp, key: &str) -> Value {
    let res = with_key(app, Some(key), CHALLENGE, json!({})).await;
    res.data()["submissionChallenge"].clone()
}

async fn proof(app: &TestApp, key: &str) -> String {
    solve(&challenge(app, key).await)
}

/// A complete submission, anonymous unless `contact` is set.
pub(crate) fn input(proof: Option<&str>, title: &str) -> Value {
    json!({
        "title": title,
        "summary": "How I came to cook for my street.",
        "body": "I arrived in *2015*. This is my story.",
        "language": "en",
        "publicName": "Amal",
        "yearOfBirth": 1988,
        "region": "Yorkshire",
        "consent": {
            "channels": ["PUBLIC_WEB"],
            "identityLevel": "PSEUDONYM",
            "language": "en",
            "noticeVersion": "2026-01",
            "noticeHash": "sha256:1f2e",
            "jurisdiction": "UK",
        },
        "proof": proof,
    })
}

async fn submit(app: &TestApp, key: &str, input: Value) -> GqlResponse {
    with_key(app, Some(key), SUBMIT, json!({ "input": input })).await
}

pub(crate) fn reason(res: &GqlResponse) -> &str {
    res.body["errors"][0]["extensions"]["reason"]
        .as_str()
        .unwrap_or_else(|| panic!("expected a reason: {}", res.body))
}

async fn stories(app: &TestApp) -> u64 {
    story::Entity::find().count(&app.db).await.unwrap()
}

#[tokio::test]
async fn a_story_with_a_valid_proof_becomes_a_flagged_draft_with_its_receipt_and_code() {
    let app = app_with(&[]).await;
    let site = site(&app).await;
    let c = challenge(&app, &site.key).await;
    assert_eq!(c["algorithm"], "SHA-256");
    assert_eq!(c["maxNumber"], 2000);
    assert!(
        c["salt"]
            .as_str()
            .unwrap()
            .ends_with(&format!("&key={}", site.key_id)),
        "{c}"
    );
    let mut sent = input(Some(&solve(&c)), "Cooking for my street");
    sent["contact"] = json!("amal@example.org");
    let res = submit(&app, &site.key, sent).await;
    assert_eq!(res.status, 200);
    assert_eq!(res.headers["cache-control"], "no-store");
    let answer = &res.data()["sendInStory"];
    assert_eq!(answer["withdrawalCode"].as_str().unwrap().len(), 29);
    let receipt: Value = serde_json::from_str(answer["receipt"]["json"].as_str().unwrap()).unwrap();
    assert!(!receipt.to_string().contains("amal@example.org"));
    assert_eq!(answer["receipt"]["language"], "en");

    let story_id: Uuid = answer["storyId"].as_str().unwrap().parse().unwrap();
    let story = story::Entity::find_by_id(story_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(story.state, story::State::Draft);
    assert_eq!(story.identity_level, story::IdentityLevel::Pseudonym);
    let teller = storyteller::Entity::find_by_id(story.storyteller_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let contact = teller.contact_enc.expect("a contact was given");
    assert!(!contact.contains("amal@example.org"), "encrypted at rest");
    let consent = consent_record::Entity::find()
        .filter(consent_record::Column::StorytellerId.eq(teller.id))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(consent.method, consent_record::Method::OnlineForm);
    assert_eq!(consent.status, consent_record::Status::Given);
    assert_eq!(consent.story_id, Some(story_id));
    let sub = submission::Entity::find()
        .filter(submission::Column::StoryId.eq(story_id))
        .one(&app.db)
        .await
        .unwrap()
        .expect("flagged as sent in");
    assert_eq!(sub.campaign_id, site.campaign_id);
    assert!(!sub.address_hash.contains("127.0.0.1"));
    assert_eq!(sub.address_hash.len(), 64);

    // In the review queue, flagged, in the key's campaign.
    let editor = app.token_for("editor@chorus.test", Role::Editor).await;
    let res = app
        .gql(
            Some(&editor),
            "{ reviewQueue { edges { node { id state campaigns { id } submission { spam campaignId } createdBy { id } } } } }",
            json!({}),
        )
        .await;
    let node = &res.data()["reviewQueue"]["edges"][0]["node"];
    assert_eq!(node["id"], story_id.to_string());
    assert_eq!(node["state"], "DRAFT");
    assert_eq!(node["submission"]["spam"], false);
    assert_eq!(node["campaigns"][0]["id"], site.campaign_id.to_string());
    assert!(node["createdBy"].is_null());

    let received = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("submission.received"))
        .one(&app.db)
        .await
        .unwrap()
        .expect("audited");
    assert_eq!(received.actor, "api_key");
    assert!(!received.detail.contains("amal"), "{}", received.detail);
}

#[tokio::test]
async fn a_story_without_a_proof_or_with_a_wrong_or_replayed_one_is_refused() {
    let app = app_with(&[]).await;
    let site = site(&app).await;

    let res = submit(&app, &site.key, input(None, "No proof")).await;
    assert_eq!(res.code(), "SUBMISSION_REFUSED");
    assert_eq!(reason(&res), "PROOF_MISSING");

    let c = challenge(&app, &site.key).await;
    let right = solve(&c);
    let number = (0..=2000u64)
        .find(|n| {
            sha256_hex(format!("{}{n}", c["salt"].as_str().unwrap()).as_bytes()) != c["challenge"]
        })
        .unwrap();
    let res = submit(&app, &site.key, input(Some(&payload(&c, number)), "Wrong")).await;
    assert_eq!(reason(&res), "PROOF_INVALID", "{}", res.body);
    let mut forged = c.clone();
    forged["signature"] = json!("00".repeat(32));
    let res = submit(&app, &site.key, input(Some(&solve(&forged)), "Forged")).await;
    assert_eq!(reason(&res), "PROOF_INVALID");
    let res = submit(&app, &site.key, input(Some("bm90IGpzb24="), "Junk")).await;
    assert_eq!(reason(&res), "PROOF_INVALID");

    // Another site's key cannot use this site's challenge.
    let (_, other) = key(
        &app,
        &site.admin,
        Channel::Submissions,
        vec![site.campaign_id],
        None,
    )
    .await;
    let res = submit(&app, &other, input(Some(&right), "Borrowed")).await;
    assert_eq!(reason(&res), "PROOF_INVALID");
    assert_eq!(stories(&app).await, 0, "nothing stored");

    let res = submit(&app, &site.key, input(Some(&right), "Once")).await;
    res.data();
    let res = submit(&app, &site.key, input(Some(&right), "Twice")).await;
    assert_eq!(res.code(), "SUBMISSION_REFUSED");
    assert_eq!(reason(&res), "PROOF_SPENT");
    assert_eq!(stories(&app).await, 1);
}

#[tokio::test]
async fn an_expired_proof_is_refused() {
    let app = app_with(&[("CHORUS_SUBMISSION_CHALLENGE_TTL", "1s")]).await;
    let site = site(&app).await;
    let proof = proof(&app, &site.key).await;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let res = submit(&app, &site.key, input(Some(&proof), "Late")).await;
    assert_eq!(reason(&res), "PROOF_EXPIRED", "{}", res.body);
    assert_eq!(stories(&app).await, 0);
}

#[tokio::test]
async fn one_proof_sent_twice_at_once_is_accepted_exactly_once() {
    let app = app_with(&[]).await;
    let site = site(&app).await;
    let proof = proof(&app, &site.key).await;
    let (a, b) = tokio::join!(
        submit(&app, &site.key, input(Some(&proof), "First")),
        submit(&app, &site.key, input(Some(&proof), "Second")),
    );
    let won = [&a, &b]
        .iter()
        .filter(|r| r.body["errors"].is_null())
        .count();
    assert_eq!(won, 1, "{} / {}", a.body, b.body);
    let lost = if a.body["errors"].is_null() { &b } else { &a };
    assert_eq!(reason(lost), "PROOF_SPENT", "{}", lost.body);
    assert_eq!(stories(&app).await, 1);
}

/// Sends `n` submissions at once, each with its own proof; returns how many
/// were accepted and the codes of the rest.
async fn burst(app: &TestApp, key: &str, n: usize) -> (usize, Vec<String>) {
    // Every proof first, so the requests really do arrive together.
    let mut requests = Vec::new();
    for i in 0..n {
        let proof = proof(app, key).await;
        requests.push(
            app.client
                .post(app.url("/graphql"))
                .header("x-api-key", key)
                .json(&json!({
                    "query": SUBMIT,
                    "variables": { "input": input(Some(&proof), &format!("Story {i}")) },
                })),
        );
    }
    let mut sends = tokio::task::JoinSet::new();
    for request in requests {
        sends.spawn(async move { GqlResponse::read(request.send().await.expect("sent")).await });
    }
    let answers = sends.join_all().await;
    let accepted = answers
        .iter()
        .filter(|r| r.body["errors"].is_null())
        .count();
    let refused = answers
        .iter()
        .filter(|r| !r.body["errors"].is_null())
        .map(|r| r.code().to_owned())
        .collect();
    (accepted, refused)
}

#[tokio::test]
async fn the_per_address_limit_holds_under_30_parallel_submissions() {
    let app = app_with(&[("CHORUS_SUBMISSION_MAX_PER_ADDRESS", "5")]).await;
    let site = site(&app).await;
    let (accepted, refused) = burst(&app, &site.key, 30).await;
    assert_eq!(accepted, 5, "{refused:?}");
    assert!(refused.iter().all(|c| c == "RATE_LIMITED"), "{refused:?}");
    assert_eq!(stories(&app).await, 5);
}

#[tokio::test]
async fn the_per_key_limit_holds_under_30_parallel_submissions() {
    let app = app_with(&[("CHORUS_SUBMISSION_MAX_PER_KEY", "7")]).await;
    let site = site(&app).await;
    let (accepted, refused) = burst(&app, &site.key, 30).await;
    assert_eq!(accepted, 7, "{refused:?}");
    assert!(refused.iter().all(|c| c == "RATE_LIMITED"), "{refused:?}");
    assert_eq!(stories(&app).await, 7);
    // Another site's key has its own count.
    let (_, other) = key(
        &app,
        &site.admin,
        Channel::Submissions,
        vec![site.campaign_id],
        None,
    )
    .await;
    let proof = proof(&app, &other).await;
    submit(&app, &other, input(Some(&proof), "Elsewhere"))
        .await
        .data();
}

#[tokio::test]
async fn a_filled_honeypot_is_refused_and_nothing_is_stored() {
    let app = app_with(&[]).await;
    let site = site(&app).await;
    let proof = proof(&app, &site.key).await;
    let mut sent = input(Some(&proof), "Buy now");
    sent["honeypot"] = json!("https://spam.example");
    let res = submit(&app, &site.key, sent).await;
    assert_eq!(res.code(), "SUBMISSION_REFUSED");
    assert_eq!(reason(&res), "HONEYPOT");
    assert_eq!(stories(&app).await, 0);
    assert_eq!(storyteller::Entity::find().count(&app.db).await.unwrap(), 0);
    // The proof was not spent: a person's retry goes through.
    submit(&app, &site.key, input(Some(&proof), "Real"))
        .await
        .data();
}

#[tokio::test]
async fn an_anonymous_submission_keeps_no_contact() {
    let app = app_with(&[]).await;
    let site = site(&app).await;
    let proof = proof(&app, &site.key).await;
    submit(&app, &site.key, input(Some(&proof), "Anonymous"))
        .await
        .data();
    let teller = storyteller::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(teller.contact_enc.is_none());
    assert!(teller.guardian_enc.is_none());
}

#[tokio::test]
async fn submission_keys_are_bound_to_one_campaign_and_read_nothing() {
    let app = app_with(&[]).await;
    let site = site(&app).await;
    let admin = app.token_for("admin2@chorus.test", Role::Admin).await;
    let create = "mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }";
    for campaigns in [json!([]), json!([site.campaign_id, Uuid::now_v7()])] {
        let res = app
            .gql(
                Some(&admin),
                create,
                json!({ "input": { "name": "Form", "channel": "SUBMISSIONS", "campaignIds": campaigns } }),
            )
            .await;
        assert_eq!(res.code(), "BAD_USER_INPUT", "{}", res.body);
    }
    for query in [
        "{ stories { edges { node { slug } } } }",
        "{ story(slug: \"anything\") { slug } }",
    ] {
        let res = with_key(&app, Some(&site.key), query, json!({})).await;
        assert_eq!(res.code(), "FORBIDDEN", "{query}: {}", res.body);
    }
    let (_, web) = key(&app, &site.admin, Channel::PublicWeb, vec![], None).await;
    let res = with_key(&app, Some(&web), CHALLENGE, json!({})).await;
    assert_eq!(res.code(), "FORBIDDEN");
    let res = with_key(&app, None, CHALLENGE, json!({})).await;
    assert_eq!(res.code(), "UNAUTHENTICATED");
    let res = submit(&app, &web, input(Some("x"), "Through a reading key")).await;
    assert_eq!(res.code(), "FORBIDDEN");

    // Each challenge is new, never a cached answer.
    let a = challenge(&app, &site.key).await;
    let b = challenge(&app, &site.key).await;
    assert_ne!(a["challenge"], b["challenge"]);
}

/// What a reading key sees of the story: listed, and by slug.
async fn sees(app: &TestApp, key: &str, slug: &str) -> bool {
    let res = with_key(
        app,
        Some(key),
        "query($slug: String!) { stories { totalCount edges { node { slug } } } story(slug: $slug) { slug } }",
        json!({ "slug": slug }),
    )
    .await;
    let data = res.data();
    let listed = data["stories"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["node"]["slug"] == slug);
    assert_eq!(listed, !data["story"].is_null(), "{}", res.body);
    listed
}

/// Sends a story in and returns its row and the withdrawal code.
async fn sent_in(app: &TestApp, site: &Site, channels: Value) -> (story::Model, String) {
    let proof = proof(app, &site.key).await;
    let mut sent = input(Some(&proof), "My first winter");
    sent["consent"]["channels"] = channels;
    let res = submit(app, &site.key, sent).await;
    let answer = &res.data()["sendInStory"];
    let id: Uuid = answer["storyId"].as_str().unwrap().parse().unwrap();
    let story = story::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    (story, answer["withdrawalCode"].as_str().unwrap().to_owned())
}

/// Takes the story through review and publishes it, as editors do.
async fn publish(app: &TestApp, story: &story::Model) {
    let editor = domain::staff(&app.db, "publisher@chorus.test", Role::Editor).await;
    let story = workflow::submit(&app.db, &editor, story.id, None, clock::now())
        .await
        .expect("submitted for review");
    domain::sign_off(&app.db, &editor, &story).await;
    workflow::approve(&app.db, &editor, true, story.id, None, clock::now())
        .await
        .expect("approved by an editor who did not write it");
    workflow::publish(&app.db, &editor, story.id, None, None, clock::now())
        .await
        .expect("published");
}

#[tokio::test]
async fn a_story_sent_in_is_invisible_to_every_reader_until_it_is_published() {
    let app = app_with(&[]).await;
    let site = site(&app).await;
    let partner =
        consumers::create_partner(&app.db, &site.admin, "partner", "Partner", clock::now())
            .await
            .unwrap();
    let mut readers = Vec::new();
    for channel in [
        Channel::PublicWeb,
        Channel::PartnerSites,
        Channel::MobileApp,
        Channel::SocialMedia,
        Channel::Press,
        Channel::PrintExhibition,
        Channel::ResearchArchive,
    ] {
        let partner_id = (channel == Channel::PartnerSites).then_some(partner.id);
        readers.push((
            channel,
            key(&app, &site.admin, channel, vec![], partner_id).await.1,
        ));
    }
    let channels = json!([
        "PUBLIC_WEB",
        "PARTNER_SITES",
        "MOBILE_APP",
        "SOCIAL_MEDIA",
        "PRESS",
        "PRINT_EXHIBITION",
        "RESEARCH_ARCHIVE"
    ]);
    let proof = proof(&app, &site.key).await;
    let mut sent = input(Some(&proof), "Every channel");
    sent["consent"]["channels"] = channels;
    sent["consent"]["allPartners"] = json!(true);
    let id: Uuid = submit(&app, &site.key, sent).await.data()["sendInStory"]["storyId"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let story = story::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    for (channel, key) in &readers {
        assert!(
            !sees(&app, key, &story.slug).await,
            "{channel:?} sees a draft"
        );
    }
    publish(&app, &story).await;
    for (channel, key) in &readers {
        assert!(
            sees(&app, key, &story.slug).await,
            "{channel:?} after publishing"
        );
    }
}

#[tokio::test]
async fn the_withdrawal_code_handed_back_withdraws_the_story_sent_in() {
    let app = app_with(&[]).await;
    let site = site(&app).await;
    let (_, web) = key(&app, &site.admin, Channel::PublicWeb, vec![], None).await;
    let (story, code) = sent_in(&app, &site, json!(["PUBLIC_WEB"])).await;
    publish(&app, &story).await;
    assert!(sees(&app, &web, &story.slug).await);

    let res = app
        .gql(
            None,
            "mutation($c: String!) { withdrawConsent(code: $c) { withdrawn consentsWithdrawn } }",
            json!({ "c": code }),
        )
        .await;
    assert_eq!(
        res.data()["withdrawConsent"],
        json!({ "withdrawn": true, "consentsWithdrawn": 1 })
    );
    assert!(!sees(&app, &web, &story.slug).await, "gone at once");

    // An unpublished one leaves the workflow once withdrawn.
    let (draft, code) = sent_in(&app, &site, json!(["PUBLIC_WEB"])).await;
    app.gql(
        None,
        "mutation($c: String!) { withdrawConsent(code: $c) { withdrawn } }",
        json!({ "c": code }),
    )
    .await
    .data();
    let draft = story::Entity::find_by_id(draft.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        draft.state,
        story::State::Withdrawn,
        "out of the workflow for good"
    );
    let editor = domain::staff(&app.db, "late@chorus.test", Role::Editor).await;
    assert!(
        workflow::submit(&app.db, &editor, draft.id, None, clock::now())
            .await
            .is_err()
    );
    assert!(!sees(&app, &web, &draft.slug).await);
}

/// A multipart `sendInStory` with `files` as `variables.input.media`.
async fn submit_with_media(
    app: &TestApp,
    key: &str,
    mut input: Value,
    files: Vec<(&str, Vec<u8>)>,
) -> GqlResponse {
    input["media"] = json!(files.iter().map(|_| Value::Null).collect::<Vec<_>>());
    let mut map = serde_json::Map::new();
    for (i, _) in files.iter().enumerate() {
        map.insert(i.to_string(), json!([format!("variables.input.media.{i}")]));
    }
    let mut form = Form::new()
        .text(
            "operations",
            json!({ "query": SUBMIT, "variables": { "input": input } }).to_string(),
        )
        .text("map", Value::Object(map).to_string());
    for (i, (name, bytes)) in files.into_iter().enumerate() {
        form = form.part(i.to_string(), Part::bytes(bytes).file_name(name.to_owned()));
    }
    let res = app
        .client
        .post(app.url("/graphql"))
        .header("x-api-key", key)
        .header("graphql-preflight", "1")
        .multipart(form)
        .send()
        .await
        .expect("sent");
    GqlResponse::read(res).await
}

#[tokio::test]
async fn photos_sent_in_are_stored_without_their_metadata() {
    let app = app_with(&[]).await;
    let site = site(&app).await;
    let proof = proof(&app, &site.key).await;
    let res = submit_with_media(
        &app,
        &site.key,
        input(Some(&proof), "With a photo"),
        vec![("IMG_0001.jpg", fixtures::jpeg_with_metadata(6))],
    )
    .await;
    let id = res.data()["sendInStory"]["storyId"]
        .as_str()
        .unwrap()
        .to_owned();
    let asset = media_asset::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(asset.story_id.map(|s| s.to_string()), Some(id));
    assert!(asset.shows_faces, "faces assumed until an editor looks");
    let stored = read_all(
        app.state
            .storage
            .get(&asset.storage_key, None)
            .await
            .unwrap()
            .bytes,
    )
    .await;
    for needle in [
        b"Exif".as_slice(),
        fixtures::LOCATION.as_bytes(),
        &fixtures::rational_bytes(fixtures::GPS_LATITUDE),
    ] {
        assert!(
            !fixtures::contains(&stored, needle),
            "{:?} survived",
            String::from_utf8_lossy(needle)
        );
    }
    assert_eq!(asset.sha256, sha256_hex(&stored));

    // A file that is no photo or recording leaves nothing, not even the story.
    let proof = self::proof(&app, &site.key).await;
    let res = submit_with_media(
        &app,
        &site.key,
        input(Some(&proof), "With a PDF"),
        vec![("form.pdf", b"%PDF-1.4\n%%EOF\n".to_vec())],
    )
    .await;
    assert_eq!(res.code(), "UNSUPPORTED_MEDIA_TYPE", "{}", res.body);
    assert_eq!(stories(&app).await, 1);
    assert_eq!(media_asset::Entity::find().count(&app.db).await.unwrap(), 1);
    assert_eq!(app.state.storage.list("").await.unwrap().len(), 1);

    // Reading keys still never upload.
    let (_, web) = key(&app, &site.admin, Channel::PublicWeb, vec![], None).await;
    let res = submit_with_media(
        &app,
        &web,
        input(Some(&proof), "Through a reading key"),
        vec![("a.jpg", fixtures::jpeg_with_metadata(1))],
    )
    .await;
    assert_eq!(res.status, 403);
    assert_eq!(res.code(), "FORBIDDEN");
}

#[tokio::test]
async fn spam_marked_and_blocked_refuses_the_next_submission_until_unblocked() {
    let app = app_with(&[]).await;
    let site = site(&app).await;
    let (spam, _) = sent_in(&app, &site, json!(["PUBLIC_WEB"])).await;
    let editor = app.token_for("editor@chorus.test", Role::Editor).await;
    let res = app
        .gql(
            Some(&editor),
            "mutation($id: ID!) { markSubmissionSpam(storyId: $id, block: true) {
               submission { spam } story { state } blocks { id kind apiKeyId expiresAt } } }",
            json!({ "id": spam.id }),
        )
        .await;
    let marked = &res.data()["markSubmissionSpam"];
    assert_eq!(marked["submission"]["spam"], true);
    assert_eq!(marked["story"]["state"], "ARCHIVED");
    assert_eq!(marked["blocks"][0]["kind"], "ADDRESS");
    assert!(marked["blocks"][0]["apiKeyId"].is_null());
    assert!(!marked["blocks"][0]["expiresAt"].is_null());
    let block_id = marked["blocks"][0]["id"].as_str().unwrap().to_owned();

    let res = app
        .gql(
            Some(&editor),
            "{ reviewQueue { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        res.data()["reviewQueue"]["edges"],
        json!([]),
        "out of the queue"
    );

    let proof = proof(&app, &site.key).await;
    let res = submit(&app, &site.key, input(Some(&proof), "Again")).await;
    assert_eq!(res.code(), "SUBMISSION_REFUSED");
    assert_eq!(reason(&res), "BLOCKED");
    assert_eq!(stories(&app).await, 1);

    let res = app
        .gql(
            Some(&editor),
            "{ submissionBlocks { edges { node { id kind storyId } } } }",
            json!({}),
        )
        .await;
    let blocks = res.data()["submissionBlocks"]["edges"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(blocks.len(), 1);
    assert_eq!(blocks[0]["node"]["storyId"], spam.id.to_string());

    // Contributors cannot mark or unblock.
    let contributor = app.token_for("c@chorus.test", Role::Contributor).await;
    let res = app
        .gql(
            Some(&contributor),
            "mutation($id: ID!) { unblockSubmissionSource(id: $id) { id } }",
            json!({ "id": block_id }),
        )
        .await;
    assert_eq!(res.code(), "FORBIDDEN");

    let res = app
        .gql(
            Some(&editor),
            "mutation($id: ID!) { unblockSubmissionSource(id: $id) { liftedAt } }",
            json!({ "id": block_id }),
        )
        .await;
    assert!(!res.data()["unblockSubmissionSource"]["liftedAt"].is_null());
    submit(&app, &site.key, input(Some(&proof), "After the block"))
        .await
        .data();

    // Blocking the key refuses the whole site.
    let (next, _) = sent_in(&app, &site, json!(["PUBLIC_WEB"])).await;
    app.gql(
        Some(&editor),
        "mutation($id: ID!) { markSubmissionSpam(storyId: $id, blockKey: true) { blocks { kind apiKeyId } } }",
        json!({ "id": next.id }),
    )
    .await
    .data();
    let proof = self::proof(&app, &site.key).await;
    let res = submit(&app, &site.key, input(Some(&proof), "Blocked site")).await;
    assert_eq!(reason(&res), "BLOCKED");

    // The log names the steps, never the address or its hash.
    let sub = submission::Entity::find()
        .filter(submission::Column::StoryId.eq(spam.id))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    for action in [
        "submission.marked_spam",
        "submission.source_blocked",
        "submission.source_unblocked",
    ] {
        let events = audit_event::Entity::find()
            .filter(audit_event::Column::Action.eq(action))
            .all(&app.db)
            .await
            .unwrap();
        assert!(!events.is_empty(), "{action} audited");
        for e in events {
            assert!(!e.detail.contains(&sub.address_hash), "{}", e.detail);
        }
    }
}

#[tokio::test]
async fn the_documents_in_the_submissions_guide_run_as_written() {
    let app = app_with(&[]).await;
    let site = site(&app).await;
    let guide = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/SUBMISSIONS.md"),
    )
    .expect("docs/SUBMISSIONS.md");
    let blocks = fenced(&guide, "graphql");
    let scripts = fenced(&guide, "js").join("\n") + &fenced(&guide, "html").join("\n");
    let squash = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let (mut query, mut mutation) = (None, None);
    for block in &blocks {
        // The site's JavaScript sends exactly the documents the guide shows.
        assert!(
            squash(&scripts).contains(&squash(block)),
            "the JavaScript does not send:\n{block}"
        );
        if block.trim_start().starts_with("query") {
            query = Some(block.clone());
        } else {
            mutation = Some(block.clone());
        }
    }
    let (query, mutation) = (query.expect("a query"), mutation.expect("a mutation"));
    let c = with_key(&app, Some(&site.key), &query, json!({}))
        .await
        .data()["submissionChallenge"]
        .clone();
    let res = with_key(
        &app,
        Some(&site.key),
        &mutation,
        json!({ "input": input(Some(&solve(&c)), "From the guide") }),
    )
    .await;
    assert!(!res.data()["sendInStory"]["withdrawalCode"].is_null());
}

/// The blocks of a Markdown text fenced with ```lang.
fn fenced(text: &str, lang: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut block: Option<String> = None;
    for line in text.lines() {
        match &mut block {
            None if line.trim_start() == format!("```{lang}") => block = Some(String::new()),
            Some(b) if line.trim_start() == "```" => {
                found.push(std::mem::take(b));
                block = None;
            }
            Some(b) => {
                b.push_str(line);
                b.push('\n');
            }
            None => {}
        }
    }
    found
}
