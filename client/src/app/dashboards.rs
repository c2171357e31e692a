//! Dashboards (`kith dashboard …`, the dashboard pages, `/api/dashboards…`): a name and
//! an ordered list of saved reports; add, edit, remove, list, and show (every report
//! run). A dashboard is named by its name or document id, its reports by name or id.

use kith_core::report::{Dashboard, Report};
use kith_core::{DocId, Workspace};
use serde::{Deserialize, Serialize};

use super::reports::{ReportRun, last_change};
use super::{AppError, Changed};

/// A dashboard, by name or id.
#[derive(Debug, Deserialize)]
pub(crate) struct DashboardRequest {
    pub(crate) dashboard: String,
}

/// A new dashboard of `reports`, in that order.
#[derive(Debug, Deserialize)]
pub(crate) struct AddDashboardRequest {
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) reports: Vec<String>,
}

pub(crate) fn add(ws: &mut Workspace, req: &AddDashboardRequest) -> Result<Changed, AppError> {
    let ids = report_ids(ws, &req.reports)?;
    let name = req.name.trim();
    let id = ws.create_dashboard(name, &ids)?;
    Ok(Changed {
        id: id.to_string(),
        message: match ids.len() {
            1 => format!("Dashboard saved: “{name}”, 1 report"),
            n => format!("Dashboard saved: “{name}”, {n} reports"),
        },
        undo: last_change(ws, id),
    })
}

/// A new name, a new list of reports (in order), or both.
#[derive(Debug, Deserialize)]
pub(crate) struct EditDashboardRequest {
    pub(crate) dashboard: String,
    pub(crate) name: Option<String>,
    pub(crate) reports: Option<Vec<String>>,
}

pub(crate) fn edit(ws: &mut Workspace, req: &EditDashboardRequest) -> Result<Changed, AppError> {
    let dashboard = ws.dashboard(&req.dashboard)?;
    let ids = req.reports.as_deref().map(|r| report_ids(ws, r)).transpose()?;
    let name = req.name.as_deref().map(str::trim).filter(|n| !n.is_empty());
    let change = ws.update_dashboard(dashboard.id, name, ids.as_deref())?;
    let shown = name.unwrap_or(&dashboard.name);
    Ok(Changed {
        id: dashboard.id.to_string(),
        message: match change {
            Some(_) => format!("Dashboard saved: “{shown}”"),
            None => format!("Dashboard “{shown}” already reads that way; nothing changed"),
        },
        undo: change.map(|c| format!("change:{c}")),
    })
}

/// Removes a dashboard (its reports stay); `undo` brings it back.
pub(crate) fn remove(ws: &mut Workspace, req: &DashboardRequest) -> Result<Changed, AppError> {
    let dashboard = ws.dashboard(&req.dashboard)?;
    let change = ws.remove_dashboard(dashboard.id)?;
    Ok(Changed {
        id: dashboard.id.to_string(),
        message: format!("Dashboard deleted: “{}”", dashboard.name),
        undo: change.map(|c| format!("change:{c}")),
    })
}

/// A dashboard in a list: its reports by name (removed ones left out).
#[derive(Debug, Serialize)]
pub(crate) struct DashboardJson {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) reports: Vec<String>,
}

/// `{"dashboards": [dashboard, …]}`.
#[derive(Debug, Serialize)]
pub(crate) struct DashboardList {
    pub(crate) dashboards: Vec<DashboardJson>,
}

pub(crate) fn list(ws: &Workspace) -> Result<DashboardList, AppError> {
    let all = ws.reports()?;
    Ok(DashboardList {
        dashboards: ws
            .dashboards()?
            .into_iter()
            .map(|d| DashboardJson {
                id: d.id.to_string(),
                reports: live_reports(&all, &d).map(|r| r.name.clone()).collect(),
                name: d.name,
            })
            .collect(),
    })
}

/// One report of a shown dashboard: its run, or why it cannot run now (a field it
/// groups by was archived…), as `{"report", "id", "error"}`.
#[derive(Debug)]
pub(crate) enum Card {
    Ran(ReportRun),
    Failed { report: Report, error: String },
}

impl Serialize for Card {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Card::Ran(run) => run.serialize(serializer),
            Card::Failed { report, error } => serde_json::json!({
                "report": report.name,
                "id": report.id.to_string(),
                "error": error,
            })
            .serialize(serializer),
        }
    }
}

/// `{"dashboard", "id", "reports": [report run, …]}`, in the dashboard's order.
#[derive(Debug, Serialize)]
pub(crate) struct DashboardShown {
    pub(crate) dashboard: String,
    pub(crate) id: String,
    pub(crate) reports: Vec<Card>,
    /// The dashboard's report ids, for its edit form.
    #[serde(skip)]
    pub(crate) report_ids: Vec<DocId>,
}

/// Runs every report of a dashboard.
pub(crate) fn show(ws: &Workspace, req: &DashboardRequest) -> Result<DashboardShown, AppError> {
    let dashboard = ws.dashboard(&req.dashboard)?;
    let all = ws.reports()?;
    let reports = live_reports(&all, &dashboard)
        .map(|r| match ws.run_report(&r.def) {
            Ok(result) => Card::Ran(ReportRun {
                name: r.name.clone(),
                id: r.id.to_string(),
                chart: r.def.chart,
                result,
            }),
            Err(e) => Card::Failed {
                report: r.clone(),
                error: e.to_string(),
            },
        })
        .collect();
    Ok(DashboardShown {
        dashboard: dashboard.name,
        id: dashboard.id.to_string(),
        reports,
        report_ids: dashboard.reports,
    })
}

fn report_ids(ws: &Workspace, names: &[String]) -> Result<Vec<DocId>, AppError> {
    names.iter().map(|n| Ok(ws.report(n)?.id)).collect()
}

/// The dashboard's reports that still exist, in its order.
fn live_reports<'a>(all: &'a [Report], dashboard: &'a Dashboard) -> impl Iterator<Item = &'a Report> {
    dashboard
        .reports
        .iter()
        .filter_map(|id| all.iter().find(|r| r.id == *id))
}
