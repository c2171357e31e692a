//! One conformance suite for every [`LogStore`]: the redb store (on redb's in-memory
//! backend) and the in-memory model must behave the same.

use kith_core::DocId;
use kith_core::sync::protocol::{Entry, Role};
use proptest::prelude::*;

use super::{
    Appended, LogStore, MemoryStore, NewChunk, PullReader, RedbStore, SnapshotInstall, StoreError, TokenRecord,
    WorkspaceRecord,
};
use crate::auth::{issue_token, sha256};
use crate::ids::{TokenId, WorkspaceId};

fn stores() -> Vec<(&'static str, Box<dyn LogStore>)> {
    vec![
        ("redb", Box::new(RedbStore::in_memory().unwrap())),
        ("memory", Box::new(MemoryStore::default())),
    ]
}

fn workspace(store: &dyn LogStore, name: &str) -> (WorkspaceId, TokenRecord) {
    let ws = WorkspaceRecord {
        id: WorkspaceId::new(),
        name: name.into(),
        created_ms: 5,
    };
    let owner = issue_token(ws.id, Role::Owner, 5).unwrap().record;
    store.create_workspace(&ws, &owner).unwrap();
    (ws.id, owner)
}

fn chunk(doc: DocId, text: &str) -> NewChunk {
    NewChunk {
        doc,
        hash: sha256(text.as_bytes()),
        data: text.as_bytes().to_vec(),
    }
}

fn install(doc: DocId, covers_seq: u64, data: &[u8], removed: &[u64]) -> SnapshotInstall {
    SnapshotInstall {
        doc,
        covers_seq,
        data: data.to_vec(),
        removed: removed.to_vec(),
    }
}

/// One snapshot in its own transaction.
fn install_one(
    store: &dyn LogStore,
    ws: WorkspaceId,
    doc: DocId,
    covers_seq: u64,
    data: &[u8],
    removed: &[u64],
) -> Result<(), StoreError> {
    store.install_snapshots(ws, &[install(doc, covers_seq, data, removed)])
}

fn drain_entries(reader: &mut dyn PullReader, max_entries: usize, max_bytes: usize) -> Vec<Vec<Entry>> {
    let mut batches = Vec::new();
    loop {
        let batch = reader.next_entries(max_entries, max_bytes).unwrap();
        if batch.is_empty() {
            return batches;
        }
        batches.push(batch);
    }
}

fn pull_all(store: &dyn LogStore, ws: WorkspaceId, after: u64) -> (Vec<DocId>, Vec<u64>, u64) {
    let mut reader = store.open_pull(ws, after).unwrap();
    let mut docs = Vec::new();
    loop {
        let batch = reader.next_snapshots(usize::MAX).unwrap();
        if batch.is_empty() {
            break;
        }
        docs.extend(batch.into_iter().map(|s| s.doc));
    }
    let seqs = drain_entries(reader.as_mut(), usize::MAX, usize::MAX)
        .concat()
        .iter()
        .map(|e| e.seq)
        .collect();
    (docs, seqs, reader.head())
}

