//! Matching a file's columns to fields, once per import: by key or label, by
//! `--map column=field`, joins (`--map "A+B=field"`), skipped columns, and the columns
//! no field claims (which `--create-fields` makes fields for).

use std::collections::HashMap;

use kith_core::{FieldDef, ObjectDef};

use crate::CsvError;

/// Columns that no mapping, no field (by key or label, archived ones too) and not `id`
/// claim: the columns `create_fields` makes fields for.
pub(crate) fn unknown_columns(obj: &ObjectDef, headers: &[String], mappings: &[(String, String)]) -> Vec<usize> {
    headers
        .iter()
        .enumerate()
        .filter(|(_, h)| !h.is_empty() && !h.eq_ignore_ascii_case("id"))
        .filter(|(_, h)| {
            !mappings.iter().any(|(c, _)| {
                c.trim().eq_ignore_ascii_case(h) || c.split('+').any(|part| part.trim().eq_ignore_ascii_case(h))
            })
        })
        .filter(|(_, h)| {
            !obj.fields
                .iter()
                .any(|f| f.key.eq_ignore_ascii_case(h) || f.label.eq_ignore_ascii_case(h))
        })
        .map(|(i, _)| i)
        .collect()
}

/// `(column, field)`: a `--map` pair.
type Mapping = (String, String);

/// What a column of the file feeds.
pub(crate) enum Target<'a> {
    Field(&'a FieldDef),
    Id,
    Skip,
    /// Part of a join (`--map "First Name+Last Name=name"`): read by the join.
    Joined,
}

/// Several columns joined with spaces into one field.
pub(crate) struct Join<'a> {
    pub(crate) columns: Vec<usize>,
    pub(crate) field: &'a FieldDef,
}

/// A join mapping's columns, when `column` is `A+B+...` and is not itself a header.
fn join_columns(column: &str, headers: &[String]) -> Option<Vec<String>> {
    let column = column.trim();
    if !column.contains('+') || headers.iter().any(|h| h.eq_ignore_ascii_case(column)) {
        return None;
    }
    Some(column.split('+').map(|c| c.trim().to_string()).collect())
}

/// Takes the joins out of the mappings: `(columns, field)` pairs, checked against the
/// header and the object.
fn plan_joins<'a>(
    obj: &'a ObjectDef,
    headers: &[String],
    mappings: &[(String, String)],
) -> Result<(Vec<Join<'a>>, Vec<Mapping>), CsvError> {
    let mut joins = Vec::new();
    let mut rest = Vec::new();
    for (column, field) in mappings {
        let Some(parts) = join_columns(column, headers) else {
            rest.push((column.clone(), field.clone()));
            continue;
        };
        let mut columns = Vec::with_capacity(parts.len());
        for part in &parts {
            let index = headers
                .iter()
                .position(|h| h.eq_ignore_ascii_case(part))
                .ok_or_else(|| CsvError::MappedColumnMissing {
                    column: part.clone(),
                    field: field.clone(),
                })?;
            columns.push(index);
        }
        let def = obj
            .active_fields()
            .find(|f| f.key.eq_ignore_ascii_case(field.trim()) || f.label.eq_ignore_ascii_case(field.trim()))
            .ok_or_else(|| kith_core::SchemaError::UnknownField {
                object: obj.key.clone(),
                field: field.trim().to_string(),
            })?;
        joins.push(Join { columns, field: def });
    }
    Ok((joins, rest))
}

/// What every column feeds, joins included.
pub(crate) fn full_plan<'a>(
    obj: &'a ObjectDef,
    headers: &[String],
    mappings: &[(String, String)],
) -> Result<(Vec<Target<'a>>, Vec<Join<'a>>), CsvError> {
    let (joins, mappings) = plan_joins(obj, headers, mappings)?;
    let targets = plan(obj, headers, &mappings, &joins)?;
    Ok((targets, joins))
}

/// Matches the header's columns to fields, once for the whole file.
fn plan<'a>(
    obj: &'a ObjectDef,
    headers: &[String],
    mappings: &[(String, String)],
    joins: &[Join<'_>],
) -> Result<Vec<Target<'a>>, CsvError> {
    let joined = |i: usize| joins.iter().any(|j| j.columns.contains(&i));
    let skip_unknown = mappings.iter().any(|(c, f)| c.trim() == "*" && is_skip(f));
    for (column, field) in mappings {
        if column.trim() != "*" && !headers.iter().any(|h| h.eq_ignore_ascii_case(column.trim())) {
            return Err(CsvError::MappedColumnMissing {
                column: column.clone(),
                field: field.clone(),
            });
        }
    }
    let mut targets = Vec::with_capacity(headers.len());
    let mut unknown = Vec::new();
    for (i, header) in headers.iter().enumerate() {
        if joined(i) {
            targets.push(Target::Joined);
            continue;
        }
        let mapped = mappings
            .iter()
            .find(|(c, _)| c.trim().eq_ignore_ascii_case(header))
            .map(|(_, f)| f.trim());
        let target = match mapped {
            Some(f) if is_skip(f) => Target::Skip,
            Some(f) => match obj.find_field(f) {
                Some(def) if def.archived => {
                    return Err(CsvError::ArchivedField {
                        object: obj.key.clone(),
                        field: def.key.clone(),
                        column: header.clone(),
                    });
                }
                Some(def) => Target::Field(def),
                None if f.eq_ignore_ascii_case("id") => Target::Id,
                None => {
                    return Err(kith_core::SchemaError::UnknownField {
                        object: obj.key.clone(),
                        field: f.to_string(),
                    }
                    .into());
                }
            },
            None if header.eq_ignore_ascii_case("id") => Target::Id,
            None => {
                let named = |f: &&FieldDef| f.key.eq_ignore_ascii_case(header) || f.label.eq_ignore_ascii_case(header);
                match (obj.active_fields().find(named), obj.fields.iter().find(named)) {
                    (Some(def), _) => Target::Field(def),
                    (None, _) if skip_unknown => Target::Skip,
                    (None, Some(archived)) => {
                        return Err(CsvError::ArchivedField {
                            object: obj.key.clone(),
                            field: archived.key.clone(),
                            column: header.clone(),
                        });
                    }
                    (None, None) => {
                        unknown.push(format!("'{header}'"));
                        Target::Skip
                    }
                }
            }
        };
        targets.push(target);
    }
    if !unknown.is_empty() {
        return Err(CsvError::UnknownColumns {
            object: obj.key.clone(),
            columns: unknown.join(", "),
        });
    }
    let mut seen: HashMap<Option<kith_core::FieldId>, &str> = HashMap::new();
    for join in joins {
        seen.insert(Some(join.field.id), &headers[join.columns[0]]);
    }
    for (target, header) in targets.iter().zip(headers) {
        let key = match target {
            Target::Field(def) => Some(def.id),
            Target::Id => None,
            Target::Skip | Target::Joined => continue,
        };
        if let Some(first) = seen.insert(key, header) {
            let field = match target {
                Target::Field(def) => def.key.clone(),
                _ => "id".to_string(),
            };
            return Err(CsvError::DuplicateColumn {
                object: obj.key.clone(),
                field,
                first: first.to_string(),
                second: header.clone(),
            });
        }
    }
    Ok(targets)
}

fn is_skip(field: &str) -> bool {
    let f = field.trim();
    f.is_empty() || f == "-"
}
