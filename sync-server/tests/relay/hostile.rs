//! Hostile input costs bounded memory: decompression bombs, empty and panicking chunks,
//! many chunks per message, a device that stops reading, a frame that stalls halfway.

use std::time::Duration;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT};
use kith_core::DocId;
use kith_core::sync::protocol::{ClientMessage, ErrorCode, PushChunk, ServerMessage};
use kith_relay::{Config, Relay, Role};

use crate::common::{Device, Doc, PATIENCE, Server, config, http_get, metric};

/// A valid change that inflates to `size` bytes, in Automerge's compressed form.
fn compressed_change(size: usize) -> Vec<u8> {
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "note", "a".repeat(size)).unwrap();
    doc.commit();
    let mut change = doc.get_last_local_change().unwrap().clone();
    change.bytes().into_owned()
}

fn push(id: u64, data: Vec<u8>) -> ClientMessage {
    ClientMessage::Push {
        chunks: vec![PushChunk {
            id,
            doc: DocId::new(),
            data,
        }],
    }
}

/// Joins with a fresh member token; the workspace head must still be `head`.
async fn assert_head(server: &Server, workspace: kith_relay::WorkspaceId, head: u64) {
    let token = server.relay.create_token(workspace, Role::Member).unwrap();
    let (_, now) = Device::join(server, &token.secret).await;
    assert_eq!(now, head, "nothing was stored");
}

#[tokio::test]
async fn a_decompression_bomb_under_the_chunk_limit_is_refused_and_not_stored() {
    let mut c = config();
    c.limits.max_inflated_chunk_bytes = 64 * 1024;
    let server = Server::start(Relay::in_memory(c).unwrap()).await;
    let (ws, token) = server.relay.create_workspace("Acme").unwrap();
    let bomb = compressed_change(4 << 20);
    assert!(bomb.len() < server.relay.config().limits.max_chunk_bytes);

    let (mut bad, _) = Device::join(&server, &token.secret).await;
    bad.send(&push(1, bomb)).await;
    assert_eq!(bad.expect_error().await, ErrorCode::BadChunk);
    assert_head(&server, ws.id, 0).await;
    server.stop().await;
}

#[tokio::test]
async fn an_empty_chunk_is_refused() {
    let server = Server::in_memory().await;
    let (ws, token) = server.relay.create_workspace("Acme").unwrap();
    let (mut bad, _) = Device::join(&server, &token.secret).await;
    bad.send(&push(1, Vec::new())).await;
    assert_eq!(bad.expect_error().await, ErrorCode::BadChunk);
    assert_head(&server, ws.id, 0).await;
    server.stop().await;
}

/// Rewrites a chunk's checksum to match its (mutated) data, so that the decoder gets
/// past the checksum into the columns.
fn fix_checksum(chunk: &mut [u8]) {
    use sha2::{Digest, Sha256};
    let (mut len, mut shift, mut at) = (0usize, 0, 9);
    while let Some(&b) = chunk.get(at) {
        len |= usize::from(b & 0x7f).checked_shl(shift).unwrap_or(0);
        shift += 7;
        at += 1;
        if b & 0x80 == 0 || shift > 35 {
            break;
        }
    }
    let Some(end) = at.checked_add(len).filter(|end| *end <= chunk.len()) else {
        return;
    };
    let hash = Sha256::digest(&chunk[8..end]);
    chunk[4..8].copy_from_slice(&hash[..4]);
}

