//! Sync: the wire protocol shared with the relay, and the device's sans-IO sync engine.

mod engine;
pub mod protocol;

pub use engine::{Action, Event, SyncEngine};
