//! Live state of the running relay: who is connected, and one writer per workspace.
//!
//! * Every connection is registered here with a bounded, ordered outgoing queue and a
//!   "kick" signal (revocation, shutdown, falling too far behind).
//! * Each workspace has a single writer task. It takes push requests in turns per token
//!   (`fair_queue.rs`: whatever waits goes into the next redb transaction, small pushes
//!   ahead of large ones' parts), appends them, and after the durable commit puts the
//!   result, one shared [`Batch`], into the queue of every connection of the
//!   workspace. Because one task produces all of a workspace's
//!   batches, every queue sees them in log order; each session then picks its own acks
//!   and the other devices' entries out of a batch.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use kith_core::sync::protocol::{Acked, Entry, ErrorCode, Purged};

use crate::config::Limits;
use crate::ids::{TokenId, WorkspaceId};
use crate::metrics::{Metrics, add};
use crate::store::{LogStore, NewChunk, TokenRecord};

mod fair_queue;
mod writer;

use writer::Writer;

/// A connection's number, unique for the life of the process.
pub(crate) type ConnId = u64;

/// Push requests a writer accepts before the sessions feeding it wait.
const WRITER_QUEUE: usize = 256;

/// Why the hub ends a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Kick {
    pub(crate) code: ErrorCode,
    pub(crate) message: String,
}

impl Kick {
    pub(crate) fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

/// What the hub puts in a connection's queue.
#[derive(Debug)]
pub(crate) enum Outgoing {
    /// A committed batch of the workspace's log.
    Batch(Arc<Batch>),
    /// The connection's push could not be stored.
    Failed(String),
    /// Documents a device of the workspace purged (sent to every connection).
    Purged(Arc<Vec<Purged>>),
    /// The connection's push was refused (the workspace's quota): say why and close.
    Refused(Kick),
}

/// The outcome of one writer transaction, shared by every connection of the workspace.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    /// New log entries in seq order, each with the connection that pushed it.
    pub(crate) entries: Vec<(ConnId, Entry)>,
    /// The acknowledgement of every chunk in the batch (new or already known).
    pub(crate) acks: Vec<(ConnId, Acked)>,
    /// The connection of every push request the batch completes, one item each.
    pub(crate) completed: Vec<ConnId>,
}

/// One push message, checked and hashed, on its way to the writer.
pub(crate) struct WriteRequest {
    pub(crate) conn: ConnId,
    /// The connection's token: the writer is shared between tokens, not connections.
    pub(crate) token: TokenId,
    /// When the push message arrived, for the push-to-ack latency.
    pub(crate) received: std::time::Instant,
    /// (the device's outbox id, the chunk).
    pub(crate) chunks: Vec<(u64, NewChunk)>,
}

impl Batch {
    /// What this batch costs connection `conn` while it waits in its queue: the other
    /// devices' entries it will be sent, and the acks.
    pub(crate) fn cost_for(&self, conn: ConnId) -> usize {
        let entries: usize = self
            .entries
            .iter()
            .filter(|(from, _)| *from != conn)
            .map(|(_, e)| e.data.len() + 64)
            .sum();
        entries + self.acks.len() * 32
    }
}

/// A connection's ends inside the hub.
pub(super) struct ConnSender {
    queue: mpsc::Sender<Outgoing>,
    kick: Arc<watch::Sender<Option<Kick>>>,
    /// Bytes of batches in the queue or held by the session, not yet sent.
    queued: Arc<AtomicUsize>,
    /// The most `queued` may reach before the connection is disconnected.
    max_queued: usize,
    token: TokenId,
}

/// The connections of one workspace, shared by its hub entry and its writer.
pub(super) type ConnMap = Mutex<HashMap<ConnId, ConnSender>>;

/// One workspace's live state.
pub(crate) struct WorkspaceHub {
    conns: Arc<ConnMap>,
    writer: mpsc::Sender<WriteRequest>,
}

