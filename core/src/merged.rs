//! Maps that concurrent changes created twice: reading them as one, and folding them
//! back into one.
//!
//! Two devices that each create a map under the same key of the same parent (say an
//! object's `fields` map, each while adding its first field offline) leave the parent
//! with two competing maps under that key. Automerge shows one of them (the "winner")
//! and keeps the other as a conflict; reading only the winner would hide the other
//! device's entries. Kith's documents avoid this by creating every container together
//! with its parent (docs/storage-format.md, "Containers"), but documents written by
//! older versions can hold such conflicts. So:
//!
//! * readers treat a key's competing maps as one *node* (winner first) and read the
//!   union of their entries; for a key several of them hold, the winner's value wins;
//! * [`heal`] writes the entries the winning maps lack into them (a normal change that
//!   syncs), so the winner alone holds everything and later writes, which go to the
//!   winner, are not shadowed. Healing is deterministic and idempotent: two devices that
//!   heal concurrently copy the same entries, and the copies they race on are equal, so
//!   a second heal finds nothing to do.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType, ReadDoc, ScalarValue, Value};

type AmResult<T> = Result<T, automerge::AutomergeError>;

/// The values under `key` of map `obj`: the winner first, then the values it beat.
pub(crate) fn values_at<'a, D: ReadDoc>(doc: &'a D, obj: &ObjId, key: &str) -> Vec<(Value<'a>, ObjId)> {
    let mut all = doc.get_all(obj, key).unwrap_or_default();
    if all.len() > 1
        && let Ok(Some((_, winner))) = doc.get(obj, key)
        && let Some(pos) = all.iter().position(|(_, id)| *id == winner)
    {
        let w = all.remove(pos);
        all.insert(0, w);
    }
    all
}

/// Every map under `key` of the maps of `node`, winner first: the node of that child.
pub(crate) fn child_maps<D: ReadDoc>(doc: &D, node: &[ObjId], key: &str) -> Vec<ObjId> {
    let mut out = Vec::new();
    for obj in node {
        for (value, id) in values_at(doc, obj, key) {
            if matches!(value, Value::Object(ObjType::Map)) && !out.contains(&id) {
                out.push(id);
            }
        }
    }
    out
}

/// The first list under `key` in the maps of `node`.
pub(crate) fn first_list<D: ReadDoc>(doc: &D, node: &[ObjId], key: &str) -> Option<ObjId> {
    node.iter().find_map(|obj| {
        values_at(doc, obj, key)
            .into_iter()
            .find_map(|(v, id)| matches!(v, Value::Object(ObjType::List)).then_some(id))
    })
}

/// The first scalar under `key` in the maps of `node` (the winner's, if it has one).
pub(crate) fn scalar<D: ReadDoc>(doc: &D, node: &[ObjId], key: &str) -> Option<ScalarValue> {
    node.iter().find_map(|obj| {
        values_at(doc, obj, key).into_iter().find_map(|(v, _)| match v {
            Value::Scalar(s) => Some(s.into_owned()),
            Value::Object(_) => None,
        })
    })
}

/// The union of the keys of the maps of `node`, sorted.
pub(crate) fn keys<D: ReadDoc>(doc: &D, node: &[ObjId]) -> Vec<String> {
    let mut keys: Vec<String> = node.iter().flat_map(|obj| doc.keys(obj).collect::<Vec<_>>()).collect();
    keys.sort();
    keys.dedup();
    keys
}

/// One write that healing makes.
#[derive(Debug)]
enum Copy {
    Scalar {
        parent: ObjId,
        key: String,
        value: ScalarValue,
    },
    List {
        parent: ObjId,
        key: String,
        from: ObjId,
    },
    Map {
        parent: ObjId,
        key: String,
        from: Vec<ObjId>,
    },
}

/// What healing the document would write (nothing: it holds no competing maps whose
/// entries the winner lacks).
fn plan<D: ReadDoc>(doc: &D, node: &[ObjId], out: &mut Vec<Copy>) {
    let Some(target) = node.first() else {
        return;
    };
    for key in keys(doc, node) {
        let maps = child_maps(doc, node, &key);
        match values_at(doc, target, &key).first() {
            None => {
                if !maps.is_empty() {
                    out.push(Copy::Map {
                        parent: target.clone(),
                        key,
                        from: maps,
                    });
                } else if let Some(list) = first_list(doc, &node[1..], &key) {
                    out.push(Copy::List {
                        parent: target.clone(),
                        key,
                        from: list,
                    });
                } else if let Some(value) = scalar(doc, &node[1..], &key) {
                    out.push(Copy::Scalar {
                        parent: target.clone(),
                        key,
                        value,
                    });
                }
            }
            // The target's own map wins: `maps` starts with it (see `child_maps`).
            Some((Value::Object(ObjType::Map), _)) => plan(doc, &maps, out),
            Some(_) => {}
        }
    }
}

/// Whether the map `root` holds competing maps that [`heal`] would fold together.
pub(crate) fn needs_heal<D: ReadDoc>(doc: &D, root: &ObjId) -> bool {
    let mut out = Vec::new();
    plan(doc, std::slice::from_ref(root), &mut out);
    !out.is_empty()
}

