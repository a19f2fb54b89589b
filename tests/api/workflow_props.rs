//! Property test of the editorial workflow: random sequences of workflow calls by
//! random staff, each on a fresh story, through the real services and database.
//!
//! Example tests walk the paths someone thought of; the rules that protect
//! storytellers must hold in every order of steps. After each call this checks that
//! a live story was approved by someone who wrote none of its published text, that
//! every published revision carries the storyteller's sign-off of exactly that
//! revision, that stories about people at risk were assessed, that a refused call
//! left no trace, and that the services agree with the pure `next_state`.

use std::cell::Cell;

use api::{
    auth::{Principal, Role},
    clock,
    crypto::KeyRing,
    stories::{
        self, Text, review,
        workflow::{self, Step},
    },
};
use entity::{
    audit_event, job, review_comment, risk_assessment,
    story::{self, State},
    story_locale, story_revision, storyteller_review,
};
use proptest::{
    prelude::*,
    sample::select,
    test_runner::{TestRunner, contextualize_config},
};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use crate::{
    fixtures::{self, Person},
    helpers::{ENCRYPTION_KEY, TestDatabase},
};

/// Cases per run unless `PROPTEST_CASES` says otherwise: enough to reach
/// publication many times while the whole test stays within seconds.
const CASES: u32 = 24;

/// The codes a refusal may carry; anything else (`INTERNAL`, `NOT_FOUND`) means
/// the service broke rather than said no.
const REFUSALS: [&str; 5] = [
    "INVALID_TRANSITION",
    "FORBIDDEN",
    "CONFLICT",
    "BAD_USER_INPUT",
    "UNAUTHENTICATED",
];

const LOCALES: [&str; 2] = ["en", "ar"];

/// Calls per case.
const MIN_CALLS: usize = 5;
const MAX_CALLS: usize = 30;

/// Who makes a call. Named rather than numbered so a shrunk failure reads as a
/// story of who did what.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Contributor1,
    Contributor2,
    Editor1,
    Editor2,
    Admin,
}

impl Who {
    const ALL: [Who; 5] = [
        Who::Contributor1,
        Who::Contributor2,
        Who::Editor1,
        Who::Editor2,
        Who::Admin,
    ];
    const EDITORIAL: [Who; 3] = [Who::Editor1, Who::Editor2, Who::Admin];
    /// Who may start a story: in practice contributors and editors do.
    const AUTHORS: [Who; 4] = [
        Who::Contributor1,
        Who::Contributor2,
        Who::Editor1,
        Who::Editor2,
    ];

    fn email_and_role(self) -> (&'static str, Role) {
        match self {
            Who::Contributor1 => ("props-contributor-1@example.org", Role::Contributor),
            Who::Contributor2 => ("props-contributor-2@example.org", Role::Contributor),
            Who::Editor1 => ("props-editor-1@example.org", Role::Editor),
            Who::Editor2 => ("props-editor-2@example.org", Role::Editor),
            Who::Admin => ("props-admin@example.org", Role::Admin),
        }
    }
}

/// Which version of the story a call claims to have seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    Current,
    /// One behind: someone else moved the story first.
    Stale,
    /// No version sent: the service skips the check.
    Unchecked,
}

