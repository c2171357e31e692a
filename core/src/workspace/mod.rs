//! [`Workspace`]: one replica of a workspace, opened from its redb file. Every user action
//! is one redb write transaction that covers the document change, the outbox, the rows
//! and the indexes, so it either happens entirely or not at all.

mod automation_config;
mod automation_dates;
mod automation_formulas;
mod automation_names;
mod automation_runs;
mod automations;
mod changes;
mod computed;
mod computed_fields;
mod config_content;
mod config_docs;
mod config_history;
mod conflicts;
mod derive;
mod erasure;
mod field_ops;
mod formula_eval;
mod history;
mod import;
mod record_reads;
mod records;
mod reindex;
mod remote;
mod remote_bulk;
mod remote_known;
mod revert;
mod rollup_acc;
mod rollup_delta;
mod rule_breaks;
mod rules;
mod same_names;
mod schema_ops;
mod search_backlog;
mod short_ids;
mod stuck;
mod sync_meta;
mod totals;
mod uniqueness;
mod unreadable;
mod validate;
mod view;
mod view_content;

#[cfg(test)]
mod abandoned_writes;
#[cfg(test)]
mod atomic_group_revert;
#[cfg(test)]
mod document_kinds;
#[cfg(test)]
mod extreme_schema_values;
#[cfg(test)]
mod format_upgrade;

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};

use automerge::transaction::CommitOptions;
use automerge::{ActorId, AutoCommit};
use lru::LruCache;
use redb::WriteTransaction;

use crate::DocId;
use crate::error::{Result, StoreError};
use crate::schema::{Schema, doc as schema_doc, standard_objects};
use crate::store::{self, DocTables, FORMAT_VERSION, LoadedDoc, Store};
use crate::time_fmt::now_ms;

pub use automation_config::Automation;
pub(crate) use automation_runs::note_run_change;
pub use automation_runs::{AutomationRun, RunStatus};
pub use automations::DryRun;
pub use changes::{ChangeObserver, Changes};
pub use computed_fields::{ComputedPreview, ComputedSpec};
pub use config_content::ConfigContent;
pub use config_history::{ConfigChange, ConfigDiff};
pub use conflicts::{ConflictValue, ConflictView, Resolution};
pub use field_ops::{FieldSpec, RetypeReport};
pub use history::{FieldDiff, HistoryEntry};
pub use import::{ImportChecks, ImportOptions, ImportReport, ImportRow, RowError};
pub use records::{FieldChange, RecordView};
pub use reindex::DerivedEntry;
pub use remote::ApplySummary;
pub use revert::{BulkReport, RevertReport};
pub(crate) use rule_breaks::{TxRules, row_written};
pub use rules::{Rule, RuleBreak};
pub use same_names::MergedValueClash;
pub use stuck::StuckChange;
pub use uniqueness::UniqueClash;
pub use view::CellView;

/// The file inside a workspace directory that holds the replica.
pub const WORKSPACE_FILE: &str = "workspace.redb";

/// The schema document id of a replica that has not received its schema yet.
const NO_SCHEMA_YET: DocId = DocId::from_bytes([0; 16]);

/// How many record documents stay loaded between edits.
const DOC_CACHE_SIZE: usize = 256;

/// Who is making changes on this device.
#[derive(Debug, Clone)]
pub struct Device {
    /// The user's name, recorded as the author of every change.
    pub user: String,
    /// This device's stable Automerge actor id.
    pub actor: ActorId,
}

/// Options for creating a workspace.
#[derive(Debug, Clone)]
pub struct CreateOptions {
    pub user: String,
    /// Seed the standard objects (people, companies, deals, tasks, notes).
    pub standard_objects: bool,
}

impl CreateOptions {
    pub fn new(user: &str) -> Self {
        CreateOptions {
            user: user.to_string(),
            standard_objects: true,
        }
    }
}

