//! The local store: one redb file per workspace replica. Documents are the source of
//! truth; `rows`, `index` and `text_index` are derived from them (see `rows.rs`) and can
//! be rebuilt by `Workspace::reindex`.

mod docs;
mod partial_row;
mod rows;
pub(crate) mod tables;

use std::path::Path;

use redb::{Database, ReadTransaction, ReadableDatabase, ReadableTable, WriteTransaction};

use crate::error::StoreError;

pub(crate) use docs::{DocTables, FOLD_AFTER_CHUNKS, LoadedDoc, load_doc, persist_doc, persist_remote};
pub(crate) use partial_row::decode_row_fields;
pub(crate) use rows::{
    DerivedTables, KeyDiff, KeysWritten, NewChange, RunMark, clear_derived, decode_row, derived_keys, index_key_prefix,
    index_keys, insert_sorted, live_or_trashed_row, object_prefix, rebuild_object, remove_rollup_states, row_key,
    text_keys, write_new_row_without_keys, write_row, write_row_without_keys,
};

/// The on-disk format this build reads and writes (`meta.format`). Older files are
/// reindexed when opened (their documents are the same; only derived tables change).
/// - 2: `index` keys start with the field id alone.
/// - 3 (`FORMAT_FOLDS_EVERY_LATIN_LETTER`): text keys fold Ł, Ø, ı, ß, ligatures
///   (deunicode), the `short_ids` table exists, index and sort keys hold at most 256
///   bytes of text, and amounts encode as currency code, then exact decimal.
pub(crate) const FORMAT_VERSION: u32 = FORMAT_FOLDS_EVERY_LATIN_LETTER;

/// The format whose text keys use `text::fold` version 2 and that has `short_ids`.
pub(crate) const FORMAT_FOLDS_EVERY_LATIN_LETTER: u32 = 3;

/// The memory redb may keep of the file's pages (its default is 1 GiB). The page cache
/// was most of a large import's peak memory (docs/performance.md).
const CACHE_BYTES: usize = 256 * 1024 * 1024;

/// `meta` key: the role of the relay token this replica syncs with (`viewer`, ...).
pub(crate) const SYNC_ROLE: &str = "sync_role";
/// `meta` key: the relay's chunk limit (u64 little-endian), from its last `welcome`.
pub(crate) const SYNC_MAX_CHUNK: &str = "sync_max_chunk_bytes";

/// `meta` key: the relay's inflation bound (u64 little-endian), from its last `welcome`.
pub(crate) const SYNC_MAX_INFLATED: &str = "sync_max_inflated_chunk_bytes";

/// The stored inflation bound; `None` until a relay has announced one (a device that
/// never synced keeps values of any size, as before the bound existed; the relay's
/// bound then applies to its outbox, where an oversized change is set aside).
pub(crate) fn read_max_inflated(bytes: Option<Vec<u8>>) -> Option<u64> {
    bytes.and_then(|b| b.try_into().ok()).map(u64::from_le_bytes)
}

/// The stored chunk limit, or the protocol's default when no relay has told one.
pub(crate) fn read_max_chunk(bytes: Option<Vec<u8>>) -> u64 {
    bytes
        .and_then(|b| b.try_into().ok())
        .map_or(crate::sync::protocol::DEFAULT_MAX_CHUNK_BYTES, u64::from_le_bytes)
}

