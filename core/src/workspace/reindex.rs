//! Rebuilding the derived tables from the documents, the source of truth.

use redb::ReadableTable;

use super::Workspace;
use crate::error::{Result, StoreError};
use crate::store::{self, tables};
use crate::{DocId, RecordId};

/// One entry of a derived table: (table, key, value).
pub type DerivedEntry = (&'static str, Vec<u8>, Vec<u8>);

impl Workspace {
    /// Rebuilds `rows`, `trash`, `record_objects`, `index` and `text_index` from every
    /// record document, in one transaction. Returns the number of records.
    pub fn reindex(&mut self) -> Result<usize> {
        let schema_doc = self.schema_doc_id;
        let schema = self.schema.clone();
        let now = (self.clock)();
        self.write(|tx| {
            let deriver = super::derive::Deriver::new(&schema, now);
            store::clear_derived(tx)?;
            let docs = tx.open_table(tables::DOCS).map_err(StoreError::from)?;
            let changes = tx.open_table(tables::DOC_CHANGES).map_err(StoreError::from)?;
            let mut derived = self.derived_tables(tx)?;
            let mut count = 0;
            for entry in docs.iter().map_err(StoreError::from)? {
                let (key, _) = entry.map_err(StoreError::from)?;
                let id = DocId::from_bytes(key.value());
                let Some(mut loaded) = store::load_doc(&docs, &changes, id)? else {
                    continue;
                };
                let all: Vec<store::NewChange> = loaded
                    .doc
                    .get_changes_meta(&[])
                    .iter()
                    .map(store::NewChange::of)
                    .collect();
                derived.index_changes(id, &all)?;
                if id == schema_doc {
                    continue;
                }
                let record = RecordId::from_bytes(*id.as_bytes());
                // Lookups and rollups read other rows, written later: they are computed
                // below, once every row is in.
                let Some(row) = deriver.row_of_doc(loaded.doc.document(), record, &super::derive::NoRelated) else {
                    continue;
                };
                let object = &*super::remote::object_or_unknown(&schema, row.object);
                store::write_row(&mut derived, object, record, None, &row)?;
                count += 1;
            }
            let every_object = schema.objects.iter().map(|o| o.id).collect();
            super::derive::recompute_objects(&deriver, &mut derived, &every_object)?;
            Ok(count)
        })
    }

    /// Every entry of the derived tables, in key order (for checking that a reindex
    /// rebuilds exactly what incremental maintenance wrote).
    #[doc(hidden)]
    pub fn dump_derived(&self) -> Result<Vec<DerivedEntry>> {
        let tx = self.store.read()?;
        let mut out = Vec::new();
        for (name, def) in [
            ("rows", tables::ROWS),
            ("trash", tables::TRASH),
            ("rollup_states", tables::ROLLUP_STATES),
        ] {
            let table = match tx.open_table(def) {
                // A file no write has touched since `rollup_states` was added.
                Err(redb::TableError::TableDoesNotExist(_)) => continue,
                other => other.map_err(StoreError::from)?,
            };
            for entry in table.iter().map_err(StoreError::from)? {
                let (k, v) = entry.map_err(StoreError::from)?;
                out.push((name, k.value().to_vec(), v.value().to_vec()));
            }
        }
        for entry in tx
            .open_table(tables::RECORD_OBJECTS)
            .map_err(StoreError::from)?
            .iter()
            .map_err(StoreError::from)?
        {
            let (k, v) = entry.map_err(StoreError::from)?;
            out.push(("record_objects", k.value().to_vec(), v.value().to_vec()));
        }
        for entry in tx
            .open_table(tables::SHORT_IDS)
            .map_err(StoreError::from)?
            .iter()
            .map_err(StoreError::from)?
        {
            let (k, _) = entry.map_err(StoreError::from)?;
            out.push(("short_ids", k.value().to_vec(), Vec::new()));
        }
        for entry in tx
            .open_table(tables::CHANGES)
            .map_err(StoreError::from)?
            .iter()
            .map_err(StoreError::from)?
        {
            let (k, v) = entry.map_err(StoreError::from)?;
            out.push(("changes", k.value().to_vec(), v.value().to_vec()));
        }
        for (name, def) in [
            ("index", tables::INDEX),
            ("text_index", tables::TEXT_INDEX),
            ("search_backlog", tables::SEARCH_BACKLOG),
            ("groups", tables::GROUPS),
            ("conflicts", tables::CONFLICTS),
        ] {
            for entry in tx
                .open_table(def)
                .map_err(StoreError::from)?
                .iter()
                .map_err(StoreError::from)?
            {
                let (k, _) = entry.map_err(StoreError::from)?;
                out.push((name, k.value().to_vec(), Vec::new()));
            }
        }
        for entry in tx
            .open_table(tables::RULE_BREAKS)
            .map_err(StoreError::from)?
            .iter()
            .map_err(StoreError::from)?
        {
            let (k, v) = entry.map_err(StoreError::from)?;
            out.push(("rule_breaks", k.value().to_vec(), v.value().to_vec()));
        }
        for entry in tx
            .open_table(tables::RULE_BREAK_SOURCES)
            .map_err(StoreError::from)?
            .iter()
            .map_err(StoreError::from)?
        {
            let (k, v) = entry.map_err(StoreError::from)?;
            out.push((
                "rule_break_sources",
                k.value().to_vec(),
                v.value().to_le_bytes().to_vec(),
            ));
        }
        Ok(out)
    }
}