/// One local replica of a workspace.
pub struct Workspace {
    pub(crate) store: Store,
    /// The directory the workspace lives in (`None` in memory).
    path: Option<PathBuf>,
    device: Device,
    schema_doc_id: DocId,
    /// The schema document; `None` after a failed schema write, reloaded on next use.
    schema_doc: Option<LoadedDoc>,
    /// The schema as read from `schema_doc`.
    schema: Schema,
    /// Recently used record documents, so consecutive edits of one record do not reload it.
    cache: LruCache<DocId, LoadedDoc>,
    /// The time stamped on commits (ms since the epoch); tests set a fake one.
    clock: fn() -> i64,
    /// Told after every committed local write, so a sync runtime in the same process can
    /// push at once instead of polling the outbox.
    change_listener: Option<Box<dyn Fn() + Send>>,
    /// Told what changed after every commit, local or applied from the relay.
    change_observers: Vec<ChangeObserver>,
    /// The enabled automations, resolved; dropped when configuration or schema changes.
    automation_cache: std::sync::Mutex<Option<std::sync::Arc<Vec<automations::Active>>>>,
    /// Each object's enabled rules, compiled: read once, not on every write. Emptied
    /// after any commit that may have changed a rule or the schema.
    rules_cache: rules::RulesCache,
}

pub(super) mod meta_keys {
    pub(super) const FORMAT: &str = "format";
    pub(super) const SCHEMA_DOC: &str = "schema_doc";
    pub(super) const ACTOR: &str = "actor";
    pub(super) const USER: &str = "user";
}

impl Workspace {
    /// Creates a new workspace in directory `dir` (created if missing).
    pub fn create(dir: &Path, options: CreateOptions) -> Result<Self> {
        Self::initialize(new_store_in(dir)?, Some(dir.to_path_buf()), options)
    }

    /// A replica with no schema and no records yet, to be filled from a relay
    /// (`kith join`): the schema document arrives with the first sync.
    pub fn create_replica(dir: &Path, user: &str) -> Result<Self> {
        Self::initialize_replica(new_store_in(dir)?, Some(dir.to_path_buf()), user)
    }

    /// An in-memory replica waiting for its first sync (tests).
    pub fn in_memory_replica(user: &str) -> Result<Self> {
        Self::initialize_replica(Store::in_memory()?, None, user)
    }

    fn initialize_replica(store: Store, path: Option<PathBuf>, user: &str) -> Result<Self> {
        let device = Device {
            user: user.to_string(),
            actor: ActorId::random(),
        };
        let tx = store.write()?;
        store::set_meta(&tx, meta_keys::FORMAT, &FORMAT_VERSION.to_le_bytes())?;
        store::set_meta(&tx, meta_keys::ACTOR, device.actor.to_bytes())?;
        store::set_meta(&tx, meta_keys::USER, device.user.as_bytes())?;
        tx.commit().map_err(StoreError::from)?;
        Ok(Workspace {
            store,
            path,
            device,
            schema_doc_id: NO_SCHEMA_YET,
            schema_doc: None,
            schema: Schema::default(),
            cache: new_cache(),
            clock: now_ms,
            change_listener: None,
            change_observers: Vec::new(),
            automation_cache: std::sync::Mutex::default(),
            rules_cache: rules::RulesCache::default(),
        })
    }

    /// Whether this replica has its schema document (a joined replica gets it on sync).
    pub fn has_schema_doc(&self) -> bool {
        self.schema_doc_id != NO_SCHEMA_YET
    }

    /// The id of the workspace's schema document (`None` before a joined replica has it).
    pub fn schema_doc_id(&self) -> Option<DocId> {
        self.has_schema_doc().then_some(self.schema_doc_id)
    }

    /// A workspace that lives in memory only (tests, benchmarks).
    pub fn in_memory(options: CreateOptions) -> Result<Self> {
        Self::initialize(Store::in_memory()?, None, options)
    }

