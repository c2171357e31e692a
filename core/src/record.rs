//! The record document: one Automerge document per record.
//!
//! ```text
//! { kind: "record", id: "<record id>", object: "<object id>", created_at: Timestamp,
//!   created_by: "<user>", values: { "<field id>": scalar | [str, ...] }, deleted_at?: Timestamp }
//! ```
//!
//! Records made before document kinds existed have no `kind`: see `doc_kind::classify`.
//!
//! Stability: this layout is what every replica and the relay's snapshots hold.

use std::collections::BTreeMap;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, Automerge, ChangeHash, ObjType, ROOT, ReadDoc, ScalarValue};
use serde::{Deserialize, Serialize};

use crate::doc_kind::{self, DocKind};
use crate::value::Stored;
use crate::{FieldId, ObjectId};

const ID: &str = "id";
pub(crate) const OBJECT: &str = "object";
const CREATED_AT: &str = "created_at";
const CREATED_BY: &str = "created_by";
const VALUES: &str = "values";
const DELETED_AT: &str = "deleted_at";

/// The materialized state of a record, as kept in the `rows` and `trash` tables.
///
/// Stability: postcard-encoded in redb (rebuildable with `kith reindex`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub object: ObjectId,
    pub created_at: i64,
    pub created_by: String,
    /// Time of the latest change (the newest head).
    pub updated_at: i64,
    pub deleted_at: Option<i64>,
    pub values: BTreeMap<FieldId, Stored>,
    /// Fields that concurrent edits left with more than one value: the values that did
    /// not win (the winner is in `values`, chosen the same way on every device).
    #[serde(default)]
    pub conflicts: BTreeMap<FieldId, Vec<Stored>>,
}

impl Row {
    pub fn get(&self, field: FieldId) -> Option<&Stored> {
        self.values.get(&field)
    }
}

/// Writes a new record's initial state into an empty document.
pub(crate) fn init(
    doc: &mut AutoCommit,
    id: crate::RecordId,
    object: ObjectId,
    created_at: i64,
    created_by: &str,
    values: &[(FieldId, Stored)],
) -> Result<(), automerge::AutomergeError> {
    // The document names its record: otherwise two records created with the same values
    // in the same millisecond would be byte-identical changes, which a relay (rightly)
    // stores once.
    doc.put(ROOT, crate::doc_kind::KIND, DocKind::Record.as_str())?;
    doc.put(ROOT, ID, id.to_string())?;
    doc.put(ROOT, OBJECT, object.to_string())?;
    doc.put(ROOT, CREATED_AT, ScalarValue::Timestamp(created_at))?;
    doc.put(ROOT, CREATED_BY, created_by)?;
    let map = doc.put_object(ROOT, VALUES, ObjType::Map)?;
    for (field, value) in values {
        put_value(doc, &map, *field, value)?;
    }
    Ok(())
}

/// Sets (or with `None`, removes) field values. A value is written into the winning
/// `values` map and removed from any competing one (two devices that each created the
/// document for one record id, say by importing it), so it is not shadowed and a removal
/// removes it everywhere.
pub(crate) fn set_values(
    doc: &mut AutoCommit,
    changes: &[(FieldId, Option<Stored>)],
) -> Result<(), automerge::AutomergeError> {
    let mut maps = crate::merged::child_maps(doc, &[ROOT], VALUES);
    if maps.is_empty() {
        // Only a document that is not a record document lacks `values`.
        maps.push(doc.put_object(ROOT, VALUES, ObjType::Map)?);
    }
    let winner = maps[0].clone();
    let others = maps[1..].to_vec();
    for (field, value) in changes {
        let key = field.to_string();
        if let Some(v) = value {
            put_value(doc, &winner, *field, v)?;
        } else if doc.get(&winner, key.as_str())?.is_some() {
            doc.delete(&winner, key.as_str())?;
        }
        for other in &others {
            if doc.get(other, key.as_str())?.is_some() {
                doc.delete(other, key.as_str())?;
            }
        }
    }
    Ok(())
}

/// Whether the record document holds competing `values` maps whose entries the winner
/// lacks (see `crate::merged`).
pub(crate) fn needs_heal(doc: &Automerge) -> bool {
    doc.get_all(ROOT, VALUES).is_ok_and(|all| all.len() > 1) && crate::merged::needs_heal(doc, &ROOT)
}

/// Folds competing `values` maps into the winner (the caller commits it as `heal`).
pub(crate) fn heal(doc: &mut AutoCommit) -> Result<bool, automerge::AutomergeError> {
    crate::merged::heal(doc, &ROOT)
}

