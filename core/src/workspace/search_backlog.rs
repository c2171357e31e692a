//! Search entries left for later: a device that receives thousands of new records at
//! once (joining a workspace) writes their rows and index first and lists them in
//! `search_backlog`; this module adds their words to `text_index` in steps, and lets
//! search read the rows of records still listed, so results are complete meanwhile.

use std::collections::HashSet;

use redb::{ReadTransaction, ReadableTable, ReadableTableMetadata};

use super::Workspace;
use crate::error::{Result, StoreError};
use crate::query::SearchHit;
use crate::store::{self, DerivedTables, tables};
use crate::{ObjectId, RecordId};

impl Workspace {
    /// Records whose words are not in the search index yet (search still finds them, by
    /// reading their rows).
    pub fn search_backlog(&self) -> Result<u64> {
        let tx = self.store.read()?;
        let backlog = tx.open_table(tables::SEARCH_BACKLOG).map_err(StoreError::from)?;
        Ok(backlog.len().map_err(StoreError::from)?)
    }

    /// Adds the words of up to `max_records` listed records to the search index, in one
    /// transaction; returns how many records remain listed.
    pub fn index_search_backlog(&mut self, max_records: usize) -> Result<u64> {
        let tx = self.store.write()?;
        let remaining = {
            let mut derived = DerivedTables::open(&tx)?;
            let mut keys = Vec::new();
            for entry in derived
                .search_backlog
                .iter()
                .map_err(StoreError::from)?
                .take(max_records)
            {
                let (key, _) = entry.map_err(StoreError::from)?;
                keys.push(key.value().to_vec());
            }
            let mut text = Vec::new();
            for key in &keys {
                let (Some(object), Some(record)) = (ObjectId::from_slice(key), RecordId::from_slice(&key[16..])) else {
                    continue;
                };
                // A record deleted since it was listed has no words to index.
                let Some(row) = derived.rows.get(key.as_slice()).map_err(StoreError::from)? else {
                    continue;
                };
                let row = store::decode_row(row.value())?;
                if let Some(def) = self.schema.object(object) {
                    text.extend(store::text_keys(def, record, &row));
                }
            }
            store::insert_sorted(&mut derived, Vec::new(), text)?;
            for key in &keys {
                derived
                    .search_backlog
                    .remove(key.as_slice())
                    .map_err(StoreError::from)?;
            }
            derived.search_backlog.len().map_err(StoreError::from)?
        };
        tx.commit().map_err(StoreError::from)?;
        Ok(remaining)
    }

    /// Listed records (of `object`, if given) whose rows contain every one of `words` as
    /// the start of a word.
    pub(crate) fn search_backlog_hits(
        &self,
        tx: &ReadTransaction,
        words: &[String],
        object: Option<ObjectId>,
    ) -> Result<HashSet<SearchHit>> {
        let backlog = tx.open_table(tables::SEARCH_BACKLOG).map_err(StoreError::from)?;
        let mut hits = HashSet::new();
        if backlog.is_empty().map_err(StoreError::from)? {
            return Ok(hits);
        }
        let rows = tx.open_table(tables::ROWS).map_err(StoreError::from)?;
        let range = match object {
            Some(o) => {
                let start = store::object_prefix(o);
                let end = crate::encoding::prefix_end(&start).unwrap_or_default();
                backlog.range(start.as_slice()..end.as_slice())
            }
            None => backlog.range::<&[u8]>(..),
        }
        .map_err(StoreError::from)?;
        for entry in range {
            let (key, _) = entry.map_err(StoreError::from)?;
            let key = key.value();
            let (Some(obj), Some(record)) = (ObjectId::from_slice(key), RecordId::from_slice(&key[16..])) else {
                continue;
            };
            let (Some(def), Some(row)) = (self.schema.object(obj), rows.get(key).map_err(StoreError::from)?) else {
                continue;
            };
            let row = store::decode_row(row.value())?;
            // Text keys are token ‖ 0 ‖ object ‖ record: the token is what precedes the 0.
            let tokens: Vec<Vec<u8>> = store::text_keys(def, record, &row)
                .into_iter()
                .map(|mut k| {
                    k.truncate(k.len() - 33);
                    k
                })
                .collect();
            if words.iter().all(|w| tokens.iter().any(|t| t.starts_with(w.as_bytes()))) {
                hits.insert(SearchHit { object: obj, record });
            }
        }
        Ok(hits)
    }
}
