//! The table's chosen columns (`columns=` in the URL and in a saved view): which fields
//! the table shows, in order, and the "Columns" menu that picks them. The record's name
//! column (the object's display field, the row's link) always stays first. A plain GET
//! form: a checkbox and a position number per active field, folded into `columns=` by
//! [`from_menu`], so it works without the script.

use kith_core::{FieldDef, ObjectDef};
use maud::{Markup, html};

/// Columns a table shows by default (the first active fields).
pub(crate) const DEFAULT_COLUMNS: usize = 7;

/// The columns to show for `columns` (field keys or labels, comma-separated; "" the
/// default) and a note naming the ones dropped (unknown or archived fields).
pub(crate) fn chosen(object: &ObjectDef, columns: &str) -> (Vec<FieldDef>, Option<String>) {
    let default = || object.active_fields().take(DEFAULT_COLUMNS).cloned().collect();
    if columns.trim().is_empty() {
        return (default(), None);
    }
    let mut shown: Vec<FieldDef> = Vec::new();
    let mut dropped: Vec<&str> = Vec::new();
    for name in columns.split(',').map(str::trim).filter(|c| !c.is_empty()) {
        let field = object
            .active_fields()
            .find(|f| f.key == name || f.label.to_lowercase() == name.to_lowercase());
        match field {
            Some(f) if !shown.iter().any(|s| s.id == f.id) => shown.push(f.clone()),
            Some(_) => {}
            None => dropped.push(name),
        }
    }
    if let Some(name_field) = object.display_field() {
        shown.retain(|f| f.id != name_field.id);
        shown.insert(0, name_field.clone());
    }
    let note = (!dropped.is_empty()).then(|| {
        format!(
            "Not shown: {} ({} has no such field, or it is archived).",
            dropped.join(", "),
            object.label
        )
    });
    if shown.is_empty() {
        return (default(), note);
    }
    (shown, note)
}

/// The `columns=` text of the columns shown ("" when the default was asked for).
pub(crate) fn keys(asked: &str, shown: &[FieldDef]) -> String {
    if asked.trim().is_empty() {
        return String::new();
    }
    shown.iter().map(|f| f.key.as_str()).collect::<Vec<_>>().join(",")
}

/// The menu's submission (`set_columns`, `col` per ticked field, `pos_<key>` its
/// position) as `columns=` text, in position order (ties: the fields' order), or None
/// when the request is not the menu's.
pub(crate) fn from_menu(object: &ObjectDef, pairs: &[(String, String)]) -> Option<String> {
    pairs.iter().find(|(k, _)| k == "set_columns")?;
    let position = |key: &str| {
        pairs
            .iter()
            .find(|(k, _)| k.strip_prefix("pos_") == Some(key))
            .and_then(|(_, v)| v.trim().parse::<i64>().ok())
            .unwrap_or(i64::MAX)
    };
    let mut ticked: Vec<(i64, usize, &str)> = object
        .active_fields()
        .enumerate()
        .filter(|(_, f)| pairs.iter().any(|(k, v)| k == "col" && *v == f.key))
        .map(|(i, f)| (position(&f.key), i, f.key.as_str()))
        .collect();
    ticked.sort();
    Some(ticked.iter().map(|(_, _, k)| *k).collect::<Vec<_>>().join(","))
}

/// The "Columns" menu: a checkbox and a position per active field, the shown ones first
/// in their order; `keep` are the other view state inputs (filter, sort) to carry.
pub(crate) fn menu(object: &ObjectDef, shown: &[FieldDef], path: &str, keep: &[(&str, &str)]) -> Markup {
    let name_field = object.display_field().map(|f| f.id);
    let mut fields: Vec<&FieldDef> = shown.iter().collect();
    fields.extend(object.active_fields().filter(|f| !shown.iter().any(|s| s.id == f.id)));
    html! {
        details.columns-menu {
            summary.button.secondary { "Columns ▾" }
            form.columns method="get" action=(path) {
                @for (k, v) in keep { input type="hidden" name=(k) value=(v); }
                input type="hidden" name="set_columns" value="1";
                fieldset {
                    legend { "Columns to show, in order" }
                    table.columns-choice {
                        thead { tr { th scope="col" { "Show" } th scope="col" { "Position" } } }
                        tbody {
                            @for (i, f) in fields.iter().enumerate() {
                                @let on = shown.iter().any(|s| s.id == f.id);
                                @let always = name_field == Some(f.id);
                                tr {
                                    td { label {
                                        input type="checkbox" name="col" value=(f.key) checked[on] disabled[always];
                                        " " (f.label) @if always { " (always first)" }
                                    } }
                                    td { input type="number" name={"pos_" (f.key)} value=(i + 1) min="1"
                                        aria-label={"Position of " (f.label)} size="3" disabled[always]; }
                                }
                            }
                        }
                    }
                }
                button type="submit" { "Show columns" }
                " "
                a href=(path_with(path, keep)) { "Default columns" }
            }
        }
    }
}

fn path_with(path: &str, keep: &[(&str, &str)]) -> String {
    let q = super::form::to_query(keep);
    if q.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{q}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kith_core::{CreateOptions, Workspace};

    fn deals() -> ObjectDef {
        let ws = Workspace::in_memory(CreateOptions::new("ada")).unwrap();
        ws.object_named("deals").unwrap().clone()
    }

    #[test]
    fn chosen_columns_keep_the_name_first_and_drop_unknown_fields_with_a_note() {
        let deals = deals();
        let (shown, note) = chosen(&deals, "amount,nope,stage,amount");
        let keys: Vec<&str> = shown.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(keys, ["name", "amount", "stage"]);
        assert!(note.unwrap().contains("nope"));
        let (default, none) = chosen(&deals, "");
        assert_eq!(default.len(), deals.active_fields().take(DEFAULT_COLUMNS).count());
        assert!(none.is_none());
    }

    #[test]
    fn the_menu_folds_ticked_fields_into_columns_by_position() {
        let deals = deals();
        let pairs: Vec<(String, String)> = [
            ("set_columns", "1"),
            ("col", "stage"),
            ("col", "amount"),
            ("pos_stage", "5"),
            ("pos_amount", "2"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(from_menu(&deals, &pairs).as_deref(), Some("amount,stage"));
        assert_eq!(from_menu(&deals, &pairs[1..]), None);
    }
}
