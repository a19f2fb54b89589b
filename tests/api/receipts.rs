//! Consent receipts that are the organisation's and the storyteller's (issue 19,
//! part 3): the data controller comes from the settings, then from the
//! storyteller's organisation once its admins set their own, and each record
//! keeps the one in force; the witness and the processing operations are
//! recorded and printed, never invented for a record that lacks them; the
//! page is written in each listed language, right to left for Arabic, Farsi and
//! Pashto, and says so when the language has no translation.

use api::auth::Role;
use entity::consent_record;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, sea_query::Expr};
use serde_json::{Value, json};

use crate::{
    helpers::{GqlResponse, TestApp, spawn_app, spawn_app_with},
    organisations::invite_and_sign_in,
};

const RECEIPT: &str = "query($id: ID!) {
    consentReceipt(id: $id) { receiptId json hash html language }
}";
const RECORD: &str = "mutation($input: RecordConsentInput!) {
    recordConsent(input: $input) {
        consent { id witness { kind value } processingOperations }
    }
}";
const SET_CONTROLLER: &str = "mutation($id: ID!, $input: DataControllerInput!) {
    setOrganisationController(id: $id, input: $input) {
        ownController controller { name address contact dpoContact }
    }
}";

/// The languages the receipt is written in, with their direction.
const LANGUAGES: [(&str, &str); 7] = [
    ("en", "ltr"),
    ("ar", "rtl"),
    ("fa", "rtl"),
    ("ps", "rtl"),
    ("uk", "ltr"),
    ("es", "ltr"),
    ("fr", "ltr"),
];

struct World {
    app: TestApp,
    admin: String,
    editor: String,
}

struct Printed {
    id: String,
    doc: Value,
    html: String,
    hash: String,
    language: String,
}

impl World {
    async fn new(app: TestApp) -> Self {
        let admin = app.token_for("admin@chorus.test", Role::Admin).await;
        let editor = app.token_for("editor@chorus.test", Role::Editor).await;
        Self { app, admin, editor }
    }

    /// An adult storyteller, owned by the organisation of `token`'s caller.
    async fn teller(&self, token: &str) -> String {
        let res = self
            .app
            .gql(
                Some(token),
                "mutation($input: CreateStorytellerInput!) { createStoryteller(input: $input) { id } }",
                json!({ "input": {
                    "publicName": "Nour", "legalName": "Nour Receipt-Legal", "yearOfBirth": 1990
                }}),
            )
            .await;
        res.data()["createStoryteller"]["id"]
            .as_str()
            .expect("storyteller id")
            .to_owned()
    }

    async fn record(&self, token: &str, teller: &str, changes: Value) -> GqlResponse {
        let mut terms = json!({
            "channels": ["PUBLIC_WEB"], "identityLevel": "PSEUDONYM", "faces": "OBSCURED",
            "voice": "TEXT_ONLY", "locationPrecision": "COUNTRY", "method": "WRITTEN",
            "language": "en", "noticeVersion": "2026-12", "noticeHash": "sha256:00",
            "collectedBy": "Field worker", "jurisdiction": "GB"
        });
        for (k, v) in changes.as_object().expect("object") {
            terms[k] = v.clone();
        }
        self.app
            .gql(
                Some(token),
                RECORD,
                json!({ "input": { "storytellerId": teller, "terms": terms } }),
            )
            .await
    }

    /// Records a consent and returns its id.
    async fn recorded(&self, token: &str, teller: &str, changes: Value) -> String {
        let res = self.record(token, teller, changes).await;
        res.data()["recordConsent"]["consent"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("recorded: {:?}", res.body))
            .to_owned()
    }

    async fn receipt(&self, id: &str) -> Printed {
        let res = self
            .app
            .gql(Some(&self.editor), RECEIPT, json!({ "id": id }))
            .await;
        let receipt = &res.data()["consentReceipt"];
        Printed {
            id: id.to_owned(),
            doc: serde_json::from_str(receipt["json"].as_str().expect("json")).expect("JSON"),
            html: receipt["html"].as_str().expect("html").to_owned(),
            hash: receipt["hash"].as_str().expect("hash").to_owned(),
            language: receipt["language"].as_str().expect("language").to_owned(),
        }
    }

