//! Relay pagination over real HTTP: forward and backward, newest first for
//! readers, cursors stable while stories are published in between, and bad
//! arguments refused with the field at fault.

use api::{
    auth::{Principal, Role},
    clock,
    consumers::{self, NewKey},
    stories::workflow,
};
use entity::api_key::Channel;
use serde_json::{Value, json};

use crate::{
    fixtures::{self, Person},
    helpers::{GqlResponse, TestApp, spawn_app},
};

struct World {
    app: TestApp,
    editor: Principal,
    author: Principal,
    teller: uuid::Uuid,
    key: String,
}

impl World {
    async fn new() -> Self {
        let app = spawn_app().await;
        let admin = fixtures::staff(&app.db, "admin@chorus.test", Role::Admin).await;
        let editor = fixtures::staff(&app.db, "editor@chorus.test", Role::Editor).await;
        let author = fixtures::staff(&app.db, "author@chorus.test", Role::Contributor).await;
        let teller =
            fixtures::storyteller(&app.db, &app.state.crypto, &editor, Person::Adult, "Legal")
                .await
                .id;
        let (_, key) = consumers::create_key(
            &app.db,
            &admin,
            NewKey {
                name: "app".into(),
                channel: Channel::MobileApp,
                partner_id: None,
                campaign_ids: Vec::new(),
                expires_at: None,
            },
            clock::now(),
        )
        .await
        .expect("key");
        Self {
            app,
            editor,
            author,
            teller,
            key,
        }
    }

    /// Publishes a story titled `title` (slug from it) now.
    async fn publish(&self, title: &str) {
        let story =
            fixtures::approved(&self.app.db, &self.author, &self.editor, self.teller, title).await;
        workflow::publish(
            &self.app.db,
            &self.editor,
            story.id,
            None,
            None,
            clock::now(),
        )
        .await
        .expect("published");
    }

    async fn page(&self, args: &str) -> GqlResponse {
        let query = format!(
            "{{ stories({args}) {{ totalCount edges {{ cursor node {{ title }} }}
               pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} }} }}"
        );
        let res = self
            .app
            .client
            .post(self.app.url("/graphql"))
            .header("x-api-key", &self.key)
            .json(&json!({ "query": query }))
            .send()
            .await
            .expect("sent");
        GqlResponse {
            status: res.status().as_u16(),
            headers: res.headers().clone(),
            body: res.json().await.expect("json"),
        }
    }
}

fn titles(res: &GqlResponse) -> Vec<String> {
    assert!(res.body["errors"].is_null(), "{:?}", res.body);
    res.data()["stories"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["title"].as_str().expect("title").to_owned())
        .collect()
}

fn info<'a>(res: &'a GqlResponse, field: &str) -> &'a Value {
    &res.data()["stories"]["pageInfo"][field]
}

fn cursor(res: &GqlResponse, field: &str) -> String {
    info(res, field).as_str().expect("cursor").to_owned()
}

