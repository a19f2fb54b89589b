//! Differential property test of the consent gate: random worlds of storytellers,
//! stories, consent records, partners and campaigns, seeded straight into the
//! database, and every API key's answers over real HTTP compared with a reference
//! model of the rules in docs/CONSENT.md, written here in plain Rust.
//!
//! The gate is SQL; the model is a loop over vectors. Seeding through the entities
//! rather than the services reaches what the services refuse to create (every
//! status, every workflow state, odd minors, superseded chains, consents given in
//! the future), which is exactly what the gate must still get right.
//!
//! The server reads the clock itself, somewhere between the moment a request is
//! sent and the moment its answer arrives. The model is constant between the
//! world's own timestamps, so an answer is compared only when none of them falls
//! inside that window; the few that do are counted as skipped.

use std::{cell::Cell, pin::Pin, task::Poll};

use api::{
    auth::{Principal, Role},
    clock,
    consumers::{self, NewKey},
};
use chrono::{DateTime, Duration, Utc};
use entity::{
    api_key::Channel,
    campaign, consent_channel, consent_partner,
    consent_record::{self, IndicatedBy, Method, Status, Voice},
    partner,
    story::{self, Faces, IdentityLevel, LocationPrecision, State},
    story_campaign, storyteller,
};
use proptest::{
    prelude::*,
    sample::{Index, select, subsequence},
    test_runner::{TestRunner, contextualize_config},
};
use sea_orm::{ActiveModelTrait, DatabaseTransaction, Iterable, Set, TransactionTrait};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::{
    fixtures,
    helpers::{TestApp, spawn_app_with},
};

/// Cases per run unless `PROPTEST_CASES` says otherwise.
const CASES: u32 = 256;
/// Page size for the paging walk: small, so even small worlds take several pages.
const PAGE: usize = 2;
/// The most pages a walk may take before the server is deemed to loop.
const MAX_PAGES: usize = 10;

/// A time relative to the moment the case is seeded, in milliseconds.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Offset(i64);

impl std::fmt::Debug for Offset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.0 < 0 { '-' } else { '+' };
        let ms = self.0.unsigned_abs();
        write!(f, "now{sign}{}.{:03}s", ms / 1000, ms % 1000)
    }
}

impl Offset {
    fn at(self, base: DateTime<Utc>) -> DateTime<Utc> {
        base + Duration::milliseconds(self.0)
    }
}

/// How far from now, in milliseconds: seconds to an hour, hours to a month, or
/// near enough to pass while the case runs (those answers are then skipped, see
/// the module doc). Near comes last, so shrinking heads for times that stay put.
fn magnitude() -> impl Strategy<Value = i64> {
    prop_oneof![
        3 => 5_000i64..=3_600_000,
        2 => 3_600_000i64..=30 * 86_400_000,
        2 => 100i64..=3_000,
    ]
}

fn past() -> impl Strategy<Value = Offset> {
    magnitude().prop_map(|ms| Offset(-ms))
}

fn future() -> impl Strategy<Value = Offset> {
    magnitude().prop_map(Offset)
}

/// Which of the case's two campaigns a story is filed under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Filed {
    Main,
    Both,
    SecondOnly,
}

/// A storyteller: only whether they are a minor matters to the gate.
#[derive(Debug, Clone)]
struct TellerSpec {
    minor: bool,
}

/// A story in any workflow state, with any publication window.
#[derive(Debug, Clone)]
struct StorySpec {
    teller: Index,
    state: State,
    published_at: Option<Offset>,
    unpublish_at: Option<Offset>,
    filed: Filed,
}

/// Which stories a consent record covers.
#[derive(Debug, Clone)]
enum Covers {
    /// All of the storyteller's stories.
    All,
    /// One of the storyteller's own stories (all of them when they have none).
    Own(Index),
    /// Any story of the case, usually someone else's: such a record covers nothing.
    Any(Index),
}

/// A consent record as the database would take it, sound or not.
#[derive(Debug, Clone)]
struct ConsentSpec {
    teller: Index,
    covers: Covers,
    /// An earlier record, of the same storyteller when the flag says so, that no
    /// other record supersedes yet; none when there is no such record.
    supersedes: Option<(Index, bool)>,
    status: Status,
    channels: Vec<Channel>,
    /// Indices into the case's partners; those past the end are dropped.
    partners: Vec<usize>,
    all_partners: bool,
    given_at: Option<Offset>,
    expires_at: Offset,
    /// Recorded as for a minor when the storyteller is not one, or the reverse.
    odd_minor: bool,
    guardian_consent: bool,
    child_assent: bool,
}

