//! A write transaction abandoned before commit (a crash, a failed step) leaves the store
//! exactly as it was.

use super::Workspace;
use crate::record;
use crate::store::{self, DerivedTables, DocTables};
use crate::{CreateOptions, Value};

#[test]
fn a_write_transaction_dropped_before_commit_leaves_the_store_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = Workspace::create(dir.path(), CreateOptions::new("t")).unwrap();
    let people = ws.object_named("people").unwrap().id;
    let name = ws.field_named(people, "name").unwrap().id;
    let id = ws
        .create_record(people, vec![(name, Some(Value::Text("Before".into())))])
        .unwrap();
    let derived_before = ws.dump_derived().unwrap();
    let outbox_before = ws.outbox_len().unwrap();

    // Every step of an edit, inside a transaction that is then dropped.
    {
        let tx = ws.store.write().unwrap();
        let mut docs = DocTables::open(&tx).unwrap();
        let mut derived = DerivedTables::open(&tx).unwrap();
        let mut loaded = docs.load(id.into()).unwrap().unwrap();
        let old = derived.current_row(people, id).unwrap();
        record::set_values(&mut loaded.doc, &[(name, Some(crate::Stored::Str("After".into())))]).unwrap();
        super::commit(&mut loaded.doc, "edit", 1);
        store::persist_doc(&mut docs, id.into(), &mut loaded).unwrap();
        let row = record::read_row(loaded.doc.document()).unwrap();
        let obj = ws.schema.object(people).unwrap().clone();
        store::write_row(&mut derived, &obj, id, old.as_ref(), &row).unwrap();
    }

    assert_eq!(ws.dump_derived().unwrap(), derived_before);
    assert_eq!(ws.outbox_len().unwrap(), outbox_before);
    drop(ws);
    let mut ws = Workspace::open(dir.path()).unwrap();
    assert_eq!(ws.dump_derived().unwrap(), derived_before);
    assert_eq!(ws.outbox_len().unwrap(), outbox_before);
    // The document on disk is the old one: a reindex from it gives the old row.
    ws.reindex().unwrap();
    assert_eq!(ws.dump_derived().unwrap(), derived_before);
    assert_eq!(ws.record(id).unwrap().cells[0].display, "Before");
}
