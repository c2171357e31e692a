//! Record reads from `rows` and the `index`, without loading documents: a record and its
//! row, every row of an object, counts, duplicates, and records found by name (relation
//! inputs that name records). Writes are in `records.rs`.

use std::collections::HashSet;

use super::Workspace;
use super::records::{FieldChange, RecordView};
use crate::encoding::{TAG_EMPTY, prefix_end};
use crate::error::{Error, Result, StoreError};
use crate::field_type;
use crate::record::Row;
use crate::schema::ObjectDef;
use crate::store::{decode_row, index_key_prefix, object_prefix, row_key, tables};
use crate::value::Value;
use crate::{FieldId, ObjectId, RecordId};

impl Workspace {
    /// Parses `field name → text` inputs (CLI arguments, CSV cells, form fields) into
    /// typed changes. Relation inputs may name a record by its display field.
    pub fn parse_values(&self, object: ObjectId, inputs: &[(String, String)]) -> Result<Vec<FieldChange>> {
        let obj = self.object_def(object)?;
        let mut out = Vec::with_capacity(inputs.len());
        for (name, text) in inputs {
            let field = self.field_named(object, name)?;
            let resolve = |name: &str| self.resolve_by_name(field.target, name);
            let format = &self.schema.number_format;
            let value =
                field_type::parse_input_in(field, text, format, &resolve).map_err(|e| crate::ValidationError {
                    object: obj.key.clone(),
                    field: field.key.clone(),
                    value: format!("'{text}'"),
                    rule: "type",
                    reason: e.0,
                })?;
            out.push((field.id, value));
        }
        Ok(out)
    }

    /// A resolver for relation inputs that name records instead of giving ids: a name
    /// (of a record of the target object, or of any object when the relation may point
    /// to any), `object:name` to say which object, or a short id.
    pub(crate) fn resolve_by_name(&self, target: Option<ObjectId>, name: &str) -> Result<RecordId, String> {
        let by_short_id = || {
            let id = self.find_record_id(name).ok()?;
            let object = self.row(id).ok()?.object;
            (target.is_none() || target == Some(object)).then_some(id)
        };
        // `people:Ada Lovelace` names the object too.
        let (objects, wanted): (Vec<&ObjectDef>, &str) = match name.split_once(':').and_then(|(o, n)| {
            let obj = self.schema.find_object(o.trim()).filter(|d| !d.archived)?;
            (target.is_none() || target == Some(obj.id)).then_some((obj, n.trim()))
        }) {
            Some((obj, n)) => (vec![obj], n),
            None => match target.and_then(|t| self.schema.object(t)) {
                Some(obj) => (vec![obj], name),
                None => (self.schema.objects.iter().filter(|o| !o.archived).collect(), name),
            },
        };
        let mut found: Vec<(RecordId, &str)> = Vec::new();
        for obj in &objects {
            for id in self.find_by_display_name(obj, wanted, 2).map_err(|e| e.to_string())? {
                found.push((id, obj.key.as_str()));
            }
        }
        match found.as_slice() {
            [(one, _)] => Ok(*one),
            [] => by_short_id().ok_or_else(|| match objects.as_slice() {
                [obj] => format!("no {} record named '{wanted}'", obj.key),
                _ => format!("no record named '{wanted}'"),
            }),
            [(_, first), ..] if found.iter().all(|(_, o)| o == first) => Err(format!(
                "more than one {first} record is named '{wanted}'; use its id or short id"
            )),
            _ => {
                let mut kinds: Vec<&str> = found.iter().map(|(_, o)| *o).collect();
                kinds.dedup();
                Err(format!(
                    "records of {} are named '{wanted}'; say which with object:name (such as {}:{wanted}) or give its short id",
                    kinds.join(" and "),
                    kinds[0]
                ))
            }
        }
    }

    /// Live records of `object` whose display field equals `name` (case-insensitive), at
    /// most `limit` of them.
    pub fn records_named(&self, object: ObjectId, name: &str, limit: usize) -> Result<Vec<RecordId>> {
        let obj = self.object_def(object)?;
        self.find_by_display_name(obj, name, limit)
    }

    /// Live records of `object` whose display field equals `name` (case-insensitive).
    fn find_by_display_name(&self, object: &ObjectDef, name: &str, limit: usize) -> Result<Vec<RecordId>> {
        let Some(field) = object.display_field() else {
            return Ok(Vec::new());
        };
        let mut prefix = index_key_prefix(field.id);
        prefix.extend_from_slice(&crate::encoding::index_filter_value(field, &Value::Text(name.to_string())).0);
        self.index_records(&prefix, limit)
    }

