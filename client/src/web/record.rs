//! The record page: the name, every field editable in place (one small form per field,
//! so Enter saves that field and a validation message lands beside it), the conflict
//! banner, related records from both sides of every relation, the history timeline with
//! a revert button per change, and delete / restore.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use kith_core::{
    ConflictView, FieldDef, FieldKind, Filter, HistoryEntry, ObjectDef, Op, Query, RecordId, RecordView, Workspace,
};
use maud::{Markup, html};

use super::fields::{Cell, input};
use super::form::{FormPairs, query_pairs};
use super::layout::{Active, Chrome, Session, page};
use super::objects::record_inputs;
use super::undo::{Toast, Undo, redirect_with};
use super::{AppState, WebError};
use crate::app::resolve::{self as app_resolve, ResolveRequest};
use crate::app::revert::{self as app_revert, RestoreAtRequest};
use crate::app::{AppError, records};

/// Related records shown per relation.
const RELATED_LIMIT: usize = 10;

/// Records on the other side of one relation.
struct Related {
    /// "Deals · Company" (the object and the relation field pointing here).
    title: String,
    records: Vec<(RecordId, String)>,
}

/// What the record page shows, read on the workspace thread.
struct RecordData {
    chrome: Chrome,
    object: ObjectDef,
    view: RecordView,
    name: String,
    cells: Vec<(FieldDef, Cell)>,
    conflicts: Vec<ConflictView>,
    /// Validation rules the record breaks (it arrived by sync, or predates the rule):
    /// each rule's message and the labels of the fields it concerns.
    rule_breaks: Vec<(String, Vec<String>)>,
    related: Vec<Related>,
    history: Vec<HistoryEntry>,
    /// "As of" a moment: the record as it was then (read-only), and the moment.
    as_of: Option<(RecordView, String, i64)>,
    /// Manual automations of its object: a button each.
    automations: Vec<(kith_core::DocId, String)>,
}

fn read_record(ws: &Workspace, token: &Session, id: RecordId, at: Option<String>) -> Result<RecordData, WebError> {
    let as_of = match at {
        Some(text) => {
            let ms = kith_core::time_fmt::parse_datetime(&text)
                .ok_or_else(|| WebError::BadRequest(format!("'{text}' is not a date and time")))?;
            Some((ws.record_at(id, ms)?, text, ms))
        }
        None => None,
    };
    let view = ws.record(id)?;
    let row = ws.row(id)?;
    let object = ws
        .schema()
        .object(view.object)
        .cloned()
        .ok_or_else(|| WebError::NotFound(format!("the object of record {id}")))?;
    let cells: Vec<(FieldDef, Cell)> = object
        .active_fields()
        .map(|f| (f.clone(), Cell::read(ws, f, &row)))
        .collect();
    // This record's own relations first (its company, its contacts), then the records
    // whose relations point here (the company's deals, a person's tasks).
    let mut related: Vec<Related> = cells
        .iter()
        .filter(|(_, c): &&(FieldDef, Cell)| !c.links.is_empty())
        .map(|(f, c)| Related {
            title: f.label.clone(),
            records: c.links.clone(),
        })
        .collect();
    for other in ws.schema().active_objects() {
        for f in other
            .active_fields()
            .filter(|f| f.kind == FieldKind::Relation && f.target.is_none_or(|t| t == object.id))
        {
            let mut q = Query::new(other.id);
            q.filter = Some(Filter::Cond {
                field: f.id,
                op: Op::RelatedTo(id),
            });
            q.limit = RELATED_LIMIT;
            let ids = ws.query(&q).map(|p| p.ids).unwrap_or_default();
            if !ids.is_empty() {
                related.push(Related {
                    title: format!("{} · {}", other.label, f.label),
                    records: ids.iter().map(|r| (*r, ws.record_name(*r))).collect(),
                });
            }
        }
    }
    let mut history = ws.record_history(id)?;
    history.reverse();
    Ok(RecordData {
        chrome: Chrome::read(ws, token),
        name: ws.record_name(id),
        conflicts: ws.record_conflicts(id)?,
        rule_breaks: rule_breaks(ws, &object, id)?,
        automations: super::automations::manual_for(ws, &object.key),
        object,
        view,
        cells,
        related,
        history,
        as_of,
    })
}

/// A field's rejected input and why, shown beside the field.
type FieldError = (String, String, String);

/// GET /r/{record}
pub(crate) async fn show(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let pairs = query_pairs(raw.as_deref());
    let here = format!("/r/{id}");
    let toast = Toast::from_query(&pairs, &here);
    let at = pairs
        .iter()
        .find(|(k, _)| k == "at")
        .map(|(_, v)| v.clone())
        .filter(|v| !v.is_empty());
    render(&state, id, toast, None, at).await
}

