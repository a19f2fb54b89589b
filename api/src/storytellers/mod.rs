//! Storytellers: the people behind the stories, and their personal data.
//!
//! Legal names, contacts, guardian details and private notes are encrypted at rest
//! (see [`crate::crypto`]), each bound to its row and column. Anyone on staff may
//! record a storyteller, but only editors and admins read the personal fields, and
//! every such read is written to the audit log with the fields read.

pub mod rights;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use entity::storyteller;
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use crate::{
    audit::{self, Actor, Event},
    auth::Principal,
    crypto::KeyRing,
    error::{Error, Result},
    locale,
    organisations::Scope,
    pagination::{self, Page, PageRequest},
    patch::Patch,
};

const MAX_NAME_LEN: usize = 300;
const MAX_NOTES_LEN: usize = 10_000;
const MAX_LANGUAGES: usize = 20;
/// Age from which a person gives consent and signs off for themselves.
pub const AGE_OF_MAJORITY: i32 = 18;

/// A guardian or legal representative (for an unaccompanied minor, e.g. a local authority).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Guardian {
    pub name: String,
    /// E.g. mother, legal guardian, social worker.
    pub relationship: String,
    /// What gives them authority: parental responsibility, a court order, a care order…
    pub authority_basis: String,
    pub contact: Option<String>,
}

/// Everything needed to record a storyteller.
#[derive(Debug, Clone, Default)]
pub struct NewStoryteller {
    pub public_name: String,
    pub public_name_is_pseudonym: bool,
    pub legal_name: String,
    pub contact: Option<String>,
    pub year_of_birth: Option<i32>,
    /// When known; its year must agree with `year_of_birth` (which it fills in).
    pub date_of_birth: Option<NaiveDate>,
    pub guardian: Option<Guardian>,
    pub languages: Vec<String>,
    pub private_notes: Option<String>,
    pub asylum_seeker: bool,
    pub refugee: bool,
    pub undocumented: bool,
}

/// A partial change to a storyteller.
#[derive(Debug, Clone, Default)]
pub struct StorytellerChanges {
    pub public_name: Option<String>,
    pub public_name_is_pseudonym: Option<bool>,
    pub legal_name: Option<String>,
    pub contact: Patch<String>,
    pub year_of_birth: Patch<i32>,
    pub date_of_birth: Patch<NaiveDate>,
    pub guardian: Patch<Guardian>,
    pub languages: Option<Vec<String>>,
    pub private_notes: Patch<String>,
    pub asylum_seeker: Option<bool>,
    pub refugee: Option<bool>,
    pub undocumented: Option<bool>,
}

/// The personal fields, decrypted; each only if it was asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonalData {
    pub legal_name: Option<String>,
    pub contact: Option<String>,
    pub guardian: Option<Guardian>,
    pub private_notes: Option<String>,
}

/// A personal field that can be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonalField {
    LegalName,
    Contact,
    Guardian,
    PrivateNotes,
}

impl PersonalField {
    /// The column the encrypted value lives in; also its encryption context.
    fn column(self) -> &'static str {
        match self {
            PersonalField::LegalName => "legal_name",
            PersonalField::Contact => "contact",
            PersonalField::Guardian => "guardian",
            PersonalField::PrivateNotes => "private_notes",
        }
    }
}

/// A group whose stories need a recorded risk assessment before approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RiskGroup {
    AsylumSeeker,
    Refugee,
    Undocumented,
    Minor,
}

/// Whether a person born in `year_of_birth` may be under 18 on `on`.
///
/// Only the year is known, so someone who turns 18 this year may still be 17: they
/// count as a minor until the year is over. An unknown year counts as a minor too:
/// the protective assumption.
pub fn may_be_minor(year_of_birth: Option<i32>, on: NaiveDate) -> bool {
    year_of_birth.is_none_or(|year| on.year() - year <= AGE_OF_MAJORITY)
}

/// Whether this storyteller may be under 18 on `on`: exact when the date of birth
/// is known, by [`may_be_minor`] otherwise.
pub fn is_possibly_minor(s: &storyteller::Model, on: NaiveDate) -> bool {
    match s.date_of_birth {
        Some(born) => on < eighteenth_birthday(born),
        None => may_be_minor(s.year_of_birth, on),
    }
}

