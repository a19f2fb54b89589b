//! Recording consent and every later decision about it.
//!
//! A record is never edited: amending, renewing, withdrawing, revoking,
//! invalidating and expiring each write a new record that supersedes the current
//! one (a unique `supersedes_id` makes a second successor impossible, so two nodes
//! cannot both act on the same record) and one append-only consent event.

use chrono::{DateTime, NaiveTime, Utc};
use entity::{
    api_key::Channel,
    consent_channel, consent_event,
    consent_event::Via,
    consent_partner,
    consent_record::{self, IndicatedBy, Method, Status, Voice, WitnessKind},
    partner,
    story::{self, Faces, IdentityLevel, LocationPrecision},
    storyteller,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::json;
use uuid::Uuid;

use super::{ProcessingOperation, SpecialCategory, gate::USABLE, takedown, withdrawal};
use crate::{
    audit::{self, Actor, Event},
    auth::Principal,
    config::ConsentConfig,
    error::{Error, Result, is_unique_violation},
    locale, organisations, storytellers,
};

/// What a consent allows, as the person agreed it.
#[derive(Debug, Clone)]
pub struct Terms {
    /// `None`: all of the person's stories.
    pub story_id: Option<Uuid>,
    pub channels: Vec<Channel>,
    pub partner_ids: Vec<Uuid>,
    pub all_partners: bool,
    pub identity_level: IdentityLevel,
    pub faces: Faces,
    pub voice: Voice,
    pub location_precision: LocationPrecision,
    pub special_categories: Vec<SpecialCategory>,
    pub explicit: bool,
    /// Defaults to now.
    pub given_at: Option<DateTime<Utc>>,
    /// Defaults to `given_at` plus the configured validity.
    pub expires_at: Option<DateTime<Utc>>,
    pub method: Method,
    pub language: String,
    pub interpreter: Option<String>,
    pub notice_version: String,
    pub notice_hash: String,
    pub collected_by: String,
    pub jurisdiction: String,
    pub guardian_consent: bool,
    pub child_assent: bool,
    pub evidence_ref: Option<String>,
    /// Who witnessed the consent, if anyone.
    pub witness: Option<Witness>,
    /// What may be done with the story; `None`: not recorded.
    pub operations: Option<Vec<ProcessingOperation>>,
}

/// A consent's witness, as a name or a role, as the recorder chose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Witness {
    pub kind: WitnessKind,
    pub value: String,
}

/// Who expressed a decision and how it reached the organisation.
#[derive(Debug, Clone, Copy)]
pub struct Decision {
    pub indicated_by: IndicatedBy,
    pub via: Via,
}

/// A consent record with what it grants.
#[derive(Debug, Clone)]
pub struct Consent {
    pub record: consent_record::Model,
    pub channels: Vec<Channel>,
    pub partner_ids: Vec<Uuid>,
}

/// The result of recording: the new record and, when it allows use, the
/// storyteller's new withdrawal code (shown once).
#[derive(Debug, Clone)]
pub struct Recorded {
    pub consent: Consent,
    pub withdrawal_code: Option<String>,
}

/// A status change that blocks use from now on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// By the person.
    Withdraw,
    /// By the organisation.
    Revoke,
    /// A defect was found.
    Invalidate,
}

impl Ending {
    fn status(self) -> Status {
        match self {
            Ending::Withdraw => Status::Withdrawn,
            Ending::Revoke => Status::Revoked,
            Ending::Invalidate => Status::Invalidated,
        }
    }
}

const MAX_TEXT: usize = 200;

