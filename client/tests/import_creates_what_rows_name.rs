//! `--add-options` and `--create-missing`: rows naming a select option or a related
//! record that does not exist import when asked, in the import's change group (reverting
//! the import takes them back), and the refusal without them says which flag to use.

mod support;

use kith::{CsvImportOptions, import_csv};
use kith_core::{CreateOptions, Workspace};
use support::{Kith, path_str};

const FILE: &str = "name,lead_source,company\n\
Ada,Conference,Analytical Engines\n\
Grace,Website,Navy\n\
Linus,conference,Analytical Engines\n";

fn options(add_options: bool, create_missing: bool) -> CsvImportOptions {
    CsvImportOptions {
        object: "people".into(),
        add_options,
        create_missing,
        ..CsvImportOptions::default()
    }
}

fn count(ws: &Workspace, object: &str) -> u64 {
    ws.count_all(ws.object_named(object).expect("object").id)
        .expect("count")
}

#[test]
fn without_the_flags_rows_naming_missing_things_are_refused_with_the_flag_to_use() {
    let mut ws = Workspace::in_memory(CreateOptions::new("t")).expect("workspace");
    let report = import_csv(&mut ws, FILE.as_bytes(), &options(false, false), &mut |_, _| {}).expect("import");
    assert_eq!(report.imported, 0);
    let reasons: Vec<&str> = report.errors.iter().map(|e| e.reason.as_str()).collect();
    assert!(reasons[0].contains("--add-options"), "{reasons:?}");
    assert!(reasons[1].contains("--create-missing"), "{reasons:?}");
}

#[test]
fn the_flags_add_options_and_create_related_records_once_each() {
    let mut ws = Workspace::in_memory(CreateOptions::new("t")).expect("workspace");
    let report = import_csv(&mut ws, FILE.as_bytes(), &options(true, true), &mut |_, _| {}).expect("import");
    assert_eq!((report.imported, report.errors.len()), (3, 0), "{:?}", report.errors);
    assert_eq!((report.added_options, report.created_records), (1, 2));
    assert_eq!(count(&ws, "companies"), 2);
    let people = ws.object_named("people").expect("people");
    let source = people.find_field("lead_source").expect("field");
    assert!(source.option_named("Conference").is_some());
}

#[test]
fn reverting_the_import_removes_the_added_options_and_created_records() {
    let kith = Kith::init();
    let file = kith.file("people.csv");
    std::fs::write(&file, FILE).expect("write");
    let out = kith.json(&[
        "import",
        path_str(&file),
        "--object",
        "people",
        "--add-options",
        "--create-missing",
    ]);
    assert_eq!(out["imported"], 3);
    let group = out["group"].as_str().expect("group").to_string();
    kith.ok(&["revert", "--group", &group]);
    let companies = kith.json(&["record", "list", "companies"]);
    assert_eq!(companies["records"].as_array().map(Vec::len), Some(0), "{companies}");
    let err = kith.fails(&["record", "add", "people", "name=Zed", "lead_source=Conference"]);
    // Schema reverts archive what they added (values could still point at it).
    assert!(err.contains("not an option") || err.contains("is archived"), "{err}");
}

/// The visible schema of every object: fields and options that are not archived.
fn visible_schema(ws: &Workspace) -> Vec<(String, String, Vec<String>)> {
    let mut out = Vec::new();
    for object in &ws.schema().objects {
        for field in object.fields.iter().filter(|f| !f.archived) {
            let options = field
                .options
                .iter()
                .filter(|o| !o.archived)
                .map(|o| o.label.clone())
                .collect();
            out.push((object.key.clone(), field.key.clone(), options));
        }
    }
    out
}

#[test]
fn a_refused_strict_import_takes_back_the_fields_options_and_records_it_created() {
    let mut ws = Workspace::in_memory(CreateOptions::new("t")).expect("workspace");
    let people = ws.object_named("people").expect("people").id;
    // The last row breaks a rule: found only once the options and records exist.
    ws.add_rule(people, "name != \"Bad\"", "No one is called Bad", &[])
        .expect("rule");
    let before = (visible_schema(&ws), count(&ws, "people"), count(&ws, "companies"));
    let file = "name,lead_source,company,budget\n\
                Ada,Conference,Analytical Engines,100\n\
                Grace,Website,Navy,200\n\
                Bad,Podcast,Navy,300\n";
    let options = CsvImportOptions {
        strict: true,
        create_fields: true,
        ..options(true, true)
    };
    let report = import_csv(&mut ws, file.as_bytes(), &options, &mut |_, _| {}).expect("import");
    assert_eq!(report.imported, 0, "{report:?}");
    assert_eq!(report.skipped, 1, "{:?}", report.errors);
    assert_eq!(
        (visible_schema(&ws), count(&ws, "people"), count(&ws, "companies")),
        before
    );
}