impl Seen {
    fn version(self, story: &story::Model) -> Option<i32> {
        match self {
            Seen::Current => Some(story.version),
            Seen::Stale => Some(story.version - 1),
            Seen::Unchecked => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    SaveRevision {
        locale: &'static str,
        stale: bool,
    },
    Submit(Seen),
    RequestChanges {
        seen: Seen,
        comment: bool,
    },
    Approve(Seen),
    Publish(Seen),
    Unpublish(Seen),
    Archive(Seen),
    Unarchive(Seen),
    /// The storyteller's sign-off of the head revision of `locale`; skipped while
    /// the story has no text in `locale`, so it never stands in for another one.
    SignOff {
        locale: &'static str,
    },
    Assess,
}

impl Op {
    /// The workflow step the call takes; sign-offs and assessments take none.
    fn step(self) -> Option<Step> {
        match self {
            Op::SaveRevision { .. } => Some(Step::Edit),
            Op::Submit(_) => Some(Step::Submit),
            Op::RequestChanges { .. } => Some(Step::RequestChanges),
            Op::Approve(_) => Some(Step::Approve),
            Op::Publish(_) => Some(Step::Publish),
            Op::Unpublish(_) => Some(Step::Unpublish),
            Op::Archive(_) => Some(Step::Archive),
            Op::Unarchive(_) => Some(Step::Unarchive),
            Op::SignOff { .. } | Op::Assess => None,
        }
    }

    fn is_stale(self) -> bool {
        match self {
            Op::SaveRevision { stale, .. } => stale,
            Op::Submit(seen)
            | Op::RequestChanges { seen, .. }
            | Op::Approve(seen)
            | Op::Publish(seen)
            | Op::Unpublish(seen)
            | Op::Archive(seen)
            | Op::Unarchive(seen) => seen == Seen::Stale,
            Op::SignOff { .. } | Op::Assess => false,
        }
    }

    /// Taken only by editors and admins, whoever wrote the story.
    fn is_editorial(self) -> bool {
        !matches!(
            self,
            Op::SaveRevision { .. } | Op::Submit(_) | Op::SignOff { .. }
        )
    }
}

#[derive(Debug, Clone, Copy)]
struct Call {
    by: Who,
    op: Op,
}

#[derive(Debug, Clone)]
struct Case {
    author: Who,
    teller: Person,
    calls: Vec<Call>,
}

fn seen() -> impl Strategy<Value = Seen> {
    prop_oneof![
        8 => Just(Seen::Current),
        2 => Just(Seen::Unchecked),
        1 => Just(Seen::Stale),
    ]
}

/// Any one call. Archiving is the rarest: it succeeds from almost any state, and
/// a story left archived refuses nearly everything for the rest of the case.
fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (select(LOCALES.to_vec()), prop::bool::weighted(0.2))
            .prop_map(|(locale, stale)| Op::SaveRevision { locale, stale }),
        2 => seen().prop_map(Op::Submit),
        2 => (seen(), any::<bool>())
            .prop_map(|(seen, comment)| Op::RequestChanges { seen, comment }),
        2 => seen().prop_map(Op::Approve),
        2 => seen().prop_map(Op::Publish),
        2 => seen().prop_map(Op::Unpublish),
        1 => seen().prop_map(Op::Archive),
        2 => seen().prop_map(Op::Unarchive),
        2 => select(LOCALES.to_vec()).prop_map(|locale| Op::SignOff { locale }),
        1 => Just(Op::Assess),
    ]
}

/// Who calls `op`: usually someone who may (the story's author for writing, an
/// editor for editorial steps), otherwise anyone, since uniformly random callers
/// are refused so often that few cases get anywhere. `None` stands for the author,
/// who is only known once the case is.
fn called(op: impl Strategy<Value = Op>) -> impl Strategy<Value = (Option<Who>, Op)> {
    (
        op,
        select(Who::ALL.to_vec()),
        select(Who::EDITORIAL.to_vec()),
        prop::bool::weighted(0.7),
    )
        .prop_map(|(op, anyone, editor, likely)| {
            let by = match (likely, op.is_editorial()) {
                (true, true) => Some(editor),
                (true, false) => None,
                (false, _) => Some(anyone),
            };
            (by, op)
        })
}

