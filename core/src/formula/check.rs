//! Name resolution and type checking: the AST of names becomes an expression over field
//! ids, each part typed, with errors at the position of the part that does not fit.

use super::functions::{Func, Unit};
use super::parser::{Ast, AstKind, BinOp, Name};
use super::{FormulaError, FormulaType};
use crate::schema::{FieldDef, FieldKind, ObjectDef, Schema};
use crate::{FieldId, OptionId};

/// Types while checking: the result types plus relations (usable only by `is_empty`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ty {
    Number,
    Currency,
    Percent,
    Text,
    Bool,
    Date,
    Datetime,
    Records,
}

impl Ty {
    fn name(self) -> &'static str {
        match self {
            Ty::Number => "a number",
            Ty::Currency => "a currency amount",
            Ty::Percent => "a percent",
            Ty::Text => "text",
            Ty::Bool => "a yes/no value",
            Ty::Date => "a date",
            Ty::Datetime => "a datetime",
            Ty::Records => "a relation",
        }
    }

    fn is_numeric(self) -> bool {
        matches!(self, Ty::Number | Ty::Percent)
    }

    fn is_amount(self) -> bool {
        self.is_numeric() || self == Ty::Currency
    }

    fn is_time(self) -> bool {
        matches!(self, Ty::Date | Ty::Datetime)
    }

    fn of_kind(kind: FieldKind) -> Ty {
        use FieldKind as K;
        match kind {
            K::Text | K::LongText | K::Email | K::Phone | K::Url | K::Select | K::MultiSelect => Ty::Text,
            K::Number | K::Rating => Ty::Number,
            K::Percent => Ty::Percent,
            K::Currency => Ty::Currency,
            K::Date => Ty::Date,
            K::Datetime => Ty::Datetime,
            K::Boolean => Ty::Bool,
            K::Relation => Ty::Records,
        }
    }
}

/// How to read one field: its id, and for select fields the labels of its options
/// (values are option ids; formulas see labels).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct FieldRead {
    pub(super) id: FieldId,
    pub(super) options: Vec<(OptionId, String)>,
}

impl FieldRead {
    fn of(field: &FieldDef) -> Self {
        let mut options: Vec<(OptionId, String)> = field.options.iter().map(|o| (o.id, o.label.clone())).collect();
        // Options merged into another read as that one.
        for (from, to) in &field.merged_options {
            if let Some(label) = field.option(*to).map(|o| o.label.clone()) {
                options.push((*from, label));
            }
        }
        FieldRead { id: field.id, options }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Expr {
    /// A number with the text it was written as (exact for currency arithmetic).
    Num(f64, String),
    Str(String),
    Bool(bool),
    Field(FieldRead),
    /// A field of the record a single relation points to.
    Lookup(FieldId, FieldRead),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    Binary {
        op: BinOp,
        left: Box<Expr>,
        right: Box<Expr>,
        /// `+`/`-` of numbers or amounts: an empty side counts as zero.
        empty_is_zero: bool,
    },
    Call(Func, Vec<Expr>),
}

pub(super) struct Checked {
    pub(super) expr: Expr,
    pub(super) result: FormulaType,
    pub(super) fields_read: Vec<FieldId>,
    pub(super) lookups: Vec<(FieldId, FieldId)>,
    pub(super) uses_today: bool,
}

pub(super) fn check(ast: &Ast, source: &str, object: &ObjectDef, schema: &Schema) -> Result<Checked, FormulaError> {
    let mut checker = Checker {
        source,
        object,
        schema,
        fields_read: Vec::new(),
        lookups: Vec::new(),
        uses_today: false,
    };
    let (expr, ty) = checker.expr(ast)?;
    let result = match ty {
        Ty::Number => FormulaType::Number,
        Ty::Currency => FormulaType::Currency,
        Ty::Percent => FormulaType::Percent,
        Ty::Text => FormulaType::Text,
        Ty::Bool => FormulaType::Bool,
        Ty::Date => FormulaType::Date,
        Ty::Datetime => FormulaType::Datetime,
        Ty::Records => {
            return Err(checker.error(
                ast.pos,
                "a formula cannot give a relation: read one of its fields (company.name) or test is_empty(company)",
            ));
        }
    };
    Ok(Checked {
        expr,
        result,
        fields_read: checker.fields_read,
        lookups: checker.lookups,
        uses_today: checker.uses_today,
    })
}

struct Checker<'a> {
    source: &'a str,
    object: &'a ObjectDef,
    schema: &'a Schema,
    fields_read: Vec<FieldId>,
    lookups: Vec<(FieldId, FieldId)>,
    uses_today: bool,
}

type Typed = (Expr, Ty);

impl Checker<'_> {
    fn error(&self, pos: usize, message: impl Into<String>) -> FormulaError {
        FormulaError::at(self.source, pos, message.into())
    }

