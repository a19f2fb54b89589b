//! Stories sent in by storytellers themselves, through a campaign site's form
//! and its `SUBMISSIONS` key (see `docs/SUBMISSIONS.md`).
//!
//! A submission becomes, in one transaction, a storyteller (contact encrypted,
//! or none), a draft story in the key's campaign, the consent given on the form
//! (`GIVEN`, method `ONLINE_FORM`), a withdrawal code, its media, and a
//! `submissions` row that flags the draft as sent in. Nothing of it is visible
//! to any reader until the normal workflow publishes it.
//!
//! Abuse is held off without any third-party service: a proof of work Chorus
//! issued ([`proof`]) spent once, a honeypot field, size limits, per-key and
//! per-address limits per hour reserved under a lock (like login attempts:
//! SQLite's write lock, PostgreSQL advisory locks), and blocks editors place
//! ([`spam`]). Addresses are kept only as a keyed hash.

pub mod proof;
pub mod spam;

use std::path::PathBuf;

use chrono::{DateTime, Datelike, Utc};
use entity::{
    api_key::{self, Channel},
    campaign,
    consent_record::{Method, Voice},
    spent_challenge,
    story::{self, Faces, IdentityLevel, LocationPrecision},
    submission,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    DbBackend, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set, Statement,
    sea_query::Expr,
};
use serde_json::json;
use uuid::Uuid;

pub use proof::derive_secret;

use crate::{
    audit::{self, Actor, Event},
    auth::{Principal, principal::Consumer},
    config::Config,
    consent::{
        Consent, SpecialCategory,
        receipt::{self, Receipt},
        records::{self, Terms},
    },
    crypto::KeyRing,
    error::{Error, Result, is_unique_violation},
    locale,
    media::{
        intake::{self, Limits, Owner, Stored},
        sniff::MediaKind,
    },
    storage::ObjectStore,
    stories::{self, NewStory, Text},
    storytellers::{self, NewStoryteller},
};

/// Longest contact detail kept (an email address, a phone number, a postal address).
const MAX_CONTACT_LEN: usize = 500;
/// The window the per-key and per-address limits count in.
const WINDOW: chrono::TimeDelta = chrono::TimeDelta::hours(1);

/// The consent given on the form.
#[derive(Debug, Clone)]
pub struct FormConsent {
    pub channels: Vec<Channel>,
    /// With `PARTNER_SITES`: every partner, present and future (a form cannot
    /// name partners by id).
    pub all_partners: bool,
    pub identity_level: IdentityLevel,
    pub faces: Faces,
    pub voice: Voice,
    pub location_precision: LocationPrecision,
    pub special_categories: Vec<SpecialCategory>,
    pub explicit: bool,
    /// The form's language (BCP 47); the receipt is printed in it.
    pub language: String,
    pub notice_version: String,
    pub notice_hash: String,
    pub jurisdiction: String,
}

/// A story as the form sends it.
#[derive(Debug, Clone)]
pub struct Sent {
    pub text: Text,
    /// The language the story is written in (BCP 47).
    pub locale: String,
    pub public_name: String,
    pub public_name_is_pseudonym: bool,
    /// `None`: anonymous, no way back to the person but their withdrawal code.
    pub contact: Option<String>,
    pub year_of_birth: i32,
    pub region: Option<String>,
    pub consent: FormConsent,
    /// The form's trap field: people leave it empty, bots fill it in.
    pub honeypot: Option<String>,
    /// The solved challenge, as ALTCHA sends it.
    pub proof: Option<String>,
    /// Uploaded files (temp files the caller owns and removes).
    pub files: Vec<PathBuf>,
}

/// What the storyteller is handed at once.
#[derive(Debug, Clone)]
pub struct Received {
    pub story: story::Model,
    pub received_at: DateTime<Utc>,
    pub consent: Consent,
    pub receipt: Receipt,
    pub withdrawal_code: String,
}

/// The submission key behind a request, or `FORBIDDEN`/`UNAUTHENTICATED`.
pub fn submission_key(principal: &Principal) -> Result<&Consumer> {
    match principal {
        Principal::Consumer(c) if !c.channel.shows_stories() => Ok(c),
        Principal::Anonymous => Err(Error::Unauthenticated(
            "send a SUBMISSIONS key in the `X-Api-Key` header".into(),
        )),
        _ => Err(Error::Forbidden(
            "only a campaign site's SUBMISSIONS key sends stories in".into(),
        )),
    }
}

