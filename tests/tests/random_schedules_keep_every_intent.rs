//! Property test: random schedules of 3–5 devices adding objects, fields (text and
//! select), options and records and setting values, while going offline, losing
//! connections, receiving duplicated frames and restarting (devices and the relay).
//! After everything syncs, every operation that nothing later superseded is visible on
//! every replica: every object, field and option added, every record created, and for
//! each (record, field) the last value set, either as the value or as one of its
//! conflict's values. New objects' first fields and new select fields' first options
//! are among the operations (the case that lost edits when containers were made lazily).
//! Every schedule runs against the in-memory relay model and, fewer of them, against the
//! real `kith-relay` (loopback WebSockets, background compaction, restarts that reopen
//! its redb file).

use std::collections::BTreeMap;

use kith_core::sync::protocol::Role;
use kith_core::{FieldId, FieldKind, FieldSpec, ObjectId, OptionId, RecordId, Stored, Value, Workspace};
use kith_tests::{Faults, Harness, RealRelay};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    AddObject {
        peer: usize,
        n: u8,
    },
    AddField {
        peer: usize,
        object: u8,
        select: bool,
        n: u8,
    },
    AddOption {
        peer: usize,
        field: u8,
        n: u8,
    },
    Create {
        peer: usize,
        object: u8,
    },
    Set {
        peer: usize,
        record: u8,
        field: u8,
        value: u8,
    },
    Offline {
        peer: usize,
    },
    Online {
        peer: usize,
    },
    RestartPeer {
        peer: usize,
    },
    RestartRelay,
    Run {
        steps: u16,
    },
    /// Every online device catches up (so that later edits start from a shared state).
    Settle,
}

fn op(peers: usize) -> impl Strategy<Value = Op> {
    let p = 0..peers;
    prop_oneof![
        3 => (p.clone(), any::<u8>()).prop_map(|(peer, n)| Op::AddObject { peer, n }),
        6 => (p.clone(), any::<u8>(), any::<bool>(), any::<u8>())
            .prop_map(|(peer, object, select, n)| Op::AddField { peer, object, select, n }),
        5 => (p.clone(), any::<u8>(), any::<u8>()).prop_map(|(peer, field, n)| Op::AddOption { peer, field, n }),
        3 => (p.clone(), any::<u8>()).prop_map(|(peer, object)| Op::Create { peer, object }),
        2 => Just(Op::Settle),
        5 => (p.clone(), any::<u8>(), any::<u8>(), any::<u8>())
            .prop_map(|(peer, record, field, value)| Op::Set { peer, record, field, value }),
        2 => p.clone().prop_map(|peer| Op::Offline { peer }),
        2 => p.clone().prop_map(|peer| Op::Online { peer }),
        1 => p.clone().prop_map(|peer| Op::RestartPeer { peer }),
        1 => Just(Op::RestartRelay),
        3 => (1u16..60).prop_map(|steps| Op::Run { steps }),
    ]
}

fn schedule() -> impl Strategy<Value = (u64, usize, Vec<Op>)> {
    (any::<u64>(), 3usize..=5)
        .prop_flat_map(|(seed, peers)| (Just(seed), Just(peers), proptest::collection::vec(op(peers), 10..40)))
}

/// What the devices meant to do, to check on every replica at the end.
#[derive(Default)]
struct Intents {
    objects: Vec<ObjectId>,
    fields: Vec<(ObjectId, FieldId)>,
    options: Vec<(ObjectId, FieldId, OptionId)>,
    records: Vec<RecordId>,
    /// The last value set per (record, field), in the order the operations were made:
    /// no operation can supersede it without being made after it or concurrently.
    /// With the operation's place in the schedule.
    values: BTreeMap<(RecordId, FieldId), (usize, Stored)>,
    /// Operations made so far.
    made: usize,
}

/// Picks among `items`, preferring (two times out of three) those made in this run.
fn pick<T: Copy>(items: &[(T, bool)], n: u8) -> Option<T> {
    let new: Vec<T> = items.iter().filter(|(_, fresh)| *fresh).map(|(t, _)| *t).collect();
    if !new.is_empty() && !n.is_multiple_of(3) {
        return Some(new[n as usize % new.len()]);
    }
    (!items.is_empty()).then(|| items[n as usize % items.len()].0)
}

