//! The `rule_breaks` table: which live records break which enabled validation rule, kept
//! current so listing them (`kith conflicts`, the Conflicts page) is a range scan, not an
//! evaluation of every rule against every row.
//!
//! - Row writes keep it current: every path that writes a row goes through
//!   `store::write_row` / `write_row_without_keys` / `write_new_row_without_keys`, which
//!   call [`row_written`] inside the same transaction with the rules attached to the
//!   tables ([`Workspace::derived_tables`]). A record of an object that rules read
//!   through a relation (`company.industry`) has the records holding it re-checked.
//! - Each object's entries carry a fingerprint (`rule_break_sources`) of the rules and
//!   field definitions they were computed with. A change of rules or schema (local,
//!   reverted, synced), a new day for rules reading `today()`, or a bulk write that could
//!   not follow relations leaves the fingerprint different or missing: the object is
//!   recomputed in batches after the commit ([`Workspace::refresh_rule_breaks`], also on
//!   open, which fills the table for files from before it existed). Until then
//!   [`Workspace::rule_breaks`] evaluates that object's rows, so it is never wrong.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use redb::{ReadableTable, WriteTransaction};

use super::Workspace;
use super::derive::TablesRelated;
use super::rules::{ActiveRule, RowEnv, RuleBreak, breaks};
use crate::error::{Result, StoreError};
use crate::record::Row;
use crate::schema::Schema;
use crate::store::{self, DerivedTables, KeysWritten, decode_row, object_prefix, row_key, tables};
use crate::{DocId, FieldId, ObjectId, RecordId};

/// Rows read per batch when an object's breaks are recomputed (bounded memory).
const BATCH: usize = 2_000;

/// One object's enabled rules, compiled, and the fingerprint of what they read.
struct ObjectRules {
    rules: Vec<ActiveRule>,
    fingerprint: u64,
    /// Whether a rule looks through a relation (its result depends on other rows).
    looks_up: bool,
}

/// Every object's enabled rules, ready to check rows against. Built from the rules cache
/// and dropped with it.
pub(crate) struct RuleChecks {
    today: i32,
    /// The objects with rules and the objects their lookups read (for `RowEnv`).
    schema: Schema,
    objects: HashMap<ObjectId, ObjectRules>,
    /// Object → (object whose rules look through a relation to it, that relation).
    readers: HashMap<ObjectId, Vec<(ObjectId, FieldId)>>,
}

/// The rules attached to one write transaction's derived tables: which objects' entries
/// are current (kept so by this transaction's row writes).
pub(crate) struct TxRules {
    checks: Arc<RuleChecks>,
    current: HashSet<ObjectId>,
}

/// A stable 64-bit FNV-1a hash (std's hasher may change between Rust versions, and the
/// fingerprint is stored).
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl RuleChecks {
    /// Whether any object has enabled rules.
    pub(super) fn has_rules(&self) -> bool {
        !self.objects.is_empty()
    }

    fn build(schema: &Schema, by_object: BTreeMap<ObjectId, Vec<ActiveRule>>, today: i32) -> RuleChecks {
        let mut objects = HashMap::new();
        let mut readers: HashMap<ObjectId, Vec<(ObjectId, FieldId)>> = HashMap::new();
        let mut needed: Vec<ObjectId> = Vec::new();
        for (object, rules) in by_object {
            let Some(def) = schema.object(object) else { continue };
            needed.push(object);
            // What the results depend on besides the row: the rules, the definitions of
            // the fields read (types, options), today's date for `today()`.
            let mut source = String::new();
            for active in &rules {
                source.push_str(&format!("{}|{};", active.rule.id, active.rule.condition));
            }
            source.push_str(&format!("{:?}", def.fields));
            if rules.iter().any(|r| r.condition.uses_today()) {
                source.push_str(&format!("today={today}"));
            }
            let mut looks_up = false;
            for active in &rules {
                for (relation, _) in active.condition.lookups() {
                    let Some(target) = def.field(*relation).and_then(|f| f.target) else {
                        continue;
                    };
                    looks_up = true;
                    let list = readers.entry(target).or_default();
                    if !list.contains(&(object, *relation)) {
                        list.push((object, *relation));
                        if let Some(t) = schema.object(target) {
                            source.push_str(&format!("{:?}", t.fields));
                        }
                        needed.push(target);
                    }
                }
            }
            objects.insert(
                object,
                ObjectRules {
                    rules,
                    fingerprint: fnv1a(&source),
                    looks_up,
                },
            );
        }
        let schema = Schema {
            objects: schema
                .objects
                .iter()
                .filter(|o| needed.contains(&o.id))
                .cloned()
                .collect(),
            ..Schema::default()
        };
        RuleChecks {
            today,
            schema,
            objects,
            readers,
        }
    }

    /// The ids of the rules a live row breaks.
    fn broken(&self, t: &DerivedTables<'_>, object: ObjectId, row: &Row) -> Vec<DocId> {
        let (Some(rules), Some(def)) = (self.objects.get(&object), self.schema.object(object)) else {
            return Vec::new();
        };
        if row.deleted_at.is_some() {
            return Vec::new();
        }
        let related = |o: ObjectId, id: RecordId| super::computed::Related::live_row(&TablesRelated(t), o, id);
        let env = RowEnv {
            schema: &self.schema,
            object: def,
            values: &row.values,
            related: &related,
            today: self.today,
        };
        rules
            .rules
            .iter()
            .filter(|a| breaks(&a.condition, &env))
            .map(|a| a.rule.id)
            .collect()
    }
}

