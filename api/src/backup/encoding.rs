//! One portable encoding for every column value, the same whichever database
//! the row came from, so that a SQLite backup loads into PostgreSQL and back.
//!
//! A value is encoded by its `sea_orm::Value` variant (which follows the
//! entity's field type, not the backend) into one JSON form: numbers and
//! booleans as themselves, text as a string, times as RFC 3339 in UTC with
//! exactly the fraction stored, UUIDs hyphenated, bytes as hex, JSON columns as
//! their text. The variant is named in the manifest ([`Kind`]), so decoding
//! rebuilds exactly the variant the entity's field takes.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, SecondsFormat, Utc};
use sea_orm::Value;
use serde_json::Value as Json;

/// The variant of a column's values, as named in a manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Bool,
    I8,
    I16,
    I32,
    I64,
    U8,
    U16,
    U32,
    U64,
    F32,
    F64,
    Text,
    Char,
    Bytes,
    Json,
    Date,
    Time,
    DateTime,
    Timestamp,
    TimestampWithOffset,
    Uuid,
}

/// Why a value cannot be encoded or decoded.
#[derive(Debug, thiserror::Error)]
pub enum EncodingError {
    #[error("a column of type {0} cannot be backed up")]
    Unsupported(String),
    #[error("the column holds values of two kinds ({0:?} and {1:?})")]
    Mixed(Kind, Kind),
    #[error("a value does not fit its column ({kind:?}): {value}")]
    Invalid { kind: Kind, value: String },
}

/// The kind of `value` and its portable form.
pub fn encode(value: &Value) -> Result<(Kind, Json), EncodingError> {
    fn or_null<T>(value: &Option<T>, f: impl FnOnce(&T) -> Json) -> Json {
        value.as_ref().map_or(Json::Null, f)
    }
    let utc = |t: &DateTime<Utc>| Json::String(t.to_rfc3339_opts(SecondsFormat::AutoSi, true));
    Ok(match value {
        Value::Bool(v) => (Kind::Bool, or_null(v, |v| Json::Bool(*v))),
        Value::TinyInt(v) => (Kind::I8, or_null(v, |v| Json::from(*v))),
        Value::SmallInt(v) => (Kind::I16, or_null(v, |v| Json::from(*v))),
        Value::Int(v) => (Kind::I32, or_null(v, |v| Json::from(*v))),
        Value::BigInt(v) => (Kind::I64, or_null(v, |v| Json::from(*v))),
        Value::TinyUnsigned(v) => (Kind::U8, or_null(v, |v| Json::from(*v))),
        Value::SmallUnsigned(v) => (Kind::U16, or_null(v, |v| Json::from(*v))),
        Value::Unsigned(v) => (Kind::U32, or_null(v, |v| Json::from(*v))),
        Value::BigUnsigned(v) => (Kind::U64, or_null(v, |v| Json::from(*v))),
        Value::Float(v) => (Kind::F32, or_null(v, |v| Json::from(*v))),
        Value::Double(v) => (Kind::F64, or_null(v, |v| Json::from(*v))),
        Value::String(v) => (Kind::Text, or_null(v, |v| Json::String(v.clone()))),
        // Enumerations stored as text (every Chorus enum is) travel as text.
        Value::Enum(v) => (
            Kind::Text,
            match v {
                sea_orm::sea_query::OptionEnum::Some(e) => Json::String(e.value.to_string()),
                sea_orm::sea_query::OptionEnum::None(_) => Json::Null,
            },
        ),
        Value::Char(v) => (Kind::Char, or_null(v, |v| Json::String(v.to_string()))),
        Value::Bytes(v) => (Kind::Bytes, or_null(v, |v| Json::String(hex::encode(v)))),
        Value::Json(v) => (Kind::Json, or_null(v, |v| Json::String(v.to_string()))),
        Value::ChronoDate(v) => (Kind::Date, or_null(v, |v| Json::String(v.to_string()))),
        Value::ChronoTime(v) => (Kind::Time, or_null(v, |v| Json::String(v.to_string()))),
        Value::ChronoDateTime(v) => (
            Kind::DateTime,
            or_null(v, |v| {
                Json::String(v.format("%Y-%m-%dT%H:%M:%S%.f").to_string())
            }),
        ),
        Value::ChronoDateTimeUtc(v) => (Kind::Timestamp, or_null(v, utc)),
        Value::ChronoDateTimeLocal(v) => {
            (Kind::Timestamp, or_null(v, |v| utc(&v.with_timezone(&Utc))))
        }
        Value::ChronoDateTimeWithTimeZone(v) => (
            Kind::TimestampWithOffset,
            or_null(v, |v| utc(&v.with_timezone(&Utc))),
        ),
        Value::Uuid(v) => (Kind::Uuid, or_null(v, |v| Json::String(v.to_string()))),
        other => return Err(EncodingError::Unsupported(format!("{other:?}"))),
    })
}

