//! Compaction: folding a document's old log entries into one snapshot.
//!
//! For each workspace, documents with at least `min_entries` entries older than the
//! newest `keep_recent` log positions are loaded with Automerge (existing snapshot +
//! those entries), saved, and the result is checked to load with the same heads. The
//! snapshot is then stored and the entries it covers removed in one durable
//! transaction, so there is no moment where the entries are gone and the snapshot is
//! not there. Dedup rows stay: a device that pushes an old chunk again still gets its
//! original seq back.
//!
//! A document is skipped (and left as entries) when its chunks do not fold into a
//! complete snapshot, e.g. a change whose dependencies never reached the relay:
//! `save()` would silently drop it.

use std::time::Duration;

use automerge::AutoCommit;
use tokio::sync::watch;

use kith_core::DocId;

use crate::config::CompactionSettings;
use crate::ids::WorkspaceId;
use crate::relay::{CompactionReport, Relay};
use crate::store::{CompactionInput, LogStore, StoreError};

/// One compaction pass over every workspace.
pub(crate) fn compact(store: &dyn LogStore, settings: &CompactionSettings) -> Result<CompactionReport, StoreError> {
    let mut report = CompactionReport::default();
    for workspace in store.workspaces()? {
        let head = store.head(workspace.id)?;
        let Some(up_to) = head.checked_sub(settings.keep_recent).filter(|u| *u > 0) else {
            continue;
        };
        for doc in store.compaction_candidates(workspace.id, up_to, settings.min_entries)? {
            compact_document(store, workspace.id, doc, up_to, &mut report)?;
        }
    }
    if report.documents > 0 || report.skipped > 0 {
        tracing::info!(
            documents = report.documents,
            entries_removed = report.entries_removed,
            skipped = report.skipped,
            "compaction"
        );
    }
    Ok(report)
}

fn compact_document(
    store: &dyn LogStore,
    workspace: WorkspaceId,
    doc: DocId,
    up_to: u64,
    report: &mut CompactionReport,
) -> Result<(), StoreError> {
    let input = store.compaction_input(workspace, doc, up_to)?;
    let Some(covers) = input.entries.iter().map(|(seq, _)| *seq).max() else {
        return Ok(());
    };
    match fold(&input) {
        Ok(snapshot) => {
            let removed: Vec<u64> = input.entries.iter().map(|(seq, _)| *seq).collect();
            store.install_snapshot(workspace, doc, covers, &snapshot, &removed)?;
            report.documents += 1;
            report.entries_removed += removed.len() as u64;
        }
        Err(reason) => {
            tracing::warn!(%workspace, %doc, "document not compacted: {reason}");
            report.skipped += 1;
        }
    }
    Ok(())
}

/// The snapshot that holds `input`, checked to load back to the same heads.
pub(crate) fn fold(input: &CompactionInput) -> Result<Vec<u8>, String> {
    let mut doc = match &input.snapshot {
        Some((_, bytes)) => AutoCommit::load(bytes).map_err(|e| format!("the existing snapshot does not load: {e}"))?,
        None => AutoCommit::new(),
    };
    for (seq, data) in &input.entries {
        doc.load_incremental(data)
            .map_err(|e| format!("entry {seq} does not load: {e}"))?;
    }
    if !doc.get_missing_deps(&[]).is_empty() {
        return Err("some changes wait for dependencies the relay does not have".into());
    }
    let heads = doc.get_heads();
    let saved = doc.save();
    let mut check = AutoCommit::load(&saved).map_err(|e| format!("the new snapshot does not load: {e}"))?;
    if check.get_heads() != heads {
        return Err("the new snapshot does not have the document's heads".into());
    }
    Ok(saved)
}

/// Compacts every `interval_secs` until `stop` turns true.
pub(crate) async fn run_periodically(relay: Relay, mut stop: watch::Receiver<bool>) {
    let period = Duration::from_secs(relay.config().compaction.interval_secs);
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = stop.wait_for(|stop| *stop) => return,
        }
        let r = relay.clone();
        match tokio::task::spawn_blocking(move || r.compact_now()).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::error!("compaction failed: {e}"),
            Err(e) => tracing::error!("compaction task failed: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;
    use automerge::{ROOT, ReadDoc};

    fn change(doc: &mut AutoCommit, key: &str, value: i64) -> Vec<u8> {
        let heads = doc.get_heads();
        doc.put(ROOT, key, value).unwrap();
        doc.commit();
        doc.save_after(&heads)
    }

    #[test]
    fn folding_keeps_every_change() {
        let mut doc = AutoCommit::new();
        let entries: Vec<(u64, Vec<u8>)> = (0..5)
            .map(|i| (i + 1, change(&mut doc, &format!("k{i}"), i as i64)))
            .collect();
        let snapshot = fold(&CompactionInput {
            snapshot: None,
            entries: entries[..3].to_vec(),
        })
        .unwrap();
        let again = fold(&CompactionInput {
            snapshot: Some((3, snapshot)),
            entries: entries[3..].to_vec(),
        })
        .unwrap();
        let mut loaded = AutoCommit::load(&again).unwrap();
        assert_eq!(loaded.get_heads(), doc.get_heads());
        assert_eq!(loaded.keys(ROOT).count(), 5);
    }

    #[test]
    fn changes_with_missing_dependencies_are_not_folded() {
        let mut doc = AutoCommit::new();
        let _first = change(&mut doc, "a", 1);
        let second = change(&mut doc, "b", 2);
        let err = fold(&CompactionInput {
            snapshot: None,
            entries: vec![(2, second)],
        })
        .unwrap_err();
        assert!(err.contains("dependencies"), "{err}");
    }
}