async fn render(
    state: &AppState,
    id: RecordId,
    toast: Option<Toast>,
    error: Option<FieldError>,
    at: Option<String>,
) -> Result<Response, WebError> {
    let token = state.session();
    let data = state.ws.call(move |ws| read_record(ws, &token, id, at)).await??;
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let body = render_record(&data, error.as_ref());
    let title = format!("{} · {}", data.name, data.object.label);
    Ok((
        status,
        page(
            &data.chrome,
            &title,
            Active::Object(data.object.id),
            toast.as_ref(),
            body,
        ),
    )
        .into_response())
}

fn render_record(d: &RecordData, error: Option<&FieldError>) -> Markup {
    let id = d.view.id;
    let deleted = d.view.deleted_at.is_some();
    html! {
        header.record-head {
            p.crumbs { a href={"/o/" (d.object.key)} { (d.object.label) } }
            h1 { (d.name) }
            @if deleted { p.notice role="status" { "🗑 This record is in the trash." } }
            form.as-of method="get" action={"/r/" (id)} {
                label { "As of " input type="datetime-local" name="at" value=[d.as_of.as_ref().map(|(_, t, _)| t.as_str())]; }
                button.secondary.small type="submit" { "Show" }
                @if d.as_of.is_some() { " " a href={"/r/" (id)} { "Now" } }
            }
            div.actions {
                @if deleted {
                    form method="post" action={"/r/" (id) "/restore"} { (d.chrome.token_field()) button type="submit" { "Restore" } }
                } @else {
                    form method="post" action={"/r/" (id) "/delete"} { (d.chrome.token_field()) button.danger type="submit" { "Delete" } }
                }
            }
        }
        @for c in &d.conflicts { (conflict_banner(d, c)) }
        @for (message, fields) in &d.rule_breaks { (rule_break_banner(message, fields)) }
        div.record-layout {
            @if let Some((then, at, ms)) = &d.as_of {
                section.fields.as-of-view aria-label={"Fields as of " (at)} {
                    p.notice { "🕓 As it was at " (super::layout::moment(*ms)) " (read-only)." }
                    dl.facts { @for c in &then.cells { dt { (c.label) } dd { (c.display) } } }
                    form method="post" action={"/r/" (id) "/restore-at"} {
                        (d.chrome.token_field())
                        input type="hidden" name="at" value=(at);
                        button type="submit" { "Restore the record to this moment" }
                    }
                }
            } @else {
            section.fields aria-label="Fields" {
                @for (f, cell) in &d.cells {
                    // An error names the edited field first, then any others it concerns.
                    @let err = error.filter(|(k, _, _)| k.split(',').any(|k| k == f.key));
                    @let given = error.filter(|(k, _, _)| k.split(',').next() == Some(f.key.as_str())).map(|(_, given, _)| given.as_str());
                    form.field-form method="post" action={"/r/" (id) "/edit"} data-field=(f.key) {
                        (d.chrome.token_field())
                        label for={"f-" (f.key)} { (f.label) @if f.required { " *" } }
                        @if f.computed.is_some() {
                            // Derived, never typed: shown, not editable.
                            output.computed id={"f-" (f.key)} { (cell.view.display) }
                        } @else {
                            div.field-input {
                                (input(f, Some(cell), given))
                                button.save type="submit" aria-label={"Save " (f.label)} { "Save" }
                            }
                        }
                        @if !cell.view.conflicts.is_empty() { p.field-conflict { "⚠ Competing values: see above." } }
                        @if let Some((_, _, message)) = err { p.field-error role="alert" { (message) } }
                    }
                }
            }
            }
            aside.side {
                (super::automations::record_buttons(&d.chrome, id, &d.automations))
                @for r in &d.related {
                    section.related {
                        h2 { (r.title) }
                        ul { @for (rid, name) in &r.records { li { a href={"/r/" (rid)} { (name) } } } }
                    }
                }
                section.timeline aria-label="History" {
                    h2 { "History" }
                    ol {
                        @for e in &d.history { (timeline_entry(d, e)) }
                    }
                }
            }
        }
    }
}

