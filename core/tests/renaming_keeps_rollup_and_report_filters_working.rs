//! Rollup and report filters store the fields and options they name by id: renaming a
//! field key, an object key or an option keeps what they select, and they are shown with
//! the new names. A filter on a field that was archived fails with a clear sentence.

use kith_core::ComputedSpec;
use kith_core::report::ReportSpec;
use kith_core::{CreateOptions, RecordId, Workspace};

fn workspace() -> Workspace {
    Workspace::in_memory(CreateOptions::new("ada")).unwrap()
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
    let record = ws.record(id).unwrap();
    record
        .cells
        .iter()
        .find(|c| c.key == field)
        .map(|c| c.display.clone())
        .unwrap_or_default()
}

/// Renames deals to opportunities, deals.stage to phase and the option Won to Closed won.
fn rename_deals_stage_and_won(ws: &mut Workspace) {
    let deals = ws.object_named("deals").unwrap().id;
    let stage = ws.field_named(deals, "stage").unwrap().id;
    ws.rename_field(deals, stage, Some("Phase"), Some("phase")).unwrap();
    ws.rename_option(deals, stage, "Won", "Closed won").unwrap();
    ws.rename_object(deals, Some("Opportunities"), Some("opportunities"))
        .unwrap();
}

#[test]
fn a_rollup_with_a_filter_computes_the_same_after_its_fields_object_and_option_are_renamed() {
    let mut ws = workspace();
    let companies = ws.object_named("companies").unwrap().id;
    ws.add_computed_field(
        companies,
        "won_amount",
        "Won amount",
        &ComputedSpec::Rollup("deals.amount sum where stage = Won and amount > 100".into()),
    )
    .unwrap();
    let acme = add(&mut ws, "companies", &[("name", "Acme")]);
    let a = acme.to_string();
    add(
        &mut ws,
        "deals",
        &[("name", "A"), ("amount", "500"), ("stage", "Won"), ("company", &a)],
    );
    let b = add(
        &mut ws,
        "deals",
        &[("name", "B"), ("amount", "300"), ("stage", "Lead"), ("company", &a)],
    );
    add(
        &mut ws,
        "deals",
        &[("name", "C"), ("amount", "50"), ("stage", "Won"), ("company", &a)],
    );
    assert_eq!(shown(&ws, acme, "won_amount"), "500.00 USD");

    rename_deals_stage_and_won(&mut ws);
    assert_eq!(shown(&ws, acme, "won_amount"), "500.00 USD");
    // A later edit recomputes it through the renamed field and option.
    set(&mut ws, b, &[("phase", "Closed won")]);
    assert_eq!(shown(&ws, acme, "won_amount"), "800.00 USD");

    let field = ws.field_named(companies, "won_amount").unwrap().id;
    let source = ws.computed_source(companies, field).unwrap();
    assert!(
        source.ends_with("where phase = \"Closed won\" and amount > 100"),
        "{source}"
    );
}

fn won_report(filter: &str) -> ReportSpec {
    ReportSpec {
        object: "deals".into(),
        filter: filter.into(),
        group_by: vec!["company".into()],
        measures: vec!["count".into(), "sum:amount".into()],
        chart: String::new(),
    }
}

#[test]
fn a_report_with_a_filter_gives_the_same_numbers_and_shows_the_new_names_after_renames() {
    let mut ws = workspace();
    let acme = add(&mut ws, "companies", &[("name", "Acme")]).to_string();
    add(
        &mut ws,
        "deals",
        &[("name", "A"), ("amount", "500"), ("stage", "Won"), ("company", &acme)],
    );
    add(
        &mut ws,
        "deals",
        &[("name", "B"), ("amount", "300"), ("stage", "Lead"), ("company", &acme)],
    );
    add(&mut ws, "deals", &[("name", "C"), ("amount", "70"), ("stage", "Won")]);
    let def = ws.report_from_spec(&won_report("Stage = won")).unwrap();
    let id = ws.create_report("Won by company", &def).unwrap();
    let before = ws.run_report(&ws.report("Won by company").unwrap().def).unwrap();

    rename_deals_stage_and_won(&mut ws);
    let report = ws.report("Won by company").unwrap();
    let after = ws.run_report(&report.def).unwrap();
    assert_eq!(
        (after.rows, after.totals, after.object),
        (before.rows, before.totals, "opportunities".into())
    );
    let spec = ws.report_spec(&report.def);
    assert_eq!(spec.object, "opportunities");
    assert_eq!(spec.filter, "phase = \"Closed won\"");

    // Edited with today's names, it is stored by id again and still runs the same.
    let mut edited = spec.clone();
    edited.measures = vec!["count".into()];
    let def = ws.report_from_spec(&edited).unwrap();
    ws.update_report(id, None, &def).unwrap();
    let history = ws.report_history(id).unwrap();
    assert_eq!(
        history[0]
            .diffs
            .iter()
            .find(|d| d.what == "filter")
            .and_then(|d| d.new.clone())
            .as_deref(),
        Some("phase = \"Closed won\"")
    );
}

#[test]
fn a_report_saved_with_names_by_an_older_version_still_runs() {
    let mut ws = workspace();
    add(&mut ws, "deals", &[("name", "A"), ("amount", "500"), ("stage", "Won")]);
    add(&mut ws, "deals", &[("name", "B"), ("amount", "300"), ("stage", "Lead")]);
    let mut def = ws.report_from_spec(&won_report("")).unwrap();
    def.filter = "stage = Won".into();
    ws.create_report("Old", &def).unwrap();
    let report = ws.report("Old").unwrap();
    assert_eq!(report.def.filter, "stage = Won");
    assert_eq!(ws.report_spec(&report.def).filter, "stage = Won");
    let result = ws.run_report(&report.def).unwrap();
    let all = ws.run_report(&ws.report_from_spec(&won_report("")).unwrap()).unwrap();
    assert_ne!(result, all, "the name-form filter still filters");
}

#[test]
fn a_report_filtering_on_an_archived_field_fails_with_a_clear_sentence() {
    let mut ws = workspace();
    add(&mut ws, "deals", &[("name", "A"), ("amount", "500"), ("stage", "Won")]);
    let def = ws.report_from_spec(&won_report("stage = Won")).unwrap();
    ws.create_report("Won", &def).unwrap();
    let deals = ws.object_named("deals").unwrap().id;
    let stage = ws.field_named(deals, "stage").unwrap().id;
    ws.set_field_archived(deals, stage, true).unwrap();
    let err = ws.run_report(&ws.report("Won").unwrap().def).unwrap_err().to_string();
    assert!(err.contains("deals.stage") && err.contains("archived"), "{err}");
}
