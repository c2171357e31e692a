//! Shared test helpers for Kith's cross-crate tests, chiefly the deterministic multi-peer
//! sync harness: a relay and N devices connected by in-memory links, driven one message
//! at a time by a seeded scheduler. No sockets, no threads, no sleeps: a failing schedule
//! replays exactly from its seed.

#![warn(clippy::unwrap_used)]

mod harness;
mod memory_relay;

pub use harness::{Faults, Harness, PeerId};
pub use memory_relay::{ConnId, MemoryRelay};
