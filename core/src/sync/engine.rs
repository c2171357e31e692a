//! The device side of sync as a sans-IO state machine: events in, actions out. The
//! runtime (the client's connector, or the deterministic test harness) owns the socket,
//! the timers and the workspace; the engine only decides what happens next, so every
//! schedule of connects, drops and messages can be replayed in a test.
//!
//! ```text
//!  Offline --connect--> Greeting --welcome--> Online (pull sent, outbox pushed)
//!     ^                                          |
//!     +-------- disconnected / error ------------+   (reconnect after backoff)
//! ```

use std::collections::BTreeSet;

use super::chunk::{ChunkError, check_chunk_bounds};
use super::protocol::{
    Acked, ClientMessage, Entry, ErrorCode, Limits, PROTOCOL_VERSION, Purged, PushChunk, Rejection, Role,
    ServerMessage, Snapshot,
};

/// Most bytes of chunks in one `push` message.
const MAX_PUSH_BYTES: usize = 512 * 1024;
/// While catching up, entries are applied in batches of about this many bytes (one local
/// transaction each) rather than one transaction per relay message. Each commit rewrites
/// the index pages the batch touched, so fewer, larger batches make a joining device
/// faster (100k records: 10 batches of 8 MiB 3.8 s, 3 of 32 MiB 3.55 s, 1 of 85 MiB
/// 3.4 s; 1M records: 26 batches of 32 MiB 62 s, 7 of 128 MiB 55 s). The batch is held
/// in memory until applied.
const APPLY_BATCH_BYTES: usize = 128 * 1024 * 1024;
/// Reconnect delays grow from this ...
const BACKOFF_MIN_MS: u64 = 250;
/// ... up to this.
const BACKOFF_MAX_MS: u64 = 30_000;
/// After the relay dropped the device for reading too slowly (or pushing too fast),
/// the failed-attempt count starts at least here: the next reconnect waits seconds,
/// not milliseconds, so a device that cannot keep up does not hammer the relay.
const SLOW_DEVICE_ATTEMPTS: u32 = 4;

/// Something that happened to the runtime.
#[derive(Debug, Clone)]
pub enum Event {
    /// The transport is open; the engine greets the relay.
    Connected,
    /// A message from the relay.
    Received(ServerMessage),
    /// The transport closed or failed. `now_ms` times the reconnect.
    Disconnected { now_ms: u64 },
    /// A local edit added chunks to the outbox.
    LocalChange,
    /// The outbox, as read after an `Action::ReadOutbox` (oldest first, maybe capped).
    Outbox(Vec<PushChunk>),
    /// Time passed (for reconnect backoff).
    Tick { now_ms: u64 },
}

/// What the runtime should do.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Open a connection to the relay.
    Connect,
    /// Send this message.
    Send(ClientMessage),
    /// Read the outbox and answer with `Event::Outbox`.
    ReadOutbox,
    /// Apply these documents and entries and store `cursor`, in one local transaction.
    Apply {
        snapshots: Vec<Snapshot>,
        entries: Vec<Entry>,
        cursor: u64,
    },
    /// These outbox chunks are durable on the relay: delete them and store `cursor`.
    Acknowledged { ids: Vec<u64>, cursor: u64 },
    /// The device has everything the relay had when it answered the pull.
    CaughtUp { head: u64 },
    /// The relay's log has an epoch this device has not synced with (restored from a
    /// backup, or created again), or a head below the cursor. Store `epoch`; with
    /// `resync`, also set the cursor to 0 and queue the full state of every local
    /// document for pushing (before the pull and the outbox read that follow), so that
    /// everything this device holds reaches the relay's log again.
    NewEpoch { epoch: String, resync: bool },
    /// The relay will not store these chunks (over its chunk limit or inflation bound,
    /// said by the relay or found here before pushing): move them out of the outbox,
    /// keep them aside with the reason, and tell the user.
    SetAside { chunks: Vec<Rejection> },
    /// Erase these purged documents for good (wherever they are in the replica) and
    /// drop anything that arrives for them later.
    Erase { docs: Vec<Purged> },
    /// Close the connection (a protocol error); reconnect later.
    Disconnect { reason: String },
    /// Stop syncing for good (bad token, incompatible relay); tell the user.
    Stop { code: ErrorCode, reason: String },
    /// Nothing to do until this time (then send `Event::Tick`).
    WaitUntil { now_ms: u64 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Offline,
    Greeting,
    Online { role: Role },
    Stopped,
}

