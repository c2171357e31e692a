//! The embedded store: one redb file (or redb's in-memory backend for tests).
//!
//! Every write is one transaction with redb's default durability (`Immediate`), so
//! when a method returns the data is on disk. Reads of a pull's backlog keep a redb
//! read transaction (a snapshot of the file) open for as long as the pull lasts.

use std::path::Path;

use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata};

use kith_core::DocId;
use kith_core::sync::protocol::Purged;

use super::tables::*;
use super::{
    Appended, CompactionInput, LogStore, NewChunk, PullReader, SnapshotInstall, StoreError, StoreStats, TokenRecord,
    WorkspaceRecord,
};
use crate::ids::{TokenId, WorkspaceId};

mod backup;
mod pull;
mod rows;

use pull::RedbPull;
use rows::{count_bytes, put_token, token_from_row, token_row};

/// The relay's redb database.
pub(crate) struct RedbStore {
    db: Database,
}

/// redb's page cache. Its default (1 GiB) let a relay grow by every byte pushed or
/// pulled; the relay's reads are mostly sequential log scans, which a small cache serves
/// as well.
const CACHE_BYTES: usize = 64 << 20;

impl RedbStore {
    /// Opens the file at `path`, creating it (and its tables) if needed.
    pub(crate) fn open(path: &Path) -> Result<Self, StoreError> {
        Self::prepare(Database::builder().set_cache_size(CACHE_BYTES).create(path)?)
    }

    /// A database that lives in memory only (tests, throwaway relays).
    pub(crate) fn in_memory() -> Result<Self, StoreError> {
        let db = Database::builder().create_with_backend(redb::backends::InMemoryBackend::new())?;
        Self::prepare(db)
    }

    /// Creates missing tables and checks the format version.
    fn prepare(db: Database) -> Result<Self, StoreError> {
        let txn = db.begin_write()?;
        {
            txn.open_table(WORKSPACES)?;
            txn.open_table(TOKENS)?;
            txn.open_table(TOKEN_HASHES)?;
            txn.open_table(TOKEN_DETAILS)?;
            txn.open_table(LOG)?;
            txn.open_table(DEDUP)?;
            txn.open_table(DOC_ENTRIES)?;
            txn.open_table(SNAPSHOTS)?;
            txn.open_table(SNAPSHOT_SEQ)?;
            txn.open_table(HEADS)?;
            txn.open_table(EPOCHS)?;
            txn.open_table(TOMBSTONES)?;
            txn.open_table(WORKSPACE_BYTES)?;
            let mut meta = txn.open_table(META)?;
            let found = meta.get(FORMAT_VERSION_KEY)?.map(|v| v.value());
            match found {
                None => {
                    meta.insert(FORMAT_VERSION_KEY, FORMAT_VERSION)?;
                }
                Some(v) if v == FORMAT_VERSION => {}
                Some(found) => {
                    return Err(StoreError::UnsupportedFormat {
                        found,
                        supported: FORMAT_VERSION,
                    });
                }
            }
        }
        txn.commit()?;
        Ok(Self { db })
    }
}

impl LogStore for RedbStore {
    fn create_workspace(&self, workspace: &WorkspaceRecord, owner: &TokenRecord) -> Result<(), StoreError> {
        let txn = self.db.begin_write()?;
        {
            let mut workspaces = txn.open_table(WORKSPACES)?;
            workspaces.insert(
                *workspace.id.as_bytes(),
                (workspace.name.as_str(), workspace.created_ms),
            )?;
        }
        put_token(&txn, owner)?;
        txn.commit()?;
        Ok(())
    }

