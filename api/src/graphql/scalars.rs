//! Scalars with names that read well in the schema.

use async_graphql::{InputValueError, InputValueResult, MaybeUndefined, Scalar, ScalarType, Value};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::{error::Error, pagination::Cursor, patch::Patch};

/// A calendar date, `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Date(pub NaiveDate);

/// A calendar date in ISO 8601 form, `YYYY-MM-DD`.
#[Scalar(name = "Date")]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map(Date)
                .map_err(|_| InputValueError::custom("expected a date such as 2026-12-18")),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}

/// Parses a GraphQL `ID` that should hold a UUID.
pub fn parse_id(field: &'static str, id: &async_graphql::ID) -> Result<Uuid, Error> {
    Uuid::parse_str(id).map_err(|_| Error::invalid(field, "expected an id as returned by Chorus"))
}

/// The opaque cursor for a row: its id, and its time for lists ordered by one.
pub fn encode_cursor(cursor: Cursor) -> String {
    let mut bytes = cursor.id.as_bytes().to_vec();
    if let Some(at) = cursor.at {
        bytes.extend(at.timestamp_micros().to_be_bytes());
    }
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The cursor inside a string from [`encode_cursor`]; `field` names the argument
/// in the error.
pub fn decode_cursor(field: &'static str, cursor: &str) -> Result<Cursor, Error> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).ok();
    let parsed = bytes.as_deref().and_then(|b| match b.len() {
        16 => Some(Cursor::id(Uuid::from_slice(b).ok()?)),
        24 => {
            let micros = i64::from_be_bytes(b[16..].try_into().ok()?);
            Some(Cursor {
                id: Uuid::from_slice(&b[..16]).ok()?,
                at: Some(DateTime::<Utc>::from_timestamp_micros(micros)?),
            })
        }
        _ => None,
    });
    parsed.ok_or_else(|| Error::invalid(field, "expected a cursor as returned by Chorus"))
}

/// An optional input field as a service-level change: left out keeps, `null` clears.
pub fn patch<T, U>(value: MaybeUndefined<T>, map: impl FnOnce(T) -> U) -> Patch<U> {
    match value {
        MaybeUndefined::Undefined => Patch::Keep,
        MaybeUndefined::Null => Patch::Clear,
        MaybeUndefined::Value(v) => Patch::Set(map(v)),
    }
}