#[tokio::test]
async fn readers_page_newest_first_forward_and_backward_and_cursors_survive_new_stories() {
    let w = World::new().await;
    for n in 1..=5 {
        w.publish(&format!("Story {n}")).await;
    }

    let first = w.page("first: 2").await;
    assert_eq!(titles(&first), ["Story 5", "Story 4"]);
    assert_eq!(info(&first, "hasNextPage"), true);
    assert_eq!(info(&first, "hasPreviousPage"), false);
    assert_eq!(first.data()["stories"]["totalCount"], 5);

    // A story published between two requests does not shift the next page.
    w.publish("Story 6").await;
    let second = w
        .page(&format!(
            "first: 2, after: \"{}\"",
            cursor(&first, "endCursor")
        ))
        .await;
    assert_eq!(titles(&second), ["Story 3", "Story 2"]);
    let third = w
        .page(&format!(
            "first: 2, after: \"{}\"",
            cursor(&second, "endCursor")
        ))
        .await;
    assert_eq!(titles(&third), ["Story 1"]);
    assert_eq!(info(&third, "hasNextPage"), false);

    // Backward from the end of the list, and from a cursor.
    let last = w.page("last: 2").await;
    assert_eq!(titles(&last), ["Story 2", "Story 1"]);
    assert_eq!(info(&last, "hasPreviousPage"), true);
    let before = w
        .page(&format!(
            "last: 2, before: \"{}\"",
            cursor(&last, "startCursor")
        ))
        .await;
    assert_eq!(titles(&before), ["Story 4", "Story 3"]);
    let start = w
        .page(&format!(
            "last: 5, before: \"{}\"",
            cursor(&before, "startCursor")
        ))
        .await;
    assert_eq!(titles(&start), ["Story 6", "Story 5"]);
    assert_eq!(info(&start, "hasPreviousPage"), false);
    assert_eq!(info(&start, "hasNextPage"), true);

    // Without `totalCount` nothing is counted, and the page is the same.
    let res = w
        .app
        .client
        .post(w.app.url("/graphql"))
        .header("x-api-key", &w.key)
        .json(&json!({ "query": "{ stories(first: 2) { nodes { title } } }" }))
        .send()
        .await
        .expect("sent");
    let body: Value = res.json().await.expect("json");
    assert_eq!(
        body["data"]["stories"]["nodes"],
        json!([{ "title": "Story 6" }, { "title": "Story 5" }])
    );

    // Oldest first on request, with the same cursors' meaning.
    let oldest = w.page("orderBy: OLDEST_FIRST, first: 3").await;
    assert_eq!(titles(&oldest), ["Story 1", "Story 2", "Story 3"]);
}

#[tokio::test]
async fn bad_page_arguments_are_refused_with_the_field_at_fault() {
    let w = World::new().await;
    w.publish("Only").await;
    for (args, field) in [
        ("first: 101", "first"),
        ("last: -1", "last"),
        ("first: 1, last: 1", "last"),
        ("first: 1, after: \"not-a-cursor\"", "after"),
        ("last: 1, before: \"AAAA\"", "before"),
    ] {
        let res = w.page(args).await;
        assert_eq!(res.code(), "BAD_USER_INPUT", "{args}: {:?}", res.body);
        assert_eq!(
            res.body["errors"][0]["extensions"]["field"], field,
            "{args}"
        );
    }
    // A staff list's id cursor means nothing to a list ordered by time.
    let token = w.app.token_for("chief@chorus.test", Role::Admin).await;
    let res = w
        .app
        .gql(
            Some(&token),
            "mutation { createTag(input: { slug: \"t\", name: \"T\" }) { id } }",
            json!({}),
        )
        .await;
    assert!(res.body["errors"].is_null(), "{:?}", res.body);
    let res = w
        .app
        .gql(
            Some(&token),
            "{ tags(first: 1) { edges { cursor } } }",
            json!({}),
        )
        .await;
    let tag_cursor = res.data()["tags"]["edges"][0]["cursor"]
        .as_str()
        .expect("cursor")
        .to_owned();
    let res = w.page(&format!("first: 1, after: \"{tag_cursor}\"")).await;
    assert_eq!(res.code(), "BAD_USER_INPUT", "{:?}", res.body);
    assert_eq!(res.body["errors"][0]["extensions"]["field"], "after");
}

