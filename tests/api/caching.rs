//! Caching that respects consent: persisted queries (APQ), `ETag` and `304`,
//! `Cache-Control` bounded by the next visibility change, and the in-process
//! answer cache, which must never serve a story past a withdrawal or an expiry,
//! nor one key's answer to another.

use std::{io::Read, time::Duration as StdDuration};

use api::{
    auth::{Principal, Role},
    clock,
    consumers::{self, NewKey},
    stories::workflow,
};
use chrono::Duration;
use entity::{
    api_key::{self, Channel},
    story, storyteller,
};
use reqwest::header;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    fixtures::{self, Person},
    helpers::{PASSWORD, TestApp, spawn_app_with},
};

const LIST: &str = "{ stories(first: 20) { totalCount edges { node { slug title } } } }";

/// An answer as the client saw it: status, headers, and the JSON body if any.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    bytes: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes)
            .unwrap_or_else(|e| panic!("JSON expected ({e}): {:?}", self.bytes))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().expect("ascii"))
    }

    fn etag(&self) -> &str {
        self.header("etag").expect("an ETag")
    }

    /// The first error's `extensions.code`, as a string (empty when there is none).
    fn error_code(&self) -> String {
        self.json()["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The `max-age` of `Cache-Control: private, max-age=N`.
    fn max_age(&self) -> u64 {
        let value = self.header("cache-control").expect("Cache-Control");
        assert!(value.starts_with("private"), "{value}");
        value
            .split(',')
            .find_map(|part| part.trim().strip_prefix("max-age="))
            .unwrap_or_else(|| panic!("a max-age: {value}"))
            .parse()
            .expect("seconds")
    }

    fn vary(&self) -> Vec<String> {
        self.headers
            .get_all(header::VARY)
            .iter()
            .flat_map(|v| v.to_str().unwrap().split(','))
            .map(|v| v.trim().to_ascii_lowercase())
            .collect()
    }

    /// The slugs of a `LIST` answer.
    fn slugs(&self) -> Vec<String> {
        let body = self.json();
        assert!(body["errors"].is_null(), "unexpected errors: {body}");
        body["data"]["stories"]["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .map(|e| e["node"]["slug"].as_str().expect("slug").to_owned())
            .collect()
    }
}

/// A server to send requests to: a test app, or a second node beside it.
trait Server {
    fn client(&self) -> &reqwest::Client;
    fn url(&self, path: &str) -> String;
}

impl Server for TestApp {
    fn client(&self) -> &reqwest::Client {
        &self.client
    }
    fn url(&self, path: &str) -> String {
        TestApp::url(self, path)
    }
}

/// A GET or POST to `/graphql`, built up before sending.
struct Call<'a> {
    client: &'a reqwest::Client,
    url: String,
    post: bool,
    params: Vec<(&'static str, String)>,
    headers: Vec<(&'static str, String)>,
}

impl<'a> Call<'a> {
    fn get(server: &'a impl Server) -> Self {
        Self {
            client: server.client(),
            url: server.url("/graphql"),
            post: false,
            params: Vec::new(),
            headers: Vec::new(),
        }
    }

    fn post(server: &'a impl Server) -> Self {
        Self {
            post: true,
            ..Self::get(server)
        }
    }

    fn query(mut self, query: &str) -> Self {
        self.params.push(("query", query.to_owned()));
        self
    }

    fn variables(mut self, variables: Value) -> Self {
        self.params.push(("variables", variables.to_string()));
        self
    }

    /// `extensions.persistedQuery` with this hash.
    fn hash(mut self, hash: &str) -> Self {
        let extensions = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });
        self.params.push(("extensions", extensions.to_string()));
        self
    }

    fn key(self, key: &str) -> Self {
        self.header("x-api-key", key)
    }

    fn header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.to_owned()));
        self
    }

    async fn send(self) -> Answer {
        let url = self.url;
        let mut req = if self.post {
            let mut body = serde_json::Map::new();
            for (name, value) in &self.params {
                let value = match *name {
                    "query" => Value::String(value.clone()),
                    _ => serde_json::from_str(value).expect("JSON parameter"),
                };
                body.insert((*name).to_owned(), value);
            }
            self.client.post(url).json(&body)
        } else {
            self.client.get(url).query(&self.params)
        };
        for (name, value) in &self.headers {
            req = req.header(*name, value);
        }
        let res = req.send().await.expect("request sent");
        Answer {
            status: res.status().as_u16(),
            headers: res.headers().clone(),
            bytes: res.bytes().await.expect("body").to_vec(),
        }
    }
}

fn sha256(text: &str) -> String {
    api::auth::sha256_hex(text.as_bytes())
}

/// An app with staff, and helpers for published stories and keys.
struct World {
    app: TestApp,
    admin: Principal,
    editor: Principal,
    author: Principal,
    editor_token: String,
}

impl World {
    async fn with(overrides: &[(&str, &str)]) -> Self {
        let app = spawn_app_with(overrides).await;
        Self::on(app).await
    }

