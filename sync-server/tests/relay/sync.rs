//! Pushing, pulling, live fan-out and deduplication.

use kith_core::sync::protocol::{Acked, ClientMessage, ServerMessage};

use crate::common::{Device, Doc, Server, rebuild};

#[tokio::test]
async fn a_push_is_acked_and_reaches_other_devices_live_but_not_the_sender() {
    let server = Server::in_memory().await;
    let (_, token) = server.relay.create_workspace("Acme").unwrap();
    let (mut a, head) = Device::join(&server, &token.secret).await;
    assert_eq!(head, 0);
    let (mut b, _) = Device::join(&server, &token.secret).await;
    a.pull(0).await;
    b.pull(0).await;

    let mut doc = Doc::new();
    let first = doc.chunk(7, "stage", 1);
    assert_eq!(a.push(vec![first.clone()]).await, vec![Acked { id: 7, seq: 1 }]);
    let live = b.live().await;
    assert_eq!(live.len(), 1);
    assert_eq!((live[0].seq, live[0].doc, &live[0].data), (1, doc.id, &first.data));

    // A's queue is ordered: had the relay echoed seq 1 to A, it would arrive before
    // the ack of the next push.
    assert_eq!(
        a.push(vec![doc.chunk(8, "stage", 2)]).await,
        vec![Acked { id: 8, seq: 2 }]
    );
    assert_eq!(b.live().await[0].seq, 2);
    b.push(vec![doc.chunk(9, "stage", 3)]).await;
    match a.recv().await {
        ServerMessage::Entries { entries } => assert_eq!(entries.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![3]),
        other => panic!("A got {other:?}"),
    }
    drop((a, b));
    server.stop().await;
}

#[tokio::test]
async fn pulls_return_everything_after_the_cursor_in_order_then_caught_up() {
    let server = Server::in_memory().await;
    let (_, token) = server.relay.create_workspace("Acme").unwrap();
    let (mut a, _) = Device::join(&server, &token.secret).await;
    let mut docs = [Doc::new(), Doc::new(), Doc::new()];
    let mut originals = Vec::new();
    for i in 0..9u64 {
        let chunk = docs[(i % 3) as usize].chunk(i, "n", i as i64);
        originals.push(chunk.data.clone());
        a.push(vec![chunk]).await;
    }
    // Several chunks in one push get consecutive seqs in order.
    let batch: Vec<_> = (9..12u64).map(|i| docs[0].chunk(i, "m", i as i64)).collect();
    originals.extend(batch.iter().map(|c| c.data.clone()));
    let acks = a.push(batch).await;
    assert_eq!(
        acks.iter().map(|a| (a.id, a.seq)).collect::<Vec<_>>(),
        vec![(9, 10), (10, 11), (11, 12)]
    );

    let (mut fresh, head) = Device::join(&server, &token.secret).await;
    assert_eq!(head, 12);
    let all = fresh.pull(0).await;
    assert_eq!(all.head, 12);
    assert!(all.snapshots.is_empty());
    assert_eq!(
        all.entries.iter().map(|e| e.seq).collect::<Vec<_>>(),
        (1..=12).collect::<Vec<_>>()
    );
    assert_eq!(
        all.entries.iter().map(|e| e.data.clone()).collect::<Vec<_>>(),
        originals
    );
    let rebuilt = rebuild(&all);
    for d in &mut docs {
        assert_eq!(rebuilt[&d.id].clone().get_heads(), d.doc.get_heads());
    }

    let (mut later, _) = Device::join(&server, &token.secret).await;
    let newer = later.pull(8).await;
    assert_eq!(
        newer.entries.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![9, 10, 11, 12]
    );
    let none = later.pull(12).await;
    assert!(none.entries.is_empty());
    assert_eq!(none.head, 12);
    drop((a, fresh, later));
    server.stop().await;
}

#[tokio::test]
async fn a_chunk_pushed_twice_gets_the_same_seq_and_one_log_entry() {
    let server = Server::in_memory().await;
    let (_, token) = server.relay.create_workspace("Acme").unwrap();
    let (mut a, _) = Device::join(&server, &token.secret).await;
    let mut doc = Doc::new();
    let chunk = doc.chunk(1, "k", 1);
    assert_eq!(a.push(vec![chunk.clone()]).await, vec![Acked { id: 1, seq: 1 }]);
    // Again (as after a reconnect), under another outbox id, and twice in one push.
    let again = kith_core::sync::protocol::PushChunk { id: 2, ..chunk.clone() };
    let acks = a.push(vec![again.clone(), doc.chunk(3, "k", 2), again]).await;
    assert_eq!(
        acks,
        vec![
            Acked { id: 2, seq: 1 },
            Acked { id: 3, seq: 2 },
            Acked { id: 2, seq: 1 }
        ]
    );

    let (mut b, head) = Device::join(&server, &token.secret).await;
    assert_eq!(head, 2);
    assert_eq!(b.pull(0).await.entries.len(), 2);
    drop((a, b));
    server.stop().await;
}

#[tokio::test]
async fn pushes_during_a_long_backlog_arrive_after_caught_up_without_gaps() {
    let server = Server::in_memory().await;
    let (_, token) = server.relay.create_workspace("Acme").unwrap();
    let (mut writer, _) = Device::join(&server, &token.secret).await;
    let mut doc = Doc::new();
    // 1200 entries: the backlog takes three `entries` messages.
    for round in 0..6u64 {
        let chunks: Vec<_> = (0..200u64).map(|i| doc.chunk(round * 200 + i, "k", i as i64)).collect();
        writer.push(chunks).await;
    }
    let (mut reader, _) = Device::join(&server, &token.secret).await;
    reader.send(&ClientMessage::Pull { after: 0 }).await;
    // Push while the reader's backlog is being sent.
    let pushing = tokio::spawn(async move {
        for i in 0..20u64 {
            writer.push(vec![doc.chunk(10_000 + i, "late", i as i64)]).await;
        }
        writer
    });
    let mut seqs = Vec::new();
    let mut caught_up = None;
    while seqs.len() < 1220 {
        match reader.recv().await {
            ServerMessage::Entries { entries } => seqs.extend(entries.iter().map(|e| e.seq)),
            ServerMessage::CaughtUp { head } => {
                assert_eq!(head as usize, seqs.len(), "caught_up after exactly the backlog");
                caught_up = Some(head);
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(caught_up.is_some());
    assert_eq!(seqs, (1..=1220).collect::<Vec<u64>>(), "no gap, no duplicate, in order");
    pushing.await.unwrap();
    drop(reader);
    server.stop().await;
}

#[tokio::test]
async fn a_stopping_relay_tells_its_devices_and_serve_returns() {
    let server = Server::in_memory().await;
    let (_, token) = server.relay.create_workspace("Acme").unwrap();
    let (mut a, _) = Device::join(&server, &token.secret).await;
    a.pull(0).await;
    let relay = server.relay.clone();
    let stopping = tokio::spawn(server.stop());
    assert_eq!(
        a.expect_error().await,
        kith_core::sync::protocol::ErrorCode::ShuttingDown
    );
    stopping.await.unwrap();
    drop(relay);
}
