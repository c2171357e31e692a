//! A relation that may point to any object (`tasks.related`, `notes.related`) takes a
//! record's name (with `object:` when names clash), its short id or its id, in values
//! and in filters; `~` on a relation is refused with a message instead of finding
//! nothing.

use kith_core::{CreateOptions, Workspace};

fn add(ws: &mut Workspace, object: &str, values: &[(&str, &str)]) -> Result<kith_core::RecordId, kith_core::Error> {
    let id = ws.object_named(object)?.id;
    let inputs: Vec<(String, String)> = values.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let values = ws.parse_values(id, &inputs)?;
    ws.create_record(id, values)
}

#[test]
fn a_relation_to_any_object_takes_names_object_names_and_short_ids() {
    let mut ws = Workspace::in_memory(CreateOptions::new("t")).unwrap();
    let ada = add(&mut ws, "people", &[("name", "Ada Lovelace")]).unwrap();
    let task = add(&mut ws, "tasks", &[("title", "Call"), ("related", "Ada Lovelace")]).unwrap();
    let tasks = ws.object_named("tasks").unwrap().id;
    let related = ws.field_named(tasks, "related").unwrap().id;
    let view = ws.record(task).unwrap();
    let cell = view.cells.iter().find(|c| c.field == related).unwrap();
    assert_eq!(cell.value, Some(kith_core::Value::Records(vec![ada])));

    // The same name on a company: ambiguous, and the error says how to choose.
    add(&mut ws, "companies", &[("name", "Ada Lovelace")]).unwrap();
    let err = add(&mut ws, "tasks", &[("title", "Again"), ("related", "Ada Lovelace")])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("people:Ada Lovelace") || err.contains("companies:Ada Lovelace"),
        "{err}"
    );
    add(
        &mut ws,
        "tasks",
        &[("title", "Named"), ("related", "people:Ada Lovelace")],
    )
    .unwrap();
    let short = ws.short_record_id(ada).unwrap();
    add(&mut ws, "tasks", &[("title", "Short"), ("related", &short)]).unwrap();

    let filter = ws.parse_filter(tasks, "related = people:Ada Lovelace").unwrap();
    assert_eq!(ws.count(tasks, Some(&filter)).unwrap(), 3);
    let filter = ws.parse_filter(tasks, &format!("related = {short}")).unwrap();
    assert_eq!(ws.count(tasks, Some(&filter)).unwrap(), 3);
}

#[test]
fn contains_on_a_relation_is_refused_with_what_to_do_instead() {
    let ws = Workspace::in_memory(CreateOptions::new("t")).unwrap();
    let people = ws.object_named("people").unwrap().id;
    let err = ws.parse_filter(people, "company ~ Acme").unwrap_err().to_string();
    assert!(err.contains("company = \"Acme\""), "{err}");
}
