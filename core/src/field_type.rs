//! What a field's type does to values: reading a stored value through the current type
//! (convert on read), parsing user input, storing, and showing.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::money::{self, Money, decimal_from_f64};
use crate::number_format::NumberFormat;
use crate::schema::{FieldDef, FieldKind};
use crate::time_fmt::{date_of, format_date, format_datetime, parse_date, parse_datetime};
use crate::value::{Stored, Value, format_number};
use crate::{OptionId, RecordId};

/// Reads a stored value through the field's current type. `None` means the stored value
/// does not convert: callers show it as it is and report it, and never drop it.
pub fn read(field: &FieldDef, stored: &Stored) -> Option<Value> {
    use FieldKind as K;
    match field.kind {
        K::Text | K::LongText | K::Email | K::Phone | K::Url => Some(Value::Text(as_text(field, stored))),
        K::Number | K::Percent | K::Rating => as_number(stored).map(Value::Number),
        // Amounts are exact decimals; floats (older versions, other clients) read as
        // the decimal they print as.
        K::Currency => {
            let amount = match stored {
                Stored::Str(s) => return money::read_stored(s, &field.currency).map(Value::Currency),
                Stored::F64(n) => decimal_from_f64(*n)?,
                Stored::Int(n) => Decimal::from(*n),
                _ => return None,
            };
            Some(Value::Currency(Money {
                amount,
                code: field.currency.clone(),
            }))
        }
        K::Date => match stored {
            Stored::Str(s) => parse_date(s)
                .or_else(|| parse_datetime(s).map(date_of))
                .map(Value::Date),
            Stored::Timestamp(ms) => Some(Value::Date(date_of(*ms))),
            _ => None,
        },
        K::Datetime => match stored {
            Stored::Str(s) => parse_datetime(s).map(Value::DateTime),
            Stored::Timestamp(ms) => Some(Value::DateTime(*ms)),
            _ => None,
        },
        K::Boolean => match stored {
            Stored::Bool(b) => Some(Value::Bool(*b)),
            Stored::Str(s) => parse_bool(s).map(Value::Bool),
            Stored::F64(n) if *n == 0.0 || *n == 1.0 => Some(Value::Bool(*n == 1.0)),
            Stored::Int(n) if *n == 0 || *n == 1 => Some(Value::Bool(*n == 1)),
            _ => None,
        },
        K::Select => match stored {
            Stored::Str(s) => field.option_named(s).map(|o| Value::Option(o.id)),
            Stored::List(items) if items.len() == 1 => field.option_named(&items[0]).map(|o| Value::Option(o.id)),
            _ => None,
        },
        K::MultiSelect => {
            let items: Vec<&str> = match stored {
                Stored::Str(s) => vec![s.as_str()],
                Stored::List(items) => items.iter().map(String::as_str).collect(),
                _ => return None,
            };
            items
                .iter()
                .map(|s| field.option_named(s).map(|o| o.id))
                .collect::<Option<Vec<_>>>()
                .map(Value::Options)
        }
        K::Relation => {
            let items: Vec<&str> = match stored {
                Stored::Str(s) => vec![s.as_str()],
                Stored::List(items) => items.iter().map(String::as_str).collect(),
                _ => return None,
            };
            items
                .iter()
                .map(|s| s.parse::<RecordId>().ok())
                .collect::<Option<Vec<_>>>()
                .map(Value::Records)
        }
    }
}

fn as_text(field: &FieldDef, stored: &Stored) -> String {
    match stored {
        // A select retyped to text shows option labels, not ids.
        Stored::Str(s) => match s.parse::<OptionId>().ok().and_then(|id| field.option(id)) {
            Some(o) => o.label.clone(),
            None => s.clone(),
        },
        Stored::List(items) => items
            .iter()
            .map(|s| match s.parse::<OptionId>().ok().and_then(|id| field.option(id)) {
                Some(o) => o.label.clone(),
                None => s.clone(),
            })
            .collect::<Vec<_>>()
            .join(", "),
        other => other.raw_text(),
    }
}

fn as_number(stored: &Stored) -> Option<f64> {
    match stored {
        Stored::F64(n) => Some(*n),
        Stored::Int(n) => Some(*n as f64),
        Stored::Str(s) => parse_number(s).or_else(|| money::read_stored(s, "").and_then(|m| m.amount.to_f64())),
        _ => None,
    }
}

