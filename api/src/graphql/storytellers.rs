//! Storytellers: contributors see public names; editors see the rest, and every read
//! of a decrypted personal field is audited.

use async_graphql::{
    Context, Enum, ID, InputObject, MaybeUndefined, Object, Result, SimpleObject,
    connection::Connection,
};
use chrono::{DateTime, Utc};
use entity::storyteller;

use super::{
    connection::{connection, page_request},
    context::{ContextExt, scope},
    scalars::{Date, patch},
    scoped,
};
use crate::{
    clock,
    storytellers::{self, Guardian, NewStoryteller, PersonalField, StorytellerChanges},
};

/// A person whose stories Chorus holds. Contributors see only `id` and `publicName`.
pub struct Storyteller(pub storyteller::Model);

/// A group whose stories need a recorded risk assessment before approval.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::storytellers::RiskGroup")]
pub enum RiskGroup {
    AsylumSeeker,
    Refugee,
    Undocumented,
    /// Under 18, or possibly so (only the year of birth is known, or none).
    Minor,
}

/// A guardian or legal representative.
#[derive(SimpleObject, InputObject)]
#[graphql(input_name = "GuardianInput")]
pub struct GuardianGql {
    pub name: String,
    pub relationship: String,
    /// What gives them authority: parental responsibility, a court or care order…
    pub authority_basis: String,
    pub contact: Option<String>,
}

impl From<Guardian> for GuardianGql {
    fn from(g: Guardian) -> Self {
        Self {
            name: g.name,
            relationship: g.relationship,
            authority_basis: g.authority_basis,
            contact: g.contact,
        }
    }
}

impl From<GuardianGql> for Guardian {
    fn from(g: GuardianGql) -> Self {
        Self {
            name: g.name,
            relationship: g.relationship,
            authority_basis: g.authority_basis,
            contact: g.contact,
        }
    }
}

/// Decrypted personal data. Each read is written to the audit log.
#[derive(SimpleObject)]
pub struct PersonalData {
    pub legal_name: Option<String>,
    pub contact: Option<String>,
    pub guardian: Option<GuardianGql>,
    pub private_notes: Option<String>,
}

#[Object]
impl Storyteller {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The name or pseudonym the storyteller chose to be known by.
    async fn public_name(&self) -> &str {
        &self.0.public_name
    }

    /// Editors only.
    async fn public_name_is_pseudonym(&self, ctx: &Context<'_>) -> Result<bool> {
        ctx.principal().require_editor()?;
        Ok(self.0.public_name_is_pseudonym)
    }

    /// Editors only.
    async fn year_of_birth(&self, ctx: &Context<'_>) -> Result<Option<i32>> {
        ctx.principal().require_editor()?;
        Ok(self.0.year_of_birth)
    }

    /// When known: makes the 18th birthday, when a minor's consent ends, exact.
    /// Editors only.
    async fn date_of_birth(&self, ctx: &Context<'_>) -> Result<Option<Date>> {
        ctx.principal().require_editor()?;
        Ok(self.0.date_of_birth.map(Date))
    }

    /// Every consent record of the storyteller, oldest first, superseded ones
    /// included. Editors only.
    async fn consents(&self, ctx: &Context<'_>) -> Result<Vec<super::consent::ConsentRecord>> {
        let db = &ctx.state().db;
        let found = crate::consent::records::of_storyteller(db, ctx.principal(), self.0.id).await?;
        let mut out = Vec::with_capacity(found.len());
        for record in found {
            out.push(super::consent::ConsentRecord(
                crate::consent::records::load(db, record).await?,
            ));
        }
        Ok(out)
    }

    /// The append-only history of the storyteller's consent decisions. Editors only.
    async fn consent_events(&self, ctx: &Context<'_>) -> Result<Vec<super::consent::ConsentEvent>> {
        Ok(
            crate::consent::records::events_of(&ctx.state().db, ctx.principal(), self.0.id)
                .await?
                .into_iter()
                .map(super::consent::ConsentEvent)
                .collect(),
        )
    }

    /// The risk groups the storyteller belongs to today. Editors only.
    async fn risk_groups(&self, ctx: &Context<'_>) -> Result<Vec<RiskGroup>> {
        ctx.principal().require_editor()?;
        Ok(
            storytellers::risk_groups(&self.0, clock::now().date_naive())
                .into_iter()
                .map(Into::into)
                .collect(),
        )
    }

