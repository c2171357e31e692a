//! Schema edits of fields: list, add (stored or computed), rename, reorder, settings,
//! a computed field's definition, archive and restore (`kith field …`, the schema
//! editor, `/api/objects/{object}/fields…`); retyping is in `retype`. Each answers a
//! change whose `undo` (`change:<hash>`) reverts exactly that schema change.

use kith_core::{ComputedSpec, FieldDef, FieldKind, FieldSpec, ObjectId, Workspace};
use serde::Deserialize;

use super::schema_change::{Placement, SchemaMark};
use super::{AppError, Changed};

/// An object (key, label or id); `all`: archived fields too.
#[derive(Debug, Deserialize)]
pub(crate) struct ListFieldsRequest {
    pub(crate) object: String,
    #[serde(default)]
    pub(crate) all: bool,
}

/// An object's fields in order, as the schema holds them.
pub(crate) fn list(ws: &Workspace, req: &ListFieldsRequest) -> Result<Vec<FieldDef>, AppError> {
    let object = ws.object_named(&req.object)?;
    Ok(object
        .fields
        .iter()
        .filter(|f| req.all || !f.archived)
        .cloned()
        .collect())
}

/// What a computed field computes: exactly one of a formula, a lookup
/// (`relation.field`) or a rollup (`relation.field sum where …`).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Definition {
    pub(crate) formula: Option<String>,
    pub(crate) lookup: Option<String>,
    pub(crate) rollup: Option<String>,
}

impl Definition {
    /// The definition named by a kind (`formula`, `lookup`, `rollup`) and its text, as
    /// the schema editor's form gives them; `None` for a stored kind.
    pub(crate) fn of_kind(kind: &str, text: &str) -> Option<Definition> {
        let text = Some(text.trim().to_string());
        match kind {
            "formula" => Some(Definition {
                formula: text,
                ..Definition::default()
            }),
            "lookup" => Some(Definition {
                lookup: text,
                ..Definition::default()
            }),
            "rollup" => Some(Definition {
                rollup: text,
                ..Definition::default()
            }),
            _ => None,
        }
    }

    fn given(&self) -> bool {
        self.formula.is_some() || self.lookup.is_some() || self.rollup.is_some()
    }

    fn spec(&self) -> Result<ComputedSpec, AppError> {
        match (&self.formula, &self.lookup, &self.rollup) {
            (Some(f), None, None) => Ok(ComputedSpec::Formula(f.clone())),
            (None, Some(l), None) => Ok(ComputedSpec::Lookup(l.clone())),
            (None, None, Some(r)) => Ok(ComputedSpec::Rollup(r.clone())),
            _ => Err(AppError::Invalid("give one of a formula, a lookup or a rollup".into())),
        }
    }
}

/// A new field of `object`: `key` (from the label when not given) or `label` (from the
/// key when not given), its type and settings; or, instead of a type, what it computes.
#[derive(Debug, Deserialize)]
pub(crate) struct AddFieldRequest {
    pub(crate) object: String,
    pub(crate) key: Option<String>,
    pub(crate) label: Option<String>,
    pub(crate) kind: Option<FieldKind>,
    #[serde(flatten)]
    pub(crate) computed: Definition,
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
    let mark = SchemaMark::now(ws);
    if req.computed.given() {
        if req.kind.is_some() {
            return Err(AppError::Invalid(
                "a computed field takes its type from what it computes: give a type or a definition, not both".into(),
            ));
        }
        let id = ws.add_computed_field(object.id, &key, &label, &req.computed.spec()?)?;
        let shown = ws
            .field_named(object.id, &id.to_string())
            .map(type_name)
            .unwrap_or_default();
        return Ok(Changed {
            id: id.to_string(),
            message: format!("Field “{label}” added as {}.{key} ({shown})", object.key),
            undo: mark.undo(ws),
        });
    }
    let kind = req
        .kind
        .ok_or_else(|| AppError::Invalid("give the new field a type, or a formula, lookup or rollup".into()))?;
    let mut spec = FieldSpec::new(&key, &label, kind);
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
        message: format!("Field “{label}” added as {}.{key} ({kind})", object.key),
        undo: mark.undo(ws),
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
    let mark = SchemaMark::now(ws);
    ws.rename_field(object, before.id, req.label.as_deref(), req.key.as_deref())?;
    let now = ws.field_named(object, &before.id.to_string())?.clone();
    Ok(Changed {
        id: before.id.to_string(),
        message: format!("Field “{}” is now {} (“{}”)", before.label, now.key, now.label),
        undo: mark.undo(ws),
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
    let mark = SchemaMark::now(ws);
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
        undo: mark.undo(ws),
    })
}

