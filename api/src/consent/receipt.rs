//! Consent receipts: what a storyteller agreed to, as a document they can keep.
//!
//! Each consent record has one receipt, with the record's id as its id:
//! - a JSON document in the shape of the Kantara Consent Receipt v1.1 and
//!   ISO/IEC TS 27560, plus Chorus's own terms, with the SHA-256 of its canonical
//!   form (keys sorted, no spaces), so any change to it can be detected;
//! - a printable, self-contained HTML page in the language of the consent
//!   conversation when a translation exists (`api/locales/receipt/*.ftl`, see
//!   [`words`]), right to left for Arabic, Farsi and Pashto; in English
//!   otherwise, with a sentence saying the language is not available.
//!
//! The data controller is the one stored with the record when it was written
//! (its organisation's own details, or the `CHORUS_CONTROLLER_*` settings), so
//! a receipt and its hash do not change when those details later do. Records
//! made before controllers were stored name the controller in force now. The
//! witness and the processing operations are stated as recorded; a record
//! without operations says they were not recorded.
//!
//! The terms that decide what a reader is shown (naming, place, faces, voice)
//! are stated against each channel: a reader on one channel is shown what the
//! consents for that channel allow, whatever another channel's terms say.
//!
//! The person appears only as an opaque id: never their name, contact or
//! guardian. The withdrawal code is not on it either: Chorus keeps only its hash.

mod words;

use chrono::{DateTime, SecondsFormat, Utc};
use entity::{
    api_key::Channel,
    consent_record::{self, Status, Voice, WitnessKind},
    partner,
    story::{Faces, IdentityLevel, LocationPrecision},
};
use sea_orm::{
    ActiveEnum, ColumnTrait, ConnectionTrait, EntityTrait, Iterable, QueryFilter, QueryOrder,
};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::{Consent, ProcessingOperation, SpecialCategory, gate::USABLE, records};
use crate::{
    auth::{Principal, sha256_hex},
    config::Controller,
    error::{Error, Result},
    organisations, storytellers,
};
use words::Words;

/// The Kantara specification version the JSON follows.
const KANTARA_VERSION: &str = "KI-CR-v1.1.0";
/// What the JSON says for a controller detail nobody configured.
const NOT_CONFIGURED: &str = "NOT CONFIGURED";

/// A consent receipt in both its forms.
#[derive(Debug, Clone)]
pub struct Receipt {
    /// The consent record's id.
    pub receipt_id: Uuid,
    /// The machine-readable receipt, its object keys in sorted order.
    pub json: Value,
    /// SHA-256 (hex) of `json` serialised as compact JSON.
    pub hash: String,
    /// A printable page, self-contained.
    pub html: String,
    /// The language the page is written in.
    pub language: String,
}

/// The receipt of one consent record (editors and admins); `instance` is the
/// instance-wide controller, for records that predate stored controllers.
pub async fn receipt(
    db: &impl ConnectionTrait,
    principal: &Principal,
    instance: &Controller,
    id: Uuid,
) -> Result<Receipt> {
    principal.require_editor()?;
    let record = consent_record::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound("no consent record with this id".into()))?;
    let consent = records::load(db, record).await?;
    of(db, instance, &consent).await
}

/// The receipt of a consent already loaded, for whoever the caller checked:
/// editors through [`receipt`], the storyteller who just sent their story in.
pub async fn of(
    db: &impl ConnectionTrait,
    instance: &Controller,
    consent: &Consent,
) -> Result<Receipt> {
    let controller = controller(db, instance, &consent.record).await?;
    let partner_names: Vec<String> = if consent.partner_ids.is_empty() {
        Vec::new()
    } else {
        partner::Entity::find()
            .filter(partner::Column::Id.is_in(consent.partner_ids.clone()))
            .order_by_asc(partner::Column::Name)
            .all(db)
            .await?
            .into_iter()
            .map(|p| p.name)
            .collect()
    };
    let json = sorted(&document(consent, &controller, &partner_names));
    let hash = sha256_hex(&canonical_bytes(&json)?);
    let (words, unavailable) = Words::for_language(&consent.record.language);
    let html = page(
        words,
        unavailable,
        consent,
        &controller,
        &partner_names,
        &hash,
    );
    Ok(Receipt {
        receipt_id: consent.record.id,
        json,
        hash,
        html,
        language: words.lang.to_owned(),
    })
}

