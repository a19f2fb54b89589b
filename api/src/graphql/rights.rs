//! Consent receipts and data-subject rights (export, erasure) in GraphQL.

use async_graphql::Object;

#[derive(Default)]
pub struct RightsQuery;

#[Object]
impl RightsQuery {
    /// Placeholder until receipts land.
    async fn rights_placeholder(&self) -> bool {
        false
    }
}

#[derive(Default)]
pub struct RightsMutation;

#[Object]
impl RightsMutation {
    /// Placeholder until erasure lands.
    async fn rights_placeholder_mutation(&self) -> bool {
        false
    }
}
