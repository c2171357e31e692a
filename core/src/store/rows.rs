//! The derived tables: `rows` / `trash` (a record's current values), `record_objects`,
//! `index` (filters and sorts) and `text_index` (search). Every function here works
//! inside the caller's write transaction, so a user action updates documents and derived
//! tables atomically.

use std::collections::BTreeSet;

use redb::{ReadableTable, Table, WriteTransaction};

use super::tables::{
    CHANGES, CONFLICTS, GROUPS, INDEX, RECORD_OBJECTS, ROWS, RULE_BREAK_SOURCES, RULE_BREAKS, SEARCH_BACKLOG,
    SHORT_IDS, TEXT_INDEX, TRASH,
};
use crate::encoding::index_values;
use crate::error::StoreError;
use crate::field_type;
use crate::record::Row;
use crate::schema::ObjectDef;
use crate::text::tokens;
use crate::{ObjectId, RecordId};

/// A change just stored: its hash and the change group its message names, if any.
#[derive(Debug, Clone)]
pub(crate) struct NewChange {
    pub(crate) hash: automerge::ChangeHash,
    pub(crate) group: Option<crate::GroupId>,
    /// The automation run that made it, if one did (for the run log).
    pub(crate) run: Option<RunMark>,
}

/// An automation run as a change's commit message and metadata tell it.
#[derive(Debug, Clone)]
pub(crate) struct RunMark {
    pub(crate) run: crate::GroupId,
    pub(crate) automation: crate::DocId,
    pub(crate) time: i64,
    /// The device's actor id (hex).
    pub(crate) actor: String,
}

impl NewChange {
    pub(crate) fn of(change: &automerge::ChangeMetadata<'_>) -> Self {
        let message = change.message.as_deref();
        NewChange {
            hash: change.hash,
            group: message.and_then(crate::history::group_of),
            run: message
                .and_then(crate::history::automation_run_of)
                .map(|(run, automation)| RunMark {
                    run,
                    automation,
                    time: change.timestamp,
                    actor: change.actor.to_hex_string(),
                }),
        }
    }
}

/// The key of a record in `rows` and `trash`: object id ‖ record id.
pub(crate) fn row_key(object: ObjectId, record: RecordId) -> [u8; 32] {
    let mut key = [0; 32];
    key[..16].copy_from_slice(object.as_bytes());
    key[16..].copy_from_slice(record.as_bytes());
    key
}

/// The prefix of every `rows`/`trash` key of an object.
pub(crate) fn object_prefix(object: ObjectId) -> [u8; 16] {
    *object.as_bytes()
}

/// The prefix of every `index` key of one field: its id. Field ids are random and unique
/// across objects, so the object id would only make a million keys 16 bytes longer
/// (format 1 had it; inserts are ~17 % faster without).
pub(crate) fn index_key_prefix(field: crate::FieldId) -> Vec<u8> {
    let mut key = Vec::with_capacity(48);
    key.extend_from_slice(field.as_bytes());
    key
}

pub(crate) fn decode_row(bytes: &[u8]) -> Result<Row, StoreError> {
    Ok(postcard::from_bytes(bytes)?)
}

fn encode_row(row: &Row) -> Result<Vec<u8>, StoreError> {
    Ok(postcard::to_allocvec(row)?)
}

/// The derived tables, open for writing.
pub(crate) struct DerivedTables<'t> {
    pub(crate) rows: Table<'t, &'static [u8], &'static [u8]>,
    pub(crate) trash: Table<'t, &'static [u8], &'static [u8]>,
    pub(crate) record_objects: Table<'t, [u8; 16], [u8; 16]>,
    pub(crate) short_ids: Table<'t, [u8; 16], ()>,
    pub(crate) index: Table<'t, &'static [u8], ()>,
    pub(crate) text: Table<'t, &'static [u8], ()>,
    pub(crate) search_backlog: Table<'t, &'static [u8], ()>,
    pub(crate) changes: Table<'t, [u8; 32], [u8; 16]>,
    pub(crate) groups: Table<'t, &'static [u8], ()>,
    pub(crate) conflicts: Table<'t, &'static [u8], ()>,
    pub(crate) automation_runs: Table<'t, [u8; 16], &'static [u8]>,
    pub(crate) rule_breaks: Table<'t, &'static [u8], &'static [u8]>,
    pub(crate) rule_sources: Table<'t, [u8; 16], u64>,
    /// The validation rules row writes keep `rule_breaks` current with. `None` (tables
    /// opened without them): a row write marks every object's breaks stale instead.
    pub(crate) rules: Option<crate::workspace::TxRules>,
    pub(crate) rollup_states: Table<'t, &'static [u8], &'static [u8]>,
}

