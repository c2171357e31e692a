//! Automations: triggers (created, field changed from/to, starts matching, manual),
//! conditions, actions (set, create record, create task, link/unlink), the run log, loops
//! stopped at the depth limit, dry runs, and reverting a run or the whole edit group.

use kith_core::automation::{Action, AutomationDef, Trigger};
use kith_core::{ChangeKind, CreateOptions, Error, Query, RecordId, RunStatus, Workspace};

fn workspace() -> Workspace {
    Workspace::in_memory(CreateOptions::new("ada")).unwrap()
}

fn pairs(values: &[(&str, &str)]) -> std::collections::BTreeMap<String, String> {
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

fn value(ws: &Workspace, id: RecordId, field: &str) -> String {
    let record = ws.record(id).unwrap();
    let object = ws.schema().object(record.object).unwrap();
    let field = object.find_field(field).unwrap().id;
    record
        .cells
        .iter()
        .find(|c| c.field == field)
        .map(|c| c.display.clone())
        .unwrap_or_default()
}

fn tasks(ws: &Workspace) -> Vec<RecordId> {
    let tasks = ws.object_named("tasks").unwrap().id;
    ws.query(&Query::new(tasks)).unwrap().ids
}

fn automation(ws: &mut Workspace, name: &str, def: AutomationDef) -> kith_core::DocId {
    ws.create_automation(name, &def).unwrap()
}

fn won_deal_rule() -> AutomationDef {
    AutomationDef {
        object: "deals".into(),
        trigger: Trigger::Changed {
            field: "stage".into(),
            from: None,
            to: Some("Won".into()),
        },
        condition: Some("amount > 1000".into()),
        actions: vec![
            Action::Set(pairs(&[("probability", "100")])),
            Action::CreateTask {
                title: "Invoice {name}".into(),
                due_in_days: Some(3),
                object: None,
            },
        ],
    }
}

#[test]
fn a_field_changed_to_a_value_runs_the_actions_in_the_same_change_group_as_the_edit() {
    let mut ws = workspace();
    automation(&mut ws, "Won deals", won_deal_rule());
    let deal = add(
        &mut ws,
        "deals",
        &[("name", "Big"), ("amount", "5000"), ("stage", "Lead")],
    );
    assert!(tasks(&ws).is_empty(), "created, not changed: nothing runs");

    set(&mut ws, deal, &[("stage", "Won")]);
    assert_eq!(value(&ws, deal, "probability"), "100");
    let made = tasks(&ws);
    assert_eq!(made.len(), 1);
    assert_eq!(value(&ws, made[0], "title"), "Invoice Big");
    assert_eq!(ws.record_history(made[0]).unwrap()[0].kind, ChangeKind::Automation);

    let runs = ws.automation_runs(None, 10).unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].status, RunStatus::Ok);
    assert_eq!(runs[0].record, Some(deal));
    assert_eq!(runs[0].changes.len(), 2);

    // One revert of the group takes back the edit and everything the automation did.
    let group = runs[0].group.unwrap();
    ws.revert_group(group, false).unwrap();
    assert_eq!(value(&ws, deal, "stage"), "Lead");
    assert_eq!(value(&ws, deal, "probability"), "");
    assert!(tasks(&ws).is_empty());
}

#[test]
fn a_record_that_does_not_pass_the_condition_is_logged_as_skipped_and_nothing_changes() {
    let mut ws = workspace();
    automation(&mut ws, "Won deals", won_deal_rule());
    let deal = add(
        &mut ws,
        "deals",
        &[("name", "Small"), ("amount", "10"), ("stage", "Lead")],
    );
    set(&mut ws, deal, &[("stage", "Won")]);
    assert!(tasks(&ws).is_empty());
    assert_eq!(value(&ws, deal, "probability"), "");
    let runs = ws.automation_runs(None, 10).unwrap();
    assert_eq!(runs[0].status, RunStatus::Skipped);
    // The edit stands.
    assert_eq!(value(&ws, deal, "stage"), "Won");
}

#[test]
fn reverting_one_run_keeps_the_edit_that_triggered_it() {
    let mut ws = workspace();
    automation(&mut ws, "Won deals", won_deal_rule());
    let deal = add(
        &mut ws,
        "deals",
        &[("name", "Big"), ("amount", "5000"), ("stage", "Lead")],
    );
    set(&mut ws, deal, &[("stage", "Won")]);
    let run = ws.automation_runs(None, 1).unwrap()[0].run;
    ws.revert_automation_run(&run.to_string(), false).unwrap();
    assert_eq!(value(&ws, deal, "stage"), "Won");
    assert_eq!(value(&ws, deal, "probability"), "");
    assert!(tasks(&ws).is_empty());
    assert!(matches!(
        ws.revert_automation_run("ffffffff", false),
        Err(Error::RunNotFound(_))
    ));
}

