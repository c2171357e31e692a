//! CSV files as spreadsheets write them: quoted cells holding commas, quotes and line
//! breaks, and a UTF-8 byte order mark before the header.

use kith::{CsvImportOptions, import_csv};
use kith_core::{CreateOptions, Query, Workspace};

fn import(file: &[u8]) -> (Workspace, usize) {
    let mut ws = Workspace::in_memory(CreateOptions::new("tester")).expect("an in-memory workspace");
    let options = CsvImportOptions {
        object: "people".into(),
        mappings: Vec::new(),
        strict: true,
        ..CsvImportOptions::default()
    };
    let report = import_csv(&mut ws, file, &options, &mut |_, _| {}).expect("import runs");
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    (ws, report.imported)
}

/// (name, city) of every person, in creation order.
fn people(ws: &Workspace) -> Vec<(String, String)> {
    let object = ws.object_named("people").expect("people").id;
    let page = ws.query(&Query::new(object)).expect("query");
    page.ids
        .iter()
        .map(|id| {
            let view = ws.record(*id).expect("record");
            let cell = |key: &str| {
                view.cells
                    .iter()
                    .find(|c| c.key == key)
                    .map(|c| c.display.clone())
                    .unwrap_or_default()
            };
            (cell("name"), cell("city"))
        })
        .collect()
}

#[test]
fn quoted_cells_keep_their_commas_quotes_and_line_breaks() {
    let file = "name,city\n\"Lovelace, Ada\",\"London\nMarylebone\"\n\"Ada \"\"the Countess\"\"\",Paris\nplain,\"\"\n";
    let (ws, imported) = import(file.as_bytes());
    assert_eq!(imported, 3);
    assert_eq!(
        people(&ws),
        [
            ("Lovelace, Ada".to_string(), "London\nMarylebone".to_string()),
            ("Ada \"the Countess\"".to_string(), "Paris".to_string()),
            ("plain".to_string(), String::new()),
        ]
    );
}

#[test]
fn a_byte_order_mark_before_the_header_is_ignored() {
    let mut with_bom = b"\xEF\xBB\xBF".to_vec();
    with_bom.extend_from_slice("name,city\nZoë,Zürich\n".as_bytes());
    let (ws, imported) = import(&with_bom);
    assert_eq!(imported, 1);
    assert_eq!(people(&ws), [("Zoë".to_string(), "Zürich".to_string())]);

    let (without, _) = import("name,city\nZoë,Zürich\n".as_bytes());
    assert_eq!(people(&without), people(&ws));
}

#[test]
fn crlf_line_endings_and_blank_lines_are_fine() {
    let (ws, imported) = import(b"name,city\r\nAda,London\r\n\r\nBob,Paris\r\n");
    assert_eq!(imported, 2);
    assert_eq!(people(&ws)[1], ("Bob".to_string(), "Paris".to_string()));
}
