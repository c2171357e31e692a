//! Two devices that add a field with the same key, or an option with the same label, at
//! the same time: no two fields end up sharing a key, no value becomes unreachable.
//! Same key and type: one field, values from both devices under it. Different types:
//! both kept under distinct keys, the later listed as a clash to settle. Same option
//! label: one option, and filtering by it finds every record that chose either.

use kith_core::sync::protocol::Role;
use kith_core::{FieldKind, FieldSpec, Query, RecordId, Workspace};
use kith_tests::{Harness, PeerId};

/// Two synced devices with two people.
fn two_devices() -> (Harness, PeerId, PeerId, [RecordId; 2]) {
    let mut h = Harness::new(3);
    let a = h.add_founder("ana");
    let people = h.ws(a).object_named("people").unwrap().id;
    let mut ids = Vec::new();
    for name in ["Ada", "Grace"] {
        let v = h.ws(a).parse_values(people, &[("name".into(), name.into())]).unwrap();
        ids.push(h.ws(a).create_record(people, v).unwrap());
    }
    h.local_change(a);
    let b = h.add_joiner("bo", Role::Member);
    h.run_until_quiescent();
    (h, a, b, [ids[0], ids[1]])
}

fn set(ws: &mut Workspace, id: RecordId, field: &str, value: &str) {
    let people = ws.object_named("people").unwrap().id;
    let v = ws.parse_values(people, &[(field.into(), value.into())]).unwrap();
    ws.update_record(id, v).unwrap();
}

fn shown(ws: &Workspace, id: RecordId, key: &str) -> Vec<String> {
    let view = ws.record(id).unwrap();
    view.cells
        .iter()
        .filter(|c| c.key == key)
        .map(|c| c.display.clone())
        .collect()
}

fn keys(ws: &Workspace) -> Vec<String> {
    let mut keys: Vec<String> = ws
        .object_named("people")
        .unwrap()
        .fields
        .iter()
        .map(|f| f.key.clone())
        .collect();
    keys.sort();
    keys
}

#[test]
fn one_key_and_type_added_on_two_devices_is_one_field_with_both_devices_values() {
    let (mut h, a, b, [ada, grace]) = two_devices();
    h.go_offline(&[a, b]);
    for (peer, id, value) in [(a, ada, "@ada"), (b, grace, "@grace")] {
        let ws = h.ws(peer);
        let people = ws.object_named("people").unwrap().id;
        ws.add_field(people, FieldSpec::new("twitter", "Twitter", FieldKind::Text))
            .unwrap();
        set(ws, id, "twitter", value);
    }
    h.reconnect_and_settle(&[a, b]);
    h.assert_converged();
    for peer in [a, b] {
        let ws = h.ws(peer);
        let people = ws.object_named("people").unwrap();
        let active: Vec<_> = people.active_fields().filter(|f| f.key == "twitter").collect();
        assert_eq!(active.len(), 1, "one twitter field");
        let all = keys(ws);
        let mut dedup = all.clone();
        dedup.dedup();
        assert_eq!(all, dedup, "no two fields share a key");
        assert_eq!(shown(ws, ada, "twitter"), ["@ada"]);
        assert_eq!(shown(ws, grace, "twitter"), ["@grace"]);
    }
}

#[test]
fn one_key_with_two_types_keeps_both_fields_under_distinct_keys_until_settled() {
    let (mut h, a, b, [ada, _]) = two_devices();
    h.go_offline(&[a, b]);
    for (peer, kind, value) in [(a, FieldKind::Text, "@ada"), (b, FieldKind::Url, "https://x.com/ada")] {
        let ws = h.ws(peer);
        let people = ws.object_named("people").unwrap().id;
        ws.add_field(people, FieldSpec::new("twitter", "Twitter", kind))
            .unwrap();
        set(ws, ada, "twitter", value);
    }
    h.reconnect_and_settle(&[a, b]);
    h.assert_converged();
    for peer in [a, b] {
        let ws = h.ws(peer);
        let people = ws.object_named("people").unwrap();
        let twitter = people.find_field("twitter").unwrap();
        let other = people.find_field("twitter_2").unwrap();
        assert_ne!(twitter.kind, other.kind);
        assert_eq!(other.clashing_key.as_deref(), Some("twitter"));
        let mut values = shown(ws, ada, "twitter");
        values.extend(shown(ws, ada, "twitter_2"));
        values.sort();
        assert_eq!(values, ["@ada", "https://x.com/ada"]);
    }
    // Renaming one settles it, everywhere.
    let ws = h.ws(a);
    let people = ws.object_named("people").unwrap().id;
    let other = ws.field_named(people, "twitter_2").unwrap().id;
    ws.rename_field(people, other, None, Some("twitter_url")).unwrap();
    h.local_change(a);
    h.run_until_quiescent();
    for peer in [a, b] {
        let people = h.ws(peer).object_named("people").unwrap();
        assert!(people.fields.iter().all(|f| f.clashing_key.is_none()));
        assert!(people.find_field("twitter_url").is_some());
    }
}

