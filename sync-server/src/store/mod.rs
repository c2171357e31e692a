//! Durable state of the relay behind one trait, [`LogStore`]: workspaces, tokens, and
//! per workspace an append-only log of change chunks plus compacted snapshots.
//!
//! The embedded default is redb ([`RedbStore`]); a simple in-memory model
//! (`MemoryStore`, tests only) runs the same conformance test, which is what would
//! keep a later PostgreSQL store honest. The trait is synchronous: callers on the async
//! side run it on a blocking thread.

use std::path::{Path, PathBuf};

use kith_core::DocId;
use kith_core::sync::protocol::{Entry, Purged, Role, Snapshot};

use crate::ids::{TokenId, WorkspaceId};

#[cfg(test)]
mod conformance;
#[cfg(test)]
mod memory;
mod redb_store;
mod tables;

#[cfg(test)]
pub(crate) use memory::MemoryStore;
pub(crate) use redb_store::RedbStore;

/// A workspace as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WorkspaceRecord {
    pub(crate) id: WorkspaceId,
    pub(crate) name: String,
    pub(crate) created_ms: u64,
}

/// A token as stored: never the secret, only its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TokenRecord {
    pub(crate) id: TokenId,
    pub(crate) hash: [u8; 32],
    pub(crate) workspace: WorkspaceId,
    pub(crate) role: Role,
    pub(crate) created_ms: u64,
    pub(crate) revoked: bool,
    /// A name for people ("Ana's laptop"); empty for none.
    pub(crate) label: String,
    /// After this (ms since the epoch) the token is refused.
    pub(crate) expires_ms: Option<u64>,
    /// When a device last connected with it (kept to the minute).
    pub(crate) last_used_ms: Option<u64>,
}

/// A chunk to append, already checked and hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NewChunk {
    pub(crate) doc: DocId,
    pub(crate) hash: [u8; 32],
    pub(crate) data: Vec<u8>,
}

/// Where an appended chunk ended up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Appended {
    /// 0 when the chunk's document was purged: the chunk is dropped, not stored.
    pub(crate) seq: u64,
    /// False when the chunk was already in the log (or in a snapshot): `seq` is the
    /// seq it got the first time.
    pub(crate) new: bool,
}

/// What compaction folds together for one document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CompactionInput {
    /// The existing snapshot: (covers seq, bytes).
    pub(crate) snapshot: Option<(u64, Vec<u8>)>,
    /// The document's entries with seq ≤ the bound, in seq order.
    pub(crate) entries: Vec<(u64, Vec<u8>)>,
}

/// One document's new snapshot, for [`LogStore::install_snapshots`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SnapshotInstall {
    pub(crate) doc: DocId,
    /// The highest seq the snapshot holds.
    pub(crate) covers_seq: u64,
    /// Automerge `save()` bytes.
    pub(crate) data: Vec<u8>,
    /// The document's log entries the snapshot holds: removed with it. Only these go,
    /// so an entry the snapshot was not built from is never lost.
    pub(crate) removed: Vec<u64>,
}

/// Sizes, for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct StoreStats {
    pub(crate) workspaces: u64,
    pub(crate) log_entries: u64,
    pub(crate) snapshots: u64,
}

/// Reads the backlog of one pull from a consistent view of the store: what it returns
/// does not change when compaction or new pushes commit meanwhile.
pub(crate) trait PullReader: Send {
    /// The workspace's head in this view.
    fn head(&self) -> u64;
    /// The next snapshots (covers seq > the pull's `after`), at least one if any are
    /// left, at most `max_bytes` unless a single one is larger. Empty when done.
    fn next_snapshots(&mut self, max_bytes: usize) -> Result<Vec<Snapshot>, StoreError>;
    /// The next log entries in seq order, at least one if any are left, at most
    /// `max_entries` and `max_bytes` (unless one entry is larger). Empty when done.
    fn next_entries(&mut self, max_entries: usize, max_bytes: usize) -> Result<Vec<Entry>, StoreError>;
}

