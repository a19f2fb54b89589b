//! Live subscriptions over `graphql-transport-ws` on `/graphql` (issue 18), with
//! a real WebSocket client: a withdrawal reaches a subscribed partner as a
//! tombstone, a revoked key's subscription ends, editors hear the newsroom
//! within their organisation's scope, and on PostgreSQL an event made through
//! one Chorus process reaches a subscriber of another.

use std::time::{Duration, Instant};

use api::{
    auth::{Principal, Role},
    clock, consumers,
    stories::workflow,
};
use entity::api_key::Channel;
use futures_util::{SinkExt, StreamExt};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream,
    tungstenite::{Message, client::IntoClientRequest},
};
use uuid::Uuid;

use crate::{
    fixtures,
    helpers::{TestApp, spawn_app_on, spawn_app_with},
    organisations::{create_campaign, id_of, invite_and_sign_in},
};

pub(crate) type Socket = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens a socket on `/graphql` speaking `graphql-transport-ws` and sends
/// `connection_init` with `payload`: the socket once acknowledged, or how the
/// server closed it.
pub(crate) async fn connect(app: &TestApp, payload: Value) -> Result<Socket, String> {
    let url = app.base_url.replacen("http://", "ws://", 1) + "/graphql";
    let mut request = url.into_client_request().expect("a request");
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().expect("header"),
    );
    let (mut socket, answer) = tokio_tungstenite::connect_async(request)
        .await
        .expect("upgraded");
    assert_eq!(
        answer.headers()["sec-websocket-protocol"],
        "graphql-transport-ws"
    );
    send(
        &mut socket,
        json!({ "type": "connection_init", "payload": payload }),
    )
    .await;
    match next_message(&mut socket, Duration::from_secs(10)).await {
        Some(Message::Text(text)) => {
            let v: Value = serde_json::from_str(&text).expect("json");
            assert_eq!(v["type"], "connection_ack", "{v}");
            Ok(socket)
        }
        Some(Message::Close(frame)) => Err(frame.map(|f| f.reason.to_string()).unwrap_or_default()),
        other => Err(format!("unexpected: {other:?}")),
    }
}

pub(crate) async fn send(socket: &mut Socket, message: Value) {
    socket
        .send(Message::text(message.to_string()))
        .await
        .expect("sent");
}

async fn next_message(socket: &mut Socket, within: Duration) -> Option<Message> {
    tokio::time::timeout(within, socket.next())
        .await
        .ok()
        .flatten()
        .map(|m| m.expect("a message"))
}

/// The next protocol message as JSON (pings answered, other frames skipped).
pub(crate) async fn next_json(socket: &mut Socket, within: Duration) -> Option<Value> {
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match next_message(socket, left).await? {
            Message::Text(text) => {
                let v: Value = serde_json::from_str(&text).expect("json");
                if v["type"] == "ping" {
                    send(socket, json!({ "type": "pong" })).await;
                    continue;
                }
                return Some(v);
            }
            Message::Close(_) => return None,
            _ => continue,
        }
    }
}

async fn subscribe(socket: &mut Socket, id: &str, query: &str) {
    send(
        socket,
        json!({ "id": id, "type": "subscribe", "payload": { "query": query } }),
    )
    .await;
    // Nothing comes back until there is something to say: the subscription is
    // in place once a query on the same socket has been answered after it.
    send(
        socket,
        json!({ "id": format!("{id}-probe"), "type": "subscribe", "payload": { "query": "{ __typename }" } }),
    )
    .await;
    let mut probe_done = false;
    while !probe_done {
        let v = next_json(socket, Duration::from_secs(10))
            .await
            .expect("the probe is answered");
        assert_ne!(v["type"], "error", "{v}");
        probe_done = v["id"] == format!("{id}-probe") && v["type"] == "complete";
    }
}

const CHANGES: &str = "subscription { storyChanges {
    __typename
    ... on StoryTombstone { storyId reason takedownId }
    ... on StoryUpsert { story { id slug } }
} }";

