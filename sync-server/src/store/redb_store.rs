//! The embedded store: one redb file (or redb's in-memory backend for tests).
//!
//! Every write is one transaction with redb's default durability (`Immediate`), so
//! when a method returns the data is on disk. Reads of a pull's backlog keep a redb
//! read transaction (a snapshot of the file) open for as long as the pull lasts.

use std::ops::Bound;
use std::path::{Path, PathBuf};

use redb::{Database, Key, ReadOnlyTable, ReadTransaction, ReadableDatabase, ReadableTable, ReadableTableMetadata};
use redb::{TableDefinition, Value, WriteTransaction};

use kith_core::DocId;
use kith_core::sync::protocol::{Entry, Purged, Snapshot};

use super::tables::*;
use super::{
    Appended, CompactionInput, LogStore, NewChunk, PullReader, SnapshotInstall, StoreError, StoreStats, TokenRecord,
    WorkspaceRecord, fits, role_code, role_from_code,
};
use crate::ids::{TokenId, WorkspaceId};

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

fn token_from_row(
    id: [u8; 8],
    row: TokenRow,
    details: &impl ReadableTable<[u8; 8], (&'static str, u64, u64)>,
) -> Result<TokenRecord, StoreError> {
    let (hash, workspace, role, created_ms, revoked) = row;
    let (label, expires_ms, last_used_ms) = match details.get(id)? {
        Some(d) => {
            let (label, expires, used) = d.value();
            (label.to_string(), expires, used)
        }
        None => (String::new(), 0, 0),
    };
    Ok(TokenRecord {
        id: TokenId::from_bytes(id),
        hash,
        workspace: WorkspaceId::from_bytes(workspace),
        role: role_from_code(role)?,
        created_ms,
        revoked,
        label,
        expires_ms: (expires_ms > 0).then_some(expires_ms),
        last_used_ms: (last_used_ms > 0).then_some(last_used_ms),
    })
}

fn token_row(t: &TokenRecord) -> TokenRow {
    (
        t.hash,
        *t.workspace.as_bytes(),
        role_code(t.role),
        t.created_ms,
        t.revoked,
    )
}

/// Counts a workspace's stored chunk bytes by reading its log and snapshots (for a
/// workspace written before `workspace_bytes` existed).
fn count_bytes(
    log: &impl ReadableTable<LogKey, LogValue>,
    snapshots: &impl ReadableTable<SnapshotKey, SnapshotValue>,
    ws: [u8; 16],
) -> Result<u64, StoreError> {
    let mut bytes = 0u64;
    for item in log.range((ws, 0)..=(ws, u64::MAX))? {
        bytes += item?.1.value().2.len() as u64;
    }
    for item in snapshots.range((ws, [0u8; 16])..=(ws, [0xff; 16]))? {
        bytes += item?.1.value().1.len() as u64;
    }
    Ok(bytes)
}

fn put_token(txn: &WriteTransaction, token: &TokenRecord) -> Result<(), StoreError> {
    let mut tokens = txn.open_table(TOKENS)?;
    let mut hashes = txn.open_table(TOKEN_HASHES)?;
    if hashes.get(token.hash)?.is_some() {
        return Err(StoreError::Corrupt("two tokens with the same secret".into()));
    }
    tokens.insert(*token.id.as_bytes(), token_row(token))?;
    hashes.insert(token.hash, *token.id.as_bytes())?;
    txn.open_table(TOKEN_DETAILS)?.insert(
        *token.id.as_bytes(),
        (
            token.label.as_str(),
            token.expires_ms.unwrap_or(0),
            token.last_used_ms.unwrap_or(0),
        ),
    )?;
    Ok(())
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
        let reader = RedbPull {
            ws,
            head,
            log: txn.open_table(LOG)?,
            snapshots: txn.open_table(SNAPSHOTS)?,
            snapshot_seq: txn.open_table(SNAPSHOT_SEQ)?,
            snapshot_from: after.checked_add(1).map(|s| Bound::Included((ws, s, [0u8; 16]))),
            entries_from: after.checked_add(1),
            _txn: txn,
        };
        Ok(Box::new(reader))
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
        let partial = partial_path(dest);
        let _ = std::fs::remove_file(&partial);
        let result = self.copy_to(&partial);
        match result {
            Ok(()) => std::fs::rename(&partial, dest).map_err(|e| StoreError::Redb(redb::StorageError::Io(e).into())),
            Err(e) => {
                let _ = std::fs::remove_file(&partial);
                Err(e)
            }
        }
    }
}

