//! The Reports page: the saved reports and dashboards, a report builder whose result and
//! chart follow every choice (a GET form, so each state has its address), and a report's
//! page (chart, table, CSV, its changes with revert buttons, edit and delete).
//!
//! The builder's form carries no session token (its state goes into the address); saving
//! is a second, POST form carrying the previewed definition.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use kith_core::report::{ChartKind, DateBucket, ReportDef, ReportResult, ReportSpec, render_svg};
use kith_core::{DocId, FieldKind, Workspace};
use maud::{Markup, PreEscaped, html};

use super::form::{FormPairs, query_pairs};
use super::layout::{Active, Chrome, page};
use super::undo::{Toast, Undo, redirect_with, safe_back};
use super::{AppState, WebError};
use crate::app::reports::{self, AddReportRequest, EditReportRequest, ReportRequest};

/// Measures the builder offers at once.
const MEASURE_SLOTS: usize = 3;

/// The builder's state, as its form and address carry it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Draft {
    pub(crate) object: String,
    pub(crate) filter: String,
    /// (field key, bucket) for the first and second group-by; empty key: none.
    pub(crate) groups: [(String, String); 2],
    /// (measure kind, field key).
    pub(crate) measures: Vec<(String, String)>,
    pub(crate) chart: String,
}

impl Draft {
    /// Reads a builder state from query pairs; None when they hold none.
    fn from_pairs(pairs: &[(String, String)]) -> Option<Draft> {
        let get = |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.trim().to_string())
                .unwrap_or_default()
        };
        let object = get("object");
        if object.is_empty() {
            return None;
        }
        let all = |k: &'static str| {
            pairs
                .iter()
                .filter(move |(n, _)| n == k)
                .map(|(_, v)| v.trim().to_string())
        };
        let measures = all("mk").zip(all("mf")).filter(|(k, _)| !k.is_empty()).collect();
        Some(Draft {
            object,
            filter: get("filter"),
            groups: [(get("g1"), get("b1")), (get("g2"), get("b2"))],
            measures,
            chart: get("chart"),
        })
    }

    fn from_spec(spec: &ReportSpec) -> Draft {
        let group = |i: usize| {
            spec.group_by
                .get(i)
                .map_or_else(Default::default, |g| match g.rsplit_once(':') {
                    Some((f, b)) => (f.to_string(), b.to_string()),
                    None => (g.clone(), String::new()),
                })
        };
        Draft {
            object: spec.object.clone(),
            filter: spec.filter.clone(),
            groups: [group(0), group(1)],
            measures: spec
                .measures
                .iter()
                .map(|m| match m.split_once(':') {
                    Some((k, f)) => (k.to_string(), f.to_string()),
                    None => (m.clone(), String::new()),
                })
                .collect(),
            chart: spec.chart.clone(),
        }
    }

    fn spec(&self) -> ReportSpec {
        ReportSpec {
            object: self.object.clone(),
            filter: self.filter.clone(),
            group_by: self
                .groups
                .iter()
                .filter(|(f, _)| !f.is_empty())
                .map(|(f, b)| if b.is_empty() { f.clone() } else { format!("{f}:{b}") })
                .collect(),
            measures: self
                .measures
                .iter()
                .map(|(k, f)| {
                    if k == "count" || f.is_empty() {
                        k.clone()
                    } else {
                        format!("{k}:{f}")
                    }
                })
                .collect(),
            chart: self.chart.clone(),
        }
    }

    /// The form fields that carry this draft (hidden, for the save form).
    fn hidden(&self) -> Markup {
        html! {
            input type="hidden" name="object" value=(self.object);
            input type="hidden" name="filter" value=(self.filter);
            input type="hidden" name="g1" value=(self.groups[0].0);
            input type="hidden" name="b1" value=(self.groups[0].1);
            input type="hidden" name="g2" value=(self.groups[1].0);
            input type="hidden" name="b2" value=(self.groups[1].1);
            @for (k, f) in &self.measures {
                input type="hidden" name="mk" value=(k);
                input type="hidden" name="mf" value=(f);
            }
            input type="hidden" name="chart" value=(self.chart);
        }
    }
}

/// What the builder's selects offer for the draft's object.
struct Choices {
    objects: Vec<(String, String)>,
    /// (key, label, is a date).
    group_fields: Vec<(String, String, bool)>,
    measure_fields: Vec<(String, String)>,
}