impl WorkspaceHub {
    /// Tells every connection of the workspace that documents were purged.
    pub(crate) fn broadcast_purged(&self, purged: Vec<Purged>) {
        let purged = Arc::new(purged);
        for (id, conn) in lock_conns(&self.conns).iter() {
            deliver(*id, conn, Outgoing::Purged(purged.clone()));
        }
    }

    /// Hands a push to the workspace's writer; false if the writer is gone.
    pub(crate) async fn submit(&self, request: WriteRequest) -> bool {
        self.writer.send(request).await.is_ok()
    }
}

struct ConnInfo {
    queued: Arc<AtomicUsize>,
    token: TokenId,
    workspace: WorkspaceId,
    kick: Arc<watch::Sender<Option<Kick>>>,
}

#[derive(Default)]
struct HubState {
    shutting_down: bool,
    next_conn: ConnId,
    /// Tokens revoked while this process runs (the store has them too).
    revoked: HashSet<TokenId>,
    conns: HashMap<ConnId, ConnInfo>,
    per_token: HashMap<TokenId, usize>,
    workspaces: HashMap<WorkspaceId, Arc<WorkspaceHub>>,
    writers: Vec<JoinHandle<()>>,
    /// Push buckets per token: they outlive connections, so reconnecting does not
    /// refill them.
    buckets: HashMap<TokenId, PushBuckets>,
}

/// The registry of connections and writers.
pub(crate) struct Hub {
    store: Arc<dyn LogStore>,
    metrics: Arc<Metrics>,
    limits: Limits,
    state: Mutex<HubState>,
    /// The number of registered connections, for waiting until all are gone.
    open: watch::Sender<usize>,
}

/// A registered connection. Dropping it unregisters the connection.
pub(crate) struct Registration {
    pub(crate) id: ConnId,
    pub(crate) workspace: Arc<WorkspaceHub>,
    pub(crate) queue: mpsc::Receiver<Outgoing>,
    pub(crate) kick: watch::Receiver<Option<Kick>>,
    /// Bytes of batches queued for or held by this connection (see [`ConnSender`]).
    queued: Arc<AtomicUsize>,
    hub: Arc<Hub>,
}

impl Registration {
    /// A batch of `cost` bytes has been sent (or dropped): it no longer counts.
    pub(crate) fn release(&self, cost: usize) {
        let _ = self
            .queued
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |q| Some(q.saturating_sub(cost)));
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.hub.unregister(self.id);
    }
}