impl RedbStore {
    /// Copies every table, as of one read transaction, into a new database at `path`.
    fn copy_to(&self, path: &Path) -> Result<(), StoreError> {
        let from = self.db.begin_read()?;
        let out = Database::create(path)?;
        let to = out.begin_write()?;
        copy_table(&from, &to, WORKSPACES)?;
        copy_table(&from, &to, TOKENS)?;
        copy_table(&from, &to, TOKEN_HASHES)?;
        copy_table(&from, &to, TOKEN_DETAILS)?;
        copy_table(&from, &to, LOG)?;
        copy_table(&from, &to, DEDUP)?;
        copy_table(&from, &to, DOC_ENTRIES)?;
        copy_table(&from, &to, SNAPSHOTS)?;
        copy_table(&from, &to, SNAPSHOT_SEQ)?;
        copy_table(&from, &to, HEADS)?;
        copy_table(&from, &to, EPOCHS)?;
        copy_table(&from, &to, TOMBSTONES)?;
        copy_table(&from, &to, META)?;
        to.commit()?;
        Ok(())
    }
}

fn partial_path(dest: &Path) -> PathBuf {
    let mut name = dest.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".partial");
    dest.with_file_name(name)
}

fn copy_table<K: Key + 'static, V: Value + 'static>(
    from: &ReadTransaction,
    to: &WriteTransaction,
    table: TableDefinition<K, V>,
) -> Result<(), StoreError> {
    let src = from.open_table(table)?;
    let mut dst = to.open_table(table)?;
    for item in src.iter()? {
        let (k, v) = item?;
        dst.insert(k.value(), v.value())?;
    }
    Ok(())
}

/// A pull's view of the file: the tables as of one read transaction.
struct RedbPull {
    ws: [u8; 16],
    head: u64,
    log: ReadOnlyTable<LogKey, LogValue>,
    snapshots: ReadOnlyTable<SnapshotKey, SnapshotValue>,
    snapshot_seq: ReadOnlyTable<SnapshotSeqKey, ()>,
    /// Where the next `next_snapshots` starts; `None` when done.
    snapshot_from: Option<Bound<SnapshotSeqKey>>,
    /// The next seq to send; `None` when done.
    entries_from: Option<u64>,
    /// Keeps the snapshot of the file alive for the tables above.
    _txn: ReadTransaction,
}

impl PullReader for RedbPull {
    fn head(&self) -> u64 {
        self.head
    }

    fn next_snapshots(&mut self, max_bytes: usize) -> Result<Vec<Snapshot>, StoreError> {
        let Some(from) = self.snapshot_from.take() else {
            return Ok(Vec::new());
        };
        let end = Bound::Included((self.ws, u64::MAX, [0xffu8; 16]));
        let mut out = Vec::new();
        let mut bytes = 0;
        let mut last = None;
        for item in self.snapshot_seq.range::<SnapshotSeqKey>((from, end))? {
            let key = item?.0.value();
            let (_, covers, doc) = key;
            let row = self.snapshots.get((self.ws, doc))?;
            let Some(row) = row else {
                return Err(StoreError::Corrupt(format!(
                    "snapshot_seq names a missing snapshot at {covers}"
                )));
            };
            let data = row.value().1;
            if !fits(out.len(), bytes, data.len(), usize::MAX, max_bytes) {
                break;
            }
            bytes += data.len();
            out.push(Snapshot {
                doc: DocId::from_bytes(doc),
                data: data.to_vec(),
            });
            last = Some(key);
        }
        if let Some(last) = last {
            self.snapshot_from = Some(Bound::Excluded(last));
        }
        Ok(out)
    }

    fn next_entries(&mut self, max_entries: usize, max_bytes: usize) -> Result<Vec<Entry>, StoreError> {
        let Some(from) = self.entries_from else {
            return Ok(Vec::new());
        };
        let mut out: Vec<Entry> = Vec::new();
        let mut bytes = 0;
        for item in self.log.range((self.ws, from)..=(self.ws, u64::MAX))? {
            let (key, row) = item?;
            let (_, seq) = key.value();
            let (doc, _, data) = row.value();
            if !fits(out.len(), bytes, data.len(), max_entries, max_bytes) {
                break;
            }
            bytes += data.len();
            out.push(Entry {
                seq,
                doc: DocId::from_bytes(doc),
                data: data.to_vec(),
            });
        }
        self.entries_from = match out.last() {
            Some(last) => last.seq.checked_add(1),
            None => None,
        };
        Ok(out)
    }
}
