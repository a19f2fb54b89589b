//! Signing in and out, and who the caller is.

use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::context::ContextExt;
use crate::{
    auth::{self, sessions, users},
    clock,
};

/// A staff role.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(name = "Role")]
pub enum RoleGql {
    /// In the platform organisation: manages accounts, organisations, partners
    /// and keys, and everything editors do. In a member organisation: invites its
    /// people and shares its campaigns, and works as an editor.
    Admin,
    /// Reviews, approves and publishes stories; manages campaigns and tags.
    Editor,
    /// Writes stories and submits them for review.
    Contributor,
}

impl From<auth::Role> for RoleGql {
    fn from(role: auth::Role) -> Self {
        match role {
            auth::Role::Admin => RoleGql::Admin,
            auth::Role::Editor => RoleGql::Editor,
            auth::Role::Contributor => RoleGql::Contributor,
        }
    }
}

/// A staff account.
#[derive(Clone)]
pub struct User(entity::user::Model);

#[Object]
impl User {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn email(&self) -> &str {
        &self.0.email
    }
    /// How colleagues see the person in the admin, if set.
    async fn display_name(&self) -> Option<&str> {
        self.0.display_name.as_deref()
    }
    async fn role(&self) -> RoleGql {
        self.0.role.into()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// A disabled account cannot sign in, and its sessions have ended.
    async fn disabled(&self) -> bool {
        self.0.disabled_at.is_some()
    }
    /// Invited, and the invitation not yet accepted (no password set).
    async fn pending_invite(&self) -> bool {
        auth::accounts::is_pending(&self.0)
    }
    /// The organisation the person works for.
    async fn organisation(&self, ctx: &Context<'_>) -> Result<super::organisations::Organisation> {
        let found = ctx
            .request()
            .organisations
            .organisation(&ctx.state().db, self.0.organisation_id)
            .await?
            .ok_or_else(|| {
                crate::error::Error::NotFound("this account's organisation no longer exists".into())
            })?;
        Ok(found.into())
    }
    /// When the person last signed in. Shown to admins only (null for others).
    async fn last_login_at(&self, ctx: &Context<'_>) -> Option<DateTime<Utc>> {
        ctx.principal()
            .require_role(&[auth::Role::Admin])
            .ok()
            .and(self.0.last_login_at)
    }
}

impl From<entity::user::Model> for User {
    fn from(u: entity::user::Model) -> Self {
        Self(u)
    }
}

/// Tokens for a signed-in session.
#[derive(SimpleObject)]
pub struct AuthPayload {
    /// Send as `Authorization: Bearer <accessToken>`; short-lived.
    pub access_token: String,
    pub access_token_expires_at: DateTime<Utc>,
    /// Spend it once with `refreshSession` for a new pair; reusing it ends the session.
    pub refresh_token: String,
    pub refresh_token_expires_at: DateTime<Utc>,
    pub user: User,
}

impl From<sessions::SessionTokens> for AuthPayload {
    fn from(t: sessions::SessionTokens) -> Self {
        Self {
            access_token: t.access_token,
            access_token_expires_at: t.access_token_expires_at,
            refresh_token: t.refresh_token,
            refresh_token_expires_at: t.refresh_token_expires_at,
            user: t.user.into(),
        }
    }
}

#[derive(Default)]
pub struct AuthQuery;

#[Object]
impl AuthQuery {
    /// The signed-in staff member.
    async fn me(&self, ctx: &Context<'_>) -> Result<User> {
        let staff = ctx.principal().staff()?;
        let user = users::find_by_id(&ctx.state().db, staff.user_id)
            .await?
            .ok_or_else(|| {
                crate::error::Error::Unauthenticated("this account no longer exists".into())
            })?;
        Ok(user.into())
    }
}

#[derive(Default)]
pub struct AuthMutation;

#[Object]
impl AuthMutation {
    /// Signs in. Unknown emails and wrong passwords get the same `UNAUTHENTICATED`
    /// answer; too many failures get `RATE_LIMITED`.
    async fn login(
        &self,
        ctx: &Context<'_>,
        email: String,
        password: String,
    ) -> Result<AuthPayload> {
        let state = ctx.state();
        let tokens = sessions::login(
            &state.db,
            &state.keys,
            &state.config.auth,
            &email,
            &password,
            &ctx.request().client_address,
            clock::now(),
        )
        .await?;
        Ok(tokens.into())
    }

    /// Spends a refresh token for a new access and refresh token.
    async fn refresh_session(
        &self,
        ctx: &Context<'_>,
        refresh_token: String,
    ) -> Result<AuthPayload> {
        let state = ctx.state();
        let tokens = sessions::refresh(
            &state.db,
            &state.keys,
            &state.config.auth,
            &refresh_token,
            clock::now(),
        )
        .await?;
        Ok(tokens.into())
    }

    /// Ends the caller's session; its access and refresh tokens stop working at once.
    async fn logout(&self, ctx: &Context<'_>) -> Result<bool> {
        let staff = ctx.principal().staff()?;
        sessions::revoke(&ctx.state().db, staff.session_id, "logout", clock::now()).await?;
        Ok(true)
    }
}
