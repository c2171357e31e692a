//! The deterministic multi-peer harness: named peers, in-memory links to a
//! [`MemoryRelay`], a seeded scheduler that delivers one message at a time, and fault
//! injection (dropped connections, duplicated frames, restarts).
//!
//! Links model WebSocket connections: frames on one connection arrive in order or the
//! connection breaks; what is reordered is everything *between* connections and peers
//! (which device's frame the relay sees first, stale connections, reconnects).

use std::collections::VecDeque;
use std::path::PathBuf;

use kith_core::sync::protocol::{ClientMessage, Role, ServerMessage};
use kith_core::sync::{Action, Event, SyncEngine};
use kith_core::{CreateOptions, DocId, Workspace};

use crate::memory_relay::{ConnId, MemoryRelay};
use crate::relay_link::RelayLink;

/// What a replica holds, for comparing: name, document heads, derived tables.
type Replica = (
    String,
    Vec<(DocId, Vec<automerge::ChangeHash>)>,
    Vec<kith_core::DerivedEntry>,
);

/// Index of a peer in the harness.
pub type PeerId = usize;

/// How often things go wrong, per delivered frame.
#[derive(Debug, Clone, Copy, Default)]
pub struct Faults {
    /// Chance that, instead of a delivery, the connection breaks (frames in flight lost).
    pub drop: f64,
    /// Chance that a frame is delivered twice.
    pub duplicate: f64,
}

struct Link {
    conn: ConnId,
    to_relay: VecDeque<ClientMessage>,
    to_peer: VecDeque<ServerMessage>,
}

struct Peer {
    name: String,
    ws: Workspace,
    engine: SyncEngine,
    link: Option<Link>,
    role: Role,
    /// Whether this device may connect at all (the "offline" switch).
    network: bool,
    wake_at: Option<u64>,
    /// Where its workspace file lives, for restarts.
    dir: Option<PathBuf>,
    stopped: Option<String>,
}

/// The relay, the peers and a seeded scheduler.
pub struct Harness {
    /// The in-memory model, or the real relay ([`crate::RealRelay`]).
    pub relay: Box<dyn RelayLink>,
    peers: Vec<Peer>,
    rng: u64,
    now: u64,
    faults: Faults,
    /// Every chunk the relay acknowledged, to check nothing acknowledged is lost.
    acknowledged: Vec<(DocId, Vec<u8>)>,
    _dirs: Vec<tempfile::TempDir>,
}

