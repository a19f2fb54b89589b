//! The acceptance matrix of organisation scope (issue 16, slice 2). One world per
//! test: member organisations A and B, each with staff, a partner and its key, a
//! campaign and everything filed under it (a storyteller with personal data, a
//! story with two revisions, a consent, an image, consent evidence, a comment, a
//! pending upload, a takedown), a story in no campaign and a storyteller with no
//! story; and a second campaign B shares with A. Then a table of every staff
//! query and mutation, run as A's staff on B's records: each must answer exactly
//! as for an id that does not exist (or leave B's records out of a list), must
//! find A's own record (so no case passes by refusing everything) and, where
//! marked, the shared campaign's; platform admins find B's. A mutation must also
//! leave B's records, the row counts, the jobs about B and A's audit trail as
//! they were. The completeness test fails when a staff field of
//! `schema.graphql` is neither in the table nor in [`NOT_RECORD_SCOPED`], so a
//! new field cannot forget the scope unnoticed.

use std::collections::BTreeSet;

use api::{
    clock,
    media::{links::Holder, strip::fixtures},
};
use async_graphql_parser::types::{DocumentOperations, Selection, TypeKind, TypeSystemDefinition};
use entity::{
    api_key, audit_event, campaign, campaign_event, campaign_event_story, consent_record, job,
    media_asset, media_upload, partner_origin, review_comment, risk_assessment, story,
    story_revision, storyteller, storyteller_review, submission, submission_block, takedown,
    webhook_delivery, webhook_endpoint,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, ExprTrait, PaginatorTrait, QueryFilter, Set,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    helpers::{GqlResponse, TestApp, spawn_media_app},
    organisations::{create_campaign, id_of, invite_and_sign_in},
    submissions,
};

/// Staff fields that hold no organisation's records, so the matrix leaves them
/// out. Anything else in `Query` or `Mutation` must be a case in [`cases`].
const NOT_RECORD_SCOPED: &[&str] = &[
    // Consumers (API keys, anonymous readers): the consent gate alone decides,
    // and staff are refused there.
    "stories",
    "story",
    "storyChanges",
    // The caller's own session and account, or an account not made yet.
    "me",
    "login",
    "refreshSession",
    "logout",
    "acceptInvite",
    // The storyteller's own code, no account.
    "withdrawConsent",
    // Tags are shared vocabulary of the whole archive, owned by no organisation.
    "tags",
    "tag",
    "createTag",
    "updateTag",
    // Creating a campaign or storyteller makes it the caller's organisation's;
    // pointing at another's is what `createStory` and `recordConsent` test.
    "createCampaign",
    "createStoryteller",
    // Platform admins only; the partner itself is listed by `partners`.
    "createPartner",
    // Organisations and sharing: who may do what is tested in organisations.rs
    // (an organisation admin is FORBIDDEN on another organisation).
    "organisations",
    "createOrganisation",
    "renameOrganisation",
    "inviteUser",
    "setUserOrganisation",
    "setCampaignOwner",
    "shareCampaign",
    "unshareCampaign",
    // An organisation's own controller details: its admins and platform admins
    // only, another organisation's admin is FORBIDDEN (tests/api/receipts.rs).
    "setOrganisationController",
    // A campaign site's `SUBMISSIONS` key, bound to one campaign; staff are
    // refused there (tests/api/submissions.rs).
    "submissionChallenge",
    "sendInStory",
    // A partner's own takedowns, with its API key; staff are refused there
    // (tests/api/webhooks.rs) and see them through `outstandingTakedowns`.
    "takedownRequests",
    "acknowledgeTakedown",
];

const PLATFORM_ADMIN: &str = "platform@chorus.test";

/// The ids of one organisation's records, as GraphQL gave them.
#[derive(Debug, Clone, Default)]
struct Records {
    organisation: String,
    campaign: String,
    campaign_slug: String,
    storyteller: String,
    story: String,
    story_slug: String,
    first_revision: String,
    revision: String,
    /// The story's version (read again before a mutation sends it).
    version: i64,
    consent: String,
    image: String,
    evidence: String,
    comment: String,
    upload: String,
    /// A contributor whose account the user cases change.
    spare: String,
    /// Every account of the organisation.
    users: Vec<String>,
    partner: String,
    api_key: String,
    /// A story of the organisation's in no campaign (the organisation owns it).
    loose_story: String,
    /// A storyteller of the organisation's with no story at all.
    loose_storyteller: String,
    /// A story its storyteller sent in through the campaign's site.
    sent_in: String,
    /// A block on the campaign site's key, placed over another story sent in.
    block: String,
    /// The campaign site's `SUBMISSIONS` key.
    form_key: String,
    /// The takedown made for the partner's key.
    takedown: String,
    /// A webhook endpoint reading as the partner's key.
    endpoint: String,
    /// A delivery to it in the dead-letter list.
    dead_delivery: String,
    /// An upcoming event of the campaign, the story linked to it.
    event: String,
}

impl Records {
    /// Ids and slugs that exist nowhere.
    fn unknown() -> Self {
        let id = || Uuid::now_v7().to_string();
        Records {
            organisation: id(),
            campaign: id(),
            campaign_slug: "no-such-campaign".into(),
            storyteller: id(),
            story: id(),
            story_slug: "no-such-story".into(),
            first_revision: id(),
            revision: id(),
            version: 1,
            consent: id(),
            image: id(),
            evidence: id(),
            comment: id(),
            upload: id(),
            spare: id(),
            users: vec![id()],
            partner: id(),
            api_key: id(),
            loose_story: id(),
            loose_storyteller: id(),
            sent_in: id(),
            block: id(),
            form_key: id(),
            takedown: id(),
            endpoint: id(),
            dead_delivery: id(),
            event: id(),
        }
    }

    /// Every id of these records, to find any of them in a list.
    fn ids(&self) -> BTreeSet<String> {
        let mut ids: BTreeSet<String> = [
            &self.organisation,
            &self.campaign,
            &self.storyteller,
            &self.story,
            &self.first_revision,
            &self.revision,
            &self.consent,
            &self.image,
            &self.evidence,
            &self.comment,
            &self.upload,
            &self.partner,
            &self.api_key,
            &self.loose_story,
            &self.loose_storyteller,
            &self.sent_in,
            &self.block,
            &self.form_key,
            &self.event,
        ]
        .into_iter()
        .filter(|id| !id.is_empty())
        .cloned()
        .collect();
        ids.extend(self.users.iter().cloned());
        ids
    }
}

/// A member organisation and its signed-in people.
struct Org {
    records: Records,
    editor: String,
    admin: String,
    spare: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    EditorA,
    AdminA,
    Platform,
}

struct World {
    app: TestApp,
    platform: String,
    a: Org,
    b: Org,
    /// B's records in the campaign B shares with A.
    shared: Records,
    unknown: Records,
    /// A's editor and admin: a refused mutation leaves no audit event by them.
    a_actors: Vec<Uuid>,
}

async fn data(app: &TestApp, token: &str, doc: &str, vars: Value) -> Value {
    app.gql(Some(token), doc, vars).await.data().clone()
}

fn text(value: &Value, pointer: &str) -> String {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no {pointer} in {value}"))
        .to_owned()
}

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n";

fn image() -> (&'static str, Vec<u8>) {
    ("photo.jpg", fixtures::jpeg_with_metadata(1))
}

fn evidence() -> (&'static str, Vec<u8>) {
    ("consent.pdf", PDF.to_vec())
}

async fn upload(app: &TestApp, token: &str, doc: &str, vars: Value, file: File) -> GqlResponse {
    let bearer = format!("Bearer {token}");
    let (name, bytes) = file();
    crate::uploads::send(
        app,
        &[("authorization", &bearer)],
        crate::uploads::form(doc, vars, vec![(name, bytes)]),
    )
    .await
}

fn terms() -> Value {
    json!({
        "channels": ["PUBLIC_WEB", "PARTNER_SITES"],
        "allPartners": true,
        "identityLevel": "PSEUDONYM",
        "faces": "OBSCURED",
        "voice": "ORIGINAL",
        "locationPrecision": "COUNTRY",
        "method": "WRITTEN",
        "language": "en",
        "noticeVersion": "2026-01",
        "noticeHash": "sha256:00",
        "collectedBy": "Field worker",
        "jurisdiction": "GB",
    })
}

