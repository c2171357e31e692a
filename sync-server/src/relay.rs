//! [`Relay`]: the relay's state (store, live hub, metrics, settings) and its
//! administration: workspaces, tokens, compaction, backup.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use kith_core::sync::protocol::Role;

use crate::auth::{self, digests_equal, hash_secret, issue_token};
use crate::compaction;
use crate::config::Config;
use crate::error::RelayError;
use crate::hub::Hub;
use crate::ids::{TokenId, WorkspaceId};
use crate::metrics::Metrics;
use crate::store::{LogStore, RedbStore, StoreError, TokenRecord, WorkspaceRecord};

/// The database file inside the data directory.
pub const DB_FILE: &str = "relay.redb";
/// The admin secret inside the data directory (mode 0600).
pub const ADMIN_SECRET_FILE: &str = "admin.secret";
/// Written by `serve` inside the data directory: the address the admin CLI talks to.
pub const ADDR_FILE: &str = "relay.addr";

/// A workspace, as administration shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceInfo {
    pub id: WorkspaceId,
    pub name: String,
    /// Milliseconds since the Unix epoch.
    pub created_ms: u64,
}

/// A token, as administration shows it: never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    pub id: TokenId,
    pub workspace: WorkspaceId,
    pub role: Role,
    /// Milliseconds since the Unix epoch.
    pub created_ms: u64,
    pub revoked: bool,
    /// A name for people; empty for none.
    #[serde(default)]
    pub label: String,
    /// Milliseconds since the Unix epoch after which the token is refused.
    #[serde(default)]
    pub expires_ms: Option<u64>,
    /// When a device last connected with it (to the minute).
    #[serde(default)]
    pub last_used_ms: Option<u64>,
}

/// A token just created. `secret` (`kr_…`) is what a device sends as
/// `Authorization: Bearer`; it is shown once and cannot be recovered.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewToken {
    pub id: TokenId,
    pub workspace: WorkspaceId,
    pub role: Role,
    pub secret: String,
}

impl fmt::Debug for NewToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewToken")
            .field("id", &self.id)
            .field("workspace", &self.workspace)
            .field("role", &self.role)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// What one compaction run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompactionReport {
    /// Documents folded into a new snapshot.
    pub documents: u64,
    /// Log entries removed.
    pub entries_removed: u64,
    /// Documents left alone because their chunks do not fold into a loadable snapshot
    /// (for example a change whose dependencies never reached the relay).
    pub skipped: u64,
}

impl From<WorkspaceRecord> for WorkspaceInfo {
    fn from(w: WorkspaceRecord) -> Self {
        Self {
            id: w.id,
            name: w.name,
            created_ms: w.created_ms,
        }
    }
}

impl From<TokenRecord> for TokenInfo {
    fn from(t: TokenRecord) -> Self {
        Self {
            id: t.id,
            workspace: t.workspace,
            role: t.role,
            created_ms: t.created_ms,
            revoked: t.revoked,
            label: t.label,
            expires_ms: t.expires_ms,
            last_used_ms: t.last_used_ms,
        }
    }
}

/// A relay: cheap to clone, shared by the server, its sessions and background tasks.
///
/// Open one with [`Relay::open`] (a data directory) or [`Relay::in_memory`], create
/// workspaces and tokens, then run it with [`serve`](crate::serve).
#[derive(Clone)]
pub struct Relay {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) store: Arc<dyn LogStore>,
    pub(crate) config: Config,
    /// `None` for an in-memory relay.
    pub(crate) data_dir: Option<PathBuf>,
    /// SHA-256 of the admin secret; `None` disables the admin API.
    pub(crate) admin_hash: Option<[u8; 32]>,
    pub(crate) hub: Arc<Hub>,
    pub(crate) metrics: Arc<Metrics>,
    /// One compaction at a time.
    compacting: Mutex<()>,
}

impl fmt::Debug for Relay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Relay")
            .field("data_dir", &self.inner.data_dir)
            .finish_non_exhaustive()
    }
}

pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl Relay {
    /// Opens (creating if needed) the relay in `config.data_dir`: the database
    /// `relay.redb` and the admin secret `admin.secret`. Fails with
    /// [`RelayError::is_locked`] while another process serves the same directory.
    pub fn open(config: Config) -> Result<Relay, RelayError> {
        let dir = config.data_dir.clone();
        let io = |source| RelayError::DataDir {
            path: dir.clone(),
            source,
        };
        create_private_dir(&dir).map_err(io)?;
        let store = RedbStore::open(&dir.join(DB_FILE))?;
        let secret_path = dir.join(ADMIN_SECRET_FILE);
        let secret = match auth::read_admin_secret(&secret_path).map_err(io)? {
            Some(secret) => secret,
            None => {
                let secret = auth::new_admin_secret()?;
                auth::write_private_file(&secret_path, &secret).map_err(io)?;
                secret
            }
        };
        Ok(Self::build(
            Arc::new(store),
            config,
            Some(dir),
            Some(hash_secret(&secret)),
        ))
    }

    /// A relay whose database lives in memory (redb's in-memory backend): for tests
    /// and demos. It has no admin API.
    pub fn in_memory(config: Config) -> Result<Relay, RelayError> {
        Ok(Self::build(Arc::new(RedbStore::in_memory()?), config, None, None))
    }

    fn build(
        store: Arc<dyn LogStore>,
        config: Config,
        data_dir: Option<PathBuf>,
        admin_hash: Option<[u8; 32]>,
    ) -> Relay {
        let metrics = Arc::new(Metrics::default());
        let hub = Arc::new(Hub::new(store.clone(), metrics.clone(), config.limits.clone()));
        let inner = Inner {
            store,
            config,
            data_dir,
            admin_hash,
            hub,
            metrics,
            compacting: Mutex::new(()),
        };
        Relay { inner: Arc::new(inner) }
    }

    /// A relay over any store (tests of the session with the in-memory model).
    #[cfg(test)]
    pub(crate) fn with_store(store: Arc<dyn LogStore>, config: Config) -> Relay {
        Self::build(store, config, None, None)
    }

    /// The settings it was opened with.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The data directory, unless the relay is in memory.
    pub fn data_dir(&self) -> Option<&Path> {
        self.inner.data_dir.as_deref()
    }

    /// The only directory the admin API writes backups into: `backup_dir`, or
    /// `backups` in the data directory (created, owner-only). `None` in memory.
    pub fn backup_dir(&self) -> Option<PathBuf> {
        let dir = match (&self.inner.config.backup_dir, self.data_dir()) {
            (Some(dir), _) => dir.clone(),
            (None, Some(data)) => data.join("backups"),
            (None, None) => return None,
        };
        create_private_dir(&dir).ok()?;
        Some(dir)
    }

    /// Creates a workspace and its first token, an owner token.
    pub fn create_workspace(&self, name: &str) -> Result<(WorkspaceInfo, NewToken), RelayError> {
        let name = valid_name(name)?;
        let now = now_ms();
        let workspace = WorkspaceRecord {
            id: WorkspaceId::new(),
            name: name.to_string(),
            created_ms: now,
        };
        let issued = issue_token(workspace.id, Role::Owner, now)?;
        self.inner.store.create_workspace(&workspace, &issued.record)?;
        tracing::info!(workspace = %workspace.id, name, "workspace created");
        let token = new_token(&issued.record, issued.secret);
        Ok((workspace.into(), token))
    }

    /// Every workspace, oldest first.
    pub fn workspaces(&self) -> Result<Vec<WorkspaceInfo>, RelayError> {
        Ok(self
            .inner
            .store
            .workspaces()?
            .into_iter()
            .map(WorkspaceInfo::from)
            .collect())
    }

    /// One workspace, if it exists.
    pub fn workspace(&self, id: WorkspaceId) -> Result<Option<WorkspaceInfo>, RelayError> {
        Ok(self.inner.store.workspace(id)?.map(WorkspaceInfo::from))
    }

    /// Renames a workspace (devices see only its id, so nothing else changes).
    pub fn rename_workspace(&self, id: WorkspaceId, name: &str) -> Result<WorkspaceInfo, RelayError> {
        let name = valid_name(name)?;
        if !self.inner.store.rename_workspace(id, name)? {
            return Err(RelayError::UnknownWorkspace(id));
        }
        tracing::info!(workspace = %id, name, "workspace renamed");
        self.workspace(id)?.ok_or(RelayError::UnknownWorkspace(id))
    }

    /// Deletes a workspace for good: its tokens stop working (open connections are
    /// closed with `token_revoked`), and its log and snapshots are removed in one
    /// transaction. The CLI asks for confirmation first.
    pub fn delete_workspace(&self, id: WorkspaceId) -> Result<(), RelayError> {
        let tokens = self.inner.store.tokens(Some(id))?;
        if !self.inner.store.delete_workspace(id)? {
            return Err(RelayError::UnknownWorkspace(id));
        }
        for token in tokens {
            self.inner.hub.revoke(token.id);
        }
        tracing::info!(workspace = %id, "workspace deleted");
        Ok(())
    }

    /// Creates a token for a workspace.
    pub fn create_token(&self, workspace: WorkspaceId, role: Role) -> Result<NewToken, RelayError> {
        self.create_token_with(workspace, role, "", None)
    }

    /// Creates a token with a label for people and an optional expiry (milliseconds
    /// since the Unix epoch).
    pub fn create_token_with(
        &self,
        workspace: WorkspaceId,
        role: Role,
        label: &str,
        expires_ms: Option<u64>,
    ) -> Result<NewToken, RelayError> {
        let label = label.trim();
        if label.chars().count() > 200 || label.chars().any(char::is_control) {
            return Err(RelayError::InvalidName);
        }
        let mut issued = issue_token(workspace, role, now_ms())?;
        issued.record.label = label.to_string();
        issued.record.expires_ms = expires_ms;
        match self.inner.store.insert_token(&issued.record) {
            Ok(()) => {}
            Err(StoreError::UnknownWorkspace(w)) => return Err(RelayError::UnknownWorkspace(w)),
            Err(e) => return Err(e.into()),
        }
        tracing::info!(workspace = %workspace, token = %issued.record.id, role = role.as_str(), "token created");
        Ok(new_token(&issued.record, issued.secret))
    }

    /// The tokens of one workspace, or all of them.
    pub fn tokens(&self, workspace: Option<WorkspaceId>) -> Result<Vec<TokenInfo>, RelayError> {
        Ok(self
            .inner
            .store
            .tokens(workspace)?
            .into_iter()
            .map(TokenInfo::from)
            .collect())
    }

    /// Revokes a token: it can no longer connect, and its open connections are closed
    /// with `error{token_revoked}`. False if there is no such token.
    pub fn revoke_token(&self, id: TokenId) -> Result<bool, RelayError> {
        let found = self.inner.store.revoke_token(id)?.is_some();
        if found {
            self.inner.hub.revoke(id);
            tracing::info!(token = %id, "token revoked");
        }
        Ok(found)
    }

    /// Compacts every workspace now (blocking: call it from a blocking thread in async
    /// code). The background task does the same every `compaction.interval_secs`.
    pub fn compact_now(&self) -> Result<CompactionReport, RelayError> {
        let _one_at_a_time = self.inner.compacting.lock().unwrap_or_else(|p| p.into_inner());
        let report = compaction::compact(self.inner.store.as_ref(), &self.inner.config.compaction)?;
        let m = &self.inner.metrics;
        crate::metrics::add(&m.compactions_total, 1);
        crate::metrics::add(&m.compacted_documents_total, report.documents);
        crate::metrics::add(&m.compacted_entries_total, report.entries_removed);
        Ok(report)
    }

    /// Writes a consistent copy of the database to a new file `dest` (blocking). Safe
    /// while serving: it reads one snapshot of the database.
    pub fn backup(&self, dest: &Path) -> Result<(), RelayError> {
        self.inner.store.backup(dest)?;
        tracing::info!(dest = %dest.display(), "backup written");
        Ok(())
    }

    /// Replaces the database in `config.data_dir` with a copy of the backup file
    /// `backup`, and gives every workspace's log a new epoch: devices that synced
    /// after the backup was taken then pull from the start and push everything they
    /// hold again, so nothing the relay had acknowledged since is lost. The relay must
    /// not be running (fails with [`RelayError::is_locked`]). The replaced database is
    /// kept beside it as `relay.redb.before-restore-<ms>`. Returns the number of
    /// workspaces restored.
    pub fn restore(config: &Config, backup: &Path) -> Result<usize, RelayError> {
        let dir = config.data_dir.clone();
        let io = |source| RelayError::DataDir {
            path: dir.clone(),
            source,
        };
        let db = dir.join(DB_FILE);
        if db.exists() {
            // Fails while `serve` holds the file.
            drop(RedbStore::open(&db)?);
        }
        create_private_dir(&dir).map_err(io)?;
        let restoring = dir.join(format!("{DB_FILE}.restoring"));
        let _ = std::fs::remove_file(&restoring);
        std::fs::copy(backup, &restoring).map_err(|source| RelayError::DataDir {
            path: backup.to_path_buf(),
            source,
        })?;
        let renewed = (|| -> Result<usize, RelayError> {
            let store = RedbStore::open(&restoring)?;
            let workspaces = store.workspaces()?;
            for workspace in &workspaces {
                store.set_epoch(workspace.id, auth::random_bytes::<16>()?)?;
            }
            Ok(workspaces.len())
        })();
        let count = match renewed {
            Ok(count) => count,
            Err(e) => {
                let _ = std::fs::remove_file(&restoring);
                return Err(e);
            }
        };
        if db.exists() {
            let kept = dir.join(format!("{DB_FILE}.before-restore-{}", now_ms()));
            std::fs::rename(&db, kept).map_err(io)?;
        }
        std::fs::rename(&restoring, &db).map_err(io)?;
        tracing::info!(backup = %backup.display(), workspaces = count, "restored; every workspace has a new epoch");
        Ok(count)
    }

    /// The epoch of a workspace's log, as hex (made on first use).
    pub(crate) fn epoch(&self, workspace: WorkspaceId) -> Result<String, RelayError> {
        let epoch = self
            .inner
            .store
            .epoch_or_insert(workspace, auth::random_bytes::<16>()?)?;
        Ok(epoch.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// The token behind a bearer secret, if it is valid and not revoked.
    pub(crate) async fn authenticate(&self, secret: &str) -> Result<Option<TokenRecord>, RelayError> {
        if !secret.starts_with(auth::TOKEN_PREFIX) {
            return Ok(None);
        }
        let hash = hash_secret(secret);
        let store = self.inner.store.clone();
        let token = tokio::task::spawn_blocking(move || store.token_by_hash(&hash))
            .await
            .map_err(|e| RelayError::Task(e.to_string()))??;
        let now = now_ms();
        let token =
            token.filter(|t| !t.revoked && digests_equal(&t.hash, &hash) && t.expires_ms.is_none_or(|e| e > now));
        if let Some(t) = &token
            && t.last_used_ms.is_none_or(|used| now.saturating_sub(used) >= 60_000)
        {
            let (store, id) = (self.inner.store.clone(), t.id);
            tokio::task::spawn_blocking(move || {
                if let Err(e) = store.touch_token(id, now) {
                    tracing::warn!(token = %id, "cannot record the token's last use: {e}");
                }
            });
        }
        Ok(token)
    }

    /// Whether `secret` is the admin secret.
    pub(crate) fn is_admin(&self, secret: &str) -> bool {
        self.inner
            .admin_hash
            .is_some_and(|h| digests_equal(&h, &hash_secret(secret)))
    }
}

/// A workspace name: trimmed, 1-200 characters, no control characters.
fn valid_name(name: &str) -> Result<&str, RelayError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(RelayError::InvalidName);
    }
    Ok(name)
}

fn new_token(record: &TokenRecord, secret: String) -> NewToken {
    NewToken {
        id: record.id,
        workspace: record.workspace,
        role: record.role,
        secret,
    }
}

/// Creates the data directory, readable by its owner only (0700 on Unix).
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}
