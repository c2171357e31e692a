//! Scenario `catchup`: a device that was offline pulls 1,000 changes.

use super::*;

pub(super) async fn catchup(o: &Options, out: &mut Results) {
    let sizes = [o.records, (o.records / 10).max(10)];
    let mut medians = Vec::new();
    for size in sizes {
        println!(
            "\n== catch-up of 1,000 changes in a {size}-record workspace (load {})",
            loadavg()
        );
        let relay = LocalRelay::start(o.memory, |_| {}).await;
        let (workspace, owner) = relay.workspace();
        let owner = relay.remote(&owner);
        let member = relay.remote(&relay.token(workspace, Role::Member));
        let dir = tempfile::tempdir().expect("tempdir");
        let (mut founder, ids, _) = founder(&dir.path().join("founder"), size);
        sync_until_caught_up(&mut founder, &owner).await;
        let mut device = Workspace::create_replica(&dir.path().join("device"), "device").expect("replica");
        let (_, _, joined) = sync_until_caught_up(&mut device, &member).await;
        println!("  setup: device joined in {}", secs(joined));
        let people = people_of(&founder);
        let edits = ids.len().min(500);
        let mut samples = Vec::new();
        let mut notes = Vec::new();
        for run in 0..o.runs {
            // While the device is offline: 500 edits and 500 new records on the founder.
            for (i, id) in ids.iter().take(edits).enumerate() {
                let v = founder
                    .parse_values(people, &[("city".into(), format!("Moved {run} {i}"))])
                    .expect("values");
                founder.update_record(*id, v).expect("update");
            }
            let rows = people_rows(&founder, 1000 - edits, size + run * 1000);
            founder
                .import_records(people, rows, &ImportOptions::default(), &mut |_| {})
                .expect("import");
            let (pushed, _, push) = sync_until_caught_up(&mut founder, &owner).await;
            assert_eq!(pushed.pushed, 1000, "1,000 chunks pushed");
            let (report, tally, took) = sync_until_caught_up(&mut device, &member).await;
            assert_eq!(report.received, 1000, "1,000 entries received");
            println!(
                "  run {run}: founder pushed 1,000 in {}; device caught up in {} (caught_up at {}, {} applies)",
                secs(push),
                ms(took),
                tally.caught_up_at.map_or("?".into(), ms),
                tally.applies
            );
            samples.push(took);
            notes.push(ms(took));
        }
        let m = median(&samples);
        medians.push((size, m));
        out.target(
            format!("catch-up of 1,000 remote changes, {size}-record workspace"),
            ms(m),
            "≤ 500 ms",
            m <= Duration::from_millis(500),
            format!("median of {} runs: {}; load {}", o.runs, notes.join(", "), loadavg()),
        );
        relay.shutdown().await;
    }
    if let [(big, b), (small, s)] = medians[..] {
        out.add(
            format!("catch-up cost ratio {big} vs {small} records"),
            format!("{:.2}x", b.as_secs_f64() / s.as_secs_f64()),
            "should be ~1x: cost follows the changes, not the workspace",
        );
    }
}

// ---------------------------------------------------------------------------------------
// 3. Live propagation
