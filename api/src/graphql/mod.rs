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
mod documents;
mod error;
mod events;
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
mod subscriptions;
mod suggestions;
mod sync;
mod webhooks;

use async_graphql::{MergedObject, Schema};

pub use context::RequestContext;
pub use error::{error_response, finalize_errors};
pub use limits::{QueryLimits, execute};
pub use subscriptions::LiveCredential;
pub use subscriptions::LiveSubscription;

use crate::{config::GraphqlConfig, state::AppState};

/// A root type merged from its parts. `MergedObject` keeps only one of two
/// fields of the same name, silently (a second `submitStory` once hid the
/// workflow's own), so the parts are listed once, here, and a test checks that
/// no name is given twice.
macro_rules! merged_root {
    ($(#[$meta:meta])* $name:ident { $($part:ty),* $(,)? }) => {
        $(#[$meta])*
        #[derive(MergedObject, Default)]
        pub struct $name($($part),*);

        impl $name {
            /// The field names of every part, duplicates kept.
            #[cfg(test)]
            fn part_fields() -> Vec<String> {
                use async_graphql::{OutputType, registry::{MetaType, Registry}};
                let mut registry = Registry::default();
                let mut names = Vec::new();
                $(
                    <$part as OutputType>::create_type_info(&mut registry);
                    let part = <$part as OutputType>::type_name();
                    if let Some(MetaType::Object { fields, .. }) = registry.types.get(part.as_ref()) {
                        names.extend(fields.keys().cloned());
                    }
                )*
                names
            }
        }
    };
}

merged_root!(
    /// Every query, by domain.
    Query {
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
        webhooks::WebhookQuery,
    }
);

merged_root!(
    /// Every mutation, by domain.
    Mutation {
        auth::AuthMutation,
        accounts::AccountMutation,
        campaigns::CampaignMutation,
        events::EventMutation,
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
        webhooks::WebhookMutation,
    }
);

/// The schema served at `/graphql`, built twice from the same types.
///
/// Once async-graphql has any extension, it resolves every field of every
/// answer through the extensions' chain (a lookup of the field's type by name,
/// then a boxed future per extension), though ours act only before a request
/// runs; that was a sixth of the CPU of an uncached list. So queries run on
/// `lean`, which has no extension but async-graphql's own depth and complexity
/// limits, once what the extensions would refuse has been looked for, and go to
/// `checked` whenever `lean` refuses them, so that every refusal is worded as
/// the extensions word it ([`limits::execute`]).
#[derive(Clone)]
pub struct ChorusSchema {
    checked: Schema<Query, Mutation, LiveSubscription>,
    lean: Schema<Query, Mutation, LiveSubscription>,
    /// The documents parsed for it, by text.
    pub documents: std::sync::Arc<documents::Documents>,
}

impl ChorusSchema {
    /// The schema subscriptions run on: the checked one, whose extensions look
    /// at every operation before it runs.
    pub fn live(&self) -> Schema<Query, Mutation, LiveSubscription> {
        self.checked.clone()
    }
}

/// Builds the schema with the request limits from the configuration.
pub fn build_schema(state: AppState, limits: &GraphqlConfig) -> ChorusSchema {
    let checked = Schema::build(Query::default(), Mutation::default(), LiveSubscription)
        .data(state.clone())
        // Instead of `limit_depth`/`limit_complexity`, so the error states the cost.
        .extension(limits::QueryLimits::new(limits))
        .extension(storable::StorableInput)
        .extension(suggestions::SuggestionsForIntrospectors::new(limits))
        .finish();
    let lean = Schema::build(Query::default(), Mutation::default(), LiveSubscription)
        .data(state)
        .limit_depth(limits.max_depth)
        .limit_complexity(limits.max_complexity)
        .finish();
    ChorusSchema {
        checked,
        lean,
        documents: Default::default(),
    }
}

/// The schema in SDL; `schema.graphql` at the repository root must equal it.
pub fn sdl() -> String {
    Schema::build(Query::default(), Mutation::default(), LiveSubscription)
        .finish()
        .sdl()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::{Mutation, Query};

    fn given_twice(names: Vec<String>) -> Vec<String> {
        let mut seen = BTreeMap::<String, usize>::new();
        for name in names {
            *seen.entry(name).or_default() += 1;
        }
        seen.into_iter()
            .filter(|(_, n)| *n > 1)
            .map(|(name, _)| name)
            .collect()
    }

    #[test]
    fn no_root_field_is_given_by_two_parts() {
        assert_eq!(given_twice(Query::part_fields()), Vec::<String>::new());
        assert_eq!(given_twice(Mutation::part_fields()), Vec::<String>::new());
        // The check reads real fields: both roots have dozens.
        assert!(Query::part_fields().len() > 20);
        assert!(Mutation::part_fields().len() > 40);
    }
}