    async fn on(app: TestApp) -> Self {
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

    async fn teller(&self) -> storyteller::Model {
        fixtures::storyteller_without_consent(
            &self.app.db,
            &self.app.state.crypto,
            &self.editor,
            Person::Adult,
            "Legal Name Of Teller",
        )
        .await
    }

    /// A teller with `terms`, and a story of theirs, published now. Returns the
    /// story and the consent's id and withdrawal code.
    async fn published(&self, title: &str, terms: api::consent::Terms) -> Published {
        let teller = self.teller().await;
        let recorded = fixtures::consent(&self.app.db, teller.id, terms).await;
        let story = self.publish_new(teller.id, title).await;
        Published {
            story,
            consent_id: recorded.consent.record.id,
            code: recorded.withdrawal_code.expect("a withdrawal code"),
        }
    }

    /// A new story of `teller`, approved and published now.
    async fn publish_new(&self, teller: Uuid, title: &str) -> story::Model {
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

    async fn partner(&self, slug: &str) -> Uuid {
        consumers::create_partner(&self.app.db, &self.admin, slug, slug, clock::now())
            .await
            .expect("partner")
            .id
    }

    /// A key's id and secret.
    async fn key(&self, channel: Channel, partner_id: Option<Uuid>) -> (Uuid, String) {
        let (key, secret) = consumers::create_key(
            &self.app.db,
            &self.admin,
            NewKey {
                name: "test key".into(),
                channel,
                partner_id,
                campaign_ids: vec![],
                expires_at: None,
            },
            clock::now(),
        )
        .await
        .expect("key");
        (key.id, secret)
    }

    fn hits(&self) -> u64 {
        self.app.state.caches.responses.stats().hits
    }

    /// GETs `LIST` with `key` and returns the slugs, asserting whether the answer
    /// came from the cache.
    async fn list(&self, key: &str, from_cache: bool) -> Vec<String> {
        let before = self.hits();
        let answer = Call::get(&self.app).query(LIST).key(key).send().await;
        assert_eq!(answer.status, 200, "{:?}", answer.json());
        assert_eq!(
            self.hits() - before,
            u64::from(from_cache),
            "expected the answer {} the cache",
            if from_cache { "from" } else { "not from" }
        );
        answer.slugs()
    }
}

struct Published {
    story: story::Model,
    consent_id: Uuid,
    code: String,
}

fn terms(channels: &[Channel]) -> api::consent::Terms {
    fixtures::terms(channels)
}

// ---- Persisted queries ---------------------------------------------------------

#[tokio::test]
async fn apq_registers_a_query_by_its_hash_and_then_serves_the_hash_alone() {
    let w = World::with(&[]).await;
    w.published("Bread at dawn", terms(&[Channel::MobileApp]))
        .await;
    let (_, key) = w.key(Channel::MobileApp, None).await;
    let query = "query List($n: Int) { stories(first: $n) { edges { node { slug } } } }";
    let hash = sha256(query);
    let vars = json!({ "n": 5 });

    // The hash alone, before anyone sent the text: Apollo's miss.
    let miss = Call::get(&w.app)
        .hash(&hash)
        .variables(vars.clone())
        .key(&key)
        .send()
        .await;
    assert_eq!(miss.status, 200);
    let body = miss.json();
    assert_eq!(body["errors"][0]["message"], "PersistedQueryNotFound");
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "PERSISTED_QUERY_NOT_FOUND"
    );
    assert!(body["data"].is_null());
    assert_eq!(miss.header("cache-control"), Some("no-store"));

    // The text with its hash registers it and runs it.
    let registered = Call::post(&w.app)
        .query(query)
        .hash(&hash)
        .variables(vars.clone())
        .key(&key)
        .send()
        .await;
    assert_eq!(registered.status, 200);
    let data = registered.json()["data"].clone();
    assert_eq!(
        data["stories"]["edges"].as_array().unwrap().len(),
        1,
        "{data}"
    );

    // Now the hash alone is enough, by GET (cacheable) and by POST, and from
    // another key too (the text is no secret; the answer is still per key).
    let by_hash = Call::get(&w.app)
        .hash(&hash)
        .variables(vars.clone())
        .key(&key)
        .send()
        .await;
    assert_eq!(by_hash.status, 200);
    assert_eq!(by_hash.json()["data"], data);
    assert!(by_hash.header("etag").is_some());
    let by_post = Call::post(&w.app)
        .hash(&hash)
        .variables(vars.clone())
        .key(&key)
        .send()
        .await;
    assert_eq!(by_post.json()["data"], data);
    let (_, other) = w.key(Channel::MobileApp, None).await;
    let by_other = Call::get(&w.app)
        .hash(&hash)
        .variables(vars)
        .key(&other)
        .send()
        .await;
    assert_eq!(by_other.json()["data"], data);
}

#[tokio::test]
async fn apq_refuses_a_wrong_hash_a_wrong_version_and_never_registers_a_mutation() {
    let w = World::with(&[]).await;
    let (_, key) = w.key(Channel::MobileApp, None).await;
    let query = "{ campaigns { edges { cursor } } }";

    let wrong = Call::get(&w.app)
        .query(query)
        .hash(&sha256("{ tags { edges { cursor } } }"))
        .key(&key)
        .send()
        .await;
    assert_eq!(wrong.status, 400);
    let body = wrong.json();
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert_eq!(
        body["errors"][0]["message"],
        "provided sha does not match query"
    );
    // Nothing was registered under either hash.
    let res = Call::get(&w.app)
        .hash(&sha256(query))
        .key(&key)
        .send()
        .await;
    assert_eq!(res.error_code(), "PERSISTED_QUERY_NOT_FOUND");

    let version_two = json!({ "persistedQuery": { "version": 2, "sha256Hash": sha256(query) } });
    let res = w
        .app
        .client
        .get(w.app.url("/graphql"))
        .query(&[
            ("query", query.to_owned()),
            ("extensions", version_two.to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");

    // A mutation by GET is refused, with or without a hash, and is not registered.
    let mutation = "mutation { logout }";
    let res = Call::get(&w.app)
        .query(mutation)
        .hash(&sha256(mutation))
        .send()
        .await;
    assert_eq!(res.status, 405);
    assert_eq!(res.error_code(), "BAD_USER_INPUT");
    // By POST it runs (here: refused for want of a session), and is still not
    // registered: a hash never stands for a mutation.
    let res = Call::post(&w.app)
        .query(mutation)
        .hash(&sha256(mutation))
        .send()
        .await;
    assert_eq!(res.error_code(), "UNAUTHENTICATED");
    let res = Call::post(&w.app).hash(&sha256(mutation)).send().await;
    assert_eq!(res.error_code(), "PERSISTED_QUERY_NOT_FOUND");
}

// ---- ETag, 304, Cache-Control, Vary ------------------------------------------

#[tokio::test]
async fn get_answers_carry_an_etag_and_revalidate_to_304_until_something_changes() {
    let w = World::with(&[]).await;
    let first = w
        .published("Nurse on the night shift", terms(&[Channel::MobileApp]))
        .await;
    let (_, key) = w.key(Channel::MobileApp, None).await;

    let one = Call::get(&w.app).query(LIST).key(&key).send().await;
    let two = Call::get(&w.app).query(LIST).key(&key).send().await;
    assert_eq!(one.status, 200);
    assert_eq!(one.slugs(), vec![first.story.slug.clone()]);
    assert_eq!(one.etag(), two.etag(), "the same answer, the same tag");
    assert!(one.etag().starts_with('"'), "a strong tag: {}", one.etag());

    let unchanged = Call::get(&w.app)
        .query(LIST)
        .key(&key)
        .header("if-none-match", one.etag())
        .send()
        .await;
    assert_eq!(unchanged.status, 304);
    assert!(unchanged.bytes.is_empty(), "no body with a 304");
    assert_eq!(unchanged.etag(), one.etag());
    assert!(unchanged.max_age() <= 30);
    assert!(unchanged.vary().contains(&"x-api-key".to_owned()));

    // Gzip does not change the tag: it names the content, not the encoding.
    let gzipped = Call::get(&w.app)
        .query(LIST)
        .key(&key)
        .header("accept-encoding", "gzip")
        .header("if-none-match", one.etag())
        .send()
        .await;
    assert_eq!(gzipped.status, 304);

    // A new story: a new answer, a new tag, and the old tag no longer matches.
    let teller = w.teller().await;
    fixtures::consent(&w.app.db, teller.id, terms(&[Channel::MobileApp])).await;
    let second = w.publish_new(teller.id, "Second story").await;
    let changed = Call::get(&w.app)
        .query(LIST)
        .key(&key)
        .header("if-none-match", one.etag())
        .send()
        .await;
    assert_eq!(changed.status, 200);
    assert_ne!(changed.etag(), one.etag());
    assert!(
        changed.slugs().contains(&second.slug),
        "{:?}",
        changed.json()
    );
}

#[tokio::test]
async fn cache_control_is_private_and_short_for_consumers_and_no_store_for_the_rest() {
    let w = World::with(&[]).await;
    w.published("Open for years", terms(&[Channel::MobileApp]))
        .await;
    let (_, key) = w.key(Channel::MobileApp, None).await;

    let answer = Call::get(&w.app)
        .query(LIST)
        .key(&key)
        .header("origin", "https://elsewhere.example")
        .send()
        .await;
    assert_eq!(answer.status, 200);
    let max_age = answer.max_age();
    assert!((1..=30).contains(&max_age), "{max_age}");
    let vary = answer.vary();
    for wanted in ["x-api-key", "origin", "accept-encoding"] {
        assert_eq!(
            vary.iter().filter(|v| *v == wanted).count(),
            1,
            "{wanted} once in {vary:?}"
        );
    }
    assert_eq!(
        answer.headers.get_all(header::VARY).iter().count(),
        1,
        "one Vary header"
    );

    // A consent that ends in 20 seconds bounds every answer's max-age, since the
    // list may change then.
    let mut soon = terms(&[Channel::Press]);
    soon.expires_at = Some(clock::now() + Duration::seconds(20));
    w.published("Ends soon", soon).await;
    let answer = Call::get(&w.app).query(LIST).key(&key).send().await;
    assert!(
        answer.max_age() <= 20,
        "{:?}",
        answer.header("cache-control")
    );

    // POST, staff and errors: nothing may keep them.
    let post = Call::post(&w.app).query(LIST).key(&key).send().await;
    assert_eq!(post.header("cache-control"), Some("no-store"));
    assert!(post.header("etag").is_none());
    let staff = Call::get(&w.app)
        .query("{ campaigns { edges { cursor } } }")
        .header("authorization", &format!("Bearer {}", w.editor_token))
        .send()
        .await;
    assert_eq!(staff.status, 200);
    assert_eq!(staff.header("cache-control"), Some("no-store"));
    let failed = Call::get(&w.app)
        .query("{ stories(first: 1000) { totalCount } }")
        .key(&key)
        .send()
        .await;
    assert!(failed.json()["errors"].is_array());
    assert_eq!(failed.header("cache-control"), Some("no-store"));
}

#[tokio::test]
async fn the_configured_max_age_caps_it_and_zero_asks_for_revalidation() {
    let w = World::with(&[("CHORUS_CACHE_MAX_AGE", "7s")]).await;
    let (_, key) = w.key(Channel::MobileApp, None).await;
    let answer = Call::get(&w.app).query(LIST).key(&key).send().await;
    assert!(answer.max_age() <= 7);

    let w = World::with(&[
        ("CHORUS_CACHE_MAX_AGE", "0"),
        ("CHORUS_RESPONSE_CACHE_BYTES", "0"),
    ])
    .await;
    let (_, key) = w.key(Channel::MobileApp, None).await;
    let answer = Call::get(&w.app).query(LIST).key(&key).send().await;
    assert_eq!(answer.header("cache-control"), Some("private, no-cache"));
    let again = Call::get(&w.app)
        .query(LIST)
        .key(&key)
        .header("if-none-match", answer.etag())
        .send()
        .await;
    assert_eq!(again.status, 304, "revalidation works without any caching");
    w.list(&key, false).await;
    w.list(&key, false).await;
    assert_eq!(w.app.state.caches.responses.stats().entries, 0);
}

// ---- The in-process cache is exact ---------------------------------------------

#[tokio::test]
async fn a_cached_answer_never_outlives_a_withdrawal_by_an_editor_or_by_code() {
    let w = World::with(&[]).await;
    let by_editor = w
        .published("Withdrawn by an editor", terms(&[Channel::MobileApp]))
        .await;
    let by_code = w
        .published("Withdrawn by code", terms(&[Channel::MobileApp]))
        .await;
    let (_, key) = w.key(Channel::MobileApp, None).await;

    let slugs = w.list(&key, false).await;
    assert_eq!(slugs.len(), 2);
    // Nothing changed: the same request is served from the cache.
    assert_eq!(w.list(&key, true).await, slugs);

    // An editor records the storyteller's withdrawal.
    let res = w
        .app
        .gql(
            Some(&w.editor_token),
            "mutation($id: ID!) { endConsent(id: $id, ending: WITHDRAW) { status } }",
            json!({ "id": by_editor.consent_id }),
        )
        .await;
    assert_eq!(res.data()["endConsent"]["status"], "WITHDRAWN");
    let slugs = w.list(&key, false).await;
    assert_eq!(slugs, vec![by_code.story.slug.clone()]);
    assert_eq!(w.list(&key, true).await, slugs);

    // The storyteller withdraws with their code, with no account.
    let res = w
        .app
        .gql(
            None,
            "mutation($c: String!) { withdrawConsent(code: $c) { withdrawn } }",
            json!({ "c": by_code.code }),
        )
        .await;
    assert_eq!(res.data()["withdrawConsent"]["withdrawn"], true);
    assert!(w.list(&key, false).await.is_empty());

    // By slug too, and over POST (which the cache also serves).
    let by_slug = |slug: String| {
        Call::post(&w.app)
            .query("query($s: String!) { story(slug: $s) { slug } }")
            .variables(json!({ "s": slug }))
            .key(&key)
            .send()
    };
    assert!(by_slug(by_code.story.slug.clone()).await.json()["data"]["story"].is_null());
}

#[tokio::test]
async fn a_cached_answer_never_outlives_a_consent_expiry_even_with_no_write_at_all() {
    // No worker: nothing writes when the consent ends; time alone must do it.
    let w = World::with(&[("CHORUS_JOBS_ENABLED", "false")]).await;
    let mut short = terms(&[Channel::MobileApp]);
    short.expires_at = Some(clock::now() + Duration::seconds(4));
    let expiring = w.published("Short-lived", short).await;
    let lasting = w
        .published("Long-lived", terms(&[Channel::MobileApp]))
        .await;
    let (_, key) = w.key(Channel::MobileApp, None).await;

    let slugs = w.list(&key, false).await;
    assert!(slugs.contains(&expiring.story.slug), "{slugs:?}");
    let answer = Call::get(&w.app).query(LIST).key(&key).send().await;
    assert!(
        answer.max_age() <= 4,
        "{:?}",
        answer.header("cache-control")
    );
    assert_eq!(w.list(&key, true).await, slugs, "served from the cache");

    let high_water = api::stories::changes::high_water(&w.app.db).await.unwrap();
    tokio::time::sleep(StdDuration::from_millis(4200)).await;
    assert_eq!(
        api::stories::changes::high_water(&w.app.db).await.unwrap(),
        high_water,
        "nothing was written in between"
    );
    let slugs = w.list(&key, false).await;
    assert_eq!(slugs, vec![lasting.story.slug.clone()]);
    assert_eq!(w.list(&key, true).await, slugs);
}

#[tokio::test]
async fn a_revoked_key_is_refused_even_though_its_answer_is_cached() {
    let w = World::with(&[]).await;
    w.published("A story", terms(&[Channel::MobileApp])).await;
    let (key_id, key) = w.key(Channel::MobileApp, None).await;
    w.list(&key, false).await;
    w.list(&key, true).await;

    consumers::revoke_key(&w.app.db, &w.admin, key_id, clock::now())
        .await
        .expect("revoked");
    let before = w.hits();
    let res = Call::get(&w.app).query(LIST).key(&key).send().await;
    assert_eq!(res.error_code(), "UNAUTHENTICATED");
    assert!(res.json()["data"].is_null());
    assert_eq!(res.header("cache-control"), Some("no-store"));
    assert_eq!(w.hits(), before);
}

#[tokio::test]
async fn a_known_key_costs_no_lookup_and_a_change_to_it_anywhere_applies_on_its_next_request() {
    let w = World::with(&[]).await;
    w.published("A story", terms(&[Channel::MobileApp])).await;
    let (key_id, key) = w.key(Channel::MobileApp, None).await;
    w.list(&key, false).await;

    // Known at this mark, with the answer kept: one statement, the mark itself.
    let before = w.app.state.statements.get();
    w.list(&key, true).await;
    assert_eq!(w.app.state.statements.get() - before, 1);

    // Changed behind this process's back (an operator's script, another node):
    // the change moves the mark, so the key is read again and refused.
    api_key::Entity::update_many()
        .col_expr(
            api_key::Column::ExpiresAt,
            Expr::value(clock::now() - Duration::minutes(1)),
        )
        .filter(api_key::Column::Id.eq(key_id))
        .exec(&w.app.db)
        .await
        .expect("expired in the database");
    let res = Call::get(&w.app).query(LIST).key(&key).send().await;
    assert_eq!(res.error_code(), "UNAUTHENTICATED");
}

#[tokio::test]
async fn a_key_revoked_through_one_node_is_refused_by_another_that_knows_it() {
    let w = World::with(&[]).await;
    let other = Node::beside(&w.app).await;
    w.published("A story", terms(&[Channel::MobileApp])).await;
    let (key_id, key) = w.key(Channel::MobileApp, None).await;
    let list = || Call::get(&other).query(LIST).key(&key).send();
    assert_eq!(list().await.slugs().len(), 1);
    assert_eq!(list().await.slugs().len(), 1);

    consumers::revoke_key(&w.app.db, &w.admin, key_id, clock::now())
        .await
        .expect("revoked");
    let res = list().await;
    assert_eq!(res.error_code(), "UNAUTHENTICATED");
    assert!(res.json()["data"].is_null());
}

#[tokio::test]
async fn a_kept_answer_goes_gzipped_to_clients_that_accept_it_and_plain_to_the_rest() {
    let w = World::with(&[]).await;
    let title = "A long title, so that the answer is long enough to be worth gzipping: ".repeat(2);
    w.published(title.trim(), terms(&[Channel::MobileApp]))
        .await;
    let (_, key) = w.key(Channel::MobileApp, None).await;
    // Six copies of the list: an answer of well over a kilobyte.
    let query = format!(
        "{{ {} }}",
        (0..6)
            .map(|i| format!("l{i}: stories(first: 20) {{ nodes {{ slug title }} }}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let call = |gzip: bool| {
        let call = Call::get(&w.app).query(&query).key(&key);
        if gzip {
            call.header("accept-encoding", "gzip")
        } else {
            call
        }
    };

    let plain = call(false).send().await;
    assert!(plain.bytes.len() > 1024, "{} bytes", plain.bytes.len());
    assert_eq!(plain.header("content-encoding"), None);
    let hits = w.hits();
    for _ in 0..2 {
        let gzipped = call(true).send().await;
        assert_eq!(gzipped.header("content-encoding"), Some("gzip"));
        let mut json = Vec::new();
        flate2::read::GzDecoder::new(gzipped.bytes.as_slice())
            .read_to_end(&mut json)
            .expect("valid gzip");
        assert_eq!(json, plain.bytes);
        assert_eq!(gzipped.etag(), plain.etag(), "one tag names the content");
    }
    let again = call(false).send().await;
    assert_eq!(again.header("content-encoding"), None);
    assert_eq!(again.bytes, plain.bytes);
    assert_eq!(w.hits(), hits + 3, "all three from the cache");
}

#[tokio::test]
async fn different_keys_never_share_an_entry() {
    let w = World::with(&[]).await;
    let (harbour, river) = (w.partner("harbour").await, w.partner("river").await);
    let mut only_harbour = terms(&[Channel::PartnerSites]);
    only_harbour.all_partners = false;
    only_harbour.partner_ids = vec![harbour];
    let story = w.published("For the harbour only", only_harbour).await;
    let (_, harbour_key) = w.key(Channel::PartnerSites, Some(harbour)).await;
    let (_, harbour_key_two) = w.key(Channel::PartnerSites, Some(harbour)).await;
    let (_, river_key) = w.key(Channel::PartnerSites, Some(river)).await;

    assert_eq!(
        w.list(&harbour_key, false).await,
        vec![story.story.slug.clone()]
    );
    assert_eq!(
        w.list(&harbour_key, true).await,
        vec![story.story.slug.clone()]
    );
    // The same query from another partner's key runs for that key, and sees nothing.
    assert!(w.list(&river_key, false).await.is_empty());
    assert!(w.list(&river_key, true).await.is_empty());
    // Even a second key of the same partner has entries of its own.
    w.list(&harbour_key_two, false).await;
    // And the public (when allowed) is its own caller too.
    let res = Call::get(&w.app).query(LIST).send().await;
    assert_eq!(res.error_code(), "UNAUTHENTICATED");
}

#[tokio::test]
async fn a_withdrawal_on_one_node_empties_every_nodes_cache_at_once() {
    let w = World::with(&[]).await;
    let other = Node::beside(&w.app).await;
    let story = w
        .published("Seen on two nodes", terms(&[Channel::MobileApp]))
        .await;
    let (_, key) = w.key(Channel::MobileApp, None).await;
    let hits = || other.state.caches.responses.stats().hits;
    let list = || Call::get(&other).query(LIST).key(&key).send();

    let before = hits();
    assert_eq!(list().await.slugs(), vec![story.story.slug.clone()]);
    assert_eq!(list().await.slugs(), vec![story.story.slug.clone()]);
    assert_eq!(
        hits(),
        before + 1,
        "the second node serves it from its cache"
    );

    // Withdrawn through the first node, while the second has the list cached.
    let res = w
        .app
        .gql(
            None,
            "mutation($c: String!) { withdrawConsent(code: $c) { withdrawn } }",
            json!({ "c": story.code }),
        )
        .await;
    assert_eq!(res.data()["withdrawConsent"]["withdrawn"], true);
    assert!(list().await.slugs().is_empty());
    assert_eq!(hits(), before + 1);
}

// ---- Only what a write can change ends ----------------------------------------

const BY_SLUG: &str = "query($s: String!) { story(slug: $s) { slug title } }";

impl World {
    /// GETs `BY_SLUG` for `slug` on `server` (counting hits on `cache`), asserting
    /// whether the answer came from the cache; the story (or null).
    async fn by_slug_on(
        &self,
        server: &impl Server,
        cache: &api::consumers::response_cache::ResponseCache,
        key: &str,
        slug: &str,
        from_cache: bool,
    ) -> Value {
        let before = cache.stats().hits;
        let answer = Call::get(server)
            .query(BY_SLUG)
            .variables(json!({ "s": slug }))
            .key(key)
            .send()
            .await;
        let body = answer.json();
        assert!(body["errors"].is_null(), "unexpected errors: {body}");
        assert_eq!(
            cache.stats().hits - before,
            u64::from(from_cache),
            "expected story({slug}) {} the cache",
            if from_cache { "from" } else { "not from" }
        );
        body["data"]["story"].clone()
    }

    async fn by_slug(&self, key: &str, slug: &str, from_cache: bool) -> Value {
        self.by_slug_on(
            &self.app,
            &self.app.state.caches.responses,
            key,
            slug,
            from_cache,
        )
        .await
    }

    /// Saves new draft text for `story` (a revision nobody reads until published).
    async fn save_draft(&self, story: Uuid, title: &str) {
        let current = story::Entity::find_by_id(story)
            .one(&self.app.db)
            .await
            .expect("read")
            .expect("the story");
        api::stories::save_revision(
            &self.app.db,
            &self.author,
            story,
            current.version,
            "en",
            api::stories::Text {
                title: title.into(),
                summary: "A new summary.".into(),
                body: "New words.".into(),
            },
            None,
            clock::now(),
        )
        .await
        .expect("revision saved");
    }
}

/// Changes a story's slug straight in the database, as any write would.
async fn rename(db: &sea_orm::DatabaseConnection, story: Uuid, slug: &str) {
    story::Entity::update_many()
        .col_expr(story::Column::Slug, Expr::value(slug))
        .filter(story::Column::Id.eq(story))
        .exec(db)
        .await
        .expect("renamed");
}

#[tokio::test]
async fn a_draft_revision_saved_ends_no_cached_answer() {
    let w = World::with(&[]).await;
    let shown = w.published("Shown", terms(&[Channel::MobileApp])).await;
    let teller = w.teller().await;
    let draft = fixtures::draft(&w.app.db, &w.author, teller.id, "Nobody reads this").await;
    let (_, key) = w.key(Channel::MobileApp, None).await;
    let slug = shown.story.slug.clone();

    let slugs = w.list(&key, false).await;
    assert_eq!(w.list(&key, true).await, slugs);
    assert_eq!(w.by_slug(&key, &slug, false).await["slug"], slug.as_str());
    w.by_slug(&key, &slug, true).await;
    assert!(w.by_slug(&key, &draft.slug, false).await.is_null());
    w.by_slug(&key, &draft.slug, true).await;

    let mark = api::stories::changes::high_water(&w.app.db).await.unwrap();
    w.save_draft(draft.id, "Still nobody reads this").await;
    assert!(
        api::stories::changes::high_water(&w.app.db).await.unwrap() > mark,
        "the revision was logged"
    );
    // The first request after the write reads the mark, the key again and the
    // change rows since (once per process); the next ones the mark alone.
    let before = w.app.state.statements.get();
    assert_eq!(w.list(&key, true).await, slugs, "the list stays cached");
    let first = w.app.state.statements.get() - before;
    eprintln!("first cached read after a write: {first} statements");
    assert!(first <= 4, "{first} statements");
    let before = w.app.state.statements.get();
    w.by_slug(&key, &slug, true).await;
    assert_eq!(w.app.state.statements.get() - before, 1);
    assert!(w.by_slug(&key, &draft.slug, true).await.is_null());
}

#[tokio::test]
async fn an_edit_to_a_published_story_ends_what_shows_it_and_every_list_but_nothing_else() {
    let w = World::with(&[]).await;
    let one = w.published("One", terms(&[Channel::MobileApp])).await;
    let two = w.published("Two", terms(&[Channel::MobileApp])).await;
    let (_, key) = w.key(Channel::MobileApp, None).await;
    let (slug_one, slug_two) = (one.story.slug.clone(), two.story.slug.clone());

    w.list(&key, false).await;
    w.by_slug(&key, &slug_one, false).await;
    w.by_slug(&key, &slug_two, false).await;
    assert!(w.by_slug(&key, "no-such-story", false).await.is_null());

    rename(&w.app.db, one.story.id, "one-renamed").await;
    let mut slugs = w.list(&key, false).await;
    slugs.sort();
    let mut expected = vec!["one-renamed".to_owned(), slug_two.clone()];
    expected.sort();
    assert_eq!(slugs, expected);
    assert!(w.by_slug(&key, &slug_one, false).await.is_null());
    assert_eq!(
        w.by_slug(&key, &slug_two, true).await["slug"],
        slug_two.as_str(),
        "another story's answer is untouched"
    );
    // A miss could have become a hit: it ends with any visible change.
    assert!(w.by_slug(&key, "no-such-story", false).await.is_null());
    assert!(w.by_slug(&key, "one-renamed", false).await.is_object());
}

#[tokio::test]
async fn a_withdrawal_ends_every_answer_showing_the_story_at_once_and_only_those_and_lists() {
    let w = World::with(&[]).await;
    let going = w.published("Going", terms(&[Channel::MobileApp])).await;
    let staying = w.published("Staying", terms(&[Channel::MobileApp])).await;
    let (_, key) = w.key(Channel::MobileApp, None).await;
    w.list(&key, false).await;
    w.by_slug(&key, &going.story.slug, false).await;
    w.by_slug(&key, &staying.story.slug, false).await;

    let res = w
        .app
        .gql(
            None,
            "mutation($c: String!) { withdrawConsent(code: $c) { withdrawn } }",
            json!({ "c": going.code }),
        )
        .await;
    assert_eq!(res.data()["withdrawConsent"]["withdrawn"], true);
    assert!(w.by_slug(&key, &going.story.slug, false).await.is_null());
    assert_eq!(w.list(&key, false).await, vec![staying.story.slug.clone()]);
    w.by_slug(&key, &staying.story.slug, true).await;
}

#[tokio::test]
async fn a_new_draft_of_a_published_story_ends_only_the_answers_showing_it() {
    let w = World::with(&[]).await;
    let revised = w.published("Revised", terms(&[Channel::MobileApp])).await;
    let other = w.published("Other", terms(&[Channel::MobileApp])).await;
    let (_, key) = w.key(Channel::MobileApp, None).await;
    let (revised_slug, other_slug) = (revised.story.slug.clone(), other.story.slug.clone());
    w.by_slug(&key, &other_slug, false).await;
    w.by_slug(&key, &revised_slug, false).await;
    assert!(w.by_slug(&key, "no-such-story", false).await.is_null());

    // The story stays live with its published text; nothing a reader sees changed.
    w.save_draft(revised.story.id, "A new draft title").await;
    w.by_slug(&key, &other_slug, true).await;
    assert!(w.by_slug(&key, "no-such-story", true).await.is_null());
    let shown = w.by_slug(&key, &revised_slug, false).await;
    assert_eq!(shown["title"], "Revised", "the published text stays up");
}

#[tokio::test]
async fn a_by_slug_miss_ends_when_that_slug_is_published() {
    let w = World::with(&[]).await;
    let teller = w.teller().await;
    fixtures::consent(&w.app.db, teller.id, terms(&[Channel::MobileApp])).await;
    let story = fixtures::approved(&w.app.db, &w.author, &w.editor, teller.id, "Coming soon").await;
    let (_, key) = w.key(Channel::MobileApp, None).await;
    assert!(w.by_slug(&key, &story.slug, false).await.is_null());
    assert!(w.by_slug(&key, &story.slug, true).await.is_null());

    workflow::publish(&w.app.db, &w.editor, story.id, None, None, clock::now())
        .await
        .expect("published");
    assert_eq!(
        w.by_slug(&key, &story.slug, false).await["slug"],
        story.slug.as_str()
    );
    w.by_slug(&key, &story.slug, true).await;
}

#[tokio::test]
async fn two_nodes_end_the_same_answers_for_writes_through_either() {
    let w = World::with(&[]).await;
    let other = Node::beside(&w.app).await;
    let cache = &other.state.caches.responses;
    let one = w.published("One", terms(&[Channel::MobileApp])).await;
    let two = w.published("Two", terms(&[Channel::MobileApp])).await;
    let teller = w.teller().await;
    let draft = fixtures::draft(&w.app.db, &w.author, teller.id, "A draft").await;
    let (_, key) = w.key(Channel::MobileApp, None).await;
    let (node, key) = (&other, key.as_str());
    let list = move |from_cache: bool| async move {
        let before = cache.stats().hits;
        let answer = Call::get(node).query(LIST).key(key).send().await;
        assert_eq!(cache.stats().hits - before, u64::from(from_cache));
        let mut slugs = answer.slugs();
        slugs.sort();
        slugs
    };
    let slug_two = two.story.slug.clone();

    let before = list(false).await;
    w.by_slug_on(node, cache, key, &slug_two, false).await;
    // A draft saved through the first node: the second keeps serving.
    w.save_draft(draft.id, "Another draft").await;
    assert_eq!(list(true).await, before);
    w.by_slug_on(node, cache, key, &slug_two, true).await;
    // A published story renamed: the list ends there too, story two's answer not.
    rename(&w.app.db, one.story.id, "one-again").await;
    let after = list(false).await;
    assert!(after.contains(&"one-again".to_owned()), "{after:?}");
    w.by_slug_on(node, cache, key, &slug_two, true).await;
    assert!(cache.stats().sweeps >= 2, "{:?}", cache.stats());
}

mod random;

/// Another Chorus process on the same database, as a second node would be.
struct Node {
    base_url: String,
    client: reqwest::Client,
    state: api::state::AppState,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    _dir: tempfile::TempDir,
}

impl Node {
    async fn beside(app: &TestApp) -> Self {
        Self::beside_with(app, &[]).await
    }

    /// A node with some settings of its own.
    async fn beside_with(app: &TestApp, overrides: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let data_dir = dir.path().display().to_string();
        let mut vars: std::collections::HashMap<String, String> = [
            ("CHORUS_BIND", "127.0.0.1:0"),
            ("CHORUS_DEMO", "false"),
            ("CHORUS_JWT_SECRET", crate::helpers::JWT_SECRET),
            ("CHORUS_ENCRYPTION_KEY", crate::helpers::ENCRYPTION_KEY),
            ("CHORUS_JOBS_ENABLED", "false"),
            ("CHORUS_MIGRATE_ON_START", "false"),
            ("CHORUS_DATABASE_URL", app.database_url.as_str()),
            ("CHORUS_DATA_DIR", data_dir.as_str()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        for (k, v) in overrides {
            vars.insert((*k).to_owned(), (*v).to_owned());
        }
        let config = api::Config::from_map(&vars).expect("config");
        let node = api::Application::build(config).await.expect("node builds");
        let (base_url, state) = (
            format!("http://{}", node.local_addr()),
            node.state().clone(),
        );
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(node.run_until(async {
            let _ = stopped.await;
        }));
        Self {
            base_url,
            client: reqwest::Client::new(),
            state,
            stop: Some(stop),
            _dir: dir,
        }
    }
}

impl Server for Node {
    fn client(&self) -> &reqwest::Client {
        &self.client
    }
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The change log's triggers (migration 18) flag an update of `stories` as one
/// a reader could see only when it changes a column listed there as read by
/// consumers. A column added later is in neither list until someone decides,
/// and until then its updates would end no list: this fails so they must.
#[tokio::test]
async fn every_story_column_is_classified_for_the_change_log() {
    use sea_orm::{ConnectionTrait, Statement};
    const CLASSIFIED: [&str; 23] = [
        // Read by consumer answers: an update flags the story (STORY_COLUMNS).
        "id",
        "slug",
        "storyteller_id",
        "primary_locale",
        "region",
        "identity_level",
        "faces",
        "location_precision",
        "unpublish_at",
        "published_at",
        "first_published_at",
        "created_by",
        "created_at",
        "organisation_id",
        // Counted only as far as it makes the story live.
        "state",
        // Read only by answers that show the story (its share card's image):
        // the unflagged row of any update ends those, and it moves no story
        // into or out of a list.
        "share_media_id",
        // Workflow bookkeeping no consumer reads.
        "version",
        "submitted_by",
        "submitted_at",
        "approved_by",
        "approved_at",
        "publish_at",
        "updated_at",
    ];
    let app = crate::helpers::spawn_app().await;
    let backend = app.db.get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Sqlite => "SELECT name FROM pragma_table_info('stories')",
        _ => {
            "SELECT column_name AS name FROM information_schema.columns \
             WHERE table_name = 'stories' AND table_schema = current_schema()"
        }
    };
    let mut columns: Vec<String> = app
        .db
        .query_all_raw(Statement::from_string(backend, sql))
        .await
        .expect("columns")
        .iter()
        .map(|row| row.try_get("", "name").expect("name"))
        .collect();
    columns.sort();
    let mut classified: Vec<String> = CLASSIFIED.iter().map(|c| c.to_string()).collect();
    classified.sort();
    assert_eq!(
        columns, classified,
        "classify each new `stories` column: read by consumers (a new migration \
         re-creating the change-log triggers with it in STORY_COLUMNS) or not"
    );
}
