//! How people write numbers in a workspace: the decimal and grouping separators.
//!
//! The format is a workspace setting (stored in the schema document, so it syncs); the
//! default is `1,234.56`. A number whose separators do not form a valid grouping in the
//! format is refused with an error that shows the accepted forms: `1,5` is never read
//! as 15, nor `1.234,56` as 1.23456. Stored values do not depend on the format: they are
//! always written and read in the canonical form (`-1234.56`), so every device derives
//! the same rows and indexes whatever its setting.

use std::fmt;
use std::str::FromStr;

/// The decimal and grouping separators of a workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NumberFormat {
    pub decimal: char,
    pub grouping: char,
}

impl Default for NumberFormat {
    fn default() -> Self {
        NumberFormat {
            decimal: '.',
            grouping: ',',
        }
    }
}

/// Separators a workspace may use. Digits, signs and letters would make numbers ambiguous.
const SEPARATORS: [char; 5] = ['.', ',', ' ', '\'', '\u{a0}'];

/// A number format that cannot be used (unknown or equal separators).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a number format: write 1,234.56 (the default), 1.234,56, 1 234,56, 1 234.56 or 1'234.56")]
pub struct BadNumberFormat(pub String);

/// An input that is not a number in the workspace's format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{input}' is not a number in this workspace's format: write it like {examples}")]
pub struct NotANumber {
    pub input: String,
    pub examples: String,
}

impl NumberFormat {
    /// `1.234,56`: a decimal comma, dots between thousands.
    pub const DECIMAL_COMMA: NumberFormat = NumberFormat {
        decimal: ',',
        grouping: '.',
    };

    /// A format from its separators, refused when they are not usable or are the same.
    pub fn new(decimal: char, grouping: char) -> Result<Self, BadNumberFormat> {
        let usable = |c: char| SEPARATORS.contains(&c);
        if decimal == grouping || !usable(grouping) || !matches!(decimal, '.' | ',') {
            return Err(BadNumberFormat(format!("decimal '{decimal}', grouping '{grouping}'")));
        }
        Ok(NumberFormat { decimal, grouping })
    }

    /// How the format writes one thousand two hundred thirty-four and a bit: the
    /// format's name in settings and errors (`1,234.56`).
    pub fn sample(&self) -> String {
        format!("1{}234{}56", self.grouping, self.decimal)
    }

    /// The forms an input may take, for error messages.
    pub fn examples(&self) -> String {
        format!(
            "1234{d}5, {sample}, -7 or 1{d}5e3",
            d = self.decimal,
            sample = self.sample()
        )
    }

    /// Reads a number written in this format into its canonical form: an optional `-`,
    /// digits, an optional `.` and fraction digits, an optional exponent (`e-3`).
    pub fn canonical(&self, input: &str) -> Result<String, NotANumber> {
        self.canonical_inner(input.trim()).ok_or_else(|| NotANumber {
            input: input.trim().to_string(),
            examples: self.examples(),
        })
    }

    /// Reads a number as an `f64` (finite only).
    pub fn parse_f64(&self, input: &str) -> Result<f64, NotANumber> {
        let canonical = self.canonical(input)?;
        canonical
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .ok_or_else(|| NotANumber {
                input: input.trim().to_string(),
                examples: self.examples(),
            })
    }

    /// Writes a number's canonical text (`-1234567.5`) for reading, thousands grouped and
    /// with this format's separators (`-1,234,567.5`, `-1.234.567,5`); the result reads
    /// back with [`NumberFormat::canonical`]. Text that is not a plain decimal (an
    /// exponent) is only given the format's decimal separator.
    pub fn grouped(&self, canonical: &str) -> String {
        let (sign, rest) = canonical.strip_prefix('-').map_or(("", canonical), |r| ("-", r));
        let (int, fraction) = rest.split_once('.').map_or((rest, None), |(i, f)| (i, Some(f)));
        if int.is_empty()
            || !int.bytes().all(|b| b.is_ascii_digit())
            || fraction.is_some_and(|f| f.contains(['e', 'E']))
        {
            return canonical.replace('.', &self.decimal.to_string());
        }
        let mut out = String::with_capacity(canonical.len() + int.len() / 3 + 1);
        out.push_str(sign);
        for (i, c) in int.chars().enumerate() {
            if i > 0 && (int.len() - i) % 3 == 0 {
                out.push(self.grouping);
            }
            out.push(c);
        }
        if let Some(fraction) = fraction {
            out.push(self.decimal);
            out.push_str(fraction);
        }
        out
    }

