//! Compaction folds old entries into snapshots without losing anything.

use kith_core::sync::protocol::{Acked, PushChunk};
use kith_relay::Relay;

use crate::common::{Device, Doc, Server, config, http_get, metric, rebuild};

#[tokio::test]
async fn compaction_shrinks_the_log_and_pulls_still_rebuild_every_document() {
    let mut c = config();
    c.compaction.min_entries = 4;
    c.compaction.keep_recent = 2;
    let server = Server::start(Relay::in_memory(c).unwrap()).await;
    let (_, token) = server.relay.create_workspace("Acme").unwrap();
    let (mut a, _) = Device::join(&server, &token.secret).await;

    // seqs 1-8: doc A; 9-10: doc B; 11-12: doc A again.
    let (mut doc_a, mut doc_b) = (Doc::new(), Doc::new());
    let mut a_chunks: Vec<PushChunk> = Vec::new();
    for i in 0..8 {
        let chunk = doc_a.chunk(i, "count", i as i64);
        a_chunks.push(chunk.clone());
        a.push(vec![chunk]).await;
    }
    a.push(vec![doc_b.chunk(8, "name", 1), doc_b.chunk(9, "name", 2)]).await;
    a.push(vec![doc_a.chunk(10, "count", 10), doc_a.chunk(11, "other", 11)])
        .await;

    let (_, before) = http_get(server.addr, "/metrics").await;
    assert_eq!(metric(&before, "kith_relay_log_entries"), 12);

    let relay = server.relay.clone();
    let report = tokio::task::spawn_blocking(move || relay.compact_now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((report.documents, report.entries_removed, report.skipped), (1, 8, 0));
    let (_, after) = http_get(server.addr, "/metrics").await;
    assert_eq!(metric(&after, "kith_relay_log_entries"), 4);
    assert_eq!(metric(&after, "kith_relay_snapshots"), 1);
    assert_eq!(metric(&after, "kith_relay_compacted_entries_total"), 8);

    // A fresh device: one snapshot, then the entries that are left.
    let (mut fresh, _) = Device::join(&server, &token.secret).await;
    let pulled = fresh.pull(0).await;
    assert_eq!(pulled.snapshots.len(), 1);
    assert_eq!(pulled.snapshots[0].doc, doc_a.id);
    assert_eq!(
        pulled.entries.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![9, 10, 11, 12]
    );
    assert_eq!(pulled.head, 12);
    let mut rebuilt = rebuild(&pulled);
    assert_eq!(rebuilt.get_mut(&doc_a.id).unwrap().get_heads(), doc_a.doc.get_heads());
    assert_eq!(rebuilt.get_mut(&doc_b.id).unwrap().get_heads(), doc_b.doc.get_heads());
    assert_eq!(rebuilt.get_mut(&doc_a.id).unwrap().save(), doc_a.doc.save());

    // A device whose cursor is older than a removed entry gets the snapshot too...
    let old = fresh.pull(3).await;
    assert_eq!(old.snapshots.iter().map(|s| s.doc).collect::<Vec<_>>(), vec![doc_a.id]);
    assert_eq!(old.entries.first().map(|e| e.seq), Some(9));
    // ...a device that has everything the snapshot holds does not.
    let recent = fresh.pull(8).await;
    assert!(recent.snapshots.is_empty());
    assert_eq!(recent.entries.len(), 4);

    // A compacted chunk pushed again keeps its seq.
    let again = PushChunk {
        id: 99,
        ..a_chunks[2].clone()
    };
    assert_eq!(a.push(vec![again]).await, vec![Acked { id: 99, seq: 3 }]);

    // Compacting again with nothing new changes nothing.
    let relay = server.relay.clone();
    let report = tokio::task::spawn_blocking(move || relay.compact_now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.documents, 0);
    drop((a, fresh));
    server.stop().await;
}
