//! A relay on 127.0.0.1:0 and devices speaking the protocol over tokio-tungstenite.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Duration;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ChangeHash, ROOT};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use kith_core::DocId;
use kith_core::sync::protocol::{
    Acked, ClientMessage, Entry, ErrorCode, PROTOCOL_VERSION, PushChunk, ServerMessage, Snapshot, decode, encode,
};
use kith_relay::{Config, Relay, ServeError};

/// How long a test waits for the relay before failing.
pub(crate) const PATIENCE: Duration = Duration::from_secs(10);

/// Small limits so the limit tests stay fast; no background compaction.
pub(crate) fn config() -> Config {
    let mut c = Config::default();
    c.limits.max_frame_bytes = 64 * 1024;
    c.limits.max_chunk_bytes = 16 * 1024;
    c.limits.messages_per_second = 100;
    c.limits.message_burst = 200;
    c.limits.max_connections_per_token = 4;
    c.compaction.enabled = false;
    c
}

/// A relay served in the background.
pub(crate) struct Server {
    pub(crate) relay: Relay,
    pub(crate) addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), ServeError>>,
}

impl Server {
    pub(crate) async fn start(relay: Relay) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(kith_relay::serve(listener, relay.clone(), async move {
            let _ = stopped.await;
        }));
        Server {
            relay,
            addr,
            stop: Some(stop),
            task,
        }
    }

    pub(crate) async fn in_memory() -> Server {
        Server::start(Relay::in_memory(config()).unwrap()).await
    }

    /// Stops gracefully and waits until serving has returned.
    pub(crate) async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        tokio::time::timeout(PATIENCE, &mut self.task)
            .await
            .expect("serve did not stop")
            .unwrap()
            .unwrap();
    }

    pub(crate) fn url(&self) -> String {
        format!("ws://{}/v1/sync", self.addr)
    }
}

/// One device connection.
pub(crate) struct Device {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// Messages read while waiting for something else.
    inbox: VecDeque<ServerMessage>,
}

/// The result of a pull.
#[derive(Debug, Default)]
pub(crate) struct Pulled {
    pub(crate) snapshots: Vec<Snapshot>,
    pub(crate) entries: Vec<Entry>,
    pub(crate) head: u64,
}

impl Device {
    /// Opens the WebSocket (no hello yet).
    pub(crate) async fn open(server: &Server, token: &str) -> Result<Device, tungstenite::Error> {
        Device::open_url(&server.url(), token).await
    }

    /// Opens the WebSocket at `url` (no hello yet).
    pub(crate) async fn open_url(url: &str, token: &str) -> Result<Device, tungstenite::Error> {
        let mut request = url.into_client_request().unwrap();
        request
            .headers_mut()
            .insert("Authorization", format!("Bearer {token}").parse().unwrap());
        let (ws, _) = tokio_tungstenite::connect_async(request).await?;
        Ok(Device {
            ws,
            inbox: VecDeque::new(),
        })
    }

    /// Opens and says hello; returns the welcome's head.
    pub(crate) async fn join(server: &Server, token: &str) -> (Device, u64) {
        let mut device = Device::open(server, token).await.expect("upgrade refused");
        device
            .send(&ClientMessage::Hello {
                versions: vec![PROTOCOL_VERSION],
                client: "test".into(),
            })
            .await;
        match device.recv().await {
            ServerMessage::Welcome { version, head, .. } => {
                assert_eq!(version, PROTOCOL_VERSION);
                (device, head)
            }
            other => panic!("expected welcome, got {other:?}"),
        }
    }

    pub(crate) async fn send(&mut self, message: &ClientMessage) {
        self.send_raw(Message::binary(encode(message))).await;
    }

    pub(crate) async fn send_raw(&mut self, message: Message) {
        self.ws.send(message).await.expect("send");
    }

    /// Writes raw bytes on the TCP connection under the WebSocket (a frame cut short).
    pub(crate) async fn write_tcp(&mut self, bytes: &[u8]) {
        match self.ws.get_mut() {
            MaybeTlsStream::Plain(tcp) => tcp.write_all(bytes).await.expect("write"),
            _ => panic!("tests use plain TCP"),
        }
    }

    /// Sends, reporting a closed connection instead of panicking.
    pub(crate) async fn try_send_raw(&mut self, message: Message) -> Result<(), tungstenite::Error> {
        self.ws.send(message).await
    }

    /// The next message, or `None` once the relay closed the connection.
    pub(crate) async fn next(&mut self) -> Option<ServerMessage> {
        if let Some(m) = self.inbox.pop_front() {
            return Some(m);
        }
        loop {
            let frame = tokio::time::timeout(PATIENCE, self.ws.next())
                .await
                .expect("the relay said nothing");
            match frame {
                None | Some(Err(_)) => return None,
                Some(Ok(Message::Close(_))) => {
                    // Reading on sends our close reply and finishes the handshake.
                    while let Ok(Some(Ok(_))) = tokio::time::timeout(PATIENCE, self.ws.next()).await {}
                    return None;
                }
                Some(Ok(Message::Binary(bytes))) => return Some(decode(&bytes, usize::MAX).expect("a server message")),
                Some(Ok(_)) => continue,
            }
        }
    }