/// Writes (or removes, when it breaks none) a record's entry.
fn put(t: &mut DerivedTables<'_>, object: ObjectId, record: RecordId, broken: &[DocId]) -> Result<(), StoreError> {
    let key = row_key(object, record);
    if broken.is_empty() {
        t.rule_breaks.remove(key.as_slice())?;
    } else {
        let value: Vec<u8> = broken.iter().flat_map(|id| *id.as_bytes()).collect();
        t.rule_breaks.insert(key.as_slice(), value.as_slice())?;
    }
    Ok(())
}

impl TxRules {
    /// Leaves `object`'s entries to be recomputed after the commit.
    fn forget(&mut self, t: &mut DerivedTables<'_>, object: ObjectId) -> Result<(), StoreError> {
        if self.current.remove(&object) {
            t.rule_sources.remove(object.as_bytes())?;
        }
        Ok(())
    }

    fn row_written(
        &mut self,
        t: &mut DerivedTables<'_>,
        object: ObjectId,
        record: RecordId,
        row: Option<&Row>,
        keys: KeysWritten,
    ) -> Result<(), StoreError> {
        let checks = self.checks.clone();
        if self.current.contains(&object)
            && let Some(rules) = checks.objects.get(&object)
        {
            if rules.looks_up && keys == KeysWritten::Later {
                // The related rows of a bulk batch may not be written yet.
                self.forget(t, object)?;
            } else {
                let broken = row.map(|r| checks.broken(t, object, r)).unwrap_or_default();
                put(t, object, record, &broken)?;
            }
        }
        for (reader, relation) in checks.readers.get(&object).into_iter().flatten() {
            if !self.current.contains(reader) {
                continue;
            }
            if keys == KeysWritten::Later {
                // The index that finds the records holding this one is written later.
                self.forget(t, *reader)?;
                continue;
            }
            let Some(def) = checks.schema.object(*reader).and_then(|o| o.field(*relation)) else {
                continue;
            };
            let related = TablesRelated(t);
            let holders = super::computed::Related::holding(&related, *relation, def, record);
            for holder in holders {
                let Some(holder_row) = super::computed::Related::live_row(&TablesRelated(t), *reader, holder) else {
                    continue;
                };
                let broken = checks.broken(t, *reader, &holder_row);
                put(t, *reader, holder, &broken)?;
            }
        }
        Ok(())
    }
}

/// Called by the store for every row written (`row` `None`: the record is gone): keeps
/// its `rule_breaks` entry, and those of records whose rules read it, current.
pub(crate) fn row_written(
    t: &mut DerivedTables<'_>,
    object: ObjectId,
    record: RecordId,
    row: Option<&Row>,
    keys: KeysWritten,
) -> Result<(), StoreError> {
    let Some(mut rules) = t.rules.take() else {
        // Tables opened without the rules: no entry can be trusted after this write.
        if t.rule_sources.first()?.is_some() {
            t.rule_sources.retain(|_, _| false)?;
        }
        return Ok(());
    };
    let written = rules.row_written(t, object, record, row, keys);
    t.rules = Some(rules);
    written
}

/// The records of one object whose entry holds rule ids, in key order, from `after`.
fn entries_of(
    table: &impl ReadableTable<&'static [u8], &'static [u8]>,
    object: ObjectId,
    mut f: impl FnMut(RecordId, Vec<DocId>) -> bool,
) -> Result<(), StoreError> {
    let prefix = object_prefix(object);
    for entry in table.range(prefix.as_slice()..)? {
        let (key, value) = entry?;
        if !key.value().starts_with(&prefix) {
            break;
        }
        let Some(record) = RecordId::from_slice(&key.value()[16..]) else {
            continue;
        };
        let ids = value
            .value()
            .chunks_exact(16)
            .filter_map(|c| <[u8; 16]>::try_from(c).ok().map(DocId::from_bytes))
            .collect();
        if !f(record, ids) {
            break;
        }
    }
    Ok(())
}

