//! The filter and sort language of the CLI and the UI:
//!
//! ```text
//! stage = Won and (amount >= 10000 or company = "Acme Corp")
//! name ^= ann   email ~ example.com   close_date is empty   tags in red, blue
//! not done = yes   -amount, name
//! ```
//!
//! Operators: `=` `!=` `<` `<=` `>` `>=`, `~` (contains), `^=` (starts with),
//! `is empty`, `is not empty`, `in a, b, c` (any of). Field names are keys or labels
//! (quote labels with spaces); values are bare words or quoted.
//! Parsing gives an AST of names and texts; the workspace resolves it against the schema.

use crate::error::QueryError;

/// A parsed filter before field names and values are resolved.
#[derive(Debug, Clone, PartialEq)]
pub enum FilterAst {
    Cond {
        field: String,
        op: String,
        values: Vec<String>,
    },
    All(Vec<FilterAst>),
    Any(Vec<FilterAst>),
    Not(Box<FilterAst>),
}

/// A parsed sort key.
#[derive(Debug, Clone, PartialEq)]
pub struct SortAst {
    pub field: String,
    pub descending: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Quoted(String),
    Op(&'static str),
    Open,
    Close,
    Comma,
}

const OPS: [&str; 8] = ["!=", "<=", ">=", "^=", "=", "<", ">", "~"];

/// The character index of byte offset `at` (errors count characters, as they say).
fn char_position(input: &str, at: usize) -> usize {
    input.get(..at).map_or(at, |before| before.chars().count())
}

fn tokenize(input: &str) -> Result<Vec<(usize, Tok)>, QueryError> {
    let err = |at: usize, message: &str| QueryError::Syntax {
        input: input.to_string(),
        position: char_position(input, at),
        message: message.to_string(),
    };
    let chars: Vec<(usize, char)> = input.char_indices().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let (pos, c) = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '(' {
            out.push((pos, Tok::Open));
            i += 1;
        } else if c == ')' {
            out.push((pos, Tok::Close));
            i += 1;
        } else if c == ',' {
            out.push((pos, Tok::Comma));
            i += 1;
        } else if c == '"' || c == '\'' {
            let mut s = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err(err(pos, "unclosed quote")),
                    Some((_, '\\')) if chars.get(i + 1).is_some() => {
                        s.push(chars[i + 1].1);
                        i += 2;
                    }
                    Some((_, q)) if *q == c => {
                        i += 1;
                        break;
                    }
                    Some((_, ch)) => {
                        s.push(*ch);
                        i += 1;
                    }
                }
            }
            out.push((pos, Tok::Quoted(s)));
        } else if let Some(op) = OPS.iter().find(|op| input[pos..].starts_with(**op)) {
            out.push((pos, Tok::Op(op)));
            i += op.chars().count();
        } else {
            let mut s = String::new();
            while let Some((_, ch)) = chars.get(i) {
                if ch.is_whitespace()
                    || "(),\"'".contains(*ch)
                    || OPS.iter().any(|op| input[chars[i].0..].starts_with(op))
                {
                    break;
                }
                s.push(*ch);
                i += 1;
            }
            out.push((pos, Tok::Word(s)));
        }
    }
    Ok(out)
}

/// The longest filter accepted, in bytes: far beyond any hand-written one, small enough
/// that parsing and evaluating it stay cheap.
pub(crate) const MAX_FILTER_BYTES: usize = 16 * 1024;

/// How deeply parentheses and `not` may nest. Parsing and evaluating recurse once per
/// level, so this bound is what keeps a hostile filter from overflowing the stack.
pub(crate) const MAX_FILTER_DEPTH: usize = 32;

struct Parser<'a> {
    input: &'a str,
    toks: Vec<(usize, Tok)>,
    at: usize,
    /// Current nesting of parentheses and `not`.
    depth: usize,
}

