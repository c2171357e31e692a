//! The `rule_breaks` table lists the records that break an enabled validation rule and
//! stays current through every kind of write: after each step below nothing is stale,
//! the table agrees with evaluating every rule against every row, and `rule_breaks`
//! (read from the table) lists what is expected.

use std::sync::atomic::{AtomicI64, Ordering};

use kith_core::{ComputedSpec, CreateOptions, DocId, Error, ImportOptions, ImportRow, ObjectId, RecordId, Workspace};

const WON_NEEDS_DATE: &str = "stage != \"Won\" or not is_empty(close_date)";
const MESSAGE: &str = "Close date is required when Stage is Won";

fn inputs(values: &[(&str, &str)]) -> Vec<(String, String)> {
    values.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn create(ws: &mut Workspace, object: ObjectId, values: &[(&str, &str)]) -> Result<RecordId, Error> {
    let values = ws.parse_values(object, &inputs(values))?;
    ws.create_record(object, values)
}

fn set(ws: &mut Workspace, id: RecordId, values: &[(&str, &str)]) -> Result<(), Error> {
    let object = ws.row(id).unwrap().object;
    let values = ws.parse_values(object, &inputs(values))?;
    ws.update_record(id, values)
}

/// The (record, rule) pairs listed, after checking the table is current and agrees with
/// a full evaluation.
fn listed(ws: &Workspace) -> Vec<(RecordId, DocId)> {
    assert_eq!(
        ws.stale_rule_break_objects().unwrap(),
        Vec::<ObjectId>::new(),
        "stale objects"
    );
    let mut table = ws.rule_break_entries().unwrap();
    let mut evaluated = ws.rule_breaks_by_evaluation().unwrap();
    table.sort();
    evaluated.sort();
    assert_eq!(table, evaluated, "the table disagrees with evaluating the rows");
    let mut read: Vec<(RecordId, DocId)> = ws
        .rule_breaks(None)
        .unwrap()
        .iter()
        .map(|b| (b.record, b.rule))
        .collect();
    read.sort();
    assert_eq!(read, table);
    read
}

fn deals_with_an_old_win() -> (Workspace, ObjectId, RecordId) {
    let mut ws = Workspace::in_memory(CreateOptions::new("ada")).unwrap();
    let deals = ws.object_named("deals").unwrap().id;
    let old = create(&mut ws, deals, &[("name", "Old win"), ("stage", "Won")]).unwrap();
    create(&mut ws, deals, &[("name", "Lead"), ("stage", "Lead")]).unwrap();
    (ws, deals, old)
}

#[test]
fn breaks_appear_and_disappear_with_local_writes_revert_trash_and_restore() {
    let (mut ws, deals, old) = deals_with_an_old_win();
    assert!(listed(&ws).is_empty());
    let rule = ws.add_rule(deals, WON_NEEDS_DATE, MESSAGE, &[]).unwrap();
    assert_eq!(listed(&ws), vec![(old, rule)]);
    assert_eq!(ws.rule_breaks_of(old).unwrap(), vec![rule]);
    let first = ws.rule_breaks_first(None, 1).unwrap();
    assert_eq!((first.len(), first[0].record_name.as_str()), (1, "Old win"));

    // Fixing the record takes it off; reverting the fix brings it back.
    set(&mut ws, old, &[("close_date", "2026-05-01")]).unwrap();
    assert!(listed(&ws).is_empty());
    assert!(ws.rule_breaks_of(old).unwrap().is_empty());
    let fix = ws.record_history(old).unwrap().last().unwrap().change.clone();
    ws.revert_change(&fix, false).unwrap();
    assert_eq!(listed(&ws), vec![(old, rule)]);

    // A record in the trash breaks nothing; restored (with its date) it is fine.
    ws.delete_record(old).unwrap();
    assert!(listed(&ws).is_empty());
    let values = ws
        .parse_values(deals, &inputs(&[("close_date", "2026-05-02")]))
        .unwrap();
    ws.restore_record_with(old, values).unwrap();
    assert!(listed(&ws).is_empty());

    // A bulk edit that clears every date is refused by the rule (nothing changes); one
    // that sets a stage every record may have goes through.
    let close = ws.field_named(deals, "close_date").unwrap().id;
    assert!(ws.bulk_update(deals, None, vec![(close, None)]).is_err());
    assert!(listed(&ws).is_empty());
    let stage = ws.field_named(deals, "stage").unwrap().id;
    let lost = ws.parse_values(deals, &inputs(&[("stage", "Lost")])).unwrap();
    ws.bulk_update(deals, None, lost).unwrap();
    assert!(listed(&ws).is_empty());
    let _ = stage;

    // An import of valid records keeps the table current.
    let rows: Vec<ImportRow> = (0..20)
        .map(|i| ImportRow {
            id: None,
            values: ws
                .parse_values(deals, &inputs(&[("name", &format!("Imported {i}")), ("stage", "Lead")]))
                .unwrap(),
        })
        .collect();
    ws.import_records(deals, rows, &ImportOptions::default(), &mut |_| {})
        .unwrap();
    assert!(listed(&ws).is_empty());
}

#[test]
fn rule_edits_disabling_removal_and_revert_recompute_the_breaks() {
    let (mut ws, deals, old) = deals_with_an_old_win();
    let lost = create(&mut ws, deals, &[("name", "Gone"), ("stage", "Lost")]).unwrap();
    let rule = ws.add_rule(deals, WON_NEEDS_DATE, MESSAGE, &[]).unwrap();
    assert_eq!(listed(&ws), vec![(old, rule)]);

    ws.set_rule_enabled(rule, false).unwrap();
    assert!(listed(&ws).is_empty());
    ws.set_rule_enabled(rule, true).unwrap();
    assert_eq!(listed(&ws), vec![(old, rule)]);

    let edit = ws
        .edit_rule(rule, Some("stage != \"Lost\" or not is_empty(close_date)"), None, None)
        .unwrap()
        .unwrap();
    assert_eq!(listed(&ws), vec![(lost, rule)]);
    ws.revert_change(&edit, false).unwrap();
    assert_eq!(listed(&ws), vec![(old, rule)]);

    let removal = ws.remove_rule(rule).unwrap().unwrap();
    assert!(listed(&ws).is_empty());
    assert!(ws.rule_break_entries().unwrap().is_empty());
    ws.revert_change(&removal, false).unwrap();
    assert_eq!(listed(&ws), vec![(old, rule)]);
}

#[test]
fn a_rollup_change_from_another_object_makes_a_record_break_a_rule() {
    let mut ws = Workspace::in_memory(CreateOptions::new("ada")).unwrap();
    let companies = ws.object_named("companies").unwrap().id;
    let deals = ws.object_named("deals").unwrap().id;
    ws.add_computed_field(
        companies,
        "deal_count",
        "Deal count",
        &ComputedSpec::Rollup("deals count".into()),
    )
    .unwrap();
    let acme = create(&mut ws, companies, &[("name", "Acme")]).unwrap();
    let rule = ws
        .add_rule(companies, "deal_count < 2", "At most one open deal per company", &[])
        .unwrap();
    let first = create(&mut ws, deals, &[("name", "One"), ("company", &acme.to_string())]).unwrap();
    assert!(listed(&ws).is_empty());
    // A deal written locally changes Acme's rollup: Acme now breaks its rule.
    create(&mut ws, deals, &[("name", "Two"), ("company", &acme.to_string())]).unwrap();
    assert_eq!(listed(&ws), vec![(acme, rule)]);
    ws.delete_record(first).unwrap();
    assert!(listed(&ws).is_empty());
}

#[test]
fn a_rule_reading_a_related_record_follows_edits_of_that_record() {
    let mut ws = Workspace::in_memory(CreateOptions::new("ada")).unwrap();
    let companies = ws.object_named("companies").unwrap().id;
    let deals = ws.object_named("deals").unwrap().id;
    let acme = create(&mut ws, companies, &[("name", "Acme")]).unwrap();
    let deal = create(&mut ws, deals, &[("name", "Deal"), ("company", &acme.to_string())]).unwrap();
    let rule = ws
        .add_rule(
            deals,
            "company.name != \"Blocked\"",
            "No deals with blocked companies",
            &[],
        )
        .unwrap();
    assert!(listed(&ws).is_empty());
    set(&mut ws, acme, &[("name", "Blocked")]).unwrap();
    assert_eq!(listed(&ws), vec![(deal, rule)]);
    set(&mut ws, acme, &[("name", "Acme again")]).unwrap();
    assert!(listed(&ws).is_empty());

    // Deals imported in bulk (their relations are followed once the batch is in), then
    // the company they hold renamed: every one breaks the rule.
    let rows: Vec<ImportRow> = (0..5)
        .map(|i| ImportRow {
            id: None,
            values: ws
                .parse_values(
                    deals,
                    &inputs(&[("name", &format!("Imported {i}")), ("company", &acme.to_string())]),
                )
                .unwrap(),
        })
        .collect();
    let report = ws
        .import_records(deals, rows, &ImportOptions::default(), &mut |_| {})
        .unwrap();
    assert!(listed(&ws).is_empty());
    set(&mut ws, acme, &[("name", "Blocked")]).unwrap();
    let mut expected: Vec<(RecordId, DocId)> = report.created.iter().chain([&deal]).map(|r| (*r, rule)).collect();
    expected.sort();
    assert_eq!(listed(&ws), expected);
}

static NOW: AtomicI64 = AtomicI64::new(0);
fn clock() -> i64 {
    NOW.load(Ordering::SeqCst)
}

#[test]
fn a_rule_reading_today_is_recomputed_on_a_new_day() {
    const DAY: i64 = 86_400_000;
    // 2026-05-01 at noon.
    NOW.store(20_574 * DAY + DAY / 2, Ordering::SeqCst);
    let mut ws = Workspace::in_memory(CreateOptions::new("ada")).unwrap();
    ws.set_clock(clock);
    let deals = ws.object_named("deals").unwrap().id;
    let deal = create(&mut ws, deals, &[("name", "Soon"), ("close_date", "2026-05-03")]).unwrap();
    let rule = ws
        .add_rule(deals, "close_date >= today()", "The close date has passed", &[])
        .unwrap();
    assert!(listed(&ws).is_empty());
    NOW.store(20_580 * DAY, Ordering::SeqCst);
    // Until the daily pass, the stale object is evaluated: still right.
    let read: Vec<RecordId> = ws.rule_breaks(None).unwrap().iter().map(|b| b.record).collect();
    assert_eq!(read, vec![deal]);
    ws.refresh_today_formulas().unwrap();
    assert_eq!(listed(&ws), vec![(deal, rule)]);
}

#[test]
fn a_file_without_the_table_gets_it_filled_when_opened() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = Workspace::create(dir.path(), CreateOptions::new("ada")).unwrap();
    let deals = ws.object_named("deals").unwrap().id;
    let old = create(&mut ws, deals, &[("name", "Old win"), ("stage", "Won")]).unwrap();
    let rule = ws.add_rule(deals, WON_NEEDS_DATE, MESSAGE, &[]).unwrap();
    let before = ws.dump_derived().unwrap();
    drop(ws);
    {
        let db = redb::Database::open(dir.path().join(kith_core::WORKSPACE_FILE)).unwrap();
        let tx = db.begin_write().unwrap();
        tx.delete_table(redb::TableDefinition::<&[u8], &[u8]>::new("rule_breaks"))
            .unwrap();
        tx.delete_table(redb::TableDefinition::<[u8; 16], u64>::new("rule_break_sources"))
            .unwrap();
        tx.commit().unwrap();
    }
    let ws = Workspace::open(dir.path()).unwrap();
    assert_eq!(listed(&ws), vec![(old, rule)]);
    assert_eq!(ws.dump_derived().unwrap(), before);
}

#[test]
fn a_retyped_field_that_a_rule_can_no_longer_read_takes_its_breaks_off_and_back() {
    let mut ws = Workspace::in_memory(CreateOptions::new("ada")).unwrap();
    let deals = ws.object_named("deals").unwrap().id;
    let big = create(&mut ws, deals, &[("name", "Big"), ("amount", "5000 EUR")]).unwrap();
    let rule = ws.add_rule(deals, "amount < 1000", "Small deals only", &[]).unwrap();
    assert_eq!(listed(&ws), vec![(big, rule)]);
    let amount = ws.field_named(deals, "amount").unwrap().id;
    // Text cannot be compared with a number: the rule is not enforced, nothing breaks it.
    ws.retype_field(deals, amount, kith_core::FieldKind::Text, None)
        .unwrap();
    assert!(ws.rule_condition(&ws.rule(rule).unwrap()).is_err());
    assert!(listed(&ws).is_empty());
    assert!(ws.rule_break_entries().unwrap().is_empty());
    ws.retype_field(deals, amount, kith_core::FieldKind::Currency, None)
        .unwrap();
    assert_eq!(listed(&ws), vec![(big, rule)]);
}
