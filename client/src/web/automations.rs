//! Automations: the list (enable / disable, remove), the editor (trigger, condition,
//! actions), the run log (revert a run), and the manual-trigger buttons of record pages.
//! Each automation is an automation document (kith-core); the editor writes its
//! definition, the same JSON `kith automation add --from` reads.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use kith_core::automation::{Action, AutomationDef, Trigger};
use kith_core::{Automation, AutomationRun, DocId, RecordId, Workspace};
use maud::{Markup, html};

use super::form::{FormPairs, query_pairs};
use super::layout::{Active, Chrome, page};
use super::undo::{Toast, Undo, redirect_with};
use super::{AppState, WebError};
use crate::app::Changed;
use crate::app::automations::{
    self, AddAutomationRequest, AutomationRequest, EditAutomationRequest, OnRecordRequest, RevertRunRequest,
    RunsRequest,
};

/// Runs shown on the run log page.
const RUNS_SHOWN: usize = 200;

fn parse_doc(id: &str) -> Result<DocId, WebError> {
    id.parse().map_err(|_| WebError::NotFound(format!("automation {id}")))
}

/// GET /automations: every automation, with its switch, and the editor for a new one.
pub(crate) async fn list(State(state): State<Arc<AppState>>, RawQuery(raw): RawQuery) -> Result<Response, WebError> {
    let token = state.session();
    let (chrome, all, objects) = state
        .ws
        .call(move |ws| {
            let objects: Vec<String> = ws.schema().active_objects().map(|o| o.key.clone()).collect();
            (Chrome::read(ws, &token), automations::list(ws), objects)
        })
        .await?;
    let all = all?;
    let toast = Toast::from_query(&query_pairs(raw.as_deref()), "/automations");
    let body = html! {
        header.page-head {
            h1 { "Automations" }
            p { a href="/automations/runs" { "Run log" } }
        }
        @if all.is_empty() {
            p.empty { "No automations yet. An automation does something when a record is created or changed, reaches a date, or when you press its button on the record page: set fields, create a task or a record, link records. It runs once, on the device where the change is made, and every run can be reverted." }
        } @else {
            table.automations {
                thead { tr { th { "Name" } th { "Object" } th { "When" } th { "Does" } th { "On" } th { span.visually-hidden { "Actions" } } } }
                tbody {
                    @for a in &all { (row(&chrome, a)) }
                }
            }
        }
        h2 #new { "New automation" }
        (editor(&chrome, "/automations", "", None, &objects, "Add automation"))
    };
    Ok(page(&chrome, "Automations", Active::Automations, toast.as_ref(), body).into_response())
}

fn row(chrome: &Chrome, a: &Automation) -> Markup {
    let (object, trigger, actions) = match &a.definition {
        Some(d) => (
            d.object.clone(),
            d.trigger.describe(),
            d.actions.iter().map(Action::describe).collect::<Vec<_>>().join("; "),
        ),
        None => (
            String::new(),
            format!("⚠ {}", a.problem.clone().unwrap_or_default()),
            String::new(),
        ),
    };
    let condition = a.definition.as_ref().and_then(|d| d.condition.clone());
    html! {
        tr {
            td { a href={"/automations/" (a.id)} { (a.name) } }
            td { (object) }
            td { (trigger) @if let Some(c) = condition { br; span.muted { "if " (c) } } }
            td { (actions) }
            td {
                form method="post" action={"/automations/" (a.id) "/toggle"} {
                    (chrome.token_field())
                    button.secondary.small type="submit" aria-pressed=(a.enabled.to_string())
                        aria-label={(if a.enabled { "Disable " } else { "Enable " }) (a.name)} {
                        @if a.enabled { "✓ On" } @else { "Off" }
                    }
                }
            }
            td {
                a.small href={"/automations/runs?automation=" (a.id)} { "Runs" }
                form.inline method="post" action={"/automations/" (a.id) "/delete"} {
                    (chrome.token_field())
                    button.danger.small type="submit" aria-label={"Remove " (a.name)} { "Remove" }
                }
            }
        }
    }
}