impl Parser<'_> {
    fn err(&self, message: &str) -> QueryError {
        let at = self.toks.get(self.at).map_or(self.input.len(), |(p, _)| *p);
        QueryError::Syntax {
            input: self.input.to_string(),
            position: char_position(self.input, at),
            message: message.to_string(),
        }
    }

    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at).map(|(_, t)| t)
    }

    fn keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(word))
    }

    fn expr(&mut self) -> Result<FilterAst, QueryError> {
        let mut parts = vec![self.and()?];
        while self.keyword("or") {
            self.at += 1;
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            FilterAst::Any(parts)
        })
    }

    fn and(&mut self) -> Result<FilterAst, QueryError> {
        let mut parts = vec![self.unary()?];
        while self.keyword("and") {
            self.at += 1;
            parts.push(self.unary()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            FilterAst::All(parts)
        })
    }

    fn unary(&mut self) -> Result<FilterAst, QueryError> {
        let nested = self.keyword("not") || self.peek() == Some(&Tok::Open);
        if !nested {
            return self.cond();
        }
        if self.depth >= MAX_FILTER_DEPTH {
            return Err(self.err(&format!(
                "the filter nests deeper than {MAX_FILTER_DEPTH} levels of parentheses and 'not'"
            )));
        }
        self.depth += 1;
        let inner = self.nested();
        self.depth -= 1;
        inner
    }

    fn nested(&mut self) -> Result<FilterAst, QueryError> {
        if self.keyword("not") {
            self.at += 1;
            return Ok(FilterAst::Not(Box::new(self.unary()?)));
        }
        self.at += 1; // the '('
        let inner = self.expr()?;
        if self.peek() != Some(&Tok::Close) {
            return Err(self.err("expected ')'"));
        }
        self.at += 1;
        Ok(inner)
    }

    fn text(&mut self, what: &str) -> Result<String, QueryError> {
        match self.peek() {
            Some(Tok::Word(w)) => {
                let w = w.clone();
                self.at += 1;
                Ok(w)
            }
            Some(Tok::Quoted(q)) => {
                let q = q.clone();
                self.at += 1;
                Ok(q)
            }
            _ => Err(self.err(&format!("expected {what}"))),
        }
    }

    fn cond(&mut self) -> Result<FilterAst, QueryError> {
        let field = self.text("a field name")?;
        let op = match self.peek() {
            Some(Tok::Op(op)) => {
                let op = *op;
                self.at += 1;
                op.to_string()
            }
            _ if self.keyword("is") => {
                self.at += 1;
                let negated = self.keyword("not");
                if negated {
                    self.at += 1;
                }
                if !self.keyword("empty") {
                    return Err(self.err("expected 'empty'"));
                }
                self.at += 1;
                let op = if negated { "is not empty" } else { "is empty" };
                return Ok(FilterAst::Cond {
                    field,
                    op: op.into(),
                    values: Vec::new(),
                });
            }
            _ if self.keyword("in") => {
                self.at += 1;
                let mut values = vec![self.text("a value")?];
                while self.peek() == Some(&Tok::Comma) {
                    self.at += 1;
                    values.push(self.text("a value")?);
                }
                return Ok(FilterAst::Cond {
                    field,
                    op: "in".into(),
                    values,
                });
            }
            _ if self.keyword("contains") => {
                self.at += 1;
                "~".to_string()
            }
            _ => {
                return Err(self.err("expected an operator (=, !=, <, <=, >, >=, ~, ^=, is empty, in)"));
            }
        };
        // A bare value may run over several words: `city = New York`.
        let mut value = self.text("a value")?;
        while let Some(Tok::Word(w)) = self.peek() {
            if ["and", "or"].iter().any(|k| w.eq_ignore_ascii_case(k)) {
                break;
            }
            value.push(' ');
            value.push_str(w);
            self.at += 1;
        }
        Ok(FilterAst::Cond {
            field,
            op,
            values: vec![value],
        })
    }
}

/// Parses a filter expression.
pub fn parse_filter(input: &str) -> Result<FilterAst, QueryError> {
    if input.len() > MAX_FILTER_BYTES {
        return Err(QueryError::Syntax {
            input: input.chars().take(60).chain("…".chars()).collect(),
            position: MAX_FILTER_BYTES,
            message: format!(
                "the filter is {} bytes long; at most {MAX_FILTER_BYTES} are accepted",
                input.len()
            ),
        });
    }
    let mut p = Parser {
        input,
        toks: tokenize(input)?,
        at: 0,
        depth: 0,
    };
    if p.toks.is_empty() {
        return Err(p.err("the filter is empty"));
    }
    let ast = p.expr()?;
    if p.at < p.toks.len() {
        return Err(p.err("unexpected text (use 'and' / 'or' between conditions)"));
    }
    Ok(ast)
}

