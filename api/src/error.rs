//! The error every service returns, and the client-facing code of each kind.
//!
//! Services speak in these variants; the GraphQL layer turns each into a message
//! and an `extensions.code`. Anything the client did not cause is `Internal`: its
//! cause is logged (with the request id, from the tracing span) and the client
//! sees only "internal error" and the request id, never a database message.

/// Result of a service call.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, in terms a client can act on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{message}")]
    BadUserInput {
        message: String,
        /// The input field at fault, when there is one.
        field: Option<&'static str>,
    },
    #[error("{0}")]
    Conflict(String),
    #[error(
        "this was changed by someone else since the version you sent; the current version is {current}"
    )]
    VersionConflict { current: i32 },
    #[error("{message}")]
    InvalidTransition {
        message: String,
        /// What is missing or wrong, for clients to branch on (e.g. `STORYTELLER_REVIEW_MISSING`).
        reason: &'static str,
    },
    #[error("{message}")]
    ConsentMissing {
        message: String,
        /// What no consent covers, e.g. `PUBLIC_WEB: no consent names this channel`.
        missing: Vec<String>,
    },
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// A story sent in through a campaign site was refused for what it is, not
    /// for a bad field: no or a wrong proof of work, an expired or spent one, a
    /// filled honeypot, a blocked source.
    #[error("{message}")]
    SubmissionRefused {
        message: String,
        /// `PROOF_MISSING`, `PROOF_INVALID`, `PROOF_EXPIRED`, `PROOF_SPENT`,
        /// `HONEYPOT` or `BLOCKED`, for sites to branch on.
        reason: &'static str,
    },
    #[error("too many attempts; try again in {retry_after_secs} seconds")]
    RateLimited { retry_after_secs: u64 },
    /// The object store did not answer in time (or refused); the cause is logged.
    #[error("media storage is not answering; try again in a moment")]
    StorageUnavailable { cause: String },
    /// PostgreSQL stopped a statement at its `statement_timeout`, which is the
    /// request deadline: the same answer as a query stopped by the deadline itself,
    /// whichever of the two clocks fired first.
    #[error("the request ran past the deadline and was stopped")]
    DeadlineExceeded,
    /// A sync cursor from before the change history Chorus still keeps: what
    /// changed since cannot be told (a withdrawal may be among it), so the app
    /// must drop its copy and sync again from nothing.
    #[error(
        "this cursor is older than the change history kept; delete every story you hold and sync again without `since`"
    )]
    SyncCursorExpired,
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl Error {
    /// The stable code clients branch on (`extensions.code`).
    pub fn code(&self) -> &'static str {
        match self {
            Error::Unauthenticated(_) => "UNAUTHENTICATED",
            Error::Forbidden(_) => "FORBIDDEN",
            Error::NotFound(_) => "NOT_FOUND",
            Error::BadUserInput { .. } => "BAD_USER_INPUT",
            Error::Conflict(_) | Error::VersionConflict { .. } => "CONFLICT",
            Error::InvalidTransition { .. } => "INVALID_TRANSITION",
            Error::ConsentMissing { .. } => "CONSENT_MISSING",
            Error::PayloadTooLarge(_) => "PAYLOAD_TOO_LARGE",
            Error::UnsupportedMediaType(_) => "UNSUPPORTED_MEDIA_TYPE",
            Error::RateLimited { .. } => "RATE_LIMITED",
            Error::SubmissionRefused { .. } => "SUBMISSION_REFUSED",
            Error::StorageUnavailable { .. } => "STORAGE_UNAVAILABLE",
            Error::DeadlineExceeded => "DEADLINE_EXCEEDED",
            Error::SyncCursorExpired => "SYNC_CURSOR_EXPIRED",
            Error::Internal(_) => "INTERNAL",
        }
    }

    /// Logs the cause of an `Internal` error; the client only ever sees the request id.
    pub fn log_if_internal(&self) {
        match self {
            Error::Internal(source) => tracing::error!(error = %source, "internal error"),
            Error::StorageUnavailable { cause } => {
                tracing::warn!(error = %cause, "media storage unavailable");
            }
            _ => {}
        }
    }

    /// A bad value in the named input field.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Error::BadUserInput {
            message: message.into(),
            field: Some(field),
        }
    }

    /// A refused submission.
    pub fn refused(reason: &'static str, message: impl Into<String>) -> Self {
        Error::SubmissionRefused {
            message: message.into(),
            reason,
        }
    }

    /// A refused workflow step.
    pub fn transition(reason: &'static str, message: impl Into<String>) -> Self {
        Error::InvalidTransition {
            message: message.into(),
            reason,
        }
    }

    /// What went wrong, for people who may see causes (logs, editors reading a
    /// failed job): an internal error's cause rather than "internal error".
    pub fn cause(&self) -> String {
        match self {
            Error::Internal(source) => source.to_string(),
            Error::StorageUnavailable { cause } => format!("media storage unavailable: {cause}"),
            other => other.to_string(),
        }
    }

    /// Anything the client did not cause.
    pub fn internal(err: impl std::error::Error + Send + Sync + 'static) -> Self {
        Error::Internal(Box::new(err))
    }
}

impl From<sea_orm::DbErr> for Error {
    fn from(err: sea_orm::DbErr) -> Self {
        if is_statement_timeout(&err) {
            tracing::warn!("PostgreSQL stopped a statement at the request deadline");
            return Error::DeadlineExceeded;
        }
        Error::internal(err)
    }
}

/// True when PostgreSQL cancelled a statement (SQLSTATE 57014, `query_canceled`):
/// Chorus sets `statement_timeout` and never cancels statements otherwise.
fn is_statement_timeout(err: &sea_orm::DbErr) -> bool {
    use sea_orm::{DbErr, RuntimeErr, sqlx};
    let runtime = match err {
        DbErr::Query(r) | DbErr::Exec(r) | DbErr::Conn(r) => r,
        _ => return false,
    };
    match runtime {
        RuntimeErr::SqlxError(e) => match &**e {
            sqlx::Error::Database(db) => db.code().as_deref() == Some("57014"),
            _ => false,
        },
        _ => false,
    }
}

impl From<sea_orm::TransactionError<Error>> for Error {
    fn from(err: sea_orm::TransactionError<Error>) -> Self {
        match err {
            sea_orm::TransactionError::Connection(db) => Error::internal(db),
            sea_orm::TransactionError::Transaction(e) => e,
        }
    }
}

/// True when `err` is a unique-constraint violation, which services turn into `Conflict`.
pub fn is_unique_violation(err: &sea_orm::DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}
