//! The session driven through channels, over the in-memory store model.

use super::outgoing::split_entries;
use super::*;

use kith_core::sync::protocol::{Entry, PushChunk};
use kith_core::sync::verify_chunk;

use kith_core::DocId;
use kith_core::sync::protocol::{Acked, Role};
use tokio::sync::mpsc;

use crate::config::Config;
use crate::store::MemoryStore;

/// A session driven through channels, over the in-memory store model.
struct Peer {
    input: Option<mpsc::UnboundedSender<Result<InFrame, InError>>>,
    output: mpsc::UnboundedReceiver<OutFrame>,
    task: tokio::task::JoinHandle<()>,
}

impl Peer {
    fn connect(relay: &Relay, token: TokenRecord) -> Peer {
        let (in_tx, in_rx) = mpsc::unbounded_channel();
        let (out_tx, output) = mpsc::unbounded_channel();
        let stream = futures_util::stream::unfold(in_rx, |mut rx| async move { rx.recv().await.map(|f| (f, rx)) });
        let sink = futures_util::sink::unfold(out_tx, |tx, frame: OutFrame| async move {
            tx.send(frame).map(|()| tx).map_err(|_| ())
        });
        let task = tokio::spawn(run(Box::pin(sink), Box::pin(stream), relay.clone(), token));
        Peer {
            input: Some(in_tx),
            output,
            task,
        }
    }

    fn send(&self, message: &ClientMessage) {
        let frame = InFrame::Binary(encode(message).into());
        self.input.as_ref().unwrap().send(Ok(frame)).unwrap();
    }

    async fn recv(&mut self) -> ServerMessage {
        loop {
            match self.output.recv().await.expect("session ended") {
                OutFrame::Binary(bytes) => return decode(&bytes, usize::MAX).unwrap(),
                OutFrame::Ping => continue,
                OutFrame::Close(code) => panic!("closed with {code}"),
            }
        }
    }

    /// A peer whose reading stops while `gate` holds false (its sends wait).
    fn gated(relay: &Relay, token: TokenRecord, gate: tokio::sync::watch::Receiver<bool>) -> Peer {
        let (in_tx, in_rx) = mpsc::unbounded_channel();
        let (out_tx, output) = mpsc::unbounded_channel();
        let stream = futures_util::stream::unfold(in_rx, |mut rx| async move { rx.recv().await.map(|f| (f, rx)) });
        let sink = futures_util::sink::unfold((out_tx, gate), |(tx, mut gate), frame: OutFrame| async move {
            let _ = gate.wait_for(|open| *open).await;
            tx.send(frame).map(|()| (tx, gate)).map_err(|_| ())
        });
        let task = tokio::spawn(run(Box::pin(sink), Box::pin(stream), relay.clone(), token));
        Peer {
            input: Some(in_tx),
            output,
            task,
        }
    }

    async fn hello(relay: &Relay, token: &TokenRecord) -> Peer {
        let mut peer = Peer::connect(relay, token.clone());
        peer.send(&ClientMessage::Hello {
            versions: vec![PROTOCOL_VERSION],
            client: "unit".into(),
        });
        assert!(matches!(peer.recv().await, ServerMessage::Welcome { .. }));
        peer
    }
}

async fn setup(role: Role) -> (Relay, TokenRecord) {
    setup_with(role, Config::default()).await
}

async fn setup_with(role: Role, config: Config) -> (Relay, TokenRecord) {
    let relay = Relay::with_store(Arc::new(MemoryStore::default()), config);
    let (workspace, _) = relay.create_workspace("w").unwrap();
    let token = relay.create_token(workspace.id, role).unwrap();
    let record = relay.authenticate(&token.secret).await.unwrap().unwrap();
    (relay, record)
}

fn chunk(id: u64, doc: &mut automerge::AutoCommit) -> PushChunk {
    use automerge::transaction::Transactable;
    let heads = doc.get_heads();
    doc.put(automerge::ROOT, "k", id as i64).unwrap();
    doc.commit();
    PushChunk {
        id,
        doc: DocId::from_bytes([1; 16]),
        data: doc.save_after(&heads),
    }
}