    fn workspace(&self, id: WorkspaceId) -> Result<Option<WorkspaceRecord>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(WORKSPACES)?;
        let found = table.get(*id.as_bytes())?.map(|row| {
            let (name, created_ms) = row.value();
            WorkspaceRecord {
                id,
                name: name.to_string(),
                created_ms,
            }
        });
        Ok(found)
    }

    fn workspaces(&self) -> Result<Vec<WorkspaceRecord>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(WORKSPACES)?;
        let mut out = Vec::new();
        for item in table.iter()? {
            let (id, row) = item?;
            let (name, created_ms) = row.value();
            out.push(WorkspaceRecord {
                id: WorkspaceId::from_bytes(id.value()),
                name: name.to_string(),
                created_ms,
            });
        }
        Ok(out)
    }

    fn rename_workspace(&self, id: WorkspaceId, name: &str) -> Result<bool, StoreError> {
        let txn = self.db.begin_write()?;
        let found = {
            let mut table = txn.open_table(WORKSPACES)?;
            let created = table.get(*id.as_bytes())?.map(|row| row.value().1);
            match created {
                Some(created_ms) => {
                    table.insert(*id.as_bytes(), (name, created_ms))?;
                    true
                }
                None => false,
            }
        };
        txn.commit()?;
        Ok(found)
    }

    fn delete_workspace(&self, id: WorkspaceId) -> Result<bool, StoreError> {
        let ws = *id.as_bytes();
        let txn = self.db.begin_write()?;
        if txn.open_table(WORKSPACES)?.remove(ws)?.is_none() {
            return Ok(false);
        }
        {
            let mut tokens = txn.open_table(TOKENS)?;
            let mut hashes = txn.open_table(TOKEN_HASHES)?;
            let mut gone = Vec::new();
            for item in tokens.iter()? {
                let (token, row) = item?;
                let (hash, workspace, ..) = row.value();
                if workspace == ws {
                    gone.push((token.value(), hash));
                }
            }
            let mut details = txn.open_table(TOKEN_DETAILS)?;
            for (token, hash) in gone {
                tokens.remove(token)?;
                hashes.remove(hash)?;
                details.remove(token)?;
            }
            txn.open_table(LOG)?.retain_in((ws, 0)..=(ws, u64::MAX), |_, _| false)?;
            txn.open_table(DEDUP)?
                .retain_in((ws, [0u8; 32])..=(ws, [0xff; 32]), |_, _| false)?;
            txn.open_table(DOC_ENTRIES)?
                .retain_in((ws, [0u8; 16], 0)..=(ws, [0xff; 16], u64::MAX), |_, _| false)?;
            txn.open_table(SNAPSHOTS)?
                .retain_in((ws, [0u8; 16])..=(ws, [0xff; 16]), |_, _| false)?;
            txn.open_table(SNAPSHOT_SEQ)?
                .retain_in((ws, 0, [0u8; 16])..=(ws, u64::MAX, [0xff; 16]), |_, _| false)?;
            txn.open_table(HEADS)?.remove(ws)?;
            txn.open_table(WORKSPACE_BYTES)?.remove(ws)?;
        }
        txn.commit()?;
        Ok(true)
    }

    fn insert_token(&self, token: &TokenRecord) -> Result<(), StoreError> {
        let txn = self.db.begin_write()?;
        if txn.open_table(WORKSPACES)?.get(*token.workspace.as_bytes())?.is_none() {
            return Err(StoreError::UnknownWorkspace(token.workspace));
        }
        put_token(&txn, token)?;
        txn.commit()?;
        Ok(())
    }

    fn token_by_hash(&self, hash: &[u8; 32]) -> Result<Option<TokenRecord>, StoreError> {
        let txn = self.db.begin_read()?;
        let hashes = txn.open_table(TOKEN_HASHES)?;
        let Some(id) = hashes.get(*hash)?.map(|v| v.value()) else {
            return Ok(None);
        };
        let tokens = txn.open_table(TOKENS)?;
        let details = txn.open_table(TOKEN_DETAILS)?;
        let row = tokens.get(id)?.map(|v| v.value());
        match row {
            Some(row) => token_from_row(id, row, &details).map(Some),
            None => Err(StoreError::Corrupt(format!(
                "token hash points at missing token {}",
                TokenId::from_bytes(id)
            ))),
        }
    }

    fn tokens(&self, workspace: Option<WorkspaceId>) -> Result<Vec<TokenRecord>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(TOKENS)?;
        let details = txn.open_table(TOKEN_DETAILS)?;
        let mut out = Vec::new();
        for item in table.iter()? {
            let (id, row) = item?;
            let token = token_from_row(id.value(), row.value(), &details)?;
            if workspace.is_none_or(|w| w == token.workspace) {
                out.push(token);
            }
        }
        Ok(out)
    }

    fn touch_token(&self, id: TokenId, now_ms: u64) -> Result<(), StoreError> {
        let mut txn = self.db.begin_write()?;
        // Last use is a hint: no fsync per connection.
        txn.set_durability(redb::Durability::None)?;
        {
            let mut details = txn.open_table(TOKEN_DETAILS)?;
            let current = details
                .get(*id.as_bytes())?
                .map(|d| {
                    let (label, expires, _) = d.value();
                    (label.to_string(), expires)
                })
                .unwrap_or_default();
            details.insert(*id.as_bytes(), (current.0.as_str(), current.1, now_ms))?;
        }
        txn.commit()?;
        Ok(())
    }

    fn revoke_token(&self, id: TokenId) -> Result<Option<TokenRecord>, StoreError> {
        let txn = self.db.begin_write()?;
        let token = {
            let mut tokens = txn.open_table(TOKENS)?;
            let details = txn.open_table(TOKEN_DETAILS)?;
            let row = tokens.get(*id.as_bytes())?.map(|v| v.value());
            let Some(row) = row else { return Ok(None) };
            let mut token = token_from_row(*id.as_bytes(), row, &details)?;
            token.revoked = true;
            tokens.insert(*id.as_bytes(), token_row(&token))?;
            token
        };
        txn.commit()?;
        Ok(Some(token))
    }

    fn epoch_or_insert(&self, workspace: WorkspaceId, fresh: [u8; 16]) -> Result<[u8; 16], StoreError> {
        {
            let txn = self.db.begin_read()?;
            if let Some(epoch) = txn.open_table(EPOCHS)?.get(*workspace.as_bytes())? {
                return Ok(epoch.value());
            }
        }
        let txn = self.db.begin_write()?;
        let epoch = {
            let mut epochs = txn.open_table(EPOCHS)?;
            let existing = epochs.get(*workspace.as_bytes())?.map(|e| e.value());
            match existing {
                Some(epoch) => epoch,
                None => {
                    epochs.insert(*workspace.as_bytes(), fresh)?;
                    fresh
                }
            }
        };
        txn.commit()?;
        Ok(epoch)
    }

    fn set_epoch(&self, workspace: WorkspaceId, epoch: [u8; 16]) -> Result<(), StoreError> {
        let txn = self.db.begin_write()?;
        txn.open_table(EPOCHS)?.insert(*workspace.as_bytes(), epoch)?;
        txn.commit()?;
        Ok(())
    }

    fn workspace_bytes(&self, workspace: WorkspaceId) -> Result<u64, StoreError> {
        let ws = *workspace.as_bytes();
        let txn = self.db.begin_read()?;
        if let Some(bytes) = txn.open_table(WORKSPACE_BYTES)?.get(ws)?.map(|v| v.value()) {
            return Ok(bytes);
        }
        count_bytes(&txn.open_table(LOG)?, &txn.open_table(SNAPSHOTS)?, ws)
    }

    fn head(&self, workspace: WorkspaceId) -> Result<u64, StoreError> {
        let txn = self.db.begin_read()?;
        let heads = txn.open_table(HEADS)?;
        Ok(heads.get(*workspace.as_bytes())?.map_or(0, |v| v.value()))
    }

    fn append(&self, workspace: WorkspaceId, chunks: &[NewChunk]) -> Result<Vec<Appended>, StoreError> {
        let ws = *workspace.as_bytes();
        let txn = self.db.begin_write()?;
        let mut out = Vec::with_capacity(chunks.len());
        {
            if txn.open_table(WORKSPACES)?.get(ws)?.is_none() {
                return Err(StoreError::UnknownWorkspace(workspace));
            }
            let mut heads = txn.open_table(HEADS)?;
            let mut log = txn.open_table(LOG)?;
            let mut dedup = txn.open_table(DEDUP)?;
            let mut doc_entries = txn.open_table(DOC_ENTRIES)?;
            let tombstones = txn.open_table(TOMBSTONES)?;
            let mut head = heads.get(ws)?.map_or(0, |v| v.value());
            let mut sizes = txn.open_table(WORKSPACE_BYTES)?;
            let mut bytes = match sizes.get(ws)?.map(|v| v.value()) {
                Some(bytes) => bytes,
                None if head == 0 => 0,
                None => count_bytes(&log, &txn.open_table(SNAPSHOTS)?, ws)?,
            };
            for chunk in chunks {
                if tombstones.get((ws, *chunk.doc.as_bytes()))?.is_some() {
                    out.push(Appended { seq: 0, new: false });
                    continue;
                }
                let known = dedup.get((ws, chunk.hash))?.map(|v| v.value());
                if let Some(seq) = known {
                    out.push(Appended { seq, new: false });
                    continue;
                }
                head += 1;
                let doc = *chunk.doc.as_bytes();
                log.insert((ws, head), (doc, chunk.hash, chunk.data.as_slice()))?;
                dedup.insert((ws, chunk.hash), head)?;
                doc_entries.insert((ws, doc, head), ())?;
                bytes += chunk.data.len() as u64;
                out.push(Appended { seq: head, new: true });
            }
            heads.insert(ws, head)?;
            sizes.insert(ws, bytes)?;
        }
        txn.commit()?;
        Ok(out)
    }

    fn purge(&self, workspace: WorkspaceId, docs: &[DocId], at_ms: u64) -> Result<Vec<Purged>, StoreError> {
        let ws = *workspace.as_bytes();
        let txn = self.db.begin_write()?;
        let mut out = Vec::with_capacity(docs.len());
        {
            if txn.open_table(WORKSPACES)?.get(ws)?.is_none() {
                return Err(StoreError::UnknownWorkspace(workspace));
            }
            let head = txn.open_table(HEADS)?.get(ws)?.map_or(0, |v| v.value());
            let mut log = txn.open_table(LOG)?;
            let mut doc_entries = txn.open_table(DOC_ENTRIES)?;
            let mut snapshots = txn.open_table(SNAPSHOTS)?;
            let mut snapshot_seq = txn.open_table(SNAPSHOT_SEQ)?;
            let mut tombstones = txn.open_table(TOMBSTONES)?;
            for doc in docs {
                let d = *doc.as_bytes();
                let mut seqs = Vec::new();
                for entry in doc_entries.range((ws, d, 0)..=(ws, d, u64::MAX))? {
                    seqs.push(entry?.0.value().2);
                }
                for seq in seqs {
                    doc_entries.remove((ws, d, seq))?;
                    log.remove((ws, seq))?;
                }
                let covers = snapshots.remove((ws, d))?.map(|v| v.value().0);
                if let Some(covers) = covers {
                    snapshot_seq.remove((ws, covers, d))?;
                }
                let existing = tombstones.get((ws, d))?.map(|v| v.value());
                let (_, at) = match existing {
                    Some(found) => found,
                    None => {
                        tombstones.insert((ws, d), (head, at_ms))?;
                        (head, at_ms)
                    }
                };
                out.push(Purged { doc: *doc, at_ms: at });
            }
        }
        txn.commit()?;
        Ok(out)
    }

    fn tombstones(&self, workspace: WorkspaceId, from: u64) -> Result<Vec<Purged>, StoreError> {
        let ws = *workspace.as_bytes();
        let txn = self.db.begin_read()?;
        let table = txn.open_table(TOMBSTONES)?;
        let mut out = Vec::new();
        for entry in table.range((ws, [0u8; 16])..=(ws, [0xffu8; 16]))? {
            let (key, value) = entry?;
            let (at_seq, at_ms) = value.value();
            if at_seq >= from {
                out.push(Purged {
                    doc: DocId::from_bytes(key.value().1),
                    at_ms,
                });
            }
        }
        Ok(out)
    }

    fn open_pull(&self, workspace: WorkspaceId, after: u64) -> Result<Box<dyn PullReader>, StoreError> {
        let txn = self.db.begin_read()?;
        let ws = *workspace.as_bytes();
        let head = txn.open_table(HEADS)?.get(ws)?.map_or(0, |v| v.value());
        Ok(Box::new(RedbPull::open(txn, ws, head, after)?))
    }

    fn compaction_candidates(
        &self,
        workspace: WorkspaceId,
        up_to: u64,
        min_entries: usize,
    ) -> Result<Vec<DocId>, StoreError> {
        let ws = *workspace.as_bytes();
        let txn = self.db.begin_read()?;
        let doc_entries = txn.open_table(DOC_ENTRIES)?;
        let mut out = Vec::new();
        let mut current: Option<([u8; 16], usize)> = None;
        for item in doc_entries.range((ws, [0u8; 16], 0)..=(ws, [0xffu8; 16], u64::MAX))? {
            let (_, doc, seq) = item?.0.value();
            if seq > up_to {
                continue;
            }
            match &mut current {
                Some((d, n)) if *d == doc => *n += 1,
                _ => {
                    if let Some((d, n)) = current.take()
                        && n >= min_entries
                    {
                        out.push(DocId::from_bytes(d));
                    }
                    current = Some((doc, 1));
                }
            }
        }
        if let Some((d, n)) = current
            && n >= min_entries
        {
            out.push(DocId::from_bytes(d));
        }
        Ok(out)
    }

    fn compaction_input(&self, workspace: WorkspaceId, doc: DocId, up_to: u64) -> Result<CompactionInput, StoreError> {
        let ws = *workspace.as_bytes();
        let d = *doc.as_bytes();
        let txn = self.db.begin_read()?;
        let snapshot = txn.open_table(SNAPSHOTS)?.get((ws, d))?.map(|v| {
            let (covers, data) = v.value();
            (covers, data.to_vec())
        });
        let doc_entries = txn.open_table(DOC_ENTRIES)?;
        let log = txn.open_table(LOG)?;
        let mut entries = Vec::new();
        for item in doc_entries.range((ws, d, 0)..=(ws, d, up_to))? {
            let (_, _, seq) = item?.0.value();
            let row = log.get((ws, seq))?;
            let Some(row) = row else {
                return Err(StoreError::Corrupt(format!(
                    "doc_entries names missing log entry {seq}"
                )));
            };
            entries.push((seq, row.value().2.to_vec()));
        }
        Ok(CompactionInput { snapshot, entries })
    }

    fn install_snapshots(&self, workspace: WorkspaceId, installs: &[SnapshotInstall]) -> Result<(), StoreError> {
        if installs.is_empty() {
            return Ok(());
        }
        let ws = *workspace.as_bytes();
        let txn = self.db.begin_write()?;
        {
            let mut snapshots = txn.open_table(SNAPSHOTS)?;
            let mut snapshot_seq = txn.open_table(SNAPSHOT_SEQ)?;
            let mut log = txn.open_table(LOG)?;
            let mut doc_entries = txn.open_table(DOC_ENTRIES)?;
            let mut sizes = txn.open_table(WORKSPACE_BYTES)?;
            let known = sizes.get(ws)?.map(|v| v.value());
            let mut bytes = known.map(i128::from);
            // An error returns before `commit`: dropping `txn` aborts it, so a refused
            // batch leaves no trace, not even of the installs before the bad one.
            for install in installs {
                let d = *install.doc.as_bytes();
                let covers_seq = install.covers_seq;
                let old = snapshots.get((ws, d))?.map(|v| (v.value().0, v.value().1.len()));
                if let Some((_, old_len)) = old {
                    bytes = bytes.map(|b| b - old_len as i128);
                }
                bytes = bytes.map(|b| b + install.data.len() as i128);
                if let Some((old, _)) = old {
                    if old > covers_seq {
                        return Err(StoreError::Corrupt(format!(
                            "snapshot would go back from seq {old} to {covers_seq}"
                        )));
                    }
                    snapshot_seq.remove((ws, old, d))?;
                }
                snapshots.insert((ws, d), (covers_seq, install.data.as_slice()))?;
                snapshot_seq.insert((ws, covers_seq, d), ())?;
                for &seq in &install.removed {
                    if seq > covers_seq {
                        return Err(StoreError::Corrupt(format!(
                            "entry {seq} is not covered by a snapshot at {covers_seq}"
                        )));
                    }
                    let removed = log.remove((ws, seq))?.map(|v| (v.value().0, v.value().2.len()));
                    if let Some((_, len)) = removed {
                        bytes = bytes.map(|b| b - len as i128);
                    }
                    let owner = removed.map(|(owner, _)| owner);
                    if owner.is_some_and(|o| o != d) {
                        return Err(StoreError::Corrupt(format!(
                            "log entry {seq} belongs to another document"
                        )));
                    }
                    doc_entries.remove((ws, d, seq))?;
                }
            }
            if let Some(bytes) = bytes {
                sizes.insert(ws, u64::try_from(bytes.max(0)).unwrap_or(0))?;
            }
        }
        txn.commit()?;
        Ok(())
    }

    fn stats(&self) -> Result<StoreStats, StoreError> {
        let txn = self.db.begin_read()?;
        Ok(StoreStats {
            workspaces: txn.open_table(WORKSPACES)?.len()?,
            log_entries: txn.open_table(LOG)?.len()?,
            snapshots: txn.open_table(SNAPSHOTS)?.len()?,
        })
    }

    fn backup(&self, dest: &Path) -> Result<(), StoreError> {
        if dest.exists() {
            return Err(StoreError::BackupExists(dest.to_path_buf()));
        }
        backup::copy_atomically(&self.db, dest)
    }
}