/// The controller stored with the record; for a record that predates stored
/// controllers, the one of its storyteller's organisation now.
async fn controller(
    db: &impl ConnectionTrait,
    instance: &Controller,
    record: &consent_record::Model,
) -> Result<Controller> {
    if let Some(stored) = &record.controller {
        return serde_json::from_str(stored).map_err(Error::internal);
    }
    let teller = storytellers::find(db, record.storyteller_id).await?;
    organisations::controller::in_force(db, instance, teller.organisation_id).await
}

/// The bytes the hash is taken over: compact JSON with every object's keys sorted.
pub fn canonical_bytes(value: &Value) -> Result<Vec<u8>> {
    serde_json::to_vec(&sorted(value)).map_err(Error::internal)
}

/// A copy with object keys in sorted order at every depth. serde_json's default
/// map is already sorted; this keeps the hash stable should a dependency turn on
/// its `preserve_order` feature.
fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), sorted(v)))
                    .collect::<Map<String, Value>>(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// The channels granted, in the schema's order (the database returns them in no
/// promised order, and the hash must not depend on it).
fn channels(consent: &Consent) -> Vec<Channel> {
    Channel::iter()
        .filter(|c| consent.channels.contains(c))
        .collect()
}

/// The controller as Kantara's `piiControllers` entry: `contact` as given, and
/// `email` or `phone` too when it is one; the DPO contact is Chorus's own term.
fn pii_controller(controller: &Controller) -> Value {
    let mut entry = Map::new();
    entry.insert(
        "piiController".into(),
        json!(controller.name.as_deref().unwrap_or(NOT_CONFIGURED)),
    );
    entry.insert("onBehalf".into(), json!(false));
    let stated = |value: &Option<String>| json!(value.as_deref().unwrap_or(NOT_CONFIGURED));
    entry.insert("address".into(), stated(&controller.address));
    entry.insert("contact".into(), stated(&controller.contact));
    entry.insert("dpoContact".into(), stated(&controller.dpo_contact));
    if let Some(contact) = &controller.contact {
        if contact.contains('@') && !contact.contains(char::is_whitespace) {
            entry.insert("email".into(), json!(contact));
        } else if contact.strip_prefix('+').is_some_and(|digits| {
            !digits.is_empty()
                && digits
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == ' ' || c == '-')
        }) {
            entry.insert("phone".into(), json!(contact));
        }
    }
    Value::Object(entry)
}

