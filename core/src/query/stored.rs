//! The stored form of filter and sort text: fields named by their id and select options
//! by their option id, so renaming a field key, a label or an option never changes what a
//! saved filter selects. Bare ids (not the formulas' `{f:<id>}`): the filter language has
//! always resolved a field or an option named by id, so versions before this one read the
//! stored form too.
//!
//! Definitions are converted when they are saved ([`filter_to_stored`]: names that
//! resolve become ids; anything else stays as written) and when they are shown
//! ([`filter_to_shown`]: ids become today's keys and option labels). Resolving a filter
//! reads both forms, so a definition saved by an older version (names) works as before
//! and takes the stored form on its next edit.

use super::parse::{FilterAst, parse_filter, parse_sort};
use crate::schema::{FieldDef, FieldKind, ObjectDef, Schema};
use crate::{FieldId, ObjectId, OptionId};

/// The field a filter, sort or template names: a field id (the stored form; a field merged
/// into another is that other one), else a key or label as [`ObjectDef::find_field`]
/// reads them.
pub(crate) fn field_ref<'a>(object: &'a ObjectDef, name: &str) -> Option<&'a FieldDef> {
    match stored_field_id(name) {
        Some(id) => {
            let field = object.field(id)?;
            match field.merged_into {
                Some(into) => object.field(into),
                None => Some(field),
            }
        }
        None => object.find_field(name),
    }
}

/// The field id a stored form names (also accepted as the formulas write it, `{f:<id>}`).
pub(crate) fn stored_field_id(name: &str) -> Option<FieldId> {
    let name = name.trim();
    let id = name
        .strip_prefix("{f:")
        .and_then(|n| n.strip_suffix('}'))
        .unwrap_or(name);
    id.trim().parse().ok()
}

/// How a stored form names a field.
pub(crate) fn stored_field(id: FieldId) -> String {
    id.to_string()
}

/// Select values: the option's id for a label that names one (each part of a
/// multi-select list), else the text as written.
fn option_to_stored(field: &FieldDef, value: &str) -> String {
    let one = |part: &str| field.option_named(part).map(|o| o.id.to_string());
    match field.kind {
        FieldKind::Select => one(value).unwrap_or_else(|| value.to_string()),
        FieldKind::MultiSelect => one(value).unwrap_or_else(|| {
            let sep = if value.contains(';') { ';' } else { ',' };
            let parts: Option<Vec<String>> = value
                .split(sep)
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(one)
                .collect();
            parts.map_or_else(|| value.to_string(), |p| p.join(", "))
        }),
        _ => value.to_string(),
    }
}

