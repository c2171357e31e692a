//! The reference model of [`LogStore`]: plain maps behind a mutex. Tests run the
//! conformance suite against it and compare the redb store with it.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use kith_core::DocId;
use kith_core::sync::protocol::{Entry, Purged, Snapshot};

use super::{
    Appended, CompactionInput, LogStore, NewChunk, PullReader, SnapshotInstall, StoreError, StoreStats, TokenRecord,
    WorkspaceRecord, fits,
};
use crate::ids::{TokenId, WorkspaceId};

#[derive(Default)]
struct Model {
    workspaces: BTreeMap<WorkspaceId, WorkspaceRecord>,
    tokens: BTreeMap<TokenId, TokenRecord>,
    heads: HashMap<WorkspaceId, u64>,
    epochs: HashMap<WorkspaceId, [u8; 16]>,
    tombstones: BTreeMap<(WorkspaceId, DocId), (u64, u64)>,
    log: BTreeMap<(WorkspaceId, u64), (DocId, Vec<u8>)>,
    dedup: HashMap<(WorkspaceId, [u8; 32]), u64>,
    snapshots: BTreeMap<(WorkspaceId, DocId), (u64, Vec<u8>)>,
    /// Batches `install_snapshots` wrote, so tests can see how compaction groups them.
    install_transactions: usize,
}

/// Everything in memory, nothing durable.
#[derive(Default)]
pub(crate) struct MemoryStore {
    model: Mutex<Model>,
}

impl MemoryStore {
    fn lock(&self) -> MutexGuard<'_, Model> {
        self.model.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// How many non-empty batches `install_snapshots` has written.
    pub(crate) fn install_transactions(&self) -> usize {
        self.lock().install_transactions
    }
}

impl LogStore for MemoryStore {
    fn create_workspace(&self, workspace: &WorkspaceRecord, owner: &TokenRecord) -> Result<(), StoreError> {
        let mut m = self.lock();
        m.workspaces.insert(workspace.id, workspace.clone());
        m.tokens.insert(owner.id, owner.clone());
        Ok(())
    }

    fn workspace(&self, id: WorkspaceId) -> Result<Option<WorkspaceRecord>, StoreError> {
        Ok(self.lock().workspaces.get(&id).cloned())
    }

    fn workspaces(&self) -> Result<Vec<WorkspaceRecord>, StoreError> {
        Ok(self.lock().workspaces.values().cloned().collect())
    }

    fn insert_token(&self, token: &TokenRecord) -> Result<(), StoreError> {
        let mut m = self.lock();
        if !m.workspaces.contains_key(&token.workspace) {
            return Err(StoreError::UnknownWorkspace(token.workspace));
        }
        m.tokens.insert(token.id, token.clone());
        Ok(())
    }

    fn token_by_hash(&self, hash: &[u8; 32]) -> Result<Option<TokenRecord>, StoreError> {
        Ok(self.lock().tokens.values().find(|t| &t.hash == hash).cloned())
    }

    fn tokens(&self, workspace: Option<WorkspaceId>) -> Result<Vec<TokenRecord>, StoreError> {
        let m = self.lock();
        Ok(m.tokens
            .values()
            .filter(|t| workspace.is_none_or(|w| w == t.workspace))
            .cloned()
            .collect())
    }

    fn touch_token(&self, id: TokenId, now_ms: u64) -> Result<(), StoreError> {
        if let Some(t) = self.lock().tokens.get_mut(&id) {
            t.last_used_ms = Some(now_ms);
        }
        Ok(())
    }

    fn rename_workspace(&self, id: WorkspaceId, name: &str) -> Result<bool, StoreError> {
        let mut m = self.lock();
        Ok(m.workspaces.get_mut(&id).map(|w| w.name = name.to_string()).is_some())
    }

    fn delete_workspace(&self, id: WorkspaceId) -> Result<bool, StoreError> {
        let mut m = self.lock();
        if m.workspaces.remove(&id).is_none() {
            return Ok(false);
        }
        m.tokens.retain(|_, t| t.workspace != id);
        m.heads.remove(&id);
        m.log.retain(|(w, _), _| *w != id);
        m.dedup.retain(|(w, _), _| *w != id);
        m.snapshots.retain(|(w, _), _| *w != id);
        Ok(true)
    }

    fn revoke_token(&self, id: TokenId) -> Result<Option<TokenRecord>, StoreError> {
        let mut m = self.lock();
        Ok(m.tokens.get_mut(&id).map(|t| {
            t.revoked = true;
            t.clone()
        }))
    }