/// Converts a typed value into what the record document stores.
pub fn to_stored(field: &FieldDef, value: &Value) -> Stored {
    match value {
        Value::Text(s) => Stored::Str(s.clone()),
        Value::Number(n) => Stored::F64(*n),
        Value::Bool(b) => Stored::Bool(*b),
        Value::Date(d) => Stored::Str(format_date(*d)),
        Value::DateTime(ms) => Stored::Timestamp(*ms),
        Value::Currency(m) => Stored::Str(format!("{} {}", m.amount, m.code)),
        Value::Option(id) => Stored::Str(id.to_string()),
        Value::Options(ids) => Stored::List(ids.iter().map(ToString::to_string).collect()),
        Value::Records(ids) if field.many || ids.len() != 1 => {
            Stored::List(ids.iter().map(ToString::to_string).collect())
        }
        Value::Records(ids) => Stored::Str(ids[0].to_string()),
    }
}

/// Why an input does not fit a field's type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError(pub String);

/// Resolves a relation input that is not a record id (a name, say) to a record.
pub type ResolveRecord<'a> = &'a dyn Fn(&str) -> Result<RecordId, String>;

/// Parses user input (CLI, CSV, forms) for a field, numbers in the default format
/// (`1,234.56`). An empty input clears the value (`Ok(None)`).
pub fn parse_input(field: &FieldDef, input: &str, resolve: ResolveRecord<'_>) -> Result<Option<Value>, InputError> {
    parse_input_in(field, input, &NumberFormat::default(), resolve)
}

/// Parses user input for a field, numbers, amounts and percents written in `format` (the
/// workspace's, or an import's override). Separators that do not fit the format are
/// refused with the accepted forms, never reinterpreted.
pub fn parse_input_in(
    field: &FieldDef,
    input: &str,
    format: &NumberFormat,
    resolve: ResolveRecord<'_>,
) -> Result<Option<Value>, InputError> {
    use FieldKind as K;
    let s = input.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let err = |what: &str| InputError(format!("'{s}' is not {what}"));
    let value = match field.kind {
        K::Text | K::LongText => Value::Text(input.to_string()),
        K::Email => {
            let valid = s.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains('@')
            }) && !s.contains(char::is_whitespace);
            if !valid {
                return Err(err("an email address"));
            }
            Value::Text(s.to_string())
        }
        K::Phone => {
            let allowed = s.chars().all(|c| c.is_ascii_digit() || " +-().x/".contains(c));
            if !allowed || s.chars().filter(char::is_ascii_digit).count() < 3 {
                return Err(err("a phone number"));
            }
            Value::Text(s.to_string())
        }
        K::Url => {
            if s.contains(char::is_whitespace) || !s.contains('.') {
                return Err(err("a URL"));
            }
            Value::Text(s.to_string())
        }
        K::Number => Value::Number(format.parse_f64(s).map_err(|e| InputError(e.to_string()))?),
        K::Percent => Value::Number(
            format
                .parse_f64(s.strip_suffix('%').unwrap_or(s))
                .map_err(|e| InputError(format!("{e} (a % sign may follow)")))?,
        ),
        K::Rating => {
            let n = format.parse_f64(s).map_err(|_| err("a rating"))?;
            if n.fract() != 0.0 || n < 1.0 || n > field.max_rating as f64 {
                return Err(InputError(format!(
                    "'{s}' is not a rating from 1 to {}",
                    field.max_rating
                )));
            }
            Value::Number(n)
        }
        K::Currency => Value::Currency(money::parse_money(s, &field.currency, format).ok_or_else(|| {
            InputError(format!(
                "'{s}' is not an amount in this workspace's format: write it like {}, optionally with a currency code (EUR {sample}, {sample} EUR)",
                format.examples(),
                sample = format.sample()
            ))
        })?),
        K::Date => Value::Date(
            parse_date(s)
                .or_else(|| parse_datetime(s).map(date_of))
                .ok_or_else(|| err("a date (YYYY-MM-DD)"))?,
        ),
        K::Datetime => Value::DateTime(parse_datetime(s).ok_or_else(|| err("a date and time (RFC 3339)"))?),
        K::Boolean => Value::Bool(parse_bool(s).ok_or_else(|| err("yes or no"))?),
        K::Select => Value::Option(pick_option(field, s)?),
        K::MultiSelect => {
            if let Ok(one) = pick_option(field, s) {
                Value::Options(vec![one])
            } else {
                let mut ids = Vec::new();
                for part in split_list(s) {
                    let id = pick_option(field, part)?;
                    if !ids.contains(&id) {
                        ids.push(id);
                    }
                }
                Value::Options(ids)
            }
        }
        K::Relation => {
            let parts: Vec<&str> = if field.many { split_list(s).collect() } else { vec![s] };
            let mut ids = Vec::new();
            for part in parts {
                let id = match part.parse::<RecordId>() {
                    Ok(id) => id,
                    Err(_) => resolve(part).map_err(InputError)?,
                };
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
            Value::Records(ids)
        }
    };
    Ok(Some(value))
}

