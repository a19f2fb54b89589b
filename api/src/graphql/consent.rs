//! Consent records, their history and effects, for editors; and the one public
//! mutation a storyteller uses to withdraw with their personal code.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{consent_event, takedown};

use super::{
    auth::User,
    consumers::Channel,
    context::{ContextExt, scope},
    scalars::{Instant, parse_id},
    scoped,
    stories::{Faces, IdentityLevel, LocationPrecision, user},
};
use crate::{
    clock,
    consent::{self, Decision, Terms, expiry, records, visibility, withdrawal},
    error::Error,
};

/// Consent statuses as the W3C Data Privacy Vocabulary names them. Only `GIVEN`
/// and `RENEWED` allow any use.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::consent_record::Status")]
pub enum ConsentStatus {
    Requested,
    Given,
    Renewed,
    Refused,
    /// By the person.
    Withdrawn,
    /// By the organisation, e.g. after a new risk.
    Revoked,
    Expired,
    /// A defect was found: a false guardian, under age, duress.
    Invalidated,
    /// Imported legacy material.
    Unknown,
}

/// How the person's voice may be heard.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::consent_record::Voice")]
pub enum Voice {
    Original,
    Altered,
    TextOnly,
}

/// How consent was given.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::consent_record::Method")]
pub enum ConsentMethod {
    Written,
    Digital,
    VerbalRecorded,
    MarkOrThumbprint,
    /// On a campaign site's form, by the person themselves (`sendInStory`).
    OnlineForm,
}

/// Who expressed a consent decision.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::consent_record::IndicatedBy")]
pub enum IndicatedBy {
    Storyteller,
    Guardian,
    Organisation,
}

/// Through which channel a consent decision reached the organisation.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::consent_event::Via")]
pub enum ConsentVia {
    InPerson,
    Phone,
    Email,
    Post,
    Message,
    WithdrawalCode,
    Automatic,
    /// A campaign site's form (`sendInStory`).
    OnlineForm,
}

/// Special categories of personal data (GDPR Art. 9); any requires explicit consent.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::consent::SpecialCategory")]
pub enum SpecialCategory {
    EthnicOrigin,
    PoliticalOpinion,
    ReligionOrBelief,
    TradeUnion,
    Genetic,
    Biometric,
    Health,
    SexLifeOrOrientation,
}

/// What may be done with the story and the person's data under a consent
/// (after the W3C Data Privacy Vocabulary's processing terms; `docs/CONSENT.md`).
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::consent::ProcessingOperation")]
pub enum ProcessingOperation {
    /// Take the story in: an interview, a form, an upload.
    Collect,
    /// Record voice or video.
    Record,
    /// Keep the story and its media.
    Store,
    /// Write down what was said.
    Transcribe,
    /// Translate the story into other languages.
    Translate,
    /// Edit the story for publication (shorten, correct, blur faces).
    Edit,
    /// Publish it on the channels the consent grants.
    Publish,
    /// Give it to the partner organisations the consent names.
    ShareWithPartners,
    /// Keep it in an archive after publication.
    Archive,
}

/// How a witness is given: a name, or a role where naming them could put them at risk.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::consent_record::WitnessKind")]
pub enum WitnessKind {
    Name,
    Role,
}

/// Who witnessed a consent.
#[derive(SimpleObject)]
pub struct Witness {
    pub kind: WitnessKind,
    /// A name or a role (e.g. `caseworker`), as `kind` says.
    pub value: String,
}

/// Who witnessed a consent: a name or a role, 1 to 200 characters without
/// control characters.
#[derive(InputObject)]
pub struct WitnessInput {
    pub kind: WitnessKind,
    pub value: String,
}

/// How a consent ends at once.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::consent::Ending")]
pub enum ConsentEnding {
    /// The person withdraws.
    Withdraw,
    /// The organisation revokes, e.g. a safeguarding officer after a new risk.
    Revoke,
    /// A defect was found.
    Invalidate,
}

