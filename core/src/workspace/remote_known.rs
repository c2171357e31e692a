//! Applying changes to many documents this replica already has, in bulk: a device
//! catching up after a bulk edit elsewhere, or joining a workspace whose records were
//! edited after their creation (their later entries arrive in a later batch).
//!
//! Worker threads load each document from a read transaction (the write transaction
//! has not touched these documents yet: new documents are written first and are never
//! in this set), merge the incoming chunks, and compute the new row and its key
//! differences. This thread writes the results in order. Nothing goes through the
//! document cache; the caller evicts these documents from it.

use redb::{ReadOnlyTable, ReadTransaction};

use super::derive::{Deriver, NoRelated, Written};
use crate::error::{Result, StoreError};
use crate::record::Row;
use crate::schema::doc as schema_doc;
use crate::store::{self, DerivedTables, DocTables, KeyDiff, NewChange, tables};
use crate::sync::chunk::catch_decoder_panic;
use crate::{DocId, RecordId};

/// Documents per message from the readers to the writer.
const CHUNK: usize = 128;

/// What a reader found for one known document.
enum Known<'a> {
    Merged(Box<Merged<'a>>),
    /// A schema document, or one missing from the store: the caller applies it the
    /// careful way.
    Serial(DocId),
    /// No incoming chunk was readable.
    Unreadable(usize),
}

struct Merged<'a> {
    id: DocId,
    /// Chunks to append after the document's `first_chunk` existing ones.
    chunks: Vec<&'a [u8]>,
    first_chunk: u32,
    /// When the chunks fold into a new snapshot: the snapshot (existing chunks go).
    folded: Option<Vec<u8>>,
    changes: Vec<NewChange>,
    /// The new row, its key differences, and the row it replaces.
    row: Option<(Row, KeyDiff, Option<Row>)>,
    unreadable: usize,
}

struct ReadTables {
    docs: ReadOnlyTable<[u8; 16], &'static [u8]>,
    changes: ReadOnlyTable<([u8; 16], u32), &'static [u8]>,
    rows: ReadOnlyTable<&'static [u8], &'static [u8]>,
    trash: ReadOnlyTable<&'static [u8], &'static [u8]>,
}

impl ReadTables {
    fn open(tx: &ReadTransaction) -> Result<Self> {
        Ok(ReadTables {
            docs: tx.open_table(tables::DOCS).map_err(StoreError::from)?,
            changes: tx.open_table(tables::DOC_CHANGES).map_err(StoreError::from)?,
            rows: tx.open_table(tables::ROWS).map_err(StoreError::from)?,
            trash: tx.open_table(tables::TRASH).map_err(StoreError::from)?,
        })
    }
}

fn read_known<'a>(id: DocId, raw: &[&'a [u8]], tables: &ReadTables, deriver: &Deriver<'_>) -> Result<Known<'a>> {
    let schema = deriver.schema;
    let Some(mut loaded) = store::load_doc(&tables.docs, &tables.changes, id)? else {
        return Ok(Known::Serial(id));
    };
    if schema_doc::is_schema_doc(loaded.doc.document()) {
        return Ok(Known::Serial(id));
    }
    let mut chunks = Vec::with_capacity(raw.len());
    let mut unreadable = 0;
    for chunk in raw {
        // A decoder panic may leave the copy half-changed: drop it, the stored
        // document stays as it was.
        match catch_decoder_panic(|| loaded.doc.load_incremental(chunk)) {
            Ok(Ok(_)) => chunks.push(*chunk),
            Ok(Err(_)) => unreadable += 1,
            Err(_) => return Ok(Known::Unreadable(raw.len())),
        }
    }
    if chunks.is_empty() {
        return Ok(Known::Unreadable(unreadable));
    }
    let changes: Vec<NewChange> = loaded
        .doc
        .get_changes_meta(&loaded.saved_heads)
        .iter()
        .map(NewChange::of)
        .collect();
    let waiting = !loaded.doc.get_missing_deps(&[]).is_empty();
    let total = loaded.chunks as usize + chunks.len();
    let folded = (total >= store::FOLD_AFTER_CHUNKS as usize && !waiting).then(|| loaded.doc.save());
    let record = RecordId::from_bytes(*id.as_bytes());
    // Lookups and rollups are completed once the batch is written (`derive::settle`).
    let row = match deriver.row_of_doc(loaded.doc.document(), record, &NoRelated) {
        Some(row) => {
            let old = store::live_or_trashed_row(&tables.rows, &tables.trash, &store::row_key(row.object, record))?;
            let object = &*super::remote::object_or_unknown(schema, row.object);
            let diff = KeyDiff::of(object, record, old.as_ref(), Some(&row));
            Some((row, diff, old))
        }
        None => None,
    };
    Ok(Known::Merged(Box::new(Merged {
        id,
        chunks,
        first_chunk: loaded.chunks,
        folded,
        changes,
        row,
        unreadable,
    })))
}