fn split_list(s: &str) -> impl Iterator<Item = &str> {
    let sep = if s.contains(';') { ';' } else { ',' };
    s.split(sep).map(str::trim).filter(|p| !p.is_empty())
}

fn pick_option(field: &FieldDef, name: &str) -> Result<OptionId, InputError> {
    match field.option_named(name) {
        Some(o) if o.archived => Err(InputError(format!("option '{}' is archived", o.label))),
        Some(o) => Ok(o.id),
        None => {
            let known: Vec<&str> = field
                .options
                .iter()
                .filter(|o| !o.archived)
                .map(|o| o.label.as_str())
                .collect();
            Err(InputError(format!(
                "'{name}' is not an option (options: {})",
                known.join(", ")
            )))
        }
    }
}

/// Reads stored text as a number (a text field retyped to number): the canonical
/// default format, so every device reads it alike.
fn parse_number(s: &str) -> Option<f64> {
    NumberFormat::default().parse_f64(s).ok()
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "y" | "1" | "on" | "x" => Some(true),
        "false" | "no" | "n" | "0" | "off" => Some(false),
        _ => None,
    }
}

/// Shows a value as text. Importing this text into the same field gives the same value,
/// which is what makes CSV export and import round-trip.
pub fn display(field: &FieldDef, value: &Value) -> String {
    match value {
        Value::Text(s) => s.clone(),
        Value::Number(n) => format_number(*n),
        Value::Bool(b) => b.to_string(),
        Value::Date(d) => format_date(*d),
        Value::DateTime(ms) => format_datetime(*ms),
        Value::Currency(m) => format!("{} {}", m.amount_text(), m.code),
        Value::Option(id) => option_label(field, *id),
        Value::Options(ids) => ids
            .iter()
            .map(|id| option_label(field, *id))
            .collect::<Vec<_>>()
            .join("; "),
        Value::Records(ids) => ids.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "),
    }
}

/// Shows a value as text with numbers in `format` (no grouping), so that text written
/// in a workspace's format (CSV exports) imports back in that format.
pub fn display_in(field: &FieldDef, value: &Value, format: &NumberFormat) -> String {
    let localize = |text: String| {
        if format.decimal == '.' {
            text
        } else {
            text.replace('.', &format.decimal.to_string())
        }
    };
    match value {
        Value::Number(_) => localize(display(field, value)),
        Value::Currency(m) => format!("{} {}", localize(m.amount_text()), m.code),
        _ => display(field, value),
    }
}

fn option_label(field: &FieldDef, id: OptionId) -> String {
    field.option(id).map_or_else(|| id.to_string(), |o| o.label.clone())
}