/// Parses `name, -amount, close_date desc` into sort keys.
pub fn parse_sort(input: &str) -> Result<Vec<SortAst>, QueryError> {
    let mut out = Vec::new();
    for part in input.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, descending) = if let Some(rest) = part.strip_prefix('-') {
            (rest.trim(), true)
        } else if let Some((name, dir)) = part.rsplit_once(|c: char| c == ':' || c.is_whitespace()) {
            match dir.trim().to_ascii_lowercase().as_str() {
                "desc" => (name.trim(), true),
                "asc" => (name.trim(), false),
                _ => (part, false),
            }
        } else {
            (part.strip_prefix('+').unwrap_or(part), false)
        };
        if name.is_empty() {
            return Err(QueryError::BadSort(format!("'{part}' names no field")));
        }
        out.push(SortAst {
            field: name.to_string(),
            descending,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cond(field: &str, op: &str, values: &[&str]) -> FilterAst {
        FilterAst::Cond {
            field: field.into(),
            op: op.into(),
            values: values.iter().map(|v| v.to_string()).collect(),
        }
    }

    #[test]
    fn and_binds_tighter_than_or() {
        let ast = parse_filter("a = 1 or b = 2 and c ~ x").unwrap();
        assert_eq!(
            ast,
            FilterAst::Any(vec![
                cond("a", "=", &["1"]),
                FilterAst::All(vec![cond("b", "=", &["2"]), cond("c", "~", &["x"])])
            ])
        );
    }

    #[test]
    fn quoted_labels_multi_word_values_and_lists_parse() {
        assert_eq!(
            parse_filter("\"Close date\" is not empty").unwrap(),
            cond("Close date", "is not empty", &[])
        );
        assert_eq!(
            parse_filter("city = New York").unwrap(),
            cond("city", "=", &["New York"])
        );
        assert_eq!(
            parse_filter("stage in Won, 'Lost deal'").unwrap(),
            cond("stage", "in", &["Won", "Lost deal"])
        );
        assert_eq!(
            parse_filter("not (x>=3)").unwrap(),
            FilterAst::Not(Box::new(cond("x", ">=", &["3"])))
        );
    }

    #[test]
    fn syntax_errors_say_where() {
        let err = parse_filter("name = ").unwrap_err();
        assert!(err.to_string().contains("expected a value"), "{err}");
        assert!(parse_filter("(a = 1").is_err());
        assert!(parse_filter("a 1").is_err());
    }

    #[test]
    fn deeply_nested_filters_are_refused_with_a_parse_error_not_a_stack_overflow() {
        for depth in [MAX_FILTER_DEPTH + 1, 100_000] {
            let parens = format!("{}a = 1{}", "(".repeat(depth), ")".repeat(depth));
            let err = parse_filter(&parens[..parens.len().min(MAX_FILTER_BYTES)]).unwrap_err();
            assert!(err.to_string().contains("nests deeper"), "{err}");
            let nots = format!("{}a = 1", "not ".repeat(depth));
            let err = parse_filter(&nots[..nots.len().min(MAX_FILTER_BYTES)]).unwrap_err();
            assert!(err.to_string().contains("nests deeper"), "{err}");
        }
        let deepest = format!("{}a = 1{}", "(".repeat(MAX_FILTER_DEPTH), ")".repeat(MAX_FILTER_DEPTH));
        assert_eq!(parse_filter(&deepest).unwrap(), cond("a", "=", &["1"]));
    }

    #[test]
    fn very_long_filters_are_refused_with_a_short_error() {
        let long = vec!["a = 1"; 1_000_000].join(" and ");
        let err = parse_filter(&long).unwrap_err().to_string();
        assert!(err.contains("at most"), "{err}");
        assert!(err.len() < 300, "{err}");
    }

    #[test]
    fn sorts_accept_minus_and_desc() {
        let s = parse_sort("-amount, name, close_date desc").unwrap();
        assert_eq!(
            s.iter().map(|s| (s.field.as_str(), s.descending)).collect::<Vec<_>>(),
            [("amount", true), ("name", false), ("close_date", true)]
        );
    }
}