/// Everything one campaign holds, made by `token` (an editor), the story left
/// in review.
async fn file_records(
    app: &TestApp,
    token: &str,
    campaign: &str,
    label: &str,
    api_key: &str,
) -> Records {
    let teller = data(
        app,
        token,
        "mutation($i: CreateStorytellerInput!) { createStoryteller(input: $i) { id } }",
        json!({ "i": {
            "publicName": format!("{label} teller"),
            "legalName": format!("{label} Legal Name"),
            "contact": format!("{label}@example.org"),
            "dateOfBirth": "1990-01-01",
        } }),
    )
    .await;
    let storyteller = text(&teller, "/createStoryteller/id");
    let created = data(
        app,
        token,
        "mutation($i: CreateStoryInput!) {
           createStory(input: $i) { id slug version revisions { id } }
         }",
        json!({ "i": {
            "storytellerId": storyteller,
            "primaryLocale": "en",
            "title": format!("{label} story"),
            "body": "First draft.",
            "campaignIds": [campaign],
        } }),
    )
    .await;
    let story = text(&created, "/createStory/id");
    let saved = data(
        app,
        token,
        "mutation($i: SaveStoryRevisionInput!) {
           saveStoryRevision(input: $i) { revision { id } }
         }",
        json!({ "i": {
            "storyId": story,
            "expectedVersion": created["createStory"]["version"],
            "locale": "en",
            "title": format!("{label} story"),
            "body": "Second draft.",
        } }),
    )
    .await;
    let consent = data(
        app,
        token,
        "mutation($i: RecordConsentInput!) { recordConsent(input: $i) { consent { id } } }",
        json!({ "i": { "storytellerId": storyteller, "terms": terms() } }),
    )
    .await;
    let revision = text(&saved, "/saveStoryRevision/revision/id");
    let comment = data(
        app,
        token,
        "mutation($r: ID!) { addReviewComment(revisionId: $r, body: \"Check the dates.\") { id } }",
        json!({ "r": revision }),
    )
    .await;
    let media = upload(
        app,
        token,
        "mutation($storyId: ID!, $file: Upload!) { addStoryMedia(storyId: $storyId, file: $file) { id } }",
        json!({ "storyId": story }),
        image,
    )
    .await;
    let proof = upload(
        app,
        token,
        "mutation($tellerId: ID!, $file: Upload!) { addConsentEvidence(storytellerId: $tellerId, file: $file) { id } }",
        json!({ "tellerId": storyteller }),
        evidence,
    )
    .await;
    let pending = data(
        app,
        token,
        "mutation($i: CreateMediaUploadInput!) { createMediaUpload(input: $i) { id } }",
        json!({ "i": { "storyId": story, "sizeBytes": "1000" } }),
    )
    .await;
    let submitted = data(
        app,
        token,
        "mutation($id: ID!) { submitStory(id: $id) { version } }",
        json!({ "id": story }),
    )
    .await;
    // A takedown needs a published story a key read, then a withdrawal; the
    // row alone is what `takedowns` shows.
    let takedown = takedown::ActiveModel {
        id: Set(Uuid::now_v7()),
        story_id: Set(story.parse().expect("uuid")),
        api_key_id: Set(api_key.parse().expect("uuid")),
        partner_id: Set(None),
        consent_id: Set(None),
        reason: Set("WITHDRAWN".into()),
        created_at: Set(clock::now()),
        delivered_at: Set(None),
        acknowledged_at: Set(None),
        acknowledged_by: Set(None),
        overdue_at: Set(None),
    }
    .insert(&app.db)
    .await
    .expect("takedown");
    let starts = clock::now() + chrono::Duration::days(30);
    let event = data(
        app,
        token,
        "mutation($i: CreateCampaignEventInput!) { createCampaignEvent(input: $i) { id } }",
        json!({ "i": {
            "campaignId": campaign,
            "title": format!("{label} gathering"),
            "startsAt": starts.to_rfc3339(),
            "endsAt": (starts + chrono::Duration::hours(2)).to_rfc3339(),
            "timeZone": "Europe/London",
            "region": "Manchester, UK",
        } }),
    )
    .await;
    let event = text(&event, "/createCampaignEvent/id");
    data(
        app,
        token,
        "mutation($e: ID!, $s: ID!) { linkEventStory(eventId: $e, storyId: $s) { id } }",
        json!({ "e": event, "s": story }),
    )
    .await;
    Records {
        event,
        storyteller,
        story_slug: text(&created, "/createStory/slug"),
        first_revision: text(&created, "/createStory/revisions/0/id"),
        revision,
        version: submitted["submitStory"]["version"]
            .as_i64()
            .expect("version"),
        consent: text(&consent, "/recordConsent/consent/id"),
        image: text(media.data(), "/addStoryMedia/id"),
        evidence: text(proof.data(), "/addConsentEvidence/id"),
        comment: text(&comment, "/addReviewComment/id"),
        upload: text(&pending, "/createMediaUpload/id"),
        takedown: takedown.id.to_string(),
        story,
        ..Records::default()
    }
}

/// A member organisation with a partner and its key, an admin, an editor and
/// a contributor, and a campaign holding one of everything.
async fn organisation(app: &TestApp, platform: &str, slug: &str) -> Org {
    let partner = data(
        app,
        platform,
        "mutation($s: String!) { createPartner(slug: $s, name: $s) { id } }",
        json!({ "s": format!("{slug}-partner") }),
    )
    .await;
    let partner = text(&partner, "/createPartner/id");
    data(
        app,
        platform,
        "mutation($p: ID!, $o: [String!]!) { setPartnerOrigins(partnerId: $p, origins: $o) }",
        json!({ "p": partner, "o": [format!("https://{slug}.example")] }),
    )
    .await;
    let organisation = id_of(
        &app.gql(
            Some(platform),
            "mutation($i: CreateOrganisationInput!) { createOrganisation(input: $i) { id } }",
            json!({ "i": { "slug": slug, "name": slug.to_uppercase(), "partnerId": partner } }),
        )
        .await,
        "createOrganisation",
    );
    let key = data(
        app,
        platform,
        "mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { apiKey { id } } }",
        json!({ "i": { "name": format!("{slug} site"), "channel": "PARTNER_SITES", "partnerId": partner } }),
    )
    .await;
    let api_key = text(&key, "/createApiKey/apiKey/id");
    let org = Some(organisation.as_str());
    let admin = invite_and_sign_in(app, platform, &format!("lead@{slug}.test"), "ADMIN", org).await;
    let editor =
        invite_and_sign_in(app, platform, &format!("editor@{slug}.test"), "EDITOR", org).await;
    let spare = invite_and_sign_in(
        app,
        platform,
        &format!("spare@{slug}.test"),
        "CONTRIBUTOR",
        org,
    )
    .await;
    let mut users = Vec::new();
    for token in [&admin, &editor, &spare] {
        users.push(text(
            &data(app, token, "{ me { id } }", json!({})).await,
            "/me/id",
        ));
    }
    let campaign_slug = format!("{slug}-campaign");
    let campaign = create_campaign(app, &editor, &campaign_slug).await;
    let records = file_records(app, &editor, &campaign, slug, &api_key).await;
    let loose_story = data(
        app,
        &editor,
        "mutation($t: ID!, $title: String!) { createStory(input: { storytellerId: $t, primaryLocale: \"en\", title: $title }) { id } }",
        json!({ "t": records.storyteller, "title": format!("{slug} story in no campaign") }),
    )
    .await;
    let loose_storyteller = data(
        app,
        &editor,
        "mutation($i: CreateStorytellerInput!) { createStoryteller(input: $i) { id } }",
        json!({ "i": { "publicName": format!("{slug} teller with no story"), "legalName": format!("{slug} Other Legal Name") } }),
    )
    .await;
    let (sent_in, block, form_key) = send_in(app, platform, &campaign, slug).await;
    // The takedown is the partner's, as one made by a withdrawal would be.
    takedown::Entity::update_many()
        .col_expr(
            takedown::Column::PartnerId,
            sea_orm::sea_query::Expr::value(partner.parse::<Uuid>().expect("uuid")),
        )
        .filter(takedown::Column::Id.eq(records.takedown.parse::<Uuid>().expect("uuid")))
        .exec(&app.db)
        .await
        .expect("takedown's partner");
    let (endpoint, dead_delivery) = webhook_with_dead_letter(app, platform, &api_key, slug).await;
    Org {
        records: Records {
            organisation,
            campaign,
            campaign_slug,
            spare: users[2].clone(),
            users,
            partner,
            api_key,
            loose_story: text(&loose_story, "/createStory/id"),
            loose_storyteller: text(&loose_storyteller, "/createStoryteller/id"),
            sent_in,
            block,
            form_key,
            endpoint,
            dead_delivery,
            ..records
        },
        editor,
        admin,
        spare,
    }
}

