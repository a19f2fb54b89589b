//! What one GraphQL request may cost, measured before any of it runs.
//!
//! Three passes, all before a resolver runs:
//!
//! - [`QueryLimits::check_text`] counts the text's tokens before it is parsed,
//!   as graphql-js's `maxTokens` does: parsing is the one step whose cost grows
//!   with the text alone, and a document of tens of thousands of fields costs
//!   more to parse than any other limit can save.
//! - [`QueryLimits::check`] walks the parsed document once, measuring each
//!   fragment a single time however often it is spread, so its work grows with
//!   the document's length, never with what the fragments expand to. It refuses
//!   fragment cycles, documents nested past [`MAX_NESTING`], more root fields
//!   than `max_root_fields`, more selections (fields, spreads, inline fragments,
//!   counted as expanded) than `max_selections`, and more depth than
//!   `max_depth`. The HTTP handler runs it on the parsed document before
//!   anything else walks it: async-graphql's own validation (and its recursion
//!   check) follows every spread again and again, so a hostile document must
//!   never reach it. Past it, every walk of the document is bounded.
//! - The [`Extension`] lets async-graphql's validation measure complexity (each
//!   field 1, a list of `first: n` n times its fields, see README.md "Limits")
//!   and refuses itself, so the error says the cost and the limit
//!   (`extensions.complexity`, `maxComplexity`, `depth`, `maxDepth`).
//!
//! [`execute`] then runs the operation within the request's deadline and budget
//! of SQL statements ([`crate::db::with_statement_budget`]).

use std::{
    collections::HashMap,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use async_graphql::{
    Request, Response, ServerError, ServerResult, ValidationResult, Variables,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextValidation},
    parser::types::{ExecutableDocument, Selection, SelectionSet},
};

use super::{ChorusSchema, RequestContext, storable};
use crate::{config::GraphqlConfig, db};

/// How deeply selection sets (fields, spreads, inline fragments) may nest in a
/// document, whatever its depth in fields: async-graphql's own recursion limit
/// (`limit_recursive_depth`, 32), enforced here before its exponential walk.
pub const MAX_NESTING: usize = 32;

/// The configured limits.
#[derive(Debug, Clone, Copy)]
pub struct QueryLimits {
    max_depth: usize,
    max_complexity: usize,
    max_root_fields: u64,
    max_selections: u64,
    max_tokens: usize,
}

impl QueryLimits {
    /// `CHORUS_GRAPHQL_MAX_DEPTH`, `…_MAX_COMPLEXITY`, `…_MAX_ROOT_FIELDS` and
    /// `…_MAX_SELECTIONS`.
    pub fn new(config: &GraphqlConfig) -> Self {
        Self {
            max_depth: config.max_depth,
            max_complexity: config.max_complexity,
            max_root_fields: config.max_root_fields as u64,
            max_selections: config.max_selections as u64,
            max_tokens: config.max_tokens,
        }
    }

    /// Refuses a query text of more than `max_tokens` tokens with
    /// `QUERY_TOO_COMPLEX`, before it is parsed.
    pub fn check_text(&self, text: &str) -> Result<(), ServerError> {
        let tokens = count_tokens(text, self.max_tokens);
        if tokens <= self.max_tokens {
            return Ok(());
        }
        let mut error = too_complex(
            format!(
                "Query is too complex: it holds more than {} tokens",
                self.max_tokens
            ),
            None,
            0,
            self,
        );
        let ext = error.extensions.get_or_insert_with(Default::default);
        ext.set("maxTokens", self.max_tokens);
        Err(error)
    }