/// Records a new consent (editors and admins). It may start as `GIVEN`,
/// `REQUESTED`, `REFUSED` or `UNKNOWN` (imported material).
#[allow(clippy::too_many_arguments)]
pub async fn record(
    db: &DatabaseConnection,
    principal: &Principal,
    config: &ConsentConfig,
    storyteller_id: Uuid,
    status: Status,
    terms: Terms,
    decision: Decision,
    now: DateTime<Utc>,
) -> Result<Recorded> {
    let staff = principal.require_editor()?;
    if !matches!(
        status,
        Status::Given | Status::Requested | Status::Refused | Status::Unknown
    ) {
        return Err(Error::invalid(
            "status",
            "a new consent starts as GIVEN, REQUESTED, REFUSED or UNKNOWN",
        ));
    }
    let txn = crate::db::begin_write(db).await?;
    let teller = storyteller(&txn, storyteller_id).await?;
    let recorded = write(
        &txn,
        config,
        &teller,
        None,
        status,
        terms,
        decision,
        "RECORDED",
        Actor::User(staff.user_id),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(recorded)
}

/// Records the consent a storyteller gave on a campaign site's form, in the
/// transaction that creates them and their story: `GIVEN`, indicated by the
/// storyteller, through the online form, by the submission key `key_id`.
pub(crate) async fn record_sent_in(
    txn: &DatabaseTransaction,
    config: &ConsentConfig,
    teller: &storyteller::Model,
    terms: Terms,
    key_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Recorded> {
    write(
        txn,
        config,
        teller,
        None,
        Status::Given,
        terms,
        Decision {
            indicated_by: IndicatedBy::Storyteller,
            via: Via::OnlineForm,
        },
        "RECORDED",
        Actor::SubmissionKey(key_id),
        now,
    )
    .await
}

/// Replaces the current record with changed terms (editors and admins). A
/// `REQUESTED` or `UNKNOWN` record may become `GIVEN` or `REFUSED` this way;
/// otherwise the status stays.
#[allow(clippy::too_many_arguments)]
pub async fn amend(
    db: &DatabaseConnection,
    principal: &Principal,
    config: &ConsentConfig,
    id: Uuid,
    status: Option<Status>,
    terms: Terms,
    decision: Decision,
    now: DateTime<Utc>,
) -> Result<Recorded> {
    let change = Change {
        action: "AMENDED",
        next: &|from| amended_status(from, status),
    };
    supersede(db, principal, config, id, change, terms, decision, now).await
}

/// Renews a consent: a new `RENEWED` record with new dates (editors and admins).
/// Works on a given, renewed or expired consent, unless the storyteller has
/// withdrawn any consent since it was agreed; a withdrawn, revoked or invalidated
/// one, or one older than a withdrawal, needs a new consent with its own evidence.
pub async fn renew(
    db: &DatabaseConnection,
    principal: &Principal,
    config: &ConsentConfig,
    id: Uuid,
    terms: Terms,
    decision: Decision,
    now: DateTime<Utc>,
) -> Result<Recorded> {
    let change = Change {
        action: "RENEWED",
        next: &renewed_status,
    };
    supersede(db, principal, config, id, change, terms, decision, now).await
}

/// A change of terms: its event name and the status it leads to from the current one.
struct Change<'a> {
    action: &'static str,
    next: &'a (dyn Fn(Status) -> Result<Status> + Send + Sync),
}

impl Change<'_> {
    /// The status the change leads to from `current`, or why it may not be made.
    async fn check(
        &self,
        txn: &DatabaseTransaction,
        current: &consent_record::Model,
        now: DateTime<Utc>,
    ) -> Result<Status> {
        let status = (self.next)(current.status)?;
        if self.action == "AMENDED" && USABLE.contains(&current.status) && current.expires_at <= now
        {
            // New dates on an expired consent are a renewal, with its own check.
            return Err(Error::transition(
                "CONSENT_ENDED",
                "this consent has expired; renew it or record a new one",
            ));
        }
        if self.action == "RENEWED" && withdrawn_since_agreed(txn, current).await? {
            return Err(Error::transition(
                "WITHDRAWN_SINCE",
                "the storyteller has withdrawn consent since this one was agreed: record a new consent, with its own evidence, instead of renewing",
            ));
        }
        Ok(status)
    }
}

/// Whether the storyteller withdrew any consent after `current`'s terms were
/// last agreed. Renewing such a record would bring back, on the organisation's
/// word, stories the person said no to and never agreed to anew.
async fn withdrawn_since_agreed(
    txn: &DatabaseTransaction,
    current: &consent_record::Model,
) -> Result<bool> {
    let agreed = agreed_at(txn, current).await?;
    let later = consent_record::Entity::find()
        .filter(consent_record::Column::StorytellerId.eq(current.storyteller_id))
        .filter(consent_record::Column::Status.eq(Status::Withdrawn))
        .filter(consent_record::Column::CreatedAt.gt(agreed))
        .count(txn)
        .await?;
    Ok(later > 0)
}

