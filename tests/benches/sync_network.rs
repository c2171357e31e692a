//! Sync over a real network stack: a kith-relay on 127.0.0.1, real devices (kith's
//! connector, `sync_once` / `sync_watch`) and raw protocol clients speaking CBOR over
//! WebSocket. Every scenario is selectable; without one, all run.
//!
//! * `bootstrap`: a founder imports `--records` people and pushes them; fresh replicas
//!   pull everything and answer a query, before and after the relay's compaction (and,
//!   with `--bulk-edits 1`, again once every record has a second change, so that
//!   compaction has something to fold). For comparison: the same log applied locally
//!   without any network, and a raw client pulling it without applying it.
//! * `catchup`: a synced device that was offline pulls 1,000 changes (500 edits, 500 new
//!   records), in a `--records` workspace and in one ten times smaller.
//! * `live`: A → B latency over `--edits` edits with both devices in `sync_watch`; with B
//!   in `sync_watch` and A pushing each edit at once (what a local-change wake-up in the
//!   connector would give); and at the protocol level with two raw clients (relay on
//!   disk and in memory).
//! * `idle`: the resident memory of a relay *process* (`target/release/kith-relay`)
//!   holding `--conns` idle, caught-up connections.
//! * `throughput`: pushes per second with `--subscribers` raw subscribers receiving
//!   every entry, for each pusher count in `--pushers`.
//!
//! ```sh
//! cargo build --release -p kith-relay        # `idle` runs the binary: rebuild it after relay changes
//! bash -c 'ulimit -n 20000; cargo bench -p kith-tests --bench sync_network'
//! cargo bench -p kith-tests --bench sync_network -- bootstrap catchup --records 2000  # smoke
//! ```
//!
//! Options: `--records N` (100,000), `--bulk-edits E` (1), `--runs R` (catch-up
//! repetitions, 3), `--edits N` (1,000), `--interval-ms M` (5), `--conns N` (5,000),
//! `--subscribers N` (10), `--pushers 1,4`, `--secs S` (10, per throughput run),
//! `--max-pushes N` (50,000 per throughput run), `--memory` (in-process relays keep
//! their store in memory instead of a temporary directory), `--relay-bin PATH`.
//!
//! The in-process relay shares the bench's tokio runtime (two worker threads); device
//! work (imports, `sync_once`) runs on the main thread. Every wait is bounded.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT};
use futures_util::{SinkExt, StreamExt};
use kith::sync::{Remote, SyncEvent, SyncReport, sync_once, sync_watch};
use kith_core::sync::protocol::{ClientMessage, Entry, PROTOCOL_VERSION, PushChunk, ServerMessage, decode, encode};
use kith_core::{CreateOptions, DocId, ImportOptions, ImportRow, ObjectId, Query, RecordId, Workspace};
use kith_relay::{CompactionReport, Config, Relay, Role, WorkspaceId};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::http::header::AUTHORIZATION;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// A raw protocol client's connection.
type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The longest any single sync, pull or wait may take before the bench gives up.
const PATIENCE: Duration = Duration::from_secs(600);
/// The longest one live message may take before the bench gives up.
const LIVE_PATIENCE: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------------------------------
// Options and output

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scenario {
    Bootstrap,
    Catchup,
    Live,
    Idle,
    Throughput,
}

#[derive(Debug)]
struct Options {
    scenarios: Vec<Scenario>,
    records: usize,
    bulk_edits: usize,
    runs: usize,
    edits: usize,
    interval: Duration,
    conns: usize,
    subscribers: usize,
    pushers: Vec<usize>,
    secs: u64,
    max_pushes: usize,
    memory: bool,
    relay_bin: Option<PathBuf>,
}

impl Options {
    fn parse() -> Options {
        let mut o = Options {
            scenarios: Vec::new(),
            records: 100_000,
            bulk_edits: 1,
            runs: 3,
            edits: 1_000,
            interval: Duration::from_millis(5),
            conns: 5_000,
            subscribers: 10,
            pushers: vec![1, 4],
            secs: 10,
            max_pushes: 50_000,
            memory: false,
            relay_bin: None,
        };
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            let mut value = |name: &str| args.next().unwrap_or_else(|| usage(&format!("{name} needs a value")));
            let number = |name: &str, v: String| -> usize {
                v.replace('_', "")
                    .parse()
                    .unwrap_or_else(|_| usage(&format!("{name}: not a number: {v}")))
            };
            match arg.as_str() {
                // cargo bench passes this to every bench binary.
                "--bench" => {}
                "bootstrap" => o.scenarios.push(Scenario::Bootstrap),
                "catchup" => o.scenarios.push(Scenario::Catchup),
                "live" => o.scenarios.push(Scenario::Live),
                "idle" => o.scenarios.push(Scenario::Idle),
                "throughput" => o.scenarios.push(Scenario::Throughput),
                "--records" => o.records = number("--records", value("--records")).max(10),
                "--bulk-edits" => o.bulk_edits = number("--bulk-edits", value("--bulk-edits")),
                "--runs" => o.runs = number("--runs", value("--runs")).max(1),
                "--edits" => o.edits = number("--edits", value("--edits")).max(1),
                "--interval-ms" => {
                    o.interval = Duration::from_millis(number("--interval-ms", value("--interval-ms")) as u64)
                }
                "--conns" => o.conns = number("--conns", value("--conns")).max(1),
                "--subscribers" => o.subscribers = number("--subscribers", value("--subscribers")).max(1),
                "--pushers" => {
                    o.pushers = value("--pushers")
                        .split(',')
                        .map(|p| number("--pushers", p.trim().to_string()).max(1))
                        .collect()
                }
                "--secs" => o.secs = number("--secs", value("--secs")).max(1) as u64,
                "--max-pushes" => o.max_pushes = number("--max-pushes", value("--max-pushes")).max(1),
                "--memory" => o.memory = true,
                "--relay-bin" => o.relay_bin = Some(PathBuf::from(value("--relay-bin"))),
                "-h" | "--help" => usage(""),
                other => usage(&format!("unknown argument {other}")),
            }
        }
        if o.scenarios.is_empty() {
            o.scenarios = vec![
                Scenario::Bootstrap,
                Scenario::Catchup,
                Scenario::Live,
                Scenario::Idle,
                Scenario::Throughput,
            ];
        }
        o
    }
}