/// A webhook endpoint reading as `api_key` (to a public address that is never
/// reached: nothing the world holds is published), and a delivery to it in the
/// dead-letter list. Answers their ids.
async fn webhook_with_dead_letter(
    app: &TestApp,
    platform: &str,
    api_key: &str,
    slug: &str,
) -> (String, String) {
    let made = data(
        app,
        platform,
        "mutation($i: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $i) { endpoint { id } } }",
        json!({ "i": {
            "apiKeyId": api_key,
            "url": format!("https://hooks.{slug}.example/chorus"),
            "events": ["STORY_TAKEN_DOWN"],
        } }),
    )
    .await;
    let endpoint = text(&made, "/createWebhookEndpoint/endpoint/id");
    let now = clock::now();
    let dead = webhook_delivery::ActiveModel {
        id: Set(Uuid::now_v7()),
        endpoint_id: Set(endpoint.parse().expect("uuid")),
        event: Set("story.taken_down".into()),
        story_id: Set(Uuid::now_v7()),
        payload: Set("{}".into()),
        created_at: Set(now),
        next_attempt_at: Set(now),
        retry_from: Set(now),
        attempts: Set(3),
        locked_until: Set(None),
        locked_by: Set(None),
        delivered_at: Set(None),
        dead_at: Set(Some(now)),
        last_status: Set(Some(500)),
        last_error: Set(Some("the endpoint answered HTTP 500".into())),
    }
    .insert(&app.db)
    .await
    .expect("dead delivery");
    (endpoint, dead.id.to_string())
}

/// Two stories sent in through a `SUBMISSIONS` key of `campaign`'s site; the
/// second is marked as spam with its key blocked. Answers the first story's id,
/// the block's and the key's.
async fn send_in(
    app: &TestApp,
    platform: &str,
    campaign: &str,
    slug: &str,
) -> (String, String, String) {
    let made = data(
        app,
        platform,
        "mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { apiKey { id } secret } }",
        json!({ "i": { "name": format!("{slug} form"), "channel": "SUBMISSIONS", "campaignIds": [campaign] } }),
    )
    .await;
    let key = text(&made, "/createApiKey/secret");
    let mut stories = Vec::new();
    for title in ["sent in", "spam"] {
        let challenge =
            submissions::with_key(app, Some(&key), submissions::CHALLENGE, json!({})).await;
        let proof = submissions::solve(&challenge.data()["submissionChallenge"]);
        let input = submissions::input(Some(&proof), &format!("{slug} story {title}"));
        let sent = submissions::with_key(
            app,
            Some(&key),
            submissions::SUBMIT,
            json!({ "input": input }),
        )
        .await;
        stories.push(text(sent.data(), "/sendInStory/storyId"));
    }
    let marked = data(
        app,
        platform,
        "mutation($id: ID!) { markSubmissionSpam(storyId: $id, blockKey: true) { blocks { id } } }",
        json!({ "id": stories[1] }),
    )
    .await;
    (
        stories.swap_remove(0),
        text(&marked, "/markSubmissionSpam/blocks/0/id"),
        text(&made, "/createApiKey/apiKey/id"),
    )
}

/// `(table, rows)` for each entity module named.
macro_rules! row_counts {
    ($db:expr, $($table:ident),* $(,)?) => {
        vec![$((
            stringify!($table),
            $table::Entity::find().count($db).await.expect("count"),
        )),*]
    };
}

impl World {
    async fn new() -> World {
        // Stories are sent in while the world is made: an easy proof of work.
        let app = spawn_media_app(&[
            ("CHORUS_SUBMISSION_MAX_NUMBER", "2000"),
            ("CHORUS_SUBMISSION_MAX_PER_ADDRESS", "1000"),
        ])
        .await;
        let platform = app.token_for(PLATFORM_ADMIN, api::auth::Role::Admin).await;
        let a = organisation(&app, &platform, "alpha").await;
        let b = organisation(&app, &platform, "beta").await;
        let campaign_slug = "beta-shared".to_owned();
        let campaign = create_campaign(&app, &b.editor, &campaign_slug).await;
        let shared = app
            .gql(
                Some(&b.admin),
                "mutation($c: ID!, $o: ID!) { shareCampaign(campaignId: $c, organisationId: $o) { id } }",
                json!({ "c": campaign, "o": a.records.organisation }),
            )
            .await;
        // A refused share would make every shared half fail for the wrong reason.
        shared.data();
        let records = file_records(&app, &b.editor, &campaign, "shared", &b.records.api_key).await;
        let shared = Records {
            organisation: b.records.organisation.clone(),
            campaign,
            campaign_slug,
            ..records
        };
        // `users` is [admin, editor, contributor]; only the first two act in cases.
        let a_actors = a.records.users[..2]
            .iter()
            .map(|id| id.parse().expect("uuid"))
            .collect();
        World {
            app,
            platform,
            a,
            b,
            shared,
            unknown: Records::unknown(),
            a_actors,
        }
    }

    fn token(&self, caller: Caller) -> &str {
        match caller {
            Caller::EditorA => &self.a.editor,
            Caller::AdminA => &self.a.admin,
            Caller::Platform => &self.platform,
        }
    }

    /// Runs `case` as `caller` on `target`'s records.
    async fn run(&self, case: &Case, caller: Caller, target: &Records) -> GqlResponse {
        let vars = if case.doc.contains("expectedVersion") {
            (case.vars)(
                &self.fresh(target).await,
                &self.fresh(&self.a.records).await,
            )
        } else {
            (case.vars)(target, &self.a.records)
        };
        let token = self.token(caller);
        match case.file {
            None => self.app.gql(Some(token), case.doc, vars).await,
            Some(file) => upload(&self.app, token, case.doc, vars, file).await,
        }
    }

    /// `records` with its story's version as it is now, for the mutations
    /// that must send it (an earlier case may have changed it).
    async fn fresh(&self, records: &Records) -> Records {
        let res = self
            .app
            .gql(
                Some(&self.platform),
                "query($id: ID!) { editorialStory(id: $id) { version } }",
                json!({ "id": records.story }),
            )
            .await;
        let mut records = records.clone();
        if let Some(version) = res.body["data"]["editorialStory"]["version"].as_i64() {
            records.version = version;
        }
        records
    }