    fn epoch_or_insert(&self, workspace: WorkspaceId, fresh: [u8; 16]) -> Result<[u8; 16], StoreError> {
        Ok(*self.lock().epochs.entry(workspace).or_insert(fresh))
    }

    fn set_epoch(&self, workspace: WorkspaceId, epoch: [u8; 16]) -> Result<(), StoreError> {
        self.lock().epochs.insert(workspace, epoch);
        Ok(())
    }

    fn workspace_bytes(&self, workspace: WorkspaceId) -> Result<u64, StoreError> {
        let m = self.lock();
        let log: usize = m
            .log
            .iter()
            .filter(|((w, _), _)| *w == workspace)
            .map(|(_, (_, d))| d.len())
            .sum();
        let snaps: usize = m
            .snapshots
            .iter()
            .filter(|((w, _), _)| *w == workspace)
            .map(|(_, (_, d))| d.len())
            .sum();
        Ok((log + snaps) as u64)
    }

    fn head(&self, workspace: WorkspaceId) -> Result<u64, StoreError> {
        Ok(self.lock().heads.get(&workspace).copied().unwrap_or(0))
    }

    fn append(&self, workspace: WorkspaceId, chunks: &[NewChunk]) -> Result<Vec<Appended>, StoreError> {
        let mut m = self.lock();
        if !m.workspaces.contains_key(&workspace) {
            return Err(StoreError::UnknownWorkspace(workspace));
        }
        let mut head = m.heads.get(&workspace).copied().unwrap_or(0);
        let mut out = Vec::new();
        for chunk in chunks {
            if m.tombstones.contains_key(&(workspace, chunk.doc)) {
                out.push(Appended { seq: 0, new: false });
                continue;
            }
            if let Some(&seq) = m.dedup.get(&(workspace, chunk.hash)) {
                out.push(Appended { seq, new: false });
                continue;
            }
            head += 1;
            m.log.insert((workspace, head), (chunk.doc, chunk.data.clone()));
            m.dedup.insert((workspace, chunk.hash), head);
            out.push(Appended { seq: head, new: true });
        }
        m.heads.insert(workspace, head);
        Ok(out)
    }

    fn purge(&self, workspace: WorkspaceId, docs: &[DocId], at_ms: u64) -> Result<Vec<Purged>, StoreError> {
        let mut m = self.lock();
        if !m.workspaces.contains_key(&workspace) {
            return Err(StoreError::UnknownWorkspace(workspace));
        }
        let head = m.heads.get(&workspace).copied().unwrap_or(0);
        let mut out = Vec::new();
        for doc in docs {
            m.log.retain(|(w, _), (d, _)| !(*w == workspace && d == doc));
            m.snapshots.remove(&(workspace, *doc));
            let (_, at) = *m.tombstones.entry((workspace, *doc)).or_insert((head, at_ms));
            out.push(Purged { doc: *doc, at_ms: at });
        }
        Ok(out)
    }

    fn tombstones(&self, workspace: WorkspaceId, from: u64) -> Result<Vec<Purged>, StoreError> {
        Ok(self
            .lock()
            .tombstones
            .iter()
            .filter(|((w, _), (at_seq, _))| *w == workspace && *at_seq >= from)
            .map(|((_, doc), (_, at_ms))| Purged {
                doc: *doc,
                at_ms: *at_ms,
            })
            .collect())
    }

    fn open_pull(&self, workspace: WorkspaceId, after: u64) -> Result<Box<dyn PullReader>, StoreError> {
        let m = self.lock();
        let mut snapshots: Vec<(u64, DocId, Vec<u8>)> = m
            .snapshots
            .iter()
            .filter(|((w, _), (covers, _))| *w == workspace && *covers > after)
            .map(|((_, doc), (covers, data))| (*covers, *doc, data.clone()))
            .collect();
        snapshots.sort_by_key(|(covers, doc, _)| (*covers, *doc));
        let entries = m
            .log
            .range((workspace, after.saturating_add(1))..=(workspace, u64::MAX))
            .filter(|_| after < u64::MAX)
            .map(|(&(_, seq), (doc, data))| Entry {
                seq,
                doc: *doc,
                data: data.clone(),
            })
            .collect();
        Ok(Box::new(MemoryPull {
            head: m.heads.get(&workspace).copied().unwrap_or(0),
            snapshots: snapshots
                .into_iter()
                .map(|(_, doc, data)| Snapshot { doc, data })
                .collect(),
            entries,
        }))
    }

