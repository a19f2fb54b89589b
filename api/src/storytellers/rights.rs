//! A storyteller's rights over their data: export (everything held about them,
//! in one machine-readable document) and erasure (their personal data and their
//! stories removed, the minimal proof of consent kept).
//!
//! Both are for admins only and both are written to the audit log, without any
//! personal data in the entry. What erasure keeps, and why, is in
//! `docs/CONSENT.md` ("Export and erasure").

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{
    consent_event, consent_record, job, media_asset, media_face_mask, media_rendition,
    review_comment, risk_assessment, story, story_campaign, story_locale, story_read,
    story_revision, story_tag, storyteller, storyteller_review, takedown, withdrawal_code,
};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    sea_query::{Expr, Query, SelectStatement},
};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{PersonalData, PersonalField, languages, read_personal};
use crate::{
    audit::{self, Actor, Event},
    auth::{Principal, Role},
    consent::{self, records},
    crypto::KeyRing,
    error::Result,
    stories::{self, review},
};

/// What the public name becomes on erasure.
pub const ERASED_NAME: &str = "[erased]";
/// The takedown reason for stories removed by erasure.
pub const ERASED_REASON: &str = "ERASED";

/// What an erasure did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErasureSummary {
    /// Stories deleted, with everything hanging off them.
    pub stories_deleted: u64,
    /// Revisions of those stories, in every locale.
    pub revisions_deleted: u64,
    /// Consent records kept as proof (with interpreter and evidence removed).
    pub consent_records_kept: u64,
    /// One per API key that had received one of the deleted stories.
    pub takedowns_created: u64,
}

