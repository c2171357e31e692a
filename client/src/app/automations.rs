//! Automations (`kith automation …`, the Automations pages, the record page's buttons,
//! `/api/automations…`): add, edit, enable / disable, remove, list and show; the run
//! log, a dry run, a manual run and reverting a run.
//!
//! An automation is named by its name (any case) or its document id. Definitions are
//! [`AutomationDef`]s: the CLI builds one from flags or a JSON file, the editor from its
//! form, the API takes the JSON; checking them against the schema is kith-core's.

use kith_core::automation::AutomationDef;
use kith_core::{Automation, AutomationRun, DryRun, Workspace};
use serde::Deserialize;

use super::{AppError, Changed};

/// How many runs the run log answers when not told.
pub(crate) const DEFAULT_RUNS: usize = 50;

/// A new automation (enabled).
#[derive(Debug, Deserialize)]
pub(crate) struct AddAutomationRequest {
    pub(crate) name: String,
    pub(crate) definition: AutomationDef,
}

pub(crate) fn add(ws: &mut Workspace, req: &AddAutomationRequest) -> Result<Changed, AppError> {
    let name = req.name.trim();
    if name.is_empty() {
        return Err(AppError::Invalid("give the automation a name".into()));
    }
    let id = ws.create_automation(name, &req.definition)?;
    Ok(Changed {
        id: id.to_string(),
        message: format!("Automation added: “{name}” ({})", req.definition.trigger.describe()),
        undo: None,
    })
}

/// A new name, a new definition, or both, for `automation`.
#[derive(Debug, Deserialize)]
pub(crate) struct EditAutomationRequest {
    pub(crate) automation: String,
    pub(crate) name: Option<String>,
    pub(crate) definition: Option<AutomationDef>,
}

pub(crate) fn edit(ws: &mut Workspace, req: &EditAutomationRequest) -> Result<Changed, AppError> {
    let a = ws.automation_named(&req.automation)?;
    let name = req.name.as_deref().map(str::trim).filter(|n| !n.is_empty());
    ws.update_automation(a.id, name, req.definition.as_ref())?;
    Ok(Changed {
        id: a.id.to_string(),
        message: format!("Automation saved: “{}”", name.unwrap_or(&a.name)),
        undo: None,
    })
}

/// An automation, by name or id.
#[derive(Debug, Deserialize)]
pub(crate) struct AutomationRequest {
    pub(crate) automation: String,
}

/// Turns an automation on (`enabled`) or off.
pub(crate) fn set_enabled(ws: &mut Workspace, req: &AutomationRequest, enabled: bool) -> Result<Changed, AppError> {
    let a = ws.automation_named(&req.automation)?;
    ws.set_automation_enabled(a.id, enabled)?;
    let word = if enabled { "enabled" } else { "disabled" };
    Ok(Changed {
        id: a.id.to_string(),
        message: format!("Automation {word}: “{}”", a.name),
        undo: None,
    })
}

/// Removes an automation: its document is archived, and `undo` (`change:<hash>`) brings
/// it back.
pub(crate) fn remove(ws: &mut Workspace, req: &AutomationRequest) -> Result<Changed, AppError> {
    let a = ws.automation_named(&req.automation)?;
    let change = ws.archive_config_doc(a.id, true)?;
    Ok(Changed {
        id: a.id.to_string(),
        message: format!("Automation removed: “{}”", a.name),
        undo: change.map(|c| format!("change:{c}")),
    })
}

/// Every automation, in the order they were made.
pub(crate) fn list(ws: &Workspace) -> Result<Vec<Automation>, AppError> {
    Ok(ws.automations()?)
}

/// One automation.
pub(crate) fn show(ws: &Workspace, req: &AutomationRequest) -> Result<Automation, AppError> {
    Ok(ws.automation_named(&req.automation)?)
}

/// The run log: `automation`'s runs (every automation's when none), at most `limit`.
#[derive(Debug, Deserialize)]
pub(crate) struct RunsRequest {
    pub(crate) automation: Option<String>,
    pub(crate) limit: usize,
}

/// Runs, newest first.
pub(crate) fn runs(ws: &Workspace, req: &RunsRequest) -> Result<Vec<AutomationRun>, AppError> {
    if req.limit == 0 {
        return Err(AppError::Invalid("--limit must be at least 1".into()));
    }
    let automation = match &req.automation {
        Some(name) => Some(ws.automation_named(name)?.id),
        None => None,
    };
    Ok(ws.automation_runs(automation, req.limit)?)
}

/// `automation` on `record` (an id or short id).
#[derive(Debug, Deserialize)]
pub(crate) struct OnRecordRequest {
    pub(crate) automation: String,
    pub(crate) record: String,
}

/// A dry run: what the automation would change on the record; nothing is written.
pub(crate) fn test(ws: &Workspace, req: &OnRecordRequest) -> Result<DryRun, AppError> {
    let a = ws.automation_named(&req.automation)?;
    let record = ws.find_record_id(req.record.trim())?;
    Ok(ws.test_automation(a.id, record)?)
}

/// Runs the automation on the record now (a manual run): the run, as a log of one.
pub(crate) fn run(ws: &mut Workspace, req: &OnRecordRequest) -> Result<Vec<AutomationRun>, AppError> {
    let a = ws.automation_named(&req.automation)?;
    let record = ws.find_record_id(req.record.trim())?;
    Ok(vec![ws.run_automation(a.id, record)?])
}

/// A run (its id or a prefix of it), reverted even over later changes with `force`.
#[derive(Debug, Deserialize)]
pub(crate) struct RevertRunRequest {
    pub(crate) run: String,
    #[serde(default)]
    pub(crate) force: bool,
}

/// Takes back what one run changed (the edit that triggered it stays). Answers the
/// revert's group as `id`; `undo` (`group:<id>`) reverts the revert.
pub(crate) fn revert_run(ws: &mut Workspace, req: &RevertRunRequest) -> Result<Changed, AppError> {
    let report = ws.revert_automation_run(req.run.trim(), req.force)?;
    Ok(Changed {
        id: report.group.to_string(),
        message: format!("Run reverted: {} record(s) changed back", report.records),
        undo: Some(format!("group:{}", report.group)),
    })
}