#[test]
fn a_purge_removes_a_documents_entries_and_snapshot_and_refuses_its_later_chunks() {
    for (name, store) in stores() {
        let store = store.as_ref();
        let (ws, _) = workspace(store, "w");
        let (keep, gone) = (DocId::new(), DocId::new());
        store
            .append(
                ws,
                &[
                    chunk(keep, "k1"),
                    chunk(gone, "g1"),
                    chunk(gone, "g2"),
                    chunk(keep, "k2"),
                ],
            )
            .unwrap();
        install_one(store, ws, gone, 2, b"snapshot of gone", &[2]).unwrap();
        let purged = store.purge(ws, &[gone], 77).unwrap();
        assert_eq!(purged.len(), 1, "{name}");
        assert_eq!((purged[0].doc, purged[0].at_ms), (gone, 77), "{name}");
        let (snapshots, seqs, head) = pull_all(store, ws, 0);
        assert!(snapshots.is_empty(), "{name}: the snapshot went");
        assert_eq!(
            (seqs, head),
            (vec![1, 4], 4),
            "{name}: only the other document's entries stay"
        );
        // Later chunks for it are dropped with seq 0; others still append.
        let appended = store.append(ws, &[chunk(gone, "g3"), chunk(keep, "k3")]).unwrap();
        assert_eq!(appended[0], Appended { seq: 0, new: false }, "{name}");
        assert_eq!(appended[1], Appended { seq: 5, new: true }, "{name}");
        // Purging again keeps the first time; pulls from before the purge see it.
        assert_eq!(store.purge(ws, &[gone], 99).unwrap()[0].at_ms, 77, "{name}");
        assert_eq!(store.tombstones(ws, 0).unwrap().len(), 1, "{name}");
        assert_eq!(store.tombstones(ws, 4).unwrap().len(), 1, "{name}");
        assert!(store.tombstones(ws, 5).unwrap().is_empty(), "{name}");
    }
}

#[test]
fn an_epoch_is_set_once_and_replaced_only_on_purpose() {
    for (name, store) in stores() {
        let store = store.as_ref();
        let (a, _) = workspace(store, "a");
        let (b, _) = workspace(store, "b");
        assert_eq!(store.epoch_or_insert(a, [1; 16]).unwrap(), [1; 16], "{name}");
        assert_eq!(store.epoch_or_insert(a, [2; 16]).unwrap(), [1; 16], "{name}: kept");
        assert_eq!(store.epoch_or_insert(b, [3; 16]).unwrap(), [3; 16], "{name}");
        store.set_epoch(a, [4; 16]).unwrap();
        assert_eq!(store.epoch_or_insert(a, [5; 16]).unwrap(), [4; 16], "{name}");
        assert_eq!(store.epoch_or_insert(b, [5; 16]).unwrap(), [3; 16], "{name}");
    }
}

#[test]
fn workspaces_and_tokens() {
    for (name, store) in stores() {
        let store = store.as_ref();
        let (a, owner) = workspace(store, "Acme");
        let (b, _) = workspace(store, "Beta");
        assert_eq!(store.workspace(a).unwrap().unwrap().name, "Acme", "{name}");
        assert_eq!(store.workspaces().unwrap().len(), 2, "{name}");
        assert!(store.workspace(WorkspaceId::new()).unwrap().is_none(), "{name}");

        let viewer = issue_token(a, Role::Viewer, 6).unwrap();
        store.insert_token(&viewer.record).unwrap();
        assert_eq!(
            store.token_by_hash(&viewer.record.hash).unwrap().as_ref(),
            Some(&viewer.record),
            "{name}"
        );
        assert_eq!(
            store.token_by_hash(&owner.hash).unwrap().unwrap().role,
            Role::Owner,
            "{name}"
        );
        assert!(store.token_by_hash(&[7; 32]).unwrap().is_none(), "{name}");
        assert_eq!(store.tokens(Some(a)).unwrap().len(), 2, "{name}");
        assert_eq!(store.tokens(Some(b)).unwrap().len(), 1, "{name}");
        assert_eq!(store.tokens(None).unwrap().len(), 3, "{name}");

        let stray = issue_token(WorkspaceId::new(), Role::Member, 6).unwrap();
        assert!(
            matches!(store.insert_token(&stray.record), Err(StoreError::UnknownWorkspace(_))),
            "{name}"
        );

        let revoked = store.revoke_token(viewer.record.id).unwrap().unwrap();
        assert!(revoked.revoked, "{name}");
        assert!(
            store.token_by_hash(&viewer.record.hash).unwrap().unwrap().revoked,
            "{name}"
        );
        assert!(
            store.revoke_token(TokenId::from_bytes([1; 8])).unwrap().is_none(),
            "{name}"
        );
        assert_eq!(store.stats().unwrap().workspaces, 2, "{name}");
    }
}

