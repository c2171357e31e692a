//! `kith record get --at`, `kith record restore --at` and `kith schema show --at`.

mod support;

use serde_json::Value;
use support::Kith;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// An exact `--at` value (with milliseconds) for a time in ms since the epoch. The
/// fraction is always written: RFC 3339 formatting drops a zero one (a change made on the
/// second exactly, one run in a thousand), and `--at` without a fraction means the END of
/// that second, which can include the next change.
fn at(ms: i64) -> String {
    let seconds = OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .expect("a valid time")
        .format(&Rfc3339)
        .expect("RFC 3339");
    format!("{}.{:03}Z", seconds.trim_end_matches('Z'), ms.rem_euclid(1000))
}

#[test]
fn an_exact_moment_keeps_its_milliseconds_even_on_the_second() {
    assert_eq!(at(1_700_000_000_000), "2023-11-14T22:13:20.000Z");
    assert_eq!(at(1_700_000_000_042), "2023-11-14T22:13:20.042Z");
}

/// The time of the n-th change of a history (`kith history --json` output).
fn time_of(history: &Value, n: usize) -> i64 {
    history[n]["time_ms"].as_i64().expect("time_ms")
}

fn ada_moved_to_paris(kith: &Kith) -> (String, i64) {
    let id = kith.ok(&["record", "add", "people", "name=Ada", "city=London"]);
    let id = id.trim().to_string();
    kith.ok(&["record", "update", &id, "city=Paris", "email=ada@example.com"]);
    let history = kith.json(&["history", &id]);
    (id, time_of(&history, 0))
}

#[test]
fn get_at_shows_the_record_as_it_was() {
    let kith = Kith::init();
    let (id, created) = ada_moved_to_paris(&kith);
    let then = kith.json(&["record", "get", &id, "--at", &at(created)]);
    assert_eq!(then["fields"]["city"], "London");
    assert_eq!(then["fields"]["email"], Value::Null);
    let text = kith.ok(&["record", "get", &id, "--at", &at(created)]);
    assert!(text.contains("as it was at") && text.contains("London"), "{text}");
    assert_eq!(
        kith.json(&["record", "get", &id])["fields"]["city"],
        "Paris",
        "now is unchanged"
    );

    let err = kith.fails(&["record", "get", &id, "--at", "2001-01-01"]);
    assert!(err.contains("did not exist yet"), "{err}");
    let err = kith.fails(&["record", "get", &id, "--at", "last tuesday"]);
    assert!(err.contains("is not a date and time"), "{err}");
}

#[test]
fn restore_at_rolls_the_record_back_as_a_change_that_can_be_reverted() {
    let kith = Kith::init();
    let (id, created) = ada_moved_to_paris(&kith);
    let text = kith.ok(&["record", "restore", &id, "--at", &at(created)]);
    assert!(text.contains("kith revert --group"), "{text}");
    let now = kith.json(&["record", "get", &id]);
    assert_eq!(now["fields"]["city"], "London");
    assert_eq!(now["fields"]["email"], Value::Null);

    let history = kith.json(&["history", &id]);
    let restore = history.as_array().and_then(|a| a.last()).expect("the restore");
    assert!(
        restore["made_by"].as_str().unwrap_or_default().starts_with("restore"),
        "{restore}"
    );
    let group = restore["group"].as_str().expect("a group").to_string();
    kith.ok(&["revert", "--group", &group]);
    assert_eq!(kith.json(&["record", "get", &id])["fields"]["city"], "Paris");

    // Plain `record restore ID` is still the trash restore.
    kith.ok(&["record", "delete", &id]);
    kith.ok(&["record", "restore", &id]);
    assert_eq!(kith.json(&["record", "get", &id])["deleted_at"], Value::Null);
}

#[test]
fn schema_show_at_shows_the_label_before_a_rename() {
    let kith = Kith::init();
    kith.ok(&["field", "rename", "people", "city", "--label", "Town"]);
    let history = kith.json(&["schema", "history"]);
    let count = history.as_array().expect("changes").len();
    let before_rename = at(time_of(&history, count - 2));

    let then = kith.ok(&["schema", "show", "--at", &before_rename]);
    let city_then = then
        .lines()
        .find(|l| l.trim_start().starts_with("city "))
        .expect("city");
    assert!(city_then.contains("City"), "{then}");
    assert!(then.contains("as it was at"), "{then}");
    let now = kith.ok(&["schema", "show"]);
    let city_now = now.lines().find(|l| l.trim_start().starts_with("city ")).expect("city");
    assert!(city_now.contains("Town"), "{now}");

    let json = kith.json(&["schema", "show", "--at", &before_rename]);
    assert!(json.to_string().contains("\"City\""), "{json}");
}