/// The sync state of one device.
#[derive(Debug)]
pub struct SyncEngine {
    state: State,
    /// The highest log position applied or acknowledged (stored by the runtime through
    /// `Apply` / `Acknowledged`).
    cursor: u64,
    /// Outbox ids pushed on this connection and not yet acknowledged.
    in_flight: BTreeSet<u64>,
    caught_up: bool,
    /// Failed connections since the last real progress (a pull caught up). A relay
    /// that welcomes and then fails keeps backing off instead of being hammered.
    attempts: u32,
    /// The epoch of the relay log the cursor counts in (`None`: never synced, or a
    /// device from before protocol version 2).
    epoch: Option<String>,
    /// The highest seq received in this pull's backlog (entries must increase).
    backlog_last: u64,
    reconnect_at: Option<u64>,
    /// xorshift state for backoff jitter (seeded, so tests replay exactly).
    jitter: u64,
    /// Backlog received but not yet applied (applied in batches until caught up).
    pending_snapshots: Vec<Snapshot>,
    pending_entries: Vec<Entry>,
    pending_bytes: usize,
    client: String,
    /// The relay's limits from its last `welcome`: chunks past them are set aside
    /// instead of pushed.
    limits: Limits,
}

impl SyncEngine {
    /// An engine that resumes from `cursor` (0 for a fresh device).
    pub fn new(cursor: u64, client: &str, seed: u64) -> Self {
        SyncEngine {
            state: State::Offline,
            cursor,
            in_flight: BTreeSet::new(),
            caught_up: false,
            attempts: 0,
            epoch: None,
            backlog_last: 0,
            reconnect_at: None,
            jitter: seed | 1,
            pending_snapshots: Vec::new(),
            pending_entries: Vec::new(),
            pending_bytes: 0,
            client: client.to_string(),
            limits: Limits::default(),
        }
    }

    /// The engine of a device that last synced with the relay log of `epoch`.
    pub fn with_epoch(mut self, epoch: Option<String>) -> Self {
        self.epoch = epoch;
        self
    }

    /// The epoch of the relay log the cursor counts in.
    pub fn epoch(&self) -> Option<&str> {
        self.epoch.as_deref()
    }

    pub fn cursor(&self) -> u64 {
        self.cursor
    }

    pub fn is_online(&self) -> bool {
        matches!(self.state, State::Online { .. })
    }

    /// Online and the last pull's backlog has been applied.
    pub fn is_caught_up(&self) -> bool {
        self.is_online() && self.caught_up
    }

    pub fn is_stopped(&self) -> bool {
        self.state == State::Stopped
    }

    /// Number of pushed chunks waiting for an acknowledgement.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// The first action: connect.
    pub fn start(&mut self) -> Vec<Action> {
        match self.state {
            State::Offline => vec![Action::Connect],
            _ => Vec::new(),
        }
    }

    pub fn handle(&mut self, event: Event) -> Vec<Action> {
        if self.state == State::Stopped {
            return Vec::new();
        }
        match event {
            Event::Connected => {
                self.state = State::Greeting;
                self.in_flight.clear();
                self.caught_up = false;
                self.drop_pending();
                vec![Action::Send(ClientMessage::Hello {
                    versions: vec![PROTOCOL_VERSION],
                    client: self.client.clone(),
                })]
            }
            Event::Disconnected { now_ms } => self.went_offline(now_ms),
            Event::Tick { now_ms } => match (self.state, self.reconnect_at) {
                (State::Offline, Some(at)) if now_ms >= at => {
                    self.reconnect_at = None;
                    vec![Action::Connect]
                }
                (State::Offline, Some(at)) => vec![Action::WaitUntil { now_ms: at }],
                _ => Vec::new(),
            },
            Event::LocalChange => match self.state {
                State::Online { role } if role.can_push() => vec![Action::ReadOutbox],
                _ => Vec::new(),
            },
            Event::Outbox(chunks) => self.push(chunks),
            Event::Received(message) => self.received(message),
        }
    }