/// One consent record. Records never change: a change is a new record that
/// supersedes this one.
pub struct ConsentRecord(pub consent::Consent);

#[Object]
impl ConsentRecord {
    async fn id(&self) -> ID {
        ID(self.0.record.id.to_string())
    }
    async fn storyteller_id(&self) -> ID {
        ID(self.0.record.storyteller_id.to_string())
    }
    /// `null`: the consent covers all of the person's stories.
    async fn story_id(&self) -> Option<ID> {
        self.0.record.story_id.map(|id| ID(id.to_string()))
    }
    /// The record this one replaced.
    async fn supersedes(&self) -> Option<ID> {
        self.0.record.supersedes_id.map(|id| ID(id.to_string()))
    }
    /// The record that replaced this one; `null` while this is the current one.
    async fn superseded_by(&self, ctx: &Context<'_>) -> Result<Option<ID>> {
        Ok(records::successor(&ctx.state().db, self.0.record.id)
            .await?
            .map(|id| ID(id.to_string())))
    }
    async fn status(&self) -> ConsentStatus {
        self.0.record.status.into()
    }
    async fn channels(&self) -> Vec<Channel> {
        self.0
            .channels
            .iter()
            .filter_map(|c| Channel::shown(*c))
            .collect()
    }
    /// The partners the `PARTNER_SITES` grant names.
    async fn partner_ids(&self) -> Vec<ID> {
        self.0
            .partner_ids
            .iter()
            .map(|id| ID(id.to_string()))
            .collect()
    }
    /// `PARTNER_SITES` for every partner, present and future: an explicit choice.
    async fn all_partners(&self) -> bool {
        self.0.record.all_partners
    }
    async fn identity_level(&self) -> IdentityLevel {
        self.0.record.identity_level.into()
    }
    async fn faces(&self) -> Faces {
        self.0.record.faces.into()
    }
    async fn voice(&self) -> Voice {
        self.0.record.voice.into()
    }
    async fn location_precision(&self) -> LocationPrecision {
        self.0.record.location_precision.into()
    }
    async fn special_categories(&self) -> Vec<SpecialCategory> {
        consent::SpecialCategory::parse_list(&self.0.record.special_categories)
            .into_iter()
            .map(Into::into)
            .collect()
    }
    async fn explicit(&self) -> bool {
        self.0.record.explicit
    }
    async fn given_at(&self) -> Option<DateTime<Utc>> {
        self.0.record.given_at
    }
    /// Every consent ends; a minor's ends on their 18th birthday at the latest.
    async fn expires_at(&self) -> DateTime<Utc> {
        self.0.record.expires_at
    }
    async fn method(&self) -> ConsentMethod {
        self.0.record.method.into()
    }
    /// The language of the conversation (BCP 47).
    async fn language(&self) -> &str {
        &self.0.record.language
    }
    async fn interpreter(&self) -> Option<&str> {
        self.0.record.interpreter.as_deref()
    }
    /// The version of the consent notice shown, as the organisation names it.
    async fn notice_version(&self) -> &str {
        &self.0.record.notice_version
    }
    /// Which exact notice text the person was shown or read: `sha256:` and the
    /// lowercase hex SHA-256 of the notice file's bytes.
    async fn notice_hash(&self) -> &str {
        &self.0.record.notice_hash
    }
    async fn collected_by(&self) -> &str {
        &self.0.record.collected_by
    }
    async fn jurisdiction(&self) -> &str {
        &self.0.record.jurisdiction
    }
    /// The person was, or may have been, under 18 when this was recorded.
    async fn subject_minor(&self) -> bool {
        self.0.record.subject_minor
    }
    async fn guardian_consent(&self) -> bool {
        self.0.record.guardian_consent
    }
    async fn child_assent(&self) -> bool {
        self.0.record.child_assent
    }
    /// Where the private evidence (a form, a recording) is kept.
    async fn evidence_ref(&self) -> Option<&str> {
        self.0.record.evidence_ref.as_deref()
    }
    async fn indicated_by(&self) -> IndicatedBy {
        self.0.record.indicated_by.into()
    }
    async fn witness(&self) -> Option<Witness> {
        let r = &self.0.record;
        Some(Witness {
            kind: r.witness_kind?.into(),
            value: r.witness.clone()?,
        })
    }
    /// What may be done with the story, in a story's life order; `null`: not
    /// recorded (records made before the field existed, stories sent in).
    async fn processing_operations(&self) -> Option<Vec<ProcessingOperation>> {
        consent::ProcessingOperation::parse_list(self.0.record.processing_operations.as_deref())
            .map(|ops| ops.into_iter().map(Into::into).collect())
    }
    async fn recorded_by(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        user(ctx, self.0.record.recorded_by).await
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.record.created_at
    }
}

