//! A relay that lives in memory and follows `docs/sync-protocol.md`: one log per
//! workspace, deduplication by chunk bytes, acknowledgement after append, pull with
//! backlog then live entries, fan-out to everyone but the sender, one ordered stream per
//! connection. The real relay (`kith-relay`) is tested against the same protocol over
//! sockets; this one lets the harness run thousands of schedules quickly.

use std::collections::{BTreeMap, HashMap};

use kith_core::sync::protocol::{Acked, ClientMessage, Entry, ErrorCode, PROTOCOL_VERSION, Role, ServerMessage};

/// A connection's id.
pub type ConnId = u64;

#[derive(Debug)]
struct Conn {
    role: Role,
    greeted: bool,
    subscribed: bool,
}

/// The in-memory relay of one workspace.
#[derive(Debug, Default)]
pub struct MemoryRelay {
    log: Vec<Entry>,
    dedup: HashMap<Vec<u8>, u64>,
    conns: BTreeMap<ConnId, Conn>,
    next_conn: ConnId,
}

impl MemoryRelay {
    pub fn new() -> Self {
        Self::default()
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

    /// A restart: every connection is gone, the log stays (it was durable).
    pub fn restart(&mut self) {
        self.conns.clear();
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
            ClientMessage::Push { chunks } => {
                if !conn.role.can_push() {
                    self.conns.remove(&from);
                    return refuse(ErrorCode::Forbidden, "viewers cannot push");
                }
                let mut acks = Vec::new();
                let mut fresh = Vec::new();
                for chunk in chunks {
                    let seq = match self.dedup.get(&chunk.data) {
                        Some(seq) => *seq,
                        None => {
                            let seq = self.log.len() as u64 + 1;
                            let entry = Entry {
                                seq,
                                doc: chunk.doc,
                                data: chunk.data.clone(),
                            };
                            self.log.push(entry.clone());
                            self.dedup.insert(chunk.data, seq);
                            fresh.push(entry);
                            seq
                        }
                    };
                    acks.push(Acked { id: chunk.id, seq });
                }
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