    /// B's records as a platform admin reads them, B's contributor's session,
    /// and the number of rows of every table a staff mutation writes.
    async fn snapshot_of_b(&self) -> Value {
        let b = &self.b.records;
        let reads: [(&str, Value); 11] = [
            (
                "query($id: ID!) { webhookEndpoint(id: $id) {
                   url events enabled previousSecretValidUntil
                   deliveries { id status deadAt attempts }
                 } }",
                json!({ "id": b.endpoint }),
            ),
            (
                "query($id: ID!) { editorialStory(id: $id) {
                   state version slug region identityLevel publishAt unpublishAt
                   campaigns { id } tags { id } revisions { id title body }
                   comments { id body resolvedAt } storytellerReviews { id } riskAssessments { id }
                   media { id altText caption showsFaces faceMasks { id } }
                 } }",
                json!({ "id": b.story }),
            ),
            (
                "query($id: ID!) { storyteller(id: $id) {
                   publicName languages yearOfBirth
                   consents { id status supersededBy expiresAt }
                   personalData { legalName contact }
                 } }",
                json!({ "id": b.storyteller }),
            ),
            (
                "query($id: ID!) { consentEvidence(storytellerId: $id) { id } }",
                json!({ "id": b.storyteller }),
            ),
            (
                "query($slug: String!) { campaign(slug: $slug) {
                   id name description sharedWith { id }
                   events { nodes { id title status startsAt organiser { id } linkedStoryIds } }
                 } }",
                json!({ "slug": b.campaign_slug }),
            ),
            (
                "{ editorialStories(first: 100) { nodes { id state version region storyteller { id } campaigns { id } } } }",
                json!({}),
            ),
            (
                "{ storytellers(first: 100) { nodes { id publicName languages } } }",
                json!({}),
            ),
            ("{ users { id role disabled } }", json!({})),
            (
                "{ apiKeys(first: 100) { nodes { id partnerId revokedAt } } }",
                json!({}),
            ),
            (
                "query($id: ID!) { partnerOrigins(partnerId: $id) }",
                json!({ "id": b.partner }),
            ),
            (
                "{ submissionBlocks(first: 100) { nodes { id liftedAt } } }",
                json!({}),
            ),
        ];
        let mut snapshot = Vec::new();
        for (doc, vars) in reads {
            let mut body = self.app.gql(Some(&self.platform), doc, vars).await.body;
            // Lists of everything: keep what is B's.
            if let Some(nodes) = body.pointer_mut("/data/editorialStories/nodes") {
                retain(nodes, |n| {
                    n["storyteller"]["id"] == json!(b.storyteller)
                        || n["campaigns"].to_string().contains(&b.campaign)
                });
            }
            if let Some(tellers) = body.pointer_mut("/data/storytellers/nodes") {
                retain(tellers, |t| {
                    [&b.storyteller, &b.loose_storyteller].contains(&&text(t, "/id"))
                });
            }
            if let Some(users) = body.pointer_mut("/data/users") {
                retain(users, |u| b.users.contains(&text(u, "/id")));
            }
            if let Some(blocks) = body.pointer_mut("/data/submissionBlocks/nodes") {
                retain(blocks, |k| k["id"] == json!(b.block));
            }
            if let Some(keys) = body.pointer_mut("/data/apiKeys/nodes") {
                retain(keys, |k| {
                    k["partnerId"] == json!(b.partner) || k["id"] == json!(b.form_key)
                });
            }
            snapshot.push(body);
        }
        snapshot.push(
            self.app
                .gql(Some(&self.b.spare), "{ me { id disabled } }", json!({}))
                .await
                .body,
        );
        snapshot.push(json!(self.rows().await));
        snapshot.push(json!({ "jobs about B": self.jobs_about(b).await }));
        Value::Array(snapshot)
    }

    /// How many rows each table a staff mutation writes holds.
    async fn rows(&self) -> Vec<(&'static str, u64)> {
        let db = &self.app.db;
        row_counts!(
            db,
            story,
            story_revision,
            storyteller,
            consent_record,
            review_comment,
            storyteller_review,
            risk_assessment,
            media_asset,
            media_upload,
            api_key,
            campaign,
            partner_origin,
            submission,
            submission_block,
            webhook_endpoint,
            campaign_event,
            campaign_event_story,
        )
    }

    /// Background jobs about `records`' stories and media (a render, a
    /// scheduled publication), done or not.
    async fn jobs_about(&self, records: &Records) -> u64 {
        let uuids = |ids: [&String; 2]| -> Vec<Uuid> {
            ids.into_iter().filter_map(|id| id.parse().ok()).collect()
        };
        job::Entity::find()
            .filter(
                job::Column::StoryId
                    .is_in(uuids([&records.story, &records.loose_story]))
                    .or(job::Column::MediaId.is_in(uuids([&records.image, &records.evidence]))),
            )
            .count(&self.app.db)
            .await
            .expect("count")
    }

    /// Audit events A's editor and admin caused.
    async fn events_by_a(&self) -> u64 {
        audit_event::Entity::find()
            .filter(audit_event::Column::ActorId.is_in(self.a_actors.clone()))
            .count(&self.app.db)
            .await
            .expect("count")
    }
}

/// The parts of two snapshots that differ, before → after.
fn differences(before: &Value, after: &Value) -> String {
    let (Some(before), Some(after)) = (before.as_array(), after.as_array()) else {
        return format!("{before} → {after}");
    };
    before
        .iter()
        .zip(after)
        .filter(|(b, a)| b != a)
        .map(|(b, a)| format!("{b} → {a}"))
        .collect::<Vec<_>>()
        .join("; ")
}

fn retain(list: &mut Value, keep: impl Fn(&Value) -> bool) {
    if let Some(items) = list.as_array_mut() {
        items.retain(keep);
    }
}

/// What a caller can tell from an answer: the error codes and the data.
fn outcome(res: &GqlResponse) -> Value {
    json!({ "codes": res.codes(), "data": res.body["data"] })
}

