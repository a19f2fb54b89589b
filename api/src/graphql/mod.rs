//! The GraphQL schema: a thin layer that turns arguments into service calls and
//! service results into GraphQL types.
//!
//! Resolvers hold no rules; they read the request's [`RequestContext`] (built once
//! per request by the HTTP layer) and call into `auth`, `campaigns` and friends.
//! Output types are separate from the storage entities so that no column becomes
//! public by accident.

mod accounts;
mod audit;
mod auth;
mod campaigns;
mod connection;
mod consent;
mod consumers;
mod context;
mod error;
mod limits;
mod media;
mod media_faces;
mod media_uploads;
mod organisations;
mod partner_origins;
mod published;
mod rights;
pub(crate) mod scalars;
mod scoped;
mod storable;
mod stories;
mod storytellers;
mod submissions;
mod suggestions;
mod sync;

use async_graphql::{EmptySubscription, MergedObject, Schema};

pub use context::RequestContext;
pub use error::{error_response, finalize_errors};
pub use limits::{QueryLimits, execute};

use crate::{config::GraphqlConfig, state::AppState};

/// Every query, by domain.
#[derive(MergedObject, Default)]
pub struct Query(
    published::PublishedQuery,
    sync::SyncQuery,
    auth::AuthQuery,
    accounts::AccountQuery,
    campaigns::CampaignQuery,
    storytellers::StorytellerQuery,
    stories::StoryQuery,
    consumers::ConsumerQuery,
    partner_origins::PartnerOriginsQuery,
    consent::ConsentQuery,
    audit::AuditQuery,
    rights::RightsQuery,
    media::MediaQuery,
    organisations::OrganisationQuery,
    submissions::SubmissionQuery,
);

/// Every mutation, by domain.
#[derive(MergedObject, Default)]
pub struct Mutation(
    auth::AuthMutation,
    accounts::AccountMutation,
    campaigns::CampaignMutation,
    storytellers::StorytellerMutation,
    stories::StoryMutation,
    consumers::ConsumerMutation,
    partner_origins::PartnerOriginsMutation,
    consent::ConsentMutation,
    rights::RightsMutation,
    media::MediaMutation,
    media_faces::MediaFacesMutation,
    media_uploads::MediaUploadMutation,
    organisations::OrganisationMutation,
    submissions::SubmissionMutation,
);

/// The schema type served at `/graphql`.
pub type ChorusSchema = Schema<Query, Mutation, EmptySubscription>;

/// Builds the schema with the request limits from the configuration.
pub fn build_schema(state: AppState, limits: &GraphqlConfig) -> ChorusSchema {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .data(state)
        // Instead of `limit_depth`/`limit_complexity`, so the error states the cost.
        .extension(limits::QueryLimits::new(limits))
        .extension(storable::StorableInput)
        .extension(suggestions::SuggestionsForIntrospectors::new(limits))
        .finish()
}

/// The schema in SDL; `schema.graphql` at the repository root must equal it.
pub fn sdl() -> String {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .finish()
        .sdl()
}