fn choices(ws: &Workspace, object: &str) -> Choices {
    let objects = ws
        .schema()
        .active_objects()
        .map(|o| (o.key.clone(), o.label.clone()))
        .collect();
    let obj = ws.object_named(object).ok();
    let fields = || obj.into_iter().flat_map(|o| o.active_fields());
    Choices {
        objects,
        group_fields: fields()
            .filter(|f| {
                matches!(
                    f.kind,
                    FieldKind::Select
                        | FieldKind::MultiSelect
                        | FieldKind::Relation
                        | FieldKind::Boolean
                        | FieldKind::Date
                        | FieldKind::Datetime
                )
            })
            .map(|f| {
                (
                    f.key.clone(),
                    f.label.clone(),
                    matches!(f.kind, FieldKind::Date | FieldKind::Datetime),
                )
            })
            .collect(),
        measure_fields: fields()
            .filter(|f| {
                matches!(
                    f.kind,
                    FieldKind::Number | FieldKind::Currency | FieldKind::Percent | FieldKind::Rating
                )
            })
            .map(|f| (f.key.clone(), f.label.clone()))
            .collect(),
    }
}

/// The result of a draft: its definition and result, or why it cannot run.
type Outcome = Result<(ReportDef, ReportResult), String>;

fn evaluate(ws: &Workspace, draft: &Draft) -> Outcome {
    let def = ws.report_from_spec(&draft.spec()).map_err(|e| e.to_string())?;
    let result = ws.run_report(&def).map_err(|e| e.to_string())?;
    Ok((def, result))
}

/// A result: the chart (when the report has one) and the table.
pub(crate) fn result_view(title: &str, chart: ChartKind, result: &ReportResult) -> Markup {
    let svg = render_svg(result, chart, title);
    html! {
        @if let Some(svg) = svg {
            // Written by render_svg, which escapes every label.
            figure.chart { (PreEscaped(svg)) }
        }
        table.records.report-table {
            caption.visually-hidden { (title) }
            thead { tr {
                @if result.group_by.is_empty() { th scope="col" { "" } }
                @for g in &result.group_by { th scope="col" { (g) } }
                @for m in &result.measures { th scope="col" .num { (m) } }
            } }
            tbody {
                @for row in &result.rows {
                    tr {
                        @if row.groups.is_empty() { th scope="row" { "All" } }
                        @for g in &row.groups { th scope="row" { (g) } }
                        @for v in &row.values { td.num { (v.display()) } }
                    }
                }
            }
            tfoot { tr {
                th scope="row" { "Total" }
                @for _ in 1..result.group_by.len() { td {} }
                @for v in &result.totals { td.num { (v.display()) } }
            } }
        }
    }
}

fn builder(action: &str, draft: &Draft, choices: &Choices) -> Markup {
    let option = |value: &str, label: &str, current: &str| {
        html! { option value=(value) selected[value == current] { (label) } }
    };
    let mut measures = draft.measures.clone();
    if measures.is_empty() {
        measures.push(("count".into(), String::new()));
    }
    measures.resize(MEASURE_SLOTS.max(measures.len()), Default::default());
    html! {
        form.report-builder method="get" action=(action) aria-label="Report builder" {
            label { "Object "
                select name="object" data-autosubmit {
                    @for (key, label) in &choices.objects { (option(key, label, &draft.object)) }
                }
            }
            @for (i, (field, bucket)) in draft.groups.iter().enumerate() {
                fieldset.group-by {
                    legend { @if i == 0 { "Group by" } @else { "Then by" } }
                    label { span.visually-hidden { "Group-by field " (i + 1) }
                        select name={"g" (i + 1)} data-autosubmit {
                            option value="" { "(none)" }
                            @for (key, label, _) in &choices.group_fields { (option(key, label, field)) }
                        }
                    }
                    @if choices.group_fields.iter().any(|(k, _, date)| k == field && *date) {
                        label { "by "
                            select name={"b" (i + 1)} data-autosubmit {
                                @for b in DateBucket::ALL { (option(b.as_str(), b.as_str(), if bucket.is_empty() { "day" } else { bucket })) }
                            }
                        }
                    }
                }
            }
            fieldset.measures {
                legend { "Measures" }
                @for (i, (kind, field)) in measures.iter().enumerate() {
                    div.measure {
                        label { span.visually-hidden { "Measure " (i + 1) }
                            select name="mk" data-autosubmit {
                                @if i > 0 { option value="" { "(none)" } }
                                @for k in ["count", "sum", "avg", "min", "max"] { (option(k, k, kind)) }
                            }
                        }
                        label { span.visually-hidden { "Field of measure " (i + 1) }
                            select name="mf" data-autosubmit {
                                option value="" { "(records)" }
                                @for (key, label) in &choices.measure_fields { (option(key, label, field)) }
                            }
                        }
                    }
                }
            }
            label { "Filter " input type="text" name="filter" value=(draft.filter) placeholder="stage = won"; }
            label { "Chart "
                select name="chart" data-autosubmit {
                    @for c in ChartKind::ALL { (option(c.as_str(), c.as_str(), if draft.chart.is_empty() { "bar" } else { &draft.chart })) }
                }
            }
            button.secondary type="submit" { "Show" }
        }
    }
}