/// A challenge for the calling submission key.
pub fn challenge(
    config: &Config,
    principal: &Principal,
    now: DateTime<Utc>,
) -> Result<proof::Challenge> {
    let key = submission_key(principal)?;
    let s = &config.submissions;
    let ttl = chrono::Duration::from_std(s.challenge_ttl).unwrap_or(chrono::Duration::minutes(20));
    Ok(proof::issue(
        s.secret.as_bytes(),
        key.key_id,
        s.max_number,
        now + ttl,
    ))
}

/// Takes in a story sent through a campaign site (see the module).
#[allow(clippy::too_many_arguments)]
pub async fn submit(
    db: &DatabaseConnection,
    store: &dyn ObjectStore,
    config: &Config,
    keys: &KeyRing,
    principal: &Principal,
    sent: Sent,
    client_address: &str,
    now: DateTime<Utc>,
) -> Result<Received> {
    let key = submission_key(principal)?;
    let settings = &config.submissions;
    if sent
        .honeypot
        .as_deref()
        .is_some_and(|h| !h.trim().is_empty())
    {
        tracing::info!(api_key = %key.key_id, "submission refused: honeypot filled in");
        return Err(Error::refused(
            "HONEYPOT",
            "this submission looks automated and was not accepted",
        ));
    }
    let Some(payload) = sent.proof.as_deref().filter(|p| !p.trim().is_empty()) else {
        return Err(Error::refused(
            "PROOF_MISSING",
            "send the solved challenge (`submissionChallenge`) as `proof`",
        ));
    };
    let verified = proof::verify(settings.secret.as_bytes(), payload, key.key_id, now)?;
    let [campaign_id] = key.campaign_ids[..] else {
        return Err(Error::Forbidden(
            "this SUBMISSIONS key is not bound to exactly one campaign".into(),
        ));
    };
    validate(&sent, settings.max_body_bytes, config.media_max_files, now)?;
    let address_hash = proof::address_hash(settings.secret.as_bytes(), client_address);
    spam::require_not_blocked(db, key.key_id, &address_hash, now).await?;

    let stored = store_files(store, &sent.files, &Limits::from_config(config)).await?;
    let outcome = async {
        let txn = crate::db::begin_write(db).await?;
        reserve(&txn, config, key.key_id, &address_hash, now).await?;
        spend(&txn, &verified, key.key_id, now).await?;
        let received = create(
            &txn,
            config,
            keys,
            key.key_id,
            campaign_id,
            &address_hash,
            sent,
            &stored,
            now,
        )
        .await?;
        txn.commit().await?;
        Ok::<_, Error>(received)
    }
    .await;
    if outcome.is_err() {
        for file in &stored {
            file.discard(store).await;
        }
    }
    outcome
}

/// Everything that can be checked before anything is stored.
fn validate(sent: &Sent, max_body: usize, max_files: u32, now: DateTime<Utc>) -> Result<()> {
    stories::validate_text(&sent.text)?;
    if sent.text.body.trim().is_empty() {
        return Err(Error::invalid("body", "the story is empty"));
    }
    if sent.text.body.len() > max_body {
        return Err(Error::PayloadTooLarge(format!(
            "the story is longer than {max_body} bytes"
        )));
    }
    locale::validate("language", sent.locale.trim())?;
    if sent
        .contact
        .as_deref()
        .is_some_and(|c| c.chars().count() > MAX_CONTACT_LEN)
    {
        return Err(Error::invalid(
            "contact",
            format!("at most {MAX_CONTACT_LEN} characters"),
        ));
    }
    // A guardian's consent cannot be checked on a web form: a child's story is
    // collected in person, with the guardian (see docs/SUBMISSIONS.md).
    if storytellers::may_be_minor(Some(sent.year_of_birth), now.date_naive())
        && (1900..=now.year()).contains(&sent.year_of_birth)
    {
        return Err(Error::invalid(
            "yearOfBirth",
            "stories from people under 18 cannot be sent in through this form; the organisation collects them in person, with a guardian",
        ));
    }
    if sent.files.len() > max_files as usize {
        return Err(Error::PayloadTooLarge(format!(
            "send at most {max_files} files"
        )));
    }
    Ok(())
}

