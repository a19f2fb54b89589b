//! Refuses text the databases cannot store, before anything runs.
//!
//! PostgreSQL's `text` and `jsonb` cannot hold U+0000 (NUL): a string with one
//! would fail deep inside a query as an internal error, after other checks and
//! perhaps other writes. So every string a request carries, in an inline argument
//! (nested in lists and input objects, on fields and directives alike) or in a
//! variable, is checked once here, right after parsing, and a NUL anywhere
//! refuses the whole request with `BAD_USER_INPUT` naming where it was. The
//! same is done on SQLite, so both backends answer alike.
//!
//! Out-of-range dates are the other input no column can hold; the `Date` and
//! `DateTime` input scalars bound those (`super::scalars::YEARS`), and since
//! async-graphql reports a refused value without the argument's name, the name
//! is added here too (`BAD_USER_INPUT`, `extensions.field`).

use std::{
    collections::HashMap,
    convert::Infallible,
    sync::{Arc, Mutex},
};

use async_graphql::{
    Name, Pos, Positioned, Response, ServerError, ServerResult, Value as ConstValue, Variables,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery},
    parser::types::{Directive, ExecutableDocument, Selection, SelectionSet},
};
use async_graphql_value::Value;

/// The extension, registered once in `build_schema`.
pub struct StorableInput;

impl ExtensionFactory for StorableInput {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Check::default())
    }
}

/// One request's check.
#[derive(Default)]
struct Check {
    /// Where each argument's value is written, its name and what it is given to,
    /// to name the argument in errors from parsing it (see `execute`).
    arguments: Mutex<ArgumentNames>,
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
        let (names, refused) = check(&doc, variables);
        if let Ok(mut known) = self.arguments.lock() {
            known.extend(names);
        }
        match refused {
            Some(refused) => Err(refused),
            None => Ok(doc),
        }
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let mut response = next.run(ctx, operation_name).await;
        if let Ok(known) = self.arguments.lock() {
            name_arguments(&known, &mut response);
        }
        response
    }
}

/// Where each argument's value is written: its name and what it is given to.
pub(super) type ArgumentNames = HashMap<Pos, (Name, String)>;

/// In one walk of the document: the [`ArgumentNames`], and the refusal of a
/// document and its variables holding a NUL anywhere (in a variable, an inline
/// argument or a variable's default).
pub(super) fn check(
    doc: &ExecutableDocument,
    variables: &Variables,
) -> (ArgumentNames, Option<ServerError>) {
    let arguments = arguments(doc);
    let names = arguments
        .iter()
        .map(|a| (a.at, (a.name.clone(), a.of.clone())))
        .collect();
    (names, refusal_of(doc, &arguments, variables))
}