/// When the person last agreed to the terms of `record`'s chain: the record
/// that gave or renewed them (or answered a request with `GIVEN`). An expiry
/// or an editor's amendment of terms already in force is not an agreement, so
/// the walk goes back past them.
async fn agreed_at(
    txn: &DatabaseTransaction,
    record: &consent_record::Model,
) -> Result<DateTime<Utc>> {
    let mut record = record.clone();
    loop {
        let previous = match record.supersedes_id {
            Some(id) => consent_record::Entity::find_by_id(id).one(txn).await?,
            None => None,
        };
        let Some(previous) = previous else {
            return Ok(record.created_at);
        };
        if USABLE.contains(&record.status) {
            let amended_in_force = USABLE.contains(&previous.status)
                && consent_event::Entity::find()
                    .filter(consent_event::Column::ConsentId.eq(record.id))
                    .filter(consent_event::Column::Action.eq("AMENDED"))
                    .count(txn)
                    .await?
                    > 0;
            if !amended_in_force {
                return Ok(record.created_at);
            }
        }
        record = previous;
    }
}

/// Writes a record with new terms superseding the current record `id`.
#[allow(clippy::too_many_arguments)]
async fn supersede(
    db: &DatabaseConnection,
    principal: &Principal,
    config: &ConsentConfig,
    id: Uuid,
    change: Change<'_>,
    terms: Terms,
    decision: Decision,
    now: DateTime<Utc>,
) -> Result<Recorded> {
    let staff = principal.require_editor()?;
    let txn = crate::db::begin_write(db).await?;
    let current = current_record(&txn, id).await?;
    let status = change.check(&txn, &current, now).await?;
    let teller = storyteller(&txn, current.storyteller_id).await?;
    let recorded = write(
        &txn,
        config,
        &teller,
        Some(&current),
        status,
        terms,
        decision,
        change.action,
        Actor::User(staff.user_id),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(recorded)
}

/// The status an amendment leads to: the same, or from `REQUESTED`/`UNKNOWN` the
/// person's answer.
fn amended_status(from: Status, requested: Option<Status>) -> Result<Status> {
    if matches!(
        from,
        Status::Withdrawn | Status::Revoked | Status::Invalidated | Status::Expired
    ) {
        return Err(Error::transition(
            "CONSENT_ENDED",
            "this consent has ended; record a new one or renew it",
        ));
    }
    match (from, requested) {
        (from, None) => Ok(from),
        (Status::Requested | Status::Unknown, Some(to))
            if matches!(to, Status::Given | Status::Refused | Status::Requested) =>
        {
            Ok(to)
        }
        (from, Some(to)) if from == to => Ok(to),
        (from, Some(to)) => Err(Error::transition(
            "CONSENT_STATUS",
            format!(
                "an amendment cannot turn {} into {}; withdraw, revoke or renew instead",
                status_name(from),
                status_name(to)
            ),
        )),
    }
}

fn renewed_status(from: Status) -> Result<Status> {
    match from {
        Status::Given | Status::Renewed | Status::Expired => Ok(Status::Renewed),
        other => Err(Error::transition(
            "CONSENT_STATUS",
            format!(
                "only a given, renewed or expired consent can be renewed; this one is {}",
                status_name(other)
            ),
        )),
    }
}

/// Ends a consent at once: withdrawn by the person, revoked by the organisation,
/// or invalidated (editors and admins). Every key that read a story it covered
/// and may no longer see it gets a takedown. A withdrawal also withdraws for
/// good the person's stories nothing covers any more; a revocation or an
/// invalidation holds them until a new consent covers them ([`takedown`]).
pub async fn end(
    db: &DatabaseConnection,
    principal: &Principal,
    id: Uuid,
    ending: Ending,
    decision: Decision,
    now: DateTime<Utc>,
) -> Result<Consent> {
    let staff = principal.require_editor()?;
    let txn = crate::db::begin_write(db).await?;
    let current = current_record(&txn, id).await?;
    let ended = end_record(
        &txn,
        &current,
        ending.status(),
        decision,
        Actor::User(staff.user_id),
        Consequences::TakeDown,
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(ended)
}

/// What else an ending does besides the record and its event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consequences {
    /// Withdraw stories nothing covers any more and take them down from recipients.
    TakeDown,
    /// Nothing: the caller deals with the stories (erasure deletes them).
    None,
}

/// Writes the successor of `current` with `status` and the same terms, its event
/// and, if asked, its consequences (stories withdrawn, takedowns). Shared by
/// editors' endings, withdrawal codes, the expiry worker and erasure.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn end_record(
    txn: &DatabaseTransaction,
    current: &consent_record::Model,
    status: Status,
    decision: Decision,
    actor: Actor,
    consequences: Consequences,
    now: DateTime<Utc>,
) -> Result<Consent> {
    if !matches!(
        current.status,
        Status::Given | Status::Renewed | Status::Requested | Status::Unknown
    ) {
        return Err(Error::transition(
            "CONSENT_STATUS",
            format!(
                "this consent is already {}",
                status_name(current.status).to_lowercase()
            ),
        ));
    }
    let channels = channels_of(txn, current.id).await?;
    let partner_ids = partners_of(txn, current.id).await?;
    let record = consent_record::ActiveModel {
        id: Set(Uuid::now_v7()),
        supersedes_id: Set(Some(current.id)),
        status: Set(status),
        indicated_by: Set(decision.indicated_by),
        recorded_by: Set(match actor {
            Actor::User(id) => Some(id),
            _ => None,
        }),
        created_at: Set(now),
        ..copy_of(current)
    };
    let record = insert_record(txn, record).await?;
    store_grants(txn, record.id, &channels, &partner_ids).await?;
    event(
        txn,
        &record,
        Some(current.status),
        status_action(status),
        decision,
        actor,
        now,
    )
    .await?;
    audit::record(
        txn,
        actor,
        Event::new(
            &format!("consent.{}", status_action(status).to_lowercase()),
            "consent",
            record.id,
        )
        .states(status_name(current.status), status_name(status))
        .detail(json!({ "storytellerId": record.storyteller_id, "supersedes": current.id })),
        now,
    )
    .await?;
    if consequences == Consequences::TakeDown {
        takedown::after_ending(txn, &record, actor, now).await?;
    }
    Ok(Consent {
        record,
        channels,
        partner_ids,
    })
}

