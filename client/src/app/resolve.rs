//! Settling a conflicted field: `kith resolve`, `POST /api/records/{id}/resolve`, the
//! record page's conflict banner. The resolution is a change like any edit.

use kith_core::{Resolution, Workspace};
use serde::{Deserialize, Serialize};

use super::AppError;

/// The record (id or short id), the field (key or label), and either `pick` (the N-th
/// value `kith conflicts` lists, from 1) or `value` (a new one).
#[derive(Debug, Deserialize)]
pub(crate) struct ResolveRequest {
    pub(crate) id: String,
    pub(crate) field: String,
    pub(crate) pick: Option<usize>,
    pub(crate) value: Option<String>,
}

/// `{"id", "field", "value", "undo"}`: the field's key, its value now as shown, and how
/// to take the resolution back (`change:<hash>`).
#[derive(Debug, Serialize)]
pub(crate) struct Resolved {
    pub(crate) id: String,
    pub(crate) field: String,
    pub(crate) value: String,
    pub(crate) undo: Option<String>,
    /// The field's label and the record's name, for sentences.
    #[serde(skip)]
    pub(crate) label: String,
    #[serde(skip)]
    pub(crate) name: String,
}

pub(crate) fn resolve(ws: &mut Workspace, req: &ResolveRequest) -> Result<Resolved, AppError> {
    let id = ws.find_record_id(req.id.trim())?;
    let object = ws.row(id)?.object;
    let field = ws.field_named(object, &req.field)?.clone();
    let resolution = match (req.pick, &req.value) {
        (Some(n), None) => Resolution::Pick(n),
        (None, Some(text)) => Resolution::Value(text.clone()),
        _ => {
            return Err(AppError::Invalid(
                "give either --pick N (a value `kith conflicts` lists) or --value TEXT".into(),
            ));
        }
    };
    if !ws.record_conflicts(id)?.iter().any(|c| c.field == field.id) {
        return Err(AppError::Invalid(format!(
            "{} of record {id} has no conflict to resolve (`kith conflicts` lists the conflicts)",
            field.label
        )));
    }
    ws.resolve_conflict(id, field.id, resolution)?;
    let value = ws
        .record(id)?
        .cells
        .into_iter()
        .find(|c| c.field == field.id)
        .map(|c| c.display)
        .unwrap_or_default();
    let undo = ws.record_history(id)?.last().map(|e| format!("change:{}", e.change));
    Ok(Resolved {
        id: id.to_string(),
        field: field.key,
        value,
        undo,
        label: field.label,
        name: ws.record_name(id),
    })
}