    fn canonical_inner(&self, s: &str) -> Option<String> {
        let (negative, s) = match s.strip_prefix('-').or_else(|| s.strip_prefix('\u{2212}')) {
            Some(rest) => (true, rest),
            None => (false, s.strip_prefix('+').unwrap_or(s)),
        };
        let (mantissa, exponent) = match s.find(['e', 'E']) {
            Some(at) => (&s[..at], Some(&s[at + 1..])),
            None => (s, None),
        };
        let (int, fraction) = match mantissa.split_once(self.decimal) {
            Some((int, fraction)) => (int, Some(fraction)),
            None => (mantissa, None),
        };
        let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        let int_digits: String = if int.contains(self.grouping) {
            // Groups of three after a first group of one to three: 1,234,567.
            let mut groups = int.split(self.grouping);
            let first = groups.next()?;
            if !digits(first) || first.len() > 3 {
                return None;
            }
            let mut out = first.to_string();
            for group in groups {
                if !digits(group) || group.len() != 3 {
                    return None;
                }
                out.push_str(group);
            }
            out
        } else if int.is_empty() && fraction.is_some() {
            "0".to_string()
        } else if digits(int) {
            int.to_string()
        } else {
            return None;
        };
        let mut out = String::with_capacity(s.len() + 2);
        if negative {
            out.push('-');
        }
        out.push_str(&int_digits);
        if let Some(fraction) = fraction {
            if !digits(fraction) {
                return None;
            }
            out.push('.');
            out.push_str(fraction);
        }
        if let Some(exponent) = exponent {
            let unsigned = exponent.strip_prefix(['-', '+']).unwrap_or(exponent);
            if !digits(unsigned) || exponent.len() > 4 {
                return None;
            }
            out.push('e');
            out.push_str(exponent);
        }
        Some(out)
    }
}

impl fmt::Display for NumberFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.sample())
    }
}

impl FromStr for NumberFormat {
    type Err = BadNumberFormat;

