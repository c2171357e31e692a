//! `kith object`, `kith field`, `kith option` and `kith schema show`.

mod support;

use support::Kith;

fn field_keys(kith: &Kith, object: &str) -> Vec<String> {
    let fields = kith.json(&["field", "list", object]);
    fields
        .as_array()
        .expect("fields")
        .iter()
        .map(|f| f["key"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn objects_are_added_renamed_archived_and_restored() {
    let kith = Kith::init();
    kith.ok(&["object", "add", "projects", "--label", "Projects"]);
    kith.ok(&[
        "object",
        "rename",
        "projects",
        "--label",
        "Initiatives",
        "--key",
        "initiatives",
    ]);
    kith.ok(&["object", "archive", "initiatives"]);
    let list = kith.json(&["object", "list"]);
    let ours = list
        .as_array()
        .and_then(|l| l.iter().find(|o| o["key"] == "initiatives"))
        .expect("listed");
    assert_eq!(
        (ours["label"].as_str(), ours["archived"].as_bool()),
        (Some("Initiatives"), Some(true))
    );
    kith.ok(&["object", "restore", "Initiatives"]);
    assert!(kith.ok(&["schema", "show"]).contains("initiatives (Initiatives)"));
}

#[test]
fn fields_are_added_renamed_reordered_archived_and_restored() {
    let kith = Kith::init();
    kith.ok(&[
        "field",
        "add",
        "deals",
        "region",
        "--type",
        "select",
        "--options",
        "North, South",
        "--required",
    ]);
    kith.ok(&["field", "rename", "deals", "region", "--label", "Sales region"]);
    kith.ok(&["field", "reorder", "deals", "Sales region", "1"]);
    assert_eq!(field_keys(&kith, "deals")[0], "region");
    kith.ok(&["field", "archive", "deals", "stage"]);
    assert!(!field_keys(&kith, "deals").contains(&"stage".to_string()));
    kith.ok(&["field", "reorder", "deals", "region", "2"]);
    assert_eq!(field_keys(&kith, "deals")[..2], ["name", "region"]);
    kith.ok(&["field", "restore", "deals", "stage"]);
    assert!(field_keys(&kith, "deals").contains(&"stage".to_string()));
    let list = kith.ok(&["field", "list", "deals"]);
    assert!(
        list.contains("Sales region") && list.contains("required; options: North, South"),
        "{list}"
    );
}

#[test]
fn retyping_reports_values_that_do_not_convert_and_keeps_them() {
    let kith = Kith::init();
    kith.ok(&["record", "add", "people", "name=Ada", "city=12"]);
    kith.ok(&["record", "add", "people", "name=Bob", "city=Paris"]);
    let report = kith.ok(&["field", "retype", "people", "city", "number"]);
    assert!(
        report.contains("1 value(s) convert") && report.contains("'Paris'"),
        "{report}"
    );
    let json = kith.json(&["field", "retype", "people", "city", "text"]);
    assert_eq!(json["converted"], 2);
    assert!(kith.ok(&["export", "--object", "people"]).contains("Paris"));
}

#[test]
fn options_are_added_renamed_reordered_recolored_and_archived() {
    let kith = Kith::init();
    kith.ok(&["option", "add", "tasks", "priority", "Urgent", "Someday"]);
    kith.ok(&["option", "rename", "tasks", "priority", "someday", "Later"]);
    kith.ok(&["option", "reorder", "tasks", "priority", "Urgent", "1"]);
    kith.ok(&["option", "color", "tasks", "priority", "Later", "pink"]);
    kith.ok(&["option", "archive", "tasks", "priority", "Low"]);
    let options = kith.json(&["option", "list", "tasks", "priority"]);
    let labels: Vec<&str> = options
        .as_array()
        .expect("options")
        .iter()
        .filter_map(|o| o["label"].as_str())
        .collect();
    assert_eq!(labels, ["Urgent", "Low", "Medium", "High", "Later"]);
    assert_eq!(options[4]["color"], "pink");
    assert_eq!(options[1]["archived"], true);
    let err = kith.fails(&["record", "add", "tasks", "title=Old", "priority=Low"]);
    assert!(err.contains("archived"), "{err}");
}

#[test]
fn schema_show_json_is_the_whole_schema() {
    let kith = Kith::init();
    let schema = kith.json(&["schema", "show"]);
    let keys: Vec<&str> = schema["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .filter_map(|o| o["key"].as_str())
        .collect();
    assert_eq!(keys, ["people", "companies", "deals", "tasks", "notes"]);
}

#[test]
fn a_new_object_has_a_name_field_its_records_are_shown_by() {
    let kith = Kith::init();
    kith.ok(&["object", "add", "projects"]);
    assert_eq!(field_keys(&kith, "projects"), ["name"]);
    kith.ok(&["record", "add", "projects", "name=Apollo"]);
    let list = kith.ok(&["record", "list", "projects"]);
    assert!(list.contains("Apollo"), "{list}");
    kith.ok(&[
        "field", "add", "tasks", "project", "--type", "relation", "--target", "projects",
    ]);
    kith.ok(&["record", "add", "tasks", "title=Launch", "project=Apollo"]);
}

#[test]
fn adding_a_field_whose_key_is_archived_says_so_and_how_to_restore_it() {
    let kith = Kith::init();
    kith.ok(&["field", "archive", "people", "linkedin"]);
    let err = kith.fails(&["field", "add", "people", "linkedin", "--type", "url"]);
    assert!(err.contains("archived"), "{err}");
    assert!(err.contains("kith field restore people linkedin"), "{err}");
}
