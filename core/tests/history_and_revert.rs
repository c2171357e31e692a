//! Undo anything: record history with who/when/what, one-step revert of a change or of a
//! whole change group, bulk edits as one group, rolling a record back to a time, the
//! trash, and time travel. The clock is faked so times are exact.

use std::cell::Cell;

use kith_core::{ChangeKind, CreateOptions, Error, FieldKind, ImportOptions, ImportRow, Query, RecordId, Workspace};

thread_local! {
    /// Each test's own clock (tests run in parallel, each on its own thread): a shared
    /// one moved on by other tests between a write and the test reading the time.
    static NOW: Cell<i64> = const { Cell::new(1_700_000_000_000) };
}

/// Every commit is one second after the previous one.
fn tick() -> i64 {
    NOW.with(|now| {
        now.set(now.get() + 1000);
        now.get()
    })
}

fn now() -> i64 {
    NOW.with(Cell::get)
}

fn workspace() -> Workspace {
    let mut ws = Workspace::in_memory(CreateOptions::new("ada")).unwrap();
    ws.set_clock(tick);
    ws
}

fn add(ws: &mut Workspace, object: &str, values: &[(&str, &str)]) -> RecordId {
    let object = ws.object_named(object).unwrap().id;
    let values = ws.parse_values(object, &inputs(values)).unwrap();
    ws.create_record(object, values).unwrap()
}

fn set(ws: &mut Workspace, id: RecordId, values: &[(&str, &str)]) {
    let object = ws.record(id).unwrap().object;
    let values = ws.parse_values(object, &inputs(values)).unwrap();
    ws.update_record(id, values).unwrap();
}

