//! Changing a field's type (`kith field retype`, the schema editor's "Change type…",
//! `/api/objects/{object}/fields/{field}/retype`). Values are never rewritten: those that
//! do not read as the new type are kept as they were and listed, first in a dry run
//! (what the editor shows before confirming, `--dry-run`), then in the answer itself.

use kith_core::{FieldKind, RecordId, Workspace};
use serde::{Deserialize, Serialize};

use super::AppError;
use super::fields::named;
use super::schema_change::SchemaMark;

/// Values that do not convert listed at most (all are counted).
pub(crate) const UNCONVERTED_SHOWN: usize = 200;

/// A field of `object` to retype to `kind`; `target`: a relation's object; `dry_run`:
/// report what would convert and change nothing.
#[derive(Debug, Deserialize)]
pub(crate) struct RetypeRequest {
    pub(crate) object: String,
    pub(crate) field: String,
    pub(crate) kind: FieldKind,
    pub(crate) target: Option<String>,
    #[serde(default)]
    pub(crate) dry_run: bool,
}

/// What a retype did (or would do, in a dry run).
#[derive(Debug, Serialize)]
pub(crate) struct Retyped {
    pub(crate) id: String,
    pub(crate) message: String,
    /// `change:<hash>`; none in a dry run or when nothing changed.
    pub(crate) undo: Option<String>,
    /// The field's key and its type before and after.
    pub(crate) field: String,
    pub(crate) from: FieldKind,
    pub(crate) kind: FieldKind,
    pub(crate) dry_run: bool,
    /// Values that read as the new type.
    pub(crate) converted: usize,
    /// How many do not; the first [`UNCONVERTED_SHOWN`] are listed in `unconverted`.
    pub(crate) unconverted_count: usize,
    pub(crate) unconverted: Vec<Unconverted>,
}

/// A value that does not convert, as stored, and its record.
#[derive(Debug, Serialize)]
pub(crate) struct Unconverted {
    pub(crate) id: RecordId,
    pub(crate) record: String,
    pub(crate) value: String,
}

pub(crate) fn retype(ws: &mut Workspace, req: &RetypeRequest) -> Result<Retyped, AppError> {
    let (object, def) = named(ws, &req.object, &req.field)?;
    let target = req
        .target
        .as_deref()
        .map(|t| ws.object_named(t).map(|o| o.id))
        .transpose()?;
    if let Some(computed) = &def.computed {
        // The workspace refuses it too; a dry run must not report on it either.
        return Err(kith_core::SchemaError::InvalidSetting {
            object: ws.object_named(&object.to_string())?.key.clone(),
            field: def.key.clone(),
            reason: format!(
                "is a {}: its type follows from what it computes (change that with `kith field edit`)",
                computed.type_name()
            ),
        }
        .into());
    }
    let (converted, unconverted) = if req.dry_run {
        dry_run(ws, object, &def, req.kind)?
    } else {
        let mark = SchemaMark::now(ws);
        let report = ws.retype_field(object, def.id, req.kind, target)?;
        let undo = mark.undo(ws);
        let mut done = answer(ws, &def, req, report.converted, report.unconverted);
        done.undo = undo;
        return Ok(done);
    };
    Ok(answer(ws, &def, req, converted, unconverted))
}

/// What retyping would convert, without writing: each stored value read as `kind`. A
/// select with no options yet converts every value (retyping creates an option each).
fn dry_run(
    ws: &Workspace,
    object: kith_core::ObjectId,
    def: &kith_core::FieldDef,
    kind: FieldKind,
) -> Result<(usize, Vec<(RecordId, String)>), AppError> {
    let mut probe = def.clone();
    probe.kind = kind;
    let creates_options = matches!(kind, FieldKind::Select | FieldKind::MultiSelect) && def.options.is_empty();
    let (mut converted, mut unconverted) = (0usize, Vec::new());
    ws.for_each_row(object, |id, row| {
        if let Some(stored) = row.get(def.id).filter(|s| !s.is_empty()) {
            if creates_options || kith_core::field_type::read(&probe, stored).is_some() {
                converted += 1;
            } else {
                unconverted.push((id, stored.raw_text()));
            }
        }
    })?;
    Ok((converted, unconverted))
}

fn answer(
    ws: &Workspace,
    def: &kith_core::FieldDef,
    req: &RetypeRequest,
    converted: usize,
    unconverted: Vec<(RecordId, String)>,
) -> Retyped {
    let count = unconverted.len();
    let (label, kind) = (&def.label, req.kind);
    let message = match (req.dry_run, count) {
        (true, 0) => format!("Retyping “{label}” to {kind}: all {converted} value(s) would convert"),
        (true, n) => format!(
            "Retyping “{label}” to {kind}: {converted} value(s) would convert; {n} would not and would be kept as they are"
        ),
        (false, 0) => format!("Field “{label}” is now {kind}: {converted} value(s) convert"),
        (false, n) => {
            format!("Field “{label}” is now {kind}: {converted} value(s) convert; {n} do not and are kept as they were")
        }
    };
    Retyped {
        id: def.id.to_string(),
        message,
        undo: None,
        field: def.key.clone(),
        from: def.kind,
        kind,
        dry_run: req.dry_run,
        converted,
        unconverted_count: count,
        unconverted: unconverted
            .into_iter()
            .take(UNCONVERTED_SHOWN)
            .map(|(id, value)| Unconverted {
                id,
                record: ws.record_name(id),
                value,
            })
            .collect(),
    }
}
