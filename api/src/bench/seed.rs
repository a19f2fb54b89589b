//! The consumer-API benchmark's data set, in the shape of the shared kit's
//! `seed.sql`: campaigns, tags, storytellers, stories `story-1`…`story-N` (story
//! N published when `N % 5 != 0`, story 1 the newest), about three tags and one
//! campaign per story, and published images with web renditions.
//!
//! Storytellers, their consent and the API key go through the real services
//! (encrypted personal fields, consent records with their channels and events,
//! a hashed key), so the consent gate sees exactly what the app would write.
//! Stories, revisions, locales, links and media are bulk-inserted instead of
//! being taken through the workflow (drafting, review, sign-off, publication)
//! one at a time: the rows are the ones the workflow ends with, but there are
//! no audit events, reviews or render jobs behind them. For benchmarks only:
//! the CLI refuses it in production.
//!
//! On PostgreSQL the stories load in one transaction with the change-log
//! triggers (migration 000011) switched off, each batch logging itself once:
//! one raise of the counter and one change row per story. Fired per row, they
//! raised the single counter row some 27 times per story, and PostgreSQL
//! walks that row's growing chain of versions on every raise, so 10,000
//! stories took minutes. The search index (migration 000021) is built once
//! after the load instead of row by row; foreign keys and every other trigger
//! work as for any write. SQLite's triggers cannot be switched off and cost
//! little there.

use async_graphql::futures_util::future::try_join_all;
use chrono::{DateTime, Duration, Utc};
use entity::{
    api_key::Channel,
    campaign,
    consent_event::Via,
    consent_record::{IndicatedBy, Method, Status, Voice},
    media_asset, media_rendition,
    story::{self, Faces, IdentityLevel, LocationPrecision, State},
    story_campaign, story_change, story_locale, story_revision, story_tag, tag,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ConnectionTrait, DatabaseConnection, DbBackend,
    EntityTrait, Iterable, PaginatorTrait, Set,
};
use uuid::Uuid;

use crate::{
    auth::{Principal, Role, principal::Staff, users},
    config::ConsentConfig,
    consent::{self, Decision, Terms},
    consumers::{self, NewKey},
    crypto::KeyRing,
    error::{Error, Result},
    storytellers::{self, NewStoryteller},
};

/// The staff account the seeded rows are attributed to; its password is random
/// and never shown.
pub const ADMIN_EMAIL: &str = "bench-admin@chorus.example";

/// Bind parameters per statement, under SQLite's limit (32,766) and PostgreSQL's (65,535).
const MAX_PARAMS: usize = 30_000;

/// Storytellers created at once on PostgreSQL (the pool holds 10 connections
/// by default).
const STORYTELLERS_SIDE_BY_SIDE: usize = 8;

/// Stories written per transaction.
const STORIES_PER_TXN: usize = 2_000;

/// The tables a batch writes whose rows the change log watches (migration
/// 000011 names each one's trigger `story_changes_<table>`).
const LOGGED_TABLES: [&str; 6] = [
    "stories",
    "story_locales",
    "story_tags",
    "story_campaigns",
    "media_assets",
    "media_renditions",
];

/// Rendition variants of every seeded image, as the render job names them
/// (the share card too, so the sweep's backfill of cards finds nothing to do).
const RENDITIONS: [(&str, &str, i32, i32); 7] = [
    ("card.jpg", "image/jpeg", 1200, 630),
    ("w320.jpg", "image/jpeg", 320, 180),
    ("w320.webp", "image/webp", 320, 180),
    ("w800.jpg", "image/jpeg", 800, 450),
    ("w800.webp", "image/webp", 800, 450),
    ("w1600.jpg", "image/jpeg", 1600, 900),
    ("w1600.webp", "image/webp", 1600, 900),
];

/// How much to seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    pub campaigns: usize,
    pub tags: usize,
    pub storytellers: usize,
    pub stories: usize,
    pub media_per_story: usize,
}

