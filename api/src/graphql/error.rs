//! Service errors as GraphQL errors, each with an `extensions.code`.

use async_graphql::{ErrorExtensions, Response, ServerError, Value};

use crate::error::Error;

impl From<Error> for async_graphql::Error {
    fn from(err: Error) -> Self {
        // The request id is on the current span, so the log line can be matched to the
        // `requestId` the client is shown.
        err.log_if_internal();
        let code = err.code();
        async_graphql::Error::new(err.to_string()).extend_with(|_, ext| {
            ext.set("code", code);
            match &err {
                Error::BadUserInput {
                    field: Some(field), ..
                } => ext.set("field", *field),
                Error::RateLimited { retry_after_secs } => {
                    ext.set("retryAfterSeconds", *retry_after_secs)
                }
                Error::VersionConflict { current } => ext.set("currentVersion", *current),
                Error::InvalidTransition { reason, .. }
                | Error::SubmissionRefused { reason, .. } => ext.set("reason", *reason),
                Error::ConsentMissing { missing, .. } => ext.set("missing", missing.clone()),
                _ => {}
            }
        })
    }
}

/// Gives every error of a response a code, and `INTERNAL` ones the request id.
///
/// Errors raised by our services already carry a code. The rest come from
/// async-graphql's parser, validator and input coercion (the client sent something
/// malformed) or from its depth and complexity limits.
pub fn finalize_errors(response: &mut Response, request_id: &str) {
    for error in &mut response.errors {
        let code = error
            .extensions
            .as_ref()
            .and_then(|ext| ext.get("code"))
            .cloned();
        let code = match code {
            Some(Value::String(code)) => code,
            _ => {
                let code = if error.message.starts_with("Query is too complex")
                    || error.message.starts_with("Query is nested too deep")
                    || error
                        .message
                        .starts_with("The recursion depth of the query")
                {
                    "QUERY_TOO_COMPLEX"
                } else {
                    "BAD_USER_INPUT"
                };
                extensions(error).set("code", code);
                code.to_owned()
            }
        };
        if code == "INTERNAL" {
            extensions(error).set("requestId", request_id);
        }
    }
}

fn extensions(error: &mut ServerError) -> &mut async_graphql::ErrorExtensionValues {
    error.extensions.get_or_insert_with(Default::default)
}

/// A response made of one error, for requests refused before execution.
pub fn error_response(code: &str, message: impl Into<String>) -> Response {
    let mut error = ServerError::new(message, None);
    extensions(&mut error).set("code", code);
    Response::from_errors(vec![error])
}
