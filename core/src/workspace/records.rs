//! Record writes (create, update, delete, restore); reads are in `record_reads.rs`.

use std::collections::HashSet;

use redb::{ReadableTable, WriteTransaction};

use super::rules::check_rules;
use super::validate::{check_unique, check_value, required_missing, unique_holder};
use super::{Workspace, commit, corrupt, new_doc, view::CellView};
use crate::error::{Error, Result, StoreError};
use crate::field_type;
use crate::record::{self, Row};
use crate::schema::ObjectDef;
use crate::store::{self, DerivedTables, DocTables, LoadedDoc};

use crate::value::{Stored, Value};
use crate::{DocId, FieldId, ObjectId, RecordId};

/// One field change: a new value, or `None` to clear it.
pub type FieldChange = (FieldId, Option<Value>);

/// A record as shown to people: its values read through the current schema.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RecordView {
    pub id: RecordId,
    pub object: ObjectId,
    pub object_key: String,
    pub created_at: i64,
    pub created_by: String,
    pub updated_at: i64,
    pub deleted_at: Option<i64>,
    /// Active fields, in order.
    pub cells: Vec<CellView>,
}

/// Empty text and empty lists mean "no value".
pub(super) fn normalize(value: Option<Value>) -> Option<Value> {
    match value {
        Some(Value::Text(s)) if s.trim().is_empty() => None,
        Some(Value::Options(v)) if v.is_empty() => None,
        Some(Value::Records(v)) if v.is_empty() => None,
        other => other,
    }
}

impl Workspace {
    /// Creates a record.
    pub fn create_record(&mut self, object: ObjectId, values: Vec<FieldChange>) -> Result<RecordId> {
        self.create_record_with(object, values, "edit")
    }

    /// Creates a record whose change carries `message` (`import:<group>`, ...). A plain
    /// edit runs the automations it triggers in the same transaction.
    pub fn create_record_with(
        &mut self,
        object: ObjectId,
        values: Vec<FieldChange>,
        message: &str,
    ) -> Result<RecordId> {
        let obj = self.object_def(object)?.clone();
        let id = RecordId::new();
        let normalized: Vec<(FieldId, Value)> = values
            .iter()
            .filter_map(|(f, v)| normalize(v.clone()).map(|v| (*f, v)))
            .collect();
        let sizes: Vec<(FieldId, usize)> = to_stored(&obj, &normalized)
            .iter()
            .map(|(f, v)| (*f, stored_len(v)))
            .collect();
        let group = self.automation_group(message, object, None)?;
        let message = group.map_or_else(|| message.to_string(), |g| format!("edit:{g}"));
        self.write_with_automations(group, vec![id], |ws, tx| {
            let mut loaded = ws.create_in(tx, &obj, id, values, &message)?;
            let events = match group {
                Some(_) => vec![super::automations::RecordEvent {
                    record: id,
                    object,
                    before: None,
                    after: record::read_row(loaded.doc.document())
                        .ok_or(StoreError::MissingMeta("record fields in a record document"))?,
                    depth: 0,
                    by: None,
                }],
                None => Vec::new(),
            };
            Ok((vec![(id.into(), loaded)], events))
        })
        .map_err(|e| name_oversized_field(e, id, &obj, &sizes))?;
        Ok(id)
    }

    /// Writes a new record (checked first) inside `tx`: its document, rows and indexes.
    pub(super) fn create_in(
        &self,
        tx: &WriteTransaction,
        obj: &ObjectDef,
        id: RecordId,
        values: Vec<FieldChange>,
        message: &str,
    ) -> Result<LoadedDoc> {
        self.create_in_as(tx, obj, id, values, message, None)
    }

    /// [`Self::create_in`]; with `fixed` (a time), the first change is the one every
    /// device makes alike: an actor derived from the record id, that time, and
    /// `automation` as its creator (date-triggered automations).
    pub(super) fn create_in_as(
        &self,
        tx: &WriteTransaction,
        obj: &ObjectDef,
        id: RecordId,
        values: Vec<FieldChange>,
        message: &str,
        fixed: Option<i64>,
    ) -> Result<LoadedDoc> {
        let values: Vec<(FieldId, Value)> = values
            .into_iter()
            .filter_map(|(f, v)| normalize(v).map(|v| (f, v)))
            .collect();
        let mut derived = self.derived_tables(tx)?;
        validate_new(&derived, obj, id, &values, None)?;
        let stored = to_stored(obj, &values);
        let rules = self.active_rules(obj.id)?;
        let saved = stored.iter().cloned().collect();
        check_rules(
            &rules,
            &self.schema,
            obj,
            &saved,
            &live_row_in(&derived),
            self.rule_today(),
        )?;
        let mut doc = new_doc(&self.device);
        let (now, by) = match fixed {
            Some(time) => {
                doc.set_actor(automerge::ActorId::from(id.as_bytes().as_slice()));
                (time, "automation")
            }
            None => ((self.clock)(), self.device.user.as_str()),
        };
        record::init(&mut doc, id, obj.id, now, by, &stored).map_err(|e| corrupt(id.into(), e))?;
        commit(&mut doc, message, now);
        // Later edits are this device's own.
        doc.set_actor(self.device.actor.clone());
        let mut l = LoadedDoc::new(doc);
        let mut docs = DocTables::open(tx)?;
        let added = store::persist_doc(&mut docs, id.into(), &mut l)?;
        derived.index_changes(id.into(), &added)?;
        write_row_from_doc(&self.deriver(), &mut derived, obj, id, None, &mut l)?;
        Ok(l)
    }

