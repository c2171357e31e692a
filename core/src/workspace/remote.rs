//! The workspace's side of sync: the outbox to push, acknowledgements, the log cursor,
//! and applying what other devices changed. The sync engine (`crate::sync`) decides when;
//! these run the local transactions.

use std::collections::HashMap;

use redb::ReadableTable;

use super::{Workspace, prepare_for_local_edits, schema_ops::rebuild_changed_objects};
use crate::error::{Result, StoreError};
use crate::record;
use crate::schema::ObjectDef;
use crate::schema::doc as schema_doc;
use crate::store::{self, DerivedTables, DocTables, LoadedDoc, tables};
use crate::sync::chunk::{DEVICE_MAX_INFLATED_BYTES, catch_decoder_panic, check_chunk_bounds};
use crate::sync::protocol::{Entry, PushChunk, Snapshot};
use crate::{DocId, RecordId};

/// From this many documents the replica already has, a batch merges them on every core.
const KNOWN_IN_BULK: usize = 256;

pub(super) const SYNC_CURSOR: &str = "sync_cursor";
const SETTING_PREFIX: &str = "setting:";

/// What applying remote changes did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ApplySummary {
    /// Documents that received changes.
    pub documents: usize,
    /// Chunks Automerge could not read (a newer client's, or damaged): kept in the
    /// `unreadable` table and applied again after an upgrade.
    pub unreadable: usize,
}

/// The most documents of one applied batch that observers are told one by one.
const LISTED_CHANGES: usize = 10_000;

impl Workspace {
    /// The highest log position this replica has applied.
    pub fn sync_cursor(&self) -> Result<u64> {
        let tx = self.store.read()?;
        Ok(store::get_meta(&tx, SYNC_CURSOR)?
            .and_then(|b| b.try_into().ok())
            .map_or(0, u64::from_le_bytes))
    }

