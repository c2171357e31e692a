//! The real relay (`kith-relay`: axum, the hub, sessions, redb, background compaction)
//! behind the harness's [`RelayLink`]: it serves on 127.0.0.1:0 in a background runtime
//! and every harness connection is a real WebSocket. Each `handle` sends one frame and
//! reads until the relay has answered it (welcome, caught up, every chunk acknowledged)
//! and every subscribed connection has received everything the log holds, so schedules
//! stay deterministic in what each device receives, though not in when the background
//! compaction runs. A restart stops the server and reopens the relay from its redb file.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use kith_core::DocId;
use kith_core::sync::protocol::{ClientMessage, Role, ServerMessage, decode, encode};
use kith_relay::{Config, Relay};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::memory_relay::ConnId;
use crate::relay_link::RelayLink;

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Longest wait for one frame: only a bug (a frame that never comes) reaches it.
const STUCK: Duration = Duration::from_secs(120);
/// Every this many handled messages, compact at once too (besides the background runs).
const COMPACT_EVERY: u64 = 10;

struct Conn {
    socket: Socket,
    /// Pulled and caught up: the relay sends it every new entry.
    subscribed: bool,
    /// The highest log position it has (entries received, caught-up head, own acks).
    seen: u64,
    /// Pushed chunks by push id, until acknowledged.
    pushed: HashMap<u64, (DocId, Vec<u8>)>,
}

struct Server {
    relay: Relay,
    addr: std::net::SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), kith_relay::ServeError>>,
}

/// A real relay with one workspace and a token per role.
pub struct RealRelay {
    runtime: tokio::runtime::Runtime,
    config: Config,
    server: Option<Server>,
    secrets: Vec<(Role, String)>,
    conns: BTreeMap<ConnId, Conn>,
    next_conn: ConnId,
    acked: HashMap<u64, (DocId, Vec<u8>)>,
    /// The highest log position acknowledged.
    head: u64,
    handled: u64,
    _dir: tempfile::TempDir,
}

impl RealRelay {
    /// A relay in a new data directory, background compaction every second on every
    /// document with two entries outside the newest four log positions.
    pub fn start() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut config = Config {
            data_dir: dir.path().join("relay"),
            ..Config::default()
        };
        config.compaction.enabled = true;
        config.compaction.interval_secs = 1;
        config.compaction.min_entries = 2;
        config.compaction.keep_recent = 4;
        config.limits.messages_per_second = 1_000_000;
        config.limits.message_burst = 1_000_000;
        config.limits.max_connections_per_token = 10_000;
        config.limits.hello_timeout_secs = 3_600;
        config.limits.max_queued_messages = 1_000_000;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let mut relay = RealRelay {
            runtime,
            config,
            server: None,
            secrets: Vec::new(),
            conns: BTreeMap::new(),
            next_conn: 0,
            acked: HashMap::new(),
            head: 0,
            handled: 0,
            _dir: dir,
        };
        relay.serve();
        let server = relay.server.as_ref().expect("server");
        let (workspace, owner) = server.relay.create_workspace("harness").expect("workspace");
        let member = server.relay.create_token(workspace.id, Role::Member).expect("token");
        let viewer = server.relay.create_token(workspace.id, Role::Viewer).expect("token");
        relay.secrets = vec![
            (Role::Owner, owner.secret),
            (Role::Member, member.secret),
            (Role::Viewer, viewer.secret),
        ];
        relay
    }

    fn serve(&mut self) {
        let relay = Relay::open(self.config.clone()).expect("open the relay");
        let listener = self
            .runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = self
            .runtime
            .spawn(kith_relay::serve(listener, relay.clone(), async move {
                let _ = stopped.await;
            }));
        self.server = Some(Server {
            relay,
            addr,
            stop,
            task,
        });
    }

    fn compact(&self) {
        if let Some(server) = &self.server {
            server.relay.compact_now().expect("compaction");
        }
    }

    /// Reads the next protocol message of `conn`; `None` once the relay closed it.
    fn read(&mut self, conn: ConnId) -> Option<ServerMessage> {
        let c = self.conns.get_mut(&conn)?;
        let message = self.runtime.block_on(async {
            loop {
                match tokio::time::timeout(STUCK, c.socket.next()).await {
                    Err(_) => panic!("the relay sent nothing to connection {conn} for {STUCK:?}"),
                    Ok(Some(Ok(Message::Binary(bytes)))) => {
                        return Some(decode(&bytes, usize::MAX).expect("a protocol message"));
                    }
                    Ok(Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_)))) => continue,
                    Ok(Some(Ok(Message::Text(_)))) => panic!("a text frame"),
                    Ok(Some(Ok(Message::Close(_)) | Err(_)) | None) => return None,
                }
            }
        });
        match &message {
            None => {
                self.conns.remove(&conn);
            }
            Some(m) => self.note(conn, m),
        }
        message
    }

    /// Updates what a connection has seen and what the log holds.
    fn note(&mut self, conn: ConnId, message: &ServerMessage) {
        let Some(c) = self.conns.get_mut(&conn) else { return };
        match message {
            ServerMessage::Ack { acks } => {
                for ack in acks {
                    if let Some(chunk) = c.pushed.remove(&ack.id) {
                        self.acked.entry(ack.seq).or_insert(chunk);
                    }
                    self.head = self.head.max(ack.seq);
                    // The relay sends a device its acks and others' entries in log order.
                    c.seen = c.seen.max(ack.seq);
                }
            }
            ServerMessage::Entries { entries } => {
                for e in entries {
                    c.seen = c.seen.max(e.seq);
                    self.head = self.head.max(e.seq);
                }
            }
            ServerMessage::CaughtUp { head } => {
                c.subscribed = true;
                c.seen = c.seen.max(*head);
                self.head = self.head.max(*head);
            }
            ServerMessage::Error { .. } => {
                self.conns.remove(&conn);
            }
            _ => {}
        }
    }
}

