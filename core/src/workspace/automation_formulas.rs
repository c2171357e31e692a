//! Formulas in automations: a condition or an action value written `= expression` is a
//! formula (`kith_core::formula`) over the triggering record, instead of the filter
//! language or a literal input.

use super::Workspace;
use crate::formula::{self, Formula, FormulaEnv};
use crate::query::eval::matches;
use crate::record::Row;
use crate::schema::{FieldDef, FieldKind, ObjectDef};
use crate::value::Value;
use crate::{FieldId, Filter, field_type};

/// An automation's condition: a filter, or a boolean formula.
#[derive(Debug)]
pub(super) enum Condition {
    Filter(Filter),
    Formula(Formula),
}

/// The formula in `text` when it is written `= expression`.
pub(super) fn formula_source(text: &str) -> Option<&str> {
    text.trim_start().strip_prefix('=')
}

/// A record's values as a formula reads them.
pub(super) struct RowEnv<'a> {
    pub(super) ws: &'a Workspace,
    pub(super) object: &'a ObjectDef,
    pub(super) row: &'a Row,
    pub(super) today: i32,
}

impl FormulaEnv for RowEnv<'_> {
    fn value(&self, field: FieldId) -> Option<Value> {
        let def = self.object.field(field)?;
        field_type::read(def, self.row.get(field)?)
    }

    fn lookup(&self, relation: FieldId, target: FieldId) -> Option<Value> {
        let def = self.object.field(relation)?;
        let Some(Value::Records(ids)) = field_type::read(def, self.row.get(relation)?) else {
            return None;
        };
        let other = self.ws.row(*ids.first()?).ok()?;
        let object = self.ws.schema.object(other.object)?;
        field_type::read(object.field(target)?, other.get(target)?)
    }

    fn today(&self) -> i32 {
        self.today
    }

    fn now(&self) -> i64 {
        crate::time_fmt::midnight_of(self.today)
    }
}

impl Workspace {
    /// Resolves a condition's text against `object`.
    pub(super) fn compile_condition(&self, object: &ObjectDef, text: &str) -> Result<Condition, String> {
        match formula_source(text) {
            Some(source) => {
                let f = formula::compile(source, object, &self.schema).map_err(|e| format!("condition: {e}"))?;
                Ok(Condition::Formula(f))
            }
            None => self
                .parse_filter(object.id, text)
                .map(Condition::Filter)
                .map_err(|e| format!("filter '{text}': {e}")),
        }
    }

    /// Whether a record passes a condition (a formula that cannot be computed does not).
    pub(super) fn passes(&self, condition: &Condition, object: &ObjectDef, row: &Row, today: i32) -> bool {
        match condition {
            Condition::Filter(f) => matches(object, row, f),
            Condition::Formula(f) => f
                .holds(&RowEnv {
                    ws: self,
                    object,
                    row,
                    today,
                })
                .unwrap_or(false),
        }
    }

    /// The value of an action's `= expression` for the triggering record, fitted to the
    /// field it is written to.
    pub(super) fn formula_value(
        &self,
        source: &str,
        object: &ObjectDef,
        row: &Row,
        today: i32,
        target: &FieldDef,
    ) -> Result<Option<Value>, String> {
        let f = formula::compile(source, object, &self.schema).map_err(|e| format!("formula '{source}': {e}"))?;
        let value = f
            .eval(&RowEnv {
                ws: self,
                object,
                row,
                today,
            })
            .map_err(|e| format!("formula '{source}': {e}"))?;
        Ok(value.map(|v| fit(target, v)))
    }
}

/// A formula's result as the field it is written to holds it: an amount into a number
/// field is its number, a number into a currency field is in the field's currency, any
/// value into a text field is its text.
fn fit(field: &FieldDef, value: Value) -> Value {
    use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
    match (field.kind, value) {
        (FieldKind::Number | FieldKind::Percent, Value::Currency(m)) => {
            m.amount.to_f64().map_or(Value::Currency(m), Value::Number)
        }
        (FieldKind::Currency, Value::Number(n)) => match crate::Decimal::from_f64(n) {
            Some(amount) => Value::Currency(crate::Money {
                amount,
                code: field.currency.clone(),
            }),
            None => Value::Number(n),
        },
        (FieldKind::Text | FieldKind::LongText, v) if !matches!(v, Value::Text(_)) => Value::Text(plain_text(&v)),
        (_, v) => v,
    }
}

/// A formula result as text (formulas make text, numbers, amounts, booleans and dates).
fn plain_text(value: &Value) -> String {
    match value {
        Value::Text(s) => s.clone(),
        Value::Number(n) => crate::format_number(*n),
        Value::Bool(b) => b.to_string(),
        Value::Date(d) => crate::time_fmt::format_date(*d),
        Value::DateTime(ms) => crate::time_fmt::format_datetime(*ms),
        Value::Currency(m) => format!("{} {}", m.amount, m.code),
        other => format!("{other:?}"),
    }
}