    pub(crate) async fn recv(&mut self) -> ServerMessage {
        self.next().await.expect("the relay closed the connection")
    }

    /// Reads until an `error`, checks the connection then closes, returns the code.
    pub(crate) async fn expect_error(&mut self) -> ErrorCode {
        loop {
            match self.next().await {
                Some(ServerMessage::Error { code, .. }) => {
                    assert!(self.next().await.is_none(), "the connection stayed open after an error");
                    return code;
                }
                Some(_) => continue,
                None => panic!("closed without an error message"),
            }
        }
    }

    /// Pushes and waits for the ack, keeping other messages for later.
    pub(crate) async fn push(&mut self, chunks: Vec<PushChunk>) -> Vec<Acked> {
        self.send(&ClientMessage::Push { chunks }).await;
        let mut kept = Vec::new();
        let acks = loop {
            match self.next().await.expect("closed while waiting for an ack") {
                ServerMessage::Ack { acks } => break acks,
                ServerMessage::Error { code, message } => panic!("error {code:?}: {message}"),
                other => kept.push(other),
            }
        };
        self.inbox.extend(kept);
        acks
    }

    /// Pulls and reads the backlog up to `caught_up`, checking the order rules.
    pub(crate) async fn pull(&mut self, after: u64) -> Pulled {
        self.send(&ClientMessage::Pull { after }).await;
        let mut pulled = Pulled::default();
        loop {
            match self.recv().await {
                ServerMessage::Snapshots { docs } => {
                    assert!(pulled.entries.is_empty(), "snapshots after entries");
                    pulled.snapshots.extend(docs);
                }
                ServerMessage::Entries { entries } => {
                    for e in entries {
                        assert!(e.seq > after, "entry {} not after the cursor {after}", e.seq);
                        assert!(
                            pulled.entries.last().is_none_or(|l| l.seq < e.seq),
                            "entries out of order"
                        );
                        pulled.entries.push(e);
                    }
                }
                ServerMessage::CaughtUp { head } => {
                    pulled.head = head;
                    return pulled;
                }
                other => panic!("unexpected during a pull: {other:?}"),
            }
        }
    }

    /// The next message must be live entries; returns them.
    pub(crate) async fn live(&mut self) -> Vec<Entry> {
        match self.recv().await {
            ServerMessage::Entries { entries } => entries,
            other => panic!("expected live entries, got {other:?}"),
        }
    }
}

/// Whether the relay refused the upgrade with HTTP 401.
pub(crate) fn is_unauthorized(result: &Result<Device, tungstenite::Error>) -> bool {
    matches!(result, Err(tungstenite::Error::Http(response)) if response.status() == 401)
}

/// An Automerge document producing real incremental chunks.
pub(crate) struct Doc {
    pub(crate) id: DocId,
    pub(crate) doc: AutoCommit,
    heads: Vec<ChangeHash>,
}

impl Doc {
    pub(crate) fn new() -> Doc {
        Doc {
            id: DocId::new(),
            doc: AutoCommit::new(),
            heads: Vec::new(),
        }
    }

    /// Sets `key` and returns the change as a chunk (`save_after` the last one).
    pub(crate) fn change(&mut self, key: &str, value: i64) -> Vec<u8> {
        self.doc.put(ROOT, key, value).unwrap();
        self.doc.commit();
        let chunk = self.doc.save_after(&self.heads);
        self.heads = self.doc.get_heads();
        chunk
    }

    /// A push chunk with outbox id `id`.
    pub(crate) fn chunk(&mut self, id: u64, key: &str, value: i64) -> PushChunk {
        PushChunk {
            id,
            doc: self.id,
            data: self.change(key, value),
        }
    }
}

/// Rebuilds documents from a pull: snapshots, then entries, per document.
pub(crate) fn rebuild(pulled: &Pulled) -> std::collections::HashMap<DocId, AutoCommit> {
    let mut docs: std::collections::HashMap<DocId, AutoCommit> = std::collections::HashMap::new();
    for s in &pulled.snapshots {
        docs.entry(s.doc).or_default().load_incremental(&s.data).unwrap();
    }
    for e in &pulled.entries {
        docs.entry(e.doc).or_default().load_incremental(&e.data).unwrap();
    }
    docs
}

/// A plain HTTP GET: (status, body).
pub(crate) async fn http_get(addr: SocketAddr, path: &str) -> (u16, String) {
    http_get_with(addr, path, "").await
}

/// A plain HTTP GET with an `Authorization` header (none if empty): (status, body).
pub(crate) async fn http_get_with(addr: SocketAddr, path: &str, authorization: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let auth = if authorization.is_empty() {
        String::new()
    } else {
        format!("Authorization: {authorization}\r\n")
    };
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Connection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    tokio::time::timeout(PATIENCE, stream.read_to_string(&mut response))
        .await
        .unwrap()
        .unwrap();
    let status = response.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// The value of a metric line `name value` in a Prometheus text.
pub(crate) fn metric(text: &str, name: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|rest| rest.strip_prefix(' ')))
        .unwrap_or_else(|| panic!("no metric {name}"))
        .trim()
        .parse()
        .unwrap()
}
