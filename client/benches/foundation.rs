//! The foundation benchmark: a workspace of realistic people (10 fields each, 100,000 by
//! default) imported from CSV, then the operations a user waits on, against their
//! targets.
//!
//! ```text
//! cargo bench -p kith --bench foundation                     # 100,000 people
//! cargo bench -p kith --bench foundation -- --records 2000   # a smoke run (CI)
//! ```
//!
//! Options: `--records N` (people), `--runs R` (repetitions of each query; the median is
//! reported), `--check` (exit with status 1 when a target is missed). The workspace
//! lives in a temporary directory that is removed at the end. See docs/performance.md.

use std::error::Error;
use std::io::Write;
use std::time::{Duration, Instant};

use kith::sample::{self, Company};
use kith::{CsvImportOptions, import_csv};
use kith_core::{CreateOptions, ImportOptions, ImportRow, Query, WORKSPACE_FILE, Workspace};

type Res<T> = Result<T, Box<dyn Error>>;

struct Args {
    records: usize,
    runs: usize,
    check: bool,
    /// Create the workspace here and keep it (for inspection) instead of a temporary one.
    keep: Option<std::path::PathBuf>,
}

fn parse_args() -> Res<Args> {
    let mut args = Args {
        records: 100_000,
        runs: 15,
        check: false,
        keep: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--records" | "-n" => {
                args.records = it.next().ok_or("--records needs a number")?.replace('_', "").parse()?
            }
            "--runs" => args.runs = it.next().ok_or("--runs needs a number")?.parse()?,
            "--check" => args.check = true,
            "--keep" => args.keep = Some(it.next().ok_or("--keep needs a directory")?.into()),
            // `cargo bench` passes --bench; filters are not supported.
            "--bench" => {}
            "--help" | "-h" => {
                println!("usage: foundation [--records N] [--runs R] [--check] [--keep DIR]");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument '{other}' (try --help)").into()),
        }
    }
    args.runs = args.runs.max(1);
    Ok(args)
}

/// One line of the result table.
struct Line {
    what: String,
    result: String,
    target: String,
    /// `None`: informational, no target.
    met: Option<bool>,
    note: String,
}

struct Report {
    lines: Vec<Line>,
}

impl Report {
    fn info(&mut self, what: impl Into<String>, result: impl Into<String>) {
        self.lines.push(Line {
            what: what.into(),
            result: result.into(),
            target: String::new(),
            met: None,
            note: String::new(),
        });
    }

    fn timed(&mut self, what: impl Into<String>, took: Duration, note: String, target: Duration) {
        self.lines.push(Line {
            what: what.into(),
            result: fmt_duration(took),
            target: format!("≤ {}", fmt_duration(target)),
            met: Some(took <= target),
            note,
        });
    }

    fn print(&self) {
        let width = |f: fn(&Line) -> &str, min: usize| {
            self.lines
                .iter()
                .map(|l| f(l).chars().count())
                .max()
                .unwrap_or(0)
                .max(min)
        };
        let w0 = width(|l| &l.what, 11);
        let w1 = width(|l| &l.result, 6);
        let w2 = width(|l| &l.target, 6);
        let row = |a: &str, b: &str, c: &str, d: &str, e: &str| {
            let line = format!("{a:<w0$}  {b:>w1$}  {c:<w2$}  {d:<6}  {e}");
            println!("{}", line.trim_end());
        };
        println!();
        row("measurement", "result", "target", "", "notes");
        row(&"-".repeat(w0), &"-".repeat(w1), &"-".repeat(w2), "------", "-----");
        for l in &self.lines {
            let verdict = match l.met {
                Some(true) => "met",
                Some(false) => "MISSED",
                None => "",
            };
            row(&l.what, &l.result, &l.target, verdict, &l.note);
        }
    }

    fn missed(&self) -> usize {
        self.lines.iter().filter(|l| l.met == Some(false)).count()
    }
}

fn fmt_duration(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 1.0 {
        format!("{} s", trim_zeros(format!("{s:.2}")))
    } else if s >= 0.001 {
        format!("{} ms", trim_zeros(format!("{:.1}", s * 1e3)))
    } else {
        format!("{:.0} µs", s * 1e6)
    }
}

