//! Purging: erasing a record for good, on this device and, through the relay, on every
//! other. A purge here erases the record's document, history, rows and index entries,
//! remembers the document as purged (chunks that arrive for it later are dropped), and
//! queues a purge request for the relay until the relay confirms it. A purge that comes
//! from the relay erases the record the same way, also when it is live here again (this
//! device restored or edited it meanwhile): an erasure request wins over edits.

use redb::{ReadableTable, ReadableTableMetadata, WriteTransaction};

use super::Workspace;
use super::remote::object_or_unknown;
use crate::error::{Error, Result, StoreError};
use crate::store::{DocTables, KeyDiff, row_key, tables};
use crate::sync::protocol::Role;
use crate::{DocId, ObjectId, RecordId};

impl Workspace {
    /// Destroys a record in the trash: its document, history and rows, here at once and
    /// on every other device and the relay at the next sync. The one destructive action;
    /// it cannot be reverted.
    pub fn purge(&mut self, record: RecordId) -> Result<()> {
        if self.sync_role()? == Some(Role::Viewer) {
            return Err(StoreError::ReadOnly.into());
        }
        let row = self.row(record)?;
        if row.deleted_at.is_none() {
            return Err(Error::RecordNotFound(format!(
                "{record} in the trash (delete it first)"
            )));
        }
        let doc: DocId = record.into();
        let now = (self.clock)();
        let hashes = self.change_hashes(doc)?;
        self.cache.pop(&doc);
        self.write_telling(super::Changes::local_records(vec![record]), |tx| {
            self.erase_in(tx, doc, &hashes)?;
            remember_purged(tx, doc, u64::try_from(now).unwrap_or(0))?;
            let mut pending = tx.open_table(tables::PENDING_PURGES).map_err(StoreError::from)?;
            pending.insert(doc.as_bytes(), ()).map_err(StoreError::from)?;
            Ok(())
        })
    }

    /// Erases documents the relay says were purged (by any device), with the time of
    /// the purge; returns the records that existed here and are now gone. Idempotent.
    pub fn erase_purged(&mut self, purged: &[(DocId, u64)]) -> Result<Vec<RecordId>> {
        let mut erased = Vec::new();
        let mut hashes = Vec::with_capacity(purged.len());
        for (doc, _) in purged {
            hashes.push(self.change_hashes(*doc)?);
            self.cache.pop(doc);
        }
        let tx = self.store.write()?;
        for ((doc, at), hashes) in purged.iter().zip(&hashes) {
            if self.erase_in(&tx, *doc, hashes)? {
                erased.push(RecordId::from_bytes(*doc.as_bytes()));
            }
            remember_purged(&tx, *doc, *at)?;
            let mut pending = tx.open_table(tables::PENDING_PURGES).map_err(StoreError::from)?;
            pending.remove(doc.as_bytes()).map_err(StoreError::from)?;
        }
        tx.commit().map_err(StoreError::from)?;
        // Arrived by sync: observers refresh, the connector has nothing new to push.
        self.committed(super::Changes {
            records: erased.clone(),
            ..super::Changes::default()
        });
        Ok(erased)
    }

    /// Purges made here that the relay has not confirmed yet.
    pub fn pending_purges(&self) -> Result<Vec<DocId>> {
        let tx = self.store.read()?;
        let table = tx.open_table(tables::PENDING_PURGES).map_err(StoreError::from)?;
        let mut out = Vec::new();
        for entry in table.iter().map_err(StoreError::from)? {
            let (key, _) = entry.map_err(StoreError::from)?;
            out.push(DocId::from_bytes(key.value()));
        }
        Ok(out)
    }

    /// Whether a document was purged (here or elsewhere).
    pub fn is_purged(&self, doc: DocId) -> Result<bool> {
        let tx = self.store.read()?;
        let table = tx.open_table(tables::PURGED).map_err(StoreError::from)?;
        Ok(table.get(doc.as_bytes()).map_err(StoreError::from)?.is_some())
    }

    /// The purged documents among `docs` (nothing to look up when none ever was).
    pub(super) fn purged_among(&self, docs: &[DocId]) -> Result<Vec<DocId>> {
        let tx = self.store.read()?;
        let table = tx.open_table(tables::PURGED).map_err(StoreError::from)?;
        if table.is_empty().map_err(StoreError::from)? {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for doc in docs {
            if table.get(doc.as_bytes()).map_err(StoreError::from)?.is_some() {
                out.push(*doc);
            }
        }
        Ok(out)
    }

    fn change_hashes(&self, doc: DocId) -> Result<Vec<[u8; 32]>> {
        Ok(match self.read_doc(doc)? {
            Some(mut d) => d.get_changes(&[]).iter().map(|c| c.hash().0).collect(),
            None => Vec::new(),
        })
    }

    /// Removes a document and everything derived from it; false if it was not here.
    fn erase_in(&self, tx: &WriteTransaction, doc: DocId, hashes: &[[u8; 32]]) -> Result<bool> {
        let mut docs = DocTables::open(tx)?;
        let existed = docs.docs.remove(doc.as_bytes()).map_err(StoreError::from)?.is_some();
        docs.changes
            .retain_in((*doc.as_bytes(), 0)..=(*doc.as_bytes(), u32::MAX), |_, _| false)
            .map_err(StoreError::from)?;
        docs.outbox
            .retain(|_, v| !v.starts_with(doc.as_bytes()))
            .map_err(StoreError::from)?;
        drop(docs);
        let record = RecordId::from_bytes(*doc.as_bytes());
        let mut derived = self.derived_tables(tx)?;
        derived
            .short_ids
            .remove(crate::short_id::random_key(record.as_bytes()))
            .map_err(StoreError::from)?;
        let object = derived
            .record_objects
            .remove(record.as_bytes())
            .map_err(StoreError::from)?
            .map(|g| ObjectId::from_bytes(g.value()));
        if let Some(object) = object {
            let key = row_key(object, record);
            // A live record (restored or edited here meanwhile): its index and search
            // entries go too.
            let live = derived
                .current_row(object, record)?
                .filter(|row| row.deleted_at.is_none());
            if let Some(row) = &live {
                let def = object_or_unknown(&self.schema, object);
                KeyDiff::of(&def, record, Some(row), None).apply(&mut derived)?;
            }
            derived.rows.remove(key.as_slice()).map_err(StoreError::from)?;
            derived.trash.remove(key.as_slice()).map_err(StoreError::from)?;
            derived.conflicts.remove(key.as_slice()).map_err(StoreError::from)?;
            super::row_written(&mut derived, object, record, None, crate::store::KeysWritten::Yes)?;
            derived
                .search_backlog
                .remove(key.as_slice())
                .map_err(StoreError::from)?;
            crate::store::remove_rollup_states(&mut derived, record)?;
            // The rollups and lookups that counted it no longer do.
            if let Some(row) = &live {
                super::derive::recompute_dependents(&self.deriver(), &mut derived, object, record, Some(row), None)?;
            }
        }
        for hash in hashes {
            derived.changes.remove(hash).map_err(StoreError::from)?;
        }
        Ok(existed)
    }
}

fn remember_purged(tx: &WriteTransaction, doc: DocId, at: u64) -> Result<()> {
    let mut purged = tx.open_table(tables::PURGED).map_err(StoreError::from)?;
    purged.insert(doc.as_bytes(), at).map_err(StoreError::from)?;
    Ok(())
}
