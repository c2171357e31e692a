//! Nothing received is dropped: a chunk from the relay that this replica cannot read
//! (a newer Kith's format, or damage) is kept in the `unreadable` table in the same
//! transaction that moves the cursor past it, once however often it arrives, and the
//! readable rest of the batch is applied.

use kith_core::sync::protocol::Entry;
use kith_core::{CreateOptions, DocId, Workspace};

/// The log of a workspace with one person.
fn source_log() -> Vec<Entry> {
    let mut ws = Workspace::in_memory(CreateOptions::new("founder")).unwrap();
    let people = ws.object_named("people").unwrap().id;
    let values = ws.parse_values(people, &[("name".into(), "Ada".into())]).unwrap();
    ws.create_record(people, values).unwrap();
    ws.outbox(100)
        .unwrap()
        .into_iter()
        .enumerate()
        .map(|(i, c)| Entry {
            seq: i as u64 + 1,
            doc: c.doc,
            data: c.data,
        })
        .collect()
}

/// Automerge's magic bytes followed by what this version cannot parse.
fn from_the_future(seq: u64) -> Entry {
    Entry {
        seq,
        doc: DocId::new(),
        data: vec![0x85, 0x6f, 0x4a, 0x83, 0xff, 0xfe, 0x09, 0x42, 0x17],
    }
}

#[test]
fn an_unreadable_chunk_is_kept_while_the_cursor_moves_and_the_rest_is_applied() {
    let mut log = source_log();
    let next = log.len() as u64 + 1;
    log.push(from_the_future(next));
    let mut replica = Workspace::in_memory_replica("bob").unwrap();
    let summary = replica.apply_remote(&[], &log, next).unwrap();
    assert_eq!(summary.unreadable, 1);
    assert_eq!(replica.sync_cursor().unwrap(), next);
    assert_eq!(replica.unreadable_len().unwrap(), 1, "kept, not skipped");
    let people = replica.object_named("people").unwrap().id;
    assert_eq!(replica.count(people, None).unwrap(), 1, "the readable rest is applied");

    // Received again (a pull from 0): still kept once.
    replica.apply_remote(&[], &log, next).unwrap();
    assert_eq!(replica.unreadable_len().unwrap(), 1);
    // This version still cannot read it: retrying keeps it.
    assert_eq!(replica.retry_unreadable().unwrap(), 1);
}

#[test]
fn an_unreadable_chunk_survives_reopening_the_workspace() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ws");
    {
        let mut replica = Workspace::create_replica(&path, "bob").unwrap();
        replica.apply_remote(&[], &[from_the_future(1)], 1).unwrap();
    }
    let replica = Workspace::open(&path).unwrap();
    assert_eq!(replica.unreadable_len().unwrap(), 1);
    assert_eq!(replica.sync_cursor().unwrap(), 1);
}