fn usage(problem: &str) -> ! {
    if !problem.is_empty() {
        eprintln!("error: {problem}");
    }
    eprintln!(
        "usage: cargo bench -p kith-tests --bench sync_network -- [bootstrap] [catchup] [live] [idle] [throughput]\n\
         \x20      [--records N] [--bulk-edits E] [--runs R] [--edits N] [--interval-ms M] [--conns N]\n\
         \x20      [--subscribers N] [--pushers 1,4] [--secs S] [--max-pushes N] [--memory] [--relay-bin PATH]"
    );
    std::process::exit(2)
}

/// One line of the final table.
struct Result {
    name: String,
    value: String,
    target: String,
    /// `Some(met)` when there is a target.
    met: Option<bool>,
    notes: String,
}

#[derive(Default)]
struct Results(Vec<Result>);

impl Results {
    fn add(&mut self, name: impl Into<String>, value: impl Into<String>, notes: impl Into<String>) {
        self.push(name.into(), value.into(), String::new(), None, notes.into());
    }

    fn target(
        &mut self,
        name: impl Into<String>,
        value: impl Into<String>,
        target: &str,
        met: bool,
        notes: impl Into<String>,
    ) {
        self.push(name.into(), value.into(), target.to_string(), Some(met), notes.into());
    }

    fn push(&mut self, name: String, value: String, target: String, met: Option<bool>, notes: String) {
        let verdict = match met {
            Some(true) => "met",
            Some(false) => "MISSED",
            None => "",
        };
        println!("  {name}: {value}  {target} {verdict} {notes}");
        self.0.push(Result {
            name,
            value,
            target,
            met,
            notes,
        });
    }

    fn print(&self) {
        let w0 = self.0.iter().map(|r| r.name.chars().count()).max().unwrap_or(0).max(11);
        let w1 = self.0.iter().map(|r| r.value.chars().count()).max().unwrap_or(0).max(6);
        let w2 = self
            .0
            .iter()
            .map(|r| r.target.chars().count())
            .max()
            .unwrap_or(0)
            .max(6);
        println!();
        println!(
            "{:<w0$}  {:>w1$}  {:<w2$}  {:<6}  notes",
            "measurement", "result", "target", ""
        );
        println!("{}", "-".repeat(w0 + w1 + w2 + 20));
        for r in &self.0 {
            let verdict = match r.met {
                Some(true) => "met",
                Some(false) => "MISSED",
                None => "",
            };
            println!(
                "{:<w0$}  {:>w1$}  {:<w2$}  {:<6}  {}",
                r.name, r.value, r.target, verdict, r.notes
            );
        }
    }
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

fn ms(d: Duration) -> String {
    let m = d.as_secs_f64() * 1000.0;
    if m < 10.0 {
        format!("{m:.2} ms")
    } else {
        format!("{m:.1} ms")
    }
}

/// The `p`-quantile (0..=1) of sorted samples, nearest rank.
fn quantile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn median(samples: &[Duration]) -> Duration {
    let mut s = samples.to_vec();
    s.sort();
    quantile(&s, 0.5)
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// CPU time (user + system) this process has used (Linux, 100 ticks per second).
fn cpu_time() -> Duration {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return Duration::ZERO;
    };
    let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
        return Duration::ZERO;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the command: state is field 3, utime 14, stime 15 (1-based in proc(5)).
    let tick = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    Duration::from_millis((tick(11) + tick(12)) * 10)
}

/// A `/proc/PID/status` value in kB (`VmRSS`, `VmHWM`).
fn proc_status_kb(pid: u32, key: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn mib(kb: u64) -> String {
    format!("{:.1} MiB", kb as f64 / 1024.0)
}

fn machine() {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "?".into());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .next()
                .map(|l| l.split_whitespace().nth(1).unwrap_or("?").to_string())
        })
        .unwrap_or_else(|| "?".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "machine: {cores} cores, {cpu}, MemTotal {mem} kB; load average {}",
        loadavg()
    );
}

/// Awaits `fut`, or gives up loudly after `limit`.
async fn within<T>(limit: Duration, what: &str, fut: impl std::future::Future<Output = T>) -> T {
    match tokio::time::timeout(limit, fut).await {
        Ok(value) => value,
        Err(_) => panic!("{what}: no answer within {} s", limit.as_secs()),
    }
}

// ---------------------------------------------------------------------------------------
// A relay in this process

struct LocalRelay {
    relay: Relay,
    addr: SocketAddr,
    url: String,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::result::Result<(), kith_relay::ServeError>>>,
    _dir: tempfile::TempDir,
}

impl LocalRelay {
    /// A relay on 127.0.0.1:0, with its store in a temporary directory (or in memory).
    /// Background compaction is off (the bench compacts when it wants to) and documents
    /// with two entries are folded (the lowest `min_entries` allowed).
    async fn start(memory: bool, tune: impl FnOnce(&mut Config)) -> LocalRelay {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut config = Config {
            data_dir: dir.path().join("relay"),
            ..Config::default()
        };
        config.compaction.enabled = false;
        config.compaction.min_entries = 2;
        tune(&mut config);
        let relay = if memory {
            Relay::in_memory(config)
        } else {
            Relay::open(config)
        }
        .expect("relay");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("addr");
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(kith_relay::serve(listener, relay.clone(), async move {
            let _ = stopped.await;
        }));
        LocalRelay {
            relay,
            addr,
            url: format!("http://{addr}"),
            stop: Some(stop),
            server: Some(server),
            _dir: dir,
        }
    }

    /// A workspace and its owner token's secret.
    fn workspace(&self) -> (WorkspaceId, String) {
        let (workspace, owner) = self.relay.create_workspace("bench").expect("workspace");
        (workspace.id, owner.secret)
    }

    fn token(&self, workspace: WorkspaceId, role: Role) -> String {
        self.relay.create_token(workspace, role).expect("token").secret
    }

    fn remote(&self, secret: &str) -> Remote {
        Remote::new(&self.url, secret).expect("remote")
    }

    async fn compact(&self) -> (CompactionReport, Duration) {
        let relay = self.relay.clone();
        let t = Instant::now();
        let report = tokio::task::spawn_blocking(move || relay.compact_now())
            .await
            .expect("compaction task")
            .expect("compaction");
        (report, t.elapsed())
    }

    async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = within(Duration::from_secs(30), "relay shutdown", server).await;
        }
    }
}