/// The earliest day this storyteller can have turned 18: their 18th birthday when
/// the date of birth is known, 1 January of the year they turn 18 when only the
/// year is; `None` when neither is known.
pub fn earliest_adulthood(s: &storyteller::Model) -> Option<NaiveDate> {
    match (s.date_of_birth, s.year_of_birth) {
        (Some(born), _) => Some(eighteenth_birthday(born)),
        (None, Some(year)) => NaiveDate::from_ymd_opt(year + AGE_OF_MAJORITY, 1, 1),
        (None, None) => None,
    }
}

fn eighteenth_birthday(born: NaiveDate) -> NaiveDate {
    // Someone born on 29 February comes of age on 1 March in a common year.
    born.with_year(born.year() + AGE_OF_MAJORITY)
        .unwrap_or_else(|| {
            NaiveDate::from_ymd_opt(born.year() + AGE_OF_MAJORITY, 3, 1).unwrap_or(born)
        })
}

/// The risk groups a storyteller belongs to on `on`.
pub fn risk_groups(s: &storyteller::Model, on: NaiveDate) -> Vec<RiskGroup> {
    let mut groups = Vec::new();
    if s.asylum_seeker {
        groups.push(RiskGroup::AsylumSeeker);
    }
    if s.refugee {
        groups.push(RiskGroup::Refugee);
    }
    if s.undocumented {
        groups.push(RiskGroup::Undocumented);
    }
    if is_possibly_minor(s, on) {
        groups.push(RiskGroup::Minor);
    }
    groups
}