/// One entry of the append-only consent history.
pub struct ConsentEvent(pub consent_event::Model);

#[Object]
impl ConsentEvent {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The record this event created.
    async fn consent_id(&self) -> ID {
        ID(self.0.consent_id.to_string())
    }
    /// `RECORDED`, `AMENDED`, `RENEWED`, `WITHDRAWN`, `REVOKED`, `INVALIDATED` or `EXPIRED`.
    async fn action(&self) -> &str {
        &self.0.action
    }
    async fn from_status(&self) -> Option<ConsentStatus> {
        self.0.from_status.map(Into::into)
    }
    async fn to_status(&self) -> ConsentStatus {
        self.0.to_status.into()
    }
    async fn indicated_by(&self) -> IndicatedBy {
        self.0.indicated_by.into()
    }
    async fn via(&self) -> ConsentVia {
        self.0.via.into()
    }
    /// The staff member who recorded it; `null` for the storyteller's own code or the worker.
    async fn actor(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        user(ctx, self.0.actor_user_id).await
    }
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
}

/// Whether a story is visible on one channel right now, and why not.
#[derive(SimpleObject)]
pub struct ChannelVisibility {
    pub channel: Channel,
    /// Consumers of this channel see the story now (for `PARTNER_SITES`: at least one partner).
    pub visible: bool,
    /// A consent covers the channel, whatever the story's publication state.
    pub consented: bool,
    /// Why it is not visible; empty when it is.
    pub reasons: Vec<String>,
}

impl ChannelVisibility {
    /// `None` for a channel no story is shown on (never in the list given).
    pub fn shown(v: visibility::ChannelVisibility) -> Option<Self> {
        Some(Self {
            channel: Channel::shown(v.channel)?,
            visible: v.visible,
            consented: v.consented,
            reasons: v.reasons,
        })
    }
}

/// A request to take a story down from one recipient.
#[derive(SimpleObject)]
pub struct Takedown {
    pub id: ID,
    pub story_id: ID,
    pub api_key_id: ID,
    pub partner_id: Option<ID>,
    pub consent_id: Option<ID>,
    /// `WITHDRAWN`, `REVOKED`, `INVALIDATED`, `EXPIRED`, `NARROWED` or `ERASED`.
    pub reason: String,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub acknowledged_at: Option<DateTime<Utc>>,
}

impl From<takedown::Model> for Takedown {
    fn from(t: takedown::Model) -> Self {
        let id = |u: uuid::Uuid| ID(u.to_string());
        Self {
            id: id(t.id),
            story_id: id(t.story_id),
            api_key_id: id(t.api_key_id),
            partner_id: t.partner_id.map(id),
            consent_id: t.consent_id.map(id),
            reason: t.reason,
            created_at: t.created_at,
            delivered_at: t.delivered_at,
            acknowledged_at: t.acknowledged_at,
        }
    }
}

