//! Consent receipts: what a storyteller agreed to, as a document they can keep.
//!
//! Each consent record has one receipt, with the record's id as its id:
//! - a JSON document in the shape of the Kantara Consent Receipt v1.1 and
//!   ISO/IEC TS 27560, plus Chorus's own terms, with the SHA-256 of its canonical
//!   form (keys sorted, no spaces), so any change to it can be detected;
//! - a printable, self-contained HTML page in the language of the consent
//!   conversation when a translation exists, in English otherwise.
//!
//! The terms that decide what a reader is shown (naming, place, faces, voice)
//! are stated against each channel: a reader on one channel is shown what the
//! consents for that channel allow, whatever another channel's terms say.
//!
//! The person appears only as an opaque id: never their name, contact or
//! guardian. The withdrawal code is not on it either: Chorus keeps only its hash.

use chrono::{DateTime, SecondsFormat, Utc};
use entity::{
    api_key::Channel,
    consent_record::{self, Status, Voice},
    partner,
    story::{Faces, IdentityLevel, LocationPrecision},
};
use sea_orm::{
    ActiveEnum, ColumnTrait, ConnectionTrait, EntityTrait, Iterable, QueryFilter, QueryOrder,
};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::{Consent, SpecialCategory, gate::USABLE, records};
use crate::{
    auth::{Principal, sha256_hex},
    error::{Error, Result},
};

/// The Kantara specification version the JSON follows.
const KANTARA_VERSION: &str = "KI-CR-v1.1.0";
/// The data controller. There is no setting for the organisation's name yet.
const CONTROLLER: &str = "Chorus";

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

/// The receipt of one consent record (editors and admins).
pub async fn receipt(
    db: &impl ConnectionTrait,
    principal: &Principal,
    id: Uuid,
) -> Result<Receipt> {
    principal.require_editor()?;
    let record = consent_record::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound("no consent record with this id".into()))?;
    let consent = records::load(db, record).await?;
    of(db, &consent).await
}