/// A file to upload: its name and bytes.
type File = fn() -> (&'static str, Vec<u8>);

/// Variables for a case: from the target's records and the caller's own (A's).
type Vars = fn(&Records, &Records) -> Value;

enum Expect {
    /// One record: B's answers exactly as an id that does not exist; A's own
    /// (as `mirror`) answers otherwise; so do the shared campaign's when
    /// `shared`, and B's for a platform admin.
    Hidden,
    /// A list at `path` (paged when it has a `pageInfo` beside it): none of B's
    /// ids under `key`, every one of `own(A)` (and of the shared campaign's when
    /// `shared`); a platform admin's list holds every one of `own(B)`.
    Listed {
        path: &'static str,
        key: &'static str,
        own: fn(&Records) -> Vec<String>,
    },
    /// A mutation: B's answers as an unknown id, and changes nothing (B's
    /// records, the tables, A's audit trail); A's own (as `mirror`) answers
    /// otherwise, and so does the shared campaign's when `shared`.
    Refused,
    /// Refused to the caller whatever the record (editors on the audit log and
    /// accounts, as before organisations).
    Forbidden,
}

struct Case {
    name: &'static str,
    caller: Caller,
    /// Who proves the document finds A's own record (a platform admin where the
    /// field is theirs alone).
    mirror: Caller,
    shared: bool,
    doc: &'static str,
    vars: Vars,
    file: Option<File>,
    expect: Expect,
}

fn case(name: &'static str, caller: Caller, expect: Expect, doc: &'static str, vars: Vars) -> Case {
    Case {
        name,
        caller,
        mirror: caller,
        shared: false,
        doc,
        vars,
        file: None,
        expect,
    }
}

fn hidden(name: &'static str, doc: &'static str, vars: Vars) -> Case {
    case(name, Caller::EditorA, Expect::Hidden, doc, vars)
}

fn listed(
    name: &'static str,
    doc: &'static str,
    path: &'static str,
    own: fn(&Records) -> Vec<String>,
) -> Case {
    case(
        name,
        Caller::EditorA,
        Expect::Listed {
            path,
            key: "id",
            own,
        },
        doc,
        |_, _| json!({}),
    )
}

fn refused(name: &'static str, doc: &'static str, vars: Vars) -> Case {
    case(name, Caller::EditorA, Expect::Refused, doc, vars)
}

impl Case {
    fn by(mut self, caller: Caller) -> Self {
        self.caller = caller;
        self.mirror = caller;
        self
    }
    fn mirrored_by(mut self, caller: Caller) -> Self {
        self.mirror = caller;
        self
    }
    fn shared(mut self) -> Self {
        self.shared = true;
        self
    }
    fn file(mut self, file: File) -> Self {
        self.file = Some(file);
        self
    }
}

fn now() -> String {
    clock::now().to_rfc3339()
}

/// Every staff read, in one table.
fn queries() -> Vec<Case> {
    use Caller::*;
    vec![
        listed(
            "campaigns lists A's and the shared campaign, not B's",
            "query($after: String) { campaigns(first: 100, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } } }",
            "/campaigns/nodes",
            |r| vec![r.campaign.clone()],
        )
        .shared(),
        hidden(
            "campaign(slug) of B's campaign",
            "query($slug: String!) { campaign(slug: $slug) { id name } }",
            |r, _| json!({ "slug": r.campaign_slug }),
        )
        .shared(),
        listed(
            "storytellers",
            "query($after: String) { storytellers(first: 100, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } } }",
            "/storytellers/nodes",
            |r| vec![r.storyteller.clone(), r.loose_storyteller.clone()],
        )
        .shared(),
        hidden(
            "storyteller(id) with personal data",
            "query($id: ID!) { storyteller(id: $id) { id publicName consents { id } personalData { legalName contact } } }",
            |r, _| json!({ "id": r.storyteller }),
        )
        .shared(),
        hidden(
            "storyteller(id) of a storyteller with no story",
            "query($id: ID!) { storyteller(id: $id) { id personalData { legalName } } }",
            |r, _| json!({ "id": r.loose_storyteller }),
        ),
        listed(
            "editorialStories",
            "query($after: String) { editorialStories(first: 100, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } } }",
            "/editorialStories/nodes",
            |r| vec![r.story.clone(), r.loose_story.clone()],
        )
        .shared(),
        listed(
            "editorialStories(state: IN_REVIEW)",
            "query($after: String) { editorialStories(state: IN_REVIEW, first: 100, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } } }",
            "/editorialStories/nodes",
            |r| vec![r.story.clone()],
        )
        .shared(),
        hidden(
            "editorialStory(id) with its revisions, comments, media and storyteller",
            "query($id: ID) { editorialStory(id: $id) { id revisions { id } comments { id } media { id } storyteller { id } } }",
            |r, _| json!({ "id": r.story }),
        )
        .shared(),
        hidden(
            "editorialStory(id) of a story in no campaign",
            "query($id: ID) { editorialStory(id: $id) { id } }",
            |r, _| json!({ "id": r.loose_story }),
        ),
        hidden(
            "editorialStory(slug)",
            "query($slug: String) { editorialStory(slug: $slug) { id } }",
            |r, _| json!({ "slug": r.story_slug }),
        )
        .shared(),
        listed(
            "reviewQueue",
            "query($after: String) { reviewQueue(first: 100, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } } }",
            "/reviewQueue/nodes",
            // Stories sent in wait there too (the shared campaign has none).
            |r| {
                [&r.story, &r.sent_in]
                    .into_iter()
                    .filter(|id| !id.is_empty())
                    .cloned()
                    .collect()
            },
        )
        .shared(),
        listed(
            "submissionBlocks lists the blocks over A's stories, not B's",
            "query($after: String) { submissionBlocks(first: 100, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } } }",
            "/submissionBlocks/nodes",
            |r| vec![r.block.clone()],
        ),
        hidden(
            "revisionDiff of B's revisions",
            "query($from: ID!, $to: ID!) { revisionDiff(from: $from, to: $to) { body } }",
            |r, _| json!({ "from": r.first_revision, "to": r.revision }),
        )
        .shared(),
        hidden(
            "consentRecord(id)",
            "query($id: ID!) { consentRecord(id: $id) { id storytellerId } }",
            |r, _| json!({ "id": r.consent }),
        )
        .shared(),
        case(
            "consentsExpiring",
            EditorA,
            Expect::Listed {
                path: "/consentsExpiring",
                key: "id",
                own: |r| vec![r.consent.clone()],
            },
            "{ consentsExpiring(withinDays: 3650, first: 100) { id } }",
            |_, _| json!({}),
        )
        .shared(),
        hidden(
            "takedowns(storyId)",
            "query($id: ID!) { takedowns(storyId: $id) { id } }",
            |r, _| json!({ "id": r.story }),
        )
        .shared(),
        hidden(
            "consentReceipt(id)",
            "query($id: ID!) { consentReceipt(id: $id) { receiptId hash } }",
            |r, _| json!({ "id": r.consent }),
        )
        .shared(),
        hidden(
            "mediaAsset(id) of a story's image",
            "query($id: ID!) { mediaAsset(id: $id) { id sources { variant url } } }",
            |r, _| json!({ "id": r.image }),
        )
        .shared(),
        hidden(
            "mediaAsset(id) of consent evidence",
            "query($id: ID!) { mediaAsset(id: $id) { id sources { variant url } } }",
            |r, _| json!({ "id": r.evidence }),
        )
        .shared(),
        hidden(
            "consentEvidence(storytellerId)",
            "query($id: ID!) { consentEvidence(storytellerId: $id) { id } }",
            |r, _| json!({ "id": r.storyteller }),
        )
        .shared(),
        hidden(
            "auditEvents about B's story (org admin)",
            AUDIT_ABOUT,
            |r, _| json!({ "id": r.story }),
        )
        .by(AdminA)
        .shared(),
        hidden(
            "auditEvents about B's storyteller (org admin)",
            AUDIT_ABOUT,
            |r, _| json!({ "id": r.storyteller }),
        )
        .by(AdminA)
        .shared(),
        hidden(
            "auditEvents about B's consent (org admin)",
            AUDIT_ABOUT,
            |r, _| json!({ "id": r.consent }),
        )
        .by(AdminA)
        .shared(),
        hidden(
            "auditEvents about B's image (org admin)",
            AUDIT_ABOUT,
            |r, _| json!({ "id": r.image }),
        )
        .by(AdminA)
        .shared(),
        hidden(
            "auditEvents about organisation B (org admin)",
            AUDIT_ABOUT,
            |r, _| json!({ "id": r.organisation }),
        )
        .by(AdminA),
        hidden(
            "auditEvents about B's people (org admin)",
            AUDIT_ABOUT,
            |r, _| json!({ "id": r.spare }),
        )
        .by(AdminA),
        case(
            "auditEvents, all of them (org admin)",
            AdminA,
            Expect::Listed {
                path: "/auditEvents/nodes",
                key: "subjectId",
                own: |r| vec![r.story.clone(), r.storyteller.clone(), r.consent.clone()],
            },
            "query($after: String) { auditEvents(first: 100, after: $after) { nodes { subjectId } pageInfo { hasNextPage endCursor } } }",
            |_, _| json!({}),
        )
        .shared(),
        case(
            "auditEvents stay refused to editors",
            EditorA,
            Expect::Forbidden,
            AUDIT_ABOUT,
            |r, _| json!({ "id": r.story }),
        ),
        case(
            "users (org admin)",
            AdminA,
            Expect::Listed {
                path: "/users",
                key: "id",
                own: |r| r.users.clone(),
            },
            "{ users { id } }",
            |_, _| json!({}),
        ),
        case(
            "users stay refused to editors",
            EditorA,
            Expect::Forbidden,
            "{ users { id } }",
            |_, _| json!({}),
        ),
        case(
            "apiKeys (org admin of a partner)",
            AdminA,
            Expect::Listed {
                path: "/apiKeys/nodes",
                key: "id",
                // Its partner's keys and its campaign's submission key.
                own: |r| vec![r.api_key.clone(), r.form_key.clone()],
            },
            "query($after: String) { apiKeys(first: 100, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } } }",
            |_, _| json!({}),
        ),
        case(
            "partners (org admin of a partner)",
            AdminA,
            Expect::Listed {
                path: "/partners/nodes",
                key: "id",
                own: |r| vec![r.partner.clone()],
            },
            "query($after: String) { partners(first: 100, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } } }",
            |_, _| json!({}),
        ),
        hidden(
            "partnerOrigins of B's partner (org admin)",
            "query($id: ID!) { partnerOrigins(partnerId: $id) }",
            |r, _| json!({ "id": r.partner }),
        )
        .by(AdminA)
        .mirrored_by(Platform),
        case(
            "webhookEndpoints (org admin of a partner)",
            AdminA,
            Expect::Listed {
                path: "/webhookEndpoints",
                key: "id",
                own: |r| vec![r.endpoint.clone()],
            },
            "{ webhookEndpoints { id } }",
            |_, _| json!({}),
        ),
        hidden(
            "webhookEndpoint(id) of B's partner's endpoint (org admin)",
            "query($id: ID!) { webhookEndpoint(id: $id) { id deliveries { id } } }",
            |r, _| json!({ "id": r.endpoint }),
        )
        .by(AdminA),
        case(
            "outstandingTakedowns (org admin of a partner)",
            AdminA,
            Expect::Listed {
                path: "/outstandingTakedowns",
                key: "id",
                own: |r| vec![r.takedown.clone()],
            },
            "{ outstandingTakedowns { id } }",
            |_, _| json!({}),
        ),
    ]
}

const AUDIT_ABOUT: &str = "query($id: ID!) { auditEvents(filter: { subjectId: $id }, first: 100) { nodes { id action } } }";

/// Every staff mutation, in one table, in the order they run: A's own mirror
/// runs change A's records, so the destructive ones come last.
fn mutations() -> Vec<Case> {
    use Caller::*;
    vec![
        refused(
            "updateCampaign",
            "mutation($id: ID!) { updateCampaign(id: $id, input: { description: \"Changed by A\" }) { id } }",
            |r, _| json!({ "id": r.campaign }),
        ),
        refused(
            "createCampaignEvent in B's campaign",
            "mutation($c: ID!) { createCampaignEvent(input: { campaignId: $c, title: \"A's gathering\", startsAt: \"2031-03-01T10:00:00Z\", endsAt: \"2031-03-01T12:00:00Z\", timeZone: \"Europe/London\", onlineUrl: \"https://meet.example.org/a\" }) { id } }",
            |r, _| json!({ "c": r.campaign }),
        )
        .shared(),
        refused(
            "updateCampaignEvent of B's event",
            "mutation($id: ID!) { updateCampaignEvent(id: $id, input: { status: CANCELLED }) { id } }",
            |r, _| json!({ "id": r.event }),
        ),
        refused(
            "linkEventStory to B's event",
            "mutation($e: ID!, $s: ID!) { linkEventStory(eventId: $e, storyId: $s) { id } }",
            |r, own| json!({ "e": r.event, "s": own.loose_story }),
        ),
        refused(
            "linkEventStory of B's story to A's event",
            "mutation($e: ID!, $s: ID!) { linkEventStory(eventId: $e, storyId: $s) { id } }",
            |r, own| json!({ "e": own.event, "s": r.loose_story }),
        ),
        refused(
            "unlinkEventStory from B's event",
            "mutation($e: ID!, $s: ID!) { unlinkEventStory(eventId: $e, storyId: $s) { id } }",
            |r, _| json!({ "e": r.event, "s": r.story }),
        ),
        // Last of the event's cases: A's own is gone after it.
        refused(
            "deleteCampaignEvent of B's event",
            "mutation($id: ID!) { deleteCampaignEvent(id: $id) }",
            |r, _| json!({ "id": r.event }),
        ),
        refused(
            "updateStoryteller",
            "mutation($id: ID!) { updateStoryteller(id: $id, input: { languages: [\"en\", \"fr\"], contact: \"a@example.org\" }) { id } }",
            |r, _| json!({ "id": r.storyteller }),
        ),
        refused(
            "updateStoryteller of a storyteller with no story",
            "mutation($id: ID!) { updateStoryteller(id: $id, input: { publicName: \"Renamed by A\" }) { id } }",
            |r, _| json!({ "id": r.loose_storyteller }),
        ),
        refused(
            "createStory about B's storyteller in B's campaign",
            "mutation($t: ID!, $c: ID!) { createStory(input: { storytellerId: $t, primaryLocale: \"en\", title: \"Taken\", campaignIds: [$c] }) { id } }",
            |r, _| json!({ "t": r.storyteller, "c": r.campaign }),
        )
        .shared(),
        refused(
            "createStory about B's storyteller",
            "mutation($t: ID!) { createStory(input: { storytellerId: $t, primaryLocale: \"en\", title: \"Taken\" }) { id } }",
            |r, _| json!({ "t": r.storyteller }),
        ),
        refused(
            "createStory about A's storyteller in B's campaign",
            "mutation($t: ID!, $c: ID!) { createStory(input: { storytellerId: $t, primaryLocale: \"en\", title: \"Filed\", campaignIds: [$c] }) { id } }",
            |r, own| json!({ "t": own.storyteller, "c": r.campaign }),
        )
        .shared(),
        refused(
            "updateStoryDetails filing A's story under B's campaign",
            "mutation($id: ID!, $v: Int!, $c: ID!) { updateStoryDetails(storyId: $id, expectedVersion: $v, input: { campaignIds: [$c] }) { id } }",
            |r, own| json!({ "id": own.story, "v": own.version, "c": r.campaign }),
        ),
        refused(
            "updateStoryDetails",
            "mutation($id: ID!, $v: Int!) { updateStoryDetails(storyId: $id, expectedVersion: $v, input: { region: \"Elsewhere\" }) { id } }",
            |r, _| json!({ "id": r.story, "v": r.version }),
        ),
        refused(
            "updateStoryDetails of a story in no campaign",
            "mutation($id: ID!, $v: Int!) { updateStoryDetails(storyId: $id, expectedVersion: $v, input: { region: \"Elsewhere\" }) { id } }",
            |r, _| json!({ "id": r.loose_story, "v": 1 }),
        ),
        refused(
            "saveStoryRevision",
            "mutation($id: ID!, $v: Int!) { saveStoryRevision(input: { storyId: $id, expectedVersion: $v, locale: \"en\", title: \"Rewritten by A\" }) { revision { id } } }",
            |r, _| json!({ "id": r.story, "v": r.version }),
        )
        .shared(),
        refused(
            "restoreRevision",
            "mutation($id: ID!, $v: Int!) { restoreRevision(revisionId: $id, expectedVersion: $v) { revision { id } } }",
            |r, _| json!({ "id": r.first_revision, "v": r.version }),
        ),
        refused(
            "addReviewComment",
            "mutation($id: ID!) { addReviewComment(revisionId: $id, body: \"From A\") { id } }",
            |r, _| json!({ "id": r.revision }),
        )
        .shared(),
        refused(
            "resolveReviewComment",
            "mutation($id: ID!) { resolveReviewComment(id: $id) { id } }",
            |r, _| json!({ "id": r.comment }),
        ),
        refused(
            "recordStorytellerReview",
            "mutation($id: ID!, $at: DateTime!) { recordStorytellerReview(revisionId: $id, method: IN_PERSON, reviewedAt: $at) { id } }",
            |r, _| json!({ "id": r.revision, "at": now() }),
        ),
        refused(
            "recordRiskAssessment",
            "mutation($id: ID!) { recordRiskAssessment(storyId: $id, input: { assessor: \"A\", assessedOn: \"2026-12-01\", level: LOW, mitigations: \"None\" }) { id } }",
            |r, _| json!({ "id": r.story }),
        ),
        refused(
            "submitStory",
            "mutation($id: ID!) { submitStory(id: $id) { state } }",
            |r, _| json!({ "id": r.story }),
        ),
        refused(
            "requestChanges",
            "mutation($id: ID!) { requestChanges(id: $id, comment: \"Redo\") { state } }",
            |r, _| json!({ "id": r.story }),
        ),
        refused(
            "approveStory",
            "mutation($id: ID!) { approveStory(id: $id) { state } }",
            |r, _| json!({ "id": r.story }),
        ),
        refused(
            "publishStory",
            "mutation($id: ID!) { publishStory(id: $id) { state } }",
            |r, _| json!({ "id": r.story }),
        ),
        refused(
            "unpublishStory",
            "mutation($id: ID!) { unpublishStory(id: $id) { state } }",
            |r, _| json!({ "id": r.story }),
        ),
        refused(
            "archiveStory",
            "mutation($id: ID!) { archiveStory(id: $id) { state } }",
            |r, _| json!({ "id": r.story }),
        ),
        refused(
            "unarchiveStory",
            "mutation($id: ID!) { unarchiveStory(id: $id) { state } }",
            |r, _| json!({ "id": r.story }),
        ),
        refused(
            "recordConsent for B's storyteller",
            "mutation($t: ID!, $terms: ConsentTermsInput!) { recordConsent(input: { storytellerId: $t, terms: $terms }) { consent { id } } }",
            |r, _| json!({ "t": r.storyteller, "terms": terms() }),
        )
        .shared(),
        refused(
            "amendConsent",
            "mutation($id: ID!, $terms: ConsentTermsInput!) { amendConsent(id: $id, terms: $terms) { consent { id } } }",
            |r, _| json!({ "id": r.consent, "terms": terms() }),
        ),
        refused(
            "renewConsent",
            "mutation($id: ID!, $terms: ConsentTermsInput!) { renewConsent(id: $id, terms: $terms) { consent { id } } }",
            |r, _| json!({ "id": r.consent, "terms": terms() }),
        ),
        refused(
            "createMediaUpload for B's story",
            "mutation($id: ID!) { createMediaUpload(input: { storyId: $id, sizeBytes: \"1000\" }) { id } }",
            |r, _| json!({ "id": r.story }),
        )
        .shared(),
        refused(
            "createMediaUpload of evidence about B's storyteller",
            "mutation($id: ID!) { createMediaUpload(input: { storytellerId: $id, sizeBytes: \"1000\" }) { id } }",
            |r, _| json!({ "id": r.storyteller }),
        ),
        refused(
            "completeMediaUpload of B's upload",
            "mutation($id: ID!) { completeMediaUpload(id: $id) { id } }",
            |r, _| json!({ "id": r.upload }),
        ),
        refused(
            "addStoryMedia to B's story",
            "mutation($id: ID!, $file: Upload!) { addStoryMedia(storyId: $id, file: $file) { id } }",
            |r, _| json!({ "id": r.story }),
        )
        .file(image)
        .shared(),
        refused(
            "addConsentEvidence about B's storyteller",
            "mutation($id: ID!, $file: Upload!) { addConsentEvidence(storytellerId: $id, file: $file) { id } }",
            |r, _| json!({ "id": r.storyteller }),
        )
        .file(evidence),
        refused(
            "updateMedia",
            "mutation($id: ID!) { updateMedia(id: $id, input: { altText: \"Described by A\" }) { id } }",
            |r, _| json!({ "id": r.image }),
        )
        .shared(),
        refused(
            "setFaceMasks",
            "mutation($id: ID!) { setFaceMasks(mediaId: $id, masks: [{ x: 0, y: 0, width: 1, height: 1 }]) { id } }",
            |r, _| json!({ "id": r.image }),
        ),
        // A's own item is a picture, so A hears "not a recording" where B's
        // item answers as an unknown id does.
        refused(
            "setMediaTranscript",
            "mutation($id: ID!) { setMediaTranscript(mediaId: $id, language: \"en\", text: \"Said by A\") { id } }",
            |r, _| json!({ "id": r.image }),
        ),
        refused(
            "setMediaCaptions",
            "mutation($id: ID!) { setMediaCaptions(mediaId: $id, language: \"en\", vtt: \"WEBVTT\\n\\n00:00.000 --> 00:01.000\\nSaid by A\\n\") { id } }",
            |r, _| json!({ "id": r.image }),
        ),
        refused(
            "retryMediaRenditions (org admin)",
            "mutation($id: ID!) { retryMediaRenditions(mediaId: $id) { id } }",
            |r, _| json!({ "id": r.image }),
        )
        .by(AdminA)
        .mirrored_by(Platform),
        refused(
            "exportStoryteller (org admin)",
            "mutation($id: ID!) { exportStoryteller(id: $id) }",
            |r, _| json!({ "id": r.storyteller }),
        )
        .by(AdminA)
        .mirrored_by(Platform),
        refused(
            "setUserRole of B's contributor (org admin)",
            "mutation($id: ID!) { setUserRole(id: $id, role: CONTRIBUTOR) { id } }",
            |r, _| json!({ "id": r.spare }),
        )
        .by(AdminA),
        refused(
            "disableUser of B's contributor (org admin)",
            "mutation($id: ID!) { disableUser(id: $id) { id } }",
            |r, _| json!({ "id": r.spare }),
        )
        .by(AdminA),
        refused(
            "enableUser of B's contributor (org admin)",
            "mutation($id: ID!) { enableUser(id: $id) { id } }",
            |r, _| json!({ "id": r.spare }),
        )
        .by(AdminA),
        refused(
            "endUserSessions of B's contributor (org admin)",
            "mutation($id: ID!) { endUserSessions(id: $id) }",
            |r, _| json!({ "id": r.spare }),
        )
        .by(AdminA),
        refused(
            "createApiKey for B's partner (org admin)",
            "mutation($p: ID!) { createApiKey(input: { name: \"Mine\", channel: PARTNER_SITES, partnerId: $p }) { apiKey { id } } }",
            |r, _| json!({ "p": r.partner }),
        )
        .by(AdminA),
        refused(
            "revokeApiKey of B's key (org admin)",
            "mutation($id: ID!) { revokeApiKey(id: $id) { id } }",
            |r, _| json!({ "id": r.api_key }),
        )
        .by(AdminA),
        refused(
            "createApiKey SUBMISSIONS for B's campaign (org admin)",
            "mutation($c: ID!) { createApiKey(input: { name: \"Form\", channel: SUBMISSIONS, campaignIds: [$c] }) { apiKey { id } } }",
            |r, _| json!({ "c": r.campaign }),
        )
        .by(AdminA),
        refused(
            "revokeApiKey of B's campaign site key (org admin)",
            "mutation($id: ID!) { revokeApiKey(id: $id) { id } }",
            |r, _| json!({ "id": r.form_key }),
        )
        .by(AdminA),
        refused(
            "createWebhookEndpoint for B's partner's key (org admin)",
            "mutation($k: ID!) { createWebhookEndpoint(input: { apiKeyId: $k, url: \"https://hooks.example.org/x\", events: [STORY_TAKEN_DOWN] }) { endpoint { id } } }",
            |r, _| json!({ "k": r.api_key }),
        )
        .by(AdminA),
        refused(
            "rotateWebhookSecret of B's endpoint (org admin)",
            "mutation($id: ID!) { rotateWebhookSecret(id: $id) { endpoint { id } } }",
            |r, _| json!({ "id": r.endpoint }),
        )
        .by(AdminA),
        refused(
            "replayWebhookDelivery of B's dead delivery (org admin)",
            "mutation($id: ID!) { replayWebhookDelivery(id: $id) { id } }",
            |r, _| json!({ "id": r.dead_delivery }),
        )
        .by(AdminA),
        refused(
            "setWebhookEndpointEnabled of B's endpoint (org admin)",
            "mutation($id: ID!) { setWebhookEndpointEnabled(id: $id, enabled: false) { id } }",
            |r, _| json!({ "id": r.endpoint }),
        )
        .by(AdminA),
        // Last of the endpoint's cases: A's own is gone after it.
        refused(
            "deleteWebhookEndpoint of B's endpoint (org admin)",
            "mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }",
            |r, _| json!({ "id": r.endpoint }),
        )
        .by(AdminA),
        refused(
            "setPartnerOrigins of B's partner (org admin)",
            "mutation($id: ID!) { setPartnerOrigins(partnerId: $id, origins: [\"https://a.example\"]) }",
            |r, _| json!({ "id": r.partner }),
        )
        .by(AdminA)
        .mirrored_by(Platform),
        refused(
            "endConsent",
            "mutation($id: ID!) { endConsent(id: $id, ending: REVOKE, indicatedBy: ORGANISATION) { id } }",
            |r, _| json!({ "id": r.consent }),
        ),
        refused(
            "markSubmissionSpam of B's story sent in",
            "mutation($id: ID!) { markSubmissionSpam(storyId: $id, blockKey: true) { story { id state } } }",
            |r, _| json!({ "id": r.sent_in }),
        ),
        refused(
            "unblockSubmissionSource of B's block",
            "mutation($id: ID!) { unblockSubmissionSource(id: $id) { id liftedAt } }",
            |r, _| json!({ "id": r.block }),
        ),
        refused(
            "deleteMedia of B's image",
            "mutation($id: ID!) { deleteMedia(id: $id) }",
            |r, _| json!({ "id": r.image }),
        ),
        refused(
            "deleteMedia of B's consent evidence (org admin)",
            "mutation($id: ID!) { deleteMedia(id: $id) }",
            |r, _| json!({ "id": r.evidence }),
        )
        .by(AdminA)
        .mirrored_by(Platform),
        refused(
            "eraseStoryteller (org admin)",
            "mutation($id: ID!) { eraseStoryteller(id: $id) { storiesDeleted } }",
            |r, _| json!({ "id": r.storyteller }),
        )
        .by(AdminA)
        .mirrored_by(Platform),
    ]
}

/// The ids under `key` in the list at `path`, every page of it.
async fn listed_ids(
    world: &World,
    case: &Case,
    caller: Caller,
    path: &str,
    key: &str,
) -> Result<BTreeSet<String>, String> {
    let mut ids = BTreeSet::new();
    let mut after = Value::Null;
    for _ in 0..50 {
        let mut vars = (case.vars)(&world.a.records, &world.a.records);
        if case.doc.contains("$after") {
            vars["after"] = after.clone();
        }
        let res = world
            .app
            .gql(Some(world.token(caller)), case.doc, vars)
            .await;
        if res.body.get("errors").is_some() {
            return Err(format!("{caller:?} is refused the list: {}", res.body));
        }
        let data = &res.body["data"];
        let items = data
            .pointer(path)
            .and_then(Value::as_array)
            .ok_or_else(|| format!("no list at {path}: {}", res.body))?;
        ids.extend(
            items
                .iter()
                .filter_map(|item| item[key].as_str().map(str::to_owned)),
        );
        let page = path
            .strip_suffix("/nodes")
            .and_then(|parent| data.pointer(&format!("{parent}/pageInfo")));
        match page {
            Some(page) if page["hasNextPage"] == json!(true) => {
                after = page["endCursor"].clone();
            }
            _ => return Ok(ids),
        }
    }
    Err("more than 50 pages".into())
}

/// Runs one case; each problem names the half of the case that failed: `B`
/// (what must be hidden or refused), `own` and `shared` (what A must find),
/// `platform` (what platform admins must find).
async fn check(world: &World, case: &Case) -> Vec<String> {
    let unknown = &world.unknown;
    let mut problems = Vec::new();
    match &case.expect {
        Expect::Forbidden => {
            for target in [&world.b.records, &world.a.records] {
                let res = world.run(case, case.caller, target).await;
                if res.codes() != ["FORBIDDEN"] {
                    problems.push(format!("B: expected FORBIDDEN, got {}", res.body));
                }
            }
        }
        Expect::Listed { path, key, own } => {
            match listed_ids(world, case, case.caller, path, key).await {
                Err(why) => problems.push(format!("B and own: {why}")),
                Ok(ids) => {
                    let theirs = world.b.records.ids();
                    let leaked: Vec<&String> = theirs.intersection(&ids).collect();
                    if !leaked.is_empty() {
                        problems.push(format!("B: lists B's {leaked:?}"));
                    }
                    let mut expected = own(&world.a.records);
                    if case.shared {
                        expected.extend(own(&world.shared));
                    }
                    // The shared campaign has no records outside it.
                    expected.retain(|id| !id.is_empty());
                    let missing: Vec<&String> =
                        expected.iter().filter(|id| !ids.contains(*id)).collect();
                    if !missing.is_empty() {
                        problems.push(format!(
                            "own/shared: leaves out A's or the shared campaign's {missing:?}"
                        ));
                    }
                }
            }
            match listed_ids(world, case, Caller::Platform, path, key).await {
                Err(why) => problems.push(format!("platform: {why}")),
                Ok(all) => {
                    let missing: Vec<String> = own(&world.b.records)
                        .into_iter()
                        .filter(|id| !all.contains(id))
                        .collect();
                    if !missing.is_empty() {
                        problems.push(format!("platform: does not list B's {missing:?}"));
                    }
                }
            }
        }
        Expect::Hidden | Expect::Refused => {
            let mutation = matches!(case.expect, Expect::Refused);
            let (before, events) = if mutation {
                (Some(world.snapshot_of_b().await), world.events_by_a().await)
            } else {
                (None, 0)
            };
            let theirs = outcome(&world.run(case, case.caller, &world.b.records).await);
            if let Some(before) = before {
                let after = world.snapshot_of_b().await;
                if after != before {
                    problems.push(format!(
                        "B: changed B's records (answer {theirs}): {}",
                        differences(&before, &after)
                    ));
                }
                let recorded = world.events_by_a().await - events;
                if recorded != 0 {
                    problems.push(format!(
                        "B: recorded {recorded} audit events (answer {theirs})"
                    ));
                }
            }
            let none = outcome(&world.run(case, case.caller, unknown).await);
            if theirs != none {
                problems.push(format!(
                    "B: B's record answers {theirs}, an unknown id {none}"
                ));
            }
            let none_to_mirror = if case.mirror == case.caller {
                none.clone()
            } else {
                outcome(&world.run(case, case.mirror, unknown).await)
            };
            let mine = outcome(&world.run(case, case.mirror, &world.a.records).await);
            if mine == none_to_mirror {
                problems.push(format!(
                    "own: A's own record answers {:?} like an unknown id: {mine}",
                    case.mirror
                ));
            }
            if case.shared {
                let shared = outcome(&world.run(case, case.caller, &world.shared).await);
                if shared == none {
                    problems.push(format!(
                        "shared: the shared campaign's record answers like an unknown id: {shared}"
                    ));
                }
            }
            if !mutation {
                let platform = outcome(&world.run(case, Caller::Platform, &world.b.records).await);
                let platform_none = outcome(&world.run(case, Caller::Platform, unknown).await);
                if platform == platform_none {
                    problems.push(format!(
                        "platform: gets B's record like an unknown id: {platform}"
                    ));
                }
            }
        }
    }
    problems
}

/// Runs `cases` in order and fails naming every case that did not hold.
async fn run_all(world: &World, cases: &[Case]) -> Vec<String> {
    let mut failures = Vec::new();
    for case in cases {
        for why in check(world, case).await {
            failures.push(format!("{} (as {:?}): {why}", case.name, case.caller));
        }
    }
    failures
}

fn assert_all_held(total: usize, failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{} problems in {total} cases:\n- {}",
        failures.len(),
        failures.join("\n- ")
    );
}