/// The save form: the previewed draft, a name, and (editing) the report's id.
fn save_form(chrome: &Chrome, draft: &Draft, name: &str, id: Option<DocId>) -> Markup {
    html! {
        form.report-save method="post" action="/reports" {
            (chrome.token_field())
            (draft.hidden())
            @if let Some(id) = id { input type="hidden" name="id" value=(id.to_string()); }
            label { "Name " input type="text" name="name" required value=(name); }
            button type="submit" { @if id.is_some() { "Save changes" } @else { "Save report" } }
        }
    }
}

/// GET /reports: the saved reports and dashboards, and the builder for a new report.
pub(crate) async fn list(State(state): State<Arc<AppState>>, RawQuery(raw): RawQuery) -> Result<Response, WebError> {
    let token = state.session();
    let pairs = query_pairs(raw.as_deref());
    let toast = Toast::from_query(&pairs, "/reports");
    let view = state
        .ws
        .call(move |ws| -> Result<_, WebError> {
            let draft = Draft::from_pairs(&pairs).unwrap_or_else(|| Draft {
                object: ws
                    .schema()
                    .active_objects()
                    .next()
                    .map(|o| o.key.clone())
                    .unwrap_or_default(),
                ..Draft::default()
            });
            let outcome = evaluate(ws, &draft);
            let choices = choices(ws, &draft.object);
            let reports: Vec<(DocId, String, String)> = ws
                .reports()?
                .into_iter()
                .map(|r| {
                    let object = ws
                        .schema()
                        .object(r.def.object)
                        .map(|o| o.label.clone())
                        .unwrap_or_default();
                    (r.id, r.name, object)
                })
                .collect();
            let dashboards = ws.dashboards()?;
            Ok((Chrome::read(ws, &token), draft, outcome, choices, reports, dashboards))
        })
        .await??;
    let (chrome, draft, outcome, choices, reports, dashboards) = view;
    let body = html! {
        h1 { "Reports" }
        div.report-lists {
            section aria-labelledby="saved-reports" {
                h2 #saved-reports { "Saved reports" }
                @if reports.is_empty() {
                    p.empty { "No reports yet. Choose what to count or add up below, look at the result, and save it under a name." }
                } @else {
                    ul.report-list { @for (id, name, object) in &reports {
                        li { a href={"/reports/" (id)} { (name) } " " span.muted { (object) } }
                    } }
                }
            }
            section aria-labelledby="dashboards" {
                h2 #dashboards { "Dashboards" }
                @if dashboards.is_empty() {
                    p.empty { "A dashboard shows several reports on one page." }
                } @else {
                    ul.report-list { @for d in &dashboards {
                        li { a href={"/dashboards/" (d.id)} { (d.name) } " " span.muted { (d.reports.len()) " reports" } }
                    } }
                }
                @if !reports.is_empty() {
                    (super::dashboards::dashboard_form(&chrome, None, "", &[], &reports))
                }
            }
        }
        section.report-new aria-labelledby="new-report" {
            h2 #new-report { "New report" }
            (builder("/reports", &draft, &choices))
            @match &outcome {
                Err(message) => p.error role="alert" { (message) },
                Ok((def, result)) => {
                    (result_view("New report", def.chart, result))
                    (save_form(&chrome, &draft, "", None))
                }
            }
        }
    };
    Ok(page(&chrome, "Reports", Active::Reports, toast.as_ref(), body).into_response())
}

