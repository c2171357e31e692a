//! Persisting Automerge documents: a compacted snapshot plus incremental chunks, and a
//! copy of every local chunk in the outbox, all in the caller's write transaction.

use automerge::{AutoCommit, ChangeHash};
use redb::{ReadableTable, Table};

use super::rows::NewChange;
use super::tables::{DOC_CHANGES, DOCS, META, OUTBOX};
use crate::DocId;
use crate::error::StoreError;

/// After this many incremental chunks a document is saved whole and its chunks dropped,
/// so loading stays one snapshot plus a few chunks.
pub(crate) const FOLD_AFTER_CHUNKS: u32 = 32;

/// A document as loaded from the store, with what is needed to save only what changed.
pub(crate) struct LoadedDoc {
    pub(crate) doc: AutoCommit,
    /// Heads as of the last save: `save_after` these gives the new chunk. (After `load`,
    /// `save_incremental` would return the whole history.)
    pub(crate) saved_heads: Vec<ChangeHash>,
    /// Number of chunks in `doc_changes` for this document.
    pub(crate) chunks: u32,
    /// Not yet in `docs` at all.
    pub(crate) is_new: bool,
}

impl LoadedDoc {
    /// A document created in this process, not yet saved.
    pub(crate) fn new(doc: AutoCommit) -> Self {
        LoadedDoc {
            doc,
            saved_heads: Vec::new(),
            chunks: 0,
            is_new: true,
        }
    }
}

/// Loads a document from its snapshot and chunks. `None` if there is no such document.
pub(crate) fn load_doc(
    docs: &impl ReadableTable<[u8; 16], &'static [u8]>,
    changes: &impl ReadableTable<([u8; 16], u32), &'static [u8]>,
    id: DocId,
) -> Result<Option<LoadedDoc>, StoreError> {
    let corrupt = |source| StoreError::CorruptDocument {
        doc: id,
        source: Box::new(source),
    };
    let Some(snapshot) = docs.get(id.as_bytes())? else {
        return Ok(None);
    };
    let mut doc = AutoCommit::load(snapshot.value()).map_err(corrupt)?;
    let mut chunks = 0;
    for entry in changes.range((*id.as_bytes(), 0)..=(*id.as_bytes(), u32::MAX))? {
        let (_, chunk) = entry?;
        doc.load_incremental(chunk.value()).map_err(corrupt)?;
        chunks += 1;
    }
    let saved_heads = doc.get_heads();
    Ok(Some(LoadedDoc {
        doc,
        saved_heads,
        chunks,
        is_new: false,
    }))
}

/// The tables a document write touches.
pub(crate) struct DocTables<'t> {
    pub(crate) docs: Table<'t, [u8; 16], &'static [u8]>,
    pub(crate) changes: Table<'t, ([u8; 16], u32), &'static [u8]>,
    pub(crate) outbox: Table<'t, u64, &'static [u8]>,
    /// Next outbox sequence number.
    next_outbox: u64,
    /// The replica syncs with a viewer's token: local changes are refused.
    read_only: bool,
    /// The largest chunk the relay accepts: larger local changes are refused.
    max_chunk: u64,
    /// The most a chunk may inflate to on the relay (once one announced it): local
    /// changes that inflate further are refused too.
    max_inflated: Option<u64>,
}

/// DEFLATE's best ratio is about 1032:1, so a chunk of `n` bytes never inflates past
/// `n * 1032` bytes: chunks too short to pass the inflation bound are not inflated to
/// check (nearly every change).
const MAX_DEFLATE_RATIO: u64 = 1032;

impl<'t> DocTables<'t> {
    pub(crate) fn open(tx: &'t redb::WriteTransaction) -> Result<Self, StoreError> {
        let outbox = tx.open_table(OUTBOX)?;
        let meta = tx.open_table(META)?;
        let next_outbox = super::next_outbox_id(&outbox, &meta)?;
        let read_only = meta
            .get(super::SYNC_ROLE)?
            .is_some_and(|v| v.value() == crate::sync::protocol::Role::Viewer.as_str().as_bytes());
        let max_chunk = super::read_max_chunk(meta.get(super::SYNC_MAX_CHUNK)?.map(|v| v.value().to_vec()));
        let max_inflated = super::read_max_inflated(meta.get(super::SYNC_MAX_INFLATED)?.map(|v| v.value().to_vec()));
        drop(meta);
        Ok(DocTables {
            docs: tx.open_table(DOCS)?,
            changes: tx.open_table(DOC_CHANGES)?,
            outbox,
            next_outbox,
            read_only,
            max_chunk,
            max_inflated,
        })
    }

    /// Loads a document inside this write transaction.
    pub(crate) fn load(&self, id: DocId) -> Result<Option<LoadedDoc>, StoreError> {
        load_doc(&self.docs, &self.changes, id)
    }

    /// Appends a ready-made first snapshot of a new document (imports build these on
    /// other threads) and queues it for the relay.
    pub(crate) fn insert_new(&mut self, id: DocId, bytes: &[u8]) -> Result<(), StoreError> {
        self.docs.insert(id.as_bytes(), bytes)?;
        self.push_outbox(id, bytes)
    }

