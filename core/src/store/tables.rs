//! Every redb table of a workspace replica, declared once. `docs/storage-format.md`
//! describes each one; keep the two in step.
//!
//! Stability: table names and key/value layouts are the on-disk format.

use redb::TableDefinition;

/// doc id → the document's compacted `save()` bytes.
pub(crate) const DOCS: TableDefinition<[u8; 16], &[u8]> = TableDefinition::new("docs");

/// (doc id, n) → an incremental change chunk, applied after `DOCS` in order of n. Folded
/// into `DOCS` every `FOLD_AFTER_CHUNKS` chunks.
pub(crate) const DOC_CHANGES: TableDefinition<([u8; 16], u32), &[u8]> = TableDefinition::new("doc_changes");

/// seq → doc id (16 bytes) followed by a local change chunk not yet acknowledged by a relay.
pub(crate) const OUTBOX: TableDefinition<u64, &[u8]> = TableDefinition::new("outbox");

/// Small settings: workspace id, schema doc id, device actor, user, format version.
pub(crate) const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");

/// (object id ‖ record id) → postcard-encoded `Row` of a live record.
pub(crate) const ROWS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("rows");

/// (object id ‖ record id) → postcard-encoded `Row` of a deleted record (the trash).
pub(crate) const TRASH: TableDefinition<&[u8], &[u8]> = TableDefinition::new("trash");

/// record id → object id, for every record (live or deleted).
pub(crate) const RECORD_OBJECTS: TableDefinition<[u8; 16], [u8; 16]> = TableDefinition::new("record_objects");

/// random key of a record id (its random part first: see `short_id.rs`) → (), for every
/// record (live or deleted): finds a record by its short id with one range scan.
pub(crate) const SHORT_IDS: TableDefinition<[u8; 16], ()> = TableDefinition::new("short_ids");

/// (object id ‖ field id ‖ encoded value ‖ record id) → (). Filters and sorts.
pub(crate) const INDEX: TableDefinition<&[u8], ()> = TableDefinition::new("index");

/// (token ‖ 0x00 ‖ object id ‖ record id) → (). Full-text search.
pub(crate) const TEXT_INDEX: TableDefinition<&[u8], ()> = TableDefinition::new("text_index");

/// (object id ‖ record id) → (): live records whose words are not in `TEXT_INDEX` yet.
/// A device applying thousands of new records at once (joining a workspace) leaves their
/// search entries for later, so that it is queryable sooner; until `TEXT_INDEX` has
/// them, search reads these records' rows. A record listed here may already have some
/// of its `TEXT_INDEX` entries (edits keep them right), never a wrong one.
pub(crate) const SEARCH_BACKLOG: TableDefinition<&[u8], ()> = TableDefinition::new("search_backlog");

/// change hash → doc id, for every change of every document (history and revert find a
/// change's document through it).
pub(crate) const CHANGES: TableDefinition<[u8; 32], [u8; 16]> = TableDefinition::new("changes");

/// (group id ‖ doc id) → (): the documents a change group (import, bulk edit, revert)
/// touched.
pub(crate) const GROUPS: TableDefinition<&[u8], ()> = TableDefinition::new("groups");

/// (object id ‖ record id) → (): live or deleted records with conflicted fields.
pub(crate) const CONFLICTS: TableDefinition<&[u8], ()> = TableDefinition::new("conflicts");

/// n → doc id (16 bytes) followed by a change chunk received from the relay that this
/// replica could not read (a newer Kith's format, or damage). Kept, never skipped: the
/// cursor moves past it only because it is here, and it is applied again after an
/// upgrade (opening with another Kith version, `kith reindex`).
pub(crate) const UNREADABLE: TableDefinition<u64, &[u8]> = TableDefinition::new("unreadable");

/// doc id → ms since 1970 when it was purged: documents erased for good on this replica
/// (here or, through the relay, on another device). Chunks that arrive for them later
/// are dropped, never applied.
pub(crate) const PURGED: TableDefinition<[u8; 16], u64> = TableDefinition::new("purged");

/// doc id → (): purges made on this replica that the relay has not confirmed yet; sent
/// as `purge` messages until it does.
pub(crate) const PENDING_PURGES: TableDefinition<[u8; 16], ()> = TableDefinition::new("pending_purges");

/// n → doc id (16 bytes) ‖ reason length (u16 LE) ‖ reason (UTF-8) ‖ a local chunk the
/// relay refused to store (over its chunk limit). Moved out of `outbox` so it does not
/// hold up other changes; moved back when the relay announces a limit it fits.
pub(crate) const STUCK: TableDefinition<u64, &[u8]> = TableDefinition::new("stuck");

/// run id (a v7 uuid, so in time order) → JSON `AutomationRun`: the automation run log.
/// Runs made here are written with everything known (trigger, status, changes made);
/// runs whose changes arrive by sync are added from their commit messages
/// (`automation:<group>:<run>:<automation>`) with the documents they touched. Not cleared
/// by `kith reindex` (runs that changed nothing are only here).
pub(crate) const AUTOMATION_RUNS: TableDefinition<[u8; 16], &[u8]> = TableDefinition::new("automation_runs");

/// (object id ‖ record id) → the ids (16 bytes each, in rule order) of the enabled rules
/// the live record breaks. Records that break none have no entry. Kept current by every
/// row write (see `workspace/rule_breaks.rs`), so listing breaks is one range scan.
pub(crate) const RULE_BREAKS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("rule_breaks");

/// object id → fingerprint of what its `rule_breaks` entries were computed with (its
/// enabled rules, the field definitions they read, today's date if a rule reads it).
/// An object with rules and no entry here, or another fingerprint, has stale breaks:
/// they are read by evaluating rows until they are recomputed (after the commit that
/// changed a rule or the schema, and when the workspace is opened).
pub(crate) const RULE_BREAK_SOURCES: TableDefinition<[u8; 16], u64> = TableDefinition::new("rule_break_sources");
/// (record id ‖ field id) → the state a sum or average rollup of a live record keeps so
/// that one related record's change updates it exactly (`rollup_acc::SumState`: number of
/// values ‖ currency ‖ exact sum per scale). Derived: written with the row, removed when
/// the record is trashed, rebuilt by `kith reindex`.
pub(crate) const ROLLUP_STATES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("rollup_states");
