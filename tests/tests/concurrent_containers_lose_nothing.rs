//! No edit is lost to a map two devices created concurrently: new objects and fields
//! come with their containers, and documents that already hold such competing maps
//! (made by older versions, or two devices importing one record id) are read merged and
//! healed by a change that syncs.

use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ObjType, ROOT, ReadDoc};
use kith_core::sync::protocol::{ClientMessage, Entry, PROTOCOL_VERSION, PushChunk, Role, ServerMessage};
use kith_core::{DocId, FieldId, FieldKind, FieldSpec, ImportOptions, ImportRow, RecordId, Workspace};
use kith_tests::{Harness, PeerId};

fn option_labels(ws: &Workspace, object: &str, field: &str) -> Vec<String> {
    let obj = ws.object_named(object).unwrap();
    let mut labels: Vec<String> = obj
        .find_field(field)
        .unwrap()
        .options
        .iter()
        .map(|o| o.label.clone())
        .collect();
    labels.sort();
    labels
}

fn field_keys(ws: &Workspace, object: &str) -> Vec<String> {
    let mut keys: Vec<String> = ws
        .object_named(object)
        .unwrap()
        .fields
        .iter()
        .map(|f| f.key.clone())
        .collect();
    keys.sort();
    keys
}

/// A founder and a joiner that both have a new object `visits` (no fields) and a new
/// select field `deals.priority` (no options).
fn two_devices_with_new_containers() -> (Harness, PeerId, PeerId) {
    let mut h = Harness::new(11);
    let a = h.add_founder("ana");
    h.ws(a).add_object("visits", "Visits").unwrap();
    let deals = h.ws(a).object_named("deals").unwrap().id;
    h.ws(a)
        .add_field(deals, FieldSpec::new("priority", "Priority", FieldKind::Select))
        .unwrap();
    h.local_change(a);
    let b = h.add_joiner("bo", Role::Member);
    h.run_until_quiescent();
    assert!(h.ws(b).object_named("visits").is_ok());
    (h, a, b)
}

#[test]
fn first_fields_and_first_options_added_offline_on_two_devices_are_all_kept() {
    let (mut h, a, b) = two_devices_with_new_containers();
    h.go_offline(&[a, b]);
    for (peer, key, kind, option) in [
        (a, "when", FieldKind::Datetime, "High"),
        (b, "outcome", FieldKind::Text, "Low"),
    ] {
        let ws = h.ws(peer);
        let visits = ws.object_named("visits").unwrap().id;
        ws.add_field(visits, FieldSpec::new(key, key, kind)).unwrap();
        let deals = ws.object_named("deals").unwrap().id;
        let priority = ws.field_named(deals, "priority").unwrap().id;
        ws.add_options(deals, priority, &[option.to_string()]).unwrap();
    }
    h.reconnect_and_settle(&[a, b]);
    h.assert_converged();
    for peer in [a, b] {
        assert_eq!(field_keys(h.ws(peer), "visits"), ["outcome", "when"]);
        assert_eq!(option_labels(h.ws(peer), "deals", "priority"), ["High", "Low"]);
    }
}

/// The id of the schema document of a replica.
fn schema_doc(ws: &mut Workspace) -> DocId {
    let ids: Vec<DocId> = ws.document_heads().unwrap().into_iter().map(|(id, _)| id).collect();
    ids.into_iter()
        .find(|id| {
            let bytes = ws.document_bytes(*id).unwrap().unwrap();
            let doc = AutoCommit::load(&bytes).unwrap();
            matches!(doc.get(ROOT, "kind"), Ok(Some((automerge::Value::Scalar(s), _))) if s.as_str() == Some("schema"))
        })
        .unwrap()
}

fn map_at(doc: &AutoCommit, parent: &automerge::ObjId, key: &str) -> automerge::ObjId {
    match doc.get(parent, key).unwrap() {
        Some((automerge::Value::Object(ObjType::Map), id)) => id,
        other => panic!("no map at {key}: {other:?}"),
    }
}

/// What an older version could write: `visits` gets its `fields` map from each of two
/// devices adding a first field, and the select `when` its `options` map from each of
/// them adding a first option. Returns the chunk of those changes, the fields' ids and
/// the options' labels.
fn legacy_conflicting_changes(schema_bytes: &[u8], visits: kith_core::ObjectId) -> (Vec<u8>, [FieldId; 2]) {
    let mut x = AutoCommit::load(schema_bytes).unwrap().with_actor(ActorId::random());
    let base = x.get_heads();
    let objects = map_at(&x, &ROOT, "objects");
    let obj = map_at(&x, &objects, &visits.to_string());
    // Like an older version: drop the object's `fields` map (it was never created).
    x.delete(&obj, "fields").unwrap();
    x.commit();
    let mut y = x.fork().with_actor(ActorId::random());
    let first_field = |doc: &mut AutoCommit, key: &str, kind: &str| {
        let fields = doc.put_object(&obj, "fields", ObjType::Map).unwrap();
        let id = FieldId::new();
        let f = doc.put_object(&fields, id.to_string(), ObjType::Map).unwrap();
        for (k, v) in [("key", key), ("label", key), ("type", kind)] {
            doc.put(&f, k, v).unwrap();
        }
        doc.put(&f, "order", 0_i64).unwrap();
        doc.commit();
        (id, f)
    };
    let (when, when_map) = first_field(&mut x, "when", "select");
    let (outcome, _) = first_field(&mut y, "outcome", "text");
    x.merge(&mut y).unwrap();
    let mut y = x.fork().with_actor(ActorId::random());
    let first_option = |doc: &mut AutoCommit, label: &str| {
        let options = doc.put_object(&when_map, "options", ObjType::Map).unwrap();
        let o = doc
            .put_object(&options, kith_core::OptionId::new().to_string(), ObjType::Map)
            .unwrap();
        doc.put(&o, "label", label).unwrap();
        doc.commit();
    };
    first_option(&mut x, "High");
    first_option(&mut y, "Low");
    x.merge(&mut y).unwrap();
    (x.save_after(&base), [when, outcome])
}