/// The files through the same intake as staff uploads; photos (any number up to
/// the limit) or one recording.
async fn store_files(
    store: &dyn ObjectStore,
    files: &[PathBuf],
    limits: &Limits,
) -> Result<Vec<Stored>> {
    let mut stored: Vec<Stored> = Vec::with_capacity(files.len());
    let mut outcome = Ok(());
    for file in files {
        match intake::store_checked(store, file, limits, &[MediaKind::Image, MediaKind::Audio])
            .await
        {
            Ok(s) => stored.push(s),
            Err(e) => {
                outcome = Err(e);
                break;
            }
        }
    }
    let recordings = stored.iter().filter(|s| s.kind == MediaKind::Audio).count();
    if outcome.is_ok() && recordings > 0 && stored.len() > 1 {
        outcome = Err(Error::invalid(
            "media",
            "send photos, or one recording on its own",
        ));
    }
    let mut hashes: Vec<&str> = stored.iter().map(|s| s.sha256.as_str()).collect();
    hashes.sort_unstable();
    hashes.dedup();
    if outcome.is_ok() && hashes.len() != stored.len() {
        outcome = Err(Error::invalid("media", "the same file was sent twice"));
    }
    match outcome {
        Ok(()) => Ok(stored),
        Err(e) => {
            for s in &stored {
                s.discard(store).await;
            }
            Err(e)
        }
    }
}

/// Counts the last hour's submissions of the key and of the address under a
/// lock, refusing with `RATE_LIMITED` when either is at its limit; the
/// submission row written later in the same transaction is the reservation.
async fn reserve(
    txn: &DatabaseTransaction,
    config: &Config,
    key_id: Uuid,
    address_hash: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    if txn.get_database_backend() == DbBackend::Postgres {
        // SQLite's `BEGIN IMMEDIATE` already serialises writers.
        let mut locks = vec![
            format!("submission/key/{key_id}"),
            format!("submission/address/{address_hash}"),
        ];
        // Always in the same order, so two requests never wait on each other's second lock.
        locks.sort();
        for lock in locks {
            txn.query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                [lock.into()],
            ))
            .await?;
        }
    }
    let since = now - WINDOW;
    let s = &config.submissions;
    for (condition, max) in [
        (
            submission::Column::ApiKeyId.eq(key_id),
            s.max_per_key_per_hour,
        ),
        (
            submission::Column::AddressHash.eq(address_hash),
            s.max_per_address_per_hour,
        ),
    ] {
        let counted = || {
            submission::Entity::find()
                .filter(condition.clone())
                .filter(submission::Column::ReceivedAt.gt(since))
        };
        if counted().count(txn).await? >= u64::from(max) {
            // The limit lifts when the oldest counted submission leaves the window.
            let oldest = counted()
                .order_by_asc(submission::Column::ReceivedAt)
                .one(txn)
                .await?
                .map_or(now, |s| s.received_at);
            let retry_after_secs = (oldest + WINDOW - now).num_seconds().max(1) as u64;
            tracing::warn!(api_key = %key_id, retry_after_secs, "submission limit reached");
            return Err(Error::RateLimited { retry_after_secs });
        }
    }
    Ok(())
}

