//! Large imports in bounded memory: rows are written in batches under one change
//! group, only the first bad rows are kept (plus a count), and a record longer than
//! the limit is refused instead of read whole.

use std::io::Read;

use kith::csv_io::{KEPT_ERRORS, MAX_RECORD_BYTES};
use kith::{CsvError, CsvImportOptions, import_csv};
use kith_core::{CreateOptions, Workspace};

fn workspace() -> Workspace {
    Workspace::in_memory(CreateOptions::new("t")).expect("workspace")
}

fn people(ws: &Workspace) -> u64 {
    ws.count_all(ws.object_named("people").expect("people").id)
        .expect("count")
}

#[test]
fn batches_share_one_change_group_and_check_unique_values_across_batches() {
    let mut ws = workspace();
    let mut file = String::from("name,email\n");
    for i in 0..7 {
        file.push_str(&format!("P{i},p{i}@example.com\n"));
    }
    file.push_str("Again,p1@example.com\n");
    let options = CsvImportOptions {
        object: "people".into(),
        batch_rows: 2,
        ..CsvImportOptions::default()
    };
    let mut calls = 0;
    let report = import_csv(&mut ws, file.as_bytes(), &options, &mut |_, _| calls += 1).expect("import");
    assert_eq!((report.imported, report.skipped), (7, 1));
    assert_eq!((report.errors[0].row, report.errors[0].line), (8, 9));
    assert!(
        report.errors[0].reason.contains("unique"),
        "{}",
        report.errors[0].reason
    );
    assert!(calls >= 4, "progress is reported for each batch");
    ws.revert_group(report.group, false).expect("revert");
    assert_eq!(people(&ws), 0, "one revert takes back every batch");
}

#[test]
fn a_file_of_bad_rows_keeps_only_the_first_errors_and_counts_the_rest() {
    let mut ws = workspace();
    let mut file = String::from("name,birthday\n");
    for i in 0..(KEPT_ERRORS + 500) {
        file.push_str(&format!("P{i},someday\n"));
    }
    let options = CsvImportOptions {
        object: "people".into(),
        ..CsvImportOptions::default()
    };
    let report = import_csv(&mut ws, file.as_bytes(), &options, &mut |_, _| {}).expect("import");
    assert_eq!(report.skipped, KEPT_ERRORS + 500);
    assert_eq!(report.errors.len(), KEPT_ERRORS);
    assert_eq!(report.errors[0].line, 2);
}

#[test]
fn a_record_longer_than_the_limit_is_refused_and_nothing_is_imported() {
    let mut ws = workspace();
    let head: &[u8] = b"name,city\nAda,\"London\n";
    let endless = std::io::repeat(b'x').take(MAX_RECORD_BYTES + (1 << 20));
    let options = CsvImportOptions {
        object: "people".into(),
        ..CsvImportOptions::default()
    };
    let err = import_csv(&mut ws, head.chain(endless), &options, &mut |_, _| {}).expect_err("refused");
    assert!(matches!(err, CsvError::Read(_)), "{err}");
    let text = err.to_string();
    assert!(text.contains("line 2") && text.contains("MiB"), "{text}");
    assert_eq!(people(&ws), 0);
}
