//! Staff accounts for admins: the list, invitations, roles, disabling, ending
//! sessions; and accepting an invitation, which needs no account.

use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::{
    auth::{RoleGql, User},
    context::ContextExt,
    scalars::parse_id,
};
use crate::{
    auth::{
        self,
        accounts::{self, By},
    },
    clock,
};

/// A new invitation. The link is shown only this once; hand it to the person
/// (it is not e-mailed).
#[derive(SimpleObject)]
pub struct UserInvitation {
    pub user: User,
    /// Open it to set a password: `<public URL>/admin#invite=<token>`.
    pub url: String,
    /// The token alone, for `acceptInvite`.
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

impl From<RoleGql> for auth::Role {
    fn from(role: RoleGql) -> Self {
        match role {
            RoleGql::Admin => auth::Role::Admin,
            RoleGql::Editor => auth::Role::Editor,
            RoleGql::Contributor => auth::Role::Contributor,
        }
    }
}

#[derive(Default)]
pub struct AccountQuery;

#[Object]
impl AccountQuery {
    /// The staff accounts the caller manages, by email: every account for
    /// platform admins, their own organisation's for an organisation admin.
    async fn users(&self, ctx: &Context<'_>) -> Result<Vec<User>> {
        Ok(accounts::list(&ctx.state().db, ctx.principal())
            .await?
            .into_iter()
            .map(User::from)
            .collect())
    }
}

#[derive(Default)]
pub struct AccountMutation;

#[Object]
impl AccountMutation {
    /// Invites a staff member: the account is made without a password, and the
    /// returned one-time link (valid for `CHORUS_INVITE_TTL`) lets them set one.
    /// Inviting a pending address again replaces its link. The person joins
    /// `organisationId` (default: the inviter's). Platform admins invite into any
    /// organisation, an organisation's admins into their own.
    async fn invite_user(
        &self,
        ctx: &Context<'_>,
        email: String,
        role: RoleGql,
        display_name: Option<String>,
        organisation_id: Option<ID>,
    ) -> Result<UserInvitation> {
        let state = ctx.state();
        let organisation_id = organisation_id
            .as_ref()
            .map(|id| parse_id("organisationId", id))
            .transpose()?;
        let invitation = accounts::invite_into(
            &state.db,
            By::Staff(ctx.principal()),
            &email,
            role.into(),
            display_name.as_deref(),
            organisation_id,
            state.config.auth.invite_ttl,
            clock::now(),
        )
        .await?;
        Ok(UserInvitation {
            user: invitation.user.into(),
            url: accounts::invite_url(&state.base_url, &invitation.token),
            token: invitation.token,
            expires_at: invitation.expires_at,
        })
    }

    /// Sets the first password with an invitation token; the link is spent. A used,
    /// replaced or expired link is `NOT_FOUND`. Needs no account; sign in afterwards.
    async fn accept_invite(
        &self,
        ctx: &Context<'_>,
        token: String,
        password: String,
    ) -> Result<User> {
        Ok(
            accounts::accept_invite(&ctx.state().db, &token, &password, clock::now())
                .await?
                .into(),
        )
    }

    /// Changes a staff member's role; it applies to their next request. Demoting
    /// the last enabled admin is `CONFLICT`. Platform admins anyone's,
    /// organisation admins their own organisation's people (another
    /// organisation's are `NOT_FOUND`).
    async fn set_user_role(&self, ctx: &Context<'_>, id: ID, role: RoleGql) -> Result<User> {
        Ok(accounts::set_role(
            &ctx.state().db,
            By::Staff(ctx.principal()),
            parse_id("id", &id)?,
            role.into(),
            clock::now(),
        )
        .await?
        .into())
    }

    /// Disables an account: it cannot sign in, and its sessions end at once.
    /// Disabling the last enabled admin is `CONFLICT`. Platform admins
    /// anyone's, organisation admins their own organisation's people (another
    /// organisation's are `NOT_FOUND`).
    async fn disable_user(&self, ctx: &Context<'_>, id: ID) -> Result<User> {
        Ok(accounts::disable(
            &ctx.state().db,
            By::Staff(ctx.principal()),
            parse_id("id", &id)?,
            clock::now(),
        )
        .await?
        .into())
    }

    /// Enables a disabled account; the person signs in again. Platform admins
    /// anyone's, organisation admins their own organisation's people (another
    /// organisation's are `NOT_FOUND`).
    async fn enable_user(&self, ctx: &Context<'_>, id: ID) -> Result<User> {
        Ok(accounts::enable(
            &ctx.state().db,
            By::Staff(ctx.principal()),
            parse_id("id", &id)?,
            clock::now(),
        )
        .await?
        .into())
    }

    /// Ends every session of a staff member at once (their access and refresh
    /// tokens stop working); returns how many were live. Platform admins
    /// anyone's, organisation admins their own organisation's people (another
    /// organisation's are `NOT_FOUND`).
    async fn end_user_sessions(&self, ctx: &Context<'_>, id: ID) -> Result<i32> {
        let ended = accounts::end_sessions(
            &ctx.state().db,
            By::Staff(ctx.principal()),
            parse_id("id", &id)?,
            clock::now(),
        )
        .await?;
        Ok(i32::try_from(ended).unwrap_or(i32::MAX))
    }
}
