//! The automation run log (`automation_runs`) and reverting one run.
//!
//! A run made on this device is logged with everything known about it (trigger, record,
//! status, the changes made). A run made elsewhere reaches this device as changes whose
//! commit message names the run (`automation:<group>:<run>:<automation>`): each such change
//! adds its document to the run's entry, so every device lists every run that changed
//! something. Runs that changed nothing (skipped by their condition, stopped at the chain
//! depth limit, failed) are only in the log of the device where they happened.

use redb::{ReadableTable, Table};
use serde::{Deserialize, Serialize};

use super::{RevertReport, Workspace};
use crate::error::{Error, Result, StoreError};
use crate::store::{RunMark, tables};
use crate::{DocId, GroupId, RecordId};

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Its actions were applied.
    Ok,
    /// The record did not pass its condition: nothing was changed.
    Skipped,
    /// A chain of automations triggering each other reached the depth limit here.
    Stopped,
    /// Its actions could not be applied (the message says why); nothing was changed.
    Error,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Ok => "ok",
            RunStatus::Skipped => "skipped",
            RunStatus::Stopped => "stopped",
            RunStatus::Error => "error",
        }
    }
}

/// One entry of the run log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AutomationRun {
    pub run: GroupId,
    /// The change group the run's writes (and the edit that triggered it) belong to.
    pub group: Option<GroupId>,
    pub automation: DocId,
    /// What triggered it (empty for runs that arrived by sync).
    pub trigger: String,
    /// The triggering record.
    pub record: Option<RecordId>,
    /// ms since 1970.
    pub time: i64,
    /// The user (runs made here) or the device's actor id (runs that arrived by sync).
    pub by: String,
    pub status: RunStatus,
    /// Why it was skipped, stopped or failed.
    #[serde(default)]
    pub message: String,
    /// What it did, one line per action.
    #[serde(default)]
    pub changes: Vec<String>,
    /// Documents it wrote.
    #[serde(default)]
    pub docs: Vec<DocId>,
    /// Arrived by sync (made on another device).
    #[serde(default)]
    pub remote: bool,
}

/// Adds a stored change's document to its run's log entry (creating the entry for a run
/// made elsewhere). Called for every change stored, local or received.
pub(crate) fn note_run_change(
    table: &mut Table<'_, [u8; 16], &'static [u8]>,
    mark: &RunMark,
    doc: DocId,
) -> Result<(), StoreError> {
    let key = *mark.run.as_bytes();
    let existing: Option<AutomationRun> = table
        .get(key)?
        .and_then(|bytes| serde_json::from_slice(bytes.value()).ok());
    let mut entry = existing.unwrap_or_else(|| AutomationRun {
        run: mark.run,
        group: None,
        automation: mark.automation,
        trigger: String::new(),
        record: None,
        time: mark.time,
        by: mark.actor.clone(),
        status: RunStatus::Ok,
        message: String::new(),
        changes: Vec::new(),
        docs: Vec::new(),
        remote: true,
    });
    if entry.docs.contains(&doc) {
        return Ok(());
    }
    entry.docs.push(doc);
    write_entry(table, &entry)
}

pub(super) fn write_entry(
    table: &mut Table<'_, [u8; 16], &'static [u8]>,
    entry: &AutomationRun,
) -> Result<(), StoreError> {
    let bytes = serde_json::to_vec(entry).unwrap_or_default();
    table.insert(*entry.run.as_bytes(), bytes.as_slice())?;
    Ok(())
}

impl Workspace {
    /// The newest `limit` runs of the log (of one automation when given), newest first.
    /// A remote run's `by` is shown as its user's name.
    pub fn automation_runs(&self, automation: Option<DocId>, limit: usize) -> Result<Vec<AutomationRun>> {
        let tx = self.store.read()?;
        let table = tx.open_table(tables::AUTOMATION_RUNS).map_err(StoreError::from)?;
        let mut out = Vec::new();
        for entry in table.iter().map_err(StoreError::from)?.rev() {
            if out.len() >= limit {
                break;
            }
            let (_, bytes) = entry.map_err(StoreError::from)?;
            let Ok(mut run) = serde_json::from_slice::<AutomationRun>(bytes.value()) else {
                continue;
            };
            if automation.is_some_and(|a| a != run.automation) {
                continue;
            }
            if run.remote {
                run.by = self.author_name(&automerge::ActorId::from(hex_bytes(&run.by)));
                if run.record.is_none() {
                    run.record = run.docs.first().map(|d| RecordId::from_bytes(*d.as_bytes()));
                }
                if run.changes.is_empty() {
                    run.changes = run
                        .docs
                        .iter()
                        .map(|d| {
                            format!(
                                "changed record {}",
                                self.record_label(RecordId::from_bytes(*d.as_bytes()))
                            )
                        })
                        .collect();
                }
            }
            out.push(run);
        }
        Ok(out)
    }

    /// One run of the log, by its id or a prefix of it.
    pub fn automation_run(&self, id: &str) -> Result<AutomationRun> {
        let wanted = id.trim().to_ascii_lowercase();
        if let Ok(run) = wanted.parse::<GroupId>() {
            let tx = self.store.read()?;
            let table = tx.open_table(tables::AUTOMATION_RUNS).map_err(StoreError::from)?;
            let found = table.get(*run.as_bytes()).map_err(StoreError::from)?;
            if found.is_none() {
                return Err(Error::RunNotFound(id.to_string()));
            }
        }
        let found: Vec<AutomationRun> = self
            .automation_runs(None, usize::MAX)?
            .into_iter()
            .filter(|r| r.run.to_string().starts_with(&wanted) && wanted.len() >= 4)
            .collect();
        match found.len() {
            1 => Ok(found
                .into_iter()
                .next()
                .ok_or_else(|| Error::RunNotFound(id.to_string()))?),
            0 => Err(Error::RunNotFound(id.to_string())),
            _ => Err(Error::RunNotFound(format!("{id} (more than one run starts so)"))),
        }
    }

    /// Takes back everything one automation run wrote, as one new change group (the edit
    /// that triggered it stays). Refused, unless `force`, when a later change touched it.
    pub fn revert_automation_run(&mut self, id: &str, force: bool) -> Result<RevertReport> {
        let run = self.automation_run(id)?;
        if run.docs.is_empty() {
            return Err(Error::RunNotFound(format!("{id} (it changed nothing)")));
        }
        let wanted = run.run;
        self.revert_where(
            run.docs.clone(),
            &format!("run-{wanted}"),
            &|message: &str| crate::history::automation_run_of(message).is_some_and(|(r, _)| r == wanted),
            force,
        )
    }

    /// A record as named in the run log: short id and name.
    pub(crate) fn record_label(&self, id: RecordId) -> String {
        format!(
            "{} ({})",
            self.short_record_id(id).unwrap_or_else(|_| id.to_string()),
            self.record_name(id)
        )
    }
}

fn hex_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len() / 2)
        .filter_map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}
