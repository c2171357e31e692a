//! Applying documents that are new to this replica, in bulk: a fresh device receives the
//! whole workspace this way. Reading the documents (the costly part) runs on every core;
//! this thread only writes, inserting each chunk's index keys in sorted order.

use std::borrow::Cow;

use automerge::{Automerge, ReadDoc};

use super::derive::{Deriver, NoRelated, Written};
use crate::error::{Result, StoreError};
use crate::record::Row;
use crate::schema::doc as schema_doc;
use crate::store::{self, DerivedTables, DocTables, NewChange};
use crate::sync::chunk::catch_decoder_panic;
use crate::{DocId, RecordId};

/// A document new to this replica, read on a worker thread.
pub(super) struct Fresh<'a> {
    pub(super) id: DocId,
    /// What to store as the document's snapshot: usually the very bytes received.
    snapshot: Cow<'a, [u8]>,
    /// Chunks kept as they came because some of their changes wait for dependencies.
    waiting_chunks: Vec<&'a [u8]>,
    changes: Vec<NewChange>,
    row: Option<Row>,
    index_keys: Vec<Vec<u8>>,
    text_keys: Vec<Vec<u8>>,
    pub(super) unreadable: usize,
}

/// The outcome of reading one new document.
enum Read<'a> {
    Fresh(Box<Fresh<'a>>),
    /// A schema document: the caller handles it the slow way.
    Schema(DocId),
    /// Nothing readable in it.
    Empty(usize),
}

/// Loads a new document from what arrived for it; `None` if nothing was readable.
fn load(raw: &[&[u8]]) -> (Option<Automerge>, usize) {
    // The common case, one whole document, loads directly (no empty document to merge into).
    if let [one] = raw
        && let Ok(doc) = Automerge::load(one)
    {
        return (Some(doc), 0);
    }
    let mut doc = Automerge::new();
    let mut unreadable = 0;
    for chunk in raw {
        if doc.load_incremental(chunk).is_err() {
            unreadable += 1;
        }
    }
    if unreadable == raw.len() {
        (None, unreadable)
    } else {
        (Some(doc), unreadable)
    }
}

/// Reads one new document; with `defer_search`, leaves its search keys for later.
fn read_one<'a>(id: DocId, raw: &[&'a [u8]], deriver: &Deriver<'_>, defer_search: bool) -> Read<'a> {
    let schema = deriver.schema;
    // A chunk that makes Automerge's decoder panic leaves nothing of the new document.
    let (doc, unreadable) = catch_decoder_panic(|| load(raw)).unwrap_or((None, raw.len()));
    let Some(doc) = doc else {
        return Read::Empty(unreadable);
    };
    // Lookups and rollups are completed once the batch is written (`derive::settle`).
    let row = deriver.row_of_doc(&doc, RecordId::from_bytes(*id.as_bytes()), &NoRelated);
    if row.is_none() && schema_doc::is_schema_doc(&doc) {
        return Read::Schema(id);
    }
    let changes: Vec<NewChange> = doc.get_changes_meta(&[]).iter().map(NewChange::of).collect();
    let waiting = !doc.get_missing_deps(&[]).is_empty();
    let (snapshot, waiting_chunks) = if raw.len() == 1 && unreadable == 0 && !waiting {
        (Cow::Borrowed(raw[0]), Vec::new())
    } else if waiting {
        (Cow::Owned(doc.save()), raw.to_vec())
    } else {
        (Cow::Owned(doc.save()), Vec::new())
    };
    let (index_keys, text_keys) = match &row {
        Some(row) => {
            let object = &*super::remote::object_or_unknown(schema, row.object);
            let record = RecordId::from_bytes(*id.as_bytes());
            if row.deleted_at.is_some() {
                (Vec::new(), Vec::new())
            } else if defer_search {
                (store::index_keys(object, record, row).into_iter().collect(), Vec::new())
            } else {
                let (index, text) = store::derived_keys(object, record, Some(row));
                (index.into_iter().collect(), text.into_iter().collect())
            }
        }
        None => (Vec::new(), Vec::new()),
    };
    Read::Fresh(Box::new(Fresh {
        id,
        snapshot,
        waiting_chunks,
        changes,
        row,
        index_keys,
        text_keys,
        unreadable,
    }))
}

/// Documents per message from the readers to the writer.
const CHUNK: usize = 256;

/// What a reader hands the writer: a chunk of read documents with their index and search
/// keys, sorted on the reader's thread.
struct ReadChunk<'a> {
    reads: Vec<Read<'a>>,
    index: Vec<Vec<u8>>,
    text: Vec<Vec<u8>>,
}

