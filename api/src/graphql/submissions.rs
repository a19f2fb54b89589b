//! Stories sent in through campaign sites: the challenge and `sendInStory` for
//! a `SUBMISSIONS` key, spam marking and blocks for editors.

use async_graphql::{
    Context, ID, InputObject, Object, Result, SimpleObject, Upload, connection::Connection,
};
use chrono::{DateTime, Utc};

use super::{
    connection::{connection, page_request},
    consent::{SpecialCategory, Voice},
    consumers::Channel,
    context::{ContextExt, scope},
    rights::ConsentReceipt,
    scalars::parse_id,
    scoped,
    stories::{Faces, IdentityLevel, LocationPrecision, Story},
};
use crate::{
    clock,
    error::Error,
    stories::Text,
    submissions::{self, FormConsent, Sent, spam},
};

/// A proof-of-work challenge in the ALTCHA format: find the `number` from 0 to
/// `maxNumber` with `hex(SHA-256(salt + number)) == challenge`.
#[derive(SimpleObject)]
pub struct SubmissionChallenge {
    /// Always `SHA-256`.
    pub algorithm: String,
    pub challenge: String,
    /// Carries the expiry and the key it was issued to; use it as it is.
    pub salt: String,
    pub max_number: i64,
    pub signature: String,
}

/// The consent the storyteller gave on the form.
#[derive(InputObject)]
pub struct SubmissionConsentInput {
    /// The channels they agreed to, each separately.
    pub channels: Vec<Channel>,
    /// With `PARTNER_SITES`: every partner, present and future (required then:
    /// a form cannot name partners).
    #[graphql(default)]
    pub all_partners: bool,
    /// How they chose to be named.
    pub identity_level: IdentityLevel,
    #[graphql(default_with = "Faces::Obscured")]
    pub faces: Faces,
    #[graphql(default_with = "Voice::TextOnly")]
    pub voice: Voice,
    #[graphql(default_with = "LocationPrecision::Country")]
    pub location_precision: LocationPrecision,
    #[graphql(default)]
    pub special_categories: Vec<SpecialCategory>,
    /// Required when special categories are named.
    #[graphql(default)]
    pub explicit: bool,
    /// The language of the form and its notice (BCP 47); the receipt is printed in it.
    pub language: String,
    /// The version of the consent notice the form showed.
    pub notice_version: String,
    /// `sha256:` and the hex SHA-256 of the notice text the form showed.
    pub notice_hash: String,
    /// The law the consent is given under, e.g. `UK`.
    pub jurisdiction: String,
}

/// A story as a campaign site's form sends it.
#[derive(InputObject)]
pub struct SendInStoryInput {
    pub title: String,
    pub summary: Option<String>,
    /// Markdown, in the storyteller's language; at most `CHORUS_SUBMISSION_MAX_BODY_BYTES`.
    pub body: String,
    /// The language the story is written in (BCP 47).
    pub language: String,
    /// The name or pseudonym to be shown, as far as the consent allows.
    pub public_name: String,
    #[graphql(default = true)]
    pub public_name_is_pseudonym: bool,
    /// How to reach them (kept encrypted); leave out to stay anonymous.
    pub contact: Option<String>,
    /// People under 18 cannot send a story in themselves.
    pub year_of_birth: i32,
    /// A coarse region, never an address.
    pub region: Option<String>,
    pub consent: SubmissionConsentInput,
    /// Photos, or one recording (multipart request).
    #[graphql(default)]
    pub media: Vec<Upload>,
    /// The form's hidden trap field, sent as it is: people leave it empty.
    pub honeypot: Option<String>,
    /// The solved `submissionChallenge`: base64 of the JSON
    /// `{algorithm, challenge, number, salt, signature}` (ALTCHA's payload).
    pub proof: Option<String>,
}

/// What the storyteller keeps: their receipt and withdrawal code.
#[derive(SimpleObject)]
pub struct SentInStory {
    /// The draft created; it stays unpublished until editors publish it.
    pub story_id: ID,
    pub received_at: DateTime<Utc>,
    pub receipt: ConsentReceipt,
    /// Shown this once: withdraws the consent at any time (`withdrawConsent`).
    pub withdrawal_code: String,
}

