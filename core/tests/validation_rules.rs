//! Validation rules: a condition records of an object must meet to be saved. A write that
//! breaks one is refused with the rule's message and writes nothing; rules are synced
//! configuration documents with history and revert.

use kith_core::{CreateOptions, Error, GroupId, ImportOptions, ImportRow, ObjectId, RecordId, Workspace};

const WON_NEEDS_DATE: &str = "stage != \"Won\" or not is_empty(close_date)";
const MESSAGE: &str = "Close date is required when Stage is Won";

fn inputs(values: &[(&str, &str)]) -> Vec<(String, String)> {
    values.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn setup() -> (Workspace, ObjectId) {
    let mut ws = Workspace::in_memory(CreateOptions::new("ada")).unwrap();
    let deals = ws.object_named("deals").unwrap().id;
    ws.add_rule(deals, WON_NEEDS_DATE, MESSAGE, &[]).unwrap();
    (ws, deals)
}

fn create(ws: &mut Workspace, object: ObjectId, values: &[(&str, &str)]) -> Result<RecordId, Error> {
    let values = ws.parse_values(object, &inputs(values))?;
    ws.create_record(object, values)
}

fn snapshot(ws: &Workspace) -> (Vec<kith_core::DerivedEntry>, u64) {
    (ws.dump_derived().unwrap(), ws.outbox_len().unwrap())
}

fn assert_refused_by_the_rule(err: &Error) {
    let Error::RuleBroken {
        object,
        fields,
        message,
    } = err
    else {
        panic!("{err:?}")
    };
    assert_eq!((object.as_str(), message.as_str()), ("deals", MESSAGE));
    // With no fields named, the message goes beside the fields the condition reads.
    assert_eq!(fields, &["stage".to_string(), "close_date".to_string()]);
    assert!(err.to_string().contains(MESSAGE), "{err}");
}

#[test]
fn a_new_record_that_breaks_a_rule_is_refused_with_its_message_and_nothing_is_written() {
    let (mut ws, deals) = setup();
    let before = snapshot(&ws);
    let err = create(&mut ws, deals, &[("name", "Big one"), ("stage", "Won")]).unwrap_err();
    assert_refused_by_the_rule(&err);
    assert_eq!(snapshot(&ws), before);
    create(
        &mut ws,
        deals,
        &[("name", "Big one"), ("stage", "Won"), ("close_date", "2026-03-01")],
    )
    .unwrap();
    create(&mut ws, deals, &[("name", "Small one"), ("stage", "Lead")]).unwrap();
}

#[test]
fn an_update_that_breaks_a_rule_is_refused_and_the_record_keeps_its_values() {
    let (mut ws, deals) = setup();
    let id = create(
        &mut ws,
        deals,
        &[("name", "Deal"), ("stage", "Won"), ("close_date", "2026-03-01")],
    )
    .unwrap();
    let before = snapshot(&ws);
    let clear = ws.parse_values(deals, &inputs(&[("close_date", "")])).unwrap();
    assert_refused_by_the_rule(&ws.update_record(id, clear.clone()).unwrap_err());
    assert_eq!(snapshot(&ws), before);
    // The next edit of the same record starts from what is stored, not the refused change.
    let lost = ws.parse_values(deals, &inputs(&[("stage", "Lost")])).unwrap();
    ws.update_record(id, lost).unwrap();
    ws.update_record(id, clear).unwrap();
    let view = ws.record(id).unwrap();
    let cell = |key: &str| view.cells.iter().find(|c| c.key == key).unwrap().display.clone();
    assert_eq!((cell("stage"), cell("close_date")), ("Lost".into(), String::new()));
}

#[test]
fn a_disabled_rule_is_not_enforced_and_a_removed_one_neither() {
    let (mut ws, deals) = setup();
    let rule = ws.rules(Some(deals)).unwrap()[0].id;
    ws.set_rule_enabled(rule, false).unwrap();
    create(&mut ws, deals, &[("name", "A"), ("stage", "Won")]).unwrap();
    ws.set_rule_enabled(rule, true).unwrap();
    assert!(create(&mut ws, deals, &[("name", "B"), ("stage", "Won")]).is_err());
    ws.remove_rule(rule).unwrap();
    assert!(ws.rules(Some(deals)).unwrap()[0].archived);
    create(&mut ws, deals, &[("name", "C"), ("stage", "Won")]).unwrap();
}

#[test]
fn bulk_edits_imports_and_restores_are_checked_too() {
    let (mut ws, deals) = setup();
    let id = create(&mut ws, deals, &[("name", "Open"), ("stage", "Lead")]).unwrap();
    let won = ws.parse_values(deals, &inputs(&[("stage", "Won")])).unwrap();
    assert_refused_by_the_rule(&ws.bulk_update(deals, None, won).unwrap_err());

    let good = ws
        .parse_values(
            deals,
            &inputs(&[("name", "Good"), ("stage", "Won"), ("close_date", "2026-01-01")]),
        )
        .unwrap();
    let bad = ws
        .parse_values(deals, &inputs(&[("name", "Bad"), ("stage", "Won")]))
        .unwrap();
    let rows = vec![
        ImportRow { id: None, values: good },
        ImportRow { id: None, values: bad },
    ];
    let options = ImportOptions {
        strict: false,
        group: GroupId::new(),
    };
    let report = ws.import_records(deals, rows, &options, &mut |_| {}).unwrap();
    assert_eq!(report.created.len(), 1);
    assert_eq!(report.errors.len(), 1);
    assert_eq!(report.errors[0].index, 1);
    assert_refused_by_the_rule(&report.errors[0].error);

    // A record trashed, then a rule it breaks: it cannot come back as it is.
    ws.delete_record(id).unwrap();
    let rule = ws.rules(Some(deals)).unwrap()[0].id;
    ws.edit_rule(rule, Some("stage != \"Lead\""), Some("No more leads"), None)
        .unwrap();
    let err = ws.restore_record(id).unwrap_err();
    assert!(
        matches!(&err, Error::RuleBroken { message, .. } if message == "No more leads"),
        "{err:?}"
    );
    let qualified = ws.parse_values(deals, &inputs(&[("stage", "Qualified")])).unwrap();
    ws.restore_record_with(id, qualified).unwrap();
}

#[test]
fn a_rule_condition_can_look_up_a_related_record() {
    let mut ws = Workspace::in_memory(CreateOptions::new("ada")).unwrap();
    let deals = ws.object_named("deals").unwrap().id;
    let companies = ws.object_named("companies").unwrap().id;
    ws.add_rule(
        deals,
        "is_empty(amount) or company.employees >= 10",
        "Deals with an amount need a company of 10 or more",
        &[],
    )
    .unwrap();
    create(&mut ws, companies, &[("name", "Tiny"), ("employees", "3")]).unwrap();
    create(&mut ws, companies, &[("name", "Large"), ("employees", "300")]).unwrap();
    let err = create(
        &mut ws,
        deals,
        &[("name", "D"), ("amount", "100 EUR"), ("company", "Tiny")],
    )
    .unwrap_err();
    assert!(matches!(err, Error::RuleBroken { .. }), "{err:?}");
    create(
        &mut ws,
        deals,
        &[("name", "D"), ("amount", "100 EUR"), ("company", "Large")],
    )
    .unwrap();
}

#[test]
fn a_rule_is_checked_against_the_schema_when_saved() {
    let mut ws = Workspace::in_memory(CreateOptions::new("ada")).unwrap();
    let deals = ws.object_named("deals").unwrap().id;
    let err = ws.add_rule(deals, "stage = ", "m", &[]).unwrap_err();
    assert!(err.to_string().contains("line 1, column 9"), "{err}");
    let err = ws.add_rule(deals, "amount * 2", "m", &[]).unwrap_err();
    assert!(err.to_string().contains("must be yes or no"), "{err}");
    let err = ws.add_rule(deals, "stage = 3", "m", &[]).unwrap_err();
    assert!(err.to_string().contains("cannot compare text with a number"), "{err}");
    let err = ws.add_rule(deals, "done", "m", &[]).unwrap_err();
    assert!(err.to_string().contains("deals has no field done"), "{err}");
    let err = ws.add_rule(deals, "true", "  ", &[]).unwrap_err();
    assert!(err.to_string().contains("needs a message"), "{err}");
    assert!(ws.rules(None).unwrap().is_empty());
}

#[test]
fn a_rule_edit_is_in_the_history_and_reverting_it_brings_back_the_old_rule() {
    let (mut ws, deals) = setup();
    let rule = ws.rules(Some(deals)).unwrap()[0].id;
    let change = ws
        .edit_rule(rule, Some("not is_empty(amount)"), Some("Amount is required"), None)
        .unwrap()
        .unwrap();
    // The edited rule is enforced.
    assert!(
        create(
            &mut ws,
            deals,
            &[("name", "A"), ("stage", "Won"), ("close_date", "2026-01-01")]
        )
        .is_err()
    );
    ws.revert_change(&change, false).unwrap();
    let back = ws.rule(rule).unwrap();
    assert_eq!(back.message, MESSAGE);
    assert_eq!(
        ws.rule_condition(&back).unwrap(),
        WON_NEEDS_DATE.replace("close_date", "[Close date]")
    );
    create(&mut ws, deals, &[("name", "A"), ("stage", "Lead")]).unwrap();
    assert!(create(&mut ws, deals, &[("name", "B"), ("stage", "Won")]).is_err());
}

#[test]
fn a_renamed_field_keeps_its_rules_working() {
    let (mut ws, deals) = setup();
    let close = ws.field_named(deals, "close_date").unwrap().id;
    ws.rename_field(deals, close, Some("Expected close"), Some("expected_close"))
        .unwrap();
    let rule = ws.rules(Some(deals)).unwrap().remove(0);
    assert_eq!(
        ws.rule_condition(&rule).unwrap(),
        "stage != \"Won\" or not is_empty([Expected close])"
    );
    assert!(create(&mut ws, deals, &[("name", "B"), ("stage", "Won")]).is_err());
}

#[test]
fn records_made_before_a_rule_that_break_it_are_listed() {
    let mut ws = Workspace::in_memory(CreateOptions::new("ada")).unwrap();
    let deals = ws.object_named("deals").unwrap().id;
    let id = create(&mut ws, deals, &[("name", "Old win"), ("stage", "Won")]).unwrap();
    create(&mut ws, deals, &[("name", "Lead"), ("stage", "Lead")]).unwrap();
    assert!(ws.rule_breaks(None).unwrap().is_empty());
    ws.add_rule(deals, WON_NEEDS_DATE, MESSAGE, &[]).unwrap();
    let breaks = ws.rule_breaks(None).unwrap();
    assert_eq!(breaks.len(), 1);
    assert_eq!(breaks[0].record, id);
    assert_eq!(breaks[0].record_name, "Old win");
    assert_eq!(breaks[0].message, MESSAGE);
    assert_eq!(breaks[0].fields, vec!["stage".to_string(), "close_date".to_string()]);
}

#[test]
fn a_comparison_with_an_empty_field_is_unknown_and_does_not_refuse() {
    let mut ws = Workspace::in_memory(CreateOptions::new("ada")).unwrap();
    let deals = ws.object_named("deals").unwrap().id;
    ws.add_rule(deals, "amount < 1000000", "Amounts above a million need approval", &[])
        .unwrap();
    create(&mut ws, deals, &[("name", "No amount yet")]).unwrap();
    create(&mut ws, deals, &[("name", "Small"), ("amount", "10 EUR")]).unwrap();
    let err = create(&mut ws, deals, &[("name", "Huge"), ("amount", "2000000 EUR")]).unwrap_err();
    assert!(matches!(err, Error::RuleBroken { .. }), "{err:?}");
    assert!(ws.rule_breaks(None).unwrap().is_empty());
}
