//! The sync connector against a real relay (kith-relay's library, in memory, serving on
//! 127.0.0.1:0 in the test's runtime): replicas converge, offline edits sync both ways,
//! `sync_watch` delivers changes live, and refused tokens fail with a clear error.

use std::sync::Mutex;
use std::time::Duration;

use kith::sync::{Remote, SyncError, SyncEvent, sync_once, sync_watch};
use kith_core::sync::protocol::ErrorCode;
use kith_core::{CreateOptions, Query, RecordId, Workspace};
use kith_relay::{Config, Relay, Role};
use tempfile::TempDir;
use tokio::sync::{mpsc, oneshot};

/// Every bounded wait in these tests.
const PATIENCE: Duration = Duration::from_secs(20);

/// A relay serving in the test's runtime, stopped when dropped.
struct TestRelay {
    relay: Relay,
    url: String,
    _stop: oneshot::Sender<()>,
}

impl TestRelay {
    async fn start() -> Self {
        let relay = Relay::in_memory(Config::default()).expect("relay");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(kith_relay::serve(listener, relay.clone(), async move {
            let _ = stopped.await;
        }));
        TestRelay {
            relay,
            url,
            _stop: stop,
        }
    }

    /// A new relay workspace and a remote for its owner token.
    fn workspace(&self) -> (kith_relay::WorkspaceId, Remote) {
        let (workspace, owner) = self.relay.create_workspace("test").expect("workspace");
        (workspace.id, self.remote(&owner.secret))
    }

    fn token(&self, workspace: kith_relay::WorkspaceId, role: Role) -> Remote {
        let token = self.relay.create_token(workspace, role).expect("token");
        self.remote(&token.secret)
    }

    fn remote(&self, token: &str) -> Remote {
        Remote::new(&self.url, token).expect("remote")
    }
}

/// A founder's workspace on disk (standard objects) and a joiner's empty replica.
fn founder(dir: &TempDir, name: &str) -> Workspace {
    Workspace::create(&dir.path().join(name), CreateOptions::new(name)).expect("workspace")
}

fn joiner(dir: &TempDir, name: &str) -> Workspace {
    Workspace::create_replica(&dir.path().join(name), name).expect("replica")
}

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