    /// Record ids of index entries starting with `prefix`, at most `limit`.
    pub(crate) fn index_records(&self, prefix: &[u8], limit: usize) -> Result<Vec<RecordId>> {
        let tx = self.store.read()?;
        let index = tx.open_table(tables::INDEX).map_err(StoreError::from)?;
        let end = prefix_end(prefix).unwrap_or_default();
        let mut out = Vec::new();
        for entry in index
            .range(prefix..end.as_slice())
            .map_err(StoreError::from)?
            .take(limit)
        {
            let (key, _) = entry.map_err(StoreError::from)?;
            let k = key.value();
            out.extend(RecordId::from_slice(&k[k.len() - 16..]));
        }
        Ok(out)
    }

    /// A record, read from `rows` (or the trash), without loading its document.
    pub fn record(&self, id: RecordId) -> Result<RecordView> {
        let row = self.row(id)?;
        Ok(self.view(id, &row))
    }

    /// A record's stored row (live or in the trash).
    pub fn row(&self, id: RecordId) -> Result<Row> {
        let tx = self.store.read()?;
        let objects = tx.open_table(tables::RECORD_OBJECTS).map_err(StoreError::from)?;
        let object = objects
            .get(id.as_bytes())
            .map_err(StoreError::from)?
            .map(|g| ObjectId::from_bytes(g.value()))
            .ok_or_else(|| Error::RecordNotFound(id.to_string()))?;
        let key = row_key(object, id);
        let rows = tx.open_table(tables::ROWS).map_err(StoreError::from)?;
        let bytes = match rows.get(key.as_slice()).map_err(StoreError::from)? {
            Some(b) => b.value().to_vec(),
            None => {
                let trash = tx.open_table(tables::TRASH).map_err(StoreError::from)?;
                let found = trash
                    .get(key.as_slice())
                    .map_err(StoreError::from)?
                    .map(|b| b.value().to_vec());
                found.ok_or_else(|| Error::RecordNotFound(id.to_string()))?
            }
        };
        Ok(decode_row(&bytes)?)
    }

    /// Calls `f` for every live row of an object, in record id order.
    pub fn for_each_row(&self, object: ObjectId, mut f: impl FnMut(RecordId, &Row)) -> Result<()> {
        let tx = self.store.read()?;
        let rows = tx.open_table(tables::ROWS).map_err(StoreError::from)?;
        let prefix = object_prefix(object);
        let end = prefix_end(&prefix).unwrap_or_default();
        for entry in rows
            .range(prefix.as_slice()..end.as_slice())
            .map_err(StoreError::from)?
        {
            let (key, value) = entry.map_err(StoreError::from)?;
            if let Some(id) = RecordId::from_slice(&key.value()[16..]) {
                f(id, &decode_row(value.value())?);
            }
        }
        Ok(())
    }

    /// Number of live records of an object.
    pub fn count_all(&self, object: ObjectId) -> Result<u64> {
        let tx = self.store.read()?;
        let rows = tx.open_table(tables::ROWS).map_err(StoreError::from)?;
        let prefix = object_prefix(object);
        let end = prefix_end(&prefix).unwrap_or_default();
        Ok(rows
            .range(prefix.as_slice()..end.as_slice())
            .map_err(StoreError::from)?
            .count() as u64)
    }

    /// Number of live records with no value in `field` (field ids name their object).
    pub(crate) fn count_empty(&self, field: FieldId) -> Result<usize> {
        let mut prefix = index_key_prefix(field);
        prefix.push(TAG_EMPTY);
        Ok(self.index_records(&prefix, usize::MAX)?.len())
    }

    /// A value that two live records share in `field`, if any.
    pub(crate) fn first_duplicate(&self, object: ObjectId, field: FieldId) -> Result<Option<String>> {
        let def = self.object_def(object)?.field(field).cloned();
        let Some(def) = def else { return Ok(None) };
        let mut seen: HashSet<Vec<u8>> = HashSet::new();
        let mut dup = None;
        self.for_each_row(object, |_, row| {
            if dup.is_some() {
                return;
            }
            if let Some(stored) = row.get(field).filter(|s| !s.is_empty()) {
                let encoded = crate::encoding::exact_values(&def, Some(stored)).concat();
                if !seen.insert(encoded) {
                    dup = Some(match field_type::read(&def, stored) {
                        Some(v) => field_type::display(&def, &v),
                        None => stored.raw_text(),
                    });
                }
            }
        })?;
        Ok(dup)
    }
}