/// One case, small so that a failure shrinks to a world one can read.
#[derive(Debug, Clone)]
struct Spec {
    partners: usize,
    tellers: Vec<TellerSpec>,
    stories: Vec<StorySpec>,
    consents: Vec<ConsentSpec>,
    /// The channel (and partner, for `PARTNER_SITES`) of the key limited to the
    /// second campaign.
    scoped_key: (Channel, Index),
}

fn story_spec() -> impl Strategy<Value = StorySpec> {
    (
        any::<Index>(),
        prop_oneof![6 => Just(State::Published), 2 => select(State::iter().collect::<Vec<_>>())],
        prop_oneof![1 => Just(None), 8 => past().prop_map(Some), 1 => future().prop_map(Some)],
        prop_oneof![5 => Just(None), 1 => past().prop_map(Some), 2 => future().prop_map(Some)],
        prop_oneof![6 => Just(Filed::Main), 3 => Just(Filed::Both), 1 => Just(Filed::SecondOnly)],
    )
        .prop_map(
            |(teller, state, published_at, unpublish_at, filed)| StorySpec {
                teller,
                state,
                published_at,
                unpublish_at,
                filed,
            },
        )
}

/// Each channel granted or not on its own, most of them granted: a consent that
/// names few channels covers few keys, and the worlds would show almost nothing.
fn channels() -> impl Strategy<Value = Vec<Channel>> {
    prop::collection::vec(prop::bool::weighted(0.8), 7).prop_map(|granted| {
        Channel::iter()
            .filter(|c| c.shows_stories())
            .zip(granted)
            .filter_map(|(channel, granted)| granted.then_some(channel))
            .collect()
    })
}

fn consent_spec() -> impl Strategy<Value = ConsentSpec> {
    let covers = prop_oneof![
        4 => Just(Covers::All),
        2 => any::<Index>().prop_map(Covers::Own),
        1 => any::<Index>().prop_map(Covers::Any),
    ];
    let status = prop_oneof![
        6 => select(vec![Status::Given, Status::Renewed]),
        1 => select(Status::iter().collect::<Vec<_>>()),
    ];
    let given_at = prop_oneof![
        1 => Just(None),
        12 => past().prop_map(Some),
        1 => future().prop_map(Some),
    ];
    let expires_at = prop_oneof![1 => past(), 6 => future()];
    (
        (
            any::<Index>(),
            covers,
            prop::option::weighted(0.25, (any::<Index>(), prop::bool::weighted(0.8))),
            status,
        ),
        (
            channels(),
            subsequence(vec![0usize, 1, 2], 0..=3),
            prop::bool::weighted(0.3),
        ),
        (given_at, expires_at),
        (
            prop::bool::weighted(0.1),
            prop::bool::weighted(0.8),
            prop::bool::weighted(0.8),
        ),
    )
        .prop_map(
            |(
                (teller, covers, supersedes, status),
                (channels, partners, all_partners),
                (given_at, expires_at),
                (odd_minor, guardian_consent, child_assent),
            )| ConsentSpec {
                teller,
                covers,
                supersedes,
                status,
                channels,
                partners,
                all_partners,
                given_at,
                expires_at,
                odd_minor,
                guardian_consent,
                child_assent,
            },
        )
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        1usize..=3,
        prop::collection::vec(
            prop::bool::weighted(0.3).prop_map(|minor| TellerSpec { minor }),
            1..=4,
        ),
        prop::collection::vec(story_spec(), 1..=6),
        prop::collection::vec(consent_spec(), 0..=6),
        (
            select(
                Channel::iter()
                    .filter(|c| c.shows_stories())
                    .collect::<Vec<_>>(),
            ),
            any::<Index>(),
        ),
    )
        .prop_map(|(partners, tellers, stories, consents, scoped_key)| Spec {
            partners,
            tellers,
            stories,
            consents,
            scoped_key,
        })
}

/// A campaign of the case.
#[derive(Debug, Clone)]
struct Campaign {
    id: Uuid,
    slug: String,
}

#[derive(Debug, Clone)]
struct Teller {
    id: Uuid,
    minor: bool,
}

#[derive(Debug, Clone)]
struct Story {
    id: Uuid,
    slug: String,
    teller: Uuid,
    state: State,
    published_at: Option<DateTime<Utc>>,
    unpublish_at: Option<DateTime<Utc>>,
    campaigns: Vec<Uuid>,
}