/// The device's objects: (id, made in this run).
fn objects(ws: &Workspace) -> Vec<(ObjectId, bool)> {
    ws.schema()
        .active_objects()
        .filter(|o| o.key == "people" || o.key.starts_with("o_"))
        .map(|o| (o.id, o.key.starts_with("o_")))
        .collect()
}

/// The device's select fields on those objects: ((object, field), made in this run).
fn selects(ws: &Workspace) -> Vec<((ObjectId, FieldId), bool)> {
    let mut out = Vec::new();
    for (object, _) in objects(ws) {
        let Some(obj) = ws.schema().object(object) else {
            continue;
        };
        for f in obj.active_fields().filter(|f| f.kind == FieldKind::Select) {
            out.push(((object, f.id), f.key.starts_with("f_")));
        }
    }
    out
}

fn apply(h: &mut Harness, intents: &mut Intents, op: &Op) {
    match *op {
        Op::AddObject { peer, n } => {
            if let Ok(id) = h.ws(peer).add_object(&format!("o_{n}"), &format!("Object {n}")) {
                intents.objects.push(id);
                h.local_change(peer);
            }
        }
        Op::AddField {
            peer,
            object,
            select,
            n,
        } => {
            let ws = h.ws(peer);
            let Some(obj) = pick(&objects(ws), object) else { return };
            let kind = if select { FieldKind::Select } else { FieldKind::Text };
            if let Ok(id) = ws.add_field(
                obj,
                FieldSpec::new(&format!("f_{}", n % 6), &format!("Field {n}"), kind),
            ) {
                intents.fields.push((obj, id));
                h.local_change(peer);
            }
        }
        Op::AddOption { peer, field, n } => {
            let ws = h.ws(peer);
            let Some((obj, f)) = pick(&selects(ws), field) else {
                return;
            };
            if let Ok(ids) = ws.add_options(obj, f, &[format!("Option {}", n % 6)]) {
                intents.options.extend(ids.into_iter().map(|o| (obj, f, o)));
                h.local_change(peer);
            }
        }
        Op::Create { peer, object } => {
            let ws = h.ws(peer);
            let Some(obj) = pick(&objects(ws), object) else { return };
            let values = if ws.schema().object(obj).is_some_and(|o| o.key == "people") {
                ws.parse_values(obj, &[("name".into(), format!("Person {object}"))])
                    .expect("parse")
            } else {
                Vec::new()
            };
            if let Ok(id) = ws.create_record(obj, values) {
                intents.records.push(id);
                h.local_change(peer);
            }
        }
        Op::Set {
            peer,
            record,
            field,
            value,
        } => {
            let ws = h.ws(peer);
            let known: Vec<RecordId> = intents
                .records
                .iter()
                .copied()
                .filter(|id| ws.row(*id).is_ok_and(|r| r.deleted_at.is_none()))
                .collect();
            if known.is_empty() {
                return;
            }
            let id = known[record as usize % known.len()];
            let Ok(row) = ws.row(id) else { return };
            let Some(obj) = ws.schema().object(row.object) else {
                return;
            };
            let candidates: Vec<_> = obj
                .active_fields()
                .filter(|f| matches!(f.kind, FieldKind::Text | FieldKind::Select))
                .collect();
            if candidates.is_empty() {
                return;
            }
            let f = candidates[field as usize % candidates.len()];
            let v = match f.kind {
                FieldKind::Select => {
                    let live: Vec<_> = f.options.iter().filter(|o| !o.archived).collect();
                    if live.is_empty() {
                        return;
                    }
                    Value::Option(live[value as usize % live.len()].id)
                }
                _ => Value::Text(format!("value {value}")),
            };
            let fid = f.id;
            if ws.update_record(id, vec![(fid, Some(v))]).is_ok() {
                let stored = ws
                    .row(id)
                    .expect("row")
                    .values
                    .get(&fid)
                    .cloned()
                    .expect("the value just set");
                intents.made += 1;
                intents.values.insert((id, fid), (intents.made, stored));
                h.local_change(peer);
            }
        }
        Op::Offline { peer } => h.set_online(peer, false),
        Op::Online { peer } => h.set_online(peer, true),
        Op::RestartPeer { peer } => h.restart_peer(peer),
        Op::RestartRelay => h.restart_relay(),
        Op::Run { steps } => h.run_steps(steps as usize),
        Op::Settle => h.run_until_quiescent(),
    }
}