#[allow(clippy::too_many_arguments)]
async fn write(
    txn: &DatabaseTransaction,
    config: &ConsentConfig,
    teller: &storyteller::Model,
    supersedes: Option<&consent_record::Model>,
    status: Status,
    terms: Terms,
    decision: Decision,
    action: &str,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<Recorded> {
    let recorded_by = match actor {
        Actor::User(id) => Some(id),
        _ => None,
    };
    let checked = validate(txn, config, teller, status, &terms, now).await?;
    let mut channels = terms.channels.clone();
    channels.sort_by_key(|c| format!("{c:?}"));
    channels.dedup();
    let mut partner_ids = terms.partner_ids.clone();
    partner_ids.sort();
    partner_ids.dedup();
    let mut categories: Vec<&str> = terms
        .special_categories
        .iter()
        .map(|c| c.as_str())
        .collect();
    categories.sort_unstable();
    categories.dedup();
    let record = consent_record::ActiveModel {
        id: Set(Uuid::now_v7()),
        storyteller_id: Set(teller.id),
        story_id: Set(terms.story_id),
        supersedes_id: Set(supersedes.map(|s| s.id)),
        status: Set(status),
        all_partners: Set(terms.all_partners),
        identity_level: Set(terms.identity_level),
        faces: Set(terms.faces),
        voice: Set(terms.voice),
        location_precision: Set(terms.location_precision),
        special_categories: Set(categories.join(",")),
        explicit: Set(terms.explicit),
        given_at: Set(checked.given_at),
        expires_at: Set(checked.expires_at),
        method: Set(terms.method),
        language: Set(terms.language.trim().to_owned()),
        interpreter: Set(trimmed(terms.interpreter)),
        notice_version: Set(terms.notice_version.trim().to_owned()),
        notice_hash: Set(terms.notice_hash.trim().to_owned()),
        collected_by: Set(terms.collected_by.trim().to_owned()),
        jurisdiction: Set(terms.jurisdiction.trim().to_owned()),
        subject_minor: Set(checked.subject_minor),
        guardian_consent: Set(terms.guardian_consent),
        child_assent: Set(terms.child_assent),
        evidence_ref: Set(trimmed(terms.evidence_ref)),
        indicated_by: Set(decision.indicated_by),
        recorded_by: Set(recorded_by),
        created_at: Set(now),
        controller: Set(Some(checked.controller)),
        witness: Set(terms.witness.as_ref().map(|w| w.value.trim().to_owned())),
        witness_kind: Set(terms.witness.as_ref().map(|w| w.kind)),
        processing_operations: Set(terms
            .operations
            .as_deref()
            .map(ProcessingOperation::store_list)),
    };
    let record = insert_record(txn, record).await?;
    store_grants(txn, record.id, &channels, &partner_ids).await?;
    event(
        txn,
        &record,
        supersedes.map(|s| s.status),
        action,
        decision,
        actor,
        now,
    )
    .await?;
    let mut audit_event = Event::new(
        match action {
            "RECORDED" => "consent.recorded",
            "AMENDED" => "consent.amended",
            _ => "consent.renewed",
        },
        "consent",
        record.id,
    )
    .detail(json!({
        "storytellerId": teller.id,
        "storyId": record.story_id,
        "supersedes": supersedes.map(|s| s.id),
    }));
    if let Some(previous) = supersedes {
        audit_event = audit_event.states(status_name(previous.status), status_name(status));
    }
    audit::record(txn, actor, audit_event, now).await?;
    if let Some(previous) = supersedes {
        // Narrower terms take effect at once, like a withdrawal, for what they drop.
        takedown::after_change(txn, previous, &record, now).await?;
    }
    let withdrawal_code = if USABLE.contains(&status) {
        Some(withdrawal::issue(txn, teller.id, now).await?)
    } else {
        None
    };
    Ok(Recorded {
        consent: Consent {
            record,
            channels,
            partner_ids,
        },
        withdrawal_code,
    })
}

struct Checked {
    given_at: Option<DateTime<Utc>>,
    expires_at: DateTime<Utc>,
    subject_minor: bool,
    /// The controller in force, as stored with the record.
    controller: String,
}

async fn validate(
    txn: &impl ConnectionTrait,
    config: &ConsentConfig,
    teller: &storyteller::Model,
    status: Status,
    terms: &Terms,
    now: DateTime<Utc>,
) -> Result<Checked> {
    if terms.channels.is_empty() {
        return Err(Error::invalid(
            "channels",
            "name at least one channel: each is granted separately",
        ));
    }
    if terms.channels.iter().any(|c| !c.shows_stories()) {
        return Err(Error::invalid(
            "channels",
            "SUBMISSIONS is a kind of API key, not a place a story is shown",
        ));
    }
    let partner_sites = terms.channels.contains(&Channel::PartnerSites);
    if partner_sites && terms.partner_ids.is_empty() && !terms.all_partners {
        return Err(Error::invalid(
            "partnerIds",
            "PARTNER_SITES must name its partners, or choose all partners explicitly",
        ));
    }
    if !partner_sites && (!terms.partner_ids.is_empty() || terms.all_partners) {
        return Err(Error::invalid(
            "partnerIds",
            "partners are named only with the PARTNER_SITES channel",
        ));
    }
    if terms.all_partners && !terms.partner_ids.is_empty() {
        return Err(Error::invalid(
            "partnerIds",
            "either name partners or choose all partners, not both",
        ));
    }
    if !terms.partner_ids.is_empty() {
        let found = partner::Entity::find()
            .filter(partner::Column::Id.is_in(terms.partner_ids.clone()))
            .count(txn)
            .await?;
        let mut wanted = terms.partner_ids.clone();
        wanted.sort();
        wanted.dedup();
        if found != wanted.len() as u64 {
            return Err(Error::invalid(
                "partnerIds",
                "no partner with one of these ids",
            ));
        }
    }
    if let Some(story_id) = terms.story_id {
        let story = story::Entity::find_by_id(story_id).one(txn).await?;
        if story.is_none_or(|s| s.storyteller_id != teller.id) {
            return Err(Error::invalid(
                "storyId",
                "no story of this storyteller has this id",
            ));
        }
    }
    if !terms.special_categories.is_empty() && !terms.explicit {
        return Err(Error::invalid(
            "explicit",
            "a story revealing special categories of data (GDPR Art. 9) needs explicit consent",
        ));
    }
    locale::validate("language", terms.language.trim())?;
    for (field, value, max) in [
        ("noticeVersion", terms.notice_version.as_str(), 100),
        ("noticeHash", terms.notice_hash.as_str(), 128),
        ("collectedBy", terms.collected_by.as_str(), MAX_TEXT),
        ("jurisdiction", terms.jurisdiction.as_str(), 100),
    ] {
        let value = value.trim();
        if value.is_empty() || value.chars().count() > max {
            return Err(Error::invalid(
                field,
                format!("required, at most {max} characters"),
            ));
        }
    }
    for (field, value, max) in [
        ("interpreter", terms.interpreter.as_deref(), MAX_TEXT),
        ("evidenceRef", terms.evidence_ref.as_deref(), 400),
    ] {
        if value.is_some_and(|v| v.chars().count() > max) {
            return Err(Error::invalid(field, format!("at most {max} characters")));
        }
    }
    if let Some(witness) = &terms.witness {
        let value = witness.value.trim();
        if value.is_empty()
            || value.chars().count() > MAX_TEXT
            || value.chars().any(char::is_control)
        {
            return Err(Error::invalid(
                "witness",
                format!("a witness is 1 to {MAX_TEXT} characters, without control characters"),
            ));
        }
    }
    if terms.operations.as_ref().is_some_and(Vec::is_empty) {
        return Err(Error::invalid(
            "processingOperations",
            "name at least one processing operation, or leave them out if they were not discussed",
        ));
    }
    let controller =
        organisations::controller::in_force(txn, &config.controller, teller.organisation_id)
            .await?;

    let usable = USABLE.contains(&status);
    let given_at = match (terms.given_at, usable) {
        (Some(at), _) if at > now => {
            return Err(Error::invalid(
                "givenAt",
                "consent cannot be given in the future",
            ));
        }
        (Some(at), _) => Some(at),
        (None, true) => Some(now),
        (None, false) => None,
    };
    let from = given_at.unwrap_or(now);
    let default_validity =
        chrono::Duration::from_std(config.default_validity).unwrap_or(chrono::Duration::days(730));
    let mut expires_at = terms.expires_at.unwrap_or(from + default_validity);
    if expires_at <= from {
        return Err(Error::invalid(
            "expiresAt",
            "the expiry must come after the consent was given",
        ));
    }

    // Minors: guardian consent and the child's own assent, and an end no later than
    // the 18th birthday (the earliest possible one when only the year is known).
    let subject_minor = storytellers::is_possibly_minor(teller, from.date_naive());
    if subject_minor && usable {
        if teller.year_of_birth.is_none() && teller.date_of_birth.is_none() {
            return Err(Error::invalid(
                "yearOfBirth",
                "record the storyteller's year of birth first: it decides whether a guardian must consent and when the consent ends",
            ));
        }
        if !terms.guardian_consent {
            return Err(Error::invalid(
                "guardianConsent",
                "someone who may be under 18 needs their guardian's consent",
            ));
        }
        if !terms.child_assent {
            return Err(Error::invalid(
                "childAssent",
                "someone who may be under 18 must also give their own assent",
            ));
        }
        if let Some(adult) = storytellers::earliest_adulthood(teller) {
            let adult = adult.and_time(NaiveTime::MIN).and_utc();
            if adult <= from {
                return Err(Error::invalid(
                    "dateOfBirth",
                    "this person turns 18 this year and only the year of birth is known: record their date of birth, or their own consent once they are 18",
                ));
            }
            expires_at = expires_at.min(adult);
        }
    }
    // A record that allowed use only in the past would still issue a new
    // withdrawal code, replacing the one the person holds, for nothing.
    if usable && expires_at <= now {
        return Err(Error::invalid(
            "expiresAt",
            "this consent would already have ended (its expiry, or a minor's 18th birthday, is not after now): record only a consent still in force",
        ));
    }
    Ok(Checked {
        given_at,
        expires_at,
        subject_minor,
        controller: serde_json::to_string(&controller).map_err(Error::internal)?,
    })
}

/// The record with this id if nothing supersedes it yet; `CONFLICT` otherwise.
async fn current_record(db: &impl ConnectionTrait, id: Uuid) -> Result<consent_record::Model> {
    let record = consent_record::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound("no consent record with this id".into()))?;
    if let Some(next) = successor(db, id).await? {
        return Err(Error::Conflict(format!(
            "this record has been superseded by {next}; act on the current one"
        )));
    }
    Ok(record)
}

