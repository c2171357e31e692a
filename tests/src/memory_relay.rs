//! A relay that lives in memory and follows `docs/sync-protocol.md`: one log per
//! workspace, deduplication by chunk bytes, acknowledgement after append, pull with
//! backlog then live entries, fan-out to everyone but the sender, one ordered stream per
//! connection. The real relay (`kith-relay`) is tested against the same protocol over
//! sockets; this one lets the harness run thousands of schedules quickly.
//!
//! With [`MemoryRelay::on_disk`] the log is also written to a redb file before anything
//! is acknowledged, and [`MemoryRelay::restart`] reloads it from that file, so a restart
//! loses exactly what a crash would.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};

use kith_core::DocId;
use kith_core::sync::protocol::{
    Acked, ClientMessage, Entry, ErrorCode, Limits, PROTOCOL_VERSION, Role, ServerMessage,
};

/// A connection's id.
pub type ConnId = u64;

#[derive(Debug)]
struct Conn {
    role: Role,
    greeted: bool,
    subscribed: bool,
}

/// The in-memory relay of one workspace.
#[derive(Default)]
pub struct MemoryRelay {
    log: Vec<Entry>,
    dedup: HashMap<(DocId, Vec<u8>), u64>,
    conns: BTreeMap<ConnId, Conn>,
    next_conn: ConnId,
    /// The durable copy of the log, when the relay is on disk.
    file: Option<(PathBuf, Database)>,
}

/// seq → doc id (16 bytes) ‖ chunk.
const LOG: TableDefinition<u64, &[u8]> = TableDefinition::new("log");

impl MemoryRelay {
    pub fn new() -> Self {
        Self::default()
    }

    /// A relay whose log lives in a redb file at `path` (created if missing).
    pub fn on_disk(path: &Path) -> Self {
        let mut relay = MemoryRelay::default();
        relay.open_file(path);
        relay
    }

    fn open_file(&mut self, path: &Path) {
        let db = Database::create(path).expect("relay file");
        self.log.clear();
        self.dedup.clear();
        {
            let tx = db.begin_read().expect("read");
            if let Ok(table) = tx.open_table(LOG) {
                for entry in table.iter().expect("iter") {
                    let (seq, value) = entry.expect("entry");
                    let bytes = value.value();
                    let doc = kith_core::DocId::from_slice(bytes).expect("doc id");
                    let data = bytes[16..].to_vec();
                    self.dedup.insert((doc, data.clone()), seq.value());
                    self.log.push(Entry {
                        seq: seq.value(),
                        doc,
                        data,
                    });
                }
            }
        }
        self.file = Some((path.to_path_buf(), db));
    }

    /// Appends entries to the file in one durable transaction (before any ack).
    fn persist(&self, fresh: &[Entry]) {
        let Some((_, db)) = &self.file else { return };
        let tx = db.begin_write().expect("write");
        {
            let mut table = tx.open_table(LOG).expect("table");
            for e in fresh {
                let mut value = e.doc.as_bytes().to_vec();
                value.extend_from_slice(&e.data);
                table.insert(e.seq, value.as_slice()).expect("insert");
            }
        }
        tx.commit().expect("commit");
    }

    /// The log head (number of entries).
    pub fn head(&self) -> u64 {
        self.log.len() as u64
    }

    /// Every entry ever acknowledged (the log is durable before any ack).
    pub fn log(&self) -> &[Entry] {
        &self.log
    }

    /// A new authenticated connection with `role`.
    pub fn connect(&mut self, role: Role) -> ConnId {
        self.next_conn += 1;
        self.conns.insert(
            self.next_conn,
            Conn {
                role,
                greeted: false,
                subscribed: false,
            },
        );
        self.next_conn
    }

    pub fn disconnect(&mut self, conn: ConnId) {
        self.conns.remove(&conn);
    }

    /// A restart: every connection is gone; an on-disk relay reloads its log from its
    /// file (an in-memory one keeps it, as if it were durable).
    pub fn restart(&mut self) {
        self.conns.clear();
        if let Some((path, db)) = self.file.take() {
            drop(db);
            self.open_file(&path);
        }
    }

    pub fn is_connected(&self, conn: ConnId) -> bool {
        self.conns.contains_key(&conn)
    }

    /// Handles one message; returns what to send to which connection, in order. An
    /// `Error` to the sender means it is disconnected.
    pub fn handle(&mut self, from: ConnId, message: ClientMessage) -> Vec<(ConnId, ServerMessage)> {
        let Some(conn) = self.conns.get_mut(&from) else {
            return Vec::new();
        };
        let refuse = |code, message: &str| {
            vec![(
                from,
                ServerMessage::Error {
                    code,
                    message: message.to_string(),
                },
            )]
        };
        match message {
            ClientMessage::Hello { versions, .. } => {
                if !versions.contains(&PROTOCOL_VERSION) {
                    self.conns.remove(&from);
                    return refuse(ErrorCode::UnsupportedVersion, "no common protocol version");
                }
                conn.greeted = true;
                let role = conn.role;
                vec![(
                    from,
                    ServerMessage::Welcome {
                        version: PROTOCOL_VERSION,
                        workspace: "memory".into(),
                        role,
                        head: self.head(),
                        epoch: "memory".into(),
                        limits: Limits::default(),
                    },
                )]
            }
            _ if !conn.greeted => {
                self.conns.remove(&from);
                refuse(ErrorCode::Malformed, "hello first")
            }
            ClientMessage::Pull { after } => {
                conn.subscribed = true;
                let backlog: Vec<Entry> = self.log.iter().filter(|e| e.seq > after).cloned().collect();
                let mut out = Vec::new();
                for batch in backlog.chunks(64) {
                    out.push((
                        from,
                        ServerMessage::Entries {
                            entries: batch.to_vec(),
                        },
                    ));
                }
                out.push((from, ServerMessage::CaughtUp { head: self.head() }));
                out
            }
            // Purges are not modelled here (the real relay's tests cover them).
            ClientMessage::Purge { .. } => Vec::new(),
            ClientMessage::Push { chunks } => {
                if !conn.role.can_push() {
                    self.conns.remove(&from);
                    return refuse(ErrorCode::Forbidden, "viewers cannot push");
                }
                let mut acks = Vec::new();
                let mut fresh = Vec::new();
                for chunk in chunks {
                    let key = (chunk.doc, chunk.data.clone());
                    let seq = match self.dedup.get(&key) {
                        Some(seq) => *seq,
                        None => {
                            let seq = self.log.len() as u64 + 1;
                            let entry = Entry {
                                seq,
                                doc: chunk.doc,
                                data: chunk.data.clone(),
                            };
                            self.log.push(entry.clone());
                            self.dedup.insert(key, seq);
                            fresh.push(entry);
                            seq
                        }
                    };
                    acks.push(Acked { id: chunk.id, seq });
                }
                // Durable before acknowledged.
                self.persist(&fresh);
                let mut out = vec![(from, ServerMessage::Ack { acks })];
                if !fresh.is_empty() {
                    for (id, other) in &self.conns {
                        if *id != from && other.subscribed {
                            out.push((*id, ServerMessage::Entries { entries: fresh.clone() }));
                        }
                    }
                }
                out
            }
        }
    }
}
