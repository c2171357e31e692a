//! The runtime around kith-core's sans-IO [`SyncEngine`]: one task that owns the socket,
//! the timers and the workspace access, feeds the engine events and carries out its
//! actions (the same loop as the deterministic harness in `tests/src/harness.rs`, with
//! a real WebSocket).
//!
//! Every workspace operation is one synchronous local transaction, never held across an
//! `.await`; so the loop may be dropped at any await point (Ctrl-C) without leaving
//! anything half done: chunks sent but not acknowledged stay in the outbox and are sent
//! again next time, and the relay deduplicates them.

use std::collections::VecDeque;
use std::future::Future;
use std::hash::BuildHasher;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use kith_core::sync::protocol::{ClientMessage, ErrorCode, Role, ServerMessage, decode};
use kith_core::sync::{Action, Event, SyncEngine};
use tokio::sync::Notify;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_tungstenite::tungstenite::{self, Message};

use super::connection::{self, MAX_FRAME, Socket};
use super::liveness::Liveness;
use super::remote::{adopt_relay_workspace, mark_synced};
use super::{Remote, RemoteInfo, SyncError, WorkspaceAccess};

/// Most outbox chunks read at once (the engine splits them into pushes of 512 KiB).
const OUTBOX_BATCH: usize = 500;
/// How often `sync_watch` looks for local changes made through a shared workspace.
const OUTBOX_POLL: Duration = Duration::from_millis(500);
/// How often an idle connection is pinged.
const PING_EVERY: Duration = Duration::from_secs(15);

/// Something the connector did; for progress bars and `kith sync --watch` lines.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SyncEvent {
    /// Connected and greeted.
    Online(RemoteInfo),
    /// Changes from the relay were applied locally.
    Applied {
        /// Documents that received changes.
        documents: usize,
        /// Compacted documents and log entries received.
        snapshots: usize,
        entries: usize,
        /// The log position the replica has now.
        cursor: u64,
    },
    /// Local change chunks were sent.
    Pushed { chunks: usize },
    /// The relay stored sent chunks durably; they left the outbox.
    Acknowledged { chunks: usize, cursor: u64 },
    /// Everything the relay had is applied; live changes follow.
    CaughtUp { head: u64 },
    /// Words of records received in bulk were added to the search index (watch mode
    /// does this between messages once caught up); `remaining` records are left.
    SearchIndexed { remaining: u64 },
    /// The relay's log is another one than this replica last synced with (the relay was
    /// restored from a backup): everything is pulled again, and `requeued` stored
    /// chunks were queued for pushing so the relay gets back what it lost.
    RelayRestored { requeued: u64 },
    /// The relay refused `changes` local changes (over its chunk limit); they are set
    /// aside (`kith status` lists them) and the others go on syncing.
    Refused { changes: usize },
    /// Records were purged (erased for good) by a device of the workspace; `erased`
    /// of them were on this device and are gone now (also if it had restored or edited
    /// them meanwhile).
    Purged {
        documents: usize,
        erased: Vec<kith_core::RecordId>,
    },
    /// The connection closed or could not be opened; the next try is in `retry_in_ms`.
    Offline { reason: String, retry_in_ms: u64 },
}

/// What one [`sync_once`] moved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncReport {
    /// The relay workspace and the token's role.
    pub workspace: String,
    pub role: Role,
    /// Local change chunks the relay acknowledged.
    pub pushed: usize,
    /// Log entries and compacted documents received.
    pub received: usize,
    /// Documents that received changes.
    pub documents: usize,
    /// Received chunks Automerge could not read (kept in the `unreadable` table).
    pub unreadable: usize,
    /// The log position the replica has now, and the relay's head.
    pub cursor: u64,
    pub head: u64,
    /// Local chunks still waiting (only a read-only token leaves some).
    pub pending: u64,
    /// Records this device had that another device purged: erased here now.
    pub erased: Vec<kith_core::RecordId>,
}

