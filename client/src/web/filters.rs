//! The filter builder's side of the filter language: conditions added one at a time
//! (field, operator, value) become filter text, and filter text becomes chips that read
//! as sentences ("Stage is Won"). The text itself is parsed by kith-core's query module.

use kith_core::{FilterAst, ObjectDef, SortAst, parse_filter, parse_sort};

/// The operators the builder offers: (language operator, words in a sentence).
pub(crate) const OPERATORS: [(&str, &str); 10] = [
    ("=", "is"),
    ("!=", "is not"),
    ("~", "contains"),
    ("^=", "starts with"),
    (">", "is more than"),
    (">=", "is at least"),
    ("<", "is less than"),
    ("<=", "is at most"),
    ("is empty", "is empty"),
    ("is not empty", "is not empty"),
];

/// A value quoted for the filter language.
pub(crate) fn quote(value: &str) -> String {
    let escaped = value.replace('\\', "\\\\").replace('"', "\\\"");
    format!("\"{escaped}\"")
}

/// One condition as filter text; `None` for an operator the builder does not know.
pub(crate) fn condition(field: &str, op: &str, value: &str) -> Option<String> {
    let known = OPERATORS.iter().any(|(o, _)| *o == op);
    if !known || field.trim().is_empty() {
        return None;
    }
    Some(if op.starts_with("is ") {
        format!("{} {op}", quote(field))
    } else {
        format!("{} {op} {}", quote(field), quote(value))
    })
}

/// `existing and new`, keeping `existing` intact (parenthesised when it has an `or`).
pub(crate) fn and(existing: &str, new: &str) -> String {
    let existing = existing.trim();
    if existing.is_empty() {
        return new.to_string();
    }
    match parse_filter(existing) {
        Ok(FilterAst::Any(_)) => format!("({existing}) and {new}"),
        _ => format!("{existing} and {new}"),
    }
}

/// One chip: its sentence and the filter text without it (for its remove link).
pub(crate) struct Chip {
    pub(crate) sentence: String,
    pub(crate) without: String,
}

/// The chips of a filter: one per top-level `and` condition; a filter with `or` / `not`
/// at the top is one chip showing its text.
pub(crate) fn chips(text: &str, object: &ObjectDef) -> Vec<Chip> {
    let Ok(ast) = parse_filter(text) else {
        return Vec::new();
    };
    let parts = match ast {
        FilterAst::All(parts) => parts,
        other => vec![other],
    };
    (0..parts.len())
        .map(|i| Chip {
            sentence: sentence(&parts[i], object).unwrap_or_else(|| text.to_string()),
            without: parts
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, p)| to_text(p))
                .collect::<Vec<_>>()
                .join(" and "),
        })
        .collect()
}

/// A condition as a sentence, with the field's label.
fn sentence(ast: &FilterAst, object: &ObjectDef) -> Option<String> {
    let FilterAst::Cond { field, op, values } = ast else {
        return None;
    };
    let label = object.find_field(field).map_or(field.as_str(), |f| f.label.as_str());
    let words = OPERATORS.iter().find(|(o, _)| o == op).map_or(op.as_str(), |(_, w)| *w);
    let words = if op == "in" { "is any of" } else { words };
    Some(if values.is_empty() {
        format!("{label} {words}")
    } else {
        format!("{label} {words} {}", values.join(", "))
    })
}

/// A filter AST back as filter text.
pub(crate) fn to_text(ast: &FilterAst) -> String {
    match ast {
        FilterAst::Cond { field, op, values } if values.is_empty() => format!("{} {op}", quote(field)),
        FilterAst::Cond { field, op, values } if op == "in" => format!(
            "{} in {}",
            quote(field),
            values.iter().map(|v| quote(v)).collect::<Vec<_>>().join(", ")
        ),
        FilterAst::Cond { field, op, values } => format!("{} {op} {}", quote(field), quote(&values.join(" "))),
        FilterAst::All(parts) => parts.iter().map(grouped).collect::<Vec<_>>().join(" and "),
        FilterAst::Any(parts) => parts.iter().map(grouped).collect::<Vec<_>>().join(" or "),
        FilterAst::Not(inner) => format!("not {}", grouped(inner)),
    }
}

fn grouped(ast: &FilterAst) -> String {
    match ast {
        FilterAst::Cond { .. } => to_text(ast),
        other => format!("({})", to_text(other)),
    }
}

/// The sort keys as (field label, descending, the sort text without this key).
pub(crate) fn sort_chips(text: &str, object: &ObjectDef) -> Vec<(String, bool, String)> {
    let Ok(keys) = parse_sort(text) else {
        return Vec::new();
    };
    (0..keys.len())
        .map(|i| {
            let k = &keys[i];
            let label = object.find_field(&k.field).map_or(k.field.clone(), |f| f.label.clone());
            let without = keys
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, k)| sort_key(k))
                .collect::<Vec<_>>()
                .join(", ");
            (label, k.descending, without)
        })
        .collect()
}

fn sort_key(k: &SortAst) -> String {
    format!("{}{}", if k.descending { "-" } else { "" }, k.field)
}

/// `existing, new` for sort text.
pub(crate) fn add_sort(existing: &str, field: &str, descending: bool) -> String {
    let key = format!("{}{field}", if descending { "-" } else { "" });
    if existing.trim().is_empty() {
        key
    } else {
        format!("{}, {key}", existing.trim())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_built_condition_parses_back_to_what_was_asked() {
        let text = condition("stage", "=", "Closed \"won\"").expect("known operator");
        let ast = parse_filter(&text).expect("parses");
        assert_eq!(
            ast,
            FilterAst::Cond {
                field: "stage".into(),
                op: "=".into(),
                values: vec!["Closed \"won\"".into()]
            }
        );
        assert_eq!(parse_filter(&to_text(&ast)).expect("round trip"), ast);
    }

    #[test]
    fn adding_to_an_or_filter_keeps_its_meaning() {
        let both = and("a = 1 or b = 2", "\"c\" = \"3\"");
        assert!(matches!(parse_filter(&both), Ok(FilterAst::All(parts)) if parts.len() == 2));
    }

    #[test]
    fn unknown_operators_are_refused() {
        assert_eq!(condition("stage", "drop table", "x"), None);
    }
}
