//! The schema: objects and fields keyed by stable random ids, held in one Automerge
//! document per workspace.

pub(crate) mod doc;
mod model;
mod standard;

pub use model::{
    Aggregate, Computed, ConfigDoc, FieldDef, FieldKind, ObjectDef, Rollup, Schema, SelectOption, UnknownFieldKind,
};
pub use standard::standard_objects;

/// Whether `key` is a valid API name: `[a-z][a-z0-9_]*`, at most 64 characters.
pub fn is_valid_key(key: &str) -> bool {
    let mut chars = key.chars();
    key.len() <= 64
        && chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Turns a label into a key: `"Close date"` → `"close_date"`.
pub fn key_from_label(label: &str) -> String {
    let mut key = String::new();
    for c in crate::text::fold(label).chars() {
        if c.is_ascii_alphanumeric() {
            key.push(c);
        } else if !key.ends_with('_') && !key.is_empty() {
            key.push('_');
        }
    }
    let key = key.trim_end_matches('_').to_string();
    if key.starts_with(|c: char| c.is_ascii_digit()) || key.is_empty() {
        format!("f_{key}")
    } else {
        key
    }
}
