//! The schema editor: objects and their fields (add, rename, retype with the report of
//! values that do not convert shown before confirming, reorder, archive and restore),
//! select options with colours, and the schema's history with a revert per change.
//! Every change answers with an undo toast (a schema change is one revertible change).

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use kith_core::{ComputedSpec, FieldDef, FieldKind, HistoryEntry, ObjectDef, ObjectId, Schema, Workspace};
use maud::{Markup, html};

use super::fields::color_class;
use super::form::{FormPairs, query_pairs};
use super::layout::{Active, Chrome, page};
use super::undo::{Toast, Undo, redirect_with};
use super::{AppState, WebError};
use crate::app::fields::{self, AddFieldRequest, FieldRequest, RenameFieldRequest};

/// The palette option colours come from (the stylesheet has a pill for each).
const COLORS: [&str; 10] = [
    "gray", "red", "orange", "yellow", "green", "teal", "blue", "purple", "pink", "brown",
];
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
        section.schema-history {
            h2 { "Schema history" }
            ol.timeline-list {
                @for e in history {
                    li {
                        span.muted { (e.author) " · " (kith_core::time_fmt::format_datetime(e.time)) } " "
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
            table.records.schema-fields {
                thead { tr { th { "Field" } th { "Key" } th { "Type" } th { "Options" } th { "" } } }
                tbody {
                    @for (i, f) in active.iter().enumerate() {
                        tr data-field=(f.key) {
                            td { (rename_form(chrome, o.id, f)) }
                            td { code { (f.key) } }
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
            form.inline.option method="post" action="/schema/option" {
                (chrome.token_field())
                input type="hidden" name="object" value=(object);
                input type="hidden" name="field" value=(f.id);
                input type="hidden" name="option" value=(opt.label);
                span class=(color_class(&opt.color)) { (opt.label) }
                select name="color" aria-label={"Colour of " (opt.label)} data-autosubmit {
                    @for c in COLORS { option value=(c) selected[c == opt.color] { (c) } }
                }
                noscript { button.small type="submit" { "Set" } }
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

/// The newest schema change, as an undo.
fn last_schema_change(ws: &Workspace) -> Option<Undo> {
    ws.schema_history().ok()?.last().map(|e| Undo::Change(e.change.clone()))
}

fn ids(form: &FormPairs) -> Result<(ObjectId, Option<kith_core::FieldId>), WebError> {
    let object = form
        .require("object")?
        .parse()
        .map_err(|_| WebError::BadRequest("unknown object".into()))?;
    let field = match form.get("field") {
        Some(f) => Some(f.parse().map_err(|_| WebError::BadRequest("unknown field".into()))?),
        None => None,
    };
    Ok((object, field))
}

/// POST /schema/field: `object`, `label`, `kind`, `options` (for selects).
pub(crate) async fn add_field(State(state): State<Arc<AppState>>, form: FormPairs) -> Result<Redirect, WebError> {
    let (object, _) = ids(&form)?;
    let label = form.require("label")?.trim().to_string();
    if let Some(spec) = computed_spec(form.require("kind")?, form.get("definition").unwrap_or_default()) {
        let key = kith_core::schema::key_from_label(&label);
        let shown = label_for(&label);
        let undo = state
            .ws
            .call(move |ws| -> Result<Option<Undo>, WebError> {
                ws.add_computed_field(object, &key, &shown, &spec)?;
                Ok(last_schema_change(ws))
            })
            .await??;
        return Ok(redirect_with(
            "/schema",
            &format!("Field “{label}” added"),
            undo.as_ref(),
        ));
    }
    let kind: FieldKind = form
        .require("kind")?
        .parse()
        .map_err(|_| WebError::BadRequest("unknown field type".into()))?;
    // The same operation as `POST /api/objects/{object}/fields` and `kith field add`.
    let request = AddFieldRequest {
        object: object.to_string(),
        key: None,
        label: Some(label),
        kind,
        required: false,
        unique: false,
        options: form
            .get("options")
            .unwrap_or_default()
            .split(';')
            .map(str::to_string)
            .collect(),
        target: None,
        many: false,
        currency: None,
        max_rating: None,
    };
    let added = state.ws.call(move |ws| fields::add(ws, &request)).await??;
    let undo = added.undo.as_deref().and_then(Undo::decode);
    Ok(redirect_with("/schema", &added.message, undo.as_ref()))
}

/// POST /schema/field/change: `object`, `field`, `action` = rename (with `label`), up,
/// down, archive, restore, retype (with `kind`).
pub(crate) async fn change_field(State(state): State<Arc<AppState>>, form: FormPairs) -> Result<Redirect, WebError> {
    let (object, field) = ids(&form)?;
    let field = field.ok_or_else(|| WebError::BadRequest("say which field".into()))?;
    let action = form.require("action")?.to_string();
    let label = form.get("label").map(str::to_string);
    let kind = form.get("kind").map(str::to_string);
    let definition = form.get("definition").unwrap_or_default().to_string();
    let (message, undo) = state
        .ws
        .call(move |ws| -> Result<(String, Option<Undo>), WebError> {
            let obj = ws
                .schema()
                .object(object)
                .cloned()
                .ok_or_else(|| WebError::NotFound("object".into()))?;
            let def = obj
                .fields
                .iter()
                .find(|f| f.id == field)
                .cloned()
                .ok_or_else(|| WebError::NotFound("field".into()))?;
            let position = obj.active_fields().position(|f| f.id == field).unwrap_or(0);
            let message = match action.as_str() {
                // Rename, archive and restore are the operations of `kith field` and
                // `/api/objects/{object}/fields/{field}…`.
                "rename" => {
                    let label = label.ok_or_else(|| WebError::BadRequest("a label is needed".into()))?;
                    let request = RenameFieldRequest {
                        object: object.to_string(),
                        field: field.to_string(),
                        label: Some(label),
                        key: None,
                    };
                    let renamed = fields::rename(ws, &request)?;
                    return Ok((renamed.message, renamed.undo.as_deref().and_then(Undo::decode)));
                }
                "up" => {
                    ws.reorder_field(object, field, position.saturating_sub(1))?;
                    format!("“{}” moved up", def.label)
                }
                "down" => {
                    ws.reorder_field(object, field, position + 1)?;
                    format!("“{}” moved down", def.label)
                }
                "archive" | "restore" => {
                    let request = FieldRequest {
                        object: object.to_string(),
                        field: field.to_string(),
                    };
                    let done = fields::set_archived(ws, &request, action == "archive")?;
                    return Ok((done.message, done.undo.as_deref().and_then(Undo::decode)));
                }
                "retype" => {
                    let kind: FieldKind = kind
                        .as_deref()
                        .unwrap_or_default()
                        .parse()
                        .map_err(|_| WebError::BadRequest("unknown field type".into()))?;
                    let report = ws.retype_field(object, field, kind, None)?;
                    format!(
                        "“{}” is now {}: {} values converted, {} kept as they were",
                        def.label,
                        kind.as_str(),
                        report.converted,
                        report.unconverted.len()
                    )
                }
                "compute" => {
                    let spec = computed_spec(kind.as_deref().unwrap_or_default(), &definition)
                        .ok_or_else(|| WebError::BadRequest("say formula, lookup or rollup".into()))?;
                    ws.edit_computed_field(object, field, &spec)?;
                    format!("“{}” now computes {}", def.label, definition.trim())
                }
                other => return Err(WebError::BadRequest(format!("unknown action '{other}'"))),
            };
            Ok((message, last_schema_change(ws)))
        })
        .await??;
    Ok(redirect_with("/schema", &message, undo.as_ref()))
}

/// POST /schema/option: `object`, `field`, and `add` (a new option) or `option` + `color`.
pub(crate) async fn change_option(State(state): State<Arc<AppState>>, form: FormPairs) -> Result<Redirect, WebError> {
    let (object, field) = ids(&form)?;
    let field = field.ok_or_else(|| WebError::BadRequest("say which field".into()))?;
    let add = form
        .get("add")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    let recolor = form
        .get("option")
        .zip(form.get("color"))
        .map(|(o, c)| (o.to_string(), c.to_string()));
    let (message, undo) = state
        .ws
        .call(move |ws| -> Result<(String, Option<Undo>), WebError> {
            let message = match (add, recolor) {
                (Some(label), _) => {
                    ws.add_options(object, field, std::slice::from_ref(&label))?;
                    format!("Option “{label}” added")
                }
                (None, Some((option, color))) => {
                    if !COLORS.contains(&color.as_str()) {
                        return Err(WebError::BadRequest(format!("unknown colour '{color}'")));
                    }
                    ws.recolor_option(object, field, &option, &color)?;
                    format!("“{option}” is now {color}")
                }
                _ => return Err(WebError::BadRequest("name an option to add or recolour".into())),
            };
            Ok((message, last_schema_change(ws)))
        })
        .await??;
    Ok(redirect_with("/schema", &message, undo.as_ref()))
}

/// GET /schema/retype?object=&field=&kind=: what retyping would do to the values, and a
/// button to confirm.
pub(crate) async fn retype_preview(
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
    let field: kith_core::FieldId = get("field")
        .parse()
        .map_err(|_| WebError::BadRequest("unknown field".into()))?;
    let kind: FieldKind = get("kind")
        .parse()
        .map_err(|_| WebError::BadRequest("unknown field type".into()))?;
    let token = state.session();
    let (chrome, def, converted, unconverted) = state
        .ws
        .call(move |ws| -> Result<_, WebError> {
            let obj = ws
                .schema()
                .object(object)
                .cloned()
                .ok_or_else(|| WebError::NotFound("object".into()))?;
            let def = obj
                .field(field)
                .cloned()
                .ok_or_else(|| WebError::NotFound("field".into()))?;
            let mut probe = def.clone();
            probe.kind = kind;
            let (mut converted, mut unconverted) = (0usize, Vec::new());
            let creates_options = matches!(kind, FieldKind::Select | FieldKind::MultiSelect) && def.options.is_empty();
            ws.for_each_row(object, |id, row| {
                if let Some(stored) = row.get(field).filter(|s| !s.is_empty()) {
                    if creates_options || kith_core::field_type::read(&probe, stored).is_some() {
                        converted += 1;
                    } else {
                        unconverted.push((id, stored.raw_text()));
                    }
                }
            })?;
            let names: Vec<(kith_core::RecordId, String, String)> = unconverted
                .iter()
                .take(50)
                .map(|(id, v)| (*id, ws.record_name(*id), v.clone()))
                .collect();
            Ok((Chrome::read(ws, &token), def, converted, (unconverted.len(), names)))
        })
        .await??;
    let body = html! {
        h1 { "Change the type of “" (def.label) "”" }
        p { "From " strong { (def.kind.as_str()) } " to " strong { (kind.as_str()) } ". "
            (converted) " values convert; " (unconverted.0) " do not and will be kept as they are (shown with ⚠ until fixed or retyped back)." }
        @if !unconverted.1.is_empty() {
            table.records { thead { tr { th { "Record" } th { "Value that does not convert" } } } tbody {
                @for (id, name, value) in &unconverted.1 { tr { td { a href={"/r/" (id)} { (name) } } td { (value) } } }
            } }
        }
        form method="post" action="/schema/field/change" {
            (chrome.token_field())
            input type="hidden" name="object" value=(object);
            input type="hidden" name="field" value=(field);
            input type="hidden" name="action" value="retype";
            input type="hidden" name="kind" value=(kind.as_str());
            button type="submit" { "Change the type" } " "
            a href="/schema" { "Cancel" }
        }
    };
    Ok(page(&chrome, "Change a field's type", Active::Schema, None, body).into_response())
}

fn label_for(label: &str) -> String {
    label.trim().to_string()
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
