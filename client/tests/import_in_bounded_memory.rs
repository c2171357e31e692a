//! Large imports in bounded memory: rows are written in batches under one change
//! group, only the first bad rows are kept (plus a count), and a record longer than
//! the limit is refused instead of read whole. Strict imports too: every row is checked
//! batch by batch first (writing nothing), then the file is read again and written in
//! batches.

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

fn strict(batch_rows: usize) -> CsvImportOptions {
    CsvImportOptions {
        object: "people".into(),
        strict: true,
        batch_rows,
        ..CsvImportOptions::default()
    }
}

#[test]
fn a_strict_import_writes_in_batches_once_every_row_is_checked() {
    let mut ws = workspace();
    let mut file = String::from("name,email\n");
    for i in 0..25 {
        file.push_str(&format!("P{i},p{i}@example.com\n"));
    }
    // (records written, records to write) as the batches are written.
    let mut seen: Vec<(usize, usize)> = Vec::new();
    let report = import_csv(&mut ws, file.as_bytes(), &strict(10), &mut |done, total| {
        seen.push((done, total))
    })
    .expect("import");
    assert_eq!((report.imported, report.skipped), (25, 0));
    assert_eq!(people(&ws), 25);
    let largest_batch = seen
        .windows(2)
        .map(|w| w[1].1 - w[0].1)
        .chain(seen.first().map(|f| f.1))
        .max()
        .expect("progress is reported");
    assert!(
        largest_batch <= 10,
        "no more than one batch is held at a time: {seen:?}"
    );
    ws.revert_group(report.group, false).expect("revert");
    assert_eq!(people(&ws), 0, "one group for every batch");
}

#[test]
fn a_strict_import_with_a_bad_row_in_its_last_batch_writes_nothing() {
    let mut ws = workspace();
    let mut file = String::from("name,birthday\n");
    for i in 0..25 {
        file.push_str(&format!("P{i},2000-01-01\n"));
    }
    file.push_str("Late,someday\n");
    let report = import_csv(&mut ws, file.as_bytes(), &strict(10), &mut |_, _| {}).expect("import");
    assert_eq!((report.imported, report.skipped), (0, 1));
    assert_eq!((report.errors[0].row, report.errors[0].line), (26, 27));
    assert_eq!(people(&ws), 0, "nothing was written");
}

#[test]
fn a_strict_import_finds_rows_that_clash_with_rows_of_an_earlier_batch() {
    let mut ws = workspace();
    let people_obj = ws.object_named("people").expect("people").clone();
    let email = people_obj.find_field("email").expect("email").id;
    ws.set_field_unique(people_obj.id, email, true)
        .expect("email is unique");
    let mut file = String::from("id,name,email\n");
    let ids: Vec<String> = (0..12).map(|_| kith_core::RecordId::new().to_string()).collect();
    for (i, id) in ids.iter().enumerate() {
        file.push_str(&format!("{id},P{i},p{i}@example.com\n"));
    }
    // Row 13 repeats row 1's id; row 14 row 2's email: both in a later batch than theirs.
    file.push_str(&format!("{},Again,again@example.com\n", ids[0]));
    file.push_str(&format!("{},Twice,p1@example.com\n", kith_core::RecordId::new()));
    let report = import_csv(&mut ws, file.as_bytes(), &strict(5), &mut |_, _| {}).expect("import");
    assert_eq!((report.imported, report.skipped), (0, 2));
    let rows: Vec<(usize, Option<&str>)> = report.errors.iter().map(|e| (e.row, e.column.as_deref())).collect();
    assert_eq!(rows, [(13, Some("id")), (14, Some("email"))], "{:?}", report.errors);
    assert_eq!(people(&ws), 0);
}
