//! "Did you mean …?" only for callers who may read the schema anyway.
//!
//! async-graphql suggests field and argument names close to a misspelt one, so a
//! caller who may not introspect could still map the schema by guessing. The
//! schema-wide switch would take the hints from staff too; this removes them
//! per request instead, for everyone `CHORUS_PUBLIC_INTROSPECTION` does not let
//! introspect (in production: everyone but signed-in staff).

use std::sync::Arc;

use async_graphql::{
    ServerError, ValidationResult,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextValidation},
};

use super::RequestContext;
use crate::config::GraphqlConfig;

/// The extension, registered once in `build_schema`.
#[derive(Debug, Clone, Copy)]
pub struct SuggestionsForIntrospectors {
    public_introspection: bool,
}

impl SuggestionsForIntrospectors {
    /// `CHORUS_PUBLIC_INTROSPECTION`.
    pub fn new(config: &GraphqlConfig) -> Self {
        Self {
            public_introspection: config.public_introspection,
        }
    }
}

impl ExtensionFactory for SuggestionsForIntrospectors {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(*self)
    }
}

#[async_trait::async_trait]
impl Extension for SuggestionsForIntrospectors {
    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let may_introspect = self.public_introspection
            || ctx
                .data_opt::<RequestContext>()
                .is_some_and(|r| r.principal.is_staff());
        next.run(ctx).await.map_err(|mut errors| {
            if !may_introspect {
                for error in &mut errors {
                    if let Some(at) = error.message.find(" Did you mean ") {
                        error.message.truncate(at);
                    }
                }
            }
            errors
        })
    }
}
