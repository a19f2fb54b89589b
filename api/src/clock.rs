//! The one place Chorus reads the time.

use chrono::{DateTime, SubsecRound, Utc};

/// Now, in UTC, to the microsecond: the precision PostgreSQL keeps, so a value reads
/// back the same from either database.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}