/// Mutations of a real chunk until one makes Automerge's decoder panic.
fn panicking_chunk() -> Vec<u8> {
    let mut doc = AutoCommit::new();
    let values = doc.put_object(ROOT, "values", automerge::ObjType::Map).unwrap();
    doc.put(&values, "name", "Ada Lovelace").unwrap();
    doc.put(&values, "amount", 1234_i64).unwrap();
    let tags = doc.put_object(&values, "tags", automerge::ObjType::List).unwrap();
    doc.insert(&tags, 0, "vip").unwrap();
    doc.commit();
    doc.put(&values, "name", "Ada King").unwrap();
    doc.commit();
    let chunk = doc.save();
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..200_000 {
        let mut mutated = chunk.clone();
        for _ in 0..=next() % 3 {
            let at = (next() % mutated.len() as u64) as usize;
            mutated[at] = next() as u8;
        }
        fix_checksum(&mut mutated);
        let panicked = std::panic::catch_unwind(|| {
            let _ = automerge::Automerge::load(&mutated);
        })
        .is_err();
        if panicked {
            return mutated;
        }
    }
    panic!("no mutation made the decoder panic");
}

#[tokio::test]
async fn a_chunk_that_panics_the_decoder_is_answered_bad_chunk() {
    let server = Server::in_memory().await;
    let (ws, token) = server.relay.create_workspace("Acme").unwrap();
    let chunk = tokio::task::spawn_blocking(panicking_chunk).await.unwrap();
    let (mut bad, _) = Device::join(&server, &token.secret).await;
    bad.send(&push(1, chunk)).await;
    assert_eq!(bad.expect_error().await, ErrorCode::BadChunk);
    assert_head(&server, ws.id, 0).await;
    server.stop().await;
}

fn bucket_config() -> Config {
    let mut c = config();
    c.limits.chunks_per_second = 10;
    c.limits.chunk_burst = 50;
    c.limits.max_push_wait_secs = 1;
    c
}

fn chunks(doc: &mut Doc, from: u64, n: u64) -> Vec<PushChunk> {
    (from..from + n).map(|i| doc.chunk(i, "k", i as i64)).collect()
}

#[tokio::test]
async fn one_message_with_more_chunks_than_the_burst_is_refused_whole() {
    let server = Server::start(Relay::in_memory(bucket_config()).unwrap()).await;
    let (ws, token) = server.relay.create_workspace("Acme").unwrap();
    let (mut bad, _) = Device::join(&server, &token.secret).await;
    let mut doc = Doc::new();
    bad.send(&ClientMessage::Push {
        chunks: chunks(&mut doc, 1, 51),
    })
    .await;
    assert_eq!(bad.expect_error().await, ErrorCode::RateLimited);
    assert_head(&server, ws.id, 0).await;
    server.stop().await;
}

#[tokio::test]
async fn a_reconnecting_device_does_not_get_a_fresh_burst() {
    let server = Server::start(Relay::in_memory(bucket_config()).unwrap()).await;
    let (ws, token) = server.relay.create_workspace("Acme").unwrap();
    let mut doc = Doc::new();
    let (mut first, _) = Device::join(&server, &token.secret).await;
    let acks = first.push(chunks(&mut doc, 1, 50)).await;
    assert_eq!(acks.len(), 50);
    drop(first);
    // The burst is spent; 50 more would take 5 s at 10 per second, over the 1 s wait.
    let (mut again, _) = Device::join(&server, &token.secret).await;
    again
        .send(&ClientMessage::Push {
            chunks: chunks(&mut doc, 51, 50),
        })
        .await;
    assert_eq!(again.expect_error().await, ErrorCode::RateLimited);
    assert_head(&server, ws.id, 50).await;
    server.stop().await;
}

