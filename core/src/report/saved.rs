//! Saved reports and dashboards: configuration documents of kinds `report` and
//! `dashboard`, so they sync, keep their history, and every edit can be reverted.
//! Removing one archives its document (reverting that brings it back).
//!
//! A dashboard's content: `reports` = the report document ids in order, space-separated.

use super::definition::{self, MeasureKind};
use super::{DateBucket, GroupBy, Measure, ReportDef, ReportResult};
use crate::error::{ReportError, Result};
use crate::workspace::{ConfigChange, ConfigContent};
use crate::{DocId, DocKind, Workspace};

/// The content key of a dashboard's reports.
const REPORTS: &str = "reports";

/// A saved report.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub id: DocId,
    pub name: String,
    pub def: ReportDef,
}

/// A saved dashboard: a name and its reports in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Dashboard {
    pub id: DocId,
    pub name: String,
    pub reports: Vec<DocId>,
}

/// How a report is written by people (CLI flags, the report builder's form): names
/// instead of ids.
#[derive(Debug, Clone, Default)]
pub struct ReportSpec {
    /// The object's key, label or id.
    pub object: String,
    pub filter: String,
    /// `stage`, `close_date:month`.
    pub group_by: Vec<String>,
    /// `count`, `sum:amount`.
    pub measures: Vec<String>,
    /// `bar`, `stacked`, `line`, `pie`, `table`; empty: bar.
    pub chart: String,
}

