//! What hostile clients cost the relay: each scenario runs against a fresh `kith-relay
//! serve` child process, and the relay's peak and current resident memory (VmHWM,
//! VmRSS from /proc) are printed. Numbers go to docs/performance.md.
//!
//! ```sh
//! cargo bench -p kith-relay --bench hostile_memory            # every scenario
//! cargo bench -p kith-relay --bench hostile_memory -- bomb    # one of: idle bomb flood slow-reader slow-headers idle-10k
//! ```

use std::io::Write;
use std::time::{Duration, Instant};

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT};
use kith_core::DocId;
use kith_core::sync::protocol::{ClientMessage, PushChunk, ServerMessage};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

#[path = "support/relay_child.rs"]
mod relay_child;

use relay_child::{Relay, connect_from, recv, send};

/// A compressed-change chunk whose DEFLATE stream inflates to `size` zero bytes.
fn bomb(size: usize) -> Vec<u8> {
    let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..size / zeros.len() {
        encoder.write_all(&zeros).unwrap();
    }
    let body = encoder.finish().unwrap();
    let mut chunk = vec![0x85, 0x6f, 0x4a, 0x83, 1, 2, 3, 4, 2];
    let mut len = body.len();
    loop {
        let byte = (len & 0x7f) as u8;
        len >>= 7;
        if len == 0 {
            chunk.push(byte);
            break;
        }
        chunk.push(byte | 0x80);
    }
    chunk.extend(body);
    chunk
}

async fn scenario_bomb() {
    let relay = Relay::start(&[]);
    let chunk = bomb(1_000_000_000);
    let mut refused = 0;
    for i in 0..10 {
        let mut ws = relay.connect().await;
        let push = ClientMessage::Push {
            chunks: vec![PushChunk {
                id: i,
                doc: DocId::new(),
                data: chunk.clone(),
            }],
        };
        send(&mut ws, &push).await.unwrap();
        if let Some(ServerMessage::Error { .. }) = recv(&mut ws).await {
            refused += 1;
        }
    }
    relay.report(
        "bomb",
        &format!(
            "10 pushes of a {}-byte chunk inflating to 1 GB: {refused} refused",
            chunk.len()
        ),
    );
}

fn small_chunks(n: usize, doc: &mut AutoCommit, from: u64) -> Vec<PushChunk> {
    let id = DocId::new();
    (0..n as u64)
        .map(|i| {
            let heads = doc.get_heads();
            doc.put(ROOT, "n", (from + i) as i64).unwrap();
            doc.commit();
            PushChunk {
                id: from + i,
                doc: id,
                data: doc.save_after(&heads),
            }
        })
        .collect()
}

async fn scenario_flood() {
    let relay = Relay::start(&[]);
    let mut doc = AutoCommit::new();
    let start = Instant::now();
    let mut next = 0;
    let mut acked = 0usize;
    let mut refusals = 0;
    // A healthy device's push-to-ack latency while the flood runs.
    let healthy = {
        let (addr, secret) = (relay.addr, relay.other_secret.clone());
        tokio::spawn(async move {
            let mut ws = connect_from(addr, &secret, None).await.unwrap();
            let mut doc = AutoCommit::new();
            let mut latencies = Vec::new();
            for i in 0..50 {
                let push = ClientMessage::Push {
                    chunks: small_chunks(1, &mut doc, 1_000_000 + i),
                };
                let sent = Instant::now();
                send(&mut ws, &push).await.unwrap();
                while !matches!(recv(&mut ws).await, Some(ServerMessage::Ack { .. })) {}
                latencies.push(sent.elapsed());
                tokio::time::sleep(Duration::from_millis(150)).await;
            }
            latencies.sort();
            (latencies[latencies.len() / 2], latencies[latencies.len() * 99 / 100])
        })
    };
    while start.elapsed() < Duration::from_secs(10) {
        let mut ws = relay.connect().await;
        loop {
            if start.elapsed() >= Duration::from_secs(10) {
                break;
            }
            let chunks = small_chunks(1000, &mut doc, next);
            next += 1000;
            if send(&mut ws, &ClientMessage::Push { chunks }).await.is_err() {
                refusals += 1;
                break;
            }
            match recv(&mut ws).await {
                Some(ServerMessage::Ack { acks }) => acked += acks.len(),
                _ => {
                    refusals += 1;
                    break;
                }
            }
        }
    }
    let (p50, p99) = healthy.await.unwrap();
    relay.report(
        "flood",
        &format!(
            "10 s of 1,000-chunk pushes from one token: {acked} chunks stored, {refusals} disconnects; \
             a healthy device's push-to-ack meanwhile p50 {p50:?}, p99 {p99:?}"
        ),
    );
}

