//! The schema editor: objects and their fields (add, rename, retype with the report of
//! values that do not convert shown before confirming, reorder, archive and restore),
//! select options with colours, and the schema's history with a revert per change.
//! Every change answers with an undo toast (a schema change is one revertible change).

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use kith_core::{ComputedSpec, FieldDef, FieldKind, HistoryEntry, ObjectDef, ObjectId, Schema};
use maud::{Markup, html};

use super::fields::color_class;
use super::form::query_pairs;
use super::layout::{Active, Chrome, page};
use super::undo::Toast;
use super::{AppState, WebError};

/// The palette option colours come from (the stylesheet has a pill for each).
use crate::app::options::COLORS;
/// Schema changes listed in the history.
const HISTORY_SHOWN: usize = 30;

/// GET /schema
pub(crate) async fn show(State(state): State<Arc<AppState>>, RawQuery(raw): RawQuery) -> Result<Response, WebError> {
    let token = state.session();
    let (chrome, schema, history, sources, rules) = state
        .ws
        .call(move |ws| -> Result<_, WebError> {
            let mut history = ws.schema_history()?;
            history.reverse();
            history.truncate(HISTORY_SHOWN);
            let sources: Sources = ws
                .schema()
                .objects
                .iter()
                .flat_map(|o| o.fields.iter().map(move |f| (o.id, f.id)))
                .filter_map(|(o, f)| ws.computed_source(o, f).map(|s| (f, s)))
                .collect();
            let rules = super::rules::shown_rules(ws)?;
            Ok((Chrome::read(ws, &token), ws.schema().clone(), history, sources, rules))
        })
        .await??;
    let toast = Toast::from_query(&query_pairs(raw.as_deref()), "/schema");
    let body = render(&chrome, &schema, &history, &sources, &rules);
    Ok(page(&chrome, "Schema", Active::Schema, toast.as_ref(), body).into_response())
}

/// Computed fields' definitions as people write them, by field.
type Sources = std::collections::HashMap<kith_core::FieldId, String>;

fn render(
    chrome: &Chrome,
    schema: &Schema,
    history: &[HistoryEntry],
    sources: &Sources,
    rules: &[super::rules::ShownRule],
) -> Markup {
    html! {
        h1 { "Schema" }
        p.muted { "Objects and their fields. Renaming, retyping and archiving keep every value; each change can be reverted." }
        @for o in schema.active_objects() { (object_section(chrome, o, sources, rules)) }
        (objects_footer(chrome, schema))
        section.schema-history {
            h2 { "Schema history" }
            ol.timeline-list {
                @for e in history {
                    li {
                        span.muted { (e.author) " · " (super::layout::moment(e.time)) } " "
                        @for f in &e.fields { span { (f.label) @if let Some(n) = &f.new { ": " (n) } } " " }
                        form.inline method="post" action="/revert" {
                            (chrome.token_field())
                            input type="hidden" name="change" value=(e.change);
                            input type="hidden" name="back" value="/schema";
                            button.link type="submit" { "Revert" }
                        }
                    }
                }
            }
        }
    }
}

fn object_section(chrome: &Chrome, o: &ObjectDef, sources: &Sources, rules: &[super::rules::ShownRule]) -> Markup {
    let active: Vec<&FieldDef> = o.active_fields().collect();
    let archived: Vec<&FieldDef> = o.fields.iter().filter(|f| f.archived).collect();
    html! {
        section.schema-object id={"object-" (o.key)} {
            h2 { a href={"/o/" (o.key)} { (o.label) } " " code.muted { (o.key) } }
            (object_actions(chrome, o))
            table.records.schema-fields {
                thead { tr { th { "Field" } th { "Key" } th { "Type" } th { "Options" } th { "" } } }
                tbody {
                    @for (i, f) in active.iter().enumerate() {
                        tr data-field=(f.key) {
                            td { (rename_form(chrome, o.id, f)) }
                            td { code { (f.key) } div.toggles {
                                (setting_toggle(chrome, o.id, f, "required", f.required))
                                (setting_toggle(chrome, o.id, f, "unique", f.unique))
                            } }
                            td { @if f.computed.is_some() { (computed_cell(chrome, o.id, f, sources)) } @else { (retype_form(o, f)) } }
                            td { (options_cell(chrome, o.id, f)) }
                            td.actions {
                                @if i > 0 { (field_action(chrome, o.id, f, "up", "↑", &format!("Move {} up", f.label))) }
                                @if i + 1 < active.len() { (field_action(chrome, o.id, f, "down", "↓", &format!("Move {} down", f.label))) }
                                (field_action(chrome, o.id, f, "archive", "Archive", &format!("Archive {}", f.label)))
                            }
                        }
                    }
                }
            }
            @if !archived.is_empty() {
                p.muted { "Archived (values kept): "
                    @for f in &archived { span.chip { (f.label) " " (field_action(chrome, o.id, f, "restore", "Restore", &format!("Restore {}", f.label))) } " " }
                }
            }
            (add_field_form(chrome, o.id))
            (super::rules::rules_section(chrome, o, rules))
        }
    }
}