impl<'t> DerivedTables<'t> {
    pub(crate) fn open(tx: &'t WriteTransaction) -> Result<Self, StoreError> {
        Ok(DerivedTables {
            rows: tx.open_table(ROWS)?,
            trash: tx.open_table(TRASH)?,
            record_objects: tx.open_table(RECORD_OBJECTS)?,
            short_ids: tx.open_table(SHORT_IDS)?,
            index: tx.open_table(INDEX)?,
            text: tx.open_table(TEXT_INDEX)?,
            search_backlog: tx.open_table(SEARCH_BACKLOG)?,
            changes: tx.open_table(CHANGES)?,
            groups: tx.open_table(GROUPS)?,
            conflicts: tx.open_table(CONFLICTS)?,
            automation_runs: tx.open_table(super::tables::AUTOMATION_RUNS)?,
            rule_breaks: tx.open_table(RULE_BREAKS)?,
            rule_sources: tx.open_table(RULE_BREAK_SOURCES)?,
            rules: None,
            rollup_states: tx.open_table(super::tables::ROLLUP_STATES)?,
        })
    }

    /// Records new changes of a document: which document holds each change, and which
    /// documents each change group touched (the group id is in the commit message).
    pub(crate) fn index_changes(&mut self, doc: crate::DocId, changes: &[NewChange]) -> Result<(), StoreError> {
        for change in changes {
            self.changes.insert(change.hash.0, doc.as_bytes())?;
            if let Some(group) = change.group {
                let mut key = [0u8; 32];
                key[..16].copy_from_slice(group.as_bytes());
                key[16..].copy_from_slice(doc.as_bytes());
                self.groups.insert(key.as_slice(), ())?;
            }
            if let Some(mark) = &change.run {
                crate::workspace::note_run_change(&mut self.automation_runs, mark, doc)?;
            }
        }
        Ok(())
    }

    /// The current row of a record, live or in the trash.
    pub(crate) fn current_row(&self, object: ObjectId, record: RecordId) -> Result<Option<Row>, StoreError> {
        live_or_trashed_row(&self.rows, &self.trash, &row_key(object, record))
    }
}

/// The row under `key` in `rows`, else in `trash` (open for writing or for reading).
pub(crate) fn live_or_trashed_row(
    rows: &impl ReadableTable<&'static [u8], &'static [u8]>,
    trash: &impl ReadableTable<&'static [u8], &'static [u8]>,
    key: &[u8],
) -> Result<Option<Row>, StoreError> {
    if let Some(bytes) = rows.get(key)? {
        return Ok(Some(decode_row(bytes.value())?));
    }
    match trash.get(key)? {
        Some(bytes) => Ok(Some(decode_row(bytes.value())?)),
        None => Ok(None),
    }
}

/// The `index` keys of a live row.
pub(crate) fn index_keys(object: &ObjectDef, record: RecordId, row: &Row) -> BTreeSet<Vec<u8>> {
    let mut keys = BTreeSet::new();
    for field in object.fields.iter().filter(|f| f.kind.is_indexed()) {
        let prefix = index_key_prefix(field.id);
        for encoded in index_values(field, row.get(field.id)) {
            let mut key = prefix.clone();
            key.extend_from_slice(&encoded);
            key.extend_from_slice(record.as_bytes());
            keys.insert(key);
        }
    }
    keys
}

/// The `text_index` keys of a live row: every token of its active text-like fields.
pub(crate) fn text_keys(object: &ObjectDef, record: RecordId, row: &Row) -> BTreeSet<Vec<u8>> {
    let mut keys = BTreeSet::new();
    for field in object.active_fields().filter(|f| f.kind.is_searchable()) {
        let Some(stored) = row.get(field.id) else {
            continue;
        };
        let text = match field_type::read(field, stored) {
            Some(value) => field_type::display(field, &value),
            None => stored.raw_text(),
        };
        for token in tokens(&text) {
            let mut key = Vec::with_capacity(token.len() + 33);
            key.extend_from_slice(token.as_bytes());
            key.push(0);
            key.extend_from_slice(object.id.as_bytes());
            key.extend_from_slice(record.as_bytes());
            keys.insert(key);
        }
    }
    keys
}

