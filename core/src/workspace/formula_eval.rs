//! Formula fields on rows: compiling stored formulas (`crate::formula`) once per
//! derivation, and evaluating them against a row, with lookups through related rows.

use std::collections::HashMap;

use super::computed::Related;
use crate::formula::{self, Formula, FormulaEnv, FormulaType};
use crate::record::Row;
use crate::schema::{Computed, FieldKind, ObjectDef, Schema};
use crate::value::Value;
use crate::{FieldId, field_type};

/// The compiled formula of every formula field that compiles against the schema. A
/// stored formula that no longer compiles (a field it read was retyped) yields nothing.
pub(crate) type Formulas = HashMap<FieldId, Formula>;

pub(crate) fn compile_all(schema: &Schema) -> Formulas {
    let mut out = HashMap::new();
    for object in &schema.objects {
        for field in &object.fields {
            if let Some(Computed::Formula { formula }) = &field.computed
                && let Ok(compiled) = Formula::from_stored(formula, object, schema)
            {
                out.insert(field.id, compiled);
            }
        }
    }
    out
}

/// The result type a formula's values have, as a field kind.
pub(crate) fn kind_of(result: FormulaType) -> FieldKind {
    match result {
        FormulaType::Number => FieldKind::Number,
        FormulaType::Currency => FieldKind::Currency,
        FormulaType::Percent => FieldKind::Percent,
        FormulaType::Text => FieldKind::Text,
        FormulaType::Bool => FieldKind::Boolean,
        FormulaType::Date => FieldKind::Date,
        FormulaType::Datetime => FieldKind::Datetime,
    }
}

/// A row as a formula reads it.
struct RowEnv<'a> {
    schema: &'a Schema,
    object: &'a ObjectDef,
    row: &'a Row,
    related: &'a dyn Related,
    today: i32,
}

impl FormulaEnv for RowEnv<'_> {
    fn value(&self, field: FieldId) -> Option<Value> {
        let def = self.object.field(field)?;
        field_type::read(def, self.row.get(field)?)
    }

    fn lookup(&self, relation: FieldId, target: FieldId) -> Option<Value> {
        let rel = self.object.field(relation)?;
        let to = self.schema.object(rel.target?)?;
        let first = match field_type::read(rel, self.row.get(relation)?)? {
            Value::Records(ids) => ids.first().copied()?,
            _ => return None,
        };
        let def = to.field(target)?;
        let other = self.related.live_row(to.id, first)?;
        field_type::read(def, other.get(target)?)
    }

    fn today(&self) -> i32 {
        self.today
    }

    /// Midnight of the derivation's day: rows must not depend on the moment they were
    /// derived (a reindex rebuilds the same values).
    fn now(&self) -> i64 {
        crate::time_fmt::midnight_of(self.today)
    }
}

/// The value of a formula on `row` (`None`: empty, or a runtime error, shown empty).
pub(crate) fn evaluate(
    formula: &Formula,
    schema: &Schema,
    object: &ObjectDef,
    row: &Row,
    related: &dyn Related,
    today: i32,
) -> Option<Value> {
    let env = RowEnv {
        schema,
        object,
        row,
        related,
        today,
    };
    formula.eval(&env).ok().flatten()
}

/// The fields of the same record a formula field reads.
pub(crate) fn fields_read(formulas: &Formulas, field: FieldId) -> Vec<FieldId> {
    formulas
        .get(&field)
        .map(|f| f.fields_read().to_vec())
        .unwrap_or_default()
}

/// The (relation, target) pairs a formula field looks up.
pub(crate) fn lookups(formulas: &Formulas, field: FieldId) -> Vec<(FieldId, FieldId)> {
    formulas.get(&field).map(|f| f.lookups().to_vec()).unwrap_or_default()
}

/// Compiles a formula written by a person into a computed definition and result type;
/// errors say where (line and column) and what was expected.
pub(super) fn resolve(
    schema: &Schema,
    object: &ObjectDef,
    key: &str,
    source: &str,
) -> Result<super::computed_fields::Resolved, crate::SchemaError> {
    let compiled = formula::compile(source, object, schema).map_err(|e| crate::SchemaError::InvalidSetting {
        object: object.key.clone(),
        field: key.to_string(),
        reason: format!("formula: {e}"),
    })?;
    Ok(super::computed_fields::Resolved {
        computed: Computed::Formula {
            formula: compiled.stored(),
        },
        kind: kind_of(compiled.result_type()),
        currency: None,
    })
}

/// A stored formula as people write it, with today's keys (the stored form when it no
/// longer compiles).
pub(crate) fn display(schema: &Schema, object: &ObjectDef, stored: &str) -> String {
    match Formula::from_stored(stored, object, schema) {
        Ok(f) => f.display(object, schema),
        Err(_) => stored.to_string(),
    }
}