/// Connects, pushes every local change, pulls everything new, and returns once the
/// replica is caught up, its outbox is empty and nothing is in flight. Does not retry:
/// a lost connection is an error (what was applied or acknowledged stays; running it
/// again resumes).
pub async fn sync_once<W, F>(ws: W, remote: &Remote, on_event: F) -> Result<SyncReport, SyncError>
where
    W: WorkspaceAccess,
    F: FnMut(&SyncEvent),
{
    let mut driver = Driver::new(ws, remote, Mode::Once, on_event)?;
    let result = driver.run().await;
    driver.close().await;
    result?;
    driver.report()
}

/// Stays connected until `shutdown` completes: pushes local changes as they appear,
/// applies other devices' changes as the relay streams them, and reconnects after any
/// disconnect with the engine's backoff and jitter. Returns `Ok` on shutdown, and an
/// error only when retrying cannot help (a refused token, a broken local store).
pub async fn sync_watch<W, S, F>(ws: W, remote: &Remote, shutdown: S, on_event: F) -> Result<(), SyncError>
where
    W: WorkspaceAccess,
    S: Future<Output = ()>,
    F: FnMut(&SyncEvent),
{
    let mut driver = Driver::new(ws, remote, Mode::Watch, on_event)?;
    let wake = Arc::clone(&driver.local_writes);
    driver
        .ws
        .with(|w| w.set_change_listener(Some(Box::new(move || wake.notify_one()))));
    let result = {
        let run = driver.run();
        tokio::pin!(shutdown);
        tokio::select! {
            result = run => result,
            () = &mut shutdown => Ok(()),
        }
    };
    driver.ws.with(|w| w.set_change_listener(None));
    driver.close().await;
    result
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Return once caught up with nothing pending; fail on a lost connection.
    Once,
    /// Stay connected; reconnect.
    Watch,
}

/// What woke the loop.
enum Wake {
    Frame(Option<Result<Message, tungstenite::Error>>),
    Timer,
    Ping,
    Poll,
    IndexSearch,
    Automations,
}

/// How often a watching sync runs the date-triggered automations that are due.
const AUTOMATION_TICK: Duration = Duration::from_secs(60);

/// Records whose words one step of search indexing adds (~0.1 s), between messages.
pub const SEARCH_INDEX_STEP: usize = 5_000;

struct Driver<'r, W, F> {
    ws: W,
    remote: &'r Remote,
    engine: SyncEngine,
    mode: Mode,
    on_event: F,
    /// The open connection, if any.
    socket: Option<Socket>,
    /// When the engine wants a `Tick` (ms on `epoch`'s clock).
    wake_at: Option<u64>,
    /// The engine's clock starts here.
    epoch: Instant,
    /// Whether the connection still works (`liveness.rs`).
    liveness: Liveness,
    /// When this connection was last pinged.
    last_ping: Instant,
    /// The welcome of the current connection.
    info: Option<RemoteInfo>,
    /// The relay's last `error` on this connection, to explain the close that follows.
    relay_error: Option<(ErrorCode, String)>,
    totals: Totals,
    /// Woken by the workspace after each local write (watch mode), so an edit made in
    /// this process is pushed at once; the outbox poll remains for other writers.
    local_writes: Arc<Notify>,
    /// Records received in bulk wait for their search entries (watch mode adds them).
    search_backlog: bool,
    /// Local purges sent on this connection (sent again on the next one until the
    /// relay confirms them with `purged`).
    purges_sent: std::collections::HashSet<kith_core::DocId>,
}

#[derive(Default)]
struct Totals {
    pushed: usize,
    received: usize,
    documents: usize,
    unreadable: usize,
    head: u64,
    erased: Vec<kith_core::RecordId>,
}

