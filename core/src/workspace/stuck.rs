//! Local changes the relay refused to store (over its chunk limit, e.g. after the
//! operator lowered it): set aside in the `stuck` table so that the rest of the outbox
//! keeps syncing, shown by `kith status`, and queued again once the relay announces a
//! limit they fit in.

use redb::{ReadableTable, ReadableTableMetadata};

use super::Workspace;
use crate::error::{Result, StoreError};
use crate::store::{self, tables};
use crate::{DocId, RecordId};

/// A local change the relay refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StuckChange {
    /// The record (or other document) it changes.
    pub record: RecordId,
    /// Its size in bytes.
    pub bytes: u64,
    /// What the relay said.
    pub reason: String,
}

fn encode(doc: &[u8], reason: &str, chunk: &[u8]) -> Vec<u8> {
    let reason = &reason.as_bytes()[..reason.len().min(u16::MAX as usize)];
    let mut value = Vec::with_capacity(18 + reason.len() + chunk.len());
    value.extend_from_slice(&doc[..16]);
    value.extend_from_slice(&(reason.len() as u16).to_le_bytes());
    value.extend_from_slice(reason);
    value.extend_from_slice(chunk);
    value
}

/// (doc id, reason, chunk) of a `stuck` value.
fn decode(value: &[u8]) -> Option<(DocId, String, &[u8])> {
    let doc = DocId::from_slice(value.get(..16)?)?;
    let len = u16::from_le_bytes(value.get(16..18)?.try_into().ok()?) as usize;
    let reason = String::from_utf8_lossy(value.get(18..18 + len)?).into_owned();
    Some((doc, reason, value.get(18 + len..)?))
}

/// Whether the relay would take `chunk` for its size.
fn fits(chunk: &[u8], limits: &crate::sync::protocol::Limits) -> bool {
    let max_inflated = usize::try_from(limits.max_inflated_chunk_bytes).unwrap_or(usize::MAX);
    chunk.len() as u64 <= limits.max_chunk_bytes
        && !matches!(
            crate::sync::check_chunk_bounds(chunk, max_inflated),
            Err(crate::sync::ChunkError::InflatesTooFar { .. } | crate::sync::ChunkError::TooManyOps { .. })
        )
}

impl Workspace {
    /// Moves outbox chunks the relay refused into the `stuck` table, with its reasons.
    pub fn set_aside(&mut self, refused: &[(u64, String)]) -> Result<()> {
        self.write(|tx| {
            let mut outbox = tx.open_table(tables::OUTBOX).map_err(StoreError::from)?;
            let mut stuck = tx.open_table(tables::STUCK).map_err(StoreError::from)?;
            let mut next = stuck
                .last()
                .map_err(StoreError::from)?
                .map_or(0, |(k, _)| k.value() + 1);
            for (id, reason) in refused {
                let Some(entry) = outbox.remove(*id).map_err(StoreError::from)? else {
                    continue;
                };
                let bytes = entry.value();
                if bytes.len() < 16 {
                    continue;
                }
                let value = encode(&bytes[..16], reason, &bytes[16..]);
                stuck.insert(next, value.as_slice()).map_err(StoreError::from)?;
                next += 1;
            }
            drop((outbox, stuck));
            if let Some(highest) = refused.iter().map(|(id, _)| *id).max() {
                store::raise_outbox_floor(tx, highest)?;
            }
            Ok(())
        })
    }

    /// The local changes the relay refused, oldest first.
    pub fn stuck_changes(&self) -> Result<Vec<StuckChange>> {
        let tx = self.store.read()?;
        let stuck = tx.open_table(tables::STUCK).map_err(StoreError::from)?;
        let mut out = Vec::new();
        for entry in stuck.iter().map_err(StoreError::from)? {
            let (_, value) = entry.map_err(StoreError::from)?;
            if let Some((doc, reason, chunk)) = decode(value.value()) {
                out.push(StuckChange {
                    record: RecordId::from_bytes(*doc.as_bytes()),
                    bytes: chunk.len() as u64,
                    reason,
                });
            }
        }
        Ok(out)
    }

    /// Queues the stuck changes that fit in the relay's `limits` again (its chunk limit
    /// or inflation bound went up); returns how many.
    pub fn release_stuck(&mut self, limits: &crate::sync::protocol::Limits) -> Result<usize> {
        {
            let tx = self.store.read()?;
            let stuck = tx.open_table(tables::STUCK).map_err(StoreError::from)?;
            if stuck.is_empty().map_err(StoreError::from)? {
                return Ok(0);
            }
        }
        let mut released = 0;
        self.write(|tx| {
            let mut stuck = tx.open_table(tables::STUCK).map_err(StoreError::from)?;
            let mut outbox = tx.open_table(tables::OUTBOX).map_err(StoreError::from)?;
            let meta = tx.open_table(tables::META).map_err(StoreError::from)?;
            let mut next = store::next_outbox_id(&outbox, &meta)?;
            drop(meta);
            let mut fitting = Vec::new();
            for entry in stuck.iter().map_err(StoreError::from)? {
                let (key, value) = entry.map_err(StoreError::from)?;
                if let Some((doc, _, chunk)) = decode(value.value())
                    && fits(chunk, limits)
                {
                    let mut queued = doc.as_bytes().to_vec();
                    queued.extend_from_slice(chunk);
                    fitting.push((key.value(), queued));
                }
            }
            for (key, queued) in fitting {
                stuck.remove(key).map_err(StoreError::from)?;
                outbox.insert(next, queued.as_slice()).map_err(StoreError::from)?;
                next += 1;
                released += 1;
            }
            Ok(())
        })?;
        Ok(released)
    }
}
