//! Bulk import: bad rows are reported and skipped, `strict` imports nothing when any row
//! is bad, unique values are checked within the import too, and ids can be kept.

use kith_core::{CreateOptions, Error, ImportOptions, ImportRow, Query, RecordId, Workspace};

fn row(ws: &Workspace, values: &[(&str, &str)]) -> ImportRow {
    let people = ws.object_named("people").unwrap().id;
    let inputs: Vec<(String, String)> = values.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    ImportRow {
        id: None,
        values: ws.parse_values(people, &inputs).unwrap(),
    }
}

#[test]
fn bad_rows_are_reported_with_their_position_and_good_rows_import() {
    let mut ws = Workspace::in_memory(CreateOptions::new("t")).unwrap();
    let people = ws.object_named("people").unwrap().id;
    let rows = vec![
        row(&ws, &[("name", "A"), ("email", "a@x.io")]),
        row(&ws, &[("email", "b@x.io")]),                // no name: required
        row(&ws, &[("name", "C"), ("email", "A@X.io")]), // same email as row 0
        row(&ws, &[("name", "D")]),
    ];
    let report = ws
        .import_records(people, rows, &ImportOptions::default(), &mut |_| {})
        .unwrap();
    assert_eq!(report.created.len(), 2);
    let bad: Vec<(usize, String)> = report.errors.iter().map(|e| (e.index, e.error.to_string())).collect();
    assert_eq!(bad.len(), 2);
    assert_eq!(bad[0].0, 1);
    assert!(bad[0].1.contains("required"), "{}", bad[0].1);
    assert_eq!(bad[1].0, 2);
    assert!(bad[1].1.contains("unique"), "{}", bad[1].1);
    assert_eq!(ws.count(people, None).unwrap(), 2);
}

#[test]
fn a_strict_import_with_one_bad_row_imports_nothing() {
    let mut ws = Workspace::in_memory(CreateOptions::new("t")).unwrap();
    let people = ws.object_named("people").unwrap().id;
    let before = (ws.dump_derived().unwrap(), ws.outbox_len().unwrap());
    let rows = vec![row(&ws, &[("name", "A")]), row(&ws, &[("city", "nameless")])];
    let options = ImportOptions {
        strict: true,
        ..ImportOptions::default()
    };
    let report = ws.import_records(people, rows, &options, &mut |_| {}).unwrap();
    assert!(report.created.is_empty());
    assert_eq!(report.errors.len(), 1);
    assert_eq!((ws.dump_derived().unwrap(), ws.outbox_len().unwrap()), before);
}

#[test]
fn imported_records_share_the_group_in_their_change_and_can_keep_their_ids() {
    let mut ws = Workspace::in_memory(CreateOptions::new("t")).unwrap();
    let people = ws.object_named("people").unwrap().id;
    let kept = RecordId::new();
    let mut first = row(&ws, &[("name", "Kept")]);
    first.id = Some(kept);
    let mut dup = row(&ws, &[("name", "Dup")]);
    dup.id = Some(kept);
    let mut progress = Vec::new();
    let report = ws
        .import_records(people, vec![first, dup], &ImportOptions::default(), &mut |n| {
            progress.push(n)
        })
        .unwrap();
    assert_eq!(report.created, vec![kept]);
    assert!(matches!(report.errors[0].error, Error::Validation(_)));
    assert_eq!(progress.last(), Some(&1));
    assert_eq!(ws.query(&Query::new(people)).unwrap().ids, vec![kept]);
    assert_eq!(ws.record(kept).unwrap().created_by, "t");
}
