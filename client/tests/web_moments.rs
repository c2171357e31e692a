//! Every page shows a moment the same way: a `<time>` element with the exact instant in
//! `datetime` and readable UTC in its text (the page script shows it in the reader's own
//! time zone), never a bare RFC 3339 string.

mod web_support;

use std::collections::BTreeMap;

use kith_core::automation::{Action, AutomationDef, Trigger};
use kith_core::report::ReportSpec;
use web_support::{TestServer, add, workspace};

/// 2023-11-14T22:13:20Z, every commit's time.
fn fixed() -> i64 {
    1_700_000_000_000
}

const MOMENT: &str =
    r#"<time datetime="2023-11-14T22:13:20Z" title="2023-11-14T22:13:20Z">2023-11-14 22:13 UTC</time>"#;

/// The page shows the moment as a `<time>`, and nowhere as bare text.
fn shows_the_moment(body: &str) {
    assert!(body.contains(MOMENT), "{body}");
    assert_eq!(
        body.matches("2023-11-14T22:13:20Z").count(),
        2 * body.matches(MOMENT).count(),
        "only inside <time>'s attributes: {body}"
    );
}

#[test]
fn the_report_history_and_the_automation_run_log_show_times_as_time_elements() {
    let (_dir, mut ws) = workspace();
    ws.set_clock(fixed);
    let spec = ReportSpec {
        object: "deals".into(),
        filter: String::new(),
        group_by: vec!["stage".into()],
        measures: vec!["count".into()],
        chart: String::new(),
    };
    let def = ws.report_from_spec(&spec).expect("a report");
    let report = ws.create_report("Pipeline", &def).expect("saved");
    let welcome = AutomationDef {
        object: "people".into(),
        trigger: Trigger::Created,
        condition: None,
        actions: vec![Action::Set(BTreeMap::from([("city".to_string(), "Oslo".to_string())]))],
    };
    ws.create_automation("Welcome", &welcome).expect("an automation");
    add(&mut ws, "people", &[("name", "Ann")]);
    let server = TestServer::start(ws);

    let page = server.get(&format!("/reports/{report}"));
    assert_eq!(page.status, 200, "{}", page.body);
    shows_the_moment(&page.body);
    let runs = server.get("/automations/runs");
    assert_eq!(runs.status, 200, "{}", runs.body);
    assert!(runs.body.contains("Welcome"), "{}", runs.body);
    shows_the_moment(&runs.body);
}

#[test]
fn a_record_as_it_was_names_its_moment_as_a_time_element() {
    let (_dir, mut ws) = workspace();
    ws.set_clock(fixed);
    let ann = add(&mut ws, "people", &[("name", "Ann")]);
    let server = TestServer::start(ws);
    let then = server.get(&format!("/r/{ann}?at=2023-11-14T22:13:20Z"));
    assert_eq!(then.status, 200, "{}", then.body);
    assert!(then.body.contains(&format!("As it was at {MOMENT}")), "{}", then.body);
}