    fn initialize(store: Store, path: Option<PathBuf>, options: CreateOptions) -> Result<Self> {
        let device = Device {
            user: options.user.clone(),
            actor: ActorId::random(),
        };
        let schema_doc_id = DocId::new();
        let mut doc = new_doc(&device);
        schema_doc::ensure_root(&mut doc).map_err(|e| corrupt(schema_doc_id, e))?;
        schema_doc::put_member(&mut doc, &device.actor.to_hex_string(), &device.user)
            .map_err(|e| corrupt(schema_doc_id, e))?;
        if options.standard_objects {
            for object in standard_objects() {
                schema_doc::put_object(&mut doc, &object).map_err(|e| corrupt(schema_doc_id, e))?;
            }
        }
        commit(&mut doc, "schema", now_ms());
        let mut loaded = LoadedDoc::new(doc);
        let tx = store.write()?;
        {
            let mut docs = DocTables::open(&tx)?;
            let added = store::persist_doc(&mut docs, schema_doc_id, &mut loaded)?;
            store::DerivedTables::open(&tx)?.index_changes(schema_doc_id, &added)?;
        }
        store::set_meta(&tx, meta_keys::FORMAT, &FORMAT_VERSION.to_le_bytes())?;
        store::set_meta(&tx, meta_keys::SCHEMA_DOC, schema_doc_id.as_bytes())?;
        store::set_meta(&tx, meta_keys::ACTOR, device.actor.to_bytes())?;
        store::set_meta(&tx, meta_keys::USER, device.user.as_bytes())?;
        tx.commit().map_err(StoreError::from)?;
        let schema = schema_doc::hydrate(loaded.doc.document());
        Ok(Workspace {
            store,
            path,
            device,
            schema_doc_id,
            schema_doc: Some(loaded),
            schema,
            cache: new_cache(),
            clock: now_ms,
            change_listener: None,
            change_observers: Vec::new(),
            automation_cache: std::sync::Mutex::default(),
            rules_cache: rules::RulesCache::default(),
        })
    }