/// `15.00` → `15`, `2.50` → `2.5`.
fn trim_zeros(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// CPU time of this process (all threads, user + system), from /proc/self/stat.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may contain spaces) start at state (field 3).
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    // USER_HZ is 100 on Linux.
    Some(Duration::from_millis((utime + stime) * 10))
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg").map_or_else(
        |_| "?".into(),
        |l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
    )
}

/// Peak resident memory of this process (VmHWM), in bytes.
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// Median and maximum of `runs` runs of `f`, and what the last run returned.
fn measure<T>(runs: usize, mut f: impl FnMut() -> Res<T>) -> Res<(Duration, Duration, T)> {
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let start = Instant::now();
        let value = f()?;
        times.push(start.elapsed());
        last = Some(value);
    }
    times.sort();
    let median = times[times.len() / 2];
    let max = times[times.len() - 1];
    Ok((median, max, last.ok_or("no run")?))
}

fn first_page(ws: &Workspace, filter: &str, sort: &str) -> Res<usize> {
    let people = ws.object_named("people")?.id;
    let mut query = Query::new(people);
    query.filter = Some(ws.parse_filter(people, filter)?);
    query.sort = ws.parse_sort(people, sort)?;
    query.limit = 50;
    Ok(ws.query(&query)?.ids.len())
}

/// Imports `companies` through the library (not timed against a target).
fn import_companies(ws: &mut Workspace, companies: &[(Company, sample::Fields)]) -> Res<usize> {
    let object = ws.object_named("companies")?.id;
    let mut rows = Vec::with_capacity(companies.len());
    for (_, fields) in companies {
        rows.push(ImportRow {
            id: None,
            values: ws.parse_values(object, fields)?,
        });
    }
    let options = ImportOptions {
        strict: true,
        ..ImportOptions::default()
    };
    let report = ws.import_records(object, rows, &options, &mut |_| {})?;
    if let Some(e) = report.errors.first() {
        return Err(format!("company row {} was refused: {}", e.index, e.error).into());
    }
    Ok(report.created.len())
}