/// The editor's fields, filled from `def` when editing.
fn editor(
    chrome: &Chrome,
    action: &str,
    name: &str,
    def: Option<&AutomationDef>,
    objects: &[String],
    submit: &str,
) -> Markup {
    let form = EditorForm::from_def(def);
    let kinds = [
        ("created", "a record is created"),
        ("changed", "a field changes"),
        ("matches", "a record starts matching a filter"),
        ("date", "a date field is reached"),
        ("manual", "someone presses its button on the record page"),
    ];
    html! {
        form.automation-editor method="post" action=(action) {
            (chrome.token_field())
            fieldset {
                legend { "Automation" }
                label { "Name " input name="name" required value=(name); }
                label { "Records of "
                    select name="object" {
                        @for o in objects { option value=(o) selected[form.object == *o] { (o) } }
                    }
                }
            }
            fieldset {
                legend { "When" }
                label { "Trigger "
                    select name="trigger" {
                        @for (k, label) in kinds { option value=(k) selected[form.trigger == k] { (label) } }
                    }
                }
                label { "Field (changes, dates) " input name="field" value=(form.field) placeholder="stage"; }
                label { "From value " input name="old" value=(form.old) placeholder="any"; }
                label { "To value " input name="new" value=(form.new) placeholder="any"; }
                label { "Filter (starts matching) " input name="filter" value=(form.filter) placeholder="amount > 1000"; }
                label { "Days after the date (negative: before) " input name="offset" type="number" value=(form.offset); }
            }
            fieldset {
                legend { "Only if" }
                label { "Condition (filter, or = formula) " input name="condition" value=(form.condition) placeholder="stage = Won"; }
            }
            fieldset {
                legend { "Do" }
                label { "Set fields (field=value, one a line; {name}, {today+3}, = formula) "
                    textarea name="set" rows="3" placeholder="probability=100" { (form.set) } }
                label { "Create a task titled " input name="task" value=(form.task) placeholder="Follow up with {name}"; }
                label { "… due in days " input name="task_due" type="number" value=(form.task_due); }
                label { "… in object " input name="task_object" value=(form.task_object) placeholder="tasks"; }
                label { "Create records (OBJECT: field=value; field=value, one a line) "
                    textarea name="create" rows="2" placeholder="notes: body=Call {name}; related={record}" { (form.create) } }
                label { "Link (relation=record, one a line) " textarea name="link" rows="2" { (form.link) } }
                label { "Unlink (relation=record, one a line) " textarea name="unlink" rows="2" { (form.unlink) } }
            }
            button type="submit" { (submit) }
        }
    }
}

/// The editor's fields as text.
#[derive(Debug, Default, PartialEq)]
struct EditorForm {
    object: String,
    trigger: String,
    field: String,
    old: String,
    new: String,
    filter: String,
    offset: String,
    condition: String,
    set: String,
    task: String,
    task_due: String,
    /// The object the task is made in (empty: `tasks`).
    task_object: String,
    create: String,
    link: String,
    unlink: String,
}

fn lines(pairs: &BTreeMap<String, String>, sep: &str) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(sep)
}

fn assignments(text: &str, sep: char) -> Result<BTreeMap<String, String>, String> {
    text.split(sep)
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| match l.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.trim().to_string())),
            _ => Err(format!("'{l}' is not field=value")),
        })
        .collect()
}

impl EditorForm {
    fn from_def(def: Option<&AutomationDef>) -> Self {
        let Some(def) = def else {
            return EditorForm {
                trigger: "created".into(),
                offset: "0".into(),
                ..EditorForm::default()
            };
        };
        let mut f = EditorForm {
            object: def.object.clone(),
            condition: def.condition.clone().unwrap_or_default(),
            offset: "0".into(),
            ..EditorForm::default()
        };
        match &def.trigger {
            Trigger::Created => f.trigger = "created".into(),
            Trigger::Manual => f.trigger = "manual".into(),
            Trigger::Changed { field, from, to } => {
                f.trigger = "changed".into();
                f.field = field.clone();
                f.old = from.clone().unwrap_or_default();
                f.new = to.clone().unwrap_or_default();
            }
            Trigger::Matches { filter } => {
                f.trigger = "matches".into();
                f.filter = filter.clone();
            }
            Trigger::Date { field, offset_days } => {
                f.trigger = "date".into();
                f.field = field.clone();
                f.offset = offset_days.to_string();
            }
        }
        let (mut set, mut create, mut link, mut unlink) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for action in &def.actions {
            match action {
                Action::Set(m) => set.push(lines(m, "\n")),
                Action::CreateTask {
                    title,
                    due_in_days,
                    object,
                } => {
                    f.task = title.clone();
                    f.task_due = due_in_days.map(|d| d.to_string()).unwrap_or_default();
                    f.task_object = object.clone().unwrap_or_default();
                }
                Action::CreateRecord { object, values } => create.push(format!("{object}: {}", lines(values, "; "))),
                Action::Link { field, record } => link.push(format!("{field}={record}")),
                Action::Unlink { field, record } => unlink.push(format!("{field}={record}")),
            }
        }
        f.set = set.join("\n");
        f.create = create.join("\n");
        f.link = link.join("\n");
        f.unlink = unlink.join("\n");
        f
    }