    /// Opens the workspace in directory `dir`.
    pub fn open(dir: &Path) -> Result<Self> {
        let file = dir.join(WORKSPACE_FILE);
        if !file.exists() {
            return Err(StoreError::NotAWorkspace(dir.to_path_buf()).into());
        }
        let store = Store::open(&file)?;
        let tx = store.read()?;
        let meta = |key: &'static str| -> Result<Vec<u8>> {
            store::get_meta(&tx, key)?.ok_or_else(|| StoreError::MissingMeta(key).into())
        };
        let format = u32::from_le_bytes(
            meta(meta_keys::FORMAT)?
                .try_into()
                .map_err(|_| StoreError::MissingMeta("format"))?,
        );
        if format > FORMAT_VERSION {
            return Err(StoreError::UnsupportedFormat {
                found: format,
                supported: FORMAT_VERSION,
            }
            .into());
        }
        let schema_doc_id = match store::get_meta(&tx, meta_keys::SCHEMA_DOC)? {
            Some(bytes) => DocId::from_slice(&bytes).ok_or(StoreError::MissingMeta("schema doc id"))?,
            None => NO_SCHEMA_YET,
        };
        let device = Device {
            user: String::from_utf8_lossy(&meta(meta_keys::USER)?).into_owned(),
            actor: ActorId::from(meta(meta_keys::ACTOR)?),
        };
        drop(tx);
        let mut ws = Workspace {
            store,
            path: Some(dir.to_path_buf()),
            device,
            schema_doc_id,
            schema_doc: None,
            schema: Schema::default(),
            cache: new_cache(),
            clock: now_ms,
            change_listener: None,
            change_observers: Vec::new(),
            automation_cache: std::sync::Mutex::default(),
            rules_cache: rules::RulesCache::default(),
        };
        ws.load_schema()?;
        if format < FORMAT_VERSION {
            // Derived tables of an older layout: rebuild them from the documents.
            ws.reindex()?;
            ws.write(|tx| store::set_meta(tx, meta_keys::FORMAT, &FORMAT_VERSION.to_le_bytes()).map_err(Into::into))?;
        }
        ws.retry_unreadable_after_upgrade()?;
        // A file written by an older version may hold maps two devices created twice. A
        // read-only (viewer) replica reads them merged but cannot write the fix.
        if !ws.is_read_only()? {
            ws.heal_schema()?;
            ws.move_merged_values()?;
        }
        // Formulas reading today() were computed on another day, perhaps.
        ws.refresh_today_formulas()?;
        Ok(ws)
    }

    /// The directory the workspace lives in, if it is on disk.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The user behind a device's actor id (from the workspace's member list), or the
    /// actor id itself when it is unknown.
    pub fn author_name(&self, actor: &ActorId) -> String {
        let hex = actor.to_hex_string();
        self.schema
            .members
            .get(&hex)
            .cloned()
            .unwrap_or_else(|| format!("device {}", &hex[..hex.len().min(8)]))
    }

    /// Adds this device to the workspace's member list if it is not there yet, so other
    /// devices can show who made its changes. A device that joined gets the list with
    /// the schema; its sync runtime calls this once it has caught up and knows it may
    /// write (a viewer never does: its change could never be pushed).
    pub fn ensure_member(&mut self) -> Result<()> {
        let hex = self.device.actor.to_hex_string();
        if !self.has_schema_doc() || self.schema.members.get(&hex) == Some(&self.device.user) {
            return Ok(());
        }
        let user = self.device.user.clone();
        self.schema_write_with("member", |doc| schema_doc::put_member(doc, &hex, &user))
    }

    /// Registers (or with `None` removes) a function called after every committed local
    /// write. The sync connector uses it to push an edit as soon as it is made.
    pub fn set_change_listener(&mut self, listener: Option<Box<dyn Fn() + Send>>) {
        self.change_listener = listener;
    }

    /// Adds a function told what changed after every commit, local or applied from the
    /// relay (the web UI refreshes open pages with it). Observers stay until
    /// [`Self::clear_change_observers`].
    pub fn add_change_observer(&mut self, observer: ChangeObserver) {
        self.change_observers.push(observer);
    }

    /// Removes every change observer.
    pub fn clear_change_observers(&mut self) {
        self.change_observers.clear();
    }

    /// Tells the listener (local writes only) and the observers that a write committed.
    fn committed(&self, changes: Changes) {
        // Only record changes leave the automations as they were.
        let records_only = (!changes.records.is_empty() || !changes.objects.is_empty())
            && changes.config.is_empty()
            && !changes.schema;
        if !records_only && let Ok(mut cache) = self.automation_cache.lock() {
            *cache = None;
        }
        if changes.may_change_rules() {
            self.rules_cache.clear();
        }
        // A rule or the schema changed, or a bulk write could not follow relations: the
        // objects concerned get their breaks recomputed. Should this fail, they stay
        // stale and `rule_breaks` evaluates their rows instead (never a wrong answer).
        if changes.may_change_rules() || self.rule_checks().is_ok_and(|c| c.has_rules()) {
            let _ = self.refresh_rule_breaks();
        }
        if changes.local
            && let Some(listener) = &self.change_listener
        {
            listener();
        }
        for observer in &self.change_observers {
            observer(&changes);
        }
    }

    /// What derives rows from documents: the schema and today's date.
    pub(crate) fn deriver(&self) -> derive::Deriver<'_> {
        derive::Deriver::new(&self.schema, (self.clock)())
    }

    /// Sets the clock commits are stamped with (tests use a fake one to make time
    /// travel deterministic).
    #[doc(hidden)]
    pub fn set_clock(&mut self, clock: fn() -> i64) {
        self.clock = clock;
    }

    /// The current schema.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// Who is making changes on this device.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// Number of local change chunks waiting for a relay.
    pub fn outbox_len(&self) -> Result<u64> {
        use redb::ReadableTableMetadata;
        let tx = self.store.read()?;
        Ok(tx
            .open_table(store::tables::OUTBOX)
            .map_err(StoreError::from)?
            .len()
            .map_err(StoreError::from)?)
    }

    /// (Re)reads the schema document from the store.
    fn load_schema(&mut self) -> Result<()> {
        if !self.has_schema_doc() {
            self.schema = Schema::default();
            self.schema_doc = None;
            return Ok(());
        }
        let tx = self.store.read()?;
        let docs = tx.open_table(store::tables::DOCS).map_err(StoreError::from)?;
        let changes = tx.open_table(store::tables::DOC_CHANGES).map_err(StoreError::from)?;
        let mut loaded =
            store::load_doc(&docs, &changes, self.schema_doc_id)?.ok_or(StoreError::MissingMeta("schema document"))?;
        prepare_for_local_edits(&mut loaded.doc, &self.device);
        self.schema = schema_doc::hydrate(loaded.doc.document());
        self.schema_doc = Some(loaded);
        self.rules_cache.clear();
        Ok(())
    }

    /// Takes a record document out of the cache, or loads it inside `docs`' transaction.
    /// Callers put it back with [`Self::cache_doc`] only once their transaction committed,
    /// so the cache never holds a change that is not on disk.
    fn take_doc(&mut self, docs: &DocTables<'_>, id: DocId) -> Result<Option<LoadedDoc>> {
        if let Some(loaded) = self.cache.pop(&id) {
            return Ok(Some(loaded));
        }
        Ok(docs.load(id)?.map(|mut loaded| {
            prepare_for_local_edits(&mut loaded.doc, &self.device);
            loaded
        }))
    }

    fn cache_doc(&mut self, id: DocId, loaded: LoadedDoc) {
        self.cache.put(id, loaded);
    }

    /// Runs `f` in one write transaction and commits it; on any error nothing is written.
    fn write<T>(&self, f: impl FnOnce(&WriteTransaction) -> Result<T>) -> Result<T> {
        self.write_telling(Changes::local(), f)
    }

    /// [`Self::write`], telling observers `changes` once it committed.
    fn write_telling<T>(&self, changes: Changes, f: impl FnOnce(&WriteTransaction) -> Result<T>) -> Result<T> {
        let tx = self.store.write()?;
        let value = f(&tx)?;
        tx.commit().map_err(StoreError::from)?;
        self.committed(changes);
        Ok(value)
    }
}

