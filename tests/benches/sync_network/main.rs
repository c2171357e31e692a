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

mod bootstrap;
mod catchup;
mod idle;
mod live;
mod raw;
mod throughput;

use bootstrap::*;
use catchup::*;
use idle::*;
use live::*;
use raw::*;
use throughput::*;

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
    /// Records whose search entries were left for later, and a search meanwhile.
    backlog: u64,
    search_during: Duration,
    /// Indexing that backlog (what `kith join` and `sync --watch` do next), and a search after.
    indexing: Duration,
    search_after: Duration,
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
    let backlog = ws.search_backlog().expect("backlog");
    let words = format!("person {} example", expected / 2);
    let t = Instant::now();
    let during = ws.search(&words, Some(people), 50).expect("search");
    let search_during = t.elapsed();
    let t = Instant::now();
    while ws.index_search_backlog(kith::sync::SEARCH_INDEX_STEP).expect("index") > 0 {}
    let indexing = t.elapsed();
    let t = Instant::now();
    let after = ws.search(&words, Some(people), 50).expect("search");
    let search_after = t.elapsed();
    assert!(
        !after.is_empty() && during == after,
        "search finds the same records before and after indexing"
    );
    Bootstrap {
        total,
        sync,
        query,
        tally,
        received: report.received,
        backlog,
        search_during,
        indexing,
        search_after,
    }
}

// ---------------------------------------------------------------------------------------
// Raw protocol clients

/// Many threads allocate at once while a device applies a sync backlog; glibc's allocator
/// spends a third of that time on locks (docs/adr/0001-mimalloc.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
