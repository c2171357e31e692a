//! Scenarios from the sync design, on the deterministic harness: devices edit offline,
//! reconnect, and end with the same documents and rows; concurrent edits of one field
//! keep one deterministic winner and show the other value as a conflict.

use kith_core::sync::protocol::Role;
use kith_core::{FieldKind, FieldSpec, Query, RecordId, Workspace};
use kith_tests::{Harness, PeerId};

fn set(ws: &mut Workspace, id: RecordId, field: &str, value: &str) {
    let object = ws.record(id).unwrap().object;
    let v = ws
        .parse_values(object, &[(field.to_string(), value.to_string())])
        .unwrap();
    ws.update_record(id, v).unwrap();
}

fn cell(ws: &Workspace, id: RecordId, key: &str) -> (String, Vec<String>) {
    let view = ws.record(id).unwrap();
    let c = view.cells.into_iter().find(|c| c.key == key).unwrap();
    (c.display, c.conflicts)
}

/// A founder with one person, and a second device that joined and synced.
fn two_devices() -> (Harness, PeerId, PeerId, RecordId) {
    let mut h = Harness::new(7);
    let a = h.add_founder("ana");
    let people = h.ws(a).object_named("people").unwrap().id;
    let v = h
        .ws(a)
        .parse_values(people, &[("name".into(), "Grace Hopper".into())])
        .unwrap();
    let id = h.ws(a).create_record(people, v).unwrap();
    h.local_change(a);
    let b = h.add_joiner("bo", Role::Member);
    h.run_until_quiescent();
    assert_eq!(cell(h.ws(b), id, "name").0, "Grace Hopper");
    (h, a, b, id)
}

#[test]
fn edits_to_different_fields_of_one_record_offline_are_both_kept() {
    let (mut h, a, b, id) = two_devices();
    h.go_offline(&[a, b]);
    set(h.ws(a), id, "city", "Arlington");
    set(h.ws(b), id, "job_title", "Rear admiral");
    h.reconnect_and_settle(&[a, b]);
    h.assert_converged();
    for peer in [a, b] {
        assert_eq!(cell(h.ws(peer), id, "city"), ("Arlington".into(), vec![]));
        assert_eq!(cell(h.ws(peer), id, "job_title"), ("Rear admiral".into(), vec![]));
    }
}

#[test]
fn edits_to_the_same_field_keep_one_winner_everywhere_and_show_the_other_as_a_conflict() {
    let (mut h, a, b, id) = two_devices();
    h.go_offline(&[a, b]);
    set(h.ws(a), id, "city", "Arlington");
    set(h.ws(b), id, "city", "New York");
    h.reconnect_and_settle(&[a, b]);
    h.assert_converged();
    let (winner, others) = cell(h.ws(a), id, "city");
    assert_eq!(cell(h.ws(b), id, "city"), (winner.clone(), others.clone()));
    let mut all = vec![winner, others[0].clone()];
    all.sort();
    assert_eq!(all, ["Arlington", "New York"]);
    assert_eq!(others.len(), 1);
}

#[test]
fn schema_changes_made_offline_on_two_devices_merge() {
    let (mut h, a, b, id) = two_devices();
    h.go_offline(&[a, b]);
    let people = h.ws(a).object_named("people").unwrap().id;
    h.ws(a)
        .add_field(people, FieldSpec::new("shoe_size", "Shoe size", FieldKind::Number))
        .unwrap();
    let city = h.ws(a).field_named(people, "city").unwrap().id;
    h.ws(a).rename_field(people, city, Some("Town"), None).unwrap();
    h.ws(b)
        .add_field(people, FieldSpec::new("nickname", "Nickname", FieldKind::Text))
        .unwrap();
    let source = h.ws(b).field_named(people, "lead_source").unwrap().id;
    h.ws(b).add_options(people, source, &["Podcast".to_string()]).unwrap();
    set(h.ws(b), id, "nickname", "Amazing Grace");
    h.reconnect_and_settle(&[a, b]);
    h.assert_converged();
    for peer in [a, b] {
        let ws = h.ws(peer);
        assert!(ws.field_named(people, "shoe_size").is_ok());
        assert!(ws.field_named(people, "nickname").is_ok());
        assert_eq!(ws.field_named(people, "city").unwrap().label, "Town");
        assert!(
            ws.field_named(people, "lead_source")
                .unwrap()
                .option_named("Podcast")
                .is_some()
        );
        assert_eq!(cell(ws, id, "nickname").0, "Amazing Grace");
        // The new field is indexed on both devices.
        let mut q = Query::new(people);
        q.filter = Some(ws.parse_filter(people, "nickname ^= amaz").unwrap());
        assert_eq!(ws.query(&q).unwrap().ids, vec![id]);
    }
}

