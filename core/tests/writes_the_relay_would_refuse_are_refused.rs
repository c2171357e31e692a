//! A replica refuses local writes its relay would never take, before anything is
//! written: every edit on a device that syncs with a viewer's token, and a change whose
//! chunk is over the relay's chunk limit (the limit the relay announced, or the
//! protocol's default for a device that never synced). A relay restored from a backup
//! makes the replica queue everything it holds again.

use kith_core::sync::protocol::{DEFAULT_MAX_CHUNK_BYTES, Role};
use kith_core::{CreateOptions, Error, RecordId, StoreError, Workspace};

fn workspace() -> Workspace {
    Workspace::in_memory(CreateOptions::new("tester")).unwrap()
}

fn add_person(ws: &mut Workspace, name: &str) -> Result<RecordId, Error> {
    let people = ws.object_named("people").unwrap().id;
    let values = ws.parse_values(people, &[("name".into(), name.into())]).unwrap();
    ws.create_record(people, values)
}

/// Text that does not compress (a document's first save is compressed).
fn noise(len: usize) -> String {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from(b'a' + (x % 26) as u8)
        })
        .collect()
}

fn count_people(ws: &Workspace) -> u64 {
    let people = ws.object_named("people").unwrap().id;
    ws.count(people, None).unwrap()
}

fn name_of(ws: &Workspace, id: RecordId) -> String {
    let view = ws.record(id).unwrap();
    view.cells.iter().find(|c| c.key == "name").unwrap().display.clone()
}

#[test]
fn a_viewer_device_refuses_every_local_edit_and_writes_nothing() {
    let mut ws = workspace();
    let ada = add_person(&mut ws, "Ada").unwrap();
    ws.set_sync_role(Role::Viewer).unwrap();
    let outbox = ws.outbox_len().unwrap();

    let created = add_person(&mut ws, "Grace");
    assert!(
        matches!(created, Err(Error::Store(ref e)) if matches!(**e, StoreError::ReadOnly)),
        "{created:?}"
    );
    assert!(created.unwrap_err().to_string().contains("read-only (viewer) token"));
    let people = ws.object_named("people").unwrap().id;
    let values = ws.parse_values(people, &[("name".into(), "Ada L.".into())]).unwrap();
    assert!(ws.update_record(ada, values).is_err());
    assert!(ws.delete_record(ada).is_err());
    assert!(ws.add_object("deals", "Deals").is_err(), "schema edits too");

    assert_eq!(count_people(&ws), 1);
    assert_eq!(name_of(&ws, ada), "Ada");
    assert_eq!(ws.outbox_len().unwrap(), outbox);
    // Settings are not workspace changes: a viewer still keeps its own.
    ws.set_setting("remote.url", "http://relay").unwrap();
}

#[test]
fn a_member_device_writes_as_before() {
    let mut ws = workspace();
    ws.set_sync_role(Role::Member).unwrap();
    add_person(&mut ws, "Grace").unwrap();
    assert_eq!(ws.sync_role().unwrap(), Some(Role::Member));
}