#[test]
fn an_automation_does_not_trigger_itself_and_a_loop_between_two_stops_at_the_depth_limit() {
    let mut ws = workspace();
    let toggle = |from: &str, to: &str| AutomationDef {
        object: "people".into(),
        trigger: Trigger::Changed {
            field: "city".into(),
            from: None,
            to: Some(from.into()),
        },
        condition: None,
        actions: vec![Action::Set(pairs(&[("city", to)]))],
    };
    // Each would trigger itself forever if its own writes counted.
    automation(&mut ws, "A", toggle("Paris", "Rome"));
    let ada = add(&mut ws, "people", &[("name", "Ada"), ("city", "Oslo")]);
    set(&mut ws, ada, &[("city", "Paris")]);
    assert_eq!(value(&ws, ada, "city"), "Rome");
    assert_eq!(ws.automation_runs(None, 10).unwrap().len(), 1);

    automation(&mut ws, "B", toggle("Rome", "Paris"));
    set(&mut ws, ada, &[("city", "Paris")]);
    let runs = ws.automation_runs(None, 100).unwrap();
    let stopped: Vec<_> = runs.iter().filter(|r| r.status == RunStatus::Stopped).collect();
    assert_eq!(stopped.len(), 1, "{runs:#?}");
    assert!(stopped[0].message.contains("depth limit"));
    assert_eq!(
        runs.iter().filter(|r| r.status == RunStatus::Ok).count(),
        1 + 5,
        "the first run, then a chain of five"
    );
}

#[test]
fn created_and_starts_matching_triggers_create_records_and_link_them() {
    let mut ws = workspace();
    automation(
        &mut ws,
        "Welcome",
        AutomationDef {
            object: "people".into(),
            trigger: Trigger::Created,
            condition: None,
            actions: vec![Action::CreateRecord {
                object: "notes".into(),
                values: pairs(&[("body", "Say hello to {name}"), ("related", "{record}")]),
            }],
        },
    );
    automation(
        &mut ws,
        "Big company",
        AutomationDef {
            object: "deals".into(),
            trigger: Trigger::Matches {
                filter: "amount > 1000".into(),
            },
            condition: None,
            actions: vec![Action::Link {
                field: "company".into(),
                record: "Acme".into(),
            }],
        },
    );
    let ada = add(&mut ws, "people", &[("name", "Ada")]);
    let notes = ws.object_named("notes").unwrap().id;
    let made = ws.query(&Query::new(notes)).unwrap().ids;
    assert_eq!(made.len(), 1);
    assert_eq!(value(&ws, made[0], "body"), "Say hello to Ada");
    assert_eq!(value(&ws, made[0], "related"), "Ada");

    let acme = add(&mut ws, "companies", &[("name", "Acme")]);
    let deal = add(&mut ws, "deals", &[("name", "D"), ("amount", "10")]);
    assert_eq!(value(&ws, deal, "company"), "");
    set(&mut ws, deal, &[("amount", "2000")]);
    assert_eq!(value(&ws, deal, "company"), "Acme");
    // Already matching: a further edit does not run it again.
    set(&mut ws, deal, &[("company", "")]);
    set(&mut ws, deal, &[("amount", "3000")]);
    assert_eq!(value(&ws, deal, "company"), "");
    let _ = (ada, acme);
}

#[test]
fn a_disabled_automation_does_not_run_and_a_manual_one_runs_only_when_asked() {
    let mut ws = workspace();
    let id = automation(&mut ws, "Won deals", won_deal_rule());
    ws.set_automation_enabled(id, false).unwrap();
    let deal = add(
        &mut ws,
        "deals",
        &[("name", "Big"), ("amount", "5000"), ("stage", "Lead")],
    );
    set(&mut ws, deal, &[("stage", "Won")]);
    assert!(tasks(&ws).is_empty());
    assert!(ws.automation_runs(None, 10).unwrap().is_empty());

    let manual = automation(
        &mut ws,
        "Follow up",
        AutomationDef {
            object: "deals".into(),
            trigger: Trigger::Manual,
            condition: None,
            actions: vec![Action::CreateTask {
                title: "Follow up on {name}".into(),
                due_in_days: None,
                object: None,
            }],
        },
    );
    set(&mut ws, deal, &[("stage", "Lost")]);
    assert!(tasks(&ws).is_empty());
    let run = ws.run_automation(manual, deal).unwrap();
    assert_eq!(run.status, RunStatus::Ok);
    assert_eq!(run.trigger, "manual");
    assert_eq!(tasks(&ws).len(), 1);
}

