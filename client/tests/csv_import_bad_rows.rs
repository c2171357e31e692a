//! A CSV import reports each bad row (row, line, column, reason) and imports the rest;
//! with `strict` it imports nothing.

mod support;

use kith::{CsvImportOptions, import_csv};
use kith_core::{CreateOptions, Workspace};
use support::{Kith, path_str};

fn workspace() -> Workspace {
    Workspace::in_memory(CreateOptions::new("tester")).expect("an in-memory workspace")
}

fn options(object: &str, strict: bool) -> CsvImportOptions {
    CsvImportOptions {
        object: object.into(),
        mappings: Vec::new(),
        strict,
        ..CsvImportOptions::default()
    }
}

fn people_count(ws: &Workspace) -> u64 {
    let people = ws.object_named("people").expect("people").id;
    ws.count_all(people).expect("count")
}

const FILE: &str = "name,email,birthday\n\
Ada,ada@example.com,1815-12-10\n\
Bob,not-an-email,\n\
Cy,cy@example.com,someday\n\
,dee@example.com,\n\
Eve,eve@example.com,\n";

#[test]
fn bad_rows_are_reported_with_their_row_line_column_and_reason_and_good_rows_import() {
    let mut ws = workspace();
    let report = import_csv(&mut ws, FILE.as_bytes(), &options("people", false), &mut |_, _| {}).expect("import runs");
    assert_eq!(report.imported, 2);
    assert_eq!(people_count(&ws), 2);
    let found: Vec<(usize, u64, Option<&str>)> = report
        .errors
        .iter()
        .map(|e| (e.row, e.line, e.column.as_deref()))
        .collect();
    assert_eq!(
        found,
        [(2, 3, Some("email")), (3, 4, Some("birthday")), (4, 5, Some("name"))]
    );
    assert!(
        report.errors[0]
            .reason
            .contains("'not-an-email' is not an email address"),
        "{}",
        report.errors[0].reason
    );
    assert!(
        report.errors[1].reason.contains("'someday' is not a date"),
        "{}",
        report.errors[1].reason
    );
    assert!(
        report.errors[2].reason.contains("needs a value"),
        "{}",
        report.errors[2].reason
    );
}

#[test]
fn a_strict_import_with_a_bad_row_imports_nothing() {
    let mut ws = workspace();
    let report = import_csv(&mut ws, FILE.as_bytes(), &options("people", true), &mut |_, _| {}).expect("import runs");
    assert_eq!(report.imported, 0);
    assert_eq!(report.errors.len(), 3);
    assert_eq!(people_count(&ws), 0);
}

#[test]
fn a_strict_import_refused_by_a_workspace_rule_imports_nothing() {
    let mut ws = workspace();
    let file = "name,email\nAda,same@example.com\nBob,same@example.com\n";
    let report = import_csv(&mut ws, file.as_bytes(), &options("people", true), &mut |_, _| {}).expect("import runs");
    assert_eq!((report.imported, people_count(&ws)), (0, 0));
    assert_eq!(report.errors.len(), 1);
    assert_eq!(
        (report.errors[0].row, report.errors[0].column.as_deref()),
        (2, Some("email"))
    );
    assert!(
        report.errors[0].reason.contains("unique"),
        "{}",
        report.errors[0].reason
    );
}

#[test]
fn invalid_utf8_in_a_cell_of_a_file_said_to_be_utf8_is_a_bad_row_and_the_other_rows_import() {
    let mut ws = workspace();
    let mut file = b"name,city\nAda,London\nBob,".to_vec();
    file.extend_from_slice(&[0xFF, 0xFE, b'x']);
    file.extend_from_slice(b"\nCy,Paris\n");
    let utf8 = CsvImportOptions {
        encoding: Some("utf-8".into()),
        ..options("people", false)
    };
    let report = import_csv(&mut ws, file.as_slice(), &utf8, &mut |_, _| {}).expect("import runs");
    assert_eq!(report.imported, 2);
    assert_eq!(report.errors.len(), 1);
    assert_eq!(
        (report.errors[0].row, report.errors[0].column.as_deref()),
        (2, Some("city"))
    );
    assert!(report.errors[0].reason.contains("UTF-8"));
}

#[test]
fn a_row_with_the_wrong_number_of_cells_is_a_bad_row() {
    let mut ws = workspace();
    let file = "name,city\nAda,London\nBob,Paris,extra\n";
    let report = import_csv(&mut ws, file.as_bytes(), &options("people", false), &mut |_, _| {}).expect("import runs");
    assert_eq!(report.imported, 1);
    assert_eq!((report.errors[0].row, report.errors[0].column.as_deref()), (2, None));
}