fn refusal_of(
    doc: &ExecutableDocument,
    arguments: &[Argument<'_>],
    variables: &Variables,
) -> Option<ServerError> {
    for (name, value) in variables.iter() {
        if let Some(path) = nul_in(value, format!("${name}")) {
            // Named by the argument it is given to, when it is used.
            let used = arguments.iter().find(|a| {
                let mut mentioned = false;
                inline_with(a.value, |var| mentioned |= var == name);
                mentioned
            });
            return Some(match used {
                Some(a) => refusal(
                    format!("`{path}` (argument `{}` of {})", a.name, a.of),
                    a.name,
                ),
                None => refusal(format!("`{path}`"), name),
            });
        }
    }
    for a in arguments {
        if let Some(path) = nul_in(&inline_with(a.value, |_| ()), a.name.to_string()) {
            return Some(refusal(format!("argument `{path}` of {}", a.of), a.name));
        }
    }
    for (_, op) in doc.operations.iter() {
        for var in &op.node.variable_definitions {
            let var = &var.node;
            if let Some(path) = var
                .default_value
                .as_ref()
                .and_then(|d| nul_in(&d.node, format!("${}", var.name.node)))
            {
                return Some(refusal(format!("the default of `{path}`"), &var.name.node));
            }
        }
    }
    None
}

/// async-graphql reports a value its scalar or input type refuses (an
/// out-of-range `DateTime`, a malformed `Date`) as "Failed to parse …" at the
/// argument, without its name; this adds the name, in the message and as
/// `extensions.field`.
pub(super) fn name_arguments(known: &ArgumentNames, response: &mut Response) {
    for error in &mut response.errors {
        let coded = error
            .extensions
            .as_ref()
            .is_some_and(|e| e.get("code").is_some());
        if let ([at], false) = (error.locations.as_slice(), coded)
            && let Some((name, of)) = known.get(at)
        {
            error.message = format!("argument `{name}` of {of}: {}", error.message);
            let ext = error.extensions.get_or_insert_with(Default::default);
            ext.set("code", "BAD_USER_INPUT");
            ext.set("field", name.as_str());
        }
    }
}

/// The `BAD_USER_INPUT` error for a NUL at `place`; `field` (the argument, or
/// the variable no argument uses) goes in `extensions.field`.
fn refusal(place: String, field: &Name) -> ServerError {
    let mut error = ServerError::new(
        format!("{place} contains a NUL character (U+0000), which cannot be stored"),
        None,
    );
    let ext = error.extensions.get_or_insert_with(Default::default);
    ext.set("code", "BAD_USER_INPUT");
    ext.set("field", field.as_str());
    error
}

/// One argument as written in the document.
struct Argument<'a> {
    name: &'a Name,
    value: &'a Value,
    /// Where the value is written.
    at: Pos,
    /// What it is given to: `` `story` `` or `` `@include` ``.
    of: String,
}

/// Every argument of every field and directive in the document's operations
/// and fragments, in document order.
fn arguments(doc: &ExecutableDocument) -> Vec<Argument<'_>> {
    let mut found = Vec::new();
    for (_, op) in doc.operations.iter() {
        in_set(&op.node.selection_set.node, &mut found);
    }
    for fragment in doc.fragments.values() {
        in_directives(&fragment.node.directives, &mut found);
        in_set(&fragment.node.selection_set.node, &mut found);
    }
    found
}

fn in_set<'a>(set: &'a SelectionSet, found: &mut Vec<Argument<'a>>) {
    for item in &set.items {
        match &item.node {
            Selection::Field(f) => {
                let f = &f.node;
                found.extend(f.arguments.iter().map(|(name, value)| Argument {
                    name: &name.node,
                    value: &value.node,
                    at: value.pos,
                    of: format!("`{}`", f.name.node),
                }));
                in_directives(&f.directives, found);
                in_set(&f.selection_set.node, found);
            }
            Selection::InlineFragment(f) => {
                in_directives(&f.node.directives, found);
                in_set(&f.node.selection_set.node, found);
            }
            Selection::FragmentSpread(s) => in_directives(&s.node.directives, found),
        }
    }
}

fn in_directives<'a>(directives: &'a [Positioned<Directive>], found: &mut Vec<Argument<'a>>) {
    for d in directives {
        found.extend(d.node.arguments.iter().map(|(name, value)| Argument {
            name: &name.node,
            value: &value.node,
            at: value.pos,
            of: format!("`@{}`", d.node.name.node),
        }));
    }
}

/// An argument's value with each variable in it shown to `seen` and read as
/// `null` (a variable's own value is checked where it is given).
fn inline_with(value: &Value, mut seen: impl FnMut(&Name)) -> ConstValue {
    value
        .clone()
        .into_const_with(|var| {
            seen(&var);
            Ok::<_, Infallible>(ConstValue::Null)
        })
        .unwrap_or_default()
}

/// The path (`$input.texts[0].title`) to the first string with a NUL in a
/// value, if any; object keys count too (a JSON scalar's keys are stored).
fn nul_in(value: &ConstValue, path: String) -> Option<String> {
    match value {
        ConstValue::String(s) => s.contains('\0').then_some(path),
        ConstValue::List(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| nul_in(v, format!("{path}[{i}]"))),
        ConstValue::Object(fields) => fields.iter().find_map(|(k, v)| {
            let path = format!("{path}.{k}");
            if k.contains('\0') {
                Some(path)
            } else {
                nul_in(v, path)
            }
        }),
        _ => None,
    }
}
