//! An automation runs on the device that makes the triggering change, offline too, and
//! never again on the devices its results reach by sync; those list the run in their
//! run log and can revert it.

use kith_core::automation::{Action, AutomationDef, Trigger};
use kith_core::sync::protocol::Role;
use kith_core::{Query, RecordId, RunStatus, Workspace};
use kith_tests::Harness;

fn welcome_task() -> AutomationDef {
    AutomationDef {
        object: "people".into(),
        trigger: Trigger::Created,
        condition: None,
        actions: vec![Action::CreateTask {
            title: "Welcome {name}".into(),
            due_in_days: None,
        }],
    }
}

fn add_person(ws: &mut Workspace, name: &str) -> RecordId {
    let people = ws.object_named("people").unwrap().id;
    let values = ws
        .parse_values(people, &[("name".to_string(), name.to_string())])
        .unwrap();
    ws.create_record(people, values).unwrap()
}

fn tasks(ws: &mut Workspace) -> Vec<RecordId> {
    let tasks = ws.object_named("tasks").unwrap().id;
    ws.query(&Query::new(tasks)).unwrap().ids
}

#[test]
fn an_automation_created_and_fired_offline_reaches_another_device_without_firing_there() {
    let mut h = Harness::new(41);
    let a = h.add_founder("ana");
    let b = h.add_joiner("bo", Role::Member);
    h.run_until_quiescent();
    h.go_offline(&[a]);

    h.ws(a).create_automation("Welcome", &welcome_task()).unwrap();
    let ada = add_person(h.ws(a), "Ada");
    assert_eq!(tasks(h.ws(a)).len(), 1, "it ran offline");

    h.reconnect_and_settle(&[a]);
    h.assert_converged();
    // B received the person, the task and the automation: it did not run it again.
    assert_eq!(tasks(h.ws(b)).len(), 1);
    assert_eq!(tasks(h.ws(a)).len(), 1);
    assert_eq!(h.ws(b).automations().unwrap().len(), 1);
    let runs = h.ws(b).automation_runs(None, 10).unwrap();
    assert_eq!(runs.len(), 1);
    assert!(runs[0].remote);
    assert_eq!(runs[0].status, RunStatus::Ok);
    assert_eq!(runs[0].by, "ana");

    // B creating a person runs it on B, once, and A only receives the result.
    add_person(h.ws(b), "Bob");
    h.local_change(b);
    h.run_until_quiescent();
    h.assert_converged();
    assert_eq!(tasks(h.ws(a)).len(), 2);
    assert_eq!(tasks(h.ws(b)).len(), 2);

    // A run made on A can be reverted on B; the revert reaches A.
    let run = runs[0].run.to_string();
    h.ws(b).revert_automation_run(&run, false).unwrap();
    h.local_change(b);
    h.run_until_quiescent();
    h.assert_converged();
    assert_eq!(tasks(h.ws(a)).len(), 1);
    let _ = ada;
}
