//! Pruning (issue 20): rows past their setting go and nothing else does, and
//! an app whose sync cursor falls before the change history kept is told to
//! start over (`SYNC_CURSOR_EXPIRED`), by query and by subscription, and
//! starting over shows the archive as it is now. Time is not waited for: rows
//! are dated back and pruning is run with the clock's `now`.

use std::time::Duration as StdDuration;

use api::{
    auth::Role,
    clock,
    config::PruningConfig,
    pruning::{self, Pruned},
    stories::changes,
    webhooks::{self, Event, NewEndpoint},
};
use chrono::{DateTime, Duration, Utc};
use entity::{
    api_key::Channel, job, login_attempt, refresh_token, session, spent_challenge, story_change,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    Set, sea_query::Expr,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    fixtures,
    helpers::{GqlResponse, PASSWORD, TestApp, spawn_app_with},
    live::{World, connect, next_json, send},
};

const FEED: &str = "query($since: String) {
    storyChanges(since: $since, first: 100) {
        changes {
            __typename
            ... on StoryUpsert { story { id } }
            ... on StoryTombstone { storyId reason }
        }
        hasNextPage endCursor
    }
}";

const REFRESH: &str = "mutation($t: String!) { refreshSession(refreshToken: $t) { refreshToken } }";

fn days_ago(n: i64) -> DateTime<Utc> {
    clock::now() - Duration::days(n)
}

async fn app() -> TestApp {
    // No worker: only the test prunes.
    spawn_app_with(&[("CHORUS_JOBS_ENABLED", "false")]).await
}

/// Dates every story change logged so far `days` back; returns the newest
/// version among them.
async fn age_the_log(db: &DatabaseConnection, days: i64) -> i64 {
    story_change::Entity::update_many()
        .col_expr(story_change::Column::ChangedAt, Expr::value(days_ago(days)))
        .exec(db)
        .await
        .expect("dated back");
    changes::version(db).await.expect("version")
}

async fn attempt(db: &DatabaseConnection, at: DateTime<Utc>) -> Uuid {
    let id = Uuid::now_v7();
    login_attempt::ActiveModel {
        id: Set(id),
        email: Set("someone@chorus.test".into()),
        client_address: Set("192.0.2.1".into()),
        succeeded: Set(false),
        attempted_at: Set(at),
        purpose: Set("staff_login".into()),
    }
    .insert(db)
    .await
    .expect("attempt");
    id
}

/// A finished or pending job for `item`, made at `created`.
async fn job_for(
    db: &DatabaseConnection,
    item: Uuid,
    created: DateTime<Utc>,
    state: fn(&mut job::ActiveModel),
) -> Uuid {
    let id = Uuid::now_v7();
    let mut row = job::ActiveModel {
        id: Set(id),
        kind: Set(job::Kind::PublishStory),
        story_id: Set(Some(item)),
        media_id: Set(None),
        run_at: Set(created),
        attempts: Set(1),
        locked_until: Set(None),
        locked_by: Set(None),
        last_error: Set(None),
        done_at: Set(None),
        cancelled_at: Set(None),
        failed_at: Set(None),
        created_at: Set(created),
    };
    state(&mut row);
    row.insert(db).await.expect("job");
    id
}

async fn exists<E: EntityTrait>(db: &DatabaseConnection, id: Uuid) -> bool
where
    <E::PrimaryKey as sea_orm::PrimaryKeyTrait>::ValueType: From<Uuid>,
{
    E::find_by_id(id).one(db).await.expect("read").is_some()
}

/// Signs in as `email`: the session's id and its refresh token.
async fn signed_in(app: &TestApp, email: &str) -> (Uuid, String) {
    let res = app.login(email, PASSWORD).await;
    let token = res.data()["login"]["refreshToken"]
        .as_str()
        .expect("refresh token")
        .to_owned();
    let session = session::Entity::find()
        .all(&app.db)
        .await
        .expect("sessions")
        .into_iter()
        .max_by_key(|s| (s.created_at, s.id))
        .expect("a session");
    (session.id, token)
}

async fn refresh(app: &TestApp, token: &str) -> GqlResponse {
    app.gql(None, REFRESH, json!({ "t": token })).await
}