    async fn records_of(&self, teller: &str) -> u64 {
        consent_record::Entity::find()
            .filter(
                consent_record::Column::StorytellerId.eq(uuid::Uuid::parse_str(teller).unwrap()),
            )
            .count(&self.app.db)
            .await
            .expect("count")
    }
}

/// A message of a translation file, as the page prints it (escaped).
fn message(lang: &str, id: &str) -> String {
    let path = format!(
        "{}/api/locales/receipt/{lang}.ftl",
        env!("CARGO_MANIFEST_DIR")
    );
    let source = std::fs::read_to_string(&path).expect("translation file");
    let value = source
        .lines()
        .find_map(|line| line.strip_prefix(&format!("{id} = ")))
        .unwrap_or_else(|| panic!("{lang} has {id}"));
    value
        .replace('&', "&amp;")
        .replace('\'', "&#39;")
        .replace('"', "&quot;")
}

#[tokio::test]
async fn a_receipt_is_written_in_each_listed_language_right_to_left_where_the_script_is() {
    let w = World::new(spawn_app().await).await;
    let teller = w.teller(&w.editor).await;
    for (lang, dir) in LANGUAGES {
        let id = w
            .recorded(&w.editor, &teller, json!({ "language": lang }))
            .await;
        let printed = w.receipt(&id).await;
        let html = &printed.html;
        assert_eq!(printed.language, lang);
        assert!(
            html.contains(&format!("<html lang=\"{lang}\" dir=\"{dir}\">")),
            "{lang}: {}",
            &html[..120]
        );
        for id in [
            "title",
            "status-label",
            "channel-public-web",
            "controller-heading",
            "operations-label",
            "operations-not-recorded",
            "witness-none",
            "not-configured",
            "withdraw-heading",
            "hash-text",
        ] {
            let text = message(lang, id);
            assert!(html.contains(&text), "{lang}: {id} ({text}) is on the page");
        }
        assert!(
            !html.contains("class=\"notice\""),
            "{lang} needs no apology"
        );
        assert_eq!(printed.doc["language"], lang);
        // Nobody configured a controller: the receipt says so, in every form.
        assert_eq!(
            printed.doc["piiControllers"][0]["piiController"],
            "NOT CONFIGURED"
        );
        assert!(!html.contains("Chorus"), "{lang}: no made-up controller");
    }
    // The Farsi and Pashto pages are not the Arabic one.
    let fa = w
        .receipt(
            &w.recorded(&w.editor, &teller, json!({ "language": "fa" }))
                .await,
        )
        .await;
    assert!(!fa.html.contains(&message("ar", "withdraw-heading")));

    // A regional tag uses its language.
    let fr_be = w
        .receipt(
            &w.recorded(&w.editor, &teller, json!({ "language": "fr-BE" }))
                .await,
        )
        .await;
    assert_eq!(fr_be.language, "fr");
    assert!(fr_be.html.contains(&message("fr", "withdraw-heading")));

    // A language without a translation: English, and the page says which
    // language it could not use.
    let ti = w
        .receipt(
            &w.recorded(&w.editor, &teller, json!({ "language": "ti-ER" }))
                .await,
        )
        .await;
    assert_eq!(ti.language, "en");
    assert!(ti.html.contains("<html lang=\"en\" dir=\"ltr\">"));
    let notice_at = ti
        .html
        .find("<p class=\"notice\" lang=\"en\">")
        .expect("a notice");
    let notice = &ti.html[notice_at..notice_at + ti.html[notice_at..].find("</p>").unwrap()];
    assert!(notice.contains("This receipt is not available in the language"));
    assert!(notice.contains("ti-ER"), "{notice}");
    assert!(
        notice_at < ti.html.find("<h1>").unwrap(),
        "before anything else"
    );
    assert!(ti.html.contains(&message("en", "withdraw-heading")));
    assert_eq!(ti.doc["language"], "ti-ER");
}

