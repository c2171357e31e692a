//! Turning stored rows into what people see: values read through the current schema,
//! option labels, related records by name, and values that do not convert flagged.

use super::Workspace;
use super::records::RecordView;
use crate::field_type;
use crate::record::Row;
use crate::schema::{FieldDef, FieldKind};
use crate::value::Value;
use crate::{FieldId, RecordId};

/// One field of a record as shown.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CellView {
    pub field: FieldId,
    pub key: String,
    pub label: String,
    pub kind: FieldKind,
    /// The value read through the field's current type; `None` when empty or when the
    /// stored value does not convert.
    pub value: Option<Value>,
    /// The value as text (option labels, related records' names).
    pub display: String,
    /// The stored value does not convert to the field's type; `display` shows it as stored.
    pub unconverted: bool,
    /// The value as JSON (numbers as numbers, options by label).
    pub json: serde_json::Value,
    /// Other values that concurrent edits left on this field (shown as text). Non-empty
    /// means the shown value is conflicted until someone settles it.
    pub conflicts: Vec<String>,
}

impl Workspace {
    pub fn view(&self, id: RecordId, row: &Row) -> RecordView {
        let object = self.schema.object(row.object);
        let cells = object
            .map(|o| o.active_fields().map(|f| self.cell(f, row)).collect())
            .unwrap_or_default();
        RecordView {
            id,
            object: row.object,
            object_key: object.map_or_else(|| row.object.to_string(), |o| o.key.clone()),
            created_at: row.created_at,
            created_by: row.created_by.clone(),
            updated_at: row.updated_at,
            deleted_at: row.deleted_at,
            cells,
        }
    }

    /// One cell of a row.
    pub fn cell(&self, field: &FieldDef, row: &Row) -> CellView {
        let stored = row.get(field.id).filter(|s| !s.is_empty());
        let read = stored.map(|s| (field_type::read(field, s), s));
        let (value, display, unconverted, json) = match read {
            None => (None, String::new(), false, serde_json::Value::Null),
            Some((Some(v), _)) => {
                let display = match &v {
                    Value::Records(ids) => ids
                        .iter()
                        .map(|id| self.record_name(*id))
                        .collect::<Vec<_>>()
                        .join(", "),
                    // In the workspace's number format, so shown text can be typed back.
                    other => field_type::display_in(field, other, &self.schema.number_format),
                };
                let json = field_type::to_json(field, &v);
                (Some(v), display, false, json)
            }
            Some((None, s)) => (None, s.raw_text(), true, serde_json::Value::String(s.raw_text())),
        };
        let conflicts = row
            .conflicts
            .get(&field.id)
            .map(|others| {
                others
                    .iter()
                    .map(|s| match field_type::read(field, s) {
                        Some(Value::Records(ids)) => ids
                            .iter()
                            .map(|id| self.record_name(*id))
                            .collect::<Vec<_>>()
                            .join(", "),
                        Some(v) => field_type::display_in(field, &v, &self.schema.number_format),
                        None => s.raw_text(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        CellView {
            field: field.id,
            key: field.key.clone(),
            label: field.label.clone(),
            kind: field.kind,
            value,
            display,
            unconverted,
            json,
            conflicts,
        }
    }

    /// A record's name: its display field, or its id when it has none.
    pub fn record_name(&self, id: RecordId) -> String {
        let name = self.row(id).ok().and_then(|row| {
            let field = self.schema.object(row.object)?.display_field()?;
            let stored = row.get(field.id)?;
            let text =
                field_type::read(field, stored).map_or_else(|| stored.raw_text(), |v| field_type::display(field, &v));
            Some(text).filter(|t| !t.trim().is_empty())
        });
        name.unwrap_or_else(|| id.to_string())
    }
}