impl<'r, W: WorkspaceAccess, F: FnMut(&SyncEvent)> Driver<'r, W, F> {
    fn new(mut ws: W, remote: &'r Remote, mode: Mode, on_event: F) -> Result<Self, SyncError> {
        let cursor = ws.with(|w| w.sync_cursor())?;
        let epoch = ws.with(|w| w.sync_epoch())?;
        let search_backlog = mode == Mode::Watch && ws.with(|w| w.search_backlog())? > 0;
        let now = Instant::now();
        Ok(Driver {
            ws,
            remote,
            engine: SyncEngine::new(cursor, &connection::client_name(), jitter_seed()).with_epoch(epoch),
            mode,
            on_event,
            socket: None,
            wake_at: None,
            epoch: now,
            liveness: Liveness::new(now),
            last_ping: now,
            info: None,
            relay_error: None,
            totals: Totals::default(),
            local_writes: Arc::new(Notify::new()),
            search_backlog,
            purges_sent: std::collections::HashSet::new(),
        })
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    async fn run(&mut self) -> Result<(), SyncError> {
        let actions = self.engine.start();
        self.perform(actions).await?;
        // Liveness is checked often enough to notice a stall soon after its limit.
        let check_every = PING_EVERY
            .min(self.remote.timeouts.progress / 4)
            .min(self.remote.timeouts.idle / 4)
            .max(Duration::from_millis(10));
        let mut ping = tokio::time::interval_at(Instant::now() + check_every, check_every);
        ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut poll = tokio::time::interval_at(Instant::now() + OUTBOX_POLL, OUTBOX_POLL);
        poll.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut automations = tokio::time::interval(AUTOMATION_TICK);
        automations.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            if self.mode == Mode::Once && self.finished()? {
                return Ok(());
            }
            let wake_at = self.wake_at.map(|ms| self.epoch + Duration::from_millis(ms));
            let watching = self.mode == Mode::Watch;
            let index_search = watching && self.search_backlog && self.engine.is_caught_up();
            let wake = tokio::select! {
                frame = next_frame(&mut self.socket) => Wake::Frame(frame),
                () = sleep_until(wake_at) => Wake::Timer,
                _ = ping.tick() => Wake::Ping,
                _ = poll.tick(), if watching => Wake::Poll,
                () = self.local_writes.notified(), if watching => Wake::Poll,
                () = std::future::ready(()), if index_search => Wake::IndexSearch,
                _ = automations.tick(), if watching => Wake::Automations,
            };
            let actions = match wake {
                Wake::Frame(frame) => self.frame(frame)?,
                Wake::Timer => {
                    self.wake_at = None;
                    let now = self.now_ms();
                    self.engine.handle(Event::Tick { now_ms: now })
                }
                Wake::Ping => self.ping().await?,
                Wake::Poll => self.poll_outbox()?,
                Wake::IndexSearch => {
                    let remaining = self.ws.with(|w| w.index_search_backlog(SEARCH_INDEX_STEP))?;
                    self.search_backlog = remaining > 0;
                    (self.on_event)(&SyncEvent::SearchIndexed { remaining });
                    Vec::new()
                }
                Wake::Automations => {
                    // A failed run is in the run log; a failed tick is tried again next time.
                    let ran = self
                        .ws
                        .with(|w| w.automation_tick(kith_core::time_fmt::now_ms()))
                        .is_ok_and(|runs| !runs.is_empty());
                    if ran { self.poll_outbox()? } else { Vec::new() }
                }
            };
            self.perform(actions).await?;
        }
    }

    /// Caught up, nothing in flight, nothing left to push (a viewer pushes nothing).
    fn finished(&mut self) -> Result<bool, SyncError> {
        if !self.engine.is_caught_up() || self.engine.in_flight() > 0 {
            return Ok(false);
        }
        let can_push = self.info.as_ref().is_some_and(|i| i.role.can_push());
        if !can_push {
            return Ok(true);
        }
        Ok(self.ws.with(|w| w.outbox_len())? == 0 && self.ws.with(|w| w.pending_purges())?.is_empty())
    }

