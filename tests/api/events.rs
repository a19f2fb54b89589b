//! Campaign events (issue 19): editors add them to a campaign with a time zone
//! and a coarse place, bad input is refused and stores nothing; readers page a
//! campaign's upcoming and past events; a linked story shows only to a reader
//! whose key the storyteller's consent covers, at the moment of the request;
//! organisations manage only the events of their own campaigns.

use api::{
    auth::{Principal, Role},
    clock,
};
use chrono::Duration;
use entity::{api_key::Channel, campaign_event, campaign_event_story};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, sea_query::Expr};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    fixtures,
    helpers::{PASSWORD, TestApp, spawn_app, spawn_app_with},
    organisations::{create_campaign, create_org, id_of, invite_and_sign_in},
};

const CREATE: &str = "mutation($i: CreateCampaignEventInput!) {
    createCampaignEvent(input: $i) {
        id title status timeZone localStartsAt region venue onlineUrl organiser { slug }
    }
}";
const UPDATE: &str = "mutation($id: ID!, $i: UpdateCampaignEventInput!) {
    updateCampaignEvent(id: $id, input: $i) { id title status region venue onlineUrl }
}";
const LINK: &str = "mutation($e: ID!, $s: ID!) { linkEventStory(eventId: $e, storyId: $s) { id } }";
const PAGE: &str = "query($slug: String!, $when: EventWhen!, $first: Int, $after: String) {
    campaign(slug: $slug) {
        events(when: $when, first: $first, after: $after) {
            edges { cursor node { title status } }
            pageInfo { hasNextPage endCursor }
        }
    }
}";
const WITH_STORIES: &str = "query($slug: String!) {
    campaign(slug: $slug) {
        events(when: UPCOMING) { nodes { title stories { slug title campaigns { slug } } } }
    }
}";

/// An app with a platform editor (token and principal) and a campaign.
struct World {
    app: TestApp,
    token: String,
    editor: Principal,
    campaign: String,
}

impl World {
    async fn new() -> Self {
        Self::with(&[]).await
    }

    async fn with(overrides: &[(&str, &str)]) -> Self {
        let app = spawn_app_with(overrides).await;
        let editor = fixtures::staff(&app.db, "editor@chorus.test", Role::Editor).await;
        let token = app.login("editor@chorus.test", PASSWORD).await.data()["login"]["accessToken"]
            .as_str()
            .expect("token")
            .to_owned();
        let campaign = create_campaign(&app, &token, "one-day-without-us").await;
        Self {
            app,
            token,
            editor,
            campaign,
        }
    }

    /// Input for an event in the campaign starting `start` from now, two hours long.
    fn event(&self, title: &str, start: Duration) -> Value {
        let starts = clock::now() + start;
        json!({
            "campaignId": self.campaign,
            "title": title,
            "startsAt": starts.to_rfc3339(),
            "endsAt": (starts + Duration::hours(2)).to_rfc3339(),
            "timeZone": "Europe/London",
            "region": "Manchester, UK",
        })
    }

    async fn create(&self, input: Value) -> String {
        let res = self
            .app
            .gql(Some(&self.token), CREATE, json!({ "i": input }))
            .await;
        id_of(&res, "createCampaignEvent")
    }

    /// Every title of a campaign's `when` list, paging `size` at a time.
    async fn titles(&self, key: Option<&str>, when: &str, size: i64) -> Vec<String> {
        let mut titles = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let res = self
                .read(
                    key,
                    PAGE,
                    json!({ "slug": "one-day-without-us", "when": when, "first": size, "after": after }),
                )
                .await;
            let events = &res["campaign"]["events"];
            let edges = events["edges"].as_array().expect("edges");
            assert!(edges.len() as i64 <= size, "a page holds at most `first`");
            titles.extend(
                edges
                    .iter()
                    .map(|e| e["node"]["title"].as_str().expect("title").to_owned()),
            );
            if events["pageInfo"]["hasNextPage"] != json!(true) {
                return titles;
            }
            after = events["pageInfo"]["endCursor"].as_str().map(str::to_owned);
        }
    }

    /// A consumer read with this API key (none: anonymous); its data.
    async fn read(&self, key: Option<&str>, query: &str, variables: Value) -> Value {
        self.app
            .gql_with_key(key, query, variables)
            .await
            .data()
            .clone()
    }

    async fn rows(&self) -> (u64, u64) {
        (
            campaign_event::Entity::find()
                .count(&self.app.db)
                .await
                .expect("count"),
            campaign_event_story::Entity::find()
                .count(&self.app.db)
                .await
                .expect("count"),
        )
    }
}

