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
//!
//! Throughput: worker threads read and fold documents while the calling thread
//! installs their snapshots in batches, many documents per transaction, because each
//! commit is an fsync (one per document made a 95,000-document pass take a minute). A
//! batch is all or nothing, and only documents that folded join one.
//!
//! Nothing changes a document's input between reading and installing it: new pushes
//! get seqs above the head that bounds the input, and `Relay::compact_now` runs one
//! compaction at a time. The store still refuses a snapshot that would replace a newer
//! one, and removes only the entries the snapshot was built from.

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use automerge::AutoCommit;
use tokio::sync::watch;

use kith_core::DocId;

use crate::config::CompactionSettings;
use crate::ids::WorkspaceId;
use crate::relay::{CompactionReport, Relay};
use crate::store::{CompactionInput, LogStore, SnapshotInstall, StoreError, fits};

/// How compaction splits its work.
#[derive(Debug, Clone, Copy)]
struct Batching {
    /// At most this many documents per install transaction...
    documents: usize,
    /// ...and this many snapshot bytes (unless one snapshot alone is larger): bounds
    /// the transaction's size and how long it holds the write lock pushes wait for.
    bytes: usize,
    /// Threads that fold.
    workers: usize,
}

impl Batching {
    /// 1,000 documents or 16 MiB per transaction; a folding thread per core, at most 8.
    fn for_this_machine() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
        Batching {
            documents: 1_000,
            bytes: 16 << 20,
            workers: cores.min(8),
        }
    }
}

/// One compaction pass over every workspace (blocking, and busy: callers on the async
/// side use `spawn_blocking`).
pub(crate) fn compact(store: &dyn LogStore, settings: &CompactionSettings) -> Result<CompactionReport, StoreError> {
    compact_with(store, settings, Batching::for_this_machine())
}