#[test]
fn one_option_label_added_on_two_devices_is_one_option_that_finds_both_records() {
    let (mut h, a, b, [ada, grace]) = two_devices();
    h.go_offline(&[a, b]);
    for (peer, id) in [(a, ada), (b, grace)] {
        let ws = h.ws(peer);
        let people = ws.object_named("people").unwrap().id;
        let source = ws.field_named(people, "lead_source").unwrap().id;
        ws.add_options(people, source, &["Podcast".to_string()]).unwrap();
        set(ws, id, "lead_source", "Podcast");
    }
    h.reconnect_and_settle(&[a, b]);
    h.assert_converged();
    for peer in [a, b] {
        let ws = h.ws(peer);
        let people = ws.object_named("people").unwrap().id;
        let source = ws.field_named(people, "lead_source").unwrap();
        assert_eq!(source.options.iter().filter(|o| o.label == "Podcast").count(), 1);
        let mut query = Query::new(people);
        query.filter = Some(ws.parse_filter(people, "lead_source = Podcast").unwrap());
        let mut found = ws.query(&query).unwrap().ids;
        found.sort();
        let mut both = vec![ada, grace];
        both.sort();
        assert_eq!(found, both);
        assert_eq!(shown(ws, grace, "lead_source"), ["Podcast"]);
    }
}

#[test]
fn one_record_set_under_both_same_key_fields_keeps_both_values_and_lists_them() {
    let (mut h, a, b, [ada, _]) = two_devices();
    h.go_offline(&[a, b]);
    for (peer, value) in [(a, "@ada_a"), (b, "@ada_b")] {
        let ws = h.ws(peer);
        let people = ws.object_named("people").unwrap().id;
        ws.add_field(people, FieldSpec::new("twitter", "Twitter", FieldKind::Text))
            .unwrap();
        set(ws, ada, "twitter", value);
    }
    h.reconnect_and_settle(&[a, b]);
    h.assert_converged();
    for peer in [a, b] {
        let ws = h.ws(peer);
        let clashes = ws.merged_value_clashes(None).unwrap();
        assert_eq!(clashes.len(), 1);
        let mut both = vec![clashes[0].kept.clone(), clashes[0].other.clone()];
        both.sort();
        assert_eq!(both, ["@ada_a", "@ada_b"]);
        assert_eq!(shown(ws, ada, "twitter"), [clashes[0].kept.clone()]);
    }
    // Clearing the alias settles it.
    let ws = h.ws(a);
    let people = ws.object_named("people").unwrap().id;
    let alias = ws.field_named(people, "twitter_2").unwrap().id;
    ws.update_record(ada, vec![(alias, None)]).unwrap();
    h.local_change(a);
    h.run_until_quiescent();
    for peer in [a, b] {
        assert!(h.ws(peer).merged_value_clashes(None).unwrap().is_empty());
    }
}

#[test]
fn select_values_under_a_merged_select_move_to_the_option_with_their_label() {
    let (mut h, a, b, [ada, grace]) = two_devices();
    h.go_offline(&[a, b]);
    for (peer, id, label) in [(a, ada, "Gold"), (b, grace, "Silver")] {
        let ws = h.ws(peer);
        let people = ws.object_named("people").unwrap().id;
        let mut spec = FieldSpec::new("tier", "Tier", FieldKind::Select);
        spec.options = vec!["Gold".into(), label.into()];
        ws.add_field(people, spec).unwrap();
        set(ws, id, "tier", label);
    }
    h.reconnect_and_settle(&[a, b]);
    h.assert_converged();
    for peer in [a, b] {
        let ws = h.ws(peer);
        assert_eq!(shown(ws, ada, "tier"), ["Gold"]);
        assert_eq!(shown(ws, grace, "tier"), ["Silver"]);
        let people = ws.object_named("people").unwrap();
        let mut labels: Vec<String> = people
            .find_field("tier")
            .unwrap()
            .options
            .iter()
            .map(|o| o.label.clone())
            .collect();
        labels.sort();
        assert_eq!(labels, ["Gold", "Silver"]);
    }
}
