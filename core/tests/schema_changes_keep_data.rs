//! Renaming, archiving, restoring and retyping fields never loses a value, and retyping
//! back shows every value exactly as before.

use kith_core::{CreateOptions, FieldKind, FieldSpec, Query, RecordId, Workspace};

fn workspace() -> Workspace {
    Workspace::in_memory(CreateOptions::new("tester")).unwrap()
}

fn add(ws: &mut Workspace, object: &str, values: &[(&str, &str)]) -> RecordId {
    let object = ws.object_named(object).unwrap().id;
    let inputs: Vec<(String, String)> = values.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let values = ws.parse_values(object, &inputs).unwrap();
    ws.create_record(object, values).unwrap()
}

fn shown(ws: &Workspace, id: RecordId, key: &str) -> (String, bool) {
    let view = ws.record(id).unwrap();
    let cell = view
        .cells
        .iter()
        .find(|c| c.key == key)
        .unwrap_or_else(|| panic!("no cell {key}"));
    (cell.display.clone(), cell.unconverted)
}

#[test]
fn renaming_a_field_keeps_its_values_and_finds_it_by_the_new_name() {
    let mut ws = workspace();
    let id = add(&mut ws, "people", &[("name", "Ada"), ("job_title", "Engineer")]);
    let people = ws.object_named("people").unwrap().id;
    let field = ws.field_named(people, "job_title").unwrap().id;
    ws.rename_field(people, field, Some("Role"), Some("role")).unwrap();
    assert_eq!(shown(&ws, id, "role"), ("Engineer".into(), false));
    assert_eq!(ws.field_named(people, "Role").unwrap().id, field);
    let mut q = Query::new(people);
    q.filter = Some(ws.parse_filter(people, "role = engineer").unwrap());
    assert_eq!(ws.query(&q).unwrap().ids, vec![id]);
}

#[test]
fn archiving_hides_a_field_and_restoring_brings_its_values_back() {
    let mut ws = workspace();
    let id = add(&mut ws, "people", &[("name", "Grace"), ("city", "Arlington")]);
    let people = ws.object_named("people").unwrap().id;
    let city = ws.field_named(people, "city").unwrap().id;
    ws.set_field_archived(people, city, true).unwrap();
    assert!(ws.record(id).unwrap().cells.iter().all(|c| c.key != "city"));
    assert!(
        ws.search("arlington", None, 10).unwrap().is_empty(),
        "archived fields leave search"
    );
    ws.set_field_archived(people, city, false).unwrap();
    assert_eq!(shown(&ws, id, "city"), ("Arlington".into(), false));
    assert_eq!(ws.search("arlington", None, 10).unwrap().len(), 1);
}

#[test]
fn retyping_number_to_text_and_back_restores_the_original_view() {
    let mut ws = workspace();
    let companies = ws.object_named("companies").unwrap().id;
    let a = add(&mut ws, "companies", &[("name", "A"), ("employees", "120")]);
    let b = add(&mut ws, "companies", &[("name", "B"), ("employees", "7.5")]);
    let employees = ws.field_named(companies, "employees").unwrap().id;
    let report = ws.retype_field(companies, employees, FieldKind::Text, None).unwrap();
    assert_eq!((report.converted, report.unconverted.len()), (2, 0));
    assert_eq!(shown(&ws, a, "employees"), ("120".into(), false));
    // Text written while the field is text does not convert back to a number...
    let c = add(&mut ws, "companies", &[("name", "C"), ("employees", "about forty")]);
    let report = ws.retype_field(companies, employees, FieldKind::Number, None).unwrap();
    assert_eq!(report.converted, 2);
    assert_eq!(report.unconverted, vec![(c, "about forty".to_string())]);
    // ...and is shown as it was, flagged, never dropped.
    assert_eq!(shown(&ws, c, "employees"), ("about forty".into(), true));
    assert_eq!(shown(&ws, a, "employees"), ("120".into(), false));
    assert_eq!(shown(&ws, b, "employees"), ("7.5".into(), false));
    // Sorting works on the converted values; the unconverted one sorts last.
    let mut q = Query::new(companies);
    q.sort = ws.parse_sort(companies, "employees").unwrap();
    assert_eq!(ws.query(&q).unwrap().ids, vec![b, a, c]);
    q.filter = Some(ws.parse_filter(companies, "employees > 10").unwrap());
    assert_eq!(ws.query(&q).unwrap().ids, vec![a]);
}

