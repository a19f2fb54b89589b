//! Demo storytellers, their consent and their stories, taken through the real
//! workflow (draft, submit, sign-off, risk assessment, approval, publication),
//! so that a first look at the consumer API shows the consent gate at work. Every
//! person and every word here is invented.

use chrono::{DateTime, Utc};
use entity::{
    api_key::Channel,
    consent_event::Via,
    consent_record::{IndicatedBy, Method, Status, Voice},
    risk_assessment,
    story::{Faces, IdentityLevel, LocationPrecision},
    storyteller_review,
};
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait};
use uuid::Uuid;

use crate::{
    auth::{Principal, Role, principal::Staff, users},
    campaigns,
    config::ConsentConfig,
    consent::{self, Decision, Terms},
    consumers::{self, NewKey},
    crypto::KeyRing,
    error::Result,
    stories::{self, NewStory, Text, review, workflow},
    storytellers::{self, NewStoryteller},
};

/// The demo's second staff account: stories need an author other than their approver.
pub const CONTRIBUTOR_EMAIL: &str = "contributor@chorus.example";

struct DemoStory {
    public_name: &'static str,
    pseudonym: bool,
    refugee: bool,
    languages: &'static [&'static str],
    title: &'static str,
    summary: &'static str,
    body: &'static str,
    region: &'static str,
    campaign: &'static str,
    tags: &'static [&'static str],
    channels: &'static [Channel],
    identity: IdentityLevel,
    precision: LocationPrecision,
    /// Left as a draft: staff see it, consumers never do.
    publish: bool,
}

const STORIES: &[DemoStory] = &[
    DemoStory {
        public_name: "Nadia",
        pseudonym: true,
        refugee: true,
        languages: &["ar", "en"],
        title: "The first winter",
        summary: "Snow, a borrowed coat and a neighbour who knocked with soup.",
        body: "The first winter I did not own a coat. A neighbour I had never spoken to knocked with soup and a coat that belonged to her son.\n\nNow I knock on doors with soup.",
        region: "United Kingdom / Yorkshire / Leeds",
        campaign: "international-migrants-day-2023",
        tags: &["community", "home"],
        channels: &[Channel::PublicWeb, Channel::MobileApp],
        identity: IdentityLevel::Pseudonym,
        precision: LocationPrecision::Country,
        publish: true,
    },
    DemoStory {
        public_name: "Tomás Rivera",
        pseudonym: false,
        refugee: false,
        languages: &["es", "en"],
        title: "Night shifts on the ward",
        summary: "Twelve years of nights in a hospital that became a second home.",
        body: "I came to train for one year and stayed for twelve. On nights the ward is quiet enough to hear every patient breathe.",
        region: "United Kingdom / North West / Manchester",
        campaign: "migrants-contribute",
        tags: &["nhs", "key-workers", "work"],
        channels: &[Channel::PublicWeb, Channel::PartnerSites],
        identity: IdentityLevel::FullName,
        precision: LocationPrecision::Region,
        publish: true,
    },
    DemoStory {
        public_name: "Mei",
        pseudonym: true,
        refugee: false,
        languages: &["zh", "en"],
        title: "Dumplings on Sundays",
        summary: "A kitchen table, three generations and a recipe nobody wrote down.",
        body: "Every Sunday the table is covered in flour. My daughter folds them better than I do.",
        region: "United Kingdom / London",
        campaign: "we-are-all-migrants",
        tags: &["food", "family"],
        channels: &[Channel::MobileApp],
        identity: IdentityLevel::Pseudonym,
        precision: LocationPrecision::Country,
        publish: true,
    },
    DemoStory {
        public_name: "Samir",
        pseudonym: true,
        refugee: false,
        languages: &["fa", "en"],
        title: "Learning the bus routes",
        summary: "A draft still being written with the storyteller.",
        body: "Draft: the storyteller is still deciding what to tell.",
        region: "United Kingdom",
        campaign: "international-migrants-day-2022",
        tags: &["education"],
        channels: &[Channel::PublicWeb],
        identity: IdentityLevel::Anonymous,
        precision: LocationPrecision::None,
        publish: false,
    },
];

