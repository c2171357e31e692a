//! Dates and times: days since the epoch for dates, milliseconds since the epoch (UTC)
//! for datetimes, ISO 8601 text at the edges.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime, PrimitiveDateTime, UtcOffset};

const UNIX_EPOCH_JULIAN_DAY: i32 = 2_440_588;

/// Parses `YYYY-MM-DD` into days since 1970-01-01.
pub fn parse_date(s: &str) -> Option<i32> {
    let date = Date::parse(s.trim(), format_description!("[year]-[month]-[day]")).ok()?;
    Some(date.to_julian_day() - UNIX_EPOCH_JULIAN_DAY)
}

/// Formats days since 1970-01-01 as `YYYY-MM-DD`.
pub fn format_date(days: i32) -> String {
    match Date::from_julian_day(days.saturating_add(UNIX_EPOCH_JULIAN_DAY)) {
        Ok(d) => d
            .format(format_description!("[year]-[month]-[day]"))
            .unwrap_or_else(|_| days.to_string()),
        Err(_) => days.to_string(),
    }
}

/// Parses RFC 3339 (`2024-05-01T09:30:00Z`, any offset), `YYYY-MM-DD HH:MM[:SS]` (UTC)
/// or a bare date (midnight UTC) into milliseconds since the epoch.
pub fn parse_datetime(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(dt) = OffsetDateTime::parse(s, &Rfc3339) {
        return Some(to_ms(dt));
    }
    let normalized = s.replacen('T', " ", 1);
    for format in [
        format_description!("[year]-[month]-[day] [hour]:[minute]:[second]"),
        format_description!("[year]-[month]-[day] [hour]:[minute]"),
    ] {
        if let Ok(dt) = PrimitiveDateTime::parse(&normalized, format) {
            return Some(to_ms(dt.assume_offset(UtcOffset::UTC)));
        }
    }
    parse_date(s).map(|days| days as i64 * 86_400_000)
}

/// Formats milliseconds since the epoch as RFC 3339 in UTC, seconds precision.
pub fn format_datetime(ms: i64) -> String {
    let Ok(dt) = OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000) else {
        return ms.to_string();
    };
    let dt = dt.replace_nanosecond(0).unwrap_or(dt);
    dt.format(&Rfc3339).unwrap_or_else(|_| ms.to_string())
}

/// The date part (UTC) of a datetime, in days since the epoch.
pub fn date_of(ms: i64) -> i32 {
    ms.div_euclid(86_400_000) as i32
}

/// Midnight UTC of a date.
pub fn midnight_of(days: i32) -> i64 {
    days as i64 * 86_400_000
}

fn to_ms(dt: OffsetDateTime) -> i64 {
    (dt.unix_timestamp_nanos() / 1_000_000) as i64
}

/// Now, in milliseconds since the epoch.
pub fn now_ms() -> i64 {
    to_ms(OffsetDateTime::now_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn dates_parse_and_format_as_iso() {
        assert_eq!(parse_date("1970-01-02"), Some(1));
        assert_eq!(format_date(19_000), "2022-01-08");
        assert_eq!(parse_date("2022-13-01"), None);
    }

    #[test]
    fn datetimes_accept_rfc3339_and_plain_forms() {
        let z = parse_datetime("2024-05-01T09:30:00Z").unwrap();
        assert_eq!(parse_datetime("2024-05-01 09:30"), Some(z));
        assert_eq!(parse_datetime("2024-05-01T11:30:00+02:00"), Some(z));
        assert_eq!(format_datetime(z), "2024-05-01T09:30:00Z");
    }

    proptest! {
        #[test]
        fn dates_round_trip(days in -700_000i32..2_000_000) {
            prop_assert_eq!(parse_date(&format_date(days)), Some(days));
        }

        #[test]
        fn datetimes_round_trip_at_second_precision(secs in -60_000_000_000i64..200_000_000_000) {
            let ms = secs * 1000;
            prop_assert_eq!(parse_datetime(&format_datetime(ms)), Some(ms));
        }
    }
}
