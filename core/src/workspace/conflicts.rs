//! Conflicts (fields that concurrent edits left with several values) and the trash.

use automerge::{ObjType, ROOT, ReadDoc};
use redb::{ReadableTable, ReadableTableMetadata};
use serde::Serialize;

use super::Workspace;
use super::records::RecordView;
use crate::error::{Error, Result, StoreError};
use crate::store::{DerivedTables, DocTables, decode_row, object_prefix, row_key, tables};
use crate::value::Value;
use crate::{DocId, FieldId, ObjectId, RecordId, encoding::prefix_end, field_type};

/// One of the values a conflicted field holds.
#[derive(Debug, Clone, Serialize)]
pub struct ConflictValue {
    pub display: String,
    pub author: String,
    /// When it was written (ms since the epoch).
    pub time: i64,
    /// The change that wrote it.
    pub change: String,
    /// The value as stored, to write back when it is picked.
    #[serde(skip)]
    pub(crate) stored: crate::Stored,
}

/// A conflicted field of a record. `values[0]` is the one shown until it is settled.
#[derive(Debug, Clone, Serialize)]
pub struct ConflictView {
    pub record: RecordId,
    pub record_name: String,
    pub object: ObjectId,
    pub object_key: String,
    pub field: FieldId,
    pub field_label: String,
    pub values: Vec<ConflictValue>,
}

/// How to settle a conflict.
#[derive(Debug, Clone)]
pub enum Resolution {
    /// Keep the n-th value listed (1-based, as `conflicts` lists them).
    Pick(usize),
    /// Set this value (text, parsed for the field's type).
    Value(String),
}

impl Workspace {
    /// Every conflicted field, optionally of one object.
    pub fn conflicts(&self, object: Option<ObjectId>) -> Result<Vec<ConflictView>> {
        let keys: Vec<Vec<u8>> = {
            let tx = self.store.read()?;
            let table = tx.open_table(tables::CONFLICTS).map_err(StoreError::from)?;
            let mut keys = Vec::new();
            for entry in table.iter().map_err(StoreError::from)? {
                let (key, _) = entry.map_err(StoreError::from)?;
                keys.push(key.value().to_vec());
            }
            keys
        };
        let mut out = Vec::new();
        for key in keys {
            let (Some(obj), Some(record)) = (ObjectId::from_slice(&key), RecordId::from_slice(&key[16..])) else {
                continue;
            };
            if object.is_some_and(|o| o != obj) {
                continue;
            }
            out.extend(self.record_conflicts(record)?);
        }
        Ok(out)
    }

    /// The conflicted fields of one record, each value with its author and time.
    pub fn record_conflicts(&self, record: RecordId) -> Result<Vec<ConflictView>> {
        let row = self.row(record)?;
        if row.conflicts.is_empty() {
            return Ok(Vec::new());
        }
        let Some(mut doc) = self.read_doc(record.into())? else {
            return Ok(Vec::new());
        };
        let object = self.schema.object(row.object);
        let values_map = match doc.get(ROOT, "values") {
            Ok(Some((automerge::Value::Object(ObjType::Map), id))) => id,
            _ => return Ok(Vec::new()),
        };
        let mut out = Vec::new();
        for field in row.conflicts.keys() {
            let def = object.and_then(|o| o.field(*field));
            let all = doc.get_all(&values_map, field.to_string()).unwrap_or_default();
            // Winner first (automerge's pick, the shown value), then the others.
            let mut listed: Vec<ConflictValue> = Vec::new();
            let shown = row.values.get(field);
            let mut entries: Vec<(crate::Stored, automerge::ObjId)> = Vec::new();
            for (value, id) in all {
                let stored = match value {
                    automerge::Value::Scalar(s) => scalar(&s),
                    automerge::Value::Object(ObjType::List) => Some(crate::Stored::List(
                        doc.list_range(&id, ..)
                            .filter_map(|i| match i.value {
                                automerge::ValueRef::Scalar(automerge::ScalarValueRef::Str(s)) => Some(s.to_string()),
                                _ => None,
                            })
                            .collect(),
                    )),
                    _ => None,
                };
                if let Some(stored) = stored {
                    entries.push((stored, id));
                }
            }
            entries.sort_by_key(|(s, _)| Some(s) != shown);
            for (stored, id) in entries {
                let (author, time, change) = match doc.hash_for_opid(&id) {
                    Some(hash) => match doc.get_change_meta_by_hash(&hash) {
                        Some(meta) => (
                            self.author_name(&meta.actor),
                            meta.timestamp,
                            crate::history::hex(&hash),
                        ),
                        None => (String::new(), 0, crate::history::hex(&hash)),
                    },
                    None => (String::new(), 0, String::new()),
                };
                let display = match def.and_then(|d| field_type::read(d, &stored).map(|v| (d, v))) {
                    Some((_, Value::Records(ids))) => {
                        ids.iter().map(|i| self.record_name(*i)).collect::<Vec<_>>().join(", ")
                    }
                    Some((d, v)) => field_type::display(d, &v),
                    None => stored.raw_text(),
                };
                listed.push(ConflictValue {
                    display,
                    author,
                    time,
                    change,
                    stored,
                });
            }
            out.push(ConflictView {
                record,
                record_name: self.record_name(record),
                object: row.object,
                object_key: object.map_or_else(String::new, |o| o.key.clone()),
                field: *field,
                field_label: def.map_or_else(|| field.to_string(), |d| d.label.clone()),
                values: listed,
            });
        }
        Ok(out)
    }

