//! Consent receipts, export and erasure: the receipt proves what was agreed
//! without naming the person; export gives an admin everything held about them;
//! erasure leaves none of their personal data or story text anywhere in the
//! database, while the proof of consent stays.

use api::{
    auth::{Principal, Role},
    campaigns::{self, NewCampaign, tags},
    clock,
    consent::{Decision, SpecialCategory, Terms, Witness, records},
    queue,
    stories::{self, NewStory, Text, review},
    storytellers::{self, Guardian, NewStoryteller},
};
use chrono::Duration;
use entity::{
    api_key::Channel,
    audit_event, consent_event,
    consent_event::Via,
    consent_record::{self, IndicatedBy, Method, Status, Voice, WitnessKind},
    job, risk_assessment,
    story::{Faces, IdentityLevel, LocationPrecision},
    story_read, storyteller, storyteller_review, takedown,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait, QueryFilter, Set,
    Statement,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    fixtures,
    helpers::{PASSWORD, TestApp, spawn_app},
};

const RECEIPT: &str = "query($id: ID!) {
    consentReceipt(id: $id) { receiptId json hash html language }
}";
const EXPORT: &str = "mutation($id: ID!) { exportStoryteller(id: $id) }";
const ERASE: &str = "mutation($id: ID!) {
    eraseStoryteller(id: $id) { storiesDeleted revisionsDeleted consentRecordsKept takedownsCreated }
}";

// Values that occur nowhere else, so finding one anywhere means it leaked.
const LEGAL_NAME: &str = "Leila Qorvanesh-Haddad";
const PUBLIC_NAME: &str = "Leilaqv";
const CONTACT: &str = "leila.qorvanesh@example.org";
const GUARDIAN: &str = "Samir Qorvanesh-Guardian";
const NOTES: &str = "Arrived via Calais; qorvanesh private note";
const INTERPRETER: &str = "Interpreter Zyxwqvt";
const EVIDENCE: &str = "evidence/zyxwqvt-signed-form.pdf";
// On the receipt by design, but a third party's name: erasure removes it.
const WITNESS: &str = "Witness Zyxwqvt-Named";
const TITLE_1: &str = "Crossing Qorvanesh Water";
const BODY_1: &str = "We crossed at night, qorvanesh body first draft.";
const TITLE_2: &str = "Crossing Qorvanesh Water Again";
const BODY_2: &str = "We crossed at night, qorvanesh body second draft.";
const TITLE_FR: &str = "Traverser l'eau Qorvanesh";
const BODY_FR: &str = "Nous avons traversé de nuit, corps qorvanesh.";
const SUMMARY: &str = "A qorvanesh summary.";
const COMMENT: &str = "Check the qorvanesh dates with her.";
const SIGN_OFF_NOTES: &str = "Read aloud in Arabic, qorvanesh sign-off.";
const MITIGATIONS: &str = "Pseudonym only, qorvanesh mitigation.";

/// A storyteller with two stories (one with three revisions in two locales,
/// comments, a sign-off, a risk assessment, a campaign, a tag, a scheduled job and
/// a partner that read it) and one consent.
struct Told {
    teller: storyteller::Model,
    story_ids: Vec<Uuid>,
    consent_id: Uuid,
    withdrawal_code: String,
    partner_id: Uuid,
    api_key_id: Uuid,
}

struct Staff {
    admin: Principal,
    admin_token: String,
    editor_token: String,
}

async fn staff(app: &TestApp) -> Staff {
    let admin = fixtures::staff(&app.db, "admin@example.org", Role::Admin).await;
    fixtures::staff(&app.db, "editor@example.org", Role::Editor).await;
    let token = |email: &'static str| async move {
        app.login(email, PASSWORD).await.data()["login"]["accessToken"]
            .as_str()
            .expect("access token")
            .to_owned()
    };
    Staff {
        admin,
        admin_token: token("admin@example.org").await,
        editor_token: token("editor@example.org").await,
    }
}