/// Marks the record deleted (`Some`) or restores it (`None`).
pub(crate) fn set_deleted(doc: &mut AutoCommit, at: Option<i64>) -> Result<(), automerge::AutomergeError> {
    match at {
        Some(t) => doc.put(ROOT, DELETED_AT, ScalarValue::Timestamp(t)),
        None => doc.delete(ROOT, DELETED_AT),
    }
}

fn put_value(
    doc: &mut AutoCommit,
    map: &automerge::ObjId,
    field: FieldId,
    value: &Stored,
) -> Result<(), automerge::AutomergeError> {
    let key = field.to_string();
    let scalar = match value {
        Stored::Str(s) => ScalarValue::Str(s.as_str().into()),
        Stored::F64(n) => ScalarValue::F64(*n),
        Stored::Int(n) => ScalarValue::Int(*n),
        Stored::Bool(b) => ScalarValue::Boolean(*b),
        Stored::Timestamp(t) => ScalarValue::Timestamp(*t),
        Stored::List(items) => {
            let list = doc.put_object(map, key, ObjType::List)?;
            for (i, item) in items.iter().enumerate() {
                doc.insert(&list, i, item.as_str())?;
            }
            return Ok(());
        }
    };
    doc.put(map, key, scalar)
}

/// Reads a document now or as at some heads (history, time travel).
#[derive(Clone, Copy)]
struct At<'a> {
    doc: &'a Automerge,
    heads: Option<&'a [ChangeHash]>,
}

impl<'a> At<'a> {
    fn get_all(&self, obj: &automerge::ObjId, key: &str) -> Vec<(automerge::Value<'a>, automerge::ObjId)> {
        match self.heads {
            None => self.doc.get_all(obj, key),
            Some(h) => self.doc.get_all_at(obj, key, h),
        }
        .unwrap_or_default()
    }

    fn map_range(&self, obj: &automerge::ObjId) -> automerge::iter::MapRange<'a> {
        match self.heads {
            None => self.doc.map_range(obj, ..),
            Some(h) => self.doc.map_range_at(obj, .., h),
        }
    }

    fn list(&self, obj: &automerge::ObjId) -> Vec<String> {
        let items = match self.heads {
            None => self.doc.list_range(obj, ..),
            Some(h) => self.doc.list_range_at(obj, .., h),
        };
        items
            .filter_map(|item| match item.value {
                automerge::ValueRef::Scalar(s) => scalar_to_stored(&s).map(|v| match v {
                    Stored::Str(s) => s,
                    other => other.raw_text(),
                }),
                _ => None,
            })
            .collect()
    }
}

/// Reads the record's state. `None` if the document is not a record document (by its
/// kind; see `doc_kind::classify` for documents made before kinds).
pub(crate) fn read_row(doc: &Automerge) -> Option<Row> {
    read_row_at(doc, None)
}