    /// Measures `doc` in one pass over its text and refuses it with
    /// `QUERY_TOO_COMPLEX` when it is over a limit. Unknown fragments count as
    /// empty: validation reports them.
    pub fn check(&self, doc: &ExecutableDocument) -> Result<(), ServerError> {
        let mut walk = Walk {
            doc,
            fragments: HashMap::with_capacity(doc.fragments.len()),
        };
        let mut selections = 0u64;
        let mut depth = 0;
        let mut root_fields = 0;
        let measured = (|| -> Result<(), Stop> {
            for (_, op) in doc.operations.iter() {
                let size = walk.set(&op.node.selection_set.node, 0)?;
                selections = selections.saturating_add(size.selections);
                depth = depth.max(size.depth);
                root_fields = root_fields.max(size.root_fields);
            }
            // Validation walks every definition, used or not.
            for name in doc.fragments.keys() {
                let size = walk.fragment(name, 0)?;
                selections = selections.saturating_add(size.selections);
            }
            Ok(())
        })();
        let message = match measured {
            Err(Stop::Cycle(name)) => {
                format!("Query is too complex: the fragment `{name}` spreads itself")
            }
            Err(Stop::Nested) => {
                format!("Query is nested too deep: selections may nest {MAX_NESTING} levels")
            }
            Ok(()) if root_fields > self.max_root_fields => format!(
                "Query is too complex: it selects {root_fields} root fields, the limit is {}",
                self.max_root_fields
            ),
            Ok(()) if selections > self.max_selections => format!(
                "Query is too complex: it holds {selections} selections once its fragments are expanded, the limit is {}",
                self.max_selections
            ),
            Ok(()) => return Ok(()),
        };
        let mut error = too_complex(message, None, depth, self);
        let ext = error.extensions.get_or_insert_with(Default::default);
        ext.set("rootFields", root_fields);
        ext.set("maxRootFields", self.max_root_fields);
        ext.set("selections", selections);
        ext.set("maxSelections", self.max_selections);
        Err(error)
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

/// One request's complexity check.
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
                // A query both too deep and invalid in another way is still
                // refused as too deep: validation then gives no numbers.
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
/// fragments none), and never past `cap`. Run only on documents that passed
/// [`QueryLimits::check`], whose expanded size is bounded.
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

/// What a selection set holds once its fragments are expanded.
#[derive(Debug, Clone, Copy, Default)]
struct Size {
    /// Fields, spreads and inline fragments, at every level (saturating).
    selections: u64,
    /// Field nesting, counted as async-graphql does: each field one level,
    /// fragments none.
    depth: usize,
    /// Fields at the set's own level, through fragments.
    root_fields: u64,
}

/// Why a walk stopped before measuring everything.
enum Stop {
    Cycle(String),
    Nested,
}

/// One pass over a document; each fragment is measured once and remembered.
struct Walk<'a> {
    doc: &'a ExecutableDocument,
    /// `None` while the fragment is being measured: meeting it again is a cycle.
    fragments: HashMap<&'a str, Option<Size>>,
}

impl<'a> Walk<'a> {
    fn set(&mut self, set: &'a SelectionSet, nesting: usize) -> Result<Size, Stop> {
        if set.items.is_empty() {
            return Ok(Size::default());
        }
        // As async-graphql counts recursion; this also bounds this walk's stack.
        if nesting > MAX_NESTING {
            return Err(Stop::Nested);
        }
        let mut size = Size::default();
        for item in &set.items {
            let (inner, field) = match &item.node {
                Selection::Field(f) => (self.set(&f.node.selection_set.node, nesting + 1)?, true),
                Selection::InlineFragment(f) => {
                    (self.set(&f.node.selection_set.node, nesting + 1)?, false)
                }
                Selection::FragmentSpread(spread) => (
                    self.fragment(&spread.node.fragment_name.node, nesting + 1)?,
                    false,
                ),
            };
            size.selections = size.selections.saturating_add(1 + inner.selections);
            if field {
                size.depth = size.depth.max(inner.depth + 1);
                size.root_fields = size.root_fields.saturating_add(1);
            } else {
                size.depth = size.depth.max(inner.depth);
                size.root_fields = size.root_fields.saturating_add(inner.root_fields);
            }
        }
        Ok(size)
    }

