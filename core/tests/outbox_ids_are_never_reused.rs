//! A change's outbox id is never given to another change: a duplicated or late
//! acknowledgement of an old id must not remove a newer change before it reached the relay
//! (the random-schedule test found one lost that way once the outbox had emptied).

use kith_core::{CreateOptions, Workspace};

fn add_person(ws: &mut Workspace, name: &str) {
    let people = ws.object_named("people").expect("people").id;
    let values = ws
        .parse_values(people, &[("name".into(), name.into())])
        .expect("values");
    ws.create_record(people, values).expect("create");
}

#[test]
fn an_old_acknowledgement_never_removes_a_newer_change() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut ws = Workspace::create(dir.path(), CreateOptions::new("t")).expect("workspace");
    let queued: Vec<u64> = ws.outbox(usize::MAX).expect("outbox").iter().map(|c| c.id).collect();
    ws.acknowledge(&queued, 0).expect("ack");
    assert_eq!(ws.outbox_len().expect("len"), 0);

    add_person(&mut ws, "Ada");
    let first: Vec<u64> = ws.outbox(usize::MAX).expect("outbox").iter().map(|c| c.id).collect();
    ws.acknowledge(&first, 0).expect("ack");
    add_person(&mut ws, "Grace");
    let second: Vec<u64> = ws.outbox(usize::MAX).expect("outbox").iter().map(|c| c.id).collect();
    assert!(
        second.iter().all(|id| !first.contains(id) && !queued.contains(id)),
        "{second:?} reuses {first:?}"
    );

    // The same acknowledgements again (a duplicated frame): Grace's change stays queued.
    ws.acknowledge(&first, 0).expect("ack");
    ws.acknowledge(&queued, 0).expect("ack");
    assert_eq!(ws.outbox_len().expect("len"), second.len() as u64);

    // Across reopening too.
    drop(ws);
    let mut ws = Workspace::open(dir.path()).expect("reopen");
    ws.acknowledge(&second, 0).expect("ack");
    add_person(&mut ws, "Edsger");
    let third: Vec<u64> = ws.outbox(usize::MAX).expect("outbox").iter().map(|c| c.id).collect();
    assert!(third.iter().all(|id| id > second.iter().max().expect("ids")));
}