/// The value of `kind` that `json` encodes (a typed null for JSON `null`).
pub fn decode(kind: Kind, json: &Json) -> Result<Value, EncodingError> {
    let invalid = || EncodingError::Invalid {
        kind,
        value: json.to_string().chars().take(80).collect(),
    };
    let text = || json.as_str().ok_or_else(invalid);
    let int = || json.as_i64().ok_or_else(invalid);
    let uint = || json.as_u64().ok_or_else(invalid);
    let utc = || -> Result<DateTime<Utc>, EncodingError> {
        DateTime::parse_from_rfc3339(text()?)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| invalid())
    };
    let null = json.is_null();
    macro_rules! typed {
        ($variant:ident, $parse:expr) => {
            Value::$variant(if null { None } else { Some($parse) })
        };
    }
    Ok(match kind {
        Kind::Bool => typed!(Bool, json.as_bool().ok_or_else(invalid)?),
        Kind::I8 => typed!(TinyInt, int()?.try_into().map_err(|_| invalid())?),
        Kind::I16 => typed!(SmallInt, int()?.try_into().map_err(|_| invalid())?),
        Kind::I32 => typed!(Int, int()?.try_into().map_err(|_| invalid())?),
        Kind::I64 => typed!(BigInt, int()?),
        Kind::U8 => typed!(TinyUnsigned, uint()?.try_into().map_err(|_| invalid())?),
        Kind::U16 => typed!(SmallUnsigned, uint()?.try_into().map_err(|_| invalid())?),
        Kind::U32 => typed!(Unsigned, uint()?.try_into().map_err(|_| invalid())?),
        Kind::U64 => typed!(BigUnsigned, uint()?),
        // f32 values were widened exactly when encoded.
        #[allow(clippy::cast_possible_truncation)]
        Kind::F32 => typed!(Float, json.as_f64().ok_or_else(invalid)? as f32),
        Kind::F64 => typed!(Double, json.as_f64().ok_or_else(invalid)?),
        Kind::Text => typed!(String, text()?.to_owned()),
        Kind::Char => typed!(Char, text()?.chars().next().ok_or_else(invalid)?),
        Kind::Bytes => typed!(Bytes, hex::decode(text()?).map_err(|_| invalid())?),
        Kind::Json => typed!(
            Json,
            Box::new(serde_json::from_str(text()?).map_err(|_| invalid())?)
        ),
        Kind::Date => typed!(
            ChronoDate,
            text()?.parse::<NaiveDate>().map_err(|_| invalid())?
        ),
        Kind::Time => typed!(
            ChronoTime,
            text()?.parse::<NaiveTime>().map_err(|_| invalid())?
        ),
        Kind::DateTime => typed!(
            ChronoDateTime,
            NaiveDateTime::parse_from_str(text()?, "%Y-%m-%dT%H:%M:%S%.f").map_err(|_| invalid())?
        ),
        Kind::Timestamp => typed!(ChronoDateTimeUtc, utc()?),
        Kind::TimestampWithOffset => typed!(ChronoDateTimeWithTimeZone, utc()?.fixed_offset()),
        Kind::Uuid => typed!(Uuid, text()?.parse::<uuid::Uuid>().map_err(|_| invalid())?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_comes_back_as_the_value_it_was() {
        let at = DateTime::parse_from_rfc3339("2026-12-07T01:02:03.123456Z")
            .expect("time")
            .with_timezone(&Utc);
        let values = [
            Value::Bool(Some(true)),
            Value::Int(Some(-7)),
            Value::BigInt(Some(i64::MAX)),
            Value::Double(Some(0.25)),
            Value::String(Some("Ünïcode \"quoted\"\n".into())),
            Value::String(None),
            Value::Bytes(Some(vec![0, 255, 16])),
            Value::Json(Some(Box::new(serde_json::json!({"a": [1, null]})))),
            Value::ChronoDate(Some(NaiveDate::from_ymd_opt(2001, 2, 3).expect("date"))),
            Value::ChronoDateTimeUtc(Some(at)),
            Value::ChronoDateTimeUtc(None),
            Value::ChronoDateTimeWithTimeZone(Some(at.fixed_offset())),
            Value::Uuid(Some(uuid::Uuid::now_v7())),
            Value::Uuid(None),
        ];
        for value in values {
            let (kind, json) = encode(&value).expect("encodes");
            assert_eq!(decode(kind, &json).expect("decodes"), value, "{kind:?}");
        }
    }

    #[test]
    fn a_value_that_does_not_fit_its_kind_is_refused() {
        assert!(decode(Kind::Uuid, &Json::String("not a uuid".into())).is_err());
        assert!(decode(Kind::I32, &Json::from(i64::MAX)).is_err());
        assert!(decode(Kind::Timestamp, &Json::from(3)).is_err());
    }
}