    fn expr(&mut self, ast: &Ast) -> Result<Typed, FormulaError> {
        match &ast.kind {
            AstKind::Num(text) => {
                let n: f64 = text
                    .parse()
                    .ok()
                    .filter(|n: &f64| n.is_finite())
                    .ok_or_else(|| self.error(ast.pos, format!("'{text}' is not a number")))?;
                Ok((Expr::Num(n, text.clone()), Ty::Number))
            }
            AstKind::Str(s) => Ok((Expr::Str(s.clone()), Ty::Text)),
            AstKind::Bool(b) => Ok((Expr::Bool(*b), Ty::Bool)),
            AstKind::Field(first, second) => self.field(ast.pos, first, second.as_ref()),
            AstKind::Not(inner) => {
                let (e, ty) = self.expr(inner)?;
                self.want(inner.pos, ty, Ty::Bool, "not")?;
                Ok((Expr::Not(Box::new(e)), Ty::Bool))
            }
            AstKind::Neg(inner) => {
                let (e, ty) = self.expr(inner)?;
                if !ty.is_amount() {
                    return Err(self.error(inner.pos, format!("'-' needs a number or an amount, not {}", ty.name())));
                }
                let ty = if ty == Ty::Percent { Ty::Number } else { ty };
                Ok((Expr::Neg(Box::new(e)), ty))
            }
            AstKind::Binary(op, left, right) => self.binary(ast.pos, *op, left, right),
            AstKind::Call(name, args) => self.call(ast.pos, name, args),
        }
    }

    fn want(&self, pos: usize, got: Ty, want: Ty, what: &str) -> Result<(), FormulaError> {
        let fits = got == want || (want == Ty::Number && got.is_numeric());
        if fits {
            Ok(())
        } else {
            Err(self.error(pos, format!("{what} needs {}, not {}", want.name(), got.name())))
        }
    }

    fn find(&self, object: &ObjectDef, pos: usize, name: &Name) -> Result<FieldDef, FormulaError> {
        let found = match name {
            Name::Id(id) => object.field(*id),
            Name::Bare(n) | Name::Bracketed(n) => object.find_field(n),
        };
        // A field merged into another (same names from two devices) reads as that one.
        let found = found.map(|f| match f.merged_into.and_then(|id| object.field(id)) {
            Some(target) => target,
            None => f,
        });
        found.cloned().ok_or_else(|| {
            let shown = match name {
                Name::Id(id) => format!("{{f:{id}}}"),
                Name::Bare(n) => n.clone(),
                Name::Bracketed(n) => format!("[{n}]"),
            };
            let mut message = format!("{} has no field {shown}", object.key);
            if let Name::Bare(n) = name {
                if super::functions::Func::named(&n.to_ascii_lowercase()).is_some() {
                    message.push_str(&format!(" (to call the function, write {n}(…))"));
                } else if object
                    .fields
                    .iter()
                    .any(|f| f.label.to_lowercase().contains(&n.to_lowercase()))
                {
                    message.push_str(" (for a label with spaces, write [Label])");
                }
            }
            self.error(pos, message)
        })
    }

