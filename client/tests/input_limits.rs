//! Inputs of any size get an answer, never a crash: a page limit of u64::MAX, a 10 MB
//! cell imported from CSV (then searchable and found exactly), a filter nested too deeply.

mod support;

use support::Kith;

#[test]
fn a_limit_of_u64_max_lists_every_record() {
    let kith = Kith::init();
    kith.ok(&["record", "add", "people", "name=Ada"]);
    kith.ok(&["record", "add", "people", "name=Grace"]);
    let all = kith.json(&["record", "list", "people", "--limit", "18446744073709551615"]);
    assert_eq!(all["records"].as_array().map(Vec::len), Some(2), "{all}");
}

#[test]
fn a_ten_megabyte_cell_imports_and_is_searchable() {
    let kith = Kith::init();
    let long = format!("{}needle", "hay ".repeat(2_500_000));
    let file = kith.write("people.csv", format!("name\n\"{long}\"\nShort\n").as_bytes());
    let report = kith.json(&["import", support::path_str(&file), "--object", "people"]);
    assert_eq!(report["imported"], 2, "{report}");
    let hits = kith.ok(&["search", "needle"]);
    assert_eq!(
        hits.lines().filter(|l| l.contains("hay hay")).count(),
        1,
        "{}",
        &hits[..hits.len().min(300)]
    );
    let found = kith.json(&["record", "list", "people", "--filter", "name ^= 'hay hay'", "--count"]);
    assert_eq!(found["count"], 1);
}

#[test]
fn a_filter_nested_too_deeply_is_a_clear_error() {
    let kith = Kith::init();
    let deep = format!("{}name = a{}", "(".repeat(5_000), ")".repeat(5_000));
    let err = kith.fails(&["record", "list", "people", "--filter", &deep]);
    assert!(err.contains("nests deeper"), "{}", &err[..err.len().min(300)]);
}
