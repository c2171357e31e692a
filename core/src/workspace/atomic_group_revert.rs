//! Reverting a change group that holds a schema change and record changes is one
//! transaction: when any part is refused, nothing at all changes. (A unit test: only a
//! future automation or import can make such a group through the public API.)

use super::Workspace;
use crate::schema::doc::{self as sdoc, Prop};
use crate::value::Stored;
use crate::{CreateOptions, Error, GroupId, Value};

#[test]
fn a_group_revert_whose_record_part_is_refused_changes_neither_schema_nor_rows_nor_outbox() {
    let mut ws = Workspace::in_memory(CreateOptions::new("ada")).unwrap();
    let people = ws.object_named("people").unwrap().id;
    let name = ws.field_named(people, "name").unwrap().id;
    let id = ws
        .create_record(people, vec![(name, Some(Value::Text("Ada".into())))])
        .unwrap();

    // One group: a field renamed, and the record edited.
    let group = GroupId::new();
    let message = format!("bulk:{group}");
    ws.schema_write_with(&message, |doc| {
        sdoc::set_field_prop(doc, people, name, "label", Prop::Str("Full name"))
    })
    .unwrap();
    ws.write_stored(id, vec![(name, Some(Stored::Str("Ada L.".into())))], &message)
        .unwrap();
    // A later edit of the same value makes the record part need --force.
    ws.update_record(id, vec![(name, Some(Value::Text("Ada Lovelace".into())))])
        .unwrap();

    let schema_before = ws.schema.clone();
    let derived_before = ws.dump_derived().unwrap();
    let outbox_before = ws.outbox_len().unwrap();

    let refused = ws.revert_group(group, false);
    assert!(matches!(refused, Err(Error::RevertConflict { .. })), "{refused:?}");

    assert_eq!(ws.schema, schema_before);
    assert_eq!(
        ws.field_named(people, name.to_string().as_str()).unwrap().label,
        "Full name"
    );
    assert_eq!(ws.dump_derived().unwrap(), derived_before);
    assert_eq!(ws.outbox_len().unwrap(), outbox_before);

    // Forced, both parts go back together, in one group.
    let report = ws.revert_group(group, true).unwrap();
    assert!(report.schema);
    assert_eq!(report.records, 1);
    assert_eq!(ws.field_named(people, "name").unwrap().label, "Name");
    assert_eq!(ws.record(id).unwrap().cells[0].display, "Ada");
}