#[derive(Debug, Clone)]
struct Consent {
    id: Uuid,
    teller: Uuid,
    story: Option<Uuid>,
    supersedes: Option<Uuid>,
    status: Status,
    channels: Vec<Channel>,
    partners: Vec<Uuid>,
    all_partners: bool,
    given_at: Option<DateTime<Utc>>,
    expires_at: DateTime<Utc>,
    subject_minor: bool,
    guardian_consent: bool,
    child_assent: bool,
}

/// One case's world with real ids and times: what is seeded, and what the model
/// reads.
#[derive(Debug)]
struct World {
    partners: Vec<Uuid>,
    main: Campaign,
    second: Campaign,
    tellers: Vec<Teller>,
    stories: Vec<Story>,
    consents: Vec<Consent>,
}

impl World {
    fn new(spec: &Spec, case: u32, base: DateTime<Utc>) -> Self {
        let campaign = |name: &str| Campaign {
            id: Uuid::now_v7(),
            slug: format!("consent-props-{case}-{name}"),
        };
        let (main, second) = (campaign("main"), campaign("second"));
        let partners: Vec<Uuid> = (0..spec.partners).map(|_| Uuid::now_v7()).collect();
        let tellers: Vec<Teller> = spec
            .tellers
            .iter()
            .map(|t| Teller {
                id: Uuid::now_v7(),
                minor: t.minor,
            })
            .collect();
        let stories: Vec<Story> = spec
            .stories
            .iter()
            .enumerate()
            .map(|(i, s)| Story {
                id: Uuid::now_v7(),
                slug: format!("consent-props-{case}-story-{i}"),
                teller: s.teller.get(&tellers).id,
                state: s.state,
                published_at: s.published_at.map(|o| o.at(base)),
                unpublish_at: s.unpublish_at.map(|o| o.at(base)),
                campaigns: match s.filed {
                    Filed::Main => vec![main.id],
                    Filed::Both => vec![main.id, second.id],
                    Filed::SecondOnly => vec![second.id],
                },
            })
            .collect();
        let mut consents: Vec<Consent> = Vec::new();
        for c in &spec.consents {
            let teller = c.teller.get(&tellers);
            let own: Vec<Uuid> = stories
                .iter()
                .filter(|s| s.teller == teller.id)
                .map(|s| s.id)
                .collect();
            let story = match &c.covers {
                Covers::All => None,
                Covers::Own(ix) => (!own.is_empty()).then(|| *ix.get(&own)),
                Covers::Any(ix) => Some(ix.get(&stories).id),
            };
            let supersedes = c.supersedes.and_then(|(ix, same_teller)| {
                let open: Vec<Uuid> = consents
                    .iter()
                    .filter(|r| !same_teller || r.teller == teller.id)
                    .filter(|r| !consents.iter().any(|o| o.supersedes == Some(r.id)))
                    .map(|r| r.id)
                    .collect();
                (!open.is_empty()).then(|| *ix.get(&open))
            });
            consents.push(Consent {
                id: Uuid::now_v7(),
                teller: teller.id,
                story,
                supersedes,
                status: c.status,
                channels: c.channels.clone(),
                partners: c
                    .partners
                    .iter()
                    .filter_map(|&i| partners.get(i).copied())
                    .collect(),
                all_partners: c.all_partners,
                given_at: c.given_at.map(|o| o.at(base)),
                expires_at: c.expires_at.at(base),
                subject_minor: teller.minor != c.odd_minor,
                guardian_consent: c.guardian_consent,
                child_assent: c.child_assent,
            });
        }
        Self {
            partners,
            main,
            second,
            tellers,
            stories,
            consents,
        }
    }

    /// Every instant at which some answer of the model may change.
    fn instants(&self) -> Vec<DateTime<Utc>> {
        let stories = self
            .stories
            .iter()
            .flat_map(|s| [s.published_at, s.unpublish_at]);
        let consents = self
            .consents
            .iter()
            .flat_map(|c| [c.given_at, Some(c.expires_at)]);
        stories.chain(consents).flatten().collect()
    }

