//! # kith-relay
//!
//! The relay that Kith devices sync through: it keeps one append-only log of
//! Automerge change chunks per workspace, hands out log positions, and streams new
//! entries to every connected device of the workspace. It never interprets documents
//! beyond checking that a chunk is Automerge. The wire protocol is
//! `docs/sync-protocol.md`; operating it is `docs/self-hosting.md`.
//!
//! ## Architecture
//!
//! * `store/`: durable state behind the `LogStore` trait; redb is the embedded default
//!   (one file, tables in `store/tables.rs`). Every write is durable on return.
//! * `hub.rs`: live state. One writer task per workspace assigns seqs and, after each
//!   durable commit, puts one shared batch into the ordered queue of every connection
//!   of the workspace.
//! * `session.rs`: one connection's protocol state machine (hello, push, pull with
//!   backlog then live entries, limits), generic over a `Sink`/`Stream` of frames.
//! * `server.rs`: the axum router ([`app`]) and [`serve`] with graceful shutdown;
//!   `admin_api.rs` / [`AdminClient`]: administration while serving.
//! * `compaction.rs`: folds old entries of busy documents into snapshots.
//!
//! ## Example: a relay in-process
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use kith_relay::{Config, Relay, Role};
//!
//! let relay = Relay::in_memory(Config::default())?;
//! let (workspace, owner) = relay.create_workspace("Acme")?;
//! let viewer = relay.create_token(workspace.id, Role::Viewer)?;
//! // Devices connect to ws://ADDR/v1/sync with `Authorization: Bearer {owner.secret}`.
//!
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
//! let server = tokio::spawn(kith_relay::serve(listener, relay.clone(), async move {
//!     let _ = stopped.await;
//! }));
//! // ... sync ...
//! let _ = stop.send(());
//! server.await??;
//! # let _ = (owner, viewer);
//! # Ok(())
//! # }
//! ```

mod admin_api;
mod admin_client;
mod auth;
mod compaction;
mod config;
mod error;
mod hub;
mod ids;
mod listener;
mod metrics;
mod relay;
mod server;
mod session;
mod store;

pub use admin_client::{AdminAddress, AdminClient, AdminClientError};
pub use auth::RandomError;
pub use config::{CompactionSettings, Config, ConfigError, ENV_PREFIX, Limits, MetricsSettings};
pub use error::{RelayError, ServeError};
pub use ids::{ParseIdError, TokenId, WorkspaceId};
pub use kith_core::sync::protocol::Role;
pub use relay::{ADDR_FILE, ADMIN_SECRET_FILE, CompactionReport, DB_FILE, NewToken, Relay, TokenInfo, WorkspaceInfo};
pub use server::{app, serve};
pub use store::StoreError;
