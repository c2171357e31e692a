//! Shared test helpers for Kith's cross-crate tests, chiefly the deterministic multi-peer
//! sync harness: a relay and N devices connected by in-memory links, driven one message
//! at a time by a seeded scheduler. No sockets, no threads, no sleeps: a failing schedule
//! replays exactly from its seed. The same schedules also run against the real relay
//! (`RealRelay`: kith-relay over loopback WebSockets, compaction on, restarts from its
//! redb file).

#![warn(clippy::unwrap_used)]

mod harness;
mod memory_relay;
mod real_relay;
mod relay_link;

pub use harness::{Faults, Harness, PeerId};
pub use memory_relay::{ConnId, MemoryRelay};
pub use real_relay::RealRelay;
pub use relay_link::RelayLink;