fn terms(language: &str, channels: Vec<Channel>, partner_ids: Vec<Uuid>) -> Terms {
    Terms {
        story_id: None,
        channels,
        partner_ids,
        all_partners: false,
        identity_level: IdentityLevel::Pseudonym,
        faces: Faces::Obscured,
        voice: Voice::TextOnly,
        location_precision: LocationPrecision::Country,
        special_categories: vec![SpecialCategory::Health],
        explicit: true,
        given_at: Some(clock::now() - Duration::hours(1)),
        expires_at: Some(clock::now() + Duration::days(365)),
        method: Method::Written,
        language: language.into(),
        interpreter: Some(INTERPRETER.into()),
        notice_version: "2026-11".into(),
        notice_hash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into(),
        collected_by: "Manchester drop-in team".into(),
        jurisdiction: "GB".into(),
        guardian_consent: false,
        child_assent: false,
        evidence_ref: Some(EVIDENCE.into()),
        witness: Some(Witness {
            kind: WitnessKind::Name,
            value: WITNESS.into(),
        }),
        operations: None,
    }
}

const DECISION: Decision = Decision {
    indicated_by: IndicatedBy::Storyteller,
    via: Via::InPerson,
};

async fn record_consent(
    app: &TestApp,
    by: &Principal,
    teller: Uuid,
    terms: Terms,
) -> records::Recorded {
    records::record(
        &app.db,
        by,
        &app.state.config.consent,
        teller,
        Status::Given,
        terms,
        DECISION,
        clock::now(),
    )
    .await
    .expect("consent recorded")
}

async fn teller(app: &TestApp, by: &Principal) -> storyteller::Model {
    storytellers::create(
        &app.db,
        &app.state.crypto,
        by,
        NewStoryteller {
            public_name: PUBLIC_NAME.into(),
            public_name_is_pseudonym: true,
            legal_name: LEGAL_NAME.into(),
            contact: Some(CONTACT.into()),
            year_of_birth: Some(1990),
            guardian: Some(Guardian {
                name: GUARDIAN.into(),
                relationship: "brother".into(),
                authority_basis: "power of attorney".into(),
                contact: None,
            }),
            languages: vec!["ar".into(), "fr".into()],
            private_notes: Some(NOTES.into()),
            refugee: true,
            ..Default::default()
        },
        clock::now(),
    )
    .await
    .expect("storyteller created")
}

async fn told(app: &TestApp, admin: &Principal) -> Told {
    let db = &app.db;
    let now = clock::now();
    let teller = teller(app, admin).await;
    let campaign = campaigns::create(
        db,
        admin,
        NewCampaign {
            slug: "refugee-week".into(),
            name: "Refugee Week".into(),
            description: String::new(),
            ..Default::default()
        },
        now,
    )
    .await
    .expect("campaign");
    let tag = tags::create(
        db,
        admin,
        tags::NewTag {
            slug: "journeys".into(),
            name: "Journeys".into(),
            description: String::new(),
        },
        now,
    )
    .await
    .expect("tag");
    let story = stories::create(
        db,
        admin,
        NewStory {
            storyteller_id: teller.id,
            slug: None,
            primary_locale: "en".into(),
            text: Text {
                title: TITLE_1.into(),
                summary: SUMMARY.into(),
                body: BODY_1.into(),
            },
            campaign_ids: vec![campaign.id],
            tag_ids: vec![tag.id],
            ..Default::default()
        },
        now,
    )
    .await
    .expect("story");
    let (story, revision) = stories::save_revision(
        db,
        admin,
        story.id,
        story.version,
        "en",
        Text {
            title: TITLE_2.into(),
            summary: SUMMARY.into(),
            body: BODY_2.into(),
        },
        None,
        now,
    )
    .await
    .expect("second revision");
    let (story, _) = stories::save_revision(
        db,
        admin,
        story.id,
        story.version,
        "fr",
        Text {
            title: TITLE_FR.into(),
            summary: SUMMARY.into(),
            body: BODY_FR.into(),
        },
        None,
        now,
    )
    .await
    .expect("French revision");
    review::add_comment(db, admin, revision.id, COMMENT.into(), now)
        .await
        .expect("comment");
    review::record_storyteller_review(
        db,
        admin,
        revision.id,
        storyteller_review::Method::InPerson,
        now,
        Some(SIGN_OFF_NOTES.into()),
        now,
    )
    .await
    .expect("sign-off");
    review::record_risk_assessment(
        db,
        admin,
        story.id,
        review::NewAssessment {
            assessor: "Safeguarding lead".into(),
            assessed_on: now.date_naive(),
            level: risk_assessment::Level::Medium,
            mitigations: MITIGATIONS.into(),
        },
        now,
    )
    .await
    .expect("assessment");
    queue::enqueue(
        db,
        job::Kind::PublishStory,
        story.id,
        now + Duration::days(3),
        now,
    )
    .await
    .expect("job");
    let second = fixtures::draft(db, admin, teller.id, "Second Qorvanesh Tale").await;

    let partner =
        api::consumers::create_partner(db, admin, "refugee-action", "Refugee Action", now)
            .await
            .expect("partner");
    // A partner's key that received the first story, as the consumer API records it.
    let api_key_id = Uuid::now_v7();
    story_read::Entity::insert(story_read::ActiveModel {
        story_id: Set(story.id),
        api_key_id: Set(api_key_id),
        partner_id: Set(Some(partner.id)),
        first_read_at: Set(now),
    })
    .exec_without_returning(db)
    .await
    .expect("read recorded");
    let recorded = record_consent(
        app,
        admin,
        teller.id,
        terms(
            "en",
            vec![Channel::PublicWeb, Channel::PartnerSites],
            vec![partner.id],
        ),
    )
    .await;
    Told {
        teller,
        story_ids: vec![story.id, second.id],
        consent_id: recorded.consent.record.id,
        withdrawal_code: recorded
            .withdrawal_code
            .expect("a code for a given consent"),
        partner_id: partner.id,
        api_key_id,
    }
}

