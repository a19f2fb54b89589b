//! Consent receipts, and the data-subject rights of export and erasure, in GraphQL.

use async_graphql::{Context, ID, Object, Result, SimpleObject};

use super::{context::ContextExt, scoped};
use crate::{
    clock,
    consent::receipt,
    error::Error,
    storytellers::rights::{self, ErasureSummary},
};

/// A consent receipt the person can keep: a Kantara Consent Receipt v1.1 /
/// ISO/IEC TS 27560 JSON document and a printable page. Neither holds their
/// name, contact, guardian or withdrawal code.
#[derive(SimpleObject)]
pub struct ConsentReceipt {
    /// The receipt's id: the consent record's id.
    pub receipt_id: ID,
    /// The receipt as canonical JSON text (compact, keys sorted): exactly the
    /// bytes `hash` is taken over.
    pub json: String,
    /// SHA-256 of `json`, in hex; any change to the receipt changes it.
    pub hash: String,
    /// A self-contained printable HTML page in `language`.
    pub html: String,
    /// The language of `html`: the consent conversation's when a translation
    /// exists, `en` otherwise.
    pub language: String,
}

/// What an erasure removed and kept.
#[derive(SimpleObject)]
pub struct ErasureResult {
    /// Stories deleted, with everything hanging off them.
    pub stories_deleted: i32,
    /// Story revisions deleted, in every locale.
    pub revisions_deleted: i32,
    /// Consent records kept as proof of what was agreed, without the
    /// interpreter's name or the evidence reference.
    pub consent_records_kept: i32,
    /// Takedowns created for the API keys that had received a deleted story.
    pub takedowns_created: i32,
}

impl From<ErasureSummary> for ErasureResult {
    fn from(s: ErasureSummary) -> Self {
        let int = |n: u64| i32::try_from(n).unwrap_or(i32::MAX);
        Self {
            stories_deleted: int(s.stories_deleted),
            revisions_deleted: int(s.revisions_deleted),
            consent_records_kept: int(s.consent_records_kept),
            takedowns_created: int(s.takedowns_created),
        }
    }
}

/// Consent receipts.
#[derive(Default)]
pub struct RightsQuery;

#[Object]
impl RightsQuery {
    /// The receipt of a consent record. Editors and admins.
    async fn consent_receipt(&self, ctx: &Context<'_>, id: ID) -> Result<ConsentReceipt> {
        let id = scoped::consent(ctx, "id", &id).await?;
        let state = ctx.state();
        let r = receipt::receipt(
            &state.db,
            ctx.principal(),
            &state.config.consent.controller,
            id,
        )
        .await?;
        Ok(ConsentReceipt {
            receipt_id: ID(r.receipt_id.to_string()),
            json: serde_json::to_string(&r.json).map_err(Error::internal)?,
            hash: r.hash,
            html: r.html,
            language: r.language,
        })
    }
}

/// Export and erasure of a storyteller's data.
#[derive(Default)]
pub struct RightsMutation;

#[Object]
impl RightsMutation {
    /// Everything held about one storyteller, personal fields decrypted, as JSON
    /// text: for a subject access or portability request. Admins only; audited
    /// (which is why it is a mutation).
    async fn export_storyteller(&self, ctx: &Context<'_>, id: ID) -> Result<String> {
        let state = ctx.state();
        let id = scoped::storyteller(ctx, "id", &id).await?;
        let document =
            rights::export(&state.db, &state.crypto, ctx.principal(), id, clock::now()).await?;
        Ok(serde_json::to_string(&document).map_err(Error::internal)?)
    }

    /// Erases a storyteller: their personal data and their stories go; the
    /// consent records, consent events and audit log stay as proof. Erasing
    /// again changes nothing. Admins only; audited.
    async fn erase_storyteller(&self, ctx: &Context<'_>, id: ID) -> Result<ErasureResult> {
        let id = scoped::storyteller(ctx, "id", &id).await?;
        let state = ctx.state();
        let summary = rights::erase(
            &state.db,
            state.storage.as_ref(),
            ctx.principal(),
            id,
            clock::now(),
        )
        .await?;
        Ok(summary.into())
    }
}
