//! The relay is SIGKILLed while three devices push records with `sync_watch` running,
//! then restarted on the same data directory. Every change it acknowledged before the
//! kill must still be there, and the devices must reconnect on their own and converge.
//!
//! The relay runs as a separate process (the `kith-relay` binary); the devices are the
//! `kith` library in this process, each editing its workspace through a shared handle
//! while its connector watches.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kith::sync::{Remote, SyncEvent, sync_once, sync_watch};
use kith_core::{CreateOptions, Query, RecordId, Workspace};
use tokio::sync::{Notify, oneshot};

/// Every bounded wait in this test.
const PATIENCE: Duration = Duration::from_secs(60);
/// Acknowledgements each device must have had before the relay is killed.
const ACKS_BEFORE_KILL: usize = 5;
/// Records each device writes after the restart, before writers stop.
const RECORDS_AFTER_RESTART: usize = 5;

fn relay_command(data: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kith-relay"));
    command.arg("--data").arg(data).env_remove("KITH_RELAY_CONFIG");
    command
}

/// Runs an admin command and parses its `--json` output.
fn admin(data: &Path, args: &[&str]) -> serde_json::Value {
    let out = relay_command(data)
        .args(args)
        .arg("--json")
        .stdin(Stdio::null())
        .output()
        .expect("kith-relay runs");
    assert!(
        out.status.success(),
        "kith-relay {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON output")
}

/// A `kith-relay serve` process.
struct RelayProcess {
    child: Child,
    addr: SocketAddr,
}

impl RelayProcess {
    /// Starts serving `data` on `listen` and returns once it listens (its log says so,
    /// with the device port's address; `relay.addr` has the admin port's).
    fn start(data: &Path, listen: &str) -> Self {
        let mut child = relay_command(data)
            .args(["serve", "--listen", listen])
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("kith-relay serve runs");
        let stderr = child.stderr.take().expect("stderr");
        let (ready, listening) = std::sync::mpsc::channel();
        // Keeps reading the log for the life of the process, so its pipe never fills.
        std::thread::spawn(move || {
            let mut ready = Some(ready);
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.contains("kith-relay listening")
                    && let Some(addr) = line.split("local=").nth(1)
                    && let Some(ready) = ready.take()
                {
                    let _ = ready.send(addr.trim().to_string());
                }
            }
        });
        let Ok(addr) = listening.recv_timeout(PATIENCE) else {
            let _ = child.kill();
            panic!("kith-relay did not start listening");
        };
        let addr = addr.parse().expect("an address in the log");
        RelayProcess { child, addr }
    }

    /// SIGKILL: no shutdown, no flush, no goodbye to anyone.
    fn kill(mut self) {
        self.child.kill().expect("kill");
        self.child.wait().expect("reaped");
    }
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One device: its workspace (shared with its connector), its relay token, and the
/// records it has written.
struct Device {
    name: String,
    ws: Arc<Mutex<Workspace>>,
    remote: Remote,
    written: Mutex<Vec<(RecordId, String)>>,
    acks: AtomicUsize,
}

impl Device {
    fn new(name: &str, ws: Workspace, remote: Remote) -> Arc<Self> {
        Arc::new(Device {
            name: name.to_string(),
            ws: Arc::new(Mutex::new(ws)),
            remote,
            written: Mutex::new(Vec::new()),
            acks: AtomicUsize::new(0),
        })
    }

    fn write_one(&self) {
        let mut written = self.written.lock().expect("written");
        let name = format!("{}-{:03}", self.name, written.len());
        let mut ws = self.ws.lock().expect("ws");
        let people = ws.object_named("people").expect("people").id;
        let values = ws
            .parse_values(people, &[("name".into(), name.clone())])
            .expect("values");
        let id = ws.create_record(people, values).expect("record");
        written.push((id, name));
    }

    /// The names of records this device wrote whose chunks the relay acknowledged
    /// (they left the outbox). Read under both locks, so nothing moves meanwhile.
    fn acknowledged(&self) -> BTreeSet<String> {
        let written = self.written.lock().expect("written");
        let ws = self.ws.lock().expect("ws");
        let waiting: BTreeSet<[u8; 16]> = ws
            .outbox(usize::MAX)
            .expect("outbox")
            .into_iter()
            .map(|chunk| *chunk.doc.as_bytes())
            .collect();
        written
            .iter()
            .filter(|(id, _)| !waiting.contains(id.as_bytes()))
            .map(|(_, name)| name.clone())
            .collect()
    }

    fn names_written(&self) -> BTreeSet<String> {
        self.written
            .lock()
            .expect("written")
            .iter()
            .map(|(_, n)| n.clone())
            .collect()
    }
}

fn people(ws: &Workspace) -> BTreeSet<String> {
    let Ok(object) = ws.object_named("people") else {
        return BTreeSet::new();
    };
    let mut query = Query::new(object.id);
    query.limit = 100_000;
    ws.query(&query)
        .expect("query")
        .ids
        .into_iter()
        .map(|id| ws.record_name(id))
        .collect()
}

fn token(data: &Path, workspace: &str) -> String {
    let token = admin(data, &["token", "create", "--workspace", workspace, "--role", "member"]);
    token["secret"].as_str().expect("secret").to_string()
}

