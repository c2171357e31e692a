//! `--map "First Name+Last Name=name"` joins several columns into one field, with a
//! space, skipping empty cells.

mod support;

use support::{Kith, path_str};

#[test]
fn a_join_mapping_fills_one_field_from_several_columns() {
    let kith = Kith::init();
    let file = kith.write(
        "people.csv",
        b"First Name,Last Name,Email\nAda,Lovelace,ada@example.com\nGrace,,grace@example.com\n",
    );
    let out = kith.json(&[
        "import",
        path_str(&file),
        "--object",
        "people",
        "--map",
        "First Name+Last Name=name",
    ]);
    assert_eq!(out["imported"], 2, "{out}");
    let list = kith.json(&["record", "list", "people", "--sort", "name"]);
    let names: Vec<&str> = list["records"]
        .as_array()
        .expect("records")
        .iter()
        .filter_map(|r| r["name"].as_str())
        .collect();
    assert_eq!(names, ["Ada Lovelace", "Grace"]);
}

#[test]
fn a_join_naming_a_missing_column_is_refused_before_anything_is_written() {
    let kith = Kith::init();
    let file = kith.write("people.csv", b"First Name,Email\nAda,ada@example.com\n");
    let err = kith.fails(&[
        "import",
        path_str(&file),
        "--object",
        "people",
        "--map",
        "First Name+Surname=name",
    ]);
    assert!(err.contains("no column named 'Surname'"), "{err}");
}
