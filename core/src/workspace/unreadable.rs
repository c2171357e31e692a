//! Nothing received is dropped: a chunk from the relay that this replica cannot read
//! (written by a newer Kith, or damaged) is kept in the `unreadable` table in the same
//! transaction that moves the cursor past it, and applied again after an upgrade: when
//! the workspace is opened by another Kith version, and by `kith reindex`.

use redb::{ReadableTable, ReadableTableMetadata, WriteTransaction};

use super::Workspace;
use crate::DocId;
use crate::error::{Result, StoreError};
use crate::store::{self, tables};
use crate::sync::protocol::Entry;

/// `meta` key: the Kith version that last opened the workspace.
const OPENED_BY: &str = "opened_by_version";

/// Whether Automerge can read `chunk` on its own (changes waiting for their
/// dependencies are readable).
pub(super) fn readable(chunk: &[u8]) -> bool {
    // Bounded and panic-safe: the chunk came from the relay and may be hostile.
    crate::sync::chunk::catch_decoder_panic(|| {
        crate::sync::check_chunk_bounds(chunk, crate::sync::chunk::DEVICE_MAX_INFLATED_BYTES).is_ok()
            && automerge::Automerge::new().load_incremental(chunk).is_ok()
    })
    .unwrap_or(false)
}

/// Keeps the chunks of a batch that cannot be read, once each.
pub(super) fn keep_unreadable<'a>(
    tx: &WriteTransaction,
    chunks: impl Iterator<Item = (DocId, &'a [u8])>,
) -> Result<usize> {
    let mut table = tx.open_table(tables::UNREADABLE).map_err(StoreError::from)?;
    let mut next = table
        .last()
        .map_err(StoreError::from)?
        .map_or(0, |(k, _)| k.value() + 1);
    let mut kept = 0;
    for (doc, chunk) in chunks.filter(|(_, c)| !readable(c)) {
        let mut value = Vec::with_capacity(16 + chunk.len());
        value.extend_from_slice(doc.as_bytes());
        value.extend_from_slice(chunk);
        // The table is small (it holds only what failed): a scan finds a repeat.
        let mut known = false;
        for entry in table.iter().map_err(StoreError::from)? {
            let (_, v) = entry.map_err(StoreError::from)?;
            if v.value() == value.as_slice() {
                known = true;
                break;
            }
        }
        if !known {
            table.insert(next, value.as_slice()).map_err(StoreError::from)?;
            next += 1;
            kept += 1;
        }
    }
    Ok(kept)
}

impl Workspace {
    /// Received chunks this replica could not read, kept for a later version.
    pub fn unreadable_len(&self) -> Result<u64> {
        let tx = self.store.read()?;
        Ok(tx
            .open_table(tables::UNREADABLE)
            .map_err(StoreError::from)?
            .len()
            .map_err(StoreError::from)?)
    }

    /// Applies the kept unreadable chunks again; those this version reads leave the
    /// table. Returns how many are still unreadable.
    pub fn retry_unreadable(&mut self) -> Result<u64> {
        let kept: Vec<(u64, Entry)> = {
            let tx = self.store.read()?;
            let table = tx.open_table(tables::UNREADABLE).map_err(StoreError::from)?;
            let mut kept = Vec::new();
            for entry in table.iter().map_err(StoreError::from)? {
                let (key, value) = entry.map_err(StoreError::from)?;
                let bytes = value.value();
                let Some(doc) = DocId::from_slice(bytes) else {
                    continue;
                };
                kept.push((
                    key.value(),
                    Entry {
                        seq: 0,
                        doc,
                        data: bytes[16..].to_vec(),
                    },
                ));
            }
            kept
        };
        if kept.is_empty() {
            return Ok(0);
        }
        let now_readable: Vec<u64> = kept
            .iter()
            .filter(|(_, e)| readable(&e.data))
            .map(|(k, _)| *k)
            .collect();
        if !now_readable.is_empty() {
            let entries: Vec<Entry> = kept.iter().map(|(_, e)| e.clone()).collect();
            let cursor = self.sync_cursor()?;
            // Applied first, removed after: a crash between leaves them to retry.
            self.apply_remote(&[], &entries, cursor)?;
            self.write(|tx| {
                let mut table = tx.open_table(tables::UNREADABLE).map_err(StoreError::from)?;
                for key in &now_readable {
                    table.remove(*key).map_err(StoreError::from)?;
                }
                Ok(())
            })?;
        }
        self.unreadable_len()
    }

    /// On open: when another Kith version opened the workspace last, retries what that
    /// version could not read.
    pub(super) fn retry_unreadable_after_upgrade(&mut self) -> Result<()> {
        let version = env!("CARGO_PKG_VERSION");
        let tx = self.store.read()?;
        let last = store::get_meta(&tx, OPENED_BY)?;
        drop(tx);
        if last.as_deref() == Some(version.as_bytes()) {
            return Ok(());
        }
        if self.unreadable_len()? > 0 {
            self.retry_unreadable()?;
        }
        self.write(|tx| Ok(store::set_meta(tx, OPENED_BY, version.as_bytes())?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CreateOptions;

    /// What an older version kept because it could not read it, and this one can.
    fn kept_by_an_older_version(ws: &Workspace, doc: DocId, chunk: &[u8]) {
        ws.write(|tx| {
            let mut table = tx.open_table(tables::UNREADABLE).map_err(StoreError::from)?;
            let mut value = doc.as_bytes().to_vec();
            value.extend_from_slice(chunk);
            table.insert(0, value.as_slice()).map_err(StoreError::from)?;
            drop(table);
            Ok(store::set_meta(tx, OPENED_BY, b"0.0.1")?)
        })
        .unwrap();
    }

    #[test]
    fn opening_with_a_new_version_applies_what_an_older_one_could_not_read() {
        let mut source = Workspace::in_memory(CreateOptions::new("founder")).unwrap();
        let people = source.object_named("people").unwrap().id;
        let values = source.parse_values(people, &[("name".into(), "Ada".into())]).unwrap();
        let ada = source.create_record(people, values).unwrap();
        let chunks = source.outbox(10).unwrap();
        let (record, schema): (Vec<_>, Vec<_>) = chunks.into_iter().partition(|c| c.doc == ada.into());

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ws");
        {
            let mut replica = Workspace::create_replica(&path, "bob").unwrap();
            let entries: Vec<Entry> = schema
                .into_iter()
                .map(|c| Entry {
                    seq: 1,
                    doc: c.doc,
                    data: c.data,
                })
                .collect();
            replica.apply_remote(&[], &entries, 2).unwrap();
            kept_by_an_older_version(&replica, record[0].doc, &record[0].data);
            assert!(replica.record(ada).is_err());
        }
        let replica = Workspace::open(&path).unwrap();
        assert_eq!(replica.unreadable_len().unwrap(), 0);
        assert!(replica.record(ada).is_ok(), "applied on open");
    }
}