/// `GET /media/:id/original` with a link signed for `caller`'s session: the
/// status.
async fn fetch_media(world: &World, caller: Caller, media: &str) -> u16 {
    let now = clock::now();
    let claims = world
        .app
        .state
        .keys
        .verify(world.token(caller), now)
        .expect("a valid access token");
    let id: Uuid = media.parse().expect("uuid");
    let (token, _) = world
        .app
        .state
        .media_links
        .sign(
            id,
            "original",
            Holder::Staff {
                u: claims.sub,
                s: claims.sid,
            },
            std::time::Duration::from_secs(60),
            now,
        )
        .expect("signed");
    world
        .app
        .client
        .get(world.app.url(&format!("/media/{id}/original?t={token}")))
        .send()
        .await
        .expect("request sent")
        .status()
        .as_u16()
}

/// The staff media route, which is not GraphQL: A's link to B's bytes opens
/// nothing; A's own, the shared campaign's and a platform admin's do.
async fn media_route(world: &World) -> (usize, Vec<String>) {
    use Caller::*;
    let (a, b, s) = (&world.a.records, &world.b.records, &world.shared);
    let cases = [
        ("B's image", EditorA, &b.image, 404),
        ("B's consent evidence", EditorA, &b.evidence, 404),
        ("A's image", EditorA, &a.image, 200),
        ("A's consent evidence", EditorA, &a.evidence, 200),
        ("the shared campaign's image", EditorA, &s.image, 200),
        ("B's image for a platform admin", Platform, &b.image, 200),
        (
            "B's evidence for a platform admin",
            Platform,
            &b.evidence,
            200,
        ),
    ];
    let mut failures = Vec::new();
    for (name, caller, media, expected) in cases {
        let status = fetch_media(world, caller, media).await;
        if status != expected {
            let half = if expected == 404 { "B" } else { "own" };
            failures.push(format!(
                "GET /media/:id/original of {name} (as {caller:?}): {half}: {status}, expected {expected}"
            ));
        }
    }
    (cases.len(), failures)
}