impl Shape {
    /// The benchmark's data set, the same shape as the shared kit's `seed.sql`.
    pub const FULL: Shape = Shape {
        campaigns: 20,
        tags: 50,
        storytellers: 500,
        stories: 10_000,
        media_per_story: 3,
    };
}

/// What was seeded, and the key to read it with.
#[derive(Debug, Clone)]
pub struct Seeded {
    /// A `PUBLIC_WEB` API key, shown once; send it as `X-Api-Key`.
    pub api_key: String,
    pub stories: usize,
    pub published: usize,
    pub media: usize,
}

/// Whether story `n` (1-based) is published: the same set as the kit's `seed.sql`.
pub fn is_published(n: usize) -> bool {
    !n.is_multiple_of(5)
}

/// Seeds an empty database; `CONFLICT` when it already holds stories.
pub async fn seed(
    db: &DatabaseConnection,
    keys: &KeyRing,
    consent_config: &ConsentConfig,
    shape: Shape,
    now: DateTime<Utc>,
) -> Result<Seeded> {
    if story::Entity::find().count(db).await? > 0 {
        return Err(Error::Conflict(
            "the database already holds stories; seed a fresh, empty one".into(),
        ));
    }
    if shape.campaigns == 0 || shape.tags == 0 || shape.storytellers == 0 {
        return Err(Error::invalid(
            "shape",
            "at least one campaign, tag and storyteller",
        ));
    }
    let admin = match users::find_by_email(db, ADMIN_EMAIL).await? {
        Some(user) => user,
        None => {
            users::create(
                db,
                ADMIN_EMAIL,
                &crate::demo::random_password(),
                Role::Admin,
                now,
            )
            .await?
        }
    };
    let editor = Principal::Staff(Staff {
        user_id: admin.id,
        email: admin.email.clone(),
        role: Role::Admin,
        // Services do not look at the session; no request is being served.
        session_id: Uuid::now_v7(),
        organisation_id: entity::organisation::PLATFORM_ID,
    });

    let campaign_ids = seed_campaigns(db, shape.campaigns, now).await?;
    let tag_ids = seed_tags(db, shape.tags, now).await?;
    let teller_ids = seed_storytellers(db, keys, consent_config, &editor, shape, now).await?;

    let numbers = (1..=shape.stories).collect::<Vec<_>>();
    let batches = numbers.chunks(STORIES_PER_TXN).map(|batch| {
        let mut rows = Rows::default();
        for &n in batch {
            rows.add(
                &StorySpec {
                    n,
                    storyteller_id: teller_ids[n % teller_ids.len()],
                    campaign_id: campaign_ids[n % campaign_ids.len()],
                    tag_ids: tags_of(n, &tag_ids),
                    author: admin.id,
                    media: shape.media_per_story,
                },
                now,
            );
        }
        rows
    });
    if db.get_database_backend() == DbBackend::Postgres {
        load_postgres(db, batches, now).await?;
    } else {
        for rows in batches {
            let txn = crate::db::begin_write(db).await?;
            rows.insert(&txn).await?;
            txn.commit().await?;
        }
        // Fresh planner statistics, as the kit's seed.sql ends with; the row
        // counts only. With the value samples of `sqlite_stat4`, SQLite
        // prepares a statement again whenever a parameter it sampled takes a
        // new value, on every request (a seventh of an uncached list's CPU),
        // and a database no one has analysed (every real one) has none.
        db.execute_unprepared("ANALYZE").await?;
        // Only a SQLite built with `SQLITE_ENABLE_STAT4` (the bundled one) has it.
        let stat4 = sea_orm::Statement::from_string(
            DbBackend::Sqlite,
            "SELECT 1 FROM sqlite_schema WHERE name = 'sqlite_stat4'",
        );
        if db.query_one_raw(stat4).await?.is_some() {
            db.execute_unprepared("DELETE FROM sqlite_stat4").await?;
        }
    }
    let published = (1..=shape.stories).filter(|&n| is_published(n)).count();

    let (_, api_key) = consumers::create_key(
        db,
        &editor,
        NewKey {
            name: "Benchmark (PUBLIC_WEB)".into(),
            channel: Channel::PublicWeb,
            partner_id: None,
            campaign_ids: Vec::new(),
            expires_at: None,
        },
        now,
    )
    .await?;
    Ok(Seeded {
        api_key,
        stories: shape.stories,
        published,
        media: shape.stories * shape.media_per_story,
    })
}