    /// Whether the model gives the same answers at every instant from `from` to
    /// `to`: its conditions (`at <= now`, `at > now`) flip exactly at the world's
    /// instants, so it does unless one lies in `(from, to]`.
    fn steady(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> bool {
        !self.instants().iter().any(|&at| from < at && at <= to)
    }
}

/// Who reads, as the model sees it.
#[derive(Debug, Clone)]
struct Viewer {
    channel: Channel,
    /// Only for `PARTNER_SITES`.
    partner: Option<Uuid>,
    /// Empty: every campaign.
    campaigns: Vec<Uuid>,
}

/// The reference model: why the gate must hide `story` from `viewer` at `now`, or
/// `Ok` when it must show it. Written from the rules in docs/CONSENT.md.
fn verdict(
    world: &World,
    story: &Story,
    viewer: &Viewer,
    now: DateTime<Utc>,
) -> Result<(), String> {
    // Published, or published and being revised: the published text stays up.
    if !matches!(
        story.state,
        State::Published
            | State::Draft
            | State::InReview
            | State::ChangesRequested
            | State::Approved
    ) {
        return Err(format!("the story is {:?}", story.state));
    }
    match story.published_at {
        None => return Err("the story has no published_at".into()),
        Some(at) if at > now => return Err("the story's published_at is still ahead".into()),
        Some(_) => {}
    }
    if story.unpublish_at.is_some_and(|at| at <= now) {
        return Err("the story's unpublish_at has passed".into());
    }
    if !viewer.campaigns.is_empty() && !viewer.campaigns.iter().any(|c| story.campaigns.contains(c))
    {
        return Err("the story is in none of the key's campaigns".into());
    }
    let mut reasons = Vec::new();
    for (i, record) in world.consents.iter().enumerate() {
        match consent_gap(world, record, story, viewer, now) {
            None => return Ok(()),
            Some(gap) => reasons.push(format!("consent #{i} {gap}")),
        }
    }
    if reasons.is_empty() {
        reasons.push("there are no consent records".into());
    }
    Err(reasons.join("; "))
}

/// Why `record` does not cover `story` for `viewer` at `now`; `None` when it does.
fn consent_gap(
    world: &World,
    record: &Consent,
    story: &Story,
    viewer: &Viewer,
    now: DateTime<Utc>,
) -> Option<&'static str> {
    if record.teller != story.teller {
        return Some("is another storyteller's");
    }
    if record.story.is_some_and(|id| id != story.id) {
        return Some("is for another story");
    }
    if !matches!(record.status, Status::Given | Status::Renewed) {
        return Some("has a status that allows no use");
    }
    if record.given_at.is_none_or(|at| at > now) {
        return Some("is not given yet");
    }
    if record.expires_at <= now {
        return Some("has expired");
    }
    if world
        .consents
        .iter()
        .any(|r| r.supersedes == Some(record.id))
    {
        return Some("is superseded");
    }
    if !record.channels.contains(&viewer.channel) {
        return Some("does not name the channel");
    }
    if viewer.channel == Channel::PartnerSites
        && !record.all_partners
        && !viewer.partner.is_some_and(|p| record.partners.contains(&p))
    {
        return Some("names neither the partner nor all partners");
    }
    if record.subject_minor && !(record.guardian_consent && record.child_assent) {
        return Some("is a minor's without both guardian consent and assent");
    }
    None
}

/// The slugs `stories(campaign)` must list, in order: newest publication first,
/// then the greater id.
fn listing(
    world: &World,
    viewer: &Viewer,
    campaign: Option<Uuid>,
    now: DateTime<Utc>,
) -> Vec<String> {
    let mut shown: Vec<&Story> = world
        .stories
        .iter()
        .filter(|s| campaign.is_none_or(|c| s.campaigns.contains(&c)))
        .filter(|s| verdict(world, s, viewer, now).is_ok())
        .collect();
    shown.sort_by_key(|s| std::cmp::Reverse((s.published_at, s.id)));
    shown.into_iter().map(|s| s.slug.clone()).collect()
}

/// A real key of the case, and whom the model takes it for.
struct Key {
    label: String,
    secret: String,
    viewer: Viewer,
}

/// What the run did, so a generator that stopped producing visible stories, or a
/// machine so slow that most answers were skipped, shows up.
#[derive(Debug, Default)]
struct Tally {
    cases: Cell<u32>,
    keys: Cell<u32>,
    requests: Cell<u32>,
    compared: Cell<u32>,
    skipped: Cell<u32>,
    shown: Cell<u32>,
    hidden: Cell<u32>,
}

fn add(counter: &Cell<u32>, n: usize) {
    counter.set(counter.get() + u32::try_from(n).unwrap_or(u32::MAX));
}

fn fail(what: &str) -> impl Fn(String) -> TestCaseError + '_ {
    move |e| TestCaseError::fail(format!("{what}: {e}"))
}

/// One page of `stories` as answered.
#[derive(Debug)]
struct Answer {
    slugs: Vec<String>,
    cursors: Vec<String>,
    has_next_page: bool,
    end_cursor: Option<String>,
    total_count: usize,
}

const CONNECTION: &str =
    "edges { cursor node { slug } } pageInfo { hasNextPage endCursor } totalCount";