#[tokio::test]
async fn pruning_removes_only_what_is_past_its_setting() {
    let app = app().await;
    let db = &app.db;
    let settings = app.state.config.pruning;
    assert_eq!(
        settings.jobs,
        StdDuration::from_secs(30 * 86_400),
        "the default"
    );

    // Login attempts: a month and a day old goes; a day short of it stays.
    let old_attempt = attempt(db, days_ago(31)).await;
    let young_attempt = attempt(db, days_ago(29)).await;

    // Sessions: a refresh token spent a month ago goes, the one that replaced
    // it keeps working; sessions revoked or run out a month ago go with their
    // tokens; one revoked yesterday stays.
    app.create_user("editor@chorus.test", Role::Editor).await;
    let (live, first) = signed_in(&app, "editor@chorus.test").await;
    let second = refresh(&app, &first).await.data()["refreshSession"]["refreshToken"]
        .as_str()
        .expect("rotated")
        .to_owned();
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::UsedAt, Expr::value(days_ago(31)))
        .filter(refresh_token::Column::UsedAt.is_not_null())
        .exec(db)
        .await
        .unwrap();
    let (revoked, _) = signed_in(&app, "editor@chorus.test").await;
    let (ran_out, _) = signed_in(&app, "editor@chorus.test").await;
    let (revoked_lately, _) = signed_in(&app, "editor@chorus.test").await;
    for (id, revoked_at) in [(revoked, days_ago(31)), (revoked_lately, days_ago(1))] {
        session::Entity::update_many()
            .col_expr(session::Column::RevokedAt, Expr::value(Some(revoked_at)))
            .filter(session::Column::Id.eq(id))
            .exec(db)
            .await
            .unwrap();
    }
    session::Entity::update_many()
        .col_expr(session::Column::ExpiresAt, Expr::value(days_ago(31)))
        .filter(session::Column::Id.eq(ran_out))
        .exec(db)
        .await
        .unwrap();
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::ExpiresAt, Expr::value(days_ago(31)))
        .filter(refresh_token::Column::SessionId.eq(ran_out))
        .exec(db)
        .await
        .unwrap();
    assert_eq!(refresh_token::Entity::find().count(db).await.unwrap(), 5);

    // Jobs, per story: the older of two finished long ago goes, the newer
    // stays (the newest job of an item is what the newsroom reads); a failure
    // nobody replaced stays whatever its age; a replaced failure goes; a job
    // finished lately stays, and so does a pending one.
    let done = |j: &mut job::ActiveModel| j.done_at = Set(Some(days_ago(40)));
    let done_lately = |j: &mut job::ActiveModel| j.done_at = Set(Some(days_ago(10)));
    let failed = |j: &mut job::ActiveModel| {
        j.failed_at = Set(Some(days_ago(60)));
        j.last_error = Set(Some("storage refused".into()));
    };
    let pending = |_: &mut job::ActiveModel| {};
    let [s1, s2, s3, s4] = [(); 4].map(|_| Uuid::now_v7());
    let replaced_done = job_for(db, s1, days_ago(45), done).await;
    let newest_done = job_for(db, s1, days_ago(41), done).await;
    let lone_failure = job_for(db, s2, days_ago(61), failed).await;
    let young_done = job_for(db, s3, days_ago(11), done_lately).await;
    let waiting = job_for(db, s3, days_ago(1), pending).await;
    let replaced_failure = job_for(db, s4, days_ago(70), failed).await;
    let fixed = job_for(db, s4, days_ago(50), done).await;

    // Spent submission challenges: an expired one goes.
    for (challenge, expires_at) in [
        ("old", days_ago(1)),
        ("fresh", clock::now() + Duration::minutes(10)),
    ] {
        spent_challenge::ActiveModel {
            challenge: Set(challenge.into()),
            api_key_id: Set(Uuid::now_v7()),
            expires_at: Set(expires_at),
            spent_at: Set(days_ago(1)),
        }
        .insert(db)
        .await
        .unwrap();
    }

    // The change log: what was logged a month ago goes, a change made now stays.
    let editor = fixtures::staff(db, "fixture-editor@chorus.test", Role::Editor).await;
    let teller = fixtures::storyteller(
        db,
        &app.state.crypto,
        &editor,
        fixtures::Person::Adult,
        "Legal",
    )
    .await;
    fixtures::draft(db, &editor, teller.id, "Logged long ago").await;
    let old_version = age_the_log(db, 31).await;
    fixtures::draft(db, &editor, teller.id, "Logged now").await;
    let young_rows = story_change::Entity::find()
        .filter(story_change::Column::Version.gt(old_version))
        .count(db)
        .await
        .unwrap();
    assert!(young_rows > 0);

    let pruned = pruning::run(db, &settings, clock::now())
        .await
        .expect("pruned");
    assert_eq!(
        pruned,
        Pruned {
            login_attempts: 1,
            refresh_tokens: 3,
            sessions: 2,
            jobs: 2,
            spent_challenges: 1,
            story_changes: pruned.story_changes,
            story_changes_held: false,
        }
    );
    assert!(pruned.story_changes > 0);

    assert!(!exists::<login_attempt::Entity>(db, old_attempt).await);
    assert!(exists::<login_attempt::Entity>(db, young_attempt).await);

    assert!(exists::<session::Entity>(db, live).await);
    assert!(exists::<session::Entity>(db, revoked_lately).await);
    assert!(!exists::<session::Entity>(db, revoked).await);
    assert!(!exists::<session::Entity>(db, ran_out).await);
    assert_eq!(refresh_token::Entity::find().count(db).await.unwrap(), 2);
    // The spent token is simply unknown now; the live one still works.
    assert_eq!(refresh(&app, &first).await.code(), "UNAUTHENTICATED");
    assert!(refresh(&app, &second).await.data()["refreshSession"]["refreshToken"].is_string());

    for (id, kept) in [
        (replaced_done, false),
        (newest_done, true),
        (lone_failure, true),
        (young_done, true),
        (waiting, true),
        (replaced_failure, false),
        (fixed, true),
    ] {
        assert_eq!(exists::<job::Entity>(db, id).await, kept, "job {id}");
    }

    assert!(
        spent_challenge::Entity::find_by_id("fresh".to_owned())
            .one(db)
            .await
            .unwrap()
            .is_some()
    );
    let left = story_change::Entity::find().count(db).await.unwrap();
    assert_eq!(left, young_rows, "only the changes made now are left");
    assert!(changes::pruned_through(db).await.unwrap() <= old_version);

    // Nothing else is past its setting: a second run removes nothing.
    let again = pruning::run(db, &settings, clock::now())
        .await
        .expect("pruned");
    assert_eq!(again.login_attempts + again.jobs + again.story_changes, 0);
}

