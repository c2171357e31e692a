//! Replaying a record document's changes one after another, to show what each did.
//!
//! Reading a document "as at" some heads costs time proportional to its whole history,
//! so doing it for every change of a long history is quadratic. Along a linear history
//! (each change depends on the one before — the usual case) the state after a change is
//! the state before it plus its operations, which is what this replays. Merges of
//! concurrent changes are left to `read_row_at`.

use std::collections::{BTreeMap, HashMap};

use automerge::legacy::{ElementId, Key, ObjectId, OpId, OpType};
use automerge::{Change, ObjType, ScalarValue};

use crate::record::{Row, scalar_ref, scalar_to_stored};
use crate::value::Stored;
use crate::{FieldId, ObjectId as KithObjectId};

/// A field's value while replaying: a scalar, or a list object being filled.
#[derive(Clone, Debug)]
enum Slot {
    Scalar(Stored),
    List(OpId),
}

/// The replayed state of a record document.
#[derive(Clone, Debug, Default)]
pub(crate) struct Replay {
    values_map: Option<OpId>,
    object: Option<KithObjectId>,
    created_at: Option<i64>,
    created_by: Option<String>,
    deleted_at: Option<i64>,
    fields: BTreeMap<FieldId, Slot>,
    /// List objects: element ids and values, in order.
    lists: HashMap<OpId, Vec<(OpId, String)>>,
    /// Whether the state can be replayed further (false after it came from a merge).
    exact: bool,
}

impl Replay {
    /// An empty document.
    pub(crate) fn new() -> Self {
        Replay {
            exact: true,
            ..Replay::default()
        }
    }

    /// A replayer that has given up (the history merged): callers read the slow way.
    pub(crate) fn stopped() -> Self {
        Replay {
            exact: false,
            ..Replay::default()
        }
    }

    /// Applies a change's operations. `false` if the change does something this
    /// replayer does not follow (then the caller reads the state the slow way).
    pub(crate) fn apply(&mut self, change: &Change) -> bool {
        if !self.exact {
            return false;
        }
        let expanded = change.decode();
        let actor = expanded.actor_id.clone();
        let start = expanded.start_op.get();
        for (i, op) in expanded.operations.iter().enumerate() {
            let id = OpId(start + i as u64, actor.clone());
            if !self.apply_op(id, op) {
                self.exact = false;
                return false;
            }
        }
        true
    }

    fn apply_op(&mut self, id: OpId, op: &automerge::legacy::Op) -> bool {
        match (&op.obj, &op.key) {
            (ObjectId::Root, Key::Map(key)) => match (key.as_str(), &op.action) {
                ("values", OpType::Make(ObjType::Map)) => {
                    self.values_map = Some(id);
                    self.fields.clear();
                    true
                }
                ("id", OpType::Put(ScalarValue::Str(_))) => true,
                // Other kinds are not records: left to the slow path, which says so.
                ("kind", OpType::Put(ScalarValue::Str(s))) => s.as_str() == crate::DocKind::Record.as_str(),
                ("object", OpType::Put(ScalarValue::Str(s))) => {
                    self.object = s.parse().ok();
                    true
                }
                ("created_at", OpType::Put(ScalarValue::Timestamp(t) | ScalarValue::Int(t))) => {
                    self.created_at = Some(*t);
                    true
                }
                ("created_by", OpType::Put(ScalarValue::Str(s))) => {
                    self.created_by = Some(s.to_string());
                    true
                }
                ("deleted_at", OpType::Put(ScalarValue::Timestamp(t) | ScalarValue::Int(t))) => {
                    self.deleted_at = Some(*t);
                    true
                }
                ("deleted_at", OpType::Delete) => {
                    self.deleted_at = None;
                    true
                }
                _ => false,
            },
            (ObjectId::Id(obj), Key::Map(key)) if Some(obj) == self.values_map.as_ref() => {
                let Ok(field) = key.parse::<FieldId>() else { return true };
                match &op.action {
                    OpType::Put(v) => match scalar_to_stored(&scalar_ref(v)) {
                        Some(stored) => {
                            self.fields.insert(field, Slot::Scalar(stored));
                            true
                        }
                        None => false,
                    },
                    OpType::Make(ObjType::List) => {
                        self.lists.insert(id.clone(), Vec::new());
                        self.fields.insert(field, Slot::List(id));
                        true
                    }
                    OpType::Delete => {
                        self.fields.remove(&field);
                        true
                    }
                    _ => false,
                }
            }
            (ObjectId::Id(obj), Key::Seq(after)) => {
                let Some(list) = self.lists.get_mut(obj) else {
                    return false;
                };
                match (&op.action, op.insert) {
                    (OpType::Put(ScalarValue::Str(s)), true) => {
                        let at = match after {
                            ElementId::Head => 0,
                            ElementId::Id(e) => match list.iter().position(|(id, _)| id == e) {
                                Some(p) => p + 1,
                                None => return false,
                            },
                        };
                        list.insert(at, (id, s.to_string()));
                        true
                    }
                    (OpType::Delete, false) => match after {
                        ElementId::Id(e) => {
                            list.retain(|(id, _)| id != e);
                            true
                        }
                        ElementId::Head => false,
                    },
                    _ => false,
                }
            }
            _ => false,
        }
    }

