//! Documents are classified by their kind: new records say `kind: "record"` in their
//! first change; records made before kinds (no `kind`, an `object`) still read as
//! records; a kind this version does not know is stored and synced untouched, never read
//! as a record even when its content looks like one; configuration documents are created
//! with their manifest entry in one transaction.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ROOT, ReadDoc, ScalarValue};

use super::Workspace;
use crate::sync::protocol::Entry;
use crate::{CreateOptions, DocId, DocKind, Query, RecordId, Value};

fn record_like(kind: Option<&str>, id: RecordId, ws: &Workspace, name: &str) -> AutoCommit {
    let people = ws.object_named("people").unwrap().id;
    let field = ws.field_named(people, "name").unwrap().id;
    let mut doc = AutoCommit::new();
    if let Some(kind) = kind {
        doc.put(ROOT, "kind", kind).unwrap();
    }
    doc.put(ROOT, "id", id.to_string()).unwrap();
    doc.put(ROOT, "object", people.to_string()).unwrap();
    doc.put(ROOT, "created_at", ScalarValue::Timestamp(1)).unwrap();
    doc.put(ROOT, "created_by", "old").unwrap();
    let values = doc.put_object(ROOT, "values", ObjType::Map).unwrap();
    doc.put(&values, field.to_string(), name).unwrap();
    doc.commit();
    doc
}

fn people_ids(ws: &Workspace) -> Vec<RecordId> {
    let mut query = Query::new(ws.object_named("people").unwrap().id);
    query.limit = 100;
    ws.query(&query).unwrap().ids
}

#[test]
fn a_new_record_says_it_is_a_record_in_its_first_change() {
    let mut ws = Workspace::in_memory(CreateOptions::new("ada")).unwrap();
    let people = ws.object_named("people").unwrap().id;
    let name = ws.field_named(people, "name").unwrap().id;
    let id = ws
        .create_record(people, vec![(name, Some(Value::Text("Ada".into())))])
        .unwrap();
    let mut doc = ws.read_doc(id.into()).unwrap().unwrap();
    let first = doc.get_changes(&[])[0].hash();
    let kind = doc.get_at(ROOT, "kind", &[first]).unwrap().unwrap().0.to_string();
    assert_eq!(kind, "\"record\"");
    assert_eq!(crate::doc_kind::kind_of(&doc), Some(DocKind::Record));
}

#[test]
fn legacy_records_read_as_records_and_unknown_kinds_are_kept_untouched() {
    let mut ws = Workspace::in_memory(CreateOptions::new("ada")).unwrap();
    let (legacy_id, future_id) = (RecordId::new(), RecordId::new());
    let mut legacy = record_like(None, legacy_id, &ws, "Legacy");
    let mut future = record_like(Some("kanban_board"), future_id, &ws, "Looks like a person");
    let mut entries = vec![
        Entry {
            seq: 1,
            doc: legacy_id.into(),
            data: legacy.save(),
        },
        Entry {
            seq: 2,
            doc: future_id.into(),
            data: future.save(),
        },
    ];
    ws.apply_remote(&[], &entries, 2).unwrap();
    assert_eq!(people_ids(&ws), vec![legacy_id]);

    // Later changes arrive for documents the replica knows.
    let people = ws.object_named("people").unwrap().id;
    let name = ws.field_named(people, "name").unwrap().id;
    for (seq, (id, doc)) in [(legacy_id, &mut legacy), (future_id, &mut future)]
        .into_iter()
        .enumerate()
    {
        let heads = doc.get_heads();
        let values = doc.get(ROOT, "values").unwrap().unwrap().1;
        doc.put(&values, name.to_string(), "Renamed").unwrap();
        doc.commit();
        entries.push(Entry {
            seq: 3 + seq as u64,
            doc: id.into(),
            data: doc.save_after(&heads),
        });
    }
    ws.apply_remote(&[], &entries[2..], 4).unwrap();
    assert_eq!(people_ids(&ws), vec![legacy_id]);
    assert_eq!(ws.record(legacy_id).unwrap().cells[0].display, "Renamed");
    assert!(ws.record(future_id).is_err());

    // The unknown document is stored whole, as it came.
    let mut stored = AutoCommit::load(&ws.document_bytes(future_id.into()).unwrap().unwrap()).unwrap();
    assert_eq!(stored.get_heads(), future.get_heads());
    assert_eq!(
        crate::doc_kind::kind_of(&stored),
        Some(DocKind::Unknown("kanban_board".into()))
    );

    ws.reindex().unwrap();
    assert_eq!(people_ids(&ws), vec![legacy_id]);
}

#[test]
fn a_configuration_document_is_created_with_its_manifest_entry_and_listed() {
    let mut ws = Workspace::in_memory(CreateOptions::new("ada")).unwrap();
    let outbox = ws.outbox_len().unwrap();
    let view = ws.create_config_doc(DocKind::View, "Won deals").unwrap();
    let report = ws.create_config_doc(DocKind::Report, "Pipeline").unwrap();
    let listed: Vec<(DocId, DocKind, &str)> = ws
        .config_docs()
        .iter()
        .map(|c| (c.id, c.kind.clone(), c.name.as_str()))
        .collect();
    assert_eq!(
        listed,
        vec![
            (view, DocKind::View, "Won deals"),
            (report, DocKind::Report, "Pipeline")
        ]
    );
    // Each: the new document and the schema change, both to send.
    assert_eq!(ws.outbox_len().unwrap(), outbox + 4);
    let doc = ws.read_doc(view).unwrap().unwrap();
    assert_eq!(crate::doc_kind::kind_of(&doc), Some(DocKind::View));
    assert!(people_ids(&ws).is_empty());

    let derived = ws.dump_derived().unwrap();
    for kind in [DocKind::Record, DocKind::Schema, DocKind::Unknown("x".into())] {
        assert!(ws.create_config_doc(kind, "no").is_err());
    }
    assert_eq!(ws.dump_derived().unwrap(), derived);
    assert_eq!(ws.config_docs().len(), 2);

    // The manifest survives a reopen of the schema (it lives in the schema document).
    ws.load_schema().unwrap();
    assert_eq!(ws.config_docs().len(), 2);
}