#[tokio::test]
async fn login_attempts_inside_the_window_are_kept_whatever_the_setting() {
    let app = app().await;
    let inside = attempt(&app.db, clock::now() - Duration::minutes(10)).await;
    let outside = attempt(&app.db, clock::now() - Duration::minutes(20)).await;
    let settings = PruningConfig {
        login_attempts: StdDuration::from_secs(60),
        login_window: StdDuration::from_secs(15 * 60),
        ..app.state.config.pruning
    };
    let pruned = pruning::run(&app.db, &settings, clock::now())
        .await
        .unwrap();
    assert_eq!(pruned.login_attempts, 1);
    assert!(exists::<login_attempt::Entity>(&app.db, inside).await);
    assert!(!exists::<login_attempt::Entity>(&app.db, outside).await);
}

/// The archive's changes since `since`, read by the app with `key`.
async fn sync(app: &TestApp, key: &str, since: Option<&str>) -> GqlResponse {
    app.consume(key, FEED, json!({ "since": since })).await
}

/// Syncs from `since` to the end: the changes, and the cursor to keep.
async fn sync_all(app: &TestApp, key: &str, since: Option<&str>) -> (Vec<Value>, String) {
    let res = sync(app, key, since).await;
    let page = &res.data()["storyChanges"];
    assert_eq!(page["hasNextPage"], false);
    (
        page["changes"].as_array().expect("changes").clone(),
        page["endCursor"].as_str().expect("cursor").to_owned(),
    )
}

async fn prune(app: &TestApp) -> Pruned {
    pruning::run(&app.db, &app.state.config.pruning, clock::now())
        .await
        .expect("pruned")
}

/// No worker: only the test prunes, and webhook endpoints stay where they are.
async fn archive() -> World {
    World::new(&[("CHORUS_JOBS_ENABLED", "false")]).await
}

fn ids(changes: &[Value], typename: &str) -> Vec<String> {
    changes
        .iter()
        .filter(|c| c["__typename"] == typename)
        .map(|c| {
            c["story"]["id"]
                .as_str()
                .or(c["storyId"].as_str())
                .expect("id")
                .to_owned()
        })
        .collect()
}

