//! The sync connector: keeps a workspace in step with a relay over a WebSocket.
//!
//! kith-core's [`SyncEngine`](kith_core::sync::SyncEngine) decides what to do (it is
//! sans-IO); this module is its runtime: it opens the connection (`connection.rs`),
//! carries out the engine's actions against the workspace and the socket, and times
//! reconnects (`driver.rs`). The wire protocol is in `docs/sync-protocol.md`.
//!
//! * [`sync_once`]: push, pull, return when caught up (`kith sync`, `kith join`).
//! * [`sync_watch`]: stay connected until told to stop (`kith sync --watch`, the web UI).
//! * [`check_remote`]: greet a relay and return its welcome (`kith remote set`,
//!   `kith status`).
//! * [`Remote`] and [`local_state`]: the relay address and token, the relay workspace
//!   id and the last sync time, all kept as settings in the workspace file.
//!
//! ```no_run
//! # async fn example(ws: &mut kith_core::Workspace) -> Result<(), kith::sync::SyncError> {
//! use kith::sync::{Remote, sync_once};
//!
//! let remote = Remote::new("https://relay.example.com", "kr_...")?;
//! remote.save(ws)?;
//! let report = sync_once(ws, &remote, |_event| {}).await?;
//! println!("pushed {}, received {}", report.pushed, report.received);
//! # Ok(())
//! # }
//! ```

mod access;
mod connection;
mod driver;
mod error;
mod liveness;
mod remote;

pub use access::WorkspaceAccess;
pub use connection::check_remote;
pub use driver::{SEARCH_INDEX_STEP, SyncEvent, SyncReport, sync_once, sync_watch};
pub use error::SyncError;
pub use liveness::Timeouts;
pub(crate) use remote::adopt_relay_workspace;
pub use remote::{LocalSyncState, Remote, RemoteInfo, local_state};