/// Recomputes one object's entries from its rows, in batches.
fn recompute(t: &mut DerivedTables<'_>, checks: &RuleChecks, object: ObjectId) -> Result<(), StoreError> {
    let prefix = object_prefix(object);
    let end = crate::encoding::prefix_end(&prefix).unwrap_or_default();
    t.rule_breaks
        .retain_in(prefix.as_slice()..end.as_slice(), |_, _| false)?;
    let mut from = prefix.to_vec();
    loop {
        let mut batch: Vec<(RecordId, Row)> = Vec::with_capacity(BATCH);
        for entry in t.rows.range(from.as_slice()..)? {
            let (key, value) = entry?;
            if !key.value().starts_with(&prefix) || batch.len() == BATCH {
                break;
            }
            let record = RecordId::from_slice(&key.value()[16..]).ok_or(StoreError::MissingMeta("row key"))?;
            batch.push((record, decode_row(value.value())?));
        }
        let Some((last, _)) = batch.last() else { break };
        let full = batch.len() == BATCH;
        from = row_key(object, *last).to_vec();
        from.push(0);
        let found: Vec<(RecordId, Vec<DocId>)> = batch
            .iter()
            .map(|(record, row)| (*record, checks.broken(t, object, row)))
            .filter(|(_, broken)| !broken.is_empty())
            .collect();
        for (record, broken) in found {
            put(t, object, record, &broken)?;
        }
        if !full {
            break;
        }
    }
    if let Some(rules) = checks.objects.get(&object) {
        t.rule_sources.insert(object.as_bytes(), rules.fingerprint)?;
    }
    Ok(())
}

impl Workspace {
    /// Every object's enabled rules, compiled (cached until a rule, the schema or the day
    /// changes).
    pub(super) fn rule_checks(&self) -> Result<Arc<RuleChecks>> {
        let today = self.rule_today();
        if let Some(checks) = self.rules_cache.1.borrow().as_ref()
            && checks.today == today
        {
            return Ok(checks.clone());
        }
        let mut by_object = BTreeMap::new();
        if self.config_docs().iter().any(|c| c.kind == crate::DocKind::Rule) {
            let mut objects: Vec<ObjectId> = self
                .rules(None)?
                .iter()
                .filter(|r| r.enabled && !r.archived)
                .map(|r| r.object)
                .collect();
            objects.sort();
            objects.dedup();
            for object in objects {
                let rules = self.active_rules(object)?;
                if !rules.is_empty() {
                    by_object.insert(object, rules);
                }
            }
        }
        let checks = Arc::new(RuleChecks::build(&self.schema, by_object, today));
        *self.rules_cache.1.borrow_mut() = Some(checks.clone());
        Ok(checks)
    }

