//! Full-text search over the text index: every query word must be the start of a word
//! in one of the record's text-like fields, case- and accent-insensitively.

use std::collections::HashSet;

use serde::Serialize;

use crate::encoding::prefix_end;
use crate::error::{Result, StoreError};
use crate::store::tables;
use crate::text::tokens;
use crate::workspace::Workspace;
use crate::{ObjectId, RecordId};

/// A search result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct SearchHit {
    pub object: ObjectId,
    pub record: RecordId,
}

impl Workspace {
    /// Records matching every word of `text`, newest first, at most `limit`.
    pub fn search(&self, text: &str, object: Option<ObjectId>, limit: usize) -> Result<Vec<SearchHit>> {
        let words: Vec<String> = {
            let mut w: Vec<String> = tokens(text).collect();
            w.sort();
            w.dedup();
            // A word that starts another word adds nothing: "jo john" = "john".
            let all = w.clone();
            w.retain(|a| !all.iter().any(|b| b != a && b.starts_with(a.as_str())));
            w
        };
        if words.is_empty() {
            return Ok(Vec::new());
        }
        let tx = self.store.read()?;
        let index = tx.open_table(tables::TEXT_INDEX).map_err(StoreError::from)?;
        let mut result: Option<HashSet<SearchHit>> = None;
        // Longer words match fewer records: start with them to keep sets small.
        let mut ordered = words.clone();
        ordered.sort_by_key(|w| std::cmp::Reverse(w.len()));
        for word in ordered {
            let start = word.as_bytes().to_vec();
            let end = prefix_end(&start).unwrap_or_default();
            let mut hits = HashSet::new();
            for entry in index
                .range(start.as_slice()..end.as_slice())
                .map_err(StoreError::from)?
            {
                let (key, _) = entry.map_err(StoreError::from)?;
                let k = key.value();
                let (Some(obj), Some(record)) = (
                    ObjectId::from_slice(&k[k.len() - 32..]),
                    RecordId::from_slice(&k[k.len() - 16..]),
                ) else {
                    continue;
                };
                if object.is_some_and(|o| o != obj) {
                    continue;
                }
                let hit = SearchHit { object: obj, record };
                if result.as_ref().is_none_or(|r| r.contains(&hit)) {
                    hits.insert(hit);
                }
            }
            result = Some(hits);
            if result.as_ref().is_some_and(HashSet::is_empty) {
                break;
            }
        }
        let mut hits = result.unwrap_or_default();
        // Records whose words are not indexed yet (a device that just joined).
        hits.extend(self.search_backlog_hits(&tx, &words, object)?);
        let mut hits: Vec<SearchHit> = hits.into_iter().collect();
        hits.sort_by_key(|h| std::cmp::Reverse(h.record));
        hits.truncate(limit);
        Ok(hits)
    }
}
