//! Checking a write against the schema before anything is written: types, options,
//! relations, `required` and `unique`. Runs inside the write transaction, so what it
//! checks against is what the write will see.

use std::collections::HashSet;

use redb::ReadableTable;

use crate::encoding::{exact_values, filter_value, index_filter_value, prefix_end};
use crate::error::{Result, ValidationError};
use crate::schema::{FieldDef, FieldKind, ObjectDef};
use crate::store::{DerivedTables, index_key_prefix};
use crate::value::Value;
use crate::{RecordId, field_type};

fn fail(
    object: &ObjectDef,
    field: &FieldDef,
    value: Option<&Value>,
    rule: &'static str,
    reason: String,
) -> ValidationError {
    ValidationError {
        object: object.key.clone(),
        field: field.key.clone(),
        value: value.map_or_else(
            || "(empty)".to_string(),
            |v| format!("'{}'", field_type::display(field, v)),
        ),
        rule,
        reason,
    }
}

fn kind_accepts(kind: FieldKind, value: &Value) -> bool {
    use FieldKind as K;
    matches!(
        (kind, value),
        (K::Text | K::LongText | K::Email | K::Phone | K::Url, Value::Text(_))
            | (K::Number | K::Percent | K::Rating, Value::Number(_))
            | (K::Currency, Value::Currency(_))
            | (K::Date, Value::Date(_))
            | (K::Datetime, Value::DateTime(_))
            | (K::Boolean, Value::Bool(_))
            | (K::Select, Value::Option(_))
            | (K::MultiSelect, Value::Options(_))
            | (K::Relation, Value::Records(_))
    )
}

/// Refuses a write to a computed field: its value is derived from others.
pub(super) fn check_writable(object: &ObjectDef, field: &FieldDef, value: Option<&Value>) -> Result<()> {
    match &field.computed {
        Some(computed) => Err(ValidationError {
            rule: "computed",
            ..fail(
                object,
                field,
                value,
                "computed",
                format!(
                    "field '{}' is a {} and cannot be written; change what it is computed from",
                    field.label,
                    computed.type_name()
                ),
            )
        }
        .into()),
        None => Ok(()),
    }
}

/// Checks one value against its field's type, options and relation target.
pub(super) fn check_value(t: &DerivedTables<'_>, object: &ObjectDef, field: &FieldDef, value: &Value) -> Result<()> {
    let fail = |reason: String| fail(object, field, Some(value), "type", reason);
    check_writable(object, field, Some(value))?;
    if field.archived {
        return Err(ValidationError {
            rule: "archived",
            ..fail(format!(
                "field '{}' is archived; restore it to write to it",
                field.label
            ))
        }
        .into());
    }
    if !kind_accepts(field.kind, value) {
        return Err(fail(format!("a {} field cannot hold this value", field.kind)).into());
    }
    match value {
        Value::Number(n) if !n.is_finite() => {
            return Err(fail("numbers must be finite".into()).into());
        }
        Value::Number(n)
            if field.kind == FieldKind::Rating && (n.fract() != 0.0 || *n < 1.0 || *n > field.max_rating as f64) =>
        {
            return Err(fail(format!("ratings go from 1 to {}", field.max_rating)).into());
        }
        Value::Currency(m) if m.code.len() != 3 => {
            return Err(fail("an amount needs a finite number and a 3-letter currency code".into()).into());
        }
        Value::Option(id) => check_option(field, *id).map_err(fail)?,
        Value::Options(ids) => {
            for id in ids {
                check_option(field, *id).map_err(fail)?;
            }
        }
        Value::Records(ids) => {
            if !field.many && ids.len() > 1 {
                return Err(ValidationError {
                    rule: "relation",
                    ..fail("this relation holds one record".into())
                }
                .into());
            }
            for id in ids {
                check_related(t, field, *id).map_err(|reason| ValidationError {
                    rule: "relation",
                    ..fail(reason)
                })?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn check_option(field: &FieldDef, id: crate::OptionId) -> Result<(), String> {
    match field.option(id) {
        None => Err(format!("option {id} does not exist")),
        Some(o) if o.archived => Err(format!("option '{}' is archived", o.label)),
        Some(_) => Ok(()),
    }
}

fn check_related(t: &DerivedTables<'_>, field: &FieldDef, id: RecordId) -> Result<(), String> {
    let lookup = |e: redb::StorageError| e.to_string();
    let Some(object) = t
        .record_objects
        .get(id.as_bytes())
        .map_err(lookup)?
        .map(|g| crate::ObjectId::from_bytes(g.value()))
    else {
        return Err(format!("record {id} does not exist"));
    };
    if let Some(target) = field.target
        && target != object
    {
        return Err(format!("record {id} is not of the related object"));
    }
    let key = crate::store::row_key(object, id);
    if t.rows.get(key.as_slice()).map_err(lookup)?.is_none() {
        return Err(format!("record {id} is in the trash"));
    }
    Ok(())
}

/// The live record other than `record` that holds `value` in a unique field, if any.
pub(super) fn unique_holder(
    t: &DerivedTables<'_>,
    object: &ObjectDef,
    field: &FieldDef,
    value: &Value,
    record: RecordId,
) -> Result<Option<RecordId>> {
    if !field.unique || field.is_list() {
        return Ok(None);
    }
    let encoded = filter_value(field, value);
    let (key, was_cut) = index_filter_value(field, value);
    let mut prefix = index_key_prefix(field.id);
    prefix.extend_from_slice(&key);
    let end = prefix_end(&prefix).unwrap_or_default();
    for entry in t
        .index
        .range(prefix.as_slice()..end.as_slice())
        .map_err(crate::error::StoreError::from)?
    {
        let (key, _) = entry.map_err(crate::error::StoreError::from)?;
        let Some(other) = RecordId::from_slice(&key.value()[key.value().len() - 16..]) else {
            continue;
        };
        if other == record {
            continue;
        }
        // A cut key is shared by every long value that starts the same: compare rows.
        let same = !was_cut
            || t.current_row(object.id, other)?
                .is_some_and(|row| exact_values(field, row.get(field.id)).contains(&encoded));
        if same {
            return Ok(Some(other));
        }
    }
    Ok(None)
}

/// Checks that `value` is not already used by another live record (unique fields).
/// `batch` holds values claimed earlier in the same import.
pub(super) fn check_unique(
    t: &DerivedTables<'_>,
    object: &ObjectDef,
    field: &FieldDef,
    value: &Value,
    record: RecordId,
    batch: Option<&mut HashSet<(crate::FieldId, Vec<u8>)>>,
) -> Result<()> {
    if !field.unique || field.is_list() {
        return Ok(());
    }
    if let Some(other) = unique_holder(t, object, field, value, record)? {
        return Err(fail(
            object,
            field,
            Some(value),
            "unique",
            format!("already used by record {other}"),
        )
        .into());
    }
    if let Some(batch) = batch
        && !batch.insert((field.id, filter_value(field, value)))
    {
        return Err(fail(object, field, Some(value), "unique", "used twice in this import".into()).into());
    }
    Ok(())
}

/// A required field given no value.
pub(super) fn required_missing(object: &ObjectDef, field: &FieldDef) -> ValidationError {
    fail(
        object,
        field,
        None,
        "required",
        format!("'{}' needs a value", field.label),
    )
}