fn inputs(values: &[(&str, &str)]) -> Vec<(String, String)> {
    values.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn shown(ws: &Workspace, id: RecordId, key: &str) -> String {
    ws.record(id)
        .unwrap()
        .cells
        .into_iter()
        .find(|c| c.key == key)
        .map(|c| c.display)
        .unwrap_or_default()
}

fn live_tables(ws: &Workspace) -> Vec<kith_core::DerivedEntry> {
    ws.dump_derived()
        .unwrap()
        .into_iter()
        .filter(|(t, _, _)| ["rows", "index", "text_index"].contains(t))
        .collect()
}

#[test]
fn history_lists_every_change_with_author_kind_and_labelled_old_and_new_values() {
    let mut ws = workspace();
    let id = add(&mut ws, "deals", &[("name", "Renewal"), ("stage", "Lead")]);
    set(&mut ws, id, &[("stage", "Proposal"), ("amount", "5000 EUR")]);
    ws.delete_record(id).unwrap();
    ws.restore_record(id).unwrap();
    let history = ws.record_history(id).unwrap();
    assert_eq!(history.len(), 4);
    assert!(history[0].created);
    assert_eq!(history[0].author, "ada");
    assert!(!history[0].synced);
    let edit = &history[1];
    assert_eq!(edit.kind, ChangeKind::Edit);
    let stage = edit.fields.iter().find(|f| f.label == "Stage").unwrap();
    assert_eq!(
        (stage.old.as_deref(), stage.new.as_deref()),
        (Some("Lead"), Some("Proposal"))
    );
    let amount = edit.fields.iter().find(|f| f.label == "Amount").unwrap();
    assert_eq!(
        (amount.old.as_deref(), amount.new.as_deref()),
        (None, Some("5000.00 EUR"))
    );
    assert_eq!(history[2].deleted, Some(true));
    assert_eq!(history[3].deleted, Some(false));
    assert!(history.windows(2).all(|w| w[0].time < w[1].time));
}

#[test]
fn reverting_a_change_puts_back_the_values_it_replaced() {
    let mut ws = workspace();
    let id = add(&mut ws, "people", &[("name", "Grace"), ("city", "Arlington")]);
    set(&mut ws, id, &[("city", "New York"), ("job_title", "Admiral")]);
    let change = ws.record_history(id).unwrap()[1].change.clone();
    let report = ws.revert_change(&change[..10], false).unwrap();
    assert_eq!(report.records, 1);
    assert_eq!(shown(&ws, id, "city"), "Arlington");
    assert_eq!(shown(&ws, id, "job_title"), "");
    let last = ws.record_history(id).unwrap().pop().unwrap();
    assert_eq!(last.kind, ChangeKind::Revert);
    assert_eq!(last.group, Some(report.group));
    // The revert is a change group of its own: reverting it redoes the edit.
    ws.revert_group(report.group, false).unwrap();
    assert_eq!(shown(&ws, id, "city"), "New York");
}

#[test]
fn a_revert_over_a_later_change_of_the_same_field_names_it_and_needs_force() {
    let mut ws = workspace();
    let id = add(&mut ws, "people", &[("name", "Grace"), ("city", "Arlington")]);
    set(&mut ws, id, &[("city", "New York")]);
    set(&mut ws, id, &[("city", "Boston")]);
    let history = ws.record_history(id).unwrap();
    let err = ws.revert_change(&history[1].change, false).unwrap_err();
    let Error::RevertConflict {
        what, change, author, ..
    } = &err
    else {
        panic!("{err}")
    };
    assert!(what.contains("City"), "{err}");
    assert!(history[2].change.starts_with(change.as_str()));
    assert_eq!(author, "ada");
    assert_eq!(shown(&ws, id, "city"), "Boston");
    ws.revert_change(&history[1].change, true).unwrap();
    assert_eq!(shown(&ws, id, "city"), "Arlington");
    // A later change to another field does not block.
    let id2 = add(&mut ws, "people", &[("name", "Ada"), ("city", "London")]);
    set(&mut ws, id2, &[("city", "Paris")]);
    set(&mut ws, id2, &[("job_title", "Countess")]);
    let change = ws.record_history(id2).unwrap()[1].change.clone();
    ws.revert_change(&change, false).unwrap();
    assert_eq!(
        (shown(&ws, id2, "city"), shown(&ws, id2, "job_title")),
        ("London".into(), "Countess".into())
    );
}

#[test]
fn reverting_an_import_of_a_thousand_rows_restores_the_previous_rows_and_indexes() {
    let mut ws = workspace();
    let people = ws.object_named("people").unwrap().id;
    let before_id = add(&mut ws, "people", &[("name", "Before the import"), ("city", "Oslo")]);
    let before = live_tables(&ws);
    let rows: Vec<ImportRow> = (0..1000)
        .map(|i| ImportRow {
            id: None,
            values: ws
                .parse_values(
                    people,
                    &inputs(&[
                        ("name", &format!("Imported {i}")),
                        ("city", "Lyon"),
                        ("email", &format!("i{i}@x.io")),
                    ]),
                )
                .unwrap(),
        })
        .collect();
    let report = ws
        .import_records(people, rows, &ImportOptions::default(), &mut |_| {})
        .unwrap();
    assert_eq!(ws.count(people, None).unwrap(), 1001);
    let revert = ws.revert_group(report.group, false).unwrap();
    assert_eq!(revert.records, 1000);
    assert_eq!(live_tables(&ws), before);
    assert_eq!(ws.query(&Query::new(people)).unwrap().ids, vec![before_id]);
    assert_eq!(ws.trash_len().unwrap(), 1000);
    assert!(ws.search("imported", None, 10).unwrap().is_empty());
    // Undoing the revert brings all of them back.
    ws.revert_group(revert.group, false).unwrap();
    assert_eq!(ws.count(people, None).unwrap(), 1001);
}

#[test]
fn a_bulk_edit_is_one_group_that_one_revert_undoes() {
    let mut ws = workspace();
    let deals = ws.object_named("deals").unwrap().id;
    let a = add(&mut ws, "deals", &[("name", "A"), ("stage", "Lead")]);
    let b = add(&mut ws, "deals", &[("name", "B"), ("stage", "Qualified")]);
    let c = add(&mut ws, "deals", &[("name", "C"), ("stage", "Won")]);
    let filter = ws.parse_filter(deals, "stage in Lead, Qualified").unwrap();
    let changes = ws
        .parse_values(deals, &inputs(&[("stage", "Lost"), ("owner", "bo")]))
        .unwrap();
    let bulk = ws.bulk_update(deals, Some(&filter), changes).unwrap();
    assert_eq!(bulk.records, 2);
    assert_eq!(
        (shown(&ws, a, "stage"), shown(&ws, b, "stage"), shown(&ws, c, "stage")),
        ("Lost".into(), "Lost".into(), "Won".into())
    );
    assert_eq!(ws.record_history(a).unwrap().last().unwrap().kind, ChangeKind::BulkEdit);
    ws.revert_group(bulk.group, false).unwrap();
    assert_eq!(
        (shown(&ws, a, "stage"), shown(&ws, b, "stage")),
        ("Lead".into(), "Qualified".into())
    );
    assert_eq!(shown(&ws, a, "owner"), "");
}

#[test]
fn a_bulk_edit_that_breaks_a_rule_writes_nothing() {
    let mut ws = workspace();
    let people = ws.object_named("people").unwrap().id;
    add(&mut ws, "people", &[("name", "A")]);
    add(&mut ws, "people", &[("name", "B")]);
    let before = ws.dump_derived().unwrap();
    let same_email = ws.parse_values(people, &inputs(&[("email", "same@x.io")])).unwrap();
    assert!(
        ws.bulk_update(people, None, same_email)
            .unwrap_err()
            .to_string()
            .contains("unique")
    );
    let name = ws.field_named(people, "name").unwrap().id;
    assert!(
        ws.bulk_update(people, None, vec![(name, None)])
            .unwrap_err()
            .to_string()
            .contains("required")
    );
    assert_eq!(ws.dump_derived().unwrap(), before);
}

#[test]
fn a_record_can_be_read_and_restored_as_it_was_at_a_time() {
    let mut ws = workspace();
    let id = add(&mut ws, "people", &[("name", "Grace"), ("city", "Arlington")]);
    let t1 = now();
    set(&mut ws, id, &[("city", "New York"), ("phone", "+1 555 0100")]);
    ws.delete_record(id).unwrap();
    assert_eq!(
        ws.record_at(id, t1)
            .unwrap()
            .cells
            .iter()
            .find(|c| c.key == "city")
            .unwrap()
            .display,
        "Arlington"
    );
    assert!(ws.record_at(id, t1 - 5000).is_err(), "it did not exist yet");
    ws.restore_record_at(id, t1).unwrap();
    let view = ws.record(id).unwrap();
    assert!(view.deleted_at.is_none());
    assert_eq!(shown(&ws, id, "city"), "Arlington");
    assert_eq!(shown(&ws, id, "phone"), "");
}

#[test]
fn the_trash_lists_restores_and_purges_deleted_records() {
    let mut ws = workspace();
    let a = add(&mut ws, "people", &[("name", "A")]);
    let b = add(&mut ws, "people", &[("name", "B")]);
    ws.delete_record(a).unwrap();
    ws.delete_record(b).unwrap();
    let trash: Vec<RecordId> = ws.trash(None, 10).unwrap().iter().map(|r| r.id).collect();
    assert_eq!(trash, vec![b, a], "newest deletion first");
    ws.restore_record(a).unwrap();
    assert_eq!(ws.trash_len().unwrap(), 1);
    ws.purge(b).unwrap();
    assert_eq!(ws.trash_len().unwrap(), 0);
    assert!(matches!(ws.record(b), Err(Error::RecordNotFound(_))));
    assert!(ws.record_history(b).is_err());
    // Only records in the trash can be purged.
    assert!(ws.purge(a).is_err());
    // A reindex agrees: nothing of the purged record is left.
    let before = ws.dump_derived().unwrap();
    ws.reindex().unwrap();
    assert_eq!(ws.dump_derived().unwrap(), before);
}

#[test]
fn schema_changes_revert_and_an_archived_field_comes_back_with_its_values() {
    let mut ws = workspace();
    let people = ws.object_named("people").unwrap().id;
    let id = add(
        &mut ws,
        "people",
        &[("name", "Grace"), ("city", "Arlington"), ("job_title", "Admiral")],
    );
    let city = ws.field_named(people, "city").unwrap().id;
    ws.set_field_archived(people, city, true).unwrap();
    let archive = ws.schema_history().unwrap().pop().unwrap();
    assert!(
        archive.fields.iter().any(|f| f.label.contains("people.city archived")),
        "{:?}",
        archive.fields
    );
    ws.revert_change(&archive.change, false).unwrap();
    assert!(!ws.field_named(people, "city").unwrap().archived);
    assert_eq!(shown(&ws, id, "city"), "Arlington");

    let title = ws.field_named(people, "job_title").unwrap().id;
    ws.rename_field(people, title, Some("Role"), None).unwrap();
    let rename = ws.schema_history().unwrap().pop().unwrap();
    ws.revert_change(&rename.change, false).unwrap();
    assert_eq!(ws.field_named(people, "job_title").unwrap().label, "Job title");

    ws.retype_field(people, city, FieldKind::Select, None).unwrap();
    let retype = ws.schema_history().unwrap().pop().unwrap();
    ws.revert_change(&retype.change, false).unwrap();
    assert_eq!(ws.field_named(people, "city").unwrap().kind, FieldKind::Text);
    assert_eq!(shown(&ws, id, "city"), "Arlington");

    // Time travel of the schema: before the rename the label was the old one.
    let before_rename = rename.time - 1;
    let schema = ws.schema_at(before_rename).unwrap();
    let people_then = schema.object(people).unwrap();
    assert_eq!(people_then.field(title).unwrap().label, "Job title");
    assert!(
        !people_then.field(city).unwrap().archived,
        "the archive had been reverted by then"
    );
    assert!(
        ws.schema_at(archive.time)
            .unwrap()
            .object(people)
            .unwrap()
            .field(city)
            .unwrap()
            .archived
    );
}

#[test]
fn reverting_an_added_field_archives_it_instead_of_deleting_anything() {
    let mut ws = workspace();
    let people = ws.object_named("people").unwrap().id;
    let id = add(&mut ws, "people", &[("name", "Grace")]);
    let shoe = ws
        .add_field(
            people,
            kith_core::FieldSpec::new("shoe_size", "Shoe size", FieldKind::Number),
        )
        .unwrap();
    set(&mut ws, id, &[("shoe_size", "38")]);
    let added = ws.schema_history().unwrap().pop().unwrap();
    assert!(
        added.fields.iter().any(|f| f.label == "field people.shoe_size added"),
        "{:?}",
        added.fields
    );
    ws.revert_change(&added.change, false).unwrap();
    let field = ws.schema().object(people).unwrap().field(shoe).unwrap().clone();
    assert!(field.archived);
    assert_eq!(
        ws.row(id).unwrap().values.get(&shoe),
        Some(&kith_core::Stored::F64(38.0))
    );
}

#[test]
fn unknown_or_ambiguous_change_ids_are_clear_errors() {
    let mut ws = workspace();
    assert!(matches!(
        ws.revert_change("abcdef12", false),
        Err(Error::ChangeNotFound(_))
    ));
    assert!(matches!(ws.revert_change("xyz", false), Err(Error::ChangeNotFound(_))));
    assert!(matches!(
        ws.revert_group(kith_core::GroupId::new(), false),
        Err(Error::GroupNotFound(_))
    ));
}

#[test]
fn schema_history_shows_positions_counting_from_1() {
    let mut ws = Workspace::in_memory(CreateOptions::new("t")).unwrap();
    let people = ws.object_named("people").unwrap().id;
    let city = ws.field_named(people, "city").unwrap().id;
    ws.reorder_field(people, city, 0).unwrap();
    let history = ws.schema_history().unwrap();
    let moved = history
        .iter()
        .flat_map(|e| &e.fields)
        .find(|d| d.label.contains("city: position"))
        .expect("the move is in the schema history");
    assert_eq!(moved.new.as_deref(), Some("1"), "{moved:?}");
}

#[test]
fn a_group_revert_blocked_by_a_later_change_names_the_record() {
    let mut ws = workspace();
    let people = ws.object_named("people").unwrap().id;
    let rows = ["Grace Hopper", "Ada Lovelace"]
        .iter()
        .map(|n| ImportRow {
            id: None,
            values: ws
                .parse_values(people, &inputs(&[("name", n), ("city", "Arlington")]))
                .unwrap(),
        })
        .collect();
    let report = ws
        .import_records(people, rows, &ImportOptions::default(), &mut |_| {})
        .unwrap();
    let ada = report.created[1];
    set(&mut ws, ada, &[("city", "London")]);
    let err = ws.revert_group(report.group, false).unwrap_err().to_string();
    assert!(err.contains("Ada Lovelace"), "{err}");
    assert!(err.contains(&ws.short_record_id(ada).unwrap()), "{err}");
}