#[test]
fn columns_that_name_no_field_stop_the_import_and_are_all_listed() {
    let mut ws = workspace();
    let file = "name,shoe size,favourite colour\nAda,38,green\n";
    let err =
        import_csv(&mut ws, file.as_bytes(), &options("people", false), &mut |_, _| {}).expect_err("unknown columns");
    let message = err.to_string();
    assert!(
        message.contains("'shoe size'") && message.contains("'favourite colour'"),
        "{message}"
    );
    assert_eq!(people_count(&ws), 0);

    let mut skip = options("people", false);
    skip.mappings.push(("*".into(), String::new()));
    let report = import_csv(&mut ws, file.as_bytes(), &skip, &mut |_, _| {}).expect("import runs");
    assert_eq!(report.imported, 1);
    assert_eq!(report.ignored_columns, ["shoe size", "favourite colour"]);
}

#[test]
fn columns_match_fields_by_label_case_insensitively_or_by_mapping() {
    let mut ws = workspace();
    let file = "NAME,Job Title,Town\nAda,Analyst,London\n";
    let mut opts = options("people", false);
    opts.mappings.push(("town".into(), "city".into()));
    let report = import_csv(&mut ws, file.as_bytes(), &opts, &mut |_, _| {}).expect("import runs");
    assert_eq!(report.imported, 1, "{:?}", report.errors);
    let people = ws.object_named("people").expect("people").id;
    let filter = ws
        .parse_filter(people, "job_title = analyst and city = london")
        .expect("filter");
    assert_eq!(ws.count(people, Some(&filter)).expect("count"), 1);
}

#[test]
fn the_cli_prints_bad_rows_on_stderr_and_the_change_group_on_stdout() {
    let kith = Kith::init();
    let file = kith.write("people.csv", FILE.as_bytes());
    let out = kith.run(&["import", path_str(&file), "--object", "people"]);
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stdout.starts_with("import group ") && stdout.contains(": 2 imported, 3 skipped"),
        "{stdout}"
    );
    assert!(
        stderr.contains("row 2 (line 3), column email: 'not-an-email' is not an email address"),
        "{stderr}"
    );
    assert_eq!(kith.ok(&["record", "list", "people", "--count"]).trim(), "2");
}

#[test]
fn the_cli_with_strict_imports_nothing_and_exits_with_an_error() {
    let kith = Kith::init();
    let file = kith.write("people.csv", FILE.as_bytes());
    let out = kith.run(&["import", path_str(&file), "--object", "people", "--strict"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr
            .lines()
            .last()
            .is_some_and(|l| l.starts_with("error: nothing imported")),
        "{stderr}"
    );
    assert_eq!(kith.ok(&["record", "list", "people", "--count"]).trim(), "0");
}

#[test]
fn a_column_naming_an_archived_field_stops_the_import_and_says_so() {
    let mut ws = workspace();
    let people = ws.object_named("people").expect("people").id;
    let city = ws.field_named(people, "city").expect("city").id;
    ws.set_field_archived(people, city, true).expect("archive");
    let file = "name,city\nAda,London\n";
    let err =
        import_csv(&mut ws, file.as_bytes(), &options("people", false), &mut |_, _| {}).expect_err("archived field");
    assert!(err.to_string().contains("archived"), "{err}");
    assert_eq!(people_count(&ws), 0);
}

fn cities(ws: &Workspace) -> Vec<String> {
    let people = ws.object_named("people").expect("people").id;
    let mut out = Vec::new();
    ws.for_each_row(people, |id, _| {
        let view = ws.record(id).expect("record");
        out.push(format!(
            "{:?}",
            view.cells.iter().find(|c| c.key == "city").map(|c| c.display.clone())
        ));
    })
    .expect("rows");
    out.sort();
    out
}

#[test]
fn windows_1252_semicolon_files_from_excel_import_without_mojibake() {
    let mut ws = workspace();
    let file = b"name;city\r\nJos\xe9;M\xfcnchen\r\nZo\xeb;K\xf8benhavn\r\n".to_vec();
    let report = import_csv(&mut ws, file.as_slice(), &options("people", true), &mut |_, _| {}).expect("import runs");
    assert_eq!(
        (report.imported, report.encoding, report.delimiter),
        (2, "windows-1252", ';')
    );
    assert_eq!(cities(&ws), [r#"Some("København")"#, r#"Some("München")"#]);
}

#[test]
fn utf16_tab_separated_files_import() {
    let mut ws = workspace();
    let text = "name\tcity\r\nŁukasz\tŁódź\r\n";
    let mut file = vec![0xFF, 0xFE];
    file.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let report = import_csv(&mut ws, file.as_slice(), &options("people", true), &mut |_, _| {}).expect("import runs");
    assert_eq!(
        (report.imported, report.encoding, report.delimiter),
        (1, "UTF-16LE", '\t')
    );
    assert_eq!(cities(&ws), [r#"Some("Łódź")"#]);
}

#[test]
fn error_lines_are_the_lines_of_the_file_for_crlf_files_and_after_blank_lines() {
    let mut ws = workspace();
    let file = "name,email\r\nBad,nope\r\nAda,ada@example.com\r\n\r\nWorse,no\r\n";
    let report = import_csv(&mut ws, file.as_bytes(), &options("people", false), &mut |_, _| {}).expect("import runs");
    let found: Vec<(usize, u64)> = report.errors.iter().map(|e| (e.row, e.line)).collect();
    assert_eq!(found, [(1, 2), (3, 5)]);
}