/// An app with an admin, an editor and an author (also used by `pruning`).
pub(crate) struct World {
    pub(crate) app: TestApp,
    pub(crate) admin: Principal,
    pub(crate) editor: Principal,
    author: Principal,
}

impl World {
    pub(crate) async fn new(settings: &[(&str, &str)]) -> Self {
        let app = spawn_app_with(settings).await;
        Self::on(app).await
    }

    async fn on(app: TestApp) -> Self {
        let admin = fixtures::staff(&app.db, "admin@chorus.test", Role::Admin).await;
        let editor = fixtures::staff(&app.db, "editor@chorus.test", Role::Editor).await;
        let author = fixtures::staff(&app.db, "author@chorus.test", Role::Contributor).await;
        Self {
            app,
            admin,
            editor,
            author,
        }
    }

    /// A published story whose consent covers the mobile app; its consent's id.
    pub(crate) async fn published(&self, title: &str) -> (entity::story::Model, Uuid) {
        fixtures::published_with_consent(
            &self.app.db,
            &self.app.state.crypto,
            &self.author,
            &self.editor,
            fixtures::terms(&[Channel::MobileApp]),
            title,
        )
        .await
    }

    /// The key reads its stories once, so that a takedown is its to hear of.
    async fn read_all(&self, key: &str) {
        let res = self
            .app
            .client
            .post(self.app.url("/graphql"))
            .header("x-api-key", key)
            .json(&json!({ "query": "{ stories { nodes { id } } }" }))
            .send()
            .await
            .expect("read");
        assert_eq!(res.status(), 200);
    }
}

