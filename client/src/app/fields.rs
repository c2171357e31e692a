//! Schema edits of fields: add, rename, archive and restore (`kith field …`, the schema
//! editor, `/api/objects/{object}/fields…`). Each answers a change whose `undo`
//! (`change:<hash>`) reverts exactly that schema change.

use kith_core::{FieldKind, FieldSpec, Workspace};
use serde::Deserialize;

use super::{AppError, Changed};

/// A new field of `object`: `key` (from the label when not given) or `label` (from the
/// key when not given), its type and settings.
#[derive(Debug, Deserialize)]
pub(crate) struct AddFieldRequest {
    pub(crate) object: String,
    pub(crate) key: Option<String>,
    pub(crate) label: Option<String>,
    pub(crate) kind: FieldKind,
    #[serde(default)]
    pub(crate) required: bool,
    #[serde(default)]
    pub(crate) unique: bool,
    #[serde(default)]
    pub(crate) options: Vec<String>,
    /// A relation's target object (key or label).
    pub(crate) target: Option<String>,
    #[serde(default)]
    pub(crate) many: bool,
    pub(crate) currency: Option<String>,
    pub(crate) max_rating: Option<u8>,
}

pub(crate) fn add(ws: &mut Workspace, req: &AddFieldRequest) -> Result<Changed, AppError> {
    let object = ws.object_named(&req.object)?.clone();
    let (key, label) = match (&req.key, &req.label) {
        (Some(key), Some(label)) => (key.trim().to_string(), label.trim().to_string()),
        (Some(key), None) => (key.trim().to_string(), label_from_key(key.trim())),
        (None, Some(label)) => (
            kith_core::schema::key_from_label(label.trim()),
            label.trim().to_string(),
        ),
        (None, None) => return Err(AppError::Invalid("give the new field a key or a label".into())),
    };
    let mut spec = FieldSpec::new(&key, &label, req.kind);
    spec.required = req.required;
    spec.unique = req.unique;
    spec.options = req
        .options
        .iter()
        .map(|o| o.trim().to_string())
        .filter(|o| !o.is_empty())
        .collect();
    spec.target = req
        .target
        .as_deref()
        .map(|t| ws.object_named(t).map(|o| o.id))
        .transpose()?;
    spec.many = req.many;
    spec.currency = req.currency.clone();
    spec.max_rating = req.max_rating;
    let id = ws.add_field(object.id, spec)?;
    Ok(Changed {
        id: id.to_string(),
        message: format!("Field “{label}” added as {}.{key} ({})", object.key, req.kind),
        undo: last_schema_change(ws),
    })
}

/// A new `label`, a new `key`, or both, for a field of `object` (key or label each).
#[derive(Debug, Deserialize)]
pub(crate) struct RenameFieldRequest {
    pub(crate) object: String,
    pub(crate) field: String,
    pub(crate) label: Option<String>,
    pub(crate) key: Option<String>,
}

pub(crate) fn rename(ws: &mut Workspace, req: &RenameFieldRequest) -> Result<Changed, AppError> {
    if req.label.is_none() && req.key.is_none() {
        return Err(AppError::Invalid("give --label, --key or both".into()));
    }
    let object = ws.object_named(&req.object)?.id;
    let before = ws.field_named(object, &req.field)?.clone();
    ws.rename_field(object, before.id, req.label.as_deref(), req.key.as_deref())?;
    let now = ws.field_named(object, &before.id.to_string())?.clone();
    Ok(Changed {
        id: before.id.to_string(),
        message: format!("Field “{}” is now {} (“{}”)", before.label, now.key, now.label),
        undo: last_schema_change(ws),
    })
}

/// A field of `object`, each by key or label.
#[derive(Debug, Deserialize)]
pub(crate) struct FieldRequest {
    pub(crate) object: String,
    pub(crate) field: String,
}

/// Archives a field (`archived`) or brings it back: its values are kept either way.
pub(crate) fn set_archived(ws: &mut Workspace, req: &FieldRequest, archived: bool) -> Result<Changed, AppError> {
    let object = ws.object_named(&req.object)?.id;
    let field = ws.field_named(object, &req.field)?.clone();
    ws.set_field_archived(object, field.id, archived)?;
    let message = if archived {
        format!(
            "Field “{}” archived (its values are kept; restoring it brings them back)",
            field.label
        )
    } else {
        format!("Field “{}” restored", field.label)
    };
    Ok(Changed {
        id: field.id.to_string(),
        message,
        undo: last_schema_change(ws),
    })
}

/// The newest schema change, as an undo.
fn last_schema_change(ws: &Workspace) -> Option<String> {
    let history = ws.schema_history().ok()?;
    history.last().map(|e| format!("change:{}", e.change))
}

/// `job_title` → `Job title`: a label for a key given without one.
pub(crate) fn label_from_key(key: &str) -> String {
    let spaced = key.replace('_', " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
