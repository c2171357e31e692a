//! What the harness needs from a relay: connections that take one client message at a
//! time and return, synchronously, everything the relay sends because of it. The
//! in-memory model ([`crate::MemoryRelay`]) and the real `kith-relay` driven over
//! loopback WebSockets ([`crate::RealRelay`]) both provide it, so every schedule can run
//! against either.

use kith_core::DocId;
use kith_core::sync::protocol::{ClientMessage, Role, ServerMessage};

use crate::memory_relay::{ConnId, MemoryRelay};

pub trait RelayLink {
    /// A new authenticated connection with `role`.
    fn connect(&mut self, role: Role) -> ConnId;
    fn disconnect(&mut self, conn: ConnId);
    /// Every connection breaks; the relay comes back from its durable state.
    fn restart(&mut self);
    fn is_connected(&self, conn: ConnId) -> bool;
    /// Handles one message; returns what the relay sent to which connection, in order,
    /// once every subscribed connection has everything the log holds. An `Error` to the
    /// sender means it is disconnected.
    fn handle(&mut self, from: ConnId, message: ClientMessage) -> Vec<(ConnId, ServerMessage)>;
    /// The chunk the relay acknowledged at log position `seq`.
    fn acknowledged(&self, seq: u64) -> Option<(DocId, Vec<u8>)>;
}

impl RelayLink for MemoryRelay {
    fn connect(&mut self, role: Role) -> ConnId {
        MemoryRelay::connect(self, role)
    }

    fn disconnect(&mut self, conn: ConnId) {
        MemoryRelay::disconnect(self, conn);
    }

    fn restart(&mut self) {
        MemoryRelay::restart(self);
    }

    fn is_connected(&self, conn: ConnId) -> bool {
        MemoryRelay::is_connected(self, conn)
    }

    fn handle(&mut self, from: ConnId, message: ClientMessage) -> Vec<(ConnId, ServerMessage)> {
        MemoryRelay::handle(self, from, message)
    }

    fn acknowledged(&self, seq: u64) -> Option<(DocId, Vec<u8>)> {
        let entry = self.log().get(usize::try_from(seq).ok()?.checked_sub(1)?)?;
        Some((entry.doc, entry.data.clone()))
    }
}