#[tokio::test]
async fn a_device_that_stops_reading_is_disconnected_and_the_others_carry_on() {
    let mut c = config();
    c.limits.max_queued_bytes = 1 << 20;
    c.limits.send_timeout_secs = 2;
    c.limits.max_frame_bytes = 1 << 20;
    let server = Server::start(Relay::in_memory(c).unwrap()).await;
    let (_, token) = server.relay.create_workspace("Acme").unwrap();
    let (mut slow, _) = Device::join(&server, &token.secret).await;
    slow.pull(0).await;
    let (mut reader, _) = Device::join(&server, &token.secret).await;
    reader.pull(0).await;
    let (mut writer, _) = Device::join(&server, &token.secret).await;

    // 24 MiB of changes: more than the socket buffers and the slow device's budget.
    let mut doc = Doc::new();
    let filler = "x".repeat(12 * 1024);
    let mut pushed = 0;
    for round in 0..64u64 {
        let batch: Vec<PushChunk> = (0..32u64)
            .map(|i| {
                let id = round * 32 + i + 1;
                doc.doc.put(ROOT, "filler", format!("{filler}{id}")).unwrap();
                let chunk = doc.change("n", id as i64);
                PushChunk {
                    id,
                    doc: doc.id,
                    data: chunk,
                }
            })
            .collect();
        pushed += writer.push(batch).await.len();
        // The healthy reader keeps up.
        let mut got = 0;
        while got < 32 {
            got += reader.live().await.len();
        }
    }
    assert_eq!(pushed, 2048);

    // The slow device is dropped: the relay's open connections fall back to two.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let (_, text) = http_get(server.addr, "/metrics").await;
        if metric(&text, "kith_relay_connections") == 2 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the slow device is still connected"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // What it can still read ends with the error, then the close.
    let mut saw_error = false;
    while let Some(message) = slow.next().await {
        if let ServerMessage::Error { code, .. } = message {
            assert_eq!(code, ErrorCode::TooSlow);
            saw_error = true;
        }
    }
    let _ = saw_error; // the error may be lost behind the full socket; the close is not
    drop((reader, writer));
    server.stop().await;
}

#[tokio::test]
async fn a_frame_that_stalls_halfway_is_timed_out() {
    let mut c = config();
    c.limits.ping_interval_secs = 1;
    c.limits.frame_read_timeout_secs = 1;
    let server = Server::start(Relay::in_memory(c).unwrap()).await;
    let (_, token) = server.relay.create_workspace("Acme").unwrap();
    let (mut stalled, _) = Device::join(&server, &token.secret).await;
    // A masked binary frame header announcing 60,000 bytes, then 100 of them.
    let mut frame = vec![0x82, 0xfe, 0xea, 0x60, 1, 2, 3, 4];
    frame.extend(std::iter::repeat_n(0u8, 100));
    stalled.write_tcp(&frame).await;
    assert_eq!(stalled.expect_error().await, ErrorCode::Malformed);
    server.stop().await;
}

#[tokio::test]
async fn a_push_over_the_workspace_quota_is_refused_and_nothing_of_it_is_stored() {
    let mut c = config();
    c.limits.workspace_quota_bytes = 4_000;
    let server = Server::start(Relay::in_memory(c).unwrap()).await;
    let (ws, token) = server.relay.create_workspace("Acme").unwrap();
    let (mut device, _) = Device::join(&server, &token.secret).await;
    let mut doc = Doc::new();
    let mut stored = 0;
    let mut size = 0;
    let refused = loop {
        let batch = vec![
            doc.chunk(stored + 1, "a", stored as i64),
            doc.chunk(stored + 2, "b", stored as i64),
        ];
        let bytes: usize = batch.iter().map(|c| c.data.len()).sum();
        device.send(&ClientMessage::Push { chunks: batch }).await;
        match device.next().await {
            Some(ServerMessage::Ack { acks }) => {
                stored += acks.len() as u64;
                size += bytes;
                assert!(size <= 4_000);
            }
            Some(ServerMessage::Error { code, message }) => break (code, message),
            other => panic!("unexpected {other:?}"),
        }
        assert!(stored < 1_000, "the quota never applied");
    };
    assert_eq!(refused.0, ErrorCode::QuotaExceeded, "{}", refused.1);
    assert!(refused.1.contains("quota"), "{}", refused.1);
    assert!(stored > 0);
    assert_head(&server, ws.id, stored).await;
    server.stop().await;
}