/// 200 pushes of 512 KiB with a device that pulled and stopped reading, or without.
async fn scenario_slow_reader(with_slow: bool) {
    let name = if with_slow { "slow-reader" } else { "writer-only" };
    let relay = Relay::start(&[("KITH_RELAY_SEND_TIMEOUT_SECS", "5")]);
    let mut slow = None;
    if with_slow {
        let mut ws = relay.connect().await;
        send(&mut ws, &ClientMessage::Pull { after: 0 }).await.unwrap();
        while !matches!(recv(&mut ws).await, Some(ServerMessage::CaughtUp { .. })) {}
        slow = Some(ws);
    }
    let mut writer = relay.connect().await;
    let mut doc = AutoCommit::new();
    let id = DocId::new();
    let mut pushed = 0usize;
    for i in 0..200u64 {
        let heads = doc.get_heads();
        doc.put(ROOT, "blob", format!("{i:08}{}", "z".repeat(512 * 1024)))
            .unwrap();
        doc.commit();
        let data = doc.save_after(&heads);
        pushed += data.len();
        send(
            &mut writer,
            &ClientMessage::Push {
                chunks: vec![PushChunk { id: i, doc: id, data }],
            },
        )
        .await
        .unwrap();
        while !matches!(recv(&mut writer).await, Some(ServerMessage::Ack { .. })) {}
    }
    let what = if with_slow {
        "while one device pulled and stopped reading"
    } else {
        "with no other device (control)"
    };
    relay.report(name, &format!("{} MiB pushed {what}", pushed >> 20));
    tokio::time::sleep(Duration::from_secs(8)).await;
    relay.report(name, "8 s later (send timeout 5 s)");
    drop(slow);
}

async fn scenario_slow_headers() {
    let relay = Relay::start(&[("KITH_RELAY_HEADER_READ_TIMEOUT_SECS", "2")]);
    let mut held = Vec::new();
    for _ in 0..500 {
        let mut tcp = TcpStream::connect(relay.addr).await.unwrap();
        tcp.write_all(b"GET /v1/sy").await.unwrap();
        held.push(tcp);
    }
    relay.report("slow-headers", "500 connections sending half a request line");
    tokio::time::sleep(Duration::from_secs(4)).await;
    let mut closed = 0;
    for tcp in &mut held {
        let mut buf = [0u8; 16];
        if let Ok(Ok(0)) | Ok(Err(_)) =
            tokio::time::timeout(Duration::from_millis(100), tokio::io::AsyncReadExt::read(tcp, &mut buf)).await
        {
            closed += 1;
        }
    }
    relay.report(
        "slow-headers",
        &format!("4 s later: {closed} of 500 closed by the relay"),
    );
}

async fn scenario_idle_10k() {
    let relay = Relay::start(&[
        ("KITH_RELAY_MAX_CONNECTIONS_PER_TOKEN", "100000"),
        ("KITH_RELAY_MESSAGES_PER_SECOND", "100000"),
    ]);
    relay.report("idle-10k", "before");
    let mut conns = Vec::new();
    for i in 0..10_000u32 {
        let ip = std::net::Ipv4Addr::new(127, 0, 1 + (i / 400) as u8, 1);
        match connect_from(relay.addr, &relay.secret, Some(ip)).await {
            Some(mut ws) => {
                send(&mut ws, &ClientMessage::Pull { after: 0 }).await.unwrap();
                while !matches!(recv(&mut ws).await, Some(ServerMessage::CaughtUp { .. })) {}
                conns.push(ws);
            }
            None => break,
        }
    }
    relay.report(
        "idle-10k",
        &format!("{} idle devices connected and caught up", conns.len()),
    );
}

fn main() {
    let only: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let wanted = |name: &str| only.is_empty() || only.iter().any(|o| o == name);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        if wanted("idle") {
            Relay::start(&[]).report("idle", "a fresh relay");
        }
        if wanted("bomb") {
            scenario_bomb().await;
        }
        if wanted("flood") {
            scenario_flood().await;
        }
        if wanted("slow-reader") {
            scenario_slow_reader(false).await;
            scenario_slow_reader(true).await;
        }
        if wanted("slow-headers") {
            scenario_slow_headers().await;
        }
        if wanted("idle-10k") {
            scenario_idle_10k().await;
        }
    });
}