/// The id of the record that supersedes `id`, if any.
pub async fn successor(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<Uuid>> {
    Ok(consent_record::Entity::find()
        .filter(consent_record::Column::SupersedesId.eq(id))
        .one(db)
        .await?
        .map(|r| r.id))
}

async fn storyteller(db: &impl ConnectionTrait, id: Uuid) -> Result<storyteller::Model> {
    let teller = storytellers::find(db, id).await?;
    if teller.erased_at.is_some() {
        return Err(Error::NotFound(
            "this storyteller's data has been erased".into(),
        ));
    }
    Ok(teller)
}

async fn insert_record(
    txn: &impl ConnectionTrait,
    record: consent_record::ActiveModel,
) -> Result<consent_record::Model> {
    record.insert(txn).await.map_err(|e| {
        if is_unique_violation(&e) {
            Error::Conflict("someone else changed this consent at the same moment".into())
        } else {
            e.into()
        }
    })
}

async fn store_grants(
    txn: &impl ConnectionTrait,
    consent_id: Uuid,
    channels: &[Channel],
    partner_ids: &[Uuid],
) -> Result<()> {
    for channel in channels {
        consent_channel::ActiveModel {
            consent_id: Set(consent_id),
            channel: Set(*channel),
        }
        .insert(txn)
        .await?;
    }
    for partner_id in partner_ids {
        consent_partner::ActiveModel {
            consent_id: Set(consent_id),
            partner_id: Set(*partner_id),
        }
        .insert(txn)
        .await?;
    }
    Ok(())
}

async fn event(
    txn: &impl ConnectionTrait,
    record: &consent_record::Model,
    from: Option<Status>,
    action: &str,
    decision: Decision,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<()> {
    consent_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        consent_id: Set(record.id),
        storyteller_id: Set(record.storyteller_id),
        action: Set(action.to_owned()),
        from_status: Set(from),
        to_status: Set(record.status),
        indicated_by: Set(decision.indicated_by),
        via: Set(decision.via),
        actor_user_id: Set(match actor {
            Actor::User(id) => Some(id),
            _ => None,
        }),
        at: Set(now),
    }
    .insert(txn)
    .await?;
    Ok(())
}

/// Every field of `current`, for a successor that changes only its status.
fn copy_of(current: &consent_record::Model) -> consent_record::ActiveModel {
    let mut copy: consent_record::ActiveModel = current.clone().into();
    // `into()` marks fields unchanged; an insert needs them set.
    copy.storyteller_id = Set(current.storyteller_id);
    copy.story_id = Set(current.story_id);
    copy.all_partners = Set(current.all_partners);
    copy.identity_level = Set(current.identity_level);
    copy.faces = Set(current.faces);
    copy.voice = Set(current.voice);
    copy.location_precision = Set(current.location_precision);
    copy.special_categories = Set(current.special_categories.clone());
    copy.explicit = Set(current.explicit);
    copy.given_at = Set(current.given_at);
    copy.expires_at = Set(current.expires_at);
    copy.method = Set(current.method);
    copy.language = Set(current.language.clone());
    copy.interpreter = Set(current.interpreter.clone());
    copy.notice_version = Set(current.notice_version.clone());
    copy.notice_hash = Set(current.notice_hash.clone());
    copy.collected_by = Set(current.collected_by.clone());
    copy.jurisdiction = Set(current.jurisdiction.clone());
    copy.subject_minor = Set(current.subject_minor);
    copy.guardian_consent = Set(current.guardian_consent);
    copy.child_assent = Set(current.child_assent);
    copy.evidence_ref = Set(current.evidence_ref.clone());
    copy.controller = Set(current.controller.clone());
    copy.witness = Set(current.witness.clone());
    copy.witness_kind = Set(current.witness_kind);
    copy.processing_operations = Set(current.processing_operations.clone());
    copy
}

/// The channels a record grants.
pub async fn channels_of(db: &impl ConnectionTrait, id: Uuid) -> Result<Vec<Channel>> {
    Ok(consent_channel::Entity::find()
        .filter(consent_channel::Column::ConsentId.eq(id))
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.channel)
        .collect())
}

