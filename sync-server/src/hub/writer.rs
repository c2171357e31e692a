//! The single writer of one workspace's log: it takes push requests in turns
//! ([`FairQueue`]), appends each transaction's chunks, and after the durable commit hands
//! the result, one shared [`Batch`], to every connection of the workspace.

use std::collections::HashSet;
use std::sync::Arc;

use tokio::sync::mpsc;

use kith_core::sync::protocol::{Acked, Entry, ErrorCode};

use super::fair_queue::{FairQueue, Part, Sizes};
use super::{Batch, ConnId, ConnMap, Kick, Outgoing, WRITER_QUEUE, WriteRequest, deliver, lock_conns};
use crate::ids::WorkspaceId;
use crate::metrics::{Metrics, add};
use crate::store::LogStore;

/// The sizes of writer transactions ([`FairQueue`]): at most 512 chunks or 2 MiB (a
/// larger push is stored in several transactions, with other tokens' pushes in
/// between); a token with up to 64 chunks and 256 KiB waiting is light (served first,
/// in a transaction of its own); while the writer is shared, a heavy token's part is
/// no larger, so that it commits in a couple of milliseconds (measured with 512, 128
/// and 64: the smaller the part, the shorter a neighbour's wait; docs/performance.md).
const SIZES: Sizes = Sizes {
    max: (512, 2 << 20),
    shared_part: (64, 256 << 10),
    light: (64, 256 << 10),
};

/// The single writer of one workspace's log.
pub(super) struct Writer {
    pub(super) workspace: WorkspaceId,
    /// `workspace_quota_bytes` (0: none).
    pub(super) quota: u64,
    pub(super) store: Arc<dyn LogStore>,
    pub(super) metrics: Arc<Metrics>,
    pub(super) conns: Arc<ConnMap>,
}

impl Writer {
    pub(super) async fn run(self, mut requests: mpsc::Receiver<WriteRequest>) {
        let mut queue = FairQueue::default();
        // Bytes of requests accepted but not yet committed, for the quota.
        let mut uncommitted = 0u64;
        loop {
            let mut arrived = Vec::new();
            if queue.is_empty() {
                match requests.recv().await {
                    Some(first) => arrived.push(first),
                    None => break,
                }
            }
            // What waits in the channel joins the turns, up to the writer's queue size
            // (beyond it the sessions wait: back-pressure).
            while queue.len() + arrived.len() < WRITER_QUEUE {
                let Ok(next) = requests.try_recv() else { break };
                arrived.push(next);
            }
            let accepted = if self.quota > 0 && !arrived.is_empty() {
                self.within_quota(arrived, uncommitted).await
            } else {
                arrived
            };
            for request in accepted {
                uncommitted += size_of(&request);
                queue.push(request);
            }
            let parts = queue.next_commit(&SIZES, std::time::Instant::now());
            let committed: u64 = parts.iter().map(|p| size_of(&p.request)).sum();
            self.commit(parts).await;
            uncommitted = uncommitted.saturating_sub(committed);
        }
    }

    /// Appends parts of push requests in one transaction, then tells every connection.
    async fn commit(&self, parts: Vec<Part>) {
        if parts.is_empty() {
            return;
        }
        let mut origin = Vec::new();
        let mut chunks = Vec::new();
        let finished = parts.iter().filter(|p| p.finishes);
        let completed: Vec<ConnId> = finished.clone().map(|p| p.request.conn).collect();
        let received: Vec<std::time::Instant> = finished.map(|p| p.request.received).collect();
        let conns: Vec<ConnId> = parts.iter().map(|p| p.request.conn).collect();
        for Part { request, .. } in parts {
            for (id, chunk) in request.chunks {
                origin.push((request.conn, id));
                chunks.push(chunk);
            }
        }
        let store = self.store.clone();
        let workspace = self.workspace;
        let result = tokio::task::spawn_blocking(move || {
            let started = std::time::Instant::now();
            let appended = store.append(workspace, &chunks);
            (chunks, appended, started.elapsed())
        })
        .await;
        let (chunks, appended) = match result {
            Ok((chunks, Ok(appended), took)) => {
                self.metrics.writer_commit.observe(took);
                (chunks, appended)
            }
            Ok((_, Err(e), _)) => return self.fail(&conns, format!("cannot store the pushed chunks: {e}")),
            Err(e) => return self.fail(&conns, format!("the store task failed: {e}")),
        };
        let mut batch = Batch {
            completed,
            ..Batch::default()
        };
        for (((conn, id), chunk), appended) in origin.into_iter().zip(chunks).zip(appended) {
            batch.acks.push((conn, Acked { id, seq: appended.seq }));
            if appended.new {
                add(&self.metrics.chunks_appended_total, 1);
                batch.entries.push((
                    conn,
                    Entry {
                        seq: appended.seq,
                        doc: chunk.doc,
                        data: chunk.data,
                    },
                ));
            } else {
                add(&self.metrics.chunks_duplicate_total, 1);
            }
        }
        let batch = Arc::new(batch);
        for (id, conn) in lock_conns(&self.conns).iter() {
            deliver(*id, conn, Outgoing::Batch(batch.clone()));
        }
        for received in received {
            self.metrics.push_to_ack.observe(received.elapsed());
        }
    }

    /// The requests that fit in the workspace's quota (counting `uncommitted` bytes
    /// already accepted), in order; the others are refused whole, before any part of
    /// them is stored. (Chunks the log already has count too: the check is before
    /// deduplication, so it errs on the side of refusing.)
    async fn within_quota(&self, requests: Vec<WriteRequest>, uncommitted: u64) -> Vec<WriteRequest> {
        let store = self.store.clone();
        let workspace = self.workspace;
        let used = match tokio::task::spawn_blocking(move || store.workspace_bytes(workspace)).await {
            Ok(Ok(used)) => used,
            Ok(Err(e)) => {
                let conns: Vec<ConnId> = requests.iter().map(|r| r.conn).collect();
                self.fail(&conns, format!("cannot read the workspace's size: {e}"));
                return Vec::new();
            }
            Err(e) => {
                let conns: Vec<ConnId> = requests.iter().map(|r| r.conn).collect();
                self.fail(&conns, format!("the store task failed: {e}"));
                return Vec::new();
            }
        };
        let mut total = used.saturating_add(uncommitted);
        let mut accepted = Vec::with_capacity(requests.len());
        for request in requests {
            let size = size_of(&request);
            if total.saturating_add(size) > self.quota {
                tracing::info!(workspace = %self.workspace, used = total, quota = self.quota, "refusing a push over the workspace's quota");
                let kick = Kick::new(
                    ErrorCode::QuotaExceeded,
                    format!(
                        "the workspace stores {total} bytes; this push of {size} bytes would pass its quota of {} bytes",
                        self.quota
                    ),
                );
                if let Some(conn) = lock_conns(&self.conns).get(&request.conn) {
                    deliver(request.conn, conn, Outgoing::Refused(kick));
                }
                continue;
            }
            total += size;
            accepted.push(request);
        }
        accepted
    }

    fn fail(&self, conns: &[ConnId], message: String) {
        tracing::error!(workspace = %self.workspace, "{message}");
        let map = lock_conns(&self.conns);
        let unique: HashSet<&ConnId> = conns.iter().collect();
        for (id, conn) in unique.into_iter().filter_map(|id| Some((*id, map.get(id)?))) {
            deliver(id, conn, Outgoing::Failed(message.clone()));
        }
    }
}

/// The bytes of chunk data in a request.
fn size_of(request: &WriteRequest) -> u64 {
    super::fair_queue::bytes_of(request) as u64
}