#[tokio::test]
async fn member_staff_read_only_their_organisations_and_shared_campaigns_records() {
    let world = World::new().await;
    let cases = queries();
    let mut failures = run_all(&world, &cases).await;
    let (routes, route_failures) = media_route(&world).await;
    failures.extend(route_failures);
    assert_all_held(cases.len() + routes, &failures);
}

#[tokio::test]
async fn member_staff_cannot_change_another_organisations_records() {
    let world = World::new().await;
    let cases = mutations();
    let failures = run_all(&world, &cases).await;
    assert_all_held(cases.len(), &failures);
}

/// The root fields a document selects.
fn root_fields(doc: &str) -> Vec<String> {
    let parsed = async_graphql_parser::parse_query(doc)
        .unwrap_or_else(|e| panic!("the matrix's document does not parse: {e}\n{doc}"));
    let operations = match parsed.operations {
        DocumentOperations::Single(op) => vec![op],
        DocumentOperations::Multiple(ops) => ops.into_values().collect(),
    };
    operations
        .into_iter()
        .flat_map(|op| op.node.selection_set.node.items)
        .filter_map(|item| match item.node {
            Selection::Field(field) => Some(field.node.name.node.to_string()),
            _ => None,
        })
        .collect()
}

#[test]
fn every_staff_query_and_mutation_is_in_the_matrix_or_said_to_hold_no_organisations_records() {
    let schema = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
        .expect("schema.graphql");
    let schema = async_graphql_parser::parse_schema(&schema).expect("schema parses");
    let mut fields = BTreeSet::new();
    for definition in schema.definitions {
        let TypeSystemDefinition::Type(ty) = definition else {
            continue;
        };
        let ty = ty.node;
        if !matches!(ty.name.node.as_str(), "Query" | "Mutation") {
            continue;
        }
        if let TypeKind::Object(object) = ty.kind {
            fields.extend(
                object
                    .fields
                    .into_iter()
                    .map(|f| f.node.name.node.to_string()),
            );
        }
    }
    assert!(fields.len() > 50, "read Query and Mutation: {fields:?}");

    let mut covered: BTreeSet<String> = queries()
        .iter()
        .chain(mutations().iter())
        .flat_map(|case| root_fields(case.doc))
        .collect();
    let untested: Vec<&String> = fields
        .iter()
        .filter(|f| !covered.contains(*f) && !NOT_RECORD_SCOPED.contains(&f.as_str()))
        .collect();
    assert!(
        untested.is_empty(),
        "staff fields neither in the organisation-scope matrix nor in NOT_RECORD_SCOPED: {untested:?}"
    );
    covered.extend(NOT_RECORD_SCOPED.iter().map(|f| (*f).to_owned()));
    let stale: Vec<&String> = covered.iter().filter(|f| !fields.contains(*f)).collect();
    assert!(stale.is_empty(), "no longer in the schema: {stale:?}");
    let both: Vec<&&str> = NOT_RECORD_SCOPED
        .iter()
        .filter(|f| {
            queries()
                .iter()
                .chain(mutations().iter())
                .any(|c| root_fields(c.doc).iter().any(|r| r == **f))
        })
        .collect();
    assert!(
        both.is_empty(),
        "in the matrix and said to be unscoped: {both:?}"
    );
}