#[tokio::test]
async fn the_receipt_names_the_configured_controller_then_the_organisations_own() {
    let app = spawn_app_with(&[
        ("CHORUS_CONTROLLER_NAME", "Refugee Voices Trust"),
        (
            "CHORUS_CONTROLLER_ADDRESS",
            "1 Harbour Lane\\nDover CT16 1AA",
        ),
        ("CHORUS_CONTROLLER_CONTACT", "privacy@voices.example"),
        ("CHORUS_CONTROLLER_DPO_CONTACT", "dpo@voices.example"),
    ])
    .await;
    let w = World::new(app).await;
    let res = w
        .app
        .gql(
            Some(&w.admin),
            "mutation { createOrganisation(input: { slug: \"harbour\", name: \"Harbour Welcome\" }) { id } }",
            json!({}),
        )
        .await;
    let org = res.data()["createOrganisation"]["id"]
        .as_str()
        .expect("organisation")
        .to_owned();
    let org_admin =
        invite_and_sign_in(&w.app, &w.admin, "lead@harbour.test", "ADMIN", Some(&org)).await;
    let org_editor = invite_and_sign_in(
        &w.app,
        &w.admin,
        "editor@harbour.test",
        "EDITOR",
        Some(&org),
    )
    .await;
    let teller = w.teller(&org_editor).await;

    // Before the organisation sets its own: the instance's settings.
    let first = w
        .receipt(&w.recorded(&org_editor, &teller, json!({})).await)
        .await;
    assert_eq!(
        first.doc["piiControllers"],
        json!([{
            "piiController": "Refugee Voices Trust",
            "onBehalf": false,
            "address": "1 Harbour Lane\nDover CT16 1AA",
            "contact": "privacy@voices.example",
            "email": "privacy@voices.example",
            "dpoContact": "dpo@voices.example",
        }])
    );
    for shown in [
        "Refugee Voices Trust",
        "1 Harbour Lane<br>Dover CT16 1AA",
        "privacy@voices.example",
        "dpo@voices.example",
    ] {
        assert!(first.html.contains(shown), "{shown}");
    }

    // Only the organisation's admins (and platform admins) set its own, and
    // details without a name, or with control characters, change nothing.
    let details = json!({ "name": "Harbour Welcome CIC", "address": "5 Quay Street, Dover",
                          "contact": "+44 20 7946 0000" });
    let res = w
        .app
        .gql(
            Some(&w.admin),
            "mutation { createOrganisation(input: { slug: \"other\", name: \"Other\" }) { id } }",
            json!({}),
        )
        .await;
    let other = res.data()["createOrganisation"]["id"]
        .as_str()
        .expect("organisation")
        .to_owned();
    let other_admin =
        invite_and_sign_in(&w.app, &w.admin, "lead@other.test", "ADMIN", Some(&other)).await;
    for token in [&org_editor, &other_admin] {
        let res = w
            .app
            .gql(
                Some(token),
                SET_CONTROLLER,
                json!({ "id": org, "input": details }),
            )
            .await;
        assert_eq!(res.code(), "FORBIDDEN");
    }
    for bad in [
        json!({ "address": "5 Quay Street" }),
        json!({ "name": "Harbour\u{7}Welcome" }),
        json!({ "name": "x".repeat(201) }),
    ] {
        let res = w
            .app
            .gql(
                Some(&org_admin),
                SET_CONTROLLER,
                json!({ "id": org, "input": bad }),
            )
            .await;
        assert_eq!(res.code(), "BAD_USER_INPUT", "{bad}");
    }
    let again = w
        .receipt(&w.recorded(&org_editor, &teller, json!({})).await)
        .await;
    assert_eq!(
        again.doc["piiControllers"][0]["piiController"],
        "Refugee Voices Trust"
    );

    let res = w
        .app
        .gql(
            Some(&org_admin),
            SET_CONTROLLER,
            json!({ "id": org, "input": details }),
        )
        .await;
    assert_eq!(
        res.data()["setOrganisationController"],
        json!({ "ownController": true, "controller": {
            "name": "Harbour Welcome CIC", "address": "5 Quay Street, Dover",
            "contact": "+44 20 7946 0000", "dpoContact": null
        }})
    );

    // A new record names the organisation's controller; what it left out is
    // "not configured", never filled from the instance's.
    let own = w
        .receipt(
            &w.recorded(&org_editor, &teller, json!({ "language": "ar" }))
                .await,
        )
        .await;
    assert_eq!(
        own.doc["piiControllers"],
        json!([{
            "piiController": "Harbour Welcome CIC",
            "onBehalf": false,
            "address": "5 Quay Street, Dover",
            "contact": "+44 20 7946 0000",
            "phone": "+44 20 7946 0000",
            "dpoContact": "NOT CONFIGURED",
        }])
    );
    assert!(own.html.contains("Harbour Welcome CIC"));
    assert!(own.html.contains(&message("ar", "not-configured")));
    assert!(!own.html.contains("Refugee Voices Trust") && !own.html.contains("dpo@voices"));

    // The first receipt still states the controller in force when it was
    // recorded, with the same hash.
    let reprinted = w.receipt(&first.id).await;
    assert_eq!(reprinted.hash, first.hash);
    assert!(reprinted.html.contains("Refugee Voices Trust"));

    // A record from before controllers were stored names the one in force now.
    consent_record::Entity::update_many()
        .col_expr(
            consent_record::Column::Controller,
            Expr::value(Option::<String>::None),
        )
        .filter(consent_record::Column::Id.eq(uuid::Uuid::parse_str(&first.id).unwrap()))
        .exec(&w.app.db)
        .await
        .expect("made old");
    let old = w.receipt(&first.id).await;
    assert_eq!(
        old.doc["piiControllers"][0]["piiController"],
        "Harbour Welcome CIC"
    );

    // The platform's own storytellers keep the instance's controller.
    let platform_teller = w.teller(&w.editor).await;
    let platform = w
        .receipt(&w.recorded(&w.editor, &platform_teller, json!({})).await)
        .await;
    assert_eq!(
        platform.doc["piiControllers"][0]["piiController"],
        "Refugee Voices Trust"
    );

    // Leaving every field empty goes back to the instance's settings.
    let res = w
        .app
        .gql(
            Some(&w.admin),
            SET_CONTROLLER,
            json!({ "id": org, "input": {} }),
        )
        .await;
    assert_eq!(
        res.data()["setOrganisationController"]["ownController"],
        false
    );
    assert_eq!(
        res.data()["setOrganisationController"]["controller"]["name"],
        "Refugee Voices Trust"
    );
}