async fn sync(ws: &mut Workspace, remote: &Remote) {
    tokio::time::timeout(PATIENCE, sync_once(ws, remote, |_| {}))
        .await
        .expect("sync in time")
        .expect("sync succeeds");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_resume_after_relay_is_killed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data: PathBuf = dir.path().join("relay");
    admin(&data, &["init"]);
    let created = admin(&data, &["workspace", "create", "crash test"]);
    let workspace = created["workspace"]["id"].as_str().expect("workspace id").to_string();
    let owner = created["token"]["secret"].as_str().expect("owner token").to_string();

    let relay = RelayProcess::start(&data, "127.0.0.1:0");
    let url = format!("http://{}", relay.addr);
    let remote = |token: &str| Remote::new(&url, token).expect("remote");

    // A founds the workspace; B and C join it.
    let mut a = Workspace::create(&dir.path().join("a"), CreateOptions::new("a")).expect("a");
    sync(&mut a, &remote(&owner)).await;
    let mut devices = vec![Device::new("a", a, remote(&owner))];
    for name in ["b", "c"] {
        let mut ws = Workspace::create_replica(&dir.path().join(name), name).expect("replica");
        let remote = remote(&token(&data, &workspace));
        sync(&mut ws, &remote).await;
        devices.push(Device::new(name, ws, remote));
    }

    // Every device watches and writes a record every few milliseconds.
    let changed = Arc::new(Notify::new());
    let writing = Arc::new(AtomicBool::new(true));
    let mut stops = Vec::new();
    let mut watchers = Vec::new();
    let mut writers = Vec::new();
    for device in &devices {
        let (stop, stopped) = oneshot::channel::<()>();
        stops.push(stop);
        let (d, changed) = (device.clone(), changed.clone());
        watchers.push(tokio::spawn(async move {
            let on_event = |event: &SyncEvent| {
                if matches!(event, SyncEvent::Acknowledged { .. }) {
                    d.acks.fetch_add(1, Ordering::SeqCst);
                }
                changed.notify_one();
            };
            sync_watch(
                &*d.ws,
                &d.remote,
                async move {
                    let _ = stopped.await;
                },
                on_event,
            )
            .await
        }));
        let (d, writing) = (device.clone(), writing.clone());
        writers.push(tokio::spawn(async move {
            let mut pace = tokio::time::interval(Duration::from_millis(15));
            while writing.load(Ordering::SeqCst) {
                pace.tick().await;
                d.write_one();
            }
        }));
    }

    // Mid-stream: every device has had acknowledgements, and keeps writing.
    wait_until(&changed, || {
        devices
            .iter()
            .all(|d| d.acks.load(Ordering::SeqCst) >= ACKS_BEFORE_KILL)
    })
    .await;
    let addr = relay.addr;
    relay.kill();
    let acknowledged: BTreeSet<String> = devices.iter().flat_map(|d| d.acknowledged()).collect();
    assert!(acknowledged.len() >= 3 * ACKS_BEFORE_KILL, "{acknowledged:?}");

    // Restarted on the same data directory and port: the devices come back by themselves.
    let _relay = RelayProcess::start(&data, &addr.to_string());

    // Everything acknowledged before the kill survived it: a new device that joins now
    // gets it (acknowledged chunks left every outbox, so only the relay can have them).
    let mut fresh = Workspace::create_replica(&dir.path().join("fresh"), "fresh").expect("replica");
    sync(&mut fresh, &remote(&owner)).await;
    let survived = people(&fresh);
    let lost: Vec<&String> = acknowledged.difference(&survived).collect();
    assert!(lost.is_empty(), "acknowledged before the kill but gone: {lost:?}");

    // Devices keep writing for a moment after the restart, then stop; everyone converges.
    let before: usize = devices.iter().map(|d| d.names_written().len()).sum();
    wait_until(&changed, || {
        devices.iter().map(|d| d.names_written().len()).sum::<usize>() >= before + 3 * RECORDS_AFTER_RESTART
    })
    .await;
    writing.store(false, Ordering::SeqCst);
    for writer in writers {
        writer.await.expect("writer");
    }
    let everything: BTreeSet<String> = devices.iter().flat_map(|d| d.names_written()).collect();
    wait_until(&changed, || {
        let mut heads = Vec::new();
        for d in &devices {
            let mut ws = d.ws.lock().expect("ws");
            if ws.outbox_len().expect("outbox") > 0 || people(&ws) != everything {
                return false;
            }
            heads.push(ws.document_heads().expect("heads"));
        }
        // Same documents with the same history everywhere.
        heads.windows(2).all(|w| w[0] == w[1])
    })
    .await;

    for stop in stops {
        let _ = stop.send(());
    }
    for watcher in watchers {
        watcher
            .await
            .expect("watcher")
            .expect("the watch ended without an error");
    }
    let mut heads = Vec::new();
    for d in &devices {
        heads.push(d.ws.lock().expect("ws").document_heads().expect("heads"));
    }
    assert!(
        heads.windows(2).all(|w| w[0] == w[1]),
        "all replicas hold the same documents"
    );
}

/// Re-checks `done` whenever a connector reports something (and at least every 200 ms),
/// until it holds; fails after [`PATIENCE`].
async fn wait_until(changed: &Notify, done: impl Fn() -> bool) {
    let waited = tokio::time::timeout(PATIENCE, async {
        while !done() {
            let _ = tokio::time::timeout(Duration::from_millis(200), changed.notified()).await;
        }
    })
    .await;
    assert!(waited.is_ok(), "not reached within {PATIENCE:?}");
}
