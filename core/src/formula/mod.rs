//! The formula language: expressions over a record's fields, used by formula fields,
//! validation rules and automation conditions (docs/logic.md, "Formulas").
//!
//! ```text
//! if(stage = "Won", amount * 0.1, 0)      [Close date] - today()      company.industry
//! upper(left(name, 1)) & ". " & city      date_diff(created, today(), "months")
//! ```
//!
//! Pure: parsing, name resolution against the schema, type checking and evaluation.
//! The record's values come through [`FormulaEnv`]; nothing here reads the store.
//! A formula is kept in its *stored form*, which names fields by id (`{f:<id>}`), so
//! renaming a field never breaks it; [`Formula::display`] shows it with current names.

mod check;
mod eval;
mod functions;
mod lexer;
mod parser;
mod print;
#[cfg(test)]
mod tests;

use std::fmt;

use crate::schema::{ObjectDef, Schema};
use crate::{FieldId, Value};

pub use parser::{MAX_DEPTH, MAX_LEN, MAX_OPERATORS};

/// The type of a formula's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FormulaType {
    Number,
    /// An exact amount; its currency code is the values' own (it may differ per record).
    Currency,
    /// A percent field read as its number (12.5 means 12.5 %).
    Percent,
    Text,
    Bool,
    /// Days since 1970-01-01.
    Date,
    /// Milliseconds since the epoch, UTC.
    Datetime,
}

impl FormulaType {
    pub fn as_str(self) -> &'static str {
        match self {
            FormulaType::Number => "number",
            FormulaType::Currency => "currency",
            FormulaType::Percent => "percent",
            FormulaType::Text => "text",
            FormulaType::Bool => "boolean",
            FormulaType::Date => "date",
            FormulaType::Datetime => "datetime",
        }
    }
}

impl fmt::Display for FormulaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A formula that does not parse or does not fit the schema: where, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct FormulaError {
    /// Byte offset in the source.
    pub position: usize,
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    pub message: String,
}

impl FormulaError {
    pub(crate) fn at(source: &str, position: usize, message: String) -> Self {
        let position = position.min(source.len());
        let before = source.get(..position).unwrap_or(source);
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        FormulaError {
            position,
            line,
            column,
            message,
        }
    }
}

/// A formula that could not be computed for one record (division by zero, amounts in
/// different currencies…). Callers store an empty value and show the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct EvalError {
    pub message: String,
}

impl EvalError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        EvalError {
            message: message.into(),
        }
    }
}

/// What a formula reads from the record it is evaluated for.
pub trait FormulaEnv {
    /// The record's value of a field, read through its current type.
    fn value(&self, field: FieldId) -> Option<Value>;
    /// The value of `target` on the record `relation` points to (the first one).
    fn lookup(&self, relation: FieldId, target: FieldId) -> Option<Value>;
    /// Today, as days since 1970-01-01 (injected so tests and recomputation are
    /// deterministic).
    fn today(&self) -> i32;
    /// Now, in milliseconds since the epoch. By default the clock; override it for
    /// deterministic results.
    fn now(&self) -> i64 {
        crate::time_fmt::now_ms()
    }
}

/// A parsed, resolved and type-checked formula.
#[derive(Debug, Clone, PartialEq)]
pub struct Formula {
    expr: check::Expr,
    result: FormulaType,
    fields_read: Vec<FieldId>,
    lookups: Vec<(FieldId, FieldId)>,
    uses_today: bool,
}

/// Parses `source` as a person writes it (fields by key, `[Label]`, lookups through a
/// single relation `company.industry`), resolves names against `object`, type-checks,
/// and returns the formula.
pub fn compile(source: &str, object: &ObjectDef, schema: &Schema) -> Result<Formula, FormulaError> {
    let ast = parser::parse(source)?;
    let checked = check::check(&ast, source, object, schema)?;
    Ok(Formula::from_checked(checked))
}

impl Formula {
    fn from_checked(checked: check::Checked) -> Self {
        Formula {
            expr: checked.expr,
            result: checked.result,
            fields_read: checked.fields_read,
            lookups: checked.lookups,
            uses_today: checked.uses_today,
        }
    }

    /// The canonical stored form: fields by id (`{f:<field id>}`), so a rename never
    /// breaks it.
    pub fn stored(&self) -> String {
        print::stored(&self.expr)
    }

    /// Reads a stored form back, resolving and type-checking it against the current
    /// schema (a field retyped since may make it fail).
    pub fn from_stored(stored: &str, object: &ObjectDef, schema: &Schema) -> Result<Formula, FormulaError> {
        compile(stored, object, schema)
    }

    /// The formula as people read it, with current field keys and labels.
    pub fn display(&self, object: &ObjectDef, schema: &Schema) -> String {
        print::display(&self.expr, object, schema)
    }

    pub fn result_type(&self) -> FormulaType {
        self.result
    }

    /// Fields of the record itself that the formula reads.
    pub fn fields_read(&self) -> &[FieldId] {
        &self.fields_read
    }

    /// (relation field, field of the related record) pairs the formula looks up.
    pub fn lookups(&self) -> &[(FieldId, FieldId)] {
        &self.lookups
    }

    /// Whether it calls `today()` or `now()`: its value changes with the date.
    pub fn uses_today(&self) -> bool {
        self.uses_today
    }

    /// Evaluates against one record. `Ok(None)` is an empty result.
    pub fn eval(&self, env: &dyn FormulaEnv) -> Result<Option<Value>, EvalError> {
        eval::eval_top(&self.expr, env)
    }

    /// Evaluates a boolean formula as a condition: whether it holds. An empty result
    /// does not hold.
    pub fn holds(&self, env: &dyn FormulaEnv) -> Result<bool, EvalError> {
        Ok(matches!(self.eval(env)?, Some(Value::Bool(true))))
    }
}