#[tokio::test]
async fn an_app_that_missed_a_pruned_withdrawal_is_told_to_start_over() {
    let a = archive().await;
    let (withdrawn, consent) = a.published("Withdrawn while the app slept").await;
    let (kept, _) = a.published("Still up").await;
    let (_, key) = fixtures::api_key(&a.app.db, &a.admin, Channel::MobileApp, None).await;
    let (first, asleep) = sync_all(&a.app, &key, None).await;
    assert_eq!(ids(&first, "StoryUpsert").len(), 2);

    // The story is withdrawn; an app that synced after it holds a later cursor.
    fixtures::withdraw(&a.app.db, &a.editor, consent).await;
    let (_, awake) = sync_all(&a.app, &key, Some(&asleep)).await;
    // A month passes; a story is published on the day the log is pruned.
    age_the_log(&a.app.db, 31).await;
    let (fresh, _) = a.published("Published today").await;
    assert!(prune(&a.app).await.story_changes > 0);

    // The sleeping app's tombstone was among what went: it must start over.
    let expired = sync(&a.app, &key, Some(&asleep)).await;
    assert_eq!(expired.code(), "SYNC_CURSOR_EXPIRED", "{}", expired.body);
    assert!(
        expired.message().contains("without `since`"),
        "{}",
        expired.body
    );

    // A cursor inside what is kept still works.
    let (news, _) = sync_all(&a.app, &key, Some(&awake)).await;
    assert_eq!(ids(&news, "StoryUpsert"), [fresh.id.to_string()]);

    // Starting over shows the archive as it is: the withdrawn story is absent.
    let (all, restart) = sync_all(&a.app, &key, None).await;
    let mut shown = ids(&all, "StoryUpsert");
    shown.sort();
    let mut expected = vec![kept.id.to_string(), fresh.id.to_string()];
    expected.sort();
    assert_eq!(shown, expected);
    assert!(!shown.contains(&withdrawn.id.to_string()));
    let (nothing, _) = sync_all(&a.app, &key, Some(&restart)).await;
    assert!(nothing.is_empty(), "{nothing:?}");

    // The live feed says the same.
    let mut socket = connect(&a.app, json!({ "x-api-key": key }))
        .await
        .expect("accepted");
    let subscription = "subscription($since: String) { storyChanges(since: $since) {
        __typename ... on StoryUpsert { story { id } } } }";
    for (id, since) in [("old", &asleep), ("kept", &awake)] {
        send(
            &mut socket,
            json!({ "id": id, "type": "subscribe",
                    "payload": { "query": subscription, "variables": { "since": since } } }),
        )
        .await;
    }
    let mut ended = false;
    let mut heard = None;
    while !(ended && heard.is_some()) {
        let message = next_json(&mut socket, StdDuration::from_secs(10))
            .await
            .expect("an answer");
        match (message["id"].as_str(), message["type"].as_str()) {
            (Some("old"), Some("next")) => {
                assert_eq!(
                    message["payload"]["errors"][0]["extensions"]["code"], "SYNC_CURSOR_EXPIRED",
                    "{message}"
                );
                ended = true;
            }
            (Some("kept"), Some("next")) => {
                heard = Some(message["payload"]["data"]["storyChanges"]["story"]["id"].clone());
            }
            (Some("old"), Some("complete")) => {}
            _ => panic!("unexpected: {message}"),
        }
    }
    assert_eq!(heard, Some(json!(fresh.id.to_string())));
}

#[tokio::test]
async fn a_webhook_endpoint_that_has_not_read_the_log_holds_it() {
    let a = archive().await;
    a.published("Before the endpoint").await;
    let (key_id, _) = fixtures::api_key(&a.app.db, &a.admin, Channel::MobileApp, None).await;
    let place = changes::version(&a.app.db).await.unwrap();
    // The endpoint stands where it was made (no worker fans it out), and is
    // paused: when it is enabled again it must hear of everything since.
    let (endpoint, _) = webhooks::create(
        &a.app.db,
        &a.app.state.crypto,
        &a.admin,
        NewEndpoint {
            api_key_id: key_id,
            url: "https://partner.example/hooks".into(),
            events: vec![Event::StoryTakenDown],
            description: None,
        },
        false,
        clock::now(),
    )
    .await
    .expect("endpoint");
    webhooks::set_enabled(&a.app.db, &a.admin, endpoint.id, false, clock::now())
        .await
        .expect("disabled");
    a.published("After the endpoint").await;
    age_the_log(&a.app.db, 31).await;

    let pruned = prune(&a.app).await;
    assert!(pruned.story_changes_held);
    assert_eq!(changes::pruned_through(&a.app.db).await.unwrap(), place);
    let unread = story_change::Entity::find()
        .filter(story_change::Column::Version.gt(place))
        .count(&a.app.db)
        .await
        .unwrap();
    assert!(unread > 0);
    assert_eq!(
        story_change::Entity::find().count(&a.app.db).await.unwrap(),
        unread,
        "what the endpoint already read went"
    );
}
