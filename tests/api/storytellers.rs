//! Storytellers' personal data: encrypted at rest, readable by editors only, and
//! every read audited; keys rotate without losing anything.

use std::process::Command;

use api::{auth::Role, crypto::KeyRing, storytellers};
use entity::storyteller;
use sea_orm::{ConnectionTrait, EntityTrait, Statement};
use serde_json::json;

use crate::helpers::{ENCRYPTION_KEY, spawn_app};

const LEGAL_NAME: &str = "Zainab Qx7-Testname";
const CONTACT: &str = "zainab.qx7@example.org";

const CREATE: &str =
    "mutation($input: CreateStorytellerInput!) { createStoryteller(input: $input) { id } }";

fn input() -> serde_json::Value {
    json!({ "input": {
        "publicName": "Z.", "legalName": LEGAL_NAME, "contact": CONTACT, "yearOfBirth": 1988,
        "privateNotes": "Prefers calls after 6pm.", "asylumSeeker": true
    }})
}

#[tokio::test]
async fn legal_names_and_contacts_never_reach_the_database_in_clear_text() {
    let app = spawn_app().await;
    let contributor = app.token_for("writer@example.org", Role::Contributor).await;
    app.gql(Some(&contributor), CREATE, input()).await.data();

    let needles = [LEGAL_NAME, CONTACT, "Prefers calls"];
    if app.database_url.starts_with("sqlite:") {
        // Read the raw database file and its write-ahead log, as a thief with a copy would.
        let path = app
            .database_url
            .trim_start_matches("sqlite://")
            .split('?')
            .next()
            .unwrap()
            .to_owned();
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.extend(std::fs::read(format!("{path}-wal")).unwrap_or_default());
        for needle in needles {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "{needle} found in the SQLite file"
            );
        }
    } else {
        let row = app
            .db
            .query_one_raw(Statement::from_string(
                app.db.get_database_backend(),
                "SELECT string_agg(t::text, '|') AS dump FROM storytellers t",
            ))
            .await
            .unwrap()
            .unwrap();
        let dump: String = row.try_get("", "dump").unwrap();
        assert!(
            dump.contains("v1:test1:"),
            "values are encrypted under the configured key"
        );
        for needle in needles {
            assert!(
                !dump.contains(needle),
                "{needle} found in the storytellers table"
            );
        }
    }
}

#[tokio::test]
async fn editors_read_personal_data_and_each_read_is_audited() {
    let app = spawn_app().await;
    let contributor = app.token_for("writer@example.org", Role::Contributor).await;
    let editor = app.token_for("editor@example.org", Role::Editor).await;
    let admin = app.token_for("admin@example.org", Role::Admin).await;
    let res = app.gql(Some(&contributor), CREATE, input()).await;
    let id = res.data()["createStoryteller"]["id"].clone();

    let read = "query($id: ID!) { storyteller(id: $id) { publicName riskGroups personalData { legalName } } }";
    let res = app.gql(Some(&contributor), read, json!({ "id": id })).await;
    assert_eq!(res.code(), "FORBIDDEN");

    let res = app.gql(Some(&editor), read, json!({ "id": id })).await;
    assert_eq!(
        res.data()["storyteller"]["personalData"]["legalName"],
        LEGAL_NAME
    );
    assert_eq!(
        res.data()["storyteller"]["riskGroups"],
        json!(["ASYLUM_SEEKER"])
    );

    // Selecting no personal field decrypts nothing, so there is nothing to audit.
    let res = app
        .gql(
            Some(&editor),
            "query($id: ID!) { storyteller(id: $id) { personalData { __typename } } }",
            json!({ "id": id }),
        )
        .await;
    res.data();

    let audit = "query($id: ID!) { auditEvents(filter: { subjectId: $id, action: \"storyteller.personal_data_read\" }) { edges { node { actorId detail } } } }";
    let res = app.gql(Some(&admin), audit, json!({ "id": id })).await;
    let reads = res.data()["auditEvents"]["edges"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(
        reads.len(),
        1,
        "one read by the editor; the refused read left nothing to audit"
    );
    assert_eq!(
        reads[0]["node"]["detail"],
        json!({ "fields": ["legal_name"] })
    );
}

#[tokio::test]
async fn a_minor_needs_a_guardian_with_the_basis_of_their_authority() {
    let app = spawn_app().await;
    let editor = app.token_for("editor@example.org", Role::Editor).await;
    let year = chrono::Datelike::year(&chrono::Utc::now()) - 15;
    let mut without = input();
    without["input"]["yearOfBirth"] = json!(year);
    let res = app.gql(Some(&editor), CREATE, without.clone()).await;
    assert_eq!(res.code(), "BAD_USER_INPUT");
    assert_eq!(res.body["errors"][0]["extensions"]["field"], "guardian");

    let mut with = without;
    with["input"]["guardian"] = json!({ "name": "A. Guardian", "relationship": "aunt", "authorityBasis": "special guardianship order" });
    app.gql(Some(&editor), CREATE, with).await.data();
}

#[tokio::test]
async fn keys_rotate_re_encrypts_everything_under_the_new_key() {
    let app = spawn_app().await;
    let editor = app.token_for("editor@example.org", Role::Editor).await;
    app.gql(Some(&editor), CREATE, input()).await.data();

    let new_key = KeyRing::generate_spec();
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_chorus"))
        .args(["keys", "rotate"])
        .current_dir(dir.path())
        .env("CHORUS_DATABASE_URL", &app.database_url)
        .env("CHORUS_ENCRYPTION_KEY", &new_key)
        .env("CHORUS_ENCRYPTION_OLD_KEYS", ENCRYPTION_KEY)
        .env("CHORUS_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 storyteller"));

    // The old key can now be forgotten: the new one alone reads everything.
    let only_new = KeyRing::parse(&new_key, None).unwrap();
    let teller = storyteller::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(
        teller
            .legal_name_enc
            .starts_with(&format!("v1:{}:", only_new.current_id()))
    );
    let principal = crate::fixtures::staff(&app.db, "reader@example.org", Role::Editor).await;
    let data = storytellers::read_personal(
        &app.db,
        &only_new,
        &principal,
        &teller,
        &[
            storytellers::PersonalField::LegalName,
            storytellers::PersonalField::Contact,
            storytellers::PersonalField::PrivateNotes,
        ],
        api::clock::now(),
    )
    .await
    .unwrap();
    assert_eq!(data.legal_name.as_deref(), Some(LEGAL_NAME));
    assert_eq!(data.contact.as_deref(), Some(CONTACT));
}