/// The steps to (re)publication in order, each sometimes left out, by random
/// callers with random versions. A purely random walk seldom lines them up: few
/// cases would publish, and the publication rules would be checked on almost
/// nothing. Leaving steps out is what tries publishing an unsigned revision or an
/// unassessed story; the leading edit is what starts a new draft of a live one.
fn towards_publication() -> impl Strategy<Value = Vec<(Option<Who>, Op)>> {
    let step = |op: BoxedStrategy<Op>, p| prop::option::weighted(p, called(op));
    let edit = select(LOCALES.to_vec()).prop_map(|locale| Op::SaveRevision {
        locale,
        stale: false,
    });
    (
        step(edit.boxed(), 0.4),
        step(Just(Op::SignOff { locale: "en" }).boxed(), 0.6),
        step(Just(Op::SignOff { locale: "ar" }).boxed(), 0.6),
        step(Just(Op::Assess).boxed(), 0.4),
        step(seen().prop_map(Op::Submit).boxed(), 0.9),
        step(seen().prop_map(Op::Approve).boxed(), 0.9),
        step(seen().prop_map(Op::Publish).boxed(), 0.9),
    )
        .prop_map(|(a, b, c, d, e, f, g)| [a, b, c, d, e, f, g].into_iter().flatten().collect())
}

fn case() -> impl Strategy<Value = Case> {
    let stretch = prop_oneof![
        3 => called(op()).prop_map(|call| vec![call]),
        1 => towards_publication(),
    ];
    (
        select(Who::AUTHORS.to_vec()),
        select(vec![Person::Adult, Person::Refugee]),
        prop::collection::vec(stretch, MIN_CALLS..=MAX_CALLS),
    )
        .prop_map(|(author, teller, stretches)| Case {
            author,
            teller,
            calls: stretches
                .into_iter()
                .flatten()
                .take(MAX_CALLS)
                .map(|(by, op)| Call {
                    by: by.unwrap_or(author),
                    op,
                })
                .collect(),
        })
}

/// Everything about one story that a call could change.
#[derive(Debug, PartialEq)]
struct Snapshot {
    story: story::Model,
    locales: Vec<story_locale::Model>,
    jobs: Vec<job::Model>,
    revisions: u64,
    sign_offs: u64,
    assessments: u64,
    comments: u64,
    audit_events: u64,
}

/// What the run did, so a generator that stopped reaching publication shows up.
#[derive(Debug, Default)]
struct Tally {
    cases: Cell<u32>,
    cases_published: Cell<u32>,
    publications: Cell<u32>,
    accepted: Cell<u32>,
    refused: Cell<u32>,
}

fn bump(counter: &Cell<u32>) {
    counter.set(counter.get() + 1);
}

/// One database and one set of accounts for the whole run: creating either per
/// case would cost more than the case itself. Each case gets its own story.
struct World {
    db: DatabaseConnection,
    staff: Vec<(Who, Principal)>,
    tellers: Vec<(Person, Uuid)>,
    tally: Tally,
}

impl World {
    async fn new(database: &TestDatabase) -> Self {
        let config = api::Config::from_map(&database.config(&[])).expect("valid test config");
        let db = api::db::connect(&config).await.expect("database connects");
        api::db::migrate(&db).await.expect("migrations run");
        let keys = KeyRing::parse(ENCRYPTION_KEY, None).expect("test key parses");
        let mut staff = Vec::new();
        for who in Who::ALL {
            let (email, role) = who.email_and_role();
            staff.push((who, fixtures::staff(&db, email, role).await));
        }
        let recorder = &staff[0].1;
        let mut tellers = Vec::new();
        for person in [Person::Adult, Person::Refugee] {
            let teller = fixtures::storyteller(&db, &keys, recorder, person, "Legal Name").await;
            tellers.push((person, teller.id));
        }
        Self {
            db,
            staff,
            tellers,
            tally: Tally::default(),
        }
    }

    fn principal(&self, who: Who) -> &Principal {
        &self
            .staff
            .iter()
            .find(|(w, _)| *w == who)
            .expect("every Who has an account")
            .1
    }

    fn teller(&self, person: Person) -> Uuid {
        self.tellers
            .iter()
            .find(|(p, _)| *p == person)
            .expect("a storyteller of each kind")
            .1
    }