impl Harness {
    /// A harness whose relay keeps its log in a redb file, so `restart_relay` reloads it
    /// from disk.
    pub fn with_relay_on_disk(seed: u64) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut harness = Harness::new(seed);
        harness.relay = Box::new(MemoryRelay::on_disk(&dir.path().join("relay.redb")));
        harness._dirs.push(dir);
        harness
    }

    /// A harness over another relay (the real one: [`crate::RealRelay`]).
    pub fn with_relay(seed: u64, relay: Box<dyn RelayLink>) -> Self {
        let mut harness = Harness::new(seed);
        harness.relay = relay;
        harness
    }

    /// A harness whose scheduler is seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Harness {
            relay: Box::new(MemoryRelay::new()),
            peers: Vec::new(),
            rng: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
            now: 0,
            faults: Faults::default(),
            acknowledged: Vec::new(),
            _dirs: Vec::new(),
        }
    }

    pub fn set_faults(&mut self, faults: Faults) {
        self.faults = faults;
    }

    fn random(&mut self) -> u64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng
    }

    fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && (self.random() % 1_000_000) as f64 / 1_000_000.0 < p
    }

    fn add(&mut self, name: &str, ws: Workspace, dir: Option<PathBuf>, role: Role) -> PeerId {
        let cursor = ws.sync_cursor().unwrap_or(0);
        let seed = self.random();
        self.peers.push(Peer {
            name: name.to_string(),
            ws,
            engine: SyncEngine::new(cursor, name, seed),
            link: None,
            role,
            network: true,
            wake_at: None,
            dir,
            stopped: None,
        });
        let id = self.peers.len() - 1;
        let actions = self.peers[id].engine.start();
        self.perform(id, actions);
        id
    }

    /// The first device: creates the workspace (standard objects) in memory.
    pub fn add_founder(&mut self, name: &str) -> PeerId {
        let ws = Workspace::in_memory(CreateOptions::new(name)).expect("workspace");
        self.add(name, ws, None, Role::Owner)
    }

    /// A device that joins from the relay with an empty in-memory replica.
    pub fn add_joiner(&mut self, name: &str, role: Role) -> PeerId {
        let ws = Workspace::in_memory_replica(name).expect("replica");
        self.add(name, ws, None, role)
    }

    /// Like `add_founder` / `add_joiner`, with the workspace in a file, so the device can
    /// be restarted from it.
    pub fn add_on_disk(&mut self, name: &str, founder: bool) -> PeerId {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(name);
        let ws = if founder {
            Workspace::create(&path, CreateOptions::new(name))
        } else {
            Workspace::create_replica(&path, name)
        }
        .expect("workspace");
        self._dirs.push(dir);
        self.add(name, ws, Some(path), Role::Member)
    }

    pub fn ws(&mut self, peer: PeerId) -> &mut Workspace {
        &mut self.peers[peer].ws
    }

    pub fn name(&self, peer: PeerId) -> &str {
        &self.peers[peer].name
    }

    pub fn peer_count(&self) -> usize {
        self.peers.len()
    }

    /// Why a peer stopped syncing for good, if it did.
    pub fn stopped(&self, peer: PeerId) -> Option<&str> {
        self.peers[peer].stopped.as_deref()
    }

    /// Tells the peer's engine that its outbox grew (call after local edits).
    pub fn local_change(&mut self, peer: PeerId) {
        let actions = self.peers[peer].engine.handle(Event::LocalChange);
        self.perform(peer, actions);
    }

    /// Cuts a peer off the network (it keeps working locally) or puts it back.
    pub fn set_online(&mut self, peer: PeerId, online: bool) {
        self.peers[peer].network = online;
        if !online {
            self.break_link(peer);
        } else if self.peers[peer].link.is_none() {
            let now = self.now;
            let actions = self.peers[peer].engine.handle(Event::Tick {
                now_ms: now + 1_000_000,
            });
            self.perform(peer, actions);
        }
    }

    /// Takes these devices off the network (they keep working locally).
    pub fn go_offline(&mut self, peers: &[PeerId]) {
        for peer in peers {
            self.set_online(*peer, false);
        }
    }

    /// Puts these devices back on the network, tells each its outbox may have grown,
    /// and runs until everything has settled.
    pub fn reconnect_and_settle(&mut self, peers: &[PeerId]) {
        for peer in peers {
            self.set_online(*peer, true);
        }
        for peer in peers {
            self.local_change(*peer);
        }
        self.run_until_quiescent();
    }

    /// Restarts a device from its workspace file: memory (engine, cache, link) is lost.
    pub fn restart_peer(&mut self, peer: PeerId) {
        self.break_link(peer);
        let Some(path) = self.peers[peer].dir.clone() else {
            return;
        };
        // Drop the old workspace (closing the file) before opening it again.
        let placeholder = Workspace::in_memory_replica("restarting").expect("replica");
        drop(std::mem::replace(&mut self.peers[peer].ws, placeholder));
        let ws = Workspace::open(&path).expect("reopen");
        let cursor = ws.sync_cursor().unwrap_or(0);
        let seed = self.random();
        let name = self.peers[peer].name.clone();
        self.peers[peer].ws = ws;
        self.peers[peer].engine = SyncEngine::new(cursor, &name, seed);
        self.peers[peer].wake_at = None;
        let actions = self.peers[peer].engine.start();
        self.perform(peer, actions);
    }

    /// Restarts the relay: every connection breaks; the durable log stays.
    pub fn restart_relay(&mut self) {
        for peer in 0..self.peers.len() {
            self.break_link(peer);
        }
        self.relay.restart();
    }

    fn break_link(&mut self, peer: PeerId) {
        if let Some(link) = self.peers[peer].link.take() {
            self.relay.disconnect(link.conn);
            let now = self.now;
            let actions = self.peers[peer].engine.handle(Event::Disconnected { now_ms: now });
            self.perform(peer, actions);
        }
    }

    fn perform(&mut self, peer: PeerId, actions: Vec<Action>) {
        let mut queue: VecDeque<Action> = actions.into();
        while let Some(action) = queue.pop_front() {
            let p = &mut self.peers[peer];
            match action {
                Action::Connect => {
                    if p.network {
                        let conn = self.relay.connect(p.role);
                        p.link = Some(Link {
                            conn,
                            to_relay: VecDeque::new(),
                            to_peer: VecDeque::new(),
                        });
                        queue.extend(p.engine.handle(Event::Connected));
                    } else {
                        let now = self.now;
                        queue.extend(p.engine.handle(Event::Disconnected { now_ms: now }));
                    }
                }
                Action::Send(message) => {
                    if let Some(link) = &mut p.link {
                        link.to_relay.push_back(message);
                    }
                }
                Action::ReadOutbox => {
                    let outbox = p.ws.outbox(500).expect("outbox");
                    queue.extend(p.engine.handle(Event::Outbox(outbox)));
                }
                Action::Apply {
                    snapshots,
                    entries,
                    cursor,
                } => {
                    p.ws.apply_remote(&snapshots, &entries, cursor).expect("apply");
                    // Like the connector, index the words of a bulk apply right after it
                    // (in two steps, so that stepping is exercised too).
                    while p.ws.index_search_backlog(400).expect("search backlog") > 0 {}
                    // A device that may write adds itself to the member list once it
                    // has the schema (the engine reads the outbox after every apply).
                    if p.role.can_push() {
                        p.ws.ensure_member().expect("member");
                    }
                }
                Action::Acknowledged { ids, cursor } => {
                    p.ws.acknowledge(&ids, cursor).expect("acknowledge");
                }
                Action::NewEpoch { epoch, resync } => {
                    p.ws.adopt_sync_epoch(&epoch, resync, p.role.can_push()).expect("epoch");
                }
                Action::SetAside { chunks } => {
                    let refused: Vec<(u64, String)> = chunks.iter().map(|c| (c.id, c.message.clone())).collect();
                    p.ws.set_aside(&refused).expect("set aside");
                }
                Action::Erase { docs } => {
                    let purged: Vec<_> = docs.iter().map(|p| (p.doc, p.at_ms)).collect();
                    p.ws.erase_purged(&purged).expect("erase");
                }
                Action::CaughtUp { .. } => {}
                Action::Disconnect { .. } => {
                    if let Some(link) = p.link.take() {
                        self.relay.disconnect(link.conn);
                    }
                    let now = self.now;
                    let p = &mut self.peers[peer];
                    queue.extend(p.engine.handle(Event::Disconnected { now_ms: now }));
                }
                Action::Stop { reason, .. } => {
                    if let Some(link) = p.link.take() {
                        self.relay.disconnect(link.conn);
                    }
                    p.stopped = Some(reason);
                }
                Action::WaitUntil { now_ms } => p.wake_at = Some(now_ms),
            }
        }
    }

    /// Delivers one frame chosen at random among all links; false when none is in flight.
    pub fn step(&mut self) -> bool {
        let mut ready: Vec<(PeerId, bool)> = Vec::new();
        for (i, p) in self.peers.iter().enumerate() {
            if let Some(link) = &p.link {
                if !link.to_relay.is_empty() {
                    ready.push((i, true));
                }
                if !link.to_peer.is_empty() {
                    ready.push((i, false));
                }
            }
        }
        if ready.is_empty() {
            return false;
        }
        let (peer, upstream) = ready[(self.random() % ready.len() as u64) as usize];
        if self.chance(self.faults.drop) {
            self.break_link(peer);
            return true;
        }
        let duplicate = self.chance(self.faults.duplicate);
        let Some(link) = self.peers[peer].link.as_mut() else {
            return true;
        };
        if upstream {
            let Some(message) = (if duplicate {
                link.to_relay.front().cloned()
            } else {
                link.to_relay.pop_front()
            }) else {
                return true;
            };
            let conn = link.conn;
            let out = self.relay.handle(conn, message);
            self.route(out);
            if !self.relay.is_connected(conn) {
                // The relay closed the connection (after an error it queued first).
                if let Some(p) = self
                    .peers
                    .iter_mut()
                    .find(|p| p.link.as_ref().is_some_and(|l| l.conn == conn))
                    && let Some(link) = &mut p.link
                {
                    link.to_relay.clear();
                }
            }
        } else {
            let Some(message) = (if duplicate {
                link.to_peer.front().cloned()
            } else {
                link.to_peer.pop_front()
            }) else {
                return true;
            };
            let is_error = matches!(message, ServerMessage::Error { .. });
            let actions = self.peers[peer].engine.handle(Event::Received(message));
            self.perform(peer, actions);
            if is_error && self.peers[peer].link.is_some() {
                self.break_link(peer);
            }
        }
        true
    }

    fn route(&mut self, out: Vec<(ConnId, ServerMessage)>) {
        for (conn, message) in out {
            if let ServerMessage::Ack { acks } = &message {
                for ack in acks {
                    if let Some(chunk) = self.relay.acknowledged(ack.seq) {
                        self.acknowledged.push(chunk);
                    }
                }
            }
            if let Some(p) = self
                .peers
                .iter_mut()
                .find(|p| p.link.as_ref().is_some_and(|l| l.conn == conn))
                && let Some(link) = &mut p.link
            {
                link.to_peer.push_back(message);
            }
        }
    }

    /// Delivers up to `n` frames (fewer if the links run dry).
    pub fn run_steps(&mut self, n: usize) {
        for _ in 0..n {
            if !self.step() {
                return;
            }
        }
    }

    /// Runs until no frame is in flight, every peer that may connect is connected and
    /// caught up, and no outbox holds anything its peer may push. Advances the virtual
    /// clock to fire reconnect timers. Panics if that does not happen within `max_steps`.
    pub fn run_until_quiescent(&mut self) {
        let max_steps = 2_000_000;
        for _ in 0..max_steps {
            if self.step() {
                continue;
            }
            if self.is_settled() {
                return;
            }
            // Nothing in flight: fire the earliest timer.
            let next = self
                .peers
                .iter()
                .filter(|p| p.network && p.link.is_none() && p.stopped.is_none())
                .filter_map(|p| p.wake_at)
                .min();
            match next {
                Some(at) => {
                    self.now = self.now.max(at);
                    for peer in 0..self.peers.len() {
                        let p = &self.peers[peer];
                        if p.network && p.link.is_none() && p.wake_at.is_some_and(|w| w <= self.now) {
                            self.peers[peer].wake_at = None;
                            let now = self.now;
                            let actions = self.peers[peer].engine.handle(Event::Tick { now_ms: now });
                            self.perform(peer, actions);
                        }
                    }
                }
                None => {
                    // Connected but idle with a non-empty outbox: nudge the engine.
                    for peer in 0..self.peers.len() {
                        self.local_change(peer);
                    }
                    if !self
                        .peers
                        .iter()
                        .any(|p| p.link.as_ref().is_some_and(|l| !l.to_relay.is_empty()))
                    {
                        panic!("harness stuck: {}", self.describe());
                    }
                }
            }
        }
        panic!("harness did not settle: {}", self.describe());
    }

    fn is_settled(&self) -> bool {
        self.peers.iter().all(|p| {
            if !p.network || p.stopped.is_some() {
                return true;
            }
            let outbox_done = !p.role.can_push() || p.ws.outbox_len().unwrap_or(1) == 0;
            p.link.is_some() && p.engine.is_caught_up() && p.engine.in_flight() == 0 && outbox_done
        })
    }

    fn describe(&self) -> String {
        self.peers
            .iter()
            .map(|p| {
                format!(
                    "{}: network={} linked={} caught_up={} in_flight={} outbox={:?} stopped={:?}",
                    p.name,
                    p.network,
                    p.link.is_some(),
                    p.engine.is_caught_up(),
                    p.engine.in_flight(),
                    p.ws.outbox_len(),
                    p.stopped
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Asserts every online peer holds the same documents (same heads) and the same
    /// derived tables, and that every acknowledged chunk is in every replica.
    pub fn assert_converged(&mut self) {
        let mut reference: Option<Replica> = None;
        for p in self.peers.iter_mut().filter(|p| p.network && p.stopped.is_none()) {
            let heads = p.ws.document_heads().expect("heads");
            let derived = p.ws.dump_derived().expect("derived");
            match &reference {
                None => reference = Some((p.name.clone(), heads, derived)),
                Some((name, h, d)) => {
                    assert!(h == &heads, "documents of {} and {} differ", name, p.name);
                    assert!(d == &derived, "rows or indexes of {} and {} differ", name, p.name);
                }
            }
        }
        for (doc, data) in &self.acknowledged {
            for p in self.peers.iter().filter(|p| p.network && p.stopped.is_none()) {
                let bytes =
                    p.ws.document_bytes(*doc)
                        .expect("read")
                        .unwrap_or_else(|| panic!("{} misses document {doc}", p.name));
                let mut loaded = automerge::AutoCommit::load(&bytes).expect("load");
                let before = loaded.get_heads();
                loaded.load_incremental(data).expect("chunk");
                assert_eq!(
                    before,
                    loaded.get_heads(),
                    "{} misses an acknowledged change of {doc}",
                    p.name
                );
            }
        }
    }
}