/// What a consent allows, as the person agreed it.
#[derive(InputObject)]
pub struct ConsentTermsInput {
    /// Leave out to cover all of the person's stories.
    pub story_id: Option<ID>,
    /// Each channel is granted separately.
    pub channels: Vec<Channel>,
    /// With `PARTNER_SITES`: the partners it covers.
    #[graphql(default)]
    pub partner_ids: Vec<ID>,
    /// With `PARTNER_SITES`: every partner, present and future (an explicit choice).
    #[graphql(default)]
    pub all_partners: bool,
    pub identity_level: IdentityLevel,
    pub faces: Faces,
    pub voice: Voice,
    pub location_precision: LocationPrecision,
    #[graphql(default)]
    pub special_categories: Vec<SpecialCategory>,
    /// Required when special categories are named.
    #[graphql(default)]
    pub explicit: bool,
    /// Defaults to now; never in the future.
    pub given_at: Option<Instant>,
    /// Defaults to `givenAt` plus the configured validity; cut to a minor's 18th
    /// birthday. A consent that allows use must still be in force: an expiry at
    /// or before now is `BAD_USER_INPUT`.
    pub expires_at: Option<Instant>,
    pub method: ConsentMethod,
    /// The language of the conversation (BCP 47); the receipt is printed in it.
    pub language: String,
    /// Who interpreted or explained the consent.
    pub interpreter: Option<String>,
    /// The version of the consent notice shown, as the organisation names it
    /// (e.g. `2026-01`); printed on the receipt.
    pub notice_version: String,
    /// Which exact notice text the person was shown or read: `sha256:` and the
    /// lowercase hex SHA-256 of the notice file's bytes (the admin computes it
    /// from the file). Any non-empty text of at most 128 characters is accepted,
    /// so records imported with another scheme stay valid.
    pub notice_hash: String,
    pub collected_by: String,
    pub jurisdiction: String,
    /// Required for anyone who may be under 18, with `childAssent`.
    #[graphql(default)]
    pub guardian_consent: bool,
    #[graphql(default)]
    pub child_assent: bool,
    /// Where the private evidence (a form, a recording) is kept.
    pub evidence_ref: Option<String>,
    /// Who witnessed the consent, if anyone; printed on the receipt.
    pub witness: Option<WitnessInput>,
    /// What may be done with the story (at least one); leave out only if it was
    /// not discussed, and the receipt says they were not recorded.
    pub processing_operations: Option<Vec<ProcessingOperation>>,
    #[graphql(default_with = "IndicatedBy::Storyteller")]
    pub indicated_by: IndicatedBy,
    #[graphql(default_with = "ConsentVia::InPerson")]
    pub via: ConsentVia,
}

impl ConsentTermsInput {
    /// The terms, with the story they name (if any) checked against the scope.
    async fn into_parts(self, ctx: &Context<'_>) -> Result<(Terms, Decision)> {
        let story_id = match &self.story_id {
            Some(id) => Some(scoped::story(ctx, "storyId", id).await?),
            None => None,
        };
        let partner_ids = self
            .partner_ids
            .iter()
            .map(|id| parse_id("partnerIds", id))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((
            Terms {
                story_id,
                channels: self.channels.into_iter().map(Into::into).collect(),
                partner_ids,
                all_partners: self.all_partners,
                identity_level: self.identity_level.into(),
                faces: self.faces.into(),
                voice: self.voice.into(),
                location_precision: self.location_precision.into(),
                special_categories: self
                    .special_categories
                    .into_iter()
                    .map(Into::into)
                    .collect(),
                explicit: self.explicit,
                given_at: self.given_at.map(|t| t.0),
                expires_at: self.expires_at.map(|t| t.0),
                method: self.method.into(),
                language: self.language,
                interpreter: self.interpreter,
                notice_version: self.notice_version,
                notice_hash: self.notice_hash,
                collected_by: self.collected_by,
                jurisdiction: self.jurisdiction,
                guardian_consent: self.guardian_consent,
                child_assent: self.child_assent,
                evidence_ref: self.evidence_ref,
                witness: self.witness.map(|w| consent::Witness {
                    kind: w.kind.into(),
                    value: w.value,
                }),
                operations: self
                    .processing_operations
                    .map(|ops| ops.into_iter().map(Into::into).collect()),
            },
            Decision {
                indicated_by: self.indicated_by.into(),
                via: self.via.into(),
            },
        ))
    }
}

