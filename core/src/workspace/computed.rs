//! Computed fields: evaluating formulas, lookups and rollups on one row, finding the
//! records whose computed values read a record, and refusing cycles. Pure functions of
//! the schema, the row and read access to other rows ([`Related`]); writing is
//! `derive.rs`'s job.

use std::collections::{BTreeMap, BTreeSet};

use super::formula_eval::{self, Formulas};
use super::rollup_acc::{Accumulator, SumState};
use crate::field_type;
use crate::money::Money;
use crate::query::{Filter, eval};
use crate::record::Row;
use crate::schema::{Aggregate, Computed, FieldDef, FieldKind, ObjectDef, Rollup, Schema};
use crate::value::Value;
use crate::{FieldId, ObjectId, RecordId};

/// Read access to other rows while computing one.
pub(crate) trait Related {
    /// A live row (trashed records are not related to anything).
    fn live_row(&self, object: ObjectId, record: RecordId) -> Option<Row>;
    /// The live records whose relation field `relation` (defined by `def`) holds `record`
    /// (answered by the index).
    fn holding(&self, relation: FieldId, def: &FieldDef, record: RecordId) -> Vec<RecordId>;
    /// Whether these are every related row (not so while a bulk path derives rows
    /// before the batch is written: its rollups are computed again afterwards).
    fn complete(&self) -> bool {
        true
    }
}

/// The object a field belongs to (field ids are unique across objects).
pub(crate) fn owner_of(schema: &Schema, field: FieldId) -> Option<(&ObjectDef, &FieldDef)> {
    schema.objects.iter().find_map(|o| o.field(field).map(|f| (o, f)))
}

/// The records a rollup aggregates over, and their object, seen from `object`: the
/// records its relation field holds, or the records of another object whose relation
/// field holds this one.
pub(crate) enum Side<'s> {
    /// A relation field of this object, to `target`.
    Forward {
        relation: &'s FieldDef,
        target: &'s ObjectDef,
    },
    /// A relation field of `source` pointing here.
    Reverse {
        relation: &'s FieldDef,
        source: &'s ObjectDef,
    },
}

pub(crate) fn side<'s>(schema: &'s Schema, object: &ObjectDef, relation: FieldId) -> Option<Side<'s>> {
    let (owner, def) = owner_of(schema, relation)?;
    if def.kind != FieldKind::Relation {
        return None;
    }
    if owner.id == object.id {
        let target = schema.object(def.target?)?;
        Some(Side::Forward { relation: def, target })
    } else {
        Some(Side::Reverse {
            relation: def,
            source: owner,
        })
    }
}

/// Whether [`compute_row`] computes the rollups too, or keeps the ones the row has (they
/// were just updated by one related record's change: see `rollup_delta.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rollups {
    Compute,
    Keep,
}

/// The states rollups keep (sums and averages), by field: `None` removes a kept one.
pub(crate) type RollupStates = Vec<(FieldId, Option<SumState>)>;

/// Replaces a row's computed values: each computed field of its object, in dependency
/// order (a formula may read a lookup of the same record). Values that do not compute
/// (runtime errors, missing related records) are left empty. Returns the states of the
/// rollups it computed.
#[allow(clippy::too_many_arguments)]
pub(crate) fn compute_row(
    schema: &Schema,
    formulas: &Formulas,
    object: &ObjectDef,
    record: RecordId,
    row: &mut Row,
    related: &dyn Related,
    today: i32,
    rollups: Rollups,
) -> RollupStates {
    let mut states = Vec::new();
    let is_kept = |f: &FieldDef| rollups == Rollups::Keep && matches!(f.computed, Some(Computed::Rollup(_)));
    let fields: Vec<&FieldDef> = object
        .fields
        .iter()
        .filter(|f| f.computed.is_some() && !is_kept(f))
        .collect();
    if fields.is_empty() {
        return states;
    }
    for field in &fields {
        row.values.remove(&field.id);
        row.conflicts.remove(&field.id);
    }
    for field in in_dependency_order(formulas, &fields) {
        if field.archived {
            if matches!(field.computed, Some(Computed::Rollup(_))) {
                states.push((field.id, None));
            }
            continue;
        }
        let value = match &field.computed {
            Some(Computed::Lookup { relation, target }) => lookup(schema, object, row, *relation, *target, related),
            Some(Computed::Rollup(r)) => {
                let (value, state) = rollup(schema, object, record, row, r, related);
                states.push((field.id, state));
                value
            }
            Some(Computed::Formula { .. }) => formulas
                .get(&field.id)
                .and_then(|f| formula_eval::evaluate(f, schema, object, row, related, today)),
            None => None,
        };
        if let Some(value) = value.and_then(|v| fit(field, v)) {
            row.values.insert(field.id, field_type::to_stored(field, &value));
        }
    }
    states
}