#[test]
fn a_deleted_workspace_leaves_nothing_and_others_untouched() {
    for (name, store) in stores() {
        let store = store.as_ref();
        let (gone, owner) = workspace(store, "Gone");
        let (kept, kept_owner) = workspace(store, "Kept");
        let doc = DocId::new();
        store.append(gone, &[chunk(doc, "a"), chunk(doc, "b")]).unwrap();
        store.append(kept, &[chunk(doc, "a")]).unwrap();
        install_one(store, gone, doc, 1, b"snap", &[1]).unwrap();
        assert!(store.rename_workspace(kept, "Kept too").unwrap(), "{name}");
        assert!(store.delete_workspace(gone).unwrap(), "{name}");
        assert!(!store.delete_workspace(gone).unwrap(), "{name}");
        assert!(!store.rename_workspace(gone, "x").unwrap(), "{name}");
        assert!(store.workspace(gone).unwrap().is_none(), "{name}");
        assert!(store.token_by_hash(&owner.hash).unwrap().is_none(), "{name}");
        assert_eq!(store.head(gone).unwrap(), 0, "{name}");
        assert_eq!(pull_all(store, gone, 0).0.len(), 0, "{name}");
        assert_eq!(store.workspace(kept).unwrap().unwrap().name, "Kept too", "{name}");
        assert!(store.token_by_hash(&kept_owner.hash).unwrap().is_some(), "{name}");
        assert_eq!(pull_all(store, kept, 0).1, vec![1], "{name}");
        // The same chunk in a new workspace is new again.
        let (again, _) = workspace(store, "Again");
        let appended = store.append(again, &[chunk(doc, "a")]).unwrap();
        assert!(appended[0].new, "{name}");
    }
}

#[test]
fn workspace_bytes_follow_appends_compaction_and_duplicates() {
    for (name, store) in stores() {
        let store = store.as_ref();
        let (ws, _) = workspace(store, "Acme");
        let (other, _) = workspace(store, "Other");
        let doc = DocId::new();
        assert_eq!(store.workspace_bytes(ws).unwrap(), 0, "{name}");
        store
            .append(ws, &[chunk(doc, "aaaa"), chunk(doc, "bb"), chunk(doc, "aaaa")])
            .unwrap();
        store.append(other, &[chunk(doc, "cccccccc")]).unwrap();
        assert_eq!(
            store.workspace_bytes(ws).unwrap(),
            6,
            "{name}: a duplicate is stored once"
        );
        install_one(store, ws, doc, 2, b"snapshot", &[1, 2]).unwrap();
        assert_eq!(
            store.workspace_bytes(ws).unwrap(),
            8,
            "{name}: entries out, snapshot in"
        );
        install_one(store, ws, doc, 2, b"snap", &[]).unwrap();
        assert_eq!(
            store.workspace_bytes(ws).unwrap(),
            4,
            "{name}: the old snapshot is replaced"
        );
        assert_eq!(store.workspace_bytes(other).unwrap(), 8, "{name}");
    }
}

