//! Taking changes back. A revert is itself a new change (message
//! `revert:<group>:<target>`), so it syncs like any edit and can be reverted in turn.
//! Reverts of many records (an import, a bulk edit) and bulk edits are one transaction.

use std::collections::{BTreeMap, HashSet};

use automerge::{AutoCommit, Change, ChangeHash};
use redb::{ReadableTable, WriteTransaction};
use serde::Serialize;

use super::records::FieldChange;
use super::validate::{check_unique, check_value};
use super::{Workspace, commit, corrupt};
use crate::error::{Error, Result, StoreError};
use crate::history::{SchemaProp, flatten, heads_at, hex, prefix_range};
use crate::query::eval::matches;
use crate::record::{self, Row, read_row_at};
use crate::schema::doc::{self as sdoc, Prop};
use crate::schema::{FieldKind, ObjectDef};
use crate::store::{self, DerivedTables, DocTables, LoadedDoc, tables};
use crate::time_fmt::format_datetime;
use crate::value::Stored;
use crate::{DocId, FieldId, Filter, GroupId, ObjectId, RecordId, field_type};

/// What a revert (or restore) did.
#[derive(Debug, Clone, Serialize)]
pub struct RevertReport {
    /// The change group of the revert itself (revert it to undo the revert).
    pub group: GroupId,
    /// Records changed.
    pub records: usize,
    /// The schema was changed.
    pub schema: bool,
}

/// What a bulk edit did.
#[derive(Debug, Clone, Serialize)]
pub struct BulkReport {
    pub group: GroupId,
    pub records: usize,
}

/// What to write to one record.
#[derive(Debug, Default)]
struct Plan {
    values: Vec<(FieldId, Option<Stored>)>,
    /// `Some(Some(t))`: move to the trash; `Some(None)`: take out of it.
    deleted: Option<Option<i64>>,
}

impl Plan {
    fn is_empty(&self) -> bool {
        self.values.is_empty() && self.deleted.is_none()
    }
}

/// The topological order of a document's changes, and each change by hash.
fn changes_by_hash(doc: &mut AutoCommit) -> (Vec<ChangeHash>, BTreeMap<ChangeHash, Change>) {
    let changes = doc.get_changes(&[]);
    let order = changes.iter().map(|c| c.hash()).collect();
    (order, changes.into_iter().map(|c| (c.hash(), c)).collect())
}