#[test]
fn a_dry_run_says_what_would_change_and_writes_nothing() {
    let mut ws = workspace();
    let id = automation(&mut ws, "Won deals", won_deal_rule());
    let deal = add(
        &mut ws,
        "deals",
        &[("name", "Big"), ("amount", "5000"), ("stage", "Lead")],
    );
    let outbox = ws.outbox_len().unwrap();
    let dry = ws.test_automation(id, deal).unwrap();
    assert_eq!(dry.status, RunStatus::Ok);
    assert_eq!(dry.changes.len(), 2, "{dry:?}");
    assert!(dry.changes[1].contains("Invoice Big"), "{dry:?}");
    assert_eq!(ws.outbox_len().unwrap(), outbox);
    assert!(tasks(&ws).is_empty());
    assert!(ws.automation_runs(None, 10).unwrap().is_empty());
}

#[test]
fn a_run_that_cannot_apply_is_logged_as_an_error_and_the_edit_stands() {
    let mut ws = workspace();
    automation(
        &mut ws,
        "Clear name",
        AutomationDef {
            object: "people".into(),
            trigger: Trigger::Changed {
                field: "city".into(),
                from: None,
                to: None,
            },
            condition: None,
            // The name is required: clearing it is refused.
            actions: vec![Action::Set(pairs(&[("name", "")]))],
        },
    );
    let ada = add(&mut ws, "people", &[("name", "Ada")]);
    set(&mut ws, ada, &[("city", "Paris")]);
    assert_eq!(value(&ws, ada, "city"), "Paris");
    assert_eq!(value(&ws, ada, "name"), "Ada");
    let runs = ws.automation_runs(None, 10).unwrap();
    assert_eq!(runs[0].status, RunStatus::Error);
    assert!(!runs[0].message.is_empty());
}

#[test]
fn a_definition_naming_what_does_not_exist_is_refused() {
    let mut ws = workspace();
    let mut def = won_deal_rule();
    def.condition = Some("nonsense_field > 1".into());
    assert!(matches!(
        ws.create_automation("Bad", &def),
        Err(Error::BadAutomation { .. })
    ));
    let mut def = won_deal_rule();
    def.actions = vec![Action::Set(pairs(&[("nope", "1")]))];
    assert!(ws.create_automation("Bad", &def).is_err());
    assert!(ws.automations().unwrap().is_empty());
}

#[test]
fn imports_and_bulk_edits_do_not_run_automations() {
    let mut ws = workspace();
    automation(
        &mut ws,
        "Welcome",
        AutomationDef {
            object: "people".into(),
            trigger: Trigger::Created,
            condition: None,
            actions: vec![Action::CreateTask {
                title: "Hi {name}".into(),
                due_in_days: None,
                object: None,
            }],
        },
    );
    let people = ws.object_named("people").unwrap().id;
    let name = ws.field_named(people, "name").unwrap().id;
    ws.create_record_with(
        people,
        vec![(name, Some(kith_core::Value::Text("Imported".into())))],
        "import:x",
    )
    .unwrap();
    assert!(tasks(&ws).is_empty());
    add(&mut ws, "people", &[("name", "Typed")]);
    assert_eq!(tasks(&ws).len(), 1);
}

#[test]
fn action_values_and_conditions_may_be_formulas_over_the_triggering_record() {
    let mut ws = workspace();
    automation(
        &mut ws,
        "Double",
        AutomationDef {
            object: "deals".into(),
            trigger: Trigger::Changed {
                field: "amount".into(),
                from: None,
                to: None,
            },
            condition: Some("= amount > 100 and name != \"skip\"".into()),
            actions: vec![Action::Set(pairs(&[("probability", "= amount / 100")]))],
        },
    );
    let deal = add(&mut ws, "deals", &[("name", "D"), ("amount", "10")]);
    set(&mut ws, deal, &[("amount", "50")]);
    assert_eq!(value(&ws, deal, "probability"), "");
    set(&mut ws, deal, &[("amount", "2000")]);
    let runs = ws.automation_runs(None, 10).unwrap();
    assert_eq!(value(&ws, deal, "probability"), "20", "{runs:#?}");
    let mut bad = won_deal_rule();
    bad.actions = vec![Action::Set(pairs(&[("probability", "= amount +")]))];
    assert!(ws.create_automation("Broken", &bad).is_err());
}