// ---------------------------------------------------------------------------------------
// Devices

/// People rows as in `core/benches/undo_and_sync.rs`: 9 of the 10 fields set (the company
/// relation stays empty).
fn people_rows(ws: &Workspace, n: usize, start: usize) -> Vec<ImportRow> {
    let people = ws.object_named("people").expect("people").id;
    let cities = ["Oslo", "Lyon", "Zürich", "Porto", "Gdańsk", "Leeds", "Turku", "Graz"];
    (start..start + n)
        .map(|i| {
            let inputs: Vec<(String, String)> = vec![
                ("name".into(), format!("Person {i} Example")),
                ("email".into(), format!("person{i}@example.com")),
                ("phone".into(), format!("+1 555 {:04}", i % 10_000)),
                (
                    "job_title".into(),
                    ["Engineer", "Manager", "Buyer", "Founder"][i % 4].into(),
                ),
                ("city".into(), cities[i % cities.len()].into()),
                (
                    "country".into(),
                    ["Norway", "France", "Switzerland", "Portugal"][i % 4].into(),
                ),
                ("linkedin".into(), format!("https://linkedin.com/in/p{i}")),
                (
                    "birthday".into(),
                    format!("19{:02}-0{}-1{}", 50 + i % 40, 1 + i % 9, i % 10),
                ),
                ("lead_source".into(), ["Website", "Referral", "Event"][i % 3].into()),
            ];
            ImportRow {
                id: None,
                values: ws.parse_values(people, &inputs).expect("values"),
            }
        })
        .collect()
}

fn people_of(ws: &Workspace) -> ObjectId {
    ws.object_named("people").expect("people").id
}

/// A founder's workspace on disk with `n` imported people.
fn founder(dir: &Path, n: usize) -> (Workspace, Vec<RecordId>, Duration) {
    let mut ws = Workspace::create(dir, CreateOptions::new("founder")).expect("founder");
    let people = people_of(&ws);
    let rows = people_rows(&ws, n, 0);
    let t = Instant::now();
    let report = ws
        .import_records(people, rows, &ImportOptions::default(), &mut |_| {})
        .expect("import");
    let took = t.elapsed();
    assert_eq!(report.created.len(), n, "every row imported");
    (ws, report.created, took)
}

/// What the connector reported through its events during one sync.
#[derive(Debug, Default)]
struct Tally {
    snapshots: usize,
    entries: usize,
    applies: usize,
    caught_up_at: Option<Duration>,
}

/// `sync_once` until the replica has the relay's head, with a tally of what came in.
async fn sync_until_caught_up(ws: &mut Workspace, remote: &Remote) -> (SyncReport, Tally, Duration) {
    let t = Instant::now();
    let mut tally = Tally::default();
    let mut last = None;
    for _ in 0..5 {
        let report = within(
            PATIENCE,
            "sync_once",
            sync_once(&mut *ws, remote, |e| match e {
                SyncEvent::Applied { snapshots, entries, .. } => {
                    tally.snapshots += snapshots;
                    tally.entries += entries;
                    tally.applies += 1;
                }
                SyncEvent::CaughtUp { .. } => tally.caught_up_at = Some(t.elapsed()),
                _ => {}
            }),
        )
        .await
        .expect("sync succeeds");
        let done = report.cursor >= report.head && report.pending == 0;
        last = Some(report);
        if done {
            break;
        }
    }
    (last.expect("at least one sync"), tally, t.elapsed())
}

/// A fresh device made queryable: replica + sync + first query.
struct Bootstrap {
    total: Duration,
    sync: Duration,
    query: Duration,
    tally: Tally,
    received: usize,
}

async fn bootstrap_device(dir: &Path, remote: &Remote, expected: usize) -> Bootstrap {
    let t = Instant::now();
    let mut ws = Workspace::create_replica(dir, "device").expect("replica");
    let (report, tally, _) = sync_until_caught_up(&mut ws, remote).await;
    let sync = t.elapsed();
    let q_start = Instant::now();
    let people = people_of(&ws);
    let mut q = Query::new(people);
    q.filter = Some(ws.parse_filter(people, "city = Oslo").expect("filter"));
    q.sort = ws.parse_sort(people, "name").expect("sort");
    let page = ws.query(&q).expect("query");
    let query = q_start.elapsed();
    let total = t.elapsed();
    assert_eq!(page.ids.len(), expected.div_ceil(8).min(50), "the first page is full");
    assert_eq!(
        ws.count_all(people).expect("count") as usize,
        expected,
        "every record arrived"
    );
    Bootstrap {
        total,
        sync,
        query,
        tally,
        received: report.received,
    }
}

// ---------------------------------------------------------------------------------------
// Raw protocol clients