/// A value as JSON: numbers as numbers, options by label, dates as ISO text.
pub fn to_json(field: &FieldDef, value: &Value) -> serde_json::Value {
    use serde_json::json;
    match value {
        Value::Text(s) => json!(s),
        Value::Number(n) => json!(n),
        Value::Bool(b) => json!(b),
        Value::Date(_) | Value::DateTime(_) | Value::Option(_) => json!(display(field, value)),
        // Exact: the amount as decimal text, never a float.
        Value::Currency(m) => json!({"amount": m.amount_text(), "currency": m.code}),
        Value::Options(ids) => json!(ids.iter().map(|id| option_label(field, *id)).collect::<Vec<_>>()),
        Value::Records(ids) if field.many => {
            json!(ids.iter().map(ToString::to_string).collect::<Vec<_>>())
        }
        Value::Records(ids) => json!(ids.first().map(ToString::to_string)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_names(name: &str) -> Result<RecordId, String> {
        Err(format!("no record named '{name}'"))
    }

    fn field(kind: FieldKind) -> FieldDef {
        FieldDef::new("f", "F", kind)
    }

    #[test]
    fn a_number_retyped_to_text_and_back_reads_the_same() {
        let stored = to_stored(&field(FieldKind::Number), &Value::Number(12.5));
        assert_eq!(read(&field(FieldKind::Text), &stored), Some(Value::Text("12.5".into())));
        assert_eq!(read(&field(FieldKind::Number), &stored), Some(Value::Number(12.5)));
    }

    #[test]
    fn text_that_is_not_a_number_does_not_convert() {
        assert_eq!(read(&field(FieldKind::Number), &Stored::Str("abc".into())), None);
    }

    #[test]
    fn money_accepts_codes_and_symbols() {
        let f = field(FieldKind::Currency);
        let parse = |s| parse_input(&f, s, &no_names).unwrap();
        let eur = Some(Value::Currency(Money {
            amount: Decimal::new(125, 1),
            code: "EUR".into(),
        }));
        assert_eq!(parse("12.50 EUR"), eur);
        assert_eq!(parse("EUR 12.5"), eur);
        assert_eq!(parse("€12.50"), eur);
        assert_eq!(
            parse("7"),
            Some(Value::Currency(Money {
                amount: Decimal::from(7),
                code: "USD".into()
            }))
        );
    }

    #[test]
    fn amounts_stored_as_floats_or_integers_read_as_exact_decimals_in_the_field_currency() {
        let mut f = field(FieldKind::Currency);
        f.currency = "EUR".into();
        let read_amount = |stored: Stored| match read(&f, &stored) {
            Some(Value::Currency(m)) => (m.amount.to_string(), m.code),
            other => panic!("{other:?}"),
        };
        assert_eq!(read_amount(Stored::F64(0.1)), ("0.1".into(), "EUR".into()));
        assert_eq!(read_amount(Stored::Int(7)), ("7".into(), "EUR".into()));
        assert_eq!(
            read_amount(Stored::Str("12.5 USD".into())),
            ("12.5".into(), "USD".into())
        );
        assert_eq!(read(&f, &Stored::F64(f64::INFINITY)), None);
    }

    #[test]
    fn numbers_percents_and_ratings_follow_the_given_format() {
        let comma = NumberFormat::DECIMAL_COMMA;
        let parse = |kind, s| parse_input_in(&field(kind), s, &comma, &no_names);
        assert_eq!(
            parse(FieldKind::Number, "1.234,5").unwrap(),
            Some(Value::Number(1234.5))
        );
        assert_eq!(parse(FieldKind::Percent, "12,5%").unwrap(), Some(Value::Number(12.5)));
        assert_eq!(parse(FieldKind::Rating, "3").unwrap(), Some(Value::Number(3.0)));
        assert!(parse(FieldKind::Number, "1.5").is_err());
        assert!(parse(FieldKind::Percent, "1,2,3%").is_err());
        let default = |kind, s| parse_input(&field(kind), s, &no_names);
        assert!(default(FieldKind::Number, "1,5").unwrap_err().0.contains("1,234.56"));
        assert_eq!(
            default(FieldKind::Percent, "-2.5 %").unwrap(),
            Some(Value::Number(-2.5))
        );
        assert_eq!(default(FieldKind::Percent, "-2.5%").unwrap(), Some(Value::Number(-2.5)));
    }

    #[test]
    fn bad_emails_are_refused_with_the_value_in_the_reason() {
        let e = parse_input(&field(FieldKind::Email), "not-an-email", &no_names).unwrap_err();
        assert!(e.0.contains("not-an-email"));
    }

    #[test]
    fn every_displayed_value_parses_back_to_itself() {
        let mut select = field(FieldKind::MultiSelect);
        for (i, label) in ["Red", "Green, dark", "Blue"].iter().enumerate() {
            select.options.push(crate::schema::SelectOption {
                id: OptionId::new(),
                label: label.to_string(),
                color: String::new(),
                order: i as i64,
                archived: false,
            });
        }
        let values = [
            (field(FieldKind::Number), Value::Number(-3.25)),
            (field(FieldKind::Date), Value::Date(19_500)),
            (field(FieldKind::Datetime), Value::DateTime(1_700_000_000_000)),
            (field(FieldKind::Boolean), Value::Bool(false)),
            (
                select.clone(),
                Value::Options(vec![select.options[1].id, select.options[2].id]),
            ),
            (select.clone(), Value::Options(vec![select.options[1].id])),
        ];
        for (f, v) in values {
            let shown = display(&f, &v);
            assert_eq!(parse_input(&f, &shown, &no_names).unwrap(), Some(v), "{shown}");
        }
    }
}
