//! A device new to a workspace receives the whole log at once; documents it has never
//! seen are read on several threads and written in bulk. What that builds must equal
//! what the device that wrote the records has, whatever the batch sizes, and the schema
//! document may arrive in the same batch as the records that need it.

use kith_core::sync::protocol::Entry;
use kith_core::{CreateOptions, ImportOptions, ImportRow, Workspace};

fn inputs(values: &[(&str, String)]) -> Vec<(String, String)> {
    values.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

/// A workspace with `n` imported people, one deleted and one edited twice, and its log.
fn source(n: usize) -> (Workspace, Vec<Entry>) {
    let mut ws = Workspace::in_memory(CreateOptions::new("founder")).unwrap();
    let people = ws.object_named("people").unwrap().id;
    let rows: Vec<ImportRow> = (0..n)
        .map(|i| ImportRow {
            id: None,
            values: ws
                .parse_values(
                    people,
                    &inputs(&[
                        ("name", format!("Person {i} Ñandú")),
                        ("email", format!("p{i}@example.test")),
                        ("city", ["Oslo", "Zürich", "Porto"][i % 3].to_string()),
                        ("birthday", format!("1980-01-{:02}", 1 + i % 28)),
                    ]),
                )
                .unwrap(),
        })
        .collect();
    let report = ws
        .import_records(people, rows, &ImportOptions::default(), &mut |_| {})
        .unwrap();
    ws.delete_record(report.created[0]).unwrap();
    for city in ["Lyon", "Graz"] {
        let v = ws.parse_values(people, &inputs(&[("city", city.to_string())])).unwrap();
        ws.update_record(report.created[1], v).unwrap();
    }
    let log = ws
        .outbox(usize::MAX)
        .unwrap()
        .into_iter()
        .enumerate()
        .map(|(i, c)| Entry {
            seq: i as u64 + 1,
            doc: c.doc,
            data: c.data,
        })
        .collect();
    (ws, log)
}

fn replica_applying(log: &[Entry], batch: usize) -> Workspace {
    let mut replica = Workspace::in_memory_replica("device").unwrap();
    for part in log.chunks(batch) {
        replica.apply_remote(&[], part, part.last().unwrap().seq).unwrap();
    }
    replica
}

#[test]
fn one_batch_with_the_schema_and_every_record_builds_the_same_tables_as_the_source() {
    let (source, log) = source(1_500);
    let replica = replica_applying(&log, usize::MAX);
    assert_eq!(replica.dump_derived().unwrap(), source.dump_derived().unwrap());
    let people = replica.object_named("people").unwrap().id;
    assert_eq!(replica.count_all(people).unwrap(), 1_499);
    // Person 1 lived in Zürich until the two edits moved them.
    assert_eq!(replica.search("nandu zurich", Some(people), 10_000).unwrap().len(), 499);
}

#[test]
fn batches_of_any_size_build_the_same_tables_as_the_source() {
    let (source, log) = source(1_200);
    let expected = source.dump_derived().unwrap();
    for batch in [1, 700, 1_000] {
        let replica = replica_applying(&log, batch);
        assert!(replica.dump_derived().unwrap() == expected, "batches of {batch}");
    }
}