async fn raw_connect(addr: SocketAddr, secret: &str) -> Socket {
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

async fn raw_send(socket: &mut Socket, message: &ClientMessage) {
    socket
        .send(Message::Binary(encode(message).into()))
        .await
        .expect("send");
}

/// The next protocol message (pings and pongs skipped).
async fn raw_next(socket: &mut Socket) -> ServerMessage {
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
async fn raw_handshake(socket: &mut Socket, pull: Option<u64>) -> (usize, usize) {
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
struct Chunks {
    doc: AutoCommit,
    id: DocId,
    n: u64,
}

impl Chunks {
    fn new() -> Self {
        Chunks {
            doc: AutoCommit::new(),
            id: DocId::new(),
            n: 0,
        }
    }

    fn next_chunk(&mut self) -> Vec<u8> {
        let heads = self.doc.get_heads();
        self.doc.put(ROOT, "city", format!("City {}", self.n)).expect("put");
        self.doc.commit();
        self.n += 1;
        self.doc.save_after(&heads)
    }

    fn push(&self, id: u64, data: Vec<u8>) -> ClientMessage {
        ClientMessage::Push {
            chunks: vec![PushChunk { id, doc: self.id, data }],
        }
    }
}

// ---------------------------------------------------------------------------------------
// 1. Bootstrap

/// A raw client pulls the whole log and only decodes it: the relay's and the network's
/// share of a bootstrap.
async fn raw_pull(relay: &LocalRelay, secret: &str, label: &str, out: &mut Results) {
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

async fn bootstrap(o: &Options, out: &mut Results) {
    let n = o.records;
    println!("\n== bootstrap: {n} records (load {})", loadavg());
    let relay = LocalRelay::start(o.memory, |_| {}).await;
    let (workspace, owner) = relay.workspace();
    let owner = relay.remote(&owner);
    let member_secret = relay.token(workspace, Role::Member);
    let member = relay.remote(&member_secret);
    let dir = tempfile::tempdir().expect("tempdir");

    let (mut founder, _ids, import) = founder(&dir.path().join("founder"), n);
    out.add(format!("founder: import {n} people (import_records)"), secs(import), "");
    let outbox = founder.outbox_len().expect("outbox") as usize;
    // The same chunks as a log, for applying them without any network (the baseline).
    let log: Vec<Entry> = founder
        .outbox(usize::MAX)
        .expect("outbox")
        .into_iter()
        .enumerate()
        .map(|(i, c)| Entry {
            seq: i as u64 + 1,
            doc: c.doc,
            data: c.data,
        })
        .collect();
    let cpu = cpu_time();
    let (report, _, took) = sync_until_caught_up(&mut founder, &owner).await;
    let cpu = cpu_time().saturating_sub(cpu);
    assert_eq!(report.pushed, outbox, "the whole outbox was pushed");
    out.add(
        format!("initial push of {n} records (sync_once, {outbox} chunks)"),
        secs(took),
        format!(
            "{:.0} chunks/s; CPU {} (relay + client); load {}",
            outbox as f64 / took.as_secs_f64(),
            secs(cpu),
            loadavg()
        ),
    );

    let target = "≤ 5 s";
    let mut device = 0;
    let run = |label: &str, b: Bootstrap, out: &mut Results| {
        out.target(
            format!("fresh device to a queryable replica, {n} records, {label}"),
            secs(b.total),
            target,
            b.total <= Duration::from_secs(5),
            format!(
                "sync {} (caught_up at {}), query {}; received {} snapshots + {} entries in {} applies; load {}",
                secs(b.sync),
                b.tally.caught_up_at.map_or("?".into(), secs),
                ms(b.query),
                b.tally.snapshots,
                b.tally.entries,
                b.tally.applies,
                loadavg()
            ),
        );
        assert_eq!(b.received, b.tally.snapshots + b.tally.entries);
    };

    device += 1;
    let b = bootstrap_device(&dir.path().join(format!("device{device}")), &member, n).await;
    run("no compaction", b, out);
    raw_pull(&relay, &member_secret, "1 entry per record", out).await;

    // Baseline: the same log applied straight to a fresh replica, no network.
    for batch in [512, 5_000] {
        let mut ws = Workspace::create_replica(&dir.path().join(format!("local{batch}")), "local").expect("replica");
        let t = Instant::now();
        for part in log.chunks(batch) {
            let cursor = part.last().map_or(0, |e| e.seq);
            ws.apply_remote(&[], part, cursor).expect("apply");
        }
        let applied = t.elapsed();
        out.add(
            format!("  baseline: apply_remote of the {n}-record log locally, {batch} entries per call"),
            secs(applied),
            format!("no relay, no network; load {}", loadavg()),
        );
    }
    drop(log);

    let (c, took) = relay.compact().await;
    out.add(
        "compact_now (every record has 1 entry)",
        secs(took),
        format!(
            "{} documents folded, {} entries removed, {} skipped",
            c.documents, c.entries_removed, c.skipped
        ),
    );
    device += 1;
    let b = bootstrap_device(&dir.path().join(format!("device{device}")), &member, n).await;
    run("after compaction (1 entry per record)", b, out);

    for e in 0..o.bulk_edits {
        let people = people_of(&founder);
        let changes = founder
            .parse_values(people, &[("job_title".into(), format!("Title {e}"))])
            .expect("values");
        let t = Instant::now();
        let bulk = founder.bulk_update(people, None, changes).expect("bulk update");
        let edit = t.elapsed();
        let chunks = founder.outbox_len().expect("outbox");
        let (_, _, push) = sync_until_caught_up(&mut founder, &owner).await;
        out.add(
            format!("bulk edit of every record + push ({chunks} chunks)"),
            secs(edit + push),
            format!("edit {}, push {}; {bulk:?}", secs(edit), secs(push)),
        );
    }
    if o.bulk_edits > 0 {
        let per = 1 + o.bulk_edits;
        device += 1;
        let b = bootstrap_device(&dir.path().join(format!("device{device}")), &member, n).await;
        run(&format!("{per} entries per record, no new compaction"), b, out);
        raw_pull(&relay, &member_secret, &format!("{per} entries per record"), out).await;
        let (c, took) = relay.compact().await;
        out.add(
            format!("compact_now ({per} entries per record, keep_recent 5000, min_entries 2)"),
            secs(took),
            format!(
                "{} documents folded, {} entries removed, {} skipped",
                c.documents, c.entries_removed, c.skipped
            ),
        );
        device += 1;
        let b = bootstrap_device(&dir.path().join(format!("device{device}")), &member, n).await;
        run(&format!("{per} entries per record, after compaction"), b, out);
        raw_pull(
            &relay,
            &member_secret,
            &format!("{per} entries per record, compacted"),
            out,
        )
        .await;
    }
    relay.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// 2. Catch-up

async fn catchup(o: &Options, out: &mut Results) {
    let sizes = [o.records, (o.records / 10).max(10)];
    let mut medians = Vec::new();
    for size in sizes {
        println!(
            "\n== catch-up of 1,000 changes in a {size}-record workspace (load {})",
            loadavg()
        );
        let relay = LocalRelay::start(o.memory, |_| {}).await;
        let (workspace, owner) = relay.workspace();
        let owner = relay.remote(&owner);
        let member = relay.remote(&relay.token(workspace, Role::Member));
        let dir = tempfile::tempdir().expect("tempdir");
        let (mut founder, ids, _) = founder(&dir.path().join("founder"), size);
        sync_until_caught_up(&mut founder, &owner).await;
        let mut device = Workspace::create_replica(&dir.path().join("device"), "device").expect("replica");
        let (_, _, joined) = sync_until_caught_up(&mut device, &member).await;
        println!("  setup: device joined in {}", secs(joined));
        let people = people_of(&founder);
        let edits = ids.len().min(500);
        let mut samples = Vec::new();
        let mut notes = Vec::new();
        for run in 0..o.runs {
            // While the device is offline: 500 edits and 500 new records on the founder.
            for (i, id) in ids.iter().take(edits).enumerate() {
                let v = founder
                    .parse_values(people, &[("city".into(), format!("Moved {run} {i}"))])
                    .expect("values");
                founder.update_record(*id, v).expect("update");
            }
            let rows = people_rows(&founder, 1000 - edits, size + run * 1000);
            founder
                .import_records(people, rows, &ImportOptions::default(), &mut |_| {})
                .expect("import");
            let (pushed, _, push) = sync_until_caught_up(&mut founder, &owner).await;
            assert_eq!(pushed.pushed, 1000, "1,000 chunks pushed");
            let (report, tally, took) = sync_until_caught_up(&mut device, &member).await;
            assert_eq!(report.received, 1000, "1,000 entries received");
            println!(
                "  run {run}: founder pushed 1,000 in {}; device caught up in {} (caught_up at {}, {} applies)",
                secs(push),
                ms(took),
                tally.caught_up_at.map_or("?".into(), ms),
                tally.applies
            );
            samples.push(took);
            notes.push(ms(took));
        }
        let m = median(&samples);
        medians.push((size, m));
        out.target(
            format!("catch-up of 1,000 remote changes, {size}-record workspace"),
            ms(m),
            "≤ 500 ms",
            m <= Duration::from_millis(500),
            format!("median of {} runs: {}; load {}", o.runs, notes.join(", "), loadavg()),
        );
        relay.shutdown().await;
    }
    if let [(big, b), (small, s)] = medians[..] {
        out.add(
            format!("catch-up cost ratio {big} vs {small} records"),
            format!("{:.2}x", b.as_secs_f64() / s.as_secs_f64()),
            "should be ~1x: cost follows the changes, not the workspace",
        );
    }
}

// ---------------------------------------------------------------------------------------
// 3. Live propagation

fn latency_row(out: &mut Results, name: &str, mut samples: Vec<Duration>, notes: &str) {
    samples.sort();
    let (p50, p99, max) = (
        quantile(&samples, 0.5),
        quantile(&samples, 0.99),
        samples.last().copied().unwrap_or_default(),
    );
    out.target(
        format!("{name} p50"),
        ms(p50),
        "≤ 10 ms",
        p50 <= Duration::from_millis(10),
        format!("{} samples; {notes}", samples.len()),
    );
    out.target(
        format!("{name} p99"),
        ms(p99),
        "≤ 50 ms",
        p99 <= Duration::from_millis(50),
        format!("max {}; load {}", ms(max), loadavg()),
    );
}

fn city_of(ws: &Workspace, id: RecordId) -> String {
    ws.record(id)
        .expect("record")
        .cells
        .into_iter()
        .find(|c| c.key == "city")
        .map(|c| c.display)
        .unwrap_or_default()
}

/// A edits, then pushes its outbox at once through a raw connection and applies the ack:
/// what the connector would do with a "local change" wake-up instead of its 500 ms poll.
fn edit_and_push_now(
    a: &Mutex<Workspace>,
    addr: SocketAddr,
    secret: &str,
    record: RecordId,
    sent: &Mutex<Vec<Option<Instant>>>,
    n: usize,
    interval: Duration,
) -> Duration {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let mut socket = raw_connect(addr, secret).await;
        raw_handshake(&mut socket, None).await;
        let people = people_of(&a.lock().expect("a"));
        let start = Instant::now();
        for i in 0..n {
            let chunks = {
                let mut ws = a.lock().expect("a");
                let v = ws
                    .parse_values(people, &[("city".into(), format!("Live {i}"))])
                    .expect("values");
                sent.lock().expect("sent")[i] = Some(Instant::now());
                ws.update_record(record, v).expect("update");
                ws.outbox(500).expect("outbox")
            };
            let ids: Vec<u64> = chunks.iter().map(|c| c.id).collect();
            raw_send(&mut socket, &ClientMessage::Push { chunks }).await;
            loop {
                if let ServerMessage::Ack { .. } = raw_next(&mut socket).await {
                    break;
                }
            }
            a.lock().expect("a").acknowledge(&ids, 0).expect("acknowledge");
            let next = start + interval * (i as u32 + 1);
            tokio::time::sleep(next.saturating_duration_since(Instant::now())).await;
        }
        let _ = socket.close(None).await;
        start.elapsed()
    })
}

/// A → B through two real devices: B in `sync_watch`; A in `sync_watch` too, or (with
/// `push_now`) pushing each edit at once itself.
async fn live_devices(o: &Options, push_now: bool, out: &mut Results) {
    let how = if push_now {
        "A pushes each edit at once (raw connection), B in sync_watch"
    } else {
        "both devices in sync_watch"
    };
    println!(
        "\n== live: {} edits on A, one every {} ms, {how} (load {})",
        o.edits,
        o.interval.as_millis(),
        loadavg()
    );
    let relay = LocalRelay::start(o.memory, |_| {}).await;
    let (workspace, owner_secret) = relay.workspace();
    let owner = relay.remote(&owner_secret);
    let member = relay.remote(&relay.token(workspace, Role::Member));
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut a, ids, _) = founder(&dir.path().join("a"), 10);
    let record = ids[0];
    sync_until_caught_up(&mut a, &owner).await;
    let mut b = Workspace::create_replica(&dir.path().join("b"), "b").expect("replica");
    sync_until_caught_up(&mut b, &member).await;

    let a = Arc::new(Mutex::new(a));
    let b = Arc::new(Mutex::new(b));
    let n = o.edits;
    let sent: Arc<Mutex<Vec<Option<Instant>>>> = Arc::new(Mutex::new(vec![None; n]));
    let latencies: Arc<Mutex<Vec<Duration>>> = Arc::new(Mutex::new(Vec::with_capacity(n)));
    let (ready_tx, mut ready_rx) = mpsc::unbounded_channel::<char>();
    let (done_tx, done_rx) = oneshot::channel::<()>();
    let (stop_a, a_stopped) = oneshot::channel::<()>();
    let (stop_b, b_stopped) = oneshot::channel::<()>();

    let a_ready = ready_tx.clone();
    let watch_a = async {
        if push_now {
            let _ = a_ready.send('a');
            let _ = a_stopped.await;
            Ok(())
        } else {
            sync_watch(
                &*a,
                &owner,
                async move {
                    let _ = a_stopped.await;
                },
                move |e: &SyncEvent| {
                    if matches!(e, SyncEvent::CaughtUp { .. }) {
                        let _ = a_ready.send('a');
                    }
                },
            )
            .await
        }
    };
    let on_b = {
        let b = b.clone();
        let sent = sent.clone();
        let latencies = latencies.clone();
        let mut seen: Option<usize> = None;
        let mut done = Some(done_tx);
        move |e: &SyncEvent| match e {
            SyncEvent::CaughtUp { .. } => {
                let _ = ready_tx.send('b');
            }
            SyncEvent::Applied { .. } => {
                let now = Instant::now();
                let city = city_of(&b.lock().expect("b"), record);
                let Some(i) = city.strip_prefix("Live ").and_then(|i| i.parse::<usize>().ok()) else {
                    return;
                };
                let from = seen.map_or(0, |s| s + 1);
                if i + 1 > from {
                    let sent = sent.lock().expect("sent");
                    let mut lat = latencies.lock().expect("latencies");
                    for t in sent[from..=i].iter().flatten() {
                        lat.push(now.saturating_duration_since(*t));
                    }
                    seen = Some(i);
                }
                if i + 1 == n
                    && let Some(done) = done.take()
                {
                    let _ = done.send(());
                }
            }
            _ => {}
        }
    };
    let watch_b = sync_watch(
        &*b,
        &member,
        async move {
            let _ = b_stopped.await;
        },
        on_b,
    );

    let interval = o.interval;
    let conductor = {
        let a = a.clone();
        let sent = sent.clone();
        async move {
            let mut ready = 0;
            while ready < 2 {
                within(Duration::from_secs(30), "both devices online", ready_rx.recv()).await;
                ready += 1;
            }
            let people = people_of(&a.lock().expect("a"));
            let addr = relay.addr;
            let editor = std::thread::spawn(move || {
                if push_now {
                    return edit_and_push_now(&a, addr, &owner_secret, record, &sent, n, interval);
                }
                let start = Instant::now();
                for i in 0..n {
                    let mut ws = a.lock().expect("a");
                    let v = ws
                        .parse_values(people, &[("city".into(), format!("Live {i}"))])
                        .expect("values");
                    sent.lock().expect("sent")[i] = Some(Instant::now());
                    ws.update_record(record, v).expect("update");
                    drop(ws);
                    let next = start + interval * (i as u32 + 1);
                    std::thread::sleep(next.saturating_duration_since(Instant::now()));
                }
                start.elapsed()
            });
            let limit = interval * n as u32 + Duration::from_secs(60);
            let all = tokio::time::timeout(limit, done_rx).await.is_ok();
            let editing = editor.join().expect("editor");
            let _ = stop_a.send(());
            let _ = stop_b.send(());
            (all, editing)
        }
    };
    let (ra, rb, (all, editing)) = tokio::join!(watch_a, watch_b, conductor);
    ra.expect("A's sync_watch");
    rb.expect("B's sync_watch");
    assert!(all, "B did not see every edit in time");
    let samples = latencies.lock().expect("latencies").clone();
    assert_eq!(samples.len(), n, "one latency per edit");
    let name = if push_now {
        "live A→B, A pushes at once, B in sync_watch"
    } else {
        "live A→B, two devices in sync_watch"
    };
    latency_row(
        out,
        name,
        samples,
        &format!(
            "edit on A (local commit included) to applied on B; edits took {}",
            secs(editing)
        ),
    );
    relay.shutdown().await;
}

/// A → B at the protocol level: one raw client pushes, another receives.
async fn live_raw(o: &Options, memory: bool, out: &mut Results) {
    let store = if memory { "in-memory store" } else { "store on disk" };
    println!(
        "\n== live, raw protocol: {} pushes, one every {} ms, relay {store} (load {})",
        o.edits,
        o.interval.as_millis(),
        loadavg()
    );
    let relay = LocalRelay::start(memory, |_| {}).await;
    let (workspace, owner) = relay.workspace();
    let member = relay.token(workspace, Role::Member);
    let mut a = raw_connect(relay.addr, &owner).await;
    raw_handshake(&mut a, Some(0)).await;
    let mut b = raw_connect(relay.addr, &member).await;
    raw_handshake(&mut b, Some(0)).await;
    let (mut a_sink, mut a_stream) = a.split();
    let (b_sink, mut b_stream) = b.split();

    let (entries_tx, mut entries_rx) = mpsc::unbounded_channel::<(Instant, usize)>();
    let b_reader = tokio::spawn(async move {
        while let Some(Ok(frame)) = b_stream.next().await {
            if let Message::Binary(bytes) = frame
                && let Ok(ServerMessage::Entries { entries }) = decode(&bytes, usize::MAX)
                && entries_tx.send((Instant::now(), entries.len())).is_err()
            {
                break;
            }
        }
    });
    let (acks_tx, mut acks_rx) = mpsc::unbounded_channel::<Instant>();
    let a_reader = tokio::spawn(async move {
        while let Some(Ok(frame)) = a_stream.next().await {
            if let Message::Binary(bytes) = frame
                && let Ok(ServerMessage::Ack { .. }) = decode(&bytes, usize::MAX)
                && acks_tx.send(Instant::now()).is_err()
            {
                break;
            }
        }
    });

    let mut chunks = Chunks::new();
    let frames: Vec<Vec<u8>> = (0..o.edits)
        .map(|i| {
            let data = chunks.next_chunk();
            encode(&chunks.push(i as u64 + 1, data))
        })
        .collect();
    let mut fanout = Vec::with_capacity(o.edits);
    let mut acked = Vec::with_capacity(o.edits);
    let start = tokio::time::Instant::now();
    for (i, frame) in frames.into_iter().enumerate() {
        let t0 = Instant::now();
        a_sink.send(Message::Binary(frame.into())).await.expect("push");
        let (at, count) = within(LIVE_PATIENCE, "B's entries", entries_rx.recv())
            .await
            .expect("B's reader");
        assert_eq!(count, 1, "one entry per push");
        let ack = within(LIVE_PATIENCE, "A's ack", acks_rx.recv())
            .await
            .expect("A's reader");
        fanout.push(at.saturating_duration_since(t0));
        acked.push(ack.saturating_duration_since(t0));
        tokio::time::sleep_until(start + o.interval * (i as u32 + 1)).await;
    }
    latency_row(
        out,
        &format!("live A→B, raw protocol, relay {store}: push sent → B's entries"),
        fanout,
        if memory {
            "includes the relay's commit (no fsync) before fan-out"
        } else {
            "includes the relay's durable commit (fsync) before fan-out"
        },
    );
    let mut acked_sorted = acked;
    acked_sorted.sort();
    out.add(
        format!("  (push sent → A's ack, relay {store})"),
        format!(
            "p50 {} p99 {}",
            ms(quantile(&acked_sorted, 0.5)),
            ms(quantile(&acked_sorted, 0.99))
        ),
        "",
    );
    let _ = a_sink.close().await;
    drop(b_sink);
    b_reader.abort();
    a_reader.abort();
    relay.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// 4. Idle connections (relay as a separate process)

fn relay_binary(o: &Options) -> PathBuf {
    let path = o.relay_bin.clone().unwrap_or_else(|| {
        let exe = std::env::current_exe().expect("current exe");
        // target/release/deps/sync_network-HASH → target/release/kith-relay
        exe.parent()
            .and_then(Path::parent)
            .map(|dir| dir.join("kith-relay"))
            .expect("target directory")
    });
    if !path.exists() {
        eprintln!(
            "error: {} does not exist: build it first with `cargo build --release -p kith-relay`, or pass --relay-bin",
            path.display()
        );
        std::process::exit(2);
    }
    path
}

fn relay_cli(bin: &Path, data: &Path, args: &[&str]) -> String {
    let output = Command::new(bin)
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("KITH_RELAY_CONFIG")
        .output()
        .expect("run kith-relay");
    assert!(
        output.status.success(),
        "kith-relay {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The relay process, stopped with SIGTERM (then killed) when dropped.
struct RelayProcess {
    child: Child,
}

impl RelayProcess {
    fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `kith_relay_connections` from the relay's `/metrics`.
async fn metrics_connections(addr: SocketAddr) -> Option<u64> {
    let mut tcp = TcpStream::connect(addr).await.ok()?;
    tcp.write_all(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await
        .ok()?;
    let mut body = Vec::new();
    within(Duration::from_secs(10), "metrics", tcp.read_to_end(&mut body))
        .await
        .ok()?;
    String::from_utf8_lossy(&body)
        .lines()
        .find_map(|l| l.strip_prefix("kith_relay_connections "))
        .and_then(|v| v.trim().parse().ok())
}

async fn idle(o: &Options, out: &mut Results) {
    let n = o.conns;
    println!(
        "\n== idle: {n} idle connections to a relay process (load {})",
        loadavg()
    );
    let bin = relay_binary(o);
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("relay");
    relay_cli(&bin, &data, &["init"]);
    let created = relay_cli(&bin, &data, &["workspace", "create", "bench"]);
    let secret = created
        .split_whitespace()
        .find(|w| w.starts_with("kr_"))
        .expect("a token secret in the output")
        .to_string();
    let log = std::fs::File::create(dir.path().join("relay.log")).expect("log file");
    let child = Command::new(&bin)
        .arg("--data")
        .arg(&data)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env_remove("KITH_RELAY_CONFIG")
        .env("KITH_RELAY_MAX_CONNECTIONS_PER_TOKEN", (n + 64).to_string())
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start kith-relay serve");
    let process = RelayProcess { child };
    let addr_file = data.join(kith_relay::ADDR_FILE);
    let addr: SocketAddr = within(Duration::from_secs(30), "relay.addr", async {
        loop {
            if let Ok(text) = std::fs::read_to_string(&addr_file)
                && let Ok(addr) = text.trim().parse()
            {
                return addr;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    let pid = process.pid();

    // A small log, so that every pull has a backlog to send.
    let mut seed = raw_connect(addr, &secret).await;
    raw_handshake(&mut seed, None).await;
    let mut chunks = Chunks::new();
    for i in 0..100 {
        let data = chunks.next_chunk();
        raw_send(&mut seed, &chunks.push(i + 1, data)).await;
        loop {
            if let ServerMessage::Ack { .. } = raw_next(&mut seed).await {
                break;
            }
        }
    }
    let _ = seed.close(None).await;
    drop(seed);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before = proc_status_kb(pid, "VmRSS:");
    println!("  relay pid {pid} at {addr}: VmRSS {} before connections", mib(before));

    let t = Instant::now();
    let sockets: Vec<(Socket, usize)> = futures_util::stream::iter(0..n)
        .map(|_| {
            let secret = secret.clone();
            async move {
                let mut s = raw_connect(addr, &secret).await;
                let (backlog, _) = raw_handshake(&mut s, Some(0)).await;
                (s, backlog)
            }
        })
        .buffer_unordered(64)
        .collect()
        .await;
    let opened = t.elapsed();
    assert!(
        sockets.iter().all(|(_, backlog)| *backlog == 100),
        "every pull got the backlog"
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    let with = proc_status_kb(pid, "VmRSS:");
    let hwm = proc_status_kb(pid, "VmHWM:");
    let counted = metrics_connections(addr).await;
    assert_eq!(counted, Some(n as u64), "the relay counts every connection");
    let per = (with.saturating_sub(before)) as f64 * 1024.0 / n as f64;
    out.add("relay process VmRSS before connections", mib(before), "");
    out.add(
        format!("relay process VmRSS with {n} idle connections"),
        mib(with),
        format!(
            "opened (connect + hello + pull of 100 entries + caught_up, 64 at a time) in {}; VmHWM {}; /metrics says {} connections; load {}",
            secs(opened),
            mib(hwm),
            counted.unwrap_or(0),
            loadavg()
        ),
    );
    out.add(
        "relay memory per idle connection",
        format!("{:.1} KiB", per / 1024.0),
        "(VmRSS with − before) / connections",
    );
    for (mut s, _) in sockets {
        let _ = s.close(None).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after = proc_status_kb(pid, "VmRSS:");
    let left = metrics_connections(addr).await.unwrap_or(u64::MAX);
    out.add(
        "relay process VmRSS after the connections closed",
        mib(after),
        format!("{left} connections left"),
    );
    drop(process);
}

// ---------------------------------------------------------------------------------------
// 5. Throughput

async fn throughput(o: &Options, pushers: usize, out: &mut Results) {
    let subs = o.subscribers;
    println!(
        "\n== throughput: {pushers} pusher(s), one push in flight each, {subs} subscribers, up to {} s (load {})",
        o.secs,
        loadavg()
    );
    // One pusher waiting for each ack goes well past the default 200 messages/s.
    let relay = LocalRelay::start(o.memory, |c| {
        c.limits.messages_per_second = 1_000_000;
        c.limits.message_burst = 1_000_000;
    })
    .await;
    let (workspace, _owner) = relay.workspace();

    let mut counters = Vec::new();
    let mut readers = Vec::new();
    let mut sinks = Vec::new();
    for _ in 0..subs {
        let mut s = raw_connect(relay.addr, &relay.token(workspace, Role::Member)).await;
        raw_handshake(&mut s, Some(0)).await;
        let (sink, mut stream) = s.split();
        sinks.push(sink);
        let count = Arc::new(AtomicU64::new(0));
        counters.push(count.clone());
        readers.push(tokio::spawn(async move {
            let mut last_seq = 0;
            while let Some(Ok(frame)) = stream.next().await {
                match frame {
                    Message::Binary(bytes) => match decode::<ServerMessage>(&bytes, usize::MAX) {
                        Ok(ServerMessage::Entries { entries }) => {
                            for e in &entries {
                                assert!(e.seq > last_seq, "entries arrive in log order");
                                last_seq = e.seq;
                            }
                            count.fetch_add(entries.len() as u64, Ordering::Relaxed);
                        }
                        Ok(ServerMessage::Error { code, message }) => {
                            panic!("a subscriber was disconnected: {code:?} {message}")
                        }
                        _ => {}
                    },
                    Message::Close(_) => break,
                    _ => {}
                }
            }
        }));
    }

    let per_pusher = (o.max_pushes / pushers).max(1);
    let mut prepared = Vec::new();
    for _ in 0..pushers {
        let mut s = raw_connect(relay.addr, &relay.token(workspace, Role::Member)).await;
        // Pushers do not pull: they get their acks and nothing else.
        raw_handshake(&mut s, None).await;
        let mut chunks = Chunks::new();
        let frames: Vec<Vec<u8>> = (0..per_pusher)
            .map(|i| {
                let data = chunks.next_chunk();
                encode(&chunks.push(i as u64 + 1, data))
            })
            .collect();
        prepared.push((s, frames));
    }
    let bytes: usize = prepared
        .iter()
        .map(|(_, f)| f.iter().map(Vec::len).sum::<usize>())
        .sum();
    println!(
        "  {} chunks prepared, {:.0} bytes per push frame on average",
        pushers * per_pusher,
        bytes as f64 / (pushers * per_pusher) as f64
    );

    let limit = Duration::from_secs(o.secs);
    let cpu = cpu_time();
    let start = Instant::now();
    let tasks: Vec<_> = prepared
        .into_iter()
        .map(|(mut s, frames)| {
            tokio::spawn(async move {
                let mut rtts = Vec::with_capacity(frames.len());
                for frame in frames {
                    if start.elapsed() >= limit {
                        break;
                    }
                    let t = Instant::now();
                    s.send(Message::Binary(frame.into())).await.expect("push");
                    loop {
                        match raw_next(&mut s).await {
                            ServerMessage::Ack { acks } => {
                                assert_eq!(acks.len(), 1);
                                break;
                            }
                            ServerMessage::Error { code, message } => panic!("pusher refused: {code:?} {message}"),
                            _ => {}
                        }
                    }
                    rtts.push(t.elapsed());
                }
                let _ = s.close(None).await;
                rtts
            })
        })
        .collect();
    let mut rtts = Vec::new();
    for task in tasks {
        rtts.extend(
            within(limit + Duration::from_secs(60), "pusher", task)
                .await
                .expect("pusher task"),
        );
    }
    let elapsed = start.elapsed();
    let pushed = rtts.len() as u64;
    // Every subscriber must get every entry.
    let waited = Instant::now();
    let all = within(Duration::from_secs(60), "subscribers catching up", async {
        loop {
            if counters.iter().all(|c| c.load(Ordering::Relaxed) >= pushed) {
                return waited.elapsed();
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    let cpu = cpu_time().saturating_sub(cpu);
    let received: Vec<u64> = counters.iter().map(|c| c.load(Ordering::Relaxed)).collect();
    let every = received.iter().all(|r| *r == pushed);
    assert!(
        every,
        "every subscriber received every entry exactly once: {received:?} vs {pushed}"
    );
    rtts.sort();
    out.add(
        format!("relay throughput, {pushers} pusher(s) × 1 in flight, {subs} subscribers"),
        format!("{:.0} pushes/s", pushed as f64 / elapsed.as_secs_f64()),
        format!(
            "{pushed} pushes in {}; {:.0} entries/s delivered; every subscriber got all {pushed} (last one {} after the last ack); ack RTT p50 {} p99 {}; CPU {:.2} cores; load {}",
            secs(elapsed),
            (pushed * subs as u64) as f64 / elapsed.as_secs_f64(),
            ms(all),
            ms(quantile(&rtts, 0.5)),
            ms(quantile(&rtts, 0.99)),
            (cpu.as_secs_f64() / (elapsed + all).as_secs_f64()),
            loadavg()
        ),
    );
    for mut sink in sinks {
        let _ = sink.close().await;
    }
    for r in readers {
        let _ = within(Duration::from_secs(10), "subscriber", r).await;
    }
    relay.shutdown().await;
}

// ---------------------------------------------------------------------------------------

fn main() {
    let o = Options::parse();
    machine();
    println!("options: {o:?}");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let mut out = Results::default();
    let started = Instant::now();
    runtime.block_on(async {
        for scenario in &o.scenarios {
            match scenario {
                Scenario::Bootstrap => bootstrap(&o, &mut out).await,
                Scenario::Catchup => catchup(&o, &mut out).await,
                Scenario::Live => {
                    live_devices(&o, false, &mut out).await;
                    live_devices(&o, true, &mut out).await;
                    if !o.memory {
                        live_raw(&o, false, &mut out).await;
                    }
                    live_raw(&o, true, &mut out).await;
                }
                Scenario::Idle => idle(&o, &mut out).await,
                Scenario::Throughput => {
                    for &p in &o.pushers {
                        throughput(&o, p, &mut out).await;
                    }
                }
            }
        }
    });
    out.print();
    println!(
        "\ntotal {}; load average at the end {}",
        secs(started.elapsed()),
        loadavg()
    );
}
