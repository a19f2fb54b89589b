//! Scheduled publishing: the background worker puts stories live and takes them
//! offline at the times editors set, exactly once, even with several nodes.
//!
//! These tests cover the promises of `api::jobs`: two real `chorus serve` processes
//! sharing one PostgreSQL database publish each of 200 stories due in the same
//! instant once and only once (on SQLite, where one process is assumed, the same
//! scenario runs with one process); a scheduled unpublication happens on time; a
//! job that fails stays on record and succeeds on a later attempt; and a
//! rescheduled story goes live at the new time, not the old one.

use std::{
    collections::{BTreeMap, HashMap},
    fs::File,
    path::{Path, PathBuf},
    process::{Child, Command, ExitStatus, Stdio},
    time::{Duration, Instant},
};

use api::{
    Config,
    auth::{Principal, Role},
    clock,
    crypto::KeyRing,
    jobs,
    stories::workflow,
};
use chrono::{DateTime, Utc};
use entity::{audit_event, job, story, story_locale};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, sea_query::Expr,
};
use tokio::task::JoinSet;
use uuid::Uuid;

use crate::{
    fixtures::{self, Person},
    helpers::{ENCRYPTION_KEY, TestDatabase, spawn_app},
};

/// How many stories fall due in the same instant in the multi-node test.
const STORIES: usize = 200;

/// A migrated database with no server on it, plus a contributor, an editor and one
/// adult storyteller, for tests that call the services (or start servers) themselves.
struct Newsroom {
    database: TestDatabase,
    db: DatabaseConnection,
    contributor: Principal,
    editor: Principal,
    teller: Uuid,
}

impl Newsroom {
    async fn new() -> Self {
        let database = TestDatabase::new().await;
        // No worker in this process: only the servers (or the test itself) run jobs.
        let config =
            Config::from_map(&database.config(&[("CHORUS_JOBS_ENABLED", "false")])).unwrap();
        let db = api::db::connect(&config).await.unwrap();
        api::db::migrate(&db).await.unwrap();
        let contributor = fixtures::staff(&db, "contributor@example.org", Role::Contributor).await;
        let editor = fixtures::staff(&db, "editor@example.org", Role::Editor).await;
        let keys = KeyRing::parse(ENCRYPTION_KEY, None).unwrap();
        let teller =
            fixtures::storyteller(&db, &keys, &editor, Person::Adult, "Amal Legal Name").await;
        Self {
            database,
            db,
            contributor,
            editor,
            teller: teller.id,
        }
    }

    /// `count` approved stories, created `parallel` at a time.
    async fn approved_stories(&self, count: usize, parallel: usize) -> Vec<Uuid> {
        let mut ids = Vec::with_capacity(count);
        let mut running = JoinSet::new();
        for n in 0..count {
            if running.len() >= parallel {
                ids.push(running.join_next().await.unwrap().unwrap());
            }
            let (db, author, editor, teller) = (
                self.db.clone(),
                self.contributor.clone(),
                self.editor.clone(),
                self.teller,
            );
            running.spawn(async move {
                let title = format!("Scheduled story {n}");
                fixtures::approved(&db, &author, &editor, teller, &title)
                    .await
                    .id
            });
        }
        while let Some(id) = running.join_next().await {
            ids.push(id.unwrap());
        }
        ids
    }

    /// Schedules every story for `at`, `parallel` at a time, checking that each was
    /// scheduled rather than published on the spot (which it would be if `at` had
    /// already passed).
    async fn schedule_all(&self, ids: &[Uuid], at: DateTime<Utc>, parallel: usize) {
        let mut running = JoinSet::new();
        for &id in ids {
            if running.len() >= parallel {
                running.join_next().await.unwrap().unwrap();
            }
            let (db, editor) = (self.db.clone(), self.editor.clone());
            running.spawn(async move {
                let story = workflow::publish(&db, &editor, id, None, Some(at), clock::now())
                    .await
                    .expect("scheduled");
                assert_eq!(
                    (story.state, story.publish_at),
                    (story::State::Approved, Some(at)),
                    "scheduling took so long that the publication time had passed"
                );
            });
        }
        while let Some(done) = running.join_next().await {
            done.unwrap();
        }
    }
}

/// A `chorus serve` process, killed if the test ends (or panics) while it still runs.
struct Server {
    name: String,
    child: Child,
    stdout: PathBuf,
    stderr: PathBuf,
}

