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
    let log = log_of(&ws, 0);
    (ws, log)
}

fn replica_applying(log: &[Entry], batch: usize) -> Workspace {
    let mut replica = Workspace::in_memory_replica("device").unwrap();
    for part in log.chunks(batch) {
        replica.apply_remote(&[], part, part.last().unwrap().seq).unwrap();
    }
    replica
}

/// Adds every listed record's words to the search index, `step` records at a time.
fn finish_search_index(replica: &mut Workspace, step: usize) {
    let mut steps = 0;
    while replica.index_search_backlog(step).unwrap() > 0 {
        steps += 1;
        assert!(steps < 10_000, "the backlog shrinks");
    }
}

fn log_of(ws: &Workspace, from: usize) -> Vec<Entry> {
    ws.outbox(usize::MAX)
        .unwrap()
        .into_iter()
        .enumerate()
        .skip(from)
        .map(|(i, c)| Entry {
            seq: i as u64 + 1,
            doc: c.doc,
            data: c.data,
        })
        .collect()
}

#[test]
fn one_batch_with_the_schema_and_every_record_builds_the_same_tables_as_the_source() {
    let (source, log) = source(1_500);
    let mut replica = replica_applying(&log, usize::MAX);
    let people = replica.object_named("people").unwrap().id;
    assert_eq!(replica.count_all(people).unwrap(), 1_499);
    // Search entries of a bulk apply come later; search reads the listed rows meanwhile.
    assert_eq!(replica.search_backlog().unwrap(), 1_499);
    // Person 1 lived in Zürich until the two edits moved them.
    assert_eq!(replica.search("nandu zurich", Some(people), 10_000).unwrap().len(), 499);
    finish_search_index(&mut replica, 400);
    assert_eq!(replica.search_backlog().unwrap(), 0);
    assert_eq!(replica.dump_derived().unwrap(), source.dump_derived().unwrap());
    assert_eq!(replica.search("nandu zurich", Some(people), 10_000).unwrap().len(), 499);
}

#[test]
fn batches_of_any_size_build_the_same_tables_as_the_source() {
    let (source, log) = source(1_200);
    let expected = source.dump_derived().unwrap();
    for batch in [1, 700, 1_000] {
        let mut replica = replica_applying(&log, batch);
        finish_search_index(&mut replica, 1_000);
        assert!(replica.dump_derived().unwrap() == expected, "batches of {batch}");
    }
}

#[test]
fn search_finds_the_same_records_before_during_and_after_the_backlog_is_indexed() {
    let (mut source, log) = source(1_000);
    let mut replica = replica_applying(&log, usize::MAX);
    let people = replica.object_named("people").unwrap().id;
    // Edits and deletes reach listed records before their words are indexed.
    let sent = log.len();
    let ids = source.query(&kith_core::Query::new(people)).unwrap().ids;
    let renamed = ids[3];
    let v = source
        .parse_values(people, &inputs(&[("name", "Zoë Quist".to_string())]))
        .unwrap();
    source.update_record(renamed, v).unwrap();
    source.delete_record(ids[4]).unwrap();
    let more = log_of(&source, sent);
    replica.apply_remote(&[], &more, more.last().unwrap().seq).unwrap();
    let queries = [
        "zoe",
        "quist",
        "nandu",
        "porto",
        "p10",
        "example test",
        "person 3",
        "nothing-like-it",
    ];
    let expected: Vec<_> = queries
        .iter()
        .map(|q| source.search(q, Some(people), 100_000).unwrap())
        .collect();
    let results = |r: &Workspace| -> Vec<_> {
        queries
            .iter()
            .map(|q| r.search(q, Some(people), 100_000).unwrap())
            .collect()
    };
    assert_eq!(results(&replica), expected);
    assert_eq!(replica.search("zoe quist", None, 10).unwrap().len(), 1);
    replica.index_search_backlog(300).unwrap();
    assert!(replica.search_backlog().unwrap() > 0);
    assert_eq!(results(&replica), expected, "part of the backlog indexed");
    finish_search_index(&mut replica, 300);
    assert_eq!(results(&replica), expected, "all indexed");
    assert_eq!(replica.dump_derived().unwrap(), source.dump_derived().unwrap());
}

#[test]
fn a_reindex_indexes_the_backlog_too() {
    let (source, log) = source(600);
    let mut replica = replica_applying(&log, usize::MAX);
    assert!(replica.search_backlog().unwrap() > 0);
    replica.reindex().unwrap();
    assert_eq!(replica.search_backlog().unwrap(), 0);
    assert_eq!(replica.dump_derived().unwrap(), source.dump_derived().unwrap());
}

#[test]
fn a_batch_of_changes_to_hundreds_of_known_records_builds_the_same_tables_as_the_source() {
    let (mut source, log) = source(700);
    let people = source.object_named("people").unwrap().id;
    // One record edited often enough that its stored chunks fold into a new snapshot
    // during the bulk merge.
    let busy = source.query(&kith_core::Query::new(people)).unwrap().ids[10];
    for i in 0..40 {
        let v = source
            .parse_values(people, &inputs(&[("city", format!("City {i}"))]))
            .unwrap();
        source.update_record(busy, v).unwrap();
    }
    let changes = source
        .parse_values(people, &inputs(&[("job_title", "Buyer".to_string())]))
        .unwrap();
    let report = source.bulk_update(people, None, changes).unwrap();
    assert_eq!(report.records, 699);
    let all = log_of(&source, 0);
    let mut replica = replica_applying(&log, usize::MAX);
    // The busy record's first 30 edits one by one, then everything else in one batch:
    // 699 known documents at once.
    let mut at = log.len();
    for entry in &all[at..at + 30] {
        replica
            .apply_remote(&[], std::slice::from_ref(entry), entry.seq)
            .unwrap();
    }
    at += 30;
    replica.apply_remote(&[], &all[at..], all.last().unwrap().seq).unwrap();
    finish_search_index(&mut replica, 1_000);
    assert_eq!(replica.document_heads().unwrap(), source.document_heads().unwrap());
    assert_eq!(replica.dump_derived().unwrap(), source.dump_derived().unwrap());
    let buyers = replica.parse_filter(people, "job_title = Buyer").unwrap();
    assert_eq!(replica.count(people, Some(&buyers)).unwrap(), 699);
    // The replica keeps working on merged documents: a local edit, then history.
    let v = replica
        .parse_values(people, &inputs(&[("city", "Bergen".to_string())]))
        .unwrap();
    replica.update_record(busy, v).unwrap();
    assert_eq!(replica.record_history(busy).unwrap().len(), 43);
}
