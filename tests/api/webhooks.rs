//! Webhooks and acknowledged takedowns (issue 18), over real HTTP: receivers
//! inside the test check every signature and timestamp as a partner would (an
//! HMAC of their own, not Chorus's signing code), fail on purpose, hang, and
//! see what the consent gate lets their key see, no more.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use api::{
    auth::{Principal, Role},
    clock, consent,
    stories::workflow,
};
use base64::{Engine, engine::general_purpose::STANDARD};
use entity::{api_key::Channel, audit_event, story, takedown, webhook_delivery};
use hmac::{Hmac, Mac};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
};
use uuid::Uuid;

use crate::{
    fixtures,
    helpers::{TestApp, spawn_app_with},
};

// ---------------------------------------------------------------------------
// A partner's receiver.

/// One request as the receiver saw it.
#[derive(Debug, Clone)]
struct Received {
    arrived: Instant,
    headers: HashMap<String, String>,
    body: String,
    /// What the receiver answered.
    status: u16,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }
}

/// What the receiver answers the `n`-th request (from 0): a status, after a wait.
type Behaviour = Arc<dyn Fn(usize) -> (u16, Duration) + Send + Sync>;

struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Received>>>,
    behaviour: Arc<Mutex<Behaviour>>,
    /// Requests read so far, answered or not.
    seen: Arc<std::sync::atomic::AtomicUsize>,
}