fn differing(before: Option<&Row>, after: Option<&Row>) -> Vec<FieldId> {
    let empty = BTreeMap::new();
    let a = before.map_or(&empty, |r| &r.values);
    let b = after.map_or(&empty, |r| &r.values);
    let mut keys: Vec<FieldId> = a
        .keys()
        .chain(b.keys())
        .copied()
        .filter(|k| a.get(k) != b.get(k))
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

fn deleted_of(row: Option<&Row>) -> bool {
    row.is_some_and(|r| r.deleted_at.is_some())
}

impl Workspace {
    /// The document and full hash of the change named by a hex prefix.
    fn find_change(&self, prefix: &str) -> Result<(DocId, ChangeHash)> {
        let (lo, hi) = prefix_range(prefix).ok_or_else(|| Error::ChangeNotFound(prefix.to_string()))?;
        let tx = self.store.read()?;
        let table = tx.open_table(tables::CHANGES).map_err(StoreError::from)?;
        let mut found = table.range(lo..=hi).map_err(StoreError::from)?;
        let first = found.next().transpose().map_err(StoreError::from)?;
        if found.next().transpose().map_err(StoreError::from)?.is_some() {
            return Err(Error::AmbiguousChange(prefix.to_string()));
        }
        let (hash, doc) = first.ok_or_else(|| Error::ChangeNotFound(prefix.to_string()))?;
        Ok((DocId::from_bytes(doc.value()), ChangeHash(hash.value())))
    }

    /// Reverts one change (of a record or of the schema) as a new change. Refused, unless
    /// `force`, when a later change touched what it changed.
    pub fn revert_change(&mut self, change: &str, force: bool) -> Result<RevertReport> {
        let (doc_id, hash) = self.find_change(change)?;
        let group = GroupId::new();
        let message = format!("revert:{group}:{}", &hex(&hash)[..12]);
        if doc_id == self.schema_doc_id {
            self.revert_schema(&[hash], force, &message)?;
            return Ok(RevertReport {
                group,
                records: 0,
                schema: true,
            });
        }
        let mut doc = self
            .read_doc(doc_id)?
            .ok_or_else(|| Error::ChangeNotFound(change.to_string()))?;
        if crate::doc_kind::kind_of(doc.document()).is_some_and(|k| k.is_config()) {
            self.revert_config_changes(doc_id, &mut doc, &[hash], &message, force)?;
            return Ok(RevertReport {
                group,
                records: 0,
                schema: false,
            });
        }
        let plan = self.plan_revert(&mut doc, &[hash], force)?;
        let id = RecordId::from_bytes(*doc_id.as_bytes());
        let records = self.apply_plans(vec![(id, plan)], &message, &|_, _, _, _| Ok(()))?;
        Ok(RevertReport {
            group,
            records,
            schema: false,
        })
    }

    /// Reverts every change of a change group (an import, a bulk edit, a revert) across
    /// every document it touched, the schema included, in one transaction: everything is
    /// planned (and refused on a conflict) first, then written; any error writes nothing.
    pub fn revert_group(&mut self, group: GroupId, force: bool) -> Result<RevertReport> {
        let docs = self.group_docs(group)?;
        if docs.is_empty() {
            return Err(Error::GroupNotFound(group.to_string()));
        }
        self.revert_where(
            docs,
            &group.to_string(),
            &|message: &str| crate::history::group_of(message) == Some(group),
            force,
        )
    }

    /// Reverts the changes of `docs` whose commit message `is_target` accepts, as one new
    /// change group (`revert:<new group>:<label>`): see [`Self::revert_group`].
    pub(crate) fn revert_where(
        &mut self,
        docs: Vec<DocId>,
        label: &str,
        is_target: &dyn Fn(&str) -> bool,
        force: bool,
    ) -> Result<RevertReport> {
        let revert_group = GroupId::new();
        let message = format!("revert:{revert_group}:{label}");
        let mut plans = Vec::with_capacity(docs.len());
        let mut schema_plan = None;
        // Configuration documents (a view's edit and its undo) are reverted after the
        // records and the schema, each as its own change of the revert group.
        let mut config = Vec::new();
        for doc_id in docs {
            let Some(mut doc) = self.read_doc(doc_id)? else {
                continue;
            };
            let targets: Vec<ChangeHash> = doc
                .get_changes(&[])
                .iter()
                .filter(|c| c.message().is_some_and(is_target))
                .map(|c| c.hash())
                .collect();
            if doc_id == self.schema_doc_id {
                schema_plan = Some(self.plan_schema_revert(&targets, force)?);
                continue;
            }
            if crate::doc_kind::kind_of(doc.document()).is_some_and(|k| k.is_config()) {
                config.push((doc_id, doc, targets));
                continue;
            }
            let record = RecordId::from_bytes(*doc_id.as_bytes());
            let plan = self
                .plan_revert(&mut doc, &targets, force)
                .map_err(|e| self.name_record_in(e, record))?;
            plans.push((record, plan));
        }
        let schema = schema_plan.is_some();
        let touched = super::Changes {
            records: plans.iter().map(|(id, _)| *id).collect(),
            schema,
            ..super::Changes::local()
        };
        let tx = self.store.write()?;
        let mut taken: Vec<(DocId, LoadedDoc)> = Vec::new();
        let written = (|| {
            if let Some(wanted) = &schema_plan {
                let current = self.schema.clone();
                self.schema_edit_in(&tx, &message, |doc| apply_schema_revert(doc, wanted, &current))?;
            }
            let count = self.apply_plans_in(&tx, plans, &message, &|_, _, _, _| Ok(()), &mut taken)?;
            tx.commit().map_err(StoreError::from)?;
            Ok(count)
        })();
        let records = match written {
            Ok(count) => count,
            Err(e) => {
                if schema {
                    self.abandon_schema_edit();
                }
                return Err(e);
            }
        };
        self.committed(touched);
        for (id, loaded) in taken {
            self.cache_doc(id, loaded);
        }
        for (id, mut doc, targets) in config {
            self.revert_config_changes(id, &mut doc, &targets, &message, force)?;
        }
        Ok(RevertReport {
            group: revert_group,
            records,
            schema,
        })
    }

    /// A revert conflict of a group names the record it is about: a group spans many.
    fn name_record_in(&self, error: Error, record: RecordId) -> Error {
        match error {
            Error::RevertConflict {
                what,
                change,
                author,
                time,
            } => Error::RevertConflict {
                what: format!(
                    "{what} of record {} ({})",
                    self.short_record_id(record).unwrap_or_else(|_| record.to_string()),
                    self.record_name(record)
                ),
                change,
                author,
                time,
            },
            other => other,
        }
    }

    /// Documents a change group touched.
    fn group_docs(&self, group: GroupId) -> Result<Vec<DocId>> {
        let tx = self.store.read()?;
        let table = tx.open_table(tables::GROUPS).map_err(StoreError::from)?;
        let start = [group.as_bytes().as_slice(), &[0u8; 16]].concat();
        let end = [group.as_bytes().as_slice(), &[0xFFu8; 16]].concat();
        let mut out = Vec::new();
        for entry in table
            .range(start.as_slice()..=end.as_slice())
            .map_err(StoreError::from)?
        {
            let (key, _) = entry.map_err(StoreError::from)?;
            out.extend(DocId::from_slice(&key.value()[16..]));
        }
        Ok(out)
    }

    /// What to write to a record so that `targets` (changes of its document) are undone.
    fn plan_revert(&self, doc: &mut AutoCommit, targets: &[ChangeHash], force: bool) -> Result<Plan> {
        let (order, by_hash) = changes_by_hash(doc);
        let target_set: HashSet<ChangeHash> = targets.iter().copied().collect();
        let mut plan_values: BTreeMap<FieldId, Option<Stored>> = BTreeMap::new();
        let mut deleted: Option<Option<i64>> = None;
        let mut touches_deleted = false;
        let automerge = doc.document();
        for hash in order.iter().filter(|h| target_set.contains(h)) {
            let change = &by_hash[hash];
            let before = if change.deps().is_empty() {
                None
            } else {
                read_row_at(automerge, Some(change.deps()))
            };
            let after = read_row_at(automerge, Some(&[*hash]));
            for field in differing(before.as_ref(), after.as_ref()) {
                plan_values
                    .entry(field)
                    .or_insert_with(|| before.as_ref().and_then(|b| b.values.get(&field).cloned()));
            }
            if before.is_none() {
                // Undoing a creation moves the record to the trash; its values stay.
                plan_values.clear();
                deleted = Some(Some((self.clock)()));
                touches_deleted = true;
            } else if deleted_of(before.as_ref()) != deleted_of(after.as_ref()) {
                deleted.get_or_insert(before.as_ref().and_then(|b| b.deleted_at));
                touches_deleted = true;
            }
        }
        if !force {
            let later = doc.get_changes(targets);
            let automerge = doc.document();
            let row_now = record::read_row(automerge);
            for change in later.iter().filter(|c| !target_set.contains(&c.hash())) {
                let before = read_row_at(automerge, Some(change.deps()));
                let after = read_row_at(automerge, Some(&[change.hash()]));
                let clash = differing(before.as_ref(), after.as_ref())
                    .into_iter()
                    .find(|f| plan_values.contains_key(f));
                let what = match clash {
                    Some(f) => Some(self.field_label(row_now.as_ref().map(|r| r.object), f)),
                    None if touches_deleted && deleted_of(before.as_ref()) != deleted_of(after.as_ref()) => {
                        Some("whether the record is in the trash".to_string())
                    }
                    None if touches_deleted && !differing(before.as_ref(), after.as_ref()).is_empty() => {
                        Some("the record".to_string())
                    }
                    None => None,
                };
                if let Some(what) = what {
                    return Err(Error::RevertConflict {
                        what,
                        change: hex(&change.hash())[..12].to_string(),
                        author: self.author_name(change.actor_id()),
                        time: format_datetime(change.timestamp()),
                    });
                }
            }
        }
        Ok(Plan {
            values: plan_values.into_iter().collect(),
            deleted,
        })
    }

    fn field_label(&self, object: Option<ObjectId>, field: FieldId) -> String {
        object
            .and_then(|o| self.schema.object(o))
            .and_then(|o| o.field(field))
            .map_or_else(|| format!("field {field}"), |f| format!("field '{}'", f.label))
    }

    /// Rolls a record back to how it was at `time`, as one new change.
    pub fn restore_record_at(&mut self, id: RecordId, time: i64) -> Result<RevertReport> {
        let mut doc = self
            .read_doc(id.into())?
            .ok_or_else(|| Error::RecordNotFound(id.to_string()))?;
        let heads = heads_at(&mut doc, time);
        if heads.is_empty() {
            return Err(Error::RecordNotFound(format!(
                "{id} (it did not exist yet at that time)"
            )));
        }
        let automerge = doc.document();
        let past = read_row_at(automerge, Some(&heads));
        let now = record::read_row(automerge);
        let values = differing(now.as_ref(), past.as_ref())
            .into_iter()
            .map(|f| (f, past.as_ref().and_then(|p| p.values.get(&f).cloned())))
            .collect();
        let deleted =
            (deleted_of(now.as_ref()) != deleted_of(past.as_ref())).then(|| past.as_ref().and_then(|p| p.deleted_at));
        let group = GroupId::new();
        let plan = Plan { values, deleted };
        let records = self.apply_plans(vec![(id, plan)], &format!("restore:{group}:{time}"), &|_, _, _, _| {
            Ok(())
        })?;
        Ok(RevertReport {
            group,
            records,
            schema: false,
        })
    }

    /// Sets the same values on every live record of `object` that passes `filter`, as
    /// one change group (revert it with `revert_group`).
    pub fn bulk_update(
        &mut self,
        object: ObjectId,
        filter: Option<&Filter>,
        changes: Vec<FieldChange>,
    ) -> Result<BulkReport> {
        let obj = self.object_def(object)?.clone();
        let mut ids = Vec::new();
        self.for_each_row(object, |id, row| {
            if filter.is_none_or(|f| matches(&obj, row, f)) {
                ids.push(id);
            }
        })?;
        let changes: Vec<FieldChange> = changes
            .into_iter()
            .map(|(f, v)| (f, super::records::normalize(v)))
            .collect();
        for (field, value) in &changes {
            let def = obj.field(*field).ok_or_else(|| crate::SchemaError::UnknownField {
                object: obj.key.clone(),
                field: field.to_string(),
            })?;
            if def.unique && value.is_some() && ids.len() > 1 {
                return Err(crate::ValidationError {
                    object: obj.key.clone(),
                    field: def.key.clone(),
                    value: value
                        .as_ref()
                        .map_or_else(String::new, |v| format!("'{}'", field_type::display(def, v))),
                    rule: "unique",
                    reason: format!("{} records would share it", ids.len()),
                }
                .into());
            }
            if def.required && value.is_none() {
                return Err(super::validate::required_missing(&obj, def).into());
            }
        }
        let stored: Vec<(FieldId, Option<Stored>)> = changes
            .iter()
            .map(|(f, v)| {
                (
                    *f,
                    v.as_ref()
                        .and_then(|v| obj.field(*f).map(|d| field_type::to_stored(d, v))),
                )
            })
            .collect();
        let group = GroupId::new();
        let plans = ids
            .iter()
            .map(|id| {
                (
                    *id,
                    Plan {
                        values: stored.clone(),
                        deleted: None,
                    },
                )
            })
            .collect();
        let rules = self.active_rules(object)?;
        let (schema, today) = (self.schema.clone(), self.rule_today());
        let check = |derived: &DerivedTables<'_>, obj: &ObjectDef, id: RecordId, old: &Row| -> Result<()> {
            for (field, value) in &changes {
                if let (Some(def), Some(v)) = (obj.field(*field), value) {
                    check_value(derived, obj, def, v)?;
                    check_unique(derived, obj, def, v, id, None)?;
                }
            }
            if !rules.is_empty() {
                let mut saved = old.values.clone();
                for (field, value) in &stored {
                    match value {
                        Some(v) => saved.insert(*field, v.clone()),
                        None => saved.remove(field),
                    };
                }
                let related = super::records::live_row_in(derived);
                super::rules::check_rules(&rules, &schema, obj, &saved, &related, today)?;
            }
            Ok(())
        };
        let records = self.apply_plans(plans, &format!("bulk:{group}"), &check)?;
        Ok(BulkReport { group, records })
    }

    /// Writes stored values to one record as one change (resolving a conflict).
    pub(super) fn write_stored(
        &mut self,
        id: RecordId,
        values: Vec<(FieldId, Option<Stored>)>,
        message: &str,
    ) -> Result<()> {
        self.apply_plans(
            vec![(id, Plan { values, deleted: None })],
            message,
            &|_, _, _, _| Ok(()),
        )?;
        Ok(())
    }

    /// Writes plans to records, one change each, all in one transaction. `check` runs
    /// before each record is written; any error writes nothing.
    fn apply_plans(
        &mut self,
        plans: Vec<(RecordId, Plan)>,
        message: &str,
        check: &dyn Fn(&DerivedTables<'_>, &ObjectDef, RecordId, &Row) -> Result<()>,
    ) -> Result<usize> {
        let tx = self.store.write()?;
        let mut taken: Vec<(DocId, LoadedDoc)> = Vec::new();
        let records: Vec<RecordId> = plans.iter().map(|(id, _)| *id).collect();
        let count = self.apply_plans_in(&tx, plans, message, check, &mut taken)?;
        tx.commit().map_err(StoreError::from)?;
        self.committed(super::Changes::local_records(records));
        for (id, loaded) in taken {
            self.cache_doc(id, loaded);
        }
        Ok(count)
    }

    fn apply_plans_in(
        &mut self,
        tx: &WriteTransaction,
        plans: Vec<(RecordId, Plan)>,
        message: &str,
        check: &dyn Fn(&DerivedTables<'_>, &ObjectDef, RecordId, &Row) -> Result<()>,
        taken: &mut Vec<(DocId, LoadedDoc)>,
    ) -> Result<usize> {
        let mut docs = DocTables::open(tx)?;
        let mut derived = self.derived_tables(tx)?;
        let now = (self.clock)();
        let mut count = 0;
        for (id, plan) in plans {
            if plan.is_empty() {
                continue;
            }
            let object = derived
                .record_objects
                .get(id.as_bytes())
                .map_err(StoreError::from)?
                .map(|g| ObjectId::from_bytes(g.value()))
                .ok_or_else(|| Error::RecordNotFound(id.to_string()))?;
            let obj = super::remote::object_or_unknown(&self.schema, object).into_owned();
            let old = derived
                .current_row(object, id)?
                .ok_or_else(|| Error::RecordNotFound(id.to_string()))?;
            check(&derived, &obj, id, &old)?;
            // Values coming back must not take a unique value someone else holds now.
            if plan.deleted != Some(None) || old.deleted_at.is_some() {
                for (field, value) in &plan.values {
                    if let (Some(def), Some(s)) = (obj.field(*field), value)
                        && let Some(v) = field_type::read(def, s)
                    {
                        check_unique(&derived, &obj, def, &v, id, None)?;
                    }
                }
            }
            let mut loaded = self
                .take_doc(&docs, id.into())?
                .ok_or_else(|| Error::RecordNotFound(id.to_string()))?;
            let mut edit = || -> Result<(), automerge::AutomergeError> {
                if !plan.values.is_empty() {
                    record::set_values(&mut loaded.doc, &plan.values)?;
                }
                if let Some(deleted) = plan.deleted {
                    record::set_deleted(&mut loaded.doc, deleted.map(|_| now))?;
                }
                Ok(())
            };
            edit().map_err(|e| corrupt(id.into(), e))?;
            commit(&mut loaded.doc, message, now);
            let added = store::persist_doc(&mut docs, id.into(), &mut loaded)?;
            derived.index_changes(id.into(), &added)?;
            super::derive::write_record(
                &self.deriver(),
                &mut derived,
                &obj,
                id,
                Some(&old),
                loaded.doc.document(),
            )?
            .ok_or(StoreError::MissingMeta("record fields"))?;
            taken.push((id.into(), loaded));
            count += 1;
        }
        Ok(count)
    }

    /// Reverts schema changes: every property they changed goes back; entities they
    /// created are archived (nothing is ever deleted); a retype is retyped back.
    fn revert_schema(&mut self, targets: &[ChangeHash], force: bool, message: &str) -> Result<()> {
        let wanted = self.plan_schema_revert(targets, force)?;
        let current = self.schema.clone();
        self.schema_write_with(message, |doc| apply_schema_revert(doc, &wanted, &current))
    }

    /// The schema properties to set back so that `targets` are undone; refused, unless
    /// `force`, when a later change touched one of them.
    fn plan_schema_revert(&mut self, targets: &[ChangeHash], force: bool) -> Result<SchemaPlan> {
        let mut doc = self
            .read_doc(self.schema_doc_id)?
            .ok_or(StoreError::MissingMeta("schema document"))?;
        let (order, by_hash) = changes_by_hash(&mut doc);
        let target_set: HashSet<ChangeHash> = targets.iter().copied().collect();
        let mut wanted: SchemaPlan = BTreeMap::new();
        for hash in order.iter().filter(|h| target_set.contains(h)) {
            let before = flatten(&self.schema_version(&mut doc, by_hash[hash].deps())?);
            let after = flatten(&self.schema_version(&mut doc, &[*hash])?);
            for (key, value) in &after {
                if before.get(key) != Some(value) {
                    wanted.entry(key.clone()).or_insert_with(|| before.get(key).cloned());
                }
            }
        }
        if !force {
            for change in doc
                .get_changes(targets)
                .iter()
                .filter(|c| !target_set.contains(&c.hash()))
            {
                let before = flatten(&self.schema_version(&mut doc, change.deps())?);
                let after = flatten(&self.schema_version(&mut doc, &[change.hash()])?);
                if let Some(key) = wanted.keys().find(|k| before.get(*k) != after.get(*k)) {
                    return Err(Error::RevertConflict {
                        what: {
                            let (kind, prop) = match key {
                                SchemaProp::Object(_, p) => ("object", *p),
                                SchemaProp::Field(_, _, p) => ("field", *p),
                                SchemaProp::Option(_, _, _, p) => ("option", *p),
                            };
                            format!("{kind} {} ({prop})", super::history::prop_name(&self.schema, key))
                        },
                        change: hex(&change.hash())[..12].to_string(),
                        author: self.author_name(change.actor_id()),
                        time: format_datetime(change.timestamp()),
                    });
                }
            }
        }
        Ok(wanted)
    }
}

/// Schema properties to set, with the value to set them to (`None`: the entity did not
/// exist, so it is archived).
type SchemaPlan = BTreeMap<SchemaProp, Option<String>>;

/// Writes a schema revert plan into the schema document.
fn apply_schema_revert(
    doc: &mut AutoCommit,
    wanted: &SchemaPlan,
    current: &crate::Schema,
) -> Result<(), automerge::AutomergeError> {
    for (key, value) in wanted {
        let archive_new = value.is_none();
        match key {
            SchemaProp::Object(o, "exists") if archive_new => {
                sdoc::set_object_prop(doc, *o, "archived", Prop::Bool(true))?
            }
            SchemaProp::Field(o, f, "exists") if archive_new => {
                sdoc::set_field_prop(doc, *o, *f, "archived", Prop::Bool(true))?
            }
            SchemaProp::Option(o, f, p, "exists") if archive_new => {
                sdoc::set_option_prop(doc, *o, *f, *p, "archived", Prop::Bool(true))?
            }
            _ if archive_new => {}
            SchemaProp::Object(o, prop) => sdoc::set_object_prop(doc, *o, prop, typed(prop, value))?,
            SchemaProp::Field(o, f, "type") => {
                let to: FieldKind = value.as_deref().unwrap_or("text").parse().unwrap_or(FieldKind::Text);
                let from = current.object(*o).and_then(|x| x.field(*f)).map_or(to, |x| x.kind);
                if from != to {
                    sdoc::retype_field(doc, *o, *f, from, to)?;
                }
            }
            SchemaProp::Field(o, f, prop) => sdoc::set_field_prop(doc, *o, *f, prop, typed(prop, value))?,
            SchemaProp::Option(o, f, p, prop) => sdoc::set_option_prop(doc, *o, *f, *p, prop, typed(prop, value))?,
        }
    }
    Ok(())
}

/// A flattened schema property's text as the typed value the schema document holds.
fn typed<'a>(prop: &str, value: &'a Option<String>) -> Prop<'a> {
    let text = value.as_deref().unwrap_or_default();
    match prop {
        "archived" | "required" | "unique" | "many" | "exists" => Prop::Bool(text == "true"),
        "order" | "max_rating" => Prop::Int(text.parse().unwrap_or(0)),
        _ => Prop::Str(text),
    }
}
