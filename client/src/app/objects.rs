//! The objects (tables) of the workspace: list, add, rename, archive and restore (`kith
//! object …`, the schema editor, `/api/objects…`). An archived object is hidden with
//! its records and values kept.

use kith_core::Workspace;
use serde::{Deserialize, Serialize};

use super::fields::label_from_key;
use super::schema_change::SchemaMark;
use super::{AppError, Changed};

/// One object as `kith object list` and `GET /api/objects` show it.
#[derive(Debug, Serialize)]
pub(crate) struct ObjectSummary {
    pub(crate) id: String,
    pub(crate) key: String,
    pub(crate) label: String,
    /// Fields not archived.
    pub(crate) fields: usize,
    /// Records not deleted.
    pub(crate) records: u64,
    pub(crate) archived: bool,
}

/// Every object, archived ones too, in order.
pub(crate) fn list(ws: &Workspace) -> Result<Vec<ObjectSummary>, AppError> {
    ws.schema()
        .objects
        .iter()
        .map(|o| {
            Ok(ObjectSummary {
                id: o.id.to_string(),
                key: o.key.clone(),
                label: o.label.clone(),
                fields: o.active_fields().count(),
                records: ws.count_all(o.id)?,
                archived: o.archived,
            })
        })
        .collect()
}

/// A new object with a `name` field (its records are shown and found by it): `key`
/// (from the label when not given) or `label` (from the key when not given).
#[derive(Debug, Deserialize)]
pub(crate) struct AddObjectRequest {
    pub(crate) key: Option<String>,
    pub(crate) label: Option<String>,
}

pub(crate) fn add(ws: &mut Workspace, req: &AddObjectRequest) -> Result<Changed, AppError> {
    let (key, label) = match (&req.key, &req.label) {
        (Some(key), Some(label)) => (key.trim().to_string(), label.trim().to_string()),
        (Some(key), None) => (key.trim().to_string(), label_from_key(key.trim())),
        (None, Some(label)) => (
            kith_core::schema::key_from_label(label.trim()),
            label.trim().to_string(),
        ),
        (None, None) => return Err(AppError::Invalid("give the new object a key or a label".into())),
    };
    let mark = SchemaMark::now(ws);
    let id = ws.add_object_with_name(&key, &label)?;
    Ok(Changed {
        id: id.to_string(),
        message: format!("Object “{label}” added as {key}, with a name field its records are shown by"),
        undo: mark.undo(ws),
    })
}

/// A new `label`, a new `key`, or both, for an object (key, label or id).
#[derive(Debug, Deserialize)]
pub(crate) struct RenameObjectRequest {
    pub(crate) object: String,
    pub(crate) label: Option<String>,
    pub(crate) key: Option<String>,
}

pub(crate) fn rename(ws: &mut Workspace, req: &RenameObjectRequest) -> Result<Changed, AppError> {
    if req.label.is_none() && req.key.is_none() {
        return Err(AppError::Invalid("give --label, --key or both".into()));
    }
    let before = ws.object_named(&req.object)?.clone();
    let mark = SchemaMark::now(ws);
    ws.rename_object(before.id, req.label.as_deref(), req.key.as_deref())?;
    let now = ws.object_named(&before.id.to_string())?;
    Ok(Changed {
        id: before.id.to_string(),
        message: format!("Object “{}” is now {} (“{}”)", before.label, now.key, now.label),
        undo: mark.undo(ws),
    })
}

/// An object, by key, label or id.
#[derive(Debug, Deserialize)]
pub(crate) struct ObjectRequest {
    pub(crate) object: String,
}

/// Archives an object (`archived`) or brings it back; its records are kept either way.
pub(crate) fn set_archived(ws: &mut Workspace, req: &ObjectRequest, archived: bool) -> Result<Changed, AppError> {
    let object = ws.object_named(&req.object)?.clone();
    let mark = SchemaMark::now(ws);
    ws.set_object_archived(object.id, archived)?;
    let message = if archived {
        format!(
            "Object “{}” archived (its records are kept; restoring it brings them back)",
            object.label
        )
    } else {
        format!("Object “{}” restored", object.label)
    };
    Ok(Changed {
        id: object.id.to_string(),
        message,
        undo: mark.undo(ws),
    })
}