/// Spends the challenge: a second use fails on the primary key, even when both
/// arrive at once (the later transaction waits for the first and then fails).
async fn spend(
    txn: &DatabaseTransaction,
    verified: &proof::Verified,
    key_id: Uuid,
    now: DateTime<Utc>,
) -> Result<()> {
    // An expired challenge is refused before it gets here, so its row is no
    // longer needed to refuse it again.
    spent_challenge::Entity::delete_many()
        .filter(spent_challenge::Column::ExpiresAt.lt(now))
        .exec(txn)
        .await?;
    spent_challenge::ActiveModel {
        challenge: Set(verified.challenge.clone()),
        api_key_id: Set(key_id),
        expires_at: Set(verified.expires_at),
        spent_at: Set(now),
    }
    .insert(txn)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            Error::refused(
                "PROOF_SPENT",
                "this proof of work was already used: ask for a new challenge",
            )
        } else {
            e.into()
        }
    })?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn create(
    txn: &DatabaseTransaction,
    config: &Config,
    keys: &KeyRing,
    key_id: Uuid,
    campaign_id: Uuid,
    address_hash: &str,
    sent: Sent,
    stored: &[Stored],
    now: DateTime<Utc>,
) -> Result<Received> {
    let actor = Actor::SubmissionKey(key_id);
    let key = api_key::Entity::find_by_id(key_id)
        .one(txn)
        .await?
        .ok_or_else(|| Error::Unauthenticated("invalid, expired or revoked API key".into()))?;
    // What a storyteller sends in belongs to the organisation that runs the
    // campaign, and lands in its review queue (docs/ORGANISATIONS.md).
    let owner = campaign::Entity::find_by_id(campaign_id)
        .one(txn)
        .await?
        .ok_or_else(|| Error::NotFound("the key's campaign no longer exists".into()))?
        .organisation_id;
    let teller = storytellers::insert(
        txn,
        keys,
        NewStoryteller {
            public_name: sent.public_name,
            public_name_is_pseudonym: sent.public_name_is_pseudonym,
            // The form asks only for the name to be shown; staff may add more later.
            legal_name: String::new(),
            contact: sent
                .contact
                .map(|c| c.trim().to_owned())
                .filter(|c| !c.is_empty()),
            year_of_birth: Some(sent.year_of_birth),
            languages: vec![sent.locale.trim().to_owned()],
            ..NewStoryteller::default()
        },
        key_id,
        owner,
        actor,
        now,
    )
    .await?;
    let consent = sent.consent;
    let story = stories::insert(
        txn,
        NewStory {
            storyteller_id: teller.id,
            slug: None,
            primary_locale: sent.locale.trim().to_owned(),
            text: sent.text,
            region: sent.region,
            campaign_ids: vec![campaign_id],
            tag_ids: Vec::new(),
            note: Some("sent in by the storyteller".into()),
        },
        // Named as they chose on the form; readers get the more protective of
        // this and the consent anyway.
        Some(consent.identity_level),
        key_id,
        owner,
        actor,
        now,
    )
    .await?;
    // `submitted_at` orders the review queue, where sent-in drafts wait.
    story::Entity::update_many()
        .col_expr(story::Column::SubmittedAt, Expr::value(now))
        .filter(story::Column::Id.eq(story.id))
        .exec(txn)
        .await?;
    let submission_id = Uuid::now_v7();
    let recorded = records::record_sent_in(
        txn,
        &config.consent,
        &teller,
        Terms {
            story_id: Some(story.id),
            channels: consent.channels,
            partner_ids: Vec::new(),
            all_partners: consent.all_partners,
            identity_level: consent.identity_level,
            faces: consent.faces,
            voice: consent.voice,
            location_precision: consent.location_precision,
            special_categories: consent.special_categories,
            explicit: consent.explicit,
            given_at: None,
            expires_at: None,
            method: Method::OnlineForm,
            language: consent.language,
            interpreter: None,
            notice_version: consent.notice_version,
            notice_hash: consent.notice_hash,
            collected_by: format!("campaign site ({})", key.name)
                .chars()
                .take(200)
                .collect(),
            jurisdiction: consent.jurisdiction,
            guardian_consent: false,
            child_assent: false,
            evidence_ref: Some(format!("submission:{submission_id}")),
            witness: None,
            operations: None,
        },
        key_id,
        now,
    )
    .await?;
    let withdrawal_code = recorded
        .withdrawal_code
        .ok_or_else(|| Error::internal(std::io::Error::other("a given consent without a code")))?;
    for file in stored {
        intake::record(txn, file, Owner::Story(story.id), key_id, owner, actor, now).await?;
    }
    submission::ActiveModel {
        id: Set(submission_id),
        story_id: Set(story.id),
        api_key_id: Set(key_id),
        campaign_id: Set(campaign_id),
        address_hash: Set(address_hash.to_owned()),
        received_at: Set(now),
        spam_at: Set(None),
        spam_by: Set(None),
    }
    .insert(txn)
    .await?;
    audit::record(
        txn,
        actor,
        Event::new("submission.received", "story", story.id).detail(json!({
            "submissionId": submission_id,
            "campaignId": campaign_id,
            "consentId": recorded.consent.record.id,
            "media": stored.len(),
        })),
        now,
    )
    .await?;
    let receipt = receipt::of(txn, &config.consent.controller, &recorded.consent).await?;
    let story = stories::workflow::load(txn, story.id, None).await?;
    Ok(Received {
        story,
        received_at: now,
        consent: recorded.consent,
        receipt,
        withdrawal_code,
    })
}

/// The submission a story came from, if it was sent in.
pub async fn of_story(
    db: &impl ConnectionTrait,
    story_id: Uuid,
) -> Result<Option<submission::Model>> {
    Ok(submission::Entity::find()
        .filter(submission::Column::StoryId.eq(story_id))
        .one(db)
        .await?)
}
