//! Tokens of the formula language, each with the byte position it starts at.

use super::FormulaError;
use crate::FieldId;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    /// A number as written (`12`, `0.10`): the text is kept so currency arithmetic with
    /// it stays exact.
    Num(String),
    Str(String),
    /// A bare name: a field key, a function name or a keyword (`and`, `or`, `not`,
    /// `true`, `false`).
    Ident(String),
    /// `[Label with spaces]`.
    Bracketed(String),
    /// `{f:<field id>}`: the stored form of a field reference.
    FieldId(FieldId),
    Op(&'static str),
    Open,
    Close,
    Comma,
    Dot,
}

const OPS: [&str; 14] = [
    "!=", "<>", "<=", ">=", "==", "=", "<", ">", "+", "-", "*", "/", "%", "&",
];

pub(super) fn tokenize(input: &str) -> Result<Vec<(usize, Tok)>, FormulaError> {
    let err = |position: usize, message: String| FormulaError::at(input, position, message);
    let bytes = input.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(c) = input[i..].chars().next() {
        let start = i;
        if c.is_whitespace() {
            i += c.len_utf8();
        } else if c == '(' {
            out.push((start, Tok::Open));
            i += 1;
        } else if c == ')' {
            out.push((start, Tok::Close));
            i += 1;
        } else if c == ',' {
            out.push((start, Tok::Comma));
            i += 1;
        } else if c == '.' && !bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
            out.push((start, Tok::Dot));
            i += 1;
        } else if c == '"' || c == '\'' {
            let mut s = String::new();
            i += 1;
            loop {
                let Some(next) = input[i..].chars().next() else {
                    return Err(err(start, format!("unclosed text: add the closing {c}")));
                };
                i += next.len_utf8();
                if next == '\\' {
                    let Some(escaped) = input[i..].chars().next() else {
                        return Err(err(start, format!("unclosed text: add the closing {c}")));
                    };
                    i += escaped.len_utf8();
                    s.push(match escaped {
                        'n' => '\n',
                        't' => '\t',
                        other => other,
                    });
                } else if next == c {
                    break;
                } else {
                    s.push(next);
                }
            }
            out.push((start, Tok::Str(s)));
        } else if c == '[' {
            let Some(end) = input[i + 1..].find(']') else {
                return Err(err(start, "unclosed field name: add the closing ]".into()));
            };
            let name = input[i + 1..i + 1 + end].trim().to_string();
            if name.is_empty() {
                return Err(err(start, "empty field name between [ and ]".into()));
            }
            out.push((start, Tok::Bracketed(name)));
            i += end + 2;
        } else if c == '{' {
            let Some(end) = input[i..].find('}') else {
                return Err(err(start, "unclosed field reference: add the closing }".into()));
            };
            let inner = &input[i + 1..i + end];
            let id = inner
                .strip_prefix("f:")
                .and_then(|id| id.trim().parse::<FieldId>().ok())
                .ok_or_else(|| {
                    err(
                        start,
                        format!("'{{{inner}}}' is not a field reference (like {{f:<field id>}})"),
                    )
                })?;
            out.push((start, Tok::FieldId(id)));
            i += end + 1;
        } else if c.is_ascii_digit() || c == '.' {
            let mut end = i;
            let mut seen_dot = false;
            while let Some(&b) = bytes.get(end) {
                if b.is_ascii_digit() || (b == b'.' && !seen_dot) {
                    seen_dot |= b == b'.';
                    end += 1;
                } else {
                    break;
                }
            }
            // An exponent (`1e6`, `2.5E-3`).
            if matches!(bytes.get(end), Some(b'e' | b'E')) {
                let mut exp = end + 1;
                if matches!(bytes.get(exp), Some(b'+' | b'-')) {
                    exp += 1;
                }
                if bytes.get(exp).is_some_and(u8::is_ascii_digit) {
                    end = exp;
                    while bytes.get(end).is_some_and(u8::is_ascii_digit) {
                        end += 1;
                    }
                }
            }
            out.push((start, Tok::Num(input[i..end].to_string())));
            i = end;
        } else if c.is_alphabetic() || c == '_' {
            let mut end = i;
            for ch in input[i..].chars() {
                if ch.is_alphanumeric() || ch == '_' {
                    end += ch.len_utf8();
                } else {
                    break;
                }
            }
            out.push((start, Tok::Ident(input[i..end].to_string())));
            i = end;
        } else if let Some(op) = OPS.iter().find(|op| input[i..].starts_with(**op)) {
            out.push((start, Tok::Op(op)));
            i += op.len();
        } else {
            return Err(err(start, format!("unexpected character '{c}'")));
        }
    }
    Ok(out)
}
