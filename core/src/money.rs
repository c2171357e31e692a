//! Exact currency amounts: a decimal amount with its ISO 4217 code, never a float (see
//! docs/adr/0002-exact-money.md). Amounts in different currencies are never compared or
//! added as if they were one: they sort by code, then amount, and totals are per code.

use std::collections::BTreeMap;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::number_format::NumberFormat;

/// A decimal amount with its ISO 4217 currency code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    /// Exact; keeps the scale it was written with (`12.50` stays `12.50`).
    pub amount: Decimal,
    pub code: String,
}

impl Money {
    /// The amount as text with at least the currency's minor units (`247000.00` for
    /// EUR, `19188500` for JPY), never rounded.
    pub fn amount_text(&self) -> String {
        let minor = minor_units(&self.code);
        let mut amount = self.amount;
        if amount.scale() < minor {
            amount.rescale(minor);
        }
        amount.to_string()
    }
}

/// Digits after the decimal point a currency is usually written with.
pub fn minor_units(code: &str) -> u32 {
    const NONE: [&str; 16] = [
        "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF",
    ];
    const THREE: [&str; 7] = ["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"];
    if NONE.contains(&code) {
        0
    } else if THREE.contains(&code) {
        3
    } else {
        2
    }
}

/// A decimal from a number's canonical text (`-1234.5`, `1.5e3`); `None` when it does
/// not fit (beyond ±7.9e28, or more than 28 fraction digits).
pub fn decimal_from_canonical(text: &str) -> Option<Decimal> {
    if text.contains(['e', 'E']) {
        Decimal::from_scientific(text).ok()
    } else {
        Decimal::from_str_exact(text).ok()
    }
}

/// The exact decimal a float prints as (`0.1` for 0.1): how amounts stored as floats by
/// older versions or other clients are read.
pub fn decimal_from_f64(n: f64) -> Option<Decimal> {
    if !n.is_finite() {
        return None;
    }
    decimal_from_canonical(&format!("{n}"))
}

const SYMBOLS: [(char, &str); 4] = [('$', "USD"), ('€', "EUR"), ('£', "GBP"), ('¥', "JPY")];

/// Parses `12.50`, `12.50 EUR`, `EUR 12.50`, `$12.50`, `€12.50`, the amount in `format`.
/// `default_code` is used when the input names no currency. `None`: not an amount
/// (the caller says why, with the format's examples).
pub fn parse_money(input: &str, default_code: &str, format: &NumberFormat) -> Option<Money> {
    let s = input.trim();
    for (symbol, code) in SYMBOLS {
        if let Some(rest) = s.strip_prefix(symbol) {
            return amount(rest, format).map(|amount| Money {
                amount,
                code: code.to_string(),
            });
        }
    }
    let is_code = |t: &str| t.len() == 3 && t.chars().all(|c| c.is_ascii_alphabetic());
    let (text, code) = match s.rsplit_once(char::is_whitespace) {
        Some((a, c)) if is_code(c.trim()) => (a, c.trim()),
        _ => match s.split_once(char::is_whitespace) {
            Some((c, a)) if is_code(c) => (a, c),
            _ => (s, default_code),
        },
    };
    Some(Money {
        amount: amount(text, format)?,
        code: code.to_ascii_uppercase(),
    })
}

fn amount(text: &str, format: &NumberFormat) -> Option<Decimal> {
    decimal_from_canonical(&format.canonical(text).ok()?)
}

/// Reads stored amount text (canonical, format-independent): `"12.5 EUR"`, `"7"`.
pub(crate) fn read_stored(text: &str, default_code: &str) -> Option<Money> {
    parse_money(text, default_code, &NumberFormat::default())
}

/// Sums amounts per currency, exactly. `None` when a sum overflows (beyond ±7.9e28).
pub fn totals<'a>(amounts: impl IntoIterator<Item = &'a Money>) -> Option<BTreeMap<String, Decimal>> {
    let mut out: BTreeMap<String, Decimal> = BTreeMap::new();
    for m in amounts {
        let total = out.entry(m.code.clone()).or_default();
        *total = total.checked_add(m.amount)?;
    }
    Some(out)
}

impl FromStr for Money {
    type Err = String;

    /// `"12.50 EUR"`, in the default number format; the code is required.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_money(s, "", &NumberFormat::default())
            .filter(|m| !m.code.is_empty())
            .ok_or_else(|| format!("'{s}' is not an amount with a currency code (like 12.50 EUR)"))
    }
}