/// GET /reports/{id}: the report (the builder's state in the address previews an edit).
pub(crate) async fn show(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let token = state.session();
    let pairs = query_pairs(raw.as_deref());
    let back = format!("/reports/{id}");
    let toast = Toast::from_query(&pairs, &back);
    let view = state
        .ws
        .call(move |ws| -> Result<_, WebError> {
            let Ok(report) = ws.report(&id) else {
                return Ok(None);
            };
            let saved = Draft::from_spec(&ws.report_spec(&report.def));
            let editing = Draft::from_pairs(&pairs);
            let draft = editing.clone().unwrap_or_else(|| saved.clone());
            let outcome = evaluate(ws, &draft);
            let choices = choices(ws, &draft.object);
            let history = ws.report_history(report.id)?;
            Ok(Some((
                Chrome::read(ws, &token),
                report,
                draft,
                editing.is_some(),
                outcome,
                choices,
                history,
            )))
        })
        .await??;
    // Gone (deleted, or its creation undone): the list, keeping the toast.
    let Some((chrome, report, draft, editing, outcome, choices, history)) = view else {
        let query = raw.map(|q| format!("?{q}")).unwrap_or_default();
        return Ok(Redirect::to(&format!("/reports{query}")).into_response());
    };
    let path = format!("/reports/{}", report.id);
    let csv = format!("{path}/report.csv");
    let body = html! {
        p.crumbs { a href="/reports" { "Reports" } }
        h1 { (report.name) }
        @if editing { p.note { "Previewing changes. Save them below, or " a href=(path) { "go back to the saved report" } "." } }
        @match &outcome {
            Err(message) => p.error role="alert" { (message) },
            Ok((def, result)) => {
                (result_view(&report.name, def.chart, result))
                p { a href=(csv) download { "Download CSV" } " · " (result.records) " records" }
            }
        }
        details.report-edit open[editing] {
            summary { "Edit report" }
            (builder(&path, &draft, &choices))
            @if outcome.is_ok() { (save_form(&chrome, &draft, &report.name, Some(report.id))) }
            form method="post" action={(path) "/delete"} {
                (chrome.token_field())
                button.danger type="submit" { "Delete report" }
            }
        }
        section.timeline aria-labelledby="report-history" {
            h2 #report-history { "Changes" }
            ol { @for change in history.iter().rev() {
                li {
                    span.when { (super::layout::moment(change.time)) } " · " (change.author) " · "
                    @if change.created { "created" } @else {
                        @for (i, d) in change.diffs.iter().enumerate() {
                            @if i > 0 { "; " }
                            (d.what) ": " (d.old.clone().unwrap_or_default()) " → " (d.new.clone().unwrap_or_default())
                        }
                    }
                    form.inline method="post" action="/revert" {
                        (chrome.token_field())
                        input type="hidden" name="change" value=(change.change);
                        input type="hidden" name="back" value=(path);
                        button.secondary type="submit" aria-label={"Revert this change of " (report.name)} { "Revert" }
                    }
                }
            } }
        }
    };
    Ok(page(&chrome, &report.name, Active::Reports, toast.as_ref(), body).into_response())
}

/// GET /reports/{id}/report.csv
pub(crate) async fn csv(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> Result<Response, WebError> {
    // The same operation as `kith report run --csv` and `GET /api/reports/{id}/run?format=csv`.
    let run = state
        .ws
        .call(move |ws| reports::run(ws, &ReportRequest { report: id }))
        .await??;
    let text = run.csv();
    let file: String = run
        .name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}.csv\""),
            ),
        ],
        text,
    )
        .into_response())
}

/// POST /reports: saves the draft under `name`, as a new report or (with `id`) as a
/// change of that report.
pub(crate) async fn save(State(state): State<Arc<AppState>>, form: FormPairs) -> Result<Redirect, WebError> {
    let draft = Draft::from_pairs(&form.0).ok_or_else(|| WebError::BadRequest("choose an object".into()))?;
    let name = form.get("name").unwrap_or_default().trim().to_string();
    let id = form.get("id").map(str::to_string);
    let spec = draft.spec();
    // The operations of `kith report add` / `edit` and `POST /api/reports` / `PATCH`.
    let done = state
        .ws
        .call(move |ws| match id {
            Some(report) => reports::edit(
                ws,
                &EditReportRequest {
                    report,
                    name: Some(name),
                    object: Some(spec.object),
                    filter: Some(spec.filter),
                    group_by: Some(spec.group_by),
                    measures: Some(spec.measures),
                    chart: Some(spec.chart),
                },
            ),
            None => reports::add(
                ws,
                &AddReportRequest {
                    name,
                    object: spec.object,
                    filter: spec.filter,
                    group_by: spec.group_by,
                    measures: spec.measures,
                    chart: spec.chart,
                },
            ),
        })
        .await??;
    let undo = done.undo.as_deref().and_then(Undo::decode);
    Ok(redirect_with(
        &format!("/reports/{}", done.id),
        &done.message,
        undo.as_ref(),
    ))
}

/// POST /reports/{id}/delete: archives the report; the toast's Undo brings it back.
pub(crate) async fn delete(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    form: FormPairs,
) -> Result<Redirect, WebError> {
    let back = safe_back(form.get("back").or(Some("/reports")));
    let done = state
        .ws
        .call(move |ws| reports::remove(ws, &ReportRequest { report: id }))
        .await??;
    let undo = done.undo.as_deref().and_then(Undo::decode);
    Ok(redirect_with(&back, &done.message, undo.as_ref()))
}
