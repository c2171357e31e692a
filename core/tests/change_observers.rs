//! Change observers hear what every commit changed: local writes and batches applied
//! from the relay alike (the web UI refreshes open pages with this).

use std::sync::{Arc, Mutex};

use kith_core::sync::protocol::Entry;
use kith_core::{Changes, CreateOptions, FieldKind, FieldSpec, Workspace};

fn observed(ws: &mut Workspace) -> Arc<Mutex<Vec<Changes>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    ws.add_change_observer(Box::new(move |c| sink.lock().expect("lock").push(c.clone())));
    seen
}

#[test]
fn local_writes_say_which_record_or_that_the_schema_changed() {
    let mut ws = Workspace::in_memory(CreateOptions::new("ana")).expect("workspace");
    let seen = observed(&mut ws);
    let people = ws.object_named("people").expect("people").id;
    let values = ws
        .parse_values(people, &[("name".into(), "Ada".into())])
        .expect("values");
    let ada = ws.create_record(people, values).expect("create");
    let values = ws
        .parse_values(people, &[("city".into(), "Rome".into())])
        .expect("values");
    ws.update_record(ada, values).expect("update");
    ws.delete_record(ada).expect("delete");
    ws.add_field(people, FieldSpec::new("nickname", "Nickname", FieldKind::Text))
        .expect("field");
    let seen = seen.lock().expect("lock").clone();
    assert_eq!(seen.len(), 4);
    for c in &seen[..3] {
        assert_eq!(c, &Changes::local_records(vec![ada]));
    }
    assert!(seen[3].schema && seen[3].local && seen[3].records.is_empty());
}

#[test]
fn changes_applied_from_the_relay_name_their_records_and_are_not_local() {
    let mut ana = Workspace::in_memory(CreateOptions::new("ana")).expect("workspace");
    let mut bo = Workspace::in_memory_replica("bo").expect("replica");
    let people = ana.object_named("people").expect("people").id;
    let values = ana
        .parse_values(people, &[("name".into(), "Ada".into())])
        .expect("values");
    let ada = ana.create_record(people, values).expect("create");
    let seen = observed(&mut bo);
    let entries: Vec<Entry> = ana
        .outbox(1000)
        .expect("outbox")
        .into_iter()
        .enumerate()
        .map(|(i, c)| Entry {
            seq: i as u64 + 1,
            doc: c.doc,
            data: c.data,
        })
        .collect();
    bo.apply_remote(&[], &entries, entries.len() as u64).expect("apply");
    let seen = seen.lock().expect("lock").clone();
    let last = seen.last().expect("observers were told");
    assert!(!last.local);
    assert!(last.records.contains(&ada), "{seen:?}");
    assert!(seen.iter().any(|c| c.schema), "the schema arrived too");
}