fn push_as_an_old_device(h: &mut Harness, doc: DocId, data: &[u8]) {
    let conn = h.relay.connect(Role::Member);
    h.relay.handle(
        conn,
        ClientMessage::Hello {
            versions: vec![PROTOCOL_VERSION],
            client: "kith-old".into(),
        },
    );
    let out = h.relay.handle(
        conn,
        ClientMessage::Push {
            chunks: vec![PushChunk {
                id: 0,
                doc,
                data: data.to_vec(),
            }],
        },
    );
    assert!(out.iter().any(|(_, m)| matches!(m, ServerMessage::Ack { .. })));
    h.relay.disconnect(conn);
}

fn apply_raw(ws: &mut Workspace, doc: DocId, data: &[u8]) {
    let cursor = ws.sync_cursor().unwrap();
    ws.apply_remote(
        &[],
        &[Entry {
            seq: cursor,
            doc,
            data: data.to_vec(),
        }],
        cursor,
    )
    .unwrap();
}

#[test]
fn a_schema_that_already_holds_competing_maps_loses_nothing_and_is_healed_on_every_replica() {
    let (mut h, a, b) = two_devices_with_new_containers();
    let schema = schema_doc(h.ws(a));
    let visits = h.ws(a).object_named("visits").unwrap().id;
    let bytes = h.ws(a).document_bytes(schema).unwrap().unwrap();
    let (chunk, fields) = legacy_conflicting_changes(&bytes, visits);
    // The old changes are in the relay's log (older devices pushed them) and both
    // devices have them; each heals on its own.
    h.go_offline(&[a, b]);
    push_as_an_old_device(&mut h, schema, &chunk);
    for peer in [a, b] {
        let outbox = h.ws(peer).outbox_len().unwrap();
        apply_raw(h.ws(peer), schema, &chunk);
        let ws = h.ws(peer);
        let obj = ws.object_named("visits").unwrap();
        for f in fields {
            assert!(obj.field(f).is_some(), "field {f} hidden");
        }
        assert_eq!(option_labels(ws, "visits", "when"), ["High", "Low"]);
        assert!(ws.outbox_len().unwrap() > outbox, "no healing change was written");
        // Healed: the winning maps alone hold every entry.
        let healed = AutoCommit::load(&ws.document_bytes(schema).unwrap().unwrap()).unwrap();
        let objects = map_at(&healed, &ROOT, "objects");
        let fields_map = map_at(&healed, &map_at(&healed, &objects, &visits.to_string()), "fields");
        for f in fields {
            map_at(&healed, &fields_map, &f.to_string());
        }
        let options = map_at(
            &healed,
            &map_at(&healed, &fields_map, &fields[0].to_string()),
            "options",
        );
        assert_eq!(healed.keys(&options).count(), 2);
    }
    // The healing changes sync (they race, and nothing needs a third heal).
    h.reconnect_and_settle(&[a, b]);
    let c = h.add_joiner("cy", Role::Member);
    h.run_until_quiescent();
    h.assert_converged();
    for peer in [a, b, c] {
        let ws = h.ws(peer);
        assert_eq!(field_keys(ws, "visits"), ["outcome", "when"]);
        assert_eq!(option_labels(ws, "visits", "when"), ["High", "Low"]);
    }
    assert_eq!(h.ws(a).outbox_len().unwrap(), 0);
}

fn import_one(ws: &mut Workspace, id: RecordId, values: &[(&str, &str)]) {
    let people = ws.object_named("people").unwrap().id;
    let inputs: Vec<(String, String)> = values.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let values = ws.parse_values(people, &inputs).unwrap();
    ws.import_records(
        people,
        vec![ImportRow { id: Some(id), values }],
        &ImportOptions::default(),
        &mut |_| {},
    )
    .unwrap();
}

#[test]
fn one_record_id_imported_on_two_devices_keeps_both_devices_values() {
    let mut h = Harness::new(5);
    let a = h.add_founder("ana");
    let b = h.add_joiner("bo", Role::Member);
    h.run_until_quiescent();
    h.go_offline(&[a, b]);
    let id = RecordId::new();
    import_one(h.ws(a), id, &[("name", "Ada"), ("city", "London")]);
    import_one(h.ws(b), id, &[("name", "Ada"), ("job_title", "Analyst")]);
    h.reconnect_and_settle(&[a, b]);
    h.assert_converged();
    for peer in [a, b] {
        let view = h.ws(peer).record(id).unwrap();
        let cell = |key: &str| view.cells.iter().find(|c| c.key == key).unwrap().display.clone();
        assert_eq!(cell("city"), "London");
        assert_eq!(cell("job_title"), "Analyst");
        assert_eq!(cell("name"), "Ada");
    }
    // An edit after the merge is not shadowed by the other device's copy.
    let people = h.ws(b).object_named("people").unwrap().id;
    let v = h
        .ws(b)
        .parse_values(people, &[("city".into(), "Paris".into())])
        .unwrap();
    h.ws(b).update_record(id, v).unwrap();
    h.local_change(b);
    h.run_until_quiescent();
    h.assert_converged();
    for peer in [a, b] {
        let view = h.ws(peer).record(id).unwrap();
        let city = view.cells.iter().find(|c| c.key == "city").unwrap();
        assert_eq!((city.display.as_str(), city.conflicts.len()), ("Paris", 0));
    }
}