fn field_action(chrome: &Chrome, object: ObjectId, f: &FieldDef, action: &str, text: &str, label: &str) -> Markup {
    html! {
        form.inline method="post" action="/schema/field/change" {
            (chrome.token_field())
            input type="hidden" name="object" value=(object);
            input type="hidden" name="field" value=(f.id);
            input type="hidden" name="action" value=(action);
            button.small.secondary type="submit" aria-label=(label) { (text) }
        }
    }
}

/// A button that turns a field's rule (`required`, `unique`) on or off.
fn setting_toggle(chrome: &Chrome, object: ObjectId, f: &FieldDef, setting: &str, on: bool) -> Markup {
    let label = format!("{} {setting}", f.label);
    html! {
        form.inline method="post" action="/schema/field/change" {
            (chrome.token_field())
            input type="hidden" name="object" value=(object);
            input type="hidden" name="field" value=(f.id);
            input type="hidden" name="action" value=(setting);
            input type="hidden" name="value" value=(!on);
            button.small.secondary.toggle type="submit" aria-pressed=(on) aria-label=(label) {
                @if on { "✓ " } (setting)
            }
        }
    }
}

/// An object's label (renamed on Enter) and its Archive button.
fn object_actions(chrome: &Chrome, o: &ObjectDef) -> Markup {
    html! {
        div.object-actions {
            form.inline method="post" action="/schema/object/change" {
                (chrome.token_field())
                input type="hidden" name="object" value=(o.id);
                input type="hidden" name="action" value="rename";
                input type="text" name="label" value=(o.label) aria-label={"Label of the object " (o.label)} required;
            }
            " "
            form.inline method="post" action="/schema/object/change" {
                (chrome.token_field())
                input type="hidden" name="object" value=(o.id);
                input type="hidden" name="action" value="archive";
                button.small.secondary type="submit" aria-label={"Archive the object " (o.label)} { "Archive object" }
            }
        }
    }
}

/// Archived objects with a Restore each, and the form that adds an object.
fn objects_footer(chrome: &Chrome, schema: &Schema) -> Markup {
    let archived: Vec<&ObjectDef> = schema.objects.iter().filter(|o| o.archived).collect();
    html! {
        @if !archived.is_empty() {
            p.muted { "Archived objects (records kept): "
                @for o in &archived {
                    span.chip { (o.label) " "
                        form.inline method="post" action="/schema/object/change" {
                            (chrome.token_field())
                            input type="hidden" name="object" value=(o.id);
                            input type="hidden" name="action" value="restore";
                            button.small.secondary type="submit" aria-label={"Restore the object " (o.label)} { "Restore" }
                        }
                    } " "
                }
            }
        }
        details.add-object {
            summary { "+ Add an object" }
            form method="post" action="/schema/object" {
                (chrome.token_field())
                label { "Label " input type="text" name="label" required placeholder="Projects"; }
                button type="submit" { "Add object" }
                p.muted { "It starts with a name field, which its records are shown and found by." }
            }
        }
    }
}