fn parse_connection(value: &Value) -> Result<Answer, TestCaseError> {
    let edges = value["edges"]
        .as_array()
        .ok_or_else(|| TestCaseError::fail(format!("no edges in {value}")))?;
    let text = |v: &Value| v.as_str().map(str::to_owned);
    Ok(Answer {
        slugs: edges
            .iter()
            .filter_map(|e| text(&e["node"]["slug"]))
            .collect(),
        cursors: edges.iter().filter_map(|e| text(&e["cursor"])).collect(),
        has_next_page: value["pageInfo"]["hasNextPage"].as_bool().unwrap_or(true),
        end_cursor: text(&value["pageInfo"]["endCursor"]),
        total_count: value["totalCount"]
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(usize::MAX),
    })
}

/// One database and one server for the whole run; each case seeds its own world
/// under campaigns, partners and slugs of its own.
struct Run {
    app: TestApp,
    admin: Principal,
    tally: Tally,
}

impl Run {
    async fn new() -> Self {
        // The worker would mark lapsed consents `EXPIRED` and withdraw stories,
        // changing the world under the comparison.
        let app = spawn_app_with(&[("CHORUS_JOBS_ENABLED", "false")]).await;
        let admin = fixtures::staff(&app.db, "consent-props-admin@example.org", Role::Admin).await;
        Self {
            app,
            admin,
            tally: Tally::default(),
        }
    }

    async fn run(&self, spec: &Spec) -> Result<(), TestCaseError> {
        let case = self.tally.cases.get();
        add(&self.tally.cases, 1);
        let world = World::new(spec, case, clock::now());
        self.seed(&world, case).await.map_err(fail("seeding"))?;
        let keys = self.keys(&world, spec, case).await?;
        // The keys' reads change nothing the gate looks at, so they run at once.
        all(keys.iter().map(|key| self.check_key(&world, key))).await
    }

    async fn seed(&self, world: &World, case: u32) -> Result<(), String> {
        let now = clock::now();
        let admin = self.admin.staff().map_err(|e| e.to_string())?.user_id;
        let txn = self.app.db.begin().await.map_err(|e| e.to_string())?;
        insert_world(&txn, world, case, admin, now)
            .await
            .map_err(|e| e.to_string())?;
        txn.commit().await.map_err(|e| e.to_string())
    }

    /// One key per channel (per partner for `PARTNER_SITES`), and one limited to
    /// the second campaign, all issued by the real service.
    async fn keys(&self, world: &World, spec: &Spec, case: u32) -> Result<Vec<Key>, TestCaseError> {
        let mut viewers: Vec<(String, Viewer)> = Vec::new();
        for channel in Channel::iter().filter(|c| c.shows_stories()) {
            if channel == Channel::PartnerSites {
                for (i, &partner) in world.partners.iter().enumerate() {
                    viewers.push((
                        format!("{channel:?} key of partner #{i}"),
                        Viewer {
                            channel,
                            partner: Some(partner),
                            campaigns: Vec::new(),
                        },
                    ));
                }
            } else {
                viewers.push((
                    format!("{channel:?} key"),
                    Viewer {
                        channel,
                        partner: None,
                        campaigns: Vec::new(),
                    },
                ));
            }
        }
        let (channel, partner) = &spec.scoped_key;
        let (label, partner) = if *channel == Channel::PartnerSites {
            let i = partner.index(world.partners.len());
            (format!(" of partner #{i}"), Some(world.partners[i]))
        } else {
            (String::new(), None)
        };
        viewers.push((
            format!("{channel:?} key{label} limited to the second campaign"),
            Viewer {
                channel: *channel,
                partner,
                campaigns: vec![world.second.id],
            },
        ));

        let mut keys = Vec::new();
        for (label, viewer) in viewers {
            let (_, secret) = consumers::create_key(
                &self.app.db,
                &self.admin,
                NewKey {
                    name: format!("consent-props {case}: {label}"),
                    channel: viewer.channel,
                    partner_id: viewer.partner,
                    campaign_ids: viewer.campaigns.clone(),
                    expires_at: None,
                },
                clock::now(),
            )
            .await
            .map_err(|e| TestCaseError::fail(format!("issuing the {label}: {e}")))?;
            keys.push(Key {
                label,
                secret,
                viewer,
            });
        }
        add(&self.tally.keys, keys.len());
        Ok(keys)
    }