    /// The state as a row (`None` before the record's first change).
    pub(crate) fn row(&self, updated_at: i64) -> Option<Row> {
        let object = self.object?;
        let values = self
            .fields
            .iter()
            .map(|(f, slot)| {
                let v = match slot {
                    Slot::Scalar(s) => s.clone(),
                    Slot::List(id) => Stored::List(
                        self.lists
                            .get(id)
                            .map(|l| l.iter().map(|(_, v)| v.clone()).collect())
                            .unwrap_or_default(),
                    ),
                };
                (*f, v)
            })
            .collect();
        Some(Row {
            object,
            created_at: self.created_at.unwrap_or(0),
            created_by: self.created_by.clone().unwrap_or_default(),
            updated_at,
            deleted_at: self.deleted_at,
            values,
            conflicts: BTreeMap::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{self, read_row_at};
    use automerge::AutoCommit;
    use automerge::transaction::CommitOptions;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Edit {
        Set(usize, Stored),
        Clear(usize),
        Delete,
        Restore,
    }

    fn stored() -> impl Strategy<Value = Stored> {
        prop_oneof![
            "[a-z]{0,4}".prop_map(Stored::Str),
            (-5i32..5).prop_map(|n| Stored::F64(n as f64)),
            any::<bool>().prop_map(Stored::Bool),
            (0i64..1000).prop_map(Stored::Timestamp),
            proptest::collection::vec("[a-c]", 0..4).prop_map(Stored::List),
        ]
    }

    fn edit() -> impl Strategy<Value = Edit> {
        prop_oneof![
            4 => (0usize..4, stored()).prop_map(|(f, v)| Edit::Set(f, v)),
            1 => (0usize..4).prop_map(Edit::Clear),
            1 => Just(Edit::Delete),
            1 => Just(Edit::Restore),
        ]
    }

    proptest! {
        #[test]
        fn replaying_a_linear_history_gives_the_state_after_every_change(
            edits in proptest::collection::vec(proptest::collection::vec(edit(), 1..4), 1..20)
        ) {
            let fields: Vec<FieldId> = (0..4).map(|_| FieldId::new()).collect();
            let mut doc = AutoCommit::new();
            record::init(&mut doc, crate::RecordId::new(), KithObjectId::new(), 5, "t", &[(fields[0], Stored::Str("first".into()))]).unwrap();
            doc.commit_with(CommitOptions::default().with_time(1));
            for (n, group) in edits.iter().enumerate() {
                for e in group {
                    match e {
                        Edit::Set(f, v) => record::set_values(&mut doc, &[(fields[*f], Some(v.clone()))]).unwrap(),
                        Edit::Clear(f) => {
                            let _ = record::set_values(&mut doc, &[(fields[*f], None)]);
                        }
                        Edit::Delete => record::set_deleted(&mut doc, Some(7)).unwrap(),
                        Edit::Restore => {
                            let _ = record::set_deleted(&mut doc, None);
                        }
                    }
                }
                doc.commit_with(CommitOptions::default().with_time(2 + n as i64));
            }
            let changes = doc.get_changes(&[]);
            let mut replay = Replay::new();
            let automerge = doc.document();
            for change in &changes {
                prop_assert!(replay.apply(change));
                let replayed = replay.row(0).unwrap();
                let read = read_row_at(automerge, Some(&[change.hash()])).unwrap();
                prop_assert_eq!(&replayed.values, &read.values);
                prop_assert_eq!(replayed.deleted_at, read.deleted_at);
                prop_assert_eq!(replayed.object, read.object);
            }
        }
    }
}
