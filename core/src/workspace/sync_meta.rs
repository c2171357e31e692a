//! What a replica remembers about the relay it syncs with, beside the cursor: the epoch
//! of the relay log the cursor counts in, the role of its token, and the relay's chunk
//! limit. All are `meta` keys (the store's sync metadata); the role and the limit are
//! read again by every local write (`store::DocTables`), which refuses what the relay
//! would refuse.

use redb::ReadableTable;

use super::Workspace;
use crate::error::{Result, StoreError};
use crate::store::{self, tables};
use crate::sync::protocol::Role;

use crate::store::{SYNC_MAX_CHUNK, SYNC_MAX_INFLATED, SYNC_ROLE, read_max_chunk, read_max_inflated};

const SYNC_EPOCH: &str = "sync_epoch";

impl Workspace {
    /// The epoch of the relay log this replica's cursor counts in (`None` before the
    /// first sync with a protocol-2 relay).
    pub fn sync_epoch(&self) -> Result<Option<String>> {
        let tx = self.store.read()?;
        Ok(store::get_meta(&tx, SYNC_EPOCH)?.map(|b| String::from_utf8_lossy(&b).into_owned()))
    }

    /// Remembers the relay log's epoch. With `resync` (the relay's log is another one
    /// than the cursor counts in: restored from a backup), also sets the cursor to 0 and,
    /// when `requeue`, queues every document's stored chunks in the outbox, all in one
    /// transaction: everything this replica holds reaches the relay again (the relay
    /// drops chunks it already has, and Automerge changes it already has), and purges
    /// made on any device are queued to be sent again. Returns the number of chunks
    /// queued.
    pub fn adopt_sync_epoch(&mut self, epoch: &str, resync: bool, requeue: bool) -> Result<u64> {
        let mut queued = 0;
        self.write(|tx| {
            store::set_meta(tx, SYNC_EPOCH, epoch.as_bytes())?;
            if !resync {
                return Ok(());
            }
            store::set_meta(tx, super::remote::SYNC_CURSOR, &0u64.to_le_bytes())?;
            if requeue {
                queued = requeue_everything(tx)?;
                // A relay restored from a backup may hold documents purged since:
                // purge them there again.
                let purged = tx.open_table(tables::PURGED).map_err(StoreError::from)?;
                let mut pending = tx.open_table(tables::PENDING_PURGES).map_err(StoreError::from)?;
                for entry in purged.iter().map_err(StoreError::from)? {
                    let (doc, _) = entry.map_err(StoreError::from)?;
                    pending.insert(doc.value(), ()).map_err(StoreError::from)?;
                }
            }
            Ok(())
        })?;
        Ok(queued)
    }

    /// Whether this replica syncs with a viewer's token: it refuses local writes, and
    /// leaves healing (which writes) to the devices that may write.
    pub fn is_read_only(&self) -> Result<bool> {
        Ok(self.sync_role()? == Some(Role::Viewer))
    }

    /// The role of the token this replica last synced with (`None`: never synced).
    pub fn sync_role(&self) -> Result<Option<Role>> {
        let tx = self.store.read()?;
        Ok(store::get_meta(&tx, SYNC_ROLE)?.and_then(|b| String::from_utf8_lossy(&b).parse().ok()))
    }

    /// Remembers the role the relay gave this replica's token. A viewer's replica then
    /// refuses local edits: the relay would never take them.
    pub fn set_sync_role(&mut self, role: Role) -> Result<()> {
        if self.sync_role()? == Some(role) {
            return Ok(());
        }
        self.write(|tx| Ok(store::set_meta(tx, SYNC_ROLE, role.as_str().as_bytes())?))
    }

    /// The largest change chunk the relay accepts, as it last said (the protocol's
    /// default before any relay did).
    pub fn relay_max_chunk_bytes(&self) -> Result<u64> {
        let tx = self.store.read()?;
        Ok(read_max_chunk(store::get_meta(&tx, SYNC_MAX_CHUNK)?))
    }

    /// Remembers the relay's chunk limit; local writes that would make a larger chunk
    /// are refused from now on.
    pub fn set_relay_max_chunk_bytes(&mut self, limit: u64) -> Result<()> {
        if self.relay_max_chunk_bytes()? == limit {
            return Ok(());
        }
        self.write(|tx| Ok(store::set_meta(tx, SYNC_MAX_CHUNK, &limit.to_le_bytes())?))
    }

    /// The most a change may inflate to on the relay, as it last said (`None` before
    /// any relay did: local values of any size are kept until then).
    pub fn relay_max_inflated_chunk_bytes(&self) -> Result<Option<u64>> {
        let tx = self.store.read()?;
        Ok(read_max_inflated(store::get_meta(&tx, SYNC_MAX_INFLATED)?))
    }

    /// Remembers the relay's inflation bound; local writes whose change would inflate
    /// past it are refused from now on.
    pub fn set_relay_max_inflated_chunk_bytes(&mut self, limit: u64) -> Result<()> {
        if self.relay_max_inflated_chunk_bytes()? == Some(limit) {
            return Ok(());
        }
        self.write(|tx| Ok(store::set_meta(tx, SYNC_MAX_INFLATED, &limit.to_le_bytes())?))
    }
}

/// Copies every document's snapshot and pending chunks into the outbox.
fn requeue_everything(tx: &redb::WriteTransaction) -> Result<u64> {
    let docs = tx.open_table(tables::DOCS).map_err(StoreError::from)?;
    let changes = tx.open_table(tables::DOC_CHANGES).map_err(StoreError::from)?;
    let mut outbox = tx.open_table(tables::OUTBOX).map_err(StoreError::from)?;
    let meta = tx.open_table(tables::META).map_err(StoreError::from)?;
    let mut next = store::next_outbox_id(&outbox, &meta)?;
    drop(meta);
    let start = next;
    let mut push = |doc: &[u8; 16], chunk: &[u8]| -> Result<()> {
        let mut entry = Vec::with_capacity(16 + chunk.len());
        entry.extend_from_slice(doc);
        entry.extend_from_slice(chunk);
        outbox.insert(next, entry.as_slice()).map_err(StoreError::from)?;
        next += 1;
        Ok(())
    };
    for doc in docs.iter().map_err(StoreError::from)? {
        let (id, snapshot) = doc.map_err(StoreError::from)?;
        push(&id.value(), snapshot.value())?;
    }
    for chunk in changes.iter().map_err(StoreError::from)? {
        let (key, chunk) = chunk.map_err(StoreError::from)?;
        push(&key.value().0, chunk.value())?;
    }
    Ok(next - start)
}