    /// Sends one request with the key; returns `data` and the instants just before
    /// and just after, between which the server read its clock.
    async fn ask(
        &self,
        key: &Key,
        query: &str,
        variables: Value,
    ) -> Result<(Value, DateTime<Utc>, DateTime<Utc>), TestCaseError> {
        add(&self.tally.requests, 1);
        let before = clock::now();
        let res = self
            .app
            .client
            .post(self.app.url("/graphql"))
            .header("x-api-key", &key.secret)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .map_err(|e| TestCaseError::fail(format!("request: {e}")))?;
        let body: Value = res
            .json()
            .await
            .map_err(|e| TestCaseError::fail(format!("response: {e}")))?;
        let after = clock::now();
        if body.get("errors").is_some() {
            return Err(TestCaseError::fail(format!(
                "{} got errors: {body}",
                key.label
            )));
        }
        Ok((body["data"].clone(), before, after))
    }

    async fn check_key(&self, world: &World, key: &Key) -> Result<(), TestCaseError> {
        self.check_list_and_singles(world, key).await?;
        self.check_paging(world, key).await?;
        if !key.viewer.campaigns.is_empty() {
            // Limited to the case's second campaign, the key sees nothing of any
            // other case even unfiltered: the key's own limit is checked alone.
            self.check_unfiltered(world, key).await?;
        }
        Ok(())
    }

    /// (a) the whole list of the main campaign and (c) every story by slug, in one
    /// request.
    async fn check_list_and_singles(&self, world: &World, key: &Key) -> Result<(), TestCaseError> {
        let params: String = (0..world.stories.len())
            .map(|i| format!(", $s{i}: String!"))
            .collect();
        let singles: String = (0..world.stories.len())
            .map(|i| format!(" s{i}: story(slug: $s{i}) {{ slug }}"))
            .collect();
        let query = format!(
            "query($campaign: String{params}) {{ stories(campaign: $campaign, first: 100) {{ {CONNECTION} }}{singles} }}"
        );
        let mut variables = Map::new();
        variables.insert("campaign".into(), json!(world.main.slug));
        for (i, story) in world.stories.iter().enumerate() {
            variables.insert(format!("s{i}"), json!(story.slug));
        }
        let (data, before, after) = self.ask(key, &query, Value::Object(variables)).await?;
        if !world.steady(before, after) {
            add(&self.tally.skipped, 1 + world.stories.len());
            return Ok(());
        }
        let now = before;
        let expected = listing(world, &key.viewer, Some(world.main.id), now);
        let list = parse_connection(&data["stories"])?;
        let at = format!("{} at {now}", key.label);
        prop_assert_eq!(
            &list.slugs,
            &expected,
            "{}: stories(campaign: main) listed other stories than the model; per story: {}",
            at,
            explain(world, &key.viewer, now)
        );
        prop_assert_eq!(list.total_count, expected.len(), "{}: totalCount", at);
        prop_assert!(!list.has_next_page, "{}: hasNextPage on a full list", at);
        add(&self.tally.compared, 1);

        for (i, story) in world.stories.iter().enumerate() {
            let answer = data[format!("s{i}")]["slug"].as_str();
            let model = verdict(world, story, &key.viewer, now);
            match &model {
                Ok(()) => prop_assert_eq!(
                    answer,
                    Some(story.slug.as_str()),
                    "{}: story(slug: {}) is null, but the model shows it",
                    at,
                    story.slug
                ),
                Err(why) => prop_assert_eq!(
                    answer,
                    None,
                    "{}: story(slug: {}) answered, but the model hides it: {}",
                    at,
                    story.slug,
                    why
                ),
            }
            add(&self.tally.compared, 1);
            add(
                if model.is_ok() {
                    &self.tally.shown
                } else {
                    &self.tally.hidden
                },
                1,
            );
        }
        Ok(())
    }