fn document(consent: &Consent, controller: &Controller, partner_names: &[String]) -> Value {
    let r = &consent.record;
    let categories = SpecialCategory::parse_list(&r.special_categories);
    let mut partner_ids = consent.partner_ids.clone();
    partner_ids.sort();
    let pii = pii_categories(r);
    let consent_type = if r.explicit { "EXPLICIT" } else { "EXPRESSED" };
    let termination = format!(
        "At {}, or earlier if the consent is withdrawn",
        r.expires_at.to_rfc3339_opts(SecondsFormat::Secs, true)
    );
    let services: Vec<Value> = channels(consent)
        .into_iter()
        .map(|channel| {
            let category = match channel {
                Channel::ResearchArchive => "Research",
                _ => "Publication",
            };
            let disclosed = matches!(
                channel,
                Channel::PartnerSites | Channel::SocialMedia | Channel::Press
            );
            let mut purpose = json!({
                "purpose": purpose(channel),
                "purposeCategory": [category],
                "consentType": consent_type,
                "piiCategory": pii,
                "primaryPurpose": true,
                "termination": termination,
                "thirdPartyDisclosure": disclosed,
                // Chorus's own: what a reader on this channel is shown.
                "identityLevel": r.identity_level.to_value(),
                "locationPrecision": r.location_precision.to_value(),
                "faces": r.faces.to_value(),
                "voice": r.voice.to_value(),
            });
            if channel == Channel::PartnerSites {
                purpose["thirdPartyName"] = if r.all_partners {
                    json!("Every partner organisation, present and future")
                } else {
                    json!(partner_names.join(", "))
                };
            }
            json!({ "service": channel.to_value(), "purposes": [purpose] })
        })
        .collect();
    json!({
        "version": KANTARA_VERSION,
        "jurisdiction": r.jurisdiction,
        // A record that was never given (requested, refused) is dated when it was made.
        "consentTimestamp": r.given_at.unwrap_or(r.created_at).timestamp(),
        "collectionMethod": r.method.to_value(),
        "consentReceiptID": r.id.to_string(),
        "language": r.language,
        "piiPrincipalId": r.storyteller_id.to_string(),
        "piiControllers": [pii_controller(controller)],
        "services": services,
        "sensitive": !categories.is_empty(),
        "spiCat": categories.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
        "status": records::status_name(r.status),
        "expiresAt": r.expires_at.timestamp(),
        "identityLevel": r.identity_level.to_value(),
        "faces": r.faces.to_value(),
        "voice": r.voice.to_value(),
        "locationPrecision": r.location_precision.to_value(),
        "partners": partner_ids.iter().map(Uuid::to_string).collect::<Vec<_>>(),
        "allPartners": r.all_partners,
        "storyId": r.story_id.map(|id| id.to_string()),
        "guardianConsent": r.guardian_consent,
        "childAssent": r.child_assent,
        "noticeVersion": r.notice_version,
        "noticeHash": r.notice_hash,
        "witness": match (r.witness_kind, &r.witness) {
            (Some(kind), Some(value)) => json!({ "kind": kind.to_value(), "value": value }),
            _ => Value::Null,
        },
        // `null`: not recorded (never guessed for older records).
        "processingOperations": ProcessingOperation::parse_list(r.processing_operations.as_deref())
            .map(|ops| ops.into_iter().map(ProcessingOperation::as_str).collect::<Vec<_>>()),
    })
}

fn purpose(channel: Channel) -> &'static str {
    match channel {
        Channel::PublicWeb => "Publish the story on the organisation's public website",
        Channel::PartnerSites => "Publish the story on partner organisations' websites and apps",
        Channel::MobileApp => "Publish the story in the organisation's mobile app",
        Channel::SocialMedia => "Publish the story on social media",
        Channel::Press => "Share the story with the press",
        Channel::PrintExhibition => "Publish the story in print and in exhibitions",
        Channel::ResearchArchive => "Keep the story in a research archive",
        // Never granted: consent validation refuses it.
        Channel::Submissions => "Receive the story through a campaign site",
    }
}

/// What of the person a publication may show, under these terms.
fn pii_categories(r: &consent_record::Model) -> Vec<&'static str> {
    let mut out = vec!["STORY_TEXT"];
    match r.identity_level {
        IdentityLevel::FullName | IdentityLevel::FirstName => out.push("NAME"),
        IdentityLevel::Pseudonym => out.push("PSEUDONYM"),
        IdentityLevel::Anonymous => {}
    }
    if r.faces == Faces::Shown {
        out.push("FACE_IMAGE");
    }
    match r.voice {
        Voice::Original => out.push("VOICE_RECORDING"),
        Voice::Altered => out.push("ALTERED_VOICE_RECORDING"),
        Voice::TextOnly => {}
    }
    if r.location_precision != LocationPrecision::None {
        out.push("LOCATION");
    }
    out
}

