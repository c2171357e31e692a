//! The one place a record document becomes its row: its stored values read from the
//! document, then its computed values (formulas, lookups, rollups) derived from them and
//! from related rows. Every write path (local writes, revert, remote apply, bulk apply,
//! known-document merge, reindex, import) goes through [`row_of_doc`]; the index and
//! search keys of the row come from `store::derived_keys`.
//!
//! Computed values are never written into record documents: every replica derives them,
//! so two devices converge by recomputing. When a record changes, the records whose
//! lookups and rollups read it are recomputed ([`recompute_dependents`]); when a
//! definition changes, its object's rows are recomputed in batches
//! ([`recompute_objects`]).

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Mutex;

use automerge::Automerge;
use redb::ReadableTable;

use super::computed::{self, Related, Rollups};
use super::formula_eval::Formulas;
use super::rollup_acc::SumState;
use super::rollup_delta::{Change, update_rollups};
use crate::error::StoreError;
use crate::record::{self, Row};
use crate::schema::{ObjectDef, Schema};
use crate::store::{self, DerivedTables, KeyDiff, decode_row, index_key_prefix, row_key};
use crate::value::Value;
use crate::{ObjectId, RecordId};

/// Rows recomputed per batch when a whole object is recomputed (bounded memory).
const RECOMPUTE_BATCH: usize = 2_000;

/// What derivation needs besides the document: the schema and today's date (for
/// `today()` formulas; injected so every caller and test is deterministic).
pub(crate) struct Deriver<'s> {
    pub(crate) schema: &'s Schema,
    pub(crate) today: i32,
    /// Every formula field's formula, compiled once per derivation.
    pub(crate) formulas: Formulas,
    has_computed: bool,
    /// Rollup states computed with rows, written with them ([`Deriver::keep_states`]);
    /// a mutex because bulk paths share the deriver between threads (they never add here).
    states: Mutex<Vec<(RecordId, crate::FieldId, Option<SumState>)>>,
}

impl<'s> Deriver<'s> {
    pub(crate) fn new(schema: &'s Schema, now_ms: i64) -> Self {
        Deriver {
            schema,
            today: crate::time_fmt::date_of(now_ms),
            formulas: super::formula_eval::compile_all(schema),
            has_computed: schema
                .objects
                .iter()
                .any(|o| o.fields.iter().any(|f| f.computed.is_some())),
            states: Mutex::new(Vec::new()),
        }
    }

    /// The row of a record document: stored values, then computed ones, reading related
    /// rows through `related` (bulk paths pass [`NoRelated`] and recompute afterwards).
    pub(crate) fn row_of_doc(&self, doc: &Automerge, record: RecordId, related: &dyn Related) -> Option<Row> {
        let mut row = record::read_row(doc)?;
        self.compute(record, &mut row, related);
        Some(row)
    }

    /// Replaces the computed values of a row (stored values are left alone). The states
    /// of its rollups are kept for [`Deriver::keep_states`] (when related rows were at
    /// hand and the record is live).
    pub(crate) fn compute(&self, record: RecordId, row: &mut Row, related: &dyn Related) {
        self.compute_with(record, row, related, Rollups::Compute);
    }

    fn compute_with(&self, record: RecordId, row: &mut Row, related: &dyn Related, rollups: Rollups) {
        let Some(object) = self.schema.object(row.object) else {
            return;
        };
        let states = computed::compute_row(
            self.schema,
            &self.formulas,
            object,
            record,
            row,
            related,
            self.today,
            rollups,
        );
        if related.complete() && row.deleted_at.is_none() {
            self.note_states(record, states);
        }
    }

    fn note_states(&self, record: RecordId, states: computed::RollupStates) {
        if !states.is_empty() {
            let mut pending = self.states.lock().unwrap_or_else(|e| e.into_inner());
            pending.extend(states.into_iter().map(|(field, state)| (record, field, state)));
        }
    }

