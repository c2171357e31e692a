//! A trashed record whose unique value another record took meanwhile: the refusal names
//! that record and the way out, and `--set` restores it with a new value in one step.

mod support;

use support::Kith;

fn id_of(out: &serde_json::Value) -> String {
    out["id"].as_str().expect("an id").to_string()
}

#[test]
fn the_refusal_names_the_record_holding_the_value_and_set_restores_with_a_new_value() {
    let kith = Kith::init();
    let ada = id_of(&kith.json(&["record", "add", "people", "name=Ada", "email=ada@example.com"]));
    kith.ok(&["record", "delete", &ada]);
    kith.ok(&["record", "add", "people", "name=Bob Holder", "email=ada@example.com"]);

    let err = kith.fails(&["record", "restore", &ada]);
    assert!(err.contains("Bob Holder"), "{err}");
    assert!(err.contains("--set email="), "{err}");
    let err = kith.fails(&["record", "update", &ada, "city=Paris"]);
    assert!(err.contains("record restore"), "{err}");

    let out = kith.ok(&["record", "restore", &ada, "--set", "email=ada@lovelace.example"]);
    assert!(out.contains("restored"), "{out}");
    let got = kith.json(&["record", "get", &ada]);
    assert_eq!(got["fields"]["email"], "ada@lovelace.example", "{got}");
}

#[test]
fn trash_restore_is_the_same_command() {
    let kith = Kith::init();
    let ada = id_of(&kith.json(&["record", "add", "people", "name=Ada"]));
    let deleted = kith.ok(&["record", "delete", &ada]);
    assert!(deleted.contains("kith record restore"), "{deleted}");
    let listed = kith.ok(&["trash", "list"]);
    assert!(listed.contains("kith record restore"), "{listed}");
    kith.ok(&["trash", "restore", &ada]);
    let err = kith.fails(&["trash", "restore", &ada]);
    assert!(err.contains("not in the trash"), "{err}");
}