/// The printable page. Every piece of text goes through [`escape`], the
/// translations' own included, so no value can become markup.
fn page(
    w: &Words,
    unavailable: Option<&str>,
    consent: &Consent,
    controller: &Controller,
    partner_names: &[String],
    hash: &str,
) -> String {
    let r = &consent.record;
    let mut rows: Vec<(String, String)> = Vec::new();

    let mut status = escape(&w.get(status_id(r.status)));
    if !USABLE.contains(&r.status) {
        status.push_str(&format!("<br>{}", escape(&w.get("not-in-force"))));
    }
    rows.push((w.get("status-label"), status));
    rows.push((
        w.get("scope-label"),
        escape(&match r.story_id {
            None => w.get("scope-all"),
            Some(id) => w.with("scope-one", &[("id", &id.to_string())]),
        }),
    ));
    let naming = w.get(identity_id(r.identity_level));
    let place = w.get(location_id(r.location_precision));
    let items: String = channels(consent)
        .into_iter()
        .map(|channel| {
            let mut item = escape(&w.get(channel_id(channel)));
            if channel == Channel::PartnerSites {
                let partners = if r.all_partners {
                    w.get("partners-all")
                } else {
                    w.with("partners-named", &[("partners", &partner_names.join(", "))])
                };
                item.push_str(&format!(" ({})", escape(&partners)));
            }
            item.push_str(&escape(&format!(
                " — {}: {naming}; {}: {place}",
                w.get("channel-name"),
                w.get("channel-place"),
            )));
            format!("<li>{item}</li>")
        })
        .collect();
    rows.push((
        w.get("channels-label"),
        format!(
            "<ul>{items}</ul><p class=\"small\">{}</p>",
            escape(&w.get("per-channel"))
        ),
    ));
    rows.push((w.get("identity-label"), escape(&naming)));
    rows.push((w.get("faces-label"), escape(&w.get(faces_id(r.faces)))));
    rows.push((w.get("voice-label"), escape(&w.get(voice_id(r.voice)))));
    rows.push((w.get("location-label"), escape(&place)));
    let categories = SpecialCategory::parse_list(&r.special_categories);
    let sensitive = if categories.is_empty() {
        escape(&w.get("none"))
    } else {
        list(w, categories.into_iter().map(category_id))
    };
    rows.push((w.get("sensitive-label"), sensitive));
    let operations = match ProcessingOperation::parse_list(r.processing_operations.as_deref()) {
        Some(ops) => list(w, ops.into_iter().map(operation_id)),
        None => escape(&w.get("operations-not-recorded")),
    };
    rows.push((w.get("operations-label"), operations));
    if let Some(given) = r.given_at {
        rows.push((w.get("given-label"), escape(&when(given))));
    }
    let mut until = escape(&when(r.expires_at));
    if USABLE.contains(&r.status) {
        let date = r.expires_at.format("%Y-%m-%d").to_string();
        until.push_str(&format!(
            "<br>{}",
            escape(&w.with("until-text", &[("date", &date)]))
        ));
    }
    rows.push((w.get("until-label"), until));
    if r.subject_minor && r.guardian_consent && r.child_assent {
        rows.push((w.get("minor-label"), escape(&w.get("minor-text"))));
    }
    let witness = match (r.witness_kind, &r.witness) {
        (Some(WitnessKind::Name), Some(value)) => w.with("witness-name", &[("witness", value)]),
        (Some(WitnessKind::Role), Some(value)) => w.with("witness-role", &[("witness", value)]),
        _ => w.get("witness-none"),
    };
    rows.push((w.get("witness-label"), escape(&witness)));
    rows.push((w.get("jurisdiction-label"), escape(&r.jurisdiction)));
    rows.push((w.get("notice-label"), escape(&r.notice_version)));

    let not_configured = w.get("not-configured");
    let stated = |value: &Option<String>| match value {
        // An address may span lines.
        Some(value) => escape(value).replace('\n', "<br>"),
        None => format!("<em>{}</em>", escape(&not_configured)),
    };
    let controller_rows = [
        ("controller-name-label", &controller.name),
        ("controller-address-label", &controller.address),
        ("controller-contact-label", &controller.contact),
        ("controller-dpo-label", &controller.dpo_contact),
    ]
    .into_iter()
    .map(|(label, value)| (w.get(label), stated(value)));
    let org = controller
        .name
        .clone()
        .unwrap_or_else(|| w.get("controller-unnamed"));

    let definitions = |rows: Vec<(String, String)>| -> String {
        rows.into_iter()
            .map(|(label, value)| format!("<dt>{}</dt><dd>{value}</dd>", escape(&label)))
            .collect()
    };
    let notice = match unavailable {
        Some(code) => format!(
            "<p class=\"notice\" lang=\"en\">{}</p>\n",
            escape(&w.with("language-unavailable", &[("code", code)]))
        ),
        None => String::new(),
    };
    format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\" dir=\"{dir}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n\
         {notice}<h1>{title}</h1>\n<p>{intro}</p>\n<dl>{details}</dl>\n\
         <h2>{controller_heading}</h2>\n<dl>{controller}</dl>\n\
         <h2>{withdraw_heading}</h2>\n<p class=\"withdraw\">{withdraw_text}</p>\n\
         <h2>{about_heading}</h2>\n<dl>\
         <dt>{id_label}</dt><dd class=\"code\">{id}</dd>\
         <dt>{hash_label}</dt><dd class=\"code\">{hash}</dd>\
         </dl>\n<p class=\"small\">{hash_text}</p>\n</main>\n</body>\n</html>\n",
        lang = escape(w.lang),
        dir = if w.rtl { "rtl" } else { "ltr" },
        title = escape(&w.get("title")),
        intro = escape(&w.with("intro", &[("org", &org)])),
        details = definitions(rows),
        controller_heading = escape(&w.get("controller-heading")),
        controller = definitions(controller_rows.collect()),
        withdraw_heading = escape(&w.get("withdraw-heading")),
        withdraw_text = escape(&w.with("withdraw-text", &[("org", &org)])),
        about_heading = escape(&w.get("about-heading")),
        id_label = escape(&w.get("receipt-id-label")),
        id = escape(&r.id.to_string()),
        hash_label = escape(&w.get("hash-label")),
        hash = escape(hash),
        hash_text = escape(&w.get("hash-text")),
    )
}