/// Every intent is visible on `ws`.
fn check(name: &str, ws: &Workspace, intents: &Intents) {
    let schema = ws.schema();
    for id in &intents.objects {
        assert!(schema.object(*id).is_some(), "{name} lost object {id}");
    }
    for (o, f) in &intents.fields {
        let obj = schema.object(*o).expect("object");
        assert!(obj.field(*f).is_some(), "{name} lost field {f} of {}", obj.key);
    }
    for (o, f, opt) in &intents.options {
        let field = schema.object(*o).and_then(|obj| obj.field(*f)).expect("field");
        assert!(
            field.option(*opt).is_some(),
            "{name} lost option {opt} of {}",
            field.key
        );
    }
    for id in &intents.records {
        assert!(ws.row(*id).is_ok(), "{name} lost record {id}");
    }
    for ((id, f), (made, v)) in &intents.values {
        let row = ws.row(*id).expect("row");
        let holds = |f: &FieldId| row.values.get(f) == Some(v) || row.conflicts.get(f).is_some_and(|c| c.contains(v));
        // A field two devices added with one key and type is read as the other one,
        // its values moved there: the value is there, unless a later set replaced it.
        let merged = schema
            .object(row.object)
            .and_then(|o| o.field(*f))
            .and_then(|def| def.merged_into);
        // A select's value moves to the kept field's option with the same label.
        let obj = schema.object(row.object).expect("object");
        let labels = |def: &kith_core::FieldDef, s: &Stored| match s {
            Stored::Str(raw) => raw
                .parse()
                .ok()
                .and_then(|o| def.option(o))
                .map_or_else(|| raw.clone(), |o| o.label.clone()),
            other => other.raw_text(),
        };
        let same_choice = |into: &FieldId, s: &Stored| match (obj.field(*f), obj.field(*into)) {
            (Some(from), Some(to)) => labels(from, v) == labels(to, s),
            _ => false,
        };
        let moved = merged.is_some_and(|into| {
            holds(&into)
                || row.values.get(&into).is_some_and(|s| same_choice(&into, s))
                || row
                    .conflicts
                    .get(&into)
                    .is_some_and(|c| c.iter().any(|s| same_choice(&into, s)))
                || intents.values.get(&(*id, into)).is_some_and(|(later, _)| later > made)
        });
        let shown = holds(f) || moved;
        assert!(
            shown,
            "{name} lost value {v:?} of {id}.{f}: has {:?}, conflicts {:?}",
            row.values.get(f),
            row.conflicts.get(f)
        );
    }
}

fn run(mut h: Harness, peers: usize, ops: Vec<Op>) {
    h.add_on_disk("p0", true);
    h.run_until_quiescent();
    for i in 1..peers {
        if i == 1 {
            h.add_on_disk("p1", false);
        } else {
            h.add_joiner(&format!("p{i}"), Role::Member);
        }
    }
    h.run_until_quiescent();
    h.set_faults(Faults {
        drop: 0.03,
        duplicate: 0.05,
    });
    let mut intents = Intents::default();
    for op in &ops {
        apply(&mut h, &mut intents, op);
    }
    h.set_faults(Faults::default());
    for peer in 0..peers {
        h.set_online(peer, true);
    }
    h.run_until_quiescent();
    h.assert_converged();
    for peer in 0..peers {
        let name = h.name(peer).to_string();
        check(&name, h.ws(peer), &intents);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn every_unsuperseded_operation_is_visible_on_every_replica((seed, peers, ops) in schedule()) {
        run(Harness::with_relay_on_disk(seed), peers, ops);
    }
}

proptest! {
    // Real sockets, a real redb file and compaction cost more per schedule.
    #![proptest_config(ProptestConfig { cases: 4, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn every_unsuperseded_operation_is_visible_on_every_replica_through_the_real_relay(
        (seed, peers, ops) in schedule()
    ) {
        run(Harness::with_relay(seed, Box::new(RealRelay::start())), peers, ops);
    }
}
