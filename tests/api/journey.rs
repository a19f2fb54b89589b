//! The editorial day, end to end over HTTP: draft, review, changes, sign-off, risk
//! assessment, approval, scheduled publication, editing while live, restore, audit.

use api::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{GqlResponse, TestApp, spawn_app};

const STORY_FIELDS: &str = "id slug state version isLive publishAt
    locales { locale head { id number title body } approved { id } published { id number title } }";

struct Journey {
    app: TestApp,
    admin: String,
    editor: String,
    contributor: String,
}

impl Journey {
    async fn start() -> Self {
        let app = spawn_app().await;
        let admin = app.token_for("admin@example.org", Role::Admin).await;
        let editor = app.token_for("editor@example.org", Role::Editor).await;
        let contributor = app.token_for("writer@example.org", Role::Contributor).await;
        Self {
            app,
            admin,
            editor,
            contributor,
        }
    }

    async fn call(&self, token: &str, query: &str, variables: Value) -> GqlResponse {
        self.app.gql(Some(token), query, variables).await
    }

    /// Runs a mutation returning a story and gives back the story.
    async fn story_op(&self, token: &str, field: &str, args: &str, variables: Value) -> Value {
        // `$at` is declared only when an argument uses it: unused variables are invalid.
        let at = if args.contains("$at") {
            ", $at: DateTime"
        } else {
            ""
        };
        let query = format!(
            "mutation($id: ID!, $v: Int{at}) {{ {field}(id: $id, expectedVersion: $v{args}) {{ {STORY_FIELDS} }} }}"
        );
        let res = self.call(token, &query, variables).await;
        res.data()[field].clone()
    }

    async fn story(&self, token: &str, id: &Value) -> Value {
        let query = format!("query($id: ID!) {{ editorialStory(id: $id) {{ {STORY_FIELDS} }} }}");
        self.call(token, &query, json!({ "id": id })).await.data()["editorialStory"].clone()
    }

    async fn create_storyteller(&self, token: &str, refugee: bool) -> Value {
        let res = self
            .call(
                token,
                "mutation($input: CreateStorytellerInput!) { createStoryteller(input: $input) { id publicName } }",
                json!({ "input": {
                    "publicName": "Amal", "legalName": "Amal Real-Name", "contact": "+44 7700 900123",
                    "yearOfBirth": 1991, "languages": ["ar", "en"], "refugee": refugee
                }}),
            )
            .await;
        let teller = res.data()["createStoryteller"].clone();
        // Every channel, so the journey can publish; consent has its own tests.
        let res = self
            .call(
                &self.editor,
                "mutation($input: RecordConsentInput!) { recordConsent(input: $input) { withdrawalCode } }",
                json!({ "input": {
                    "storytellerId": teller["id"],
                    "terms": {
                        "channels": ["PUBLIC_WEB", "MOBILE_APP"], "identityLevel": "PSEUDONYM",
                        "faces": "OBSCURED", "voice": "ALTERED", "locationPrecision": "COUNTRY",
                        "method": "WRITTEN", "language": "en", "noticeVersion": "2026-01",
                        "noticeHash": "sha256:0000", "collectedBy": "Field worker", "jurisdiction": "GB"
                    }
                }}),
            )
            .await;
        assert!(res.data()["recordConsent"]["withdrawalCode"].is_string());
        teller
    }

    async fn create_story(&self, token: &str, storyteller: &Value, title: &str) -> Value {
        let query = format!(
            "mutation($input: CreateStoryInput!) {{ createStory(input: $input) {{ {STORY_FIELDS} }} }}"
        );
        let res = self
            .call(
                token,
                &query,
                json!({ "input": {
                    "storytellerId": storyteller["id"], "primaryLocale": "en", "title": title,
                    "summary": "Arriving in winter.", "body": "I arrived in **December**."
                }}),
            )
            .await;
        res.data()["createStory"].clone()
    }

    async fn save(&self, token: &str, story: &Value, body: &str) -> GqlResponse {
        let query = format!(
            "mutation($input: SaveStoryRevisionInput!) {{ saveStoryRevision(input: $input) {{ story {{ {STORY_FIELDS} }} revision {{ id number }} }} }}"
        );
        self.call(
            token,
            &query,
            json!({ "input": {
                "storyId": story["id"], "expectedVersion": story["version"], "locale": "en",
                "title": "My first winter", "summary": "Arriving in winter.", "body": body
            }}),
        )
        .await
    }
}