/// The relay's durable state. Every write is durable when the method returns.
pub(crate) trait LogStore: Send + Sync + 'static {
    /// Creates a workspace together with its first token, in one transaction.
    fn create_workspace(&self, workspace: &WorkspaceRecord, owner: &TokenRecord) -> Result<(), StoreError>;
    fn workspace(&self, id: WorkspaceId) -> Result<Option<WorkspaceRecord>, StoreError>;
    fn workspaces(&self) -> Result<Vec<WorkspaceRecord>, StoreError>;
    /// Renames a workspace; false if there is no such workspace.
    fn rename_workspace(&self, id: WorkspaceId, name: &str) -> Result<bool, StoreError>;
    /// Deletes a workspace with its tokens, log, snapshots and deduplication records, in
    /// one transaction; false if there is no such workspace.
    fn delete_workspace(&self, id: WorkspaceId) -> Result<bool, StoreError>;

    /// Stores a new token; its workspace must exist.
    fn insert_token(&self, token: &TokenRecord) -> Result<(), StoreError>;
    fn token_by_hash(&self, hash: &[u8; 32]) -> Result<Option<TokenRecord>, StoreError>;
    /// All tokens, or those of one workspace, ordered by id.
    fn tokens(&self, workspace: Option<WorkspaceId>) -> Result<Vec<TokenRecord>, StoreError>;
    /// Records that the token was used at `now_ms` (not durable on its own: a crash
    /// may forget the last minutes of use).
    fn touch_token(&self, id: TokenId, now_ms: u64) -> Result<(), StoreError>;
    /// Marks a token revoked; `None` if there is no such token.
    fn revoke_token(&self, id: TokenId) -> Result<Option<TokenRecord>, StoreError>;

    /// The epoch of the workspace's log; stores `fresh` first if it has none yet (two
    /// callers racing get the same one).
    fn epoch_or_insert(&self, workspace: WorkspaceId, fresh: [u8; 16]) -> Result<[u8; 16], StoreError>;
    /// Replaces the epoch of the workspace's log (after a restore).
    fn set_epoch(&self, workspace: WorkspaceId, epoch: [u8; 16]) -> Result<(), StoreError>;

    /// Bytes of chunk data the workspace stores (log entries and snapshots).
    fn workspace_bytes(&self, workspace: WorkspaceId) -> Result<u64, StoreError>;
    /// The highest seq of the workspace's log (0 if empty).
    fn head(&self, workspace: WorkspaceId) -> Result<u64, StoreError>;
    /// Appends chunks in order, one transaction, durable on return. A chunk whose hash
    /// is known (earlier, or earlier in `chunks`) is not stored again and gets its
    /// existing seq. New chunks get consecutive seqs after the head. A chunk of a purged
    /// document is dropped and gets seq 0.
    fn append(&self, workspace: WorkspaceId, chunks: &[NewChunk]) -> Result<Vec<Appended>, StoreError>;
    /// Erases documents for good, in one durable transaction: their log entries and
    /// snapshots go, and a tombstone (head, `at_ms`) stays, so later chunks for them are
    /// dropped and pulls report them. Returns the tombstones (an earlier one is kept).
    fn purge(&self, workspace: WorkspaceId, docs: &[DocId], at_ms: u64) -> Result<Vec<Purged>, StoreError>;
    /// The tombstones made at or after log position `from` (all for 0).
    fn tombstones(&self, workspace: WorkspaceId, from: u64) -> Result<Vec<Purged>, StoreError>;
    /// A consistent reader for `pull {after}`.
    fn open_pull(&self, workspace: WorkspaceId, after: u64) -> Result<Box<dyn PullReader>, StoreError>;

    /// Documents with at least `min_entries` log entries of seq ≤ `up_to`.
    fn compaction_candidates(
        &self,
        workspace: WorkspaceId,
        up_to: u64,
        min_entries: usize,
    ) -> Result<Vec<DocId>, StoreError>;
    /// A document's snapshot and its entries with seq ≤ `up_to`.
    fn compaction_input(&self, workspace: WorkspaceId, doc: DocId, up_to: u64) -> Result<CompactionInput, StoreError>;
    /// In ONE durable transaction, for each install in order: stores `data` as the
    /// document's snapshot covering `covers_seq` (replacing its older snapshot) and
    /// removes the log entries `removed`. Dedup rows stay. All or nothing: if a snapshot
    /// would replace one covering a higher seq, or a removed entry is above `covers_seq`
    /// or belongs to another document, nothing is written and the error is returned.
    /// One transaction for many documents because each commit is an fsync.
    fn install_snapshots(&self, workspace: WorkspaceId, installs: &[SnapshotInstall]) -> Result<(), StoreError>;

    fn stats(&self) -> Result<StoreStats, StoreError>;
    /// Writes a consistent copy of everything to a new redb file at `dest`.
    fn backup(&self, dest: &Path) -> Result<(), StoreError>;
}

/// A store operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file is locked by another process: usually a running `kith-relay serve`.
    #[error("the relay database is in use by another process (is `kith-relay serve` running?)")]
    Locked,
    #[error("relay database error: {0}")]
    Redb(#[from] redb::Error),
    #[error("the relay database has format version {found}; this kith-relay reads version {supported}")]
    UnsupportedFormat { found: u64, supported: u64 },
    #[error("corrupt relay database: {0}")]
    Corrupt(String),
    #[error("no workspace {0}")]
    UnknownWorkspace(WorkspaceId),
    #[error("the backup destination {0} already exists")]
    BackupExists(PathBuf),
    #[error("this store cannot {0}")]
    Unsupported(&'static str),
}

macro_rules! from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> Self {
                StoreError::Redb(e.into())
            }
        }
    )*};
}

from_redb!(
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError,
    redb::SetDurabilityError
);

impl From<redb::DatabaseError> for StoreError {
    fn from(e: redb::DatabaseError) -> Self {
        match e {
            redb::DatabaseError::DatabaseAlreadyOpen => StoreError::Locked,
            other => StoreError::Redb(other.into()),
        }
    }
}

/// The role's byte in the `tokens` table.
pub(crate) fn role_code(role: Role) -> u8 {
    match role {
        Role::Owner => 0,
        Role::Member => 1,
        Role::Viewer => 2,
    }
}

pub(crate) fn role_from_code(code: u8) -> Result<Role, StoreError> {
    match code {
        0 => Ok(Role::Owner),
        1 => Ok(Role::Member),
        2 => Ok(Role::Viewer),
        other => Err(StoreError::Corrupt(format!("unknown role code {other}"))),
    }
}

/// Whether one more item of `next` bytes joins a batch of `count` items and `bytes`
/// bytes without passing `max_items` or `max_bytes`. The first item always joins, so a
/// single oversized item still goes out (alone).
pub(crate) fn fits(count: usize, bytes: usize, next: usize, max_items: usize, max_bytes: usize) -> bool {
    count == 0 || (count < max_items && bytes + next <= max_bytes)
}