/// Loads the demo stories once (nothing happens if any storyteller exists) and
/// returns a demo `PUBLIC_WEB` API key, shown once.
pub async fn load(
    db: &DatabaseConnection,
    keys: &KeyRing,
    consent_config: &ConsentConfig,
    now: DateTime<Utc>,
) -> Result<Option<String>> {
    if entity::storyteller::Entity::find().count(db).await? > 0 {
        return Ok(None);
    }
    let Some(admin) = users::find_by_email(db, super::ADMIN_EMAIL).await? else {
        return Ok(None);
    };
    let contributor = match users::find_by_email(db, CONTRIBUTOR_EMAIL).await? {
        Some(user) => user,
        // Never shown: the account exists to author the demo stories.
        None => {
            users::create(
                db,
                CONTRIBUTOR_EMAIL,
                &super::random_password(),
                Role::Contributor,
                now,
            )
            .await?
        }
    };
    let editor = staff(admin.id, &admin.email, Role::Admin);
    let author = staff(contributor.id, &contributor.email, Role::Contributor);

    for demo in STORIES {
        let teller = storytellers::create(
            db,
            keys,
            &editor,
            NewStoryteller {
                public_name: demo.public_name.into(),
                public_name_is_pseudonym: demo.pseudonym,
                legal_name: format!("(demo) invented legal name of {}", demo.public_name),
                year_of_birth: Some(1988),
                languages: demo.languages.iter().map(|l| (*l).to_owned()).collect(),
                refugee: demo.refugee,
                ..Default::default()
            },
            now,
        )
        .await?;
        let mut campaign_ids = Vec::new();
        if let Some(c) = campaigns::find_by_slug(db, None, demo.campaign).await? {
            campaign_ids.push(c.id);
        }
        let mut tag_ids = Vec::new();
        for slug in demo.tags {
            if let Some(t) = campaigns::tags::find_by_slug(db, slug).await? {
                tag_ids.push(t.id);
            }
        }
        consent::records::record(
            db,
            &editor,
            consent_config,
            teller.id,
            Status::Given,
            terms(demo),
            Decision {
                indicated_by: IndicatedBy::Storyteller,
                via: Via::InPerson,
            },
            now,
        )
        .await?;
        let story = stories::create(
            db,
            &author,
            NewStory {
                storyteller_id: teller.id,
                slug: None,
                primary_locale: "en".into(),
                text: Text {
                    title: demo.title.into(),
                    summary: demo.summary.into(),
                    body: demo.body.into(),
                },
                region: Some(demo.region.into()),
                campaign_ids,
                tag_ids,
                note: None,
            },
            now,
        )
        .await?;
        let story = stories::update_details(
            db,
            &editor,
            story.id,
            story.version,
            stories::DetailChanges {
                identity_level: Some(demo.identity),
                location_precision: Some(demo.precision),
                faces: Some(Faces::Obscured),
                ..Default::default()
            },
            now,
        )
        .await?;
        if !demo.publish {
            continue;
        }
        let story = workflow::submit(db, &author, story.id, None, now).await?;
        let head = stories::head_revision(db, &story, "en").await?;
        review::record_storyteller_review(
            db,
            &author,
            head.id,
            storyteller_review::Method::InPerson,
            now,
            Some("Read aloud together and agreed.".into()),
            now,
        )
        .await?;
        if demo.refugee {
            review::record_risk_assessment(
                db,
                &editor,
                story.id,
                review::NewAssessment {
                    assessor: "Demo safeguarding lead".into(),
                    assessed_on: now.date_naive(),
                    level: risk_assessment::Level::Medium,
                    mitigations: "Pseudonym only; location no finer than the country.".into(),
                },
                now,
            )
            .await?;
        }
        workflow::approve(db, &editor, true, story.id, None, now).await?;
        workflow::publish(db, &editor, story.id, None, None, now).await?;
    }

    let (_, secret) = consumers::create_key(
        db,
        &editor,
        NewKey {
            name: "Demo campaign site (PUBLIC_WEB)".into(),
            channel: Channel::PublicWeb,
            partner_id: None,
            campaign_ids: Vec::new(),
            expires_at: None,
        },
        now,
    )
    .await?;
    Ok(Some(secret))
}

fn staff(user_id: Uuid, email: &str, role: Role) -> Principal {
    Principal::Staff(Staff {
        user_id,
        email: email.to_owned(),
        role,
        // Services do not look at the session; no request is being served.
        session_id: Uuid::now_v7(),
        organisation_id: entity::organisation::PLATFORM_ID,
    })
}

fn terms(demo: &DemoStory) -> Terms {
    let partner_sites = demo.channels.contains(&Channel::PartnerSites);
    Terms {
        story_id: None,
        channels: demo.channels.to_vec(),
        partner_ids: Vec::new(),
        all_partners: partner_sites,
        identity_level: demo.identity,
        faces: Faces::Obscured,
        voice: Voice::TextOnly,
        location_precision: demo.precision,
        special_categories: Vec::new(),
        explicit: false,
        given_at: None,
        expires_at: None,
        method: Method::Written,
        language: "en".into(),
        interpreter: None,
        notice_version: "demo-2026-01".into(),
        notice_hash: "sha256:demo".into(),
        collected_by: "Demo field worker".into(),
        jurisdiction: "GB".into(),
        guardian_consent: false,
        child_assent: false,
        evidence_ref: None,
        witness: None,
        operations: None,
    }
}
