//! The relay under load, against a `kith-relay serve` child process; the relay's peak
//! and current resident memory (VmHWM, VmRSS from /proc) are printed with each result.
//! Numbers go to docs/performance.md.
//!
//! ```sh
//! cargo bench -p kith-relay --bench relay_load                   # every scenario
//! cargo bench -p kith-relay --bench relay_load -- join 1000000    # one of: join [N] subscribers neighbour [N]
//! ```
//!
//! * `join N`: a device pushes N records (one small Automerge document each, like a
//!   record's first save), then a fresh device pulls the whole workspace.
//! * `subscribers`: sustained pushes per second while 10 devices receive every entry
//!   live, each within the relay's default per-connection byte budget.
//! * `neighbour N`: a well-behaved device's push-to-ack latency alone and while another
//!   token floods the same workspace (N pushes of each, default 1,000, in alternating
//!   blocks).

use std::time::{Duration, Instant};

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT};
use kith_core::DocId;
use kith_core::sync::protocol::{ClientMessage, PushChunk, ServerMessage};

#[path = "support/relay_child.rs"]
mod relay_child;

use relay_child::{Relay, connect_from, recv, send};

/// Per-token limits high enough that the relay itself, not its metering, is measured.
const UNMETERED: [(&str, &str); 7] = [
    ("KITH_RELAY_CHUNKS_PER_SECOND", "100000000"),
    ("KITH_RELAY_CHUNK_BURST", "100000000"),
    ("KITH_RELAY_BYTES_PER_SECOND", "100000000000"),
    ("KITH_RELAY_BYTE_BURST", "100000000000"),
    ("KITH_RELAY_MESSAGES_PER_SECOND", "1000000"),
    ("KITH_RELAY_MESSAGE_BURST", "1000000"),
    ("KITH_RELAY_MAX_CONNECTIONS_PER_TOKEN", "1000"),
];

/// A record-like document: a few short text fields, saved whole (~200 bytes).
fn record(i: usize) -> Vec<u8> {
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "name", format!("Person {i}")).unwrap();
    doc.put(ROOT, "email", format!("person{i}@example.com")).unwrap();
    doc.put(ROOT, "city", ["London", "Paris", "Berlin", "Madrid"][i % 4])
        .unwrap();
    doc.put(ROOT, "score", i as i64).unwrap();
    doc.save()
}

/// Pushes `n` records in messages of 500, keeping a few messages in flight.
async fn scenario_join(n: usize) {
    const PER_MESSAGE: usize = 500;
    const IN_FLIGHT: usize = 4;
    let relay = Relay::start(&UNMETERED);
    relay.report("join", "a fresh relay");
    let mut pusher = relay.connect().await;
    let started = Instant::now();
    let (mut sent, mut acked, mut bytes) = (0usize, 0usize, 0usize);
    let mut next_report = n / 10;
    while acked < n {
        while sent < n && sent - acked < IN_FLIGHT * PER_MESSAGE {
            let chunks: Vec<PushChunk> = (sent..(sent + PER_MESSAGE).min(n))
                .map(|i| {
                    let data = record(i);
                    bytes += data.len();
                    PushChunk {
                        id: i as u64,
                        doc: DocId::new(),
                        data,
                    }
                })
                .collect();
            sent += chunks.len();
            send(&mut pusher, &ClientMessage::Push { chunks }).await.unwrap();
        }
        match recv(&mut pusher).await {
            Some(ServerMessage::Ack { acks }) => acked += acks.len(),
            other => panic!("the push failed: {other:?}"),
        }
        if acked >= next_report && next_report > 0 {
            relay.report("join", &format!("{acked} records pushed"));
            next_report += n / 10;
        }
    }
    let push_time = started.elapsed();
    relay.report(
        "join",
        &format!(
            "{n} records ({} MiB) pushed in {push_time:.1?} ({:.0}/s)",
            bytes >> 20,
            n as f64 / push_time.as_secs_f64()
        ),
    );
    drop(pusher);

    let started = Instant::now();
    let mut fresh = connect_from(relay.addr, &relay.other_secret, None).await.unwrap();
    send(&mut fresh, &ClientMessage::Pull { after: 0 }).await.unwrap();
    let (mut entries, mut snapshots, mut received) = (0usize, 0usize, 0usize);
    let mut next_report = n / 10;
    loop {
        match recv(&mut fresh).await {
            Some(ServerMessage::Entries { entries: e }) => {
                entries += e.len();
                received += e.iter().map(|e| e.data.len()).sum::<usize>();
            }
            Some(ServerMessage::Snapshots { docs }) => {
                snapshots += docs.len();
                received += docs.iter().map(|d| d.data.len()).sum::<usize>();
            }
            Some(ServerMessage::CaughtUp { .. }) => break,
            Some(ServerMessage::Purged { .. }) => {}
            other => panic!("the pull failed: {other:?}"),
        }
        if entries + snapshots >= next_report && next_report > 0 {
            relay.report("join", &format!("{} documents pulled", entries + snapshots));
            next_report += n / 10;
        }
    }
    relay.report(
        "join",
        &format!(
            "a fresh device pulled {entries} entries and {snapshots} snapshots ({} MiB) in {:.1?}",
            received >> 20,
            started.elapsed()
        ),
    );
}