impl Server {
    /// Starts the real binary in `dir` on `database`, with its worker polling every
    /// second, and waits until it prints that it is running.
    async fn start(name: &str, dir: &Path, database: &TestDatabase) -> Self {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_chorus"));
        // Nothing from the developer's environment may change what the servers do.
        for (key, _) in std::env::vars() {
            if key.starts_with("CHORUS_") {
                cmd.env_remove(key);
            }
        }
        let data_dir = dir.join(format!("{name}-data"));
        let settings = database.config(&[
            ("CHORUS_DATA_DIR", &data_dir.display().to_string()),
            ("CHORUS_JOBS_POLL_INTERVAL", "1s"),
            ("CHORUS_LOG", "warn"),
            // The test migrated the database; two servers migrating at once is not
            // what this test is about.
            ("CHORUS_MIGRATE_ON_START", "false"),
        ]);
        // Output goes to files, not pipes: nobody reads a pipe while the test polls
        // the database, and a full pipe would stall the server.
        let stdout = dir.join(format!("{name}.stdout"));
        let stderr = dir.join(format!("{name}.stderr"));
        let child = cmd
            .arg("serve")
            .current_dir(dir)
            .envs(settings)
            .stdin(Stdio::null())
            .stdout(File::create(&stdout).unwrap())
            .stderr(File::create(&stderr).unwrap())
            .spawn()
            .expect("chorus starts");
        let mut server = Self {
            name: name.to_owned(),
            child,
            stdout,
            stderr,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while !std::fs::read_to_string(&server.stdout)
            .unwrap_or_default()
            .contains("Chorus is running at")
        {
            server.check_running();
            assert!(
                Instant::now() < deadline,
                "{} did not start within 30 s: {}",
                server.name,
                server.stderr()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        server
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// Fails the test if the server has exited.
    fn check_running(&mut self) {
        if let Some(status) = self.child.try_wait().unwrap() {
            panic!("{} exited early ({status}): {}", self.name, self.stderr());
        }
    }

    /// Sends SIGTERM, as an orchestrator does, and waits (at most 20 s) for the exit.
    async fn stop(&mut self) -> ExitStatus {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success(), "kill -TERM {}", self.child.id());
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "{} did not stop within 20 s of SIGTERM",
                self.name
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The story's audit events with `action`.
async fn audit(db: &DatabaseConnection, action: &str) -> Vec<audit_event::Model> {
    audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq(action))
        .all(db)
        .await
        .unwrap()
}

/// The one job of `kind` for the story.
async fn job_for(db: &DatabaseConnection, story_id: Uuid, kind: job::Kind) -> job::Model {
    let mut jobs = job::Entity::find()
        .filter(job::Column::StoryId.eq(story_id))
        .filter(job::Column::Kind.eq(kind))
        .all(db)
        .await
        .unwrap();
    assert_eq!(jobs.len(), 1, "one {kind:?} job: {jobs:?}");
    jobs.remove(0)
}

async fn load(db: &DatabaseConnection, id: Uuid) -> story::Model {
    story::Entity::find_by_id(id)
        .one(db)
        .await
        .unwrap()
        .expect("story")
}

/// Sleeps until just after `at` by the application's clock.
async fn sleep_until(at: DateTime<Utc>) {
    let left = (at - clock::now()).to_std().unwrap_or_default();
    tokio::time::sleep(left + Duration::from_millis(50)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_servers_on_one_database_publish_each_scheduled_story_exactly_once() {
    let started = Instant::now();
    let newsroom = Newsroom::new().await;
    let db = &newsroom.db;
    // SQLite takes one writer at a time and Chorus assumes a single process on it
    // (so the competing-nodes half is PostgreSQL only); PostgreSQL gets the stories
    // ready faster with a few connections working at once.
    let postgres = newsroom.database.pg.is_some();
    let (servers, parallel) = if postgres { (2, 8) } else { (1, 1) };

    let ids = newsroom.approved_stories(STORIES, parallel).await;
    let created = started.elapsed();
    // One shared instant, a few seconds ahead: enough to schedule everything and
    // start the servers, so that they compete for the jobs as they fall due.
    let at = clock::now() + chrono::Duration::seconds(4);
    newsroom.schedule_all(&ids, at, parallel).await;
    let scheduled = started.elapsed();

    let dir = tempfile::tempdir().unwrap();
    let mut running = Vec::new();
    for n in 1..=servers {
        running.push(Server::start(&format!("chorus-{n}"), dir.path(), &newsroom.database).await);
    }
    let up = started.elapsed();

    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let published = story::Entity::find()
            .filter(story::Column::State.eq(story::State::Published))
            .count(db)
            .await
            .unwrap();
        if published == STORIES as u64 {
            break;
        }
        for server in &mut running {
            server.check_running();
        }
        assert!(
            Instant::now() < deadline,
            "only {published} of {STORIES} stories were published within 60 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let all_published = started.elapsed();

    for server in &mut running {
        let status = server.stop().await;
        let stderr = server.stderr();
        assert!(
            status.success(),
            "{} exited with {status}: {stderr}",
            server.name
        );
        assert!(!stderr.contains("panicked"), "{}: {stderr}", server.name);
    }

    // Exactly one publication per story, by the worker, at (not before) the time set
    // and well within the minute the editors were promised.
    let events = audit(db, "story.published").await;
    assert_eq!(events.len(), STORIES, "one publication per story");
    let mut per_story: HashMap<Uuid, usize> = HashMap::new();
    for event in &events {
        *per_story.entry(event.subject_id.unwrap()).or_default() += 1;
        assert_eq!(event.actor, "worker", "{event:?}");
        assert!(
            event.occurred_at >= at && event.occurred_at < at + chrono::Duration::minutes(1),
            "published at {} for {at}",
            event.occurred_at
        );
    }
    for id in &ids {
        assert_eq!(per_story.get(id), Some(&1), "story {id}");
    }

    let publish_jobs = job::Entity::find()
        .filter(job::Column::Kind.eq(job::Kind::PublishStory))
        .all(db)
        .await
        .unwrap();
    assert_eq!(publish_jobs.len(), STORIES);
    let mut split: BTreeMap<String, usize> = BTreeMap::new();
    for job in &publish_jobs {
        assert!(job.done_at.is_some(), "unfinished job {job:?}");
        assert!(
            job.cancelled_at.is_none(),
            "a job that ran is not marked cancelled: {job:?}"
        );
        *split
            .entry(job.locked_by.clone().unwrap_or_default())
            .or_default() += 1;
    }
    // Which worker took how many depends on when each polled, so it is shown, not
    // asserted; with two servers both usually take some.
    println!(
        "{STORIES} stories on {} with {servers} server(s): created in {created:.1?}, \
         scheduled by {scheduled:.1?}, servers up by {up:.1?}, all published by \
         {all_published:.1?}; jobs per worker: {split:?}",
        if postgres { "PostgreSQL" } else { "SQLite" },
    );
}

#[tokio::test]
async fn a_scheduled_unpublish_takes_the_story_offline() {
    let app = spawn_app().await;
    let db = &app.db;
    let contributor = fixtures::staff(db, "contributor@example.org", Role::Contributor).await;
    let editor = fixtures::staff(db, "editor@example.org", Role::Editor).await;
    let teller = fixtures::storyteller(
        db,
        &app.state.crypto,
        &editor,
        Person::Adult,
        "Amal Legal Name",
    )
    .await;
    let story = fixtures::approved(db, &contributor, &editor, teller.id, "Leaving Aleppo").await;
    let story = workflow::publish(db, &editor, story.id, None, None, clock::now())
        .await
        .unwrap();
    assert!(workflow::is_live(&story));

    let at = clock::now() + chrono::Duration::seconds(2);
    let story = workflow::unpublish(db, &editor, story.id, None, Some(at), clock::now())
        .await
        .unwrap();
    assert!(workflow::is_live(&story), "still live until the time set");

    // The app's worker polls every second.
    let deadline = Instant::now() + Duration::from_secs(15);
    while workflow::is_live(&load(db, story.id).await) {
        assert!(
            Instant::now() < deadline,
            "still live 15 s after scheduling"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let story = load(db, story.id).await;
    assert_eq!(story.state, story::State::Unpublished);
    assert_eq!(story.unpublish_at, None);
    let events = audit(db, "story.unpublished").await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].actor, "worker");
    assert_eq!(events[0].subject_id, Some(story.id));
    assert!(events[0].occurred_at >= at, "not before the time set");
    let job = job_for(db, story.id, job::Kind::UnpublishStory).await;
    assert!(job.done_at.is_some(), "{job:?}");
    assert!(job.cancelled_at.is_none(), "{job:?}");
}

#[tokio::test]
async fn a_failing_job_is_retried_not_lost() {
    let newsroom = Newsroom::new().await;
    let db = &newsroom.db;
    let lease = Duration::from_secs(60);
    let story = newsroom.approved_stories(1, 1).await[0];
    let at = clock::now() + chrono::Duration::seconds(1);
    newsroom.schedule_all(&[story], at, 1).await;

    // No workflow step leaves an APPROVED story without an approved text (an edit
    // returns it to DRAFT and cancels the job), so the failure is made by hand: the
    // approval of its text goes missing, and publishing refuses with NOT_APPROVED.
    // That is a real error from `publish_now` inside the job's transaction, which is
    // what a job must survive.
    let approved_revision = |revision: Option<Uuid>| {
        story_locale::Entity::update_many()
            .col_expr(
                story_locale::Column::ApprovedRevisionId,
                Expr::value(revision),
            )
            .filter(story_locale::Column::StoryId.eq(story))
    };
    let locale = story_locale::Entity::find()
        .filter(story_locale::Column::StoryId.eq(story))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    approved_revision(None).exec(db).await.unwrap();
    sleep_until(at).await;

    let ran = jobs::run_due(db, &no_media(), "test-worker", lease)
        .await
        .unwrap();
    assert_eq!(ran, 1);
    let failed = job_for(db, story, job::Kind::PublishStory).await;
    let after_failure = clock::now();
    assert_eq!(failed.done_at, None, "a failed job is not done");
    assert_eq!(failed.cancelled_at, None, "nor dropped");
    assert_eq!(failed.attempts, 1);
    assert_eq!(failed.locked_until, None, "the lease is given back");
    let error = failed.last_error.as_deref().unwrap_or_default();
    assert!(error.contains("has not been approved"), "{error}");
    assert!(failed.run_at > after_failure, "retried later: {failed:?}");
    let story_now = load(db, story).await;
    assert_eq!(story_now.state, story::State::Approved, "nothing half-done");
    assert!(audit(db, "story.published").await.is_empty());
    // Not due yet, so another poll leaves it alone rather than hammering it.
    assert_eq!(
        jobs::run_due(db, &no_media(), "test-worker", lease)
            .await
            .unwrap(),
        0
    );

    // Once the data is right again, the next attempt (here brought forward instead
    // of waiting out the back-off) publishes the story.
    approved_revision(locale.approved_revision_id)
        .exec(db)
        .await
        .unwrap();
    job::Entity::update_many()
        .col_expr(job::Column::RunAt, Expr::value(clock::now()))
        .filter(job::Column::Id.eq(failed.id))
        .exec(db)
        .await
        .unwrap();
    assert_eq!(
        jobs::run_due(db, &no_media(), "test-worker", lease)
            .await
            .unwrap(),
        1
    );

    let story_now = load(db, story).await;
    assert_eq!(story_now.state, story::State::Published);
    let retried = job_for(db, story, job::Kind::PublishStory).await;
    assert!(retried.done_at.is_some(), "{retried:?}");
    assert!(retried.cancelled_at.is_none(), "{retried:?}");
    assert_eq!(retried.attempts, 2);
    let events = audit(db, "story.published").await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].actor, "worker");
}

#[tokio::test]
async fn a_rescheduled_story_is_published_once_at_the_new_time() {
    let newsroom = Newsroom::new().await;
    let db = &newsroom.db;
    let lease = Duration::from_secs(60);
    let story = newsroom.approved_stories(1, 1).await[0];
    let first = clock::now() + chrono::Duration::seconds(1);
    let second = first + chrono::Duration::seconds(1);
    newsroom.schedule_all(&[story], first, 1).await;
    newsroom.schedule_all(&[story], second, 1).await;

    // At the first time nothing is due: the first job was cancelled.
    sleep_until(first).await;
    assert_eq!(
        jobs::run_due(db, &no_media(), "test-worker", lease)
            .await
            .unwrap(),
        0
    );
    assert_eq!(load(db, story).await.state, story::State::Approved);

    sleep_until(second).await;
    assert_eq!(
        jobs::run_due(db, &no_media(), "test-worker", lease)
            .await
            .unwrap(),
        1
    );
    let published = load(db, story).await;
    assert_eq!(published.state, story::State::Published);
    assert!(published.published_at.is_some_and(|t| t >= second));
    assert_eq!(audit(db, "story.published").await.len(), 1);

    let jobs = job::Entity::find()
        .filter(job::Column::StoryId.eq(story))
        .all(db)
        .await
        .unwrap();
    assert_eq!(jobs.len(), 2, "{jobs:?}");
    let ran: Vec<_> = jobs.iter().filter(|j| j.done_at.is_some()).collect();
    assert_eq!(ran.len(), 1, "only the second job ran: {jobs:?}");
    assert_eq!(ran[0].run_at, second);
}

/// These stories have no media, so their jobs never touch storage.
fn no_media() -> api::storage::local::LocalStore {
    api::storage::local::LocalStore::new(std::env::temp_dir().join("chorus-no-media"))
}