#[test]
fn a_change_over_the_relays_chunk_limit_names_the_record_the_field_and_the_limit() {
    let mut ws = workspace();
    ws.set_relay_max_chunk_bytes(4_000).unwrap();
    let ada = add_person(&mut ws, "Ada").unwrap();
    let outbox = ws.outbox_len().unwrap();
    let people = ws.object_named("people").unwrap().id;
    let long = noise(10_000);
    let values = ws.parse_values(people, &[("name".into(), long.clone())]).unwrap();
    let field = "people.name";
    let err = ws.update_record(ada, values).unwrap_err();
    let Error::ChangeTooLarge {
        record,
        field: named,
        limit,
        bytes,
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(
        (record.as_str(), named.as_str(), *limit),
        (ada.to_string().as_str(), field, 4_000)
    );
    assert!(*bytes > 4_000);
    assert!(err.to_string().contains("limit of 4000 bytes"), "{err}");
    assert_eq!(name_of(&ws, ada), "Ada", "nothing was written");
    assert_eq!(ws.outbox_len().unwrap(), outbox);

    let created = add_person(&mut ws, &long).unwrap_err();
    assert!(
        matches!(created, Error::ChangeTooLarge { ref field, .. } if field == "people.name"),
        "{created:?}"
    );
    assert_eq!(count_people(&ws), 1);
}

#[test]
fn a_device_that_never_synced_uses_the_default_limit() {
    let mut ws = workspace();
    assert_eq!(ws.relay_max_chunk_bytes().unwrap(), DEFAULT_MAX_CHUNK_BYTES);
    // Twice the limit: letters compress to about five bits each.
    let huge = noise(2 * usize::try_from(DEFAULT_MAX_CHUNK_BYTES).unwrap() + 1000);
    assert!(matches!(add_person(&mut ws, &huge), Err(Error::ChangeTooLarge { .. })));
    add_person(&mut ws, "small").unwrap();
}

#[test]
fn a_new_relay_epoch_resets_the_cursor_and_queues_every_document_again() {
    let mut ws = workspace();
    add_person(&mut ws, "Ada").unwrap();
    let grace = add_person(&mut ws, "Grace").unwrap();
    let people = ws.object_named("people").unwrap().id;
    let values = ws.parse_values(people, &[("name".into(), "Grace H.".into())]).unwrap();
    ws.update_record(grace, values).unwrap();
    // Everything was acknowledged by the relay of epoch "one".
    let ids: Vec<u64> = ws.outbox(1000).unwrap().iter().map(|c| c.id).collect();
    ws.acknowledge(&ids, 17).unwrap();
    assert_eq!(ws.adopt_sync_epoch("one", false, true).unwrap(), 0);
    assert_eq!((ws.sync_cursor().unwrap(), ws.outbox_len().unwrap()), (17, 0));
    assert_eq!(ws.sync_epoch().unwrap().as_deref(), Some("one"));

    let queued = ws.adopt_sync_epoch("two", true, true).unwrap();
    assert_eq!(ws.sync_cursor().unwrap(), 0);
    assert_eq!(ws.sync_epoch().unwrap().as_deref(), Some("two"));
    assert_eq!(ws.outbox_len().unwrap(), queued);
    // The schema and both records, Grace with her edit.
    let docs: std::collections::HashSet<_> = ws.outbox(1000).unwrap().iter().map(|c| c.doc).collect();
    assert_eq!(docs.len(), 3);
    let mut replica = Workspace::in_memory_replica("other").unwrap();
    let chunks = ws.outbox(1000).unwrap();
    let entries: Vec<_> = chunks
        .iter()
        .enumerate()
        .map(|(i, c)| kith_core::sync::protocol::Entry {
            seq: i as u64 + 1,
            doc: c.doc,
            data: c.data.clone(),
        })
        .collect();
    replica.apply_remote(&[], &entries, entries.len() as u64).unwrap();
    assert_eq!(name_of(&replica, grace), "Grace H.");
}

#[test]
fn a_change_that_would_inflate_past_the_relays_bound_is_refused_and_nothing_is_written() {
    let mut ws = workspace();
    // Before any relay announced a bound, values of any size are kept (the relay's
    // bound then sets such a change aside before it is pushed).
    assert_eq!(ws.relay_max_inflated_chunk_bytes().unwrap(), None);
    add_person(&mut ws, &"ab".repeat(3_000_000)).unwrap();
    ws.set_relay_max_inflated_chunk_bytes(64 * 1024).unwrap();
    let ada = add_person(&mut ws, "Ada").unwrap();
    let outbox = ws.outbox_len().unwrap();
    let people = ws.object_named("people").unwrap().id;
    // Compresses to a few hundred bytes, far under the chunk limit.
    let repetitive = "ab".repeat(100_000);
    let values = ws.parse_values(people, &[("name".into(), repetitive)]).unwrap();
    let err = ws.update_record(ada, values).unwrap_err();
    let Error::ChangeTooLarge {
        limit, bytes, field, ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!((*limit, field.as_str()), (64 * 1024, "people.name"));
    assert!(*bytes > 64 * 1024);
    assert_eq!(name_of(&ws, ada), "Ada", "nothing was written");
    assert_eq!(ws.outbox_len().unwrap(), outbox);
    add_person(&mut ws, "small").unwrap();
}