    async fn run(&self, case: &Case) -> Result<(), TestCaseError> {
        bump(&self.tally.cases);
        let author = self.principal(case.author);
        let title = format!("Story {}", Uuid::now_v7().simple());
        let story = fixtures::draft(&self.db, author, self.teller(case.teller), &title).await;
        // Nothing else touches the story, so each call's "after" is the next one's "before".
        let mut snapshot = self.snapshot(story.id).await;
        let mut went_live = false;
        for (index, call) in case.calls.iter().enumerate() {
            if let Op::SignOff { locale } = call.op
                && !snapshot.locales.iter().any(|l| l.locale == locale)
            {
                continue;
            }
            snapshot = self.check_call(snapshot, case.teller, index, *call).await?;
            went_live |= workflow::is_live(&snapshot.story);
        }
        if went_live {
            bump(&self.tally.cases_published);
        }
        Ok(())
    }

    /// Makes one call and checks what it did; returns the record after it.
    async fn check_call(
        &self,
        before: Snapshot,
        teller: Person,
        index: usize,
        call: Call,
    ) -> Result<Snapshot, TestCaseError> {
        let old = &before.story;
        let was_live = workflow::is_live(old);
        let principal = self.principal(call.by);
        let result = self.call(&before, principal, call.op).await;
        let after = self.snapshot(old.id).await;
        let new = &after.story;
        let allowed = call
            .op
            .step()
            .map(|step| workflow::next_state(old.state, step, was_live));
        let at = format!("call #{index} {call:?} from {:?}", old.state);

        match result {
            Err(err) => {
                bump(&self.tally.refused);
                prop_assert!(
                    REFUSALS.contains(&err.code()),
                    "{at} failed with {}: {err}",
                    err.code()
                );
                prop_assert!(
                    after == before,
                    "{at} was refused ({err}) but changed the record:\nbefore {before:#?}\nafter {after:#?}"
                );
            }
            Ok(()) => {
                bump(&self.tally.accepted);
                if matches!(call.op, Op::Publish(_)) {
                    bump(&self.tally.publications);
                }
                prop_assert!(!call.op.is_stale(), "{at} went through on a stale version");
                let staff = principal.staff().expect("staff");
                if call.op.is_editorial() {
                    prop_assert!(
                        matches!(staff.role, Role::Editor | Role::Admin),
                        "{at} was taken by a {:?}",
                        staff.role
                    );
                } else if matches!(call.op, Op::SaveRevision { .. } | Op::Submit(_)) {
                    prop_assert!(
                        staff.role != Role::Contributor || old.created_by == staff.user_id,
                        "{at}: a contributor changed someone else's story"
                    );
                }
                match allowed {
                    Some(Some(to)) => {
                        prop_assert_eq!(new.state, to, "{} ended in the wrong state", at);
                        prop_assert_eq!(new.version, old.version + 1, "{} version", at);
                    }
                    Some(None) => {
                        prop_assert!(false, "{at} succeeded though next_state forbids it");
                    }
                    None => prop_assert_eq!(new.state, old.state, "{} moved the story", at),
                }
                let live = workflow::is_live(new);
                let expected_live = match call.op {
                    Op::Publish(_) => true,
                    Op::Unpublish(_) | Op::Archive(_) => false,
                    _ => was_live,
                };
                prop_assert_eq!(live, expected_live, "{} left liveness wrong", at);
                self.check_publication(&after, teller)
                    .await
                    .map_err(|e| TestCaseError::fail(format!("after {at}: {e}")))?;
            }
        }
        Ok(after)
    }

