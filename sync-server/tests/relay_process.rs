//! The `kith-relay` binary as a child process: killed with SIGKILL over and over while
//! devices push, and what it logs.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kith_core::sync::protocol::{ClientMessage, PROTOCOL_VERSION, PushChunk, ServerMessage};
use tokio_tungstenite::tungstenite::Message;

#[allow(dead_code)]
#[path = "relay/common.rs"]
mod common;

use common::{Device, Doc};

const PATIENCE: Duration = Duration::from_secs(30);

fn relay_command(data: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kith-relay"));
    command.arg("--data").arg(data);
    for (var, _) in std::env::vars().filter(|(v, _)| v.starts_with("KITH_RELAY_") || v == "RUST_LOG") {
        command.env_remove(var);
    }
    command
}

/// A new data directory with one workspace; the owner token's secret and id.
fn init(data: &Path) -> (String, String) {
    let out = relay_command(data).arg("init").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = relay_command(data)
        .args(["workspace", "create", "Acme", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let created: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let token = &created["token"];
    (
        token["secret"].as_str().unwrap().to_string(),
        token["id"].as_str().unwrap().to_string(),
    )
}

/// A `kith-relay serve` process and every line it logged.
struct RelayProcess {
    child: Child,
    addr: SocketAddr,
    log: Arc<Mutex<Vec<String>>>,
}

impl RelayProcess {
    /// Serves `data` with JSON logs; returns once the device port listens.
    fn start(data: &Path) -> Self {
        let mut child = relay_command(data)
            .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let (ready, listening) = std::sync::mpsc::channel();
        let lines = log.clone();
        std::thread::spawn(move || {
            let mut ready = Some(ready);
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Ok(json) = serde_json::from_str::<serde_json::Value>(&line)
                    && json["fields"]["message"] == "kith-relay listening"
                    && let Some(ready) = ready.take()
                {
                    let _ = ready.send(json["fields"]["local"].as_str().unwrap_or_default().to_string());
                }
                lines.lock().unwrap().push(line);
            }
        });
        let Ok(addr) = listening.recv_timeout(PATIENCE) else {
            let _ = child.kill();
            panic!("kith-relay did not start: {:?}", log.lock().unwrap());
        };
        RelayProcess {
            child,
            addr: addr.parse().unwrap(),
            log,
        }
    }

    fn url(&self) -> String {
        format!("ws://{}/v1/sync", self.addr)
    }

    /// SIGKILL, and the lines it logged.
    fn kill(mut self) -> Vec<String> {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        std::mem::take(&mut *self.log.lock().unwrap())
    }
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn join(url: &str, token: &str) -> Option<Device> {
    let mut device = Device::open_url(url, token).await.ok()?;
    device
        .try_send_raw(Message::binary(kith_core::sync::protocol::encode(
            &ClientMessage::Hello {
                versions: vec![PROTOCOL_VERSION],
                client: "test".into(),
            },
        )))
        .await
        .ok()?;
    match device.next().await? {
        ServerMessage::Welcome { .. } => Some(device),
        _ => None,
    }
}

/// One pushing device: its document, the chunk it has not had acknowledged, and
/// every acknowledged chunk.
struct Pusher {
    doc: Doc,
    pending: Option<PushChunk>,
    acked: Vec<Vec<u8>>,
    next_id: u64,
}

impl Pusher {
    /// Pushes one chunk after another until the connection breaks; tells `progress`
    /// about every ack.
    async fn run(mut self, url: String, token: String, progress: tokio::sync::mpsc::UnboundedSender<()>) -> Self {
        let Some(mut device) = join(&url, &token).await else {
            return self;
        };
        loop {
            let chunk = match self.pending.take() {
                Some(chunk) => chunk,
                None => {
                    self.next_id += 1;
                    self.doc.chunk(self.next_id, "n", self.next_id as i64)
                }
            };
            self.pending = Some(chunk.clone());
            let message = ClientMessage::Push {
                chunks: vec![chunk.clone()],
            };
            let sent = device
                .try_send_raw(Message::binary(kith_core::sync::protocol::encode(&message)))
                .await;
            if sent.is_err() {
                return self;
            }
            match device.next().await {
                Some(ServerMessage::Ack { acks }) if acks.iter().any(|a| a.id == chunk.id) => {
                    self.acked.push(chunk.data);
                    self.pending = None;
                    let _ = progress.send(());
                }
                _ => return self,
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_killed_50_times_while_three_devices_push_loses_no_acknowledged_change() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let (secret, _) = init(&data);
    let mut pushers: Vec<Pusher> = (0..3)
        .map(|_| Pusher {
            doc: Doc::new(),
            pending: None,
            acked: Vec::new(),
            next_id: 0,
        })
        .collect();
    for _ in 0..50 {
        // Starting proves the file opens after the previous kill.
        let relay = RelayProcess::start(&data);
        let (progress, mut acks) = tokio::sync::mpsc::unbounded_channel();
        let tasks: Vec<_> = pushers
            .drain(..)
            .map(|p| tokio::spawn(p.run(relay.url(), secret.clone(), progress.clone())))
            .collect();
        drop(progress);
        // Kill while pushes flow: after a few acks, with more on the way.
        for _ in 0..6 {
            if tokio::time::timeout(PATIENCE, acks.recv())
                .await
                .ok()
                .flatten()
                .is_none()
            {
                break;
            }
        }
        relay.kill();
        for task in tasks {
            pushers.push(tokio::time::timeout(PATIENCE, task).await.unwrap().unwrap());
        }
    }
    let relay = RelayProcess::start(&data);
    let mut check = join(&relay.url(), &secret).await.unwrap();
    let pulled = check.pull(0).await;
    let stored: std::collections::HashSet<&[u8]> = pulled.entries.iter().map(|e| e.data.as_slice()).collect();
    let mut acked = 0;
    for pusher in &pushers {
        for data in &pusher.acked {
            assert!(stored.contains(data.as_slice()), "an acknowledged change was lost");
            acked += 1;
        }
    }
    assert!(acked >= 300, "only {acked} changes were acknowledged");
    // Every device's document rebuilds whole from the relay.
    let docs = common::rebuild(&pulled);
    for pusher in &pushers {
        let mut rebuilt = docs.get(&pusher.doc.id).unwrap().clone();
        assert!(rebuilt.get_missing_deps(&[]).is_empty());
        let acked_changes = pusher.acked.len();
        assert!(rebuilt.get_changes(&[]).len() >= acked_changes);
    }
}

#[tokio::test]
async fn the_log_is_json_without_colour_names_tokens_never_secrets_and_has_no_errors_for_normal_sync() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let (secret, token_id) = init(&data);
    let relay = RelayProcess::start(&data);
    let url = relay.url();

    // A change that arrives before its dependency, then the dependency: normal sync.
    let mut doc = Doc::new();
    let first = doc.chunk(1, "a", 1);
    let second = doc.chunk(2, "a", 2);
    let mut a = join(&url, &secret).await.unwrap();
    a.push(vec![second]).await;
    a.push(vec![first]).await;
    let mut b = join(&url, &secret).await.unwrap();
    assert_eq!(b.pull(0).await.entries.len(), 2);

    // A device that sends garbage is disconnected, and the log says which token.
    let mut bad = join(&url, &secret).await.unwrap();
    bad.send_raw(Message::binary(vec![0xff, 0x13])).await;
    bad.expect_error().await;
    drop((a, b, bad));

    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !relay.log.lock().unwrap().iter().any(|l| l.contains("disconnecting")) {
        assert!(tokio::time::Instant::now() < deadline, "no disconnect logged");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let log = relay.kill();
    let mut disconnect = None;
    for line in &log {
        assert!(!line.contains('\u{1b}'), "a colour code in {line}");
        assert!(!line.contains(&secret), "the secret in the log: {line}");
        let json: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}"));
        assert_ne!(json["level"], "ERROR", "{line}");
        let message = json["fields"]["message"].as_str().unwrap_or_default();
        if message.starts_with("disconnecting a device") {
            disconnect = Some(json);
        }
    }
    let disconnect = disconnect.expect("the disconnect is logged");
    assert_eq!(disconnect["level"], "INFO");
    assert_eq!(disconnect["fields"]["token"], token_id.as_str());
    assert_eq!(disconnect["fields"]["code"], "malformed");
}