/// Reads the record's state as at `heads` (`None`: now).
pub(crate) fn read_row_at(doc: &Automerge, heads: Option<&[ChangeHash]>) -> Option<Row> {
    let at = At { doc, heads };
    // One pass over the root map: a lookup per key costs about as much as the pass.
    let mut object: Option<ObjectId> = None;
    let mut kind: Option<String> = None;
    let mut created_at = None;
    let mut deleted_at = None;
    let mut created_by = String::new();
    let mut values_map = None;
    for item in at.map_range(&ROOT) {
        match (item.key.as_ref(), &item.value) {
            (OBJECT, automerge::ValueRef::Scalar(automerge::ScalarValueRef::Str(s))) => object = s.parse().ok(),
            (doc_kind::KIND, automerge::ValueRef::Scalar(automerge::ScalarValueRef::Str(s))) => {
                kind = Some(s.to_string());
            }
            (CREATED_AT, automerge::ValueRef::Scalar(s)) => created_at = scalar_time(s),
            (DELETED_AT, automerge::ValueRef::Scalar(s)) => deleted_at = scalar_time(s),
            (CREATED_BY, automerge::ValueRef::Scalar(automerge::ScalarValueRef::Str(s))) => {
                created_by = s.to_string();
            }
            (VALUES, automerge::ValueRef::Object(ObjType::Map)) => values_map = Some((item.id(), item.conflict)),
            _ => {}
        }
    }
    if doc_kind::classify(kind.as_deref(), object.is_some()) != Some(DocKind::Record) {
        return None;
    }
    let object = object?;
    let mut values = BTreeMap::new();
    let mut conflicts: BTreeMap<FieldId, Vec<Stored>> = BTreeMap::new();
    if let Some((map, competing)) = values_map {
        read_values(&at, &map, &mut values, &mut conflicts);
        if competing {
            // Two documents created for one record id (an import on two devices) each
            // made a `values` map: read the others too, so no device's value is hidden.
            for (value, other) in at.get_all(&ROOT, VALUES) {
                if other != map && matches!(value, automerge::Value::Object(ObjType::Map)) {
                    let mut more = BTreeMap::new();
                    let mut more_conflicts = BTreeMap::new();
                    read_values(&at, &other, &mut more, &mut more_conflicts);
                    for (field, value) in more.into_iter() {
                        let extra = more_conflicts.remove(&field).unwrap_or_default();
                        match values.get(&field) {
                            None => {
                                values.insert(field, value);
                                if !extra.is_empty() {
                                    conflicts.insert(field, extra);
                                }
                            }
                            Some(winner) => {
                                let winner = winner.clone();
                                let list = conflicts.entry(field).or_default();
                                for v in std::iter::once(value).chain(extra) {
                                    if v != winner && !list.contains(&v) {
                                        list.push(v);
                                    }
                                }
                                if list.is_empty() {
                                    conflicts.remove(&field);
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    let current;
    let heads = match heads {
        Some(h) => h,
        None => {
            current = doc.get_heads();
            &current
        }
    };
    let updated_at = heads
        .iter()
        .filter_map(|h| doc.get_change_meta_by_hash(h).map(|m| m.timestamp))
        .max()
        .unwrap_or(0);
    Some(Row {
        object,
        created_at: created_at.unwrap_or(0),
        created_by,
        updated_at,
        deleted_at,
        values,
        conflicts,
    })
}

/// Reads one `values` map: each field's winning value, and the values it beat (equal
/// values written concurrently, as two devices healing at once do, are not a conflict).
fn read_values(
    at: &At<'_>,
    map: &automerge::ObjId,
    values: &mut BTreeMap<FieldId, Stored>,
    conflicts: &mut BTreeMap<FieldId, Vec<Stored>>,
) {
    for item in at.map_range(map) {
        let Ok(field) = item.key.parse::<FieldId>() else {
            continue;
        };
        let winner = item.id();
        let value = match &item.value {
            automerge::ValueRef::Scalar(s) => scalar_to_stored(s),
            automerge::ValueRef::Object(ObjType::List) => Some(Stored::List(at.list(&winner))),
            _ => None,
        };
        if item.conflict {
            let mut losers: Vec<Stored> = Vec::new();
            for (v, id) in at.get_all(map, item.key.as_ref()) {
                if id == winner {
                    continue;
                }
                let loser = match v {
                    automerge::Value::Scalar(s) => scalar_to_stored(&scalar_ref(s.as_ref())),
                    automerge::Value::Object(ObjType::List) => Some(Stored::List(at.list(&id))),
                    _ => None,
                };
                if let Some(loser) = loser
                    && Some(&loser) != value.as_ref()
                    && !losers.contains(&loser)
                {
                    losers.push(loser);
                }
            }
            if !losers.is_empty() {
                conflicts.insert(field, losers);
            }
        }
        if let Some(v) = value {
            values.insert(field, v);
        }
    }
}

/// A timestamp stored as an Automerge timestamp or (older documents) an integer.
fn scalar_time(s: &automerge::ScalarValueRef<'_>) -> Option<i64> {
    match s {
        automerge::ScalarValueRef::Timestamp(t) | automerge::ScalarValueRef::Int(t) => Some(*t),
        _ => None,
    }
}

pub(crate) fn scalar_ref(s: &ScalarValue) -> automerge::ScalarValueRef<'_> {
    use automerge::ScalarValueRef as S;
    match s {
        ScalarValue::Str(v) => S::Str(v.as_str().into()),
        ScalarValue::F64(v) => S::F64(*v),
        ScalarValue::Int(v) => S::Int(*v),
        ScalarValue::Uint(v) => S::Uint(*v),
        ScalarValue::Boolean(v) => S::Boolean(*v),
        ScalarValue::Timestamp(v) => S::Timestamp(*v),
        ScalarValue::Counter(c) => S::Counter(i64::from(c)),
        _ => S::Null,
    }
}

pub(crate) fn scalar_to_stored(s: &automerge::ScalarValueRef<'_>) -> Option<Stored> {
    use automerge::ScalarValueRef as S;
    Some(match s {
        S::Str(s) => Stored::Str(s.to_string()),
        S::F64(n) => Stored::F64(*n),
        S::Int(n) => Stored::Int(*n),
        S::Uint(n) => Stored::Int(i64::try_from(*n).unwrap_or(i64::MAX)),
        S::Counter(n) => Stored::Int(*n),
        S::Boolean(b) => Stored::Bool(*b),
        S::Timestamp(t) => Stored::Timestamp(*t),
        _ => return None,
    })
}
