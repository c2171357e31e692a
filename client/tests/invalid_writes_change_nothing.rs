//! A write that breaks a type or a rule is refused as a whole: nothing changes.

mod support;

use support::Kith;

#[test]
fn a_record_with_a_bad_value_is_not_added() {
    let kith = Kith::init();
    kith.fails(&["record", "add", "people", "name=Ada", "birthday=someday"]);
    kith.fails(&["record", "add", "people", "email=ada@example.com"]);
    kith.fails(&["record", "add", "people", "name=Ada", "shoe_size=38"]);
    assert_eq!(kith.ok(&["record", "list", "people", "--count"]).trim(), "0");
}

#[test]
fn an_update_with_one_bad_value_changes_no_value() {
    let kith = Kith::init();
    let id = kith.ok(&["record", "add", "people", "name=Ada", "city=London"]);
    let before = kith.ok(&["export", "--object", "people"]);
    kith.fails(&["record", "update", id.trim(), "city=Paris", "email=nope"]);
    kith.fails(&["record", "update", id.trim(), "city=Paris", "name="]);
    assert_eq!(kith.ok(&["export", "--object", "people"]), before);
}

#[test]
fn a_duplicate_of_a_unique_value_is_refused() {
    let kith = Kith::init();
    kith.ok(&["record", "add", "people", "name=Ada", "email=ada@example.com"]);
    let err = kith.fails(&["record", "add", "people", "name=Other Ada", "email=ADA@example.com"]);
    assert!(err.contains("unique"), "{err}");
    assert_eq!(kith.ok(&["record", "list", "people", "--count"]).trim(), "1");
}

#[test]
fn a_rule_that_existing_records_break_is_not_set() {
    let kith = Kith::init();
    kith.ok(&["record", "add", "people", "name=Ada"]);
    let err = kith.fails(&["field", "set", "people", "city", "--required", "true"]);
    assert!(err.contains("required"), "{err}");
    let fields = kith.json(&["field", "list", "people"]);
    let city = fields
        .as_array()
        .and_then(|f| f.iter().find(|f| f["key"] == "city"))
        .expect("city");
    assert_eq!(city["required"], false);
}
