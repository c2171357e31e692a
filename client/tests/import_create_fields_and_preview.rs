//! `--create-fields` makes a typed field for each column that names none, and
//! `--preview` shows the fields, the mapping and the bad rows without writing anything.

mod support;

use support::{Kith, path_str};

const FILE: &[u8] = b"Name,Email,Score,Tier,Joined,Website\n\
Ada,ada@example.com,12.5,Gold,2024-01-05,https://ada.example\n\
Grace,grace@example.com,7,Silver,2023-12-31,grace.example.org\n\
Linus,not-an-email,3,Gold,2022-06-01,linus.example.net\n\
Zoe,zoe@example.com,9,Gold,2021-02-03,zoe.example.com\n";

fn field_types(kith: &Kith) -> Vec<(String, String)> {
    let fields = kith.json(&["field", "list", "people"]);
    fields
        .as_array()
        .expect("fields")
        .iter()
        .map(|f| {
            (
                f["key"].as_str().unwrap_or_default().to_string(),
                f["kind"]
                    .as_str()
                    .or(f["type"].as_str())
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect()
}

#[test]
fn preview_shows_new_fields_mapping_and_bad_rows_and_writes_nothing() {
    let kith = Kith::init();
    let file = kith.write("people.csv", FILE);
    let before = kith.ok(&["export", "--object", "people"]);
    let fields_before = field_types(&kith);
    let out = kith.json(&[
        "import",
        path_str(&file),
        "--object",
        "people",
        "--create-fields",
        "--preview",
    ]);
    assert_eq!(out["preview"], true);
    let new: Vec<(&str, &str)> = out["new_fields"]
        .as_array()
        .expect("new fields")
        .iter()
        .map(|f| {
            (
                f["key"].as_str().unwrap_or_default(),
                f["type"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        new,
        [
            ("score", "number"),
            ("tier", "select"),
            ("joined", "date"),
            ("website", "url")
        ]
    );
    assert_eq!(out["mapping"]["Name"], "name");
    assert_eq!(out["mapping"]["Tier"], "tier");
    assert_eq!(out["imported"], 3);
    assert_eq!(out["errors"][0]["line"], 4);
    assert_eq!(kith.ok(&["export", "--object", "people"]), before);
    assert_eq!(field_types(&kith), fields_before);
}

#[test]
fn create_fields_imports_the_new_columns_in_one_group_that_revert_takes_back() {
    let kith = Kith::init();
    let file = kith.write("people.csv", FILE);
    let out = kith.json(&["import", path_str(&file), "--object", "people", "--create-fields"]);
    assert_eq!(out["imported"], 3, "{out}");
    let gold = kith.json(&["record", "list", "people", "--filter", "tier = Gold", "--count"]);
    assert_eq!(gold["count"], 2);
    let high = kith.json(&["record", "list", "people", "--filter", "score > 8", "--count"]);
    assert_eq!(high["count"], 2);
    kith.ok(&["revert", "--group", out["group"].as_str().expect("group")]);
    let active: Vec<String> = kith
        .json(&["field", "list", "people"])
        .as_array()
        .expect("fields")
        .iter()
        .filter_map(|f| f["key"].as_str().map(str::to_string))
        .collect();
    assert!(!active.contains(&"score".to_string()), "{active:?}");
}
