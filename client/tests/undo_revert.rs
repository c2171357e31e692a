//! `kith revert CHANGE [--force]`, `kith revert --group ID`, and bulk edits
//! (`kith record update --object --filter --set`) as one change group.

mod support;

use serde_json::Value;
use support::Kith;

fn city(kith: &Kith, id: &str) -> Value {
    kith.json(&["record", "get", id])["fields"]["city"].clone()
}

fn change_that_set(kith: &Kith, id: &str, label: &str, new: &str) -> String {
    let history = kith.json(&["history", id]);
    history
        .as_array()
        .expect("changes")
        .iter()
        .find(|c| {
            c["fields"]
                .as_array()
                .is_some_and(|f| f.iter().any(|d| d["label"] == label && d["new"] == new))
        })
        .and_then(|c| c["change"].as_str())
        .expect("the change is in the history")
        .to_string()
}

#[test]
fn revert_puts_the_old_value_back_and_prints_its_own_group() {
    let kith = Kith::init();
    let id = kith.ok(&["record", "add", "people", "name=Ada", "city=London"]);
    let id = id.trim();
    kith.ok(&["record", "update", id, "city=Paris"]);
    let change = change_that_set(&kith, id, "City", "Paris");

    let text = kith.ok(&["revert", &change]);
    assert_eq!(city(&kith, id), "London");
    assert!(text.contains("changed 1 record"), "{text}");
    assert!(text.contains("kith revert --group"), "{text}");

    // The revert is a change group of its own: reverting it brings Paris back.
    let history = kith.json(&["history", id]);
    let revert = history.as_array().and_then(|a| a.last()).expect("the revert");
    assert!(
        revert["made_by"].as_str().unwrap_or_default().starts_with("revert"),
        "{revert}"
    );
    let group = revert["group"].as_str().expect("a revert has a group").to_string();
    assert!(text.contains(&group), "{text}");
    kith.ok(&["revert", "--group", &group]);
    assert_eq!(city(&kith, id), "Paris");
}

#[test]
fn revert_refuses_when_a_later_edit_touched_the_field_unless_forced() {
    let kith = Kith::init();
    let id = kith.ok(&["record", "add", "people", "name=Ada", "city=London"]);
    let id = id.trim();
    kith.ok(&["record", "update", id, "city=Paris"]);
    let change = change_that_set(&kith, id, "City", "Paris");
    kith.ok(&["record", "update", id, "city=Rome"]);
    let later = change_that_set(&kith, id, "City", "Rome");

    let err = kith.fails(&["revert", &change]);
    assert!(err.contains("--force"), "{err}");
    assert!(err.contains(&later), "the later change is named: {err}");
    assert_eq!(city(&kith, id), "Rome", "nothing changed");

    kith.ok(&["revert", &change, "--force"]);
    assert_eq!(city(&kith, id), "London");
}

#[test]
fn revert_of_an_unknown_change_or_group_is_one_sentence() {
    let kith = Kith::init();
    let err = kith.fails(&["revert"]);
    assert!(err.contains("--group"), "{err}");
    let err = kith.fails(&["revert", "abcdef123456"]);
    assert!(err.contains("abcdef123456"), "{err}");
    let err = kith.fails(&["revert", "--group", "not-a-group"]);
    assert!(err.contains("no change group not-a-group"), "{err}");
    let err = kith.fails(&["revert", "--group", "01a21b1e-f712-76f2-8e14-d6fe96fb7d95"]);
    assert!(err.contains("no change group"), "{err}");
}

#[test]
fn bulk_update_is_one_group_that_revert_group_takes_back() {
    let kith = Kith::init();
    let mut ids = Vec::new();
    for (name, town) in [("Ada", "Paris"), ("Bob", "Paris"), ("Cy", "Rome")] {
        let id = kith.ok(&[
            "record",
            "add",
            "people",
            &format!("name={name}"),
            &format!("city={town}"),
        ]);
        ids.push(id.trim().to_string());
    }
    let report = kith.json(&[
        "record",
        "update",
        "--object",
        "people",
        "--filter",
        "city = Paris",
        "--set",
        "city=Lyon",
        "--set",
        "country=France",
        "--yes",
    ]);
    assert_eq!(report["records"], 2);
    let group = report["group"].as_str().expect("a group id").to_string();
    assert_eq!(city(&kith, &ids[0]), "Lyon");
    assert_eq!(city(&kith, &ids[1]), "Lyon");
    assert_eq!(city(&kith, &ids[2]), "Rome", "the filter left Cy alone");
    let history = kith.json(&["history", &ids[0]]);
    let last = history.as_array().and_then(|a| a.last()).expect("changes");
    assert_eq!(last["made_by"], "bulk edit");
    assert_eq!(last["group"], group.as_str());

    let text = kith.ok(&["revert", "--group", &group]);
    assert!(text.contains("changed 2 records"), "{text}");
    assert_eq!(city(&kith, &ids[0]), "Paris");
    assert_eq!(city(&kith, &ids[1]), "Paris");
    assert_eq!(kith.json(&["record", "get", &ids[0]])["fields"]["country"], Value::Null);
}

#[test]
fn bulk_update_of_several_records_needs_yes_when_it_cannot_ask() {
    let kith = Kith::init();
    for name in ["Ada", "Bob"] {
        kith.ok(&["record", "add", "people", &format!("name={name}"), "city=Paris"]);
    }
    let err = kith.fails(&["record", "update", "--object", "people", "--set", "city=Lyon"]);
    assert!(err.contains("--yes"), "{err}");
    let list = kith.json(&["record", "list", "people"]);
    assert!(
        list["records"]
            .as_array()
            .expect("records")
            .iter()
            .all(|r| r["fields"]["city"] == "Paris")
    );

    // One record needs no confirmation; the single-record form still works.
    let text = kith.ok(&[
        "record",
        "update",
        "--object",
        "people",
        "--filter",
        "name = Ada",
        "--set",
        "city=Oslo",
    ]);
    assert!(text.contains("updated 1 people records"), "{text}");
    let ada = kith.json(&["record", "list", "people", "--filter", "name = Ada"]);
    let id = ada["records"][0]["id"].as_str().expect("an id").to_string();
    kith.ok(&["record", "update", &id, "city=Bergen"]);
    assert_eq!(city(&kith, &id), "Bergen");
}
