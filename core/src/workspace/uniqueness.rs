//! Unique rules broken by a merge. Each device refuses a duplicate value, but two devices
//! that save the same unique value offline both keep their record: refusing one after
//! the fact would lose an edit. The replica lists such clashes instead (`kith
//! conflicts`), and `kith field list` shows the rule as broken.

use std::collections::HashMap;

use serde::Serialize;

use super::Workspace;
use crate::error::{Result, StoreError};
use crate::store::tables;
use crate::{FieldId, ObjectId, RecordId, encoding, field_type};

/// Live records of one object that share a value of a unique field.
#[derive(Debug, Clone, Serialize)]
pub struct UniqueClash {
    pub object: ObjectId,
    pub object_key: String,
    pub field: FieldId,
    pub field_key: String,
    pub field_label: String,
    /// The shared value, as shown.
    pub value: String,
    /// The records that share it, in id order.
    pub records: Vec<RecordId>,
}

impl Workspace {
    /// Every clash of a unique field, optionally of one object. Walks each unique field's
    /// index (equal values are adjacent there), so it costs one pass per unique field.
    pub fn unique_clashes(&self, object: Option<ObjectId>) -> Result<Vec<UniqueClash>> {
        let mut out = Vec::new();
        for obj in self
            .schema
            .objects
            .iter()
            .filter(|o| object.is_none_or(|id| id == o.id))
        {
            for field in obj.active_fields().filter(|f| f.unique) {
                let groups = if field.kind.is_indexed() {
                    self.index_groups(field.id)?
                } else {
                    self.row_groups(obj.id, field)?
                };
                for records in groups {
                    let Some(first) = records.first() else { continue };
                    let value = self
                        .row(*first)
                        .ok()
                        .and_then(|row| row.get(field.id).cloned())
                        .map(|stored| match field_type::read(field, &stored) {
                            Some(v) => field_type::display(field, &v),
                            None => stored.raw_text(),
                        })
                        .unwrap_or_default();
                    out.push(UniqueClash {
                        object: obj.id,
                        object_key: obj.key.clone(),
                        field: field.id,
                        field_key: field.key.clone(),
                        field_label: field.label.clone(),
                        value,
                        records,
                    });
                }
            }
        }
        Ok(out)
    }

    /// How many live records share a value of this field with another record (0 when
    /// the unique rule holds).
    pub fn unique_duplicates(&self, object: ObjectId, field: FieldId) -> Result<usize> {
        Ok(self
            .unique_clashes(Some(object))?
            .iter()
            .filter(|c| c.field == field)
            .map(|c| c.records.len())
            .sum())
    }

    /// Groups of two or more records with one non-empty indexed value of `field`.
    fn index_groups(&self, field: FieldId) -> Result<Vec<Vec<RecordId>>> {
        let tx = self.store.read()?;
        let index = tx.open_table(tables::INDEX).map_err(StoreError::from)?;
        let start = field.as_bytes().to_vec();
        let end = encoding::prefix_end(&start).unwrap_or_default();
        let mut groups = Vec::new();
        let mut current: (Vec<u8>, Vec<RecordId>) = (Vec::new(), Vec::new());
        for entry in index
            .range(start.as_slice()..end.as_slice())
            .map_err(StoreError::from)?
        {
            let (key, _) = entry.map_err(StoreError::from)?;
            let key = key.value();
            if key.len() < 32 {
                continue;
            }
            let (value, record) = key[16..].split_at(key.len() - 32);
            if value == [encoding::TAG_EMPTY] {
                continue;
            }
            let Some(record) = RecordId::from_slice(record) else {
                continue;
            };
            if current.0 != value {
                let done = std::mem::replace(&mut current, (value.to_vec(), Vec::new()));
                if done.1.len() > 1 {
                    groups.push(done.1);
                }
            }
            if !current.1.contains(&record) {
                current.1.push(record);
            }
        }
        if current.1.len() > 1 {
            groups.push(current.1);
        }
        Ok(groups)
    }

    /// Like `index_groups`, from the rows (fields that are not indexed).
    fn row_groups(&self, object: ObjectId, field: &crate::FieldDef) -> Result<Vec<Vec<RecordId>>> {
        let mut by_value: HashMap<Vec<u8>, Vec<RecordId>> = HashMap::new();
        self.for_each_row(object, |id, row| {
            if let Some(stored) = row.get(field.id).filter(|s| !s.is_empty()) {
                let mut key = stored.raw_text().into_bytes();
                key.insert(0, 0);
                by_value.entry(key).or_default().push(id);
            }
        })?;
        let mut groups: Vec<Vec<RecordId>> = by_value.into_values().filter(|g| g.len() > 1).collect();
        for g in &mut groups {
            g.sort();
        }
        groups.sort();
        Ok(groups)
    }
}
