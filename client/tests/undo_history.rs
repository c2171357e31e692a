//! `kith history RECORD` and `kith schema history`: every change with its short id, who
//! made it and each field's old → new value.

mod support;

use support::Kith;

fn add_ada(kith: &Kith) -> String {
    kith.ok(&["record", "add", "people", "name=Ada", "city=London"])
        .trim()
        .to_string()
}

#[test]
fn history_shows_each_change_with_labels_and_old_to_new_values() {
    let kith = Kith::init();
    let id = add_ada(&kith);
    kith.ok(&["record", "update", &id, "city=Paris", "email=ada@example.com"]);
    kith.ok(&["record", "delete", &id]);
    kith.ok(&["record", "restore", &id]);

    let text = kith.ok(&["history", &id]);
    assert!(text.contains("4 changes"), "{text}");
    assert!(text.contains("created"), "{text}");
    assert!(text.contains("Name: (empty) → Ada"), "{text}");
    assert!(text.contains("City: London → Paris"), "{text}");
    assert!(text.contains("Email: (empty) → ada@example.com"), "{text}");
    assert!(text.contains("moved to the trash"), "{text}");
    assert!(text.contains("restored from the trash"), "{text}");
    assert!(text.contains("tester"), "the author is shown: {text}");
    assert!(text.contains("edit"), "what made the change is shown: {text}");

    let json = kith.json(&["history", &id]);
    let entries = json.as_array().expect("an array of changes");
    assert_eq!(entries.len(), 4);
    let edit = &entries[1];
    assert_eq!(edit["change"].as_str().map(str::len), Some(12), "{edit}");
    assert!(
        text.contains(edit["change"].as_str().unwrap_or_default()),
        "the short id is printed: {text}"
    );
    assert_eq!(edit["author"], "tester");
    assert_eq!(edit["made_by"], "edit");
    assert_eq!(edit["synced"], false);
    let city = edit["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .find(|f| f["label"] == "City")
        .expect("the city changed");
    assert_eq!(
        (city["old"].as_str(), city["new"].as_str()),
        (Some("London"), Some("Paris"))
    );
    assert_eq!(entries[2]["deleted"], true);
    assert_eq!(entries[3]["deleted"], false);
}

#[test]
fn history_of_an_unknown_record_is_a_one_sentence_error() {
    let kith = Kith::init();
    let err = kith.fails(&["history", "0123456789ab"]);
    assert!(err.contains("no record"), "{err}");
}

#[test]
fn schema_history_describes_a_rename_and_an_archive() {
    let kith = Kith::init();
    kith.ok(&["field", "rename", "people", "city", "--label", "Town"]);
    kith.ok(&["field", "archive", "people", "phone"]);
    let text = kith.ok(&["schema", "history"]);
    assert!(text.contains("field people.city label: City → Town"), "{text}");
    assert!(text.contains("field people.phone archived"), "{text}");
    assert!(text.contains("schema change"), "{text}");

    let json = kith.json(&["schema", "history"]);
    let last = json.as_array().and_then(|a| a.last()).expect("schema changes");
    assert_eq!(last["changes"][0]["label"], "field people.phone archived");
}