/// A new store file in `dir` (created if missing); refuses to overwrite a workspace.
fn new_store_in(dir: &Path) -> Result<Store> {
    let file = dir.join(WORKSPACE_FILE);
    if file.exists() {
        return Err(StoreError::AlreadyExists(dir.to_path_buf()).into());
    }
    std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    Ok(Store::create(&file)?)
}

fn new_cache() -> LruCache<DocId, LoadedDoc> {
    LruCache::new(NonZeroUsize::new(DOC_CACHE_SIZE).unwrap_or(NonZeroUsize::MIN))
}

/// A new document that records this device and user on its changes.
fn new_doc(device: &Device) -> AutoCommit {
    let mut doc = AutoCommit::new();
    prepare_for_local_edits(&mut doc, device);
    doc
}

fn prepare_for_local_edits(doc: &mut AutoCommit, device: &Device) {
    // Authors are not set with automerge's `set_author`: it replaces the actor with a
    // random one, and Kith keeps one stable actor per device. The workspace's member
    // list (in the schema document) maps actors to user names instead.
    doc.set_actor(device.actor.clone());
}

/// Commits pending operations with a time (automerge stores 0 unless told) and a message
/// saying what made the change: `edit`, `import:<group>`, `schema`, ...
fn commit(doc: &mut AutoCommit, message: &str, time: i64) -> Option<automerge::ChangeHash> {
    doc.commit_with(
        CommitOptions::default()
            .with_message(message.to_string())
            .with_time(time),
    )
}

fn corrupt(doc: DocId, source: automerge::AutomergeError) -> StoreError {
    StoreError::CorruptDocument {
        doc,
        source: Box::new(source),
    }
}