fn head(story: &Value) -> Value {
    story["locales"][0]["head"].clone()
}

#[tokio::test]
async fn a_story_goes_from_draft_to_published_and_every_step_is_audited() {
    let j = Journey::start().await;
    let c = j.contributor.as_str();
    let e = j.editor.as_str();

    // A contributor records a storyteller, writes a draft and submits it.
    let teller = j.create_storyteller(c, true).await;
    let story = j.create_story(c, &teller, "My First Winter").await;
    assert_eq!(story["state"], "DRAFT");
    assert_eq!(story["slug"], "my-first-winter");
    let id = story["id"].clone();
    let story = j.story_op(c, "submitStory", "", json!({ "id": id })).await;
    assert_eq!(story["state"], "IN_REVIEW");

    // The queue shows it, with who submitted it.
    let res = j
        .call(
            e,
            "{ reviewQueue { edges { node { id submittedBy { email } submittedAt } } } }",
            json!({}),
        )
        .await;
    let queued = &res.data()["reviewQueue"]["edges"][0]["node"];
    assert_eq!(queued["id"], id);
    assert_eq!(queued["submittedBy"]["email"], "writer@example.org");

    // An editor comments and asks for changes.
    let rev1 = head(&story)["id"].clone();
    let res = j
        .call(e, "mutation($r: ID!) { addReviewComment(revisionId: $r, body: \"Say which city, roughly?\") { id } }", json!({ "r": rev1 }))
        .await;
    let comment = res.data()["addReviewComment"]["id"].clone();
    let story = j
        .story_op(
            e,
            "requestChanges",
            ", comment: \"Please add how you felt.\"",
            json!({ "id": id, "v": story["version"] }),
        )
        .await;
    assert_eq!(story["state"], "CHANGES_REQUESTED");

    // The contributor revises, resolves the comment and resubmits.
    let res = j
        .save(
            c,
            &story,
            "I arrived in **December**. I was cold and hopeful.",
        )
        .await;
    let story = res.data()["saveStoryRevision"]["story"].clone();
    assert_eq!(head(&story)["number"], 2);
    assert_eq!(story["state"], "CHANGES_REQUESTED");
    j.call(
        c,
        "mutation($c: ID!) { resolveReviewComment(id: $c) { resolvedAt } }",
        json!({ "c": comment }),
    )
    .await
    .data();
    let story = j
        .story_op(
            c,
            "submitStory",
            "",
            json!({ "id": id, "v": story["version"] }),
        )
        .await;
    assert_eq!(story["state"], "IN_REVIEW");
    let rev2 = head(&story)["id"].clone();

    // Approval waits for the storyteller's review of this exact revision…
    let approve = "mutation($id: ID!) { approveStory(id: $id) { state } }";
    let res = j.call(e, approve, json!({ "id": id })).await;
    assert_eq!(res.code(), "INVALID_TRANSITION");
    assert_eq!(
        res.body["errors"][0]["extensions"]["reason"],
        "STORYTELLER_REVIEW_MISSING"
    );
    j.call(
        c,
        "mutation($r: ID!, $at: DateTime!) { recordStorytellerReview(revisionId: $r, method: IN_PERSON, reviewedAt: $at) { id } }",
        json!({ "r": rev2, "at": chrono::Utc::now() }),
    )
    .await
    .data();

    // …and, for a refugee, a risk assessment.
    let res = j.call(e, approve, json!({ "id": id })).await;
    assert_eq!(
        res.body["errors"][0]["extensions"]["reason"],
        "RISK_ASSESSMENT_MISSING"
    );
    j.call(
        e,
        "mutation($s: ID!, $on: Date!) { recordRiskAssessment(storyId: $s, input: { assessor: \"Safeguarding lead\", assessedOn: $on, level: MEDIUM, mitigations: \"Pseudonym; country only.\" }) { id } }",
        json!({ "s": id, "on": chrono::Utc::now().date_naive().to_string() }),
    )
    .await
    .data();

    // Contributors cannot approve; the editor can.
    assert_eq!(
        j.call(c, approve, json!({ "id": id })).await.code(),
        "FORBIDDEN"
    );
    let res = j.call(e, approve, json!({ "id": id })).await;
    assert_eq!(res.data()["approveStory"]["state"], "APPROVED");

    // Scheduled for two seconds from now; the worker publishes it.
    let at = chrono::Utc::now() + chrono::Duration::seconds(2);
    let story = j.story(e, &id).await;
    let story = j
        .story_op(
            e,
            "publishStory",
            ", publishAt: $at",
            json!({ "id": id, "v": story["version"], "at": at }),
        )
        .await;
    assert_eq!(story["state"], "APPROVED");
    assert!(!story["publishAt"].is_null());
    let mut story = story;
    for _ in 0..100 {
        story = j.story(e, &id).await;
        if story["state"] == "PUBLISHED" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(story["state"], "PUBLISHED", "the worker published it");
    assert_eq!(story["isLive"], true);
    assert_eq!(story["locales"][0]["published"]["id"], rev2);

    // Editing while live: a new draft, and the published revision stays live.
    let res = j.save(c, &story, "A new ending I am still writing.").await;
    let story = res.data()["saveStoryRevision"]["story"].clone();
    assert_eq!(story["state"], "DRAFT");
    assert_eq!(story["isLive"], true);
    assert_eq!(
        story["locales"][0]["published"]["id"], rev2,
        "still live until republished"
    );
    assert_eq!(head(&story)["number"], 3);

    // The slug no longer changes once published.
    let res = j
        .call(
            e,
            "mutation($id: ID!, $v: Int!) { updateStoryDetails(storyId: $id, expectedVersion: $v, input: { slug: \"another\" }) { slug } }",
            json!({ "id": id, "v": story["version"] }),
        )
        .await;
    assert_eq!(res.code(), "BAD_USER_INPUT");

    // Restore the first revision as a new one; a diff shows what changed.
    let res = j
        .call(
            c,
            "mutation($r: ID!, $v: Int!) { restoreRevision(revisionId: $r, expectedVersion: $v) { revision { number body restoredFrom } } }",
            json!({ "r": rev1, "v": story["version"] }),
        )
        .await;
    let restored = &res.data()["restoreRevision"]["revision"];
    assert_eq!(restored["number"], 4);
    assert_eq!(restored["body"], "I arrived in **December**.");
    assert_eq!(restored["restoredFrom"], rev1);
    let res = j
        .call(
            c,
            "query($a: ID!, $b: ID!) { revisionDiff(from: $a, to: $b) { body } }",
            json!({ "a": rev1, "b": rev2 }),
        )
        .await;
    let diff = res.data()["revisionDiff"]["body"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        diff.contains("-I arrived in **December**.")
            && diff.contains("+I arrived in **December**. I was cold and hopeful."),
        "{diff}"
    );

    // The audit log tells the whole story, in order; only admins may read it.
    let audit = "query($s: ID!) { auditEvents(filter: { subjectId: $s }, first: 100) { edges { node { action actor fromState toState } } } }";
    assert_eq!(
        j.call(e, audit, json!({ "s": id })).await.code(),
        "FORBIDDEN"
    );
    let res = j.call(&j.admin, audit, json!({ "s": id })).await;
    let events: Vec<Value> = res.data()["auditEvents"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect();
    let actions: Vec<&str> = events
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "story.created",
            "story.submitted",
            "review.comment_added",
            "review.comment_added",
            "story.changes_requested",
            "story.revision_saved",
            "review.comment_resolved",
            "story.submitted",
            "story.storyteller_review_recorded",
            "story.risk_assessment_recorded",
            "story.approved",
            "story.publish_scheduled",
            "story.published",
            "story.revision_saved",
            "story.revision_restored",
        ]
    );
    let published = &events[12];
    assert_eq!(published["actor"], "worker");
    assert_eq!(
        (
            published["fromState"].as_str(),
            published["toState"].as_str()
        ),
        (Some("APPROVED"), Some("PUBLISHED"))
    );
}