    /// A setting stored in the workspace file (the client keeps its relay address here).
    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        let tx = self.store.read()?;
        Ok(store::get_meta(&tx, &format!("{SETTING_PREFIX}{key}"))?.map(|b| String::from_utf8_lossy(&b).into_owned()))
    }

    pub fn set_setting(&mut self, key: &str, value: &str) -> Result<()> {
        self.write(|tx| {
            Ok(store::set_meta(
                tx,
                &format!("{SETTING_PREFIX}{key}"),
                value.as_bytes(),
            )?)
        })
    }

    /// Up to `limit` outbox chunks, oldest first.
    pub fn outbox(&self, limit: usize) -> Result<Vec<PushChunk>> {
        let tx = self.store.read()?;
        let outbox = tx.open_table(tables::OUTBOX).map_err(StoreError::from)?;
        let mut out = Vec::new();
        for entry in outbox.iter().map_err(StoreError::from)?.take(limit) {
            let (seq, value) = entry.map_err(StoreError::from)?;
            let bytes = value.value();
            let Some(doc) = DocId::from_slice(bytes) else {
                continue;
            };
            out.push(PushChunk {
                id: seq.value(),
                doc,
                data: bytes[16..].to_vec(),
            });
        }
        Ok(out)
    }

    /// Removes acknowledged chunks from the outbox and stores the cursor, in one
    /// transaction.
    pub fn acknowledge(&mut self, ids: &[u64], cursor: u64) -> Result<()> {
        let current = self.sync_cursor()?;
        self.write(|tx| {
            let mut outbox = tx.open_table(tables::OUTBOX).map_err(StoreError::from)?;
            for id in ids {
                outbox.remove(*id).map_err(StoreError::from)?;
            }
            drop(outbox);
            if let Some(highest) = ids.iter().max() {
                store::raise_outbox_floor(tx, *highest)?;
            }
            store::set_meta(tx, SYNC_CURSOR, &current.max(cursor).to_le_bytes())?;
            Ok(())
        })
    }

    /// Applies documents and log entries from the relay and stores `cursor`, all in one
    /// transaction: documents, rows, indexes and cursor move together or not at all.
    ///
    /// Chunks are untrusted: one that is empty, not Automerge, or inflates past
    /// [`DEVICE_MAX_INFLATED_BYTES`] is counted as unreadable and skipped, and one that
    /// makes Automerge's decoder panic leaves its document as it was.
    pub fn apply_remote(&mut self, snapshots: &[Snapshot], entries: &[Entry], cursor: u64) -> Result<ApplySummary> {
        let mut order: Vec<DocId> = Vec::new();
        let mut chunks: HashMap<DocId, Vec<&[u8]>> = HashMap::new();
        let mut summary = ApplySummary::default();
        let all = snapshots
            .iter()
            .map(|s| (s.doc, s.data.as_slice()))
            .chain(entries.iter().map(|e| (e.doc, e.data.as_slice())));
        // Chunks that fail the bounds check never reach Automerge; like every chunk this
        // replica cannot read, they are kept (bytes as received) rather than dropped.
        let mut out_of_bounds: Vec<(DocId, &[u8])> = Vec::new();
        for (doc, data) in all {
            if check_chunk_bounds(data, DEVICE_MAX_INFLATED_BYTES).is_err() {
                summary.unreadable += 1;
                out_of_bounds.push((doc, data));
                continue;
            }
            chunks
                .entry(doc)
                .or_insert_with(|| {
                    order.push(doc);
                    Vec::new()
                })
                .push(data);
        }
        // Documents purged for good are never brought back by late chunks.
        let purged = self.purged_among(&order)?;
        if !purged.is_empty() {
            order.retain(|d| !purged.contains(d));
            for doc in &purged {
                chunks.remove(doc);
            }
        }
        if let Some(schema) = self.arriving_schema_doc(&order, &chunks) {
            // The workspace's first log entry is its schema document. Applied first, on
            // its own (the cursor stays), it lets the records of this batch be indexed
            // once, with their fields, rather than as records of an unknown object
            // reindexed when the schema is applied after them.
            let snapshots: Vec<Snapshot> = snapshots.iter().filter(|s| s.doc == schema).cloned().collect();
            let entries: Vec<Entry> = entries.iter().filter(|e| e.doc == schema).cloned().collect();
            let current = self.sync_cursor()?;
            summary.unreadable += self.apply_remote(&snapshots, &entries, current)?.unreadable;
        }
        let before = self.schema.clone();
        // What observers are told: the batch's documents, unless the batch is a bulk
        // catch-up (then "everything may have changed").
        let touched: Vec<RecordId> = if order.len() <= LISTED_CHANGES {
            order.iter().map(|id| RecordId::from_bytes(*id.as_bytes())).collect()
        } else {
            Vec::new()
        };
        let current_cursor = self.sync_cursor()?;
        // Healing writes changes of this replica's own: only where it may write.
        let may_write = !self.is_read_only()?;
        let tx = self.store.write()?;
        let mut done: Vec<(DocId, LoadedDoc)> = Vec::new();
        let mut new_schema: Option<(DocId, LoadedDoc)> = None;
        let mut reload_schema = false;
        {
            let mut docs = DocTables::open(&tx)?;
            let mut derived = self.derived_tables(&tx)?;
            // Documents this replica has never seen are read in bulk, on every core.
            let mut fresh: Vec<(DocId, Vec<&[u8]>)> = Vec::new();
            let mut known: Vec<DocId> = Vec::new();
            for id in order {
                let seen = (id == self.schema_doc_id && self.has_schema_doc())
                    || self.cache.contains(&id)
                    || docs.docs.get(id.as_bytes()).map_err(StoreError::from)?.is_some();
                if seen {
                    known.push(id);
                } else {
                    fresh.push((id, chunks[&id].clone()));
                }
            }
            let deriver = super::derive::Deriver::new(&self.schema, (self.clock)());
            let mut applied = super::remote_bulk::apply_fresh(&mut docs, &mut derived, &fresh, &deriver)?;
            summary.documents += applied.documents;
            summary.unreadable += applied.unreadable;
            known.extend(applied.schema_docs);
            let mut written = std::mem::take(&mut applied.written);
            if known.len() >= KNOWN_IN_BULK {
                known =
                    self.apply_known_in_bulk(&mut docs, &mut derived, &chunks, known, &mut summary, &mut written)?;
            }
            // Lookups and rollups of what the bulk paths wrote, and of the records that
            // read them: after both (the known documents' old rows were read before).
            super::derive::settle(
                &super::derive::Deriver::new(&self.schema, (self.clock)()),
                &mut derived,
                written,
            )?;
            for id in known {
                let raw = &chunks[&id];
                let is_schema = id == self.schema_doc_id && self.has_schema_doc();
                let existing = if is_schema { self.schema_doc.take() } else { None };
                let existing = match existing {
                    Some(l) => Some(l),
                    None => self.take_doc(&docs, id)?,
                };
                let mut loaded = existing.unwrap_or_else(|| LoadedDoc::new(super::new_doc(&self.device)));
                let mut readable: Vec<&[u8]> = Vec::with_capacity(raw.len());
                let mut panicked = false;
                for chunk in raw {
                    match catch_decoder_panic(|| loaded.doc.load_incremental(chunk)) {
                        Ok(Ok(_)) => readable.push(chunk),
                        Ok(Err(_)) => summary.unreadable += 1,
                        Err(_) => {
                            panicked = true;
                            break;
                        }
                    }
                }
                if panicked {
                    // The document in memory may be half-changed: drop it (the stored
                    // one is untouched; the schema is read again after the commit).
                    summary.unreadable += raw.len() - readable.len();
                    reload_schema |= is_schema;
                    continue;
                }
                if readable.is_empty() && loaded.is_new {
                    continue;
                }
                let added = store::persist_remote(&mut docs, id, &mut loaded, &readable)?;
                derived.index_changes(id, &added)?;
                summary.documents += 1;
                let adopt = !self.has_schema_doc() && schema_doc::is_schema_doc(loaded.doc.document());
                if is_schema || adopt {
                    new_schema = Some((id, loaded));
                    continue;
                }
                if may_write && record::needs_heal(loaded.doc.document()) {
                    // Two devices created the document of one record id (each imported it,
                    // say): fold the competing `values` maps into one, as a change that
                    // syncs, so later edits are not shadowed.
                    if record::heal(&mut loaded.doc).map_err(|e| super::corrupt(id, e))? {
                        super::commit(&mut loaded.doc, super::schema_ops::HEAL, (self.clock)());
                        let healed = store::persist_doc(&mut docs, id, &mut loaded)?;
                        derived.index_changes(id, &healed)?;
                    }
                }
                let record_id = RecordId::from_bytes(*id.as_bytes());
                let deriver = super::derive::Deriver::new(&self.schema, (self.clock)());
                let row = deriver.row_of_doc(
                    loaded.doc.document(),
                    record_id,
                    &super::derive::TablesRelated(&derived),
                );
                if let Some(row) = row {
                    let old = derived.current_row(row.object, record_id)?;
                    let object = &*object_or_unknown(&self.schema, row.object);
                    store::write_row(&mut derived, object, record_id, old.as_ref(), &row)?;
                    super::derive::recompute_dependents(
                        &deriver,
                        &mut derived,
                        object.id,
                        record_id,
                        old.as_ref(),
                        Some(&row),
                    )?;
                }
                done.push((id, loaded));
            }
            if let Some((id, loaded)) = &mut new_schema {
                let after = schema_doc::hydrate(loaded.doc.document());
                rebuild_changed_objects(&mut derived, &before, &after, (self.clock)())?;
                if !self.has_schema_doc() {
                    store::set_meta(&tx, super::meta_keys::SCHEMA_DOC, id.as_bytes())?;
                }
            }
            if summary.unreadable > 0 {
                // Kept in the transaction that moves the cursor past them.
                let all = chunks
                    .iter()
                    .flat_map(|(id, list)| list.iter().map(move |c| (*id, *c)))
                    .chain(out_of_bounds.iter().copied());
                super::unreadable::keep_unreadable(&tx, all)?;
            }
            store::set_meta(&tx, SYNC_CURSOR, &current_cursor.max(cursor).to_le_bytes())?;
        }
        let committed = tx.commit().map_err(StoreError::from);
        if let Err(e) = committed {
            // Documents taken out of the cache hold changes that are not on disk.
            let _ = self.load_schema();
            return Err(e.into());
        }
        let mut changes = super::Changes {
            records: touched,
            schema: new_schema.is_some(),
            ..super::Changes::default()
        };
        // Configuration documents among the known ones, by their kind (the manifest may
        // not have said yet); new ones are found by the manifest below.
        let mut config: Vec<DocId> = done
            .iter()
            .filter(|(_, l)| crate::doc_kind::kind_of(&l.doc).is_some_and(|k| k.is_config()))
            .map(|(id, _)| *id)
            .collect();
        for (id, loaded) in done {
            self.cache_doc(id, loaded);
        }
        if reload_schema {
            self.load_schema()?;
        }
        if let Some((id, mut loaded)) = new_schema {
            prepare_for_local_edits(&mut loaded.doc, &self.device);
            self.schema = schema_doc::hydrate(loaded.doc.document());
            self.schema_doc_id = id;
            self.schema_doc = Some(loaded);
            // Another device's change may have created a map this replica also created
            // (versions before containers were made with their parents): fold them.
            if may_write {
                self.heal_schema()?;
            }
        }
        changes.records.retain(|r| DocId::from(*r) != self.schema_doc_id);
        // Configuration documents (a view saved on another device) are told apart.
        config.extend(self.schema.config_docs.iter().map(|c| c.id));
        let (config, records): (Vec<RecordId>, Vec<RecordId>) = std::mem::take(&mut changes.records)
            .into_iter()
            .partition(|r| config.contains(&DocId::from(*r)));
        changes.records = records;
        changes.config = config.into_iter().map(DocId::from).collect();
        self.committed(changes);
        // Two devices may have added a field with one key: values held under the alias
        // (arriving with this batch or before) move to the field it was merged into.
        if may_write {
            self.move_merged_values()?;
        }
        Ok(summary)
    }

    /// The first document of a batch, when this replica has no schema yet, the batch has
    /// other documents, and that first document is a schema document.
    fn arriving_schema_doc(&self, order: &[DocId], chunks: &HashMap<DocId, Vec<&[u8]>>) -> Option<DocId> {
        if self.has_schema_doc() || order.len() < 2 {
            return None;
        }
        let first = *order.first()?;
        let mut doc = automerge::Automerge::new();
        for chunk in chunks.get(&first)? {
            catch_decoder_panic(|| doc.load_incremental(chunk)).ok()?.ok()?;
        }
        schema_doc::is_schema_doc(&doc).then_some(first)
    }

    /// Merges many known documents on every core (`remote_known.rs`); returns the ones
    /// to apply one by one (schema documents).
    fn apply_known_in_bulk(
        &mut self,
        docs: &mut DocTables<'_>,
        derived: &mut DerivedTables<'_>,
        chunks: &HashMap<DocId, Vec<&[u8]>>,
        known: Vec<DocId>,
        summary: &mut ApplySummary,
        written: &mut Vec<super::derive::Written>,
    ) -> Result<Vec<DocId>> {
        let schema_id = self.has_schema_doc().then_some(self.schema_doc_id);
        let (mut serial, bulk): (Vec<DocId>, Vec<DocId>) = known.into_iter().partition(|id| Some(*id) == schema_id);
        let bulk: Vec<(DocId, Vec<&[u8]>)> = bulk
            .into_iter()
            .map(|id| {
                // The cached copy would miss what is merged here.
                self.cache.pop(&id);
                (id, chunks.get(&id).cloned().unwrap_or_default())
            })
            .collect();
        let read = self.store.read()?;
        let deriver = super::derive::Deriver::new(&self.schema, (self.clock)());
        let mut applied = super::remote_known::apply_known(docs, derived, &read, &bulk, &deriver)?;
        written.append(&mut applied.written);
        summary.documents += applied.documents;
        summary.unreadable += applied.unreadable;
        serial.extend(applied.serial);
        Ok(serial)
    }

    /// Heads of every document, for comparing replicas (tests, diagnostics).
    #[doc(hidden)]
    pub fn document_heads(&mut self) -> Result<Vec<(DocId, Vec<automerge::ChangeHash>)>> {
        let tx = self.store.read()?;
        let docs = tx.open_table(tables::DOCS).map_err(StoreError::from)?;
        let changes = tx.open_table(tables::DOC_CHANGES).map_err(StoreError::from)?;
        let mut out = Vec::new();
        for entry in docs.iter().map_err(StoreError::from)? {
            let (key, _) = entry.map_err(StoreError::from)?;
            let id = DocId::from_bytes(key.value());
            if let Some(mut loaded) = store::load_doc(&docs, &changes, id)? {
                let mut heads = loaded.doc.get_heads();
                heads.sort();
                out.push((id, heads));
            }
        }
        Ok(out)
    }
}