/// That a story was sent in by its storyteller, and what editors made of it.
#[derive(SimpleObject)]
pub struct StorySubmission {
    pub received_at: DateTime<Utc>,
    /// Marked as spam by an editor (and archived).
    pub spam: bool,
    pub campaign_id: ID,
    /// The campaign site's key it came through.
    pub api_key_id: ID,
}

impl From<entity::submission::Model> for StorySubmission {
    fn from(s: entity::submission::Model) -> Self {
        Self {
            received_at: s.received_at,
            spam: s.spam_at.is_some(),
            campaign_id: ID(s.campaign_id.to_string()),
            api_key_id: ID(s.api_key_id.to_string()),
        }
    }
}

/// A source refused further submissions.
#[derive(SimpleObject)]
pub struct SubmissionBlock {
    pub id: ID,
    /// `ADDRESS` (a sender's address, kept only as a keyed hash) or `API_KEY`.
    pub kind: String,
    /// The key, for `API_KEY` blocks.
    pub api_key_id: Option<ID>,
    /// The sent-in story that led to it.
    pub story_id: Option<ID>,
    pub created_at: DateTime<Utc>,
    /// `null`: until lifted.
    pub expires_at: Option<DateTime<Utc>>,
    pub lifted_at: Option<DateTime<Utc>>,
}

impl From<entity::submission_block::Model> for SubmissionBlock {
    fn from(b: entity::submission_block::Model) -> Self {
        use entity::submission_block::Kind;
        Self {
            id: ID(b.id.to_string()),
            kind: spam::kind_name(b.kind).to_owned(),
            api_key_id: (b.kind == Kind::ApiKey).then(|| ID(b.value.clone())),
            story_id: b.story_id.map(|id| ID(id.to_string())),
            created_at: b.created_at,
            expires_at: b.expires_at,
            lifted_at: b.lifted_at,
        }
    }
}

/// The outcome of `markSubmissionSpam`.
#[derive(SimpleObject)]
pub struct MarkSubmissionSpamPayload {
    pub submission: StorySubmission,
    /// The story, now archived.
    pub story: Story,
    /// The blocks placed by this call.
    pub blocks: Vec<SubmissionBlock>,
}

#[derive(Default)]
pub struct SubmissionQuery;

#[Object]
impl SubmissionQuery {
    /// A proof-of-work challenge for the next story. `SUBMISSIONS` keys only;
    /// never cached: ask for one per form.
    async fn submission_challenge(&self, ctx: &Context<'_>) -> Result<SubmissionChallenge> {
        let c = submissions::challenge(&ctx.state().config, ctx.principal(), clock::now())?;
        Ok(SubmissionChallenge {
            algorithm: c.algorithm.to_owned(),
            challenge: c.challenge,
            salt: c.salt,
            max_number: i64::try_from(c.max_number).unwrap_or(i64::MAX),
            signature: c.signature,
        })
    }

    /// Sources blocked from sending stories in, in force now. Editors and admins.
    #[graphql(
        complexity = "first.or(last).unwrap_or(20).clamp(1, 100) as usize * child_complexity"
    )]
    async fn submission_blocks(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Connection<String, SubmissionBlock>> {
        let page = spam::blocks(
            &ctx.state().db,
            ctx.principal(),
            scope(ctx).await?,
            page_request(first, after, last, before)?,
            clock::now(),
        )
        .await?;
        Ok(connection(page, |b| b.id, SubmissionBlock::from))
    }
}

#[derive(Default)]
pub struct SubmissionMutation;