fn timeline_entry(d: &RecordData, e: &HistoryEntry) -> Markup {
    let what = if e.created {
        "created".to_string()
    } else {
        match e.deleted {
            Some(true) => "moved to the trash".to_string(),
            Some(false) => "restored".to_string(),
            None => format!("{:?}", e.kind).to_lowercase().replace("bulkedit", "bulk edit"),
        }
    };
    html! {
        li.change {
            div.meta {
                strong { (e.author) } " " (what) " · "
                (super::layout::moment(e.time))
                " · " span.device title=(e.device) { "device " (e.device.chars().take(8).collect::<String>()) }
            }
            @if !e.fields.is_empty() {
                ul.diffs {
                    @for f in &e.fields {
                        li { (f.label) ": " span.old { (f.old.as_deref().unwrap_or("(empty)")) } " → " span.new { (f.new.as_deref().unwrap_or("(empty)")) } }
                    }
                }
            }
            @if !e.created {
                form method="post" action="/revert" {
                    (d.chrome.token_field())
                    input type="hidden" name="change" value=(e.change);
                    input type="hidden" name="back" value={"/r/" (d.view.id)};
                    button.link type="submit" { "Revert this change" }
                }
            }
        }
    }
}

/// The rules a record breaks, with their messages and the labels of their fields.
fn rule_breaks(ws: &Workspace, object: &ObjectDef, id: RecordId) -> Result<Vec<(String, Vec<String>)>, WebError> {
    let mut breaks = Vec::new();
    for rule in ws.rule_breaks_of(id)? {
        let rule = ws.rule(rule)?;
        let fields = rule
            .fields
            .iter()
            .filter_map(|f| object.field(*f).map(|f| f.label.clone()))
            .collect();
        breaks.push((rule.message, fields));
    }
    Ok(breaks)
}

/// A rule the record breaks: saving it here would be refused, but it arrived by sync
/// (or was saved before the rule), and records from other devices are never refused.
fn rule_break_banner(message: &str, fields: &[String]) -> Markup {
    html! {
        section.conflict.rule-break role="status" {
            h2 { "⚠ " (message) }
            p {
                "This record breaks a validation rule: it was saved on another device or before the rule existed. "
                @if !fields.is_empty() { "Edit " (fields.join(", ")) " so that it holds." }
            }
        }
    }
}

fn conflict_banner(d: &RecordData, c: &ConflictView) -> Markup {
    html! {
        section.conflict role="alert" {
            h2 { "⚠ Conflict on " (c.field_label) }
            p { "Edits on different devices left competing values. Keep one, or type another." }
            ul {
                @for (i, v) in c.values.iter().enumerate() {
                    li {
                        form method="post" action={"/r/" (d.view.id) "/resolve"} {
                            (d.chrome.token_field())
                            input type="hidden" name="field" value=(c.field);
                            input type="hidden" name="pick" value=(i + 1);
                            strong.value { (v.display) } " by " (v.author) " at " (super::layout::moment(v.time)) " "
                            button type="submit" { "Keep this one" }
                        }
                    }
                }
            }
            form method="post" action={"/r/" (d.view.id) "/resolve"} {
                (d.chrome.token_field())
                input type="hidden" name="field" value=(c.field);
                label { "Another value " input type="text" name="value" required; }
                button type="submit" { "Use this value" }
            }
        }
    }
}

pub(crate) fn parse_id(text: &str) -> Result<RecordId, WebError> {
    text.parse().map_err(|_| WebError::NotFound(format!("record '{text}'")))
}

/// POST /r/{record}/edit: saves the fields in the form (only those that changed).
pub(crate) async fn edit(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    form: FormPairs,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let outcome = state
        .ws
        .call(move |ws| -> Result<Result<Option<Undo>, FieldError>, WebError> {
            let object = ws.row(id)?.object;
            let obj = ws
                .schema()
                .object(object)
                .cloned()
                .ok_or_else(|| WebError::NotFound("object".into()))?;
            let inputs = record_inputs(&obj, &form);
            if inputs.is_empty() {
                return Ok(Ok(None));
            }
            // The same operation as `PATCH /api/records/{id}` and `kith record update`:
            // its validation, message and undo are written once, in `app::records`.
            let request = records::UpdateRequest {
                id: id.to_string(),
                values: inputs.clone(),
                skip_unchanged: true,
            };
            match records::update(ws, &request) {
                Ok(changed) => Ok(Ok(changed.undo.as_deref().and_then(Undo::decode))),
                Err(AppError::Kith(e)) => Ok(Err(field_error(&inputs, &e))),
                Err(e) => Err(e.into()),
            }
        })
        .await??;
    match outcome {
        Ok(undo) => {
            let done = if undo.is_some() { "Saved" } else { "Nothing changed" };
            Ok(redirect_with(&format!("/r/{id}"), done, undo.as_ref()).into_response())
        }
        Err(field_error) => render(&state, id, None, Some(field_error), None).await,
    }
}

