//! `kith trash purge` erases a record everywhere: on the device that purges it, on the
//! relay (its log entries and snapshot), and on every other device, including one that
//! restored and edited it offline meanwhile, which is told so. Real relay, in-process.

use std::time::Duration;

use kith::sync::{Remote, SyncReport, sync_once};
use kith_core::{CreateOptions, RecordId, Workspace};
use kith_relay::{Config, Relay, Role};
use tokio::sync::oneshot;

const PATIENCE: Duration = Duration::from_secs(30);

fn add_person(ws: &mut Workspace, name: &str) -> RecordId {
    let people = ws.object_named("people").expect("people").id;
    let values = ws
        .parse_values(people, &[("name".into(), name.into())])
        .expect("values");
    ws.create_record(people, values).expect("record")
}

fn rename(ws: &mut Workspace, id: RecordId, name: &str) {
    let people = ws.object_named("people").expect("people").id;
    let values = ws
        .parse_values(people, &[("name".into(), name.into())])
        .expect("values");
    ws.update_record(id, values).expect("update");
}

fn count(ws: &Workspace) -> u64 {
    let people = ws.object_named("people").expect("people").id;
    ws.count(people, None).expect("count")
}

async fn sync(ws: &mut Workspace, remote: &Remote) -> SyncReport {
    tokio::time::timeout(PATIENCE, sync_once(ws, remote, |_| {}))
        .await
        .expect("sync finishes in time")
        .expect("sync succeeds")
}

#[tokio::test]
async fn a_purged_record_is_erased_on_the_relay_and_on_every_device_even_one_that_edited_it_offline() {
    let relay = Relay::in_memory(Config::default()).expect("relay");
    let (workspace, owner) = relay.create_workspace("test").expect("workspace");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let (_stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(kith_relay::serve(listener, relay.clone(), async move {
        let _ = stopped.await;
    }));
    let token = |role| {
        let token = relay.create_token(workspace.id, role).expect("token");
        Remote::new(&url, &token.secret).expect("remote")
    };
    let owner = Remote::new(&url, &owner.secret).expect("remote");
    let (bob, cy) = (token(Role::Member), token(Role::Member));

    let dir = tempfile::tempdir().expect("tempdir");
    let mut a = Workspace::create(&dir.path().join("a"), CreateOptions::new("ada")).expect("a");
    let mut b = Workspace::create_replica(&dir.path().join("b"), "bob").expect("b");
    let mut c = Workspace::create_replica(&dir.path().join("c"), "cy").expect("c");
    let zed = add_person(&mut a, "Zed Erasure Request");
    add_person(&mut a, "Stays");
    sync(&mut a, &owner).await;
    sync(&mut b, &bob).await;
    sync(&mut c, &cy).await;
    assert_eq!((count(&b), count(&c)), (2, 2));

    // B, offline, edits Zed; A deletes and purges Zed.
    rename(&mut b, zed, "Zed Edited Offline");
    a.delete_record(zed).expect("delete");
    a.purge(zed).expect("purge");
    let report = sync(&mut a, &owner).await;
    assert!(report.erased.is_empty(), "A erased it itself");
    assert!(
        a.pending_purges().expect("pending").is_empty(),
        "the relay confirmed the purge"
    );

    let report = sync(&mut c, &cy).await;
    assert_eq!(report.erased, vec![zed], "C is told");
    assert!(c.record(zed).is_err());

    let report = sync(&mut b, &bob).await;
    assert_eq!(report.erased, vec![zed], "B is told its edited copy went");
    assert!(b.record(zed).is_err());
    assert!(b.document_bytes(zed.into()).expect("bytes").is_none());
    assert_eq!(b.outbox_len().expect("outbox"), 0, "its edit is not retried forever");
    // Syncing again changes nothing: B's dropped edit did not bring Zed back anywhere.
    sync(&mut a, &owner).await;
    sync(&mut c, &cy).await;
    for ws in [&a, &b, &c] {
        assert!(ws.record(zed).is_err());
        assert_eq!(count(ws), 1);
    }

    // The relay kept nothing of it: a new device gets the rest and not Zed.
    let mut d = Workspace::create_replica(&dir.path().join("d"), "dee").expect("d");
    sync(&mut d, &token(Role::Viewer)).await;
    assert_eq!(count(&d), 1);
    assert!(d.document_bytes(zed.into()).expect("bytes").is_none());
    assert!(d.is_purged(zed.into()).expect("purged"), "and knows it was purged");
}
