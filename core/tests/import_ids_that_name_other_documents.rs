//! An import row whose id names a document that is not a record of the object being
//! imported into is refused for that row, with a clear reason; the other rows import and
//! the named document is left as it was.

use kith_core::{CreateOptions, Error, ImportOptions, ImportRow, RecordId, Value, Workspace};

fn row(ws: &Workspace, object: &str, id: Option<RecordId>, name: &str) -> ImportRow {
    let obj = ws.object_named(object).unwrap();
    let field = obj.find_field("name").unwrap().id;
    ImportRow {
        id,
        values: vec![(field, Some(Value::Text(name.into())))],
    }
}

#[test]
fn rows_naming_the_schema_or_a_record_of_another_object_are_refused_and_the_rest_import() {
    let mut ws = Workspace::in_memory(CreateOptions::new("ada")).unwrap();
    let people = ws.object_named("people").unwrap().id;
    let companies = ws.object_named("companies").unwrap().id;
    let company = {
        let r = row(&ws, "companies", None, "Acme");
        ws.create_record(companies, r.values).unwrap()
    };
    let schema_id = RecordId::from_bytes(*ws.schema_doc_id().unwrap().as_bytes());
    let schema_before = ws.schema().clone();

    let rows = vec![
        row(&ws, "people", Some(schema_id), "Not the schema"),
        row(&ws, "people", Some(company), "Not a company"),
        row(&ws, "people", None, "Grace"),
    ];
    let report = ws
        .import_records(people, rows, &ImportOptions::default(), &mut |_| {})
        .unwrap();

    assert_eq!(report.created.len(), 1);
    let reasons: Vec<(usize, String)> = report.errors.iter().map(|e| (e.index, e.error.to_string())).collect();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert_eq!(reasons[0].0, 0);
    assert!(reasons[0].1.contains("not a record of 'people'"), "{}", reasons[0].1);
    assert_eq!(reasons[1].0, 1);
    assert!(reasons[1].1.contains("a record of 'companies'"), "{}", reasons[1].1);
    assert!(matches!(report.errors[0].error, Error::Validation(_)));

    // Nothing the refused rows named was touched.
    assert_eq!(ws.schema(), &schema_before);
    assert_eq!(ws.record(company).unwrap().cells[0].display, "Acme");
    ws.reindex().unwrap();
    assert_eq!(ws.schema(), &schema_before);
}
