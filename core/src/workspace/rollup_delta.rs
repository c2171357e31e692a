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

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::collections::BTreeMap;

    use super::*;
    use crate::schema::{FieldKind, Rollup};
    use crate::{FieldId, Money};

    /// Related rows that count every read (and have none).
    #[derive(Default)]
    struct Counting(Cell<usize>);

    impl Related for Counting {
        fn live_row(&self, _: ObjectId, _: RecordId) -> Option<Row> {
            self.0.set(self.0.get() + 1);
            None
        }
        fn holding(&self, _: FieldId, _: &FieldDef, _: RecordId) -> Vec<RecordId> {
            self.0.set(self.0.get() + 1);
            Vec::new()
        }
    }

    fn row(object: ObjectId, values: Vec<(FieldId, Stored)>) -> Row {
        Row {
            object,
            created_at: 0,
            created_by: "ada".into(),
            updated_at: 0,
            deleted_at: None,
            values: values.into_iter().collect(),
            conflicts: BTreeMap::new(),
        }
    }

    fn rollup_field(key: &str, kind: FieldKind, rollup: Rollup) -> FieldDef {
        let mut field = FieldDef::new(key, key, kind);
        field.currency = "USD".into();
        field.computed = Some(Computed::Rollup(rollup));
        field
    }

    #[test]
    fn a_deal_change_updates_its_companys_sum_and_reads_no_other_row() {
        let mut schema = Schema {
            objects: crate::schema::standard_objects(),
            ..Schema::default()
        };
        let field = |object: &str, key: &str| {
            let o = schema.objects.iter().find(|o| o.key == object).unwrap();
            (o.id, o.find_field(key).unwrap().clone())
        };
        let (deals, amount) = field("deals", "amount");
        let (_, deal_company) = field("deals", "company");
        let (_, person_company) = field("people", "company");
        let total = rollup_field(
            "deal_total",
            FieldKind::Currency,
            Rollup {
                relation: deal_company.id,
                aggregate: Aggregate::Sum,
                target: Some(amount.id),
                filter: None,
            },
        );
        let people = rollup_field(
            "people_count",
            FieldKind::Number,
            Rollup {
                relation: person_company.id,
                aggregate: Aggregate::Count,
                target: None,
                filter: None,
            },
        );
        let companies = schema.objects.iter_mut().find(|o| o.key == "companies").unwrap();
        companies.fields.extend([total.clone(), people.clone()]);
        let companies = companies.clone();

        let acme = RecordId::new();
        let deal = RecordId::new();
        let usd = |text: &str| {
            Value::Currency(Money {
                amount: text.parse().unwrap(),
                code: "USD".into(),
            })
        };
        // The company's sum counts 1,000 deals of 10 USD (its kept state says so).
        let mut acc = rollup_acc::Accumulator::new(Aggregate::Sum);
        for _ in 0..1_000 {
            acc.add(usd("10"));
        }
        let state = acc.state();
        let mut company = row(
            companies.id,
            vec![
                (total.id, Stored::Str("10000 USD".into())),
                (people.id, Stored::F64(1_000.0)),
            ],
        );
        let deal_row = |value: &str| {
            row(
                deals,
                vec![
                    (deal_company.id, Stored::Str(acme.to_string())),
                    (amount.id, Stored::Str(format!("{value} USD"))),
                ],
            )
        };
        let (old, new) = (deal_row("10"), deal_row("12.5"));
        let change = Change {
            object: deals,
            record: deal,
            old: Some(&old),
            new: Some(&new),
        };
        let related = Counting::default();
        let kept = |f: FieldId| if f == total.id { state.clone() } else { None };
        let states = update_rollups(&schema, &companies, acme, &mut company, &change, &related, &kept);

        assert_eq!(company.get(total.id), Some(&Stored::Str("10002.5 USD".into())));
        assert_eq!(
            company.get(people.id),
            Some(&Stored::F64(1_000.0)),
            "the people count is kept"
        );
        assert_eq!(related.0.get(), 0, "no related row was read");
        assert_eq!(states.len(), 1);
    }
}