/// What [`apply_known`] did.
#[derive(Debug, Default)]
pub(super) struct Applied {
    pub(super) documents: usize,
    pub(super) unreadable: usize,
    /// Documents left for the caller (schema documents, documents not in the store).
    pub(super) serial: Vec<DocId>,
    /// Records to complete with `derive::settle` (only when there are computed fields).
    pub(super) written: Vec<Written>,
}

/// Merges incoming chunks into documents the store has, on worker threads, and writes
/// documents, rows and key differences here. `read` must be a read transaction begun
/// before anything in `known` was written by the current write transaction.
pub(super) fn apply_known(
    docs: &mut DocTables<'_>,
    derived: &mut DerivedTables<'_>,
    read: &ReadTransaction,
    known: &[(DocId, Vec<&[u8]>)],
    deriver: &Deriver<'_>,
) -> Result<Applied> {
    let has_computed = deriver.has_computed();
    let mut applied = Applied::default();
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).min(8);
    let (send, receive) = std::sync::mpsc::sync_channel::<Result<Vec<Known<'_>>>>(workers * 2);
    std::thread::scope(|scope| -> Result<()> {
        let per = known.len().div_ceil(workers).max(1);
        for part in known.chunks(per) {
            let send = send.clone();
            scope.spawn(move || {
                let tables = match ReadTables::open(read) {
                    Ok(t) => t,
                    Err(e) => {
                        let _ = send.send(Err(e));
                        return;
                    }
                };
                for chunk in part.chunks(CHUNK) {
                    let reads = chunk
                        .iter()
                        .map(|(id, raw)| read_known(*id, raw, &tables, deriver))
                        .collect::<Result<Vec<_>>>();
                    let failed = reads.is_err();
                    if send.send(reads).is_err() || failed {
                        return; // the writer stopped, or this reader did
                    }
                }
            });
        }
        drop(send);
        for reads in receive {
            let mut diff = KeyDiff::default();
            for read in reads? {
                match read {
                    Known::Merged(m) => write_merged(docs, derived, *m, &mut diff, &mut applied, has_computed)?,
                    Known::Serial(id) => applied.serial.push(id),
                    Known::Unreadable(n) => applied.unreadable += n,
                }
            }
            diff.apply(derived)?;
        }
        Ok(())
    })?;
    Ok(applied)
}

fn write_merged(
    docs: &mut DocTables<'_>,
    derived: &mut DerivedTables<'_>,
    m: Merged<'_>,
    diff: &mut KeyDiff,
    applied: &mut Applied,
    has_computed: bool,
) -> Result<()> {
    let id = *m.id.as_bytes();
    match &m.folded {
        Some(snapshot) => {
            docs.docs.insert(&id, snapshot.as_slice()).map_err(StoreError::from)?;
            for n in 0..m.first_chunk {
                docs.changes.remove((id, n)).map_err(StoreError::from)?;
            }
        }
        None => {
            for (n, chunk) in (m.first_chunk..).zip(&m.chunks) {
                docs.changes.insert((id, n), *chunk).map_err(StoreError::from)?;
            }
        }
    }
    derived.index_changes(m.id, &m.changes)?;
    if let Some((row, row_diff, old)) = m.row {
        let mut row_diff = row_diff;
        store::write_row_without_keys(derived, row.object, RecordId::from_bytes(id), &row)?;
        diff.append(&mut row_diff);
        if has_computed {
            applied.written.push((row.object, RecordId::from_bytes(id), old));
        }
    }
    applied.documents += 1;
    applied.unreadable += m.unreadable;
    Ok(())
}
