//! Partners and API keys, for admins.

use async_graphql::{
    Context, Enum, ID, InputObject, Object, Result, SimpleObject, connection::Connection,
};
use chrono::{DateTime, Utc};

use super::{
    connection::{connection, page_request},
    context::ContextExt,
    scalars::{Instant, parse_id},
    scoped,
};
use crate::{
    clock,
    consumers::{self, NewKey},
};

/// Where a story is shown; a consent grants each channel separately.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum Channel {
    PublicWeb,
    PartnerSites,
    MobileApp,
    SocialMedia,
    Press,
    PrintExhibition,
    ResearchArchive,
}

impl From<Channel> for entity::api_key::Channel {
    fn from(c: Channel) -> Self {
        use entity::api_key::Channel as Stored;
        match c {
            Channel::PublicWeb => Stored::PublicWeb,
            Channel::PartnerSites => Stored::PartnerSites,
            Channel::MobileApp => Stored::MobileApp,
            Channel::SocialMedia => Stored::SocialMedia,
            Channel::Press => Stored::Press,
            Channel::PrintExhibition => Stored::PrintExhibition,
            Channel::ResearchArchive => Stored::ResearchArchive,
        }
    }
}

impl Channel {
    /// The channel a story is shown on; `None` for `SUBMISSIONS`, which shows
    /// nothing and which no consent grants.
    pub fn shown(c: entity::api_key::Channel) -> Option<Self> {
        use entity::api_key::Channel as Stored;
        Some(match c {
            Stored::PublicWeb => Channel::PublicWeb,
            Stored::PartnerSites => Channel::PartnerSites,
            Stored::MobileApp => Channel::MobileApp,
            Stored::SocialMedia => Channel::SocialMedia,
            Stored::Press => Channel::Press,
            Stored::PrintExhibition => Channel::PrintExhibition,
            Stored::ResearchArchive => Channel::ResearchArchive,
            Stored::Submissions => return None,
        })
    }
}

/// What an API key is for: reading on one channel (every [`Channel`]), or
/// sending stories in.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::api_key::Channel")]
pub enum ApiKeyChannel {
    PublicWeb,
    PartnerSites,
    MobileApp,
    SocialMedia,
    Press,
    PrintExhibition,
    ResearchArchive,
    /// A campaign site's key that sends stories in (`sendInStory`) and reads
    /// nothing; bound to exactly one campaign. Never a consent channel.
    Submissions,
}

/// An organisation that shows Chorus stories on its own site or app.
#[derive(SimpleObject)]
pub struct Partner {
    pub id: ID,
    pub slug: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

impl From<entity::partner::Model> for Partner {
    fn from(p: entity::partner::Model) -> Self {
        Self {
            id: ID(p.id.to_string()),
            slug: p.slug,
            name: p.name,
            created_at: p.created_at,
        }
    }
}

/// A consumer key. Its secret is shown only once, when it is created.
pub struct ApiKey(entity::api_key::Model);

#[Object]
impl ApiKey {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The key's first characters, to tell keys apart.
    async fn prefix(&self) -> &str {
        &self.0.prefix
    }
    async fn channel(&self) -> ApiKeyChannel {
        self.0.channel.into()
    }
    async fn partner_id(&self) -> Option<ID> {
        self.0.partner_id.map(|id| ID(id.to_string()))
    }
    /// The campaigns the key is limited to; empty means every campaign.
    async fn campaign_ids(&self, ctx: &Context<'_>) -> Result<Vec<ID>> {
        Ok(consumers::key_campaigns(&ctx.state().db, self.0.id)
            .await?
            .into_iter()
            .map(|id| ID(id.to_string()))
            .collect())
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.0.expires_at
    }
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }
    /// When the key was last used, to the minute.
    async fn last_used_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_used_at
    }
}

/// A new key and its secret, shown this once.
#[derive(SimpleObject)]
pub struct CreatedApiKey {
    pub api_key: ApiKey,
    /// Send as `X-Api-Key`. Chorus keeps only a hash: store it now.
    pub secret: String,
}

#[derive(InputObject)]
pub struct CreateApiKeyInput {
    pub name: String,
    pub channel: ApiKeyChannel,
    /// Required for `PARTNER_SITES`.
    pub partner_id: Option<ID>,
    /// Limit the key to these campaigns; empty means every campaign. A
    /// `SUBMISSIONS` key names exactly one: the campaign its stories go to.
    #[graphql(default)]
    pub campaign_ids: Vec<ID>,
    pub expires_at: Option<Instant>,
}

#[derive(Default)]
pub struct ConsumerQuery;

#[Object]
impl ConsumerQuery {
    /// Partner organisations. Editors and admins (editors name them in consent
    /// terms): every partner for platform staff, their own organisation's for a
    /// member organisation's staff; only platform admins create them.
    #[graphql(
        complexity = "first.or(last).unwrap_or(20).clamp(1, 100) as usize * child_complexity"
    )]
    async fn partners(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Connection<String, Partner>> {
        let page = consumers::partners(
            &ctx.state().db,
            ctx.principal(),
            page_request(first, after, last, before)?,
        )
        .await?;
        Ok(connection(page, |p| p.id, Partner::from))
    }

    /// API keys, without their secrets: every key for platform admins, their
    /// partner's for the admins of a partner organisation.
    #[graphql(
        complexity = "first.or(last).unwrap_or(20).clamp(1, 100) as usize * child_complexity"
    )]
    async fn api_keys(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Connection<String, ApiKey>> {
        let page = consumers::keys(
            &ctx.state().db,
            ctx.principal(),
            page_request(first, after, last, before)?,
        )
        .await?;
        Ok(connection(page, |k| k.id, ApiKey))
    }
}

#[derive(Default)]
pub struct ConsumerMutation;

#[Object]
impl ConsumerMutation {
    /// Records a partner organisation. Admins only.
    async fn create_partner(
        &self,
        ctx: &Context<'_>,
        slug: String,
        name: String,
    ) -> Result<Partner> {
        Ok(
            consumers::create_partner(&ctx.state().db, ctx.principal(), &slug, &name, clock::now())
                .await?
                .into(),
        )
    }

    /// Issues an API key bound to one channel; the secret is shown once. Platform
    /// admins; the admins of a partner organisation for that partner only (the
    /// default `partnerId`), limited to campaigns in their scope.
    async fn create_api_key(
        &self,
        ctx: &Context<'_>,
        input: CreateApiKeyInput,
    ) -> Result<CreatedApiKey> {
        let campaign_ids = scoped::campaigns(ctx, "campaignIds", &input.campaign_ids).await?;
        let new = NewKey {
            name: input.name,
            channel: input.channel.into(),
            partner_id: input
                .partner_id
                .as_ref()
                .map(|id| parse_id("partnerId", id))
                .transpose()?,
            campaign_ids,
            expires_at: input.expires_at.map(|t| t.0),
        };
        let (key, secret) =
            consumers::create_key(&ctx.state().db, ctx.principal(), new, clock::now()).await?;
        Ok(CreatedApiKey {
            api_key: ApiKey(key),
            secret,
        })
    }

    /// Revokes a key at once. Platform admins; the admins of a partner
    /// organisation that partner's keys.
    async fn revoke_api_key(&self, ctx: &Context<'_>, id: ID) -> Result<ApiKey> {
        Ok(ApiKey(
            consumers::revoke_key(
                &ctx.state().db,
                ctx.principal(),
                parse_id("id", &id)?,
                clock::now(),
            )
            .await?,
        ))
    }
}