#[tokio::test]
async fn editors_cannot_review_or_approve_their_own_work() {
    let j = Journey::start().await;
    let teller = j.create_storyteller(&j.editor, false).await;
    let story = j.create_story(&j.editor, &teller, "Work I wrote").await;
    let id = story["id"].clone();
    j.story_op(&j.editor, "submitStory", "", json!({ "id": id }))
        .await;

    let res = j
        .call(
            &j.editor,
            "mutation($id: ID!) { approveStory(id: $id) { state } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(res.code(), "FORBIDDEN");
    let res = j
        .call(
            &j.editor,
            "mutation($id: ID!) { requestChanges(id: $id) { state } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(res.code(), "FORBIDDEN");
    assert_eq!(
        j.story(&j.editor, &id).await["state"],
        "IN_REVIEW",
        "nothing changed"
    );
}

#[tokio::test]
async fn refused_steps_answer_invalid_transition_and_change_nothing() {
    let j = Journey::start().await;
    let teller = j.create_storyteller(&j.contributor, false).await;
    let story = j.create_story(&j.contributor, &teller, "Not yet").await;
    let id = story["id"].clone();
    for step in [
        "approveStory",
        "publishStory",
        "unpublishStory",
        "unarchiveStory",
    ] {
        let res = j
            .call(
                &j.editor,
                &format!("mutation($id: ID!) {{ {step}(id: $id) {{ state }} }}"),
                json!({ "id": id }),
            )
            .await;
        assert_eq!(res.code(), "INVALID_TRANSITION", "{step}: {}", res.body);
    }
    let after = j.story(&j.editor, &id).await;
    assert_eq!(after["state"], "DRAFT");
    assert_eq!(after["version"], story["version"]);
}

#[tokio::test]
async fn two_editors_saving_from_the_same_version_conflict_and_nothing_is_lost() {
    let j = Journey::start().await;
    let second = j.app.token_for("second@example.org", Role::Editor).await;
    let teller = j.create_storyteller(&j.editor, false).await;
    let story = j.create_story(&j.editor, &teller, "Shared draft").await;

    let first = j.save(&j.editor, &story, "The first editor's words.").await;
    first.data();
    let late = j.save(&second, &story, "The second editor's words.").await;
    assert_eq!(late.code(), "CONFLICT");
    let current = late.body["errors"][0]["extensions"]["currentVersion"]
        .as_i64()
        .unwrap();
    assert_eq!(current, story["version"].as_i64().unwrap() + 1);

    let now = j.story(&j.editor, &story["id"]).await;
    assert_eq!(
        head(&now)["body"],
        "The first editor's words.",
        "not overwritten"
    );
    assert_eq!(
        head(&now)["number"],
        2,
        "the refused save added no revision"
    );

    // Saving again from the current version works.
    let mut retry = story.clone();
    retry["version"] = json!(current);
    j.save(&second, &retry, "The second editor's words.")
        .await
        .data();
}

#[tokio::test]
async fn contributors_see_only_public_names_and_change_only_their_own_stories() {
    let j = Journey::start().await;
    let teller = j.create_storyteller(&j.contributor, false).await;
    assert_eq!(teller["publicName"], "Amal");
    let res = j
        .call(
            &j.contributor,
            "query($id: ID!) { storyteller(id: $id) { yearOfBirth } }",
            json!({ "id": teller["id"] }),
        )
        .await;
    assert_eq!(res.code(), "FORBIDDEN");

    let editors_story = j
        .create_story(&j.editor, &teller, "An editor's draft")
        .await;
    let res = j
        .save(&j.contributor, &editors_story, "Not mine to change.")
        .await;
    assert_eq!(res.code(), "FORBIDDEN");

    let res = j
        .app
        .gql(None, "{ editorialStories { edges { cursor } } }", json!({}))
        .await;
    assert_eq!(
        res.code(),
        "UNAUTHENTICATED",
        "the editorial views are for staff"
    );
}

#[tokio::test]
async fn the_database_refuses_to_change_or_delete_audit_events() {
    use sea_orm::{ConnectionTrait, Statement};
    let j = Journey::start().await;
    j.create_storyteller(&j.contributor, false).await;
    let backend = j.app.db.get_database_backend();
    for sql in [
        "UPDATE audit_events SET action = 'rewritten'",
        "DELETE FROM audit_events",
    ] {
        let result = j
            .app
            .db
            .execute_raw(Statement::from_string(backend, sql))
            .await;
        assert!(result.is_err(), "{sql} must be refused");
    }
    let count = j
        .app
        .db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'storyteller.created'",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap();
    assert_eq!(count, 1);
}

#[tokio::test]
async fn translations_are_signed_off_and_published_together_with_protective_defaults() {
    use api::stories::{self, Text, workflow};
    use entity::story::{Faces, IdentityLevel, LocationPrecision, State};

    use crate::fixtures::{self, Person};

    let app = spawn_app().await;
    let (db, keys) = (&app.db, &app.state.crypto);
    let writer = fixtures::staff(db, "writer@example.org", Role::Contributor).await;
    let editor = fixtures::staff(db, "editor@example.org", Role::Editor).await;
    let teller = fixtures::storyteller(db, keys, &writer, Person::Adult, "Hana Legal").await;

    let story = fixtures::draft(db, &writer, teller.id, "Bread from home").await;
    assert_eq!(
        (
            story.identity_level,
            story.faces,
            story.location_precision,
            story.published_at
        ),
        (
            IdentityLevel::Anonymous,
            Faces::Obscured,
            LocationPrecision::Country,
            None
        ),
        "a new story starts anonymous, faces obscured, location coarse, unpublished"
    );

    // An oversized body is refused and adds nothing.
    let huge = Text {
        title: "t".into(),
        summary: String::new(),
        body: "x".repeat(stories::MAX_BODY_BYTES + 1),
    };
    let err = stories::save_revision(
        db,
        &writer,
        story.id,
        story.version,
        "en",
        huge,
        None,
        api::clock::now(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), "BAD_USER_INPUT");

    // An Arabic translation gets its own revision chain.
    let arabic = Text {
        title: "خبز من الوطن".into(),
        summary: String::new(),
        body: "نص القصة".into(),
    };
    let (story, revision) = stories::save_revision(
        db,
        &writer,
        story.id,
        story.version,
        "ar",
        arabic,
        None,
        api::clock::now(),
    )
    .await
    .unwrap();
    assert_eq!((revision.locale.as_str(), revision.number), ("ar", 1));

    let story = workflow::submit(db, &writer, story.id, None, api::clock::now())
        .await
        .unwrap();
    fixtures::sign_off(db, &writer, &story).await;
    // Only the English text is signed off: approval waits for the Arabic one too.
    let err = workflow::approve(db, &editor, true, story.id, None, api::clock::now())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "INVALID_TRANSITION");
    assert!(err.to_string().contains("`ar`"), "{err}");
    let ar_head = stories::head_revision(db, &story, "ar").await.unwrap();
    api::stories::review::record_storyteller_review(
        db,
        &writer,
        ar_head.id,
        entity::storyteller_review::Method::Phone,
        api::clock::now(),
        Some("Read to her over the phone by an interpreter.".into()),
        api::clock::now(),
    )
    .await
    .unwrap();
    let story = workflow::approve(db, &editor, true, story.id, None, api::clock::now())
        .await
        .unwrap();
    let story = workflow::publish(db, &editor, story.id, None, None, api::clock::now())
        .await
        .unwrap();
    assert_eq!(story.state, State::Published);
    let locales = stories::locales(db, story.id).await.unwrap();
    assert_eq!(locales.len(), 2);
    assert!(
        locales
            .iter()
            .all(|l| l.published_revision_id == Some(l.head_revision_id)),
        "both published together"
    );
}

/// A contributor's draft, "Whose words", and two editors to write and approve it.
struct WhoseWords {
    app: TestApp,
    writer: api::auth::Principal,
    editor: api::auth::Principal,
    other: api::auth::Principal,
    story: entity::story::Model,
}

impl WhoseWords {
    async fn start() -> Self {
        use crate::fixtures::{self, Person};

        let app = spawn_app().await;
        let (db, keys) = (&app.db, &app.state.crypto);
        let writer = fixtures::staff(db, "writer@example.org", Role::Contributor).await;
        let editor = fixtures::staff(db, "editor@example.org", Role::Editor).await;
        let other = fixtures::staff(db, "other@example.org", Role::Editor).await;
        let teller = fixtures::storyteller(db, keys, &writer, Person::Adult, "Legal Name").await;
        let story = fixtures::draft(db, &writer, teller.id, "Whose words").await;
        Self {
            app,
            writer,
            editor,
            other,
            story,
        }
    }
}

#[tokio::test]
async fn an_editor_who_wrote_any_unpublished_revision_cannot_approve_it() {
    use api::stories::{self, Text, workflow};

    use crate::fixtures;

    let WhoseWords {
        app,
        writer,
        editor,
        other,
        story,
    } = WhoseWords::start().await;
    let db = &app.db;
    let text = |body: &str| Text {
        title: "Whose words".into(),
        summary: String::new(),
        body: body.into(),
    };

    // The editor rewrites the story; the contributor then fixes a typo on top.
    let (story, _) = stories::save_revision(
        db,
        &editor,
        story.id,
        story.version,
        "en",
        text("The editor's own words."),
        None,
        api::clock::now(),
    )
    .await
    .unwrap();
    let (story, _) = stories::save_revision(
        db,
        &writer,
        story.id,
        story.version,
        "en",
        text("The editor's own words!"),
        None,
        api::clock::now(),
    )
    .await
    .unwrap();
    let story = workflow::submit(db, &writer, story.id, None, api::clock::now())
        .await
        .unwrap();
    fixtures::sign_off(db, &writer, &story).await;

    let err = workflow::approve(db, &editor, true, story.id, None, api::clock::now())
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        "FORBIDDEN",
        "the editor wrote part of this draft"
    );
    workflow::approve(db, &other, true, story.id, None, api::clock::now())
        .await
        .unwrap();
}