    fn field(&mut self, pos: usize, first: &Name, second: Option<&(usize, Name)>) -> Result<Typed, FormulaError> {
        let field = self.find(self.object, pos, first)?;
        let Some((second_pos, second)) = second else {
            if !self.fields_read.contains(&field.id) {
                self.fields_read.push(field.id);
            }
            return Ok((Expr::Field(FieldRead::of(&field)), Ty::of_kind(field.kind)));
        };
        if field.kind != FieldKind::Relation {
            return Err(self.error(
                pos,
                format!("{} is not a relation: only relations have fields to look up", field.key),
            ));
        }
        if field.many {
            return Err(self.error(
                pos,
                format!(
                    "{} links many records: a lookup reads one; use a rollup to combine them",
                    field.key
                ),
            ));
        }
        let Some(target) = field.target.and_then(|id| self.schema.object(id)) else {
            return Err(self.error(
                pos,
                format!(
                    "{} can link to any object: lookups need a relation to one object",
                    field.key
                ),
            ));
        };
        let looked_up = self.find(target, *second_pos, second)?;
        let pair = (field.id, looked_up.id);
        if !self.lookups.contains(&pair) {
            self.lookups.push(pair);
        }
        Ok((
            Expr::Lookup(field.id, FieldRead::of(&looked_up)),
            Ty::of_kind(looked_up.kind),
        ))
    }