#[tokio::test]
async fn the_witness_and_the_processing_operations_are_recorded_and_printed() {
    let w = World::new(spawn_app().await).await;
    let teller = w.teller(&w.editor).await;
    let res = w
        .record(
            &w.editor,
            &teller,
            json!({
                "witness": { "kind": "ROLE", "value": "  Caseworker, Dover drop-in " },
                "processingOperations": ["PUBLISH", "COLLECT", "TRANSCRIBE", "PUBLISH"],
            }),
        )
        .await;
    let consent = &res.data()["recordConsent"]["consent"];
    assert_eq!(
        consent["witness"],
        json!({ "kind": "ROLE", "value": "Caseworker, Dover drop-in" })
    );
    assert_eq!(
        consent["processingOperations"],
        json!(["COLLECT", "TRANSCRIBE", "PUBLISH"]),
        "in a story's life order, once each"
    );
    let printed = w.receipt(consent["id"].as_str().unwrap()).await;
    assert_eq!(
        printed.doc["witness"],
        json!({ "kind": "ROLE", "value": "Caseworker, Dover drop-in" })
    );
    assert_eq!(
        printed.doc["processingOperations"],
        json!(["COLLECT", "TRANSCRIBE", "PUBLISH"])
    );
    assert!(printed.html.contains("Caseworker, Dover drop-in"));
    assert!(printed.html.contains("(role)"));
    for id in [
        "operation-collect",
        "operation-transcribe",
        "operation-publish",
    ] {
        assert!(printed.html.contains(&message("en", id)), "{id}");
    }
    for id in [
        "operation-translate",
        "operation-share-with-partners",
        "operations-not-recorded",
        "witness-none",
    ] {
        assert!(!printed.html.contains(&message("en", id)), "{id}");
    }

    // Ending a consent writes a new record with the same terms: the witness,
    // the operations and the controller stay on its receipt.
    let res = w
        .app
        .gql(
            Some(&w.editor),
            "mutation($id: ID!) { endConsent(id: $id, ending: WITHDRAW) {
                id status witness { kind } processingOperations
            } }",
            json!({ "id": consent["id"] }),
        )
        .await;
    let ended = &res.data()["endConsent"];
    assert_eq!(ended["status"], "WITHDRAWN");
    assert_eq!(ended["witness"]["kind"], "ROLE");
    assert_eq!(
        ended["processingOperations"],
        json!(["COLLECT", "TRANSCRIBE", "PUBLISH"])
    );
    let withdrawn = w.receipt(ended["id"].as_str().unwrap()).await;
    assert_eq!(withdrawn.doc["witness"], printed.doc["witness"]);
    assert_eq!(
        withdrawn.doc["piiControllers"],
        printed.doc["piiControllers"]
    );
    assert!(
        withdrawn
            .html
            .contains(&message("en", "operation-transcribe"))
    );

    // A named witness, on a Farsi receipt.
    let named = w
        .recorded(
            &w.editor,
            &teller,
            json!({ "language": "fa", "witness": { "kind": "NAME", "value": "Maryam K." },
                    "processingOperations": ["ARCHIVE"] }),
        )
        .await;
    let fa = w.receipt(&named).await;
    assert!(fa.html.contains("Maryam K."));
    assert!(fa.html.contains("(نام)"));
    assert!(fa.html.contains(&message("fa", "operation-archive")));

    // Without them, nothing is invented: "not recorded", and null in the JSON.
    let bare = w.recorded(&w.editor, &teller, json!({})).await;
    let printed = w.receipt(&bare).await;
    assert_eq!(printed.doc["processingOperations"], Value::Null);
    assert_eq!(printed.doc["witness"], Value::Null);
    assert!(
        printed
            .html
            .contains(&message("en", "operations-not-recorded"))
    );
    assert!(printed.html.contains(&message("en", "witness-none")));
}