#[tokio::test]
async fn an_editor_may_approve_a_new_draft_around_their_own_text_once_another_approved_it() {
    use api::stories::{self, Text, workflow};
    use entity::story::State;

    use crate::fixtures;

    let WhoseWords {
        app,
        writer,
        editor,
        other,
        story,
    } = WhoseWords::start().await;
    let db = &app.db;
    let text = |title: &str| Text {
        title: title.into(),
        summary: String::new(),
        body: "The story.".into(),
    };
    let now = api::clock::now;

    // The editor's English text goes live on another editor's approval.
    let (story, _) = stories::save_revision(
        db,
        &editor,
        story.id,
        story.version,
        "en",
        text("The editor's words"),
        None,
        now(),
    )
    .await
    .unwrap();
    let story = workflow::submit(db, &writer, story.id, None, now())
        .await
        .unwrap();
    fixtures::sign_off(db, &writer, &story).await;
    workflow::approve(db, &other, true, story.id, None, now())
        .await
        .unwrap();
    let story = workflow::publish(db, &other, story.id, None, None, now())
        .await
        .unwrap();

    // The writer adds a translation: the new draft's words are the writer's
    // alone, so the editor may approve it, though the English text stays theirs.
    let (story, arabic) = stories::save_revision(
        db,
        &writer,
        story.id,
        story.version,
        "ar",
        text("كلمات من"),
        None,
        now(),
    )
    .await
    .unwrap();
    workflow::submit(db, &writer, story.id, None, now())
        .await
        .unwrap();
    api::stories::review::record_storyteller_review(
        db,
        &writer,
        arabic.id,
        entity::storyteller_review::Method::InPerson,
        now(),
        None,
        now(),
    )
    .await
    .unwrap();
    workflow::approve(db, &editor, true, story.id, None, now())
        .await
        .expect("the editor's own text was approved by someone else already");
    let story = workflow::publish(db, &editor, story.id, None, None, now())
        .await
        .unwrap();
    assert_eq!(story.state, State::Published);
}