impl Receiver {
    async fn start(behaviour: impl Fn(usize) -> (u16, Duration) + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let got: Arc<Mutex<Vec<Received>>> = Arc::default();
        let behaviour: Arc<Mutex<Behaviour>> = Arc::new(Mutex::new(Arc::new(behaviour)));
        let seen = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (g, b, counted) = (got.clone(), behaviour.clone(), seen.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    continue;
                };
                let (got, behaviour, seen) = (g.clone(), b.clone(), counted.clone());
                tokio::spawn(async move {
                    let arrived = Instant::now();
                    let Some((headers, body)) = read_request(&mut stream).await else {
                        return;
                    };
                    let n = seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let answer = behaviour.lock().unwrap().clone();
                    let (status, wait) = answer(n);
                    tokio::time::sleep(wait).await;
                    let reply = format!(
                        "HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                    );
                    if stream.write_all(reply.as_bytes()).await.is_ok() {
                        got.lock().unwrap().push(Received {
                            arrived,
                            headers,
                            body,
                            status,
                        });
                    }
                });
            }
        });
        Self {
            url: format!("http://{addr}/chorus-hook"),
            got,
            behaviour,
            seen,
        }
    }

    /// Requests read so far, answered or not.
    fn arrived(&self) -> usize {
        self.seen.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn answer(&self, behaviour: impl Fn(usize) -> (u16, Duration) + Send + Sync + 'static) {
        *self.behaviour.lock().unwrap() = Arc::new(behaviour);
    }

    fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// Waits until `done` holds for what was received, for at most `within`.
    async fn wait_for(
        &self,
        within: Duration,
        done: impl Fn(&[Received]) -> bool,
    ) -> Vec<Received> {
        let start = Instant::now();
        loop {
            let got = self.received();
            if done(&got) {
                return got;
            }
            assert!(
                start.elapsed() < within,
                "gave up waiting after {within:?}; received: {:#?}",
                got.iter().map(|r| (&r.status, &r.body)).collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn ok(_: usize) -> (u16, Duration) {
    (200, Duration::ZERO)
}

async fn read_request(
    stream: &mut tokio::net::TcpStream,
) -> Option<(HashMap<String, String>, String)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let headers: HashMap<String, String> = head
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some((headers, String::from_utf8(body).ok()?))
}

/// Checks a request as the Standard Webhooks libraries do: a fresh timestamp,
/// and one of the `v1` signatures an HMAC-SHA256 with `secret` of
/// `id.timestamp.body`.
fn verify(secret: &str, r: &Received) -> bool {
    let (Some(id), Some(timestamp), Some(signatures)) = (
        r.headers.get("webhook-id"),
        r.headers.get("webhook-timestamp"),
        r.headers.get("webhook-signature"),
    ) else {
        return false;
    };
    let Ok(ts) = timestamp.parse::<i64>() else {
        return false;
    };
    if (clock::now().timestamp() - ts).abs() > 300 {
        return false;
    }
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").expect("whsec_ secret"))
        .expect("base64 key");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("key");
    mac.update(format!("{id}.{timestamp}.{}", r.body).as_bytes());
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    signatures.split(' ').any(|s| s == expected)
}

// ---------------------------------------------------------------------------
// The world: an admin, partners with keys, storytellers and stories.

struct World {
    app: TestApp,
    admin: Principal,
    admin_token: String,
    editor: Principal,
    author: Principal,
}

impl World {
    async fn new(extra: &[(&str, &str)]) -> Self {
        let mut settings = vec![
            ("CHORUS_WEBHOOK_ALLOW_PRIVATE", "true"),
            ("CHORUS_WEBHOOK_POLL_INTERVAL", "100ms"),
            ("CHORUS_WEBHOOK_RETRY_DELAY", "500ms"),
            ("CHORUS_WEBHOOK_TIMEOUT", "3s"),
        ];
        settings.extend_from_slice(extra);
        let app = spawn_app_with(&settings).await;
        let admin = fixtures::staff(&app.db, "admin@chorus.test", Role::Admin).await;
        let editor = fixtures::staff(&app.db, "editor@chorus.test", Role::Editor).await;
        let author = fixtures::staff(&app.db, "author@chorus.test", Role::Contributor).await;
        let admin_token = app.token_for("hooks-admin@chorus.test", Role::Admin).await;
        Self {
            app,
            admin,
            admin_token,
            editor,
            author,
        }
    }

    async fn partner(&self, slug: &str) -> Uuid {
        fixtures::partner(&self.app.db, &self.admin, slug).await
    }

    /// A key: its id and the key itself.
    async fn key(&self, channel: Channel, partner: Option<Uuid>) -> (Uuid, String) {
        fixtures::api_key(&self.app.db, &self.admin, channel, partner).await
    }

    async fn admin_gql(&self, query: &str, variables: Value) -> crate::helpers::GqlResponse {
        self.app
            .gql(Some(&self.admin_token), query, variables)
            .await
    }

    /// Registers an endpoint for every event; returns its id and secret.
    async fn endpoint(&self, key: Uuid, url: &str) -> (String, String) {
        let res = self
            .admin_gql(
                "mutation($i: CreateWebhookEndpointInput!) {
                   createWebhookEndpoint(input: $i) { secret endpoint { id url events enabled } }
                 }",
                json!({ "i": {
                    "apiKeyId": key,
                    "url": url,
                    "events": ["STORY_PUBLISHED", "STORY_UPDATED", "STORY_UNPUBLISHED", "STORY_TAKEN_DOWN"],
                    "description": "partner site",
                } }),
            )
            .await;
        let created = &res.data()["createWebhookEndpoint"];
        assert_eq!(created["endpoint"]["enabled"], true, "{created}");
        (
            created["endpoint"]["id"].as_str().expect("id").to_owned(),
            created["secret"].as_str().expect("secret").to_owned(),
        )
    }

    /// A storyteller whose consent grants `terms`, and one story of theirs, published.
    async fn published_story(&self, terms: consent::Terms, title: &str) -> (story::Model, Uuid) {
        fixtures::published_with_consent(
            &self.app.db,
            &self.app.state.crypto,
            &self.author,
            &self.editor,
            terms,
            title,
        )
        .await
    }

    async fn withdraw(&self, consent_id: Uuid) {
        fixtures::withdraw(&self.app.db, &self.editor, consent_id).await;
    }

    async fn consumer_gql(
        &self,
        key: &str,
        query: &str,
        variables: Value,
    ) -> crate::helpers::GqlResponse {
        let res = self
            .app
            .client
            .post(self.app.url("/graphql"))
            .header("x-api-key", key)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("sent");
        crate::helpers::GqlResponse::read(res).await
    }
}

fn events(got: &[Received]) -> Vec<(String, String)> {
    got.iter()
        .filter(|r| r.status == 200)
        .map(|r| {
            let v = r.json();
            (
                v["type"].as_str().unwrap_or_default().to_owned(),
                v["data"]["storyId"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

const WAIT: Duration = Duration::from_secs(20);

// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_withdrawal_reaches_the_webhook_and_the_sync_feed_and_partners_acknowledge_it() {
    let w = World::new(&[]).await;
    let partner = w.partner("news-site").await;
    let (site_key, site_secret_key) = w.key(Channel::PartnerSites, Some(partner)).await;
    let (app_key_id, app_key) = w.key(Channel::MobileApp, None).await;
    let receiver = Receiver::start(ok).await;
    let (_, secret) = w.endpoint(site_key, &receiver.url).await;

    let (story, consent_id) = w
        .published_story(
            fixtures::terms(&[Channel::PartnerSites, Channel::MobileApp]),
            "Arriving in winter",
        )
        .await;
    let sid = story.id.to_string();
    let got = receiver.wait_for(WAIT, |got| !got.is_empty()).await;
    assert_eq!(events(&got), [("story.published".to_owned(), sid.clone())]);
    assert!(verify(&secret, &got[0]), "signature: {:?}", got[0].headers);
    assert_eq!(got[0].json()["data"]["slug"], story.slug.as_str());
    assert_eq!(got[0].headers["content-type"], "application/json");

    // The app reads the story through its feed, so it was served it too.
    const FEED: &str = "query($since: String) { storyChanges(since: $since) {
        changes { __typename ... on StoryTombstone { storyId reason takedownId } }
        endCursor } }";
    let first = w.consumer_gql(&app_key, FEED, json!({})).await;
    let cursor = first.data()["storyChanges"]["endCursor"].clone();

    w.withdraw(consent_id).await;

    // The webhook: a takedown naming what to acknowledge, and nothing personal.
    let got = receiver.wait_for(WAIT, |got| got.len() >= 2).await;
    let takedown_event = got[1].json();
    assert_eq!(takedown_event["type"], "story.taken_down");
    assert!(verify(&secret, &got[1]));
    assert_eq!(takedown_event["data"]["storyId"], sid.as_str());
    assert_eq!(takedown_event["data"]["reason"], "WITHDRAWN");
    let site_takedown = takedown_event["data"]["takedownIds"][0]
        .as_str()
        .expect("a takedown id")
        .to_owned();
    assert!(
        !got[1].body.contains("Legal Name") && !got[1].body.contains("Teller"),
        "no personal data: {}",
        got[1].body
    );
    let delivered = |id: &str| {
        let db = w.app.db.clone();
        let id: Uuid = id.parse().expect("uuid");
        async move {
            takedown::Entity::find_by_id(id)
                .one(&db)
                .await
                .expect("read")
                .expect("takedown")
        }
    };
    // Marked delivered once the receiver said 2xx.
    let start = Instant::now();
    while delivered(&site_takedown).await.delivered_at.is_none() {
        assert!(start.elapsed() < WAIT, "never marked delivered");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // The sync feed: a tombstone with the app's own takedown.
    let after = w
        .consumer_gql(&app_key, FEED, json!({ "since": cursor }))
        .await;
    let changes = after.data()["storyChanges"]["changes"].clone();
    assert_eq!(changes[0]["__typename"], "StoryTombstone", "{changes}");
    assert_eq!(changes[0]["reason"], "WITHDRAWN");
    let app_takedown = changes[0]["takedownId"]
        .as_str()
        .expect("takedownId")
        .to_owned();
    assert_ne!(app_takedown, site_takedown);
    let t = delivered(&app_takedown).await;
    assert_eq!(t.api_key_id, app_key_id);
    assert!(
        t.delivered_at.is_some(),
        "handing it out in the feed delivers it"
    );

    // Admins see both outstanding, with their age, not overdue yet.
    const OUTSTANDING: &str =
        "{ outstandingTakedowns { id storyId partnerId ageHours overdue dueBy } }";
    let listed = w.admin_gql(OUTSTANDING, json!({})).await;
    let ids: Vec<&str> = listed.data()["outstandingTakedowns"]
        .as_array()
        .expect("list")
        .iter()
        .map(|t| t["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert!(ids.contains(&site_takedown.as_str()) && ids.contains(&app_takedown.as_str()));
    assert!(
        listed.data()["outstandingTakedowns"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["overdue"] == false && t["ageHours"] == 0)
    );
    let own_keys = w
        .admin_gql(
            "query($p: ID!) { mine: outstandingTakedowns(partnerId: $p) { id } own: outstandingTakedowns(ownKeys: true) { id } }",
            json!({ "p": partner }),
        )
        .await;
    assert_eq!(own_keys.data()["mine"], json!([{ "id": site_takedown }]));
    assert_eq!(own_keys.data()["own"], json!([{ "id": app_takedown }]));

    // The partner lists and acknowledges its takedown with its key; another key
    // cannot acknowledge it, as for an unknown id.
    const ACK: &str =
        "mutation($id: ID!) { acknowledgeTakedown(id: $id) { id acknowledgedAt reason } }";
    let listed = w
        .consumer_gql(
            &site_secret_key,
            "{ takedownRequests { id storyId reason } }",
            json!({}),
        )
        .await;
    assert_eq!(
        listed.data()["takedownRequests"],
        json!([{ "id": site_takedown, "storyId": sid, "reason": "WITHDRAWN" }])
    );
    let stranger = w
        .consumer_gql(&app_key, ACK, json!({ "id": site_takedown }))
        .await;
    assert_eq!(stranger.code(), "NOT_FOUND");
    assert!(delivered(&site_takedown).await.acknowledged_at.is_none());
    let acked = w
        .consumer_gql(&site_secret_key, ACK, json!({ "id": site_takedown }))
        .await;
    let acknowledged_at = acked.data()["acknowledgeTakedown"]["acknowledgedAt"].clone();
    assert!(acknowledged_at.is_string(), "{:?}", acked.body);
    let again = w
        .consumer_gql(&site_secret_key, ACK, json!({ "id": site_takedown }))
        .await;
    assert_eq!(
        again.data()["acknowledgeTakedown"]["acknowledgedAt"],
        acknowledged_at,
        "the first acknowledgement stands"
    );
    let staff = w.admin_gql(ACK, json!({ "id": app_takedown })).await;
    assert_eq!(staff.code(), "FORBIDDEN");

    // Two days on (the test's clock), the app's takedown is overdue: flagged
    // once, in the list and in the audit log.
    let later = clock::now() + chrono::Duration::hours(49);
    let deadline = chrono::Duration::hours(48);
    assert_eq!(
        consent::takedown::flag_overdue(&w.app.db, deadline, later)
            .await
            .expect("flagged"),
        1
    );
    assert_eq!(
        consent::takedown::flag_overdue(&w.app.db, deadline, later)
            .await
            .expect("flagged"),
        0,
        "flagged once"
    );
    let listed = w.admin_gql(OUTSTANDING, json!({})).await;
    assert_eq!(
        listed.data()["outstandingTakedowns"],
        json!([{
            "id": app_takedown,
            "storyId": sid,
            "partnerId": null,
            "ageHours": 0,
            "overdue": true,
            "dueBy": listed.data()["outstandingTakedowns"][0]["dueBy"],
        }])
    );
    let flagged = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("takedown.overdue"))
        .count(&w.app.db)
        .await
        .expect("count");
    assert_eq!(flagged, 1);

    let acked = w
        .consumer_gql(&app_key, ACK, json!({ "id": app_takedown }))
        .await;
    assert!(acked.data()["acknowledgeTakedown"]["acknowledgedAt"].is_string());
    let listed = w.admin_gql(OUTSTANDING, json!({})).await;
    assert_eq!(
        listed.data()["outstandingTakedowns"],
        json!([]),
        "the outstanding list empties"
    );

    // The storyteller's export shows where the story went and that each
    // recipient confirmed its removal.
    let export = api::storytellers::rights::export(
        &w.app.db,
        &w.app.state.crypto,
        &w.admin,
        story.storyteller_id,
        clock::now(),
    )
    .await
    .expect("export");
    let received = export["stories"][0]["receivedBy"]
        .as_array()
        .expect("recipients");
    assert_eq!(received.len(), 2, "{received:?}");
    let site = received
        .iter()
        .find(|r| r["partner"] == "news-site")
        .expect("the partner site");
    assert_eq!(site["channel"], "PARTNER_SITES");
    assert_eq!(site["takedown"]["reason"], "WITHDRAWN");
    let confirmed = |v: &Value| {
        chrono::DateTime::parse_from_rfc3339(v.as_str().expect("a time")).expect("RFC 3339")
    };
    assert_eq!(
        confirmed(&site["takedown"]["removalConfirmedAt"]),
        confirmed(&acknowledged_at)
    );
    assert!(site["takedown"]["deliveredAt"].is_string());
    let app = received
        .iter()
        .find(|r| r["channel"] == "MOBILE_APP")
        .expect("the app");
    assert!(app["takedown"]["removalConfirmedAt"].is_string());
}

#[tokio::test]
async fn a_failing_endpoint_is_retried_with_growing_delays_until_it_succeeds() {
    let w = World::new(&[]).await;
    let (key, _) = w.key(Channel::PublicWeb, None).await;
    let receiver = Receiver::start(|n| (if n < 3 { 503 } else { 200 }, Duration::ZERO)).await;
    let (endpoint, secret) = w.endpoint(key, &receiver.url).await;
    let (story, _) = w
        .published_story(fixtures::terms(&[Channel::PublicWeb]), "Retried")
        .await;

    let got = receiver
        .wait_for(WAIT, |got| got.iter().any(|r| r.status == 200))
        .await;
    assert_eq!(
        got.iter().map(|r| r.status).collect::<Vec<_>>(),
        [503, 503, 503, 200]
    );
    // The same event each time: one id, one body, each signed afresh.
    assert!(got.iter().all(|r| verify(&secret, r)));
    assert!(
        got.iter()
            .all(|r| r.headers["webhook-id"] == got[0].headers["webhook-id"])
    );
    assert!(got.iter().all(|r| r.body == got[0].body));
    assert_eq!(got[0].json()["data"]["storyId"], story.id.to_string());
    let gaps: Vec<Duration> = got
        .windows(2)
        .map(|p| p[1].arrived - p[0].arrived)
        .collect();
    assert!(
        gaps[0] >= Duration::from_millis(350) && gaps[1] > gaps[0] && gaps[2] > gaps[1],
        "delays grow: {gaps:?}"
    );

    // Admins see the attempts, each with its status (once the sender has
    // recorded the last answer, a moment after the receiver gave it).
    let start = Instant::now();
    let res = loop {
        let res = w
            .admin_gql(
                "query($id: ID!) { webhookEndpoint(id: $id) { deliveries { event status attempts lastStatus attemptLog { status error durationMs } } } }",
                json!({ "id": endpoint }),
            )
            .await;
        if res.data()["webhookEndpoint"]["deliveries"][0]["status"] == "DELIVERED" {
            break res;
        }
        assert!(start.elapsed() < WAIT, "never recorded as delivered");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let delivery = &res.data()["webhookEndpoint"]["deliveries"][0];
    assert_eq!(delivery["event"], "STORY_PUBLISHED");
    assert_eq!(delivery["status"], "DELIVERED");
    assert_eq!(delivery["attempts"], 4);
    assert_eq!(delivery["lastStatus"], 200);
    let log: Vec<Value> = delivery["attemptLog"].as_array().expect("log").clone();
    assert_eq!(
        log.iter().map(|a| a["status"].clone()).collect::<Vec<_>>(),
        [json!(503), json!(503), json!(503), json!(200)]
    );
    assert!(log[0]["error"].as_str().expect("error").contains("503"));
    assert_eq!(log[3]["error"], Value::Null);
}

#[tokio::test]
async fn an_endpoint_that_always_fails_ends_in_the_dead_letter_list_and_a_replay_delivers_it() {
    let w = World::new(&[
        ("CHORUS_WEBHOOK_RETRY_DELAY", "200ms"),
        ("CHORUS_WEBHOOK_RETRY_FOR", "1s"),
    ])
    .await;
    let (key, _) = w.key(Channel::PublicWeb, None).await;
    let receiver = Receiver::start(|_| (500, Duration::ZERO)).await;
    let (endpoint, secret) = w.endpoint(key, &receiver.url).await;
    w.published_story(fixtures::terms(&[Channel::PublicWeb]), "Never heard")
        .await;

    const DEAD: &str = "query($id: ID!) { webhookEndpoint(id: $id) {
        deliveries(status: DEAD) { id status deadAt nextAttemptAt attempts lastError } } }";
    let start = Instant::now();
    let dead = loop {
        let res = w.admin_gql(DEAD, json!({ "id": endpoint })).await;
        let list = res.data()["webhookEndpoint"]["deliveries"].clone();
        if list.as_array().is_some_and(|l| !l.is_empty()) {
            break list[0].clone();
        }
        assert!(start.elapsed() < WAIT, "never went to the dead-letter list");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(dead["status"], "DEAD");
    assert_eq!(dead["nextAttemptAt"], Value::Null);
    assert!(dead["attempts"].as_i64().expect("attempts") >= 2, "{dead}");
    assert!(dead["lastError"].as_str().expect("error").contains("500"));
    let tries = receiver.received().len();
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        receiver.received().len(),
        tries,
        "a dead delivery is not retried"
    );
    let audited = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("webhook_delivery.dead"))
        .count(&w.app.db)
        .await
        .expect("count");
    assert_eq!(audited, 1);

    // Only a dead delivery can be replayed, and only by its admins.
    receiver.answer(ok);
    const REPLAY: &str = "mutation($id: ID!) { replayWebhookDelivery(id: $id) { status deadAt } }";
    let stranger = w
        .app
        .gql(
            Some(&w.app.token_for("editor2@chorus.test", Role::Editor).await),
            REPLAY,
            json!({ "id": dead["id"] }),
        )
        .await;
    assert_eq!(stranger.code(), "FORBIDDEN");
    let replayed = w.admin_gql(REPLAY, json!({ "id": dead["id"] })).await;
    assert_eq!(
        replayed.data()["replayWebhookDelivery"],
        json!({ "status": "PENDING", "deadAt": null })
    );
    let got = receiver
        .wait_for(WAIT, |got| got.iter().any(|r| r.status == 200))
        .await;
    let delivered = got.iter().find(|r| r.status == 200).expect("delivered");
    assert!(verify(&secret, delivered));
    assert_eq!(
        delivered.headers["webhook-id"],
        dead["id"].as_str().expect("id")
    );
    let twice = w.admin_gql(REPLAY, json!({ "id": dead["id"] })).await;
    let start = Instant::now();
    loop {
        let row = webhook_delivery::Entity::find_by_id(
            dead["id"].as_str().unwrap().parse::<Uuid>().unwrap(),
        )
        .one(&w.app.db)
        .await
        .expect("read")
        .expect("delivery");
        if row.delivered_at.is_some() {
            break;
        }
        assert!(start.elapsed() < WAIT);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let again = w.admin_gql(REPLAY, json!({ "id": dead["id"] })).await;
    assert_eq!(
        again.code(),
        "CONFLICT",
        "{:?} then {:?}",
        twice.body,
        again.body
    );
}

#[tokio::test]
async fn an_endpoint_hears_only_of_what_its_partner_may_see() {
    let w = World::new(&[]).await;
    let allowed = w.partner("allowed-partner").await;
    let other = w.partner("other-partner").await;
    let (allowed_key, _) = w.key(Channel::PartnerSites, Some(allowed)).await;
    let (other_key, _) = w.key(Channel::PartnerSites, Some(other)).await;
    let (web_key, _) = w.key(Channel::PublicWeb, None).await;
    let (hears, stays_out, web) = (
        Receiver::start(ok).await,
        Receiver::start(ok).await,
        Receiver::start(ok).await,
    );
    w.endpoint(allowed_key, &hears.url).await;
    w.endpoint(other_key, &stays_out.url).await;
    w.endpoint(web_key, &web.url).await;

    // Consent for partner sites, one partner only: not the other, not the web.
    let mut terms = fixtures::terms(&[Channel::PartnerSites]);
    terms.all_partners = false;
    terms.partner_ids = vec![allowed];
    let (story, consent_id) = w.published_story(terms, "For one partner").await;
    let got = hears.wait_for(WAIT, |got| !got.is_empty()).await;
    assert_eq!(
        events(&got),
        [("story.published".to_owned(), story.id.to_string())]
    );
    w.withdraw(consent_id).await;
    hears.wait_for(WAIT, |got| got.len() >= 2).await;
    // Several rounds later, the others have heard nothing, of either event.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(
        stays_out.received().is_empty(),
        "{:?}",
        events(&stays_out.received())
    );
    assert!(web.received().is_empty(), "{:?}", events(&web.received()));
    assert_eq!(
        events(&hears.received())
            .into_iter()
            .map(|(e, _)| e)
            .collect::<Vec<_>>(),
        ["story.published", "story.taken_down"]
    );
}

#[tokio::test]
async fn unpublishing_is_told_once_and_a_slow_endpoint_holds_up_no_other() {
    let w = World::new(&[]).await;
    let (slow_key, _) = w.key(Channel::PublicWeb, None).await;
    let (fast_key, _) = w.key(Channel::PublicWeb, None).await;
    // The slow one answers after 2.5 s, within the 3 s timeout.
    let slow = Receiver::start(|_| (200, Duration::from_millis(2500))).await;
    let fast = Receiver::start(ok).await;
    w.endpoint(slow_key, &slow.url).await;
    w.endpoint(fast_key, &fast.url).await;

    let (story, _) = w
        .published_story(fixtures::terms(&[Channel::PublicWeb]), "Told fast")
        .await;
    fast.wait_for(WAIT, |got| !got.is_empty()).await;
    // Once the slow endpoint holds a request open, the fast one still hears
    // of the next event before the slow one has answered.
    let start = Instant::now();
    while slow.arrived() == 0 {
        assert!(
            start.elapsed() < WAIT,
            "the slow endpoint was never sent to"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    workflow::unpublish(&w.app.db, &w.editor, story.id, None, None, clock::now())
        .await
        .expect("unpublished");
    let got = fast.wait_for(WAIT, |got| got.len() >= 2).await;
    assert!(
        slow.received().is_empty(),
        "the fast endpoint waited for the slow one"
    );
    assert_eq!(
        events(&got),
        [
            ("story.published".to_owned(), story.id.to_string()),
            ("story.unpublished".to_owned(), story.id.to_string()),
        ]
    );
    let slow_got = slow.wait_for(WAIT, |got| got.len() >= 2).await;
    assert_eq!(events(&slow_got).len(), 2);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(fast.received().len(), 2, "told once");
}

#[tokio::test]
async fn a_rotated_secret_signs_beside_the_old_one_during_the_overlap() {
    let w = World::new(&[]).await;
    let (key, _) = w.key(Channel::PublicWeb, None).await;
    let receiver = Receiver::start(ok).await;
    let (endpoint, old) = w.endpoint(key, &receiver.url).await;
    let rotated = w
        .admin_gql(
            "mutation($id: ID!) { rotateWebhookSecret(id: $id, overlapHours: 2) { secret endpoint { previousSecretValidUntil } } }",
            json!({ "id": endpoint }),
        )
        .await;
    let new = rotated.data()["rotateWebhookSecret"]["secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    assert_ne!(new, old);
    assert!(
        rotated.data()["rotateWebhookSecret"]["endpoint"]["previousSecretValidUntil"].is_string()
    );
    w.published_story(fixtures::terms(&[Channel::PublicWeb]), "Rotated")
        .await;
    let got = receiver.wait_for(WAIT, |got| !got.is_empty()).await;
    assert!(verify(&new, &got[0]) && verify(&old, &got[0]));
    assert_eq!(got[0].headers["webhook-signature"].split(' ').count(), 2);
    assert!(!verify(
        "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        &got[0]
    ));

    // Without an overlap, only the new secret signs.
    let rotated = w
        .admin_gql(
            "mutation($id: ID!) { rotateWebhookSecret(id: $id, overlapHours: 0) { secret } }",
            json!({ "id": endpoint }),
        )
        .await;
    let newest = rotated.data()["rotateWebhookSecret"]["secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    w.published_story(fixtures::terms(&[Channel::PublicWeb]), "Rotated again")
        .await;
    let got = receiver.wait_for(WAIT, |got| got.len() >= 2).await;
    assert!(verify(&newest, &got[1]));
    assert!(!verify(&new, &got[1]) && !verify(&old, &got[1]));
}

#[tokio::test]
async fn private_addresses_and_bad_input_are_refused_and_nothing_is_registered() {
    // The default: no private addresses.
    let app = spawn_app_with(&[]).await;
    let admin = fixtures::staff(&app.db, "admin@chorus.test", Role::Admin).await;
    let (key, _) = fixtures::api_key(&app.db, &admin, Channel::PublicWeb, None).await;
    let token = app.token_for("hooks-admin@chorus.test", Role::Admin).await;
    const CREATE: &str =
        "mutation($i: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $i) { secret } }";
    for (url, events) in [
        ("http://127.0.0.1:9000/hook", json!(["STORY_PUBLISHED"])),
        ("https://127.0.0.1/hook", json!(["STORY_PUBLISHED"])),
        ("https://10.1.2.3/hook", json!(["STORY_PUBLISHED"])),
        ("https://169.254.169.254/latest", json!(["STORY_PUBLISHED"])),
        ("https://[::1]/hook", json!(["STORY_PUBLISHED"])),
        ("https://localhost/hook", json!(["STORY_PUBLISHED"])),
        ("http://hooks.example.org/plain", json!(["STORY_PUBLISHED"])),
        ("https://hooks.example.org/none", json!([])),
    ] {
        let res = app
            .gql(
                Some(&token),
                CREATE,
                json!({ "i": { "apiKeyId": key, "url": url, "events": events } }),
            )
            .await;
        assert_eq!(res.code(), "BAD_USER_INPUT", "{url}: {:?}", res.body);
    }
    let editor = app.token_for("editor@chorus.test", Role::Editor).await;
    let res = app
        .gql(
            Some(&editor),
            CREATE,
            json!({ "i": { "apiKeyId": key, "url": "https://hooks.example.org/x", "events": ["STORY_PUBLISHED"] } }),
        )
        .await;
    assert_eq!(res.code(), "FORBIDDEN");
    let res = app
        .gql(
            Some(&token),
            CREATE,
            json!({ "i": { "apiKeyId": Uuid::now_v7(), "url": "https://hooks.example.org/x", "events": ["STORY_PUBLISHED"] } }),
        )
        .await;
    assert_eq!(res.code(), "NOT_FOUND");
    let listed = app
        .gql(Some(&token), "{ webhookEndpoints { id } }", json!({}))
        .await;
    assert_eq!(listed.data()["webhookEndpoints"], json!([]));

    // A public address is accepted.
    let res = app
        .gql(
            Some(&token),
            CREATE,
            json!({ "i": { "apiKeyId": key, "url": "https://hooks.example.org/chorus", "events": ["STORY_TAKEN_DOWN"] } }),
        )
        .await;
    assert!(
        res.data()["createWebhookEndpoint"]["secret"]
            .as_str()
            .is_some_and(|s| s.starts_with("whsec_")),
        "{:?}",
        res.body
    );
}

#[tokio::test]
async fn an_endpoint_on_a_private_address_is_not_sent_to_once_the_setting_is_off() {
    // Registered while private addresses were allowed; no worker runs here.
    let w = World::new(&[("CHORUS_JOBS_ENABLED", "false")]).await;
    let (key, _) = w.key(Channel::PublicWeb, None).await;
    let receiver = Receiver::start(ok).await;
    w.endpoint(key, &receiver.url).await;
    w.published_story(fixtures::terms(&[Channel::PublicWeb]), "Kept inside")
        .await;
    assert_eq!(
        api::webhooks::fanout::fan_out(&w.app.db, clock::now())
            .await
            .expect("fanned out"),
        1
    );
    // The same deliveries, sent by a node whose setting is off.
    let mut strict = w.app.state.config.webhooks.clone();
    strict.allow_private = false;
    let sender =
        api::webhooks::sender::Sender::new(w.app.db.clone(), w.app.state.crypto.clone(), strict)
            .expect("sender");
    for task in sender.start_due(clock::now()).await.expect("leased") {
        task.await.expect("sent");
    }
    let delivery = webhook_delivery::Entity::find()
        .one(&w.app.db)
        .await
        .expect("read")
        .expect("a delivery");
    assert_eq!(delivery.attempts, 1);
    assert!(delivery.delivered_at.is_none());
    assert!(
        delivery
            .last_error
            .as_deref()
            .is_some_and(|e| e.starts_with("not sent: the URL")),
        "{:?}",
        delivery.last_error
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        receiver.received().is_empty(),
        "nothing reached the address"
    );
}

#[tokio::test]
async fn a_revoked_keys_endpoint_hears_no_more_news_but_still_hears_what_to_remove() {
    // No worker: the test fans out and sends itself, in order.
    let w = World::new(&[("CHORUS_JOBS_ENABLED", "false")]).await;
    let (key, _) = w.key(Channel::PublicWeb, None).await;
    let receiver = Receiver::start(ok).await;
    let (endpoint, secret) = w.endpoint(key, &receiver.url).await;
    let (story, consent_id) = w
        .published_story(
            fixtures::terms(&[Channel::PublicWeb]),
            "Published, then revoked",
        )
        .await;
    let fan_out = || api::webhooks::fanout::fan_out(&w.app.db, clock::now());
    assert_eq!(fan_out().await.expect("fanned out"), 1, "story.published");
    api::consumers::revoke_key(&w.app.db, &w.admin, key, clock::now())
        .await
        .expect("revoked");
    // News after the revocation makes no delivery; the withdrawal still does.
    w.published_story(
        fixtures::terms(&[Channel::PublicWeb]),
        "After the revocation",
    )
    .await;
    w.withdraw(consent_id).await;
    assert_eq!(
        fan_out().await.expect("fanned out"),
        1,
        "story.taken_down only"
    );
    let sender = api::webhooks::sender::Sender::new(
        w.app.db.clone(),
        w.app.state.crypto.clone(),
        w.app.state.config.webhooks.clone(),
    )
    .expect("sender");
    for task in sender.start_due(clock::now()).await.expect("leased") {
        task.await.expect("sent");
    }
    let got = receiver.received();
    assert_eq!(
        events(&got),
        [("story.taken_down".to_owned(), story.id.to_string())],
        "the published event waiting since before the revocation is not sent"
    );
    assert!(verify(&secret, &got[0]));
    let dead = w
        .admin_gql(
            "query($id: ID!) { webhookEndpoint(id: $id) { deliveries(status: DEAD) { event lastError } } }",
            json!({ "id": endpoint }),
        )
        .await;
    let dead = &dead.data()["webhookEndpoint"]["deliveries"];
    assert_eq!(dead[0]["event"], "STORY_PUBLISHED", "{dead}");
    assert!(
        dead[0]["lastError"]
            .as_str()
            .is_some_and(|e| e.contains("revoked")),
        "{dead}"
    );

    // Removing the endpoint removes its deliveries with it.
    let removed = w
        .admin_gql(
            "mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }",
            json!({ "id": endpoint }),
        )
        .await;
    assert_eq!(removed.data()["deleteWebhookEndpoint"], endpoint.as_str());
    let left = webhook_delivery::Entity::find()
        .count(&w.app.db)
        .await
        .expect("count");
    assert_eq!(left, 0);
    let attempts = entity::webhook_attempt::Entity::find()
        .count(&w.app.db)
        .await
        .expect("count");
    assert_eq!(attempts, 0);
}