#[tokio::test]
async fn staff_lists_page_backward_too() {
    let w = World::new().await;
    let token = w.app.token_for("chief@chorus.test", Role::Admin).await;
    for n in 1..=4 {
        let res = w
            .app
            .gql(
                Some(&token),
                "mutation($s: String!) { createTag(input: { slug: $s, name: $s }) { id } }",
                json!({ "s": format!("tag-{n}") }),
            )
            .await;
        assert!(res.body["errors"].is_null(), "{:?}", res.body);
    }
    let list = |args: String| {
        let token = token.clone();
        let app = &w.app;
        async move {
            let res = app
                .gql(
                    Some(&token),
                    &format!(
                        "{{ tags({args}) {{ edges {{ node {{ slug }} }} pageInfo {{ startCursor hasPreviousPage hasNextPage }} }} }}"
                    ),
                    json!({}),
                )
                .await;
            assert!(res.body["errors"].is_null(), "{:?}", res.body);
            res.data()["tags"].clone()
        }
    };
    let slugs = |v: &Value| -> Vec<String> {
        v["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .map(|e| e["node"]["slug"].as_str().expect("slug").to_owned())
            .collect()
    };
    let last = list("last: 3".into()).await;
    assert_eq!(slugs(&last), ["tag-2", "tag-3", "tag-4"]);
    assert_eq!(last["pageInfo"]["hasPreviousPage"], true);
    let start = last["pageInfo"]["startCursor"].as_str().expect("cursor");
    let rest = list(format!("last: 3, before: \"{start}\"")).await;
    assert_eq!(slugs(&rest), ["tag-1"]);
    assert_eq!(rest["pageInfo"]["hasPreviousPage"], false);
    assert_eq!(rest["pageInfo"]["hasNextPage"], true);
}

#[tokio::test]
async fn readers_get_the_locale_they_ask_for_or_the_storys_own_and_are_told_which() {
    let w = World::new().await;
    let db = &w.app.db;
    let story = fixtures::draft(db, &w.author, w.teller, "Bread from home").await;
    let mut story = story;
    for (locale, title) in [("ar", "خبز من الوطن"), ("pt-BR", "Pão de casa")] {
        let (saved, _) = api::stories::save_revision(
            db,
            &w.author,
            story.id,
            story.version,
            locale,
            api::stories::Text {
                title: title.into(),
                summary: String::new(),
                body: "…".into(),
            },
            None,
            clock::now(),
        )
        .await
        .expect("translation");
        story = saved;
    }
    let story = workflow::submit(db, &w.author, story.id, None, clock::now())
        .await
        .expect("submitted");
    for locale in ["en", "ar", "pt-BR"] {
        let head = api::stories::head_revision(db, &story, locale)
            .await
            .expect("head");
        api::stories::review::record_storyteller_review(
            db,
            &w.author,
            head.id,
            entity::storyteller_review::Method::InPerson,
            clock::now(),
            None,
            clock::now(),
        )
        .await
        .expect("signed off");
    }
    fixtures::assess(db, &w.editor, &story).await;
    workflow::approve(db, &w.editor, true, story.id, None, clock::now())
        .await
        .expect("approved");
    workflow::publish(db, &w.editor, story.id, None, None, clock::now())
        .await
        .expect("published");

    let read = |locale: &str| {
        let query = format!(
            "{{ story(slug: \"{}\", locale: \"{locale}\") {{ locale primaryLocale title }}
               stories(locale: \"{locale}\") {{ edges {{ node {{ locale title }} }} }} }}",
            story.slug
        );
        let w = &w;
        async move {
            let res = w
                .app
                .client
                .post(w.app.url("/graphql"))
                .header("x-api-key", &w.key)
                .json(&json!({ "query": query }))
                .send()
                .await
                .expect("sent");
            let body: Value = res.json().await.expect("json");
            body
        }
    };
    for (asked, shown, title) in [
        ("ar", "ar", "خبز من الوطن"),
        ("pt-PT", "pt-BR", "Pão de casa"),
        ("pt", "pt-BR", "Pão de casa"),
        ("fr", "en", "Bread from home"),
    ] {
        let body = read(asked).await;
        assert!(body["errors"].is_null(), "{body}");
        let one = &body["data"]["story"];
        assert_eq!(one["locale"], shown, "{asked}");
        assert_eq!(one["title"], title, "{asked}");
        assert_eq!(one["primaryLocale"], "en");
        let listed = &body["data"]["stories"]["edges"][0]["node"];
        assert_eq!(listed["locale"], shown, "{asked}");
        assert_eq!(listed["title"], title, "{asked}");
    }
    let body = read("english").await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert_eq!(body["errors"][0]["extensions"]["field"], "locale");
}

#[tokio::test]
async fn readers_narrow_by_tags_any_or_all_by_locale_and_by_publication_window() {
    let w = World::new().await;
    let db = &w.app.db;
    let admin = w.app.token_for("chief@chorus.test", Role::Admin).await;
    let mut tag_ids = Vec::new();
    for slug in ["work", "family"] {
        let res = w
            .app
            .gql(
                Some(&admin),
                "mutation($s: String!) { createTag(input: { slug: $s, name: $s }) { id } }",
                json!({ "s": slug }),
            )
            .await;
        let id = res.data()["createTag"]["id"].as_str().expect("id");
        tag_ids.push(uuid::Uuid::parse_str(id).expect("uuid"));
    }
    let (work, family) = (tag_ids[0], tag_ids[1]);
    let mut published_at = Vec::new();
    for (title, locale, tags) in [
        ("Night shift", "en", vec![work]),
        ("Two jobs, one home", "en", vec![work, family]),
        ("Sunday lunch", "en", vec![family]),
        ("Le marché", "fr", vec![]),
    ] {
        let story = api::stories::create(
            db,
            &w.author,
            api::stories::NewStory {
                storyteller_id: w.teller,
                slug: None,
                primary_locale: locale.into(),
                text: api::stories::Text {
                    title: title.into(),
                    summary: String::new(),
                    body: "…".into(),
                },
                tag_ids: tags,
                ..Default::default()
            },
            clock::now(),
        )
        .await
        .expect("created");
        let story = workflow::submit(db, &w.author, story.id, None, clock::now())
            .await
            .expect("submitted");
        fixtures::sign_off(db, &w.author, &story).await;
        fixtures::assess(db, &w.editor, &story).await;
        workflow::approve(db, &w.editor, true, story.id, None, clock::now())
            .await
            .expect("approved");
        let story = workflow::publish(db, &w.editor, story.id, None, None, clock::now())
            .await
            .expect("published");
        published_at.push(story.published_at.expect("live"));
    }
    let w = &w;
    let listed = |args: String| async move {
        let res = w.page(&format!("orderBy: OLDEST_FIRST, {args}")).await;
        let count = res.data()["stories"]["totalCount"].as_i64().expect("count");
        let titles = titles(&res);
        assert_eq!(titles.len() as i64, count, "{args}");
        titles
    };
    assert_eq!(
        listed("tag: \"work\"".into()).await,
        ["Night shift", "Two jobs, one home"]
    );
    assert_eq!(
        listed("tags: [\"work\", \"family\"]".into()).await,
        ["Night shift", "Two jobs, one home", "Sunday lunch"]
    );
    assert_eq!(
        listed("tags: [\"work\", \"family\"], tagsMatch: ALL".into()).await,
        ["Two jobs, one home"]
    );
    assert!(listed("tags: [\"no-such-tag\"]".into()).await.is_empty());
    assert!(
        listed("campaign: \"no-such-campaign\"".into())
            .await
            .is_empty()
    );
    assert_eq!(listed("hasLocale: \"fr\"".into()).await, ["Le marché"]);
    let at = |i: usize| published_at[i].to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    assert_eq!(
        listed(format!("publishedFrom: \"{}\"", at(2))).await,
        ["Sunday lunch", "Le marché"]
    );
    assert_eq!(
        listed(format!("publishedUntil: \"{}\"", at(1))).await,
        ["Night shift"]
    );
    let res = w
        .page(&format!(
            "publishedFrom: \"{}\", publishedUntil: \"{}\"",
            at(2),
            at(1)
        ))
        .await;
    assert_eq!(res.code(), "BAD_USER_INPUT");
    assert_eq!(
        res.body["errors"][0]["extensions"]["field"],
        "publishedUntil"
    );
}
