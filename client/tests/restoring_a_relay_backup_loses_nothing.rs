//! An operator restores an older backup of the relay (`kith-relay restore`). The
//! restored log hands out positions that devices already passed, and misses changes the
//! relay had acknowledged after the backup. With protocol 2 the restore gives the log a
//! new epoch; devices that see it pull from the start and push the full state of every
//! document, so nothing either device had is missing anywhere afterwards. The relay is
//! the real one (kith-relay's library on a data directory, serving on 127.0.0.1:0).

use std::path::Path;
use std::time::Duration;

use kith::sync::{Remote, SyncEvent, sync_once};
use kith_core::{CreateOptions, Query, RecordId, Workspace};
use kith_relay::{Config, Relay, Role};
use tokio::sync::oneshot;

const PATIENCE: Duration = Duration::from_secs(30);

/// A relay serving a data directory until stopped.
struct Running {
    url: String,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), kith_relay::ServeError>>,
}

fn config(data: &Path) -> Config {
    Config {
        data_dir: data.to_path_buf(),
        ..Config::default()
    }
}

async fn serve(relay: Relay) -> Running {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(kith_relay::serve(listener, relay, async move {
        let _ = stopped.await;
    }));
    Running { url, stop, task }
}

impl Running {
    async fn stop(self) {
        let _ = self.stop.send(());
        tokio::time::timeout(PATIENCE, self.task)
            .await
            .expect("the relay stops")
            .expect("task")
            .expect("serve");
    }
}

fn add_person(ws: &mut Workspace, name: &str) -> RecordId {
    let people = ws.object_named("people").expect("people").id;
    let values = ws
        .parse_values(people, &[("name".into(), name.into())])
        .expect("values");
    ws.create_record(people, values).expect("record")
}

fn people(ws: &Workspace) -> Vec<String> {
    let object = ws.object_named("people").expect("people");
    let mut query = Query::new(object.id);
    query.limit = 1000;
    let mut names: Vec<String> = ws
        .query(&query)
        .expect("query")
        .ids
        .into_iter()
        .map(|id| ws.record_name(id))
        .collect();
    names.sort();
    names
}

async fn sync(ws: &mut Workspace, remote: &Remote) -> (kith::sync::SyncReport, Vec<SyncEvent>) {
    let mut events = Vec::new();
    let report = tokio::time::timeout(PATIENCE, sync_once(ws, remote, |e| events.push(e.clone())))
        .await
        .expect("sync finishes in time")
        .expect("sync succeeds");
    (report, events)
}

fn restored(events: &[SyncEvent]) -> bool {
    events.iter().any(|e| matches!(e, SyncEvent::RelayRestored { .. }))
}

#[tokio::test]
async fn after_restoring_an_older_backup_every_change_any_device_had_is_everywhere_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("relay");
    let relay = Relay::open(config(&data)).expect("relay");
    let (workspace, owner) = relay.create_workspace("test").expect("workspace");
    let member = relay.create_token(workspace.id, Role::Member).expect("token");
    let running = serve(relay.clone()).await;
    let remote = |url: &str, secret: &str| Remote::new(url, secret).expect("remote");

    let mut a = Workspace::create(&dir.path().join("a"), CreateOptions::new("ada")).expect("a");
    let mut b = Workspace::create_replica(&dir.path().join("b"), "bob").expect("b");
    add_person(&mut a, "Before Backup");
    sync(&mut a, &remote(&running.url, &owner.secret)).await;
    sync(&mut b, &remote(&running.url, &member.secret)).await;
    assert_eq!(people(&b), ["Before Backup"]);

    let backup = dir.path().join("backup.redb");
    relay.backup(&backup).expect("backup");

    // After the backup: A pushes more (acknowledged, so it leaves A's outbox), and B
    // receives it.
    add_person(&mut a, "After Backup From A");
    let (pushed, _) = sync(&mut a, &remote(&running.url, &owner.secret)).await;
    assert!(pushed.pushed > 0);
    assert_eq!(a.outbox_len().expect("outbox"), 0);
    sync(&mut b, &remote(&running.url, &member.secret)).await;
    assert_eq!(people(&b), ["After Backup From A", "Before Backup"]);

    running.stop().await;
    drop(relay);
    assert_eq!(Relay::restore(&config(&data), &backup).expect("restore"), 1);
    let relay = Relay::open(config(&data)).expect("relay reopens");
    let running = serve(relay.clone()).await;

    // B edits offline meanwhile, then both sync with the restored relay.
    add_person(&mut b, "Offline On B");
    let (_, events) = sync(&mut b, &remote(&running.url, &member.secret)).await;
    assert!(restored(&events), "B noticed the restore: {events:?}");
    let (_, events) = sync(&mut a, &remote(&running.url, &owner.secret)).await;
    assert!(restored(&events), "A noticed the restore: {events:?}");
    sync(&mut b, &remote(&running.url, &member.secret)).await;

    let everything = ["After Backup From A", "Before Backup", "Offline On B"];
    assert_eq!(people(&a), everything);
    assert_eq!(people(&b), everything);

    // The relay has it all again: a new device gets everything from it alone.
    let mut c = Workspace::create_replica(&dir.path().join("c"), "cy").expect("c");
    let (_, events) = sync(&mut c, &remote(&running.url, &member.secret)).await;
    assert!(!restored(&events), "a new device just adopts the epoch");
    assert_eq!(people(&c), everything);

    // And syncing again is quiet: same epoch, nothing to push.
    let (again, events) = sync(&mut a, &remote(&running.url, &owner.secret)).await;
    assert!(!restored(&events));
    assert_eq!(again.pushed, 0);
    running.stop().await;
}
