//! Reverting an import puts its records in the trash; `kith trash list|restore|purge`.

mod support;

use support::{Kith, path_str};

fn import_three(kith: &Kith) -> String {
    let csv = kith.write("people.csv", b"name,city\nAda,Paris\nBob,Rome\nCy,Oslo\n");
    let report = kith.json(&["import", path_str(&csv), "--object", "people"]);
    assert_eq!(report["imported"], 3);
    report["group"].as_str().expect("an import group").to_string()
}

fn trash_names(kith: &Kith) -> Vec<String> {
    let mut names: Vec<String> = kith.json(&["trash", "list"])["records"]
        .as_array()
        .expect("an array")
        .iter()
        .map(|r| r["name"].as_str().unwrap_or_default().to_string())
        .collect();
    names.sort();
    names
}

#[test]
fn reverting_an_import_group_moves_its_records_to_the_trash() {
    let kith = Kith::init();
    let group = import_three(&kith);
    let text = kith.ok(&["revert", "--group", &group]);
    assert!(text.contains("changed 3 records"), "{text}");
    assert_eq!(kith.ok(&["record", "list", "people", "--count"]).trim(), "0");
    assert_eq!(trash_names(&kith), ["Ada", "Bob", "Cy"]);
    let listed = kith.ok(&["trash", "list", "--object", "people"]);
    assert!(listed.contains("Bob") && listed.contains("people"), "{listed}");
    assert!(kith.ok(&["trash", "list", "--object", "companies"]).contains("empty"));
}

#[test]
fn trash_restore_brings_a_record_back() {
    let kith = Kith::init();
    let id = kith.ok(&["record", "add", "people", "name=Ada"]);
    let id = id.trim();
    kith.ok(&["record", "delete", id]);
    assert_eq!(trash_names(&kith), ["Ada"]);
    kith.ok(&["trash", "restore", id]);
    assert!(trash_names(&kith).is_empty());
    assert_eq!(kith.json(&["record", "get", id])["deleted_at"], serde_json::Value::Null);
    let err = kith.fails(&["trash", "restore", id]);
    assert!(err.contains("not in the trash"), "{err}");
}

#[test]
fn trash_purge_needs_yes_and_then_destroys_the_record() {
    let kith = Kith::init();
    let id = kith.ok(&["record", "add", "people", "name=Ada"]);
    let id = id.trim();
    kith.ok(&["record", "delete", id]);

    let err = kith.fails(&["trash", "purge", id]);
    assert!(err.contains("--yes") && err.contains("cannot undo"), "{err}");
    assert_eq!(trash_names(&kith), ["Ada"], "nothing was purged");

    kith.ok(&["trash", "purge", id, "--yes"]);
    assert!(trash_names(&kith).is_empty());
    let err = kith.fails(&["record", "get", id]);
    assert!(err.contains("no record"), "{err}");
}
