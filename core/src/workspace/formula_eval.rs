//! Formula fields on rows: compiling a stored formula (`crate::formula`) and evaluating
//! it against a row, with lookups through related rows.

use super::computed::Related;
use crate::FieldId;
use crate::record::Row;
use crate::schema::{ObjectDef, Schema};
use crate::value::Value;

/// The value of a stored formula on `row` (`None`: empty, or a runtime error).
pub(crate) fn evaluate(
    _schema: &Schema,
    _object: &ObjectDef,
    _row: &Row,
    _stored: &str,
    _related: &dyn Related,
    _today: i32,
) -> Option<Value> {
    None
}

/// The fields of the same record a stored formula reads.
pub(crate) fn fields_in_stored(_schema: &Schema, _object: &ObjectDef, _stored: &str) -> Vec<FieldId> {
    Vec::new()
}

/// The (relation, target) pairs a stored formula looks up.
pub(crate) fn lookups_in_stored(_schema: &Schema, _object: &ObjectDef, _stored: &str) -> Vec<(FieldId, FieldId)> {
    Vec::new()
}

/// Compiles a formula written by a person into a computed definition, its result type.
pub(super) fn resolve(
    _schema: &Schema,
    object: &ObjectDef,
    key: &str,
    _source: &str,
) -> Result<super::computed_fields::Resolved, crate::SchemaError> {
    Err(crate::SchemaError::InvalidSetting {
        object: object.key.clone(),
        field: key.to_string(),
        reason: "formulas are not available in this build".into(),
    })
}

/// A stored formula as people write it, with today's keys.
pub(crate) fn display(_schema: &Schema, _object: &ObjectDef, stored: &str) -> String {
    stored.to_string()
}
