//! What an import may create for the rows that need it: select options a cell names
//! that the field lacks (`--add-options`) and related records a relation cell names that
//! do not exist (`--create-missing`). Both are made in the import's change group, so
//! reverting the import takes them back too.

use std::collections::BTreeMap;

use kith_core::{FieldDef, FieldId, FieldKind, GroupId, ObjectId, RecordId, Workspace};

use crate::CsvError;

/// Something a cell names that the workspace lacks.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Need {
    /// A select option of a field.
    Option {
        object: ObjectId,
        field: FieldId,
        label: String,
    },
    /// A record of an object, by its name.
    Record { object: ObjectId, name: String },
}

impl Need {
    /// What to tell a person who did not ask for it to be created.
    pub(crate) fn hint(&self) -> &'static str {
        match self {
            Need::Option { .. } => "--add-options adds missing options",
            Need::Record { .. } => "--create-missing creates missing related records by name",
        }
    }
}

/// The parts of a list cell (`a; b` or `a, b`), as the field types split them.
fn list_parts(text: &str) -> Vec<&str> {
    let sep = if text.contains(';') { ';' } else { ',' };
    text.split(sep).map(str::trim).filter(|p| !p.is_empty()).collect()
}

/// What `text` in a cell of `field` (of `object`) names that does not exist, when that
/// is all that is wrong with it; `None` when the cell has another problem (an archived
/// option, a relation to any object, an ambiguous name) or lacks nothing.
pub(crate) fn needs(ws: &Workspace, object: ObjectId, field: &FieldDef, text: &str) -> Option<Vec<Need>> {
    let text = text.trim();
    let mut out = Vec::new();
    match field.kind {
        FieldKind::Select | FieldKind::MultiSelect => {
            let parts = if field.kind == FieldKind::Select || field.option_named(text).is_some() {
                vec![text]
            } else {
                list_parts(text)
            };
            for part in parts {
                match field.option_named(part) {
                    Some(o) if o.archived => return None,
                    Some(_) => {}
                    None => out.push(Need::Option {
                        object,
                        field: field.id,
                        label: part.to_string(),
                    }),
                }
            }
        }
        FieldKind::Relation => {
            let target = field.target?;
            let parts = if field.many { list_parts(text) } else { vec![text] };
            for part in parts {
                if part.parse::<RecordId>().is_ok() {
                    continue;
                }
                match ws.records_named(target, part, 1) {
                    Ok(found) if found.is_empty() => {
                        if ws.find_record_id(part).is_ok() {
                            continue; // a short id
                        }
                        out.push(Need::Record {
                            object: target,
                            name: part.to_string(),
                        });
                    }
                    Ok(_) => {}
                    Err(_) => return None,
                }
            }
        }
        _ => return None,
    }
    (!out.is_empty()).then_some(out)
}

/// Labels and names to create, each once (case-insensitively), in the order first seen.
#[derive(Default)]
pub(crate) struct ToCreate {
    options: BTreeMap<(ObjectId, FieldId), Vec<String>>,
    records: BTreeMap<ObjectId, Vec<String>>,
}

/// How much [`ToCreate::create`] made.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Created {
    pub(crate) options: usize,
    pub(crate) records: usize,
}

impl ToCreate {
    pub(crate) fn add(&mut self, need: Need) {
        let (list, text) = match need {
            Need::Option { object, field, label } => (self.options.entry((object, field)).or_default(), label),
            Need::Record { object, name } => (self.records.entry(object).or_default(), name),
        };
        if !list.iter().any(|t| t.eq_ignore_ascii_case(&text)) {
            list.push(text);
        }
    }

    /// Adds the options and creates the records, every change in `group`.
    pub(crate) fn create(&self, ws: &mut Workspace, group: GroupId) -> Result<Created, CsvError> {
        let mut created = Created::default();
        for ((object, field), labels) in &self.options {
            ws.add_options_in_group(*object, *field, labels, group)?;
            created.options += labels.len();
        }
        let message = format!("import:{group}");
        for (object, names) in &self.records {
            let Some(display) = ws
                .object_named(&object.to_string())?
                .display_field()
                .map(|f| f.key.clone())
            else {
                continue;
            };
            for name in names {
                let values = ws.parse_values(*object, &[(display.clone(), name.clone())])?;
                ws.create_record_with(*object, values, &message)?;
                created.records += 1;
            }
        }
        Ok(created)
    }
}