impl Hub {
    pub(crate) fn new(store: Arc<dyn LogStore>, metrics: Arc<Metrics>, limits: Limits) -> Self {
        Self {
            store,
            metrics,
            limits,
            state: Mutex::default(),
            open: watch::Sender::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HubState> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Open connections and what waits in the queues, for `/metrics`.
    pub(crate) fn depths(&self) -> crate::metrics::QueueDepths {
        let st = self.lock();
        crate::metrics::QueueDepths {
            connections: st.conns.len(),
            queued_bytes: st.conns.values().map(|c| c.queued.load(Ordering::Relaxed)).sum(),
            writer_requests: st
                .workspaces
                .values()
                .map(|w| w.writer.max_capacity() - w.writer.capacity())
                .sum(),
        }
    }

    /// Registers a connection of `token`, or says why it may not connect. Must run
    /// inside the tokio runtime (it may start the workspace's writer).
    pub(crate) fn register(self: &Arc<Self>, token: &TokenRecord) -> Result<Registration, Kick> {
        let mut st = self.lock();
        if st.shutting_down {
            return Err(Kick::new(ErrorCode::ShuttingDown, "the relay is shutting down"));
        }
        if token.revoked || st.revoked.contains(&token.id) {
            return Err(Kick::new(ErrorCode::TokenRevoked, "this token has been revoked"));
        }
        let count = st.per_token.entry(token.id).or_default();
        if *count >= self.limits.max_connections_per_token {
            return Err(Kick::new(
                ErrorCode::TooManyConnections,
                format!(
                    "this token already has {} open connections",
                    self.limits.max_connections_per_token
                ),
            ));
        }
        *count += 1;
        let id = st.next_conn;
        st.next_conn += 1;
        let workspace = match st.workspaces.get(&token.workspace) {
            Some(w) => w.clone(),
            None => {
                let (w, writer) = self.start_workspace(token.workspace);
                st.writers.push(writer);
                st.workspaces.insert(token.workspace, w.clone());
                w
            }
        };
        let (queue_tx, queue) = mpsc::channel(self.limits.max_queued_messages);
        let (kick_tx, kick) = watch::channel(None);
        let kick_tx = Arc::new(kick_tx);
        let queued = Arc::new(AtomicUsize::new(0));
        lock_conns(&workspace.conns).insert(
            id,
            ConnSender {
                queue: queue_tx,
                kick: kick_tx.clone(),
                queued: queued.clone(),
                max_queued: self.limits.max_queued_bytes,
                token: token.id,
            },
        );
        st.conns.insert(
            id,
            ConnInfo {
                queued: queued.clone(),
                token: token.id,
                workspace: token.workspace,
                kick: kick_tx,
            },
        );
        self.open.send_replace(st.conns.len());
        add(&self.metrics.connections_total, 1);
        Ok(Registration {
            id,
            workspace,
            queue,
            kick,
            queued,
            hub: self.clone(),
        })
    }

    /// Takes `chunks` chunks and `bytes` bytes from `token`'s push buckets. Returns how
    /// long the push must wait for them to refill (the session waits before storing
    /// it, which slows a fast pusher down without disconnecting it), or why it is
    /// refused: more than a burst at once, or more than `max_push_wait_secs` of debt.
    pub(crate) fn reserve_push(&self, token: TokenId, chunks: usize, bytes: usize) -> Result<Duration, Kick> {
        let l = &self.limits;
        let now = tokio::time::Instant::now();
        let mut st = self.lock();
        let buckets = st.buckets.entry(token).or_insert_with(|| PushBuckets {
            chunks: Bucket::new(f64::from(l.chunks_per_second), f64::from(l.chunk_burst), now),
            bytes: Bucket::new(l.bytes_per_second as f64, l.byte_burst as f64, now),
        });
        let (chunks, bytes) = (chunks as f64, bytes as f64);
        if chunks > buckets.chunks.burst || bytes > buckets.bytes.burst {
            return Err(Kick::new(
                ErrorCode::RateLimited,
                format!(
                    "a push of {chunks} chunks and {bytes} bytes is over the burst of {} chunks and {} bytes",
                    l.chunk_burst, l.byte_burst
                ),
            ));
        }
        let wait = buckets
            .chunks
            .wait_after(chunks, now)
            .max(buckets.bytes.wait_after(bytes, now));
        if wait > Duration::from_secs(l.max_push_wait_secs) {
            return Err(Kick::new(
                ErrorCode::RateLimited,
                format!(
                    "this token pushes more than {} chunks or {} bytes per second",
                    l.chunks_per_second, l.bytes_per_second
                ),
            ));
        }
        buckets.chunks.take(chunks);
        buckets.bytes.take(bytes);
        Ok(wait)
    }

    fn unregister(&self, id: ConnId) {
        let mut st = self.lock();
        let Some(info) = st.conns.remove(&id) else { return };
        if let Some(count) = st.per_token.get_mut(&info.token) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                st.per_token.remove(&info.token);
            }
        }
        if let Some(w) = st.workspaces.get(&info.workspace) {
            lock_conns(&w.conns).remove(&id);
        }
        self.open.send_replace(st.conns.len());
    }

    /// Closes every connection of a revoked token, now and in the future.
    pub(crate) fn revoke(&self, token: TokenId) {
        let mut st = self.lock();
        st.revoked.insert(token);
        for info in st.conns.values().filter(|c| c.token == token) {
            info.kick
                .send_replace(Some(Kick::new(ErrorCode::TokenRevoked, "this token has been revoked")));
        }
    }