/// A field of `object` moved to a place among the fields not archived.
#[derive(Debug, Deserialize)]
pub(crate) struct ReorderFieldRequest {
    pub(crate) object: String,
    pub(crate) field: String,
    #[serde(flatten)]
    pub(crate) to: Placement,
}

pub(crate) fn reorder(ws: &mut Workspace, req: &ReorderFieldRequest) -> Result<Changed, AppError> {
    let (object, field) = named(ws, &req.object, &req.field)?;
    let items: Vec<(bool, bool)> = ws
        .object_named(&object.to_string())?
        .fields
        .iter()
        .map(|f| (f.id == field.id, f.archived))
        .collect();
    let (index, position) = req.to.resolve(&items)?;
    let mark = SchemaMark::now(ws);
    ws.reorder_field(object, field.id, index)?;
    Ok(Changed {
        id: field.id.to_string(),
        message: format!("Field “{}” moved to position {position}", field.label),
        undo: mark.undo(ws),
    })
}

/// A field's settings: whether every record needs a value (`required`) and whether no
/// two records may share one (`unique`); what is not given stays as it is.
#[derive(Debug, Deserialize)]
pub(crate) struct FieldSettingsRequest {
    pub(crate) object: String,
    pub(crate) field: String,
    pub(crate) required: Option<bool>,
    pub(crate) unique: Option<bool>,
}

/// Refused, changing nothing, while records break the new rule (an empty value for
/// required, a shared one for unique). Both settings changed at once are two schema
/// changes: the answer then has no undo (`kith schema history` lists both).
pub(crate) fn set(ws: &mut Workspace, req: &FieldSettingsRequest) -> Result<Changed, AppError> {
    if req.required.is_none() && req.unique.is_none() {
        return Err(AppError::Invalid(
            "give required, unique, or both (true or false)".into(),
        ));
    }
    let (object, field) = named(ws, &req.object, &req.field)?;
    let mark = SchemaMark::now(ws);
    // A rule being turned on can be refused; one turned off cannot: the first goes
    // first, so a refusal leaves nothing written. With both turned on, a refused
    // `unique` puts `required` back as it was.
    if req.unique == Some(true) && req.required != Some(true) {
        ws.set_field_unique(object, field.id, true)?;
        if let Some(required) = req.required {
            ws.set_field_required(object, field.id, required)?;
        }
    } else {
        if let Some(required) = req.required {
            ws.set_field_required(object, field.id, required)?;
        }
        if let Some(unique) = req.unique
            && let Err(e) = ws.set_field_unique(object, field.id, unique)
        {
            if req.required.is_some_and(|r| r != field.required) {
                ws.set_field_required(object, field.id, field.required)?;
            }
            return Err(e.into());
        }
    }
    let now = ws.field_named(object, &field.id.to_string())?.clone();
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    Ok(Changed {
        id: field.id.to_string(),
        message: format!(
            "Field “{}”: required {}, unique {}",
            now.label,
            yes_no(now.required),
            yes_no(now.unique)
        ),
        undo: mark.undo(ws),
    })
}

/// A new definition for a computed field of `object`.
#[derive(Debug, Deserialize)]
pub(crate) struct EditComputedRequest {
    pub(crate) object: String,
    pub(crate) field: String,
    #[serde(flatten)]
    pub(crate) definition: Definition,
}

/// Replaces what a computed field computes; its values are recomputed.
pub(crate) fn edit_computed(ws: &mut Workspace, req: &EditComputedRequest) -> Result<Changed, AppError> {
    let spec = req.definition.spec()?;
    let (object, field) = named(ws, &req.object, &req.field)?;
    let mark = SchemaMark::now(ws);
    ws.edit_computed_field(object, field.id, &spec)?;
    let source = ws.computed_source(object, field.id).unwrap_or_default();
    Ok(Changed {
        id: field.id.to_string(),
        message: format!("Field “{}” now computes {source}", field.label),
        undo: mark.undo(ws),
    })
}

/// An object and one of its fields, each by key, label or id.
pub(crate) fn named(ws: &Workspace, object: &str, field: &str) -> Result<(ObjectId, FieldDef), AppError> {
    let o = ws.object_named(object)?.id;
    let f = ws.field_named(o, field)?.clone();
    Ok((o, f))
}

/// A field's type as lists show it: a computed field names its computation and result
/// type (`rollup → currency`).
pub(crate) fn type_name(f: &FieldDef) -> String {
    match &f.computed {
        Some(c) => format!("{} → {}", c.type_name(), f.kind),
        None => f.kind.to_string(),
    }
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
