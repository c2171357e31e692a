//! Benchmark for bulk writes into records read by a rollup: importing many deals into one
//! company whose rollup sums them (`derive::settle` completes each import batch).
//!
//! `cargo bench -p kith-core --bench bulk_rollups [-- --records N --batch B]`
//!
//! `--batch` is the rows per `import_records` call (one transaction), 5,000 by default
//! like `kith import`. Prints the import time and checks the company's sum;
//! `docs/performance.md` records the numbers.

use std::time::Instant;

use kith_core::{ComputedSpec, CreateOptions, ImportOptions, ImportRow, Workspace};

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let records = arg("--records", 10_000);
    let batch = arg("--batch", 5_000).max(1);
    let dir = tempfile::tempdir().expect("dir");
    let mut ws = Workspace::create(dir.path(), CreateOptions::new("bench")).expect("workspace");
    let deals = ws.object_named("deals").expect("deals").id;
    let companies = ws.object_named("companies").expect("companies").id;
    let values = ws
        .parse_values(companies, &[("name".to_string(), "Acme".to_string())])
        .expect("values");
    let acme = ws.create_record(companies, values).expect("company");
    ws.add_computed_field(
        companies,
        "open_amount",
        "Open amount",
        &ComputedSpec::Rollup("deals.amount sum where stage != Lost".into()),
    )
    .expect("rollup");

    let mut expected_cents: i64 = 0;
    let start = Instant::now();
    let mut done = 0;
    while done < records {
        let n = batch.min(records - done);
        let rows: Vec<ImportRow> = (done..done + n)
            .map(|i| {
                let stage = ["Lead", "Won", "Lost"][i % 3];
                let (units, cents) = (1000 + i % 5000, i % 100);
                if stage != "Lost" {
                    expected_cents += (units * 100 + cents) as i64;
                }
                let inputs: Vec<(String, String)> = vec![
                    ("name".into(), format!("Deal {i}")),
                    ("amount".into(), format!("{units}.{cents:02} USD")),
                    ("stage".into(), stage.into()),
                    ("company".into(), acme.to_string()),
                ];
                ImportRow {
                    id: None,
                    values: ws.parse_values(deals, &inputs).expect("values"),
                }
            })
            .collect();
        ws.import_records(deals, rows, &ImportOptions::default(), &mut |_| {})
            .expect("import");
        done += n;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let shown = ws
        .record(acme)
        .expect("company")
        .cells
        .into_iter()
        .find(|c| c.key == "open_amount")
        .map(|c| c.display)
        .unwrap_or_default();
    let expected = format!("{}.{:02} USD", expected_cents / 100, expected_cents % 100);
    assert_eq!(shown, expected, "the company's sum");
    println!(
        "import {records} deals into one company with a sum rollup, {batch} per batch: {elapsed:.2} s ({:.0} deals/s); sum {shown}",
        records as f64 / elapsed
    );
}
