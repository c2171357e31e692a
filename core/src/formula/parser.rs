//! Recursive-descent parser: tokens → an AST of names, literals, operators and calls.
//! Precedence, loosest first: `or`, `and`, `not`, comparisons, `&`, `+ -`, `* / %`,
//! unary `-`.

use super::FormulaError;
use super::lexer::{Tok, tokenize};
use crate::FieldId;

/// Longest source accepted, like the filter language: no input makes parsing slow.
pub const MAX_LEN: usize = 16 * 1024;
/// Deepest nesting accepted, so no input overflows the stack.
pub const MAX_DEPTH: usize = 32;
/// Most binary operators in one formula: bounds the height of the tree (a long chain
/// `1 + 1 + …` nests to the left), so checking and evaluating recurse a bounded depth.
pub const MAX_OPERATORS: usize = 128;

/// A field as the source names it.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Name {
    Bare(String),
    Bracketed(String),
    Id(FieldId),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Concat,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl BinOp {
    pub(super) fn symbol(self) -> &'static str {
        match self {
            BinOp::Or => "or",
            BinOp::And => "and",
            BinOp::Eq => "=",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Concat => "&",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Rem => "%",
        }
    }

    /// Binding strength: higher binds tighter.
    pub(super) fn precedence(self) -> u8 {
        match self {
            BinOp::Or => 1,
            BinOp::And => 2,
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => 4,
            BinOp::Concat => 5,
            BinOp::Add | BinOp::Sub => 6,
            BinOp::Mul | BinOp::Div | BinOp::Rem => 7,
        }
    }

    pub(super) fn is_comparison(self) -> bool {
        self.precedence() == 4
    }
}

