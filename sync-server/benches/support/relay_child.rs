//! A `kith-relay serve` child process for the benchmarks: its address, two tokens of
//! one workspace, its resident memory, and WebSocket devices that greet it.

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use kith_core::sync::protocol::{ClientMessage, PROTOCOL_VERSION, ServerMessage, decode, encode};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub(crate) type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

pub(crate) struct Relay {
    pub(crate) child: Child,
    pub(crate) addr: SocketAddr,
    pub(crate) secret: String,
    /// A second token of the workspace, for a well-behaved device.
    pub(crate) other_secret: String,
    _dir: tempfile::TempDir,
}

impl Relay {
    pub(crate) fn start(env: &[(&str, &str)]) -> Relay {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let run = |args: &[&str]| {
            let out = Command::new(env!("CARGO_BIN_EXE_kith-relay"))
                .args(args)
                .arg("--data")
                .arg(&data)
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            out.stdout
        };
        run(&["init"]);
        let created: serde_json::Value =
            serde_json::from_slice(&run(&["workspace", "create", "Bench", "--json"])).unwrap();
        let secret = created["token"]["secret"].as_str().unwrap().to_string();
        let workspace = created["workspace"]["id"].as_str().unwrap().to_string();
        let other: serde_json::Value = serde_json::from_slice(&run(&[
            "token",
            "create",
            "--workspace",
            &workspace,
            "--role",
            "member",
            "--json",
        ]))
        .unwrap();
        let other_secret = other["secret"].as_str().unwrap().to_string();
        let mut command = Command::new(env!("CARGO_BIN_EXE_kith-relay"));
        command
            .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json", "--data"])
            .arg(&data)
            // As the relay's own default: Automerge logs an error for every chunk whose
            // dependencies are elsewhere (every incremental change it checks).
            .env("RUST_LOG", "warn,kith_relay=info,automerge=off")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command.spawn().unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            let mut infos = 0usize;
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Ok(json) = serde_json::from_str::<serde_json::Value>(&line) {
                    // Why a relay dropped a device, or anything that went wrong in it.
                    let message = json["fields"]["message"].as_str().unwrap_or_default();
                    if json["level"] != "INFO" || message.starts_with("disconnecting") {
                        eprintln!("relay: {line}");
                    }
                    if json["fields"]["message"] == "kith-relay listening"
                        && let Some(tx) = tx.take()
                    {
                        let _ = tx.send(json["fields"]["local"].as_str().unwrap().to_string());
                    }
                    infos += 1;
                }
            }
            let _ = infos;
        });
        let addr = rx.recv_timeout(Duration::from_secs(30)).unwrap().parse().unwrap();
        Relay {
            child,
            addr,
            secret,
            other_secret,
            _dir: dir,
        }
    }

    /// (peak, current) resident memory in MiB.
    pub(crate) fn memory(&self) -> (f64, f64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0)
                / 1024.0
        };
        (field("VmHWM:"), field("VmRSS:"))
    }

    pub(crate) fn report(&self, scenario: &str, note: &str) {
        let (peak, now) = self.memory();
        println!("{scenario:<14} relay peak {peak:>7.1} MiB, now {now:>7.1} MiB  {note}");
        let _ = std::io::stdout().flush();
    }

    pub(crate) async fn connect(&self) -> Ws {
        connect_from(self.addr, &self.secret, None).await.unwrap()
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) async fn connect_from(addr: SocketAddr, secret: &str, from: Option<std::net::Ipv4Addr>) -> Option<Ws> {
    let tcp = match from {
        Some(ip) => {
            let socket = TcpSocket::new_v4().ok()?;
            socket.bind(SocketAddr::from((ip, 0))).ok()?;
            socket.connect(addr).await.ok()?
        }
        None => TcpStream::connect(addr).await.ok()?,
    };
    let mut request = format!("ws://{addr}/v1/sync").into_client_request().unwrap();
    request
        .headers_mut()
        .insert("Authorization", format!("Bearer {secret}").parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::client_async(request, MaybeTlsStream::Plain(tcp))
        .await
        .ok()?;
    send(
        &mut ws,
        &ClientMessage::Hello {
            versions: vec![PROTOCOL_VERSION],
            client: "bench".into(),
        },
    )
    .await
    .ok()?;
    match recv(&mut ws).await? {
        ServerMessage::Welcome { .. } => Some(ws),
        _ => None,
    }
}

pub(crate) async fn send(ws: &mut Ws, message: &ClientMessage) -> Result<(), tokio_tungstenite::tungstenite::Error> {
    ws.send(Message::binary(encode(message))).await
}

pub(crate) async fn recv(ws: &mut Ws) -> Option<ServerMessage> {
    loop {
        match tokio::time::timeout(Duration::from_secs(60), ws.next()).await.ok()?? {
            Ok(Message::Binary(b)) => return decode(&b, usize::MAX).ok(),
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => continue,
        }
    }
}
