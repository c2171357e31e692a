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
        let mut command = relay_command(data);
        command.args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"]);
        Self::spawn(command)
    }

    /// Serves `data` like [`Self::start`], with the process allowed only `files` open
    /// file handles (`ulimit -n` in a shell that then becomes the relay).
    fn start_with_file_limit(data: &Path, files: u32, env: &[(&str, &str)]) -> Self {
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(format!("ulimit -n {files} && exec \"$0\" \"$@\""))
            .arg(env!("CARGO_BIN_EXE_kith-relay"))
            .arg("--data")
            .arg(data)
            .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"]);
        for (var, _) in std::env::vars().filter(|(v, _)| v.starts_with("KITH_RELAY_") || v == "RUST_LOG") {
            command.env_remove(var);
        }
        for (var, value) in env {
            command.env(var, value);
        }
        Self::spawn(command)
    }

    fn spawn(mut command: Command) -> Self {
        let mut child = command
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

/// User and system CPU time the process `pid` has used, from `/proc/PID/stat`.
fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name (which may hold spaces) in parentheses.
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after.split(' ').collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    // Linux reports in USER_HZ, 100 per second on every usual configuration.
    Duration::from_millis(ticks * 10)
}

fn healthz(addr: SocketAddr) -> bool {
    use std::io::{Read, Write};
    let Ok(mut tcp) = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(1)) else {
        return false;
    };
    let _ = tcp.set_read_timeout(Some(Duration::from_secs(2)));
    if tcp
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: relay\r\nConnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut answer = String::new();
    let _ = tcp.read_to_string(&mut answer);
    answer.starts_with("HTTP/1.1 200")
}

#[test]
fn out_of_file_handles_the_relay_does_not_spin_and_serves_again_once_they_are_free() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    init(&data);
    // Caps far above the handle limit, and a header deadline longer than the test: only
    // the process's 64 file handles limit the connections.
    let relay = RelayProcess::start_with_file_limit(
        &data,
        64,
        &[
            ("KITH_RELAY_MAX_CONNECTIONS_PER_ADDRESS", "10000"),
            ("KITH_RELAY_HEADER_READ_TIMEOUT_SECS", "600"),
        ],
    );
    assert!(healthz(relay.addr));

    // Connections that never send a request hold a handle each; the kernel queues more
    // than the relay can accept.
    let mut idle = Vec::new();
    for _ in 0..150 {
        if let Ok(tcp) = std::net::TcpStream::connect_timeout(&relay.addr, Duration::from_millis(500)) {
            idle.push(tcp);
        }
    }
    let deadline = std::time::Instant::now() + PATIENCE;
    while !relay
        .log
        .lock()
        .unwrap()
        .iter()
        .any(|l| l.contains("Too many open files"))
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the relay never ran out of file handles"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    // Out of handles for a while: a loop retrying accept would burn a core meanwhile.
    let pid = relay.child.id();
    let (cpu_before, wall) = (cpu_time(pid), std::time::Instant::now());
    std::thread::sleep(Duration::from_secs(3));
    let (cpu, elapsed) = (cpu_time(pid) - cpu_before, wall.elapsed());
    assert!(
        cpu < elapsed / 2,
        "the relay used {cpu:?} of CPU in {elapsed:?} while out of file handles"
    );

    // Handles free again: the relay serves.
    drop(idle);
    let deadline = std::time::Instant::now() + PATIENCE;
    while !healthz(relay.addr) {
        assert!(std::time::Instant::now() < deadline, "the relay does not serve again");
        std::thread::sleep(Duration::from_millis(100));
    }
    let log = relay.kill();
    let errors = log.iter().filter(|l| l.contains("Too many open files")).count();
    assert!(
        errors < 100,
        "{errors} accept errors logged: the relay retried without pausing"
    );
}