fn rename_form(chrome: &Chrome, object: ObjectId, f: &FieldDef) -> Markup {
    html! {
        form.inline method="post" action="/schema/field/change" {
            (chrome.token_field())
            input type="hidden" name="object" value=(object);
            input type="hidden" name="field" value=(f.id);
            input type="hidden" name="action" value="rename";
            input type="text" name="label" value=(f.label) aria-label={"Label of " (f.label)} required;
            @if f.required { " *" }
        }
    }
}

fn retype_form(o: &ObjectDef, f: &FieldDef) -> Markup {
    html! {
        form.inline method="get" action="/schema/retype" {
            input type="hidden" name="object" value=(o.id);
            input type="hidden" name="field" value=(f.id);
            select name="kind" aria-label={"Type of " (f.label)} {
                @for k in FieldKind::ALL { option value=(k.as_str()) selected[k == f.kind] { (k.as_str()) } }
            }
            button.small.secondary type="submit" { "Change type…" }
        }
    }
}

fn options_cell(chrome: &Chrome, object: ObjectId, f: &FieldDef) -> Markup {
    if !matches!(f.kind, FieldKind::Select | FieldKind::MultiSelect) {
        return html! {};
    }
    html! {
        div.options {
        @for opt in f.options.iter().filter(|o| !o.archived) {
            span.option-item {
            form.inline.option method="post" action="/schema/option" {
                (chrome.token_field())
                input type="hidden" name="object" value=(object);
                input type="hidden" name="field" value=(f.id);
                input type="hidden" name="option" value=(opt.id);
                span class=(color_class(&opt.color)) { (opt.label) }
                select name="color" aria-label={"Colour of " (opt.label)} data-autosubmit {
                    @for c in COLORS { option value=(c) selected[c == opt.color] { (c) } }
                }
                noscript { button.small type="submit" { "Set" } }
            }
            (option_menu(chrome, object, f, opt))
            }
        }
        @for opt in f.options.iter().filter(|o| o.archived) {
            form.inline.option method="post" action="/schema/option" {
                (chrome.token_field())
                input type="hidden" name="object" value=(object);
                input type="hidden" name="field" value=(f.id);
                input type="hidden" name="option" value=(opt.id);
                input type="hidden" name="action" value="restore";
                span.muted { s { (opt.label) } }
                button.small.secondary type="submit" aria-label={"Restore option " (opt.label)} { "Restore" }
            }
        }
        form.inline method="post" action="/schema/option" {
            (chrome.token_field())
            input type="hidden" name="object" value=(object);
            input type="hidden" name="field" value=(f.id);
            input type="text" name="add" placeholder="New option" aria-label={"New option of " (f.label)} size="10";
            button.small.secondary type="submit" { "Add" }
        }
        }
    }
}

/// An option's other changes, folded away: rename, move up or down, archive.
fn option_menu(chrome: &Chrome, object: ObjectId, f: &FieldDef, opt: &kith_core::SelectOption) -> Markup {
    let hidden = html! {
        (chrome.token_field())
        input type="hidden" name="object" value=(object);
        input type="hidden" name="field" value=(f.id);
        input type="hidden" name="option" value=(opt.id);
    };
    let button = |action: &str, text: &str, label: String| {
        html! {
            form.inline method="post" action="/schema/option" {
                (hidden)
                input type="hidden" name="action" value=(action);
                button.small.secondary type="submit" aria-label=(label) { (text) }
            }
        }
    };
    html! {
        details.option-menu {
            summary aria-label={"More for option " (opt.label)} { "…" }
            form.inline method="post" action="/schema/option" {
                (hidden)
                input type="hidden" name="action" value="rename";
                input type="text" name="label" value=(opt.label) aria-label={"Label of option " (opt.label)} size="10" required;
            }
            (button("up", "↑", format!("Move option {} up", opt.label)))
            (button("down", "↓", format!("Move option {} down", opt.label)))
            (button("archive", "Archive", format!("Archive option {}", opt.label)))
        }
    }
}