/// The stories on PostgreSQL, in one transaction, so that a failed seed
/// leaves nothing behind (not even a missing index): the change-log triggers
/// off and each batch logged once; the search index (migration 000021)
/// dropped and built again from its own definition after the load, which
/// spares it the pending-list churn of row-by-row updates; fresh planner
/// statistics at the end, as the kit's seed.sql ends with (without them
/// PostgreSQL plans for the empty tables it saw last).
async fn load_postgres(
    db: &DatabaseConnection,
    batches: impl Iterator<Item = Rows>,
    now: DateTime<Utc>,
) -> Result<()> {
    let txn = crate::db::begin_write(db).await?;
    // A command-line load, not a request: the pool's per-statement deadline
    // would stop the index build and ANALYZE.
    txn.execute_unprepared("SET LOCAL statement_timeout = 0")
        .await?;
    let search_index = txn
        .query_one_raw(sea_orm::Statement::from_string(
            DbBackend::Postgres,
            "SELECT pg_get_indexdef(c.oid) AS definition FROM pg_class c \
             WHERE c.relname = 'idx_story_revisions_search' AND c.relkind = 'i'",
        ))
        .await?
        .map(|row| row.try_get::<String>("", "definition"))
        .transpose()?;
    if search_index.is_some() {
        txn.execute_unprepared("DROP INDEX idx_story_revisions_search")
            .await?;
    }
    change_log_triggers(&txn, "DISABLE").await?;
    for rows in batches {
        let stories = rows.story_ids.clone();
        rows.insert(&txn).await?;
        log_changes(&txn, stories, now).await?;
    }
    change_log_triggers(&txn, "ENABLE").await?;
    if let Some(definition) = search_index {
        txn.execute_unprepared("SET LOCAL maintenance_work_mem = '256MB'")
            .await?;
        txn.execute_unprepared(&definition).await?;
    }
    txn.execute_unprepared(ANALYZE_POSTGRES).await?;
    txn.commit().await?;
    Ok(())
}

/// `ANALYZE` of every table, `story_revisions` with its columns named: that
/// leaves out the search index's expression, whose statistics would make
/// PostgreSQL compute the weighted document of every sampled revision once
/// more (as long as building the index); autovacuum gathers them later.
const ANALYZE_POSTGRES: &str = "DO $$
    DECLARE tables text; columns text;
    BEGIN
        SELECT string_agg(format('%I', attname), ', ') INTO columns FROM pg_attribute
            WHERE attrelid = 'story_revisions'::regclass AND attnum > 0 AND NOT attisdropped;
        SELECT string_agg(format('%I', tablename), ', ') INTO tables FROM pg_tables
            WHERE schemaname = current_schema() AND tablename <> 'story_revisions';
        EXECUTE format('ANALYZE %s, story_revisions (%s)', tables, columns);
    END $$";

/// Turns the change-log triggers of the seeded tables off or back on
/// (`action`: `DISABLE` or `ENABLE`). PostgreSQL only; `ALTER TABLE` is
/// transactional there, so a load that fails leaves them on.
async fn change_log_triggers(txn: &impl ConnectionTrait, action: &str) -> Result<()> {
    for table in LOGGED_TABLES {
        txn.execute_unprepared(&format!(
            "ALTER TABLE {table} {action} TRIGGER story_changes_{table}"
        ))
        .await?;
    }
    Ok(())
}