    /// Sets or clears some fields of a record.
    pub fn update_record(&mut self, id: RecordId, changes: Vec<FieldChange>) -> Result<()> {
        self.update_record_with(id, changes, "edit")
    }

    /// Updates a record with a change that carries `message`.
    pub fn update_record_with(&mut self, id: RecordId, changes: Vec<FieldChange>, message: &str) -> Result<()> {
        let changes: Vec<FieldChange> = changes.into_iter().map(|(f, v)| (f, normalize(v))).collect();
        let sizes: Vec<(FieldId, usize)> = changes
            .iter()
            .map(|(f, v)| (*f, v.as_ref().map_or(0, |v| format!("{v:?}").len())))
            .collect();
        let result = self.edit_record_triggering(id, message, &changes);
        match result {
            Err(e) => {
                let object = self.row(id).ok().and_then(|r| self.schema.object(r.object).cloned());
                Err(match object {
                    Some(obj) => name_oversized_field(e, id, &obj, &sizes),
                    None => e,
                })
            }
            ok => ok,
        }
    }

    /// [`Self::edit_record`] for a change of values, running the automations a plain edit
    /// triggers in the same transaction and change group.
    fn edit_record_triggering(&mut self, id: RecordId, message: &str, changes: &[FieldChange]) -> Result<()> {
        let group = match self.row(id) {
            Ok(row) if message == "edit" => {
                let fields: Vec<FieldId> = changes.iter().map(|(f, _)| *f).collect();
                self.automation_group(message, row.object, Some(&fields))?
            }
            _ => None,
        };
        let Some(group) = group else {
            return self.edit_record(id, message, false, |_, derived, obj, _| {
                values_edit(derived, obj, id, changes)
            });
        };
        let message = format!("edit:{group}");
        self.write_with_automations(Some(group), vec![id], |ws, tx| {
            let mut before = None;
            let mut taken = None;
            ws.edit_in(
                tx,
                id,
                &message,
                false,
                |_, derived, obj, old| {
                    before = Some(old.clone());
                    values_edit(derived, obj, id, changes)
                },
                &mut taken,
            )?;
            let (Some(mut loaded), Some(before)) = (taken, before) else {
                return Ok((Vec::new(), Vec::new()));
            };
            let after = record::read_row(loaded.doc.document())
                .ok_or(StoreError::MissingMeta("record fields in a record document"))?;
            let event = super::automations::RecordEvent {
                record: id,
                object: before.object,
                before: Some(before),
                after,
                depth: 0,
                by: None,
            };
            Ok((vec![(id.into(), loaded)], vec![event]))
        })
    }

    /// Moves a record to the trash (sets `deleted_at`); it leaves lists and search.
    pub fn delete_record(&mut self, id: RecordId) -> Result<()> {
        let now = (self.clock)();
        self.edit_record(id, "edit", true, |_, _, _, row| match row.deleted_at {
            Some(_) => Err(Error::RecordDeleted(id.to_string())),
            None => Ok(Edit::Deleted(Some(now))),
        })
    }

    /// Takes a record out of the trash.
    pub fn restore_record(&mut self, id: RecordId) -> Result<()> {
        self.restore_record_with(id, Vec::new())
    }

