//! Bulk import: many records as one change group, in one write transaction. Rows are
//! validated first (so `strict` can refuse the whole import before anything is written),
//! then their documents are built on every core while this thread writes them to redb.

use std::collections::{BTreeMap, HashSet};
use std::sync::mpsc;

use automerge::AutoCommit;
use redb::ReadableTable;

use super::records::{FieldChange, to_stored, validate_new};
use super::{Device, Workspace, commit, new_doc};
use crate::error::{Error, Result, StoreError};
use crate::record::{self, Row};
use crate::schema::ObjectDef;
use crate::store::{self, DerivedTables, DocTables, NewChange};

use crate::value::{Stored, Value};
use crate::{FieldId, GroupId, ObjectId, RecordId};

/// One record to import, already parsed into typed values.
#[derive(Debug, Clone)]
pub struct ImportRow {
    /// Keep this id (re-importing an export); `None` makes a new one.
    pub id: Option<RecordId>,
    pub values: Vec<FieldChange>,
}

/// How to import.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Refuse the whole import if any row is bad.
    pub strict: bool,
    /// The change group every record of the import joins (`import:<group>`).
    pub group: GroupId,
}

/// A row that was not imported, and why.
#[derive(Debug)]
pub struct RowError {
    /// Position of the row in the input (0-based).
    pub index: usize,
    pub error: Error,
}

/// What an import did.
#[derive(Debug)]
pub struct ImportReport {
    pub group: GroupId,
    pub created: Vec<RecordId>,
    pub errors: Vec<RowError>,
}

/// What the rows an import has checked so far claimed: the record ids the file gives and
/// the unique values, so that a row clashing with a row of an earlier batch is found
/// (see [`Workspace::check_import_rows`]). Grows with the file's given ids and unique
/// values only.
#[derive(Debug, Default)]
pub struct ImportChecks {
    ids: HashSet<RecordId>,
    claimed: HashSet<(FieldId, Vec<u8>)>,
}

/// A validated row: its id and the values to store.
type ValidRow = (RecordId, Vec<(FieldId, Stored)>);

/// Index keys gathered before they are sorted and written (bounds memory on big imports).
const KEYS_PER_FLUSH: usize = 200_000;

/// Records per message from the document builders to the writer.
const CHUNK: usize = 256;

/// A record ready to write: its document's first snapshot and its row.
struct Built {
    id: RecordId,
    change: NewChange,
    /// Index and search keys, computed on the worker; written sorted, in bulk.
    index_keys: Vec<Vec<u8>>,
    text_keys: Vec<Vec<u8>>,
    bytes: Vec<u8>,
    row: Row,
}

