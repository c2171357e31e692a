//! Reading history: what every change of a record or of the schema did, and how a
//! record or the schema looked at any moment. Nothing here writes.

use std::collections::BTreeMap;

use automerge::{AutoCommit, ChangeHash};
use serde::Serialize;

use super::Workspace;
use super::records::RecordView;
use crate::error::{Error, Result, StoreError};
use crate::history::replay::Replay;
use crate::history::{ChangeKind, SchemaProp, flatten, group_of, heads_at, hex};
use crate::record::{Row, read_row_at};
use crate::schema::{Schema, doc as schema_doc};
use crate::store::{self, tables};
use crate::{DocId, FieldId, GroupId, RecordId, field_type};

/// One field's value before and after a change, as shown to people.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldDiff {
    pub field: FieldId,
    pub label: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// One change of a record or of the schema.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryEntry {
    /// The change hash (hex); any unique prefix of 6+ characters names it.
    pub change: String,
    /// Milliseconds since the epoch.
    pub time: i64,
    pub author: String,
    /// The device's actor id (hex).
    pub device: String,
    /// Made on another device and received through sync.
    pub synced: bool,
    pub message: String,
    pub kind: ChangeKind,
    pub group: Option<GroupId>,
    /// The record was created by this change.
    pub created: bool,
    /// `Some(true)`: moved to the trash; `Some(false)`: taken out of it.
    pub deleted: Option<bool>,
    /// Record fields this change set (records) — or, for the schema, one line per
    /// property (`label` holds a description, `old`/`new` the values).
    pub fields: Vec<FieldDiff>,
}

impl Workspace {
    /// Loads a document fresh from the store (reads do not disturb the edit cache).
    pub(crate) fn read_doc(&self, id: DocId) -> Result<Option<AutoCommit>> {
        let tx = self.store.read()?;
        let docs = tx.open_table(tables::DOCS).map_err(StoreError::from)?;
        let changes = tx.open_table(tables::DOC_CHANGES).map_err(StoreError::from)?;
        Ok(store::load_doc(&docs, &changes, id)?.map(|l| l.doc))
    }

    fn record_doc(&self, id: RecordId) -> Result<AutoCommit> {
        self.read_doc(id.into())?
            .ok_or_else(|| Error::RecordNotFound(id.to_string()))
    }

    /// Every change to a record, oldest first, with each field's old and new value.
    pub fn record_history(&self, id: RecordId) -> Result<Vec<HistoryEntry>> {
        let mut doc = self.record_doc(id)?;
        let changes = doc.get_changes(&[]);
        let mine = self.device.actor.clone();
        let mut out = Vec::with_capacity(changes.len());
        // History is mostly linear: replay it change by change, and read the state the
        // slow way only around merges of concurrent changes.
        let mut replay = Replay::new();
        let mut previous: Option<(ChangeHash, Option<Row>)> = None;
        let automerge = doc.document();
        for change in &changes {
            let hash = change.hash();
            let deps = change.deps();
            let linear = match (&previous, deps) {
                (None, []) => true,
                (Some((p, _)), [d]) => p == d,
                _ => false,
            };
            let (before, after) = if linear && replay.apply(change) {
                (
                    previous.as_ref().and_then(|(_, row)| row.clone()),
                    replay.row(change.timestamp()),
                )
            } else {
                replay = Replay::stopped();
                let before = if deps.is_empty() {
                    None
                } else {
                    read_row_at(automerge, Some(deps))
                };
                (before, read_row_at(automerge, Some(&[hash])))
            };
            let message = change.message().map(str::to_string).unwrap_or_default();
            let mut entry = HistoryEntry {
                change: hex(&hash),
                time: change.timestamp(),
                author: self.author_name(change.actor_id()),
                device: change.actor_id().to_hex_string(),
                synced: change.actor_id() != &mine,
                kind: ChangeKind::of(&message),
                group: group_of(&message),
                message,
                created: before.is_none() && after.is_some(),
                deleted: None,
                fields: Vec::new(),
            };
            if let Some(after) = &after {
                let was_deleted = before.as_ref().is_some_and(|b| b.deleted_at.is_some());
                if was_deleted != after.deleted_at.is_some() && !entry.created {
                    entry.deleted = Some(after.deleted_at.is_some());
                }
                entry.fields = self.field_diffs(before.as_ref(), after);
            }
            out.push(entry);
            previous = Some((hash, after));
        }
        Ok(out)
    }

    /// The fields whose values differ between two states of a record.
    pub(crate) fn field_diffs(&self, before: Option<&Row>, after: &Row) -> Vec<FieldDiff> {
        let empty = BTreeMap::new();
        let old_values = before.map_or(&empty, |b| &b.values);
        let mut fields: Vec<FieldId> = old_values.keys().chain(after.values.keys()).copied().collect();
        fields.sort();
        fields.dedup();
        let object = self.schema.object(after.object);
        fields
            .into_iter()
            .filter(|f| old_values.get(f) != after.values.get(f))
            .map(|f| {
                let def = object.and_then(|o| o.field(f));
                let show = |s: Option<&crate::Stored>| {
                    s.map(|s| match def {
                        Some(def) => match field_type::read(def, s) {
                            Some(crate::Value::Records(ids)) => ids
                                .iter()
                                .map(|id| self.record_name(*id))
                                .collect::<Vec<_>>()
                                .join(", "),
                            Some(v) => field_type::display(def, &v),
                            None => s.raw_text(),
                        },
                        None => s.raw_text(),
                    })
                };
                FieldDiff {
                    field: f,
                    label: def.map_or_else(|| f.to_string(), |d| d.label.clone()),
                    old: show(old_values.get(&f)),
                    new: show(after.values.get(&f)),
                }
            })
            .collect()
    }

