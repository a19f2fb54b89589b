//! Demo content for a first look: campaigns and tags modelled on real campaign
//! themes, a demo admin with a random password, and ([`stories`]) invented
//! storytellers with consent and stories. No real people appear here.
//!
//! Loaded on the first start with an empty embedded database, and by `chorus demo`;
//! never in production (the configuration refuses it).

use chrono::{DateTime, NaiveDate, Utc};
use entity::{campaign, tag};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, PaginatorTrait};
use uuid::Uuid;

pub mod stories;

use crate::{
    auth::{Role, random_bytes, users},
    campaigns,
    error::Result,
};

/// The demo admin's email address (`.example` is reserved for examples).
pub const ADMIN_EMAIL: &str = "admin@chorus.example";

/// Credentials of a demo admin created just now; shown once, never stored in clear.
#[derive(Debug, Clone)]
pub struct DemoAdmin {
    pub email: String,
    pub password: String,
}

struct DemoCampaign {
    slug: &'static str,
    name: &'static str,
    hashtag: &'static str,
    starts_on: (i32, u32, u32),
    ends_on: (i32, u32, u32),
    description: &'static str,
}

const CAMPAIGNS: &[DemoCampaign] = &[
    DemoCampaign {
        slug: "international-migrants-day-2022",
        name: "International Migrants Day 2022: It Takes A Community",
        hashtag: "#ItTakesACommunity",
        starts_on: (2022, 11, 28),
        ends_on: (2022, 12, 18),
        description: "Stories of the neighbours, key workers and volunteers who make a place home, told by trained migrant ambassadors.",
    },
    DemoCampaign {
        slug: "international-migrants-day-2023",
        name: "International Migrants Day 2023: I Am A Migrant",
        hashtag: "#IAmAMigrant",
        starts_on: (2023, 11, 27),
        ends_on: (2023, 12, 18),
        description: "First-person stories that put a face and a voice to migration: work, family, food and the journeys behind them.",
    },
    DemoCampaign {
        slug: "we-are-all-migrants",
        name: "We Are All Migrants",
        hashtag: "#WeAreAllMigrants",
        starts_on: (2024, 3, 1),
        ends_on: (2024, 6, 30),
        description: "Share your own or your family's migration story, and stand together against racism and for the rights of refugees and EU citizens.",
    },
    DemoCampaign {
        slug: "migrants-contribute",
        name: "Migrants Contribute",
        hashtag: "#MigrantsContribute",
        starts_on: (2024, 9, 1),
        ends_on: (2024, 11, 30),
        description: "The everyday contribution of migrants: the restaurants, care homes, classrooms and hospitals they keep running.",
    },
    DemoCampaign {
        slug: "one-day-without-us-2027",
        name: "One Day Without Us 2027",
        hashtag: "#1DayWithoutUs",
        starts_on: (2027, 2, 20),
        ends_on: (2027, 2, 20),
        description: "A national day of action: local events in workplaces, universities and the NHS showing what a day without migrants would mean.",
    },
];

const TAGS: &[(&str, &str, &str)] = &[
    (
        "community",
        "Community",
        "Neighbours, volunteers and the places people gather.",
    ),
    (
        "work",
        "Work",
        "Jobs, workplaces and what it takes to get there.",
    ),
    (
        "nhs",
        "The NHS",
        "Doctors, nurses, carers and cleaners keeping the health service running.",
    ),
    (
        "key-workers",
        "Key workers",
        "The people who kept everything going when it mattered most.",
    ),
    (
        "family",
        "Family",
        "Those who came together, those left behind, those found again.",
    ),
    (
        "food",
        "Food",
        "Recipes, restaurants and the taste of home.",
    ),
    ("home", "Home", "What home means after moving."),
    (
        "climate",
        "Climate",
        "Leaving because the land or the weather changed.",
    ),
    (
        "afghan-evacuation",
        "Afghan evacuation",
        "Arriving after the evacuation from Afghanistan.",
    ),
    (
        "anti-racism",
        "Anti-racism",
        "Standing up to racism and discrimination.",
    ),
    (
        "education",
        "Education",
        "Schools, universities and learning a new language.",
    ),
];

/// True when the database holds no accounts and no campaigns: a first start.
pub async fn is_empty(db: &impl ConnectionTrait) -> Result<bool> {
    Ok(users::count(db).await? == 0 && campaign::Entity::find().count(db).await? == 0)
}

/// Adds whatever demo content is missing and, if there is no demo admin yet,
/// creates one and returns its credentials.
pub async fn load(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<Option<DemoAdmin>> {
    for c in CAMPAIGNS {
        if campaigns::find_by_slug(db, None, c.slug).await?.is_some() {
            continue;
        }
        campaign::ActiveModel::from(campaign::Model {
            id: Uuid::now_v7(),
            slug: c.slug.into(),
            name: c.name.into(),
            hashtag: Some(c.hashtag.into()),
            starts_on: date(c.starts_on),
            ends_on: date(c.ends_on),
            description: c.description.into(),
            created_at: now,
            updated_at: now,
            organisation_id: entity::organisation::PLATFORM_ID,
            share_url_pattern: None,
        })
        .insert(db)
        .await?;
    }
    for (slug, name, description) in TAGS {
        if campaigns::tags::find_by_slug(db, slug).await?.is_some() {
            continue;
        }
        tag::ActiveModel::from(tag::Model {
            id: Uuid::now_v7(),
            slug: (*slug).into(),
            name: (*name).into(),
            description: (*description).into(),
            created_at: now,
            updated_at: now,
        })
        .insert(db)
        .await?;
    }
    if users::find_by_email(db, ADMIN_EMAIL).await?.is_some() {
        return Ok(None);
    }
    let password = random_password();
    users::create(db, ADMIN_EMAIL, &password, Role::Admin, now).await?;
    Ok(Some(DemoAdmin {
        email: ADMIN_EMAIL.into(),
        password,
    }))
}

fn date((y, m, d): (i32, u32, u32)) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

/// 20 characters from an alphabet without look-alikes (no 0/O, 1/l/I).
pub(crate) fn random_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    random_bytes(20)
        .into_iter()
        .map(|b| ALPHABET[usize::from(b) % ALPHABET.len()] as char)
        .collect()
}