/// The definition of a record's object, or [`unknown_object`] when this replica's schema
/// does not have it (yet).
pub(super) fn object_or_unknown(schema: &crate::Schema, id: crate::ObjectId) -> std::borrow::Cow<'_, ObjectDef> {
    schema.object(id).map_or_else(
        || std::borrow::Cow::Owned(unknown_object(id)),
        std::borrow::Cow::Borrowed,
    )
}

/// A stand-in for an object this replica's schema does not have yet: its records keep
/// their rows and get indexed once the schema arrives.
pub(super) fn unknown_object(id: crate::ObjectId) -> ObjectDef {
    ObjectDef {
        id,
        key: String::new(),
        label: String::new(),
        order: 0,
        archived: true,
        fields: Vec::new(),
    }
}

impl Workspace {
    /// A document's full saved bytes (tests compare replicas with it).
    #[doc(hidden)]
    pub fn document_bytes(&self, id: DocId) -> Result<Option<Vec<u8>>> {
        let tx = self.store.read()?;
        let docs = tx.open_table(tables::DOCS).map_err(StoreError::from)?;
        let changes = tx.open_table(tables::DOC_CHANGES).map_err(StoreError::from)?;
        Ok(store::load_doc(&docs, &changes, id)?.map(|mut l| l.doc.save()))
    }
}