    fn fragment(&mut self, name: &'a str, nesting: usize) -> Result<Size, Stop> {
        match self.fragments.get(name) {
            Some(Some(size)) => return Ok(*size),
            Some(None) => return Err(Stop::Cycle(name.to_owned())),
            None => {}
        }
        let Some(definition) = self.doc.fragments.get(name) else {
            return Ok(Size::default());
        };
        self.fragments.insert(name, None);
        let size = self.set(&definition.node.selection_set.node, nesting)?;
        self.fragments.insert(name, Some(size));
        Ok(size)
    }
}

/// Why an operation was stopped while it ran.
enum Stopped {
    Deadline,
    Statements(u64),
}

/// Runs `request` on `schema`. A query (never a write: one cut halfway would
/// leave files or mails behind its rolled-back transaction) is stopped at the
/// deadline (`DEADLINE_EXCEEDED`) or once it has run more SQL statements than
/// its budget (`QUERY_TOO_COMPLEX`); either way its unfinished work, its
/// statements' futures included, is dropped.
pub async fn execute(
    schema: &ChorusSchema,
    request: Request,
    config: &GraphqlConfig,
    is_query: bool,
) -> Response {
    if !is_query {
        return schema.checked.execute(request).await;
    }
    let budget = config.max_statements;
    let run = db::with_statement_budget(budget, run_query(schema, request));
    let stopped = match tokio::time::timeout(config.deadline, run).await {
        // PostgreSQL's `statement_timeout` is the same deadline on the database's
        // clock and may fire first: the same answer either way.
        Ok(Ok(response)) if stopped_by_database(&response) => Stopped::Deadline,
        Ok(Ok(response)) => return response,
        Ok(Err(spent)) => Stopped::Statements(spent.0),
        Err(_) => Stopped::Deadline,
    };
    let error = match stopped {
        Stopped::Deadline => {
            tracing::warn!(deadline = ?config.deadline, "a query ran past the deadline and was stopped");
            let mut error = ServerError::new(
                format!(
                    "The query ran past the deadline of {} and was stopped",
                    seconds(config.deadline)
                ),
                None,
            );
            let ext = error.extensions.get_or_insert_with(Default::default);
            ext.set("code", "DEADLINE_EXCEEDED");
            ext.set("deadlineMs", config.deadline.as_millis() as u64);
            error
        }
        Stopped::Statements(spent) => {
            tracing::warn!(
                statements = spent,
                budget,
                "a query ran past its statement budget and was stopped"
            );
            let mut error = ServerError::new(
                format!(
                    "Query is too complex: it needed more than {budget} database statements and was stopped"
                ),
                None,
            );
            let ext = error.extensions.get_or_insert_with(Default::default);
            ext.set("code", "QUERY_TOO_COMPLEX");
            ext.set("statements", spent);
            ext.set("maxStatements", budget);
            error
        }
    };
    Response::from_errors(vec![error])
}

/// Runs a query on the lean schema ([`ChorusSchema`]) when what the extensions
/// check before it runs can be checked without them; on the checked schema when
/// it cannot, and again there when the lean one refuses it before running it
/// (nothing has run, so nothing runs twice), for the extensions' wording.
async fn run_query(schema: &ChorusSchema, mut request: Request) -> Response {
    let Some(spare) = Spare::of(&mut request) else {
        return schema.checked.execute(request).await;
    };
    let mut response = schema.lean.execute(request).await;
    if refused_before_running(&response) {
        return schema.checked.execute(spare.request).await;
    }
    storable::name_arguments(&spare.argument_names, &mut response);
    response
}

/// What the lean run needs besides the request: a copy of it for the checked
/// schema, and the names of its arguments for its errors.
struct Spare {
    request: Request,
    argument_names: storable::ArgumentNames,
}

impl Spare {
    /// `None` when the request must go to the checked schema at once: it does
    /// not parse, holds a NUL ([`storable`]), carries files, or has no context.
    fn of(request: &mut Request) -> Option<Self> {
        if !request.uploads.is_empty() {
            return None;
        }
        let context = request
            .data
            .get(&std::any::TypeId::of::<RequestContext>())
            .and_then(|c| c.downcast_ref::<RequestContext>())?
            .clone();
        let variables = request.variables.clone();
        let doc = request.parsed_query().ok()?;
        let (argument_names, refused) = storable::check(doc, &variables);
        if refused.is_some() {
            return None;
        }
        let mut copy = Request::new(request.query.clone())
            .variables(variables)
            .data(context);
        copy.operation_name = request.operation_name.clone();
        copy.extensions = request.extensions.clone();
        copy.introspection_mode = request.introspection_mode;
        Some(Self {
            request: copy,
            argument_names,
        })
    }
}

/// The answer is a refusal from before the operation ran (parsing, validation,
/// the limits): errors without a path, and no data. A field's error always has
/// its path.
fn refused_before_running(response: &Response) -> bool {
    !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty())
        && response.data == async_graphql::Value::Null
}