#[test]
fn appends_get_consecutive_seqs_and_duplicates_their_first_seq() {
    for (name, store) in stores() {
        let store = store.as_ref();
        let (ws, _) = workspace(store, "w");
        let (other, _) = workspace(store, "o");
        let doc = DocId::new();
        assert_eq!(store.head(ws).unwrap(), 0, "{name}");
        let first = store
            .append(ws, &[chunk(doc, "a"), chunk(doc, "b"), chunk(doc, "a")])
            .unwrap();
        assert_eq!(
            first,
            vec![
                Appended { seq: 1, new: true },
                Appended { seq: 2, new: true },
                Appended { seq: 1, new: false }
            ],
            "{name}"
        );
        let second = store.append(ws, &[chunk(doc, "b"), chunk(doc, "c")]).unwrap();
        assert_eq!(
            second,
            vec![Appended { seq: 2, new: false }, Appended { seq: 3, new: true }],
            "{name}"
        );
        assert_eq!(store.head(ws).unwrap(), 3, "{name}");

        // Another workspace has its own log and its own dedup.
        assert_eq!(
            store.append(other, &[chunk(doc, "a")]).unwrap(),
            vec![Appended { seq: 1, new: true }],
            "{name}"
        );
        assert_eq!(store.stats().unwrap().log_entries, 4, "{name}");
        assert!(matches!(
            store.append(WorkspaceId::new(), &[chunk(doc, "z")]),
            Err(StoreError::UnknownWorkspace(_))
        ));
    }
}

#[test]
fn pulls_return_entries_after_the_cursor_in_batches_from_a_fixed_view() {
    for (name, store) in stores() {
        let store = store.as_ref();
        let (ws, _) = workspace(store, "w");
        let doc = DocId::new();
        let chunks: Vec<NewChunk> = (0..10).map(|i| chunk(doc, &format!("chunk-{i:02}"))).collect();
        store.append(ws, &chunks).unwrap();

        let mut reader = store.open_pull(ws, 0).unwrap();
        assert_eq!(reader.head(), 10, "{name}");
        // Appends after the reader opened are not part of its view.
        store.append(ws, &[chunk(doc, "late")]).unwrap();
        let batches = drain_entries(reader.as_mut(), 4, usize::MAX);
        let sizes: Vec<usize> = batches.iter().map(Vec::len).collect();
        assert_eq!(sizes, vec![4, 4, 2], "{name}");
        let seqs: Vec<u64> = batches.concat().iter().map(|e| e.seq).collect();
        assert_eq!(seqs, (1..=10).collect::<Vec<_>>(), "{name}");
        assert_eq!(batches[0][0].data, b"chunk-00", "{name}");

        // Byte limits: 8-byte chunks (and a 4-byte one), 19 bytes per batch → 2 per batch; one oversized
        // entry still goes out alone.
        let mut reader = store.open_pull(ws, 6).unwrap();
        let sizes: Vec<usize> = drain_entries(reader.as_mut(), 100, 19).iter().map(Vec::len).collect();
        assert_eq!(sizes, vec![2, 2, 1], "{name}");
        let mut reader = store.open_pull(ws, 0).unwrap();
        assert_eq!(reader.next_entries(100, 1).unwrap().len(), 1, "{name}");

        let (_, seqs, head) = pull_all(store, ws, 11);
        assert!(seqs.is_empty(), "{name}");
        assert_eq!(head, 11, "{name}");
        assert!(pull_all(store, ws, u64::MAX).1.is_empty(), "{name}");
    }
}

