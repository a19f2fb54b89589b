//! The web origins each partner's pages call `/graphql` from (CORS), for admins.

use async_graphql::{Context, ID, Object, Result};

use super::{context::ContextExt, scalars::parse_id};
use crate::{clock, consumers::origins};

#[derive(Default)]
pub struct PartnerOriginsQuery;

#[Object]
impl PartnerOriginsQuery {
    /// The origins a partner's pages may call the API from. Admins only.
    async fn partner_origins(&self, ctx: &Context<'_>, partner_id: ID) -> Result<Vec<String>> {
        let partner_id = parse_id("partnerId", &partner_id)?;
        Ok(origins::partner_origins(&ctx.state().db, ctx.principal(), partner_id).await?)
    }
}

#[derive(Default)]
pub struct PartnerOriginsMutation;

#[Object]
impl PartnerOriginsMutation {
    /// Replaces the web origins (`https://host[:port]`) a partner's pages may call the
    /// API from; browsers on other origins cannot read that partner's answers.
    /// Returns the stored list, normalised (lower case, no default port). Admins only.
    async fn set_partner_origins(
        &self,
        ctx: &Context<'_>,
        partner_id: ID,
        origins: Vec<String>,
    ) -> Result<Vec<String>> {
        let partner_id = parse_id("partnerId", &partner_id)?;
        let state = ctx.state();
        Ok(origins::set(
            &state.db,
            &state.origins,
            ctx.principal(),
            partner_id,
            &origins,
            clock::now(),
        )
        .await?)
    }
}