/// Copies into every winning map the entries its competing maps hold and it lacks
/// (recursively, below `root`). Returns whether it wrote anything. The caller commits.
pub(crate) fn heal(doc: &mut AutoCommit, root: &ObjId) -> AmResult<bool> {
    let mut copies = Vec::new();
    plan(doc, std::slice::from_ref(root), &mut copies);
    for copy in &copies {
        match copy {
            Copy::Scalar { parent, key, value } => doc.put(parent, key.as_str(), value.clone())?,
            Copy::List { parent, key, from } => {
                let list = doc.put_object(parent, key.as_str(), ObjType::List)?;
                copy_list(doc, from, &list)?;
            }
            Copy::Map { parent, key, from } => {
                let map = doc.put_object(parent, key.as_str(), ObjType::Map)?;
                copy_map(doc, from, &map)?;
            }
        }
    }
    Ok(!copies.is_empty())
}

/// Writes the union of the maps of `from` into the new map `to`.
fn copy_map(doc: &mut AutoCommit, from: &[ObjId], to: &ObjId) -> AmResult<()> {
    for key in keys(doc, from) {
        let maps = child_maps(doc, from, &key);
        if !maps.is_empty() {
            let child = doc.put_object(to, key.as_str(), ObjType::Map)?;
            copy_map(doc, &maps, &child)?;
        } else if let Some(list) = first_list(doc, from, &key) {
            let child = doc.put_object(to, key.as_str(), ObjType::List)?;
            copy_list(doc, &list, &child)?;
        } else if let Some(value) = scalar(doc, from, &key) {
            doc.put(to, key.as_str(), value)?;
        }
    }
    Ok(())
}

/// Copies a list of scalars (the only lists Kith's documents hold).
fn copy_list(doc: &mut AutoCommit, from: &ObjId, to: &ObjId) -> AmResult<()> {
    let items: Vec<ScalarValue> = (0..doc.length(from))
        .filter_map(|i| match doc.get(from, i) {
            Ok(Some((Value::Scalar(s), _))) => Some(s.into_owned()),
            _ => None,
        })
        .collect();
    for (i, item) in items.into_iter().enumerate() {
        doc.insert(to, i, item)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::ROOT;

    /// Two documents that each created `outer` and put one entry in it, merged.
    fn conflicted() -> AutoCommit {
        let mut a = AutoCommit::new();
        let mut b = AutoCommit::new();
        let m = a.put_object(ROOT, "outer", ObjType::Map).unwrap();
        a.put(&m, "a", 1).unwrap();
        let inner = a.put_object(&m, "shared", ObjType::Map).unwrap();
        a.put(&inner, "x", "from a").unwrap();
        let m = b.put_object(ROOT, "outer", ObjType::Map).unwrap();
        b.put(&m, "b", 2).unwrap();
        let inner = b.put_object(&m, "shared", ObjType::Map).unwrap();
        b.put(&inner, "y", "from b").unwrap();
        let list = b.put_object(&m, "list", ObjType::List).unwrap();
        b.insert(&list, 0, "item").unwrap();
        a.merge(&mut b).unwrap();
        a
    }

    #[test]
    fn reading_a_conflicted_map_sees_both_sides_entries() {
        let doc = conflicted();
        let node = child_maps(&doc, &[ROOT], "outer");
        assert_eq!(node.len(), 2);
        assert_eq!(keys(&doc, &node), ["a", "b", "list", "shared"]);
        let shared = child_maps(&doc, &node, "shared");
        assert_eq!(keys(&doc, &shared), ["x", "y"]);
    }

    #[test]
    fn healing_copies_the_losing_entries_into_the_winner_and_then_has_nothing_to_do() {
        let mut doc = conflicted();
        assert!(needs_heal(&doc, &ROOT));
        assert!(heal(&mut doc, &ROOT).unwrap());
        doc.commit();
        let winner = match doc.get(ROOT, "outer").unwrap() {
            Some((Value::Object(ObjType::Map), id)) => id,
            _ => panic!("no map"),
        };
        assert_eq!(keys(&doc, std::slice::from_ref(&winner)), ["a", "b", "list", "shared"]);
        let shared = child_maps(&doc, std::slice::from_ref(&winner), "shared");
        assert_eq!(keys(&doc, &shared[..1]), ["x", "y"]);
        assert!(!needs_heal(&doc, &ROOT));
    }

    #[test]
    fn two_devices_healing_at_once_converge_and_need_no_third_heal() {
        let mut a = conflicted();
        let mut b = a.fork().with_actor(automerge::ActorId::random());
        heal(&mut a, &ROOT).unwrap();
        a.commit();
        heal(&mut b, &ROOT).unwrap();
        b.commit();
        a.merge(&mut b).unwrap();
        assert!(!needs_heal(&a, &ROOT));
        let node = child_maps(&a, &[ROOT], "outer");
        assert_eq!(keys(&a, &node[..1]), ["a", "b", "list", "shared"]);
    }
}
