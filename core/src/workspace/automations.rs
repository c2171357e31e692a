//! Automations run on the device that makes the triggering change, inside the same write
//! transaction and change group: exactly once, offline too. Changes that arrive by sync
//! never trigger anything (`apply_remote` does not come here).
//!
//! A local create or edit (`create_record`, `update_record`; not imports, bulk edits,
//! reverts, restores or deletes) that some enabled automation may react to gets a change
//! group (`edit:<group>`); each run's writes carry `automation:<group>:<run>:<automation>`.
//! Runs triggered by runs are chained breadth-first, never by their own writes, and stop
//! at [`MAX_CHAIN_DEPTH`] with a `stopped` entry in the run log.

use std::collections::VecDeque;
use std::sync::Arc;

use redb::{ReadableTable, WriteTransaction};

use super::automation_config::bad;
use super::automation_runs::{AutomationRun, RunStatus, write_entry};
use super::records::FieldChange;
use super::records::validate_new;
use super::validate::{check_unique, check_value, required_missing};
use super::{Changes, Workspace};
use crate::automation::{Action, AutomationDef, MAX_CHAIN_DEPTH, Trigger, expand, shown};
use crate::error::{Error, Result, StoreError};
use crate::query::eval::matches;
use crate::record::{self, Row};
use crate::schema::{FieldKind, ObjectDef};
use crate::store::{DerivedTables, LoadedDoc, tables};
use crate::value::Value;
use crate::{DocId, DocKind, Filter, GroupId, ObjectId, RecordId, field_type, time_fmt};

/// An enabled automation, resolved against the current schema, ready to be matched.
#[derive(Debug)]
pub(super) struct Active {
    pub(super) id: DocId,
    pub(super) name: String,
    pub(super) object: ObjectId,
    pub(super) def: AutomationDef,
    pub(super) condition: Option<super::automation_formulas::Condition>,
    pub(super) trigger_filter: Option<Filter>,
    pub(super) trigger_field: Option<crate::FieldId>,
    /// Why it cannot run (a field or filter that no longer resolves).
    pub(super) problem: Option<String>,
}

/// What a dry run found.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DryRun {
    pub status: RunStatus,
    pub message: String,
    /// What it would change, one line per action.
    pub changes: Vec<String>,
}

/// A record change automations may react to.
#[derive(Debug, Clone)]
pub(super) struct RecordEvent {
    pub(super) record: RecordId,
    pub(super) object: ObjectId,
    /// `None` for a created record.
    pub(super) before: Option<Row>,
    pub(super) after: Row,
    /// 0 for a person's change; n for the writes of the n-th automation of a chain.
    pub(super) depth: u32,
    /// The automation whose write this is (it does not trigger itself).
    pub(super) by: Option<DocId>,
}

/// One write an automation plans.
#[derive(Debug)]
enum Write {
    Update {
        record: RecordId,
        changes: Vec<FieldChange>,
    },
    Create {
        object: ObjectId,
        values: Vec<FieldChange>,
    },
}

/// The runs of one transaction.
pub(super) struct Scope {
    pub(super) group: GroupId,
    pub(super) runs: Vec<AutomationRun>,
    /// Documents written (and cached before the commit: dropped from the cache if it fails).
    pub(super) touched: Vec<DocId>,
    pub(super) records: Vec<RecordId>,
    /// Date-triggered runs: the time (ms) every device stamps on what they create, whose
    /// ids and first changes are derived from the run, so two devices make the same.
    pub(super) fixed: Option<i64>,
}

impl Workspace {
    /// The enabled automations, resolved; cached until a configuration document or the
    /// schema changes (locally or by sync).
    pub(super) fn active_automations(&self) -> Result<Arc<Vec<Active>>> {
        if let Some(cached) = self.automation_cache.lock().ok().and_then(|c| c.clone()) {
            return Ok(cached);
        }
        let mut active = Vec::new();
        if self.schema.config_docs.iter().any(|c| c.kind == DocKind::Automation) {
            for a in self.automations()?.into_iter().filter(|a| a.enabled) {
                if let Some(def) = a.definition {
                    active.push(self.resolve(a.id, &a.name, def));
                }
            }
        }
        let active = Arc::new(active);
        if let Ok(mut cache) = self.automation_cache.lock() {
            *cache = Some(active.clone());
        }
        Ok(active)
    }

