//! Saved views (configuration documents of kind `view`) store their object, filter, sort
//! and board field by id: renaming an object, a field or an option keeps the records a
//! view lists, and the view is shown with the new names. Views saved with names (older
//! versions) still read as before.

use std::collections::BTreeMap;

use kith_core::{CreateOptions, DocKind, Query, RecordId, Workspace};

fn workspace() -> Workspace {
    Workspace::in_memory(CreateOptions::new("ada")).unwrap()
}

fn add(ws: &mut Workspace, object: &str, values: &[(&str, &str)]) -> RecordId {
    let object = ws.object_named(object).unwrap().id;
    let inputs: Vec<(String, String)> = values.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let values = ws.parse_values(object, &inputs).unwrap();
    ws.create_record(object, values).unwrap()
}

/// The records a view lists, the way the web UI lists them.
fn listed(ws: &Workspace, view: &BTreeMap<String, String>) -> Vec<RecordId> {
    let object = ws.object_named(&view["object"]).unwrap().id;
    let mut query = Query::new(object);
    query.filter = Some(ws.parse_filter(object, &view["filter"]).unwrap());
    query.sort = ws.parse_sort(object, &view["sort"]).unwrap();
    ws.query(&query).unwrap().ids
}

fn view(ws: &Workspace, name: &str) -> BTreeMap<String, String> {
    ws.config_contents(&DocKind::View)
        .unwrap()
        .into_iter()
        .find(|v| v.name == name)
        .unwrap()
        .content
}

#[test]
fn a_saved_view_lists_the_same_records_and_shows_the_new_names_after_renames() {
    let mut ws = workspace();
    let big = add(
        &mut ws,
        "deals",
        &[("name", "Big"), ("amount", "5000"), ("stage", "Won")],
    );
    add(
        &mut ws,
        "deals",
        &[("name", "Lost one"), ("amount", "9000"), ("stage", "Lost")],
    );
    let small = add(
        &mut ws,
        "deals",
        &[("name", "Small"), ("amount", "100"), ("stage", "Won")],
    );
    let id = ws
        .create_config_doc_with(
            DocKind::View,
            "Won board",
            &[
                ("object", "Deals"),
                ("kind", "board"),
                ("filter", "Stage = won and amount > 10"),
                ("sort", "-amount"),
                ("field", "stage"),
            ],
        )
        .unwrap();
    let before = view(&ws, "Won board");
    assert_eq!(before["object"], "deals");
    assert_eq!(listed(&ws, &before), [big, small]);

    let deals = ws.object_named("deals").unwrap().id;
    let stage = ws.field_named(deals, "stage").unwrap().id;
    let amount = ws.field_named(deals, "amount").unwrap().id;
    ws.rename_field(deals, stage, Some("Phase"), Some("phase")).unwrap();
    ws.rename_field(deals, amount, None, Some("value")).unwrap();
    ws.rename_option(deals, stage, "Won", "Closed won").unwrap();
    ws.rename_object(deals, Some("Opportunities"), Some("opportunities"))
        .unwrap();

    let after = view(&ws, "Won board");
    assert_eq!(after["object"], "opportunities");
    assert_eq!(after["filter"], "phase = \"Closed won\" and value > 10");
    assert_eq!(after["sort"], "-value");
    assert_eq!(after["field"], "phase");
    assert_eq!(listed(&ws, &after), [big, small]);

    // The editor saves it back with today's names; it keeps working.
    ws.update_config_doc(id, None, &[("filter", Some("phase = \"Closed won\" and value > 1000"))])
        .unwrap();
    assert_eq!(listed(&ws, &view(&ws, "Won board")), [big]);
    assert_eq!(
        ws.config_doc(id).unwrap().content["filter"],
        "phase = \"Closed won\" and value > 1000"
    );
}

#[test]
fn a_view_whose_names_do_not_resolve_is_kept_as_written() {
    let mut ws = workspace();
    ws.create_config_doc_with(
        DocKind::View,
        "Odd",
        &[("object", "deals"), ("filter", "nope = 1 and ("), ("sort", "nope")],
    )
    .unwrap();
    let odd = view(&ws, "Odd");
    assert_eq!(odd["filter"], "nope = 1 and (");
    assert_eq!(odd["sort"], "nope");
}

#[test]
fn a_views_history_shows_its_filter_with_todays_names() {
    let mut ws = workspace();
    let id = ws
        .create_config_doc_with(DocKind::View, "Won", &[("object", "deals"), ("filter", "stage = Won")])
        .unwrap();
    let deals = ws.object_named("deals").unwrap().id;
    let stage = ws.field_named(deals, "stage").unwrap().id;
    ws.rename_field(deals, stage, None, Some("phase")).unwrap();
    let history = ws.config_history(id).unwrap();
    let filter = history[0].diffs.iter().find(|d| d.what == "filter").unwrap();
    assert_eq!(filter.new.as_deref(), Some("phase = Won"));
}

#[test]
fn a_views_columns_are_stored_by_id_and_shown_with_todays_keys_after_renames() {
    let mut ws = workspace();
    let id = ws
        .create_config_doc_with(
            DocKind::View,
            "Pipeline",
            &[("object", "deals"), ("columns", "stage, Amount,nope")],
        )
        .unwrap();
    assert_eq!(view(&ws, "Pipeline")["columns"], "stage,amount,nope");
    let deals = ws.object_named("deals").unwrap().id;
    let stage = ws.field_named(deals, "stage").unwrap().id;
    let amount = ws.field_named(deals, "amount").unwrap().id;
    ws.rename_field(deals, stage, Some("Phase"), Some("phase")).unwrap();
    ws.rename_field(deals, amount, None, Some("value")).unwrap();
    // Stored by id: the renamed fields are shown by their new keys; a name that never
    // resolved stays as written.
    assert_eq!(view(&ws, "Pipeline")["columns"], "phase,value,nope");
    ws.update_config_doc(id, None, &[("columns", Some("value,phase"))])
        .unwrap();
    assert_eq!(ws.config_doc(id).unwrap().content["columns"], "value,phase");
}
