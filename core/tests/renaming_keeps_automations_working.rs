//! Automation definitions store their object, fields, options, filters, formulas and
//! `{field}` templates by id: renaming a field key, an object key or an option keeps an
//! automation firing and setting the right field, and it is shown (`kith automation
//! show`, the editor) with the new names.

use std::collections::BTreeMap;

use kith_core::automation::{Action, AutomationDef, Trigger};
use kith_core::{CreateOptions, Query, RecordId, Workspace};

fn workspace() -> Workspace {
    Workspace::in_memory(CreateOptions::new("ada")).unwrap()
}

fn pairs(values: &[(&str, &str)]) -> BTreeMap<String, String> {
    values.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn add(ws: &mut Workspace, object: &str, values: &[(&str, &str)]) -> RecordId {
    let object = ws.object_named(object).unwrap().id;
    let inputs: Vec<(String, String)> = values.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let values = ws.parse_values(object, &inputs).unwrap();
    ws.create_record(object, values).unwrap()
}

fn set(ws: &mut Workspace, id: RecordId, values: &[(&str, &str)]) {
    let object = ws.row(id).unwrap().object;
    let inputs: Vec<(String, String)> = values.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let values = ws.parse_values(object, &inputs).unwrap();
    ws.update_record(id, values).unwrap();
}

fn shown(ws: &Workspace, id: RecordId, field: &str) -> String {
    ws.record(id)
        .unwrap()
        .cells
        .iter()
        .find(|c| c.key == field)
        .map(|c| c.display.clone())
        .unwrap_or_default()
}

fn task_titles(ws: &Workspace) -> Vec<String> {
    let tasks = ws.object_named("tasks").unwrap().id;
    ws.query(&Query::new(tasks))
        .unwrap()
        .ids
        .into_iter()
        .map(|id| shown(ws, id, "title"))
        .collect()
}

fn won_deal_rule() -> AutomationDef {
    AutomationDef {
        object: "deals".into(),
        trigger: Trigger::Changed {
            field: "stage".into(),
            from: None,
            to: Some("Won".into()),
        },
        condition: Some("amount > 1000 and stage = Won".into()),
        actions: vec![
            Action::Set(pairs(&[("probability", "= amount / 100"), ("owner", "{name} team")])),
            Action::CreateTask {
                title: "Invoice {name}".into(),
                due_in_days: Some(3),
                object: None,
            },
            Action::CreateRecord {
                object: "tasks".into(),
                values: pairs(&[("title", "Thank {name}"), ("priority", "High")]),
            },
            Action::CreateRecord {
                object: "notes".into(),
                values: pairs(&[("title", "Won {name}"), ("body", "for {amount}")]),
            },
        ],
    }
}

fn rename_everything(ws: &mut Workspace) {
    let deals = ws.object_named("deals").unwrap().id;
    let field = |ws: &Workspace, key: &str| ws.field_named(deals, key).unwrap().id;
    let stage = field(ws, "stage");
    ws.rename_field(deals, stage, Some("Phase"), Some("phase")).unwrap();
    ws.rename_option(deals, stage, "Won", "Closed won").unwrap();
    for (old, new) in [
        ("amount", "value"),
        ("probability", "likelihood"),
        ("name", "title"),
        ("owner", "team"),
    ] {
        let id = field(ws, old);
        ws.rename_field(deals, id, None, Some(new)).unwrap();
    }
    ws.rename_object(deals, Some("Opportunities"), Some("opportunities"))
        .unwrap();
    let tasks = ws.object_named("tasks").unwrap().id;
    let priority = ws.field_named(tasks, "priority").unwrap().id;
    ws.rename_option(tasks, priority, "High", "Urgent").unwrap();
    // (Renaming the tasks object: `renaming_the_tasks_object_keeps_create_task_working`.)
    let notes = ws.object_named("notes").unwrap().id;
    let body = ws.field_named(notes, "body").unwrap().id;
    ws.rename_field(notes, body, None, Some("text")).unwrap();
    ws.rename_object(notes, Some("Memos"), Some("memos")).unwrap();
}

#[test]
fn an_automation_still_fires_and_sets_the_right_fields_after_renames() {
    let mut ws = workspace();
    ws.create_automation("Won deals", &won_deal_rule()).unwrap();
    rename_everything(&mut ws);

    let deal = add(
        &mut ws,
        "opportunities",
        &[("title", "Big"), ("value", "5000"), ("phase", "Lead")],
    );
    set(&mut ws, deal, &[("phase", "Closed won")]);
    assert_eq!(shown(&ws, deal, "likelihood"), "50");
    assert_eq!(shown(&ws, deal, "team"), "Big team");
    let mut titles = task_titles(&ws);
    titles.sort();
    assert_eq!(titles, ["Invoice Big", "Thank Big"]);
    let tasks = ws.object_named("tasks").unwrap().id;
    let thank = ws
        .query(&Query::new(tasks))
        .unwrap()
        .ids
        .into_iter()
        .find(|t| shown(&ws, *t, "title") == "Thank Big");
    assert_eq!(shown(&ws, thank.unwrap(), "priority"), "Urgent");
    let memos = ws.object_named("memos").unwrap().id;
    let memo = ws.query(&Query::new(memos)).unwrap().ids;
    assert_eq!(memo.len(), 1);
    assert_eq!(shown(&ws, memo[0], "title"), "Won Big");
    assert_eq!(shown(&ws, memo[0], "text"), "for 5000.00 USD");
}

#[test]
fn an_automation_is_shown_with_the_new_names_and_saved_back_by_id() {
    let mut ws = workspace();
    let id = ws.create_automation("Won deals", &won_deal_rule()).unwrap();
    rename_everything(&mut ws);

    let def = ws.automation_named("Won deals").unwrap().definition.unwrap();
    assert_eq!(def.object, "opportunities");
    assert_eq!(
        def.trigger,
        Trigger::Changed {
            field: "phase".into(),
            from: None,
            to: Some("Closed won".into())
        }
    );
    assert_eq!(
        def.condition.as_deref(),
        Some("value > 1000 and phase = \"Closed won\"")
    );
    assert_eq!(
        def.actions[0],
        Action::Set(pairs(&[("likelihood", "= [Amount] / 100"), ("team", "{title} team")]))
    );
    assert_eq!(
        def.actions[1],
        Action::CreateTask {
            title: "Invoice {title}".into(),
            due_in_days: Some(3),
            object: Some("tasks".into()),
        }
    );
    assert_eq!(
        def.actions[2],
        Action::CreateRecord {
            object: "tasks".into(),
            values: pairs(&[("title", "Thank {title}"), ("priority", "Urgent")]),
        }
    );
    assert_eq!(
        def.actions[3],
        Action::CreateRecord {
            object: "memos".into(),
            values: pairs(&[("title", "Won {title}"), ("text", "for {value}")]),
        }
    );

    // Saved back as shown, it reads back the same and still fires.
    ws.update_automation(id, None, Some(&def)).unwrap();
    assert_eq!(ws.automation_named("Won deals").unwrap().definition.unwrap(), def);
    let deal = add(
        &mut ws,
        "opportunities",
        &[("title", "Big"), ("value", "5000"), ("phase", "Lead")],
    );
    set(&mut ws, deal, &[("phase", "Closed won")]);
    assert_eq!(shown(&ws, deal, "likelihood"), "50");
}

#[test]
fn an_automation_whose_field_was_archived_fails_with_a_clear_sentence_and_shows_its_key() {
    let mut ws = workspace();
    ws.create_automation("Won deals", &won_deal_rule()).unwrap();
    let deals = ws.object_named("deals").unwrap().id;
    let probability = ws.field_named(deals, "probability").unwrap().id;
    ws.set_field_archived(deals, probability, true).unwrap();
    let deal = add(
        &mut ws,
        "deals",
        &[("name", "Big"), ("amount", "5000"), ("stage", "Lead")],
    );
    set(&mut ws, deal, &[("stage", "Won")]);
    let runs = ws.automation_runs(None, 10).unwrap();
    assert_eq!(runs[0].status, kith_core::RunStatus::Error);
    assert!(
        runs[0].message.contains("deals.probability") && runs[0].message.contains("is archived"),
        "{}",
        runs[0].message
    );
    let shown = ws.automation_named("Won deals").unwrap().definition.unwrap();
    assert_eq!(
        shown.actions[0],
        Action::Set(pairs(&[("probability", "= amount / 100"), ("owner", "{name} team")]))
    );
}

/// Titles of the records of `object` (by its key today).
fn titles_in(ws: &Workspace, object: &str) -> Vec<String> {
    let object = ws.object_named(object).unwrap().id;
    let mut titles: Vec<String> = ws
        .query(&Query::new(object))
        .unwrap()
        .ids
        .into_iter()
        .map(|id| shown(ws, id, "title"))
        .collect();
    titles.sort();
    titles
}

/// A task "Invoice {name}" when a deal is won; the definition does not name the tasks
/// object (the CLI and the editor write it so).
fn invoice_when_won() -> AutomationDef {
    AutomationDef {
        object: "deals".into(),
        trigger: Trigger::Changed {
            field: "stage".into(),
            from: None,
            to: Some("Won".into()),
        },
        condition: None,
        actions: vec![Action::CreateTask {
            title: "Invoice {name}".into(),
            due_in_days: None,
            object: None,
        }],
    }
}

fn win_a_deal(ws: &mut Workspace, name: &str) {
    let deal = add(ws, "deals", &[("name", name), ("stage", "Lead")]);
    set(ws, deal, &[("stage", "Won")]);
}

fn rename_tasks(ws: &mut Workspace, key: &str) {
    let tasks = ws.object_named("tasks").unwrap().id;
    ws.rename_object(tasks, None, Some(key)).unwrap();
}

#[test]
fn renaming_the_tasks_object_keeps_create_task_working() {
    let mut ws = workspace();
    let id = ws.create_automation("Invoices", &invoice_when_won()).unwrap();
    rename_tasks(&mut ws, "todos");

    win_a_deal(&mut ws, "Big");
    assert_eq!(titles_in(&ws, "todos"), ["Invoice Big"]);
    assert_eq!(
        ws.automation_runs(None, 10).unwrap()[0].status,
        kith_core::RunStatus::Ok
    );
    // Shown with the object's key today, and saved back as shown it still works.
    let def = ws.automation_named("Invoices").unwrap().definition.unwrap();
    assert_eq!(
        def.actions[0],
        Action::CreateTask {
            title: "Invoice {name}".into(),
            due_in_days: None,
            object: Some("todos".into()),
        }
    );
    ws.update_automation(id, None, Some(&def)).unwrap();
    let todos = ws.object_named("todos").unwrap().id;
    ws.rename_object(todos, None, Some("chores")).unwrap();
    win_a_deal(&mut ws, "Bigger");
    assert_eq!(titles_in(&ws, "chores"), ["Invoice Big", "Invoice Bigger"]);
}

#[test]
fn a_create_task_saved_before_it_named_its_object_still_runs_and_is_renamed_safe_once_edited() {
    let mut ws = workspace();
    // As an older version stored it: names, and no object in create_task.
    let old = invoice_when_won().to_json();
    assert!(
        !old.contains("\"object\":null") && old.contains("\"create_task\""),
        "{old}"
    );
    let id = ws
        .create_config_doc_with(
            kith_core::DocKind::Automation,
            "Invoices",
            &[("definition", old.as_str()), ("enabled", "true")],
        )
        .unwrap();
    win_a_deal(&mut ws, "Big");
    assert_eq!(titles_in(&ws, "tasks"), ["Invoice Big"]);
    let def = ws.automation_named("Invoices").unwrap().definition.unwrap();
    assert_eq!(def, invoice_when_won(), "read as before");

    // Its next edit stores the tasks object by id: a rename no longer breaks it.
    ws.update_automation(id, None, Some(&def)).unwrap();
    rename_tasks(&mut ws, "todos");
    win_a_deal(&mut ws, "Bigger");
    assert_eq!(titles_in(&ws, "todos"), ["Invoice Big", "Invoice Bigger"]);
}