    /// Language tags. Editors only.
    async fn languages(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        ctx.principal().require_editor()?;
        Ok(storytellers::languages(&self.0))
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// Legal name, contact, guardian and notes, decrypted. Editors only; only the
    /// fields selected are decrypted, and the read is audited.
    async fn personal_data(&self, ctx: &Context<'_>) -> Result<PersonalData> {
        let look = ctx.look_ahead();
        let fields: Vec<PersonalField> = [
            ("legalName", PersonalField::LegalName),
            ("contact", PersonalField::Contact),
            ("guardian", PersonalField::Guardian),
            ("privateNotes", PersonalField::PrivateNotes),
        ]
        .into_iter()
        .filter(|(name, _)| look.field(name).exists())
        .map(|(_, f)| f)
        .collect();
        let state = ctx.state();
        let data = storytellers::read_personal(
            &state.db,
            &state.crypto,
            ctx.principal(),
            &self.0,
            &fields,
            clock::now(),
        )
        .await?;
        Ok(PersonalData {
            legal_name: data.legal_name,
            contact: data.contact,
            guardian: data.guardian.map(Into::into),
            private_notes: data.private_notes,
        })
    }
}

#[derive(InputObject)]
pub struct CreateStorytellerInput {
    pub public_name: String,
    #[graphql(default = true)]
    pub public_name_is_pseudonym: bool,
    /// Stored encrypted.
    pub legal_name: String,
    /// Stored encrypted.
    pub contact: Option<String>,
    pub year_of_birth: Option<i32>,
    /// When known; fills in the year of birth.
    pub date_of_birth: Option<Date>,
    /// Required when the storyteller may be under 18. Stored encrypted.
    pub guardian: Option<GuardianGql>,
    #[graphql(default)]
    pub languages: Vec<String>,
    /// Stored encrypted.
    pub private_notes: Option<String>,
    #[graphql(default)]
    pub asylum_seeker: bool,
    #[graphql(default)]
    pub refugee: bool,
    #[graphql(default)]
    pub undocumented: bool,
}

/// Fields left out stay as they are; optional fields set to `null` are cleared.
#[derive(InputObject)]
pub struct UpdateStorytellerInput {
    pub public_name: Option<String>,
    pub public_name_is_pseudonym: Option<bool>,
    pub legal_name: Option<String>,
    pub contact: MaybeUndefined<String>,
    pub year_of_birth: MaybeUndefined<i32>,
    pub date_of_birth: MaybeUndefined<Date>,
    pub guardian: MaybeUndefined<GuardianGql>,
    pub languages: Option<Vec<String>>,
    pub private_notes: MaybeUndefined<String>,
    pub asylum_seeker: Option<bool>,
    pub refugee: Option<bool>,
    pub undocumented: Option<bool>,
}

#[derive(Default)]
pub struct StorytellerQuery;

#[Object]
impl StorytellerQuery {
    /// Storytellers, oldest first. Staff only, within their scope.
    #[graphql(
        complexity = "first.or(last).unwrap_or(20).clamp(1, 100) as usize * child_complexity"
    )]
    async fn storytellers(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Connection<String, Storyteller>> {
        let page = storytellers::list(
            &ctx.state().db,
            scope(ctx).await?,
            page_request(first, after, last, before)?,
        )
        .await?;
        Ok(connection(page, |s| s.id, Storyteller))
    }

    /// One storyteller. Staff only; `NOT_FOUND` outside their scope.
    async fn storyteller(&self, ctx: &Context<'_>, id: ID) -> Result<Storyteller> {
        let id = scoped::storyteller(ctx, "id", &id).await?;
        Ok(Storyteller(
            storytellers::get(&ctx.state().db, ctx.principal(), id).await?,
        ))
    }
}

#[derive(Default)]
pub struct StorytellerMutation;

#[Object]
impl StorytellerMutation {
    /// Records a storyteller. Any staff member.
    async fn create_storyteller(
        &self,
        ctx: &Context<'_>,
        input: CreateStorytellerInput,
    ) -> Result<Storyteller> {
        let state = ctx.state();
        let new = NewStoryteller {
            public_name: input.public_name,
            public_name_is_pseudonym: input.public_name_is_pseudonym,
            legal_name: input.legal_name,
            contact: input.contact,
            year_of_birth: input.year_of_birth,
            date_of_birth: input.date_of_birth.map(|d| d.0),
            guardian: input.guardian.map(Into::into),
            languages: input.languages,
            private_notes: input.private_notes,
            asylum_seeker: input.asylum_seeker,
            refugee: input.refugee,
            undocumented: input.undocumented,
        };
        Ok(Storyteller(
            storytellers::create(&state.db, &state.crypto, ctx.principal(), new, clock::now())
                .await?,
        ))
    }

    /// Changes a storyteller. Editors and admins.
    async fn update_storyteller(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateStorytellerInput,
    ) -> Result<Storyteller> {
        let state = ctx.state();
        let id = scoped::storyteller(ctx, "id", &id).await?;
        let changes = StorytellerChanges {
            public_name: input.public_name,
            public_name_is_pseudonym: input.public_name_is_pseudonym,
            legal_name: input.legal_name,
            contact: patch(input.contact, |c| c),
            year_of_birth: patch(input.year_of_birth, |y| y),
            date_of_birth: patch(input.date_of_birth, |d| d.0),
            guardian: patch(input.guardian, Into::into),
            languages: input.languages,
            private_notes: patch(input.private_notes, |n| n),
            asylum_seeker: input.asylum_seeker,
            refugee: input.refugee,
            undocumented: input.undocumented,
        };
        Ok(Storyteller(
            storytellers::update(
                &state.db,
                &state.crypto,
                ctx.principal(),
                id,
                changes,
                clock::now(),
            )
            .await?,
        ))
    }
}
