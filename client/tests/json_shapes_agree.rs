//! `--json` output has one record shape (record list, record get, trash list, export)
//! and the same key for the same thing (`path`: the local directory, `workspace`: the
//! relay's workspace id). docs/api.md describes them.

mod support;

use serde_json::Value;
use support::Kith;

fn keys(record: &Value) -> Vec<String> {
    let mut keys: Vec<String> = record.as_object().expect("a record").keys().cloned().collect();
    keys.sort();
    keys
}

#[test]
fn every_command_shows_a_record_in_the_same_shape() {
    let kith = Kith::init();
    kith.ok(&["record", "add", "companies", "name=Acme"]);
    let id = kith.json(&["record", "add", "people", "name=Ada", "company=Acme"])["id"]
        .as_str()
        .expect("id")
        .to_string();
    let listed = kith.json(&["record", "list", "people"])["records"][0].clone();
    let exported: Value =
        serde_json::from_str(&kith.ok(&["export", "--object", "people", "--format", "json"])).expect("JSON");
    let got = kith.json(&["record", "get", &id]);
    kith.ok(&["record", "delete", &id]);
    let trashed = kith.json(&["trash", "list"])["records"][0].clone();

    let shape = keys(&listed);
    assert_eq!(keys(&exported[0]), shape);
    assert_eq!(keys(&trashed), shape);
    for key in &shape {
        assert!(got.get(key).is_some(), "record get lacks {key}");
    }
    assert_eq!(listed["fields"]["company"]["name"], "Acme");
    assert_eq!(listed["fields"], exported[0]["fields"]);
    assert_eq!(listed["fields"], got["fields"]);
    assert_eq!(listed["name"], "Ada");
    let short = listed["short_id"].as_str().expect("short id");
    assert!(kith.ok(&["record", "get", short]).contains("Ada"));
}

#[test]
fn path_is_the_local_directory_and_workspace_the_relay_id() {
    let kith = Kith::empty();
    let init = kith.json(&["init", "--user", "t"]);
    assert_eq!(init["path"], kith.workspace().display().to_string());
    let status = kith.json(&["status", "--offline"]);
    assert_eq!(status["path"], kith.workspace().display().to_string());
    assert_eq!(status["workspace"], Value::Null, "no relay yet");
}

#[test]
fn export_to_a_file_with_json_reports_what_it_wrote() {
    let kith = Kith::init();
    kith.ok(&["record", "add", "people", "name=Ada"]);
    let file = kith.file("people.csv");
    let out = kith.json(&["export", "--object", "people", "--output", support::path_str(&file)]);
    assert_eq!(out["records"], 1);
    assert_eq!(out["format"], "csv");
    assert_eq!(out["path"], file.display().to_string());
}