fn same_name(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

impl Workspace {
    /// Turns what people wrote into a report definition, checked against the schema:
    /// fields exist and group or add up, the filter parses.
    pub fn report_from_spec(&self, spec: &ReportSpec) -> Result<ReportDef> {
        let object = self.object_named(&spec.object)?;
        let mut def = ReportDef::new(object.id);
        let filter = spec.filter.trim();
        if !filter.is_empty() {
            self.parse_filter(object.id, filter)?;
            // Stored with fields and options by id: renaming them keeps the report's numbers.
            def.filter = self.stored_filter(object.id, filter);
        }
        def.group_by = spec
            .group_by
            .iter()
            .filter(|g| !g.trim().is_empty())
            .map(|g| {
                let (field, bucket) = match g.rsplit_once(':') {
                    Some((f, b)) => (f, Some(b.parse::<DateBucket>()?)),
                    None => (g.as_str(), None),
                };
                let field = self.field_named(object.id, field)?.id;
                Ok(GroupBy { field, bucket })
            })
            .collect::<Result<_>>()?;
        let measures: Vec<Measure> = spec
            .measures
            .iter()
            .filter(|m| !m.trim().is_empty())
            .map(|m| {
                let (kind, field) = match m.split_once(':') {
                    Some((k, f)) => (k.parse::<MeasureKind>()?, Some(self.field_named(object.id, f)?.id)),
                    None => (m.parse::<MeasureKind>()?, None),
                };
                Ok(Measure { kind, field })
            })
            .collect::<Result<_>>()?;
        if !measures.is_empty() {
            def.measures = measures;
        }
        if !spec.chart.trim().is_empty() {
            def.chart = spec.chart.parse()?;
        }
        def.check(object)?;
        Ok(def)
    }

    /// The spec that writes `def` (names instead of ids), for editing.
    pub fn report_spec(&self, def: &ReportDef) -> ReportSpec {
        let Some(object) = self.schema().object(def.object) else {
            return ReportSpec {
                object: def.object.to_string(),
                ..ReportSpec::default()
            };
        };
        ReportSpec {
            object: object.key.clone(),
            filter: self.shown_filter(object.id, &def.filter),
            group_by: def.group_by_spec(object),
            measures: def.measures.iter().map(|m| m.spec(object)).collect(),
            chart: def.chart.as_str().to_string(),
        }
    }

    /// The saved reports (not removed), oldest first. One whose definition this version
    /// cannot read (a newer version's) is left out.
    pub fn reports(&self) -> Result<Vec<Report>> {
        Ok(self
            .config_contents(&DocKind::Report)?
            .into_iter()
            .filter(|c| !c.archived)
            .filter_map(|c| {
                Some(Report {
                    def: ReportDef::from_content(&c.content).ok()?,
                    id: c.id,
                    name: c.name,
                })
            })
            .collect())
    }

    /// The saved report named `name` (case-insensitive) or with that id.
    pub fn report(&self, name: &str) -> Result<Report> {
        let doc = self.find_config(&DocKind::Report, name)?;
        Ok(Report {
            def: ReportDef::from_content(&doc.content)?,
            id: doc.id,
            name: doc.name,
        })
    }

    fn find_config(&self, kind: &DocKind, name: &str) -> Result<ConfigContent> {
        let live: Vec<ConfigContent> = self
            .config_contents(kind)?
            .into_iter()
            .filter(|c| !c.archived)
            .collect();
        live.into_iter()
            .find(|c| same_name(&c.name, name) || c.id.to_string() == name.trim())
            .ok_or_else(|| {
                if *kind == DocKind::Report {
                    ReportError::UnknownReport(name.to_string()).into()
                } else {
                    ReportError::UnknownDashboard(name.to_string()).into()
                }
            })
    }

    fn check_name(&self, kind: &DocKind, name: &str, except: Option<DocId>) -> Result<()> {
        if name.trim().is_empty() {
            return Err(ReportError::EmptyName.into());
        }
        let taken = self
            .config_contents(kind)?
            .iter()
            .any(|c| !c.archived && Some(c.id) != except && same_name(&c.name, name));
        if taken {
            return Err(if *kind == DocKind::Report {
                ReportError::NameTaken(name.trim().to_string()).into()
            } else {
                ReportError::DashboardNameTaken(name.trim().to_string()).into()
            });
        }
        Ok(())
    }

    /// Saves a new report (one change). Names are unique among reports.
    pub fn create_report(&mut self, name: &str, def: &ReportDef) -> Result<DocId> {
        self.check_name(&DocKind::Report, name, None)?;
        def.check(self.object_def(def.object)?)?;
        let content = def.to_content();
        let pairs: Vec<(&str, &str)> = content.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.create_config_doc_with(DocKind::Report, name.trim(), &pairs)
    }

    /// Renames a report and/or replaces its definition, as one change that writes only
    /// what differs (so reverting it takes back only that). Answers the change's hash,
    /// None when nothing differed.
    pub fn update_report(&mut self, id: DocId, name: Option<&str>, def: &ReportDef) -> Result<Option<String>> {
        let current = self.config_doc(id)?;
        if current.kind != DocKind::Report {
            return Err(crate::Error::ConfigDocNotFound(id.to_string()));
        }
        let name = name.map(str::trim).filter(|n| *n != current.name);
        if let Some(n) = name {
            self.check_name(&DocKind::Report, n, Some(id))?;
        }
        def.check(self.object_def(def.object)?)?;
        let content = def.to_content();
        let changed: Vec<(&str, Option<&str>)> = content
            .iter()
            .filter(|(k, v)| current.content.get(*k) != Some(v))
            .map(|(k, v)| (*k, Some(v.as_str())))
            .collect();
        self.update_config_doc(id, name, &changed)
    }

    /// Removes a report (archives its document); the answer reverts it.
    pub fn remove_report(&mut self, id: DocId) -> Result<Option<String>> {
        self.archive_config_doc(id, true)
    }

    /// Runs a report over the rows of its object.
    pub fn run_report(&self, def: &ReportDef) -> Result<ReportResult> {
        super::run_report(self, def)
    }

    /// The saved dashboards (not removed), oldest first.
    pub fn dashboards(&self) -> Result<Vec<Dashboard>> {
        Ok(self
            .config_contents(&DocKind::Dashboard)?
            .into_iter()
            .filter(|c| !c.archived)
            .map(dashboard_of)
            .collect())
    }

    /// The dashboard named `name` (case-insensitive) or with that id.
    pub fn dashboard(&self, name: &str) -> Result<Dashboard> {
        Ok(dashboard_of(self.find_config(&DocKind::Dashboard, name)?))
    }

    /// Saves a new dashboard of `reports` (in order).
    pub fn create_dashboard(&mut self, name: &str, reports: &[DocId]) -> Result<DocId> {
        self.check_name(&DocKind::Dashboard, name, None)?;
        let list = ids_text(reports);
        self.create_config_doc_with(DocKind::Dashboard, name.trim(), &[(REPORTS, list.as_str())])
    }

    /// Renames a dashboard and/or sets its reports, as one change.
    pub fn update_dashboard(
        &mut self,
        id: DocId,
        name: Option<&str>,
        reports: Option<&[DocId]>,
    ) -> Result<Option<String>> {
        let current = self.config_doc(id)?;
        if current.kind != DocKind::Dashboard {
            return Err(crate::Error::ConfigDocNotFound(id.to_string()));
        }
        let name = name.map(str::trim).filter(|n| *n != current.name);
        if let Some(n) = name {
            self.check_name(&DocKind::Dashboard, n, Some(id))?;
        }
        let list = reports.map(ids_text);
        let content: Vec<(&str, Option<&str>)> = list
            .as_deref()
            .filter(|l| current.content.get(REPORTS).map(String::as_str) != Some(*l))
            .map(|l| vec![(REPORTS, Some(l))])
            .unwrap_or_default();
        self.update_config_doc(id, name, &content)
    }

    /// Removes a dashboard (archives its document); the answer reverts it.
    pub fn remove_dashboard(&mut self, id: DocId) -> Result<Option<String>> {
        self.archive_config_doc(id, true)
    }

    /// The history of a report or dashboard, with field and object ids shown as their
    /// keys.
    pub fn report_history(&self, id: DocId) -> Result<Vec<ConfigChange>> {
        let mut changes = self.config_history(id)?;
        let object = self
            .config_doc(id)
            .ok()
            .and_then(|c| c.content.get(definition::OBJECT).cloned())
            .and_then(|o| o.parse().ok())
            .and_then(|o| self.schema().object(o).cloned());
        let readable = |text: &str| -> String {
            let Some(object) = &object else {
                return text.to_string();
            };
            text.split(' ')
                .map(|part| {
                    part.split(':')
                        .map(
                            |p| match p.parse::<crate::FieldId>().ok().and_then(|f| object.field(f)) {
                                Some(f) => f.key.clone(),
                                None if p == object.id.to_string() => object.key.clone(),
                                None => p.to_string(),
                            },
                        )
                        .collect::<Vec<_>>()
                        .join(":")
                })
                .collect::<Vec<_>>()
                .join(" ")
        };
        let shown = |what: &str, text: &str| match &object {
            Some(o) if what == definition::FILTER => self.shown_filter(o.id, text),
            _ => readable(text),
        };
        for change in &mut changes {
            for d in &mut change.diffs {
                d.old = d.old.as_deref().map(|t| shown(&d.what, t));
                d.new = d.new.as_deref().map(|t| shown(&d.what, t));
            }
        }
        Ok(changes)
    }
}

fn ids_text(ids: &[DocId]) -> String {
    ids.iter().map(ToString::to_string).collect::<Vec<_>>().join(" ")
}

fn dashboard_of(c: ConfigContent) -> Dashboard {
    let reports = c
        .content
        .get(REPORTS)
        .map(|l| l.split_whitespace().filter_map(|id| id.parse().ok()).collect())
        .unwrap_or_default();
    Dashboard {
        id: c.id,
        name: c.name,
        reports,
    }
}