/// Where a refused edit's message goes: beside the field it names (a type or validation
/// error), or beside the edited field and every field a broken rule concerns; the
/// field keeps what was typed.
fn field_error(inputs: &[(String, String)], e: &kith_core::Error) -> FieldError {
    let first_key = inputs.first().map(|(k, _)| k.clone()).unwrap_or_default();
    let key = match e {
        kith_core::Error::Validation(v) if inputs.iter().any(|(k, _)| *k == v.field) => v.field.clone(),
        kith_core::Error::RuleBroken { fields, .. } => std::iter::once(first_key.clone())
            .chain(fields.iter().cloned())
            .collect::<Vec<_>>()
            .join(","),
        _ => first_key,
    };
    let named = key.split(',').next().unwrap_or_default();
    let given = inputs
        .iter()
        .find(|(k, _)| k == named)
        .or(inputs.first())
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    (key, given, message(e))
}

/// A core error as one sentence for people.
fn message(e: &kith_core::Error) -> String {
    match e {
        kith_core::Error::Validation(v) => format!("{}: {}", v.value, v.reason),
        kith_core::Error::RuleBroken { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

/// POST /r/{record}/delete
pub(crate) async fn delete(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> Result<Redirect, WebError> {
    let id = parse_id(&id)?;
    let (object, undo) = state
        .ws
        .call(move |ws| -> Result<(String, Option<Undo>), WebError> {
            let key = ws.record(id)?.object_key;
            let changed = records::delete(ws, &records::RecordRequest { id: id.to_string() })?;
            Ok((key, changed.undo.as_deref().and_then(Undo::decode)))
        })
        .await??;
    Ok(redirect_with(
        &format!("/o/{object}"),
        "Record moved to the trash",
        undo.as_ref(),
    ))
}

/// POST /r/{record}/restore
pub(crate) async fn restore(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> Result<Redirect, WebError> {
    let id = parse_id(&id)?;
    let undo = state
        .ws
        .call(move |ws| -> Result<Option<Undo>, WebError> {
            let request = records::RestoreRequest {
                id: id.to_string(),
                set: Vec::new(),
            };
            Ok(records::restore(ws, &request)?.undo.as_deref().and_then(Undo::decode))
        })
        .await??;
    Ok(redirect_with(&format!("/r/{id}"), "Record restored", undo.as_ref()))
}

/// POST /r/{record}/resolve: `field` and either `pick` (1-based) or `value`.
pub(crate) async fn resolve(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    form: FormPairs,
) -> Result<Redirect, WebError> {
    let id = parse_id(&id)?;
    let field: kith_core::FieldId = form
        .require("field")?
        .parse()
        .map_err(|_| WebError::BadRequest("unknown field".into()))?;
    let pick = match form.get("pick") {
        Some(n) => Some(n.parse().map_err(|_| WebError::BadRequest(format!("bad pick '{n}'")))?),
        None => None,
    };
    let value = form.get("value").filter(|_| pick.is_none()).map(str::to_string);
    if pick.is_none() && value.is_none() {
        return Err(WebError::BadRequest("pick a value or type one".into()));
    }
    let undo = state
        .ws
        .call(move |ws| -> Result<Option<Undo>, WebError> {
            // The same operation as `POST /api/records/{id}/resolve` and `kith resolve`.
            let object = ws.row(id)?.object;
            let key = ws
                .schema()
                .object(object)
                .and_then(|o| o.field(field))
                .map(|f| f.key.clone())
                .ok_or_else(|| WebError::BadRequest("unknown field".into()))?;
            let request = ResolveRequest {
                id: id.to_string(),
                field: key,
                pick,
                value,
            };
            Ok(app_resolve::resolve(ws, &request)?
                .undo
                .as_deref()
                .and_then(Undo::decode))
        })
        .await??;
    Ok(redirect_with(&format!("/r/{id}"), "Conflict settled", undo.as_ref()))
}

/// POST /r/{record}/restore-at: `at` (a date and time, UTC): the record as it was then,
/// written as one new change group.
pub(crate) async fn restore_at(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    form: FormPairs,
) -> Result<Redirect, WebError> {
    let id = parse_id(&id)?;
    let at = form.require("at")?.to_string();
    let ms = kith_core::time_fmt::parse_datetime(&at)
        .ok_or_else(|| WebError::BadRequest(format!("'{at}' is not a date and time")))?;
    // The same operation as `POST /api/records/{id}/restore-at` and `kith record restore
    // --at`.
    let request = RestoreAtRequest {
        id: id.to_string(),
        at: ms,
    };
    let restored = state.ws.call(move |ws| app_revert::restore_at(ws, &request)).await??;
    let undo = restored
        .group
        .as_deref()
        .and_then(|g| Undo::decode(&format!("group:{g}")));
    Ok(redirect_with(
        &format!("/r/{id}"),
        &format!("Restored to {at}"),
        undo.as_ref(),
    ))
}