/// The names of the people, sorted.
fn people(ws: &Workspace) -> Vec<String> {
    let Ok(object) = ws.object_named("people") else {
        return Vec::new();
    };
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

async fn sync(ws: &mut Workspace, remote: &Remote) -> kith::sync::SyncReport {
    tokio::time::timeout(PATIENCE, sync_once(ws, remote, |_| {}))
        .await
        .expect("sync finishes in time")
        .expect("sync succeeds")
}

#[tokio::test]
async fn a_joined_replica_converges_and_offline_edits_sync_both_ways() {
    let relay = TestRelay::start().await;
    let (workspace, owner) = relay.workspace();
    let member = relay.token(workspace, Role::Member);
    let dir = tempfile::tempdir().expect("tempdir");

    let mut a = founder(&dir, "ada");
    let ada = add_person(&mut a, "Ada Lovelace");
    assert!(a.outbox_len().expect("outbox") > 0);
    let first = sync(&mut a, &owner).await;
    assert_eq!(first.workspace, workspace.to_string());
    assert_eq!(first.role, Role::Owner);
    assert!(first.pushed > 0);
    assert_eq!(first.pending, 0);
    assert_eq!(a.outbox_len().expect("outbox"), 0);

    let mut b = joiner(&dir, "bob");
    let joined = sync(&mut b, &member).await;
    assert!(b.has_schema_doc(), "the schema arrives with the first sync");
    assert!(joined.received > 0 && joined.documents > 0);
    assert_eq!(people(&b), ["Ada Lovelace"]);
    assert_eq!(b.sync_cursor().expect("cursor"), joined.cursor);

    // Both edit offline: A renames, B adds.
    rename(&mut a, ada, "Ada King");
    add_person(&mut b, "Charles Babbage");
    let from_b = sync(&mut b, &member).await;
    assert_eq!(from_b.pushed, 1);
    let to_a = sync(&mut a, &owner).await;
    assert!(to_a.pushed >= 1 && to_a.received >= 1);
    sync(&mut b, &member).await;

    assert_eq!(people(&a), ["Ada King", "Charles Babbage"]);
    assert_eq!(people(&b), people(&a));
    assert_eq!(a.document_heads().expect("heads"), b.document_heads().expect("heads"));
    let again = sync(&mut a, &owner).await;
    assert_eq!((again.pushed, again.received), (0, 0), "nothing left to move");
    let state = kith::sync::local_state(&a).expect("state");
    assert_eq!(state.workspace_id.as_deref(), Some(workspace.to_string().as_str()));
    assert!(state.last_sync_ms.is_some());
}

/// Waits for an event that satisfies `done`.
async fn wait_for(events: &mut mpsc::UnboundedReceiver<SyncEvent>, done: impl Fn(&SyncEvent) -> bool) {
    tokio::time::timeout(PATIENCE, async {
        while let Some(event) = events.recv().await {
            if done(&event) {
                return;
            }
        }
        panic!("the connector stopped");
    })
    .await
    .expect("the event comes in time");
}

#[tokio::test]
async fn sync_watch_pushes_shared_edits_and_delivers_them_live() {
    let relay = TestRelay::start().await;
    let (workspace, owner) = relay.workspace();
    let member = relay.token(workspace, Role::Member);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut a = founder(&dir, "ada");
    sync(&mut a, &owner).await;
    let mut b = joiner(&dir, "bob");
    sync(&mut b, &member).await;

    // Both stay connected; A is edited through the shared handle while it watches.
    let a = Mutex::new(a);
    let b = Mutex::new(b);
    let (a_events, mut a_rx) = mpsc::unbounded_channel();
    let (b_events, mut b_rx) = mpsc::unbounded_channel();
    let (stop_a, a_stopped) = oneshot::channel::<()>();
    let (stop_b, b_stopped) = oneshot::channel::<()>();
    let watch_a = sync_watch(
        &a,
        &owner,
        async move {
            let _ = a_stopped.await;
        },
        move |e: &SyncEvent| {
            let _ = a_events.send(e.clone());
        },
    );
    let watch_b = sync_watch(
        &b,
        &member,
        async move {
            let _ = b_stopped.await;
        },
        move |e: &SyncEvent| {
            let _ = b_events.send(e.clone());
        },
    );
    let script = async {
        wait_for(&mut a_rx, |e| matches!(e, SyncEvent::CaughtUp { .. })).await;
        wait_for(&mut b_rx, |e| matches!(e, SyncEvent::CaughtUp { .. })).await;
        add_person(&mut a.lock().expect("a"), "Grace Hopper");
        wait_for(&mut a_rx, |e| matches!(e, SyncEvent::Acknowledged { .. })).await;
        wait_for(&mut b_rx, |e| matches!(e, SyncEvent::Applied { .. })).await;
        assert_eq!(people(&b.lock().expect("b")), ["Grace Hopper"]);
        // And the other way.
        add_person(&mut b.lock().expect("b"), "Alan Turing");
        wait_for(&mut a_rx, |e| matches!(e, SyncEvent::Applied { .. })).await;
        assert_eq!(people(&a.lock().expect("a")), ["Alan Turing", "Grace Hopper"]);
        let _ = stop_a.send(());
        let _ = stop_b.send(());
    };
    let (ra, rb, ()) = tokio::time::timeout(PATIENCE, async { tokio::join!(watch_a, watch_b, script) })
        .await
        .expect("in time");
    ra.expect("A watched until told to stop");
    rb.expect("B watched until told to stop");
    let (a, b) = (a.into_inner().expect("a"), b.into_inner().expect("b"));
    assert_eq!(a.outbox_len().expect("outbox"), 0);
    assert_eq!(b.outbox_len().expect("outbox"), 0);
}

#[tokio::test]
async fn a_wrong_token_fails_with_a_clear_error_and_changes_nothing() {
    let relay = TestRelay::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut a = founder(&dir, "ada");
    let pending = a.outbox_len().expect("outbox");
    let wrong = relay.remote("kr_0000000000000000000000000000000000000000000000000000000000000000");
    let err = sync_once(&mut a, &wrong, |_| {}).await.expect_err("refused");
    assert!(matches!(err, SyncError::Unauthorized), "{err:?}");
    assert!(err.to_string().contains("refused the token"), "{err}");
    let err = kith::sync::check_remote(&wrong, PATIENCE).await.expect_err("refused");
    assert!(matches!(err, SyncError::Unauthorized), "{err:?}");
    assert_eq!(a.outbox_len().expect("outbox"), pending);
    assert_eq!(a.sync_cursor().expect("cursor"), 0);

    // Nobody listens: a one-shot sync says it cannot reach the relay.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr")
    };
    let nowhere = Remote::new(&format!("http://{closed}"), "kr_x").expect("remote");
    let err = sync_once(&mut a, &nowhere, |_| {}).await.expect_err("unreachable");
    assert!(matches!(err, SyncError::Connect { .. }), "{err:?}");
    assert!(err.to_string().starts_with("cannot reach the relay at"), "{err}");
}

