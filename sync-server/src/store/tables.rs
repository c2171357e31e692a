//! Every table of the relay's redb file, declared once. `docs/self-hosting.md`
//! ("What the relay stores") describes them for operators.
//!
//! Stability: these names and encodings are the relay's file format. Bump
//! `FORMAT_VERSION` (and write a migration) when one changes.

use redb::TableDefinition;

/// (SHA-256 of the secret, workspace, role, created ms, revoked).
pub(crate) type TokenRow = ([u8; 32], [u8; 16], u8, u64, bool);
/// (workspace, seq).
pub(crate) type LogKey = ([u8; 16], u64);
/// (doc id, SHA-256 of the chunk, chunk bytes).
pub(crate) type LogValue = ([u8; 16], [u8; 32], &'static [u8]);
/// (workspace, doc, seq).
pub(crate) type DocEntryKey = ([u8; 16], [u8; 16], u64);
/// (workspace, doc).
pub(crate) type SnapshotKey = ([u8; 16], [u8; 16]);
/// (covers seq, Automerge `save()` bytes).
pub(crate) type SnapshotValue = (u64, &'static [u8]);
/// (workspace, covers seq, doc).
pub(crate) type SnapshotSeqKey = ([u8; 16], u64, [u8; 16]);

/// Workspace id → (name, created ms since the Unix epoch).
pub(crate) const WORKSPACES: TableDefinition<[u8; 16], (&str, u64)> = TableDefinition::new("workspaces");

/// Token id → (SHA-256 of the secret, workspace, role, created ms, revoked).
/// Role: 0 owner, 1 member, 2 viewer.
pub(crate) const TOKENS: TableDefinition<[u8; 8], TokenRow> = TableDefinition::new("tokens");

/// Token id → (label, expires ms or 0 for never, last used ms or 0 for never). Added
/// after format 1 shipped; a token without a row has no label, no expiry and no
/// recorded use.
pub(crate) const TOKEN_DETAILS: TableDefinition<[u8; 8], (&str, u64, u64)> = TableDefinition::new("token_details");

/// SHA-256 of a token's secret → token id.
pub(crate) const TOKEN_HASHES: TableDefinition<[u8; 32], [u8; 8]> = TableDefinition::new("token_hashes");

/// (workspace, seq) → (doc id, SHA-256 of the chunk, chunk bytes). The workspace log;
/// compaction removes old entries.
pub(crate) const LOG: TableDefinition<LogKey, LogValue> = TableDefinition::new("log");

/// (workspace, SHA-256 of a chunk) → seq. Kept when compaction removes the entry, so a
/// chunk pushed again after compaction is still acknowledged with its original seq.
pub(crate) const DEDUP: TableDefinition<([u8; 16], [u8; 32]), u64> = TableDefinition::new("dedup");

/// (workspace, doc, seq) → (). The log entries of each document, for compaction.
pub(crate) const DOC_ENTRIES: TableDefinition<DocEntryKey, ()> = TableDefinition::new("doc_entries");

/// (workspace, doc) → (covers seq, Automerge `save()` bytes). A document's compacted
/// snapshot: it holds every entry of the document with seq ≤ covers seq.
pub(crate) const SNAPSHOTS: TableDefinition<SnapshotKey, SnapshotValue> = TableDefinition::new("snapshots");

/// (workspace, covers seq, doc) → (). Finds the snapshots a device with an older
/// cursor needs: those with covers seq > its cursor.
pub(crate) const SNAPSHOT_SEQ: TableDefinition<SnapshotSeqKey, ()> = TableDefinition::new("snapshot_seq");

/// Workspace → bytes of chunk data it stores (log entries and snapshots), for the
/// storage quota. Added after format 1 shipped: a workspace without a row is counted
/// once, when it next appends.
pub(crate) const WORKSPACE_BYTES: TableDefinition<[u8; 16], u64> = TableDefinition::new("workspace_bytes");

/// Workspace → head: the highest seq assigned (0 for an empty log).
pub(crate) const HEADS: TableDefinition<[u8; 16], u64> = TableDefinition::new("heads");

/// Workspace → epoch: 16 random bytes naming this life of the workspace's log, sent in
/// `welcome`. Set on first use; `kith-relay restore` gives every workspace a new one,
/// so devices notice that log positions were handed out again.
pub(crate) const EPOCHS: TableDefinition<[u8; 16], [u8; 16]> = TableDefinition::new("epochs");

/// (workspace, doc) → (head when purged, purged ms). A document erased for good: its log
/// entries and snapshot are gone, chunks pushed for it later are dropped (acked with seq
/// 0), and pulls tell devices to erase it.
pub(crate) const TOMBSTONES: TableDefinition<([u8; 16], [u8; 16]), (u64, u64)> = TableDefinition::new("tombstones");

/// Name → value: `format_version`.
pub(crate) const META: TableDefinition<&str, u64> = TableDefinition::new("meta");

/// The `meta` key of the file format version.
pub(crate) const FORMAT_VERSION_KEY: &str = "format_version";

/// The file format this build writes and reads.
pub(crate) const FORMAT_VERSION: u64 = 1;