/// What the switched-off triggers would have logged for a batch, as one
/// write: the counter raised once (its row stays locked until the load
/// commits, which keeps versions in commit order) and one change row per story.
async fn log_changes(
    txn: &impl ConnectionTrait,
    stories: Vec<Uuid>,
    now: DateTime<Utc>,
) -> Result<()> {
    let row = txn
        .query_one_raw(sea_orm::Statement::from_string(
            DbBackend::Postgres,
            "UPDATE story_change_counter SET value = value + 1 WHERE id = 1 RETURNING value",
        ))
        .await?
        .ok_or_else(|| Error::Internal("story_change_counter has no row".into()))?;
    let version: i64 = row.try_get("", "value")?;
    let changes = stories
        .into_iter()
        .map(|story_id| story_change::ActiveModel {
            id: NotSet,
            version: Set(version),
            story_id: Set(story_id),
            changed_at: Set(now),
            // Seeded stories are published: flagged as the triggers would.
            public: Set(true),
        })
        .collect();
    insert_all(txn, changes).await
}

async fn seed_campaigns(
    db: &DatabaseConnection,
    count: usize,
    now: DateTime<Utc>,
) -> Result<Vec<Uuid>> {
    let ids: Vec<Uuid> = (0..count).map(|_| Uuid::now_v7()).collect();
    let rows: Vec<campaign::ActiveModel> = (1..=count)
        .zip(&ids)
        .map(|(g, &id)| {
            campaign::ActiveModel::from(campaign::Model {
                id,
                slug: format!("campaign-{g}"),
                name: format!("Campaign {g}"),
                hashtag: None,
                starts_on: None,
                ends_on: None,
                description: format!("Description of campaign {g}"),
                created_at: now,
                updated_at: now,
                organisation_id: entity::organisation::PLATFORM_ID,
                share_url_pattern: None,
            })
        })
        .collect();
    insert_all(db, rows).await?;
    Ok(ids)
}

async fn seed_tags(db: &DatabaseConnection, count: usize, now: DateTime<Utc>) -> Result<Vec<Uuid>> {
    let ids: Vec<Uuid> = (0..count).map(|_| Uuid::now_v7()).collect();
    let rows: Vec<tag::ActiveModel> = (1..=count)
        .zip(&ids)
        .map(|(g, &id)| {
            tag::ActiveModel::from(tag::Model {
                id,
                slug: format!("tag-{g}"),
                name: format!("Tag {g}"),
                description: String::new(),
                created_at: now,
                updated_at: now,
            })
        })
        .collect();
    insert_all(db, rows).await?;
    Ok(ids)
}

/// Storytellers named `teller_N` (a pseudonym the consent lets the public see),
/// each with a consent for `PUBLIC_WEB` given a month ago and valid for a year.
async fn seed_storytellers(
    db: &DatabaseConnection,
    keys: &KeyRing,
    consent_config: &ConsentConfig,
    editor: &Principal,
    shape: Shape,
    now: DateTime<Utc>,
) -> Result<Vec<Uuid>> {
    let one = |g: usize| async move {
        let teller = storytellers::create(
            db,
            keys,
            editor,
            NewStoryteller {
                public_name: format!("teller_{g}"),
                public_name_is_pseudonym: true,
                legal_name: format!("(bench) invented legal name {g}"),
                year_of_birth: Some(1980),
                languages: vec!["en".into()],
                ..Default::default()
            },
            now,
        )
        .await?;
        consent::records::record(
            db,
            editor,
            consent_config,
            teller.id,
            Status::Given,
            terms(now),
            Decision {
                indicated_by: IndicatedBy::Storyteller,
                via: Via::InPerson,
            },
            now,
        )
        .await?;
        Ok::<_, Error>(teller.id)
    };
    // Each storyteller is a few committed transactions of its own; on
    // PostgreSQL, several at once share the waits for the disk. SQLite has
    // one writer at a time anyway.
    let side_by_side = match db.get_database_backend() {
        DbBackend::Postgres => STORYTELLERS_SIDE_BY_SIDE,
        _ => 1,
    };
    let numbers: Vec<usize> = (1..=shape.storytellers).collect();
    let mut ids = Vec::with_capacity(shape.storytellers);
    for group in numbers.chunks(side_by_side) {
        ids.extend(try_join_all(group.iter().map(|&g| one(g))).await?);
    }
    Ok(ids)
}