pub(crate) fn derived_keys(
    object: &ObjectDef,
    record: RecordId,
    row: Option<&Row>,
) -> (BTreeSet<Vec<u8>>, BTreeSet<Vec<u8>>) {
    match row.filter(|r| r.deleted_at.is_none()) {
        Some(row) => (index_keys(object, record, row), text_keys(object, record, row)),
        None => Default::default(),
    }
}

/// Replaces a record's derived state: `old` is what the tables hold now (if anything),
/// `new` is the row read from its document. Deleted rows move to the trash and leave the
/// indexes.
pub(crate) fn write_row(
    t: &mut DerivedTables<'_>,
    object: &ObjectDef,
    record: RecordId,
    old: Option<&Row>,
    new: &Row,
) -> Result<(), StoreError> {
    put_row(t, object.id, record, new)?;
    KeyDiff::of(object, record, old, Some(new)).apply(t)?;
    crate::workspace::row_written(t, object.id, record, Some(new), KeysWritten::Yes)
}

/// Whether a record's index keys are in `index` when its row is written: bulk paths
/// insert them later, so rules that look through relations cannot be followed yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeysWritten {
    Yes,
    Later,
}

/// What a record's index and search entries lose and gain when its row changes.
#[derive(Debug, Default)]
pub(crate) struct KeyDiff {
    pub(crate) index_removed: Vec<Vec<u8>>,
    pub(crate) index_added: Vec<Vec<u8>>,
    pub(crate) text_removed: Vec<Vec<u8>>,
    pub(crate) text_added: Vec<Vec<u8>>,
}

impl KeyDiff {
    /// The difference between the keys of `old` and of `new` (either may be absent).
    pub(crate) fn of(object: &ObjectDef, record: RecordId, old: Option<&Row>, new: Option<&Row>) -> Self {
        Self::between((object, old), (object, new), record)
    }

    /// The difference between the keys a record had and has, each row read with its
    /// object's definition then and now (a schema change keeps the row, changes the
    /// definition).
    pub(crate) fn between(
        (old_object, old): (&ObjectDef, Option<&Row>),
        (new_object, new): (&ObjectDef, Option<&Row>),
        record: RecordId,
    ) -> Self {
        let (old_index, old_text) = derived_keys(old_object, record, old);
        let (new_index, new_text) = derived_keys(new_object, record, new);
        KeyDiff {
            index_removed: old_index.difference(&new_index).cloned().collect(),
            index_added: new_index.difference(&old_index).cloned().collect(),
            text_removed: old_text.difference(&new_text).cloned().collect(),
            text_added: new_text.difference(&old_text).cloned().collect(),
        }
    }

    pub(crate) fn append(&mut self, other: &mut KeyDiff) {
        self.index_removed.append(&mut other.index_removed);
        self.index_added.append(&mut other.index_added);
        self.text_removed.append(&mut other.text_removed);
        self.text_added.append(&mut other.text_added);
    }

    /// Applies the difference, each kind in key order. The keys of one record never
    /// appear both removed and added, and keys name their record, so the diffs of many
    /// records can be merged and applied together.
    pub(crate) fn apply(mut self, t: &mut DerivedTables<'_>) -> Result<(), StoreError> {
        self.index_removed.sort_unstable();
        self.text_removed.sort_unstable();
        for key in &self.index_removed {
            t.index.remove(key.as_slice())?;
        }
        for key in &self.text_removed {
            t.text.remove(key.as_slice())?;
        }
        insert_sorted(t, self.index_added, self.text_added)
    }
}

/// Writes a record's row (live or trash), object, conflict mark and rule breaks; the
/// caller takes care of its index and search entries.
pub(crate) fn write_row_without_keys(
    t: &mut DerivedTables<'_>,
    object: ObjectId,
    record: RecordId,
    new: &Row,
) -> Result<(), StoreError> {
    put_row(t, object, record, new)?;
    crate::workspace::row_written(t, object, record, Some(new), KeysWritten::Later)
}

fn put_row(t: &mut DerivedTables<'_>, object: ObjectId, record: RecordId, new: &Row) -> Result<(), StoreError> {
    let key = row_key(object, record);
    let encoded = encode_row(new)?;
    if new.deleted_at.is_none() {
        t.rows.insert(key.as_slice(), encoded.as_slice())?;
        t.trash.remove(key.as_slice())?;
    } else {
        t.trash.insert(key.as_slice(), encoded.as_slice())?;
        t.rows.remove(key.as_slice())?;
        remove_rollup_states(t, record)?;
    }
    t.record_objects.insert(record.as_bytes(), object.as_bytes())?;
    t.short_ids.insert(crate::short_id::random_key(record.as_bytes()), ())?;
    if new.conflicts.is_empty() {
        t.conflicts.remove(key.as_slice())?;
    } else {
        t.conflicts.insert(key.as_slice(), ())?;
    }
    Ok(())
}