    /// The change group a person's change of a record of `object` gets when an enabled
    /// automation may react to it (`changed` lists the fields an edit sets; `None` for a
    /// creation). Only plain edits (`message == "edit"`) trigger automations.
    pub(super) fn automation_group(
        &self,
        message: &str,
        object: ObjectId,
        changed: Option<&[crate::FieldId]>,
    ) -> Result<Option<GroupId>> {
        if message != "edit" || !self.schema.config_docs.iter().any(|c| c.kind == DocKind::Automation) {
            return Ok(None);
        }
        let fires = self.active_automations()?.iter().any(|a| {
            a.object == object
                && match (&a.def.trigger, changed) {
                    (Trigger::Created, None) | (Trigger::Matches { .. }, _) => true,
                    (Trigger::Changed { .. }, Some(fields)) => a.trigger_field.is_some_and(|f| fields.contains(&f)),
                    _ => false,
                }
        });
        Ok(fires.then(GroupId::new))
    }

    // ----- running -----

    /// Runs the user's write `write` in one transaction, then (when `group` is set) the
    /// automations its events trigger, and commits it all at once.
    pub(super) fn write_with_automations(
        &mut self,
        group: Option<GroupId>,
        records: Vec<RecordId>,
        write: impl FnOnce(&mut Self, &WriteTransaction) -> Result<(Vec<(DocId, LoadedDoc)>, Vec<RecordEvent>)>,
    ) -> Result<()> {
        let tx = self.store.write()?;
        let (taken, events) = write(self, &tx)?;
        let Some(group) = group else {
            tx.commit().map_err(StoreError::from)?;
            self.committed(Changes::local_records(records));
            for (id, loaded) in taken {
                self.cache_doc(id, loaded);
            }
            return Ok(());
        };
        let mut scope = Scope {
            group,
            runs: Vec::new(),
            touched: taken.iter().map(|(id, _)| *id).collect(),
            records,
            fixed: None,
        };
        for (id, loaded) in taken {
            self.cache_doc(id, loaded);
        }
        let result = self
            .fire(&tx, &mut scope, events)
            .and_then(|()| write_runs(&tx, &scope.runs))
            .and_then(|()| tx.commit().map_err(|e| StoreError::from(e).into()));
        if let Err(e) = result {
            for id in &scope.touched {
                self.cache.pop(id);
            }
            return Err(e);
        }
        self.committed(Changes::local_records(scope.records));
        Ok(())
    }

    /// Runs an automation on a record now (its manual button; any trigger), in its own
    /// change group, with the automations its writes trigger.
    pub fn run_automation(&mut self, id: DocId, record: RecordId) -> Result<AutomationRun> {
        let row = self.row(record)?;
        let automation = self.automation_named(&id.to_string())?;
        let def = automation
            .definition
            .ok_or_else(|| bad(&automation.name, automation.problem.unwrap_or_default()))?;
        let active = self.resolve(id, &automation.name, def);
        if active.object != row.object {
            return Err(bad(&active.name, "it is for records of another object".into()));
        }
        let mut scope = Scope {
            group: GroupId::new(),
            runs: Vec::new(),
            touched: Vec::new(),
            records: Vec::new(),
            fixed: None,
        };
        let event = RecordEvent {
            record,
            object: row.object,
            before: Some(row.clone()),
            after: row,
            depth: 0,
            by: None,
        };
        let tx = self.store.write()?;
        let result = (|| {
            let mut entry = self.new_entry(&scope, &active, &event, "manual");
            let events = self.run_one(&tx, &mut scope, &active, &event, &mut entry)?;
            scope.runs.push(entry);
            self.fire(&tx, &mut scope, events)?;
            write_runs(&tx, &scope.runs)?;
            tx.commit().map_err(StoreError::from)?;
            Ok(())
        })();
        if let Err(e) = result {
            for id in &scope.touched {
                self.cache.pop(id);
            }
            return Err(e);
        }
        self.committed(Changes::local_records(scope.records.clone()));
        scope
            .runs
            .into_iter()
            .next()
            .ok_or_else(|| Error::RunNotFound("manual run".into()))
    }