/// A new consent record.
#[derive(InputObject)]
pub struct RecordConsentInput {
    pub storyteller_id: ID,
    /// `GIVEN`, `REQUESTED`, `REFUSED` or `UNKNOWN` (imported material).
    #[graphql(default_with = "ConsentStatus::Given")]
    pub status: ConsentStatus,
    pub terms: ConsentTermsInput,
}

/// A recorded consent and, when it allows use, the storyteller's new withdrawal
/// code: shown only now, to hand to the person (it replaces any earlier code).
#[derive(SimpleObject)]
pub struct RecordConsentPayload {
    pub consent: ConsentRecord,
    pub withdrawal_code: Option<String>,
}

impl From<consent::Recorded> for RecordConsentPayload {
    fn from(r: consent::Recorded) -> Self {
        Self {
            consent: ConsentRecord(r.consent),
            withdrawal_code: r.withdrawal_code,
        }
    }
}

/// The answer to a withdrawal by code.
#[derive(SimpleObject)]
pub struct WithdrawConsentPayload {
    /// Always true when no error is returned: the consent is withdrawn.
    pub withdrawn: bool,
    /// How many consent records were withdrawn.
    pub consents_withdrawn: i32,
}

#[derive(Default)]
pub struct ConsentQuery;

#[Object]
impl ConsentQuery {
    /// One consent record. Editors and admins.
    async fn consent_record(&self, ctx: &Context<'_>, id: ID) -> Result<ConsentRecord> {
        let id = scoped::consent(ctx, "id", &id).await?;
        Ok(ConsentRecord(
            records::get(&ctx.state().db, ctx.principal(), id).await?,
        ))
    }

    /// Current consents that expire within `withinDays` days, soonest first, so
    /// editors can renew in time. Editors and admins.
    async fn consents_expiring(
        &self,
        ctx: &Context<'_>,
        within_days: i32,
        #[graphql(default = 50)] first: i32,
    ) -> Result<Vec<ConsentRecord>> {
        if !(0..=3650).contains(&within_days) {
            return Err(Error::invalid("withinDays", "between 0 and 3650 days").into());
        }
        if !(0..=100).contains(&first) {
            return Err(Error::invalid("first", "`first` must be between 0 and 100").into());
        }
        let db = &ctx.state().db;
        let found = expiry::expiring(
            db,
            ctx.principal(),
            scope(ctx).await?,
            chrono::Duration::days(i64::from(within_days)),
            clock::now(),
            first as u64,
        )
        .await?;
        let mut out = Vec::with_capacity(found.len());
        for record in found {
            out.push(ConsentRecord(records::load(db, record).await?));
        }
        Ok(out)
    }

    /// Takedowns of one story, oldest first. Editors and admins.
    async fn takedowns(&self, ctx: &Context<'_>, story_id: ID) -> Result<Vec<Takedown>> {
        let story_id = parse_id("storyId", &story_id)?;
        ctx.principal().require_editor()?;
        // A story out of scope has no takedowns to show, as one that does not exist.
        match scope(ctx)
            .await?
            .ensure_story(&ctx.state().db, story_id)
            .await
        {
            Err(Error::NotFound(_)) => return Ok(Vec::new()),
            other => other?,
        }
        Ok(
            consent::takedown::of_story(&ctx.state().db, ctx.principal(), story_id)
                .await?
                .into_iter()
                .map(Into::into)
                .collect(),
        )
    }
}

#[derive(Default)]
pub struct ConsentMutation;