#[tokio::test]
async fn a_withdrawal_reaches_a_live_subscriber_as_a_tombstone_and_a_revoked_key_is_ended() {
    let w = World::new(&[]).await;
    let (story, consent_id) = w.published("Heard live").await;
    let (key_id, key) = fixtures::api_key(&w.app.db, &w.admin, Channel::MobileApp, None).await;
    w.read_all(&key).await;
    let mut socket = connect(&w.app, json!({ "x-api-key": key }))
        .await
        .expect("accepted");
    subscribe(&mut socket, "feed", CHANGES).await;

    // A story published now arrives as an upsert.
    let (fresh, _) = w.published("Published while subscribed").await;
    let upsert = next_json(&mut socket, Duration::from_secs(10))
        .await
        .expect("an upsert");
    assert_eq!(upsert["type"], "next", "{upsert}");
    assert_eq!(
        upsert["payload"]["data"]["storyChanges"]["story"]["id"],
        fresh.id.to_string()
    );

    let withdrawn_at = Instant::now();
    fixtures::withdraw(&w.app.db, &w.editor, consent_id).await;
    let tombstone = next_json(&mut socket, Duration::from_secs(10))
        .await
        .expect("a tombstone");
    let took = withdrawn_at.elapsed();
    let change = &tombstone["payload"]["data"]["storyChanges"];
    assert_eq!(change["__typename"], "StoryTombstone", "{tombstone}");
    assert_eq!(change["storyId"], story.id.to_string());
    assert_eq!(change["reason"], "WITHDRAWN");
    assert!(
        change["takedownId"].is_string(),
        "the takedown to acknowledge"
    );
    // Typically well under 300 ms; the bound leaves room for a loaded machine.
    assert!(took < Duration::from_secs(2), "took {took:?}");

    // Revoking the key ends the subscription with an error, and the key may
    // not open another.
    consumers::revoke_key(&w.app.db, &w.admin, key_id, clock::now())
        .await
        .expect("revoked");
    let ended = next_json(&mut socket, Duration::from_secs(10))
        .await
        .expect("an answer");
    assert_eq!(ended["type"], "next", "{ended}");
    assert_eq!(
        ended["payload"]["errors"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );
    let complete = next_json(&mut socket, Duration::from_secs(10))
        .await
        .expect("complete");
    assert_eq!(complete, json!({ "id": "feed", "type": "complete" }));
    let refused = connect(&w.app, json!({ "x-api-key": key })).await;
    assert!(refused.is_err(), "a revoked key cannot connect");
}

#[tokio::test]
async fn connection_init_needs_credentials_and_a_key_holds_few_connections() {
    let w = World::new(&[("CHORUS_LIVE_CONNECTIONS_PER_KEY", "2")]).await;
    let (_, key) = fixtures::api_key(&w.app.db, &w.admin, Channel::MobileApp, None).await;
    for bad in [
        json!({}),
        json!({ "x-api-key": "chk_not_a_key" }),
        json!({ "authorization": "Bearer not-a-token" }),
        json!({ "authorization": "Basic abc" }),
    ] {
        let refused = connect(&w.app, bad.clone()).await;
        assert!(refused.is_err(), "{bad}");
    }
    let first = connect(&w.app, json!({ "x-api-key": key }))
        .await
        .expect("first");
    let second = connect(&w.app, json!({ "X-Api-Key": key }))
        .await
        .expect("second");
    let third = connect(&w.app, json!({ "x-api-key": key })).await;
    assert!(
        third
            .as_ref()
            .err()
            .is_some_and(|why| why.contains("at most 2")),
        "{:?}",
        third.err()
    );
    drop(first);
    // The server notices the closed socket and frees its place.
    let start = Instant::now();
    loop {
        if connect(&w.app, json!({ "x-api-key": key })).await.is_ok() {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the place was never freed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(second);

    // Staff subscriptions are refused to keys.
    let mut socket = connect(&w.app, json!({ "x-api-key": key }))
        .await
        .expect("accepted");
    {
        let socket = &mut socket;
        send(
            socket,
            json!({ "id": "n", "type": "subscribe", "payload": { "query": "subscription { newsroomEvents { action } }" } }),
        )
        .await;
        let refused = next_json(socket, Duration::from_secs(10))
            .await
            .expect("an answer");
        assert_eq!(refused["type"], "next", "{refused}");
        assert_eq!(
            refused["payload"]["errors"][0]["extensions"]["code"],
            "FORBIDDEN"
        );
        let complete = next_json(socket, Duration::from_secs(10))
            .await
            .expect("complete");
        assert_eq!(complete["type"], "complete");
    }
}

#[tokio::test]
async fn editors_hear_the_newsroom_of_their_scope_and_nothing_of_others() {
    let w = World::new(&[]).await;
    let platform = w.app.token_for("platform@chorus.test", Role::Admin).await;
    let organisation = id_of(
        &w.app
            .gql(
                Some(&platform),
                "mutation { createOrganisation(input: { slug: \"members\", name: \"Members\" }) { id } }",
                json!({}),
            )
            .await,
        "createOrganisation",
    );
    let member = invite_and_sign_in(
        &w.app,
        &platform,
        "editor@members.test",
        "EDITOR",
        Some(&organisation),
    )
    .await;
    let editor = w
        .app
        .token_for("live-editor@chorus.test", Role::Editor)
        .await;
    const NEWS: &str = "subscription { newsroomEvents { action subjectType subjectId toState } }";
    let mut platform_socket = connect(
        &w.app,
        json!({ "authorization": format!("Bearer {editor}") }),
    )
    .await
    .expect("accepted");
    subscribe(&mut platform_socket, "news", NEWS).await;
    let mut member_socket = connect(
        &w.app,
        json!({ "Authorization": format!("Bearer {member}") }),
    )
    .await
    .expect("accepted");
    subscribe(&mut member_socket, "news", NEWS).await;

    // The platform's story goes to review: its editors hear of it.
    let teller = fixtures::storyteller(
        &w.app.db,
        &w.app.state.crypto,
        &w.editor,
        fixtures::Person::Adult,
        "Legal Name Of Teller",
    )
    .await;
    let draft = fixtures::draft(&w.app.db, &w.author, teller.id, "Sent for review").await;
    workflow::submit(&w.app.db, &w.author, draft.id, None, clock::now())
        .await
        .expect("submitted");
    loop {
        let v = next_json(&mut platform_socket, Duration::from_secs(10))
            .await
            .expect("an event");
        assert_eq!(v["type"], "next", "{v}");
        let event = &v["payload"]["data"]["newsroomEvents"];
        let action = event["action"].as_str().expect("action");
        assert!(
            action.starts_with("story.") || action.starts_with("review."),
            "{event}"
        );
        if action == "story.submitted" {
            assert_eq!(event["subjectId"], draft.id.to_string());
            assert_eq!(event["toState"], "IN_REVIEW");
            break;
        }
    }
    // A reviewer's comment comes next.
    let revision = entity::story_revision::Entity::find()
        .filter(entity::story_revision::Column::StoryId.eq(draft.id))
        .one(&w.app.db)
        .await
        .expect("read")
        .expect("a revision");
    api::stories::review::add_comment(
        &w.app.db,
        &w.editor,
        revision.id,
        "Please check the dates.".into(),
        clock::now(),
    )
    .await
    .expect("commented");
    let v = next_json(&mut platform_socket, Duration::from_secs(10))
        .await
        .expect("the comment");
    let event = &v["payload"]["data"]["newsroomEvents"];
    assert_eq!(event["action"], "review.comment_added", "{v}");
    assert!(
        !v.to_string().contains("Please check"),
        "events name what happened, not what was written"
    );

    // The member organisation's editor makes a story of their own: the first
    // thing they hear of is theirs, never the platform's.
    let campaign = create_campaign(&w.app, &member, "members-campaign").await;
    let teller = w
        .app
        .gql(
            Some(&member),
            "mutation { createStoryteller(input: { publicName: \"Amal\", legalName: \"Amal Legal\" }) { id } }",
            json!({}),
        )
        .await;
    let teller = id_of(&teller, "createStoryteller");
    let story = w
        .app
        .gql(
            Some(&member),
            "mutation($t: ID!, $c: ID!) { createStory(input: { storytellerId: $t, primaryLocale: \"en\", title: \"Ours\", campaignIds: [$c] }) { id } }",
            json!({ "t": teller, "c": campaign }),
        )
        .await;
    let story = id_of(&story, "createStory");
    let v = next_json(&mut member_socket, Duration::from_secs(10))
        .await
        .expect("an event");
    let event = &v["payload"]["data"]["newsroomEvents"];
    assert_eq!(event["subjectId"], story, "{v}");
    assert_eq!(event["action"], "story.created");
    assert_ne!(event["subjectId"], draft.id.to_string());
}

#[tokio::test]
async fn an_event_made_through_one_process_reaches_a_subscriber_of_another() {
    // Two processes sharing one database: only PostgreSQL is shared that way.
    let on_postgres = std::env::var("CHORUS_TEST_POSTGRES_URL").is_ok_and(|u| !u.is_empty());
    if !on_postgres {
        return;
    }
    let a = World::new(&[("CHORUS_JOBS_ENABLED", "false")]).await;
    let b = spawn_app_on(&a.app, &[("CHORUS_JOBS_ENABLED", "false")]).await;
    let (story, consent_id) = a.published("Across nodes").await;
    let (_, key) = fixtures::api_key(&a.app.db, &a.admin, Channel::MobileApp, None).await;
    a.read_all(&key).await;
    let mut socket = connect(&b, json!({ "x-api-key": key }))
        .await
        .expect("accepted on B");
    subscribe(&mut socket, "feed", CHANGES).await;
    // The withdrawal is written through A's pool; B hears of it from PostgreSQL.
    fixtures::withdraw(&a.app.db, &a.editor, consent_id).await;
    let tombstone = next_json(&mut socket, Duration::from_secs(10))
        .await
        .expect("a tombstone on B");
    assert_eq!(
        tombstone["payload"]["data"]["storyChanges"]["storyId"],
        story.id.to_string(),
        "{tombstone}"
    );
}
