//! `kith automation`: add by flags or from a JSON file, list, dry run, the run log, manual
//! runs, reverting a run, enable/disable, the date tick.

mod support;

use support::{Kith, assert_one_line_error, path_str};

fn add_deal(kith: &Kith, name: &str, extra: &[&str]) -> String {
    let mut args = vec!["record", "add", "deals"];
    let name = format!("name={name}");
    args.push(&name);
    args.extend_from_slice(extra);
    kith.json(&args)["id"].as_str().unwrap().to_string()
}

#[test]
fn an_automation_added_by_flags_runs_on_an_edit_and_its_run_can_be_reverted() {
    let kith = Kith::init();
    kith.ok(&[
        "automation",
        "add",
        "Won deals",
        "--object",
        "deals",
        "--on",
        "changed:stage",
        "--new",
        "Won",
        "--if",
        "amount > 1000",
        "--set",
        "probability=100",
        "--create-task",
        "Invoice {name}",
        "--due-in",
        "3",
    ]);
    let list = kith.ok(&["automation", "list"]);
    assert!(
        list.contains("Won deals") && list.contains("stage changed to 'Won'"),
        "{list}"
    );

    let deal = add_deal(&kith, "Big", &["amount=5000", "stage=Lead"]);
    let dry = kith.ok(&["automation", "test", "Won deals", "--record", &deal]);
    assert!(
        dry.contains("nothing was written") && dry.contains("Invoice Big"),
        "{dry}"
    );
    assert!(!kith.ok(&["record", "list", "tasks"]).contains("Invoice"));

    kith.ok(&["record", "update", &deal, "stage=Won"]);
    assert!(kith.ok(&["record", "list", "tasks"]).contains("Invoice Big"));
    let runs = kith.json(&["automation", "runs"]);
    let run = runs[0]["run"].as_str().unwrap().to_string();
    assert_eq!(runs[0]["status"], "ok");

    kith.ok(&["automation", "revert", &run]);
    assert!(!kith.ok(&["record", "list", "tasks"]).contains("Invoice Big"));
    let shown = kith.ok(&["record", "get", &deal]);
    assert!(shown.contains("Won"), "the edit stays: {shown}");

    kith.ok(&["automation", "disable", "Won deals"]);
    assert!(kith.ok(&["automation", "list"]).contains("no"));
    kith.ok(&["automation", "remove", "Won deals"]);
    assert!(kith.ok(&["automation", "list"]).contains("no automations yet"));
}

#[test]
fn an_automation_from_a_json_file_runs_manually_and_on_the_date_tick() {
    let kith = Kith::init();
    let file = kith.write(
        "rule.json",
        br#"{"object":"deals","trigger":"manual","actions":[{"create_task":{"title":"Call {name}"}}]}"#,
    );
    kith.ok(&["automation", "add", "Call", "--from", path_str(&file)]);
    let deal = add_deal(&kith, "Acme", &["close_date=2030-06-10"]);
    let ran = kith.ok(&["automation", "run", "Call", "--record", &deal]);
    assert!(ran.contains("ok"), "{ran}");
    assert!(kith.ok(&["record", "list", "tasks"]).contains("Call Acme"));

    kith.ok(&[
        "automation",
        "add",
        "Closing",
        "--object",
        "deals",
        "--on",
        "date:close_date-3",
        "--create-task",
        "Close {name}",
    ]);
    assert!(
        kith.ok(&["automation", "tick", "--now", "2030-06-06T09:00:00Z"])
            .contains("no date-triggered")
    );
    let ticked = kith.ok(&["automation", "tick", "--now", "2030-06-07T09:00:00Z"]);
    assert!(ticked.contains("3 days before close_date"), "{ticked}");
    assert!(
        kith.ok(&["automation", "tick", "--now", "2030-06-08T09:00:00Z"])
            .contains("no date-triggered")
    );
    assert!(kith.ok(&["record", "list", "tasks"]).contains("Close Acme"));
}

#[test]
fn bad_definitions_are_one_line_errors_that_change_nothing() {
    let kith = Kith::init();
    for args in [
        &[
            "automation",
            "add",
            "X",
            "--object",
            "deals",
            "--on",
            "sometimes",
            "--set",
            "name=x",
        ][..],
        &["automation", "add", "X", "--object", "deals", "--on", "created"],
        &[
            "automation",
            "add",
            "X",
            "--object",
            "deals",
            "--on",
            "changed:nope",
            "--set",
            "name=x",
        ],
        &[
            "automation",
            "add",
            "X",
            "--object",
            "deals",
            "--on",
            "created",
            "--if",
            "nope > 1",
            "--set",
            "name=x",
        ],
        &["automation", "add", "X", "--from", "/no/such/file.json"],
        &["automation", "runs", "nobody"],
        &["automation", "revert", "0000"],
    ] {
        assert_one_line_error(&kith.fails(args));
    }
    assert!(kith.ok(&["automation", "list"]).contains("no automations yet"));
}

#[test]
fn a_create_task_automation_keeps_making_tasks_after_the_tasks_object_is_renamed() {
    let kith = Kith::init();
    kith.ok(&[
        "automation",
        "add",
        "Invoices",
        "--object",
        "deals",
        "--on",
        "changed:stage",
        "--new",
        "Won",
        "--create-task",
        "Invoice {name}",
    ]);
    kith.ok(&["object", "rename", "tasks", "--key", "todos"]);
    let deal = add_deal(&kith, "Big", &["stage=Lead"]);
    kith.ok(&["record", "update", &deal, "stage=Won"]);
    assert!(kith.ok(&["record", "list", "todos"]).contains("Invoice Big"));
    let shown = kith.json(&["automation", "show", "Invoices"]);
    assert!(shown.to_string().contains(r#""object":"todos""#), "{shown}");

    // A new title on edit keeps the object the task goes to; --task-object moves it.
    kith.ok(&["automation", "edit", "Invoices", "--create-task", "Bill {name}"]);
    let deal = add_deal(&kith, "Bigger", &["stage=Lead"]);
    kith.ok(&["record", "update", &deal, "stage=Won"]);
    assert!(kith.ok(&["record", "list", "todos"]).contains("Bill Bigger"));
    kith.ok(&[
        "automation",
        "edit",
        "Invoices",
        "--create-task",
        "Account {name}",
        "--task-object",
        "companies",
    ]);
    let deal = add_deal(&kith, "Biggest", &["stage=Lead"]);
    kith.ok(&["record", "update", &deal, "stage=Won"]);
    // (companies has no `title`: the task's title goes to its display field, `name`.)
    assert!(kith.ok(&["record", "list", "companies"]).contains("Account Biggest"));
}
