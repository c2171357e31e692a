//! Misbehaving clients get an error and are disconnected; everyone else carries on.

use kith_core::DocId;
use kith_core::sync::protocol::{ClientMessage, ErrorCode, PROTOCOL_VERSION, PushChunk, ServerMessage, encode};
use tokio_tungstenite::tungstenite::Message;

use crate::common::{Device, Doc, Server};

/// Two healthy devices of the workspace: `a` pushes, `b` receives live.
struct Bystanders {
    a: Device,
    b: Device,
    doc: Doc,
    next_id: u64,
}

impl Bystanders {
    async fn new(server: &Server, token: &str) -> Bystanders {
        let (a, _) = Device::join(server, token).await;
        let (mut b, _) = Device::join(server, token).await;
        b.pull(0).await;
        Bystanders {
            a,
            b,
            doc: Doc::new(),
            next_id: 0,
        }
    }

    /// A push from `a` still arrives live at `b`.
    async fn still_syncing(&mut self) {
        self.next_id += 1;
        let chunk = self.doc.chunk(self.next_id, "k", self.next_id as i64);
        let acks = self.a.push(vec![chunk.clone()]).await;
        let live = self.b.live().await;
        assert_eq!(live.len(), 1);
        assert_eq!((live[0].seq, &live[0].data), (acks[0].seq, &chunk.data));
    }
}

async fn hello(device: &mut Device) {
    device
        .send(&ClientMessage::Hello {
            versions: vec![PROTOCOL_VERSION],
            client: "bad".into(),
        })
        .await;
    device.recv().await;
}

