//! Saved reports and dashboards are configuration documents: every edit is one change in
//! their history (writing only what changed) and can be reverted; removing archives;
//! definitions that cannot run are refused and change nothing.

use kith_core::report::{ChartKind, ReportSpec};
use kith_core::{CreateOptions, Error, ReportError, Workspace};

fn spec(group_by: &[&str], measures: &[&str]) -> ReportSpec {
    ReportSpec {
        object: "deals".into(),
        filter: String::new(),
        group_by: group_by.iter().map(|s| s.to_string()).collect(),
        measures: measures.iter().map(|s| s.to_string()).collect(),
        chart: String::new(),
    }
}

fn workspace() -> Workspace {
    Workspace::in_memory(CreateOptions::new("ada")).unwrap()
}

#[test]
fn a_spec_written_with_names_reads_back_the_same_way() {
    let ws = workspace();
    let mut s = spec(
        &["stage", "close_date:month"],
        &["count", "sum:amount", "avg:probability"],
    );
    s.filter = "stage != lost".into();
    s.chart = "stacked".into();
    let def = ws.report_from_spec(&s).unwrap();
    assert_eq!(def.chart, ChartKind::Stacked);
    let back = ws.report_spec(&def);
    assert_eq!(back.group_by, s.group_by);
    assert_eq!(back.measures, s.measures);
    assert_eq!(back.filter, "stage != Lost", "options shown by their current label");
    assert_eq!(back.chart, "stacked");
}

#[test]
fn each_report_edit_is_one_change_of_what_differs_and_can_be_reverted() {
    let mut ws = workspace();
    let def = ws.report_from_spec(&spec(&["stage"], &["count"])).unwrap();
    let id = ws.create_report("Pipeline", &def).unwrap();
    let wider = ws
        .report_from_spec(&spec(&["stage"], &["count", "sum:amount"]))
        .unwrap();
    let change = ws.update_report(id, None, &wider).unwrap().unwrap();
    let history = ws.report_history(id).unwrap();
    assert_eq!(history.len(), 2);
    assert!(history[0].created);
    let diffs = &history[1].diffs;
    assert_eq!(diffs.len(), 1, "{diffs:?}");
    assert_eq!(diffs[0].what, "measures");
    assert_eq!(diffs[0].new.as_deref(), Some("count sum:amount"), "ids read as keys");
    // The same definition again is no change at all.
    assert_eq!(ws.update_report(id, Some("Pipeline"), &wider).unwrap(), None);

    ws.revert_change(&change, false).unwrap();
    assert_eq!(ws.report("pipeline").unwrap().def, def);

    let removed = ws.remove_report(id).unwrap().unwrap();
    assert!(ws.reports().unwrap().is_empty());
    assert!(matches!(
        ws.report("Pipeline"),
        Err(Error::Report(ReportError::UnknownReport(_)))
    ));
    ws.revert_change(&removed, false).unwrap();
    assert_eq!(ws.reports().unwrap().len(), 1);
}

#[test]
fn definitions_that_cannot_run_are_refused_and_write_nothing() {
    let mut ws = workspace();
    let good = ws.report_from_spec(&spec(&["stage"], &["count"])).unwrap();
    ws.create_report("Taken", &good).unwrap();
    let outbox = ws.outbox_len().unwrap();
    let refused = [
        spec(&["stage", "company", "close_date"], &["count"]),
        spec(&["stage:month"], &["count"]),
        spec(&["name"], &["count"]),
        spec(&["close_date:fortnight"], &["count"]),
        spec(&["stage"], &["sum:name"]),
        spec(&["stage"], &["median:amount"]),
        spec(&["nope"], &["count"]),
        ReportSpec {
            chart: "donut".into(),
            ..spec(&["stage"], &["count"])
        },
        ReportSpec {
            filter: "amount >".into(),
            ..spec(&["stage"], &["count"])
        },
    ];
    for s in &refused {
        assert!(ws.report_from_spec(s).is_err(), "{s:?} should be refused");
    }
    assert!(matches!(
        ws.create_report("taken", &good),
        Err(Error::Report(ReportError::NameTaken(_)))
    ));
    assert!(matches!(
        ws.create_report("  ", &good),
        Err(Error::Report(ReportError::EmptyName))
    ));
    assert_eq!(ws.outbox_len().unwrap(), outbox);
}

#[test]
fn a_dashboard_keeps_its_reports_in_order_and_its_edits_revert() {
    let mut ws = workspace();
    let a = ws
        .create_report("A", &ws.report_from_spec(&spec(&["stage"], &["count"])).unwrap())
        .unwrap();
    let b = ws
        .create_report("B", &ws.report_from_spec(&spec(&["company"], &["count"])).unwrap())
        .unwrap();
    let id = ws.create_dashboard("Sales", &[b, a]).unwrap();
    assert_eq!(ws.dashboard("sales").unwrap().reports, vec![b, a]);
    let change = ws.update_dashboard(id, Some("Team"), Some(&[a])).unwrap().unwrap();
    let d = ws.dashboard("Team").unwrap();
    assert_eq!(d.reports, vec![a]);
    ws.revert_change(&change, false).unwrap();
    let d = ws.dashboard("Sales").unwrap();
    assert_eq!(d.reports, vec![b, a]);
    ws.remove_dashboard(id).unwrap();
    assert!(ws.dashboards().unwrap().is_empty());
}