fn terms(now: DateTime<Utc>) -> Terms {
    Terms {
        story_id: None,
        channels: vec![Channel::PublicWeb],
        partner_ids: Vec::new(),
        all_partners: false,
        identity_level: IdentityLevel::Pseudonym,
        faces: Faces::Obscured,
        voice: Voice::Original,
        location_precision: LocationPrecision::Country,
        special_categories: Vec::new(),
        explicit: false,
        // Before every seeded publication (the oldest is N minutes old).
        given_at: Some(now - Duration::days(30)),
        expires_at: Some(now + Duration::days(365)),
        method: Method::Written,
        language: "en".into(),
        interpreter: None,
        notice_version: "bench-2026-01".into(),
        notice_hash: "sha256:bench".into(),
        collected_by: "Benchmark seed".into(),
        jurisdiction: "GB".into(),
        guardian_consent: false,
        child_assent: false,
        evidence_ref: None,
        witness: None,
        operations: None,
    }
}

/// The kit's tag rule: the distinct values of `(n * k * 7919) mod tags`, k = 1…3.
fn tags_of(n: usize, tag_ids: &[Uuid]) -> Vec<Uuid> {
    let mut picked: Vec<usize> = (1..=3).map(|k| (n * k * 7919) % tag_ids.len()).collect();
    picked.sort_unstable();
    picked.dedup();
    picked.into_iter().map(|i| tag_ids[i]).collect()
}

struct StorySpec {
    n: usize,
    storyteller_id: Uuid,
    campaign_id: Uuid,
    tag_ids: Vec<Uuid>,
    author: Uuid,
    media: usize,
}

/// One batch's rows, table by table.
#[derive(Default)]
struct Rows {
    story_ids: Vec<Uuid>,
    stories: Vec<story::ActiveModel>,
    revisions: Vec<story_revision::ActiveModel>,
    locales: Vec<story_locale::ActiveModel>,
    campaigns: Vec<story_campaign::ActiveModel>,
    tags: Vec<story_tag::ActiveModel>,
    media: Vec<media_asset::ActiveModel>,
    renditions: Vec<media_rendition::ActiveModel>,
}

impl Rows {
    fn add(&mut self, spec: &StorySpec, now: DateTime<Utc>) {
        let n = spec.n;
        let minutes = i64::try_from(n).unwrap_or(i64::MAX);
        // Story 1 is the newest, one minute between stories, as in the kit.
        let at = now - Duration::minutes(minutes);
        let created = at - Duration::days(1);
        let published = is_published(n);
        let id = Uuid::now_v7();
        let revision_id = Uuid::now_v7();
        self.story_ids.push(id);
        self.stories.push(
            story::Model {
                id,
                slug: format!("story-{n}"),
                storyteller_id: spec.storyteller_id,
                primary_locale: "en".into(),
                region: Some("United Kingdom / London".into()),
                state: if published {
                    State::Published
                } else {
                    State::Draft
                },
                version: if published { 4 } else { 1 },
                identity_level: IdentityLevel::Pseudonym,
                faces: Faces::Obscured,
                location_precision: LocationPrecision::Country,
                created_by: spec.author,
                // The bench's authors are platform staff.
                organisation_id: entity::organisation::PLATFORM_ID,
                share_media_id: None,
                submitted_by: published.then_some(spec.author),
                submitted_at: published.then_some(created),
                approved_by: published.then_some(spec.author),
                approved_at: published.then_some(at),
                publish_at: None,
                unpublish_at: None,
                published_at: published.then_some(at),
                first_published_at: published.then_some(at),
                created_at: created,
                updated_at: if published { at } else { created },
            }
            .into(),
        );
        self.revisions.push(
            story_revision::Model {
                id: revision_id,
                story_id: id,
                locale: "en".into(),
                number: 1,
                title: format!("Story title number {n}"),
                summary: format!(
                    "This is the excerpt of story {n}, a short teaser of about one sentence for listing pages."
                ),
                body: format!(
                    "{} Story {n}",
                    "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ".repeat(40)
                ),
                author_id: spec.author,
                note: None,
                restored_from: None,
                created_at: created,
            }
            .into(),
        );
        self.locales.push(
            story_locale::Model {
                id: Uuid::now_v7(),
                story_id: id,
                locale: "en".into(),
                head_revision_id: revision_id,
                approved_revision_id: published.then_some(revision_id),
                published_revision_id: published.then_some(revision_id),
            }
            .into(),
        );
        self.campaigns.push(
            story_campaign::Model {
                story_id: id,
                campaign_id: spec.campaign_id,
            }
            .into(),
        );
        for &tag_id in &spec.tag_ids {
            self.tags.push(
                story_tag::Model {
                    story_id: id,
                    tag_id,
                }
                .into(),
            );
        }
        for p in 0..spec.media {
            self.add_image(id, n, p, spec.author, created);
        }
    }