/// 10 live subscribers; one device pushes 1 KiB changes for 10 s with 16 in flight.
async fn scenario_subscribers() {
    const SUBSCRIBERS: usize = 10;
    const SECONDS: u64 = 10;
    const IN_FLIGHT: usize = 16;
    let relay = Relay::start(&UNMETERED);
    let (done_tx, done) = tokio::sync::watch::channel(false);
    let mut readers = Vec::new();
    for _ in 0..SUBSCRIBERS {
        let mut ws = connect_from(relay.addr, &relay.other_secret, None).await.unwrap();
        send(&mut ws, &ClientMessage::Pull { after: 0 }).await.unwrap();
        while !matches!(recv(&mut ws).await, Some(ServerMessage::CaughtUp { .. })) {}
        let mut done = done.clone();
        readers.push(tokio::spawn(async move {
            let (mut got, mut dropped) = (0usize, None);
            loop {
                tokio::select! {
                    _ = done.wait_for(|d| *d) => break,
                    message = recv(&mut ws) => match message {
                        Some(ServerMessage::Entries { entries }) => got += entries.len(),
                        Some(ServerMessage::Error { code, .. }) => {
                            dropped = Some(code);
                            break;
                        }
                        None => break,
                        Some(_) => {}
                    },
                }
            }
            (got, dropped)
        }));
    }
    let mut pusher = relay.connect().await;
    let mut doc = AutoCommit::new();
    let id = DocId::new();
    let filler = "k".repeat(1000);
    let started = Instant::now();
    let (mut sent, mut acked) = (0usize, 0usize);
    let mut latencies = Vec::new();
    let mut sent_at = std::collections::VecDeque::new();
    while started.elapsed() < Duration::from_secs(SECONDS) {
        while sent - acked < IN_FLIGHT {
            let heads = doc.get_heads();
            doc.put(ROOT, "notes", format!("{sent}{filler}")).unwrap();
            doc.commit();
            let chunks = vec![PushChunk {
                id: sent as u64,
                doc: id,
                data: doc.save_after(&heads),
            }];
            send(&mut pusher, &ClientMessage::Push { chunks }).await.unwrap();
            sent_at.push_back(Instant::now());
            sent += 1;
        }
        match recv(&mut pusher).await {
            Some(ServerMessage::Ack { acks }) => {
                for _ in &acks {
                    if let Some(at) = sent_at.pop_front() {
                        latencies.push(at.elapsed());
                    }
                }
                acked += acks.len();
            }
            other => panic!("the push failed: {other:?}"),
        }
    }
    let elapsed = started.elapsed();
    tokio::time::sleep(Duration::from_secs(1)).await;
    done_tx.send_replace(true);
    let mut counts = Vec::new();
    let mut dropped = 0;
    for reader in readers {
        let (got, code) = reader.await.unwrap();
        counts.push(got);
        if code.is_some() {
            dropped += 1;
        }
    }
    latencies.sort();
    let p99 = latencies[latencies.len() * 99 / 100];
    relay.report(
        "subscribers",
        &format!(
            "{acked} pushes of ~1 KiB in {elapsed:.1?}: {:.0} pushes/s (push-to-ack p50 {:?}, p99 {p99:?}); \
             {SUBSCRIBERS} subscribers received {}..{} entries each, {dropped} dropped",
            acked as f64 / elapsed.as_secs_f64(),
            latencies[latencies.len() / 2],
            counts.iter().min().unwrap_or(&0),
            counts.iter().max().unwrap_or(&0),
        ),
    );
}

/// A well-behaved device: one small change every 20 ms, each push's ack awaited.
struct WellBehaved {
    ws: relay_child::Ws,
    doc: AutoCommit,
    id: DocId,
    next: u64,
}

impl WellBehaved {
    async fn connect(relay_addr: std::net::SocketAddr, secret: &str) -> WellBehaved {
        WellBehaved {
            ws: connect_from(relay_addr, secret, None).await.unwrap(),
            doc: AutoCommit::new(),
            id: DocId::new(),
            next: 1_000_000_000,
        }
    }