#[tokio::test]
async fn a_bad_witness_or_operation_is_refused_and_records_nothing() {
    let w = World::new(spawn_app().await).await;
    let teller = w.teller(&w.editor).await;
    for (changes, field) in [
        (
            json!({ "processingOperations": ["SELL_TO_ADVERTISERS"] }),
            None,
        ),
        (
            json!({ "processingOperations": [] }),
            Some("processingOperations"),
        ),
        (
            json!({ "witness": { "kind": "NICKNAME", "value": "Sam" } }),
            None,
        ),
        (
            json!({ "witness": { "kind": "NAME", "value": "x".repeat(201) } }),
            Some("witness"),
        ),
        (
            json!({ "witness": { "kind": "NAME", "value": "Sam\u{1b}[31m" } }),
            Some("witness"),
        ),
        (
            json!({ "witness": { "kind": "ROLE", "value": "   " } }),
            Some("witness"),
        ),
    ] {
        let res = w.record(&w.editor, &teller, changes.clone()).await;
        assert_eq!(res.code(), "BAD_USER_INPUT", "{changes}");
        if let Some(field) = field {
            assert_eq!(
                res.body["errors"][0]["extensions"]["field"], field,
                "{changes}"
            );
        }
    }
    assert_eq!(w.records_of(&teller).await, 0, "nothing was recorded");
    // Exactly 200 characters is a witness.
    w.recorded(
        &w.editor,
        &teller,
        json!({ "witness": { "kind": "NAME", "value": "x".repeat(200) } }),
    )
    .await;
    assert_eq!(w.records_of(&teller).await, 1);
}
