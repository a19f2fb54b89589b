//! Depth and complexity limits that tell the client what its query cost.
//!
//! async-graphql's own `limit_depth`/`limit_complexity` refuse with a bare
//! "Query is too complex." This extension runs the same measurement without a
//! limit and refuses itself, so the error says the cost and the limit
//! (`extensions.complexity`, `maxComplexity`, `depth`, `maxDepth`) and a client
//! can see how far over it is. The numbers are in README.md ("Limits").
//!
//! A query that is both too deep and invalid in another way is still refused as
//! too deep (as async-graphql's own limit did): validation then gives no numbers,
//! so the depth is also counted from the parsed document.

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use async_graphql::{
    ServerError, ServerResult, ValidationResult, Variables,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextValidation},
    parser::types::{ExecutableDocument, Selection, SelectionSet},
};

use crate::config::GraphqlConfig;

/// The configured limits, checked after validation has measured the query.
#[derive(Debug, Clone, Copy)]
pub struct QueryLimits {
    max_depth: usize,
    max_complexity: usize,
}

impl QueryLimits {
    /// `CHORUS_GRAPHQL_MAX_DEPTH` and `CHORUS_GRAPHQL_MAX_COMPLEXITY`.
    pub fn new(config: &GraphqlConfig) -> Self {
        Self {
            max_depth: config.max_depth,
            max_complexity: config.max_complexity,
        }
    }
}

impl ExtensionFactory for QueryLimits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Check {
            limits: *self,
            parsed_depth: AtomicUsize::new(0),
        })
    }
}

/// One request's check.
struct Check {
    limits: QueryLimits,
    /// The deepest field nesting in the parsed document, counted up to the limit + 1.
    parsed_depth: AtomicUsize,
}

#[async_trait::async_trait]
impl Extension for Check {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await?;
        let cap = self.limits.max_depth + 1;
        let depth = doc
            .operations
            .iter()
            .map(|(_, op)| depth(&doc, &op.node.selection_set.node, 0, cap))
            .max()
            .unwrap_or(0);
        self.parsed_depth.store(depth, Ordering::Relaxed);
        Ok(doc)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let limits = &self.limits;
        let measured = match next.run(ctx).await {
            Ok(measured) => measured,
            Err(errors) => {
                let depth = self.parsed_depth.load(Ordering::Relaxed);
                if depth > limits.max_depth {
                    return Err(vec![too_complex(
                        format!(
                            "Query is nested too deep: the limit is {}",
                            limits.max_depth
                        ),
                        None,
                        depth,
                        limits,
                    )]);
                }
                return Err(errors);
            }
        };
        let message = if measured.complexity > limits.max_complexity {
            format!(
                "Query is too complex: it costs {}, the limit is {}",
                measured.complexity, limits.max_complexity
            )
        } else if measured.depth > limits.max_depth {
            format!(
                "Query is nested too deep: {} levels, the limit is {}",
                measured.depth, limits.max_depth
            )
        } else {
            return Ok(measured);
        };
        Err(vec![too_complex(
            message,
            Some(measured.complexity),
            measured.depth,
            limits,
        )])
    }
}

/// The `QUERY_TOO_COMPLEX` error, with what was measured and the limits.
fn too_complex(
    message: String,
    complexity: Option<usize>,
    depth: usize,
    limits: &QueryLimits,
) -> ServerError {
    let mut error = ServerError::new(message, None);
    let ext = error.extensions.get_or_insert_with(Default::default);
    ext.set("code", "QUERY_TOO_COMPLEX");
    if let Some(complexity) = complexity {
        ext.set("complexity", complexity);
    }
    ext.set("maxComplexity", limits.max_complexity);
    ext.set("depth", depth);
    ext.set("maxDepth", limits.max_depth);
    error
}

/// Field nesting below `set`, counted as async-graphql does (each field one level,
/// fragments none), and never past `cap` (fragment cycles are refused by validation).
fn depth(doc: &ExecutableDocument, set: &SelectionSet, level: usize, cap: usize) -> usize {
    if level >= cap {
        return level;
    }
    set.items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(f) => depth(doc, &f.node.selection_set.node, level + 1, cap),
            Selection::InlineFragment(f) => depth(doc, &f.node.selection_set.node, level, cap),
            Selection::FragmentSpread(spread) => doc
                .fragments
                .get(&spread.node.fragment_name.node)
                .map_or(level, |f| {
                    depth(doc, &f.node.selection_set.node, level, cap)
                }),
        })
        .max()
        .unwrap_or(level)
}
