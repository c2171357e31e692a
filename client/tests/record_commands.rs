//! `kith record add|get|update|delete|restore|list`, with filters, sorts, limits,
//! cursors and JSON output.

mod support;

use serde_json::json;
use support::Kith;

fn add_deals(kith: &Kith) -> Vec<String> {
    [
        ("Alpha", "500", "Lead"),
        ("Bravo", "12000", "Won"),
        ("Charlie", "30000", "Won"),
        ("Delta", "9000", "Lost"),
        ("Echo", "15000", "Won"),
    ]
    .iter()
    .map(|(name, amount, stage)| {
        let id = kith.ok(&[
            "record",
            "add",
            "deals",
            &format!("name={name}"),
            &format!("amount={amount}"),
            &format!("stage={stage}"),
        ]);
        id.trim().to_string()
    })
    .collect()
}

fn names(list: &serde_json::Value) -> Vec<String> {
    list["records"]
        .as_array()
        .expect("an array")
        .iter()
        .map(|r| r["name"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn add_prints_the_new_id_and_get_shows_every_field() {
    let kith = Kith::init();
    let id = kith.ok(&[
        "record",
        "add",
        "people",
        "Name=Ada Lovelace",
        "email=ada@example.com",
        "Lead source=referral",
    ]);
    let id = id.trim();
    assert_eq!(id.len(), 36, "{id}");
    let shown = kith.ok(&["record", "get", id]);
    assert!(
        shown.contains("Ada Lovelace") && shown.contains("Referral") && shown.contains("Job title"),
        "{shown}"
    );
    let record = kith.json(&["record", "get", &id[..13]]);
    assert_eq!(record["id"], id);
    assert_eq!(record["fields"]["email"], "ada@example.com");
    assert_eq!(record["fields"]["lead_source"], "Referral");
}

#[test]
fn get_lists_the_records_that_point_to_this_one() {
    let kith = Kith::init();
    let acme = kith.ok(&["record", "add", "companies", "name=Acme"]);
    kith.ok(&["record", "add", "people", "name=Ada", "company=Acme"]);
    kith.ok(&[
        "record",
        "add",
        "deals",
        "name=Big deal",
        &format!("company={}", acme.trim()),
    ]);
    let record = kith.json(&["record", "get", acme.trim()]);
    let related: Vec<(String, String)> = record["related"]
        .as_array()
        .expect("related")
        .iter()
        .map(|r| {
            (
                format!(
                    "{}.{}",
                    r["object"].as_str().unwrap_or_default(),
                    r["field"].as_str().unwrap_or_default()
                ),
                r["name"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        related,
        [
            ("people.company".to_string(), "Ada".to_string()),
            ("deals.company".to_string(), "Big deal".to_string())
        ]
    );
    let text = kith.ok(&["record", "get", acme.trim()]);
    assert!(text.contains("people.company") && text.contains("Big deal"), "{text}");
}

#[test]
fn get_flags_values_that_do_not_convert_to_the_fields_type() {
    let kith = Kith::init();
    let id = kith.ok(&["record", "add", "people", "name=Ada", "city=forty-two"]);
    kith.ok(&["field", "retype", "people", "city", "number"]);
    let shown = kith.ok(&["record", "get", id.trim()]);
    assert!(
        shown.contains("forty-two  (kept as stored: does not convert to number)"),
        "{shown}"
    );
}

#[test]
fn update_sets_and_clears_fields() {
    let kith = Kith::init();
    let id = kith.ok(&["record", "add", "people", "name=Ada", "city=London"]);
    let id = id.trim();
    kith.ok(&["record", "update", id, "city=", "job_title=Analyst"]);
    let record = kith.json(&["record", "get", id]);
    assert_eq!(record["fields"]["city"], serde_json::Value::Null);
    assert_eq!(record["fields"]["job_title"], "Analyst");
}

#[test]
fn delete_moves_a_record_to_the_trash_and_restore_brings_it_back() {
    let kith = Kith::init();
    let ids = add_deals(&kith);
    kith.ok(&["record", "delete", &ids[0]]);
    assert_eq!(kith.ok(&["record", "list", "deals", "--count"]).trim(), "4");
    assert!(kith.ok(&["record", "get", &ids[0]]).contains("in the trash"));
    kith.ok(&["record", "restore", &ids[0]]);
    assert_eq!(kith.ok(&["record", "list", "deals", "--count"]).trim(), "5");
}

#[test]
fn list_filters_sorts_and_limits() {
    let kith = Kith::init();
    add_deals(&kith);
    let won = kith.json(&[
        "record",
        "list",
        "deals",
        "--filter",
        "stage = Won",
        "--sort",
        "-amount",
    ]);
    assert_eq!(names(&won), ["Charlie", "Echo", "Bravo"]);
    let both = kith.json(&[
        "record",
        "list",
        "deals",
        "--filter",
        "stage = won",
        "--filter",
        "amount < 20000",
        "--sort",
        "name",
    ]);
    assert_eq!(names(&both), ["Bravo", "Echo"]);
    let first = kith.json(&["record", "list", "deals", "--sort", "amount", "--limit", "2"]);
    assert_eq!(names(&first), ["Alpha", "Delta"]);
    assert_eq!(
        kith.ok(&["record", "list", "deals", "--filter", "stage in Won, Lost", "--count"])
            .trim(),
        "4"
    );
    assert_eq!(
        first["records"][0]["fields"]["amount"],
        json!({"amount": "500.00", "currency": "USD"})
    );
}

#[test]
fn list_pages_with_the_printed_cursor() {
    let kith = Kith::init();
    add_deals(&kith);
    let page = kith.ok(&["record", "list", "deals", "--sort", "name", "--limit", "3"]);
    assert!(
        page.contains("Alpha") && page.contains("Charlie") && !page.contains("Delta"),
        "{page}"
    );
    let cursor = page
        .lines()
        .find_map(|l| l.strip_prefix("more: add --after "))
        .expect("a cursor hint");
    let rest = kith.json(&[
        "record", "list", "deals", "--sort", "name", "--limit", "3", "--after", cursor,
    ]);
    assert_eq!(names(&rest), ["Delta", "Echo"]);
}

#[test]
fn list_json_prints_the_records_and_the_next_page_cursor_on_stdout() {
    let kith = Kith::init();
    add_deals(&kith);
    let out = kith.run(&["record", "list", "deals", "--limit", "2", "--json"]);
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).expect("only JSON on stdout");
    let first = list["records"][0].as_object().expect("an object");
    assert!(first["fields"]["stage"].is_string() && first["fields"].get("close_date").is_some());
    assert!(first["short_id"].is_string() && first["id"].is_string());
    let cursor = list["next"].as_str().expect("the next page's cursor");
    let rest = kith.json(&["record", "list", "deals", "--limit", "5", "--after", cursor]);
    assert_eq!(rest["records"].as_array().map(Vec::len), Some(3));
    assert_eq!(rest["next"], serde_json::Value::Null);
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn the_table_shows_short_ids_that_get_accepts() {
    let kith = Kith::init();
    add_deals(&kith);
    let table = kith.ok(&["record", "list", "deals"]);
    let short = table
        .lines()
        .nth(1)
        .and_then(|l| l.split_whitespace().next())
        .expect("a row");
    assert!(short.len() < 36, "{table}");
    assert!(kith.ok(&["record", "get", short]).contains("Alpha"));
}

#[test]
fn search_finds_records_by_word_prefixes() {
    let kith = Kith::init();
    kith.ok(&["record", "add", "people", "name=Ada Lovelace"]);
    kith.ok(&["record", "add", "companies", "name=Lovely Things"]);
    let hits = kith.json(&["search", "lov"]);
    assert_eq!(hits.as_array().map(Vec::len), Some(2));
    let people = kith.json(&["search", "lov", "--object", "people"]);
    assert_eq!(people[0]["name"], "Ada Lovelace");
}
