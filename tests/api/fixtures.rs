//! One builder for domain objects, so tests say what they need ("an approved story
//! about a refugee") instead of repeating the steps.

use api::{
    auth::{Principal, Role, principal::Staff, users},
    clock,
    config::ConsentConfig,
    consent::{self, Decision, Terms},
    crypto::KeyRing,
    stories::{self, NewStory, Text, review, workflow},
    storytellers::{self, Guardian, NewStoryteller},
};
use chrono::Utc;
use entity::{
    api_key::Channel,
    consent_event::Via,
    consent_record::{IndicatedBy, Method, Status, Voice},
    media_text::Kind,
    risk_assessment, story,
    story::{Faces, IdentityLevel, LocationPrecision},
    storyteller, storyteller_review,
};
use sea_orm::DatabaseConnection;
use sea_orm::Iterable;
use uuid::Uuid;

use crate::helpers::PASSWORD;

/// A staff account and the principal that acts as it in service calls.
pub async fn staff(db: &DatabaseConnection, email: &str, role: Role) -> Principal {
    let user = users::create(db, email, PASSWORD, role, clock::now())
        .await
        .expect("user created");
    Principal::Staff(Staff {
        user_id: user.id,
        email: user.email,
        role,
        // Services never look at the session; the HTTP layer checked it.
        session_id: Uuid::now_v7(),
        organisation_id: user.organisation_id,
    })
}

/// Who a storyteller is, for tests that care about risk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Person {
    /// An adult with no risk flag: no risk assessment needed.
    Adult,
    /// A refugee: a risk assessment is needed before approval.
    Refugee,
    /// Born 12 years ago, with a guardian.
    Child,
}

/// An editor principal for fixtures that need one whoever the caller is.
fn fixture_editor() -> Principal {
    Principal::Staff(Staff {
        user_id: Uuid::now_v7(),
        email: "fixtures@chorus.test".into(),
        role: Role::Editor,
        session_id: Uuid::now_v7(),
        organisation_id: entity::organisation::PLATFORM_ID,
    })
}

/// Terms granting `channels` (all partners for `PARTNER_SITES`), the person named
/// in full, with the defaults of the validity configuration.
pub fn terms(channels: &[Channel]) -> Terms {
    Terms {
        story_id: None,
        channels: channels.to_vec(),
        partner_ids: Vec::new(),
        all_partners: channels.contains(&Channel::PartnerSites),
        identity_level: IdentityLevel::FullName,
        faces: Faces::Shown,
        voice: Voice::Original,
        location_precision: LocationPrecision::City,
        special_categories: Vec::new(),
        explicit: false,
        given_at: None,
        expires_at: None,
        method: Method::Written,
        language: "en".into(),
        interpreter: None,
        notice_version: "2026-01".into(),
        notice_hash: "sha256:0000".into(),
        collected_by: "Field worker".into(),
        jurisdiction: "GB".into(),
        guardian_consent: true,
        child_assent: true,
        evidence_ref: None,
        witness: None,
        operations: None,
    }
}

/// Records a `GIVEN` consent of `teller` with `terms`; returns it with the
/// withdrawal code.
pub async fn consent(db: &DatabaseConnection, teller: Uuid, terms: Terms) -> consent::Recorded {
    consent::records::record(
        db,
        &fixture_editor(),
        &ConsentConfig {
            default_validity: std::time::Duration::from_secs(730 * 86_400),
            public_reads: false,
            withdrawal_max_failures_per_address: 10,
            controller: Default::default(),
        },
        teller,
        Status::Given,
        terms,
        Decision {
            indicated_by: IndicatedBy::Storyteller,
            via: Via::InPerson,
        },
        clock::now(),
    )
    .await
    .expect("consent recorded")
}

/// Records a storyteller with the legal name `legal_name` and a consent covering
/// every channel, so that workflow tests can publish; consent tests record their own.
pub async fn storyteller(
    db: &DatabaseConnection,
    keys: &KeyRing,
    by: &Principal,
    person: Person,
    legal_name: &str,
) -> storyteller::Model {
    let teller = storyteller_without_consent(db, keys, by, person, legal_name).await;
    let all: Vec<Channel> = Channel::iter().filter(|c| c.shows_stories()).collect();
    consent(db, teller.id, terms(&all)).await;
    teller
}