    /// Writes the rollup states computed since the last call (every path that computes
    /// rows with related rows at hand ends in a call: `recompute_dependents`,
    /// `recompute_objects`).
    pub(crate) fn keep_states(&self, derived: &mut DerivedTables<'_>) -> Result<(), StoreError> {
        let pending = std::mem::take(&mut *self.states.lock().unwrap_or_else(|e| e.into_inner()));
        for (record, field, state) in pending {
            let key = state_key(record, field);
            match state {
                Some(state) => {
                    derived
                        .rollup_states
                        .insert(key.as_slice(), state.encode().as_slice())?;
                }
                None => {
                    derived.rollup_states.remove(key.as_slice())?;
                }
            }
        }
        Ok(())
    }

    /// Whether any object has computed fields at all (most workspaces: none, and the
    /// bulk paths then skip every extra step).
    pub(crate) fn has_computed(&self) -> bool {
        self.has_computed
    }
}

fn state_key(record: RecordId, field: crate::FieldId) -> [u8; 32] {
    let mut key = [0u8; 32];
    key[..16].copy_from_slice(record.as_bytes());
    key[16..].copy_from_slice(field.as_bytes());
    key
}

/// The rollup state kept for a record's field, if any.
fn kept_state(derived: &DerivedTables<'_>, record: RecordId, field: crate::FieldId) -> Option<SumState> {
    let bytes = derived.rollup_states.get(state_key(record, field).as_slice()).ok()??;
    SumState::decode(bytes.value())
}

/// Related rows are not available (parallel bulk derivation): lookups and rollups come
/// out empty, and the caller recomputes them once the batch is written.
pub(crate) struct NoRelated;

impl Related for NoRelated {
    fn live_row(&self, _: ObjectId, _: RecordId) -> Option<Row> {
        None
    }
    fn holding(&self, _: crate::FieldId, _: &crate::schema::FieldDef, _: RecordId) -> Vec<RecordId> {
        Vec::new()
    }
    fn complete(&self) -> bool {
        false
    }
}

/// Related rows read from the derived tables of the write transaction.
pub(crate) struct TablesRelated<'a, 't>(pub(crate) &'a DerivedTables<'t>);

impl Related for TablesRelated<'_, '_> {
    fn live_row(&self, object: ObjectId, record: RecordId) -> Option<Row> {
        let bytes = self.0.rows.get(row_key(object, record).as_slice()).ok()??;
        decode_row(bytes.value()).ok()
    }

    fn holding(&self, relation: crate::FieldId, def: &crate::schema::FieldDef, record: RecordId) -> Vec<RecordId> {
        let mut start = index_key_prefix(relation);
        start.extend_from_slice(&crate::encoding::filter_value(def, &Value::Records(vec![record])));
        let Some(end) = crate::encoding::prefix_end(&start) else {
            return Vec::new();
        };
        let Ok(range) = self.0.index.range(start.as_slice()..end.as_slice()) else {
            return Vec::new();
        };
        range
            .filter_map(|entry| {
                let (key, _) = entry.ok()?;
                let key = key.value();
                RecordId::from_slice(&key[key.len().checked_sub(16)?..])
            })
            .collect()
    }
}

/// Derives a record's row from its document and writes it with its keys, then
/// recomputes the records whose lookups and rollups read it. Returns the row.
pub(crate) fn write_record(
    d: &Deriver<'_>,
    derived: &mut DerivedTables<'_>,
    object: &ObjectDef,
    record: RecordId,
    old: Option<&Row>,
    doc: &Automerge,
) -> Result<Option<Row>, StoreError> {
    let Some(row) = d.row_of_doc(doc, record, &TablesRelated(derived)) else {
        return Ok(None);
    };
    store::write_row(derived, object, record, old, &row)?;
    recompute_dependents(d, derived, object.id, record, old, Some(&row))?;
    Ok(Some(row))
}