    /// Queues a local chunk for the relay, unless the relay would refuse it: a viewer's
    /// replica makes no local changes, and no chunk may pass the relay's limit (one
    /// such chunk would stop every later one from syncing). The caller's transaction is
    /// then dropped, so nothing of the change is written.
    fn push_outbox(&mut self, id: DocId, chunk: &[u8]) -> Result<(), StoreError> {
        if self.read_only {
            return Err(StoreError::ReadOnly);
        }
        let bytes = chunk.len() as u64;
        if bytes > self.max_chunk {
            return Err(StoreError::ChangeTooLarge {
                doc: id,
                bytes,
                limit: self.max_chunk,
            });
        }
        if let Some(max_inflated) = self.max_inflated
            && bytes.saturating_mul(MAX_DEFLATE_RATIO) > max_inflated
        {
            // Counted, never held: constant memory however far it inflates.
            if let Ok(inflated) = crate::sync::check_chunk_bounds(chunk, usize::MAX)
                && inflated as u64 > max_inflated
            {
                return Err(StoreError::ChangeTooLarge {
                    doc: id,
                    bytes: inflated as u64,
                    limit: max_inflated,
                });
            }
        }
        let mut entry = Vec::with_capacity(16 + chunk.len());
        entry.extend_from_slice(id.as_bytes());
        entry.extend_from_slice(chunk);
        self.outbox.insert(self.next_outbox, entry.as_slice())?;
        self.next_outbox += 1;
        Ok(())
    }
}

/// The changes a document gained since it was last saved (to index them).
fn changes_since_save(loaded: &mut LoadedDoc) -> Vec<NewChange> {
    loaded
        .doc
        .get_changes_meta(&loaded.saved_heads)
        .iter()
        .map(NewChange::of)
        .collect()
}

/// Stores chunks that came from the relay (never into the outbox). A document new to
/// this replica that arrived as one complete chunk is stored as that chunk; otherwise the
/// raw chunks are appended, so changes still waiting for their dependencies survive a
/// restart. Folds only when nothing is waiting.
pub(crate) fn persist_remote(
    tables: &mut DocTables<'_>,
    id: DocId,
    loaded: &mut LoadedDoc,
    raw: &[&[u8]],
) -> Result<Vec<NewChange>, StoreError> {
    let added = changes_since_save(loaded);
    let waiting = !loaded.doc.get_missing_deps(&[]).is_empty();
    if loaded.is_new {
        if raw.len() == 1 && !waiting {
            tables.docs.insert(id.as_bytes(), raw[0])?;
        } else {
            let snapshot = loaded.doc.save();
            tables.docs.insert(id.as_bytes(), snapshot.as_slice())?;
            for chunk in raw {
                tables.changes.insert((*id.as_bytes(), loaded.chunks), *chunk)?;
                loaded.chunks += 1;
            }
        }
        loaded.is_new = false;
    } else {
        for chunk in raw {
            tables.changes.insert((*id.as_bytes(), loaded.chunks), *chunk)?;
            loaded.chunks += 1;
        }
        if loaded.chunks >= FOLD_AFTER_CHUNKS && !waiting {
            fold(tables, id, loaded)?;
        }
    }
    loaded.saved_heads = loaded.doc.get_heads();
    Ok(added)
}

fn fold(tables: &mut DocTables<'_>, id: DocId, loaded: &mut LoadedDoc) -> Result<(), StoreError> {
    let snapshot = loaded.doc.save();
    tables.docs.insert(id.as_bytes(), snapshot.as_slice())?;
    for n in 0..loaded.chunks {
        tables.changes.remove((*id.as_bytes(), n))?;
    }
    loaded.chunks = 0;
    Ok(())
}

/// Saves what changed in `loaded` since its last save: a new chunk (or the first
/// snapshot), plus a copy in the outbox. Folds the chunks into the snapshot now and then.
pub(crate) fn persist_doc(
    tables: &mut DocTables<'_>,
    id: DocId,
    loaded: &mut LoadedDoc,
) -> Result<Vec<NewChange>, StoreError> {
    let added = changes_since_save(loaded);
    if loaded.is_new {
        let bytes = loaded.doc.save();
        tables.insert_new(id, &bytes)?;
        loaded.is_new = false;
    } else {
        let chunk = loaded.doc.save_after(&loaded.saved_heads);
        if chunk.is_empty() {
            return Ok(added);
        }
        tables
            .changes
            .insert((*id.as_bytes(), loaded.chunks), chunk.as_slice())?;
        tables.push_outbox(id, &chunk)?;
        loaded.chunks += 1;
        if loaded.chunks >= FOLD_AFTER_CHUNKS && loaded.doc.get_missing_deps(&[]).is_empty() {
            fold(tables, id, loaded)?;
        }
    }
    loaded.saved_heads = loaded.doc.get_heads();
    Ok(added)
}