/// Everything the person told us that must not survive erasure, and that no
/// receipt may show.
fn personal_values() -> Vec<&'static str> {
    vec![LEGAL_NAME, CONTACT, GUARDIAN, NOTES, INTERPRETER, EVIDENCE]
}

fn story_values() -> Vec<&'static str> {
    vec![
        TITLE_1,
        BODY_1,
        TITLE_2,
        BODY_2,
        TITLE_FR,
        BODY_FR,
        SUMMARY,
        COMMENT,
        SIGN_OFF_NOTES,
        MITIGATIONS,
        "Second Qorvanesh Tale",
        // The slug is made from the title.
        "crossing-qorvanesh-water",
    ]
}

fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), sorted(v)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

async fn receipt(app: &TestApp, token: &str, id: Uuid) -> Value {
    app.gql(Some(token), RECEIPT, json!({ "id": id }))
        .await
        .data()["consentReceipt"]
        .clone()
}

#[tokio::test]
async fn a_receipt_is_a_kantara_document_whose_hash_covers_its_canonical_json() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let told = told(&app, &staff.admin).await;

    let receipt = receipt(&app, &staff.editor_token, told.consent_id).await;
    let text = receipt["json"].as_str().unwrap();
    let doc: Value = serde_json::from_str(text).unwrap();
    let record = consent_record::Entity::find_by_id(told.consent_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();

    assert_eq!(receipt["receiptId"], json!(told.consent_id));
    assert_eq!(doc["version"], "KI-CR-v1.1.0");
    assert_eq!(doc["consentReceiptID"], json!(told.consent_id));
    assert_eq!(doc["jurisdiction"], "GB");
    assert_eq!(
        doc["consentTimestamp"],
        json!(record.given_at.unwrap().timestamp())
    );
    assert_eq!(doc["collectionMethod"], "WRITTEN");
    assert_eq!(doc["language"], "en");
    assert_eq!(doc["piiPrincipalId"], json!(told.teller.id));
    assert_eq!(doc["piiControllers"][0]["piiController"], "NOT CONFIGURED");
    let services: Vec<&str> = doc["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["service"].as_str().unwrap())
        .collect();
    assert_eq!(services, ["PUBLIC_WEB", "PARTNER_SITES"]);
    for service in doc["services"].as_array().unwrap() {
        let purpose = &service["purposes"][0];
        assert!(
            purpose["purpose"]
                .as_str()
                .unwrap()
                .starts_with("Publish the story")
        );
        assert_eq!(purpose["consentType"], "EXPLICIT");
    }
    assert_eq!(
        doc["services"][1]["purposes"][0]["thirdPartyName"],
        "Refugee Action"
    );
    assert_eq!(doc["sensitive"], true);
    assert_eq!(doc["spiCat"], json!(["HEALTH"]));
    assert_eq!(doc["status"], "GIVEN");
    assert_eq!(doc["expiresAt"], json!(record.expires_at.timestamp()));
    assert_eq!(doc["identityLevel"], "PSEUDONYM");
    assert_eq!(doc["faces"], "OBSCURED");
    assert_eq!(doc["voice"], "TEXT_ONLY");
    assert_eq!(doc["locationPrecision"], "COUNTRY");
    assert_eq!(doc["partners"], json!([told.partner_id]));
    assert_eq!(doc["allPartners"], false);
    assert_eq!(doc["storyId"], Value::Null);
    assert_eq!(doc["guardianConsent"], false);
    assert_eq!(doc["childAssent"], false);
    assert_eq!(doc["noticeVersion"], "2026-11");
    assert_eq!(doc["noticeHash"], json!(record.notice_hash));
    assert!(doc.get("publicKey").is_none() && doc.get("policyUrl").is_none());

    // The hash covers the canonical form, which is exactly the text served.
    let canonical = serde_json::to_vec(&sorted(&doc)).unwrap();
    assert_eq!(text.as_bytes(), canonical.as_slice());
    assert_eq!(receipt["hash"], api::auth::sha256_hex(&canonical));

    let code = told.withdrawal_code.replace('-', "");
    for form in [text, receipt["html"].as_str().unwrap()] {
        for value in personal_values().into_iter().chain([PUBLIC_NAME]) {
            assert!(!form.contains(value), "{value:?} is on the receipt");
        }
        assert!(!form.contains(&told.withdrawal_code) && !form.contains(&code));
    }
}

#[tokio::test]
async fn the_printable_receipt_speaks_the_language_of_the_consent_conversation() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let teller = teller(&app, &staff.admin).await;
    let mut receipts = Vec::new();
    for language in ["en", "fr", "ar", "ti"] {
        let consent = record_consent(
            &app,
            &staff.admin,
            teller.id,
            terms(language, vec![Channel::PublicWeb], vec![]),
        )
        .await;
        let id = consent.consent.record.id;
        receipts.push((language, id, receipt(&app, &staff.editor_token, id).await));
    }

    for (language, id, receipt) in &receipts {
        let html = receipt["html"].as_str().unwrap();
        let used = if *language == "ti" { "en" } else { language };
        assert_eq!(receipt["language"], used, "{language}");
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(
            html.contains(&format!("<html lang=\"{used}\"")),
            "{language}"
        );
        assert!(
            html.contains(&id.to_string()),
            "the receipt id is on the page"
        );
        assert!(
            html.contains(receipt["hash"].as_str().unwrap()),
            "and its hash"
        );
        // Self-contained: nothing fetched, nothing run.
        for outside in ["http:", "https:", "<script", "<link", "src=", "@import"] {
            assert!(!html.contains(outside), "{language}: {outside}");
        }
        assert_eq!(html.contains("dir=\"rtl\""), *language == "ar");
        assert_eq!(html.contains("class=\"notice\""), *language == "ti");
    }
    let html = |i: usize| receipts[i].2["html"].as_str().unwrap().to_owned();
    assert!(html(0).contains("How to withdraw"));
    assert!(html(0).contains("withdrawal code, as given to you"));
    assert!(html(0).contains("our website"));
    assert!(html(1).contains("Comment retirer votre consentement"));
    assert!(html(1).contains("code de retrait"));
    assert!(html(2).contains("كيف تسحب موافقتك"));
    assert!(
        html(3).contains("How to withdraw"),
        "Tigrinya has no translation yet: English"
    );
    // The JSON keeps the language of the conversation itself.
    let doc: Value = serde_json::from_str(receipts[3].2["json"].as_str().unwrap()).unwrap();
    assert_eq!(doc["language"], "ti");
}