/// The receipt of a consent already loaded, for whoever the caller checked:
/// editors through [`receipt`], the storyteller who just sent their story in.
pub async fn of(db: &impl ConnectionTrait, consent: &Consent) -> Result<Receipt> {
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
    let json = sorted(&document(consent, &partner_names));
    let hash = sha256_hex(&canonical_bytes(&json)?);
    let texts = Texts::for_language(&consent.record.language);
    let html = page(texts, consent, &partner_names, &hash);
    Ok(Receipt {
        receipt_id: consent.record.id,
        json,
        hash,
        html,
        language: texts.lang.to_owned(),
    })
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

fn document(consent: &Consent, partner_names: &[String]) -> Value {
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
        "piiControllers": [{ "piiController": CONTROLLER }],
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

/// The printable page. Every piece of text goes through [`escape`], the table's
/// own included, so no value can become markup.
fn page(t: &Texts, consent: &Consent, partner_names: &[String], hash: &str) -> String {
    let r = &consent.record;
    let mut rows: Vec<(&str, String)> = Vec::new();

    let mut status = escape(t.statuses[status_index(r.status)]);
    if !USABLE.contains(&r.status) {
        status.push_str(&format!("<br>{}", escape(t.not_in_force)));
    }
    rows.push((t.status_label, status));
    rows.push((
        t.scope_label,
        escape(&match r.story_id {
            None => t.scope_all.to_owned(),
            Some(id) => t.scope_one.replace("{id}", &id.to_string()),
        }),
    ));
    let items: String = channels(consent)
        .into_iter()
        .map(|channel| {
            let mut item = escape(t.channels[channel_index(channel)]);
            if channel == Channel::PartnerSites {
                let partners = if r.all_partners {
                    t.partners_all.to_owned()
                } else {
                    format!("{}{}", t.partners_named, partner_names.join(", "))
                };
                item.push_str(&format!(" ({})", escape(&partners)));
            }
            item.push_str(&escape(&format!(
                " — {}: {}; {}: {}",
                t.channel_name,
                t.identities[identity_index(r.identity_level)],
                t.channel_place,
                t.locations[location_index(r.location_precision)],
            )));
            format!("<li>{item}</li>")
        })
        .collect();
    rows.push((
        t.channels_label,
        format!(
            "<ul>{items}</ul><p class=\"small\">{}</p>",
            escape(t.per_channel)
        ),
    ));
    rows.push((
        t.identity_label,
        escape(t.identities[identity_index(r.identity_level)]),
    ));
    rows.push((t.faces_label, escape(t.faces[faces_index(r.faces)])));
    rows.push((t.voice_label, escape(t.voices[voice_index(r.voice)])));
    rows.push((
        t.location_label,
        escape(t.locations[location_index(r.location_precision)]),
    ));
    let categories = SpecialCategory::parse_list(&r.special_categories);
    let sensitive = if categories.is_empty() {
        escape(t.none)
    } else {
        let items: String = categories
            .iter()
            .filter_map(|c| SpecialCategory::ALL.iter().position(|a| a == c))
            .map(|i| format!("<li>{}</li>", escape(t.categories[i])))
            .collect();
        format!("<ul>{items}</ul>")
    };
    rows.push((t.sensitive_label, sensitive));
    if let Some(given) = r.given_at {
        rows.push((t.given_label, escape(&when(given))));
    }
    let mut until = escape(&when(r.expires_at));
    if USABLE.contains(&r.status) {
        until.push_str(&format!(
            "<br>{}",
            escape(
                &t.until_text
                    .replace("{date}", &r.expires_at.format("%Y-%m-%d").to_string())
            )
        ));
    }
    rows.push((t.until_label, until));
    if r.subject_minor && r.guardian_consent && r.child_assent {
        rows.push((t.minor_label, escape(t.minor_text)));
    }
    rows.push((t.jurisdiction_label, escape(&r.jurisdiction)));
    rows.push((t.notice_label, escape(&r.notice_version)));

    let details: String = rows
        .into_iter()
        .map(|(label, value)| format!("<dt>{}</dt><dd>{value}</dd>", escape(label)))
        .collect();
    let dir = if t.rtl { "rtl" } else { "ltr" };
    format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\" dir=\"{dir}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n\
         <h1>{title}</h1>\n<p>{intro}</p>\n<dl>{details}</dl>\n\
         <h2>{withdraw_heading}</h2>\n<p class=\"withdraw\">{withdraw_text}</p>\n\
         <h2>{about_heading}</h2>\n<dl>\
         <dt>{id_label}</dt><dd class=\"code\">{id}</dd>\
         <dt>{hash_label}</dt><dd class=\"code\">{hash}</dd>\
         </dl>\n<p class=\"small\">{hash_text}</p>\n</main>\n</body>\n</html>\n",
        lang = escape(t.lang),
        title = escape(t.title),
        intro = escape(&t.intro.replace("{org}", CONTROLLER)),
        withdraw_heading = escape(t.withdraw_heading),
        withdraw_text = escape(&t.withdraw_text.replace("{org}", CONTROLLER)),
        about_heading = escape(t.about_heading),
        id_label = escape(t.receipt_id_label),
        id = escape(&r.id.to_string()),
        hash_label = escape(t.hash_label),
        hash = escape(hash),
        hash_text = escape(t.hash_text),
    )
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

fn status_index(status: Status) -> usize {
    match status {
        Status::Requested => 0,
        Status::Given => 1,
        Status::Renewed => 2,
        Status::Refused => 3,
        Status::Withdrawn => 4,
        Status::Revoked => 5,
        Status::Expired => 6,
        Status::Invalidated => 7,
        Status::Unknown => 8,
    }
}

fn channel_index(channel: Channel) -> usize {
    match channel {
        Channel::PublicWeb => 0,
        Channel::PartnerSites => 1,
        Channel::MobileApp => 2,
        Channel::SocialMedia => 3,
        Channel::Press => 4,
        Channel::PrintExhibition => 5,
        Channel::Submissions => 7,
        Channel::ResearchArchive => 6,
    }
}

fn identity_index(level: IdentityLevel) -> usize {
    match level {
        IdentityLevel::FullName => 0,
        IdentityLevel::FirstName => 1,
        IdentityLevel::Pseudonym => 2,
        IdentityLevel::Anonymous => 3,
    }
}

fn faces_index(faces: Faces) -> usize {
    match faces {
        Faces::Shown => 0,
        Faces::Obscured => 1,
        Faces::NotDepicted => 2,
    }
}

fn voice_index(voice: Voice) -> usize {
    match voice {
        Voice::Original => 0,
        Voice::Altered => 1,
        Voice::TextOnly => 2,
    }
}

fn location_index(precision: LocationPrecision) -> usize {
    match precision {
        LocationPrecision::None => 0,
        LocationPrecision::Country => 1,
        LocationPrecision::Region => 2,
        LocationPrecision::City => 3,
    }
}

/// The words of the page in one language. Lists follow the order of the
/// `*_index` functions and of [`SpecialCategory::ALL`]; `{org}`, `{id}` and
/// `{date}` are filled in.
struct Texts {
    lang: &'static str,
    rtl: bool,
    title: &'static str,
    intro: &'static str,
    status_label: &'static str,
    statuses: [&'static str; 9],
    not_in_force: &'static str,
    scope_label: &'static str,
    scope_all: &'static str,
    scope_one: &'static str,
    channels_label: &'static str,
    channels: [&'static str; 7],
    partners_all: &'static str,
    partners_named: &'static str,
    channel_name: &'static str,
    channel_place: &'static str,
    per_channel: &'static str,
    identity_label: &'static str,
    identities: [&'static str; 4],
    faces_label: &'static str,
    faces: [&'static str; 3],
    voice_label: &'static str,
    voices: [&'static str; 3],
    location_label: &'static str,
    locations: [&'static str; 4],
    sensitive_label: &'static str,
    categories: [&'static str; 8],
    none: &'static str,
    given_label: &'static str,
    until_label: &'static str,
    until_text: &'static str,
    minor_label: &'static str,
    minor_text: &'static str,
    jurisdiction_label: &'static str,
    notice_label: &'static str,
    withdraw_heading: &'static str,
    withdraw_text: &'static str,
    about_heading: &'static str,
    receipt_id_label: &'static str,
    hash_label: &'static str,
    hash_text: &'static str,
}

impl Texts {
    /// The translation for a language tag (`fr`, `fr-BE`, `AR`…); English when
    /// there is none.
    fn for_language(tag: &str) -> &'static Texts {
        let primary = tag
            .trim()
            .split(['-', '_'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        TRANSLATIONS
            .iter()
            .find(|t| t.lang == primary)
            .unwrap_or(&TRANSLATIONS[0])
    }
}

/// English first: it is the fallback.
static TRANSLATIONS: [Texts; 3] = [
    Texts {
        lang: "en",
        rtl: false,
        title: "Your consent receipt",
        intro: "This receipt records what you agreed with {org} about your stories. Please keep it.",
        status_label: "This consent is",
        statuses: [
            "requested (not given yet)",
            "given",
            "renewed",
            "refused",
            "withdrawn",
            "stopped by the organisation",
            "expired",
            "found not valid",
            "unknown",
        ],
        not_in_force: "It does not allow any use of your stories now.",
        scope_label: "Which stories",
        scope_all: "All of your stories",
        scope_one: "One story (reference {id})",
        channels_label: "Where your story may be shown",
        channels: [
            "our website",
            "websites and apps of partner organisations",
            "our mobile app",
            "social media",
            "the press (newspapers, radio, television)",
            "printed material and exhibitions",
            "a research archive",
        ],
        partners_all: "every partner organisation, now and in the future",
        partners_named: "only these partner organisations: ",
        channel_name: "name",
        channel_place: "place",
        per_channel: "Each place your story is shown follows the terms listed with it. If another of your consents also covers a story there, the more protective terms apply.",
        identity_label: "How you are named",
        identities: [
            "your full name",
            "your first name only",
            "a pseudonym (a made-up name)",
            "no name at all (anonymous)",
        ],
        faces_label: "Your face in photos and videos",
        faces: [
            "shown",
            "hidden (covered by a solid box)",
            "not in any picture",
        ],
        voice_label: "Your voice",
        voices: ["your own voice", "a changed voice", "written text only"],
        location_label: "Where you are, as shown",
        locations: [
            "not shown",
            "the country only",
            "the country and region",
            "the country, region and city",
        ],
        sensitive_label: "Sensitive information the story reveals",
        categories: [
            "ethnic origin",
            "political opinions",
            "religion or beliefs",
            "trade union membership",
            "genetic data",
            "biometric data",
            "health",
            "sex life or sexual orientation",
        ],
        none: "none",
        given_label: "Agreed on",
        until_label: "Valid until",
        until_text: "This consent ends on {date} unless you renew it. It ends sooner if you withdraw it.",
        minor_label: "For a young person",
        minor_text: "Your guardian agreed, and you gave your own agreement too.",
        jurisdiction_label: "Law that applies",
        notice_label: "Version of the consent notice",
        withdraw_heading: "How to withdraw",
        withdraw_text: "You can take back your consent at any time, free of charge, without giving a reason. Use your withdrawal code, as given to you when this consent was recorded (it is not printed on this copy because {org} does not keep it), or tell the team who works with you. Your stories then leave our website at once, and partners are told to take them down.",
        about_heading: "About this receipt",
        receipt_id_label: "Receipt number",
        hash_label: "Fingerprint (SHA-256)",
        hash_text: "The fingerprint of the digital version of this receipt. Any change to the receipt changes its fingerprint.",
    },
    Texts {
        lang: "fr",
        rtl: false,
        title: "Votre reçu de consentement",
        intro: "Ce reçu indique ce que vous avez accepté avec {org} au sujet de vos histoires. Gardez-le.",
        status_label: "Ce consentement est",
        statuses: [
            "demandé (pas encore donné)",
            "donné",
            "renouvelé",
            "refusé",
            "retiré",
            "arrêté par l'organisation",
            "expiré",
            "reconnu non valable",
            "inconnu",
        ],
        not_in_force: "Il ne permet aucune utilisation de vos histoires à présent.",
        scope_label: "Histoires concernées",
        scope_all: "Toutes vos histoires",
        scope_one: "Une histoire (référence {id})",
        channels_label: "Où votre histoire peut être montrée",
        channels: [
            "notre site web",
            "les sites web et applications d'organisations partenaires",
            "notre application mobile",
            "les réseaux sociaux",
            "la presse (journaux, radio, télévision)",
            "des documents imprimés et des expositions",
            "une archive de recherche",
        ],
        partners_all: "toutes les organisations partenaires, actuelles et futures",
        partners_named: "seulement ces organisations partenaires : ",
        channel_name: "nom",
        channel_place: "lieu",
        per_channel: "Chaque endroit où votre histoire est montrée suit les conditions indiquées à côté. Si un autre de vos consentements couvre aussi une histoire à cet endroit, les conditions les plus protectrices s'appliquent.",
        identity_label: "Comment vous êtes nommé·e",
        identities: [
            "votre nom complet",
            "votre prénom seulement",
            "un pseudonyme (un nom inventé)",
            "aucun nom (anonyme)",
        ],
        faces_label: "Votre visage sur les photos et vidéos",
        faces: [
            "visible",
            "caché (masqué par un cadre opaque)",
            "absent des images",
        ],
        voice_label: "Votre voix",
        voices: [
            "votre propre voix",
            "une voix modifiée",
            "texte écrit seulement",
        ],
        location_label: "Lieu indiqué",
        locations: [
            "aucun",
            "le pays seulement",
            "le pays et la région",
            "le pays, la région et la ville",
        ],
        sensitive_label: "Informations sensibles révélées par l'histoire",
        categories: [
            "l'origine ethnique",
            "les opinions politiques",
            "la religion ou les convictions",
            "l'appartenance syndicale",
            "les données génétiques",
            "les données biométriques",
            "la santé",
            "la vie sexuelle ou l'orientation sexuelle",
        ],
        none: "aucune",
        given_label: "Accepté le",
        until_label: "Valable jusqu'au",
        until_text: "Ce consentement prend fin le {date}, sauf si vous le renouvelez. Il prend fin plus tôt si vous le retirez.",
        minor_label: "Pour un·e jeune",
        minor_text: "Votre représentant légal a donné son accord, et vous avez aussi donné le vôtre.",
        jurisdiction_label: "Droit applicable",
        notice_label: "Version de la notice de consentement",
        withdraw_heading: "Comment retirer votre consentement",
        withdraw_text: "Vous pouvez retirer votre consentement à tout moment, gratuitement et sans donner de raison. Utilisez votre code de retrait, tel qu'il vous a été remis quand ce consentement a été enregistré (il n'est pas imprimé sur cette copie, car {org} ne le conserve pas), ou prévenez l'équipe qui vous accompagne. Vos histoires quittent alors notre site immédiatement, et nos partenaires sont priés de les retirer.",
        about_heading: "À propos de ce reçu",
        receipt_id_label: "Numéro du reçu",
        hash_label: "Empreinte (SHA-256)",
        hash_text: "L'empreinte de la version numérique de ce reçu. Toute modification du reçu change son empreinte.",
    },
    Texts {
        lang: "ar",
        rtl: true,
        title: "إيصال موافقتك",
        intro: "يسجّل هذا الإيصال ما وافقت عليه مع {org} بشأن قصصك. يُرجى الاحتفاظ به.",
        status_label: "حالة هذه الموافقة",
        statuses: [
            "مطلوبة (لم تُعطَ بعد)",
            "مُعطاة",
            "مُجدَّدة",
            "مرفوضة",
            "مسحوبة",
            "أوقفتها المنظمة",
            "منتهية الصلاحية",
            "تبيّن أنها غير صالحة",
            "غير معروفة",
        ],
        not_in_force: "لا تسمح هذه الموافقة الآن بأي استخدام لقصصك.",
        scope_label: "القصص المشمولة",
        scope_all: "جميع قصصك",
        scope_one: "قصة واحدة (المرجع {id})",
        channels_label: "أين يمكن عرض قصتك",
        channels: [
            "موقعنا الإلكتروني",
            "مواقع وتطبيقات المنظمات الشريكة",
            "تطبيقنا على الهاتف",
            "وسائل التواصل الاجتماعي",
            "الصحافة (الصحف والإذاعة والتلفزيون)",
            "المطبوعات والمعارض",
            "أرشيف بحثي",
        ],
        partners_all: "جميع المنظمات الشريكة، الحالية والمستقبلية",
        partners_named: "هذه المنظمات الشريكة فقط: ",
        channel_name: "الاسم",
        channel_place: "المكان",
        per_channel: "يخضع كل مكان تُعرض فيه قصتك للشروط المذكورة بجانبه. وإذا كانت موافقة أخرى لك تشمل قصةً في المكان نفسه، تُطبَّق الشروط الأكثر حماية.",
        identity_label: "كيف يُذكر اسمك",
        identities: [
            "اسمك الكامل",
            "اسمك الأول فقط",
            "اسم مستعار",
            "دون أي اسم (مجهول الهوية)",
        ],
        faces_label: "وجهك في الصور ومقاطع الفيديو",
        faces: ["يظهر", "مُخفى (مغطّى بمربع معتم)", "لا يظهر في أي صورة"],
        voice_label: "صوتك",
        voices: ["صوتك الحقيقي", "صوت مُعدَّل", "نص مكتوب فقط"],
        location_label: "مكانك كما يُعرض",
        locations: [
            "لا يُعرض",
            "البلد فقط",
            "البلد والمنطقة",
            "البلد والمنطقة والمدينة",
        ],
        sensitive_label: "معلومات حساسة تكشفها القصة",
        categories: [
            "الأصل العرقي",
            "الآراء السياسية",
            "الدين أو المعتقد",
            "العضوية النقابية",
            "البيانات الوراثية",
            "البيانات البيومترية",
            "الصحة",
            "الحياة الجنسية أو التوجه الجنسي",
        ],
        none: "لا توجد",
        given_label: "تاريخ الموافقة",
        until_label: "صالحة حتى",
        until_text: "تنتهي هذه الموافقة في {date} ما لم تجدّدها، وتنتهي قبل ذلك إذا سحبتها.",
        minor_label: "للقاصرين",
        minor_text: "وافق وليّ أمرك، وأعطيت أنت موافقتك أيضاً.",
        jurisdiction_label: "القانون المطبَّق",
        notice_label: "إصدار نص الموافقة",
        withdraw_heading: "كيف تسحب موافقتك",
        withdraw_text: "يمكنك سحب موافقتك في أي وقت، مجاناً ودون ذكر السبب. استخدم رمز السحب كما أُعطي لك عند تسجيل هذه الموافقة (لا يظهر في هذه النسخة لأن {org} لا تحتفظ به)، أو أخبر الفريق الذي يعمل معك. عندها تُزال قصصك من موقعنا فوراً، ويُطلب من الشركاء إزالتها.",
        about_heading: "عن هذا الإيصال",
        receipt_id_label: "رقم الإيصال",
        hash_label: "البصمة (SHA-256)",
        hash_text: "بصمة النسخة الرقمية من هذا الإيصال. أي تغيير في الإيصال يغيّر بصمته.",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_language_without_a_translation_falls_back_to_english() {
        assert_eq!(Texts::for_language("fr-BE").lang, "fr");
        assert_eq!(Texts::for_language("AR").lang, "ar");
        assert_eq!(Texts::for_language("ti").lang, "en");
        assert_eq!(Texts::for_language("").lang, "en");
    }

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