    fn went_offline(&mut self, now_ms: u64) -> Vec<Action> {
        self.state = State::Offline;
        self.in_flight.clear();
        self.caught_up = false;
        // Unapplied backlog is pulled again after the reconnect: the cursor never moved.
        self.drop_pending();
        self.attempts = self.attempts.saturating_add(1);
        let base = BACKOFF_MIN_MS
            .saturating_mul(1 << self.attempts.min(8))
            .min(BACKOFF_MAX_MS);
        // Full jitter on the upper half, so many devices do not reconnect in step.
        self.jitter ^= self.jitter << 13;
        self.jitter ^= self.jitter >> 7;
        self.jitter ^= self.jitter << 17;
        let delay = base / 2 + self.jitter % (base / 2 + 1);
        let at = now_ms + delay;
        self.reconnect_at = Some(at);
        vec![Action::WaitUntil { now_ms: at }]
    }

    fn push(&mut self, chunks: Vec<PushChunk>) -> Vec<Action> {
        let State::Online { role } = self.state else {
            return Vec::new();
        };
        if !role.can_push() {
            return Vec::new();
        }
        let mut actions = Vec::new();
        let mut batch = Vec::new();
        let mut refused = Vec::new();
        let mut bytes = 0;
        for chunk in chunks {
            if self.in_flight.contains(&chunk.id) {
                continue;
            }
            if let Some(message) = over_limits(&chunk.data, &self.limits) {
                refused.push(Rejection {
                    id: chunk.id,
                    code: ErrorCode::ChunkTooLarge,
                    message,
                });
                continue;
            }
            if bytes + chunk.data.len() > MAX_PUSH_BYTES && !batch.is_empty() {
                actions.push(Action::Send(ClientMessage::Push {
                    chunks: std::mem::take(&mut batch),
                }));
                bytes = 0;
            }
            self.in_flight.insert(chunk.id);
            bytes += chunk.data.len();
            batch.push(chunk);
        }
        if !batch.is_empty() {
            actions.push(Action::Send(ClientMessage::Push { chunks: batch }));
        }
        if !refused.is_empty() {
            // Set aside first: the outbox read that follows (when nothing is in flight
            // to trigger one) then finds the changes behind them.
            actions.insert(0, Action::SetAside { chunks: refused });
            if self.in_flight.is_empty() {
                actions.push(Action::ReadOutbox);
            }
        }
        actions
    }