#[tokio::test]
async fn acks_always_flow_but_entries_only_after_a_pull() {
    let (relay, token) = setup(Role::Member).await;
    let mut a = Peer::hello(&relay, &token).await;
    let mut b = Peer::hello(&relay, &token).await;
    let mut doc = automerge::AutoCommit::new();

    a.send(&ClientMessage::Push {
        chunks: vec![chunk(1, &mut doc)],
    });
    assert_eq!(
        a.recv().await,
        ServerMessage::Ack {
            acks: vec![Acked { id: 1, seq: 1 }]
        }
    );
    // B has not pulled: its next message is its own ack, not A's entry.
    b.send(&ClientMessage::Push {
        chunks: vec![chunk(2, &mut doc)],
    });
    assert_eq!(
        b.recv().await,
        ServerMessage::Ack {
            acks: vec![Acked { id: 2, seq: 2 }]
        }
    );

    b.send(&ClientMessage::Pull { after: 0 });
    match b.recv().await {
        ServerMessage::Entries { entries } => {
            assert_eq!(entries.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![1, 2])
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(b.recv().await, ServerMessage::CaughtUp { head: 2 });
    a.send(&ClientMessage::Push {
        chunks: vec![chunk(3, &mut doc)],
    });
    assert_eq!(
        a.recv().await,
        ServerMessage::Ack {
            acks: vec![Acked { id: 3, seq: 3 }]
        }
    );
    match b.recv().await {
        ServerMessage::Entries { entries } => assert_eq!(entries[0].seq, 3),
        other => panic!("{other:?}"),
    }
    assert_eq!(relay.inner.hub.depths().connections, 2);

    // Closing the input ends the session and unregisters it.
    a.input.take();
    a.task.await.unwrap();
    assert_eq!(relay.inner.hub.depths().connections, 1);
}

#[tokio::test]
async fn a_device_that_stops_reading_is_told_too_slow_once_its_queue_is_full() {
    let mut config = Config::default();
    config.limits.max_queued_messages = 4;
    let (relay, token) = setup_with(Role::Member, config).await;
    let (gate_tx, gate) = tokio::sync::watch::channel(true);
    let mut slow = Peer::gated(&relay, token.clone(), gate);
    slow.send(&ClientMessage::Hello {
        versions: vec![PROTOCOL_VERSION],
        client: "unit".into(),
    });
    assert!(matches!(slow.recv().await, ServerMessage::Welcome { .. }));
    slow.send(&ClientMessage::Pull { after: 0 });
    assert_eq!(slow.recv().await, ServerMessage::CaughtUp { head: 0 });
    // From now on the slow device reads nothing.
    gate_tx.send_replace(false);

    let mut pusher = Peer::hello(&relay, &token).await;
    let mut doc = automerge::AutoCommit::new();
    for id in 1..=12 {
        pusher.send(&ClientMessage::Push {
            chunks: vec![chunk(id, &mut doc)],
        });
        assert!(matches!(pusher.recv().await, ServerMessage::Ack { .. }));
    }
    // The pusher is not held up, and the slow device, once it reads again, learns why
    // it is dropped.
    gate_tx.send_replace(true);
    let code = loop {
        match slow.recv().await {
            ServerMessage::Error { code, .. } => break code,
            ServerMessage::Entries { .. } => continue,
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(code, ErrorCode::TooSlow);
    assert_eq!(slow.output.recv().await, Some(OutFrame::Close(1008)));
}

#[tokio::test]
async fn a_transport_size_error_is_answered_with_frame_too_large() {
    let (relay, token) = setup(Role::Member).await;
    let mut a = Peer::hello(&relay, &token).await;
    a.input.as_ref().unwrap().send(Err(InError::TooLarge)).unwrap();
    match a.recv().await {
        ServerMessage::Error { code, .. } => assert_eq!(code, ErrorCode::FrameTooLarge),
        other => panic!("{other:?}"),
    }
    assert_eq!(a.output.recv().await, Some(OutFrame::Close(1009)));
}

#[test]
fn the_rate_limit_allows_a_burst_then_the_rate() {
    let start = Instant::now();
    let mut limit = RateLimit::new(10, 5);
    limit.last = start;
    assert_eq!((0..8).filter(|_| limit.allow(start)).count(), 5);
    // 0.5 s later: 5 more tokens.
    let later = start + Duration::from_millis(500);
    assert_eq!((0..8).filter(|_| limit.allow(later)).count(), 5);
}

#[test]
fn automerge_documents_and_incremental_changes_pass_garbage_does_not() {
    let is_automerge = |data: &[u8]| verify_chunk(data, 1 << 20).is_ok();
    let mut doc = automerge::AutoCommit::new();
    let first = chunk(1, &mut doc);
    let second = chunk(2, &mut doc);
    assert!(is_automerge(&first.data));
    assert!(is_automerge(&second.data), "a change whose dependency is elsewhere");
    assert!(is_automerge(&doc.save()));
    assert!(!is_automerge(b"not automerge at all"));
    let mut truncated = second.data.clone();
    truncated.truncate(truncated.len() - 3);
    assert!(!is_automerge(&truncated));
}

#[test]
fn live_entries_are_split_by_count_and_bytes_with_a_large_entry_alone() {
    let entry = |seq: u64, size: usize| Entry {
        seq,
        doc: kith_core::DocId::new(),
        data: vec![0; size],
    };
    let many: Vec<Entry> = (1..=1300).map(|seq| entry(seq, 10)).collect();
    let parts = split_entries(many);
    assert_eq!(parts.iter().map(Vec::len).collect::<Vec<_>>(), vec![512, 512, 276]);
    let big = vec![
        entry(1, 100),
        entry(2, BATCH_BYTES * 2),
        entry(3, BATCH_BYTES / 2),
        entry(4, BATCH_BYTES / 2),
    ];
    let parts = split_entries(big);
    let seqs: Vec<Vec<u64>> = parts.iter().map(|p| p.iter().map(|e| e.seq).collect()).collect();
    assert_eq!(seqs, vec![vec![1], vec![2], vec![3], vec![4]]);
}
