//! Report speed at scale: 100,000 deals (`--records N` for another size), grouped by
//! stage and close month with a count and an exact per-currency sum, computed from
//! `rows` (docs/performance.md, "Reports"). Also a report whose filter the index answers.
//!
//! `cargo bench -p kith-core --bench reports [-- --records 100000 --runs 11]`

use std::time::{Duration, Instant};

use kith_core::report::ReportSpec;
use kith_core::{CreateOptions, ImportOptions, ImportRow, Workspace};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn deal_rows(ws: &Workspace, n: usize) -> Vec<ImportRow> {
    let deals = ws.object_named("deals").expect("deals").id;
    let stages = ["Lead", "Qualified", "Proposal", "Negotiation", "Won", "Lost"];
    let codes = ["EUR", "USD", "GBP"];
    (0..n)
        .map(|i| {
            let inputs: Vec<(String, String)> = vec![
                ("name".into(), format!("Deal {i}")),
                ("stage".into(), stages[i % stages.len()].into()),
                (
                    "amount".into(),
                    format!("{}.{:02} {}", 1_000 + (i * 37) % 90_000, i % 100, codes[i % 3]),
                ),
                (
                    "close_date".into(),
                    format!("20{:02}-{:02}-{:02}", 23 + (i / 11) % 3, 1 + (i / 7) % 12, 1 + i % 28),
                ),
                ("probability".into(), format!("{}", i % 101)),
                ("owner".into(), ["Ada", "Grace", "Alan"][i % 3].into()),
            ];
            ImportRow {
                id: None,
                values: ws.parse_values(deals, &inputs).expect("values"),
            }
        })
        .collect()
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// CPU time this process used so far (user + system, from /proc; 10 ms ticks), so a run
/// on a loaded machine can be told from a slow engine. `None` off Linux.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after_name = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

fn arg(args: &[String], name: &str, default: usize) -> usize {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let records = arg(&args, "--records", 100_000);
    let runs = arg(&args, "--runs", 11);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut ws = Workspace::create(&dir.path().join("ws"), CreateOptions::new("bench")).expect("ws");
    let deals = ws.object_named("deals").expect("deals").id;
    let t = Instant::now();
    let rows = deal_rows(&ws, records);
    ws.import_records(deals, rows, &ImportOptions::default(), &mut |_| {})
        .expect("import");
    println!(
        "load average: {}",
        std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim()
    );
    println!("{records} deals imported in {:.1} s", t.elapsed().as_secs_f64());

    let cases = [
        ("deals by stage and month, count + sum of amount", ""),
        ("the same, filtered to stage = won (index candidates)", "stage = won"),
    ];
    for (what, filter) in cases {
        let spec = ReportSpec {
            object: "deals".into(),
            filter: filter.into(),
            group_by: vec!["stage".into(), "close_date:month".into()],
            measures: vec!["count".into(), "sum:amount".into()],
            chart: String::new(),
        };
        let def = ws.report_from_spec(&spec).expect("report");
        let mut groups = 0;
        let cpu_before = cpu_time();
        let samples: Vec<Duration> = (0..runs)
            .map(|_| {
                let t = Instant::now();
                let result = ws.run_report(&def).expect("run");
                groups = result.rows.len();
                t.elapsed()
            })
            .collect();
        let cpu = cpu_before
            .zip(cpu_time())
            .map(|(before, after)| format!("{:.0} ms", (after - before).as_secs_f64() * 1000.0 / runs as f64))
            .unwrap_or_else(|| "?".into());
        println!(
            "{what}: median {:.1} ms over {runs} runs, CPU {cpu} per run ({groups} groups; target <= 100 ms)",
            median(samples).as_secs_f64() * 1000.0
        );
    }
}