/// Writes the row of a record new to this replica, except its index and search keys:
/// bulk loads compute those on other threads and insert them sorted
/// ([`insert_sorted`]), which is much faster than one record at a time.
pub(crate) fn write_new_row_without_keys(
    t: &mut DerivedTables<'_>,
    object: ObjectId,
    record: RecordId,
    row: &Row,
) -> Result<(), StoreError> {
    let key = row_key(object, record);
    let encoded = encode_row(row)?;
    if row.deleted_at.is_none() {
        t.rows.insert(key.as_slice(), encoded.as_slice())?;
    } else {
        t.trash.insert(key.as_slice(), encoded.as_slice())?;
    }
    t.record_objects.insert(record.as_bytes(), object.as_bytes())?;
    t.short_ids.insert(crate::short_id::random_key(record.as_bytes()), ())?;
    if !row.conflicts.is_empty() {
        t.conflicts.insert(key.as_slice(), ())?;
    }
    crate::workspace::row_written(t, object, record, Some(row), KeysWritten::Later)
}

/// Inserts many new index and search keys, in key order.
pub(crate) fn insert_sorted(
    t: &mut DerivedTables<'_>,
    mut index: Vec<Vec<u8>>,
    mut text: Vec<Vec<u8>>,
) -> Result<(), StoreError> {
    index.sort_unstable();
    text.sort_unstable();
    for key in &index {
        t.index.insert(key.as_slice(), ())?;
    }
    for key in &text {
        t.text.insert(key.as_slice(), ())?;
    }
    Ok(())
}

/// Brings an object's index and text entries from what `before` (the old definition)
/// produced to what `after` produces, for every live row. Reads rows only.
pub(crate) fn rebuild_object(
    t: &mut DerivedTables<'_>,
    before: &ObjectDef,
    after: &ObjectDef,
) -> Result<(), StoreError> {
    let prefix = object_prefix(after.id);
    let mut rows = Vec::new();
    for entry in t.rows.range(prefix.as_slice()..)? {
        let (key, value) = entry?;
        if !key.value().starts_with(&prefix) {
            break;
        }
        let record = RecordId::from_slice(&key.value()[16..]).ok_or(StoreError::MissingMeta("row key"))?;
        rows.push((record, decode_row(value.value())?));
    }
    // Every key to remove and to add, each set applied in key order: a schema change can
    // touch every record of an object, and sorted runs are several times faster.
    let mut diff = KeyDiff::default();
    for (record, row) in rows {
        diff.append(&mut KeyDiff::between((before, Some(&row)), (after, Some(&row)), record));
    }
    diff.apply(t)
}

/// Empties every derived table (the first step of a full reindex).
pub(crate) fn clear_derived(tx: &WriteTransaction) -> Result<(), StoreError> {
    tx.delete_table(ROWS)?;
    tx.delete_table(TRASH)?;
    tx.delete_table(RECORD_OBJECTS)?;
    tx.delete_table(SHORT_IDS)?;
    tx.delete_table(INDEX)?;
    tx.delete_table(TEXT_INDEX)?;
    tx.delete_table(SEARCH_BACKLOG)?;
    tx.delete_table(CHANGES)?;
    tx.delete_table(GROUPS)?;
    tx.delete_table(CONFLICTS)?;
    tx.delete_table(RULE_BREAKS)?;
    tx.delete_table(RULE_BREAK_SOURCES)?;
    tx.delete_table(super::tables::ROLLUP_STATES)?;
    Ok(())
}

/// Forgets the rollup states of a record that left the live rows (a trashed record's
/// rollups are computed again when it is restored).
pub(crate) fn remove_rollup_states(t: &mut DerivedTables<'_>, record: RecordId) -> Result<(), StoreError> {
    let start = record.as_bytes().to_vec();
    let end = crate::encoding::prefix_end(&start);
    let keys: Vec<Vec<u8>> = match &end {
        Some(end) => t.rollup_states.range(start.as_slice()..end.as_slice())?,
        None => t.rollup_states.range(start.as_slice()..)?,
    }
    .map(|entry| entry.map(|(k, _)| k.value().to_vec()))
    .collect::<Result<_, _>>()?;
    for key in keys {
        t.rollup_states.remove(key.as_slice())?;
    }
    Ok(())
}
