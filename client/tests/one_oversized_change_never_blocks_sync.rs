//! A change the relay refuses (over a chunk limit it lowered after the change was made)
//! does not stop the device's other changes from syncing: the relay rejects that chunk
//! alone, the device sets it aside (`kith status` names the record) and sends it again
//! once the relay's limit allows it. The same holds for a change that inflates past the
//! relay's inflation bound, which the device sets aside itself instead of sending (the
//! relay would close the connection). A push over the workspace's storage quota stops
//! syncing with a message saying so. Real relay on a data directory, restarted with
//! higher limits.

use std::path::Path;
use std::time::Duration;

use kith::sync::{Remote, SyncEvent, local_state, sync_once};
use kith_core::{CreateOptions, RecordId, Workspace};
use kith_relay::{Config, Relay, Role};
use tokio::sync::oneshot;

const PATIENCE: Duration = Duration::from_secs(30);

struct Running {
    url: String,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), kith_relay::ServeError>>,
}

fn config(data: &Path, max_chunk_bytes: usize) -> Config {
    let mut config = Config {
        data_dir: data.to_path_buf(),
        ..Config::default()
    };
    config.limits.max_chunk_bytes = max_chunk_bytes;
    config
}

fn config_inflated(data: &Path, max_inflated_chunk_bytes: usize) -> Config {
    let mut config = config(data, 20_000);
    config.limits.max_inflated_chunk_bytes = max_inflated_chunk_bytes;
    config
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

/// Text that does not compress.
fn noise(len: usize) -> String {
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from(b'a' + (x % 26) as u8)
        })
        .collect()
}

async fn sync(ws: &mut Workspace, remote: &Remote) -> (kith::sync::SyncReport, Vec<SyncEvent>) {
    let mut events = Vec::new();
    let report = tokio::time::timeout(PATIENCE, sync_once(ws, remote, |e| events.push(e.clone())))
        .await
        .expect("sync finishes in time")
        .expect("sync succeeds");
    (report, events)
}

#[tokio::test]
async fn a_change_over_a_lowered_limit_is_set_aside_and_the_rest_syncs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("relay");
    // The operator set a small limit; the device never heard of it (default 1 MiB).
    let relay = Relay::open(config(&data, 20_000)).expect("relay");
    let (workspace, owner) = relay.create_workspace("test").expect("workspace");
    let member = relay.create_token(workspace.id, Role::Member).expect("token");
    let running = serve(relay.clone()).await;

    let mut a = Workspace::create(&dir.path().join("a"), CreateOptions::new("ada")).expect("a");
    add_person(&mut a, "Small Before");
    let big = add_person(&mut a, &noise(60_000));
    add_person(&mut a, "Small After");
    let owner_remote = Remote::new(&running.url, &owner.secret).expect("remote");
    let (report, events) = sync(&mut a, &owner_remote).await;
    assert!(
        events.iter().any(|e| matches!(e, SyncEvent::Refused { changes: 1 })),
        "{events:?}"
    );
    assert_eq!(report.pending, 0, "nothing left in the outbox to block");
    let state = local_state(&a).expect("state");
    assert_eq!(state.stuck.len(), 1);
    assert_eq!(state.stuck[0].record, big, "the stuck record is named");
    assert!(
        state.stuck[0].reason.contains("chunk_too_large"),
        "{}",
        state.stuck[0].reason
    );

    let mut b = Workspace::create_replica(&dir.path().join("b"), "bob").expect("b");
    let member_remote = Remote::new(&running.url, &member.secret).expect("remote");
    sync(&mut b, &member_remote).await;
    let people = b.object_named("people").expect("people").id;
    assert_eq!(b.count(people, None).expect("count"), 2, "the other records synced");

    // The operator raises the limit: the stuck change goes out by itself.
    running.stop().await;
    drop(relay);
    let relay = Relay::open(config(&data, 1 << 20)).expect("relay");
    let running = serve(relay.clone()).await;
    let owner_remote = Remote::new(&running.url, &owner.secret).expect("remote");
    let (report, _) = sync(&mut a, &owner_remote).await;
    assert!(report.pushed >= 1);
    assert!(local_state(&a).expect("state").stuck.is_empty());
    let member_remote = Remote::new(&running.url, &member.secret).expect("remote");
    sync(&mut b, &member_remote).await;
    assert_eq!(b.count(people, None).expect("count"), 3);
    assert!(b.record(big).is_ok());
    running.stop().await;
}