    /// Takes a record out of the trash with some values changed in the same change: a
    /// unique value another record took meanwhile can be replaced on the way back.
    pub fn restore_record_with(&mut self, id: RecordId, changes: Vec<FieldChange>) -> Result<()> {
        let changes: Vec<FieldChange> = changes.into_iter().map(|(f, v)| (f, normalize(v))).collect();
        self.edit_record(id, "edit", true, |ws, derived, obj, row| {
            if row.deleted_at.is_none() {
                return if changes.is_empty() {
                    Ok(Edit::Nothing)
                } else {
                    Err(Error::NotInTrash(id.to_string()))
                };
            }
            for (field_id, value) in &changes {
                let field = obj.field(*field_id).ok_or_else(|| unknown_field(obj, *field_id))?;
                match value {
                    Some(v) => check_value(derived, obj, field, v)?,
                    None if field.required => return Err(required_missing(obj, field).into()),
                    None => {}
                }
            }
            // Coming back must not break a unique rule someone else took meanwhile.
            for field in obj.active_fields() {
                let value = match changes.iter().find(|(f, _)| *f == field.id) {
                    Some((_, v)) => v.clone(),
                    None => row.get(field.id).and_then(|s| field_type::read(field, s)),
                };
                let Some(value) = value else { continue };
                if let Some(holder) = unique_holder(derived, obj, field, &value, id)? {
                    return Err(Error::RestoreTaken {
                        record: ws.short_record_id(id).unwrap_or_else(|_| id.to_string()),
                        field: field.key.clone(),
                        value: field_type::display(field, &value),
                        holder: ws.short_record_id(holder).unwrap_or_else(|_| holder.to_string()),
                        holder_name: ws.record_name(holder),
                    });
                }
            }
            let stored: Vec<(FieldId, Option<Stored>)> = changes
                .iter()
                .map(|(f, v)| {
                    (
                        *f,
                        v.as_ref()
                            .and_then(|v| obj.field(*f).map(|def| field_type::to_stored(def, v))),
                    )
                })
                .collect();
            Ok(Edit::Restored(stored))
        })
    }