    fn frame(&mut self, frame: Option<Result<Message, tungstenite::Error>>) -> Result<Vec<Action>, SyncError> {
        let now = Instant::now();
        if matches!(frame, Some(Ok(Message::Binary(_)))) {
            self.liveness.message(now);
        } else {
            self.liveness.control_frame(now);
        }
        let message = match frame {
            Some(Ok(Message::Binary(bytes))) => match decode::<ServerMessage>(&bytes, MAX_FRAME) {
                Ok(message) => message,
                Err(e) => return self.lost(format!("the relay sent an unreadable message ({e})")),
            },
            Some(Ok(Message::Text(_))) => return self.lost("the relay sent a text frame".into()),
            Some(Ok(Message::Close(Some(close)))) if !close.reason.is_empty() => {
                return self.lost(format!("the relay closed the connection ({})", close.reason));
            }
            Some(Ok(Message::Close(_))) | None => return self.lost("the relay closed the connection".into()),
            Some(Ok(_)) => return Ok(Vec::new()), // ping, pong
            Some(Err(e)) => return self.lost(connection::describe(&e)),
        };
        match &message {
            ServerMessage::Welcome {
                workspace,
                role,
                head,
                limits,
                ..
            } => {
                let info = RemoteInfo {
                    workspace: workspace.clone(),
                    role: *role,
                    head: *head,
                };
                // Before the engine sees the welcome, which starts pushing.
                self.ws.with(|w| adopt_relay_workspace(w, &info))?;
                // What local writes check from now on: a viewer makes none, and no
                // change may pass the relay's chunk limit.
                // Changes the relay refused before go out again once they fit.
                self.ws.with(|w| {
                    w.set_sync_role(*role)?;
                    w.set_relay_max_chunk_bytes(limits.max_chunk_bytes)?;
                    w.set_relay_max_inflated_chunk_bytes(limits.max_inflated_chunk_bytes)?;
                    w.release_stuck(limits)
                })?;
                self.totals.head = self.totals.head.max(*head);
                self.info = Some(info.clone());
                (self.on_event)(&SyncEvent::Online(info));
            }
            ServerMessage::Error { code, message } => self.relay_error = Some((*code, message.clone())),
            _ => {}
        }
        Ok(self.engine.handle(Event::Received(message)))
    }

    /// Gives the connection up when the relay makes no progress while the device waits
    /// for it (or is silent altogether), and pings it now and then.
    async fn ping(&mut self) -> Result<Vec<Action>, SyncError> {
        if self.socket.is_none() {
            return Ok(Vec::new());
        }
        let expecting = !self.engine.is_caught_up() || self.engine.in_flight() > 0;
        if let Some(reason) = self.liveness.dead(Instant::now(), expecting, &self.remote.timeouts) {
            return self.lost(reason);
        }
        if self.last_ping.elapsed() < PING_EVERY {
            return Ok(Vec::new());
        }
        self.last_ping = Instant::now();
        let timeout = self.remote.timeouts.send;
        let Some(socket) = self.socket.as_mut() else {
            return Ok(Vec::new());
        };
        match tokio::time::timeout(
            timeout,
            futures_util::SinkExt::send(socket, Message::Ping(Vec::new().into())),
        )
        .await
        {
            Ok(Ok(())) => Ok(Vec::new()),
            Ok(Err(e)) => self.lost(connection::describe(&e)),
            Err(_) => self.lost(stopped_reading(timeout)),
        }
    }

    /// Local changes made meanwhile (through a shared workspace, or while applying):
    /// push them when nothing is in flight (otherwise the next acknowledgement reads
    /// the outbox anyway).
    fn poll_outbox(&mut self) -> Result<Vec<Action>, SyncError> {
        if !self.engine.is_online() || self.engine.in_flight() > 0 {
            return Ok(Vec::new());
        }
        if self.ws.with(|w| w.outbox_len())? == 0 {
            return Ok(Vec::new());
        }
        Ok(self.engine.handle(Event::LocalChange))
    }

    /// The connection is gone (or could not be opened): a one-shot sync fails; a watch
    /// tells the engine, which schedules the reconnect.
    fn lost(&mut self, reason: String) -> Result<Vec<Action>, SyncError> {
        self.socket = None;
        self.info = None;
        let relay_error = self.relay_error.take();
        if self.mode == Mode::Once {
            return Err(match relay_error {
                Some((code, message)) => connection::refusal_or_relay_error(code, message),
                None => SyncError::ConnectionLost(reason),
            });
        }
        let reason = match relay_error {
            Some((code, message)) => format!("{} ({message})", super::error::code_name(code)),
            None => reason,
        };
        let now = self.now_ms();
        let actions = self.engine.handle(Event::Disconnected { now_ms: now });
        let retry_in_ms = actions
            .iter()
            .find_map(|a| match a {
                Action::WaitUntil { now_ms } => Some(now_ms.saturating_sub(now)),
                _ => None,
            })
            .unwrap_or(0);
        (self.on_event)(&SyncEvent::Offline { reason, retry_in_ms });
        Ok(actions)
    }

