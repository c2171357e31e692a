//! Dashboards: several saved reports' charts and tables on one page, refreshed live (the
//! page script reloads the main area on every change event, so new or edited records
//! show without a reload). A dashboard's reports and their order are set with a form:
//! a position number per report, blank for "not on this dashboard".

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use kith_core::DocId;
use maud::{Markup, html};

use super::form::{FormPairs, query_pairs};
use super::layout::{Active, Chrome, page};
use super::reports::result_view;
use super::undo::{Toast, Undo, redirect_with};
use super::{AppState, WebError};
use crate::app::dashboards::{self, AddDashboardRequest, Card, DashboardRequest, EditDashboardRequest};

/// The form that makes (or, with `id`, changes) a dashboard. `reports`: every saved
/// report (id, name, object label); `chosen`: the dashboard's reports in order.
pub(crate) fn dashboard_form(
    chrome: &Chrome,
    id: Option<DocId>,
    name: &str,
    chosen: &[DocId],
    reports: &[(DocId, String, String)],
) -> Markup {
    let action = match id {
        Some(id) => format!("/dashboards/{id}"),
        None => "/dashboards".to_string(),
    };
    html! {
        form.dashboard-form method="post" action=(action) {
            (chrome.token_field())
            h3 { @if id.is_some() { "Change this dashboard" } @else { "New dashboard" } }
            label { "Name " input type="text" name="name" required value=(name); }
            fieldset {
                legend { "Reports, by position (leave blank to leave one out)" }
                @for (rid, rname, object) in reports {
                    @let position = chosen.iter().position(|c| c == rid).map(|p| (p + 1).to_string()).unwrap_or_default();
                    label.position {
                        input type="number" min="1" name={"at_" (rid)} value=(position) aria-label={"Position of " (rname)};
                        " " (rname) " " span.muted { (object) }
                    }
                }
            }
            button type="submit" { @if id.is_some() { "Save dashboard" } @else { "Make dashboard" } }
        }
    }
}

/// The reports a dashboard form chose, in the order of their positions.
fn chosen(form: &FormPairs) -> Vec<DocId> {
    let mut picked: Vec<(u32, usize, DocId)> = form
        .0
        .iter()
        .enumerate()
        .filter_map(|(i, (k, v))| {
            let id = k.strip_prefix("at_")?.parse().ok()?;
            let at: u32 = v.trim().parse().ok()?;
            Some((at, i, id))
        })
        .collect();
    picked.sort();
    picked.into_iter().map(|(_, _, id)| id).collect()
}

/// GET /dashboards/{id}
pub(crate) async fn show(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let token = state.session();
    let pairs = query_pairs(raw.as_deref());
    let toast = Toast::from_query(&pairs, &format!("/dashboards/{id}"));
    let view = state
        .ws
        .call(move |ws| -> Result<_, WebError> {
            // The same operation as `kith dashboard show` and `GET /api/dashboards/{id}`.
            let Ok(dashboard) = dashboards::show(ws, &DashboardRequest { dashboard: id }) else {
                return Ok(None);
            };
            let all = ws.reports()?;
            let choices: Vec<(DocId, String, String)> = all
                .iter()
                .map(|r| {
                    let object = ws
                        .schema()
                        .object(r.def.object)
                        .map(|o| o.label.clone())
                        .unwrap_or_default();
                    (r.id, r.name.clone(), object)
                })
                .collect();
            Ok(Some((Chrome::read(ws, &token), dashboard, choices)))
        })
        .await??;
    let Some((chrome, dashboard, choices)) = view else {
        let query = raw.map(|q| format!("?{q}")).unwrap_or_default();
        return Ok(Redirect::to(&format!("/reports{query}")).into_response());
    };
    let path = format!("/dashboards/{}", dashboard.id);
    let dashboard_id: Option<DocId> = dashboard.id.parse().ok();
    let body = html! {
        p.crumbs { a href="/reports" { "Reports" } }
        h1 { (dashboard.dashboard) }
        @if dashboard.reports.is_empty() { p.empty { "This dashboard has no reports yet: give some a position below." } }
        div.dashboard {
            @for card in &dashboard.reports {
                @match card {
                    Card::Ran(run) => section.dashboard-card aria-label=(run.name) {
                        h2 { a href={"/reports/" (run.id)} { (run.name) } }
                        (result_view(&run.name, run.chart, &run.result))
                    },
                    Card::Failed { report, error } => section.dashboard-card aria-label=(report.name) {
                        h2 { a href={"/reports/" (report.id)} { (report.name) } }
                        p.error { (error) }
                    },
                }
            }
        }
        details.dashboard-edit {
            summary { "Change dashboard" }
            (dashboard_form(&chrome, dashboard_id, &dashboard.dashboard, &dashboard.report_ids, &choices))
            form method="post" action={(path) "/delete"} {
                (chrome.token_field())
                button.danger type="submit" { "Delete dashboard" }
            }
        }
    };
    Ok(page(&chrome, &dashboard.dashboard, Active::Reports, toast.as_ref(), body).into_response())
}

/// POST /dashboards: a new dashboard.
pub(crate) async fn create(State(state): State<Arc<AppState>>, form: FormPairs) -> Result<Redirect, WebError> {
    let name = form.get("name").unwrap_or_default().trim().to_string();
    let request = AddDashboardRequest {
        name,
        reports: chosen(&form).iter().map(DocId::to_string).collect(),
    };
    let done = state.ws.call(move |ws| dashboards::add(ws, &request)).await??;
    let undo = done.undo.as_deref().and_then(Undo::decode);
    Ok(redirect_with(
        &format!("/dashboards/{}", done.id),
        &done.message,
        undo.as_ref(),
    ))
}

/// POST /dashboards/{id}: renames it and sets its reports.
pub(crate) async fn update(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    form: FormPairs,
) -> Result<Redirect, WebError> {
    let name = form.get("name").unwrap_or_default().trim().to_string();
    let request = EditDashboardRequest {
        dashboard: id,
        name: Some(name),
        reports: Some(chosen(&form).iter().map(DocId::to_string).collect()),
    };
    let done = state.ws.call(move |ws| dashboards::edit(ws, &request)).await??;
    let undo = done.undo.as_deref().and_then(Undo::decode);
    Ok(redirect_with(
        &format!("/dashboards/{}", done.id),
        &done.message,
        undo.as_ref(),
    ))
}

/// POST /dashboards/{id}/delete
pub(crate) async fn delete(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> Result<Redirect, WebError> {
    let done = state
        .ws
        .call(move |ws| dashboards::remove(ws, &DashboardRequest { dashboard: id }))
        .await??;
    let undo = done.undo.as_deref().and_then(Undo::decode);
    Ok(redirect_with("/reports", &done.message, undo.as_ref()))
}