#[tokio::test]
async fn garbage_of_every_kind_disconnects_only_the_sender() {
    let server = Server::in_memory().await;
    let (ws, token) = server.relay.create_workspace("Acme").unwrap();
    let secret = token.secret.as_str();
    let mut ok = Bystanders::new(&server, secret).await;
    let limits = server.relay.config().limits.clone();
    // Each misbehaving connection gets its own token: a connection still saying
    // goodbye counts against its token's connection limit.
    let relay = server.relay.clone();
    let fresh = move || relay.create_token(ws.id, kith_relay::Role::Member).unwrap().secret;

    // Random bytes instead of CBOR.
    let mut bad = Device::open(&server, &fresh()).await.unwrap();
    bad.send_raw(Message::binary(vec![0xff, 0x00, 0x13, 0x37, 0xde, 0xad]))
        .await;
    assert_eq!(bad.expect_error().await, ErrorCode::Malformed);
    ok.still_syncing().await;

    // Random bytes after a good hello.
    let mut bad = Device::open(&server, &fresh()).await.unwrap();
    hello(&mut bad).await;
    bad.send_raw(Message::binary(b"\xa1\x64push\x01".to_vec())).await;
    assert_eq!(bad.expect_error().await, ErrorCode::Malformed);
    ok.still_syncing().await;

    // A text frame.
    let mut bad = Device::open(&server, &fresh()).await.unwrap();
    bad.send_raw(Message::text("{\"hello\":{}}")).await;
    assert_eq!(bad.expect_error().await, ErrorCode::Malformed);
    ok.still_syncing().await;

    // A hello with only an unknown version.
    let mut bad = Device::open(&server, &fresh()).await.unwrap();
    bad.send(&ClientMessage::Hello {
        versions: vec![99],
        client: "future".into(),
    })
    .await;
    assert_eq!(bad.expect_error().await, ErrorCode::UnsupportedVersion);
    ok.still_syncing().await;

    // A device of protocol version 1 is told to upgrade.
    let mut old = Device::open(&server, &fresh()).await.unwrap();
    old.send(&ClientMessage::Hello {
        versions: vec![1],
        client: "kith/0.1".into(),
    })
    .await;
    match old.next().await {
        Some(ServerMessage::Error { code, message }) => {
            assert_eq!(code, ErrorCode::UnsupportedVersion);
            assert!(message.contains("upgrade kith"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    ok.still_syncing().await;

    // No hello first.
    let mut bad = Device::open(&server, &fresh()).await.unwrap();
    bad.send(&ClientMessage::Pull { after: 0 }).await;
    assert_eq!(bad.expect_error().await, ErrorCode::Malformed);
    ok.still_syncing().await;

    // Hello twice.
    let mut bad = Device::open(&server, &fresh()).await.unwrap();
    hello(&mut bad).await;
    bad.send(&ClientMessage::Hello {
        versions: vec![PROTOCOL_VERSION],
        client: "again".into(),
    })
    .await;
    assert_eq!(bad.expect_error().await, ErrorCode::Malformed);
    ok.still_syncing().await;

    // A frame over the frame limit.
    let mut bad = Device::open(&server, &fresh()).await.unwrap();
    hello(&mut bad).await;
    bad.send_raw(Message::binary(vec![0u8; limits.max_frame_bytes + 1]))
        .await;
    assert_eq!(bad.expect_error().await, ErrorCode::FrameTooLarge);
    ok.still_syncing().await;

    // A frame far over it (beyond what the transport reads).
    let mut bad = Device::open(&server, &fresh()).await.unwrap();
    hello(&mut bad).await;
    let _ = bad
        .try_send_raw(Message::binary(vec![0u8; limits.max_frame_bytes * 3]))
        .await;
    assert!(matches!(
        bad.next_error_or_close().await,
        None | Some(ErrorCode::FrameTooLarge)
    ));
    ok.still_syncing().await;

    // A chunk over the chunk limit is rejected alone: the connection stays and the
    // rest of the push is stored.
    let mut big = Device::open(&server, &fresh()).await.unwrap();
    hello(&mut big).await;
    let chunk = PushChunk {
        id: 1,
        doc: DocId::new(),
        data: vec![1u8; limits.max_chunk_bytes + 1],
    };
    let mut doc = Doc::new();
    big.send(&ClientMessage::Push {
        chunks: vec![chunk, doc.chunk(2, "k", 1)],
    })
    .await;
    match big.recv().await {
        ServerMessage::Rejected { chunks } => {
            assert_eq!(chunks.len(), 1);
            assert_eq!((chunks[0].id, chunks[0].code), (1, ErrorCode::ChunkTooLarge));
            assert!(chunks[0].message.contains("limit"), "{}", chunks[0].message);
        }
        other => panic!("{other:?}"),
    }
    match big.recv().await {
        ServerMessage::Ack { acks } => assert_eq!(acks.iter().map(|a| a.id).collect::<Vec<_>>(), vec![2]),
        other => panic!("{other:?}"),
    }
    ok.b.live().await;
    ok.next_id += 1; // the log has one more entry
    ok.still_syncing().await;

    // A chunk that is not Automerge, after a good one in the same push: nothing of the
    // push is stored.
    let mut bad = Device::open(&server, &fresh()).await.unwrap();
    hello(&mut bad).await;
    let mut doc = Doc::new();
    let good = doc.chunk(1, "k", 1);
    let junk = PushChunk {
        id: 2,
        doc: doc.id,
        data: b"definitely not automerge".to_vec(),
    };
    bad.send(&ClientMessage::Push {
        chunks: vec![good, junk],
    })
    .await;
    assert_eq!(bad.expect_error().await, ErrorCode::BadChunk);
    let head_before = ok.next_id;
    ok.still_syncing().await;
    let (mut check, head) = Device::join(&server, secret).await;
    assert_eq!(head, head_before + 1, "the bad push appended nothing");
    check.pull(head).await;

    drop((ok, bad, check));
    server.stop().await;
}

#[tokio::test]
async fn flooding_past_the_rate_limit_disconnects_only_the_flooder() {
    let server = Server::in_memory().await;
    let (_, token) = server.relay.create_workspace("Acme").unwrap();
    let mut ok = Bystanders::new(&server, &token.secret).await;
    let burst = server.relay.config().limits.message_burst as usize;

    let mut flood = Device::open(&server, &token.secret).await.unwrap();
    hello(&mut flood).await;
    let empty = encode(&ClientMessage::Push { chunks: vec![] });
    for _ in 0..burst * 3 {
        if flood.try_send_raw(Message::binary(empty.clone())).await.is_err() {
            break;
        }
    }
    assert_eq!(flood.expect_error().await, ErrorCode::RateLimited);
    ok.still_syncing().await;
    drop((ok, flood));
    server.stop().await;
}

impl Device {
    /// The error code if the relay sent one before closing, `None` if it just closed.
    async fn next_error_or_close(&mut self) -> Option<ErrorCode> {
        loop {
            match self.next().await {
                Some(kith_core::sync::protocol::ServerMessage::Error { code, .. }) => return Some(code),
                Some(_) => continue,
                None => return None,
            }
        }
    }
}