fn read_chunk<'a>(chunk: &[(DocId, Vec<&'a [u8]>)], deriver: &Deriver<'_>, defer_search: bool) -> ReadChunk<'a> {
    let mut reads: Vec<Read<'a>> = chunk
        .iter()
        .map(|(id, raw)| read_one(*id, raw, deriver, defer_search))
        .collect();
    let mut index = Vec::new();
    let mut text = Vec::new();
    for read in &mut reads {
        if let Read::Fresh(f) = read {
            index.append(&mut f.index_keys);
            text.append(&mut f.text_keys);
        }
    }
    index.sort_unstable();
    text.sort_unstable();
    ReadChunk { reads, index, text }
}

/// The single thread that writes what the readers read.
struct Writer<'a, 'd, 't> {
    docs: &'a mut DocTables<'d>,
    derived: &'a mut DerivedTables<'t>,
    applied: Applied,
    /// Live records go to `search_backlog` instead of `text_index`.
    defer_search: bool,
    /// Whether written records are listed for `derive::settle`.
    has_computed: bool,
}

impl Writer<'_, '_, '_> {
    fn write(&mut self, chunk: ReadChunk<'_>) -> Result<()> {
        for read in chunk.reads {
            match read {
                Read::Fresh(f) => self.write_fresh(*f)?,
                Read::Schema(id) => self.applied.schema_docs.push(id),
                Read::Empty(unreadable) => self.applied.unreadable += unreadable,
            }
        }
        // Each chunk's keys go in as soon as they arrive, while the readers read on: the
        // B-tree pages are this transaction's own, so keys spread over the tree cost
        // little more than one sorted pass at the end, and nothing waits for that pass.
        store::insert_sorted(self.derived, chunk.index, chunk.text)?;
        Ok(())
    }

    fn write_fresh(&mut self, f: Fresh<'_>) -> Result<()> {
        self.applied.unreadable += f.unreadable;
        self.applied.documents += 1;
        self.docs
            .docs
            .insert(f.id.as_bytes(), f.snapshot.as_ref())
            .map_err(StoreError::from)?;
        for (n, chunk) in f.waiting_chunks.iter().enumerate() {
            self.docs
                .changes
                .insert((*f.id.as_bytes(), n as u32), *chunk)
                .map_err(StoreError::from)?;
        }
        self.derived.index_changes(f.id, &f.changes)?;
        if let Some(row) = &f.row {
            let record = RecordId::from_bytes(*f.id.as_bytes());
            store::write_new_row_without_keys(self.derived, row.object, record, row)?;
            if self.has_computed {
                self.applied.written.push((row.object, record, None));
            }
            if self.defer_search && row.deleted_at.is_none() {
                let key = store::row_key(row.object, record);
                self.derived
                    .search_backlog
                    .insert(key.as_slice(), ())
                    .map_err(StoreError::from)?;
            }
        }
        Ok(())
    }
}

/// Reads new documents on worker threads while this thread writes the ones already read:
/// reading (Automerge) and writing (redb) overlap. Schema documents are returned for the
/// caller to apply the careful way.
pub(super) fn apply_fresh(
    docs: &mut DocTables<'_>,
    derived: &mut DerivedTables<'_>,
    fresh: &[(DocId, Vec<&[u8]>)],
    deriver: &Deriver<'_>,
) -> Result<Applied> {
    // Thousands of new records (a device joining, a large import elsewhere) are made
    // queryable first; their search keys, more than half of all keys, follow in
    // `Workspace::index_search_backlog`.
    let bulk = fresh.len() >= 2 * CHUNK;
    let mut writer = Writer {
        docs,
        derived,
        applied: Applied::default(),
        defer_search: bulk,
        has_computed: deriver.has_computed(),
    };
    if !bulk {
        writer.write(read_chunk(fresh, deriver, false))?;
        return Ok(writer.applied);
    }
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).min(8);
    let (send, receive) = std::sync::mpsc::sync_channel::<ReadChunk<'_>>(workers * 2);
    std::thread::scope(|scope| -> Result<()> {
        let per = fresh.len().div_ceil(workers);
        for part in fresh.chunks(per) {
            let send = send.clone();
            scope.spawn(move || {
                for chunk in part.chunks(CHUNK) {
                    if send.send(read_chunk(chunk, deriver, true)).is_err() {
                        return; // the writer stopped on an error
                    }
                }
            });
        }
        drop(send);
        for chunk in receive {
            writer.write(chunk)?;
        }
        Ok(())
    })?;
    Ok(writer.applied)
}

/// What [`apply_fresh`] did.
#[derive(Debug, Default)]
pub(super) struct Applied {
    pub(super) documents: usize,
    pub(super) unreadable: usize,
    /// Schema documents found among the new ones (not written).
    pub(super) schema_docs: Vec<DocId>,
    /// Records to complete with `derive::settle` (only when there are computed fields).
    pub(super) written: Vec<Written>,
}
