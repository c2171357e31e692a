//! Date buckets: a date (days since 1970-01-01, UTC) maps to the first day of its day,
//! week (Monday), month, quarter or year, so buckets sort by time and label themselves.

use std::fmt;
use std::str::FromStr;

use time::{Date, Month};

use crate::error::ReportError;

const UNIX_EPOCH_JULIAN_DAY: i32 = 2_440_588;

/// How dates are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DateBucket {
    #[default]
    Day,
    /// ISO weeks, starting on Monday.
    Week,
    Month,
    Quarter,
    Year,
}

impl DateBucket {
    pub const ALL: [DateBucket; 5] = [
        DateBucket::Day,
        DateBucket::Week,
        DateBucket::Month,
        DateBucket::Quarter,
        DateBucket::Year,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DateBucket::Day => "day",
            DateBucket::Week => "week",
            DateBucket::Month => "month",
            DateBucket::Quarter => "quarter",
            DateBucket::Year => "year",
        }
    }

    /// The first day of the bucket holding `days`.
    pub fn start(self, days: i32) -> i32 {
        let Some(date) = to_date(days) else {
            return days;
        };
        let start = match self {
            DateBucket::Day => return days,
            DateBucket::Week => return days - i32::from(date.weekday().number_days_from_monday()),
            DateBucket::Month => date.replace_day(1),
            DateBucket::Quarter => {
                let first = (u8::from(date.month()) - 1) / 3 * 3 + 1;
                Month::try_from(first).and_then(|m| date.replace_day(1).and_then(|d| d.replace_month(m)))
            }
            DateBucket::Year => date.replace_day(1).and_then(|d| d.replace_month(Month::January)),
        };
        start.map_or(days, from_date)
    }

    /// How a bucket (given by its first day) is shown: `2024-05-06`, `2024-W19`,
    /// `2024-05`, `2024-Q2`, `2024`.
    pub fn label(self, start: i32) -> String {
        let Some(date) = to_date(start) else {
            return start.to_string();
        };
        let (y, m) = (date.year(), u8::from(date.month()));
        match self {
            DateBucket::Day => format!("{y:04}-{m:02}-{:02}", date.day()),
            DateBucket::Week => {
                let (iso_year, week, _) = date.to_iso_week_date();
                format!("{iso_year:04}-W{week:02}")
            }
            DateBucket::Month => format!("{y:04}-{m:02}"),
            DateBucket::Quarter => format!("{y:04}-Q{}", (m - 1) / 3 + 1),
            DateBucket::Year => format!("{y:04}"),
        }
    }
}

/// `YYYY-MM-DD` (as dates are stored) in days since the epoch, without the general
/// parser; `None` for anything else.
pub(crate) fn parse_iso_date(text: &str) -> Option<i32> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i32> {
        b[r].iter()
            .try_fold(0i32, |n, d| d.is_ascii_digit().then(|| n * 10 + i32::from(d - b'0')))
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let month = Month::try_from(u8::try_from(m).ok()?).ok()?;
    let date = Date::from_calendar_date(y, month, u8::try_from(d).ok()?).ok()?;
    Some(from_date(date))
}

fn to_date(days: i32) -> Option<Date> {
    Date::from_julian_day(days.checked_add(UNIX_EPOCH_JULIAN_DAY)?).ok()
}

fn from_date(date: Date) -> i32 {
    date.to_julian_day() - UNIX_EPOCH_JULIAN_DAY
}

impl fmt::Display for DateBucket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DateBucket {
    type Err = ReportError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "day" => DateBucket::Day,
            "week" => DateBucket::Week,
            "month" => DateBucket::Month,
            "quarter" => DateBucket::Quarter,
            "year" => DateBucket::Year,
            _ => return Err(ReportError::UnknownBucket(s.to_string())),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time_fmt::parse_date;

    fn day(s: &str) -> i32 {
        parse_date(s).unwrap()
    }

    #[test]
    fn each_bucket_starts_where_people_expect_and_reads_as_they_write_it() {
        let d = day("2024-05-09"); // a Thursday
        let cases = [
            (DateBucket::Day, "2024-05-09", "2024-05-09"),
            (DateBucket::Week, "2024-05-06", "2024-W19"),
            (DateBucket::Month, "2024-05-01", "2024-05"),
            (DateBucket::Quarter, "2024-04-01", "2024-Q2"),
            (DateBucket::Year, "2024-01-01", "2024"),
        ];
        for (bucket, start, label) in cases {
            assert_eq!(bucket.start(d), day(start), "{bucket}");
            assert_eq!(bucket.label(bucket.start(d)), label, "{bucket}");
        }
        // The ISO week of 2024-12-30 belongs to 2025.
        assert_eq!(
            DateBucket::Week.label(DateBucket::Week.start(day("2024-12-31"))),
            "2025-W01"
        );
    }

    #[test]
    fn the_quick_date_reader_agrees_with_the_general_one() {
        for text in [
            "2024-05-09",
            "1970-01-01",
            "1899-12-31",
            "2024-02-29",
            "2023-02-29",
            "2024-13-01",
            "24-05-09",
            "2024/05/09",
        ] {
            assert_eq!(parse_iso_date(text), parse_date(text), "{text}");
        }
    }

    #[test]
    fn extreme_days_do_not_panic() {
        for bucket in DateBucket::ALL {
            let _ = bucket.label(bucket.start(i32::MAX));
            let _ = bucket.label(bucket.start(i32::MIN));
        }
    }
}