impl Workspace {
    /// Imports rows into `object` as one change group in one transaction. Bad rows are
    /// reported and skipped, or with `options.strict` nothing is imported.
    /// `progress` is called with the number of records written so far.
    pub fn import_records(
        &mut self,
        object: ObjectId,
        rows: Vec<ImportRow>,
        options: &ImportOptions,
        progress: &mut dyn FnMut(usize),
    ) -> Result<ImportReport> {
        let obj = self.object_def(object)?.clone();
        let rules = self.active_rules(object)?;
        let today = self.rule_today();
        let tx = self.store.write()?;
        let mut report = ImportReport {
            group: options.group,
            created: Vec::new(),
            errors: Vec::new(),
        };
        let valid = {
            let derived = DerivedTables::open(&tx)?;
            let docs = tx.open_table(crate::store::tables::DOCS).map_err(StoreError::from)?;
            let taken = |id: RecordId| taken_id(&docs, &derived, &self.schema, &obj, id);
            let related = super::records::live_row_in(&derived);
            let rules_hold = |values: &BTreeMap<FieldId, Stored>| {
                super::rules::check_rules(&rules, &self.schema, &obj, values, &related, today)
            };
            validate_rows(
                &derived,
                &obj,
                rows,
                &taken,
                &rules_hold,
                &mut ImportChecks::default(),
                &mut report,
            )?
        };
        if options.strict && !report.errors.is_empty() {
            return Ok(report); // dropping `tx` aborts it: nothing written
        }
        let message = format!("import:{}", options.group);
        let now = (self.clock)();
        {
            let mut docs = DocTables::open(&tx)?;
            let mut derived = self.derived_tables(&tx)?;
            let device = self.device.clone();
            let deriver = self.deriver();
            let mut settle: Vec<super::derive::Written> = Vec::new();
            let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).min(8);
            let (send, receive) = mpsc::sync_channel::<Result<Vec<Built>, automerge::AutomergeError>>(workers * 2);
            let chunks: Vec<Vec<ValidRow>> = {
                let mut chunks = Vec::new();
                let mut it = valid.into_iter().peekable();
                while it.peek().is_some() {
                    chunks.push(it.by_ref().take(CHUNK).collect());
                }
                chunks
            };
            let per_worker = chunks.len().div_ceil(workers).max(1);
            let mut written = 0;
            let mut index_keys: Vec<Vec<u8>> = Vec::new();
            let mut text_keys: Vec<Vec<u8>> = Vec::new();
            std::thread::scope(|scope| -> Result<()> {
                let mut queues: Vec<Vec<_>> = Vec::new();
                let mut chunks = chunks.into_iter().peekable();
                while chunks.peek().is_some() {
                    queues.push(chunks.by_ref().take(per_worker).collect::<Vec<_>>());
                }
                for queue in queues {
                    let send = send.clone();
                    let (device, obj, message, deriver) = (&device, &obj, &message, &deriver);
                    scope.spawn(move || {
                        for chunk in queue {
                            let built = build_chunk(device, obj, deriver, message, now, chunk);
                            if send.send(built).is_err() {
                                return; // the writer stopped on an error
                            }
                        }
                    });
                }
                drop(send);
                for built in receive {
                    let built = built.map_err(|source| StoreError::CorruptDocument {
                        doc: crate::DocId::new(),
                        source: Box::new(source),
                    })?;
                    for b in built {
                        docs.insert_new(b.id.into(), &b.bytes)?;
                        derived.index_changes(b.id.into(), std::slice::from_ref(&b.change))?;
                        store::write_new_row_without_keys(&mut derived, obj.id, b.id, &b.row)?;
                        if deriver.has_computed() {
                            settle.push((obj.id, b.id, None));
                        }
                        index_keys.extend(b.index_keys);
                        text_keys.extend(b.text_keys);
                        report.created.push(b.id);
                        written += 1;
                    }
                    if index_keys.len() >= KEYS_PER_FLUSH {
                        store::insert_sorted(
                            &mut derived,
                            std::mem::take(&mut index_keys),
                            std::mem::take(&mut text_keys),
                        )?;
                    }
                    progress(written);
                }
                store::insert_sorted(
                    &mut derived,
                    std::mem::take(&mut index_keys),
                    std::mem::take(&mut text_keys),
                )?;
                Ok(())
            })?;
            // Lookups and rollups of the new records, and the records reading them.
            super::derive::settle(&deriver, &mut derived, settle)?;
        }
        tx.commit().map_err(StoreError::from)?;
        self.committed(super::Changes {
            objects: vec![object],
            ..super::Changes::local()
        });
        Ok(report)
    }
}

impl Workspace {
    /// Checks rows as [`Workspace::import_records`] would, writing nothing: the bad rows
    /// and why. `checks` carries what earlier calls' rows claimed (ids, unique values),
    /// so a file can be checked batch by batch in bounded memory before it is written
    /// (a strict import's first pass).
    pub fn check_import_rows(
        &mut self,
        object: ObjectId,
        rows: Vec<ImportRow>,
        checks: &mut ImportChecks,
    ) -> Result<Vec<RowError>> {
        let obj = self.object_def(object)?.clone();
        let rules = self.active_rules(object)?;
        let today = self.rule_today();
        // A write transaction that is never committed: the derived tables' readers
        // want one, and dropping it aborts it.
        let tx = self.store.write()?;
        let mut report = ImportReport {
            group: GroupId::default(),
            created: Vec::new(),
            errors: Vec::new(),
        };
        let derived = DerivedTables::open(&tx)?;
        let docs = tx.open_table(crate::store::tables::DOCS).map_err(StoreError::from)?;
        let taken = |id: RecordId| taken_id(&docs, &derived, &self.schema, &obj, id);
        let related = super::records::live_row_in(&derived);
        let rules_hold = |values: &BTreeMap<FieldId, Stored>| {
            super::rules::check_rules(&rules, &self.schema, &obj, values, &related, today)
        };
        validate_rows(&derived, &obj, rows, &taken, &rules_hold, checks, &mut report)?;
        Ok(report.errors)
    }
}