    /// Carries out the engine's actions, and those they lead to, in order.
    async fn perform(&mut self, actions: Vec<Action>) -> Result<(), SyncError> {
        let mut queue: VecDeque<Action> = actions.into();
        while let Some(action) = queue.pop_front() {
            match action {
                Action::Connect => match connection::connect(self.remote, self.remote.timeouts.connect).await {
                    Ok(socket) => {
                        self.socket = Some(socket);
                        self.purges_sent.clear();
                        self.liveness = Liveness::new(Instant::now());
                        self.last_ping = Instant::now();
                        self.relay_error = None;
                        queue.extend(self.engine.handle(Event::Connected));
                    }
                    // Retrying a refused token, a malformed address or an address that
                    // is not a relay's sync endpoint cannot help.
                    Err(e @ (SyncError::Unauthorized | SyncError::BadUrl(_) | SyncError::BadToken)) => return Err(e),
                    Err(e @ SyncError::HttpStatus { status, .. }) if is_final_status(status) => return Err(e),
                    Err(e) if self.mode == Mode::Once => return Err(e),
                    Err(e) => queue.extend(self.lost(e.to_string())?),
                },
                Action::Send(message) => {
                    let Some(socket) = self.socket.as_mut() else {
                        continue;
                    };
                    let pushed = match &message {
                        ClientMessage::Push { chunks } => chunks.len(),
                        _ => 0,
                    };
                    let timeout = self.remote.timeouts.send;
                    match tokio::time::timeout(timeout, connection::send(socket, &message)).await {
                        Err(_) => queue.extend(self.lost(stopped_reading(timeout))?),
                        Ok(Err(e)) => queue.extend(self.lost(connection::describe(&e))?),
                        Ok(Ok(())) if pushed > 0 => (self.on_event)(&SyncEvent::Pushed { chunks: pushed }),
                        Ok(Ok(())) => {}
                    }
                }
                Action::ReadOutbox => {
                    let chunks = self.ws.with(|w| w.outbox(OUTBOX_BATCH))?;
                    queue.extend(self.engine.handle(Event::Outbox(chunks)));
                    // Purges made here go out with the outbox, once per connection.
                    let purges: Vec<_> = self
                        .ws
                        .with(|w| w.pending_purges())?
                        .into_iter()
                        .filter(|d| !self.purges_sent.contains(d))
                        .collect();
                    if !purges.is_empty() && self.engine.is_online() {
                        self.purges_sent.extend(purges.iter().copied());
                        queue.push_back(Action::Send(ClientMessage::Purge { docs: purges }));
                    }
                }
                Action::SetAside { chunks } => {
                    let refused: Vec<(u64, String)> = chunks
                        .iter()
                        .map(|c| (c.id, format!("{}: {}", c.code.as_str(), c.message)))
                        .collect();
                    self.ws.with(|w| w.set_aside(&refused))?;
                    (self.on_event)(&SyncEvent::Refused { changes: chunks.len() });
                }
                Action::Erase { docs } => {
                    let purged: Vec<_> = docs.iter().map(|p| (p.doc, p.at_ms)).collect();
                    let erased = self.ws.with(|w| w.erase_purged(&purged))?;
                    self.liveness.was_busy(Instant::now());
                    self.totals.erased.extend(erased.iter().copied());
                    (self.on_event)(&SyncEvent::Purged {
                        documents: docs.len(),
                        erased,
                    });
                }
                Action::Apply {
                    snapshots,
                    entries,
                    cursor,
                } => {
                    let summary = self.ws.with(|w| w.apply_remote(&snapshots, &entries, cursor))?;
                    self.liveness.was_busy(Instant::now());
                    if self.mode == Mode::Watch && !self.search_backlog {
                        self.search_backlog = self.ws.with(|w| w.search_backlog())? > 0;
                    }
                    self.totals.received += snapshots.len() + entries.len();
                    self.totals.documents += summary.documents;
                    self.totals.unreadable += summary.unreadable;
                    self.totals.head = self.totals.head.max(cursor);
                    if self.mode == Mode::Watch && self.engine.is_caught_up() {
                        self.ws.with(mark_synced)?;
                    }
                    (self.on_event)(&SyncEvent::Applied {
                        documents: summary.documents,
                        snapshots: snapshots.len(),
                        entries: entries.len(),
                        cursor,
                    });
                    // A device that may write adds itself to the workspace's member list
                    // once it has the schema (a no-op when it is there): push that too.
                    if self.info.as_ref().is_some_and(|i| i.role.can_push()) {
                        self.ws.with(|w| w.ensure_member())?;
                    }
                    queue.extend(self.poll_outbox()?);
                }
                Action::NewEpoch { epoch, resync } => {
                    let requeue = self.info.as_ref().is_some_and(|i| i.role.can_push());
                    let requeued = self.ws.with(|w| w.adopt_sync_epoch(&epoch, resync, requeue))?;
                    self.liveness.was_busy(Instant::now());
                    if resync {
                        (self.on_event)(&SyncEvent::RelayRestored { requeued });
                    }
                }
                Action::Acknowledged { ids, cursor } => {
                    self.ws.with(|w| w.acknowledge(&ids, cursor))?;
                    self.totals.pushed += ids.len();
                    self.totals.head = self.totals.head.max(cursor);
                    if self.mode == Mode::Watch && self.engine.is_caught_up() {
                        self.ws.with(mark_synced)?;
                    }
                    (self.on_event)(&SyncEvent::Acknowledged {
                        chunks: ids.len(),
                        cursor,
                    });
                }
                Action::CaughtUp { head } => {
                    self.totals.head = self.totals.head.max(head);
                    self.ws.with(mark_synced)?;

                    (self.on_event)(&SyncEvent::CaughtUp { head });
                }
                Action::Disconnect { reason } => {
                    if let Some(mut socket) = self.socket.take() {
                        let _ = tokio::time::timeout(Duration::from_millis(200), socket.close(None)).await;
                    }
                    queue.extend(self.lost(reason)?);
                }
                Action::Stop { code, reason } => {
                    self.socket = None;
                    return Err(SyncError::Refused { code, reason });
                }
                Action::WaitUntil { now_ms } => self.wake_at = Some(now_ms),
            }
        }
        Ok(())
    }

