//! Saved reports (`kith report …`, the Reports pages, `/api/reports…`): add, edit,
//! remove, list, show (with the report's changes) and run (a table, JSON, CSV or an SVG
//! chart). A report is named by its name or its document id; its definition is written
//! as people write it ([`ReportSpec`]: keys and labels, `close_date:month`,
//! `sum:amount`), which kith-core resolves and checks.

use kith_core::report::{ChartKind, Report, ReportResult, ReportSpec, render_svg};
use kith_core::{ConfigChange, Workspace};
use serde::{Deserialize, Serialize};

use super::{AppError, Changed};

/// A report's definition as every answer shows it.
#[derive(Debug, Serialize)]
pub(crate) struct ReportJson {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) object: String,
    pub(crate) filter: String,
    pub(crate) group_by: Vec<String>,
    pub(crate) measures: Vec<String>,
    pub(crate) chart: String,
}

impl ReportJson {
    pub(crate) fn new(ws: &Workspace, report: &Report) -> Self {
        let spec = ws.report_spec(&report.def);
        ReportJson {
            id: report.id.to_string(),
            name: report.name.clone(),
            object: spec.object,
            filter: spec.filter,
            group_by: spec.group_by,
            measures: spec.measures,
            chart: spec.chart,
        }
    }
}

/// A report, by name or id.
#[derive(Debug, Deserialize)]
pub(crate) struct ReportRequest {
    pub(crate) report: String,
}

/// A new report: the records of `object` that pass `filter`, grouped by up to two
/// `group_by`s, with `measures` (none: a count), drawn as `chart` (none: bar).
#[derive(Debug, Deserialize)]
pub(crate) struct AddReportRequest {
    pub(crate) name: String,
    pub(crate) object: String,
    #[serde(default)]
    pub(crate) filter: String,
    #[serde(default)]
    pub(crate) group_by: Vec<String>,
    #[serde(default)]
    pub(crate) measures: Vec<String>,
    #[serde(default)]
    pub(crate) chart: String,
}

pub(crate) fn add(ws: &mut Workspace, req: &AddReportRequest) -> Result<Changed, AppError> {
    let spec = ReportSpec {
        object: req.object.clone(),
        filter: req.filter.clone(),
        group_by: req.group_by.clone(),
        measures: req.measures.clone(),
        chart: req.chart.clone(),
    };
    let def = ws.report_from_spec(&spec)?;
    let name = req.name.trim();
    let id = ws.create_report(name, &def)?;
    Ok(Changed {
        id: id.to_string(),
        message: format!("Report saved: “{name}”"),
        undo: last_change(ws, id),
    })
}

/// A change of `report`: each part given replaces what it had (`group_by` and `measures`
/// the whole list; `filter: ""` removes the filter). Another `object` without group-bys
/// or measures drops the old ones (they name the old object's fields).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct EditReportRequest {
    pub(crate) report: String,
    pub(crate) name: Option<String>,
    pub(crate) object: Option<String>,
    pub(crate) filter: Option<String>,
    pub(crate) group_by: Option<Vec<String>>,
    pub(crate) measures: Option<Vec<String>>,
    pub(crate) chart: Option<String>,
}

pub(crate) fn edit(ws: &mut Workspace, req: &EditReportRequest) -> Result<Changed, AppError> {
    let report = ws.report(&req.report)?;
    let mut spec = ws.report_spec(&report.def);
    if let Some(object) = &req.object
        && *object != spec.object
    {
        spec.group_by.clear();
        spec.measures = vec!["count".into()];
        spec.object = object.clone();
    }
    if let Some(group_by) = &req.group_by {
        spec.group_by = group_by.clone();
    }
    if let Some(measures) = req.measures.as_ref().filter(|m| !m.is_empty()) {
        spec.measures = measures.clone();
    }
    if let Some(filter) = &req.filter {
        spec.filter = filter.clone();
    }
    if let Some(chart) = &req.chart {
        spec.chart = chart.clone();
    }
    let def = ws.report_from_spec(&spec)?;
    let name = req.name.as_deref().map(str::trim).filter(|n| !n.is_empty());
    let change = ws.update_report(report.id, name, &def)?;
    let shown = name.unwrap_or(&report.name);
    Ok(Changed {
        id: report.id.to_string(),
        message: match change {
            Some(_) => format!("Report saved: “{shown}”"),
            None => format!("Report “{shown}” already reads that way; nothing changed"),
        },
        undo: change.map(|c| format!("change:{c}")),
    })
}

/// Removes a report: its document is archived; `undo` brings it back.
pub(crate) fn remove(ws: &mut Workspace, req: &ReportRequest) -> Result<Changed, AppError> {
    let report = ws.report(&req.report)?;
    let change = ws.remove_report(report.id)?;
    Ok(Changed {
        id: report.id.to_string(),
        message: format!("Report deleted: “{}”", report.name),
        undo: change.map(|c| format!("change:{c}")),
    })
}

/// `{"reports": [report, …]}`.
#[derive(Debug, Serialize)]
pub(crate) struct ReportList {
    pub(crate) reports: Vec<ReportJson>,
}

pub(crate) fn list(ws: &Workspace) -> Result<ReportList, AppError> {
    Ok(ReportList {
        reports: ws.reports()?.iter().map(|r| ReportJson::new(ws, r)).collect(),
    })
}

/// A report's definition and its changes, oldest first.
#[derive(Debug, Serialize)]
pub(crate) struct ReportShown {
    #[serde(flatten)]
    pub(crate) report: ReportJson,
    pub(crate) history: Vec<ConfigChange>,
}

pub(crate) fn show(ws: &Workspace, req: &ReportRequest) -> Result<ReportShown, AppError> {
    let report = ws.report(&req.report)?;
    Ok(ReportShown {
        history: ws.report_history(report.id)?,
        report: ReportJson::new(ws, &report),
    })
}

/// A report run: its name and id, how it is drawn, and its result. It serializes as
/// `{"report", "id", "object", "group_by", "measures", "rows", "totals", "records"}`.
#[derive(Debug)]
pub(crate) struct ReportRun {
    pub(crate) name: String,
    pub(crate) id: String,
    pub(crate) chart: ChartKind,
    pub(crate) result: ReportResult,
}

impl Serialize for ReportRun {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut j = serde_json::json!({ "report": self.name, "id": self.id });
        if let (Some(obj), serde_json::Value::Object(body)) = (j.as_object_mut(), self.result.to_json()) {
            obj.extend(body);
        }
        j.serialize(serializer)
    }
}

impl ReportRun {
    /// The result as CSV (a column per currency for money).
    pub(crate) fn csv(&self) -> String {
        self.result.to_csv()
    }

    /// The chart as SVG; a report shown as a table is drawn as bars.
    pub(crate) fn svg(&self) -> String {
        let chart = match self.chart {
            ChartKind::Table => ChartKind::Bar,
            other => other,
        };
        render_svg(&self.result, chart, &self.name).unwrap_or_default()
    }
}

/// Runs a saved report on the records as they are now.
pub(crate) fn run(ws: &Workspace, req: &ReportRequest) -> Result<ReportRun, AppError> {
    let report = ws.report(&req.report)?;
    Ok(ReportRun {
        result: ws.run_report(&report.def)?,
        name: report.name,
        id: report.id.to_string(),
        chart: report.def.chart,
    })
}

/// The change that made or last changed configuration document `id`, as an undo.
pub(crate) fn last_change(ws: &Workspace, id: kith_core::DocId) -> Option<String> {
    let history = ws.config_history(id).ok()?;
    history.last().map(|c| format!("change:{}", c.change))
}
