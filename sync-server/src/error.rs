//! The public error types of the relay: one per layer.

use std::path::PathBuf;

use crate::auth::RandomError;
use crate::ids::WorkspaceId;
use crate::store::StoreError;

/// An operation on a [`Relay`](crate::Relay) that failed.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot use the data directory {path}: {source}")]
    DataDir { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Random(#[from] RandomError),
    #[error("no workspace {0}")]
    UnknownWorkspace(WorkspaceId),
    #[error("a workspace name must have 1 to 200 characters and no control characters")]
    InvalidName,
    #[error("a background task failed: {0}")]
    Task(String),
}

impl RelayError {
    /// The database is held by another process (a running `kith-relay serve`).
    pub fn is_locked(&self) -> bool {
        matches!(self, RelayError::Store(StoreError::Locked))
    }
}

/// Serving stopped because of an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("the listener failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("cannot write {path}: {source}")]
    AddrFile { path: PathBuf, source: std::io::Error },
}