    fn received(&mut self, message: ServerMessage) -> Vec<Action> {
        match (self.state, message) {
            (
                State::Greeting,
                ServerMessage::Welcome {
                    version,
                    role,
                    head,
                    epoch,
                    limits,
                    ..
                },
            ) => {
                if version != PROTOCOL_VERSION {
                    return self.stop(
                        ErrorCode::UnsupportedVersion,
                        format!("the relay chose protocol version {version}"),
                    );
                }
                self.state = State::Online { role };
                self.limits = limits;
                // `attempts` is not reset here: only a pull that catches up resets it.
                let mut actions = Vec::new();
                let other_life = self.epoch.as_ref().is_some_and(|known| *known != epoch);
                if other_life || head < self.cursor {
                    // The relay's log is not the one the cursor counts in: positions
                    // this device passed may hold other changes now, and changes the
                    // relay had may be gone. Pull everything; push everything.
                    self.cursor = 0;
                    self.epoch = Some(epoch.clone());
                    actions.push(Action::NewEpoch { epoch, resync: true });
                } else if self.epoch.is_none() {
                    self.epoch = Some(epoch.clone());
                    actions.push(Action::NewEpoch { epoch, resync: false });
                }
                self.backlog_last = self.cursor;
                actions.push(Action::Send(ClientMessage::Pull { after: self.cursor }));
                if role.can_push() {
                    actions.push(Action::ReadOutbox);
                }
                actions
            }
            (State::Online { .. }, ServerMessage::Entries { entries }) => {
                if entries.is_empty() {
                    return Vec::new();
                }
                if self.caught_up {
                    // Live entries continue the log exactly where the cursor is.
                    for entry in &entries {
                        if entry.seq != self.cursor + 1 {
                            return self.refuse_position(entry.seq, self.cursor + 1);
                        }
                        self.cursor = entry.seq;
                    }
                    return self.then_read_outbox(Action::Apply {
                        snapshots: Vec::new(),
                        entries,
                        cursor: self.cursor,
                    });
                }
                // Backlog entries increase (compaction may leave gaps).
                for entry in &entries {
                    if entry.seq <= self.backlog_last {
                        return self.refuse_position(entry.seq, self.backlog_last + 1);
                    }
                    self.backlog_last = entry.seq;
                }
                self.pending_bytes += entries.iter().map(|e| e.data.len() + 32).sum::<usize>();
                self.pending_entries.extend(entries);
                self.flush_if_full()
            }
            (State::Online { .. }, ServerMessage::Snapshots { docs }) => {
                // Snapshots come before the entries of a pull and move no cursor.
                self.pending_bytes += docs.iter().map(|d| d.data.len() + 16).sum::<usize>();
                self.pending_snapshots.extend(docs);
                self.flush_if_full()
            }
            (State::Online { .. }, ServerMessage::Rejected { chunks }) => {
                // One refused change must not hold up the others: set it aside and go on.
                for chunk in &chunks {
                    self.in_flight.remove(&chunk.id);
                }
                let mut actions = vec![Action::SetAside { chunks }];
                if self.in_flight.is_empty() {
                    actions.push(Action::ReadOutbox);
                }
                actions
            }
            (State::Online { .. }, ServerMessage::Purged { docs }) => {
                // Erased at once: backlog still pending for them is dropped when it is
                // applied (the replica remembers purged documents).
                if docs.is_empty() {
                    Vec::new()
                } else {
                    vec![Action::Erase { docs }]
                }
            }
            (State::Online { .. }, ServerMessage::Ack { acks }) => {
                let ids: Vec<u64> = acks.iter().map(|a: &Acked| a.id).collect();
                for id in &ids {
                    self.in_flight.remove(id);
                }
                // Our own entries are not sent back to us: their ack moves the cursor.
                // A new chunk's seq is the next position; a chunk the log already had
                // keeps its older seq.
                if self.caught_up {
                    // Seq 0: the chunk was dropped (its document was purged).
                    for ack in acks.iter().filter(|a| a.seq > 0) {
                        if ack.seq > self.cursor + 1 {
                            return self.refuse_position(ack.seq, self.cursor + 1);
                        }
                        self.cursor = self.cursor.max(ack.seq);
                    }
                }
                let mut actions = vec![Action::Acknowledged {
                    ids,
                    cursor: self.cursor,
                }];
                if self.in_flight.is_empty() {
                    actions.push(Action::ReadOutbox);
                }
                actions
            }
            (State::Online { .. }, ServerMessage::CaughtUp { head }) => {
                if self.caught_up || head < self.backlog_last {
                    return self.refuse_position(head, self.backlog_last);
                }
                // Everything up to `head` has been sent (entries compacted away came as
                // snapshots), so the cursor is `head` and live entries continue there.
                let mut actions = self.flush_to(head);
                self.caught_up = true;
                self.attempts = 0;
                actions.push(Action::CaughtUp { head });
                actions
            }
            (_, ServerMessage::Error { code, message }) => match code {
                ErrorCode::UnsupportedVersion
                | ErrorCode::Unauthorized
                | ErrorCode::Forbidden
                | ErrorCode::QuotaExceeded
                | ErrorCode::TokenRevoked => self.stop(code, message),
                ErrorCode::TooSlow | ErrorCode::RateLimited => {
                    self.attempts = self.attempts.max(SLOW_DEVICE_ATTEMPTS);
                    vec![Action::Disconnect {
                        reason: format!("relay error {code:?}: {message}"),
                    }]
                }
                _ => vec![Action::Disconnect {
                    reason: format!("relay error {code:?}: {message}"),
                }],
            },
            (state, other) => vec![Action::Disconnect {
                reason: format!("unexpected {other:?} while {state:?}"),
            }],
        }
    }