#[tokio::test]
async fn a_story_lists_its_own_campaigns_and_tags_and_editors_can_change_them() {
    let j = Journey::start().await;
    let e = j.editor.as_str();
    let mut ids = Vec::new();
    for (kind, slug) in [
        ("Campaign", "imd-2023"),
        ("Campaign", "other-campaign"),
        ("Tag", "food"),
        ("Tag", "work"),
    ] {
        let query = format!(
            "mutation($input: Create{kind}Input!) {{ create{kind}(input: $input) {{ id }} }}"
        );
        let res = j
            .call(
                e,
                &query,
                json!({ "input": { "slug": slug, "name": slug } }),
            )
            .await;
        ids.push(res.data()[&format!("create{kind}")]["id"].clone());
    }
    let teller = j.create_storyteller(e, false).await;
    let res = j
        .call(
            e,
            "mutation($input: CreateStoryInput!) { createStory(input: $input) { id version campaigns { slug } tags { slug } } }",
            json!({ "input": { "storytellerId": teller["id"], "primaryLocale": "en", "title": "Filed",
                               "campaignIds": [ids[0]], "tagIds": [ids[2], ids[3]] } }),
        )
        .await;
    let story = res.data()["createStory"].clone();
    assert_eq!(story["campaigns"], json!([{ "slug": "imd-2023" }]));
    assert_eq!(
        story["tags"],
        json!([{ "slug": "food" }, { "slug": "work" }])
    );

    let res = j
        .call(
            e,
            "mutation($id: ID!, $v: Int!, $t: [ID!]) { updateStoryDetails(storyId: $id, expectedVersion: $v, input: { tagIds: $t }) { campaigns { slug } tags { slug } } }",
            json!({ "id": story["id"], "v": story["version"], "t": [ids[3]] }),
        )
        .await;
    let updated = &res.data()["updateStoryDetails"];
    assert_eq!(updated["tags"], json!([{ "slug": "work" }]));
    assert_eq!(
        updated["campaigns"],
        json!([{ "slug": "imd-2023" }]),
        "left out, so unchanged"
    );
}
