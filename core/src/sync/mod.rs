//! Sync: the wire protocol shared with the relay, and the device's sans-IO sync engine.

pub mod chunk;
mod engine;
pub mod protocol;

pub use chunk::{ChunkError, check_chunk_bounds, verify_chunk};
pub use engine::{Action, Event, SyncEngine};