fn add_field_form(chrome: &Chrome, object: ObjectId) -> Markup {
    html! {
        details.add-field {
            summary { "+ Add a field" }
            form method="post" action="/schema/field" {
                (chrome.token_field())
                input type="hidden" name="object" value=(object);
                label { "Label " input type="text" name="label" required; }
                label { "Type " select name="kind" {
                    @for k in FieldKind::ALL { option value=(k.as_str()) { (k.as_str()) } }
                    @for k in COMPUTED_KINDS { option value=(k) { (k) } }
                } }
                label { "Options (select) " input type="text" name="options" placeholder="Hot; Warm; Cold"; }
                (definition_input(object, ""))
                button type="submit" { "Add field" }
            }
        }
    }
}

/// The computed field kinds the editor offers besides stored types.
const COMPUTED_KINDS: [&str; 3] = ["formula", "lookup", "rollup"];

/// The definition of a computed field (formula, `relation.field` lookup, rollup), with a
/// live preview on the object's first record as people type (app.js fetches
/// `/schema/computed/preview`).
fn definition_input(object: ObjectId, value: &str) -> Markup {
    html! {
        label.definition { "Formula, lookup or rollup "
            input type="text" name="definition" value=(value) size="40"
                placeholder="amount * 2 · company.industry · deals.amount sum where stage != Lost"
                data-computed-preview=(object);
        }
        output.computed-preview.muted aria-live="polite" {}
    }
}

/// The spec a form's `kind` and `definition` give, if the kind is a computed one.
fn computed_spec(kind: &str, definition: &str) -> Option<ComputedSpec> {
    let definition = definition.trim().to_string();
    match kind {
        "formula" => Some(ComputedSpec::Formula(definition)),
        "lookup" => Some(ComputedSpec::Lookup(definition)),
        "rollup" => Some(ComputedSpec::Rollup(definition)),
        _ => None,
    }
}

/// GET /schema/computed/preview?object=&kind=&definition=&record=: what the definition
/// yields on a record (the object's first by default), or the error with its position.
pub(crate) async fn computed_preview(
    State(state): State<Arc<AppState>>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let pairs = query_pairs(raw.as_deref());
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let object: ObjectId = get("object")
        .parse()
        .map_err(|_| WebError::BadRequest("unknown object".into()))?;
    let Some(spec) = computed_spec(&get("kind"), &get("definition")) else {
        return Ok(axum::response::Html(String::new()).into_response());
    };
    let record = get("record").parse().ok();
    let result = state
        .ws
        .call(move |ws| {
            ws.preview_computed(object, &spec, record).map(|p| {
                let shown = p.record.and_then(|id| ws.record(id).ok());
                (p, shown)
            })
        })
        .await?;
    let body = match result {
        Ok((p, record)) => html! {
            span.preview-value {
                @match &record {
                    Some(r) => { "On " a href={"/r/" (r.id)} { (record_name(r)) } ": " }
                    None => { "No record to try it on yet: " }
                }
                strong { @if p.display.is_empty() { "(empty)" } @else { (p.display) } }
                " (" (p.kind) ")"
            }
        },
        Err(e) => html! { span.preview-error.error { (e.to_string()) } },
    };
    Ok(axum::response::Html(body.into_string()).into_response())
}

fn record_name(r: &kith_core::RecordView) -> String {
    r.cells
        .iter()
        .find(|c| c.kind == FieldKind::Text && !c.display.is_empty())
        .map_or_else(|| r.id.to_string(), |c| c.display.clone())
}

/// A computed field's type cell: what it computes, editable, with a live preview.
fn computed_cell(chrome: &Chrome, object: ObjectId, f: &FieldDef, sources: &Sources) -> Markup {
    let Some(computed) = &f.computed else {
        return html! {};
    };
    html! {
        form.inline.computed method="post" action="/schema/field/change" {
            (chrome.token_field())
            input type="hidden" name="object" value=(object);
            input type="hidden" name="field" value=(f.id);
            input type="hidden" name="action" value="compute";
            input type="hidden" name="kind" value=(computed.type_name());
            span.muted { (computed.type_name()) " → " (f.kind) " " }
            (definition_input(object, sources.get(&f.id).map_or("", String::as_str)))
            button type="submit" { "Save" }
        }
    }
}
