//! The answer cache against the truth: random writes (publishing and taking
//! down, drafts and published texts, tag and campaign links, tag names,
//! consent withdrawn and given again, consents that run out, storytellers'
//! public names, keys revoked) interleaved with random reads (lists with random
//! filters and cursors, stories by slug) by two keys of different channels, each
//! read sent to a node with the cache and then to a node without it, on the
//! same database. Any difference is a write the sweep forgot.
//!
//! Seeded: `CHORUS_CACHE_SEED=<n>` replays a run; a failure prints its seed.

use chrono::{DateTime, Utc};
use entity::{campaign, consent_record, story_campaign, story_locale, story_tag, tag};
use sea_orm::{ActiveModelTrait, ActiveValue::Set};

use super::*;

const STEPS: usize = 200;

/// SplitMix64: small, and the same sequence everywhere for a seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const LIST_QUERY: &str = "query($first: Int, $after: String, $tag: String, $campaign: String) {
  stories(first: $first, after: $after, tag: $tag, campaign: $campaign) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { slug title storyteller { name } tags { slug name } campaigns { slug } } }
  }
}";

const SLUG_QUERY: &str = "query($s: String!) {
  story(slug: $s) { slug title summary storyteller { name } tags { slug name } campaigns { slug } }
}";

/// A key the test reads with: its channel, partner and current secret.
struct Reader {
    id: Uuid,
    channel: Channel,
    partner: Option<Uuid>,
    secret: String,
}