    fn binary(&mut self, pos: usize, op: BinOp, left: &Ast, right: &Ast) -> Result<Typed, FormulaError> {
        let (l, lt) = self.expr(left)?;
        let (r, rt) = self.expr(right)?;
        let mismatch = |what: &str| {
            self.error(
                pos,
                format!("cannot {what} {} and {} with '{}'", lt.name(), rt.name(), op.symbol()),
            )
        };
        if lt == Ty::Records || rt == Ty::Records {
            let at = if lt == Ty::Records { left.pos } else { right.pos };
            return Err(self.error(
                at,
                "a relation has no value to compute with: read one of its fields (company.name) or use is_empty",
            ));
        }
        use Ty::*;
        let ty = match op {
            BinOp::And | BinOp::Or => {
                self.want(left.pos, lt, Bool, op.symbol())?;
                self.want(right.pos, rt, Bool, op.symbol())?;
                Bool
            }
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                let comparable = (lt.is_amount() && rt.is_amount())
                    || (lt.is_time() && rt.is_time())
                    || (lt == Text && rt == Text)
                    || (lt == Bool && rt == Bool && matches!(op, BinOp::Eq | BinOp::Ne));
                if !comparable {
                    return Err(self.error(
                        pos,
                        format!(
                            "cannot compare {} with {} using '{}'",
                            lt.name(),
                            rt.name(),
                            op.symbol()
                        ),
                    ));
                }
                Bool
            }
            BinOp::Concat => Text,
            BinOp::Add => match (lt, rt) {
                (a, b) if a.is_numeric() && b.is_numeric() => Number,
                (Currency, b) | (b, Currency) if b.is_amount() => Currency,
                (Date, b) | (b, Date) if b.is_numeric() => Date,
                (Datetime, b) | (b, Datetime) if b.is_numeric() => Datetime,
                (Text, _) | (_, Text) => {
                    return Err(self.error(pos, "'+' adds numbers: join text with & or concat(…)"));
                }
                _ => return Err(mismatch("add")),
            },
            BinOp::Sub => match (lt, rt) {
                (a, b) if a.is_numeric() && b.is_numeric() => Number,
                (Currency, b) if b.is_amount() => Currency,
                (a, Currency) if a.is_numeric() => Currency,
                (a, b) if a.is_time() && b.is_time() => Number,
                (Date, b) if b.is_numeric() => Date,
                (Datetime, b) if b.is_numeric() => Datetime,
                _ => return Err(mismatch("subtract")),
            },
            BinOp::Mul => match (lt, rt) {
                (a, b) if a.is_numeric() && b.is_numeric() => Number,
                (Currency, b) | (b, Currency) if b.is_numeric() => Currency,
                _ => return Err(mismatch("multiply")),
            },
            BinOp::Div => match (lt, rt) {
                (a, b) if a.is_numeric() && b.is_numeric() => Number,
                (Currency, b) if b.is_numeric() => Currency,
                (Currency, Currency) => Number,
                _ => return Err(mismatch("divide")),
            },
            BinOp::Rem => match (lt, rt) {
                (a, b) if a.is_numeric() && b.is_numeric() => Number,
                (Currency, b) if b.is_numeric() => Currency,
                _ => return Err(mismatch("take the remainder of")),
            },
        };
        let empty_is_zero = matches!(op, BinOp::Add | BinOp::Sub) && lt.is_amount() && rt.is_amount();
        Ok((
            Expr::Binary {
                op,
                left: Box::new(l),
                right: Box::new(r),
                empty_is_zero,
            },
            ty,
        ))
    }

    fn call(&mut self, pos: usize, name: &str, args: &[Ast]) -> Result<Typed, FormulaError> {
        let Some((func, min, max)) = Func::named(name) else {
            return Err(self.error(
                pos,
                format!("unknown function {name}(…) (see docs/logic.md, \"Formulas\", for the list)"),
            ));
        };
        if args.len() < min || max.is_some_and(|max| args.len() > max) {
            let wanted = match max {
                Some(max) if max == min => format!("{min}"),
                Some(max) => format!("{min} to {max}"),
                None => format!("at least {min}"),
            };
            let s = if wanted == "1" { "" } else { "s" };
            return Err(self.error(pos, format!("{name}(…) takes {wanted} argument{s}, not {}", args.len())));
        }
        let mut typed = Vec::with_capacity(args.len());
        for arg in args {
            typed.push(self.expr(arg)?);
        }
        let tys: Vec<Ty> = typed.iter().map(|(_, t)| *t).collect();
        let what = format!("{name}(…)");
        // A relation is only good for is_empty.
        if func != Func::IsEmpty
            && let Some(i) = tys.iter().position(|t| *t == Ty::Records)
        {
            return Err(self.error(
                args[i].pos,
                format!("{what} cannot use a relation: read one of its fields (company.name)"),
            ));
        }
        use Ty::*;
        let result = match func {
            Func::If => {
                self.want(args[0].pos, tys[0], Bool, "the condition of if(…)")?;
                match tys.get(2) {
                    None => tys[1],
                    Some(&other) => self.unify(args[2].pos, tys[1], other, "the branches of if(…)")?,
                }
            }
            Func::And | Func::Or => {
                for (arg, ty) in args.iter().zip(&tys) {
                    self.want(arg.pos, *ty, Bool, &what)?;
                }
                Bool
            }
            Func::Not => {
                self.want(args[0].pos, tys[0], Bool, &what)?;
                Bool
            }
            Func::Concat => Text,
            Func::Upper | Func::Lower | Func::Trim => {
                self.want(args[0].pos, tys[0], Text, &what)?;
                Text
            }
            Func::Len => {
                self.want(args[0].pos, tys[0], Text, &what)?;
                Number
            }
            Func::Left | Func::Right | Func::Mid => {
                self.want(args[0].pos, tys[0], Text, &what)?;
                for (arg, ty) in args.iter().zip(&tys).skip(1) {
                    self.want(arg.pos, *ty, Number, &what)?;
                }
                Text
            }
            Func::Contains | Func::StartsWith | Func::EndsWith | Func::Replace => {
                for (arg, ty) in args.iter().zip(&tys) {
                    self.want(arg.pos, *ty, Text, &what)?;
                }
                if func == Func::Replace { Text } else { Bool }
            }
            Func::Round | Func::Floor | Func::Ceil | Func::Abs => {
                if !tys[0].is_amount() {
                    return Err(self.error(
                        args[0].pos,
                        format!("{what} needs a number or an amount, not {}", tys[0].name()),
                    ));
                }
                if let Some(&digits) = tys.get(1) {
                    self.want(args[1].pos, digits, Number, &what)?;
                }
                tys[0]
            }
            Func::Min | Func::Max => {
                let mut ty = tys[0];
                for (arg, t) in args.iter().zip(&tys).skip(1) {
                    ty = self.unify(arg.pos, ty, *t, &what)?;
                }
                if !(ty.is_amount() || ty.is_time()) {
                    return Err(self.error(
                        args[0].pos,
                        format!("{what} needs numbers, amounts or dates, not {}", ty.name()),
                    ));
                }
                ty
            }
            Func::Coalesce => {
                let mut ty = tys[0];
                for (arg, t) in args.iter().zip(&tys).skip(1) {
                    ty = self.unify(arg.pos, ty, *t, &what)?;
                }
                ty
            }
            Func::IsEmpty => Bool,
            Func::Today => {
                self.uses_today = true;
                Date
            }
            Func::Now => {
                self.uses_today = true;
                Datetime
            }
            Func::DateDiff | Func::DateAdd => {
                if !tys[0].is_time() {
                    return Err(self.error(args[0].pos, format!("{what} needs a date, not {}", tys[0].name())));
                }
                if func == Func::DateDiff && !tys[1].is_time() {
                    return Err(self.error(args[1].pos, format!("{what} needs a date, not {}", tys[1].name())));
                }
                if func == Func::DateAdd {
                    self.want(args[1].pos, tys[1], Number, &what)?;
                }
                if let Some(unit) = args.get(2) {
                    let ok = matches!(&typed[2].0, Expr::Str(s) if Unit::named(s).is_some());
                    if !ok {
                        return Err(self.error(
                            unit.pos,
                            format!("the unit of {what} is \"days\", \"weeks\", \"months\" or \"years\""),
                        ));
                    }
                }
                if func == Func::DateDiff { Number } else { tys[0] }
            }
            Func::Year | Func::Month | Func::Day | Func::Weekday => {
                if !tys[0].is_time() {
                    return Err(self.error(args[0].pos, format!("{what} needs a date, not {}", tys[0].name())));
                }
                Number
            }
            Func::Date => {
                if args.len() == 1 {
                    if !(tys[0] == Text || tys[0].is_time()) {
                        return Err(self.error(
                            args[0].pos,
                            format!(
                                "{what} needs text like \"2024-05-31\" or a datetime, not {}",
                                tys[0].name()
                            ),
                        ));
                    }
                } else if args.len() == 3 {
                    for (arg, ty) in args.iter().zip(&tys) {
                        self.want(arg.pos, *ty, Number, "date(year, month, day)")?;
                    }
                } else {
                    return Err(self.error(pos, "date(…) takes a text (\"2024-05-31\") or year, month, day"));
                }
                Date
            }
            Func::Text => Text,
            Func::Number => {
                if !(tys[0] == Text || tys[0].is_amount()) {
                    return Err(self.error(
                        args[0].pos,
                        format!("{what} needs text or an amount, not {}", tys[0].name()),
                    ));
                }
                Number
            }
        };
        Ok((Expr::Call(func, typed.into_iter().map(|(e, _)| e).collect()), result))
    }

    /// The one type two values share (a number and a percent are numbers).
    fn unify(&self, pos: usize, a: Ty, b: Ty, what: &str) -> Result<Ty, FormulaError> {
        if a == b {
            Ok(a)
        } else if a.is_numeric() && b.is_numeric() {
            Ok(Ty::Number)
        } else {
            Err(self.error(
                pos,
                format!("{what} must be of one type: {} and {}", a.name(), b.name()),
            ))
        }
    }
}