/// Updates, transitively, the records whose computed values read `record` (its old
/// and new row: a relation it left must drop it too). Their rollups that read it through
/// its relations are updated by its part before and after (`rollup_delta.rs`), the others
/// kept; their lookups and formulas are recomputed. Cycles are refused when fields are
/// saved; a record is still visited at most a few times for each record that changed,
/// so a cycle that arrived by merging two devices' schemas ends.
pub(crate) fn recompute_dependents(
    d: &Deriver<'_>,
    derived: &mut DerivedTables<'_>,
    object: ObjectId,
    record: RecordId,
    old: Option<&Row>,
    new: Option<&Row>,
) -> Result<(), StoreError> {
    if !d.has_computed() {
        return Ok(());
    }
    d.keep_states(derived)?;
    // Visits of a record per record that changed: a record reading several records that
    // change (a company's count of people whose own rollups changed) takes each change.
    let mut visits: BTreeMap<(RecordId, RecordId), u8> = BTreeMap::new();
    let mut work: Vec<(ObjectId, RecordId, Option<Row>, Option<Row>)> =
        vec![(object, record, old.cloned(), new.cloned())];
    while let Some((object, record, old, new)) = work.pop() {
        let dependents = computed::dependents(
            d.schema,
            &d.formulas,
            object,
            record,
            old.as_ref(),
            new.as_ref(),
            &TablesRelated(derived),
        );
        for (dep_object, dep_record) in dependents {
            let visited = visits.entry((dep_record, record)).or_default();
            if *visited >= 4 {
                continue;
            }
            *visited += 1;
            let Some(def) = d.schema.object(dep_object) else {
                continue;
            };
            let Some(before) = TablesRelated(derived).live_row(dep_object, dep_record) else {
                continue;
            };
            let mut after = before.clone();
            if (dep_object, dep_record) == (object, record) {
                // A record reading itself was computed whole with its own new row.
                d.compute(dep_record, &mut after, &TablesRelated(derived));
            } else {
                let change = Change {
                    object,
                    record,
                    old: old.as_ref(),
                    new: new.as_ref(),
                };
                let related = TablesRelated(derived);
                let kept = |field| kept_state(derived, dep_record, field);
                let states = update_rollups(d.schema, def, dep_record, &mut after, &change, &related, &kept);
                d.note_states(dep_record, states);
                d.compute_with(dep_record, &mut after, &related, Rollups::Keep);
            }
            d.keep_states(derived)?;
            if after != before {
                store::write_row(derived, def, dep_record, Some(&before), &after)?;
                work.push((dep_object, dep_record, Some(before), Some(after)));
            }
        }
    }
    Ok(())
}

/// Recomputes every live row of `objects` and of the objects whose lookups and rollups
/// read them, in batches (bounded memory): after a definition changed, and after bulk
/// loads that derived rows without related ones. Passes repeat while values change (a
/// lookup of a rollup of another object needs that rollup first), at most a few times.
pub(crate) fn recompute_objects(
    d: &Deriver<'_>,
    derived: &mut DerivedTables<'_>,
    objects: &BTreeSet<ObjectId>,
) -> Result<(), StoreError> {
    if !d.has_computed() || objects.is_empty() {
        return Ok(());
    }
    let affected = computed::objects_reading(d.schema, &d.formulas, objects);
    let max_passes = affected.len() + 1;
    for _ in 0..max_passes {
        let mut changed = false;
        for object in &affected {
            if let Some(def) = d.schema.object(*object) {
                changed |= recompute_object(d, derived, def)?;
            }
        }
        if !changed {
            break;
        }
    }
    Ok(())
}

/// Recomputes one object's rows in batches; whether any changed.
fn recompute_object(d: &Deriver<'_>, derived: &mut DerivedTables<'_>, object: &ObjectDef) -> Result<bool, StoreError> {
    if !object.fields.iter().any(|f| f.computed.is_some()) {
        return Ok(false);
    }
    let prefix = store::object_prefix(object.id);
    let mut from = prefix.to_vec();
    let mut changed = false;
    loop {
        let mut batch: Vec<(RecordId, Row)> = Vec::with_capacity(RECOMPUTE_BATCH);
        for entry in derived.rows.range(from.as_slice()..)? {
            let (key, value) = entry?;
            if !key.value().starts_with(&prefix) || batch.len() == RECOMPUTE_BATCH {
                break;
            }
            let record = RecordId::from_slice(&key.value()[16..]).ok_or(StoreError::MissingMeta("row key"))?;
            batch.push((record, decode_row(value.value())?));
        }
        let Some((last, _)) = batch.last() else { break };
        let full = batch.len() == RECOMPUTE_BATCH;
        from = row_key(object.id, *last).to_vec();
        from.push(0);
        let mut diff = KeyDiff::default();
        let mut writes = Vec::new();
        for (record, before) in batch {
            let mut after = before.clone();
            d.compute(record, &mut after, &TablesRelated(derived));
            if after != before {
                diff.append(&mut KeyDiff::of(object, record, Some(&before), Some(&after)));
                writes.push((record, after));
            }
        }
        changed |= !writes.is_empty();
        d.keep_states(derived)?;
        for (record, row) in &writes {
            store::write_row_without_keys(derived, object.id, *record, row)?;
        }
        diff.apply(derived)?;
        if !full {
            break;
        }
    }
    Ok(changed)
}

