//! Organisations: who runs which campaigns, and who works for whom.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use sea_orm::EntityTrait;

use super::{
    auth::User, campaigns::Campaign, consumers::Partner, context::ContextExt, scalars::parse_id,
};
use crate::{
    auth::accounts::By,
    clock,
    config::Controller,
    organisations::{self, NewOrganisation, controller, grants},
};

/// The platform's own organisation, or a member of the coalition.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum OrganisationKind {
    /// Runs the archive; its admins are platform admins, its staff see every campaign.
    Platform,
    /// A member organisation: its admins manage its own people.
    Member,
}

/// An organisation (its GraphQL description is on the `#[Object]` impl).
pub struct Organisation(entity::organisation::Model);

impl From<entity::organisation::Model> for Organisation {
    fn from(o: entity::organisation::Model) -> Self {
        Self(o)
    }
}

/// An organisation of the coalition: it employs staff and owns campaigns.
#[Object]
impl Organisation {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn kind(&self) -> OrganisationKind {
        match self.0.kind {
            entity::organisation::Kind::Platform => OrganisationKind::Platform,
            entity::organisation::Kind::Member => OrganisationKind::Member,
        }
    }
    /// The partner (API-key holder) this organisation also is. Platform admins,
    /// and the organisation's own staff (null for others).
    async fn partner(&self, ctx: &Context<'_>) -> Result<Option<Partner>> {
        let Some(partner_id) = self.0.partner_id else {
            return Ok(None);
        };
        let Ok(staff) = ctx.principal().staff() else {
            return Ok(None);
        };
        if !staff.is_platform_admin() && staff.organisation_id != self.0.id {
            return Ok(None);
        }
        Ok(entity::partner::Entity::find_by_id(partner_id)
            .one(&ctx.state().db)
            .await
            .map_err(crate::error::Error::from)?
            .map(Partner::from))
    }
    /// The data controller its consent receipts name now: its own details once
    /// set (`ownController`), the instance's `CHORUS_CONTROLLER_*` settings
    /// otherwise. Each receipt keeps the controller in force when its record was
    /// written.
    async fn controller(&self, ctx: &Context<'_>) -> DataController {
        controller::own(&self.0)
            .unwrap_or_else(|| ctx.state().config.consent.controller.clone())
            .into()
    }
    /// Whether the organisation has set its own controller details.
    async fn own_controller(&self) -> bool {
        controller::own(&self.0).is_some()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// A data controller as consent receipts state it; `null`: not configured.
/// As input, an organisation's own details: name, contact and DPO contact up
/// to 200 characters, the address up to 400 (it may span lines).
#[derive(SimpleObject, InputObject)]
#[graphql(input_name = "DataControllerInput")]
pub struct DataController {
    pub name: Option<String>,
    pub address: Option<String>,
    /// An email address, telephone number or web form.
    pub contact: Option<String>,
    /// How to reach the data protection officer.
    pub dpo_contact: Option<String>,
}

impl From<Controller> for DataController {
    fn from(c: Controller) -> Self {
        Self {
            name: c.name,
            address: c.address,
            contact: c.contact,
            dpo_contact: c.dpo_contact,
        }
    }
}

impl From<DataController> for Controller {
    fn from(c: DataController) -> Self {
        Self {
            name: c.name,
            address: c.address,
            contact: c.contact,
            dpo_contact: c.dpo_contact,
        }
    }
}

#[derive(InputObject)]
pub struct CreateOrganisationInput {
    /// Lower-case words joined by hyphens, e.g. `imix`.
    pub slug: String,
    pub name: String,
    /// The partner this organisation also is, if it holds API keys.
    pub partner_id: Option<ID>,
}

#[derive(Default)]
pub struct OrganisationQuery;

#[Object]
impl OrganisationQuery {
    /// Organisations by name: every one for platform admins, the caller's own for
    /// other staff.
    async fn organisations(&self, ctx: &Context<'_>) -> Result<Vec<Organisation>> {
        Ok(organisations::list(&ctx.state().db, ctx.principal())
            .await?
            .into_iter()
            .map(Organisation::from)
            .collect())
    }
}

#[derive(Default)]
pub struct OrganisationMutation;

#[Object]
impl OrganisationMutation {
    /// Creates a member organisation. A taken slug, or a partner that is an
    /// organisation already, is `CONFLICT`. Platform admins only.
    async fn create_organisation(
        &self,
        ctx: &Context<'_>,
        input: CreateOrganisationInput,
    ) -> Result<Organisation> {
        let partner_id = input
            .partner_id
            .as_ref()
            .map(|id| parse_id("partnerId", id))
            .transpose()?;
        let created = organisations::create(
            &ctx.state().db,
            By::Staff(ctx.principal()),
            NewOrganisation {
                slug: input.slug,
                name: input.name,
                partner_id,
            },
            clock::now(),
        )
        .await?;
        Ok(created.into())
    }

    /// Renames an organisation. Platform admins only.
    async fn rename_organisation(
        &self,
        ctx: &Context<'_>,
        id: ID,
        name: String,
    ) -> Result<Organisation> {
        Ok(organisations::rename(
            &ctx.state().db,
            By::Staff(ctx.principal()),
            parse_id("id", &id)?,
            &name,
            clock::now(),
        )
        .await?
        .into())
    }

    /// Moves a staff member to another organisation; it applies to their next
    /// request. The caller must manage the people of both organisations
    /// (platform admins do); moving the last platform admin away is `CONFLICT`.
    async fn set_user_organisation(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
        organisation_id: ID,
    ) -> Result<User> {
        Ok(organisations::set_user_organisation(
            &ctx.state().db,
            By::Staff(ctx.principal()),
            parse_id("userId", &user_id)?,
            parse_id("organisationId", &organisation_id)?,
            clock::now(),
        )
        .await?
        .into())
    }

    /// Sets the data controller details the organisation's consent receipts
    /// name from now on (receipts already issued keep theirs). `name` is
    /// required unless every field is left out (or blank), which goes back to
    /// the instance's settings. Admins of the organisation and platform admins.
    async fn set_organisation_controller(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: DataController,
    ) -> Result<Organisation> {
        Ok(controller::set(
            &ctx.state().db,
            ctx.principal(),
            parse_id("id", &id)?,
            input.into(),
            clock::now(),
        )
        .await?
        .into())
    }

    /// Gives a campaign to another organisation. Platform admins only.
    async fn set_campaign_owner(
        &self,
        ctx: &Context<'_>,
        campaign_id: ID,
        organisation_id: ID,
    ) -> Result<Campaign> {
        Ok(grants::set_owner(
            &ctx.state().db,
            By::Staff(ctx.principal()),
            parse_id("campaignId", &campaign_id)?,
            parse_id("organisationId", &organisation_id)?,
            clock::now(),
        )
        .await?
        .into())
    }

    /// Shares a campaign with another organisation, whose staff may then work on
    /// it. Admins of the owning organisation and platform admins only.
    async fn share_campaign(
        &self,
        ctx: &Context<'_>,
        campaign_id: ID,
        organisation_id: ID,
    ) -> Result<Campaign> {
        Ok(grants::share(
            &ctx.state().db,
            By::Staff(ctx.principal()),
            parse_id("campaignId", &campaign_id)?,
            parse_id("organisationId", &organisation_id)?,
            clock::now(),
        )
        .await?
        .into())
    }

    /// Takes a shared campaign back from an organisation. Admins of the owning
    /// organisation and platform admins only.
    async fn unshare_campaign(
        &self,
        ctx: &Context<'_>,
        campaign_id: ID,
        organisation_id: ID,
    ) -> Result<Campaign> {
        Ok(grants::unshare(
            &ctx.state().db,
            By::Staff(ctx.principal()),
            parse_id("campaignId", &campaign_id)?,
            parse_id("organisationId", &organisation_id)?,
            clock::now(),
        )
        .await?
        .into())
    }
}
