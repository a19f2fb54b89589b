//! Scalars with names that read well in the schema.

use async_graphql::{InputValueError, InputValueResult, MaybeUndefined, Scalar, ScalarType, Value};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use uuid::Uuid;

use crate::{
    error::Error,
    pagination::{AnyCursor, Cursor, ScoreCursor},
    patch::Patch,
};

/// A calendar date, `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Date(pub NaiveDate);

/// The years a date or an instant sent to Chorus may fall in: 0001 to 9999.
///
/// PostgreSQL stores 4713 BC to 294276 AD, but SQLite keeps times as text and
/// compares them as text, which orders correctly only for four-digit years; so
/// both backends take what fits both, and anything else is refused as input
/// rather than failing in the database.
pub const YEARS: std::ops::RangeInclusive<i32> = 1..=9999;

/// `value`, or the refusal of a year outside [`YEARS`].
fn in_years<T: Datelike>(value: T) -> Result<T, String> {
    if YEARS.contains(&value.year()) {
        Ok(value)
    } else {
        Err(format!(
            "the year must be between {:04} and {:04}",
            YEARS.start(),
            YEARS.end()
        ))
    }
}

/// A calendar date in ISO 8601 form, `YYYY-MM-DD`.
#[Scalar(name = "Date")]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => {
                let date = NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .map_err(|_| InputValueError::custom("expected a date such as 2026-12-18"))?;
                in_years(date).map(Date).map_err(InputValueError::custom)
            }
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}

/// An instant sent to Chorus: the `DateTime` scalar as input, between the
/// years 0001 and 9999 ([`YEARS`]).
///
/// Answers carry chrono's own `DateTime<Utc>`, which is the same GraphQL scalar
/// (an RFC 3339 string); only input needs the bound, and this type gives it in
/// one place instead of in each resolver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Instant(pub DateTime<Utc>);

/// An RFC 3339 date and time, such as `2026-12-18T09:30:00Z`; as input, its
/// year must be between 0001 and 9999.
#[Scalar(
    name = "DateTime",
    specified_by_url = "https://datatracker.ietf.org/doc/html/rfc3339"
)]
impl ScalarType for Instant {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => {
                let time = s.parse::<DateTime<Utc>>().map_err(|_| {
                    InputValueError::custom(
                        "expected an RFC 3339 time such as 2026-12-18T09:30:00Z",
                    )
                })?;
                in_years(time).map(Instant).map_err(InputValueError::custom)
            }
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_rfc3339())
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

/// The last byte of a score cursor (the id, the score, this mark: 25 bytes, a
/// length no other cursor has).
const SCORE_MARK: u8 = b'S';

/// The opaque cursor of a row in a list ordered by time or by a score.
pub fn encode_any_cursor(cursor: AnyCursor) -> String {
    match cursor {
        AnyCursor::Time(c) => encode_cursor(c),
        AnyCursor::Score(c) => {
            let mut bytes = c.id.as_bytes().to_vec();
            bytes.extend(c.score.to_bits().to_be_bytes());
            bytes.push(SCORE_MARK);
            URL_SAFE_NO_PAD.encode(bytes)
        }
    }
}

/// The cursor inside a string from [`encode_any_cursor`] (or [`encode_cursor`]).
pub fn decode_any_cursor(field: &'static str, cursor: &str) -> Result<AnyCursor, Error> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).ok();
    match bytes.as_deref() {
        Some([id @ .., s0, s1, s2, s3, s4, s5, s6, s7, SCORE_MARK]) if id.len() == 16 => {
            let score =
                f64::from_bits(u64::from_be_bytes([*s0, *s1, *s2, *s3, *s4, *s5, *s6, *s7]));
            match Uuid::from_slice(id) {
                Ok(id) if score.is_finite() => Ok(AnyCursor::Score(ScoreCursor { id, score })),
                _ => Err(Error::invalid(
                    field,
                    "expected a cursor as returned by Chorus",
                )),
            }
        }
        _ => decode_cursor(field, cursor).map(AnyCursor::Time),
    }
}

/// An optional input field as a service-level change: left out keeps, `null` clears.
pub fn patch<T, U>(value: MaybeUndefined<T>, map: impl FnOnce(T) -> U) -> Patch<U> {
    match value {
        MaybeUndefined::Undefined => Patch::Keep,
        MaybeUndefined::Null => Patch::Clear,
        MaybeUndefined::Value(v) => Patch::Set(map(v)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_of_either_order_read_back_as_written() {
        let id = Uuid::now_v7();
        let at = DateTime::<Utc>::from_timestamp_micros(1_790_000_000_123_456).expect("time");
        for cursor in [
            AnyCursor::Time(Cursor::id(id)),
            AnyCursor::Time(Cursor { id, at: Some(at) }),
            AnyCursor::Score(ScoreCursor { id, score: 0.0 }),
            AnyCursor::Score(ScoreCursor { id, score: -1.0e-6 }),
            AnyCursor::Score(ScoreCursor {
                id,
                score: 0.060_792_710_632_085_8,
            }),
        ] {
            let encoded = encode_any_cursor(cursor);
            assert_eq!(
                decode_any_cursor("after", &encoded).expect("decodes"),
                cursor
            );
        }
        // Time cursors are the ones every other list uses.
        let time = Cursor { id, at: Some(at) };
        assert_eq!(
            encode_any_cursor(AnyCursor::Time(time)),
            encode_cursor(time)
        );
        // A score cursor is no cursor to a list by time.
        let scored = encode_any_cursor(AnyCursor::Score(ScoreCursor { id, score: 1.5 }));
        assert!(decode_cursor("after", &scored).is_err());
    }

    #[test]
    fn made_up_score_cursors_are_refused() {
        let mut bytes = Uuid::now_v7().as_bytes().to_vec();
        bytes.extend(f64::NAN.to_bits().to_be_bytes());
        bytes.push(SCORE_MARK);
        for bad in [
            URL_SAFE_NO_PAD.encode(&bytes),
            "not-a-cursor".into(),
            String::new(),
        ] {
            match decode_any_cursor("before", &bad) {
                Err(Error::BadUserInput { field, .. }) => assert_eq!(field, Some("before")),
                other => panic!("{bad:?} gave {other:?}"),
            }
        }
    }
}