    /// A cleaned, public image without faces, with current renditions: what
    /// intake plus the render job leave. No bytes are stored; listing and
    /// signing URLs never read them.
    fn add_image(&mut self, story_id: Uuid, n: usize, p: usize, author: Uuid, at: DateTime<Utc>) {
        let id = Uuid::now_v7();
        self.media.push(
            media_asset::Model {
                id,
                story_id: Some(story_id),
                storyteller_id: None,
                kind: media_asset::Kind::Image,
                mime: "image/jpeg".into(),
                size_bytes: 400_000,
                sha256: format!("{:064x}", id.as_u128()),
                storage_key: format!("media/{id}/original.jpg"),
                width: Some(1600),
                height: Some(900),
                duration_ms: None,
                alt_text: Some(format!("Alt text {n}/{p}")),
                caption: Some(format!("Caption {n}/{p}")),
                credit: None,
                shows_faces: false,
                faces_reviewed_at: None,
                faces_reviewed_by: None,
                masks_generation: 0,
                renditions_generation: Some(0),
                private: false,
                metadata_status: media_asset::MetadataStatus::Cleaned,
                state: media_asset::State::Ready,
                created_by: author,
                organisation_id: entity::organisation::PLATFORM_ID,
                created_at: at,
                updated_at: at,
            }
            .into(),
        );
        let prefix = crate::media::renditions::generation_prefix(id, 0);
        for (variant, mime, width, height) in RENDITIONS {
            self.renditions.push(
                media_rendition::Model {
                    media_id: id,
                    variant: variant.into(),
                    storage_key: format!("{prefix}{variant}"),
                    mime: mime.into(),
                    width: Some(width),
                    height: Some(height),
                    size_bytes: i64::from(width) * i64::from(height) / 8,
                    created_at: at,
                }
                .into(),
            );
        }
    }

    async fn insert(self, txn: &impl ConnectionTrait) -> Result<()> {
        insert_all(txn, self.stories).await?;
        insert_all(txn, self.revisions).await?;
        insert_all(txn, self.locales).await?;
        insert_all(txn, self.campaigns).await?;
        insert_all(txn, self.tags).await?;
        insert_all(txn, self.media).await?;
        insert_all(txn, self.renditions).await?;
        Ok(())
    }
}

/// Multi-row inserts, as many rows per statement as the bind limit allows.
async fn insert_all<A>(db: &impl ConnectionTrait, rows: Vec<A>) -> Result<()>
where
    A: ActiveModelTrait + Send,
{
    let columns = <A::Entity as EntityTrait>::Column::iter().count().max(1);
    let per_statement = (MAX_PARAMS / columns).max(1);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(per_statement).collect();
        A::Entity::insert_many(chunk)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_follow_the_kits_rule_and_are_distinct() {
        let ids: Vec<Uuid> = (0..50).map(|_| Uuid::now_v7()).collect();
        let picked = tags_of(1, &ids);
        // 7919, 15838, 23757 mod 50 = 19, 38, 7.
        assert_eq!(picked, vec![ids[7], ids[19], ids[38]]);
        assert!(tags_of(50, &ids).len() == 1);
    }

    #[test]
    fn every_fifth_story_is_unpublished() {
        let published = (1..=10_000).filter(|&n| is_published(n)).count();
        assert_eq!(published, 8_000);
    }
}
