//! Benchmarks for history, revert and applying synced changes, on generated people.
//!
//! `cargo bench -p kith-core --bench undo_and_sync [-- --records N]`
//!
//! Prints one line per measurement; `docs/performance.md` records the numbers.

use std::time::{Duration, Instant};

use kith_core::sync::protocol::Entry;
use kith_core::{CreateOptions, ImportOptions, ImportRow, Query, Workspace};

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

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// Every outbox chunk of `ws` as log entries, in order.
fn log_of(ws: &Workspace) -> Vec<Entry> {
    ws.outbox(usize::MAX)
        .expect("outbox")
        .into_iter()
        .enumerate()
        .map(|(i, c)| Entry {
            seq: i as u64 + 1,
            doc: c.doc,
            data: c.data,
        })
        .collect()
}

/// Many threads allocate at once while a device applies a sync backlog; glibc's allocator
/// spends a third of that time on locks (docs/adr/0001-mimalloc.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let records: usize = args
        .iter()
        .position(|a| a == "--records")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("tempdir");

    // History of a record with 1,000 changes.
    {
        let mut ws = Workspace::create(&dir.path().join("history"), CreateOptions::new("bench")).expect("ws");
        let people = ws.object_named("people").expect("people").id;
        let v = ws
            .parse_values(people, &[("name".into(), "Busy Person".into())])
            .expect("v");
        let id = ws.create_record(people, v).expect("create");
        for i in 0..999 {
            let v = ws
                .parse_values(people, &[("city".into(), format!("City {i}"))])
                .expect("v");
            ws.update_record(id, v).expect("update");
        }
        let samples: Vec<Duration> = (0..11)
            .map(|_| {
                let t = Instant::now();
                let h = ws.record_history(id).expect("history");
                assert_eq!(h.len(), 1000);
                t.elapsed()
            })
            .collect();
        println!(
            "history of a record with 1,000 changes: median {} (target <= 20 ms)",
            ms(median(samples))
        );
    }

    // Revert of a 10,000-row import.
    {
        let mut ws = Workspace::create(&dir.path().join("revert"), CreateOptions::new("bench")).expect("ws");
        let people = ws.object_named("people").expect("people").id;
        let rows = people_rows(&ws, 10_000, 0);
        let report = ws
            .import_records(people, rows, &ImportOptions::default(), &mut |_| {})
            .expect("import");
        let t = Instant::now();
        let revert = ws.revert_group(report.group, false).expect("revert");
        let took = t.elapsed();
        assert_eq!(revert.records, 10_000);
        println!(
            "revert of a 10,000-row import: {:.2} s (target <= 10 s)",
            took.as_secs_f64()
        );
    }

    // A fresh device applying a whole workspace, and catch-up of 1,000 changes.
    for size in [10_000, records] {
        let mut source = Workspace::in_memory(CreateOptions::new("source")).expect("ws");
        let people = source.object_named("people").expect("people").id;
        let rows = people_rows(&source, size, 0);
        let report = source
            .import_records(people, rows, &ImportOptions::default(), &mut |_| {})
            .expect("import");
        let log = log_of(&source);
        let mut replica =
            Workspace::create_replica(&dir.path().join(format!("replica-{size}")), "replica").expect("replica");
        let t = Instant::now();
        // Batches of ~32 MiB, as the sync engine gathers a backlog.
        let mut start = 0;
        while start < log.len() {
            let mut end = start;
            let mut bytes = 0;
            while end < log.len() && bytes < 32 << 20 {
                bytes += log[end].data.len() + 32;
                end += 1;
            }
            let batch = &log[start..end];
            let cursor = batch.last().map_or(0, |e| e.seq);
            replica.apply_remote(&[], batch, cursor).expect("apply");
            start = end;
        }
        let mut q = Query::new(people);
        q.filter = Some(replica.parse_filter(people, "city = Oslo").expect("filter"));
        q.sort = replica.parse_sort(people, "name").expect("sort");
        let page = replica.query(&q).expect("query");
        let bootstrap = t.elapsed();
        assert_eq!(page.ids.len(), 50);
        println!(
            "apply a {size}-record workspace on a fresh device (to a queryable replica): {:.2} s",
            bootstrap.as_secs_f64()
        );

        // 1,000 changes made elsewhere: 500 edits and 500 new records.
        let before = source.outbox_len().expect("outbox") as usize;
        for (i, id) in report.created.iter().take(500).enumerate() {
            let v = source
                .parse_values(people, &[("city".into(), format!("Moved {i}"))])
                .expect("v");
            source.update_record(*id, v).expect("update");
        }
        let more = people_rows(&source, 500, size);
        source
            .import_records(people, more, &ImportOptions::default(), &mut |_| {})
            .expect("import");
        let log = log_of(&source);
        let fresh = &log[before..];
        assert_eq!(fresh.len(), 1000);
        let t = Instant::now();
        let cursor = fresh.last().map_or(0, |e| e.seq);
        replica.apply_remote(&[], fresh, cursor).expect("apply");
        println!(
            "catch-up of 1,000 remote changes in a {size}-record workspace: {} (target <= 500 ms)",
            ms(t.elapsed())
        );
    }
}
