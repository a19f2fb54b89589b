//! How the storyteller is named to readers when a story is created from the
//! newsroom: `createStory` takes the naming the editor chose (the newsroom offers
//! the consented pseudonym), so a published story no longer reaches readers
//! nameless by accident, and readers still never get more than consent allows.

use api::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

struct Newsroom {
    app: TestApp,
    admin: String,
    writer: String,
    reviewer: String,
}

impl Newsroom {
    async fn start() -> Self {
        let app = spawn_app().await;
        let admin = app.token_for("admin@example.org", Role::Admin).await;
        let writer = app.token_for("editor-a@example.org", Role::Editor).await;
        let reviewer = app.token_for("editor-b@example.org", Role::Editor).await;
        Self {
            app,
            admin,
            writer,
            reviewer,
        }
    }

    async fn call(&self, token: &str, query: &str, variables: Value) -> Value {
        self.app
            .gql(Some(token), query, variables)
            .await
            .data()
            .clone()
    }

    /// A storyteller known by `public_name`, consenting to the public web at `identity`.
    async fn storyteller(&self, public_name: &str, identity: &str) -> Value {
        let teller = self
            .call(
                &self.writer,
                "mutation($input: CreateStorytellerInput!) { createStoryteller(input: $input) { id } }",
                json!({ "input": {
                    "publicName": public_name, "publicNameIsPseudonym": true,
                    "legalName": "Legal Name Never Shown", "yearOfBirth": 1980
                }}),
            )
            .await["createStoryteller"]
            .clone();
        let recorded = self
            .call(
                &self.writer,
                "mutation($input: RecordConsentInput!) { recordConsent(input: $input) { withdrawalCode } }",
                json!({ "input": {
                    "storytellerId": teller["id"],
                    "terms": {
                        "channels": ["PUBLIC_WEB"], "identityLevel": identity,
                        "faces": "OBSCURED", "voice": "ALTERED", "locationPrecision": "COUNTRY",
                        "method": "WRITTEN", "language": "en", "noticeVersion": "2026-01",
                        "noticeHash": "sha256:0000", "collectedBy": "Field worker", "jurisdiction": "GB"
                    }
                }}),
            )
            .await;
        assert!(recorded["recordConsent"]["withdrawalCode"].is_string());
        teller
    }

    /// Creates a story (with `naming` as `identityLevel`, when given) and returns it.
    async fn create(&self, teller: &Value, title: &str, naming: Option<&str>) -> Value {
        let mut input = json!({
            "storytellerId": teller["id"], "primaryLocale": "en", "title": title,
            "body": "A story."
        });
        if let Some(level) = naming {
            input["identityLevel"] = json!(level);
        }
        self.call(
            &self.writer,
            "mutation($input: CreateStoryInput!) { createStory(input: $input) {
               id slug version identityLevel locales { head { id } } } }",
            json!({ "input": input }),
        )
        .await["createStory"]
            .clone()
    }

    /// Takes the story through sign-off, review and approval by the second editor,
    /// then publishes it.
    async fn publish(&self, story: &Value) {
        self.call(
            &self.reviewer,
            "mutation($rev: ID!, $at: DateTime!) {
               recordStorytellerReview(revisionId: $rev, method: PHONE, reviewedAt: $at) { id } }",
            json!({ "rev": story["locales"][0]["head"]["id"], "at": "2026-01-01T10:00:00Z" }),
        )
        .await;
        for (token, step) in [
            (&self.writer, "submitStory"),
            (&self.reviewer, "approveStory"),
            (&self.reviewer, "publishStory"),
        ] {
            let query = format!("mutation($id: ID!) {{ {step}(id: $id) {{ state }} }}");
            self.call(token, &query, json!({ "id": story["id"] })).await;
        }
    }

    /// The storyteller as a `PUBLIC_WEB` key reads the published story.
    async fn reader_sees(&self, story: &Value) -> Value {
        let key = self
            .call(
                &self.admin,
                "mutation { createApiKey(input: { name: \"web\", channel: PUBLIC_WEB }) { secret } }",
                json!({}),
            )
            .await["createApiKey"]["secret"]
            .as_str()
            .expect("a key secret")
            .to_owned();
        let res: Value = self
            .app
            .client
            .post(self.app.url("/graphql"))
            .header("X-Api-Key", key)
            .json(&json!({
                "query": "query($slug: String!) { story(slug: $slug) { storyteller { name isPseudonym } } }",
                "variables": { "slug": story["slug"] }
            }))
            .send()
            .await
            .expect("request sent")
            .json()
            .await
            .expect("a JSON answer");
        assert!(res["errors"].is_null(), "{res}");
        assert!(
            res["data"]["story"].is_object(),
            "the story is published: {res}"
        );
        res["data"]["story"]["storyteller"].clone()
    }
}

#[tokio::test]
async fn a_story_created_with_the_consented_pseudonym_names_it_to_readers() {
    let n = Newsroom::start().await;
    let teller = n.storyteller("Amal", "PSEUDONYM").await;
    let story = n.create(&teller, "The bridge", Some("PSEUDONYM")).await;
    assert_eq!(story["identityLevel"], "PSEUDONYM");
    n.publish(&story).await;
    assert_eq!(
        n.reader_sees(&story).await,
        json!({ "name": "Amal", "isPseudonym": true })
    );
}

#[tokio::test]
async fn a_story_created_without_a_naming_stays_anonymous() {
    let n = Newsroom::start().await;
    let teller = n.storyteller("Amal", "PSEUDONYM").await;
    let story = n.create(&teller, "The river", None).await;
    assert_eq!(story["identityLevel"], "ANONYMOUS");
    n.publish(&story).await;
    assert_eq!(n.reader_sees(&story).await, Value::Null);
}

#[tokio::test]
async fn readers_never_get_more_than_consent_allows_whatever_the_story_asks() {
    let n = Newsroom::start().await;
    let teller = n.storyteller("Amal", "ANONYMOUS").await;
    let story = n.create(&teller, "The road", Some("FULL_NAME")).await;
    assert_eq!(story["identityLevel"], "FULL_NAME");
    n.publish(&story).await;
    assert_eq!(n.reader_sees(&story).await, Value::Null);
}