#[tokio::test]
async fn editors_create_events_with_local_times_and_bad_input_stores_nothing() {
    let w = World::new().await;
    let res = w
        .app
        .gql(
            Some(&w.token),
            CREATE,
            json!({ "i": {
                "campaignId": w.campaign,
                "title": "  Vigil at the town hall  ",
                "startsAt": "2031-02-20T09:30:00Z",
                "endsAt": "2031-02-20T11:00:00Z",
                "timeZone": "America/New_York",
                "region": "Brooklyn, US",
                "venue": "Borough Hall steps",
            } }),
        )
        .await;
    let created = &res.data()["createCampaignEvent"];
    assert_eq!(created["title"], "Vigil at the town hall");
    assert_eq!(created["status"], "PLANNED");
    assert_eq!(created["localStartsAt"], "2031-02-20T04:30:00-05:00");
    assert_eq!(created["venue"], "Borough Hall steps");
    // The campaign's organisation organises it unless told otherwise.
    assert_eq!(created["organiser"]["slug"], "platform");
    let id = created["id"].as_str().expect("id").to_owned();
    let before = w.rows().await;

    let base = w.event("Bad", Duration::days(3));
    let with = |field: &str, value: Value| {
        let mut input = base.clone();
        input[field] = value;
        input
    };
    let bad = [
        ("title", with("title", json!("   "))),
        ("title", with("title", json!("x".repeat(201)))),
        ("timeZone", with("timeZone", json!("Europe/Manchester"))),
        ("endsAt", with("endsAt", base["startsAt"].clone())),
        (
            "onlineUrl",
            with("onlineUrl", json!("http://meet.example.org")),
        ),
        ("region", with("region", Value::Null)),
        ("venue", {
            let mut input = with("region", Value::Null);
            input["onlineUrl"] = json!("https://meet.example.org/x");
            input["venue"] = json!("Somewhere");
            input
        }),
        (
            "description",
            with("description", json!("d".repeat(10_001))),
        ),
        ("campaignId", with("campaignId", json!("not-an-id"))),
    ];
    for (field, input) in bad {
        let res = w
            .app
            .gql(Some(&w.token), CREATE, json!({ "i": input }))
            .await;
        assert_eq!(res.code(), "BAD_USER_INPUT", "{field}: {:?}", res.body);
        assert_eq!(
            res.body["errors"][0]["extensions"]["field"], field,
            "{:?}",
            res.body
        );
    }
    let res = w
        .app
        .gql(
            Some(&w.token),
            CREATE,
            json!({ "i": with("campaignId", json!(Uuid::now_v7().to_string())) }),
        )
        .await;
    assert_eq!(res.code(), "NOT_FOUND");
    assert_eq!(w.rows().await, before, "no refused event was stored");

    // A bad change changes nothing; a good one applies, and null clears.
    for (field, input) in [
        ("endsAt", json!({ "endsAt": "2031-02-20T09:00:00Z" })),
        ("region", json!({ "region": null })),
        ("timeZone", json!({ "timeZone": "Mars/Olympus" })),
    ] {
        let res = w
            .app
            .gql(Some(&w.token), UPDATE, json!({ "id": id, "i": input }))
            .await;
        assert_eq!(res.code(), "BAD_USER_INPUT", "{field}");
    }
    let res = w
        .app
        .gql(
            Some(&w.token),
            UPDATE,
            json!({ "id": id, "i": { "status": "CANCELLED", "venue": null, "onlineUrl": "https://meet.example.org/vigil" } }),
        )
        .await;
    assert_eq!(
        res.data()["updateCampaignEvent"],
        json!({ "id": id, "title": "Vigil at the town hall", "status": "CANCELLED",
                "region": "Brooklyn, US", "venue": null, "onlineUrl": "https://meet.example.org/vigil" })
    );

    // Contributors and consumers do not manage events.
    let author = w
        .app
        .token_for("author@chorus.test", Role::Contributor)
        .await;
    let res = w
        .app
        .gql(
            Some(&author),
            CREATE,
            json!({ "i": w.event("Mine", Duration::days(1)) }),
        )
        .await;
    assert_eq!(res.code(), "FORBIDDEN");
    let res = w
        .app
        .gql(
            None,
            CREATE,
            json!({ "i": w.event("Mine", Duration::days(1)) }),
        )
        .await;
    assert_eq!(res.code(), "UNAUTHENTICATED");
    assert_eq!(w.rows().await, before);

    // Every change is in the audit log, under the campaign.
    let admin = w.app.token_for("admin@chorus.test", Role::Admin).await;
    let res = w
        .app
        .gql(
            Some(&admin),
            "query($id: ID!) { auditEvents(filter: { subjectId: $id }, first: 100) { nodes { action fromState toState } } }",
            json!({ "id": w.campaign }),
        )
        .await;
    let actions: Vec<(String, Value)> = res.data()["auditEvents"]["nodes"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["action"].as_str().is_some_and(|a| a.contains("event")))
        .map(|e| {
            (
                e["action"].as_str().unwrap_or_default().to_owned(),
                e["toState"].clone(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        vec![
            ("campaign.event_created".to_owned(), Value::Null),
            ("campaign.event_changed".to_owned(), json!("CANCELLED")),
        ]
    );
}

#[tokio::test]
async fn upcoming_and_past_events_split_at_now_and_page_without_gaps() {
    let w = World::new().await;
    // Upcoming: under way now (ends in an hour), then later and later.
    let mut upcoming = vec!["Under way".to_owned()];
    w.create(w.event("Under way", Duration::hours(-1))).await;
    for day in [5, 1, 3, 2, 4] {
        let title = format!("In {day} days");
        w.create(w.event(&title, Duration::days(day))).await;
    }
    upcoming.extend((1..=5).map(|d| format!("In {d} days")));
    // Two events at the same instant are both listed, once each.
    w.create(w.event("In 5 days too", Duration::days(5))).await;
    let same = [upcoming[5].clone(), "In 5 days too".to_owned()];
    for day in [2, 4, 1, 3] {
        w.create(w.event(&format!("{day} days ago"), Duration::days(-day)))
            .await;
    }
    let cancelled = w.create(w.event("Called off", Duration::days(6))).await;
    w.app
        .gql(
            Some(&w.token),
            UPDATE,
            json!({ "id": cancelled, "i": { "status": "CANCELLED" } }),
        )
        .await
        .data();

    let (_, key) = fixtures::api_key(
        &w.app.db,
        &w.editor_as_admin().await,
        Channel::PublicWeb,
        None,
    )
    .await;
    for size in [1, 2, 3, 100] {
        let got = w.titles(Some(&key), "UPCOMING", size).await;
        assert_eq!(got.len(), 8, "page size {size}: {got:?}");
        assert_eq!(got[..5], upcoming[..5], "soonest first (size {size})");
        let mut tail = got[5..7].to_vec();
        tail.sort();
        let mut expected = same.to_vec();
        expected.sort();
        assert_eq!(tail, expected, "ties by id, each once (size {size})");
        assert_eq!(got[7], "Called off");
        let past = w.titles(Some(&key), "PAST", size).await;
        assert_eq!(
            past,
            ["1 days ago", "2 days ago", "3 days ago", "4 days ago"],
            "latest first (size {size})"
        );
    }
    // A cancelled event is still listed, with its status.
    let res = w
        .read(
            Some(&key),
            PAGE,
            json!({ "slug": "one-day-without-us", "when": "UPCOMING", "first": 1, "after": null }),
        )
        .await;
    assert_eq!(
        res["campaign"]["events"]["edges"][0]["node"]["status"],
        "PLANNED"
    );
    let all = w.titles_with_status(&key).await;
    assert!(all.contains(&("Called off".to_owned(), "CANCELLED".to_owned())));

    // A bad page request is refused.
    let res = w
        .app
        .gql(
            None,
            "{ campaign(slug: \"one-day-without-us\") { events(first: 101) { nodes { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(res.code(), "BAD_USER_INPUT");
}

impl World {
    /// A platform admin principal, for fixtures that need one.
    async fn editor_as_admin(&self) -> Principal {
        fixtures::staff(&self.app.db, "keys@chorus.test", Role::Admin).await
    }

    async fn titles_with_status(&self, key: &str) -> Vec<(String, String)> {
        let res = self
            .read(
                Some(key),
                "{ campaign(slug: \"one-day-without-us\") { events(first: 100) { nodes { title status } } } }",
                json!({}),
            )
            .await;
        res["campaign"]["events"]["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .map(|n| {
                (
                    n["title"].as_str().unwrap_or_default().to_owned(),
                    n["status"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    }
}

#[tokio::test]
async fn a_linked_story_shows_only_to_readers_its_consent_covers_until_withdrawn() {
    let w = World::new().await;
    let admin = w.editor_as_admin().await;
    let author = fixtures::staff(&w.app.db, "author@chorus.test", Role::Contributor).await;
    let (story, consent) = fixtures::published_with_consent(
        &w.app.db,
        &w.app.state.crypto,
        &author,
        &w.editor,
        fixtures::terms(&[Channel::PartnerSites]),
        "Our kitchen on the strike day",
    )
    .await;
    // Another published story, covered for every reader: shown to both keys.
    let (open, _) = fixtures::published_with_consent(
        &w.app.db,
        &w.app.state.crypto,
        &author,
        &w.editor,
        fixtures::terms(&[Channel::PartnerSites, Channel::PublicWeb]),
        "The march",
    )
    .await;
    let event = w.create(w.event("Strike day", Duration::days(2))).await;
    let other = w.create(w.event("Teach-in", Duration::days(3))).await;
    for (e, s) in [(&event, &story.id), (&event, &open.id), (&other, &story.id)] {
        w.app
            .gql(Some(&w.token), LINK, json!({ "e": e, "s": s.to_string() }))
            .await
            .data();
    }
    let partner = fixtures::partner(&w.app.db, &admin, "kitchen-news").await;
    let (_, partner_key) =
        fixtures::api_key(&w.app.db, &admin, Channel::PartnerSites, Some(partner)).await;
    let (_, web_key) = fixtures::api_key(&w.app.db, &admin, Channel::PublicWeb, None).await;
    let vars = json!({ "slug": "one-day-without-us" });
    let shown = |data: &Value| -> Vec<Vec<String>> {
        data["campaign"]["events"]["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .map(|n| {
                n["stories"]
                    .as_array()
                    .expect("stories")
                    .iter()
                    .map(|s| s["title"].as_str().unwrap_or_default().to_owned())
                    .collect()
            })
            .collect()
    };
    let partner_sees = w.read(Some(&partner_key), WITH_STORIES, vars.clone()).await;
    assert_eq!(
        shown(&partner_sees),
        vec![
            vec!["Our kitchen on the strike day", "The march"],
            vec!["Our kitchen on the strike day"],
        ]
    );
    let web_sees = w.read(Some(&web_key), WITH_STORIES, vars.clone()).await;
    assert_eq!(
        shown(&web_sees),
        vec![vec!["The march".to_owned()], Vec::<String>::new()]
    );

    fixtures::withdraw(&w.app.db, &w.editor, consent).await;
    let partner_sees = w.read(Some(&partner_key), WITH_STORIES, vars.clone()).await;
    assert_eq!(
        shown(&partner_sees),
        vec![vec!["The march".to_owned()], Vec::<String>::new()],
        "hidden on the next request after withdrawal"
    );

    // Staff read the links as ids in their scope, never through the gate.
    let res = w
        .app
        .gql(
            Some(&w.token),
            "query($slug: String!) { campaign(slug: $slug) { events { nodes { linkedStoryIds } } } }",
            vars.clone(),
        )
        .await;
    assert_eq!(
        res.data()["campaign"]["events"]["nodes"][0]["linkedStoryIds"],
        json!([story.id.to_string(), open.id.to_string()])
    );

    // Deleting an event removes its links, not the stories.
    let res = w
        .app
        .gql(
            Some(&w.token),
            "mutation($id: ID!) { deleteCampaignEvent(id: $id) }",
            json!({ "id": event }),
        )
        .await;
    assert_eq!(res.data()["deleteCampaignEvent"], json!(event));
    assert_eq!(w.rows().await, (1, 1));
    let web_sees = w
        .read(
            Some(&web_key),
            "query($s: String!) { story(slug: $s) { title } }",
            json!({ "s": open.slug }),
        )
        .await;
    assert_eq!(web_sees["story"]["title"], "The march");
}

#[tokio::test]
async fn organisations_manage_only_the_events_of_campaigns_they_run_or_share() {
    let app = spawn_app().await;
    let platform = app.token_for("admin@chorus.test", Role::Admin).await;
    let a = id_of(
        &create_org(&app, &platform, "alpha", "Alpha").await,
        "createOrganisation",
    );
    let b = id_of(
        &create_org(&app, &platform, "beta", "Beta").await,
        "createOrganisation",
    );
    let alpha = invite_and_sign_in(&app, &platform, "ed@alpha.test", "EDITOR", Some(&a)).await;
    let beta = invite_and_sign_in(&app, &platform, "ed@beta.test", "EDITOR", Some(&b)).await;
    let betas = create_campaign(&app, &beta, "beta-only").await;
    let shared = create_campaign(&app, &beta, "beta-shared").await;
    app.gql(
        Some(&platform),
        "mutation($c: ID!, $o: ID!) { shareCampaign(campaignId: $c, organisationId: $o) { id } }",
        json!({ "c": shared, "o": a }),
    )
    .await
    .data();
    let input = |campaign: &str, title: &str| {
        json!({ "i": {
            "campaignId": campaign, "title": title,
            "startsAt": "2031-05-01T10:00:00Z", "endsAt": "2031-05-01T12:00:00Z",
            "timeZone": "Europe/Berlin", "region": "Berlin, DE",
        } })
    };
    let event = |res: &crate::helpers::GqlResponse| id_of(res, "createCampaignEvent");
    let beta_event = event(&app.gql(Some(&beta), CREATE, input(&betas, "B's own")).await);
    let beta_shared_event = event(
        &app.gql(Some(&beta), CREATE, input(&shared, "B's in shared"))
            .await,
    );

    // B's own campaign is out of A's scope: as if it did not exist.
    let res = app
        .gql(Some(&alpha), CREATE, input(&betas, "A's attempt"))
        .await;
    assert_eq!(res.code(), "NOT_FOUND");
    let res = app
        .gql(
            Some(&alpha),
            UPDATE,
            json!({ "id": beta_event, "i": { "status": "CANCELLED" } }),
        )
        .await;
    assert_eq!(res.code(), "NOT_FOUND");

    // In the shared campaign A adds its own events, organised by A…
    let res = app
        .gql(Some(&alpha), CREATE, input(&shared, "A's local event"))
        .await;
    assert_eq!(
        res.data()["createCampaignEvent"]["organiser"]["slug"],
        "alpha"
    );
    let alpha_event = event(&res);
    // …but not in B's name, and does not change B's.
    let mut in_bs_name = input(&shared, "In B's name");
    in_bs_name["i"]["organiserId"] = json!(b);
    let res = app.gql(Some(&alpha), CREATE, in_bs_name).await;
    assert_eq!(res.code(), "BAD_USER_INPUT");
    let res = app
        .gql(
            Some(&alpha),
            UPDATE,
            json!({ "id": beta_shared_event, "i": { "title": "Taken over" } }),
        )
        .await;
    assert_eq!(res.code(), "FORBIDDEN");
    let res = app
        .gql(
            Some(&alpha),
            "mutation($id: ID!) { deleteCampaignEvent(id: $id) }",
            json!({ "id": beta_shared_event }),
        )
        .await;
    assert_eq!(res.code(), "FORBIDDEN");
    // B runs the campaign, so B may change A's event in it.
    let res = app
        .gql(
            Some(&beta),
            UPDATE,
            json!({ "id": alpha_event, "i": { "status": "DONE" } }),
        )
        .await;
    assert_eq!(res.data()["updateCampaignEvent"]["status"], "DONE");
    let stored =
        campaign_event::Entity::find_by_id(beta_shared_event.parse::<Uuid>().expect("uuid"))
            .one(&app.db)
            .await
            .expect("read")
            .expect("still there");
    assert_eq!(stored.title, "B's in shared");
}

#[tokio::test]
async fn a_page_of_events_costs_the_same_statements_for_2_events_as_for_6() {
    // Nothing else runs (no jobs), and nothing is answered from a cache.
    let w = World::with(&[
        ("CHORUS_JOBS_ENABLED", "false"),
        ("CHORUS_RESPONSE_CACHE_BYTES", "0"),
    ])
    .await;
    let admin = w.editor_as_admin().await;
    let author = fixtures::staff(&w.app.db, "author@chorus.test", Role::Contributor).await;
    let mut stories = Vec::new();
    for n in 0..4 {
        let (story, _) = fixtures::published_with_consent(
            &w.app.db,
            &w.app.state.crypto,
            &author,
            &w.editor,
            fixtures::terms(&[Channel::PublicWeb]),
            &format!("Story {n}"),
        )
        .await;
        stories.push(story.id.to_string());
    }
    for day in 1..=6 {
        let event = w
            .create(w.event(&format!("Day {day}"), Duration::days(day)))
            .await;
        for story in &stories {
            w.app
                .gql(Some(&w.token), LINK, json!({ "e": event, "s": story }))
                .await
                .data();
        }
    }
    let (_, key) = fixtures::api_key(&w.app.db, &admin, Channel::PublicWeb, None).await;
    w.app
        .state
        .origins
        .reload(&w.app.db)
        .await
        .expect("origins");
    let query = |n: i64| {
        format!(
            "{{ campaign(slug: \"one-day-without-us\") {{ events(first: {n}) {{ nodes {{
                title stories {{ slug title storyteller {{ name }} campaigns {{ slug }} media {{ kind }} }}
            }} }} }} }}"
        )
    };
    let mut costs = Vec::new();
    for n in [2, 6, 2, 6] {
        let before = w.app.state.statements.get();
        let data = w.read(Some(&key), &query(n), json!({})).await;
        costs.push(w.app.state.statements.get() - before);
        let nodes = data["campaign"]["events"]["nodes"]
            .as_array()
            .expect("nodes");
        assert_eq!(nodes.len() as i64, n);
        assert!(
            nodes
                .iter()
                .all(|e| e["stories"].as_array().map(Vec::len) == Some(4))
        );
    }
    // The first two reads write what a key's first read of a story writes.
    assert_eq!(
        costs[2], costs[3],
        "2 and 6 events cost the same: {costs:?}"
    );
}

