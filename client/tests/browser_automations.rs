//! The automation pages in a real (headless) Chromium: an automation made in the editor
//! runs when a record is edited, shows in the run log and is reverted from there; a
//! manual automation is run from its button on the record page; one is switched off.

mod browser_support;
mod web_support;

use browser_support::{Browser, docs_screenshot};
use web_support::{TestServer, add, workspace};

#[test]
fn an_automation_made_in_the_editor_runs_on_an_edit_and_its_run_is_reverted_from_the_log() {
    let (_dir, mut ws) = workspace();
    let deal = add(
        &mut ws,
        "deals",
        &[("name", "Big"), ("amount", "5000"), ("stage", "Lead")],
    );
    let server = TestServer::start(ws);
    let mut b = Browser::launch("automations", 1280, 900);

    b.goto(&server.url("/automations"));
    assert!(b.text("main").contains("No automations yet"));
    b.and_wait(
        "const f = document.querySelector('form.automation-editor');
         f.name.value = 'Won deals'; f.object.value = 'deals'; f.trigger.value = 'changed';
         f.field.value = 'stage'; f.new.value = 'Won'; f.condition.value = 'amount > 1000';
         f.set.value = 'probability=100'; f.task.value = 'Invoice {name}'; f.task_due.value = '3';
         f.requestSubmit();",
    );
    b.wait_for_text(".toast", "Automation added");
    assert_eq!(
        b.eval("document.querySelector('form.automation-editor').field.value"),
        "stage"
    );

    b.goto(&server.url(&format!("/r/{deal}")));
    b.and_wait("const i = document.getElementById('f-stage'); i.value = 'Won'; i.form.requestSubmit();");
    b.wait_for_text(".toast", "Saved");
    assert_eq!(b.eval("document.getElementById('f-probability').value"), "100");

    b.goto(&server.url("/automations/runs"));
    assert!(b.text("table.runs").contains("Invoice Big"), "{}", b.text("main"));
    b.screenshot(&docs_screenshot("automation_runs.png"));
    b.and_wait("document.querySelector('table.runs form button').click()");
    b.wait_for_text(".toast", "Run reverted");
    b.goto(&server.url(&format!("/r/{deal}")));
    assert_eq!(b.eval("document.getElementById('f-probability').value"), "");

    b.goto(&server.url("/automations"));
    b.and_wait("document.querySelector('table.automations td form button').click()");
    b.wait_for_text(".toast", "Automation disabled");
    assert!(b.text("table.automations").contains("Off"));
}

#[test]
fn a_manual_automation_runs_from_its_button_on_the_record_page() {
    let (_dir, mut ws) = workspace();
    let ann = add(&mut ws, "people", &[("name", "Ann Lee")]);
    let server = TestServer::start(ws);
    let mut b = Browser::launch("automation_manual", 1280, 900);
    b.goto(&server.url("/automations"));
    b.and_wait(
        "const f = document.querySelector('form.automation-editor');
         f.name.value = 'Call back'; f.object.value = 'people'; f.trigger.value = 'manual';
         f.task.value = 'Call {name}'; f.requestSubmit();",
    );
    b.wait_for_text(".toast", "Automation added");
    b.screenshot(&docs_screenshot("automation_editor.png"));
    b.goto(&server.url(&format!("/r/{ann}")));
    b.and_wait("document.querySelector('section.automations button').click()");
    b.wait_for_text(".toast", "Ran: create task 'Call Ann Lee'");
    b.goto(&server.url("/o/tasks"));
    assert!(b.text("main").contains("Call Ann Lee"));
}
