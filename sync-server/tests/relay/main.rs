//! The relay over real WebSockets: servers bind 127.0.0.1:0, devices are
//! tokio-tungstenite clients speaking the protocol with real Automerge chunks.

mod admin;
mod auth;
mod common;
mod compaction;
mod connections;
mod faults;
mod hostile;
mod http;
mod limits;
mod persistence;
mod sync;
