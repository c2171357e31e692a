//! Benchmarks for computed fields: adding a formula field to a large object (every row
//! recomputed), and a rollup over many related records after one of them changes.
//!
//! `cargo bench -p kith-core --bench computed_fields [-- --records N --related M]`
//!
//! Prints one line per measurement; `docs/performance.md` records the numbers.

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

fn import_deals(ws: &mut Workspace, n: usize, company: Option<&str>) -> Vec<kith_core::RecordId> {
    let deals = ws.object_named("deals").expect("deals").id;
    let rows: Vec<ImportRow> = (0..n)
        .map(|i| {
            let mut inputs: Vec<(String, String)> = vec![
                ("name".into(), format!("Deal {i}")),
                ("amount".into(), format!("{}.{:02} USD", 1000 + i % 5000, i % 100)),
                ("stage".into(), ["Lead", "Won", "Lost"][i % 3].into()),
                ("probability".into(), format!("{}", i % 100)),
            ];
            if let Some(c) = company {
                inputs.push(("company".into(), c.to_string()));
            }
            ImportRow {
                id: None,
                values: ws.parse_values(deals, &inputs).expect("values"),
            }
        })
        .collect();
    ws.import_records(deals, rows, &ImportOptions::default(), &mut |_| {})
        .expect("import")
        .created
}

fn main() {
    let records = arg("--records", 100_000);
    let related = arg("--related", 10_000);
    let dir = tempfile::tempdir().expect("dir");
    let mut ws = Workspace::create(dir.path(), CreateOptions::new("bench")).expect("workspace");
    let deals = ws.object_named("deals").expect("deals").id;
    let companies = ws.object_named("companies").expect("companies").id;

    import_deals(&mut ws, records, None);
    let start = Instant::now();
    ws.add_computed_field(
        deals,
        "weighted",
        "Weighted",
        &ComputedSpec::Formula("amount * probability / 100".into()),
    )
    .expect("formula");
    println!(
        "add a formula field to {records} records: {:.2} s",
        start.elapsed().as_secs_f64()
    );

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
    let ids = import_deals(&mut ws, related, Some(&acme.to_string()));
    let mut times = Vec::new();
    for (i, id) in ids.iter().take(50).enumerate() {
        let v = ws
            .parse_values(deals, &[("amount".to_string(), format!("{} USD", 7 + i))])
            .expect("values");
        let start = Instant::now();
        ws.update_record(*id, v).expect("update");
        times.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "update one of {related} deals of a company with a sum rollup: median {:.2} ms, p90 {:.2} ms",
        times[times.len() / 2],
        times[times.len() * 9 / 10]
    );
}
