//! Reverts and conflict resolutions are ordinary changes: they reach the other devices
//! through sync like any edit.

use kith_core::sync::protocol::Role;
use kith_core::{RecordId, Resolution, Workspace};
use kith_tests::{Harness, PeerId};

fn set(ws: &mut Workspace, id: RecordId, field: &str, value: &str) {
    let object = ws.record(id).unwrap().object;
    let v = ws
        .parse_values(object, &[(field.to_string(), value.to_string())])
        .unwrap();
    ws.update_record(id, v).unwrap();
}

fn city(ws: &Workspace, id: RecordId) -> (String, Vec<String>) {
    let c = ws
        .record(id)
        .unwrap()
        .cells
        .into_iter()
        .find(|c| c.key == "city")
        .unwrap();
    (c.display, c.conflicts)
}

fn two_devices() -> (Harness, PeerId, PeerId, RecordId) {
    let mut h = Harness::new(11);
    let a = h.add_founder("ana");
    let people = h.ws(a).object_named("people").unwrap().id;
    let v = h
        .ws(a)
        .parse_values(
            people,
            &[("name".into(), "Grace".into()), ("city".into(), "Arlington".into())],
        )
        .unwrap();
    let id = h.ws(a).create_record(people, v).unwrap();
    h.local_change(a);
    let b = h.add_joiner("bo", Role::Member);
    h.run_until_quiescent();
    (h, a, b, id)
}

#[test]
fn a_conflict_between_two_devices_is_listed_resolved_and_the_resolution_syncs() {
    let (mut h, a, b, id) = two_devices();
    h.go_offline(&[a, b]);
    set(h.ws(a), id, "city", "Paris");
    set(h.ws(b), id, "city", "Rome");
    h.reconnect_and_settle(&[a, b]);

    let conflicts = h.ws(a).conflicts(None).unwrap();
    assert_eq!(conflicts.len(), 1);
    let c = &conflicts[0];
    assert_eq!((c.record, c.field_label.as_str()), (id, "City"));
    let mut values: Vec<(String, String)> = c.values.iter().map(|v| (v.display.clone(), v.author.clone())).collect();
    values.sort();
    assert_eq!(
        values,
        [
            ("Paris".to_string(), "ana".to_string()),
            ("Rome".to_string(), "bo".to_string())
        ]
    );
    assert!(c.values.iter().all(|v| v.time > 0 && !v.change.is_empty()));
    assert_eq!(h.ws(b).conflicts(None).unwrap().len(), 1, "both devices see it");

    let rome = c.values.iter().position(|v| v.display == "Rome").unwrap() + 1;
    let field = c.field;
    h.ws(a).resolve_conflict(id, field, Resolution::Pick(rome)).unwrap();
    h.local_change(a);
    h.run_until_quiescent();
    h.assert_converged();
    for peer in [a, b] {
        assert_eq!(city(h.ws(peer), id), ("Rome".to_string(), vec![]));
        assert!(h.ws(peer).conflicts(None).unwrap().is_empty());
    }
}

#[test]
fn a_conflict_can_be_settled_with_a_new_value() {
    let (mut h, a, b, id) = two_devices();
    h.set_online(b, false);
    set(h.ws(a), id, "city", "Paris");
    set(h.ws(b), id, "city", "Rome");
    h.reconnect_and_settle(&[a, b]);
    let field = h.ws(b).conflicts(None).unwrap()[0].field;
    h.ws(b)
        .resolve_conflict(id, field, Resolution::Value("Milan".into()))
        .unwrap();
    assert!(
        h.ws(b).resolve_conflict(id, field, Resolution::Pick(1)).is_err(),
        "nothing left to settle"
    );
    h.local_change(b);
    h.run_until_quiescent();
    assert_eq!(city(h.ws(a), id), ("Milan".to_string(), vec![]));
}

#[test]
fn a_revert_made_on_one_device_arrives_on_the_other() {
    let (mut h, a, b, id) = two_devices();
    set(h.ws(b), id, "city", "Boston");
    h.local_change(b);
    h.run_until_quiescent();
    assert_eq!(city(h.ws(a), id).0, "Boston");
    let history = h.ws(a).record_history(id).unwrap();
    let edit = history.last().unwrap();
    assert!(edit.synced, "made on the other device");
    assert_eq!(edit.author, "bo");
    h.ws(a).revert_change(&edit.change, false).unwrap();
    h.local_change(a);
    h.run_until_quiescent();
    h.assert_converged();
    assert_eq!(city(h.ws(b), id).0, "Arlington");
}