/// The partners a record's `PARTNER_SITES` grant names.
pub async fn partners_of(db: &impl ConnectionTrait, id: Uuid) -> Result<Vec<Uuid>> {
    Ok(consent_partner::Entity::find()
        .filter(consent_partner::Column::ConsentId.eq(id))
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.partner_id)
        .collect())
}

/// A record with its grants.
pub async fn load(db: &impl ConnectionTrait, record: consent_record::Model) -> Result<Consent> {
    Ok(Consent {
        channels: channels_of(db, record.id).await?,
        partner_ids: partners_of(db, record.id).await?,
        record,
    })
}

/// One record, for staff.
pub async fn get(db: &DatabaseConnection, principal: &Principal, id: Uuid) -> Result<Consent> {
    principal.require_editor()?;
    let record = consent_record::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound("no consent record with this id".into()))?;
    load(db, record).await
}

/// Every record of a storyteller, oldest first, for staff.
pub async fn of_storyteller(
    db: &impl ConnectionTrait,
    principal: &Principal,
    storyteller_id: Uuid,
) -> Result<Vec<consent_record::Model>> {
    principal.require_editor()?;
    Ok(consent_record::Entity::find()
        .filter(consent_record::Column::StorytellerId.eq(storyteller_id))
        .order_by_asc(consent_record::Column::Id)
        .all(db)
        .await?)
}