/// Records a storyteller with no consent at all.
pub async fn storyteller_without_consent(
    db: &DatabaseConnection,
    keys: &KeyRing,
    by: &Principal,
    person: Person,
    legal_name: &str,
) -> storyteller::Model {
    use chrono::Datelike;
    let child = person == Person::Child;
    storytellers::create(
        db,
        keys,
        by,
        NewStoryteller {
            public_name: "Amal".into(),
            public_name_is_pseudonym: true,
            legal_name: legal_name.into(),
            contact: Some("+44 7700 900123".into()),
            year_of_birth: Some(if child { Utc::now().year() - 12 } else { 1990 }),
            date_of_birth: None,
            guardian: child.then(|| Guardian {
                name: "Guardian Name".into(),
                relationship: "mother".into(),
                authority_basis: "parental responsibility".into(),
                contact: None,
            }),
            languages: vec!["ar".into(), "en".into()],
            private_notes: None,
            asylum_seeker: false,
            refugee: person == Person::Refugee,
            undocumented: false,
        },
        clock::now(),
    )
    .await
    .expect("storyteller created")
}

/// A new draft by `author` about `teller`.
pub async fn draft(
    db: &DatabaseConnection,
    author: &Principal,
    teller: Uuid,
    title: &str,
) -> story::Model {
    stories::create(
        db,
        author,
        NewStory {
            storyteller_id: teller,
            slug: None,
            primary_locale: "en".into(),
            text: Text {
                title: title.into(),
                summary: "A summary.".into(),
                body: "The story, in *Markdown*.".into(),
            },
            ..Default::default()
        },
        clock::now(),
    )
    .await
    .expect("story created")
}

/// Records the storyteller's sign-off of the story's current primary-locale text.
pub async fn sign_off(db: &DatabaseConnection, by: &Principal, story: &story::Model) {
    let head = stories::head_revision(db, story, &story.primary_locale)
        .await
        .expect("head");
    review::record_storyteller_review(
        db,
        by,
        head.id,
        storyteller_review::Method::InPerson,
        clock::now(),
        None,
        clock::now(),
    )
    .await
    .expect("sign-off recorded");
}

/// Records a risk assessment for the story.
pub async fn assess(db: &DatabaseConnection, editor: &Principal, story: &story::Model) {
    review::record_risk_assessment(
        db,
        editor,
        story.id,
        review::NewAssessment {
            assessor: "Safeguarding lead".into(),
            assessed_on: clock::now().date_naive(),
            level: risk_assessment::Level::Medium,
            mitigations: "Pseudonym only; no location below country.".into(),
        },
        clock::now(),
    )
    .await
    .expect("assessment recorded");
}

/// An MP3 recording with ID3 tags (which intake strips).
pub fn mp3() -> Vec<u8> {
    let mut bytes = api::media::strip::fixtures::id3v2_tag();
    bytes.extend(api::media::strip::fixtures::mp3_frames());
    bytes
}

/// Takes `bytes` in as `by` through the intake pipeline, on the app's own store.
pub async fn ingest(
    app: &crate::helpers::TestApp,
    by: &Principal,
    owner: api::media::intake::Owner,
    bytes: &[u8],
) -> entity::media_asset::Model {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("upload");
    std::fs::write(&path, bytes).expect("written");
    api::media::intake::ingest(
        &app.db,
        app.state.storage.as_ref(),
        by,
        owner,
        &path,
        &api::media::intake::Limits::default(),
        clock::now(),
    )
    .await
    .expect("ingested")
}

/// A caption track with one cue, as an editor would upload it.
pub const CAPTIONS: &str = "WEBVTT\n\n00:00.000 --> 00:02.000\nHello.\n";

/// Gives every public recording of the story a transcript and every public
/// video a caption track (in English), as an editor does before approval.
pub async fn transcribe(db: &DatabaseConnection, editor: &Principal, story_id: Uuid) {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let recordings = entity::media_asset::Entity::find()
        .filter(entity::media_asset::Column::StoryId.eq(story_id))
        .filter(entity::media_asset::Column::Private.eq(false))
        .all(db)
        .await
        .expect("media");
    for item in recordings {
        let (kind, body) = match item.kind {
            entity::media_asset::Kind::Audio => (Kind::Transcript, "What was said."),
            entity::media_asset::Kind::Video => (Kind::Captions, CAPTIONS),
            _ => continue,
        };
        api::media::recordings::set(db, editor, item.id, kind, "en", Some(body), clock::now())
            .await
            .expect("words set");
    }
}