/// The storyteller's languages as a list.
pub fn languages(s: &storyteller::Model) -> Vec<String> {
    s.languages
        .split(',')
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

fn context(field: PersonalField, id: Uuid) -> String {
    format!("storytellers.{}:{id}", field.column())
}

/// Records a storyteller (any staff member).
pub async fn create(
    db: &DatabaseConnection,
    keys: &KeyRing,
    principal: &Principal,
    input: NewStoryteller,
    now: DateTime<Utc>,
) -> Result<storyteller::Model> {
    let staff = principal.staff()?;
    let txn = crate::db::begin_write(db).await?;
    let created = insert(
        &txn,
        keys,
        input,
        staff.user_id,
        staff.organisation_id,
        Actor::User(staff.user_id),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// Validates and writes a storyteller in `txn`, with its audit event. An empty
/// legal name is kept empty: a storyteller who sent their story in gave only
/// the name they chose (staff always record one, [`create`] checks).
pub(crate) async fn insert(
    txn: &impl ConnectionTrait,
    keys: &KeyRing,
    input: NewStoryteller,
    created_by: Uuid,
    owner: Uuid,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<storyteller::Model> {
    let id = Uuid::now_v7();
    let guardian = input.guardian.clone();
    let year_of_birth = birth_year(input.year_of_birth, input.date_of_birth)?;
    validate(
        &input.public_name,
        Some(input.legal_name.as_str()).filter(|_| actor_is_staff(actor)),
        Birth {
            year: year_of_birth,
            date: input.date_of_birth,
        },
        guardian.as_ref(),
        &input.languages,
        input.private_notes.as_deref(),
        now,
    )?;
    let model = storyteller::ActiveModel {
        id: Set(id),
        public_name: Set(input.public_name.trim().to_owned()),
        public_name_is_pseudonym: Set(input.public_name_is_pseudonym),
        legal_name_enc: Set(keys.encrypt(
            input.legal_name.trim(),
            &context(PersonalField::LegalName, id),
        )),
        contact_enc: Set(input
            .contact
            .map(|c| keys.encrypt(&c, &context(PersonalField::Contact, id)))),
        guardian_enc: Set(guardian.map(|g| encrypt_guardian(keys, &g, id))),
        private_notes_enc: Set(input
            .private_notes
            .map(|n| keys.encrypt(&n, &context(PersonalField::PrivateNotes, id)))),
        year_of_birth: Set(year_of_birth),
        date_of_birth: Set(input.date_of_birth),
        languages: Set(input.languages.join(",")),
        asylum_seeker: Set(input.asylum_seeker),
        refugee: Set(input.refugee),
        undocumented: Set(input.undocumented),
        created_by: Set(created_by),
        organisation_id: Set(owner),
        created_at: Set(now),
        updated_at: Set(now),
        erased_at: Set(None),
    };
    let created = model.insert(txn).await?;
    audit::record(
        txn,
        actor,
        Event::new("storyteller.created", "storyteller", id),
        now,
    )
    .await?;
    Ok(created)
}

fn actor_is_staff(actor: Actor) -> bool {
    matches!(actor, Actor::User(_))
}

/// Changes a storyteller (editors and admins).
pub async fn update(
    db: &DatabaseConnection,
    keys: &KeyRing,
    principal: &Principal,
    id: Uuid,
    changes: StorytellerChanges,
    now: DateTime<Utc>,
) -> Result<storyteller::Model> {
    let staff = principal.require_editor()?;
    let txn = crate::db::begin_write(db).await?;
    let current = find(&txn, id).await?;
    require_not_erased(&current)?;
    let guardian = match changes.guardian {
        Patch::Keep => current
            .guardian_enc
            .as_deref()
            .map(|enc| decrypt_guardian(keys, enc, id))
            .transpose()?,
        Patch::Clear => None,
        Patch::Set(g) => Some(g),
    };
    let public_name = changes.public_name.unwrap_or(current.public_name.clone());
    let new_date_only = matches!(
        (&changes.year_of_birth, &changes.date_of_birth),
        (Patch::Keep, Patch::Set(_))
    );
    let date_of_birth = changes.date_of_birth.apply(current.date_of_birth);
    // A new date of birth brings its year; a cleared one leaves the year alone.
    let year_of_birth = if new_date_only {
        birth_year(None, date_of_birth)?
    } else {
        birth_year(
            changes.year_of_birth.apply(current.year_of_birth),
            date_of_birth,
        )?
    };
    let langs = changes.languages.unwrap_or_else(|| languages(&current));
    let notes_for_check = match &changes.private_notes {
        Patch::Set(n) => Some(n.as_str()),
        _ => None,
    };
    validate(
        &public_name,
        changes.legal_name.as_deref(),
        Birth {
            year: year_of_birth,
            date: date_of_birth,
        },
        guardian.as_ref(),
        &langs,
        notes_for_check,
        now,
    )?;

    let mut active: storyteller::ActiveModel = current.clone().into();
    active.public_name = Set(public_name.trim().to_owned());
    if let Some(p) = changes.public_name_is_pseudonym {
        active.public_name_is_pseudonym = Set(p);
    }
    if let Some(legal) = changes.legal_name {
        active.legal_name_enc =
            Set(keys.encrypt(legal.trim(), &context(PersonalField::LegalName, id)));
    }
    match changes.contact {
        Patch::Keep => {}
        Patch::Clear => active.contact_enc = Set(None),
        Patch::Set(c) => {
            active.contact_enc = Set(Some(keys.encrypt(&c, &context(PersonalField::Contact, id))))
        }
    }
    active.guardian_enc = Set(guardian.map(|g| encrypt_guardian(keys, &g, id)));
    match changes.private_notes {
        Patch::Keep => {}
        Patch::Clear => active.private_notes_enc = Set(None),
        Patch::Set(n) => {
            active.private_notes_enc = Set(Some(
                keys.encrypt(&n, &context(PersonalField::PrivateNotes, id)),
            ))
        }
    }
    active.year_of_birth = Set(year_of_birth);
    active.date_of_birth = Set(date_of_birth);
    active.languages = Set(langs.join(","));
    if let Some(v) = changes.asylum_seeker {
        active.asylum_seeker = Set(v);
    }
    if let Some(v) = changes.refugee {
        active.refugee = Set(v);
    }
    if let Some(v) = changes.undocumented {
        active.undocumented = Set(v);
    }
    active.updated_at = Set(now);
    let updated = active.update(&txn).await?;
    audit::record(
        &txn,
        Actor::User(staff.user_id),
        Event::new("storyteller.updated", "storyteller", id),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

/// The storyteller with this id, for staff; `NotFound` if there is none.
pub async fn get(
    db: &impl ConnectionTrait,
    principal: &Principal,
    id: Uuid,
) -> Result<storyteller::Model> {
    principal.staff()?;
    find(db, id).await
}

/// The storyteller with this id, or `NotFound`.
pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<storyteller::Model> {
    storyteller::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound("no storyteller with this id".into()))
}

/// A page of the storytellers in scope, oldest first (personal fields stay encrypted).
pub async fn list(
    db: &impl ConnectionTrait,
    scope: &Scope,
    page: PageRequest,
) -> Result<Page<storyteller::Model>> {
    pagination::fetch(
        db,
        storyteller::Entity::find().filter(scope.storytellers()),
        storyteller::Column::Id,
        page,
    )
    .await
}

/// Decrypts the asked-for personal fields (editors and admins) and audits the read.
pub async fn read_personal(
    db: &impl ConnectionTrait,
    keys: &KeyRing,
    principal: &Principal,
    s: &storyteller::Model,
    fields: &[PersonalField],
    now: DateTime<Utc>,
) -> Result<PersonalData> {
    let staff = principal.require_editor()?;
    let mut data = PersonalData::default();
    if s.erased_at.is_some() {
        // Nothing personal is left to read.
        return Ok(data);
    }
    for field in fields {
        let stored = match field {
            PersonalField::LegalName => Some(s.legal_name_enc.as_str()),
            PersonalField::Contact => s.contact_enc.as_deref(),
            PersonalField::Guardian => s.guardian_enc.as_deref(),
            PersonalField::PrivateNotes => s.private_notes_enc.as_deref(),
        };
        let Some(stored) = stored else { continue };
        match field {
            PersonalField::LegalName => {
                data.legal_name = Some(decrypt(keys, stored, *field, s.id)?)
            }
            PersonalField::Contact => data.contact = Some(decrypt(keys, stored, *field, s.id)?),
            PersonalField::Guardian => data.guardian = Some(decrypt_guardian(keys, stored, s.id)?),
            PersonalField::PrivateNotes => {
                data.private_notes = Some(decrypt(keys, stored, *field, s.id)?)
            }
        }
    }
    // Nothing decrypted (only public fields were selected): nothing to audit.
    if fields.is_empty() {
        return Ok(data);
    }
    let names: Vec<&str> = fields.iter().map(|f| f.column()).collect();
    audit::record(
        db,
        Actor::User(staff.user_id),
        Event::new("storyteller.personal_data_read", "storyteller", s.id)
            .detail(json!({ "fields": names })),
        now,
    )
    .await?;
    Ok(data)
}

/// Re-encrypts every personal field not under the current key; returns how many
/// storytellers changed. Rows are done one transaction each, so an interrupted run
/// can simply be started again.
pub async fn rotate_keys(
    db: &DatabaseConnection,
    keys: &KeyRing,
    now: DateTime<Utc>,
) -> Result<u64> {
    let mut changed = 0;
    let mut after = None;
    loop {
        let page = pagination::fetch(
            db,
            storyteller::Entity::find(),
            storyteller::Column::Id,
            PageRequest::new(Some(100), after)?,
        )
        .await?;
        for s in &page.items {
            let fields = [
                (PersonalField::LegalName, Some(s.legal_name_enc.as_str())),
                (PersonalField::Contact, s.contact_enc.as_deref()),
                (PersonalField::Guardian, s.guardian_enc.as_deref()),
                (PersonalField::PrivateNotes, s.private_notes_enc.as_deref()),
            ];
            if !fields
                .iter()
                .any(|(_, v)| v.is_some_and(|v| keys.needs_rotation(v)))
            {
                continue;
            }
            let reencrypt = |field: PersonalField, stored: &str| -> Result<String> {
                let plain = decrypt(keys, stored, field, s.id)?;
                Ok(keys.encrypt(&plain, &context(field, s.id)))
            };
            let mut active: storyteller::ActiveModel = s.clone().into();
            active.legal_name_enc = Set(reencrypt(PersonalField::LegalName, &s.legal_name_enc)?);
            active.contact_enc = Set(s
                .contact_enc
                .as_deref()
                .map(|v| reencrypt(PersonalField::Contact, v))
                .transpose()?);
            active.guardian_enc = Set(s
                .guardian_enc
                .as_deref()
                .map(|v| reencrypt(PersonalField::Guardian, v))
                .transpose()?);
            active.private_notes_enc = Set(s
                .private_notes_enc
                .as_deref()
                .map(|v| reencrypt(PersonalField::PrivateNotes, v))
                .transpose()?);
            let txn = crate::db::begin_write(db).await?;
            active.update(&txn).await?;
            audit::record(
                &txn,
                Actor::Cli,
                Event::new("storyteller.keys_rotated", "storyteller", s.id)
                    .detail(json!({ "keyId": keys.current_id() })),
                now,
            )
            .await?;
            txn.commit().await?;
            changed += 1;
        }
        if !page.has_next_page {
            return Ok(changed);
        }
        after = page.items.last().map(|s| s.id);
    }
}

fn decrypt(keys: &KeyRing, stored: &str, field: PersonalField, id: Uuid) -> Result<String> {
    keys.decrypt(stored, &context(field, id))
        .map_err(Error::internal)
}

fn encrypt_guardian(keys: &KeyRing, guardian: &Guardian, id: Uuid) -> String {
    let json = serde_json::to_string(guardian).unwrap_or_default();
    keys.encrypt(&json, &context(PersonalField::Guardian, id))
}

fn decrypt_guardian(keys: &KeyRing, stored: &str, id: Uuid) -> Result<Guardian> {
    let json = decrypt(keys, stored, PersonalField::Guardian, id)?;
    serde_json::from_str(&json).map_err(Error::internal)
}

/// What is known of a birth: the year, and perhaps the date.
#[derive(Debug, Clone, Copy)]
struct Birth {
    year: Option<i32>,
    date: Option<NaiveDate>,
}

/// The year of birth to store: the date's year, which a year given too must match.
fn birth_year(year: Option<i32>, date: Option<NaiveDate>) -> Result<Option<i32>> {
    match (year, date) {
        (Some(y), Some(d)) if y != d.year() => Err(Error::invalid(
            "yearOfBirth",
            "the year of birth and the date of birth disagree",
        )),
        (_, Some(d)) => Ok(Some(d.year())),
        (y, None) => Ok(y),
    }
}

/// `NOT_FOUND` for an erased storyteller: nothing may be attached to them again.
pub fn require_not_erased(s: &storyteller::Model) -> Result<()> {
    match s.erased_at {
        Some(_) => Err(Error::NotFound(
            "this storyteller's data has been erased".into(),
        )),
        None => Ok(()),
    }
}

/// Checks a storyteller's fields; `legal_name` is `None` when it is not being changed.
fn validate(
    public_name: &str,
    legal_name: Option<&str>,
    birth: Birth,
    guardian: Option<&Guardian>,
    langs: &[String],
    private_notes: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    let public_name = public_name.trim();
    if public_name.is_empty() || public_name.chars().count() > 200 {
        return Err(Error::invalid(
            "publicName",
            "a public name or pseudonym is required, at most 200 characters",
        ));
    }
    if let Some(legal_name) = legal_name.map(str::trim)
        && (legal_name.is_empty() || legal_name.chars().count() > MAX_NAME_LEN)
    {
        return Err(Error::invalid(
            "legalName",
            format!("a legal name is required, at most {MAX_NAME_LEN} characters"),
        ));
    }
    if let Some(year) = birth.year
        && !(1900..=now.year()).contains(&year)
    {
        return Err(Error::invalid(
            "yearOfBirth",
            format!("expected a year between 1900 and {}", now.year()),
        ));
    }
    if birth.date.is_some_and(|d| d > now.date_naive()) {
        return Err(Error::invalid(
            "dateOfBirth",
            "the date of birth is in the future",
        ));
    }
    let possibly_minor = match birth.date {
        Some(born) => now.date_naive() < eighteenth_birthday(born),
        None => birth.year.is_some() && may_be_minor(birth.year, now.date_naive()),
    };
    if possibly_minor {
        let ok = guardian
            .is_some_and(|g| !g.name.trim().is_empty() && !g.authority_basis.trim().is_empty());
        if !ok {
            return Err(Error::invalid(
                "guardian",
                "a storyteller who may be under 18 needs a guardian or legal representative, with the basis of their authority",
            ));
        }
    }
    if langs.len() > MAX_LANGUAGES {
        return Err(Error::invalid(
            "languages",
            format!("at most {MAX_LANGUAGES} languages"),
        ));
    }
    for tag in langs {
        locale::validate("languages", tag)?;
    }
    if private_notes.is_some_and(|n| n.chars().count() > MAX_NOTES_LEN) {
        return Err(Error::invalid(
            "privateNotes",
            format!("at most {MAX_NOTES_LEN} characters"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_person_counts_as_a_minor_until_the_year_they_turn_18_is_over() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        assert!(may_be_minor(Some(2010), day));
        assert!(may_be_minor(Some(2008), day), "may still be 17 this year");
        assert!(!may_be_minor(Some(2007), day));
        assert!(may_be_minor(None, day), "unknown age is treated as a minor");
        let next_year = NaiveDate::from_ymd_opt(2027, 1, 1).unwrap();
        assert!(
            !may_be_minor(Some(2008), next_year),
            "by the date of each use"
        );
    }
}