/// The storyteller's current records (those nothing supersedes), oldest first.
pub(crate) async fn current_of(
    db: &impl ConnectionTrait,
    storyteller_id: Uuid,
) -> Result<Vec<consent_record::Model>> {
    Ok(consent_record::Entity::find()
        .filter(consent_record::Column::StorytellerId.eq(storyteller_id))
        .filter(super::gate::current(consent_record::Entity))
        .order_by_asc(consent_record::Column::Id)
        .all(db)
        .await?)
}

/// The consent events of a storyteller, oldest first, for staff.
pub async fn events_of(
    db: &impl ConnectionTrait,
    principal: &Principal,
    storyteller_id: Uuid,
) -> Result<Vec<consent_event::Model>> {
    principal.require_editor()?;
    Ok(consent_event::Entity::find()
        .filter(consent_event::Column::StorytellerId.eq(storyteller_id))
        .order_by_asc(consent_event::Column::Id)
        .all(db)
        .await?)
}

/// The DPV name of a status.
pub fn status_name(status: Status) -> &'static str {
    match status {
        Status::Requested => "REQUESTED",
        Status::Given => "GIVEN",
        Status::Renewed => "RENEWED",
        Status::Refused => "REFUSED",
        Status::Withdrawn => "WITHDRAWN",
        Status::Revoked => "REVOKED",
        Status::Expired => "EXPIRED",
        Status::Invalidated => "INVALIDATED",
        Status::Unknown => "UNKNOWN",
    }
}

