//! The options of a select or multi-select field, a deal's pipeline stages among them:
//! list, add, rename, recolour, reorder, archive and restore (`kith option …`, the schema
//! editor, `/api/objects/{object}/fields/{field}/options…`). Options are named by label
//! (case-insensitive) or id. Records hold an option's id, so renaming, recolouring and
//! reordering never touch them, and an archived option stays on the records that have it.

use kith_core::{FieldKind, SelectOption, Workspace};
use serde::Deserialize;

use super::fields::named;
use super::schema_change::{Placement, SchemaMark};
use super::{AppError, Changed};

/// The colours the UI draws options in (the stylesheet has a pill for each).
pub(crate) const COLORS: [&str; 10] = [
    "gray", "red", "orange", "yellow", "green", "teal", "blue", "purple", "pink", "brown",
];

/// A select field of `object`.
#[derive(Debug, Deserialize)]
pub(crate) struct FieldOptionsRequest {
    pub(crate) object: String,
    pub(crate) field: String,
}

/// A field's options in order, archived ones included (with `archived`).
pub(crate) fn list(ws: &Workspace, req: &FieldOptionsRequest) -> Result<Vec<SelectOption>, AppError> {
    Ok(named(ws, &req.object, &req.field)?.1.options)
}

/// New options, after the others, coloured in turn.
#[derive(Debug, Deserialize)]
pub(crate) struct AddOptionsRequest {
    pub(crate) object: String,
    pub(crate) field: String,
    pub(crate) labels: Vec<String>,
}

/// Answers the new options' ids, comma-separated, as `id`.
pub(crate) fn add(ws: &mut Workspace, req: &AddOptionsRequest) -> Result<Changed, AppError> {
    let (object, field) = named(ws, &req.object, &req.field)?;
    if !matches!(field.kind, FieldKind::Select | FieldKind::MultiSelect) {
        return Err(AppError::Invalid(format!(
            "“{}” is a {} field: only select and multi_select fields have options",
            field.label, field.kind
        )));
    }
    let labels: Vec<String> = req.labels.iter().map(|l| l.trim().to_string()).collect();
    if labels.is_empty() {
        return Err(AppError::Invalid("give the labels of the options to add".into()));
    }
    let mark = SchemaMark::now(ws);
    let ids = ws.add_options(object, field.id, &labels)?;
    let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
    let quoted: Vec<String> = labels.iter().map(|l| format!("“{l}”")).collect();
    Ok(Changed {
        id: ids.join(","),
        message: format!("Added to “{}”: {}", field.label, quoted.join(", ")),
        undo: mark.undo(ws),
    })
}

/// One option of a select field of `object`.
#[derive(Debug, Deserialize)]
pub(crate) struct OptionRequest {
    pub(crate) object: String,
    pub(crate) field: String,
    pub(crate) option: String,
}

/// The option's id, label and the field's label; a clear error when there is none.
fn option_named(
    ws: &Workspace,
    req: &OptionRequest,
) -> Result<(kith_core::ObjectId, kith_core::FieldDef, SelectOption), AppError> {
    let (object, field) = named(ws, &req.object, &req.field)?;
    let option = field
        .option_named(&req.option)
        .cloned()
        .ok_or_else(|| kith_core::SchemaError::UnknownOption {
            object: ws
                .object_named(&object.to_string())
                .map(|o| o.key.clone())
                .unwrap_or_default(),
            field: field.key.clone(),
            option: req.option.clone(),
        })?;
    Ok((object, field, option))
}

/// A new label for an option.
#[derive(Debug, Deserialize)]
pub(crate) struct RenameOptionRequest {
    #[serde(flatten)]
    pub(crate) option: OptionRequest,
    pub(crate) label: String,
}

pub(crate) fn rename(ws: &mut Workspace, req: &RenameOptionRequest) -> Result<Changed, AppError> {
    let (object, field, option) = option_named(ws, &req.option)?;
    let mark = SchemaMark::now(ws);
    ws.rename_option(object, field.id, &option.id.to_string(), &req.label)?;
    Ok(Changed {
        id: option.id.to_string(),
        message: format!(
            "Option “{}” of “{}” is now “{}”",
            option.label,
            field.label,
            req.label.trim()
        ),
        undo: mark.undo(ws),
    })
}

/// A colour from [`COLORS`] for an option.
#[derive(Debug, Deserialize)]
pub(crate) struct RecolorOptionRequest {
    #[serde(flatten)]
    pub(crate) option: OptionRequest,
    pub(crate) color: String,
}

pub(crate) fn recolor(ws: &mut Workspace, req: &RecolorOptionRequest) -> Result<Changed, AppError> {
    let color = req.color.trim().to_ascii_lowercase();
    if !COLORS.contains(&color.as_str()) {
        return Err(AppError::Invalid(format!(
            "'{}' is not a colour Kith draws (use one of {})",
            req.color.trim(),
            COLORS.join(", ")
        )));
    }
    let (object, field, option) = option_named(ws, &req.option)?;
    let mark = SchemaMark::now(ws);
    ws.recolor_option(object, field.id, &option.id.to_string(), &color)?;
    Ok(Changed {
        id: option.id.to_string(),
        message: format!("Option “{}” of “{}” is now {color}", option.label, field.label),
        undo: mark.undo(ws),
    })
}

/// An option moved to a place among the options not archived.
#[derive(Debug, Deserialize)]
pub(crate) struct ReorderOptionRequest {
    #[serde(flatten)]
    pub(crate) option: OptionRequest,
    #[serde(flatten)]
    pub(crate) to: Placement,
}

pub(crate) fn reorder(ws: &mut Workspace, req: &ReorderOptionRequest) -> Result<Changed, AppError> {
    let (object, field, option) = option_named(ws, &req.option)?;
    let items: Vec<(bool, bool)> = field.options.iter().map(|o| (o.id == option.id, o.archived)).collect();
    let (index, position) = req.to.resolve(&items)?;
    let mark = SchemaMark::now(ws);
    ws.reorder_option(object, field.id, &option.id.to_string(), index)?;
    Ok(Changed {
        id: option.id.to_string(),
        message: format!(
            "Option “{}” of “{}” moved to position {position}",
            option.label, field.label
        ),
        undo: mark.undo(ws),
    })
}

/// Archives an option (`archived`: it can no longer be chosen; records that have it
/// keep it) or offers it again.
pub(crate) fn set_archived(ws: &mut Workspace, req: &OptionRequest, archived: bool) -> Result<Changed, AppError> {
    let (object, field, option) = option_named(ws, req)?;
    let mark = SchemaMark::now(ws);
    ws.set_option_archived(object, field.id, &option.id.to_string(), archived)?;
    let message = if archived {
        format!(
            "Option “{}” of “{}” archived (records that have it keep it)",
            option.label, field.label
        )
    } else {
        format!("Option “{}” of “{}” restored", option.label, field.label)
    };
    Ok(Changed {
        id: option.id.to_string(),
        message,
        undo: mark.undo(ws),
    })
}