/// Fields ordered so that each comes after the computed fields of its record it reads.
fn in_dependency_order<'f>(formulas: &Formulas, fields: &[&'f FieldDef]) -> Vec<&'f FieldDef> {
    let ids: BTreeSet<FieldId> = fields.iter().map(|f| f.id).collect();
    let mut done: BTreeSet<FieldId> = BTreeSet::new();
    let mut out = Vec::with_capacity(fields.len());
    // Cycles are refused when saved; a merged one still ends (leftovers go last).
    for _ in 0..=fields.len() {
        for f in fields {
            if done.contains(&f.id) {
                continue;
            }
            let ready = same_record_reads(formulas, f)
                .iter()
                .all(|r| !ids.contains(r) || done.contains(r) || *r == f.id);
            if ready {
                done.insert(f.id);
                out.push(*f);
            }
        }
    }
    for f in fields {
        if !done.contains(&f.id) {
            out.push(*f);
        }
    }
    out
}

/// The fields of the same record a computed field reads.
fn same_record_reads(formulas: &Formulas, field: &FieldDef) -> Vec<FieldId> {
    match &field.computed {
        Some(Computed::Lookup { relation, .. }) => vec![*relation],
        Some(Computed::Rollup(r)) => vec![r.relation],
        Some(Computed::Formula { .. }) => formula_eval::fields_read(formulas, field.id),
        None => Vec::new(),
    }
}

/// A computed value in the form its field (of its result type) stores.
pub(crate) fn fit(field: &FieldDef, value: Value) -> Option<Value> {
    use FieldKind as K;
    Some(match (field.kind, value) {
        (K::Currency, Value::Currency(m)) => Value::Currency(m),
        (K::Currency, Value::Number(n)) => Value::Currency(Money {
            amount: crate::money::decimal_from_f64(n)?,
            code: field.currency.clone(),
        }),
        (K::Number | K::Percent | K::Rating, Value::Number(n)) if n.is_finite() => Value::Number(n),
        (K::Number | K::Percent, Value::Currency(m)) => {
            Value::Number(rust_decimal::prelude::ToPrimitive::to_f64(&m.amount)?)
        }
        (K::Date, Value::Date(d)) => Value::Date(d),
        (K::Date, Value::DateTime(ms)) => Value::Date(crate::time_fmt::date_of(ms)),
        (K::Datetime, Value::DateTime(ms)) => Value::DateTime(ms),
        (K::Datetime, Value::Date(d)) => Value::DateTime(crate::time_fmt::midnight_of(d)),
        (K::Boolean, Value::Bool(b)) => Value::Bool(b),
        (K::Text | K::LongText | K::Email | K::Phone | K::Url, Value::Text(s)) => Value::Text(s),
        (K::Text, other) => Value::Text(field_type::display(field, &other)),
        _ => return None,
    })
}

/// The value of `target` on the (first) record `relation` holds, as the target shows it
/// when it is a select or relation (their ids mean nothing elsewhere).
fn lookup(
    schema: &Schema,
    object: &ObjectDef,
    row: &Row,
    relation: FieldId,
    target: FieldId,
    related: &dyn Related,
) -> Option<Value> {
    let Some(Side::Forward { relation, target: to }) = side(schema, object, relation) else {
        return None;
    };
    let first = match field_type::read(relation, row.get(relation.id)?)? {
        Value::Records(ids) => ids.first().copied()?,
        _ => return None,
    };
    let target_def = to.field(target)?;
    let other = related.live_row(to.id, first)?;
    lookup_value(target_def, &other)
}

/// A field's value on a related row, as a lookup yields it.
pub(crate) fn lookup_value(target: &FieldDef, other: &Row) -> Option<Value> {
    let value = field_type::read(target, other.get(target.id)?)?;
    Some(match value {
        Value::Option(_) | Value::Options(_) | Value::Records(_) => Value::Text(field_type::display(target, &value)),
        other => other,
    })
}

/// The result type a lookup of `target` has.
pub(crate) fn lookup_kind(target: &FieldDef) -> FieldKind {
    match target.kind {
        FieldKind::Select | FieldKind::MultiSelect | FieldKind::Relation | FieldKind::LongText => FieldKind::Text,
        other => other,
    }
}