    /// The derived tables of `tx`, with the rules row writes keep `rule_breaks` current
    /// with. Every path that writes rows opens them so.
    pub(crate) fn derived_tables<'t>(&self, tx: &'t WriteTransaction) -> Result<DerivedTables<'t>> {
        let mut derived = DerivedTables::open(tx)?;
        let checks = self.rule_checks()?;
        let mut current = HashSet::new();
        for (object, rules) in &checks.objects {
            if derived
                .rule_sources
                .get(object.as_bytes())
                .map_err(StoreError::from)?
                .map(|v| v.value())
                == Some(rules.fingerprint)
            {
                current.insert(*object);
            }
        }
        derived.rules = Some(TxRules { checks, current });
        Ok(derived)
    }

    /// The objects with rules whose entries are stale, and the objects with entries but
    /// no rules any more.
    fn stale_rule_breaks(&self, checks: &RuleChecks) -> Result<(Vec<ObjectId>, Vec<ObjectId>)> {
        let tx = self.store.read()?;
        let sources = tx.open_table(tables::RULE_BREAK_SOURCES).map_err(StoreError::from)?;
        let mut stale = Vec::new();
        let mut orphans = Vec::new();
        for (object, rules) in &checks.objects {
            let stored = sources
                .get(object.as_bytes())
                .map_err(StoreError::from)?
                .map(|v| v.value());
            if stored != Some(rules.fingerprint) {
                stale.push(*object);
            }
        }
        for entry in sources.iter().map_err(StoreError::from)? {
            let (key, _) = entry.map_err(StoreError::from)?;
            let object = ObjectId::from_bytes(key.value());
            if !checks.objects.contains_key(&object) {
                orphans.push(object);
            }
        }
        Ok((stale, orphans))
    }

    /// Recomputes the breaks of every object whose rules, schema or day changed since they
    /// were computed (or that a bulk write left stale), each in batches, and drops those of
    /// objects without rules now. Returns how many objects it recomputed.
    pub fn refresh_rule_breaks(&self) -> Result<usize> {
        let checks = self.rule_checks()?;
        let (stale, orphans) = self.stale_rule_breaks(&checks)?;
        if stale.is_empty() && orphans.is_empty() {
            return Ok(0);
        }
        let tx = self.store.write()?;
        {
            let mut derived = self.derived_tables(&tx)?;
            for object in &orphans {
                let prefix = object_prefix(*object);
                let end = crate::encoding::prefix_end(&prefix).unwrap_or_default();
                derived
                    .rule_breaks
                    .retain_in(prefix.as_slice()..end.as_slice(), |_, _| false)
                    .map_err(StoreError::from)?;
                derived
                    .rule_sources
                    .remove(object.as_bytes())
                    .map_err(StoreError::from)?;
            }
            for object in &stale {
                recompute(&mut derived, &checks, *object)?;
            }
        }
        tx.commit().map_err(StoreError::from)?;
        Ok(stale.len())
    }

    /// Live records that break an enabled rule (of `object`, or of every object with
    /// rules), at most `limit`, in object then record id order: after a merge of offline
    /// edits, or made before the rule. Read from `rule_breaks`; an object whose entries
    /// are stale (just changed rules) is evaluated from its rows.
    pub fn rule_breaks_first(&self, object: Option<ObjectId>, limit: usize) -> Result<Vec<RuleBreak>> {
        let checks = self.rule_checks()?;
        let mut objects: Vec<ObjectId> = checks
            .objects
            .keys()
            .copied()
            .filter(|o| object.is_none_or(|x| x == *o))
            .collect();
        objects.sort();
        let (stale, _) = self.stale_rule_breaks(&checks)?;
        let mut found: Vec<(ObjectId, RecordId, DocId)> = Vec::new();
        for object in objects {
            if found.len() >= limit {
                break;
            }
            if stale.contains(&object) {
                self.evaluate_rule_breaks(&checks, object, limit, &mut found)?;
                continue;
            }
            let tx = self.store.read()?;
            let table = tx.open_table(tables::RULE_BREAKS).map_err(StoreError::from)?;
            entries_of(&table, object, |record, ids| {
                for id in ids {
                    if found.len() < limit {
                        found.push((object, record, id));
                    }
                }
                found.len() < limit
            })?;
        }
        let names = self.names_of(&found)?;
        Ok(found
            .into_iter()
            .zip(names)
            .filter_map(|((object, record, rule), record_name)| {
                let rules = checks.objects.get(&object)?;
                let obj = self.schema.object(object)?;
                let rule = &rules.rules.iter().find(|a| a.rule.id == rule)?.rule;
                Some(RuleBreak {
                    record,
                    record_name,
                    object,
                    object_key: obj.key.clone(),
                    rule: rule.id,
                    message: rule.message.clone(),
                    fields: rule
                        .fields
                        .iter()
                        .filter_map(|f| obj.field(*f).map(|d| d.key.clone()))
                        .collect(),
                })
            })
            .collect())
    }

    /// The names of the records of `found`, read in one transaction decoding only each
    /// row's display field (what `record_name` shows).
    fn names_of(&self, found: &[(ObjectId, RecordId, DocId)]) -> Result<Vec<String>> {
        let tx = self.store.read()?;
        let rows = tx.open_table(tables::ROWS).map_err(StoreError::from)?;
        found
            .iter()
            .map(|(object, record, _)| {
                let field = self.schema.object(*object).and_then(|o| o.display_field());
                let name = match (
                    field,
                    rows.get(row_key(*object, *record).as_slice())
                        .map_err(StoreError::from)?,
                ) {
                    (Some(field), Some(bytes)) => {
                        let row = store::decode_row_fields(bytes.value(), &[field.id])?;
                        row.get(field.id).map(|stored| {
                            crate::field_type::read(field, stored)
                                .map_or_else(|| stored.raw_text(), |v| crate::field_type::display(field, &v))
                        })
                    }
                    _ => None,
                };
                Ok(name
                    .filter(|t| !t.trim().is_empty())
                    .unwrap_or_else(|| record.to_string()))
            })
            .collect()
    }

    /// The breaks of one object found by evaluating its rows (its entries are stale).
    fn evaluate_rule_breaks(
        &self,
        checks: &RuleChecks,
        object: ObjectId,
        limit: usize,
        found: &mut Vec<(ObjectId, RecordId, DocId)>,
    ) -> Result<()> {
        let (Some(rules), Some(def)) = (checks.objects.get(&object), checks.schema.object(object)) else {
            return Ok(());
        };
        let related = |_: ObjectId, id: RecordId| self.row(id).ok().filter(|r| r.deleted_at.is_none());
        self.for_each_row(object, |id, row| {
            let env = RowEnv {
                schema: &checks.schema,
                object: def,
                values: &row.values,
                related: &related,
                today: checks.today,
            };
            for active in &rules.rules {
                if found.len() < limit && breaks(&active.condition, &env) {
                    found.push((object, id, active.rule.id));
                }
            }
        })
    }

    /// The rules one record breaks now (the record page).
    pub fn rule_breaks_of(&self, record: RecordId) -> Result<Vec<DocId>> {
        let row = self.row(record)?;
        let checks = self.rule_checks()?;
        if !checks.objects.contains_key(&row.object) {
            return Ok(Vec::new());
        }
        let (stale, _) = self.stale_rule_breaks(&checks)?;
        if stale.contains(&row.object) {
            let mut found = Vec::new();
            let related = |_: ObjectId, id: RecordId| self.row(id).ok().filter(|r| r.deleted_at.is_none());
            if let (Some(rules), Some(def)) = (checks.objects.get(&row.object), checks.schema.object(row.object)) {
                let env = RowEnv {
                    schema: &checks.schema,
                    object: def,
                    values: &row.values,
                    related: &related,
                    today: checks.today,
                };
                found = rules
                    .rules
                    .iter()
                    .filter(|a| row.deleted_at.is_none() && breaks(&a.condition, &env))
                    .map(|a| a.rule.id)
                    .collect();
            }
            return Ok(found);
        }
        let tx = self.store.read()?;
        let table = tx.open_table(tables::RULE_BREAKS).map_err(StoreError::from)?;
        let key = row_key(row.object, record);
        Ok(table
            .get(key.as_slice())
            .map_err(StoreError::from)?
            .map(|v| {
                v.value()
                    .chunks_exact(16)
                    .filter_map(|c| <[u8; 16]>::try_from(c).ok().map(DocId::from_bytes))
                    .collect()
            })
            .unwrap_or_default())
    }
}