    /// A log position that goes backwards or skips ahead: a broken or hostile relay.
    /// Nothing of it is applied and the cursor stays; the connection is dropped (and
    /// retried with backoff).
    fn refuse_position(&mut self, got: u64, expected: u64) -> Vec<Action> {
        self.drop_pending();
        vec![Action::Disconnect {
            reason: format!("the relay sent log position {got} where {expected} was due; refusing it"),
        }]
    }

    fn drop_pending(&mut self) {
        self.pending_snapshots.clear();
        self.pending_entries.clear();
        self.pending_bytes = 0;
    }

    fn flush_if_full(&mut self) -> Vec<Action> {
        if self.pending_bytes >= APPLY_BATCH_BYTES {
            self.flush_to(0)
        } else {
            Vec::new()
        }
    }

    /// Applies the backlog gathered so far, moving the cursor to its last entry, or to
    /// `at_least` when that is higher (then it applies even an empty backlog).
    fn flush_to(&mut self, at_least: u64) -> Vec<Action> {
        let nothing = self.pending_entries.is_empty() && self.pending_snapshots.is_empty();
        if nothing && at_least <= self.cursor {
            return Vec::new();
        }
        let entries = std::mem::take(&mut self.pending_entries);
        let snapshots = std::mem::take(&mut self.pending_snapshots);
        self.pending_bytes = 0;
        if let Some(last) = entries.iter().map(|e| e.seq).max() {
            self.cursor = self.cursor.max(last);
        }
        self.cursor = self.cursor.max(at_least);
        self.then_read_outbox(Action::Apply {
            snapshots,
            entries,
            cursor: self.cursor,
        })
    }

    /// Applying may write local changes (a device joining adds itself to the member
    /// list), so pushers look at the outbox after every apply.
    fn then_read_outbox(&self, apply: Action) -> Vec<Action> {
        match self.state {
            State::Online { role } if role.can_push() => vec![apply, Action::ReadOutbox],
            _ => vec![apply],
        }
    }

    fn stop(&mut self, code: ErrorCode, reason: String) -> Vec<Action> {
        self.state = State::Stopped;
        vec![Action::Stop { code, reason }]
    }
}

/// Why the relay would refuse `data` for its size (over the chunk limit, or inflating
/// past the inflation bound), or `None`. Bytes that are not Automerge at all are left
/// for the relay to judge: only the size bounds are the device's to enforce.
fn over_limits(data: &[u8], limits: &Limits) -> Option<String> {
    let len = data.len() as u64;
    if len > limits.max_chunk_bytes {
        return Some(format!(
            "a change of {len} bytes is over the relay's limit of {} bytes per change",
            limits.max_chunk_bytes
        ));
    }
    let max_inflated = usize::try_from(limits.max_inflated_chunk_bytes).unwrap_or(usize::MAX);
    match check_chunk_bounds(data, max_inflated) {
        Err(ChunkError::InflatesTooFar { .. }) => Some(format!(
            "a change of {len} bytes inflates to more than the relay's limit of {} bytes per change",
            limits.max_inflated_chunk_bytes
        )),
        Err(ChunkError::TooManyOps { limit }) => Some(format!(
            "a change of {len} bytes claims more than {limit} operations in one column, over the relay's bound"
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