#[tokio::test]
async fn a_change_that_inflates_past_the_relays_bound_is_set_aside_before_it_is_sent() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("relay");
    let relay = Relay::open(config_inflated(&data, 64 * 1024)).expect("relay");
    let (workspace, owner) = relay.create_workspace("test").expect("workspace");
    let member = relay.create_token(workspace.id, Role::Member).expect("token");
    let running = serve(relay.clone()).await;

    // Made before the device heard of the bound: 200 KB of text that compresses to
    // a few hundred bytes, far under the chunk limit.
    let mut a = Workspace::create(&dir.path().join("a"), CreateOptions::new("ada")).expect("a");
    add_person(&mut a, "Small Before");
    let big = add_person(&mut a, &"ab".repeat(100_000));
    add_person(&mut a, "Small After");
    let owner_remote = Remote::new(&running.url, &owner.secret).expect("remote");
    let (report, events) = sync(&mut a, &owner_remote).await;
    assert!(
        events.iter().any(|e| matches!(e, SyncEvent::Refused { changes: 1 })),
        "{events:?}"
    );
    assert_eq!(report.pending, 0);
    let state = local_state(&a).expect("state");
    assert_eq!(state.stuck.len(), 1);
    assert_eq!(state.stuck[0].record, big);
    assert!(state.stuck[0].reason.contains("inflates"), "{}", state.stuck[0].reason);
    // (The sync succeeded: had the chunk been sent, the relay would have closed the
    // connection with `bad_chunk` and the sync would have failed.)
    // New local edits check the bound the relay announced.
    let people = a.object_named("people").expect("people").id;
    let values = a
        .parse_values(people, &[("name".into(), "cd".repeat(100_000))])
        .expect("values");
    assert!(matches!(
        a.create_record(people, values),
        Err(kith_core::Error::ChangeTooLarge { limit: 65_536, .. })
    ));

    let mut b = Workspace::create_replica(&dir.path().join("b"), "bob").expect("b");
    let member_remote = Remote::new(&running.url, &member.secret).expect("remote");
    sync(&mut b, &member_remote).await;
    assert_eq!(b.count(people, None).expect("count"), 2, "the other records synced");

    // The operator raises the bound: the stuck change goes out by itself.
    running.stop().await;
    drop(relay);
    let relay = Relay::open(config_inflated(&data, 4 << 20)).expect("relay");
    let running = serve(relay.clone()).await;
    let owner_remote = Remote::new(&running.url, &owner.secret).expect("remote");
    let (report, _) = sync(&mut a, &owner_remote).await;
    assert!(report.pushed >= 1);
    assert!(local_state(&a).expect("state").stuck.is_empty());
    let member_remote = Remote::new(&running.url, &member.secret).expect("remote");
    sync(&mut b, &member_remote).await;
    assert_eq!(b.count(people, None).expect("count"), 3);
    running.stop().await;
}

#[tokio::test]
async fn a_push_over_the_workspace_quota_stops_sync_with_a_message_about_the_quota() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = config(&dir.path().join("relay"), 1 << 20);
    config.limits.workspace_quota_bytes = 2_000;
    let relay = Relay::open(config).expect("relay");
    let (_, owner) = relay.create_workspace("test").expect("workspace");
    let running = serve(relay.clone()).await;

    let mut a = Workspace::create(&dir.path().join("a"), CreateOptions::new("ada")).expect("a");
    add_person(&mut a, &noise(5_000));
    let remote = Remote::new(&running.url, &owner.secret).expect("remote");
    let err = tokio::time::timeout(PATIENCE, sync_once(&mut a, &remote, |_| {}))
        .await
        .expect("sync finishes in time")
        .expect_err("the quota refuses the push");
    assert!(
        matches!(
            &err,
            kith::sync::SyncError::Refused {
                code: kith_core::sync::protocol::ErrorCode::QuotaExceeded,
                ..
            }
        ),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(text.contains("storage quota") && text.contains("operator"), "{text}");
    assert!(local_state(&a).expect("state").pending > 0, "the changes stay queued");
    running.stop().await;
}
