//! The functions of the formula language, by name.

/// A built-in function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Func {
    If,
    And,
    Or,
    Not,
    Concat,
    Upper,
    Lower,
    Left,
    Right,
    Mid,
    Len,
    Trim,
    Contains,
    StartsWith,
    EndsWith,
    Replace,
    Round,
    Floor,
    Ceil,
    Abs,
    Min,
    Max,
    Coalesce,
    IsEmpty,
    Today,
    Now,
    DateDiff,
    DateAdd,
    Year,
    Month,
    Day,
    Weekday,
    Date,
    Text,
    Number,
}

/// Every function with its name, and how many arguments it takes (min, max; `None` for
/// any number).
pub(super) const FUNCTIONS: [(Func, &str, usize, Option<usize>); 35] = [
    (Func::If, "if", 2, Some(3)),
    (Func::And, "and", 1, None),
    (Func::Or, "or", 1, None),
    (Func::Not, "not", 1, Some(1)),
    (Func::Concat, "concat", 1, None),
    (Func::Upper, "upper", 1, Some(1)),
    (Func::Lower, "lower", 1, Some(1)),
    (Func::Left, "left", 2, Some(2)),
    (Func::Right, "right", 2, Some(2)),
    (Func::Mid, "mid", 3, Some(3)),
    (Func::Len, "len", 1, Some(1)),
    (Func::Trim, "trim", 1, Some(1)),
    (Func::Contains, "contains", 2, Some(2)),
    (Func::StartsWith, "starts_with", 2, Some(2)),
    (Func::EndsWith, "ends_with", 2, Some(2)),
    (Func::Replace, "replace", 3, Some(3)),
    (Func::Round, "round", 1, Some(2)),
    (Func::Floor, "floor", 1, Some(1)),
    (Func::Ceil, "ceil", 1, Some(1)),
    (Func::Abs, "abs", 1, Some(1)),
    (Func::Min, "min", 1, None),
    (Func::Max, "max", 1, None),
    (Func::Coalesce, "coalesce", 1, None),
    (Func::IsEmpty, "is_empty", 1, Some(1)),
    (Func::Today, "today", 0, Some(0)),
    (Func::Now, "now", 0, Some(0)),
    (Func::DateDiff, "date_diff", 2, Some(3)),
    (Func::DateAdd, "date_add", 2, Some(3)),
    (Func::Year, "year", 1, Some(1)),
    (Func::Month, "month", 1, Some(1)),
    (Func::Day, "day", 1, Some(1)),
    (Func::Weekday, "weekday", 1, Some(1)),
    (Func::Date, "date", 1, Some(3)),
    (Func::Text, "text", 1, Some(1)),
    (Func::Number, "number", 1, Some(1)),
];

impl Func {
    pub(super) fn named(name: &str) -> Option<(Func, usize, Option<usize>)> {
        FUNCTIONS
            .iter()
            .find(|(_, n, _, _)| *n == name)
            .map(|(f, _, min, max)| (*f, *min, *max))
    }

    pub(super) fn name(self) -> &'static str {
        FUNCTIONS
            .iter()
            .find(|(f, _, _, _)| *f == self)
            .map_or("?", |(_, n, _, _)| n)
    }
}

/// Units of `date_diff` and `date_add`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Unit {
    Days,
    Weeks,
    Months,
    Years,
}

impl Unit {
    pub(super) fn named(name: &str) -> Option<Unit> {
        match name.trim().to_ascii_lowercase().trim_end_matches('s') {
            "day" => Some(Unit::Days),
            "week" => Some(Unit::Weeks),
            "month" => Some(Unit::Months),
            "year" => Some(Unit::Years),
            _ => None,
        }
    }
}