    /// (b) the main campaign's list walked `PAGE` stories at a time with `after`.
    async fn check_paging(&self, world: &World, key: &Key) -> Result<(), TestCaseError> {
        let query = format!(
            "query($campaign: String, $after: String) {{ stories(campaign: $campaign, first: {PAGE}, after: $after) {{ {CONNECTION} }} }}"
        );
        let mut pages: Vec<Answer> = Vec::new();
        let mut after: Option<String> = None;
        let mut window: Option<(DateTime<Utc>, DateTime<Utc>)> = None;
        loop {
            let variables = json!({ "campaign": world.main.slug, "after": after });
            let (data, sent, answered) = self.ask(key, &query, variables).await?;
            window = Some((window.map_or(sent, |w| w.0), answered));
            let page = parse_connection(&data["stories"])?;
            let more = page.has_next_page;
            after.clone_from(&page.end_cursor);
            pages.push(page);
            prop_assert!(
                pages.len() <= MAX_PAGES,
                "{}: paging did not end after {} pages",
                key.label,
                MAX_PAGES
            );
            if !more {
                break;
            }
        }
        let (from, to) = window.expect("at least one page");
        if !world.steady(from, to) {
            add(&self.tally.skipped, 1);
            return Ok(());
        }
        let expected = listing(world, &key.viewer, Some(world.main.id), from);
        let at = format!("{} at {from}", key.label);
        let walked: Vec<String> = pages.iter().flat_map(|p| p.slugs.clone()).collect();
        prop_assert_eq!(
            &walked,
            &expected,
            "{}: paging by {} listed other stories than the model; per story: {}",
            at,
            PAGE,
            explain(world, &key.viewer, from)
        );
        for (n, page) in pages.iter().enumerate() {
            let seen = PAGE * (n + 1);
            prop_assert_eq!(
                page.has_next_page,
                expected.len() > seen,
                "{}: hasNextPage of page {}",
                at,
                n
            );
            prop_assert_eq!(
                page.total_count,
                expected.len(),
                "{}: totalCount of page {}",
                at,
                n
            );
            prop_assert_eq!(
                page.end_cursor.as_ref(),
                page.cursors.last(),
                "{}: endCursor of page {}",
                at,
                n
            );
        }
        add(&self.tally.compared, 1);
        Ok(())
    }

    /// `stories` without a campaign filter, for the key limited to a campaign.
    async fn check_unfiltered(&self, world: &World, key: &Key) -> Result<(), TestCaseError> {
        let query = format!("{{ stories(first: 100) {{ {CONNECTION} }} }}");
        let (data, before, after) = self.ask(key, &query, json!({})).await?;
        if !world.steady(before, after) {
            add(&self.tally.skipped, 1);
            return Ok(());
        }
        let expected = listing(world, &key.viewer, None, before);
        let list = parse_connection(&data["stories"])?;
        prop_assert_eq!(
            &list.slugs,
            &expected,
            "{} at {}: unfiltered stories listed other stories than the model; per story: {}",
            key.label,
            before,
            explain(world, &key.viewer, before)
        );
        prop_assert_eq!(
            list.total_count,
            expected.len(),
            "{}: totalCount",
            key.label
        );
        add(&self.tally.compared, 1);
        Ok(())
    }
}

/// Runs the checks concurrently on this task; the first failure ends them all.
async fn all<F>(checks: impl Iterator<Item = F>) -> Result<(), TestCaseError>
where
    F: Future<Output = Result<(), TestCaseError>>,
{
    let mut running: Vec<Option<Pin<Box<F>>>> = checks.map(|f| Some(Box::pin(f))).collect();
    std::future::poll_fn(|cx| {
        for slot in &mut running {
            if let Some(check) = slot {
                match check.as_mut().poll(cx) {
                    Poll::Ready(Ok(())) => *slot = None,
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending => {}
                }
            }
        }
        if running.iter().all(Option::is_none) {
            Poll::Ready(Ok(()))
        } else {
            Poll::Pending
        }
    })
    .await
}

/// The model's verdict on every story, for failure messages.
fn explain(world: &World, viewer: &Viewer, now: DateTime<Utc>) -> String {
    world
        .stories
        .iter()
        .map(|s| match verdict(world, s, viewer, now) {
            Ok(()) => format!("\n  {}: shown", s.slug),
            Err(why) => format!("\n  {}: hidden, {why}", s.slug),
        })
        .collect()
}

