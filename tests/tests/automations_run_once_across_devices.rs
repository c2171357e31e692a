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
            object: None,
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

fn close_reminder() -> AutomationDef {
    AutomationDef {
        object: "deals".into(),
        trigger: Trigger::Date {
            field: "close_date".into(),
            offset_days: -3,
        },
        condition: None,
        actions: vec![Action::CreateTask {
            title: "Prepare closing {name}".into(),
            due_in_days: Some(3),
            object: None,
        }],
    }
}

/// The devices' clock in the date-trigger tests: fixed at noon UTC, so the automation's
/// creation, the deals' close dates and the tick fall on one day (with the wall clock, a
/// run crossing midnight put them on two).
fn noon() -> i64 {
    1_700_049_600_000 // 2023-11-15T12:00:00Z
}

/// A deal closing `days` after the date of `now`.
fn add_deal_closing_in(ws: &mut Workspace, name: &str, days: i32, now: i64) -> RecordId {
    let deals = ws.object_named("deals").unwrap().id;
    let close = kith_core::time_fmt::format_date(kith_core::time_fmt::date_of(now) + days);
    let values = ws
        .parse_values(
            deals,
            &[
                ("name".to_string(), name.to_string()),
                ("close_date".to_string(), close),
            ],
        )
        .unwrap();
    ws.create_record(deals, values).unwrap()
}

#[test]
fn a_date_trigger_run_on_two_offline_devices_makes_one_set_of_records() {
    let mut h = Harness::new(42);
    let a = h.add_founder("ana");
    let b = h.add_joiner("bo", Role::Member);
    h.run_until_quiescent();
    h.ws(a).set_clock(noon);
    h.ws(b).set_clock(noon);
    let now = noon();
    h.ws(a).create_automation("Closing soon", &close_reminder()).unwrap();
    add_deal_closing_in(h.ws(a), "Big", 3, now);
    add_deal_closing_in(h.ws(a), "Later", 10, now);
    h.local_change(a);
    h.run_until_quiescent();

    h.go_offline(&[a, b]);
    let on_a = h.ws(a).automation_tick(now).unwrap();
    let on_b = h.ws(b).automation_tick(now).unwrap();
    assert_eq!(on_a.len(), 1, "only the deal closing in 3 days");
    assert_eq!(on_b.len(), 1);
    assert_eq!(on_a[0].run, on_b[0].run, "both devices derive the same run");
    assert_eq!(tasks(h.ws(a)), tasks(h.ws(b)), "and the same task");
    // Once per record and date.
    assert!(h.ws(a).automation_tick(now).unwrap().is_empty());

    h.reconnect_and_settle(&[a, b]);
    h.assert_converged();
    let made = tasks(h.ws(a));
    assert_eq!(made.len(), 1);
    let task = h.ws(b).record(made[0]).unwrap();
    assert!(task.cells.iter().any(|c| c.display == "Prepare closing Big"));
}

#[test]
fn a_device_that_received_a_date_run_does_not_run_it_again() {
    let mut h = Harness::new(43);
    let a = h.add_founder("ana");
    let b = h.add_joiner("bo", Role::Member);
    h.run_until_quiescent();
    h.ws(a).set_clock(noon);
    h.ws(b).set_clock(noon);
    let now = noon();
    h.ws(a).create_automation("Closing soon", &close_reminder()).unwrap();
    add_deal_closing_in(h.ws(a), "Big", 3, now);
    // Its point (yesterday) was reached before the automation existed: not run.
    add_deal_closing_in(h.ws(a), "Past", 2, now);
    assert_eq!(h.ws(a).automation_tick(now).unwrap().len(), 1);
    h.local_change(a);
    h.run_until_quiescent();
    assert!(h.ws(b).automation_tick(now).unwrap().is_empty());
    h.assert_converged();
    assert_eq!(tasks(h.ws(b)).len(), 1);
}