fn status_action(status: Status) -> &'static str {
    match status {
        Status::Withdrawn => "WITHDRAWN",
        Status::Revoked => "REVOKED",
        Status::Invalidated => "INVALIDATED",
        Status::Expired => "EXPIRED",
        _ => "CHANGED",
    }
}

fn trimmed(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_amendment_keeps_the_status_or_records_the_answer_to_a_request() {
        assert_eq!(
            amended_status(Status::Given, None).ok(),
            Some(Status::Given)
        );
        assert_eq!(
            amended_status(Status::Requested, Some(Status::Given)).ok(),
            Some(Status::Given)
        );
        assert_eq!(
            amended_status(Status::Unknown, Some(Status::Refused)).ok(),
            Some(Status::Refused)
        );
        assert!(amended_status(Status::Refused, Some(Status::Given)).is_err());
        assert!(amended_status(Status::Given, Some(Status::Renewed)).is_err());
        for ended in [
            Status::Withdrawn,
            Status::Revoked,
            Status::Invalidated,
            Status::Expired,
        ] {
            assert!(amended_status(ended, None).is_err(), "{ended:?}");
        }
    }

    #[test]
    fn only_given_renewed_or_expired_consents_can_be_renewed() {
        for from in [Status::Given, Status::Renewed, Status::Expired] {
            assert_eq!(renewed_status(from).ok(), Some(Status::Renewed));
        }
        for from in [
            Status::Requested,
            Status::Refused,
            Status::Withdrawn,
            Status::Revoked,
            Status::Invalidated,
            Status::Unknown,
        ] {
            assert!(renewed_status(from).is_err(), "{from:?}");
        }
    }
}
