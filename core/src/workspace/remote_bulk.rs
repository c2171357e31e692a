//! Applying documents that are new to this replica, in bulk: a fresh device receives the
//! whole workspace this way. Reading the documents (the costly part) runs on every core;
//! this thread only writes, and inserts index keys in sorted order.

use automerge::AutoCommit;

use crate::error::{Result, StoreError};
use crate::record::{self, Row};
use crate::schema::{Schema, doc as schema_doc};
use crate::store::{self, DerivedTables, DocTables, NewChange};
use crate::{DocId, RecordId};

/// A document new to this replica, read on a worker thread.
pub(super) struct Fresh {
    pub(super) id: DocId,
    /// What to store as the document's snapshot.
    snapshot: Vec<u8>,
    /// Chunks kept as they came because some of their changes wait for dependencies.
    waiting_chunks: Vec<Vec<u8>>,
    changes: Vec<NewChange>,
    row: Option<Row>,
    index_keys: Vec<Vec<u8>>,
    text_keys: Vec<Vec<u8>>,
    pub(super) unreadable: usize,
}

/// The outcome of reading one new document.
enum Read {
    Fresh(Box<Fresh>),
    /// A schema document: the caller handles it the slow way.
    Schema(DocId),
    /// Nothing readable in it.
    Empty(usize),
}

fn read_one(id: DocId, raw: &[&[u8]], schema: &Schema) -> Read {
    let mut doc = AutoCommit::new();
    let mut unreadable = 0;
    let mut readable = 0;
    for chunk in raw {
        match doc.load_incremental(chunk) {
            Ok(_) => readable += 1,
            Err(_) => unreadable += 1,
        }
    }
    if readable == 0 {
        return Read::Empty(unreadable);
    }
    let automerge = doc.document();
    if schema_doc::is_schema_doc(automerge) {
        return Read::Schema(id);
    }
    let row = record::read_row(automerge);
    let changes: Vec<NewChange> = doc.get_changes_meta(&[]).iter().map(NewChange::of).collect();
    let waiting = !doc.get_missing_deps(&[]).is_empty();
    let (snapshot, waiting_chunks) = if raw.len() == 1 && unreadable == 0 && !waiting {
        (raw[0].to_vec(), Vec::new())
    } else if waiting {
        (doc.save(), raw.iter().map(|c| c.to_vec()).collect())
    } else {
        (doc.save(), Vec::new())
    };
    let (index_keys, text_keys) = match &row {
        Some(row) => {
            let unknown;
            let object = match schema.object(row.object) {
                Some(o) => o,
                None => {
                    unknown = super::remote::unknown_object(row.object);
                    &unknown
                }
            };
            let (index, text) = store::derived_keys(object, RecordId::from_bytes(*id.as_bytes()), Some(row));
            (index.into_iter().collect(), text.into_iter().collect())
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

/// Reads new documents on worker threads while this thread writes the ones already read:
/// reading (Automerge) and writing (redb) overlap, and keys are inserted sorted at the
/// end. Schema documents are returned for the caller to apply the careful way.
pub(super) fn apply_fresh(
    docs: &mut DocTables<'_>,
    derived: &mut DerivedTables<'_>,
    fresh: &[(DocId, Vec<&[u8]>)],
    schema: &Schema,
) -> Result<Applied> {
    let mut applied = Applied::default();
    let mut index = Vec::new();
    let mut text = Vec::new();
    let mut write = |read: Read, applied: &mut Applied| -> Result<()> {
        match read {
            Read::Fresh(f) => {
                applied.unreadable += f.unreadable;
                applied.documents += 1;
                docs.docs
                    .insert(f.id.as_bytes(), f.snapshot.as_slice())
                    .map_err(StoreError::from)?;
                for (n, chunk) in f.waiting_chunks.iter().enumerate() {
                    docs.changes
                        .insert((*f.id.as_bytes(), n as u32), chunk.as_slice())
                        .map_err(StoreError::from)?;
                }
                derived.index_changes(f.id, &f.changes)?;
                if let Some(row) = &f.row {
                    store::write_new_row_without_keys(
                        derived,
                        row.object,
                        RecordId::from_bytes(*f.id.as_bytes()),
                        row,
                    )?;
                }
                index.extend(f.index_keys);
                text.extend(f.text_keys);
            }
            Read::Schema(id) => applied.schema_docs.push(id),
            Read::Empty(unreadable) => applied.unreadable += unreadable,
        }
        Ok(())
    };
    if fresh.len() < 2 * CHUNK {
        for (id, raw) in fresh {
            write(read_one(*id, raw, schema), &mut applied)?;
        }
    } else {
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).min(8);
        let (send, receive) = std::sync::mpsc::sync_channel::<Vec<Read>>(workers * 2);
        std::thread::scope(|scope| -> Result<()> {
            let per = fresh.len().div_ceil(workers);
            for part in fresh.chunks(per) {
                let send = send.clone();
                scope.spawn(move || {
                    for chunk in part.chunks(CHUNK) {
                        let reads = chunk.iter().map(|(id, raw)| read_one(*id, raw, schema)).collect();
                        if send.send(reads).is_err() {
                            return; // the writer stopped on an error
                        }
                    }
                });
            }
            drop(send);
            for reads in receive {
                for read in reads {
                    write(read, &mut applied)?;
                }
            }
            Ok(())
        })?;
    }
    store::insert_sorted(derived, index, text)?;
    Ok(applied)
}

/// What [`apply_fresh`] did.
#[derive(Debug, Default)]
pub(super) struct Applied {
    pub(super) documents: usize,
    pub(super) unreadable: usize,
    /// Schema documents found among the new ones (not written).
    pub(super) schema_docs: Vec<DocId>,
}
