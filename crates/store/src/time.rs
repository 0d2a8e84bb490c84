//! Times are stored as milliseconds since the Unix epoch, which both databases store alike.

use chrono::{DateTime, TimeZone, Utc};

pub fn to_millis(time: DateTime<Utc>) -> i64 {
    time.timestamp_millis()
}

pub fn from_millis(millis: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(millis)
        .single()
        .unwrap_or(DateTime::UNIX_EPOCH)
}

pub fn opt_from_millis(millis: Option<i64>) -> Option<DateTime<Utc>> {
    millis.map(from_millis)
}