    fn compaction_candidates(
        &self,
        workspace: WorkspaceId,
        up_to: u64,
        min_entries: usize,
    ) -> Result<Vec<DocId>, StoreError> {
        let m = self.lock();
        let mut counts: BTreeMap<DocId, usize> = BTreeMap::new();
        for (&(w, seq), (doc, _)) in &m.log {
            if w == workspace && seq <= up_to {
                *counts.entry(*doc).or_default() += 1;
            }
        }
        Ok(counts
            .into_iter()
            .filter(|(_, n)| *n >= min_entries)
            .map(|(d, _)| d)
            .collect())
    }

    fn compaction_input(&self, workspace: WorkspaceId, doc: DocId, up_to: u64) -> Result<CompactionInput, StoreError> {
        let m = self.lock();
        Ok(CompactionInput {
            snapshot: m.snapshots.get(&(workspace, doc)).cloned(),
            entries: m
                .log
                .range((workspace, 0)..=(workspace, up_to))
                .filter(|(_, (d, _))| *d == doc)
                .map(|(&(_, seq), (_, data))| (seq, data.clone()))
                .collect(),
        })
    }

    fn install_snapshots(&self, workspace: WorkspaceId, installs: &[SnapshotInstall]) -> Result<(), StoreError> {
        let mut m = self.lock();
        // All or nothing, like one redb transaction: check every install (against the
        // snapshots earlier installs of the batch leave) before changing anything.
        let mut covers: HashMap<DocId, u64> = HashMap::new();
        let mut gone: HashSet<u64> = HashSet::new();
        for install in installs {
            let old = covers
                .get(&install.doc)
                .copied()
                .or_else(|| m.snapshots.get(&(workspace, install.doc)).map(|(c, _)| *c));
            if old.is_some_and(|old| old > install.covers_seq) {
                return Err(StoreError::Corrupt("snapshot would go back".into()));
            }
            for seq in &install.removed {
                if *seq > install.covers_seq {
                    return Err(StoreError::Corrupt("entry not covered by the snapshot".into()));
                }
                let owner = m.log.get(&(workspace, *seq)).map(|(d, _)| *d);
                if owner.is_some_and(|d| d != install.doc) && !gone.contains(seq) {
                    return Err(StoreError::Corrupt("log entry of another document".into()));
                }
            }
            gone.extend(&install.removed);
            covers.insert(install.doc, install.covers_seq);
        }
        if !installs.is_empty() {
            m.install_transactions += 1;
        }
        for install in installs {
            m.snapshots
                .insert((workspace, install.doc), (install.covers_seq, install.data.clone()));
            for seq in &install.removed {
                m.log.remove(&(workspace, *seq));
            }
        }
        Ok(())
    }

    fn stats(&self) -> Result<StoreStats, StoreError> {
        let m = self.lock();
        Ok(StoreStats {
            workspaces: m.workspaces.len() as u64,
            log_entries: m.log.len() as u64,
            snapshots: m.snapshots.len() as u64,
        })
    }

    fn backup(&self, _dest: &Path) -> Result<(), StoreError> {
        Err(StoreError::Unsupported("write a backup file"))
    }
}

struct MemoryPull {
    head: u64,
    snapshots: VecDeque<Snapshot>,
    entries: VecDeque<Entry>,
}

impl PullReader for MemoryPull {
    fn head(&self) -> u64 {
        self.head
    }

    fn next_snapshots(&mut self, max_bytes: usize) -> Result<Vec<Snapshot>, StoreError> {
        let mut out = Vec::new();
        let mut bytes = 0;
        while let Some(next) = self.snapshots.front() {
            if !fits(out.len(), bytes, next.data.len(), usize::MAX, max_bytes) {
                break;
            }
            bytes += next.data.len();
            out.extend(self.snapshots.pop_front());
        }
        Ok(out)
    }

    fn next_entries(&mut self, max_entries: usize, max_bytes: usize) -> Result<Vec<Entry>, StoreError> {
        let mut out = Vec::new();
        let mut bytes = 0;
        while let Some(next) = self.entries.front() {
            if !fits(out.len(), bytes, next.data.len(), max_entries, max_bytes) {
                break;
            }
            bytes += next.data.len();
            out.extend(self.entries.pop_front());
        }
        Ok(out)
    }
}
