//! `kith rule add | list | edit | disable | enable | remove`: a refused write prints the
//! rule's message, exits non-zero and writes nothing; rule changes can be reverted;
//! `kith conflicts` lists records that break a rule.

mod support;

use support::{Kith, assert_one_line_error};

const WHEN: &str = "stage != \"Won\" or not is_empty(close_date)";
const MESSAGE: &str = "Close date is required when Stage is Won";

fn add_rule(kith: &Kith) -> String {
    let added = kith.json(&["rule", "add", "deals", "--when", WHEN, "--message", MESSAGE]);
    assert_eq!(added["message"], MESSAGE);
    assert_eq!(added["condition"], "stage != \"Won\" or not is_empty([Close date])");
    assert_eq!(added["fields"], serde_json::json!(["stage", "close_date"]));
    added["id"].as_str().expect("an id").to_string()
}

fn deal_count(kith: &Kith) -> usize {
    kith.json(&["record", "list", "deals"])["records"]
        .as_array()
        .map_or(0, Vec::len)
}

#[test]
fn a_write_that_breaks_a_rule_prints_its_message_and_writes_nothing() {
    let kith = Kith::init();
    add_rule(&kith);
    let before = deal_count(&kith);
    let err = kith.fails(&["record", "add", "deals", "name=Big", "stage=Won"]);
    assert_one_line_error(&err);
    assert!(err.contains(MESSAGE), "{err}");
    assert_eq!(deal_count(&kith), before);

    let id = kith.ok(&[
        "record",
        "add",
        "deals",
        "name=Big",
        "stage=Won",
        "close_date=2026-05-01",
    ]);
    let id = id.trim();
    let err = kith.fails(&["record", "update", id, "close_date="]);
    assert!(err.contains(MESSAGE), "{err}");
    assert_eq!(kith.json(&["record", "get", id])["fields"]["close_date"], "2026-05-01");
}

#[test]
fn rules_are_listed_disabled_enabled_edited_removed_and_reverted() {
    let kith = Kith::init();
    let id = add_rule(&kith);
    let short = &id[id.len() - 8..];
    // Rule ids start with their creation time: a second rule's short id differs.
    let other = kith.json(&["rule", "add", "people", "--when", "true", "--message", "Fine"]);
    let other = other["id"].as_str().expect("an id");
    assert_ne!(&other[other.len() - 8..], short);
    let listed = kith.ok(&["rule", "list"]);
    assert!(
        listed.contains(short) && listed.contains(MESSAGE) && listed.contains(" on "),
        "{listed}"
    );

    kith.ok(&["rule", "disable", short]);
    kith.ok(&["record", "add", "deals", "name=While off", "stage=Won"]);
    kith.ok(&["rule", "enable", short]);
    assert!(
        kith.run(&["record", "add", "deals", "name=On again", "stage=Won"])
            .status
            .code()
            != Some(0)
    );

    let edited = kith.ok(&["rule", "edit", short, "--message", "Say when it closes"]);
    let undo = edited
        .lines()
        .find_map(|l| l.strip_prefix("undo it: kith revert "))
        .expect("the change to revert")
        .to_string();
    let err = kith.fails(&["record", "add", "deals", "name=X", "stage=Won"]);
    assert!(err.contains("Say when it closes"), "{err}");
    kith.ok(&["revert", &undo]);
    let err = kith.fails(&["record", "add", "deals", "name=X", "stage=Won"]);
    assert!(err.contains(MESSAGE), "{err}");

    let removed = kith.ok(&["rule", "remove", short]);
    assert!(removed.contains("removed"), "{removed}");
    kith.ok(&["record", "add", "deals", "name=Free", "stage=Won"]);
    assert!(kith.ok(&["rule", "list", "deals"]).contains("no rules"));
    assert!(kith.ok(&["rule", "list", "deals", "--all"]).contains("removed"));
}

#[test]
fn a_bad_condition_says_where_and_adds_nothing() {
    let kith = Kith::init();
    let err = kith.fails(&["rule", "add", "deals", "--when", "stage = (", "--message", "m"]);
    assert_one_line_error(&err);
    assert!(err.contains("line 1, column 10"), "{err}");
    let err = kith.fails(&["rule", "add", "deals", "--when", "amount * 2", "--message", "m"]);
    assert!(err.contains("must be yes or no"), "{err}");
    assert!(kith.ok(&["rule", "list"]).contains("no rules"));
}

#[test]
fn conflicts_list_records_that_break_a_rule() {
    let kith = Kith::init();
    let id = kith.ok(&["record", "add", "deals", "name=Old win", "stage=Won"]);
    assert!(kith.ok(&["conflicts"]).contains("no conflicts"));
    add_rule(&kith);
    let text = kith.ok(&["conflicts"]);
    assert!(
        text.contains("(Old win) breaks a rule: Close date is required when Stage is Won"),
        "{text}"
    );
    let json = kith.json(&["conflicts"]);
    let item = &json.as_array().expect("a list")[0];
    assert_eq!(
        (item["kind"].as_str(), item["record"].as_str()),
        (Some("rule"), Some(id.trim()))
    );
}