/// True when a resolver failed because the database stopped its statement at the
/// deadline (`Error::DeadlineExceeded`).
fn stopped_by_database(response: &Response) -> bool {
    response.errors.iter().any(|e| {
        e.extensions
            .as_ref()
            .and_then(|ext| ext.get("code"))
            .is_some_and(|code| *code == async_graphql::Value::from("DEADLINE_EXCEEDED"))
    })
}

/// `d` in words, such as `5 s` or `1.5 s`.
fn seconds(d: Duration) -> String {
    format!("{} s", d.as_secs_f64())
}

/// The GraphQL tokens in `text` (names, numbers, strings, punctuators; commas,
/// white space and comments are not tokens), counted up to `cap + 1`. A lexer
/// only in so far as counting needs: an ill-formed text is the parser's to
/// report, and no text is counted as fewer tokens than it holds.
fn count_tokens(text: &str, cap: usize) -> usize {
    let bytes = text.as_bytes();
    let mut tokens = 0;
    let mut i = 0;
    while i < bytes.len() && tokens <= cap {
        match bytes[i] {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => i += 1,
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                tokens += 1;
                i += 3;
                while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                    i += if bytes[i..].starts_with(b"\\\"\"\"") {
                        4
                    } else {
                        1
                    };
                }
                i += 3;
            }
            b'"' => {
                tokens += 1;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'.' if bytes[i..].starts_with(b"...") => {
                tokens += 1;
                i += 3;
            }
            c if c == b'_' || c.is_ascii_alphanumeric() || c == b'-' => {
                tokens += 1;
                i += 1;
                while i < bytes.len()
                    && (bytes[i] == b'_' || bytes[i].is_ascii_alphanumeric() || bytes[i] == b'.')
                {
                    i += 1;
                }
            }
            _ => {
                tokens += 1;
                i += 1;
            }
        }
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::count_tokens;

    #[test]
    fn tokens_are_counted_as_graphql_lexes_them() {
        assert_eq!(count_tokens("{ a b c }", 100), 5);
        assert_eq!(
            count_tokens("query Q($x: Int = -1.5e3) { f(x: $x) }", 100),
            19
        );
        assert_eq!(count_tokens("{ ...F } # a comment { { {\n", 100), 4);
        assert_eq!(
            count_tokens(r#"{ f(s: "a \" { b", t: """x "" \""" y""") }"#, 100),
            11
        );
        assert_eq!(count_tokens(",,, \t\r\n", 100), 0);
    }

    #[test]
    fn counting_stops_past_the_cap() {
        let text = "{ ".to_owned() + &"a ".repeat(100_000) + "}";
        assert_eq!(count_tokens(&text, 10), 11);
    }
}
