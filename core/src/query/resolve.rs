//! Resolving a parsed filter or sort against the schema: names become field ids, value
//! texts become typed values of each field's type.

use super::parse::{FilterAst, SortAst, parse_filter, parse_sort};
use super::{Filter, Op, Sort};
use crate::ObjectId;
use crate::error::{QueryError, Result, SchemaError};
use crate::field_type;
use crate::value::Value;
use crate::workspace::Workspace;

impl Workspace {
    /// Parses and resolves a filter expression for `object`.
    pub fn parse_filter(&self, object: ObjectId, text: &str) -> Result<Filter> {
        self.resolve_filter(object, &parse_filter(text)?)
    }

    /// Parses and resolves a sort list (`-amount, name`) for `object`.
    pub fn parse_sort(&self, object: ObjectId, text: &str) -> Result<Vec<Sort>> {
        self.resolve_sort(object, &parse_sort(text)?)
    }

    pub fn resolve_sort(&self, object: ObjectId, sorts: &[SortAst]) -> Result<Vec<Sort>> {
        sorts
            .iter()
            .map(|s| {
                let field = self
                    .field_named(object, &s.field)
                    .map_err(|e| QueryError::BadSort(e.to_string()))?;
                Ok(Sort {
                    field: field.id,
                    descending: s.descending,
                })
            })
            .collect()
    }

    pub fn resolve_filter(&self, object: ObjectId, ast: &FilterAst) -> Result<Filter> {
        let resolve = |target: Option<ObjectId>, name: &str| self.resolve_by_name(target, name);
        resolve_filter_in(self.schema(), object, ast, &resolve)
    }
}

/// Names a related record (of an object, if the relation has a target) by name or id.
pub(crate) type ResolveRelated<'a> =
    dyn Fn(Option<ObjectId>, &str) -> std::result::Result<crate::RecordId, String> + 'a;

/// Resolves a parsed filter against a schema; `resolve_record` names related records
/// (by name or short id) in relation conditions.
pub(crate) fn resolve_filter_in(
    schema: &crate::Schema,
    object: ObjectId,
    ast: &FilterAst,
    resolve_record: &ResolveRelated<'_>,
) -> Result<Filter> {
    let recurse = |p: &FilterAst| resolve_filter_in(schema, object, p, resolve_record);
    Ok(match ast {
        FilterAst::All(parts) => Filter::All(parts.iter().map(recurse).collect::<Result<_>>()?),
        FilterAst::Any(parts) => Filter::Any(parts.iter().map(recurse).collect::<Result<_>>()?),
        FilterAst::Not(inner) => Filter::Not(Box::new(recurse(inner)?)),
        FilterAst::Cond { field, op, values } => {
            let obj = schema
                .object(object)
                .ok_or_else(|| SchemaError::UnknownObject(object.to_string()))?;
            let def = super::stored::field_ref(obj, field).ok_or_else(|| SchemaError::UnknownField {
                object: obj.key.clone(),
                field: field.to_string(),
            })?;
            if def.archived && super::stored::stored_field_id(field).is_some() {
                return Err(QueryError::BadCondition {
                    object: obj.key.clone(),
                    field: def.key.clone(),
                    reason: "the field is archived; restore it or change the filter".into(),
                }
                .into());
            }
            let bad = |reason: String| QueryError::BadCondition {
                object: obj.key.clone(),
                field: def.key.clone(),
                reason,
            };
            let value = |text: &str| -> Result<Option<Value>> {
                let resolve = |name: &str| resolve_record(def.target, name);
                let format = &schema.number_format;
                Ok(field_type::parse_input_in(def, text, format, &resolve).map_err(|e| bad(e.0))?)
            };
            let first = values.first().map(String::as_str).unwrap_or_default();
            let op = match op.as_str() {
                "=" => value(first)?.map_or(Op::IsEmpty, Op::Eq),
                "!=" => value(first)?.map_or(Op::IsNotEmpty, Op::Ne),
                "<" | "<=" | ">" | ">=" => {
                    let Some(v) = value(first)? else {
                        return Err(bad(format!("'{op}' needs a value")).into());
                    };
                    if def.is_list() {
                        return Err(bad(format!("'{op}' does not apply to a list field")).into());
                    }
                    match op.as_str() {
                        "<" => Op::Lt(v),
                        "<=" => Op::Le(v),
                        ">" => Op::Gt(v),
                        _ => Op::Ge(v),
                    }
                }
                "~" | "^=" if def.kind == crate::FieldKind::Relation => {
                    return Err(bad(format!(
                        "'{op}' does not apply to a relation; compare it with a record's name or id ({} = \"{first}\"), or filter the related object",
                        def.key
                    ))
                    .into());
                }
                "~" => Op::Contains(first.to_string()),
                "^=" => Op::StartsWith(first.to_string()),
                "is empty" => Op::IsEmpty,
                "is not empty" => Op::IsNotEmpty,
                "in" => Op::AnyOf(
                    values
                        .iter()
                        .map(|t| value(t))
                        .collect::<Result<Vec<_>>>()?
                        .into_iter()
                        .flatten()
                        .collect(),
                ),
                other => return Err(bad(format!("unknown operator '{other}'")).into()),
            };
            Filter::Cond { field: def.id, op }
        }
    })
}
