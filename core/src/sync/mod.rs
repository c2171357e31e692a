//! Sync: the wire protocol shared with the relay, and the device's sans-IO sync engine.

pub mod protocol;