/// The result type of a rollup of `target` (none for a count).
pub(crate) fn rollup_kind(aggregate: Aggregate, target: Option<&FieldDef>) -> Result<FieldKind, String> {
    use FieldKind as K;
    match (aggregate, target.map(|t| t.kind)) {
        (Aggregate::Count, _) => Ok(K::Number),
        (_, None) => Err(format!("'{}' needs a field to aggregate", aggregate.as_str())),
        (Aggregate::Sum | Aggregate::Avg, Some(k @ (K::Number | K::Currency | K::Percent))) => Ok(k),
        (Aggregate::Sum | Aggregate::Avg, Some(K::Rating)) => Ok(K::Number),
        (Aggregate::Min | Aggregate::Max, Some(k @ (K::Number | K::Currency | K::Percent | K::Date | K::Datetime))) => {
            Ok(k)
        }
        (Aggregate::Min | Aggregate::Max, Some(K::Rating)) => Ok(K::Number),
        (a, Some(k)) => Err(format!("cannot {} a {k} field", a.as_str())),
    }
}

/// The related records of a rollup, with their object.
fn rollup_records(
    schema: &Schema,
    object: &ObjectDef,
    record: RecordId,
    row: &Row,
    relation: FieldId,
    related: &dyn Related,
) -> Option<(ObjectId, Vec<RecordId>)> {
    match side(schema, object, relation)? {
        Side::Forward { relation, target } => {
            let ids = match row.get(relation.id).and_then(|s| field_type::read(relation, s)) {
                Some(Value::Records(ids)) => ids,
                _ => Vec::new(),
            };
            Some((target.id, ids))
        }
        Side::Reverse { relation, source } => Some((source.id, related.holding(relation.id, relation, record))),
    }
}

/// The filter of a rollup, resolved on the related object (`None`: no filter; a filter
/// that no longer resolves, say a field was archived, selects nothing).
pub(crate) fn rollup_filter(schema: &Schema, related: ObjectId, filter: &Option<String>) -> Option<Option<Filter>> {
    let Some(text) = filter else { return Some(None) };
    let ast = crate::query::parse_filter(text).ok()?;
    let by_id = |_: Option<ObjectId>, name: &str| name.parse::<RecordId>().map_err(|e| e.to_string());
    crate::query::resolve_filter_in(schema, related, &ast, &by_id)
        .ok()
        .map(Some)
}

/// A rollup computed from every related record: its value and, for sums and averages
/// that can be updated exactly, the state kept for that.
pub(crate) fn rollup(
    schema: &Schema,
    object: &ObjectDef,
    record: RecordId,
    row: &Row,
    r: &Rollup,
    related: &dyn Related,
) -> (Option<Value>, Option<SumState>) {
    let Some((other, ids)) = rollup_records(schema, object, record, row, r.relation, related) else {
        return (None, None);
    };
    let Some(other_def) = schema.object(other) else {
        return (None, None);
    };
    let Some(filter) = rollup_filter(schema, other, &r.filter) else {
        return (None, None);
    };
    let target = match r.target {
        Some(t) => match other_def.field(t) {
            Some(def) => Some(def),
            None => return (None, None),
        },
        None => None,
    };
    let mut acc = Accumulator::new(r.aggregate);
    for id in ids {
        let Some(other_row) = related.live_row(other, id) else {
            continue;
        };
        if filter
            .as_ref()
            .is_some_and(|f| !eval::matches(other_def, &other_row, f))
        {
            continue;
        }
        acc.count += 1;
        if let Some(v) = target.and_then(|t| other_row.get(t.id).and_then(|s| field_type::read(t, s))) {
            acc.add(v);
        }
    }
    let state = acc.state();
    (acc.result(), state)
}

/// Relation fields through which computed values of `object`'s records read other
/// records: (relation field, whether it is on `object` (forward) or points at it).
fn reads_through(schema: &Schema, formulas: &Formulas, object: &ObjectDef) -> Vec<(FieldId, bool)> {
    let mut out = Vec::new();
    for field in object.fields.iter().filter(|f| !f.archived) {
        match &field.computed {
            Some(Computed::Lookup { relation, .. }) => out.push((*relation, true)),
            Some(Computed::Rollup(r)) => match side(schema, object, r.relation) {
                Some(Side::Forward { .. }) => out.push((r.relation, true)),
                Some(Side::Reverse { .. }) => out.push((r.relation, false)),
                None => {}
            },
            Some(Computed::Formula { .. }) => {
                for (relation, _) in formula_eval::lookups(formulas, field.id) {
                    out.push((relation, true));
                }
            }
            None => {}
        }
    }
    out
}