/// A list of translated items.
fn list(w: &Words, ids: impl Iterator<Item = &'static str>) -> String {
    let items: String = ids
        .map(|id| format!("<li>{}</li>", escape(&w.get(id))))
        .collect();
    format!("<ul>{items}</ul>")
}

/// Inline, so the page prints and opens offline exactly as sent.
const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'Noto Sans','Noto Sans Arabic',sans-serif;\
line-height:1.5;color:#111;background:#fff;margin:0;padding:1.5rem}\
main{max-width:42rem;margin:0 auto}h1{font-size:1.6rem;margin:0 0 .5rem}\
h2{font-size:1.2rem;margin:1.5rem 0 .5rem;border-bottom:1px solid #999}\
dl{display:grid;grid-template-columns:minmax(8rem,14rem) 1fr;gap:.4rem 1rem;margin:0}\
dt{font-weight:600}dd{margin:0}ul{margin:0;padding-inline-start:1.2rem}\
.withdraw{border:2px solid #111;padding:.75rem;font-size:1.05rem}\
.code{font-family:ui-monospace,Menlo,Consolas,monospace;word-break:break-all}\
.small{font-size:.85rem;color:#333}\
.notice{border:2px dashed #111;padding:.75rem}\
@media print{body{padding:0}.withdraw{break-inside:avoid}}";

fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// Escapes text for HTML element content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn status_id(status: Status) -> &'static str {
    match status {
        Status::Requested => "status-requested",
        Status::Given => "status-given",
        Status::Renewed => "status-renewed",
        Status::Refused => "status-refused",
        Status::Withdrawn => "status-withdrawn",
        Status::Revoked => "status-revoked",
        Status::Expired => "status-expired",
        Status::Invalidated => "status-invalidated",
        Status::Unknown => "status-unknown",
    }
}

fn channel_id(channel: Channel) -> &'static str {
    match channel {
        Channel::PublicWeb => "channel-public-web",
        Channel::PartnerSites => "channel-partner-sites",
        Channel::MobileApp => "channel-mobile-app",
        Channel::SocialMedia => "channel-social-media",
        Channel::Press => "channel-press",
        Channel::PrintExhibition => "channel-print-exhibition",
        Channel::ResearchArchive => "channel-research-archive",
        // Never granted: consent validation refuses it.
        Channel::Submissions => "channel-public-web",
    }
}

fn identity_id(level: IdentityLevel) -> &'static str {
    match level {
        IdentityLevel::FullName => "identity-full-name",
        IdentityLevel::FirstName => "identity-first-name",
        IdentityLevel::Pseudonym => "identity-pseudonym",
        IdentityLevel::Anonymous => "identity-anonymous",
    }
}

fn faces_id(faces: Faces) -> &'static str {
    match faces {
        Faces::Shown => "faces-shown",
        Faces::Obscured => "faces-obscured",
        Faces::NotDepicted => "faces-not-depicted",
    }
}