    /// Pushes `n` changes and returns each push-to-ack time.
    async fn pushes(&mut self, n: usize) -> Vec<Duration> {
        let mut latencies = Vec::with_capacity(n);
        for _ in 0..n {
            let heads = self.doc.get_heads();
            self.doc.put(ROOT, "n", self.next as i64).unwrap();
            self.doc.commit();
            let push = ClientMessage::Push {
                chunks: vec![PushChunk {
                    id: self.next,
                    doc: self.id,
                    data: self.doc.save_after(&heads),
                }],
            };
            self.next += 1;
            let sent = Instant::now();
            send(&mut self.ws, &push).await.unwrap();
            loop {
                match recv(&mut self.ws).await {
                    Some(ServerMessage::Ack { .. }) => break,
                    Some(ServerMessage::Error { code, message }) => {
                        panic!("the relay disconnected the well-behaved device: {code:?}: {message}")
                    }
                    Some(_) => {}
                    None => panic!("the well-behaved device's connection closed without an ack"),
                }
            }
            latencies.push(sent.elapsed());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        latencies
    }
}

/// p50, p90 and p99 of sorted latencies.
fn percentiles(latencies: &[Duration]) -> (Duration, Duration, Duration) {
    let at = |q: usize| latencies[latencies.len() * q / 100];
    (at(50), at(90), at(99))
}

/// 1,000 changes to one document, made on a blocking thread so that making them does
/// not hold up the well-behaved device's task in this process.
async fn thousand_changes(mut doc: AutoCommit, id: DocId, next: u64) -> (AutoCommit, Vec<PushChunk>) {
    tokio::task::spawn_blocking(move || {
        let chunks = (0..1000)
            .map(|i| {
                let heads = doc.get_heads();
                doc.put(ROOT, "n", (next + i) as i64).unwrap();
                doc.commit();
                PushChunk {
                    id: next + i,
                    doc: id,
                    data: doc.save_after(&heads),
                }
            })
            .collect();
        (doc, chunks)
    })
    .await
    .unwrap()
}

/// One token pushing 1,000-chunk messages as fast as the relay lets it, until `stop`.
async fn flood(relay_addr: std::net::SocketAddr, secret: String, stop: tokio::sync::watch::Receiver<bool>) -> usize {
    let mut doc = AutoCommit::new();
    let id = DocId::new();
    let (mut next, mut acked) = (0u64, 0usize);
    while !*stop.borrow() {
        let Some(mut ws) = connect_from(relay_addr, &secret, None).await else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        while !*stop.borrow() {
            let (rest, chunks) = thousand_changes(doc, id, next).await;
            doc = rest;
            next += 1000;
            if send(&mut ws, &ClientMessage::Push { chunks }).await.is_err() {
                break;
            }
            // A large push is acknowledged in parts.
            let mut this_push = 0;
            while this_push < 1000 {
                match recv(&mut ws).await {
                    Some(ServerMessage::Ack { acks }) => this_push += acks.len(),
                    _ => break,
                }
            }
            acked += this_push;
            if this_push < 1000 {
                break;
            }
        }
    }
    acked
}

/// The well-behaved device's pushes alternate between quiet blocks and blocks while
/// another token floods, so that both sets of figures see the same (shared, noisy)
/// machine: `pushes` of each, in 10 blocks.
async fn scenario_neighbour(pushes: usize) {
    const BLOCKS: usize = 10;
    let per_block = pushes.div_ceil(BLOCKS);
    let relay = Relay::start(&[]);
    let mut device = WellBehaved::connect(relay.addr, &relay.other_secret).await;
    let (mut quiet, mut noisy, mut flooded) = (Vec::new(), Vec::new(), 0);
    for _ in 0..BLOCKS {
        quiet.extend(device.pushes(per_block).await);
        let (stop_tx, stop) = tokio::sync::watch::channel(false);
        let flooder = tokio::spawn(flood(relay.addr, relay.secret.clone(), stop));
        // Let the flood reach its steady state (past what the token's bucket refilled).
        tokio::time::sleep(Duration::from_secs(3)).await;
        noisy.extend(device.pushes(per_block).await);
        stop_tx.send_replace(true);
        flooded += flooder.await.unwrap();
    }
    quiet.sort();
    noisy.sort();
    let (q50, q90, q99) = percentiles(&quiet);
    let (n50, n90, n99) = percentiles(&noisy);
    relay.report(
        "neighbour",
        &format!(
            "quiet: {} pushes, push-to-ack p50 {q50:.2?}, p90 {q90:.2?}, p99 {q99:.2?}",
            quiet.len()
        ),
    );
    relay.report(
        "neighbour",
        &format!(
            "while another token floods ({flooded} chunks stored): {} pushes, p50 {n50:.2?}, p90 {n90:.2?}, p99 {n99:.2?} ({:.1}x the quiet p99)",
            noisy.len(),
            n99.as_secs_f64() / q99.as_secs_f64()
        ),
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let only = args.first().map(String::as_str);
    let wanted = |name: &str| only.is_none_or(|o| o == name);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        if wanted("join") {
            match args.get(1).and_then(|n| n.parse().ok()) {
                Some(n) => scenario_join(n).await,
                None => {
                    scenario_join(100_000).await;
                    scenario_join(1_000_000).await;
                }
            }
        }
        if wanted("subscribers") {
            scenario_subscribers().await;
        }
        if wanted("neighbour") {
            scenario_neighbour(args.get(1).and_then(|n| n.parse().ok()).unwrap_or(1000)).await;
        }
    });
}