    /// Reads a format from how it writes 1234.56: `1,234.56`, `1.234,56`, `1 234,56`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let chars: Vec<char> = s.trim().chars().collect();
        match chars.as_slice() {
            ['1', grouping, '2', '3', '4', decimal, '5', '6'] => NumberFormat::new(*decimal, *grouping),
            _ => Err(BadNumberFormat(s.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_in_the_default_format_read_as_written_or_are_refused() {
        let f = NumberFormat::default();
        let table: &[(&str, Option<&str>)] = &[
            ("0", Some("0")),
            ("15", Some("15")),
            ("1.5", Some("1.5")),
            ("-1.5", Some("-1.5")),
            ("+7", Some("7")),
            ("\u{2212}3", Some("-3")),
            (".5", Some("0.5")),
            ("1,234", Some("1234")),
            ("1,234.56", Some("1234.56")),
            ("12,345,678.9", Some("12345678.9")),
            ("-1,000", Some("-1000")),
            ("1234567", Some("1234567")),
            ("1e3", Some("1e3")),
            ("2.5E-2", Some("2.5e-2")),
            // Separators that do not group in threes are refused, never reread.
            ("1,5", None),
            ("12,34,5", None),
            ("1.234,56", None),
            ("1,2345", None),
            (",123", None),
            ("1,234,", None),
            ("1.2.3", None),
            ("1,234.5,6", None),
            ("", None),
            ("-", None),
            ("1.", None),
            ("abc", None),
            ("1 234", None),
            ("NaN", None),
            ("inf", None),
            ("1e", None),
            ("1e99999", None),
            ("--1", None),
        ];
        for (input, want) in table {
            assert_eq!(f.canonical(input).ok().as_deref(), *want, "{input}");
        }
    }

    #[test]
    fn inputs_in_the_decimal_comma_format_read_as_written_or_are_refused() {
        let f = NumberFormat::DECIMAL_COMMA;
        let table: &[(&str, Option<&str>)] = &[
            ("1,5", Some("1.5")),
            ("1.234,56", Some("1234.56")),
            ("-1.000.000", Some("-1000000")),
            ("1234,5", Some("1234.5")),
            ("1.234", Some("1234")),
            ("1.5", None),
            ("1,234.56", None),
            ("12.34.5", None),
            ("1,2,3", None),
        ];
        for (input, want) in table {
            assert_eq!(f.canonical(input).ok().as_deref(), *want, "{input}");
        }
    }

    #[test]
    fn spaces_and_apostrophes_group_when_the_format_says_so() {
        let f: NumberFormat = "1 234,56".parse().unwrap();
        assert_eq!(f.canonical("1 234 567,5").unwrap(), "1234567.5");
        assert!(f.canonical("1 23,5").is_err());
        let swiss: NumberFormat = "1'234.56".parse().unwrap();
        assert_eq!(swiss.canonical("1'234.5").unwrap(), "1234.5");
    }

    #[test]
    fn errors_show_the_accepted_forms() {
        let err = NumberFormat::default().canonical("1,5").unwrap_err().to_string();
        assert!(err.contains("'1,5'"), "{err}");
        assert!(err.contains("1234.5") && err.contains("1,234.56"), "{err}");
        let err = NumberFormat::DECIMAL_COMMA.canonical("1.5").unwrap_err().to_string();
        assert!(err.contains("1.234,56") && err.contains("1234,5"), "{err}");
    }

    #[test]
    fn grouped_numbers_use_the_formats_separators_and_read_back() {
        let comma = NumberFormat::DECIMAL_COMMA;
        let spaced: NumberFormat = "1 234,56".parse().unwrap();
        let table: &[(&str, &str, &str, &str)] = &[
            ("247000.00", "247,000.00", "247.000,00", "247 000,00"),
            ("-1234567.5", "-1,234,567.5", "-1.234.567,5", "-1 234 567,5"),
            ("999", "999", "999", "999"),
            ("1000", "1,000", "1.000", "1 000"),
            ("0.25", "0.25", "0,25", "0,25"),
            ("1.5e3", "1.5e3", "1,5e3", "1,5e3"),
        ];
        for (canonical, default, decimal_comma, spaces) in table {
            assert_eq!(NumberFormat::default().grouped(canonical), *default);
            assert_eq!(comma.grouped(canonical), *decimal_comma);
            assert_eq!(spaced.grouped(canonical), *spaces);
            for f in [NumberFormat::default(), comma, spaced] {
                let back = f.canonical(&f.grouped(canonical)).unwrap();
                assert_eq!(back.parse::<f64>().unwrap(), canonical.parse::<f64>().unwrap());
            }
        }
    }

    #[test]
    fn formats_are_named_by_how_they_write_a_sample_number() {
        assert_eq!("1.234,56".parse::<NumberFormat>().unwrap(), NumberFormat::DECIMAL_COMMA);
        assert_eq!("1,234.56".parse::<NumberFormat>().unwrap(), NumberFormat::default());
        assert_eq!(NumberFormat::DECIMAL_COMMA.to_string(), "1.234,56");
        for bad in ["1.234.56", "1x234.56", "comma", "1,234,56", "1.234-56"] {
            assert!(bad.parse::<NumberFormat>().is_err(), "{bad}");
        }
    }
}