/// Many threads allocate at once while a device applies a sync backlog; glibc's allocator
/// spends a third of that time on locks (docs/adr/0001-mimalloc.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> Res<()> {
    let args = parse_args()?;
    let n = args.records;
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    println!(
        "Kith foundation benchmark: {} people (10 fields), {cores} cores",
        thousands(n as u64)
    );

    let mut report = Report { lines: Vec::new() };

    // Sample data: companies first (people name theirs), then the people CSV.
    let n_companies = (n / 100).clamp(10, 2_000);
    let companies = sample::companies(1, n_companies);
    let refs: Vec<Company> = companies.iter().map(|(c, _)| c.clone()).collect();
    let start = Instant::now();
    let mut csv = Vec::with_capacity(n * 200);
    sample::write_people_csv(&mut csv, 2, n, &refs)?;
    report.info(
        format!(
            "generate CSV ({} people, {})",
            thousands(n as u64),
            mib(csv.len() as u64)
        ),
        fmt_duration(start.elapsed()),
    );

    println!("load average before: {}", load_average());
    let dir = tempfile::Builder::new().prefix("kith-bench-").tempdir()?;
    let path = match &args.keep {
        Some(keep) => keep.clone(),
        None => dir.path().join("ws"),
    };
    let mut ws = Workspace::create(&path, CreateOptions::new("bench"))?;
    let start = Instant::now();
    import_companies(&mut ws, &companies)?;
    report.info(
        format!("import {} companies (library)", thousands(n_companies as u64)),
        fmt_duration(start.elapsed()),
    );

    // The import, with its phases seen through the progress callback: it is first called
    // once the rows are parsed and validated and the first documents are built, last
    // called before the commit.
    print!("importing {} people from CSV ... ", thousands(n as u64));
    std::io::stdout().flush()?;
    let options = CsvImportOptions {
        object: "people".into(),
        mappings: Vec::new(),
        strict: false,
        ..CsvImportOptions::default()
    };
    let mut first_call: Option<Instant> = None;
    let mut last_call: Option<Instant> = None;
    let cpu_before = cpu_time();
    let start = Instant::now();
    let imported = import_csv(&mut ws, csv.as_slice(), &options, &mut |_, _| {
        let now = Instant::now();
        first_call.get_or_insert(now);
        last_call = Some(now);
    })?;
    let took = start.elapsed();
    let end = start + took;
    let cpu = cpu_time()
        .zip(cpu_before)
        .map(|(after, before)| after.saturating_sub(before));
    println!("done");
    if !imported.errors.is_empty() || imported.imported != n {
        let first = imported.errors.first().map(ToString::to_string).unwrap_or_default();
        return Err(format!(
            "imported {} of {n} people; {} bad rows, first: {first}",
            imported.imported,
            imported.errors.len()
        )
        .into());
    }
    let rate = n as f64 / took.as_secs_f64();
    let cpu_note = cpu.map_or_else(String::new, |c| {
        format!(
            ", CPU {} ({:.1} cores busy)",
            fmt_duration(c),
            c.as_secs_f64() / took.as_secs_f64()
        )
    });
    report.timed(
        format!("import {} people from CSV (import_csv)", thousands(n as u64)),
        took,
        format!("{rate:.0} records/s{cpu_note}"),
        Duration::from_secs(15),
    );
    if let (Some(first), Some(last)) = (first_call, last_call) {
        report.info(
            "  read CSV, convert, validate, first documents",
            fmt_duration(first - start),
        );
        report.info("  build documents and write tables", fmt_duration(last - first));
        report.info("  commit", fmt_duration(end - last));
    }
    let peak = peak_rss().unwrap_or(0);
    report.info("peak RSS after import (VmHWM, includes the CSV in memory)", mib(peak));

    // First pages: a filter on one field, sorted on another.
    // The `~` (contains) cases select the same rows as the `=` ones but no index answers
    // them, so they show what walking the sort index costs against fetching every match.
    let cases = [
        ("country = Germany", "name"),
        ("birthday >= 1980-01-01 and birthday < 1990-01-01", "-name"),
        ("lead_source = Referral", "birthday"),
        ("country ~ germany", "name"),
        ("lead_source ~ referral", "birthday"),
    ];
    for (filter, sort) in cases {
        let (median, max, hits) = measure(args.runs, || first_page(&ws, filter, sort))?;
        report.timed(
            format!("first page (50): {filter}, sort {sort}"),
            median,
            format!("median of {}, max {}, {hits} rows", args.runs, fmt_duration(max)),
            Duration::from_millis(30),
        );
    }

    // Full-text search.
    let searches = ["Müller", "ann", "Anna Müller", "berlin"];
    for text in searches {
        let (median, max, hits) = measure(args.runs, || Ok(ws.search(text, None, 50)?.len()))?;
        report.timed(
            format!("search \"{text}\" (limit 50)"),
            median,
            format!("median of {}, max {}, {hits} hits", args.runs, fmt_duration(max)),
            Duration::from_millis(20),
        );
    }

    // Size on disk, then open and answer the first query.
    drop(ws);
    let bytes = std::fs::metadata(path.join(WORKSPACE_FILE))?.len();
    let records = (n + n_companies) as u64;
    report.info("workspace.redb size", mib(bytes));
    report.info(
        "bytes on disk per record",
        format!("{:.0} B", bytes as f64 / records as f64),
    );
    let mut opens = Vec::new();
    for _ in 0..args.runs.min(5) {
        let start = Instant::now();
        let ws = Workspace::open(&path)?;
        first_page(&ws, "country = Germany", "name")?;
        opens.push(start.elapsed());
    }
    report.timed(
        "open the workspace and answer the first query (first time)",
        opens[0],
        String::new(),
        Duration::from_millis(500),
    );
    opens.sort();
    report.timed(
        "open the workspace and answer the first query (median)",
        opens[opens.len() / 2],
        format!("median of {}", opens.len()),
        Duration::from_millis(500),
    );

    report.print();
    println!("\nload average after: {}", load_average());
    drop(dir);
    let missed = report.missed();
    if missed > 0 {
        println!("\n{missed} target(s) missed");
        if args.check {
            std::process::exit(1);
        }
    }
    Ok(())
}