/// The objects whose computed definitions differ between two schemas (added, edited,
/// or a field they read retyped): their rows are recomputed.
pub(crate) fn objects_with_changed_definitions(before: &Schema, after: &Schema) -> BTreeSet<ObjectId> {
    let signature = |o: &ObjectDef| -> Vec<String> {
        o.fields
            .iter()
            .filter(|f| f.computed.is_some())
            .map(|f| format!("{}:{}:{}:{:?}:{}", f.id, f.kind, f.archived, f.computed, f.currency))
            .collect()
    };
    let mut out = BTreeSet::new();
    for object in &after.objects {
        let now = signature(object);
        let then = before.object(object.id).map(signature).unwrap_or_default();
        if now != then {
            out.insert(object.id);
        }
    }
    // A retyped or archived field read by a computed field changes what it computes.
    let kinds = |s: &Schema| -> HashSet<(crate::FieldId, crate::FieldKind, bool)> {
        s.objects
            .iter()
            .flat_map(|o| o.fields.iter().map(|f| (f.id, f.kind, f.archived)))
            .collect()
    };
    let (k0, k1) = (kinds(before), kinds(after));
    if k0 != k1 {
        for object in &after.objects {
            if object.fields.iter().any(|f| f.computed.is_some()) {
                out.insert(object.id);
            }
        }
    }
    out
}

/// A record a bulk path wrote with its lookups and rollups left empty (related rows were
/// not at hand): its object, id and the row it had before, if any.
pub(crate) type Written = (ObjectId, RecordId, Option<Row>);

/// Completes what bulk paths wrote: each record's computed values now that every row of
/// the batch is in, then the records that read them. Called once the batch is written
/// (`written` is empty when the workspace has no computed field).
///
/// A reader is recomputed once per batch, not once per written record it reads:
/// importing 10,000 deals into one company rescans the company's deals once. The readers
/// of the batch are collected in a set (its size bounded by the batch's), recomputed
/// whole (they may already count a written record, so no update by parts), and the
/// readers of those that changed are recomputed in the next round.
pub(crate) fn settle(
    d: &Deriver<'_>,
    derived: &mut DerivedTables<'_>,
    written: Vec<Written>,
) -> Result<(), StoreError> {
    if written.is_empty() || !d.has_computed() {
        return Ok(());
    }
    let mut readers: BTreeSet<(ObjectId, RecordId)> = BTreeSet::new();
    for (object, record, old) in written {
        let Some(def) = d.schema.object(object) else { continue };
        let Some(before) = derived.current_row(object, record)? else {
            continue;
        };
        let mut after = before.clone();
        d.compute(record, &mut after, &TablesRelated(derived));
        d.keep_states(derived)?;
        if after != before {
            store::write_row(derived, def, record, Some(&before), &after)?;
        }
        // Its row before the batch (a relation it left must drop it too), else the
        // stored values it was written with.
        readers.extend(computed::dependents(
            d.schema,
            &d.formulas,
            object,
            record,
            old.as_ref().or(Some(&before)),
            Some(&after),
            &TablesRelated(derived),
        ));
    }
    recompute_readers(d, derived, readers)
}