/// Option ids in a select value shown as their current labels.
fn option_to_shown(field: &FieldDef, value: &str) -> String {
    if !matches!(field.kind, FieldKind::Select | FieldKind::MultiSelect) {
        return value.to_string();
    }
    let label = |part: &str| {
        let id: OptionId = part.trim().parse().ok()?;
        field.option(id).map(|o| o.label.clone())
    };
    if let Some(one) = label(value) {
        return one;
    }
    if !value.contains(',') {
        return value.to_string();
    }
    value
        .split(',')
        .map(|part| label(part).unwrap_or_else(|| part.trim().to_string()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A select value (option label or id) in its stored form: the option id.
pub(crate) fn value_to_stored(field: &FieldDef, value: &str) -> String {
    option_to_stored(field, value)
}

/// A stored select value shown with the current option label.
pub(crate) fn value_to_shown(field: &FieldDef, value: &str) -> String {
    option_to_shown(field, value)
}

/// Rewrites every condition's field and values with `map` (None: leave it as written).
fn rewrite<'s>(
    ast: &FilterAst,
    map: &dyn Fn(&str) -> Option<(String, &'s FieldDef)>,
    value: &dyn Fn(&FieldDef, &str) -> String,
) -> FilterAst {
    match ast {
        FilterAst::All(parts) => FilterAst::All(parts.iter().map(|p| rewrite(p, map, value)).collect()),
        FilterAst::Any(parts) => FilterAst::Any(parts.iter().map(|p| rewrite(p, map, value)).collect()),
        FilterAst::Not(inner) => FilterAst::Not(Box::new(rewrite(inner, map, value))),
        FilterAst::Cond { field, op, values } => match map(field) {
            Some((name, def)) => {
                // Contains / starts-with compare shown text: their values stay as typed.
                let typed = matches!(op.as_str(), "~" | "^=");
                FilterAst::Cond {
                    field: name,
                    op: op.clone(),
                    values: values
                        .iter()
                        .map(|v| if typed { v.clone() } else { value(def, v) })
                        .collect(),
                }
            }
            None => ast.clone(),
        },
    }
}

/// A filter with the fields (and options) it names by id. Text that does not parse, and
/// names that do not resolve, stay as written (resolving them reports the problem).
pub(crate) fn filter_to_stored(schema: &Schema, object: ObjectId, text: &str) -> String {
    let (Some(obj), Ok(ast)) = (schema.object(object), parse_filter(text)) else {
        return text.trim().to_string();
    };
    let map = |name: &str| -> Option<(String, &FieldDef)> { field_ref(obj, name).map(|f| (stored_field(f.id), f)) };
    print_filter(&rewrite(&ast, &map, &option_to_stored))
}

/// A stored filter with today's field keys and option labels. One without stored
/// references (saved by an older version) is answered as written.
pub(crate) fn filter_to_shown(schema: &Schema, object: ObjectId, text: &str) -> String {
    let (Some(obj), Ok(ast)) = (schema.object(object), parse_filter(text)) else {
        return text.to_string();
    };
    let by_id = std::cell::Cell::new(false);
    let map = |name: &str| -> Option<(String, &FieldDef)> {
        let id = stored_field_id(name)?;
        let field = field_ref(obj, &stored_field(id))?;
        by_id.set(true);
        Some((field.key.clone(), field))
    };
    let shown = rewrite(&ast, &map, &option_to_shown);
    if by_id.get() {
        print_filter(&shown)
    } else {
        text.to_string()
    }
}

/// A sort list (`-amount, name`) with fields by id; names that do not resolve stay.
pub(crate) fn sort_to_stored(schema: &Schema, object: ObjectId, text: &str) -> String {
    sort_rewrite(schema, object, text, &|obj, name| {
        field_ref(obj, name).map(|f| stored_field(f.id))
    })
}

/// A stored sort list with today's field keys.
pub(crate) fn sort_to_shown(schema: &Schema, object: ObjectId, text: &str) -> String {
    sort_rewrite(schema, object, text, &|obj, name| {
        stored_field_id(name)?;
        field_ref(obj, name).map(|f| f.key.clone())
    })
}

fn sort_rewrite(
    schema: &Schema,
    object: ObjectId,
    text: &str,
    name: &dyn Fn(&ObjectDef, &str) -> Option<String>,
) -> String {
    let (Some(obj), Ok(keys)) = (schema.object(object), parse_sort(text)) else {
        return text.to_string();
    };
    let mut renamed = false;
    let out = keys
        .iter()
        .map(|k| {
            let field = name(obj, &k.field).inspect(|_| renamed = true);
            let field = field.unwrap_or_else(|| k.field.clone());
            if k.descending { format!("-{field}") } else { field }
        })
        .collect::<Vec<_>>()
        .join(", ");
    // Text that names nothing by id (or nothing that resolves) is kept as written.
    if renamed { out } else { text.to_string() }
}

impl crate::Workspace {
    /// `text` (a filter on `object`) as definitions store it: fields and options by id.
    pub fn stored_filter(&self, object: ObjectId, text: &str) -> String {
        filter_to_stored(self.schema(), object, text)
    }

    /// A stored filter as people read it: today's field keys and option labels.
    pub fn shown_filter(&self, object: ObjectId, text: &str) -> String {
        filter_to_shown(self.schema(), object, text)
    }

    /// `text` (a sort list on `object`) as definitions store it: fields by id.
    pub fn stored_sort(&self, object: ObjectId, text: &str) -> String {
        sort_to_stored(self.schema(), object, text)
    }

    /// A stored sort list with today's field keys.
    pub fn shown_sort(&self, object: ObjectId, text: &str) -> String {
        sort_to_shown(self.schema(), object, text)
    }
}

/// Words the filter language reads as keywords: written quoted when they are a name or
/// a value.
const KEYWORDS: [&str; 7] = ["and", "or", "not", "is", "in", "contains", "empty"];

/// A field name or value as the parser reads it back: bare when it is one plain word,
/// else quoted.
fn word(text: &str) -> String {
    let plain = !text.is_empty()
        && !text.contains(|c: char| c.is_whitespace() || "(),\"'\\!<>=~^".contains(c))
        && !KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(text));
    if plain {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// Prints a filter so that it parses back to the same tree.
pub(crate) fn print_filter(ast: &FilterAst) -> String {
    match ast {
        FilterAst::Any(parts) => parts.iter().map(print_filter).collect::<Vec<_>>().join(" or "),
        FilterAst::All(parts) => parts
            .iter()
            .map(|p| match p {
                FilterAst::Any(_) => format!("({})", print_filter(p)),
                _ => print_filter(p),
            })
            .collect::<Vec<_>>()
            .join(" and "),
        FilterAst::Not(inner) => match inner.as_ref() {
            FilterAst::Cond { .. } | FilterAst::Not(_) => format!("not {}", print_filter(inner)),
            _ => format!("not ({})", print_filter(inner)),
        },
        FilterAst::Cond { field, op, values } => {
            let field = word(field);
            match op.as_str() {
                "is empty" | "is not empty" => format!("{field} {op}"),
                "in" => format!(
                    "{field} in {}",
                    values.iter().map(|v| word(v)).collect::<Vec<_>>().join(", ")
                ),
                _ => format!(
                    "{field} {op} {}",
                    word(values.first().map(String::as_str).unwrap_or_default())
                ),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{SelectOption, standard_objects};

    fn schema() -> Schema {
        let mut schema = Schema {
            objects: standard_objects(),
            ..Schema::default()
        };
        let deals = schema.objects.iter_mut().find(|o| o.key == "deals").unwrap();
        let stage = deals.fields.iter_mut().find(|f| f.key == "stage").unwrap();
        if stage.options.is_empty() {
            stage.options.push(SelectOption {
                id: OptionId::new(),
                label: "Won".into(),
                color: String::new(),
                order: 0,
                archived: false,
            });
        }
        schema
    }

    fn deals(schema: &Schema) -> &ObjectDef {
        schema.objects.iter().find(|o| o.key == "deals").unwrap()
    }

    #[test]
    fn printed_filters_parse_back_to_the_same_tree() {
        for text in [
            "stage = Won and (amount >= 10000 or name = \"Acme Corp\")",
            "not (a = 1 and b = 2) or not c is empty",
            "\"Close date\" is not empty and tags in red, 'blue green', \"and\"",
            "name ~ \"say \\\"hi\\\"\" and x ^= \"a\\\\b\" and city = New York",
            "not not a = 1",
        ] {
            let ast = parse_filter(text).unwrap();
            assert_eq!(parse_filter(&print_filter(&ast)).unwrap(), ast, "{text}");
        }
    }

    #[test]
    fn a_filter_is_stored_by_ids_and_shown_with_current_names() {
        let mut schema = schema();
        let obj = deals(&schema).clone();
        let stage = obj.find_field("stage").unwrap().clone();
        let won = stage.option_named("Won").unwrap().id;
        let stored = filter_to_stored(&schema, obj.id, "Stage = won and amount > 10 and nope = 1");
        assert_eq!(
            stored,
            format!(
                "{} = {won} and {} > 10 and nope = 1",
                stage.id,
                obj.find_field("amount").unwrap().id
            )
        );
        let deals = schema.objects.iter_mut().find(|o| o.key == "deals").unwrap();
        let field = deals.fields.iter_mut().find(|f| f.id == stage.id).unwrap();
        field.key = "phase".into();
        field.options.iter_mut().find(|o| o.id == won).unwrap().label = "Closed won".into();
        assert_eq!(
            filter_to_shown(&schema, obj.id, &stored),
            "phase = \"Closed won\" and amount > 10 and nope = 1"
        );
        assert_eq!(filter_to_shown(&schema, obj.id, "stage = Won"), "stage = Won");
    }

    #[test]
    fn the_stored_form_resolves_the_way_earlier_versions_read_names() {
        let schema = schema();
        let obj = deals(&schema);
        let stored = filter_to_stored(&schema, obj.id, "stage in Won, Lost and amount > 10");
        let FilterAst::All(parts) = parse_filter(&stored).unwrap() else {
            panic!("{stored}")
        };
        for part in parts {
            let FilterAst::Cond { field, values, .. } = part else {
                panic!("{stored}")
            };
            // `find_field` and `option_named` have always taken ids.
            let def = obj.find_field(&field).unwrap();
            if def.key == "stage" {
                assert!(values.iter().all(|v| def.option_named(v).is_some()), "{values:?}");
            }
        }
    }

    #[test]
    fn a_sort_is_stored_by_ids_and_shown_with_current_names() {
        let schema = schema();
        let obj = deals(&schema);
        let stored = sort_to_stored(&schema, obj.id, "-amount, name desc, nope");
        let id = |k: &str| obj.find_field(k).unwrap().id;
        assert_eq!(stored, format!("-{}, -{}, nope", id("amount"), id("name")));
        assert_eq!(sort_to_shown(&schema, obj.id, &stored), "-amount, -name, nope");
    }
}