#[test]
fn snapshots_replace_entries_and_reach_devices_with_older_cursors() {
    for (name, store) in stores() {
        let store = store.as_ref();
        let (ws, _) = workspace(store, "w");
        let (a, b) = (DocId::new(), DocId::new());
        // seqs: a1 a2 b3 a4 b5 a6
        for (doc, text) in [(a, "a1"), (a, "a2"), (b, "b3"), (a, "a4"), (b, "b5"), (a, "a6")] {
            store.append(ws, &[chunk(doc, text)]).unwrap();
        }
        assert_eq!(store.compaction_candidates(ws, 6, 4).unwrap(), vec![a], "{name}");
        assert_eq!(
            store.compaction_candidates(ws, 4, 4).unwrap(),
            Vec::<DocId>::new(),
            "{name}"
        );
        let mut both = store.compaction_candidates(ws, 6, 2).unwrap();
        both.sort();
        let mut expected = vec![a, b];
        expected.sort();
        assert_eq!(both, expected, "{name}");

        let input = store.compaction_input(ws, a, 4).unwrap();
        assert_eq!(input.snapshot, None, "{name}");
        assert_eq!(
            input.entries,
            vec![(1, b"a1".to_vec()), (2, b"a2".to_vec()), (4, b"a4".to_vec())],
            "{name}"
        );
        install_one(store, ws, a, 4, b"snap-a-4", &[1, 2, 4]).unwrap();

        let (docs, seqs, head) = pull_all(store, ws, 0);
        assert_eq!((docs, seqs, head), (vec![a], vec![3, 5, 6], 6), "{name}");
        assert_eq!(pull_all(store, ws, 3).0, vec![a], "{name}: cursor 3 misses entry 4");
        assert!(
            pull_all(store, ws, 4).0.is_empty(),
            "{name}: cursor 4 has everything the snapshot holds"
        );
        assert_eq!(store.stats().unwrap().log_entries, 3, "{name}");
        assert_eq!(store.stats().unwrap().snapshots, 1, "{name}");

        // A chunk pushed again after compaction keeps its seq.
        assert_eq!(
            store.append(ws, &[chunk(a, "a2")]).unwrap(),
            vec![Appended { seq: 2, new: false }],
            "{name}"
        );

        // A newer snapshot replaces the old one: still one snapshot per document.
        let input = store.compaction_input(ws, a, 6).unwrap();
        assert_eq!(input.snapshot, Some((4, b"snap-a-4".to_vec())), "{name}");
        assert_eq!(input.entries, vec![(6, b"a6".to_vec())], "{name}");
        install_one(store, ws, a, 6, b"snap-a-6", &[6]).unwrap();
        let mut reader = store.open_pull(ws, 0).unwrap();
        let snaps = reader.next_snapshots(usize::MAX).unwrap();
        assert_eq!(snaps.len(), 1, "{name}");
        assert_eq!(snaps[0].data, b"snap-a-6", "{name}");
        assert_eq!(pull_all(store, ws, 5).0, vec![a], "{name}");

        // Going backwards is refused.
        assert!(install_one(store, ws, a, 5, b"old", &[]).is_err(), "{name}");
    }
}

#[test]
fn snapshot_batches_respect_the_byte_limit() {
    for (name, store) in stores() {
        let store = store.as_ref();
        let (ws, _) = workspace(store, "w");
        for i in 0..5u64 {
            let doc = DocId::new();
            store.append(ws, &[chunk(doc, &format!("x{i}"))]).unwrap();
            install_one(store, ws, doc, i + 1, &[0u8; 10], &[i + 1]).unwrap();
        }
        let mut reader = store.open_pull(ws, 0).unwrap();
        let mut sizes = Vec::new();
        loop {
            let batch = reader.next_snapshots(25).unwrap();
            if batch.is_empty() {
                break;
            }
            sizes.push(batch.len());
        }
        assert_eq!(sizes, vec![2, 2, 1], "{name}");
    }
}

