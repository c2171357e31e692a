//! What listing rule breaks costs at scale, and what keeping the `rule_breaks` table adds
//! to a create: a workspace of generated people (1 in 100 breaks the rule).
//!
//! `cargo bench -p kith-core --bench rule_breaks [-- --records N]`
//!
//! Uses only APIs that existed before the table, so the same file measures the scan it
//! replaced (run it on the commit before). `docs/performance.md` records the numbers.

use std::time::{Duration, Instant};

use kith_core::{CreateOptions, ImportOptions, ImportRow, Workspace};

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

/// Person `i`; one in 100 of the imported ones lives "Nowhere": the rule added after the
/// import flags them.
fn person(ws: &Workspace, i: usize, imported: bool) -> Vec<kith_core::FieldChange> {
    let people = ws.object_named("people").expect("people").id;
    let city = if imported && i.is_multiple_of(100) {
        "Nowhere"
    } else {
        ["Oslo", "Lyon", "Porto"][i % 3]
    };
    let inputs: Vec<(String, String)> = vec![
        ("name".into(), format!("Person {i} Example")),
        ("email".into(), format!("person{i}@example.com")),
        ("city".into(), city.into()),
    ];
    ws.parse_values(people, &inputs).expect("values")
}

/// Median time of `n` creations of valid people.
fn creates(ws: &mut Workspace, from: usize, n: usize) -> Duration {
    let people = ws.object_named("people").expect("people").id;
    let samples = (from..from + n)
        .map(|i| {
            let values = person(ws, i, false);
            let start = Instant::now();
            ws.create_record(people, values).expect("create");
            start.elapsed()
        })
        .collect();
    median(samples)
}

/// Median time of `n` calls of `f`.
fn timed(n: usize, mut f: impl FnMut()) -> Duration {
    median(
        (0..n)
            .map(|_| {
                let start = Instant::now();
                f();
                start.elapsed()
            })
            .collect(),
    )
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let records: usize = args
        .iter()
        .position(|a| a == "--records")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut ws = Workspace::create(dir.path(), CreateOptions::new("bench")).expect("workspace");
    let people = ws.object_named("people").expect("people").id;
    let rows: Vec<ImportRow> = (0..records)
        .map(|i| ImportRow {
            id: None,
            values: person(&ws, i, true),
        })
        .collect();
    let started = Instant::now();
    ws.import_records(people, rows, &ImportOptions::default(), &mut |_| {})
        .expect("import");
    println!("imported {records} people in {:.1} s", started.elapsed().as_secs_f64());

    let n = 301;
    let plain = creates(&mut ws, records, n);
    println!("create a person, no rule (median of {n}): {}", ms(plain));

    let started = Instant::now();
    ws.add_rule(people, "city != \"Nowhere\"", "Nobody lives nowhere", &[])
        .expect("rule");
    println!(
        "add the rule (its breaks computed for every person): {}",
        ms(started.elapsed())
    );
    let with_rule = creates(&mut ws, records + n, n);
    println!("create a person, with the rule (median of {n}): {}", ms(with_rule));

    let mut count = 0;
    let list = timed(11, || count = ws.rule_breaks(None).expect("breaks").len());
    assert_eq!(count, records.div_ceil(100));
    println!("rule_breaks(None), {count} breaks (median of 11): {}", ms(list));
    let mut reopened_count = 0;
    let conflicts_of_one = timed(11, || {
        reopened_count = ws.rule_breaks(Some(people)).expect("breaks").len()
    });
    println!(
        "rule_breaks(people), {reopened_count} breaks (median of 11): {}",
        ms(conflicts_of_one)
    );
}