/// Writes the world as rows; records before the ones that supersede them.
async fn insert_world(
    txn: &DatabaseTransaction,
    world: &World,
    case: u32,
    admin: Uuid,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    for (i, &id) in world.partners.iter().enumerate() {
        partner::ActiveModel {
            id: Set(id),
            slug: Set(format!("consent-props-{case}-partner-{i}")),
            name: Set(format!("Partner {i}")),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(txn)
        .await?;
    }
    for c in [&world.main, &world.second] {
        campaign::ActiveModel {
            id: Set(c.id),
            slug: Set(c.slug.clone()),
            name: Set(c.slug.clone()),
            hashtag: Set(None),
            starts_on: Set(None),
            ends_on: Set(None),
            description: Set(String::new()),
            share_url_pattern: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            organisation_id: Set(entity::organisation::PLATFORM_ID),
        }
        .insert(txn)
        .await?;
    }
    for t in &world.tellers {
        storyteller::ActiveModel {
            id: Set(t.id),
            public_name: Set("Teller".into()),
            public_name_is_pseudonym: Set(true),
            legal_name_enc: Set("x".into()),
            contact_enc: Set(None),
            guardian_enc: Set(None),
            private_notes_enc: Set(None),
            year_of_birth: Set(Some(if t.minor { 2014 } else { 1990 })),
            date_of_birth: Set(None),
            languages: Set("en".into()),
            asylum_seeker: Set(false),
            refugee: Set(false),
            undocumented: Set(false),
            created_by: Set(admin),
            organisation_id: Set(entity::organisation::PLATFORM_ID),
            created_at: Set(now),
            updated_at: Set(now),
            erased_at: Set(None),
        }
        .insert(txn)
        .await?;
    }
    for s in &world.stories {
        story::ActiveModel {
            id: Set(s.id),
            slug: Set(s.slug.clone()),
            storyteller_id: Set(s.teller),
            primary_locale: Set("en".into()),
            region: Set(None),
            state: Set(s.state),
            version: Set(1),
            identity_level: Set(IdentityLevel::FullName),
            faces: Set(Faces::Shown),
            location_precision: Set(LocationPrecision::City),
            created_by: Set(admin),
            organisation_id: Set(entity::organisation::PLATFORM_ID),
            share_media_id: Set(None),
            submitted_by: Set(None),
            submitted_at: Set(None),
            approved_by: Set(None),
            approved_at: Set(None),
            publish_at: Set(None),
            unpublish_at: Set(s.unpublish_at),
            published_at: Set(s.published_at),
            first_published_at: Set(s.published_at),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(txn)
        .await?;
        for &campaign_id in &s.campaigns {
            story_campaign::ActiveModel {
                story_id: Set(s.id),
                campaign_id: Set(campaign_id),
            }
            .insert(txn)
            .await?;
        }
    }
    for c in &world.consents {
        consent_record::ActiveModel {
            id: Set(c.id),
            storyteller_id: Set(c.teller),
            story_id: Set(c.story),
            supersedes_id: Set(c.supersedes),
            status: Set(c.status),
            all_partners: Set(c.all_partners),
            identity_level: Set(IdentityLevel::FullName),
            faces: Set(Faces::Shown),
            voice: Set(Voice::Original),
            location_precision: Set(LocationPrecision::City),
            special_categories: Set(String::new()),
            explicit: Set(false),
            given_at: Set(c.given_at),
            expires_at: Set(c.expires_at),
            method: Set(Method::Written),
            language: Set("en".into()),
            interpreter: Set(None),
            notice_version: Set("test".into()),
            notice_hash: Set("sha256:0".into()),
            collected_by: Set("consent-props".into()),
            jurisdiction: Set("GB".into()),
            subject_minor: Set(c.subject_minor),
            guardian_consent: Set(c.guardian_consent),
            child_assent: Set(c.child_assent),
            evidence_ref: Set(None),
            indicated_by: Set(IndicatedBy::Storyteller),
            recorded_by: Set(Some(admin)),
            created_at: Set(now),
            controller: Set(None),
            witness: Set(None),
            witness_kind: Set(None),
            processing_operations: Set(None),
        }
        .insert(txn)
        .await?;
        for &channel in &c.channels {
            consent_channel::ActiveModel {
                consent_id: Set(c.id),
                channel: Set(channel),
            }
            .insert(txn)
            .await?;
        }
        for &partner_id in &c.partners {
            consent_partner::ActiveModel {
                consent_id: Set(c.id),
                partner_id: Set(partner_id),
            }
            .insert(txn)
            .await?;
        }
    }
    Ok(())
}

#[test]
fn consumer_reads_match_the_reference_model_of_the_consent_gate() {
    // Cases run synchronously; one runtime for the run, with workers, so the
    // server answers while a case blocks on its requests.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let run = rt.block_on(Run::new());
    let config = contextualize_config(ProptestConfig {
        cases: CASES,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let cases = config.cases;
    let mut runner = TestRunner::new(config);
    let result = runner.run(&spec(), |spec| rt.block_on(run.run(&spec)));
    let Run { app, tally, .. } = run;
    {
        let _entered = rt.enter();
        drop(app);
    }

    if let Err(failure) = result {
        panic!("{failure}");
    }
    eprintln!("consent_props: {tally:?}");
    if cases >= 64 {
        assert!(
            tally.shown.get() > 0 && tally.hidden.get() > 0,
            "the worlds showed or hid nothing: {tally:?}"
        );
        assert!(
            tally.compared.get() > tally.skipped.get() * 4,
            "over a fifth of the answers were skipped, their world's times passing while they were asked: {tally:?}"
        );
    }
}