#[tokio::test]
async fn an_event_that_ends_is_past_on_the_next_read_with_the_answer_cache_on() {
    let w = World::with(&[("CHORUS_RESPONSE_CACHE_BYTES", "33554432")]).await;
    let id = w.create(w.event("Closing soon", Duration::hours(-1))).await;
    let admin = w.editor_as_admin().await;
    let (_, key) = fixtures::api_key(&w.app.db, &admin, Channel::PublicWeb, None).await;
    for _ in 0..2 {
        assert_eq!(w.titles(Some(&key), "UPCOMING", 20).await, ["Closing soon"]);
        assert!(w.titles(Some(&key), "PAST", 20).await.is_empty());
    }
    // Time passes and the event is over: no write the change log sees, as
    // when the clock moves on by itself.
    campaign_event::Entity::update_many()
        .col_expr(
            campaign_event::Column::EndsAt,
            Expr::value(clock::now() - Duration::minutes(1)),
        )
        .filter(campaign_event::Column::Id.eq(id.parse::<Uuid>().expect("uuid")))
        .exec(&w.app.db)
        .await
        .expect("ended");
    assert!(w.titles(Some(&key), "UPCOMING", 20).await.is_empty());
    assert_eq!(w.titles(Some(&key), "PAST", 20).await, ["Closing soon"]);
}