    fn read(form: &FormPairs) -> Self {
        let get = |k: &str| form.get(k).unwrap_or_default().trim().to_string();
        EditorForm {
            object: get("object"),
            trigger: get("trigger"),
            field: get("field"),
            old: get("old"),
            new: get("new"),
            filter: get("filter"),
            offset: get("offset"),
            condition: get("condition"),
            set: get("set"),
            task: get("task"),
            task_due: get("task_due"),
            task_object: get("task_object"),
            create: get("create"),
            link: get("link"),
            unlink: get("unlink"),
        }
    }

    fn to_def(&self) -> Result<AutomationDef, String> {
        let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
        let need_field = || some(&self.field).ok_or_else(|| "say which field".to_string());
        let trigger = match self.trigger.as_str() {
            "created" => Trigger::Created,
            "manual" => Trigger::Manual,
            "changed" => Trigger::Changed {
                field: need_field()?,
                from: some(&self.old),
                to: some(&self.new),
            },
            "matches" => Trigger::Matches {
                filter: some(&self.filter).ok_or("say which filter")?,
            },
            "date" => Trigger::Date {
                field: need_field()?,
                offset_days: match self.offset.as_str() {
                    "" => 0,
                    o => o.parse().map_err(|_| format!("'{o}' is not a number of days"))?,
                },
            },
            other => return Err(format!("'{other}' is not a trigger")),
        };
        let mut actions = Vec::new();
        let set = assignments(&self.set, '\n')?;
        if !set.is_empty() {
            actions.push(Action::Set(set));
        }
        if !self.task.is_empty() {
            actions.push(Action::CreateTask {
                title: self.task.clone(),
                due_in_days: match self.task_due.as_str() {
                    "" => None,
                    d => Some(d.parse().map_err(|_| format!("'{d}' is not a number of days"))?),
                },
                object: some(&self.task_object),
            });
        }
        for line in self.create.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let (object, values) = line
                .split_once(':')
                .ok_or_else(|| format!("'{line}' is not OBJECT: field=value; field=value"))?;
            actions.push(Action::CreateRecord {
                object: object.trim().to_string(),
                values: assignments(values, ';')?,
            });
        }
        for (field, record) in assignments(&self.link, '\n')? {
            actions.push(Action::Link { field, record });
        }
        for (field, record) in assignments(&self.unlink, '\n')? {
            actions.push(Action::Unlink { field, record });
        }
        if actions.is_empty() {
            return Err("give it something to do".into());
        }
        Ok(AutomationDef {
            object: self.object.clone(),
            trigger,
            condition: some(&self.condition),
            actions,
        })
    }
}

/// POST /automations: a new automation from the editor.
pub(crate) async fn create(State(state): State<Arc<AppState>>, form: FormPairs) -> Result<Redirect, WebError> {
    let name = form.require("name")?.trim().to_string();
    let definition = EditorForm::read(&form).to_def().map_err(WebError::BadRequest)?;
    let request = AddAutomationRequest { name, definition };
    let done = state.ws.call(move |ws| automations::add(ws, &request)).await??;
    Ok(redirect_with(&format!("/automations/{}", done.id), &done.message, None))
}

/// GET /automations/{id}: the editor for one automation, and its latest runs.
pub(crate) async fn show(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let doc = parse_doc(&id)?;
    let token = state.session();
    let (chrome, found, objects, runs) = state
        .ws
        .call(move |ws| {
            let objects: Vec<String> = ws.schema().active_objects().map(|o| o.key.clone()).collect();
            (
                Chrome::read(ws, &token),
                automations::show(
                    ws,
                    &AutomationRequest {
                        automation: doc.to_string(),
                    },
                ),
                objects,
                run_rows(ws, Some(doc), 20),
            )
        })
        .await?;
    let a = found?;
    let here = format!("/automations/{doc}");
    let toast = Toast::from_query(&query_pairs(raw.as_deref()), &here);
    let body = html! {
        p.crumbs { a href="/automations" { "Automations" } }
        h1 { (a.name) }
        @if let Some(problem) = &a.problem { p.error role="alert" { "⚠ " (problem) } }
        (editor(&chrome, &here, &a.name, a.definition.as_ref(), &objects, "Save"))
        h2 { "Latest runs" }
        (runs_table(&chrome, &runs?, &here))
    };
    Ok(page(&chrome, &a.name, Active::Automations, toast.as_ref(), body).into_response())
}