/// The records whose computed values read `record` of `object` (which changed from `old`
/// to `new`).
pub(crate) fn dependents(
    schema: &Schema,
    formulas: &Formulas,
    object: ObjectId,
    record: RecordId,
    old: Option<&Row>,
    new: Option<&Row>,
    related: &dyn Related,
) -> BTreeSet<(ObjectId, RecordId)> {
    let mut out = BTreeSet::new();
    for reader in &schema.objects {
        for (relation, forward) in reads_through(schema, formulas, reader) {
            let Some((owner, def)) = owner_of(schema, relation) else {
                continue;
            };
            if forward {
                // Records of `reader` whose relation holds the changed record.
                if def.target.is_some_and(|t| t != object) {
                    continue;
                }
                for id in related.holding(relation, def, record) {
                    out.insert((reader.id, id));
                }
            } else if owner.id == object {
                // The changed record holds records of `reader` (now or before).
                for row in [old, new].into_iter().flatten() {
                    if let Some(Value::Records(ids)) = row.get(relation).and_then(|s| field_type::read(def, s)) {
                        out.extend(ids.into_iter().map(|id| (reader.id, id)));
                    }
                }
            }
        }
    }
    out
}

/// `objects`, and every object whose computed values read records of one of them,
/// transitively, in an order where readers come after what they read (when possible).
pub(crate) fn objects_reading(schema: &Schema, formulas: &Formulas, objects: &BTreeSet<ObjectId>) -> Vec<ObjectId> {
    let mut out: Vec<ObjectId> = objects.iter().copied().collect();
    let mut i = 0;
    while i < out.len() {
        let read = out[i];
        for reader in &schema.objects {
            if out.contains(&reader.id) {
                continue;
            }
            let reads = reads_through(schema, formulas, reader)
                .into_iter()
                .any(|(relation, forward)| {
                    owner_of(schema, relation).is_some_and(|(owner, def)| {
                        if forward {
                            def.target == Some(read)
                        } else {
                            owner.id == read
                        }
                    })
                });
            if reads {
                out.push(reader.id);
            }
        }
        i += 1;
    }
    out
}

/// A cycle among computed fields, named by their keys (`companies.total -> deals.share
/// -> companies.total`), if the schema has one.
pub(crate) fn find_cycle(schema: &Schema, formulas: &Formulas) -> Option<String> {
    // Edges: computed field -> computed fields it reads (same record or related).
    let mut edges: BTreeMap<FieldId, Vec<FieldId>> = BTreeMap::new();
    for object in &schema.objects {
        for field in object.fields.iter().filter(|f| !f.archived) {
            let reads: Vec<FieldId> = match &field.computed {
                Some(Computed::Lookup { relation, target }) => vec![*relation, *target],
                Some(Computed::Rollup(r)) => [Some(r.relation), r.target].into_iter().flatten().collect(),
                Some(Computed::Formula { .. }) => {
                    let mut reads = formula_eval::fields_read(formulas, field.id);
                    for (relation, target) in formula_eval::lookups(formulas, field.id) {
                        reads.extend([relation, target]);
                    }
                    reads
                }
                None => continue,
            };
            edges.insert(field.id, reads);
        }
    }
    let name = |id: FieldId| match owner_of(schema, id) {
        Some((o, f)) => format!("{}.{}", o.key, f.key),
        None => id.to_string(),
    };
    // Depth-first search with the current path.
    fn visit(
        node: FieldId,
        edges: &BTreeMap<FieldId, Vec<FieldId>>,
        path: &mut Vec<FieldId>,
        done: &mut BTreeSet<FieldId>,
    ) -> Option<Vec<FieldId>> {
        if let Some(at) = path.iter().position(|n| *n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node);
            return Some(cycle);
        }
        if done.contains(&node) {
            return None;
        }
        path.push(node);
        for next in edges.get(&node).into_iter().flatten() {
            if edges.contains_key(next)
                && let Some(c) = visit(*next, edges, path, done)
            {
                return Some(c);
            }
        }
        path.pop();
        done.insert(node);
        None
    }
    let mut done = BTreeSet::new();
    for start in edges.keys() {
        if let Some(cycle) = visit(*start, &edges, &mut Vec::new(), &mut done) {
            return Some(cycle.into_iter().map(name).collect::<Vec<_>>().join(" -> "));
        }
    }
    None
}
