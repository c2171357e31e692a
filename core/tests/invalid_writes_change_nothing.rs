//! A write that breaks a type or a rule fails with an error naming the object, field,
//! value and rule, and writes nothing: not the document, not the outbox, not a row.

use kith_core::{CreateOptions, Error, RecordId, Value, Workspace};

fn workspace() -> Workspace {
    Workspace::in_memory(CreateOptions::new("tester")).unwrap()
}

fn inputs(values: &[(&str, &str)]) -> Vec<(String, String)> {
    values.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn snapshot(ws: &Workspace) -> (Vec<kith_core::DerivedEntry>, u64) {
    (ws.dump_derived().unwrap(), ws.outbox_len().unwrap())
}

#[test]
fn a_value_of_the_wrong_type_is_refused_with_object_field_value_and_rule() {
    let ws = workspace();
    let people = ws.object_named("people").unwrap().id;
    let err = ws
        .parse_values(people, &inputs(&[("email", "not-an-email")]))
        .unwrap_err();
    let Error::Validation(v) = &err else { panic!("{err:?}") };
    assert_eq!(
        (v.object.as_str(), v.field.as_str(), v.rule),
        ("people", "email", "type")
    );
    assert!(err.to_string().contains("'not-an-email'"), "{err}");
}

#[test]
fn a_missing_required_value_writes_nothing() {
    let mut ws = workspace();
    let people = ws.object_named("people").unwrap().id;
    let before = snapshot(&ws);
    let values = ws.parse_values(people, &inputs(&[("city", "Oslo")])).unwrap();
    let err = ws.create_record(people, values).unwrap_err();
    assert!(
        err.to_string().contains("people.name") && err.to_string().contains("required"),
        "{err}"
    );
    assert_eq!(snapshot(&ws), before);
}

#[test]
fn a_duplicate_unique_value_writes_nothing_even_in_another_case() {
    let mut ws = workspace();
    let people = ws.object_named("people").unwrap().id;
    let values = ws
        .parse_values(people, &inputs(&[("name", "A"), ("email", "a@example.com")]))
        .unwrap();
    let first = ws.create_record(people, values).unwrap();
    let before = snapshot(&ws);
    let values = ws
        .parse_values(people, &inputs(&[("name", "B"), ("email", "A@Example.com")]))
        .unwrap();
    let err = ws.create_record(people, values).unwrap_err().to_string();
    assert!(err.contains("unique") && err.contains(&first.to_string()), "{err}");
    assert_eq!(snapshot(&ws), before);
    // Updating a record to its own value is fine.
    let same = ws.parse_values(people, &inputs(&[("email", "a@example.com")])).unwrap();
    ws.update_record(first, same).unwrap();
}

#[test]
fn a_bad_update_leaves_the_record_and_its_document_as_they_were() {
    let mut ws = workspace();
    let deals = ws.object_named("deals").unwrap().id;
    let values = ws
        .parse_values(deals, &inputs(&[("name", "Deal"), ("amount", "100.00 EUR")]))
        .unwrap();
    let id = ws.create_record(deals, values).unwrap();
    let before = snapshot(&ws);
    let name = ws.field_named(deals, "name").unwrap().id;
    let amount = ws.field_named(deals, "amount").unwrap().id;
    // One good change and one bad one: neither is written.
    let err = ws
        .update_record(id, vec![(amount, Some(Value::Number(5.0))), (name, None)])
        .unwrap_err();
    assert!(err.to_string().contains("deals.amount"), "{err}");
    assert_eq!(snapshot(&ws), before);
    let err = ws.update_record(id, vec![(name, None)]).unwrap_err();
    assert!(err.to_string().contains("required"), "{err}");
    assert_eq!(snapshot(&ws), before);
    // The cached document did not keep the failed change: a good edit still works and
    // the record shows only it.
    ws.update_record(id, vec![(name, Some(Value::Text("Renamed".into())))])
        .unwrap();
    let view = ws.record(id).unwrap();
    let shown: Vec<(&str, &str)> = view
        .cells
        .iter()
        .filter(|c| !c.display.is_empty())
        .map(|c| (c.key.as_str(), c.display.as_str()))
        .collect();
    assert_eq!(shown, [("name", "Renamed"), ("amount", "100.00 EUR")]);
}

#[test]
fn a_relation_to_a_missing_or_deleted_record_is_refused() {
    let mut ws = workspace();
    let people = ws.object_named("people").unwrap().id;
    let companies = ws.object_named("companies").unwrap().id;
    let company = ws.parse_values(companies, &inputs(&[("name", "Acme")])).unwrap();
    let acme = ws.create_record(companies, company).unwrap();
    let company_field = ws.field_named(people, "company").unwrap().id;
    let name = ws.field_named(people, "name").unwrap().id;
    let make = |target: RecordId| {
        vec![
            (name, Some(Value::Text("P".into()))),
            (company_field, Some(Value::Records(vec![target]))),
        ]
    };
    let err = ws.create_record(people, make(RecordId::new())).unwrap_err();
    assert!(err.to_string().contains("does not exist"), "{err}");
    // A person is not a company.
    let person = ws.create_record(people, make(acme)).unwrap();
    let err = ws.create_record(people, make(person)).unwrap_err();
    assert!(err.to_string().contains("not of the related object"), "{err}");
    ws.delete_record(acme).unwrap();
    let err = ws.create_record(people, make(acme)).unwrap_err();
    assert!(err.to_string().contains("trash"), "{err}");
}

#[test]
fn unknown_fields_and_objects_are_named_in_the_error() {
    let ws = workspace();
    assert!(
        ws.object_named("planets")
            .unwrap_err()
            .to_string()
            .contains("'planets'")
    );
    let people = ws.object_named("people").unwrap().id;
    let err = ws
        .parse_values(people, &inputs(&[("shoe_size", "42")]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("people") && err.contains("shoe_size"), "{err}");
}
