//! Faults against the real relay: silent and slow devices, compaction under load,
//! shutdown with pushes in flight.

use std::time::Duration;

use automerge::ReadDoc;
use kith_core::sync::protocol::{ClientMessage, ErrorCode, PushChunk, ServerMessage};
use kith_relay::Relay;

use crate::common::{Device, Doc, PATIENCE, Server, config, http_get, metric, rebuild};

/// Waits until the relay has `n` open device connections.
async fn connections_fall_to(server: &Server, n: u64) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let (_, text) = http_get(server.addr, "/metrics").await;
        if metric(&text, "kith_relay_connections") == n {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "still more than {n} connections"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_connection_that_never_says_hello_is_closed_after_the_hello_timeout() {
    let mut c = config();
    c.limits.hello_timeout_secs = 1;
    let server = Server::start(Relay::in_memory(c).unwrap()).await;
    let (_, token) = server.relay.create_workspace("Acme").unwrap();
    let mut silent = Device::open(&server, &token.secret).await.unwrap();
    assert_eq!(silent.expect_error().await, ErrorCode::Malformed);
    connections_fall_to(&server, 0).await;
    server.stop().await;
}

#[tokio::test]
async fn the_send_timeout_disconnects_a_device_that_stops_reading() {
    let mut c = config();
    // Queues so large that only the send timeout can end the slow device.
    c.limits.max_queued_bytes = 1 << 30;
    c.limits.max_queued_messages = 1 << 20;
    c.limits.send_timeout_secs = 1;
    c.limits.max_frame_bytes = 1 << 20;
    let server = Server::start(Relay::in_memory(c).unwrap()).await;
    let (_, token) = server.relay.create_workspace("Acme").unwrap();
    let (mut slow, _) = Device::join(&server, &token.secret).await;
    slow.pull(0).await;
    let (mut writer, _) = Device::join(&server, &token.secret).await;
    let mut doc = Doc::new();
    let filler = "y".repeat(12 * 1024);
    let mut id = 0;
    let mut disconnected = false;
    // At most 96 MiB, pushed until the slow device is gone.
    for _ in 0..256 {
        let batch: Vec<PushChunk> = (0..32)
            .map(|_| {
                id += 1;
                automerge::transaction::Transactable::put(&mut doc.doc, automerge::ROOT, "f", format!("{filler}{id}"))
                    .unwrap();
                PushChunk {
                    id,
                    doc: doc.id,
                    data: doc.change("n", id as i64),
                }
            })
            .collect();
        writer.push(batch).await;
        let (_, text) = http_get(server.addr, "/metrics").await;
        if metric(&text, "kith_relay_connections") == 1 {
            disconnected = true;
            break;
        }
    }
    assert!(disconnected, "the slow device was never disconnected");
    drop(slow);
    drop(writer);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compaction_running_while_pushes_and_pulls_flow_loses_nothing() {
    let mut c = config();
    c.compaction.min_entries = 2;
    c.compaction.keep_recent = 0;
    let server = Server::start(Relay::in_memory(c).unwrap()).await;
    let (_, token) = server.relay.create_workspace("Acme").unwrap();
    let (mut live, _) = Device::join(&server, &token.secret).await;
    live.pull(0).await;

    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let compactor = {
        let (relay, stop) = (server.relay.clone(), stop.clone());
        tokio::task::spawn_blocking(move || {
            let mut runs = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                relay.compact_now().unwrap();
                runs += 1;
            }
            runs
        })
    };
    let pushers: Vec<_> = (0..3)
        .map(|_| {
            let (url, secret) = (server.url(), token.secret.clone());
            tokio::spawn(async move {
                let (mut device, _) = (Device::open_url(&url, &secret).await.unwrap(), 0);
                device
                    .send(&ClientMessage::Hello {
                        versions: vec![kith_core::sync::protocol::PROTOCOL_VERSION],
                        client: "pusher".into(),
                    })
                    .await;
                device.recv().await;
                let mut docs = [Doc::new(), Doc::new(), Doc::new()];
                let mut id = 0;
                for round in 0..40 {
                    let doc = &mut docs[round % 3];
                    id += 1;
                    let chunk = doc.chunk(id, &format!("k{id}"), id as i64);
                    device.push(vec![chunk]).await;
                }
                docs.map(|d| (d.id, d.doc))
            })
        })
        .collect();
    let mut written = Vec::new();
    for pusher in pushers {
        written.extend(pusher.await.unwrap());
    }
    // The live device saw every entry, in order, without a gap.
    let mut seqs = Vec::new();
    while seqs.len() < 120 {
        seqs.extend(live.live().await.into_iter().map(|e| e.seq));
    }
    assert_eq!(seqs, (1..=120).collect::<Vec<u64>>());
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(compactor.await.unwrap() > 0);
    let report = {
        let relay = server.relay.clone();
        tokio::task::spawn_blocking(move || relay.compact_now())
            .await
            .unwrap()
            .unwrap()
    };
    assert_eq!(report.skipped, 0);

    // A fresh device rebuilds every document with every device's every change.
    let (mut fresh, _) = Device::join(&server, &token.secret).await;
    let pulled = fresh.pull(0).await;
    assert!(!pulled.snapshots.is_empty(), "compaction ran");
    let rebuilt = rebuild(&pulled);
    for (id, mut original) in written {
        let mut copy = rebuilt.get(&id).expect("every document").clone();
        assert_eq!(copy.get_heads(), original.get_heads());
        for key in original.keys(automerge::ROOT) {
            assert!(copy.get(automerge::ROOT, &key).unwrap().is_some(), "{key} lost");
        }
    }
    drop((live, fresh));
    server.stop().await;
}

#[tokio::test]
async fn shutdown_acknowledges_the_pushes_in_flight() {
    let server = Server::in_memory().await;
    let relay = server.relay.clone();
    let (_, token) = relay.create_workspace("Acme").unwrap();
    let (mut a, _) = Device::join(&server, &token.secret).await;
    let mut doc = Doc::new();
    let chunks: Vec<PushChunk> = (1..=20).map(|i| doc.chunk(i, "k", i as i64)).collect();
    for chunk in &chunks {
        a.send(&ClientMessage::Push {
            chunks: vec![chunk.clone()],
        })
        .await;
    }
    // Stop once the first is acknowledged, with the others on their way.
    let mut acked = Vec::new();
    match a.next().await {
        Some(ServerMessage::Ack { acks }) => acked.extend(acks.into_iter().map(|a| a.id)),
        other => panic!("expected an ack, got {other:?}"),
    }
    let stopping = tokio::spawn(server.stop());
    loop {
        match a.next().await {
            Some(ServerMessage::Ack { acks }) => acked.extend(acks.into_iter().map(|a| a.id)),
            Some(ServerMessage::Error { code, .. }) => {
                assert_eq!(code, ErrorCode::ShuttingDown);
                break;
            }
            Some(other) => panic!("unexpected {other:?}"),
            None => panic!("closed without shutting_down"),
        }
    }
    stopping.await.unwrap();
    assert_eq!(
        acked,
        (1..=acked.len() as u64).collect::<Vec<_>>(),
        "in order, without gaps"
    );

    // Served again, the relay has every acknowledged chunk.
    let server = Server::start(relay).await;
    let (mut check, head) = Device::join(&server, &token.secret).await;
    assert!(head >= acked.len() as u64);
    let pulled = check.pull(0).await;
    for id in acked {
        let data = &chunks[id as usize - 1].data;
        assert!(pulled.entries.iter().any(|e| &e.data == data), "chunk {id} lost");
    }
    drop(check);
    server.stop().await;
}
