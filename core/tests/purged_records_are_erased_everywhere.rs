//! Purging erases a record for good: a purge here is queued for the relay; a purge
//! from the relay erases the record here too, also when this device restored or edited
//! it meanwhile; chunks that arrive for a purged record later are dropped.

use kith_core::sync::protocol::Entry;
use kith_core::{CreateOptions, DocId, RecordId, Workspace};

fn add_person(ws: &mut Workspace, name: &str) -> RecordId {
    let people = ws.object_named("people").unwrap().id;
    let values = ws.parse_values(people, &[("name".into(), name.into())]).unwrap();
    ws.create_record(people, values).unwrap()
}

fn log(ws: &Workspace) -> Vec<Entry> {
    ws.outbox(1000)
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

fn search(ws: &Workspace, text: &str) -> usize {
    ws.search(text, None, 10).unwrap().len()
}

#[test]
fn a_purge_here_is_queued_for_the_relay_and_late_chunks_are_dropped() {
    let mut a = Workspace::in_memory(CreateOptions::new("ada")).unwrap();
    let zed = add_person(&mut a, "Zed Secret");
    let entries = log(&a);
    a.delete_record(zed).unwrap();
    a.purge(zed).unwrap();
    let doc: DocId = zed.into();
    assert_eq!(a.pending_purges().unwrap(), vec![doc]);
    assert!(a.is_purged(doc).unwrap());
    // The record's old chunks arrive again (a pull from 0): they stay out.
    a.apply_remote(&[], &entries, entries.len() as u64).unwrap();
    assert!(a.record(zed).is_err());
    // The relay confirms: nothing pending any more.
    a.erase_purged(&[(doc, 5)]).unwrap();
    assert!(a.pending_purges().unwrap().is_empty());
}

#[test]
fn a_purge_from_the_relay_erases_a_record_this_device_restored_and_edited() {
    let mut a = Workspace::in_memory(CreateOptions::new("ada")).unwrap();
    let zed = add_person(&mut a, "Zed Secret");
    let mut b = Workspace::in_memory_replica("bob").unwrap();
    let entries = log(&a);
    b.apply_remote(&[], &entries, entries.len() as u64).unwrap();
    // B edits it offline: live, indexed and searchable on B.
    let people = b.object_named("people").unwrap().id;
    let values = b
        .parse_values(people, &[("name".into(), "Zed Secret Jr".into())])
        .unwrap();
    b.update_record(zed, values).unwrap();
    assert_eq!(search(&b, "secret"), 1);

    let erased = b.erase_purged(&[(zed.into(), 1_700_000_000_000)]).unwrap();
    assert_eq!(erased, vec![zed], "B is told which record went");
    assert!(b.record(zed).is_err());
    assert_eq!(search(&b, "secret"), 0, "no search entry is left");
    assert_eq!(b.count(people, None).unwrap(), 0);
    assert!(
        b.outbox(100).unwrap().iter().all(|c| c.doc != zed.into()),
        "its edit is not pushed"
    );
    assert!(b.document_bytes(zed.into()).unwrap().is_none());
    // Another device's late edit of it is dropped.
    b.apply_remote(&[], &entries, entries.len() as u64).unwrap();
    assert!(b.record(zed).is_err());
}

#[test]
fn a_relay_restored_from_an_older_backup_is_told_every_purge_again() {
    let mut a = Workspace::in_memory(CreateOptions::new("ada")).unwrap();
    let zed = add_person(&mut a, "Zed Secret");
    a.erase_purged(&[(zed.into(), 5)]).unwrap();
    assert!(a.pending_purges().unwrap().is_empty());
    a.adopt_sync_epoch("old", false, true).unwrap();
    a.adopt_sync_epoch("restored", true, true).unwrap();
    assert_eq!(a.pending_purges().unwrap(), vec![DocId::from(zed)]);
}