    /// What an automation would change on a record now (its condition checked, its
    /// trigger not), writing nothing.
    pub fn test_automation(&self, id: DocId, record: RecordId) -> Result<DryRun> {
        let row = self.row(record)?;
        let automation = self.automation_named(&id.to_string())?;
        let Some(def) = automation.definition else {
            return Ok(DryRun {
                status: RunStatus::Error,
                message: automation.problem.unwrap_or_default(),
                changes: Vec::new(),
            });
        };
        let active = self.resolve(id, &automation.name, def);
        if let Some(problem) = active.problem {
            return Ok(DryRun {
                status: RunStatus::Error,
                message: problem,
                changes: Vec::new(),
            });
        }
        let obj = self.object_def(row.object)?;
        if active.object != row.object {
            return Err(bad(&active.name, "it is for records of another object".into()));
        }
        if let Some(condition) = &active.condition
            && !self.passes(condition, obj, &row, time_fmt::date_of((self.clock)()))
        {
            return Ok(DryRun {
                status: RunStatus::Skipped,
                message: "the record does not pass its condition".into(),
                changes: Vec::new(),
            });
        }
        Ok(
            match self.plan(&active, record, &row, time_fmt::date_of((self.clock)())) {
                Ok(planned) => DryRun {
                    status: RunStatus::Ok,
                    message: String::new(),
                    changes: planned.into_iter().map(|(_, d)| d).collect(),
                },
                Err(message) => DryRun {
                    status: RunStatus::Error,
                    message,
                    changes: Vec::new(),
                },
            },
        )
    }

    /// Runs the automations `events` trigger, and those their writes trigger, breadth-first.
    fn fire(&mut self, tx: &WriteTransaction, scope: &mut Scope, events: Vec<RecordEvent>) -> Result<()> {
        let active = self.active_automations()?;
        let mut queue: VecDeque<RecordEvent> = events.into();
        while let Some(event) = queue.pop_front() {
            let Some(obj) = self.schema.object(event.object).cloned() else {
                continue;
            };
            for automation in active
                .iter()
                .filter(|a| a.object == event.object && Some(a.id) != event.by)
            {
                if !triggered(automation, &obj, &event) {
                    continue;
                }
                let mut entry = self.new_entry(scope, automation, &event, &automation.def.trigger.describe());
                if event.depth >= MAX_CHAIN_DEPTH {
                    entry.status = RunStatus::Stopped;
                    entry.message = format!(
                        "stopped: a chain of {MAX_CHAIN_DEPTH} automations triggering each other reached the depth limit"
                    );
                    scope.runs.push(entry);
                    continue;
                }
                let more = self.run_one(tx, scope, automation, &event, &mut entry)?;
                queue.extend(more);
                scope.runs.push(entry);
            }
        }
        Ok(())
    }

    pub(super) fn new_entry(
        &self,
        scope: &Scope,
        automation: &Active,
        event: &RecordEvent,
        trigger: &str,
    ) -> AutomationRun {
        AutomationRun {
            run: GroupId::new(),
            group: Some(scope.group),
            automation: automation.id,
            trigger: trigger.to_string(),
            record: Some(event.record),
            time: (self.clock)(),
            by: self.device.user.clone(),
            status: RunStatus::Ok,
            message: String::new(),
            changes: Vec::new(),
            docs: Vec::new(),
            remote: false,
        }
    }

    /// One run: condition, plan, checks, writes. A run that cannot apply is logged as an
    /// error and writes nothing; the person's change stands.
    pub(super) fn run_one(
        &mut self,
        tx: &WriteTransaction,
        scope: &mut Scope,
        automation: &Active,
        event: &RecordEvent,
        entry: &mut AutomationRun,
    ) -> Result<Vec<RecordEvent>> {
        if let Some(problem) = &automation.problem {
            entry.status = RunStatus::Error;
            entry.message = problem.clone();
            return Ok(Vec::new());
        }
        let obj = self.object_def(event.object)?.clone();
        let today = time_fmt::date_of(scope.fixed.unwrap_or_else(|| (self.clock)()));
        if let Some(condition) = &automation.condition
            && !self.passes(condition, &obj, &event.after, today)
        {
            entry.status = RunStatus::Skipped;
            entry.message = "the record does not pass its condition".into();
            return Ok(Vec::new());
        }
        let planned = match self.plan(automation, event.record, &event.after, today) {
            Ok(p) => p,
            Err(message) => {
                entry.status = RunStatus::Error;
                entry.message = message;
                return Ok(Vec::new());
            }
        };
        if let Err(e) = self.check_writes(tx, &planned) {
            entry.status = RunStatus::Error;
            entry.message = e.to_string();
            return Ok(Vec::new());
        }
        let message = format!("automation:{}:{}:{}", scope.group, entry.run, automation.id);
        let mut events = Vec::new();
        for (n, (write, describe)) in planned.into_iter().enumerate() {
            let (doc, mut loaded, before, record, object) = match write {
                Write::Update { record, changes } => {
                    let before = current_row(tx, record)?;
                    let mut taken = None;
                    self.edit_in(
                        tx,
                        record,
                        &message,
                        false,
                        |_, derived, obj, _| super::records::values_edit(derived, obj, record, &changes),
                        &mut taken,
                    )?;
                    let Some(loaded) = taken else { continue };
                    let object = before.as_ref().map_or(event.object, |r| r.object);
                    (DocId::from(record), loaded, before, record, object)
                }
                Write::Create { object, values } => {
                    let id = match scope.fixed {
                        Some(time) => RecordId::from_bytes(crate::automation::derived_id(
                            time,
                            &[entry.run.as_bytes(), &(n as u64).to_be_bytes()],
                        )),
                        None => RecordId::new(),
                    };
                    let obj = self.object_def(object)?.clone();
                    let loaded = self.create_in_as(tx, &obj, id, values, &message, scope.fixed)?;
                    (DocId::from(id), loaded, None, id, object)
                }
            };
            let after = record::read_row(loaded.doc.document())
                .ok_or(StoreError::MissingMeta("record fields in a record document"))?;
            self.cache_doc(doc, loaded);
            scope.touched.push(doc);
            scope.records.push(record);
            entry.docs.push(doc);
            entry.changes.push(describe);
            // A date-triggered run's writes trigger nothing: two devices may both make them.
            if scope.fixed.is_none() && before.as_ref().is_none_or(|b| b.values != after.values) {
                events.push(RecordEvent {
                    record,
                    object,
                    before,
                    after,
                    depth: event.depth + 1,
                    by: Some(automation.id),
                });
            }
        }
        Ok(events)
    }