/// A story by `author`, submitted, signed off, assessed and approved by `editor`.
pub async fn approved(
    db: &DatabaseConnection,
    author: &Principal,
    editor: &Principal,
    teller: Uuid,
    title: &str,
) -> story::Model {
    let story = draft(db, author, teller, title).await;
    approve(db, author, editor, &story).await
}

/// `story` (a draft by `author`) submitted, signed off, assessed and approved
/// by `editor`.
pub async fn approve(
    db: &DatabaseConnection,
    author: &Principal,
    editor: &Principal,
    story: &story::Model,
) -> story::Model {
    let story = workflow::submit(db, author, story.id, None, clock::now())
        .await
        .expect("submitted");
    sign_off(db, author, &story).await;
    assess(db, editor, &story).await;
    workflow::approve(db, editor, true, story.id, None, clock::now())
        .await
        .expect("approved")
}

/// `story` (a draft by `author`) approved and published now by `editor`.
pub async fn publish(
    db: &DatabaseConnection,
    author: &Principal,
    editor: &Principal,
    story: &story::Model,
) -> story::Model {
    let approved = approve(db, author, editor, story).await;
    workflow::publish(db, editor, approved.id, None, None, clock::now())
        .await
        .expect("published")
}

/// A partner organisation (by a platform admin); its id.
pub async fn partner(db: &DatabaseConnection, admin: &Principal, slug: &str) -> Uuid {
    api::consumers::create_partner(db, admin, slug, slug, clock::now())
        .await
        .expect("partner")
        .id
}

/// An API key for `channel` (and `partner`), made by an admin: its id and the key itself.
pub async fn api_key(
    db: &DatabaseConnection,
    admin: &Principal,
    channel: Channel,
    partner: Option<Uuid>,
) -> (Uuid, String) {
    let (key, secret) = api::consumers::create_key(
        db,
        admin,
        api::consumers::NewKey {
            name: "test key".into(),
            channel,
            partner_id: partner,
            campaign_ids: vec![],
            expires_at: None,
        },
        clock::now(),
    )
    .await
    .expect("key");
    (key.id, secret)
}

/// The storyteller withdraws consent `consent_id`, in person with an editor.
pub async fn withdraw(db: &DatabaseConnection, editor: &Principal, consent_id: Uuid) {
    consent::records::end(
        db,
        editor,
        consent_id,
        consent::Ending::Withdraw,
        Decision {
            indicated_by: IndicatedBy::Storyteller,
            via: Via::InPerson,
        },
        clock::now(),
    )
    .await
    .expect("withdrawn");
}

/// A new adult storyteller with one consent granting `terms`: the storyteller
/// and the consent.
pub async fn teller_with(
    db: &DatabaseConnection,
    keys: &KeyRing,
    by: &Principal,
    terms: Terms,
) -> (storyteller::Model, consent::Recorded) {
    let teller =
        storyteller_without_consent(db, keys, by, Person::Adult, "Legal Name Of Teller").await;
    let recorded = consent(db, teller.id, terms).await;
    (teller, recorded)
}

/// A new adult storyteller whose consent grants `terms`, and a story of theirs,
/// approved and published now: the story, and the consent's id.
pub async fn published_with_consent(
    db: &DatabaseConnection,
    keys: &KeyRing,
    author: &Principal,
    editor: &Principal,
    terms: Terms,
    title: &str,
) -> (story::Model, Uuid) {
    let (teller, recorded) = teller_with(db, keys, editor, terms).await;
    let story = approved(db, author, editor, teller.id, title).await;
    let story = publish_now(db, editor, story.id).await;
    (story, recorded.consent.record.id)
}

/// Publishes the approved story `id` now, as `editor`.
pub async fn publish_now(db: &DatabaseConnection, editor: &Principal, id: Uuid) -> story::Model {
    workflow::publish(db, editor, id, None, None, clock::now())
        .await
        .expect("published")
}