/// Whether the file has `table` (older versions lacked the newer tables).
fn has_table<K: redb::Key + 'static, V: redb::Value + 'static>(
    read: &redb::ReadTransaction,
    table: redb::TableDefinition<K, V>,
) -> Result<bool, StoreError> {
    match read.open_table(table) {
        Ok(_) => Ok(true),
        Err(redb::TableError::TableDoesNotExist(_)) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// A redb database holding one workspace replica.
pub(crate) struct Store {
    db: Database,
}

impl Store {
    /// Creates a new store file (it must not exist).
    pub(crate) fn create(path: &Path) -> Result<Self, StoreError> {
        let db = Database::builder().set_cache_size(CACHE_BYTES).create(path)?;
        Self::with_tables(db)
    }

    /// Opens an existing store file.
    pub(crate) fn open(path: &Path) -> Result<Self, StoreError> {
        if !path.exists() {
            return Err(StoreError::NotAWorkspace(path.to_path_buf()));
        }
        match Database::builder().set_cache_size(CACHE_BYTES).open(path) {
            Ok(db) => Self::with_missing_tables(db),
            Err(redb::DatabaseError::DatabaseAlreadyOpen) => {
                Err(StoreError::InUse(path.parent().unwrap_or(path).to_path_buf()))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// A store that lives in memory only (tests).
    pub(crate) fn in_memory() -> Result<Self, StoreError> {
        let db = Database::builder().create_with_backend(redb::backends::InMemoryBackend::new())?;
        Self::with_tables(db)
    }

    /// Creates the tables a file made by an older version lacks (a write only then).
    fn with_missing_tables(db: Database) -> Result<Self, StoreError> {
        // The newest tables: a file that has them has all the others.
        let read = db.begin_read()?;
        let missing = !has_table(&read, tables::STUCK)?
            || !has_table(&read, tables::SHORT_IDS)?
            || !has_table(&read, tables::AUTOMATION_RUNS)?
            || !has_table(&read, tables::RULE_BREAK_SOURCES)?;
        drop(read);
        if missing {
            Self::with_tables(db)
        } else {
            Ok(Self { db })
        }
    }

    /// Creates every table, so read transactions never meet a missing one.
    fn with_tables(db: Database) -> Result<Self, StoreError> {
        let tx = db.begin_write()?;
        {
            use tables::*;
            tx.open_table(DOCS)?;
            tx.open_table(DOC_CHANGES)?;
            tx.open_table(OUTBOX)?;
            tx.open_table(UNREADABLE)?;
            tx.open_table(PURGED)?;
            tx.open_table(PENDING_PURGES)?;
            tx.open_table(STUCK)?;
            tx.open_table(META)?;
            tx.open_table(ROWS)?;
            tx.open_table(TRASH)?;
            tx.open_table(RECORD_OBJECTS)?;
            tx.open_table(SHORT_IDS)?;
            tx.open_table(INDEX)?;
            tx.open_table(TEXT_INDEX)?;
            tx.open_table(SEARCH_BACKLOG)?;
            tx.open_table(RULE_BREAKS)?;
            tx.open_table(RULE_BREAK_SOURCES)?;
            tx.open_table(CHANGES)?;
            tx.open_table(GROUPS)?;
            tx.open_table(CONFLICTS)?;
            tx.open_table(AUTOMATION_RUNS)?;
        }
        tx.commit()?;
        Ok(Self { db })
    }

    pub(crate) fn read(&self) -> Result<ReadTransaction, StoreError> {
        Ok(self.db.begin_read()?)
    }

    pub(crate) fn write(&self) -> Result<WriteTransaction, StoreError> {
        Ok(self.db.begin_write()?)
    }
}

/// Outbox ids are never handed out twice: an acknowledgement of an old id (a duplicated
/// or late ack) must never remove a newer change that happens to get the same id once
/// the outbox emptied. Ids below this floor were used; it rises when ids leave the outbox.
pub(crate) const OUTBOX_FLOOR: &str = "outbox_floor";

fn decode_u64(bytes: Option<&[u8]>) -> u64 {
    bytes
        .and_then(|b| <[u8; 8]>::try_from(b).ok())
        .map_or(0, u64::from_le_bytes)
}

/// The next outbox id: after the last queued one and at or above the floor.
pub(crate) fn next_outbox_id(
    outbox: &impl ReadableTable<u64, &'static [u8]>,
    meta: &impl ReadableTable<&'static str, &'static [u8]>,
) -> Result<u64, StoreError> {
    let after_last = outbox.last()?.map_or(0, |(k, _)| k.value() + 1);
    let floor = decode_u64(meta.get(OUTBOX_FLOOR)?.as_ref().map(|v| v.value()));
    Ok(after_last.max(floor))
}

/// Records that outbox ids up to `highest` were used (called when entries leave it).
pub(crate) fn raise_outbox_floor(tx: &WriteTransaction, highest: u64) -> Result<(), StoreError> {
    let mut meta = tx.open_table(tables::META)?;
    let floor = decode_u64(meta.get(OUTBOX_FLOOR)?.as_ref().map(|v| v.value()));
    let raised = floor.max(highest.saturating_add(1));
    if raised != floor {
        meta.insert(OUTBOX_FLOOR, raised.to_le_bytes().as_slice())?;
    }
    Ok(())
}

/// Reads a metadata value.
pub(crate) fn get_meta(tx: &ReadTransaction, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
    let table = tx.open_table(tables::META)?;
    Ok(table.get(key)?.map(|v| v.value().to_vec()))
}

/// Writes a metadata value.
pub(crate) fn set_meta(tx: &WriteTransaction, key: &str, value: &[u8]) -> Result<(), StoreError> {
    let mut table = tx.open_table(tables::META)?;
    table.insert(key, value)?;
    Ok(())
}