#[test]
fn a_delete_and_a_concurrent_edit_both_apply_and_the_record_stays_in_the_trash() {
    let (mut h, a, b, id) = two_devices();
    h.go_offline(&[a, b]);
    h.ws(a).delete_record(id).unwrap();
    set(h.ws(b), id, "city", "Paris");
    h.reconnect_and_settle(&[a, b]);
    h.assert_converged();
    for peer in [a, b] {
        let view = h.ws(peer).record(id).unwrap();
        assert!(view.deleted_at.is_some(), "deleted on {}", h.name(peer));
        assert_eq!(view.cells.iter().find(|c| c.key == "city").unwrap().display, "Paris");
        let people = view.object;
        assert!(h.ws(peer).query(&Query::new(people)).unwrap().ids.is_empty());
    }
}

#[test]
fn a_device_offline_through_a_thousand_remote_changes_catches_up() {
    let (mut h, a, b, id) = two_devices();
    h.set_online(b, false);
    let people = h.ws(a).object_named("people").unwrap().id;
    for i in 0..500 {
        let v = h
            .ws(a)
            .parse_values(people, &[("name".into(), format!("Person {i}"))])
            .unwrap();
        h.ws(a).create_record(people, v).unwrap();
        set(h.ws(a), id, "phone", &format!("+1 555 {i:04}"));
        h.local_change(a);
    }
    h.run_until_quiescent();
    h.set_online(b, true);
    h.run_until_quiescent();
    h.assert_converged();
    assert_eq!(h.ws(b).count(people, None).unwrap(), 501);
    assert_eq!(cell(h.ws(b), id, "phone").0, "+1 555 0499");
}

#[test]
fn a_viewer_receives_changes_but_its_own_edits_stay_local() {
    let (mut h, a, _, id) = two_devices();
    let v = h.add_joiner("viv", Role::Viewer);
    h.run_until_quiescent();
    set(h.ws(a), id, "city", "Oslo");
    h.local_change(a);
    h.run_until_quiescent();
    assert_eq!(cell(h.ws(v), id, "city").0, "Oslo");
    set(h.ws(v), id, "city", "Bergen");
    h.local_change(v);
    h.run_until_quiescent();
    assert_eq!(cell(h.ws(a), id, "city").0, "Oslo");
    assert!(h.ws(v).outbox_len().unwrap() >= 1, "the edit waits in the outbox");
}

#[test]
fn two_records_created_alike_in_the_same_millisecond_both_reach_the_other_device() {
    let (mut h, a, b, _) = two_devices();
    fn frozen() -> i64 {
        1_800_000_000_000
    }
    h.ws(a).set_clock(frozen);
    let people = h.ws(a).object_named("people").unwrap().id;
    for _ in 0..2 {
        let v = h
            .ws(a)
            .parse_values(people, &[("name".into(), "Same Name".into())])
            .unwrap();
        h.ws(a).create_record(people, v).unwrap();
    }
    h.local_change(a);
    h.run_until_quiescent();
    h.assert_converged();
    assert_eq!(h.ws(b).count(people, None).unwrap(), 3);
}