    async fn call(&self, before: &Snapshot, by: &Principal, op: Op) -> Result<(), api::Error> {
        let db = &self.db;
        let story = &before.story;
        let id = story.id;
        let now = clock::now();
        match op {
            Op::SaveRevision { locale, stale } => {
                let version = if stale {
                    story.version - 1
                } else {
                    story.version
                };
                let text = Text {
                    title: format!("Title in {locale}"),
                    summary: "A summary.".into(),
                    body: format!("Text saved at {now}."),
                };
                stories::save_revision(db, by, id, version, locale, text, None, now)
                    .await
                    .map(drop)
            }
            Op::Submit(seen) => workflow::submit(db, by, id, seen.version(story), now)
                .await
                .map(drop),
            Op::RequestChanges { seen, comment } => {
                let comment = comment.then(|| "Please check the dates.".to_owned());
                workflow::request_changes(db, by, true, id, seen.version(story), comment, now)
                    .await
                    .map(drop)
            }
            Op::Approve(seen) => workflow::approve(db, by, true, id, seen.version(story), now)
                .await
                .map(drop),
            Op::Publish(seen) => workflow::publish(db, by, id, seen.version(story), None, now)
                .await
                .map(drop),
            Op::Unpublish(seen) => workflow::unpublish(db, by, id, seen.version(story), None, now)
                .await
                .map(drop),
            Op::Archive(seen) => workflow::archive(db, by, id, seen.version(story), now)
                .await
                .map(drop),
            Op::Unarchive(seen) => workflow::unarchive(db, by, id, seen.version(story), now)
                .await
                .map(drop),
            Op::SignOff { locale } => {
                let head = before
                    .locales
                    .iter()
                    .find(|l| l.locale == locale)
                    .expect("run() skips sign-offs of missing locales")
                    .head_revision_id;
                review::record_storyteller_review(
                    db,
                    by,
                    head,
                    storyteller_review::Method::Phone,
                    now,
                    None,
                    now,
                )
                .await
                .map(drop)
            }
            Op::Assess => review::record_risk_assessment(
                db,
                by,
                id,
                review::NewAssessment {
                    assessor: "Safeguarding lead".into(),
                    assessed_on: now.date_naive(),
                    level: risk_assessment::Level::Medium,
                    mitigations: "Pseudonym only; no location below country.".into(),
                },
                now,
            )
            .await
            .map(drop),
        }
    }

    async fn snapshot(&self, story_id: Uuid) -> Snapshot {
        let db = &self.db;
        let story = workflow::load(db, story_id, None).await.expect("story");
        let locales = stories::locales(db, story_id).await.expect("locales");
        let jobs = job::Entity::find()
            .filter(job::Column::StoryId.eq(story_id))
            .order_by_asc(job::Column::Id)
            .all(db)
            .await
            .expect("jobs");
        let revisions = story_revision::Entity::find()
            .filter(story_revision::Column::StoryId.eq(story_id))
            .count(db)
            .await
            .expect("revisions");
        let sign_offs = storyteller_review::Entity::find()
            .filter(storyteller_review::Column::StoryId.eq(story_id))
            .count(db)
            .await
            .expect("sign-offs");
        let assessments = risk_assessment::Entity::find()
            .filter(risk_assessment::Column::StoryId.eq(story_id))
            .count(db)
            .await
            .expect("assessments");
        let comments = review_comment::Entity::find()
            .filter(review_comment::Column::StoryId.eq(story_id))
            .count(db)
            .await
            .expect("comments");
        let audit_events = audit_event::Entity::find()
            .filter(audit_event::Column::SubjectId.eq(story_id))
            .count(db)
            .await
            .expect("audit events");
        Snapshot {
            story,
            locales,
            jobs,
            revisions,
            sign_offs,
            assessments,
            comments,
            audit_events,
        }
    }