/// Validates every row; returns the good ones with their ids and stored values.
fn validate_rows(
    derived: &DerivedTables<'_>,
    obj: &ObjectDef,
    rows: Vec<ImportRow>,
    taken: &dyn Fn(RecordId) -> Result<Option<crate::ValidationError>>,
    rules_hold: &dyn Fn(&BTreeMap<FieldId, Stored>) -> Result<()>,
    checks: &mut ImportChecks,
    report: &mut ImportReport,
) -> Result<Vec<ValidRow>> {
    let ImportChecks { ids, claimed } = checks;
    let mut valid = Vec::with_capacity(rows.len());
    for (index, row) in rows.into_iter().enumerate() {
        let given = row.id.is_some();
        let id = row.id.unwrap_or_default();
        // A new id is new: only the ids the file gives can repeat.
        let clash = if !given || ids.insert(id) {
            taken(id)?
        } else {
            Some(duplicate_id(obj, id))
        };
        if let Some(clash) = clash {
            report.errors.push(RowError {
                index,
                error: Error::Validation(clash),
            });
            continue;
        }
        let values: Vec<(FieldId, Value)> = row
            .values
            .into_iter()
            .filter_map(|(f, v)| normalize(v).map(|v| (f, v)))
            .collect();
        let checked = validate_new(derived, obj, id, &values, Some(claimed)).and_then(|()| {
            let stored = to_stored(obj, &values);
            rules_hold(&stored.iter().cloned().collect()).map(|()| stored)
        });
        match checked {
            Ok(stored) => valid.push((id, stored)),
            Err(error) => report.errors.push(RowError { index, error }),
        }
    }
    Ok(valid)
}

fn normalize(value: Option<Value>) -> Option<Value> {
    match value {
        Some(Value::Text(s)) if s.trim().is_empty() => None,
        Some(Value::Options(v)) if v.is_empty() => None,
        Some(Value::Records(v)) if v.is_empty() => None,
        other => other,
    }
}

/// Why a row's id cannot be a new record of `obj`: a record with it exists, or it names
/// another document (a record of another object, the schema, a configuration document).
/// Writing it would replace that document.
fn taken_id(
    docs: &redb::Table<'_, [u8; 16], &'static [u8]>,
    derived: &DerivedTables<'_>,
    schema: &crate::Schema,
    obj: &ObjectDef,
    id: RecordId,
) -> Result<Option<crate::ValidationError>> {
    let owner = derived
        .record_objects
        .get(id.as_bytes())
        .map_err(StoreError::from)?
        .map(|g| ObjectId::from_bytes(g.value()));
    let reason = match owner {
        Some(o) if o == obj.id => return Ok(Some(duplicate_id(obj, id))),
        Some(o) => format!(
            "the id names a record of '{}', not of '{}'",
            schema.object(o).map_or_else(|| o.to_string(), |d| d.key.clone()),
            obj.key
        ),
        None if docs.get(id.as_bytes()).map_err(StoreError::from)?.is_some() => {
            format!("the id names a document that is not a record of '{}'", obj.key)
        }
        None => return Ok(None),
    };
    Ok(Some(crate::ValidationError {
        object: obj.key.clone(),
        field: "id".into(),
        value: format!("'{id}'"),
        rule: "record id",
        reason,
    }))
}

fn duplicate_id(obj: &ObjectDef, id: RecordId) -> crate::ValidationError {
    crate::ValidationError {
        object: obj.key.clone(),
        field: "id".into(),
        value: format!("'{id}'"),
        rule: "unique",
        reason: "a record with this id already exists".into(),
    }
}

/// Documents larger than this are stored compressed.
const COMPRESS_FROM_BYTES: usize = 64 * 1024;

fn build_chunk(
    device: &Device,
    obj: &ObjectDef,
    deriver: &super::derive::Deriver<'_>,
    message: &str,
    now: i64,
    chunk: Vec<ValidRow>,
) -> Result<Vec<Built>, automerge::AutomergeError> {
    chunk
        .into_iter()
        .map(|(id, values)| {
            let mut doc: AutoCommit = new_doc(device);
            record::init(&mut doc, id, obj.id, now, &device.user, &values)?;
            let hash = commit(&mut doc, message, now);
            // Small documents gain nothing from compression, and it costs ~9 % of an import;
            // a large one (a long text cell) is compressed like any first save, so it fits
            // the relay's chunk limit when it compresses well.
            let mut bytes = doc.save_nocompress();
            if bytes.len() > COMPRESS_FROM_BYTES {
                bytes = doc.save();
            }
            let change = NewChange {
                hash: hash.unwrap_or(automerge::ChangeHash([0; 32])),
                group: crate::history::group_of(message),
                run: None,
            };
            let mut row = Row {
                object: obj.id,
                created_at: now,
                created_by: device.user.clone(),
                updated_at: now,
                deleted_at: None,
                values: values.into_iter().collect(),
                conflicts: Default::default(),
            };
            // The row as the one derivation makes it (what `derive::row_of_doc` reads
            // from the document is these values); related rows come in `settle`.
            deriver.compute(id, &mut row, &super::derive::NoRelated);
            let (index, text) = store::derived_keys(obj, id, Some(&row));
            Ok(Built {
                id,
                change,
                index_keys: index.into_iter().collect(),
                text_keys: text.into_iter().collect(),
                bytes,
                row,
            })
        })
        .collect()
}