/// POST /automations/{id}: saves the editor.
pub(crate) async fn update(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    form: FormPairs,
) -> Result<Redirect, WebError> {
    let doc = parse_doc(&id)?;
    let name = form.require("name")?.trim().to_string();
    let definition = EditorForm::read(&form).to_def().map_err(WebError::BadRequest)?;
    let request = EditAutomationRequest {
        automation: doc.to_string(),
        name: Some(name),
        definition: Some(definition),
    };
    let done = state.ws.call(move |ws| automations::edit(ws, &request)).await??;
    Ok(redirect_with(&format!("/automations/{doc}"), &done.message, None))
}

/// POST /automations/{id}/toggle: turns it on or off.
pub(crate) async fn toggle(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> Result<Redirect, WebError> {
    let doc = parse_doc(&id)?;
    let done = state
        .ws
        .call(move |ws| -> Result<Changed, crate::app::AppError> {
            let request = AutomationRequest {
                automation: doc.to_string(),
            };
            let on = automations::show(ws, &request)?.enabled;
            automations::set_enabled(ws, &request, !on)
        })
        .await??;
    Ok(redirect_with("/automations", &done.message, None))
}

/// POST /automations/{id}/delete: archives it (Undo brings it back).
pub(crate) async fn delete(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> Result<Redirect, WebError> {
    let doc = parse_doc(&id)?;
    let request = AutomationRequest {
        automation: doc.to_string(),
    };
    let done = state.ws.call(move |ws| automations::remove(ws, &request)).await??;
    let undo = done.undo.as_deref().and_then(Undo::decode);
    Ok(redirect_with("/automations", &done.message, undo.as_ref()))
}

/// A run as the log shows it: the run, its automation's name, the record's name.
struct RunRow {
    run: AutomationRun,
    automation: String,
    record: Option<(RecordId, String)>,
}

/// The run log (`kith automation runs`, `GET /api/automations/runs`), with names.
fn run_rows(ws: &Workspace, automation: Option<DocId>, limit: usize) -> Result<Vec<RunRow>, crate::app::AppError> {
    let names: BTreeMap<DocId, String> = ws.config_docs().iter().map(|d| (d.id, d.name.clone())).collect();
    let request = RunsRequest {
        automation: automation.map(|a| a.to_string()),
        limit,
    };
    Ok(automations::runs(ws, &request)?
        .into_iter()
        .map(|run| RunRow {
            automation: names.get(&run.automation).cloned().unwrap_or_default(),
            record: run.record.map(|r| (r, ws.record_name(r))),
            run,
        })
        .collect())
}

fn runs_table(chrome: &Chrome, runs: &[RunRow], back: &str) -> Markup {
    html! {
        @if runs.is_empty() {
            p.empty { "No runs yet. Each time an automation runs (or is skipped by its condition, or stopped in a loop), it is listed here." }
        } @else {
            table.runs {
                thead { tr { th { "When" } th { "Automation" } th { "Trigger" } th { "Record" } th { "By" } th { "Status" } th { "What" } th { span.visually-hidden { "Revert" } } } }
                tbody {
                    @for r in runs {
                        tr {
                            td { (super::layout::moment(r.run.time)) }
                            td { a href={"/automations/" (r.run.automation)} { (r.automation) } }
                            td { (r.run.trigger) }
                            td { @if let Some((id, name)) = &r.record { a href={"/r/" (id)} { (name) } } }
                            td { (r.run.by) @if r.run.remote { " " span.muted { "(synced)" } } }
                            td { span class={"status " (r.run.status.as_str())} { (r.run.status.as_str()) } }
                            td {
                                @if !r.run.message.is_empty() { (r.run.message) }
                                @else { ul.plain { @for c in &r.run.changes { li { (c) } } } }
                            }
                            td {
                                @if !r.run.docs.is_empty() {
                                    form method="post" action={"/automations/runs/" (r.run.run) "/revert"} {
                                        (chrome.token_field())
                                        input type="hidden" name="back" value=(back);
                                        button.secondary.small type="submit" aria-label="Revert this run" { "Revert" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// GET /automations/runs[?automation=ID]: the run log.
pub(crate) async fn runs(State(state): State<Arc<AppState>>, RawQuery(raw): RawQuery) -> Result<Response, WebError> {
    let pairs = query_pairs(raw.as_deref());
    let automation = pairs
        .iter()
        .find(|(k, _)| k == "automation")
        .and_then(|(_, v)| v.parse::<DocId>().ok());
    let token = state.session();
    let (chrome, rows) = state
        .ws
        .call(move |ws| (Chrome::read(ws, &token), run_rows(ws, automation, RUNS_SHOWN)))
        .await?;
    let toast = Toast::from_query(&pairs, "/automations/runs");
    let body = html! {
        p.crumbs { a href="/automations" { "Automations" } }
        h1 { "Run log" }
        (runs_table(&chrome, &rows?, "/automations/runs"))
    };
    Ok(page(&chrome, "Run log", Active::Automations, toast.as_ref(), body).into_response())
}

/// POST /automations/runs/{run}/revert: takes back what one run changed.
pub(crate) async fn revert_run(
    State(state): State<Arc<AppState>>,
    Path(run): Path<String>,
    form: FormPairs,
) -> Result<Redirect, WebError> {
    let back = super::undo::safe_back(form.get("back"));
    let request = RevertRunRequest { run, force: false };
    let done = state.ws.call(move |ws| automations::revert_run(ws, &request)).await??;
    let undo = done.undo.as_deref().and_then(Undo::decode);
    Ok(redirect_with(&back, &done.message, undo.as_ref()))
}

/// The manual automations of an object, for its record pages' buttons.
pub(crate) fn manual_for(ws: &Workspace, object: &str) -> Vec<(DocId, String)> {
    ws.automations()
        .unwrap_or_default()
        .into_iter()
        .filter(|a| {
            a.enabled
                && a.definition
                    .as_ref()
                    .is_some_and(|d| d.trigger == Trigger::Manual && d.object == object)
        })
        .map(|a| (a.id, a.name))
        .collect()
}

/// The record page's section of manual-trigger buttons.
pub(crate) fn record_buttons(chrome: &Chrome, record: RecordId, manual: &[(DocId, String)]) -> Markup {
    html! {
        @if !manual.is_empty() {
            section.automations aria-label="Automations" {
                h2 { "Automations" }
                @for (id, name) in manual {
                    form.inline method="post" action={"/r/" (record) "/automation/" (id)} {
                        (chrome.token_field())
                        button.secondary.small type="submit" { "▶ " (name) }
                    }
                }
            }
        }
    }
}

/// POST /r/{record}/automation/{id}: runs a manual automation on the record.
pub(crate) async fn run_on_record(
    State(state): State<Arc<AppState>>,
    Path((record, id)): Path<(String, String)>,
) -> Result<Redirect, WebError> {
    let record: RecordId = record
        .parse()
        .map_err(|_| WebError::NotFound(format!("record {record}")))?;
    let doc = parse_doc(&id)?;
    let request = OnRecordRequest {
        automation: doc.to_string(),
        record: record.to_string(),
    };
    let runs = state.ws.call(move |ws| automations::run(ws, &request)).await??;
    let run = runs
        .into_iter()
        .next()
        .ok_or_else(|| WebError::BadRequest("the automation did not run".into()))?;
    let message = match run.status {
        kith_core::RunStatus::Ok => format!("Ran: {}", run.changes.join("; ")),
        other => format!("Not run ({}): {}", other.as_str(), run.message),
    };
    let undo = run.group.filter(|_| !run.docs.is_empty()).map(Undo::Group);
    Ok(redirect_with(&format!("/r/{record}"), &message, undo.as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_definition_the_editor_shows_reads_back_from_its_fields() {
        let defs = [
            r#"{"object":"deals","trigger":{"changed":{"field":"stage","to":"Won"}},"condition":"amount > 1000",
                "actions":[{"set":{"probability":"100"}},{"create_task":{"title":"Invoice {name}","due_in_days":3}}]}"#,
            r#"{"object":"deals","trigger":{"date":{"field":"close_date","offset_days":-3}},
                "actions":[{"create_record":{"object":"notes","values":{"body":"Hi","related":"{record}"}}},
                           {"link":{"field":"company","record":"Acme"}},{"unlink":{"field":"contacts","record":"Bo"}}]}"#,
            r#"{"object":"people","trigger":"manual","actions":[{"create_task":{"title":"Call"}}]}"#,
        ];
        for text in defs {
            let def = AutomationDef::from_json(text).unwrap();
            let form = EditorForm::from_def(Some(&def));
            assert_eq!(form.to_def().unwrap(), def, "{form:?}");
        }
        let empty = EditorForm::from_def(None);
        assert!(empty.to_def().is_err(), "nothing to do");
    }
}