    /// Settles a conflict with one of its values or a new one, as a new change that
    /// replaces every concurrent value.
    pub fn resolve_conflict(&mut self, record: RecordId, field: FieldId, resolution: Resolution) -> Result<()> {
        let conflicts = self.record_conflicts(record)?;
        let Some(conflict) = conflicts.iter().find(|c| c.field == field) else {
            let label = self
                .row(record)
                .ok()
                .and_then(|row| {
                    self.schema
                        .object(row.object)
                        .and_then(|o| o.field(field))
                        .map(|f| f.label.clone())
                })
                .unwrap_or_else(|| field.to_string());
            return Err(Error::NoConflict {
                record: record.to_string(),
                field: label,
            });
        };
        let chosen = match resolution {
            Resolution::Pick(n) if n >= 1 && n <= conflict.values.len() => Some(conflict.values[n - 1].stored.clone()),
            Resolution::Pick(_) => {
                return Err(Error::BadPick {
                    max: conflict.values.len(),
                });
            }
            Resolution::Value(text) => {
                let object = self.row(record)?.object;
                let key = self
                    .schema
                    .object(object)
                    .and_then(|o| o.field(field))
                    .map(|f| f.key.clone());
                let parsed = self.parse_values(object, &[(key.unwrap_or_default(), text)])?;
                let value = parsed.into_iter().next().and_then(|(_, v)| v);
                return self.update_record_with(record, vec![(field, value)], "resolve");
            }
        };
        // Writing the field again replaces every concurrent value: the conflict is gone.
        self.write_stored(record, vec![(field, chosen)], "resolve")
    }

    /// Records in the trash, newest deletion first, optionally of one object.
    pub fn trash(&self, object: Option<ObjectId>, limit: usize) -> Result<Vec<RecordView>> {
        let tx = self.store.read()?;
        let table = tx.open_table(tables::TRASH).map_err(StoreError::from)?;
        let mut rows = Vec::new();
        let range = match object {
            Some(o) => {
                let prefix = object_prefix(o);
                let end = prefix_end(&prefix).unwrap_or_default();
                table
                    .range(prefix.as_slice()..end.as_slice())
                    .map_err(StoreError::from)?
            }
            None => table.range::<&[u8]>(..).map_err(StoreError::from)?,
        };
        for entry in range {
            let (key, value) = entry.map_err(StoreError::from)?;
            let Some(id) = RecordId::from_slice(&key.value()[16..]) else {
                continue;
            };
            rows.push((id, decode_row(value.value())?));
        }
        rows.sort_by_key(|(_, r)| std::cmp::Reverse(r.deleted_at));
        rows.truncate(limit);
        Ok(rows.iter().map(|(id, row)| self.view(*id, row)).collect())
    }

    /// Number of records in the trash.
    pub fn trash_len(&self) -> Result<u64> {
        let tx = self.store.read()?;
        Ok(tx
            .open_table(tables::TRASH)
            .map_err(StoreError::from)?
            .len()
            .map_err(StoreError::from)?)
    }

    /// Destroys a record in the trash on this device: its document, history and rows.
    /// The one destructive action; it cannot be reverted. Other devices keep their copy
    /// until it is purged there too.
    pub fn purge(&mut self, record: RecordId) -> Result<()> {
        let row = self.row(record)?;
        if row.deleted_at.is_none() {
            return Err(Error::RecordNotFound(format!(
                "{record} in the trash (delete it first)"
            )));
        }
        let doc_id: DocId = record.into();
        let hashes: Vec<[u8; 32]> = match self.read_doc(doc_id)? {
            Some(mut doc) => doc.get_changes(&[]).iter().map(|c| c.hash().0).collect(),
            None => Vec::new(),
        };
        self.cache.pop(&doc_id);
        self.write(|tx| {
            let mut docs = DocTables::open(tx)?;
            docs.docs.remove(doc_id.as_bytes()).map_err(StoreError::from)?;
            docs.changes
                .retain_in((*doc_id.as_bytes(), 0)..=(*doc_id.as_bytes(), u32::MAX), |_, _| false)
                .map_err(StoreError::from)?;
            docs.outbox
                .retain(|_, v| !v.starts_with(doc_id.as_bytes()))
                .map_err(StoreError::from)?;
            // A deleted record has no index or search entries: its rows are all there is.
            let mut derived = DerivedTables::open(tx)?;
            let key = row_key(row.object, record);
            derived.trash.remove(key.as_slice()).map_err(StoreError::from)?;
            derived.rows.remove(key.as_slice()).map_err(StoreError::from)?;
            derived.conflicts.remove(key.as_slice()).map_err(StoreError::from)?;
            derived
                .record_objects
                .remove(record.as_bytes())
                .map_err(StoreError::from)?;
            derived
                .short_ids
                .remove(crate::short_id::random_key(record.as_bytes()))
                .map_err(StoreError::from)?;
            for hash in &hashes {
                derived.changes.remove(hash).map_err(StoreError::from)?;
            }
            Ok(())
        })
    }
}

fn scalar(s: &automerge::ScalarValue) -> Option<crate::Stored> {
    use automerge::ScalarValue as S;
    Some(match s {
        S::Str(v) => crate::Stored::Str(v.to_string()),
        S::F64(v) => crate::Stored::F64(*v),
        S::Int(v) => crate::Stored::Int(*v),
        S::Boolean(v) => crate::Stored::Bool(*v),
        S::Timestamp(v) => crate::Stored::Timestamp(*v),
        _ => return None,
    })
}