#[Object]
impl SubmissionMutation {
    /// Sends a story in on the storyteller's behalf, with the consent they gave
    /// on the form and a solved `submissionChallenge`. `SUBMISSIONS` keys only.
    /// It becomes a draft in the key's campaign, flagged as sent in, visible to
    /// no reader until editors publish it. Refusals: `SUBMISSION_REFUSED`
    /// (`extensions.reason`), `RATE_LIMITED`, `BAD_USER_INPUT`,
    /// `PAYLOAD_TOO_LARGE`, `UNSUPPORTED_MEDIA_TYPE`.
    async fn send_in_story(
        &self,
        ctx: &Context<'_>,
        input: SendInStoryInput,
    ) -> Result<SentInStory> {
        // Refuse other callers before copying any file.
        submissions::submission_key(ctx.principal())?;
        let mut files = Vec::with_capacity(input.media.len());
        for upload in &input.media {
            let value = upload
                .value(ctx)
                .map_err(|_| Error::invalid("media", "expected uploaded files"))?;
            files.push(super::media::copy_to_temp(value).await?);
        }
        let c = input.consent;
        let sent = Sent {
            text: Text {
                title: input.title,
                summary: input.summary.unwrap_or_default(),
                body: input.body,
            },
            locale: input.language,
            public_name: input.public_name,
            public_name_is_pseudonym: input.public_name_is_pseudonym,
            contact: input.contact,
            year_of_birth: input.year_of_birth,
            region: input.region,
            consent: FormConsent {
                channels: c.channels.into_iter().map(Into::into).collect(),
                all_partners: c.all_partners,
                identity_level: c.identity_level.into(),
                faces: c.faces.into(),
                voice: c.voice.into(),
                location_precision: c.location_precision.into(),
                special_categories: c.special_categories.into_iter().map(Into::into).collect(),
                explicit: c.explicit,
                language: c.language,
                notice_version: c.notice_version,
                notice_hash: c.notice_hash,
                jurisdiction: c.jurisdiction,
            },
            honeypot: input.honeypot,
            proof: input.proof,
            files: files.iter().map(|p| p.to_path_buf()).collect(),
        };
        let state = ctx.state();
        let r = submissions::submit(
            &state.db,
            state.storage.as_ref(),
            &state.config,
            &state.crypto,
            ctx.principal(),
            sent,
            &ctx.request().client_address,
            clock::now(),
        )
        .await?;
        // The temp copies go when `files` is dropped.
        drop(files);
        Ok(SentInStory {
            story_id: ID(r.story.id.to_string()),
            received_at: r.received_at,
            receipt: ConsentReceipt {
                receipt_id: ID(r.receipt.receipt_id.to_string()),
                json: serde_json::to_string(&r.receipt.json).map_err(Error::internal)?,
                hash: r.receipt.hash,
                html: r.receipt.html,
                language: r.receipt.language,
            },
            withdrawal_code: r.withdrawal_code,
        })
    }

    /// Marks a sent-in story as spam: archives it, out of the review queue. With
    /// `block`, the sender's address is refused for `CHORUS_SUBMISSION_BLOCK_DURATION`;
    /// with `blockKey`, the whole campaign site's key until lifted. Editors and admins.
    async fn mark_submission_spam(
        &self,
        ctx: &Context<'_>,
        story_id: ID,
        #[graphql(default)] block: bool,
        #[graphql(default)] block_key: bool,
    ) -> Result<MarkSubmissionSpamPayload> {
        let state = ctx.state();
        let story_id = scoped::story(ctx, "storyId", &story_id).await?;
        let (submission, blocks) = spam::mark_spam(
            &state.db,
            &state.config,
            ctx.principal(),
            story_id,
            spam::Block {
                address: block,
                key: block_key,
            },
            clock::now(),
        )
        .await?;
        let story = crate::stories::workflow::load(&state.db, story_id, None).await?;
        Ok(MarkSubmissionSpamPayload {
            submission: submission.into(),
            story: Story(story),
            blocks: blocks.into_iter().map(Into::into).collect(),
        })
    }

    /// Lifts a block at once. Editors and admins.
    async fn unblock_submission_source(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> Result<SubmissionBlock> {
        Ok(spam::unblock(
            &ctx.state().db,
            ctx.principal(),
            scope(ctx).await?,
            parse_id("id", &id)?,
            clock::now(),
        )
        .await?
        .into())
    }
}

/// `Story.submission`.
pub(super) async fn of_story(
    ctx: &Context<'_>,
    story_id: uuid::Uuid,
) -> Result<Option<StorySubmission>> {
    Ok(submissions::of_story(&ctx.state().db, story_id)
        .await?
        .map(Into::into))
}