    /// Loads a record's document, applies `decide`'s edit as one change and updates the
    /// derived tables, all in one transaction.
    fn edit_record(
        &mut self,
        id: RecordId,
        message: &str,
        allow_deleted: bool,
        decide: impl FnOnce(&Self, &DerivedTables<'_>, &ObjectDef, &Row) -> Result<Edit>,
    ) -> Result<()> {
        let tx = self.store.write()?;
        let doc_id: DocId = id.into();
        let mut taken: Option<LoadedDoc> = None;
        let result = self.edit_in(&tx, id, message, allow_deleted, decide, &mut taken);
        match result {
            Ok(()) => {
                tx.commit().map_err(StoreError::from)?;
                self.committed(super::Changes::local_records(vec![id]));
                if let Some(l) = taken {
                    self.cache_doc(doc_id, l);
                }
                Ok(())
            }
            // The taken document may hold the failed change: it is dropped, not cached.
            Err(e) => Err(e),
        }
    }

    pub(super) fn edit_in(
        &mut self,
        tx: &WriteTransaction,
        id: RecordId,
        message: &str,
        allow_deleted: bool,
        decide: impl FnOnce(&Self, &DerivedTables<'_>, &ObjectDef, &Row) -> Result<Edit>,
        taken: &mut Option<LoadedDoc>,
    ) -> Result<()> {
        let mut derived = self.derived_tables(tx)?;
        let object = match derived.record_objects.get(id.as_bytes()).map_err(StoreError::from)? {
            Some(g) => ObjectId::from_bytes(g.value()),
            None => return Err(Error::RecordNotFound(id.to_string())),
        };
        let obj = self.object_def(object)?.clone();
        let old = derived
            .current_row(object, id)?
            .ok_or_else(|| Error::RecordNotFound(id.to_string()))?;
        if old.deleted_at.is_some() && !allow_deleted {
            return Err(Error::RecordDeleted(id.to_string()));
        }
        let edit = decide(self, &derived, &obj, &old)?;
        if matches!(edit, Edit::Nothing) {
            return Ok(());
        }
        let rules = match edit {
            // Moving a record to the trash is never refused by a rule.
            Edit::Deleted(_) => Vec::new(),
            _ => self.active_rules(object)?,
        };
        let mut docs = DocTables::open(tx)?;
        let mut loaded = self
            .take_doc(&docs, id.into())?
            .ok_or_else(|| Error::RecordNotFound(id.to_string()))?;
        let applied = match &edit {
            Edit::Values(changes) => record::set_values(&mut loaded.doc, changes),
            Edit::Deleted(at) => record::set_deleted(&mut loaded.doc, *at),
            Edit::Restored(changes) => {
                record::set_values(&mut loaded.doc, changes).and_then(|()| record::set_deleted(&mut loaded.doc, None))
            }
            Edit::Nothing => Ok(()),
        };
        applied.map_err(|e| corrupt(id.into(), e))?;
        commit(&mut loaded.doc, message, (self.clock)());
        if !rules.is_empty() {
            // The record as it would be saved; refused, the document (holding the
            // change) is dropped with the transaction.
            let row = record::read_row(loaded.doc.document())
                .ok_or(StoreError::MissingMeta("record fields in a record document"))?;
            check_rules(
                &rules,
                &self.schema,
                &obj,
                &row.values,
                &live_row_in(&derived),
                self.rule_today(),
            )?;
        }
        let added = store::persist_doc(&mut docs, id.into(), &mut loaded)?;
        derived.index_changes(id.into(), &added)?;
        write_row_from_doc(&self.deriver(), &mut derived, &obj, id, Some(&old), &mut loaded)?;
        *taken = Some(loaded);
        Ok(())
    }
}

/// What an edit does to a record document.
pub(super) enum Edit {
    Values(Vec<(FieldId, Option<Stored>)>),
    /// Out of the trash, with these values changed.
    Restored(Vec<(FieldId, Option<Stored>)>),
    Deleted(Option<i64>),
    Nothing,
}

/// A change refused for its size, with the record and the largest value written named
/// (the likely culprit); other errors pass unchanged.
fn name_oversized_field(e: Error, record: RecordId, obj: &ObjectDef, sizes: &[(FieldId, usize)]) -> Error {
    let Error::Store(store_error) = &e else { return e };
    let StoreError::ChangeTooLarge { bytes, limit, .. } = **store_error else {
        return e;
    };
    let field = sizes
        .iter()
        .max_by_key(|(_, len)| *len)
        .and_then(|(f, _)| obj.field(*f))
        .map_or_else(|| "the record".to_string(), |f| format!("{}.{}", obj.key, f.key));
    Error::ChangeTooLarge {
        record: record.to_string(),
        field,
        bytes,
        limit,
    }
}

/// Roughly how many bytes a value takes in a change.
fn stored_len(value: &Stored) -> usize {
    match value {
        Stored::Str(s) => s.len(),
        Stored::List(items) => items.iter().map(String::len).sum(),
        _ => 8,
    }
}

fn unknown_field(obj: &ObjectDef, field: FieldId) -> Error {
    crate::SchemaError::UnknownField {
        object: obj.key.clone(),
        field: field.to_string(),
    }
    .into()
}

/// The edit that sets `changes` on record `id`, after checking them: types, unique values,
/// required fields.
pub(super) fn values_edit(
    derived: &DerivedTables<'_>,
    obj: &ObjectDef,
    id: RecordId,
    changes: &[FieldChange],
) -> Result<Edit> {
    for (field_id, value) in changes {
        let field = obj.field(*field_id).ok_or_else(|| unknown_field(obj, *field_id))?;
        match value {
            Some(v) => {
                check_value(derived, obj, field, v)?;
                check_unique(derived, obj, field, v, id, None)?;
            }
            None if field.required => return Err(required_missing(obj, field).into()),
            None => super::validate::check_writable(obj, field, None)?,
        }
    }
    let stored: Vec<(FieldId, Option<Stored>)> = changes
        .iter()
        .map(|(f, v)| {
            (
                *f,
                v.as_ref()
                    .and_then(|v| obj.field(*f).map(|def| field_type::to_stored(def, v))),
            )
        })
        .collect();
    Ok(Edit::Values(stored))
}

/// Checks a new record's values: types, required fields, unique values.
pub(super) fn validate_new(
    derived: &DerivedTables<'_>,
    obj: &ObjectDef,
    id: RecordId,
    values: &[(FieldId, Value)],
    mut batch: Option<&mut HashSet<(FieldId, Vec<u8>)>>,
) -> Result<()> {
    for (field_id, value) in values {
        let field = obj.field(*field_id).ok_or_else(|| unknown_field(obj, *field_id))?;
        check_value(derived, obj, field, value)?;
        check_unique(derived, obj, field, value, id, batch.as_deref_mut())?;
    }
    for field in obj.active_fields().filter(|f| f.required) {
        if !values.iter().any(|(f, _)| *f == field.id) {
            return Err(required_missing(obj, field).into());
        }
    }
    Ok(())
}

pub(super) fn to_stored(obj: &ObjectDef, values: &[(FieldId, Value)]) -> Vec<(FieldId, Stored)> {
    values
        .iter()
        .filter_map(|(f, v)| obj.field(*f).map(|def| (*f, field_type::to_stored(def, v))))
        .collect()
}

/// The live row of a related record, read inside the write transaction (rule lookups).
pub(super) fn live_row_in<'a>(derived: &'a DerivedTables<'_>) -> impl Fn(ObjectId, RecordId) -> Option<Row> + 'a {
    move |object, id| {
        derived
            .current_row(object, id)
            .ok()
            .flatten()
            .filter(|row| row.deleted_at.is_none())
    }
}

/// Derives the row from the document and writes the derived tables (and the records
/// whose computed values read this one).
fn write_row_from_doc(
    deriver: &super::derive::Deriver<'_>,
    derived: &mut DerivedTables<'_>,
    obj: &ObjectDef,
    id: RecordId,
    old: Option<&Row>,
    loaded: &mut LoadedDoc,
) -> Result<()> {
    super::derive::write_record(deriver, derived, obj, id, old, loaded.doc.document())?
        .ok_or(StoreError::MissingMeta("record fields in a record document"))?;
    Ok(())
}