/// Everything held about one person, with personal fields decrypted (admins
/// only). The decryption and the export are both audited.
pub async fn export(
    db: &DatabaseConnection,
    keys: &KeyRing,
    principal: &Principal,
    storyteller_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Value> {
    let staff = principal.require_role(&[Role::Admin])?;
    let teller = super::find(db, storyteller_id).await?;
    // After erasure nothing is left to decrypt (and the emptied legal name would
    // not decrypt).
    let personal = if teller.erased_at.is_none() {
        read_personal(
            db,
            keys,
            principal,
            &teller,
            &[
                PersonalField::LegalName,
                PersonalField::Contact,
                PersonalField::Guardian,
                PersonalField::PrivateNotes,
            ],
            now,
        )
        .await?
    } else {
        PersonalData::default()
    };

    let story_rows = story::Entity::find()
        .filter(story::Column::StorytellerId.eq(storyteller_id))
        .order_by_asc(story::Column::Id)
        .all(db)
        .await?;
    let mut story_docs = Vec::with_capacity(story_rows.len());
    for s in &story_rows {
        story_docs.push(story_document(db, s).await?);
    }

    let consent_rows = consent_record::Entity::find()
        .filter(consent_record::Column::StorytellerId.eq(storyteller_id))
        .order_by_asc(consent_record::Column::Id)
        .all(db)
        .await?;
    let mut consents = Vec::with_capacity(consent_rows.len());
    for record in consent_rows {
        consents.push(consent_document(records::load(db, record).await?));
    }
    let events: Vec<Value> = consent_event::Entity::find()
        .filter(consent_event::Column::StorytellerId.eq(storyteller_id))
        .order_by_asc(consent_event::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|e| {
            json!({
                "id": e.id,
                "consentId": e.consent_id,
                "action": e.action,
                "fromStatus": e.from_status.map(records::status_name),
                "toStatus": records::status_name(e.to_status),
                "indicatedBy": e.indicated_by.to_value(),
                "via": e.via.to_value(),
                "at": e.at,
            })
        })
        .collect();
    let codes: Vec<Value> = withdrawal_code::Entity::find()
        .filter(withdrawal_code::Column::StorytellerId.eq(storyteller_id))
        .order_by_asc(withdrawal_code::Column::Id)
        .all(db)
        .await?
        .into_iter()
        // Only that a code existed and when: its hash is of no use to anyone.
        .map(|c| json!({ "id": c.id, "createdAt": c.created_at, "retiredAt": c.retired_at }))
        .collect();
    let takedowns: Vec<Value> = takedown::Entity::find()
        .filter(takedown::Column::StoryId.in_subquery(stories_of(storyteller_id)))
        .order_by_asc(takedown::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|t| {
            json!({
                "id": t.id,
                "storyId": t.story_id,
                "partnerId": t.partner_id,
                "consentId": t.consent_id,
                "reason": t.reason,
                "createdAt": t.created_at,
                "deliveredAt": t.delivered_at,
                "acknowledgedAt": t.acknowledged_at,
            })
        })
        .collect();

    let document = json!({
        "exportedAt": now,
        "storyteller": {
            "id": teller.id,
            "publicName": teller.public_name,
            "publicNameIsPseudonym": teller.public_name_is_pseudonym,
            "legalName": personal.legal_name,
            "contact": personal.contact,
            "guardian": personal.guardian.map(|g| json!({
                "name": g.name,
                "relationship": g.relationship,
                "authorityBasis": g.authority_basis,
                "contact": g.contact,
            })),
            "privateNotes": personal.private_notes,
            "yearOfBirth": teller.year_of_birth,
            "dateOfBirth": teller.date_of_birth,
            "languages": languages(&teller),
            "asylumSeeker": teller.asylum_seeker,
            "refugee": teller.refugee,
            "undocumented": teller.undocumented,
            "createdAt": teller.created_at,
            "updatedAt": teller.updated_at,
            "erasedAt": teller.erased_at,
        },
        "stories": story_docs,
        "consents": consents,
        "consentEvents": events,
        "withdrawalCodes": codes,
        "takedowns": takedowns,
    });
    audit::record(
        db,
        Actor::User(staff.user_id),
        Event::new("storyteller.exported", "storyteller", storyteller_id).detail(json!({
            "stories": story_rows.len(),
            "consentRecords": document["consents"].as_array().map_or(0, Vec::len),
        })),
        now,
    )
    .await?;
    Ok(document)
}

/// One story with its text in every locale and revision, its links, review
/// material and recipients.
async fn story_document(db: &impl ConnectionTrait, s: &story::Model) -> Result<Value> {
    let revisions = stories::revisions(db, s.id, None).await?;
    let locales: Vec<Value> = stories::locales(db, s.id)
        .await?
        .into_iter()
        .map(|l| {
            let texts: Vec<Value> = revisions
                .iter()
                .filter(|r| r.locale == l.locale)
                .map(|r| {
                    json!({
                        "id": r.id,
                        "number": r.number,
                        "title": r.title,
                        "summary": r.summary,
                        "body": r.body,
                        "note": r.note,
                        "restoredFrom": r.restored_from,
                        "createdAt": r.created_at,
                    })
                })
                .collect();
            json!({
                "locale": l.locale,
                "headRevisionId": l.head_revision_id,
                "approvedRevisionId": l.approved_revision_id,
                "publishedRevisionId": l.published_revision_id,
                "revisions": texts,
            })
        })
        .collect();
    let campaigns: Vec<String> = stories::campaigns(db, s.id)
        .await?
        .into_iter()
        .map(|c| c.slug)
        .collect();
    let tags: Vec<String> = stories::tags(db, s.id)
        .await?
        .into_iter()
        .map(|t| t.slug)
        .collect();
    let comments: Vec<Value> = review::comments(db, s.id)
        .await?
        .into_iter()
        .map(|c| {
            json!({
                "id": c.id,
                "revisionId": c.revision_id,
                "body": c.body,
                "createdAt": c.created_at,
                "resolvedAt": c.resolved_at,
            })
        })
        .collect();
    let sign_offs: Vec<Value> = review::storyteller_reviews(db, s.id)
        .await?
        .into_iter()
        .map(|r| {
            json!({
                "id": r.id,
                "revisionId": r.revision_id,
                "method": r.method.to_value(),
                "reviewedAt": r.reviewed_at,
                "notes": r.notes,
                "createdAt": r.created_at,
            })
        })
        .collect();
    let assessments: Vec<Value> = review::risk_assessments(db, s.id)
        .await?
        .into_iter()
        .map(|a| {
            json!({
                "id": a.id,
                "assessor": a.assessor,
                "assessedOn": a.assessed_on,
                "level": a.level.to_value(),
                "mitigations": a.mitigations,
                "createdAt": a.created_at,
            })
        })
        .collect();
    // Where the story went, and for each recipient whether it was told to
    // remove it and confirmed it did (three statements, whatever their number).
    let reads = story_read::Entity::find()
        .filter(story_read::Column::StoryId.eq(s.id))
        .order_by_asc(story_read::Column::FirstReadAt)
        .all(db)
        .await?;
    let keys: HashMap<Uuid, entity::api_key::Model> = entity::api_key::Entity::find()
        .filter(entity::api_key::Column::Id.is_in(reads.iter().map(|r| r.api_key_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|k| (k.id, k))
        .collect();
    let partners: HashMap<Uuid, String> = entity::partner::Entity::find()
        .filter(entity::partner::Column::Id.is_in(reads.iter().filter_map(|r| r.partner_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect();
    // Oldest first, so each key's last one stays.
    let last_takedowns: HashMap<Uuid, takedown::Model> = takedown::Entity::find()
        .filter(takedown::Column::StoryId.eq(s.id))
        .order_by_asc(takedown::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.api_key_id, t))
        .collect();
    let recipients: Vec<Value> = reads
        .into_iter()
        .map(|r| {
            let key = keys.get(&r.api_key_id);
            json!({
                "partnerId": r.partner_id,
                "partner": r.partner_id.and_then(|p| partners.get(&p)),
                "apiKey": key.map(|k| k.name.clone()),
                "channel": key.map(|k| k.channel.to_value()),
                "firstReadAt": r.first_read_at,
                "takedown": last_takedowns.get(&r.api_key_id).map(|t| json!({
                    "id": t.id,
                    "reason": t.reason,
                    "createdAt": t.created_at,
                    "deliveredAt": t.delivered_at,
                    "removalConfirmedAt": t.acknowledged_at,
                })),
            })
        })
        .collect();
    Ok(json!({
        "id": s.id,
        "slug": s.slug,
        "state": s.state.to_value(),
        "primaryLocale": s.primary_locale,
        "region": s.region,
        "identityLevel": s.identity_level.to_value(),
        "faces": s.faces.to_value(),
        "locationPrecision": s.location_precision.to_value(),
        "createdAt": s.created_at,
        "updatedAt": s.updated_at,
        "submittedAt": s.submitted_at,
        "approvedAt": s.approved_at,
        "publishAt": s.publish_at,
        "unpublishAt": s.unpublish_at,
        "publishedAt": s.published_at,
        "firstPublishedAt": s.first_published_at,
        "campaigns": campaigns,
        "tags": tags,
        "locales": locales,
        "reviewComments": comments,
        "storytellerReviews": sign_offs,
        "riskAssessments": assessments,
        "receivedBy": recipients,
    }))
}

fn consent_document(c: records::Consent) -> Value {
    let r = c.record;
    json!({
        "id": r.id,
        "supersedesId": r.supersedes_id,
        "status": records::status_name(r.status),
        "storyId": r.story_id,
        "channels": c.channels.iter().map(|ch| ch.to_value()).collect::<Vec<_>>(),
        "partnerIds": c.partner_ids,
        "allPartners": r.all_partners,
        "identityLevel": r.identity_level.to_value(),
        "faces": r.faces.to_value(),
        "voice": r.voice.to_value(),
        "locationPrecision": r.location_precision.to_value(),
        "specialCategories": r.special_categories.split(',').filter(|s| !s.is_empty()).collect::<Vec<_>>(),
        "explicit": r.explicit,
        "givenAt": r.given_at,
        "expiresAt": r.expires_at,
        "method": r.method.to_value(),
        "language": r.language,
        "interpreter": r.interpreter,
        "noticeVersion": r.notice_version,
        "noticeHash": r.notice_hash,
        "collectedBy": r.collected_by,
        "jurisdiction": r.jurisdiction,
        "subjectMinor": r.subject_minor,
        "guardianConsent": r.guardian_consent,
        "childAssent": r.child_assent,
        "evidenceRef": r.evidence_ref,
        "witness": r.witness,
        "witnessKind": r.witness_kind.map(|k| k.to_value()),
        "processingOperations": r.processing_operations.as_deref().map(|ops| ops.split(',').collect::<Vec<_>>()),
        "indicatedBy": r.indicated_by.to_value(),
        "createdAt": r.created_at,
    })
}

/// Erases a person (admins only), in one transaction: their stories and
/// everything hanging off them are deleted, every key that received one of them
/// gets a takedown, their withdrawal codes are retired, their personal fields are
/// emptied and their consent records lose the interpreter, evidence and a
/// witness given by name. The
/// consent records, consent events and audit log stay: the proof of what was
/// agreed and done. Erasing again changes nothing.
pub async fn erase(
    db: &DatabaseConnection,
    store: &dyn crate::storage::ObjectStore,
    principal: &Principal,
    storyteller_id: Uuid,
    now: DateTime<Utc>,
) -> Result<ErasureSummary> {
    let staff = principal.require_role(&[Role::Admin])?;
    let txn = crate::db::begin_write(db).await?;
    let teller = super::find(&txn, storyteller_id).await?;
    let story_ids: Vec<Uuid> = story::Entity::find()
        .select_only()
        .column(story::Column::Id)
        .filter(story::Column::StorytellerId.eq(storyteller_id))
        .into_tuple()
        .all(&txn)
        .await?;
    let consent_records_kept = consent_record::Entity::find()
        .filter(consent_record::Column::StorytellerId.eq(storyteller_id))
        .count(&txn)
        .await?;
    if teller.erased_at.is_some() && story_ids.is_empty() {
        return Ok(ErasureSummary {
            stories_deleted: 0,
            revisions_deleted: 0,
            consent_records_kept,
            takedowns_created: 0,
        });
    }

    // Recipients are told before the record of who received what goes.
    let reads = story_read::Entity::find()
        .filter(story_read::Column::StoryId.in_subquery(stories_of(storyteller_id)))
        .all(&txn)
        .await?;
    for read in &reads {
        takedown::ActiveModel {
            id: Set(Uuid::now_v7()),
            story_id: Set(read.story_id),
            api_key_id: Set(read.api_key_id),
            partner_id: Set(read.partner_id),
            consent_id: Set(None),
            reason: Set(ERASED_REASON.to_owned()),
            created_at: Set(now),
            delivered_at: Set(None),
            acknowledged_at: Set(None),
            acknowledged_by: Set(None),
            overdue_at: Set(None),
        }
        .insert(&txn)
        .await?;
    }

    // Erasure ends every consent still in force: a WITHDRAWN record per chain is
    // the withdrawal record that survives, beside the proof of what was given.
    // Its stories are deleted below, so no other consequence is needed.
    for current in consent::withdrawal::current_usable(&txn, storyteller_id).await? {
        records::end_record(
            &txn,
            &current,
            consent_record::Status::Withdrawn,
            records::Decision {
                indicated_by: consent_record::IndicatedBy::Organisation,
                via: consent_event::Via::Automatic,
            },
            Actor::User(staff.user_id),
            records::Consequences::None,
            now,
        )
        .await?;
    }
    let consent_records_kept = consent_record::Entity::find()
        .filter(consent_record::Column::StorytellerId.eq(storyteller_id))
        .count(&txn)
        .await?;

    // Children before parents: comments and sign-offs point at revisions,
    // everything else at the story (migration m20261123_000003).
    review_comment::Entity::delete_many()
        .filter(review_comment::Column::StoryId.in_subquery(stories_of(storyteller_id)))
        .exec(&txn)
        .await?;
    storyteller_review::Entity::delete_many()
        .filter(storyteller_review::Column::StoryId.in_subquery(stories_of(storyteller_id)))
        .exec(&txn)
        .await?;
    risk_assessment::Entity::delete_many()
        .filter(risk_assessment::Column::StoryId.in_subquery(stories_of(storyteller_id)))
        .exec(&txn)
        .await?;
    story_campaign::Entity::delete_many()
        .filter(story_campaign::Column::StoryId.in_subquery(stories_of(storyteller_id)))
        .exec(&txn)
        .await?;
    story_tag::Entity::delete_many()
        .filter(story_tag::Column::StoryId.in_subquery(stories_of(storyteller_id)))
        .exec(&txn)
        .await?;
    story_locale::Entity::delete_many()
        .filter(story_locale::Column::StoryId.in_subquery(stories_of(storyteller_id)))
        .exec(&txn)
        .await?;
    let revisions_deleted = story_revision::Entity::delete_many()
        .filter(story_revision::Column::StoryId.in_subquery(stories_of(storyteller_id)))
        .exec(&txn)
        .await?
        .rows_affected;
    // Scheduled publishing of a story that no longer exists has nothing to do.
    job::Entity::delete_many()
        .filter(job::Column::StoryId.in_subquery(stories_of(storyteller_id)))
        .exec(&txn)
        .await?;
    story_read::Entity::delete_many()
        .filter(story_read::Column::StoryId.in_subquery(stories_of(storyteller_id)))
        .exec(&txn)
        .await?;
    // Media of the stories, and private evidence about the person: rows now,
    // bytes once the transaction has committed (the orphan sweep catches any
    // object a failed delete leaves behind, since no row names it any more).
    let media_condition = sea_orm::Condition::any()
        .add(media_asset::Column::StoryId.in_subquery(stories_of(storyteller_id)))
        .add(media_asset::Column::StorytellerId.eq(storyteller_id));
    let media_ids: Vec<Uuid> = media_asset::Entity::find()
        .select_only()
        .column(media_asset::Column::Id)
        .filter(media_condition.clone())
        .into_tuple()
        .all(&txn)
        .await?;
    let mut media_keys: Vec<String> = media_asset::Entity::find()
        .select_only()
        .column(media_asset::Column::StorageKey)
        .filter(media_condition.clone())
        .into_tuple()
        .all(&txn)
        .await?;
    let rendition_keys: Vec<String> = media_rendition::Entity::find()
        .select_only()
        .column(media_rendition::Column::StorageKey)
        .filter(media_rendition::Column::MediaId.is_in(media_ids.clone()))
        .into_tuple()
        .all(&txn)
        .await?;
    media_keys.extend(rendition_keys);
    // Their render jobs have nothing left to do.
    job::Entity::delete_many()
        .filter(job::Column::MediaId.is_in(media_ids.clone()))
        .exec(&txn)
        .await?;
    media_face_mask::Entity::delete_many()
        .filter(media_face_mask::Column::MediaId.is_in(media_ids.clone()))
        .exec(&txn)
        .await?;
    media_rendition::Entity::delete_many()
        .filter(media_rendition::Column::MediaId.is_in(media_ids.clone()))
        .exec(&txn)
        .await?;
    let media_ids_for_objects = media_ids.clone();
    media_asset::Entity::delete_many()
        .filter(media_asset::Column::Id.is_in(media_ids))
        .exec(&txn)
        .await?;
    let stories_deleted = story::Entity::delete_many()
        .filter(story::Column::StorytellerId.eq(storyteller_id))
        .exec(&txn)
        .await?
        .rows_affected;

    withdrawal_code::Entity::update_many()
        .col_expr(withdrawal_code::Column::RetiredAt, Expr::value(now))
        .filter(withdrawal_code::Column::StorytellerId.eq(storyteller_id))
        .filter(withdrawal_code::Column::RetiredAt.is_null())
        .exec(&txn)
        .await?;
    let mut shell: storyteller::ActiveModel = teller.clone().into();
    shell.public_name = Set(ERASED_NAME.to_owned());
    // Empty rather than a ciphertext: nothing is left to decrypt, and key
    // rotation skips values that are not ciphertexts.
    shell.legal_name_enc = Set(String::new());
    shell.contact_enc = Set(None);
    shell.guardian_enc = Set(None);
    shell.private_notes_enc = Set(None);
    shell.year_of_birth = Set(None);
    shell.date_of_birth = Set(None);
    shell.languages = Set(String::new());
    // Migration status is personal data too, of the most sensitive kind here.
    shell.asylum_seeker = Set(false);
    shell.refugee = Set(false);
    shell.undocumented = Set(false);
    shell.updated_at = Set(now);
    shell.erased_at = Set(Some(teller.erased_at.unwrap_or(now)));
    shell.update(&txn).await?;
    // The records themselves are the proof and stay; these two name third
    // parties or point at files about the person.
    consent_record::Entity::update_many()
        .col_expr(
            consent_record::Column::Interpreter,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            consent_record::Column::EvidenceRef,
            Expr::value(Option::<String>::None),
        )
        .filter(consent_record::Column::StorytellerId.eq(storyteller_id))
        .exec(&txn)
        .await?;
    // A witness given by name is a third party too; one given by role names nobody.
    consent_record::Entity::update_many()
        .col_expr(
            consent_record::Column::Witness,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            consent_record::Column::WitnessKind,
            Expr::value(Option::<String>::None),
        )
        .filter(consent_record::Column::StorytellerId.eq(storyteller_id))
        .filter(consent_record::Column::WitnessKind.eq(consent_record::WitnessKind::Name))
        .exec(&txn)
        .await?;

    let summary = ErasureSummary {
        stories_deleted,
        revisions_deleted,
        consent_records_kept,
        takedowns_created: reads.len() as u64,
    };
    audit::record(
        &txn,
        Actor::User(staff.user_id),
        Event::new("storyteller.erased", "storyteller", storyteller_id).detail(json!({
            "storyIds": story_ids,
            "storiesDeleted": summary.stories_deleted,
            "revisionsDeleted": summary.revisions_deleted,
            "consentRecordsKept": summary.consent_records_kept,
            "takedownsCreated": summary.takedowns_created,
        })),
        now,
    )
    .await?;
    txn.commit().await?;
    // Every object under each item's prefix goes (older renditions too), and
    // the keys the rows named in case a listing fails.
    for id in media_ids_for_objects {
        crate::media::removal::delete_objects(store, id, Vec::new()).await;
    }
    crate::media::removal::delete_objects_by_key(store, media_keys).await;
    Ok(summary)
}

/// `SELECT id FROM stories WHERE storyteller_id = ?`, for `IN` filters: one
/// query per table however many stories there are.
fn stories_of(storyteller_id: Uuid) -> SelectStatement {
    Query::select()
        .column(story::Column::Id)
        .from(story::Entity)
        .and_where(story::Column::StorytellerId.eq(storyteller_id))
        .to_owned()
}