#[test]
fn a_batch_of_snapshots_is_installed_whole_or_not_at_all() {
    for (name, store) in stores() {
        let store = store.as_ref();
        let (ws, _) = workspace(store, "w");
        let (a, b, c) = (DocId::new(), DocId::new(), DocId::new());
        // seqs: a1 b2 a3 b4 c5 c6
        for (doc, text) in [(a, "a1"), (b, "b2"), (a, "a3"), (b, "b4"), (c, "c5"), (c, "c6")] {
            store.append(ws, &[chunk(doc, text)]).unwrap();
        }
        store.install_snapshots(ws, &[]).unwrap();
        store
            .install_snapshots(ws, &[install(a, 3, b"snap-a", &[1, 3]), install(b, 4, b"snap-b", &[2])])
            .unwrap();
        // Only the listed entries go: b4 was not in b's snapshot, so it stays.
        let (mut docs, seqs, _) = pull_all(store, ws, 0);
        docs.sort();
        let mut expected = vec![a, b];
        expected.sort();
        assert_eq!((docs, seqs), (expected, vec![4, 5, 6]), "{name}");

        // One bad install refuses the whole batch (going back, an entry of another
        // document, an entry above the snapshot): nothing changes.
        let refused: [&[SnapshotInstall]; 3] = [
            &[install(c, 6, b"snap-c", &[5, 6]), install(a, 2, b"back", &[])],
            &[install(b, 5, b"snap-b", &[4, 5]), install(c, 6, b"snap-c", &[6])],
            &[install(c, 5, b"snap-c", &[5, 6])],
        ];
        for batch in refused {
            assert!(
                matches!(store.install_snapshots(ws, batch), Err(StoreError::Corrupt(_))),
                "{name}"
            );
            let (snaps, seqs, _) = pull_all(store, ws, 0);
            assert_eq!((snaps.len(), seqs), (2, vec![4, 5, 6]), "{name}");
        }

        // The same document twice in one batch: the later snapshot wins.
        store
            .install_snapshots(ws, &[install(c, 5, b"c-5", &[5]), install(c, 6, b"c-6", &[6])])
            .unwrap();
        let mut reader = store.open_pull(ws, 4).unwrap();
        let snaps = reader.next_snapshots(usize::MAX).unwrap();
        assert_eq!(snaps.len(), 1, "{name}");
        assert_eq!((snaps[0].doc, snaps[0].data.as_slice()), (c, &b"c-6"[..]), "{name}");
        assert_eq!(store.stats().unwrap().log_entries, 1, "{name}");
        assert_eq!(store.stats().unwrap().snapshots, 3, "{name}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Random appends (with repeats) and compactions: redb answers like the model.
    #[test]
    fn redb_behaves_like_the_model(ops in proptest::collection::vec((0u8..6, 0u8..3, any::<bool>()), 1..40)) {
        let redb = RedbStore::in_memory().unwrap();
        let model = MemoryStore::default();
        let ws = WorkspaceRecord { id: WorkspaceId::new(), name: "w".into(), created_ms: 0 };
        let owner = issue_token(ws.id, Role::Owner, 0).unwrap().record;
        let docs = [DocId::new(), DocId::new(), DocId::new()];
        for store in [&redb as &dyn LogStore, &model] {
            store.create_workspace(&ws, &owner).unwrap();
        }
        for (n, (text, doc, compact)) in ops.into_iter().enumerate() {
            let doc = docs[usize::from(doc)];
            let c = chunk(doc, &format!("c{text}-{n}-{}", n % 3));
            let dup = chunk(doc, &format!("c{text}"));
            let r = redb.append(ws.id, &[c.clone(), dup.clone()]).unwrap();
            let m = model.append(ws.id, &[c, dup]).unwrap();
            prop_assert_eq!(r, m);
            if compact {
                let head = redb.head(ws.id).unwrap();
                for store in [&redb as &dyn LogStore, &model] {
                    let mut batch = Vec::new();
                    for d in store.compaction_candidates(ws.id, head, 2).unwrap() {
                        let input = store.compaction_input(ws.id, d, head).unwrap();
                        let seqs: Vec<u64> = input.entries.iter().map(|(s, _)| *s).collect();
                        let covers = seqs.iter().copied().max().unwrap_or(0);
                        batch.push(install(d, covers, b"s", &seqs));
                    }
                    store.install_snapshots(ws.id, &batch).unwrap();
                }
            }
            for after in [0, n as u64 / 2, n as u64] {
                let (mut rd, rs, rh) = pull_all(&redb, ws.id, after);
                let (mut md, ms, mh) = pull_all(&model, ws.id, after);
                rd.sort();
                md.sort();
                prop_assert_eq!((rd, rs, rh), (md, ms, mh));
            }
        }
        prop_assert_eq!(redb.stats().unwrap(), model.stats().unwrap());
    }
}