#[tokio::test]
async fn receipts_are_for_editors_and_admins_and_unknown_ids_are_not_found() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let told = told(&app, &staff.admin).await;
    let contributor = app
        .token_for("contributor@example.org", Role::Contributor)
        .await;
    let res = app
        .gql(
            Some(&contributor),
            RECEIPT,
            json!({ "id": told.consent_id }),
        )
        .await;
    assert_eq!(res.code(), "FORBIDDEN");
    let res = app
        .gql(
            Some(&staff.admin_token),
            RECEIPT,
            json!({ "id": Uuid::now_v7() }),
        )
        .await;
    assert_eq!(res.code(), "NOT_FOUND");
}

#[tokio::test]
async fn an_admin_exports_everything_held_about_a_storyteller() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let told = told(&app, &staff.admin).await;

    let res = app
        .gql(
            Some(&staff.admin_token),
            EXPORT,
            json!({ "id": told.teller.id }),
        )
        .await;
    let doc: Value =
        serde_json::from_str(res.data()["exportStoryteller"].as_str().unwrap()).unwrap();

    let person = &doc["storyteller"];
    assert_eq!(person["id"], json!(told.teller.id));
    assert_eq!(person["legalName"], LEGAL_NAME);
    assert_eq!(person["contact"], CONTACT);
    assert_eq!(person["guardian"]["name"], GUARDIAN);
    assert_eq!(person["privateNotes"], NOTES);
    assert_eq!(person["publicName"], PUBLIC_NAME);
    assert_eq!(person["refugee"], true);
    assert_eq!(person["languages"], json!(["ar", "fr"]));

    let stories = doc["stories"].as_array().unwrap();
    assert_eq!(stories.len(), 2);
    let first = &stories[0];
    assert_eq!(first["id"], json!(told.story_ids[0]));
    assert_eq!(first["campaigns"], json!(["refugee-week"]));
    assert_eq!(first["tags"], json!(["journeys"]));
    let locales = first["locales"].as_array().unwrap();
    let texts = |locale: &str| -> Vec<(String, String)> {
        locales.iter().find(|l| l["locale"] == locale).unwrap()["revisions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["title"].as_str().unwrap().to_owned(),
                    r["body"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    assert_eq!(
        texts("en"),
        [
            (TITLE_1.to_owned(), BODY_1.to_owned()),
            (TITLE_2.to_owned(), BODY_2.to_owned())
        ]
    );
    assert_eq!(texts("fr"), [(TITLE_FR.to_owned(), BODY_FR.to_owned())]);
    assert_eq!(first["reviewComments"][0]["body"], COMMENT);
    assert_eq!(first["storytellerReviews"][0]["notes"], SIGN_OFF_NOTES);
    assert_eq!(first["riskAssessments"][0]["mitigations"], MITIGATIONS);
    assert_eq!(first["receivedBy"][0]["partnerId"], json!(told.partner_id));

    let consents = doc["consents"].as_array().unwrap();
    assert_eq!(consents.len(), 1);
    assert_eq!(consents[0]["id"], json!(told.consent_id));
    assert_eq!(consents[0]["status"], "GIVEN");
    let mut channels: Vec<&str> = consents[0]["channels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    channels.sort_unstable();
    assert_eq!(channels, ["PARTNER_SITES", "PUBLIC_WEB"]);
    assert_eq!(consents[0]["partnerIds"], json!([told.partner_id]));
    assert_eq!(consents[0]["interpreter"], INTERPRETER);
    assert_eq!(doc["consentEvents"][0]["action"], "RECORDED");
    assert_eq!(doc["consentEvents"][0]["consentId"], json!(told.consent_id));
    assert_eq!(doc["withdrawalCodes"].as_array().unwrap().len(), 1);

    // Audited, and the audit entry holds no personal data.
    let exported = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("storyteller.exported"))
        .filter(audit_event::Column::SubjectId.eq(told.teller.id))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(exported.len(), 1);
    for value in personal_values() {
        assert!(!exported[0].detail.contains(value));
    }
}

#[tokio::test]
async fn export_and_erasure_are_forbidden_to_editors() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let told = told(&app, &staff.admin).await;
    for query in [EXPORT, ERASE] {
        let res = app
            .gql(
                Some(&staff.editor_token),
                query,
                json!({ "id": told.teller.id }),
            )
            .await;
        assert_eq!(res.code(), "FORBIDDEN", "{query}");
        assert!(res.body["data"].is_null());
    }
    let teller = storyteller::Entity::find_by_id(told.teller.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(teller, told.teller, "nothing was erased");
    assert_eq!(
        audit_event::Entity::find()
            .filter(
                audit_event::Column::Action.is_in(["storyteller.exported", "storyteller.erased"])
            )
            .count(&app.db)
            .await
            .unwrap(),
        0
    );
}

/// Every byte the database holds: the SQLite file (and its write-ahead log) after
/// a checkpoint, or every row of every PostgreSQL table as JSON text.
async fn whole_database(app: &TestApp) -> Vec<u8> {
    match app.db.get_database_backend() {
        DbBackend::Sqlite => {
            app.db
                .execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
                .await
                .unwrap();
            let path = app
                .database_url
                .trim_start_matches("sqlite://")
                .split('?')
                .next()
                .unwrap()
                .to_owned();
            let mut bytes = std::fs::read(&path).unwrap();
            if let Ok(wal) = std::fs::read(format!("{path}-wal")) {
                bytes.extend(wal);
            }
            bytes
        }
        backend => {
            let tables = app
                .db
                .query_all_raw(Statement::from_string(
                    backend,
                    "SELECT table_name::text AS name FROM information_schema.tables
                     WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
                ))
                .await
                .unwrap();
            let mut text = String::new();
            for table in tables {
                let name: String = table.try_get("", "name").unwrap();
                let rows = app
                    .db
                    .query_all_raw(Statement::from_string(
                        backend,
                        format!("SELECT row_to_json(t)::text AS row FROM \"{name}\" t"),
                    ))
                    .await
                    .unwrap();
                for row in rows {
                    text.push_str(&row.try_get::<String>("", "row").unwrap());
                    text.push('\n');
                }
            }
            text.into_bytes()
        }
    }
}

fn holds(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

#[tokio::test]
async fn erasure_leaves_no_personal_data_or_story_text_anywhere_in_the_database() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let told = told(&app, &staff.admin).await;
    // Personal fields are stored encrypted, so their plaintext is never in the
    // database; their ciphertexts are, until erasure.
    let t = &told.teller;
    let ciphertexts: Vec<String> = [
        Some(t.legal_name_enc.clone()),
        t.contact_enc.clone(),
        t.guardian_enc.clone(),
        t.private_notes_enc.clone(),
    ]
    .into_iter()
    .flatten()
    .collect();
    assert_eq!(ciphertexts.len(), 4);
    let consents_before = consent_record::Entity::find().count(&app.db).await.unwrap();
    let events_before = consent_event::Entity::find().count(&app.db).await.unwrap();

    let before = whole_database(&app).await;
    for value in story_values()
        .into_iter()
        .chain([INTERPRETER, EVIDENCE, PUBLIC_NAME])
    {
        assert!(
            holds(&before, value),
            "the search finds {value:?} before erasure"
        );
    }
    for c in &ciphertexts {
        assert!(holds(&before, c));
    }

    let res = app
        .gql(
            Some(&staff.admin_token),
            ERASE,
            json!({ "id": told.teller.id }),
        )
        .await;
    assert_eq!(
        res.data()["eraseStoryteller"],
        json!({ "storiesDeleted": 2, "revisionsDeleted": 4, "consentRecordsKept": 2, "takedownsCreated": 1 }),
        "the given record and the withdrawal that erasure records"
    );

    let after = whole_database(&app).await;
    let leaked: Vec<&str> = personal_values()
        .into_iter()
        .chain(story_values())
        .chain([PUBLIC_NAME, WITNESS])
        .chain(ciphertexts.iter().map(String::as_str))
        .filter(|value| holds(&after, value))
        .collect();
    assert!(leaked.is_empty(), "still in the database: {leaked:?}");

    // The proof stays: consent records and events, and the audit log; erasure
    // adds the withdrawal of the consent that was still in force.
    assert_eq!(
        consent_record::Entity::find().count(&app.db).await.unwrap(),
        consents_before + 1
    );
    assert_eq!(
        consent_event::Entity::find().count(&app.db).await.unwrap(),
        events_before + 1
    );
    let withdrawal = consent_record::Entity::find()
        .filter(consent_record::Column::SupersedesId.eq(told.consent_id))
        .one(&app.db)
        .await
        .unwrap()
        .expect("a withdrawal record supersedes the given consent");
    assert_eq!(withdrawal.status, consent_record::Status::Withdrawn);
    let record = consent_record::Entity::find_by_id(told.consent_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.status, Status::Given);
    assert_eq!((record.interpreter, record.evidence_ref), (None, None));
    assert_eq!(record.notice_version, "2026-11");
    let erased = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("storyteller.erased"))
        .filter(audit_event::Column::SubjectId.eq(told.teller.id))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(erased, 1);

    // The person is an empty shell, marked erased.
    let shell = storyteller::Entity::find_by_id(told.teller.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(shell.public_name, "[erased]");
    assert!(shell.erased_at.is_some());
    assert_eq!((shell.year_of_birth, shell.date_of_birth), (None, None));
    assert!(!shell.refugee);

    // The partner that received the first story is told to take it down; nothing
    // is left to publish.
    let takedowns = takedown::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(takedowns.len(), 1);
    assert_eq!(takedowns[0].story_id, told.story_ids[0]);
    assert_eq!(takedowns[0].api_key_id, told.api_key_id);
    assert_eq!(takedowns[0].reason, "ERASED");
    assert_eq!(job::Entity::find().count(&app.db).await.unwrap(), 0);
    let codes = entity::withdrawal_code::Entity::find()
        .filter(entity::withdrawal_code::Column::RetiredAt.is_null())
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(codes, 0, "the withdrawal code is retired");
}

#[tokio::test]
async fn erasing_twice_changes_nothing_the_second_time() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    let told = told(&app, &staff.admin).await;
    let erase = || {
        app.gql(
            Some(&staff.admin_token),
            ERASE,
            json!({ "id": told.teller.id }),
        )
    };
    erase().await.data();
    let shell = storyteller::Entity::find_by_id(told.teller.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let res = erase().await;
    assert_eq!(
        res.data()["eraseStoryteller"],
        json!({ "storiesDeleted": 0, "revisionsDeleted": 0, "consentRecordsKept": 2, "takedownsCreated": 0 })
    );
    let again = storyteller::Entity::find_by_id(told.teller.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again, shell);
    let erased = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("storyteller.erased"))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(erased, 1, "the second erasure did nothing to record");
    assert_eq!(takedown::Entity::find().count(&app.db).await.unwrap(), 1);

    // What is left can still be exported: the shell and the proof of consent.
    let res = app
        .gql(
            Some(&staff.admin_token),
            EXPORT,
            json!({ "id": told.teller.id }),
        )
        .await;
    let doc: Value =
        serde_json::from_str(res.data()["exportStoryteller"].as_str().unwrap()).unwrap();
    assert_eq!(doc["storyteller"]["legalName"], Value::Null);
    assert_eq!(doc["storyteller"]["publicName"], "[erased]");
    assert_eq!(doc["stories"], json!([]));
    assert_eq!(doc["consents"][0]["interpreter"], Value::Null);
    assert_eq!(doc["consentEvents"].as_array().unwrap().len(), 2);
    assert_eq!(doc["consentEvents"][1]["toStatus"], "WITHDRAWN");
}

#[tokio::test]
async fn erasing_or_exporting_an_unknown_storyteller_is_not_found() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    for query in [EXPORT, ERASE] {
        let res = app
            .gql(
                Some(&staff.admin_token),
                query,
                json!({ "id": Uuid::now_v7() }),
            )
            .await;
        assert_eq!(res.code(), "NOT_FOUND", "{query}");
    }
}
