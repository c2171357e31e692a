//! A raw protocol client: CBOR messages over a WebSocket, no Kith device behind it.

use super::*;

pub(super) async fn raw_connect(addr: SocketAddr, secret: &str) -> Socket {
    let mut request = format!("ws://{addr}/v1/sync").into_client_request().expect("request");
    request.headers_mut().insert(
        AUTHORIZATION,
        HeaderValue::from_str(&format!("Bearer {secret}")).expect("header"),
    );
    // No Nagle: small pushes go out at once, as the real client does.
    let (socket, _) = within(
        Duration::from_secs(30),
        "connect",
        tokio_tungstenite::connect_async_with_config(request, None, true),
    )
    .await
    .expect("websocket upgrade");
    socket
}

pub(super) async fn raw_send(socket: &mut Socket, message: &ClientMessage) {
    socket
        .send(Message::Binary(encode(message).into()))
        .await
        .expect("send");
}

/// The next protocol message (pings and pongs skipped).
pub(super) async fn raw_next(socket: &mut Socket) -> ServerMessage {
    loop {
        let frame = within(LIVE_PATIENCE * 6, "relay message", socket.next()).await;
        match frame {
            Some(Ok(Message::Binary(bytes))) => return decode(&bytes, usize::MAX).expect("a protocol message"),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            other => panic!("the relay closed the connection or sent something else: {other:?}"),
        }
    }
}

/// hello → welcome; with `pull`, pull → caught_up. Returns the entries of the backlog
/// and the documents of its snapshots.
pub(super) async fn raw_handshake(socket: &mut Socket, pull: Option<u64>) -> (usize, usize) {
    raw_send(
        socket,
        &ClientMessage::Hello {
            versions: vec![PROTOCOL_VERSION],
            client: "sync_network bench".into(),
        },
    )
    .await;
    match raw_next(socket).await {
        ServerMessage::Welcome { .. } => {}
        other => panic!("expected welcome, got {other:?}"),
    }
    let Some(after) = pull else { return (0, 0) };
    raw_send(socket, &ClientMessage::Pull { after }).await;
    let (mut entries, mut snapshots) = (0, 0);
    loop {
        match raw_next(socket).await {
            ServerMessage::Entries { entries: e } => entries += e.len(),
            ServerMessage::Snapshots { docs } => snapshots += docs.len(),
            ServerMessage::CaughtUp { .. } => return (entries, snapshots),
            other => panic!("unexpected {other:?} during a pull"),
        }
    }
}

/// Real Automerge change chunks of one document, one change each.
pub(super) struct Chunks {
    pub(super) doc: AutoCommit,
    pub(super) id: DocId,
    pub(super) n: u64,
}

impl Chunks {
    pub(super) fn new() -> Self {
        Chunks {
            doc: AutoCommit::new(),
            id: DocId::new(),
            n: 0,
        }
    }

    pub(super) fn next_chunk(&mut self) -> Vec<u8> {
        let heads = self.doc.get_heads();
        self.doc.put(ROOT, "city", format!("City {}", self.n)).expect("put");
        self.doc.commit();
        self.n += 1;
        self.doc.save_after(&heads)
    }

    pub(super) fn push(&self, id: u64, data: Vec<u8>) -> ClientMessage {
        ClientMessage::Push {
            chunks: vec![PushChunk { id, doc: self.id, data }],
        }
    }
}

// ---------------------------------------------------------------------------------------
// 1. Bootstrap

/// A raw client pulls the whole log and only decodes it: the relay's and the network's
/// share of a bootstrap.
pub(super) async fn raw_pull(relay: &LocalRelay, secret: &str, label: &str, out: &mut Results) {
    let t = Instant::now();
    let mut s = raw_connect(relay.addr, secret).await;
    let (entries, snapshots) = raw_handshake(&mut s, Some(0)).await;
    let took = t.elapsed();
    let _ = s.close(None).await;
    out.add(
        format!("  raw pull of the whole log, {label} (decode only, no apply)"),
        secs(took),
        format!("{snapshots} snapshots + {entries} entries; relay + loopback + CBOR decode"),
    );
}