fn voice_id(voice: Voice) -> &'static str {
    match voice {
        Voice::Original => "voice-original",
        Voice::Altered => "voice-altered",
        Voice::TextOnly => "voice-text-only",
    }
}

fn location_id(precision: LocationPrecision) -> &'static str {
    match precision {
        LocationPrecision::None => "location-none",
        LocationPrecision::Country => "location-country",
        LocationPrecision::Region => "location-region",
        LocationPrecision::City => "location-city",
    }
}

fn category_id(category: SpecialCategory) -> &'static str {
    match category {
        SpecialCategory::EthnicOrigin => "category-ethnic-origin",
        SpecialCategory::PoliticalOpinion => "category-political-opinion",
        SpecialCategory::ReligionOrBelief => "category-religion-or-belief",
        SpecialCategory::TradeUnion => "category-trade-union",
        SpecialCategory::Genetic => "category-genetic",
        SpecialCategory::Biometric => "category-biometric",
        SpecialCategory::Health => "category-health",
        SpecialCategory::SexLifeOrOrientation => "category-sex-life-or-orientation",
    }
}

fn operation_id(operation: ProcessingOperation) -> &'static str {
    match operation {
        ProcessingOperation::Collect => "operation-collect",
        ProcessingOperation::Record => "operation-record",
        ProcessingOperation::Store => "operation-store",
        ProcessingOperation::Transcribe => "operation-transcribe",
        ProcessingOperation::Translate => "operation-translate",
        ProcessingOperation::Edit => "operation-edit",
        ProcessingOperation::Publish => "operation-publish",
        ProcessingOperation::ShareWithPartners => "operation-share-with-partners",
        ProcessingOperation::Archive => "operation-archive",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_cannot_become_markup() {
        assert_eq!(
            escape("<b a=\"x\">Tom & Jerry's</b>"),
            "&lt;b a=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/b&gt;"
        );
    }

    #[test]
    fn the_canonical_form_sorts_keys_at_every_depth() {
        let value = json!({ "b": 1, "a": [{ "d": 2, "c": 3 }] });
        assert_eq!(
            canonical_bytes(&value).unwrap(),
            br#"{"a":[{"c":3,"d":2}],"b":1}"#.to_vec()
        );
    }
}