    /// The writes an automation's actions make for a record, each with a line saying it.
    fn plan(
        &self,
        automation: &Active,
        record: RecordId,
        row: &Row,
        today: i32,
    ) -> std::result::Result<Vec<(Write, String)>, String> {
        let obj = self.object_def(row.object).map_err(|e| e.to_string())?;
        let fill = |text: &str| expand(text, obj, record, row, today);
        // Inputs are parsed as typed; `= expression` is a formula over the triggering record.
        let parse = |object: ObjectId, values: &std::collections::BTreeMap<String, String>| {
            let mut out = Vec::new();
            for (key, text) in values {
                match super::automation_formulas::formula_source(text) {
                    Some(source) => {
                        let target = self.object_def(object).map_err(|e| e.to_string())?;
                        let field = target
                            .find_field(key)
                            .ok_or_else(|| format!("{} has no field '{key}'", target.key))?;
                        out.push((field.id, self.formula_value(source, obj, row, today, field)?));
                    }
                    None => out.extend(
                        self.parse_values(object, &[(key.clone(), fill(text))])
                            .map_err(|e| e.to_string())?,
                    ),
                }
            }
            Ok::<_, String>(out)
        };
        let name = self.record_label(record);
        let mut out = Vec::new();
        for action in &automation.def.actions {
            match action {
                Action::Set(values) => {
                    let changes = parse(obj.id, values)?;
                    let shown: Vec<String> = values.iter().map(|(k, v)| format!("{k} = '{}'", fill(v))).collect();
                    out.push((
                        Write::Update { record, changes },
                        format!("set {} on {name}", shown.join(", ")),
                    ));
                }
                Action::CreateRecord { object, values } => {
                    let target = self.object_named(object).map_err(|e| e.to_string())?;
                    let values = parse(target.id, values)?;
                    out.push((
                        Write::Create {
                            object: target.id,
                            values,
                        },
                        format!("create a {} record", target.key),
                    ));
                }
                Action::CreateTask {
                    title,
                    due_in_days,
                    object,
                } => {
                    let tasks = self
                        .object_named(object.as_deref().unwrap_or(crate::automation::TASKS))
                        .map_err(|e| e.to_string())?;
                    let title = fill(title);
                    let mut values = Vec::new();
                    if let Some(field) = tasks.find_field("title").or_else(|| tasks.display_field()) {
                        values.push((field.id, Some(Value::Text(title.clone()))));
                    }
                    if let (Some(days), Some(due)) = (due_in_days, tasks.find_field("due")) {
                        values.push((due.id, Some(Value::Date(today.saturating_add(*days)))));
                    }
                    if let Some(link) = tasks
                        .active_fields()
                        .find(|f| f.kind == FieldKind::Relation && f.target.is_none_or(|t| t == obj.id))
                    {
                        values.push((link.id, Some(Value::Records(vec![record]))));
                    }
                    out.push((
                        Write::Create {
                            object: tasks.id,
                            values,
                        },
                        format!("create task '{title}' for {name}"),
                    ));
                }
                Action::Link { field, record: other } | Action::Unlink { field, record: other } => {
                    let def = obj
                        .find_field(field)
                        .filter(|f| f.kind == FieldKind::Relation)
                        .ok_or_else(|| format!("{} has no relation '{field}'", obj.key))?;
                    let other = fill(other);
                    let target = self.resolve_by_name(def.target, &other)?;
                    let mut ids = match row.get(def.id).and_then(|s| field_type::read(def, s)) {
                        Some(Value::Records(ids)) => ids,
                        _ => Vec::new(),
                    };
                    let linking = matches!(action, Action::Link { .. });
                    if linking && !ids.contains(&target) {
                        if def.many {
                            ids.push(target);
                        } else {
                            ids = vec![target];
                        }
                    } else if !linking {
                        ids.retain(|i| *i != target);
                    }
                    let verb = if linking { "add" } else { "remove" };
                    out.push((
                        Write::Update {
                            record,
                            changes: vec![(def.id, (!ids.is_empty()).then_some(Value::Records(ids)))],
                        },
                        format!(
                            "{verb} {} {} {}.{}",
                            self.record_label(target),
                            if linking { "to" } else { "from" },
                            obj.key,
                            def.key
                        ),
                    ));
                }
            }
        }
        Ok(out)
    }

