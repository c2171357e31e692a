//! Scenario `bootstrap`: a fresh device pulls a whole workspace.

use super::*;

pub(super) async fn bootstrap(o: &Options, out: &mut Results) {
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
                "sync {} (caught_up at {}), query {}; received {} snapshots + {} entries in {} applies; \
                 search backlog {} records: a search meanwhile {}, indexing it {}, the search after {}; load {}",
                secs(b.sync),
                b.tally.caught_up_at.map_or("?".into(), secs),
                ms(b.query),
                b.tally.snapshots,
                b.tally.entries,
                b.tally.applies,
                b.backlog,
                ms(b.search_during),
                secs(b.indexing),
                ms(b.search_after),
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
