//! The one JSON shape of a record, shared by `record list`, `record get`, `trash list`
//! and `export --format json` (and the local web API): see docs/api.md.
//!
//! ```json
//! {"id": "0192…", "short_id": "5e3f1b2a", "object": "people", "name": "Ada Lovelace",
//!  "created_at": "…", "created_by": "ada", "updated_at": "…", "deleted_at": null,
//!  "fields": {"email": "ada@example.com", "company": {"id": "…", "name": "Acme"}},
//!  "conflicts": {}, "unconverted": []}
//! ```

use kith_core::{CellView, RecordView, Value, Workspace};

use crate::output::JsonObject;
use kith_core::time_fmt::format_datetime;

/// A related record as JSON: its id and name.
fn related(ws: &Workspace, id: kith_core::RecordId) -> serde_json::Value {
    serde_json::json!({"id": id.to_string(), "name": ws.record_name(id)})
}

/// A field's value as JSON. Relations are `{id, name}` (a list of them for a
/// many-relation); every other value, money included, is what
/// `kith_core::field_type::to_json` makes of it (so the money format lives in one place).
pub(crate) fn cell_json(ws: &Workspace, cell: &CellView) -> serde_json::Value {
    match &cell.value {
        Some(Value::Records(ids)) if cell.json.is_array() => ids.iter().map(|id| related(ws, *id)).collect(),
        Some(Value::Records(ids)) => ids.first().map_or(serde_json::Value::Null, |id| related(ws, *id)),
        _ => cell.json.clone(),
    }
}

/// A record in the shared shape.
pub(crate) fn record_json(ws: &Workspace, view: &RecordView) -> JsonObject {
    let mut j = JsonObject::default();
    j.push("id", view.id.to_string());
    j.push(
        "short_id",
        ws.short_record_id(view.id).unwrap_or_else(|_| view.id.to_string()),
    );
    j.push("object", view.object_key.clone());
    j.push("name", ws.record_name(view.id));
    j.push("created_at", format_datetime(view.created_at));
    j.push("created_by", view.created_by.clone());
    j.push("updated_at", format_datetime(view.updated_at));
    j.push("deleted_at", view.deleted_at.map(format_datetime));
    let mut fields = JsonObject::default();
    for cell in &view.cells {
        fields.push(cell.key.clone(), cell_json(ws, cell));
    }
    j.push_object("fields", fields);
    let mut conflicts = JsonObject::default();
    for cell in view.cells.iter().filter(|c| !c.conflicts.is_empty()) {
        conflicts.push(cell.key.clone(), cell.conflicts.clone());
    }
    j.push_object("conflicts", conflicts);
    let unconverted: Vec<String> = view
        .cells
        .iter()
        .filter(|c| c.unconverted)
        .map(|c| c.key.clone())
        .collect();
    j.push("unconverted", unconverted);
    j
}