#[Object]
impl ConsentMutation {
    /// Records a storyteller's consent. Editors and admins.
    async fn record_consent(
        &self,
        ctx: &Context<'_>,
        input: RecordConsentInput,
    ) -> Result<RecordConsentPayload> {
        let state = ctx.state();
        let storyteller_id =
            scoped::storyteller(ctx, "storytellerId", &input.storyteller_id).await?;
        let (terms, decision) = input.terms.into_parts(ctx).await?;
        Ok(records::record(
            &state.db,
            ctx.principal(),
            &state.config.consent,
            storyteller_id,
            input.status.into(),
            terms,
            decision,
            clock::now(),
        )
        .await?
        .into())
    }

    /// Replaces the current record with changed terms. A `REQUESTED` or `UNKNOWN`
    /// record may become `GIVEN` or `REFUSED` this way. Editors and admins.
    async fn amend_consent(
        &self,
        ctx: &Context<'_>,
        id: ID,
        status: Option<ConsentStatus>,
        terms: ConsentTermsInput,
    ) -> Result<RecordConsentPayload> {
        let state = ctx.state();
        let id = scoped::consent(ctx, "id", &id).await?;
        let (terms, decision) = terms.into_parts(ctx).await?;
        Ok(records::amend(
            &state.db,
            ctx.principal(),
            &state.config.consent,
            id,
            status.map(Into::into),
            terms,
            decision,
            clock::now(),
        )
        .await?
        .into())
    }

    /// Renews a given, renewed or expired consent with new dates. Refused with
    /// `INVALID_TRANSITION` (reason `WITHDRAWN_SINCE`) when the storyteller has
    /// withdrawn any consent since this one was agreed: record a new consent, with
    /// its own evidence, instead. Editors and admins.
    async fn renew_consent(
        &self,
        ctx: &Context<'_>,
        id: ID,
        terms: ConsentTermsInput,
    ) -> Result<RecordConsentPayload> {
        let state = ctx.state();
        let id = scoped::consent(ctx, "id", &id).await?;
        let (terms, decision) = terms.into_parts(ctx).await?;
        Ok(records::renew(
            &state.db,
            ctx.principal(),
            &state.config.consent,
            id,
            terms,
            decision,
            clock::now(),
        )
        .await?
        .into())
    }

    /// Ends a consent at once: withdrawn (by the person), revoked (by the
    /// organisation) or invalidated. On the next request its stories leave every
    /// consumer query that nothing else covers, and every key that read them and
    /// may no longer see them gets a takedown. After `WITHDRAW`, the person's stories nothing covers any more
    /// become `WITHDRAWN` for good; after `REVOKE` or `INVALIDATE` they keep their
    /// state, held (hidden, not publishable) until a new consent covers them.
    /// Editors and admins.
    async fn end_consent(
        &self,
        ctx: &Context<'_>,
        id: ID,
        ending: ConsentEnding,
        #[graphql(default_with = "IndicatedBy::Storyteller")] indicated_by: IndicatedBy,
        #[graphql(default_with = "ConsentVia::InPerson")] via: ConsentVia,
    ) -> Result<ConsentRecord> {
        let id = scoped::consent(ctx, "id", &id).await?;
        Ok(ConsentRecord(
            records::end(
                &ctx.state().db,
                ctx.principal(),
                id,
                ending.into(),
                Decision {
                    indicated_by: indicated_by.into(),
                    via: via.into(),
                },
                clock::now(),
            )
            .await?,
        ))
    }

    /// Withdraws all of a storyteller's consent with their personal withdrawal
    /// code. Needs no account. A wrong, replaced or used code is `NOT_FOUND` and
    /// changes nothing; too many wrong codes from one address are `RATE_LIMITED`.
    async fn withdraw_consent(
        &self,
        ctx: &Context<'_>,
        code: String,
    ) -> Result<WithdrawConsentPayload> {
        let state = ctx.state();
        let n = withdrawal::withdraw_with_code(
            &state.db,
            &state.config,
            &code,
            &ctx.request().client_address,
            clock::now(),
        )
        .await?;
        Ok(WithdrawConsentPayload {
            withdrawn: true,
            consents_withdrawn: i32::try_from(n).unwrap_or(i32::MAX),
        })
    }
}