impl Workspace {
    /// Objects with rules whose `rule_breaks` entries are stale now (tests: after every
    /// write and commit, none should be).
    #[doc(hidden)]
    pub fn stale_rule_break_objects(&self) -> Result<Vec<ObjectId>> {
        let checks = self.rule_checks()?;
        let (mut stale, _) = self.stale_rule_breaks(&checks)?;
        stale.sort();
        Ok(stale)
    }

    /// (record, rule) of every entry of the `rule_breaks` table, in key order.
    #[doc(hidden)]
    pub fn rule_break_entries(&self) -> Result<Vec<(RecordId, DocId)>> {
        let tx = self.store.read()?;
        let table = tx.open_table(tables::RULE_BREAKS).map_err(StoreError::from)?;
        let mut out = Vec::new();
        for entry in table.iter().map_err(StoreError::from)? {
            let (key, value) = entry.map_err(StoreError::from)?;
            let Some(record) = RecordId::from_slice(&key.value()[16..]) else {
                continue;
            };
            for c in value.value().chunks_exact(16) {
                if let Ok(id) = <[u8; 16]>::try_from(c) {
                    out.push((record, DocId::from_bytes(id)));
                }
            }
        }
        Ok(out)
    }

    /// (record, rule) of every break found by evaluating every rule against every row
    /// (what the table must agree with), in object then record order.
    #[doc(hidden)]
    pub fn rule_breaks_by_evaluation(&self) -> Result<Vec<(RecordId, DocId)>> {
        let checks = self.rule_checks()?;
        let mut objects: Vec<ObjectId> = checks.objects.keys().copied().collect();
        objects.sort();
        let mut found = Vec::new();
        for object in objects {
            self.evaluate_rule_breaks(&checks, object, usize::MAX, &mut found)?;
        }
        Ok(found.into_iter().map(|(_, record, rule)| (record, rule)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::fnv1a;

    #[test]
    fn the_fingerprint_hash_is_stable_across_builds() {
        // Stored on disk: a change of these values would recompute every object once.
        assert_eq!(fnv1a(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a("a"), 0xaf63_dc4c_8601_ec8c);
    }
}