impl RelayLink for RealRelay {
    fn connect(&mut self, role: Role) -> ConnId {
        let server = self.server.as_ref().expect("the relay is serving");
        let secret = &self
            .secrets
            .iter()
            .find(|(r, _)| *r == role)
            .expect("a token for the role")
            .1;
        let mut request = format!("ws://{}/v1/sync", server.addr)
            .into_client_request()
            .expect("request");
        request.headers_mut().insert(
            "authorization",
            HeaderValue::from_str(&format!("Bearer {secret}")).expect("header"),
        );
        let (socket, _) = self
            .runtime
            .block_on(tokio_tungstenite::connect_async(request))
            .expect("websocket upgrade");
        self.next_conn += 1;
        self.conns.insert(
            self.next_conn,
            Conn {
                socket,
                subscribed: false,
                seen: 0,
                pushed: HashMap::new(),
            },
        );
        self.next_conn
    }

    fn disconnect(&mut self, conn: ConnId) {
        if let Some(mut c) = self.conns.remove(&conn) {
            let _ = self.runtime.block_on(c.socket.close(None));
        }
    }

    fn restart(&mut self) {
        for conn in self.conns.keys().copied().collect::<Vec<_>>() {
            self.disconnect(conn);
        }
        self.compact();
        if let Some(server) = self.server.take() {
            let _ = server.stop.send(());
            self.runtime
                .block_on(server.task)
                .expect("the server task")
                .expect("a clean stop");
        }
        self.serve();
    }

    fn is_connected(&self, conn: ConnId) -> bool {
        self.conns.contains_key(&conn)
    }

    fn handle(&mut self, from: ConnId, message: ClientMessage) -> Vec<(ConnId, ServerMessage)> {
        self.handled += 1;
        if self.handled.is_multiple_of(COMPACT_EVERY) {
            self.compact();
        }
        let Some(c) = self.conns.get_mut(&from) else {
            return Vec::new();
        };
        let mut waiting_acks: HashSet<u64> = HashSet::new();
        if let ClientMessage::Push { chunks } = &message {
            for chunk in chunks {
                c.pushed.insert(chunk.id, (chunk.doc, chunk.data.clone()));
                waiting_acks.insert(chunk.id);
            }
        }
        let sent = self
            .runtime
            .block_on(c.socket.send(Message::Binary(encode(&message).into())));
        if sent.is_err() {
            self.conns.remove(&from);
            return Vec::new();
        }
        let mut out = Vec::new();
        // The relay's answer to this message.
        while let Some(reply) = self.read(from) {
            let done = match (&message, &reply) {
                (_, ServerMessage::Error { .. }) => true,
                (ClientMessage::Hello { .. }, ServerMessage::Welcome { .. }) => true,
                (ClientMessage::Pull { .. }, ServerMessage::CaughtUp { .. }) => true,
                (ClientMessage::Push { .. }, ServerMessage::Ack { acks }) => {
                    for ack in acks {
                        waiting_acks.remove(&ack.id);
                    }
                    waiting_acks.is_empty()
                }
                _ => false,
            };
            out.push((from, reply));
            if done {
                break;
            }
        }
        // Then every subscribed connection receives what the log holds.
        let conns: Vec<ConnId> = self.conns.keys().copied().collect();
        for conn in conns {
            while self
                .conns
                .get(&conn)
                .is_some_and(|c| c.subscribed && c.seen < self.head)
            {
                match self.read(conn) {
                    Some(m) => out.push((conn, m)),
                    None => break,
                }
            }
        }
        out
    }

    fn acknowledged(&self, seq: u64) -> Option<(DocId, Vec<u8>)> {
        self.acked.get(&seq).cloned()
    }
}
