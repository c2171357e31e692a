//! Validation rules across devices: a rule made on one device is enforced on another
//! after sync; records arriving by sync are never refused, and one that breaks a rule
//! after a merge of offline edits is listed (with the rule's message) on every device.

use kith_core::sync::protocol::Role;
use kith_core::{Error, ObjectId, RecordId, Workspace};
use kith_tests::{Harness, PeerId};

const WON_NEEDS_DATE: &str = "stage != \"Won\" or not is_empty(close_date)";
const MESSAGE: &str = "Close date is required when Stage is Won";

fn inputs(values: &[(&str, &str)]) -> Vec<(String, String)> {
    values.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn create(ws: &mut Workspace, values: &[(&str, &str)]) -> Result<RecordId, Error> {
    let deals = ws.object_named("deals").unwrap().id;
    let values = ws.parse_values(deals, &inputs(values))?;
    ws.create_record(deals, values)
}

fn set(ws: &mut Workspace, id: RecordId, values: &[(&str, &str)]) -> Result<(), Error> {
    let deals = ws.object_named("deals").unwrap().id;
    let values = ws.parse_values(deals, &inputs(values))?;
    ws.update_record(id, values)
}

/// The `rule_breaks` table is current (no object left stale) and agrees with evaluating
/// every rule against every row.
fn assert_breaks_table_current(ws: &Workspace) {
    assert!(ws.stale_rule_break_objects().unwrap().is_empty());
    let mut table = ws.rule_break_entries().unwrap();
    let mut evaluated = ws.rule_breaks_by_evaluation().unwrap();
    table.sort();
    evaluated.sort();
    assert_eq!(table, evaluated);
}

fn two_devices() -> (Harness, PeerId, PeerId, ObjectId) {
    let mut h = Harness::new(31);
    let a = h.add_founder("ana");
    let b = h.add_joiner("bo", Role::Member);
    h.run_until_quiescent();
    let deals = h.ws(a).object_named("deals").unwrap().id;
    (h, a, b, deals)
}

#[test]
fn a_rule_made_on_one_device_is_enforced_on_another_after_sync() {
    let (mut h, a, b, deals) = two_devices();
    h.ws(a).add_rule(deals, WON_NEEDS_DATE, MESSAGE, &[]).unwrap();
    h.local_change(a);
    h.run_until_quiescent();

    assert_eq!(h.ws(b).rules(Some(deals)).unwrap().len(), 1);
    let err = create(h.ws(b), &[("name", "Deal"), ("stage", "Won")]).unwrap_err();
    assert!(
        matches!(&err, Error::RuleBroken { message, .. } if message == MESSAGE),
        "{err:?}"
    );
    create(
        h.ws(b),
        &[("name", "Deal"), ("stage", "Won"), ("close_date", "2026-05-01")],
    )
    .unwrap();

    // Disabling it on B turns it off on A too.
    let rule = h.ws(b).rules(Some(deals)).unwrap()[0].id;
    h.ws(b).set_rule_enabled(rule, false).unwrap();
    h.local_change(b);
    h.run_until_quiescent();
    h.assert_converged();
    create(h.ws(a), &[("name", "Other"), ("stage", "Won")]).unwrap();
}

#[test]
fn a_record_that_breaks_a_rule_after_a_merge_of_offline_edits_is_listed_everywhere() {
    let (mut h, a, b, deals) = two_devices();
    h.ws(a).add_rule(deals, WON_NEEDS_DATE, MESSAGE, &[]).unwrap();
    let id = create(
        h.ws(a),
        &[("name", "Renewal"), ("stage", "Lead"), ("close_date", "2026-05-01")],
    )
    .unwrap();
    h.local_change(a);
    h.run_until_quiescent();

    // Each edit is valid on its own device; together they break the rule.
    h.go_offline(&[a, b]);
    set(h.ws(a), id, &[("stage", "Won")]).unwrap();
    set(h.ws(b), id, &[("close_date", "")]).unwrap();
    h.reconnect_and_settle(&[a, b]);
    h.assert_converged();

    for peer in [a, b] {
        let ws = h.ws(peer);
        // Both edits arrived: nothing was refused.
        let view = ws.record(id).unwrap();
        let cell = |key: &str| view.cells.iter().find(|c| c.key == key).unwrap().display.clone();
        assert_eq!((cell("stage"), cell("close_date")), ("Won".to_string(), String::new()));
        assert_breaks_table_current(ws);
        assert_eq!(ws.rule_break_entries().unwrap().len(), 1);
        let breaks = ws.rule_breaks(None).unwrap();
        assert_eq!(breaks.len(), 1, "{breaks:?}");
        assert_eq!((breaks[0].record, breaks[0].message.as_str()), (id, MESSAGE));
        assert_eq!(breaks[0].record_name, "Renewal");
    }

    // Fixing the record takes it off the list.
    set(h.ws(b), id, &[("close_date", "2026-06-01")]).unwrap();
    h.local_change(b);
    h.run_until_quiescent();
    assert!(h.ws(a).rule_breaks(None).unwrap().is_empty());
    assert_breaks_table_current(h.ws(a));
}

#[test]
fn a_rule_that_arrives_by_sync_lists_the_records_that_break_it_and_its_removal_clears_them() {
    let (mut h, a, b, deals) = two_devices();
    let old = create(h.ws(b), &[("name", "Old win"), ("stage", "Won")]).unwrap();
    h.local_change(b);
    h.run_until_quiescent();
    let rule = h.ws(a).add_rule(deals, WON_NEEDS_DATE, MESSAGE, &[]).unwrap();
    h.local_change(a);
    h.run_until_quiescent();
    for peer in [a, b] {
        assert_breaks_table_current(h.ws(peer));
        assert_eq!(h.ws(peer).rule_break_entries().unwrap(), vec![(old, rule)]);
    }
    h.ws(b).remove_rule(rule).unwrap();
    h.local_change(b);
    h.run_until_quiescent();
    for peer in [a, b] {
        assert_breaks_table_current(h.ws(peer));
        assert!(h.ws(peer).rule_break_entries().unwrap().is_empty());
    }
}

#[test]
fn a_rule_edited_on_another_device_is_enforced_at_once_after_sync() {
    let (mut h, a, b, deals) = two_devices();
    let rule = h.ws(a).add_rule(deals, WON_NEEDS_DATE, MESSAGE, &[]).unwrap();
    h.local_change(a);
    h.run_until_quiescent();
    // B checks the rule once (its compiled rules are now kept between writes).
    create(h.ws(b), &[("name", "Checked"), ("stage", "Lead")]).unwrap();
    assert!(create(h.ws(b), &[("name", "Refused"), ("stage", "Won")]).is_err());

    const LOST_NEEDS_DATE: &str = "stage != \"Lost\" or not is_empty(close_date)";
    h.ws(a)
        .edit_rule(rule, Some(LOST_NEEDS_DATE), Some("Lost needs a date"), None)
        .unwrap();
    h.local_change(a);
    h.run_until_quiescent();

    // B enforces the edited rule, not the one it compiled before.
    create(h.ws(b), &[("name", "Won now"), ("stage", "Won")]).unwrap();
    let err = create(h.ws(b), &[("name", "Lost"), ("stage", "Lost")]).unwrap_err();
    assert!(
        matches!(&err, Error::RuleBroken { message, .. } if message == "Lost needs a date"),
        "{err:?}"
    );

    // Removed on A: B stops enforcing it at once.
    h.ws(a).remove_rule(rule).unwrap();
    h.local_change(a);
    h.run_until_quiescent();
    create(h.ws(b), &[("name", "Lost again"), ("stage", "Lost")]).unwrap();
}

#[test]
fn a_device_that_joins_later_lists_the_same_breaks_from_its_own_table() {
    let (mut h, a, _b, deals) = two_devices();
    let mut old = Vec::new();
    for i in 0..30 {
        let stage = if i % 3 == 0 { "Won" } else { "Lead" };
        old.push((
            i,
            create(h.ws(a), &[("name", &format!("Deal {i}")), ("stage", stage)]).unwrap(),
        ));
    }
    let rule = h.ws(a).add_rule(deals, WON_NEEDS_DATE, MESSAGE, &[]).unwrap();
    h.local_change(a);
    h.run_until_quiescent();
    let c = h.add_joiner("cy", Role::Member);
    h.run_until_quiescent();
    let mut expected: Vec<(RecordId, kith_core::DocId)> = old
        .iter()
        .filter(|(i, _)| i % 3 == 0)
        .map(|(_, id)| (*id, rule))
        .collect();
    expected.sort();
    for peer in [a, c] {
        assert_breaks_table_current(h.ws(peer));
        let mut entries = h.ws(peer).rule_break_entries().unwrap();
        entries.sort();
        assert_eq!(entries, expected);
    }
}