    /// Closes the connection politely, without waiting long.
    async fn close(&mut self) {
        if let Some(mut socket) = self.socket.take() {
            let _ = tokio::time::timeout(Duration::from_secs(1), socket.close(None)).await;
        }
    }

    fn report(&mut self) -> Result<SyncReport, SyncError> {
        let info = self
            .info
            .clone()
            .ok_or_else(|| SyncError::ConnectionLost("the connection closed before the relay answered".into()))?;
        self.ws.with(mark_synced)?;
        let pending = self.ws.with(|w| w.outbox_len())?;
        let cursor = self.engine.cursor();
        Ok(SyncReport {
            workspace: info.workspace,
            role: info.role,
            pushed: self.totals.pushed,
            received: self.totals.received,
            documents: self.totals.documents,
            unreadable: self.totals.unreadable,
            cursor,
            head: self.totals.head.max(cursor),
            pending,
            erased: std::mem::take(&mut self.totals.erased),
        })
    }
}

/// Why a send that did not finish in time ended the connection.
fn stopped_reading(timeout: Duration) -> String {
    format!(
        "the relay did not take a message within {} seconds (it stopped reading)",
        timeout.as_secs_f64().round()
    )
}

/// HTTP answers to the upgrade that retrying cannot change: the address is not a
/// relay's sync endpoint (404), or something in front of it refuses (403). A relay
/// that is busy or restarting (408, 429, 5xx) is retried.
fn is_final_status(status: u16) -> bool {
    (400..500).contains(&status) && status != 408 && status != 429
}

/// The next frame of the connection; never completes while there is none.
async fn next_frame(socket: &mut Option<Socket>) -> Option<Result<Message, tungstenite::Error>> {
    match socket {
        Some(socket) => socket.next().await,
        None => std::future::pending().await,
    }
}

/// Sleeps until `at`; forever when there is nothing to wait for.
async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// A different seed per process, so devices do not reconnect in step.
fn jitter_seed() -> u64 {
    std::collections::hash_map::RandomState::new().hash_one(std::process::id())
}