fn compact_with(
    store: &dyn LogStore,
    settings: &CompactionSettings,
    batching: Batching,
) -> Result<CompactionReport, StoreError> {
    let mut report = CompactionReport::default();
    for workspace in store.workspaces()? {
        let head = store.head(workspace.id)?;
        let Some(up_to) = head.checked_sub(settings.keep_recent).filter(|u| *u > 0) else {
            continue;
        };
        let docs = store.compaction_candidates(workspace.id, up_to, settings.min_entries)?;
        compact_workspace(store, workspace.id, &docs, up_to, batching, &mut report)?;
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

/// What a worker made of one document.
enum Folded {
    /// The document has no entries up to the bound any more: nothing to do.
    Nothing,
    Snapshot(SnapshotInstall),
    /// Not folded, for the reason given: its entries stay.
    Skipped(DocId, String),
}

/// Folds `docs` on worker threads and installs their snapshots in batches.
fn compact_workspace(
    store: &dyn LogStore,
    workspace: WorkspaceId,
    docs: &[DocId],
    up_to: u64,
    batching: Batching,
    report: &mut CompactionReport,
) -> Result<(), StoreError> {
    if docs.is_empty() {
        return Ok(());
    }
    let next = &AtomicUsize::new(0);
    // Bounded, so workers that run ahead of the installs wait instead of piling up
    // snapshots in memory; deep enough that they keep folding during a commit.
    let (send, folded) = mpsc::sync_channel::<Result<Folded, StoreError>>(256);
    std::thread::scope(|scope| {
        for _ in 0..batching.workers.clamp(1, docs.len()) {
            let send = send.clone();
            scope.spawn(move || {
                loop {
                    let Some(&doc) = docs.get(next.fetch_add(1, Ordering::Relaxed)) else {
                        return;
                    };
                    // A failed send means the installing side gave up: stop too.
                    if send.send(fold_document(store, workspace, doc, up_to)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(send);
        // Returning early (an error) drops `folded`, which stops the workers; the
        // scope waits for them.
        let mut batch = Vec::new();
        let mut bytes = 0;
        for outcome in folded {
            match outcome? {
                Folded::Nothing => {}
                Folded::Skipped(doc, reason) => {
                    tracing::warn!(%workspace, %doc, "document not compacted: {reason}");
                    report.skipped += 1;
                }
                Folded::Snapshot(install) => {
                    let size = install.data.len();
                    if !fits(batch.len(), bytes, size, batching.documents, batching.bytes) {
                        install_batch(store, workspace, &mut batch, report)?;
                        bytes = 0;
                    }
                    bytes += size;
                    batch.push(install);
                }
            }
        }
        install_batch(store, workspace, &mut batch, report)
    })
}

/// Reads and folds one document (on a worker thread).
fn fold_document(store: &dyn LogStore, workspace: WorkspaceId, doc: DocId, up_to: u64) -> Result<Folded, StoreError> {
    let input = store.compaction_input(workspace, doc, up_to)?;
    let Some(covers_seq) = input.entries.iter().map(|(seq, _)| *seq).max() else {
        return Ok(Folded::Nothing);
    };
    // Entries stored before pushes were verified could still upset the decoder: a
    // panic skips the document instead of ending the compaction.
    let folded = kith_core::sync::chunk::catch_decoder_panic(|| fold(&input)).unwrap_or_else(|e| Err(format!("{e}")));
    Ok(match folded {
        Ok(data) => Folded::Snapshot(SnapshotInstall {
            doc,
            covers_seq,
            data,
            removed: input.entries.iter().map(|(seq, _)| *seq).collect(),
        }),
        Err(reason) => Folded::Skipped(doc, reason),
    })
}

/// Installs `batch` in one transaction and counts it only once that is durable.
fn install_batch(
    store: &dyn LogStore,
    workspace: WorkspaceId,
    batch: &mut Vec<SnapshotInstall>,
    report: &mut CompactionReport,
) -> Result<(), StoreError> {
    if batch.is_empty() {
        return Ok(());
    }
    store.install_snapshots(workspace, batch)?;
    report.documents += batch.len() as u64;
    report.entries_removed += batch.iter().map(|i| i.removed.len() as u64).sum::<u64>();
    batch.clear();
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
    use kith_core::sync::protocol::Role;

    use crate::auth::{issue_token, sha256};
    use crate::store::{MemoryStore, NewChunk, RedbStore, WorkspaceRecord};

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

    fn new_workspace(store: &dyn LogStore) -> WorkspaceId {
        let ws = WorkspaceRecord {
            id: WorkspaceId::new(),
            name: "w".into(),
            created_ms: 0,
        };
        let owner = issue_token(ws.id, Role::Owner, 0).unwrap().record;
        store.create_workspace(&ws, &owner).unwrap();
        ws.id
    }

    fn push(store: &dyn LogStore, ws: WorkspaceId, doc: DocId, data: Vec<u8>) {
        let hash = sha256(&data);
        store.append(ws, &[NewChunk { doc, hash, data }]).unwrap();
    }

    /// Every entry up to the head, at least 2 per document.
    fn everything() -> CompactionSettings {
        CompactionSettings {
            min_entries: 2,
            keep_recent: 0,
            ..CompactionSettings::default()
        }
    }

    /// `count` documents of three changes each, pushed interleaved; the Automerge
    /// documents come back to check the snapshots against.
    fn push_documents(store: &dyn LogStore, ws: WorkspaceId, count: usize) -> Vec<(DocId, AutoCommit)> {
        let mut docs: Vec<(DocId, AutoCommit)> = (0..count).map(|_| (DocId::new(), AutoCommit::new())).collect();
        for round in 0..3 {
            for (id, doc) in &mut docs {
                let data = change(doc, &format!("field{round}"), round);
                push(store, ws, *id, data);
            }
        }
        docs
    }

    #[test]
    fn a_batch_is_compacted_with_every_change_kept_while_a_document_that_cannot_fold_is_skipped() {
        let stores: [(&str, Box<dyn LogStore>); 2] = [
            ("redb", Box::new(RedbStore::in_memory().unwrap())),
            ("memory", Box::new(MemoryStore::default())),
        ];
        for (name, store) in stores {
            let store = store.as_ref();
            let ws = new_workspace(store);
            let docs = push_documents(store, ws, 5);
            // Its first change never reached the relay: the other two cannot fold.
            let broken = DocId::new();
            let mut doc = AutoCommit::new();
            let _lost = change(&mut doc, "a", 1);
            push(store, ws, broken, change(&mut doc, "b", 2));
            push(store, ws, broken, change(&mut doc, "c", 3));
            let head = store.head(ws).unwrap();

            // Two documents per transaction, so the broken one shares a pass with
            // several batches; two threads fold.
            let batching = Batching {
                documents: 2,
                bytes: usize::MAX,
                workers: 2,
            };
            let report = compact_with(store, &everything(), batching).unwrap();
            assert_eq!(
                (report.documents, report.entries_removed, report.skipped),
                (5, 15, 1),
                "{name}"
            );

            let mut reader = store.open_pull(ws, 0).unwrap();
            let snapshots = reader.next_snapshots(usize::MAX).unwrap();
            assert_eq!(snapshots.len(), 5, "{name}");
            for (id, doc) in &docs {
                let snapshot = snapshots
                    .iter()
                    .find(|s| s.doc == *id)
                    .expect("a snapshot per document");
                let mut loaded = AutoCommit::load(&snapshot.data).unwrap();
                assert_eq!(loaded.get_heads(), doc.clone().get_heads(), "{name}");
                assert_eq!(loaded.keys(ROOT).count(), 3, "{name}");
            }
            let left = reader.next_entries(usize::MAX, usize::MAX).unwrap();
            assert_eq!(
                left.iter().map(|e| (e.doc, e.seq)).collect::<Vec<_>>(),
                vec![(broken, head - 1), (broken, head)],
                "{name}: the broken document keeps its entries"
            );

            // The next pass skips it again and changes nothing else.
            let again = compact_with(store, &everything(), batching).unwrap();
            assert_eq!((again.documents, again.skipped), (0, 1), "{name}");
        }
    }

    #[test]
    fn snapshots_are_installed_in_transactions_of_at_most_the_document_and_byte_limits() {
        for (batching, transactions) in [
            // 7 documents, 3 per transaction.
            (
                Batching {
                    documents: 3,
                    bytes: usize::MAX,
                    workers: 3,
                },
                3,
            ),
            // Every snapshot is larger than the byte limit: each goes alone.
            (
                Batching {
                    documents: 1_000,
                    bytes: 1,
                    workers: 1,
                },
                7,
            ),
            (Batching::for_this_machine(), 1),
        ] {
            let store = MemoryStore::default();
            let ws = new_workspace(&store);
            push_documents(&store, ws, 7);
            let report = compact_with(&store, &everything(), batching).unwrap();
            assert_eq!((report.documents, report.entries_removed), (7, 21), "{batching:?}");
            assert_eq!(store.install_transactions(), transactions, "{batching:?}");
            assert_eq!(store.stats().unwrap().log_entries, 0, "{batching:?}");
        }
    }
}