/// Recomputes `readers` whole, once each, then the readers of those that changed, round
/// after round. Without a cycle (refused when fields are saved) a chain of computed
/// fields ends within as many rounds as there are computed fields; a cycle that arrived
/// by merging two devices' schemas is cut there.
fn recompute_readers(
    d: &Deriver<'_>,
    derived: &mut DerivedTables<'_>,
    mut readers: BTreeSet<(ObjectId, RecordId)>,
) -> Result<(), StoreError> {
    let computed_fields = d
        .schema
        .objects
        .iter()
        .flat_map(|o| &o.fields)
        .filter(|f| f.computed.is_some())
        .count();
    for _ in 0..=computed_fields {
        if readers.is_empty() {
            break;
        }
        let mut next = BTreeSet::new();
        for (object, record) in std::mem::take(&mut readers) {
            let Some(def) = d.schema.object(object) else { continue };
            let Some(before) = TablesRelated(derived).live_row(object, record) else {
                continue;
            };
            #[cfg(test)]
            tests::note_reader_recomputed(record);
            let mut after = before.clone();
            d.compute(record, &mut after, &TablesRelated(derived));
            d.keep_states(derived)?;
            if after != before {
                store::write_row(derived, def, record, Some(&before), &after)?;
                next.extend(computed::dependents(
                    d.schema,
                    &d.formulas,
                    object,
                    record,
                    Some(&before),
                    Some(&after),
                    &TablesRelated(derived),
                ));
            }
        }
        readers = next;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::BTreeMap;

    use crate::{ComputedSpec, CreateOptions, ImportOptions, ImportRow, RecordId, Workspace};

    thread_local! {
        /// How many times `settle` recomputed each reader, on this thread (imports
        /// settle on the calling thread).
        static READERS_RECOMPUTED: RefCell<BTreeMap<RecordId, usize>> = const { RefCell::new(BTreeMap::new()) };
    }

    pub(super) fn note_reader_recomputed(record: RecordId) {
        READERS_RECOMPUTED.with(|r| *r.borrow_mut().entry(record).or_default() += 1);
    }

    fn times_recomputed(record: RecordId) -> usize {
        READERS_RECOMPUTED.with(|r| r.borrow().get(&record).copied().unwrap_or(0))
    }

    fn shown(ws: &Workspace, record: RecordId, key: &str) -> String {
        let view = ws.record(record).unwrap();
        view.cells.iter().find(|c| c.key == key).unwrap().display.clone()
    }

    fn import_deals(ws: &mut Workspace, company: RecordId, from: usize, n: usize) {
        let deals = ws.object_named("deals").unwrap().id;
        let rows: Vec<ImportRow> = (from..from + n)
            .map(|i| {
                let inputs: Vec<(String, String)> = vec![
                    ("name".into(), format!("Deal {i}")),
                    ("amount".into(), "2.50 USD".into()),
                    ("company".into(), company.to_string()),
                ];
                ImportRow {
                    id: None,
                    values: ws.parse_values(deals, &inputs).unwrap(),
                }
            })
            .collect();
        ws.import_records(deals, rows, &ImportOptions::default(), &mut |_| {})
            .unwrap();
    }

    #[test]
    fn an_import_recomputes_the_company_its_deals_roll_up_into_once_per_batch_not_once_per_deal() {
        let mut ws = Workspace::in_memory(CreateOptions::new("tester")).unwrap();
        let companies = ws.object_named("companies").unwrap().id;
        let values = ws
            .parse_values(companies, &[("name".to_string(), "Acme".to_string())])
            .unwrap();
        let acme = ws.create_record(companies, values).unwrap();
        for (key, spec) in [("deal_total", "deals.amount sum"), ("deal_count", "deals count")] {
            ws.add_computed_field(companies, key, key, &ComputedSpec::Rollup(spec.into()))
                .unwrap();
        }

        import_deals(&mut ws, acme, 0, 300);
        assert_eq!(times_recomputed(acme), 1, "one batch of 300 deals");
        assert_eq!(shown(&ws, acme, "deal_total"), "750.00 USD");
        assert_eq!(shown(&ws, acme, "deal_count"), "300");

        import_deals(&mut ws, acme, 300, 100);
        import_deals(&mut ws, acme, 400, 100);
        assert_eq!(times_recomputed(acme), 3, "one more recompute per batch");
        assert_eq!(shown(&ws, acme, "deal_total"), "1250.00 USD");
        assert_eq!(shown(&ws, acme, "deal_count"), "500");
    }
}
