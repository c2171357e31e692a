//! A view saved on one device is a configuration document with its content: it reaches
//! every device (readable there, never a record), its edits and archiving sync, and an
//! edit can be reverted like a record's.

use kith_core::sync::protocol::Role;
use kith_core::{Changes, DocKind, Query};
use kith_tests::Harness;
use std::sync::{Arc, Mutex};

fn content(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[test]
fn a_view_saved_on_one_device_is_readable_on_another_after_sync() {
    let mut h = Harness::new(21);
    let a = h.add_founder("ana");
    let b = h.add_joiner("bo", Role::Member);
    h.run_until_quiescent();
    let seen: Arc<Mutex<Vec<Changes>>> = Arc::default();
    let log = seen.clone();
    h.ws(b)
        .add_change_observer(Box::new(move |c: &Changes| log.lock().unwrap().push(c.clone())));

    let id = h
        .ws(a)
        .create_config_doc_with(
            DocKind::View,
            "Big deals",
            &[("object", "deals"), ("filter", "amount > 1000")],
        )
        .unwrap();
    h.local_change(a);
    h.run_until_quiescent();

    let view = h.ws(b).config_doc(id).unwrap();
    assert_eq!(view.name, "Big deals");
    assert_eq!(view.kind, DocKind::View);
    assert!(!view.archived);
    let got: Vec<(String, String)> = view.content.into_iter().collect();
    assert_eq!(got, content(&[("filter", "amount > 1000"), ("object", "deals")]));
    // The observers were told a configuration document arrived (the UI refreshes).
    assert!(seen.lock().unwrap().iter().any(|c| c.config.contains(&id) && !c.local));
    // It is not a record.
    let deals = h.ws(b).object_named("deals").unwrap().id;
    assert!(h.ws(b).query(&Query::new(deals)).unwrap().ids.is_empty());

    // Edits and archiving from B reach A.
    h.ws(b)
        .update_config_doc(
            id,
            Some("Huge deals"),
            &[("filter", Some("amount > 5000")), ("sort", Some("-amount"))],
        )
        .unwrap();
    h.ws(b).archive_config_doc(id, true).unwrap();
    h.local_change(b);
    h.run_until_quiescent();
    h.assert_converged();
    let on_a = h.ws(a).config_doc(id).unwrap();
    assert_eq!(on_a.name, "Huge deals");
    assert!(on_a.archived);
    assert_eq!(on_a.content["filter"], "amount > 5000");
    assert_eq!(on_a.content["sort"], "-amount");
    assert_eq!(h.ws(a).config_contents(&DocKind::View).unwrap().len(), 1);
}

#[test]
fn a_view_edit_is_in_the_history_and_can_be_reverted_on_every_device() {
    let mut h = Harness::new(22);
    let a = h.add_founder("ana");
    let b = h.add_joiner("bo", Role::Member);
    let id = h
        .ws(a)
        .create_config_doc_with(
            DocKind::View,
            "Open deals",
            &[("object", "deals"), ("filter", "stage = open")],
        )
        .unwrap();
    h.ws(a)
        .update_config_doc(id, None, &[("filter", Some("stage = won")), ("sort", Some("name"))])
        .unwrap();
    h.local_change(a);
    h.run_until_quiescent();

    // The edit is the document's last change, with the message `config`.
    let bytes = h.ws(b).document_bytes(id).unwrap().unwrap();
    let mut doc = automerge::AutoCommit::load(&bytes).unwrap();
    let changes = doc.get_changes(&[]);
    let edit = changes.last().unwrap();
    assert_eq!(edit.message(), Some("config"));
    let hash = edit.hash().to_string();

    h.ws(b).revert_change(&hash[..12], false).unwrap();
    h.local_change(b);
    h.run_until_quiescent();
    h.assert_converged();
    for peer in [a, b] {
        let view = h.ws(peer).config_doc(id).unwrap();
        assert_eq!(view.content.get("filter").map(String::as_str), Some("stage = open"));
        assert_eq!(view.content.get("sort"), None);
        assert!(!view.archived);
    }

    // Reverting the creation archives it; nothing is destroyed.
    let first = changes[0].hash().to_string();
    h.ws(a).revert_change(&first[..12], false).unwrap();
    h.local_change(a);
    h.run_until_quiescent();
    let view = h.ws(b).config_doc(id).unwrap();
    assert!(view.archived);
    assert_eq!(view.name, "Open deals");
}

#[test]
fn offline_edits_of_one_view_on_two_devices_both_survive() {
    let mut h = Harness::new(23);
    let a = h.add_founder("ana");
    let b = h.add_joiner("bo", Role::Member);
    let id = h
        .ws(a)
        .create_config_doc_with(DocKind::View, "Deals", &[("object", "deals")])
        .unwrap();
    h.local_change(a);
    h.run_until_quiescent();

    h.go_offline(&[a, b]);
    h.ws(a)
        .update_config_doc(id, None, &[("filter", Some("stage = won"))])
        .unwrap();
    h.ws(b)
        .update_config_doc(id, Some("Deals by size"), &[("sort", Some("-amount"))])
        .unwrap();
    h.reconnect_and_settle(&[a, b]);
    h.assert_converged();
    for peer in [a, b] {
        let view = h.ws(peer).config_doc(id).unwrap();
        assert_eq!(view.name, "Deals by size");
        assert_eq!(view.content["filter"], "stage = Won", "the option shown by its label");
        assert_eq!(view.content["sort"], "-amount");
        assert_eq!(view.content["object"], "deals");
    }
}
