//! `--create-fields`: a field for each column that names none, with a type inferred
//! from the column's values (the first rows of the file).

use std::collections::BTreeSet;

use kith_core::field_type;
use kith_core::{FieldDef, FieldKind, RecordId};

/// How many data rows the types are inferred from.
pub(crate) const SAMPLE_ROWS: usize = 1000;

/// A select needs at most this many distinct values, each used more than once on
/// average; otherwise the column is text.
const MAX_SELECT_OPTIONS: usize = 20;

/// A field to create for a column.
#[derive(Debug, Clone)]
pub(crate) struct NewField {
    /// The column's index in the header.
    pub(crate) column: usize,
    pub(crate) key: String,
    pub(crate) label: String,
    pub(crate) kind: FieldKind,
    /// The options of a select, in order of first use.
    pub(crate) options: Vec<String>,
}

/// Whether every value parses as a field of `kind`.
fn all_parse(kind: FieldKind, values: &[&str]) -> bool {
    let def = FieldDef::new("f", "F", kind);
    let no_names = |name: &str| -> Result<RecordId, String> { Err(format!("no record named '{name}'")) };
    values
        .iter()
        .all(|v| field_type::parse_input(&def, v, &no_names).is_ok_and(|x| x.is_some()))
}

fn looks_like_url(v: &str) -> bool {
    let lower = v.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("www.") {
        return !v.contains(char::is_whitespace);
    }
    let host = lower.split('/').next().unwrap_or_default();
    !v.contains(char::is_whitespace)
        && !v.contains('@')
        && host.rsplit_once('.').is_some_and(|(name, tld)| {
            !name.is_empty() && tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic())
        })
}

/// The type (and select options) that fits every value of a column.
pub(crate) fn infer(values: &[&str]) -> (FieldKind, Vec<String>) {
    let values: Vec<&str> = values.iter().map(|v| v.trim()).filter(|v| !v.is_empty()).collect();
    if values.is_empty() {
        return (FieldKind::Text, Vec::new());
    }
    let booleans = ["true", "false", "yes", "no"];
    if values
        .iter()
        .all(|v| booleans.contains(&v.to_ascii_lowercase().as_str()))
    {
        return (FieldKind::Boolean, Vec::new());
    }
    for kind in [FieldKind::Number, FieldKind::Currency] {
        if all_parse(kind, &values) {
            return (kind, Vec::new());
        }
    }
    // A date field also reads date-times (keeping the day): only values without a time
    // of day make a date.
    let timed = values.iter().any(|v| v.contains(':'));
    if !timed && all_parse(FieldKind::Date, &values) {
        return (FieldKind::Date, Vec::new());
    }
    for kind in [FieldKind::Datetime, FieldKind::Email] {
        if all_parse(kind, &values) {
            return (kind, Vec::new());
        }
    }
    if values.iter().all(|v| looks_like_url(v)) {
        return (FieldKind::Url, Vec::new());
    }
    let phone_like = values.iter().all(|v| v.chars().any(|c| c.is_ascii_digit()));
    if phone_like && all_parse(FieldKind::Phone, &values) {
        return (FieldKind::Phone, Vec::new());
    }
    let mut seen = BTreeSet::new();
    let mut options = Vec::new();
    for v in &values {
        if seen.insert(v.to_lowercase()) {
            options.push(v.to_string());
        }
    }
    if options.len() <= MAX_SELECT_OPTIONS && options.len() * 2 <= values.len() {
        return (FieldKind::Select, options);
    }
    (FieldKind::Text, Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_column_gets_the_type_its_values_have() {
        assert_eq!(infer(&["1", "2.5", ""]).0, FieldKind::Number);
        assert_eq!(infer(&["EUR 12.50", "USD 3"]).0, FieldKind::Currency);
        assert_eq!(infer(&["2024-01-05", "2023-12-31"]).0, FieldKind::Date);
        assert_eq!(infer(&["2024-01-05T10:00:00Z"]).0, FieldKind::Datetime);
        assert_eq!(infer(&["yes", "No"]).0, FieldKind::Boolean);
        assert_eq!(infer(&["a@example.com"]).0, FieldKind::Email);
        assert_eq!(infer(&["https://example.com", "example.org/x"]).0, FieldKind::Url);
        assert_eq!(infer(&["+44 20 7946 0958", "(555) 123-4567"]).0, FieldKind::Phone);
        let (kind, options) = infer(&["Gold", "Silver", "gold", "Gold"]);
        assert_eq!(
            (kind, options),
            (FieldKind::Select, vec!["Gold".to_string(), "Silver".to_string()])
        );
        assert_eq!(infer(&["Ada Lovelace", "Grace Hopper"]).0, FieldKind::Text);
        assert_eq!(infer(&["", " "]).0, FieldKind::Text);
    }
}