    /// A record as it was at `time` (ms since the epoch).
    pub fn record_at(&self, id: RecordId, time: i64) -> Result<RecordView> {
        let mut doc = self.record_doc(id)?;
        let heads = heads_at(&mut doc, time);
        if heads.is_empty() {
            return Err(Error::RecordNotFound(format!(
                "{id} (it did not exist yet at that time)"
            )));
        }
        let row = read_row_at(doc.document(), Some(&heads)).ok_or_else(|| Error::RecordNotFound(id.to_string()))?;
        Ok(self.view(id, &row))
    }

    /// The schema as it was at `time` (ms since the epoch).
    pub fn schema_at(&self, time: i64) -> Result<Schema> {
        let Some(mut doc) = self.read_doc(self.schema_doc_id)? else {
            return Ok(Schema::default());
        };
        let heads = heads_at(&mut doc, time);
        if heads.is_empty() {
            return Ok(Schema::default());
        }
        let mut past = doc.fork_at(&heads).map_err(|e| super::corrupt(self.schema_doc_id, e))?;
        Ok(schema_doc::hydrate(past.document()))
    }

    /// Every change to the schema, oldest first, one line per property it changed.
    pub fn schema_history(&self) -> Result<Vec<HistoryEntry>> {
        let Some(mut doc) = self.read_doc(self.schema_doc_id)? else {
            return Ok(Vec::new());
        };
        let changes = doc.get_changes(&[]);
        let mine = self.device.actor.clone();
        let mut out = Vec::new();
        for change in &changes {
            let before = self.schema_version(&mut doc, change.deps())?;
            let after = self.schema_version(&mut doc, &[change.hash()])?;
            let message = change.message().map(str::to_string).unwrap_or_default();
            out.push(HistoryEntry {
                change: hex(&change.hash()),
                time: change.timestamp(),
                author: self.author_name(change.actor_id()),
                device: change.actor_id().to_hex_string(),
                synced: change.actor_id() != &mine,
                kind: ChangeKind::Schema,
                group: group_of(&message),
                message,
                created: false,
                deleted: None,
                fields: describe_schema_diff(&before, &after),
            });
        }
        Ok(out)
    }

    /// The schema at some heads (empty heads: before anything).
    pub(crate) fn schema_version(&self, doc: &mut AutoCommit, heads: &[ChangeHash]) -> Result<Schema> {
        if heads.is_empty() {
            return Ok(Schema::default());
        }
        let mut past = doc.fork_at(heads).map_err(|e| super::corrupt(self.schema_doc_id, e))?;
        Ok(schema_doc::hydrate(past.document()))
    }
}

/// The schema entity a property belongs to, by key: `people`, `people.city`,
/// `people.lead_source: option Web`.
pub(super) fn prop_name(s: &Schema, p: &SchemaProp) -> String {
    match p {
        SchemaProp::Object(o, _) => s.object(*o).map_or_else(|| o.to_string(), |o| o.key.clone()),
        SchemaProp::Field(o, f, _) => {
            let obj = s.object(*o);
            let field = obj
                .and_then(|x| x.field(*f))
                .map_or_else(|| f.to_string(), |f| f.key.clone());
            format!("{}.{field}", obj.map_or_else(|| o.to_string(), |o| o.key.clone()))
        }
        SchemaProp::Option(o, f, p, _) => {
            let obj = s.object(*o);
            let field = obj.and_then(|x| x.field(*f));
            let option = field
                .and_then(|x| x.option(*p))
                .map_or_else(|| p.to_string(), |p| p.label.clone());
            format!(
                "{}.{}: option {option}",
                obj.map_or_else(|| o.to_string(), |o| o.key.clone()),
                field.map_or_else(|| f.to_string(), |f| f.key.clone())
            )
        }
    }
}

/// Human lines for what changed between two schema versions.
fn describe_schema_diff(before: &Schema, after: &Schema) -> Vec<FieldDiff> {
    let old = flatten(before);
    let new = flatten(after);
    let mut keys: Vec<&SchemaProp> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut out = Vec::new();
    for key in keys {
        let (a, b) = (old.get(key), new.get(key));
        if a == b {
            continue;
        }
        let (kind, prop) = match key {
            SchemaProp::Object(_, p) => ("object", *p),
            SchemaProp::Field(_, _, p) => ("field", *p),
            SchemaProp::Option(_, _, _, p) => ("option", *p),
        };
        let name = prop_name(if b.is_some() { after } else { before }, key);
        // An entity that appears is one line ("field added"), not one per property.
        if a.is_none() && prop != "exists" {
            continue;
        }
        let label = match (prop, a.is_none()) {
            ("exists", true) => format!("{kind} {name} added"),
            ("exists", false) => format!("{kind} {name} removed"),
            ("archived", _) if b.map(String::as_str) == Some("true") => format!("{kind} {name} archived"),
            ("archived", _) => format!("{kind} {name} restored"),
            ("type", _) => format!("{kind} {name} retyped"),
            ("order", _) => format!("{kind} {name}: position"),
            (p, _) => format!("{kind} {name}: {p}"),
        };
        // Positions count from 1 wherever people see them; `order` counts from 0.
        let shown = |v: Option<&String>| match (prop, v) {
            ("order", Some(text)) => Some(
                text.parse::<i64>()
                    .map_or_else(|_| text.clone(), |n| (n + 1).to_string()),
            ),
            (_, v) => v.cloned(),
        };
        let field = match key {
            SchemaProp::Field(_, f, _) | SchemaProp::Option(_, f, _, _) => *f,
            SchemaProp::Object(o, _) => FieldId::from_bytes(*o.as_bytes()),
        };
        out.push(FieldDiff {
            field,
            label,
            old: shown(a),
            new: shown(b),
        });
    }
    out
}