    /// The rules for what may be live. The approver is read from the audit trail,
    /// not from `approved_by`, because a new draft of a live story clears
    /// `approved_by` while the old publication stays up.
    async fn check_publication(&self, snap: &Snapshot, teller: Person) -> Result<(), String> {
        let db = &self.db;
        let story = &snap.story;
        let live = workflow::is_live(story);
        match story.state {
            State::Published if !live => return Err("PUBLISHED but not live".into()),
            State::Unpublished | State::Archived if live => {
                return Err(format!("{:?} but still live", story.state));
            }
            _ => {}
        }
        if !live {
            return Ok(());
        }

        let events = audit_event::Entity::find()
            .filter(audit_event::Column::SubjectId.eq(story.id))
            .order_by_asc(audit_event::Column::Id)
            .all(db)
            .await
            .expect("audit events");
        let published_at = events
            .iter()
            .rposition(|e| e.action == "story.published")
            .ok_or("live without a story.published event")?;
        let approved_at = events[..published_at]
            .iter()
            .rposition(|e| e.action == "story.approved")
            .ok_or("published without a story.approved event before it")?;
        let approval = &events[approved_at];
        // Text that was already live before this approval had its own approval
        // then; the four-eyes rule is about the words this approval lets out
        // for the first time (`workflow::draft_authors`).
        let live_before: Vec<Uuid> = events[..approved_at]
            .iter()
            .filter(|e| e.action == "story.published")
            .flat_map(revisions_in)
            .collect();
        let approver = approval.actor_id.ok_or("approved by no one")?;
        let published = revisions_in(&events[published_at]);
        let approved = revisions_in(approval);

        let mut pointers: Vec<Uuid> = snap
            .locales
            .iter()
            .filter_map(|l| l.published_revision_id)
            .collect();
        pointers.sort();
        if pointers != published {
            return Err(format!(
                "the locales publish {pointers:?} but the story.published event says {published:?}"
            ));
        }
        if approved != published {
            return Err(format!(
                "published {published:?}, but the approval was of {approved:?}"
            ));
        }
        if story.state == State::Published && story.approved_by != Some(approver) {
            return Err(format!(
                "approved_by is {:?} but the approval event is by {approver}",
                story.approved_by
            ));
        }
        if approver == story.created_by {
            return Err("approved by the story's creator".into());
        }

        let revisions = story_revision::Entity::find()
            .filter(story_revision::Column::Id.is_in(published.clone()))
            .all(db)
            .await
            .expect("published revisions");
        if revisions.len() != published.len() {
            return Err(format!("some of {published:?} are not revisions"));
        }
        for revision in &revisions {
            if revision.author_id == approver && !live_before.contains(&revision.id) {
                return Err(format!(
                    "the `{}` revision {} was approved by its own author",
                    revision.locale, revision.number
                ));
            }
            let signed = storyteller_review::Entity::find()
                .filter(storyteller_review::Column::RevisionId.eq(revision.id))
                .count(db)
                .await
                .expect("sign-offs");
            if signed == 0 {
                return Err(format!(
                    "the `{}` revision {} is live without the storyteller's sign-off",
                    revision.locale, revision.number
                ));
            }
        }
        if teller == Person::Refugee && snap.assessments == 0 {
            return Err("a story about a refugee is live without a risk assessment".into());
        }
        Ok(())
    }
}

/// The revision ids in an event's `revisions` detail, sorted.
fn revisions_in(event: &audit_event::Model) -> Vec<Uuid> {
    let detail: serde_json::Value = serde_json::from_str(&event.detail).expect("JSON detail");
    let mut ids: Vec<Uuid> = detail["revisions"]
        .as_array()
        .map(|ids| {
            ids.iter()
                .map(|id| id.as_str().and_then(|s| s.parse().ok()).expect("a uuid"))
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids
}

#[test]
fn random_workflow_sequences_never_publish_without_approval_sign_off_and_assessment() {
    // proptest calls each case synchronously; one runtime for the whole run lets
    // every case block on the async services without nesting runtimes.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let database = rt.block_on(TestDatabase::new());
    let world = rt.block_on(World::new(&database));
    // Re-read the environment so PROPTEST_CASES can override our default, and
    // persist nothing: a failure prints its minimal sequence instead.
    let config = contextualize_config(ProptestConfig {
        cases: CASES,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let cases = config.cases;
    let mut runner = TestRunner::new(config);
    let result = runner.run(&case(), |case| rt.block_on(world.run(&case)));
    let World { db, tally, .. } = world;
    rt.block_on(db.close()).ok();
    drop(database);

    if let Err(failure) = result {
        panic!("{failure}");
    }
    eprintln!("workflow_props: {tally:?}");
    // Only a run long enough to make it near certain: a test whose cases never
    // publish would check the publication rules vacuously.
    if cases >= 16 {
        assert!(
            tally.cases_published.get() > 0,
            "no case reached publication: {tally:?}"
        );
    }
}
