//! Ids from staff arguments, read through the caller's scope.
//!
//! A staff resolver turns an id argument into a `Uuid` with one of these instead
//! of `parse_id`: the id is parsed, then checked against the request's
//! [`Scope`](crate::organisations::Scope) (read once per request), and one out
//! of scope answers `NOT_FOUND`, exactly as an id that does not exist. The rule
//! itself lives in `organisations::scope`; this only spares every resolver the
//! same three lines.

use async_graphql::{Context, ID};
use uuid::Uuid;

use super::{
    context::{ContextExt, scope},
    scalars::parse_id,
};
use crate::error::Result;

macro_rules! scoped_id {
    ($(#[$doc:meta] $name:ident => $ensure:ident;)*) => {$(
        #[$doc]
        pub(crate) async fn $name(ctx: &Context<'_>, field: &'static str, id: &ID) -> Result<Uuid> {
            let id = parse_id(field, id)?;
            scope(ctx).await?.$ensure(&ctx.state().db, id).await?;
            Ok(id)
        }
    )*};
}

scoped_id! {
    /// A story in scope.
    story => ensure_story;
    /// A revision of a story in scope.
    revision => ensure_revision;
    /// A review comment on a story in scope.
    comment => ensure_comment;
    /// A storyteller in scope.
    storyteller => ensure_storyteller;
    /// A consent record of a storyteller in scope.
    consent => ensure_consent;
    /// A media asset in scope.
    media => ensure_media;
    /// An upload for a story or storyteller in scope.
    upload => ensure_upload;
}

/// Campaign ids, each in scope.
pub(crate) async fn campaigns(
    ctx: &Context<'_>,
    field: &'static str,
    ids: &[ID],
) -> Result<Vec<Uuid>> {
    let ids = ids
        .iter()
        .map(|i| parse_id(field, i))
        .collect::<Result<Vec<_>>>()?;
    scope(ctx).await?.ensure_campaigns(&ids)?;
    Ok(ids)
}