#[tokio::test]
async fn a_token_revoked_while_watching_stops_the_watch() {
    let relay = TestRelay::start().await;
    let (workspace, _owner) = relay.workspace();
    let token = relay.relay.create_token(workspace, Role::Member).expect("token");
    let remote = relay.remote(&token.secret);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut b = joiner(&dir, "bob");
    let (events, mut rx) = mpsc::unbounded_channel();
    let watch = sync_watch(&mut b, &remote, std::future::pending(), move |e: &SyncEvent| {
        let _ = events.send(e.clone());
    });
    let revoke = async {
        wait_for(&mut rx, |e| matches!(e, SyncEvent::CaughtUp { .. })).await;
        assert!(relay.relay.revoke_token(token.id).expect("revoke"));
    };
    let (result, ()) = tokio::time::timeout(PATIENCE, async { tokio::join!(watch, revoke) })
        .await
        .expect("the watch ends in time");
    let err = result.expect_err("revoked");
    assert!(
        matches!(
            err,
            SyncError::Refused {
                code: ErrorCode::TokenRevoked,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().starts_with("the relay refused the token (revoked)"),
        "{err}"
    );
}

#[tokio::test]
async fn a_replica_refuses_another_relay_workspace_and_a_viewer_replica_refuses_edits() {
    let relay = TestRelay::start().await;
    let (first, owner) = relay.workspace();
    let (_second, other_owner) = relay.workspace();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut a = founder(&dir, "ada");
    sync(&mut a, &owner).await;
    let err = sync_once(&mut a, &other_owner, |_| {})
        .await
        .expect_err("another workspace");
    assert!(matches!(err, SyncError::WrongWorkspace { .. }), "{err:?}");

    // A second founder cannot pour its own schema into a workspace that has one.
    let mut c = founder(&dir, "cy");
    let member = relay.token(first, Role::Member);
    let err = sync_once(&mut c, &member, |_| {}).await.expect_err("not empty");
    assert!(matches!(err, SyncError::RelayNotEmpty { .. }), "{err:?}");

    // A viewer receives everything, and its replica refuses local edits (they could
    // never sync: the viewer would see data nobody else has).
    let viewer = relay.token(first, Role::Viewer);
    let mut v = joiner(&dir, "vi");
    sync(&mut v, &viewer).await;
    assert_eq!(v.sync_role().expect("role"), Some(Role::Viewer));
    let people = v.object_named("people").expect("people").id;
    let values = v
        .parse_values(people, &[("name".into(), "Local Only".into())])
        .expect("values");
    let err = v.create_record(people, values).expect_err("read-only");
    assert!(err.to_string().contains("read-only (viewer) token"), "{err}");
    let report = sync(&mut v, &viewer).await;
    assert_eq!(report.role, Role::Viewer);
    assert_eq!((report.pushed, report.pending), (0, 0));
}

#[test]
fn a_workspace_can_be_shared_with_a_connector_on_another_thread() {
    fn send<T: Send>() {}
    send::<Mutex<Workspace>>();
}

#[tokio::test]
async fn a_device_joining_a_large_workspace_can_search_at_once_and_watch_mode_indexes_the_backlog() {
    let relay = TestRelay::start().await;
    let (workspace, owner) = relay.workspace();
    let member = relay.token(workspace, Role::Member);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut a = founder(&dir, "ada");
    let people_id = a.object_named("people").expect("people").id;
    let rows: Vec<kith_core::ImportRow> = (0..700)
        .map(|i| kith_core::ImportRow {
            id: None,
            values: a
                .parse_values(people_id, &[("name".into(), format!("Person {i} Müller"))])
                .expect("values"),
        })
        .collect();
    a.import_records(people_id, rows, &kith_core::ImportOptions::default(), &mut |_| {})
        .expect("import");
    sync(&mut a, &owner).await;

    // One-shot sync leaves the search entries of a bulk apply for later; search is
    // complete anyway.
    let mut b = joiner(&dir, "bob");
    sync(&mut b, &member).await;
    assert_eq!(b.search_backlog().expect("backlog"), 700);
    let hits = |ws: &Workspace| ws.search("mull 69", Some(people_id), 100).expect("search").len();
    assert_eq!(hits(&b), hits(&a));
    assert_eq!(hits(&a), 11); // 69 and 690–699

    // Watch mode indexes the backlog once caught up.
    let b = Mutex::new(b);
    let (events, mut rx) = mpsc::unbounded_channel();
    let (stop, stopped) = oneshot::channel::<()>();
    let watch = sync_watch(
        &b,
        &member,
        async move {
            let _ = stopped.await;
        },
        move |e: &SyncEvent| {
            let _ = events.send(e.clone());
        },
    );
    let script = async {
        wait_for(&mut rx, |e| matches!(e, SyncEvent::SearchIndexed { remaining: 0 })).await;
        let _ = stop.send(());
    };
    let (watched, ()) = tokio::time::timeout(PATIENCE, async { tokio::join!(watch, script) })
        .await
        .expect("in time");
    watched.expect("watched until told to stop");
    let b = b.into_inner().expect("b");
    assert_eq!(b.search_backlog().expect("backlog"), 0);
    assert_eq!(hits(&b), 11);
    // Rows, index and search entries as the founder's (B's own member change makes the
    // change tables differ until A pulls it).
    let searchable = |ws: &Workspace| {
        let mut d = ws.dump_derived().expect("derived");
        d.retain(|(table, _, _)| matches!(*table, "rows" | "index" | "text_index" | "search_backlog"));
        d
    };
    assert!(searchable(&b) == searchable(&a), "B's rows and indexes equal A's");
}
