//! How the connector reaches the workspace: [`WorkspaceAccess`].

use std::sync::{Mutex, PoisonError};

use kith_core::Workspace;

/// Where the connector finds the workspace it syncs.
///
/// * `&mut Workspace`: the connector has it to itself (`kith sync`, `kith join`).
/// * `&Mutex<Workspace>`: shared with code that edits it meanwhile (the web UI, tests).
///   The connector locks it only for the length of one local transaction, never across
///   a network wait, and notices new local changes by looking at the outbox every
///   500 ms.
pub trait WorkspaceAccess {
    /// Runs `f` with the workspace.
    fn with<T>(&mut self, f: impl FnOnce(&mut Workspace) -> T) -> T;
}

impl WorkspaceAccess for &mut Workspace {
    fn with<T>(&mut self, f: impl FnOnce(&mut Workspace) -> T) -> T {
        f(self)
    }
}

impl WorkspaceAccess for &Mutex<Workspace> {
    fn with<T>(&mut self, f: impl FnOnce(&mut Workspace) -> T) -> T {
        // A panic elsewhere while holding the lock leaves the workspace as consistent
        // as its last committed transaction: every write is one redb transaction.
        let mut guard = self.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut guard)
    }
}
