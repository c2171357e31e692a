//! Fields that two devices added with the same key and type at the same time are read
//! as one (`schema::doc::settle_same_names`: the later id is an archived alias of the
//! earlier). Values that records hold under the alias are moved to the kept field here,
//! as `heal` changes that sync, so they are reachable by the field's key. Two devices
//! moving the same value at once write equal values, which read as one.

use super::Workspace;
use super::schema_ops::HEAL;
use crate::error::{Result, StoreError};
use crate::store::tables;
use crate::{FieldDef, FieldId, FieldKind, ObjectId, RecordId, Stored, encoding, field_type};

/// The label of the option a stored select value names (by id).
fn option_label(field: &FieldDef, raw: &str) -> Option<String> {
    let id: crate::OptionId = raw.parse().ok()?;
    field.option(id).map(|o| o.label.clone())
}

/// A record whose field holds one device's value and whose alias (the same field added
/// on another device at the same time) holds the other's.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MergedValueClash {
    pub record: RecordId,
    pub object_key: String,
    /// The field that kept the key, and the value shown.
    pub field_key: String,
    pub kept: String,
    /// The archived alias and the value it holds.
    pub alias_key: String,
    pub other: String,
}

impl Workspace {
    /// Moves values held under alias fields into the fields they were merged into,
    /// for live records whose kept field is empty (a record with both keeps both: the
    /// alias value stays under the archived alias). Returns how many records changed.
    /// Costs one index walk over the records that hold an alias value.
    pub fn move_merged_values(&mut self) -> Result<usize> {
        let aliases: Vec<(ObjectId, FieldId, FieldId)> = self
            .schema
            .objects
            .iter()
            .flat_map(|o| o.fields.iter().map(move |f| (o.id, f)))
            .filter_map(|(o, f)| f.merged_into.map(|into| (o, f.id, into)))
            .collect();
        let mut moved = 0;
        for (object, alias, into) in aliases {
            for record in self.records_with_a_value(alias)? {
                let row = self.row(record)?;
                let Some(value) = row.get(alias).cloned() else { continue };
                if row.deleted_at.is_some() {
                    continue;
                }
                let value = self.translate_options(object, alias, into, value)?;
                match row.get(into).filter(|v| !v.is_empty()) {
                    // Both devices' values differ: kept apart, listed by
                    // `merged_value_clashes` until one is cleared.
                    Some(kept) if *kept != value => continue,
                    // The same value twice: the alias copy goes.
                    Some(_) => self.write_stored(record, vec![(alias, None)], HEAL)?,
                    None => self.write_stored(record, vec![(into, Some(value)), (alias, None)], HEAL)?,
                }
                moved += 1;
            }
        }
        Ok(moved)
    }

    /// A select value of an alias names the alias's options: the same value on the kept
    /// field names its option with that label (added to it if it has none; two devices
    /// adding one label at once get one option, see `settle_same_names`).
    fn translate_options(&mut self, object: ObjectId, alias: FieldId, into: FieldId, value: Stored) -> Result<Stored> {
        let Some(obj) = self.schema.object(object) else {
            return Ok(value);
        };
        let (Some(from), Some(to)) = (obj.field(alias), obj.field(into)) else {
            return Ok(value);
        };
        if !matches!(from.kind, FieldKind::Select | FieldKind::MultiSelect) {
            return Ok(value);
        }
        let labels: Vec<Option<String>> = match &value {
            Stored::Str(s) => vec![option_label(from, s)],
            Stored::List(items) => items.iter().map(|s| option_label(from, s)).collect(),
            _ => return Ok(value),
        };
        let missing: Vec<String> = labels
            .iter()
            .flatten()
            .filter(|l| to.option_named(l).is_none())
            .cloned()
            .collect();
        if !missing.is_empty() {
            let mut unique = missing;
            unique.sort();
            unique.dedup();
            self.add_options(object, into, &unique)?;
        }
        let Some(to) = self.schema.object(object).and_then(|o| o.field(into)) else {
            return Ok(value);
        };
        let map = |raw: &String, label: &Option<String>| {
            label
                .as_ref()
                .and_then(|l| to.option_named(l))
                .map_or_else(|| raw.clone(), |o| o.id.to_string())
        };
        Ok(match value {
            Stored::Str(s) => Stored::Str(map(&s, &labels[0])),
            Stored::List(items) => Stored::List(items.iter().zip(&labels).map(|(s, l)| map(s, l)).collect()),
            other => other,
        })
    }

    /// Records that hold one value under an alias field and another under the field it
    /// was merged into: two devices each set "the same" field. Both values are kept;
    /// `kith conflicts` lists them until the alias value is cleared.
    pub fn merged_value_clashes(&self, object: Option<ObjectId>) -> Result<Vec<MergedValueClash>> {
        let mut out = Vec::new();
        for obj in self
            .schema
            .objects
            .iter()
            .filter(|o| object.is_none_or(|id| id == o.id))
        {
            for alias in obj.fields.iter() {
                let Some(kept) = alias.merged_into.and_then(|id| obj.field(id)) else {
                    continue;
                };
                for record in self.records_with_a_value(alias.id)? {
                    let row = self.row(record)?;
                    let (Some(a), Some(k)) = (row.get(alias.id), row.get(kept.id)) else {
                        continue;
                    };
                    let show = |def: &crate::FieldDef, stored: &crate::Stored| match field_type::read(def, stored) {
                        Some(v) => field_type::display(def, &v),
                        None => stored.raw_text(),
                    };
                    out.push(MergedValueClash {
                        record,
                        object_key: obj.key.clone(),
                        field_key: kept.key.clone(),
                        alias_key: alias.key.clone(),
                        kept: show(kept, k),
                        other: show(alias, a),
                    });
                }
            }
        }
        Ok(out)
    }

    /// Live records with a non-empty value of `field`, from its index.
    fn records_with_a_value(&self, field: FieldId) -> Result<Vec<RecordId>> {
        let tx = self.store.read()?;
        let index = tx.open_table(tables::INDEX).map_err(StoreError::from)?;
        let mut start = field.as_bytes().to_vec();
        let end = encoding::prefix_end(&start).unwrap_or_default();
        // Past the empty entries (`TAG_EMPTY` sorts first).
        start.push(encoding::TAG_EMPTY + 1);
        let mut out: Vec<RecordId> = Vec::new();
        for entry in index
            .range(start.as_slice()..end.as_slice())
            .map_err(StoreError::from)?
        {
            let (key, _) = entry.map_err(StoreError::from)?;
            let key = key.value();
            if let Some(id) = key
                .len()
                .checked_sub(16)
                .and_then(|at| RecordId::from_slice(&key[at..]))
            {
                out.push(id);
            }
        }
        out.sort();
        out.dedup();
        Ok(out)
    }
}