#[test]
fn retyping_text_to_select_creates_options_and_back_shows_the_text() {
    let mut ws = workspace();
    let people = ws.object_named("people").unwrap().id;
    let a = add(&mut ws, "people", &[("name", "A"), ("city", "Paris")]);
    let b = add(&mut ws, "people", &[("name", "B"), ("city", "Lyon")]);
    let city = ws.field_named(people, "city").unwrap().id;
    let report = ws.retype_field(people, city, FieldKind::Select, None).unwrap();
    assert_eq!(report.converted, 2);
    let labels: Vec<String> = ws
        .field_named(people, "city")
        .unwrap()
        .options
        .iter()
        .map(|o| o.label.clone())
        .collect();
    assert_eq!(labels, ["Lyon", "Paris"]);
    assert_eq!(shown(&ws, a, "city"), ("Paris".into(), false));
    let mut q = Query::new(people);
    q.filter = Some(ws.parse_filter(people, "city = lyon").unwrap());
    assert_eq!(ws.query(&q).unwrap().ids, vec![b]);
    ws.retype_field(people, city, FieldKind::Text, None).unwrap();
    assert_eq!(shown(&ws, b, "city"), ("Lyon".into(), false));
    let kinds = &ws.field_named(people, "city").unwrap().previous_kinds;
    assert_eq!(kinds, &[FieldKind::Text, FieldKind::Select]);
}

#[test]
fn renaming_and_archiving_options_keep_the_values_that_use_them() {
    let mut ws = workspace();
    let deals = ws.object_named("deals").unwrap().id;
    let id = add(&mut ws, "deals", &[("name", "Big one"), ("stage", "Proposal")]);
    let stage = ws.field_named(deals, "stage").unwrap().id;
    ws.rename_option(deals, stage, "Proposal", "Offer sent").unwrap();
    assert_eq!(shown(&ws, id, "stage"), ("Offer sent".into(), false));
    ws.set_option_archived(deals, stage, "Offer sent", true).unwrap();
    assert_eq!(shown(&ws, id, "stage"), ("Offer sent".into(), false));
    let err = ws
        .parse_values(deals, &[("stage".into(), "Offer sent".into())])
        .unwrap_err();
    assert!(err.to_string().contains("archived"), "{err}");
    // Reordering options reorders sorts: a pipeline reads in its own order.
    let other = add(&mut ws, "deals", &[("name", "Small"), ("stage", "Lead")]);
    ws.reorder_option(deals, stage, "Lead", 5).unwrap();
    let mut q = Query::new(deals);
    q.sort = ws.parse_sort(deals, "stage").unwrap();
    assert_eq!(ws.query(&q).unwrap().ids, vec![id, other]);
}

#[test]
fn objects_and_fields_can_be_added_renamed_reordered_and_archived() {
    let mut ws = workspace();
    let visits = ws.add_object("site_visits", "Site visits").unwrap();
    let when = ws
        .add_field(visits, FieldSpec::new("when", "When", FieldKind::Datetime))
        .unwrap();
    let notes = ws
        .add_field(visits, FieldSpec::new("notes", "Notes", FieldKind::LongText))
        .unwrap();
    ws.reorder_field(visits, notes, 0).unwrap();
    let order: Vec<_> = ws
        .schema()
        .object(visits)
        .unwrap()
        .fields
        .iter()
        .map(|f| f.id)
        .collect();
    assert_eq!(order, vec![notes, when]);
    ws.rename_object(visits, Some("Visits"), Some("visits")).unwrap();
    assert_eq!(ws.object_named("visits").unwrap().id, visits);
    ws.set_object_archived(visits, true).unwrap();
    assert!(ws.schema().active_objects().all(|o| o.id != visits));
    ws.set_object_archived(visits, false).unwrap();
    assert!(
        ws.add_field(visits, FieldSpec::new("Bad Key", "x", FieldKind::Text))
            .is_err()
    );
    assert!(
        ws.add_field(visits, FieldSpec::new("when", "dup", FieldKind::Text))
            .is_err()
    );
}

#[test]
fn rules_cannot_be_added_while_records_break_them() {
    let mut ws = workspace();
    let people = ws.object_named("people").unwrap().id;
    add(&mut ws, "people", &[("name", "A"), ("city", "Oslo")]);
    add(&mut ws, "people", &[("name", "B"), ("city", "oslo")]);
    let city = ws.field_named(people, "city").unwrap().id;
    let err = ws.set_field_unique(people, city, true).unwrap_err().to_string();
    assert!(err.contains("unique") && err.to_lowercase().contains("oslo"), "{err}");
    let phone = ws.field_named(people, "phone").unwrap().id;
    let err = ws.set_field_required(people, phone, true).unwrap_err().to_string();
    assert!(err.contains("2 record(s) have no value"), "{err}");
    ws.set_field_required(people, city, true).unwrap();
}
