//! Updating a record's rollups when one related record changed, by that record's part
//! before and after (`rollup_acc::update`), instead of reading every related record
//! again. Only the rollups that read the changed record through their relation are
//! touched; one that cannot be updated exactly is rescanned on its own.

use super::computed::{Related, RollupStates, Side, fit, rollup, rollup_filter, side};
use super::rollup_acc::{self, Contribution, Delta, SumState};
use crate::field_type;
use crate::query::{Filter, eval};
use crate::record::Row;
use crate::schema::{Aggregate, Computed, FieldDef, ObjectDef, Schema};
use crate::value::{Stored, Value};
use crate::{ObjectId, RecordId};

/// The record that changed: its object, id, and row before and after.
pub(crate) struct Change<'a> {
    pub(crate) object: ObjectId,
    pub(crate) record: RecordId,
    pub(crate) old: Option<&'a Row>,
    pub(crate) new: Option<&'a Row>,
}

/// Updates in `row` (of `dependent`, a record of `object`) the rollups that read
/// `change`'s record; `kept` reads a rollup's kept state. Returns the states to keep.
pub(crate) fn update_rollups(
    schema: &Schema,
    object: &ObjectDef,
    dependent: RecordId,
    row: &mut Row,
    change: &Change<'_>,
    related: &dyn Related,
    kept: &dyn Fn(crate::FieldId) -> Option<SumState>,
) -> RollupStates {
    let mut states = Vec::new();
    let Some(changed_object) = schema.object(change.object) else {
        return states;
    };
    for field in object.fields.iter().filter(|f| !f.archived) {
        let Some(Computed::Rollup(r)) = &field.computed else {
            continue;
        };
        // How many times the rollup counts the changed record (0: it does not read it).
        let (was, is) = match side(schema, object, r.relation) {
            Some(Side::Forward { relation, target }) if target.id == change.object => {
                let times = match row.get(relation.id).and_then(|s| field_type::read(relation, s)) {
                    Some(Value::Records(ids)) => ids.iter().filter(|id| **id == change.record).count() as u64,
                    _ => 0,
                };
                (times, times)
            }
            Some(Side::Reverse { relation, source }) if source.id == change.object => {
                let holds = |row: Option<&Row>| match row.and_then(|r| r.get(relation.id)) {
                    Some(s) => {
                        matches!(field_type::read(relation, s), Some(Value::Records(ids)) if ids.contains(&dependent))
                    }
                    None => false,
                };
                (u64::from(holds(change.old)), u64::from(holds(change.new)))
            }
            _ => continue,
        };
        if was == 0 && is == 0 {
            continue;
        }
        let Some(filter) = rollup_filter(schema, change.object, &r.filter) else {
            continue;
        };
        let target = match r.target {
            Some(t) => match changed_object.field(t) {
                Some(def) => Some(def),
                None => continue,
            },
            None => None,
        };
        let part = |row: Option<&Row>| contribution(changed_object, filter.as_ref(), target, row);
        let old = if was > 0 { part(change.old) } else { None };
        let new = if is > 0 { part(change.new) } else { None };
        let current = row.get(field.id).and_then(|s| field_type::read(field, s));
        let state = match r.aggregate {
            Aggregate::Sum | Aggregate::Avg => {
                kept(field.id).filter(|s| gives(field, r.aggregate, s, row.get(field.id)))
            }
            _ => None,
        };
        let delta = rollup_acc::update(r.aggregate, current.as_ref(), state, &old, &new, was.max(is));
        let (value, state) = match delta {
            Delta::Unchanged => continue,
            Delta::Value(value, state) => (value, state),
            Delta::Rescan => rollup(schema, object, dependent, row, r, related),
        };
        row.values.remove(&field.id);
        row.conflicts.remove(&field.id);
        if let Some(value) = value.and_then(|v| fit(field, v)) {
            row.values.insert(field.id, field_type::to_stored(field, &value));
        }
        if matches!(r.aggregate, Aggregate::Sum | Aggregate::Avg) {
            states.push((field.id, state));
        }
    }
    states
}

/// Whether a kept state gives the value the row has (a state left behind by some path
/// that did not keep it is not trusted: the rollup is rescanned).
fn gives(field: &FieldDef, aggregate: Aggregate, state: &SumState, stored: Option<&Stored>) -> bool {
    let value = state.result(aggregate).and_then(|v| fit(field, v));
    value.map(|v| field_type::to_stored(field, &v)).as_ref() == stored
}

/// A related record's part in a rollup: counted when live and passing the filter, with
/// its value of the aggregated field.
fn contribution(
    object: &ObjectDef,
    filter: Option<&Filter>,
    target: Option<&FieldDef>,
    row: Option<&Row>,
) -> Contribution {
    let row = row?;
    if row.deleted_at.is_some() || row.object != object.id {
        return None;
    }
    if filter.is_some_and(|f| !eval::matches(object, row, f)) {
        return None;
    }
    Some(target.and_then(|t| row.get(t.id).and_then(|s| field_type::read(t, s))))
}