/// Appends an order-preserving, prefix-free encoding of a decimal: equal values (`1.5`,
/// `1.50`) encode alike. A sign class byte (negative 1, zero 2, positive 3); then for
/// non-zero values the decimal exponent `e` of `0.d1d2… × 10^e` (i16, sign bit flipped,
/// big-endian) and the significant digits as ASCII ended by `0x00`, all bytes inverted
/// for negative values.
pub(crate) fn push_decimal(out: &mut Vec<u8>, value: Decimal) {
    let value = value.normalize();
    if value.is_zero() {
        out.push(2);
        return;
    }
    let digits = value.mantissa().unsigned_abs().to_string();
    let exponent = digits.len() as i32 - value.scale() as i32;
    let significant = digits.trim_end_matches('0');
    let mut body = Vec::with_capacity(3 + significant.len());
    body.extend_from_slice(&((exponent as i16 as u16) ^ 0x8000).to_be_bytes());
    body.extend_from_slice(significant.as_bytes());
    body.push(0x00);
    if value.is_sign_negative() {
        out.push(1);
        out.extend(body.iter().map(|b| !b));
    } else {
        out.push(3);
        out.extend_from_slice(&body);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn encoded(d: Decimal) -> Vec<u8> {
        let mut out = Vec::new();
        push_decimal(&mut out, d);
        out
    }

    fn decimal() -> impl Strategy<Value = Decimal> {
        (any::<i64>(), 0u32..12).prop_map(|(m, scale)| Decimal::new(m, scale))
    }

    proptest! {
        #[test]
        fn decimals_encode_in_numeric_order(a in decimal(), b in decimal()) {
            let (ea, eb) = (encoded(a), encoded(b));
            prop_assert_eq!(a.cmp(&b), ea.cmp(&eb), "{} {}", a, b);
        }

        #[test]
        fn decimal_encodings_are_prefix_free(a in decimal(), b in decimal()) {
            let (ea, eb) = (encoded(a), encoded(b));
            if ea != eb {
                prop_assert!(!ea.starts_with(&eb) && !eb.starts_with(&ea));
            }
        }
    }

    #[test]
    fn equal_amounts_written_differently_encode_alike() {
        let d = |s: &str| Decimal::from_str_exact(s).unwrap();
        assert_eq!(encoded(d("1.5")), encoded(d("1.50")));
        assert_eq!(encoded(d("-1000")), encoded(d("-1000.000")));
        assert!(encoded(d("-0.001")) < encoded(d("0")));
        assert!(encoded(d("0")) < encoded(d("0.001")));
        assert!(encoded(d("99")) < encoded(d("100")));
    }

    #[test]
    fn a_hundred_thousand_amounts_of_ten_cents_sum_to_exactly_ten_thousand() {
        let dime = Money {
            amount: Decimal::from_str_exact("0.10").unwrap(),
            code: "EUR".into(),
        };
        let amounts = vec![dime; 100_000];
        let totals = totals(&amounts).unwrap();
        assert_eq!(totals["EUR"], Decimal::from_str_exact("10000.00").unwrap());
        assert_eq!(totals["EUR"].to_string(), "10000.00");
        // The same sum in floating point drifts.
        assert_ne!((0..100_000).map(|_| 0.10_f64).sum::<f64>(), 10_000.0);
    }

    #[test]
    fn totals_are_kept_per_currency() {
        let m = |s: &str| s.parse::<Money>().unwrap();
        let amounts = [m("247000 EUR"), m("19188500 JPY"), m("3000.50 EUR")];
        let totals = totals(&amounts).unwrap();
        assert_eq!(totals.len(), 2);
        assert_eq!(totals["EUR"].to_string(), "250000.50");
        assert_eq!(totals["JPY"].to_string(), "19188500");
    }

    #[test]
    fn amounts_show_at_least_their_currency_minor_units() {
        let m = |s: &str| s.parse::<Money>().unwrap();
        assert_eq!(m("247000 EUR").amount_text(), "247000.00");
        assert_eq!(m("19188500 JPY").amount_text(), "19188500");
        assert_eq!(m("1.5 KWD").amount_text(), "1.500");
        assert_eq!(m("0.125 EUR").amount_text(), "0.125");
    }

    #[test]
    fn amounts_parse_with_codes_symbols_and_the_workspace_number_format() {
        let us = NumberFormat::default();
        let eu = NumberFormat::DECIMAL_COMMA;
        let m = |code: &str, amount: &str| {
            Some(Money {
                amount: Decimal::from_str_exact(amount).unwrap(),
                code: code.into(),
            })
        };
        let table: &[(&str, &NumberFormat, Option<Money>)] = &[
            ("12.50 EUR", &us, m("EUR", "12.50")),
            ("EUR 12.5", &us, m("EUR", "12.5")),
            ("€12.50", &us, m("EUR", "12.50")),
            ("$1,234.56", &us, m("USD", "1234.56")),
            ("-3 usd", &us, m("USD", "-3")),
            ("7", &us, m("XXX", "7")),
            ("1,234.56 EUR", &us, m("EUR", "1234.56")),
            ("1.234,56 EUR", &eu, m("EUR", "1234.56")),
            ("EUR 1.234,56", &eu, m("EUR", "1234.56")),
            ("1,5 EUR", &eu, m("EUR", "1.5")),
            // Misread before: now refused.
            ("1.234,56 EUR", &us, None),
            ("1,5 EUR", &us, None),
            ("1.5 EUR", &eu, None),
            ("12 EURO", &us, None),
            ("EUR", &us, None),
            ("99999999999999999999999999999999 EUR", &us, None),
        ];
        for (input, format, want) in table {
            assert_eq!(&parse_money(input, "XXX", format), want, "{input}");
        }
    }

    #[test]
    fn floats_of_older_versions_read_as_the_decimal_they_print_as() {
        assert_eq!(decimal_from_f64(0.1).unwrap().to_string(), "0.1");
        assert_eq!(decimal_from_f64(247000.0).unwrap().to_string(), "247000");
        assert_eq!(decimal_from_f64(f64::NAN), None);
        assert_eq!(decimal_from_f64(1e300), None);
    }
}
