//! The scenario from issue 8, through the `kith` binary and a real relay: a new object
//! and a new select field made on one device and synced; then, with no relay reachable,
//! each of two devices adds a field to the object and an option to the select. After
//! both sync, both devices show both fields and both options. And a unique rule that two
//! devices' offline records break: both records kept, the clash listed.

#[path = "support/relay.rs"]
mod relay;
mod support;

use relay::TestRelay;
use support::Kith;

fn field_keys(kith: &Kith, object: &str) -> Vec<String> {
    let fields = kith.json(&["field", "list", object]);
    let mut keys: Vec<String> = fields
        .as_array()
        .expect("a list of fields")
        .iter()
        .map(|f| f["key"].as_str().expect("key").to_string())
        .collect();
    keys.sort();
    keys
}

fn option_labels(kith: &Kith, object: &str, field: &str) -> Vec<String> {
    let fields = kith.json(&["field", "list", object]);
    let field = fields
        .as_array()
        .expect("a list of fields")
        .iter()
        .find(|f| f["key"] == field)
        .expect("the field");
    let mut labels: Vec<String> = field["options"]
        .as_array()
        .expect("options")
        .iter()
        .map(|o| o["label"].as_str().expect("label").to_string())
        .collect();
    labels.sort();
    labels
}

/// Two devices on one relay workspace; `setup` runs on the first before the second joins.
fn two_devices(relay: &TestRelay, setup: &[&[&str]]) -> (Kith, Kith) {
    let (_, owner, member) = relay.workspace();
    let a = Kith::init();
    a.ok(&["remote", "set", &relay.url, "--token", &owner]);
    for args in setup {
        a.ok(args);
    }
    a.ok(&["sync"]);
    let b = Kith::empty();
    b.ok(&["join", &relay.url, "--token", &member, "--user", "bob"]);
    (a, b)
}

#[test]
fn fields_and_options_added_offline_on_two_devices_all_survive_the_sync() {
    let relay = TestRelay::start();
    let (a, b) = two_devices(
        &relay,
        &[
            &["object", "add", "visits"],
            &["field", "add", "deals", "priority", "--type", "select"],
        ],
    );
    // A new object comes with its name field only.
    assert_eq!(field_keys(&b, "visits"), ["name"]);

    // Neither device syncs: each works as if the relay were down.
    a.ok(&["field", "add", "visits", "when", "--type", "datetime"]);
    a.ok(&["option", "add", "deals", "priority", "High"]);
    b.ok(&["field", "add", "visits", "outcome", "--type", "text"]);
    b.ok(&["option", "add", "deals", "priority", "Low"]);

    a.ok(&["sync"]);
    b.ok(&["sync"]);
    a.ok(&["sync"]);
    for device in [&a, &b] {
        assert_eq!(field_keys(device, "visits"), ["name", "outcome", "when"]);
        assert_eq!(option_labels(device, "deals", "priority"), ["High", "Low"]);
    }
}

#[test]
fn records_saved_offline_with_one_unique_value_are_both_kept_and_listed_as_a_clash() {
    let relay = TestRelay::start();
    let (a, b) = two_devices(&relay, &[]);
    a.ok(&["record", "add", "people", "name=Ada", "email=ada@example.com"]);
    b.ok(&["record", "add", "people", "name=Ada L.", "email=ADA@example.com"]);
    a.ok(&["sync"]);
    b.ok(&["sync"]);
    a.ok(&["sync"]);
    for device in [&a, &b] {
        assert_eq!(device.ok(&["record", "list", "people", "--count"]).trim(), "2");
        let conflicts = device.json(&["conflicts"]);
        let clash = conflicts
            .as_array()
            .expect("a list")
            .iter()
            .find(|c| c["kind"] == "unique")
            .unwrap_or_else(|| panic!("no unique clash listed: {conflicts}"));
        assert_eq!(clash["field"], "email");
        assert_eq!(clash["records"].as_array().expect("records").len(), 2);
        let text = device.ok(&["conflicts"]);
        assert!(text.contains("people.email is unique, but 2 records have"), "{text}");
        let fields = device.ok(&["field", "list", "people"]);
        assert!(fields.contains("unique (2 duplicates)"), "{fields}");
    }
}

#[test]
fn one_field_key_added_offline_with_two_types_is_listed_as_a_schema_conflict() {
    let relay = TestRelay::start();
    let (a, b) = two_devices(&relay, &[]);
    a.ok(&["field", "add", "people", "twitter", "--type", "text"]);
    b.ok(&["field", "add", "people", "twitter", "--type", "url"]);
    a.ok(&["sync"]);
    b.ok(&["sync"]);
    a.ok(&["sync"]);
    for device in [&a, &b] {
        let keys = field_keys(device, "people");
        assert_eq!(keys.iter().filter(|k| k.starts_with("twitter")).count(), 2, "{keys:?}");
        assert!(keys.contains(&"twitter".to_string()) && keys.contains(&"twitter_2".to_string()));
        let conflicts = device.json(&["conflicts"]);
        let clash = conflicts
            .as_array()
            .expect("a list")
            .iter()
            .find(|c| c["kind"] == "schema")
            .unwrap_or_else(|| panic!("no schema conflict listed: {conflicts}"));
        assert_eq!(
            (clash["key"].as_str(), clash["shown_as"].as_str()),
            (Some("twitter"), Some("twitter_2"))
        );
        let text = device.ok(&["conflicts"]);
        assert!(text.contains("were both added as 'twitter'"), "{text}");
    }
    a.ok(&["field", "rename", "people", "twitter_2", "--key", "twitter_url"]);
    assert!(a.ok(&["conflicts"]).contains("no conflicts"));
}