struct Run {
    w: World,
    truth: Node,
    rng: Rng,
    seed: u64,
    tellers: Vec<Uuid>,
    stories: Vec<Uuid>,
    tags: Vec<tag::Model>,
    campaigns: Vec<campaign::Model>,
    readers: Vec<Reader>,
    /// Cursors seen in answers, to page from.
    cursors: Vec<String>,
    /// Instants at which a consent runs out: reads near them are not compared,
    /// since the two nodes read the clock a moment apart.
    instants: Vec<DateTime<Utc>>,
    /// The latest reads: which key, the query and its variables.
    recent: Vec<(usize, &'static str, Value)>,
    log: Vec<String>,
}

#[tokio::test]
async fn random_writes_never_make_a_cached_read_differ_from_an_uncached_one() {
    let seed = std::env::var("CHORUS_CACHE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x00c0_ffee_2026_u64);
    let mut run = Run::set_up(seed).await;
    for step in 0..STEPS {
        if run.rng.below(4) == 0 {
            run.write(step).await;
        } else {
            run.read(step).await;
        }
    }
    let stats = run.w.app.state.caches.responses.stats();
    eprintln!("seed {seed}: {stats:?}");
    assert!(
        stats.hits >= 30 && stats.ended >= 5,
        "the run must exercise the cache (seed {seed}): {stats:?}"
    );
}

impl Run {
    async fn set_up(seed: u64) -> Self {
        let w = World::with(&[]).await;
        let truth = Node::beside_with(&w.app, &[("CHORUS_RESPONSE_CACHE_BYTES", "0")]).await;
        let db = &w.app.db;
        let partner = w.partner("harbour").await;
        let mut readers = Vec::new();
        for (channel, partner) in [
            (Channel::MobileApp, None),
            (Channel::PartnerSites, Some(partner)),
        ] {
            let (id, secret) = w.key(channel, partner).await;
            readers.push(Reader {
                id,
                channel,
                partner,
                secret,
            });
        }
        let now = clock::now();
        let mut tags = Vec::new();
        for slug in ["harbour", "bread", "river"] {
            let model = tag::Model {
                id: Uuid::now_v7(),
                slug: slug.into(),
                name: slug.to_uppercase(),
                description: String::new(),
                created_at: now,
                updated_at: now,
            };
            tags.push(tag::ActiveModel::from(model).insert(db).await.expect("tag"));
        }
        let mut campaigns = Vec::new();
        for slug in ["spring", "autumn"] {
            let model = campaign::Model {
                id: Uuid::now_v7(),
                slug: slug.into(),
                name: slug.into(),
                hashtag: None,
                starts_on: None,
                ends_on: None,
                description: String::new(),
                created_at: now,
                updated_at: now,
                organisation_id: entity::organisation::PLATFORM_ID,
                share_url_pattern: None,
            };
            campaigns.push(
                campaign::ActiveModel::from(model)
                    .insert(db)
                    .await
                    .expect("campaign"),
            );
        }
        let grants: [&[Channel]; 3] = [
            &[Channel::MobileApp, Channel::PartnerSites],
            &[Channel::MobileApp],
            &[Channel::PartnerSites],
        ];
        let mut tellers = Vec::new();
        let mut stories = Vec::new();
        for (i, channels) in grants.iter().enumerate() {
            let teller = w.teller().await;
            fixtures::consent(db, teller.id, terms(channels)).await;
            tellers.push(teller.id);
            // Per teller: two published stories, one approved, one draft.
            for n in 0..2 {
                let story = w
                    .publish_new(teller.id, &format!("Published {i}.{n}"))
                    .await;
                stories.push(story.id);
            }
            let approved = fixtures::approved(
                db,
                &w.author,
                &w.editor,
                teller.id,
                &format!("Approved {i}"),
            )
            .await;
            stories.push(approved.id);
            let draft = fixtures::draft(db, &w.author, teller.id, &format!("Draft {i}")).await;
            stories.push(draft.id);
        }
        eprintln!("cache randomized test: seed {seed} (CHORUS_CACHE_SEED={seed} replays it)");
        Self {
            w,
            truth,
            rng: Rng(seed),
            seed,
            tellers,
            stories,
            tags,
            campaigns,
            readers,
            cursors: Vec::new(),
            instants: Vec::new(),
            recent: Vec::new(),
            log: Vec::new(),
        }
    }

    fn db(&self) -> &sea_orm::DatabaseConnection {
        &self.w.app.db
    }

    async fn story(&self, id: Uuid) -> story::Model {
        story::Entity::find_by_id(id)
            .one(self.db())
            .await
            .expect("read")
            .expect("the story")
    }

    /// One random write, straight to the database or through a service: the
    /// change log's triggers see them alike.
    async fn write(&mut self, step: usize) {
        let story = *self.rng.pick(&self.stories);
        let db = self.w.app.db.clone();
        let now = clock::now();
        let what = match self.rng.below(11) {
            0 => {
                story::Entity::update_many()
                    .col_expr(story::Column::State, Expr::value("PUBLISHED"))
                    .col_expr(
                        story::Column::PublishedAt,
                        Expr::value(now - Duration::seconds(1)),
                    )
                    .filter(story::Column::Id.eq(story))
                    .exec(&db)
                    .await
                    .expect("published");
                "publish"
            }
            1 => {
                story::Entity::update_many()
                    .col_expr(story::Column::State, Expr::value("UNPUBLISHED"))
                    .col_expr(
                        story::Column::PublishedAt,
                        Expr::value(Option::<DateTime<Utc>>::None),
                    )
                    .filter(story::Column::Id.eq(story))
                    .exec(&db)
                    .await
                    .expect("unpublished");
                "unpublish"
            }
            2 => {
                let current = self.story(story).await;
                let title = format!("Draft text {step}");
                // Refused in some states (archived, withdrawn): nothing written then.
                let _ = api::stories::save_revision(
                    &db,
                    &self.w.author,
                    story,
                    current.version,
                    "en",
                    api::stories::Text {
                        title,
                        summary: "Summary.".into(),
                        body: "Body.".into(),
                    },
                    None,
                    now,
                )
                .await;
                "save a draft revision"
            }
            3 => {
                story_locale::Entity::update_many()
                    .col_expr(
                        story_locale::Column::PublishedRevisionId,
                        Expr::col(story_locale::Column::HeadRevisionId),
                    )
                    .filter(story_locale::Column::StoryId.eq(story))
                    .exec(&db)
                    .await
                    .expect("text published");
                "publish the head text"
            }
            4 => {
                let tag = self.rng.pick(&self.tags).id;
                let link = story_tag::Entity::find_by_id((story, tag))
                    .one(&db)
                    .await
                    .expect("read");
                match link {
                    Some(_) => {
                        story_tag::Entity::delete_by_id((story, tag))
                            .exec(&db)
                            .await
                            .expect("untagged");
                    }
                    None => {
                        story_tag::ActiveModel {
                            story_id: Set(story),
                            tag_id: Set(tag),
                        }
                        .insert(&db)
                        .await
                        .expect("tagged");
                    }
                }
                "toggle a tag"
            }
            5 => {
                let campaign = self.rng.pick(&self.campaigns).id;
                let link = story_campaign::Entity::find_by_id((story, campaign))
                    .one(&db)
                    .await
                    .expect("read");
                match link {
                    Some(_) => {
                        story_campaign::Entity::delete_by_id((story, campaign))
                            .exec(&db)
                            .await
                            .expect("unlinked");
                    }
                    None => {
                        story_campaign::ActiveModel {
                            story_id: Set(story),
                            campaign_id: Set(campaign),
                        }
                        .insert(&db)
                        .await
                        .expect("linked");
                    }
                }
                "toggle a campaign"
            }
            6 => {
                let tag = self.rng.pick(&self.tags).id;
                tag::Entity::update_many()
                    .col_expr(tag::Column::Name, Expr::value(format!("Tag {step}")))
                    .filter(tag::Column::Id.eq(tag))
                    .exec(&db)
                    .await
                    .expect("renamed");
                "rename a tag"
            }
            7 => {
                let teller = *self.rng.pick(&self.tellers);
                if self.rng.below(2) == 0 {
                    consent_record::Entity::update_many()
                        .col_expr(consent_record::Column::Status, Expr::value("WITHDRAWN"))
                        .filter(consent_record::Column::StorytellerId.eq(teller))
                        .exec(&db)
                        .await
                        .expect("withdrawn");
                    "withdraw a storyteller's consents"
                } else {
                    let channels = [Channel::MobileApp, Channel::PartnerSites];
                    let mut given = terms(&channels[..1 + self.rng.below(2)]);
                    if self.rng.below(2) == 0 {
                        let at = now + Duration::milliseconds(1000 + self.rng.below(3000) as i64);
                        given.expires_at = Some(at);
                        self.instants.push(at);
                    }
                    fixtures::consent(&db, teller, given).await;
                    "give a consent"
                }
            }
            8 => {
                let teller = *self.rng.pick(&self.tellers);
                storyteller::Entity::update_many()
                    .col_expr(
                        storyteller::Column::PublicName,
                        Expr::value(format!("Name {step}")),
                    )
                    .filter(storyteller::Column::Id.eq(teller))
                    .exec(&db)
                    .await
                    .expect("renamed");
                "change a public name"
            }
            9 => {
                let slug = format!("slug-{step}");
                story::Entity::update_many()
                    .col_expr(story::Column::Slug, Expr::value(slug))
                    .filter(story::Column::Id.eq(story))
                    .exec(&db)
                    .await
                    .expect("renamed");
                "change a slug"
            }
            _ => {
                let i = self.rng.below(self.readers.len());
                consumers::revoke_key(&db, &self.w.admin, self.readers[i].id, now)
                    .await
                    .expect("revoked");
                // Read once more with the revoked key, then with a new one.
                self.compare(step, i, LIST_QUERY, json!({ "first": 5 }))
                    .await;
                let (id, secret) = self
                    .w
                    .key(self.readers[i].channel, self.readers[i].partner)
                    .await;
                self.readers[i].id = id;
                self.readers[i].secret = secret;
                "revoke a key"
            }
        };
        self.log.push(format!("{step}: {what} ({story})"));
    }

    /// One random read by one of the keys, compared between the nodes: half
    /// of the time one of the latest reads again, as clients poll.
    async fn read(&mut self, step: usize) {
        if !self.recent.is_empty() && self.rng.below(2) == 0 {
            let (reader, query, variables) = self.rng.pick(&self.recent).clone();
            return self.compare(step, reader, query, variables).await;
        }
        let reader = self.rng.below(self.readers.len());
        if self.rng.below(2) == 0 {
            let mut variables = serde_json::Map::new();
            variables.insert("first".into(), json!(*self.rng.pick(&[3, 20])));
            match self.rng.below(4) {
                0 => {
                    let tag = self.tags[self.rng.below(2)].slug.clone();
                    variables.insert("tag".into(), json!(tag));
                }
                1 => {
                    let campaign = self.campaigns[0].slug.clone();
                    variables.insert("campaign".into(), json!(campaign));
                }
                _ => {}
            }
            if !self.cursors.is_empty() && self.rng.below(5) == 0 {
                let cursor = self.rng.pick(&self.cursors).clone();
                variables.insert("after".into(), json!(cursor));
            }
            self.compare(step, reader, LIST_QUERY, Value::Object(variables))
                .await;
        } else {
            let slug = if self.rng.below(6) == 0 {
                "no-such-story".to_owned()
            } else {
                let id = *self.rng.pick(&self.stories);
                self.story(id).await.slug
            };
            self.compare(step, reader, SLUG_QUERY, json!({ "s": slug }))
                .await;
        }
    }

    /// Sends the read to the node with the cache, then to the one without, and
    /// fails on any difference.
    async fn compare(&mut self, step: usize, reader: usize, query: &'static str, variables: Value) {
        self.recent.push((reader, query, variables.clone()));
        if self.recent.len() > 4 {
            self.recent.remove(0);
        }
        let key = self.readers[reader].secret.clone();
        let started = clock::now();
        let cached = comparable(
            Call::get(&self.w.app)
                .query(query)
                .variables(variables.clone())
                .key(&key)
                .send()
                .await,
        );
        let truth = comparable(
            Call::get(&self.truth)
                .query(query)
                .variables(variables.clone())
                .key(&key)
                .send()
                .await,
        );
        let ended = clock::now();
        let near_an_instant = self.instants.iter().any(|at| {
            *at > started - Duration::milliseconds(300)
                && *at <= ended + Duration::milliseconds(300)
        });
        if !near_an_instant && cached != truth {
            let recent: Vec<&String> = self.log.iter().rev().take(12).collect();
            panic!(
                "seed {seed}, step {step}: the cached answer differs from the truth\n\
                 query: {query}\nvariables: {variables}\nkey: {reader}\n\
                 cached: {cached:#}\ntruth: {truth:#}\nlatest writes, newest first: {recent:#?}",
                seed = self.seed,
            );
        }
        if let Some(edges) = truth["data"]["stories"]["edges"].as_array() {
            for edge in edges {
                if let Some(cursor) = edge["cursor"].as_str()
                    && self.cursors.len() < 4
                    && !self.cursors.iter().any(|c| c == cursor)
                {
                    self.cursors.push(cursor.to_owned());
                }
            }
        }
    }
}

/// What must be the same on both nodes: the status, the data and the error
/// codes (messages carry each request's id).
fn comparable(answer: Answer) -> Value {
    let body = answer.json();
    let codes: Vec<Value> = body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| e["extensions"]["code"].clone())
                .collect()
        })
        .unwrap_or_default();
    json!({ "status": answer.status, "data": body["data"], "errors": codes })
}