    /// Refuses new connections and asks every session to finish.
    pub(crate) fn begin_shutdown(&self) {
        let mut st = self.lock();
        st.shutting_down = true;
        for info in st.conns.values() {
            info.kick
                .send_replace(Some(Kick::new(ErrorCode::ShuttingDown, "the relay is shutting down")));
        }
    }

    /// Accepts connections again (a relay served a second time).
    pub(crate) fn reopen(&self) {
        self.lock().shutting_down = false;
    }

    /// Waits until no connection is registered, at most `limit`.
    pub(crate) async fn wait_idle(&self, limit: Duration) -> bool {
        let mut open = self.open.subscribe();
        tokio::time::timeout(limit, open.wait_for(|n| *n == 0)).await.is_ok()
    }

    /// Stops the writers once their queues are empty (after the sessions are gone).
    pub(crate) async fn stop_writers(&self, limit: Duration) {
        let writers = {
            let mut st = self.lock();
            st.workspaces.clear();
            std::mem::take(&mut st.writers)
        };
        for mut writer in writers {
            if tokio::time::timeout(limit, &mut writer).await.is_err() {
                tracing::warn!("a workspace writer did not stop in time");
                writer.abort();
            }
        }
    }

    fn start_workspace(&self, workspace: WorkspaceId) -> (Arc<WorkspaceHub>, JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(WRITER_QUEUE);
        let conns: Arc<ConnMap> = Arc::default();
        let writer = Writer {
            workspace,
            quota: self.limits.workspace_quota_bytes,
            store: self.store.clone(),
            metrics: self.metrics.clone(),
            conns: conns.clone(),
        };
        let handle = tokio::spawn(writer.run(rx));
        (Arc::new(WorkspaceHub { conns, writer: tx }), handle)
    }
}

/// The chunk and byte buckets of one token.
struct PushBuckets {
    chunks: Bucket,
    bytes: Bucket,
}

/// A token bucket that may go into debt: a push takes what it needs and waits until
/// the level is back at zero.
struct Bucket {
    rate: f64,
    burst: f64,
    level: f64,
    last: tokio::time::Instant,
}

impl Bucket {
    fn new(rate: f64, burst: f64, now: tokio::time::Instant) -> Self {
        Self {
            rate,
            burst,
            level: burst,
            last: now,
        }
    }

    /// Refills up to `now`; how long taking `n` would have to wait.
    fn wait_after(&mut self, n: f64, now: tokio::time::Instant) -> Duration {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.level = (self.level + elapsed * self.rate).min(self.burst);
        let debt = n - self.level;
        if debt <= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(debt / self.rate)
        }
    }

    fn take(&mut self, n: f64) {
        self.level -= n;
    }
}

pub(super) fn lock_conns(conns: &ConnMap) -> MutexGuard<'_, HashMap<ConnId, ConnSender>> {
    conns.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Queues `item` for a connection, or kicks the connection if its queue is full (in
/// messages or bytes): a device that reads too slowly reconnects and pulls instead of
/// holding memory here.
pub(super) fn deliver(id: ConnId, conn: &ConnSender, item: Outgoing) {
    let cost = match &item {
        Outgoing::Batch(batch) => batch.cost_for(id),
        // Small messages: only batches count against the byte budget.
        Outgoing::Failed(_) | Outgoing::Refused(_) | Outgoing::Purged(_) => 0,
    };
    let before = conn.queued.fetch_add(cost, Ordering::Relaxed);
    let queued = before + cost;
    // One batch always fits in an empty queue, however large.
    let full = if before > 0 && queued > conn.max_queued {
        true
    } else {
        matches!(conn.queue.try_send(item), Err(mpsc::error::TrySendError::Full(_)))
    };
    if full {
        conn.queued.fetch_sub(cost, Ordering::Relaxed);
        if conn.kick.borrow().is_none() {
            tracing::info!(token = %conn.token, queued_bytes = queued, "disconnecting a device that does not read fast enough");
        }
        conn.kick.send_replace(Some(Kick::new(
            ErrorCode::TooSlow,
            "this connection fell too far behind (it does not read fast enough); reconnect and pull",
        )));
    }
}