/// Precedence of prefix `not` (between `and` and comparisons) and unary minus.
pub(super) const NOT_PRECEDENCE: u8 = 3;
pub(super) const NEG_PRECEDENCE: u8 = 8;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum AstKind {
    Num(String),
    Str(String),
    Bool(bool),
    /// A field of the record, or a lookup `relation.field`.
    Field(Name, Option<(usize, Name)>),
    Not(Box<Ast>),
    Neg(Box<Ast>),
    Binary(BinOp, Box<Ast>, Box<Ast>),
    Call(String, Vec<Ast>),
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Ast {
    /// Byte position in the source.
    pub(super) pos: usize,
    pub(super) kind: AstKind,
}

pub(super) fn parse(input: &str) -> Result<Ast, FormulaError> {
    if input.len() > MAX_LEN {
        return Err(FormulaError::at(
            input,
            MAX_LEN,
            format!("formula too long (at most {} KiB)", MAX_LEN / 1024),
        ));
    }
    let tokens = tokenize(input)?;
    if tokens.is_empty() {
        return Err(FormulaError::at(input, 0, "empty formula".into()));
    }
    let mut parser = Parser {
        input,
        tokens,
        next: 0,
        depth: 0,
        operators: 0,
    };
    let ast = parser.expr(0)?;
    if let Some((pos, tok)) = parser.tokens.get(parser.next) {
        let message = match tok {
            Tok::Close => "unexpected ')': no '(' to close".to_string(),
            _ => "expected an operator or the end of the formula".to_string(),
        };
        return Err(FormulaError::at(input, *pos, message));
    }
    Ok(ast)
}

struct Parser<'a> {
    input: &'a str,
    tokens: Vec<(usize, Tok)>,
    next: usize,
    depth: usize,
    operators: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.next).map(|(_, t)| t)
    }

    fn pos(&self) -> usize {
        self.tokens.get(self.next).map_or(self.input.len(), |(p, _)| *p)
    }

    fn error(&self, message: impl Into<String>) -> FormulaError {
        FormulaError::at(self.input, self.pos(), message.into())
    }

    /// Runs `inner` one nesting level deeper (parentheses, calls, prefix operators).
    fn nested<T>(&mut self, inner: impl FnOnce(&mut Self) -> Result<T, FormulaError>) -> Result<T, FormulaError> {
        if self.depth >= MAX_DEPTH {
            return Err(self.error(format!("formula nested too deeply (at most {MAX_DEPTH} levels)")));
        }
        self.depth += 1;
        let result = inner(self);
        self.depth -= 1;
        result
    }

    /// The binary operator at the cursor, if any.
    fn binary_op(&self) -> Option<BinOp> {
        Some(match self.peek()? {
            Tok::Ident(w) if w.eq_ignore_ascii_case("or") => BinOp::Or,
            Tok::Ident(w) if w.eq_ignore_ascii_case("and") => BinOp::And,
            Tok::Op("=" | "==") => BinOp::Eq,
            Tok::Op("!=" | "<>") => BinOp::Ne,
            Tok::Op("<") => BinOp::Lt,
            Tok::Op("<=") => BinOp::Le,
            Tok::Op(">") => BinOp::Gt,
            Tok::Op(">=") => BinOp::Ge,
            Tok::Op("&") => BinOp::Concat,
            Tok::Op("+") => BinOp::Add,
            Tok::Op("-") => BinOp::Sub,
            Tok::Op("*") => BinOp::Mul,
            Tok::Op("/") => BinOp::Div,
            Tok::Op("%") => BinOp::Rem,
            _ => return None,
        })
    }

    /// Precedence climbing: parses operators binding tighter than `min`.
    fn expr(&mut self, min: u8) -> Result<Ast, FormulaError> {
        let mut left = self.prefix(min)?;
        while let Some(op) = self.binary_op() {
            let precedence = op.precedence();
            if precedence <= min {
                break;
            }
            let pos = self.pos();
            self.operators += 1;
            if self.operators > MAX_OPERATORS {
                return Err(self.error(format!("formula too long (at most {MAX_OPERATORS} operators)")));
            }
            self.next += 1;
            let right = self.expr(precedence)?;
            if op.is_comparison() && self.binary_op().is_some_and(BinOp::is_comparison) {
                return Err(self.error("comparisons do not chain: join them with and"));
            }
            left = Ast {
                pos,
                kind: AstKind::Binary(op, Box::new(left), Box::new(right)),
            };
        }
        Ok(left)
    }

    fn prefix(&mut self, min: u8) -> Result<Ast, FormulaError> {
        let pos = self.pos();
        match self.peek() {
            Some(Tok::Ident(w))
                if w.eq_ignore_ascii_case("not") && !matches!(self.tokens.get(self.next + 1), Some((_, Tok::Open))) =>
            {
                self.next += 1;
                let operand = self.nested(|p| p.expr(NOT_PRECEDENCE.max(min)))?;
                Ok(Ast {
                    pos,
                    kind: AstKind::Not(Box::new(operand)),
                })
            }
            Some(Tok::Op("-")) => {
                self.next += 1;
                let operand = self.nested(|p| p.expr(NEG_PRECEDENCE - 1))?;
                Ok(Ast {
                    pos,
                    kind: AstKind::Neg(Box::new(operand)),
                })
            }
            _ => self.primary(),
        }
    }

    fn primary(&mut self) -> Result<Ast, FormulaError> {
        let pos = self.pos();
        let Some(tok) = self.peek().cloned() else {
            return Err(self.error("expected a value, a field or a function"));
        };
        self.next += 1;
        let kind = match tok {
            Tok::Num(text) => {
                if text.parse::<f64>().is_err() {
                    return Err(FormulaError::at(self.input, pos, format!("'{text}' is not a number")));
                }
                AstKind::Num(text)
            }
            Tok::Str(s) => AstKind::Str(s),
            Tok::Open => {
                self.next -= 1;
                let inner = self.nested(|p| {
                    p.next += 1;
                    let inner = p.expr(0)?;
                    p.expect_close()?;
                    Ok(inner)
                })?;
                return Ok(inner);
            }
            Tok::Ident(w) if matches!(self.peek(), Some(Tok::Open)) => {
                self.next += 1;
                let args = self.nested(Self::arguments)?;
                AstKind::Call(w.to_ascii_lowercase(), args)
            }
            Tok::Ident(w) if w.eq_ignore_ascii_case("true") => AstKind::Bool(true),
            Tok::Ident(w) if w.eq_ignore_ascii_case("false") => AstKind::Bool(false),
            Tok::Ident(w) if ["and", "or", "not"].iter().any(|k| w.eq_ignore_ascii_case(k)) => {
                self.next -= 1;
                return Err(self.error(format!("expected a value before '{w}'")));
            }
            Tok::Ident(w) => self.field(Name::Bare(w))?,
            Tok::Bracketed(w) => self.field(Name::Bracketed(w))?,
            Tok::FieldId(id) => self.field(Name::Id(id))?,
            Tok::Close => {
                self.next -= 1;
                return Err(self.error("expected a value before ')'"));
            }
            Tok::Comma => {
                self.next -= 1;
                return Err(self.error("expected a value before ','"));
            }
            Tok::Dot | Tok::Op(_) => {
                self.next -= 1;
                return Err(self.error("expected a value, a field or a function"));
            }
        };
        Ok(Ast { pos, kind })
    }

    /// A field name, and the field it looks up when followed by `.name`.
    fn field(&mut self, first: Name) -> Result<AstKind, FormulaError> {
        if !matches!(self.peek(), Some(Tok::Dot)) {
            return Ok(AstKind::Field(first, None));
        }
        self.next += 1;
        let pos = self.pos();
        let second = match self.peek().cloned() {
            Some(Tok::Ident(w)) => Name::Bare(w),
            Some(Tok::Bracketed(w)) => Name::Bracketed(w),
            Some(Tok::FieldId(id)) => Name::Id(id),
            _ => return Err(self.error("expected a field name after '.'")),
        };
        self.next += 1;
        if matches!(self.peek(), Some(Tok::Dot)) {
            return Err(self.error("lookups go one relation deep (relation.field)"));
        }
        Ok(AstKind::Field(first, Some((pos, second))))
    }

    fn arguments(&mut self) -> Result<Vec<Ast>, FormulaError> {
        let mut args = Vec::new();
        if matches!(self.peek(), Some(Tok::Close)) {
            self.next += 1;
            return Ok(args);
        }
        loop {
            args.push(self.expr(0)?);
            match self.peek() {
                Some(Tok::Comma) => self.next += 1,
                Some(Tok::Close) => {
                    self.next += 1;
                    return Ok(args);
                }
                _ => return Err(self.error("expected ',' or ')'")),
            }
        }
    }

    fn expect_close(&mut self) -> Result<(), FormulaError> {
        match self.peek() {
            Some(Tok::Close) => {
                self.next += 1;
                Ok(())
            }
            _ => Err(self.error("expected ')'")),
        }
    }
}