    /// Checks planned writes before any is made, so a run either applies whole or not at all.
    fn check_writes(&self, tx: &WriteTransaction, planned: &[(Write, String)]) -> Result<()> {
        let derived = DerivedTables::open(tx)?;
        for (write, _) in planned {
            match write {
                Write::Update { record, changes } => {
                    let object = match derived
                        .record_objects
                        .get(record.as_bytes())
                        .map_err(StoreError::from)?
                    {
                        Some(g) => ObjectId::from_bytes(g.value()),
                        None => return Err(Error::RecordNotFound(record.to_string())),
                    };
                    let obj = self.object_def(object)?;
                    for (field_id, value) in changes {
                        let Some(field) = obj.field(*field_id) else { continue };
                        match value {
                            Some(v) => {
                                check_value(&derived, obj, field, v)?;
                                check_unique(&derived, obj, field, v, *record, None)?;
                            }
                            None if field.required => return Err(required_missing(obj, field).into()),
                            None => {}
                        }
                    }
                }
                Write::Create { object, values } => {
                    let obj = self.object_def(*object)?;
                    let values: Vec<(crate::FieldId, Value)> =
                        values.iter().filter_map(|(f, v)| v.clone().map(|v| (*f, v))).collect();
                    validate_new(&derived, obj, RecordId::new(), &values, None)?;
                }
            }
        }
        Ok(())
    }
}

/// Whether `event` triggers `automation`.
fn triggered(automation: &Active, obj: &ObjectDef, event: &RecordEvent) -> bool {
    if event.after.deleted_at.is_some() || automation.problem.is_some() {
        return false;
    }
    match &automation.def.trigger {
        Trigger::Created => event.before.is_none(),
        Trigger::Changed { field, from, to } => {
            let Some(before) = &event.before else { return false };
            let (Some(old), Some(new)) = (shown(obj, Some(before), field), shown(obj, Some(&event.after), field))
            else {
                return false;
            };
            old != new
                && from.as_ref().is_none_or(|f| f.trim().eq_ignore_ascii_case(&old))
                && to.as_ref().is_none_or(|t| t.trim().eq_ignore_ascii_case(&new))
        }
        Trigger::Matches { .. } => {
            let Some(filter) = &automation.trigger_filter else {
                return false;
            };
            matches(obj, &event.after, filter)
                && !event
                    .before
                    .as_ref()
                    .is_some_and(|b| b.deleted_at.is_none() && matches(obj, b, filter))
        }
        Trigger::Manual | Trigger::Date { .. } => false,
    }
}

/// A record's current row inside `tx`.
fn current_row(tx: &WriteTransaction, record: RecordId) -> Result<Option<Row>> {
    let derived = DerivedTables::open(tx)?;
    let Some(object) = derived
        .record_objects
        .get(record.as_bytes())
        .map_err(StoreError::from)?
    else {
        return Ok(None);
    };
    let object = ObjectId::from_bytes(object.value());
    Ok(derived.current_row(object, record)?)
}

pub(super) fn write_runs(tx: &WriteTransaction, runs: &[AutomationRun]) -> Result<()> {
    let mut table = tx.open_table(tables::AUTOMATION_RUNS).map_err(StoreError::from)?;
    for run in runs {
        write_entry(&mut table, run)?;
    }
    Ok(())
}
