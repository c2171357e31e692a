//! `kith automation`: automations (trigger, condition, actions) stored in automation
//! documents; their run log; dry runs, manual runs, reverting a run, and the date tick.
//!
//! A definition is given by flags (`--on`, `--if`, `--set`, `--create-task`, ...) or as a
//! JSON file (`--from rule.json`, the format of `kith_core::automation`). Each subcommand
//! but `tick` is one operation of [`crate::app::automations`].

use std::io::Write;
use std::path::PathBuf;

use clap::Subcommand;
use kith_core::automation::{Action, AutomationDef, Trigger};
use kith_core::time_fmt::{format_datetime, now_ms, parse_datetime};
use kith_core::{Automation, AutomationRun, Workspace};

use crate::CliError;
use crate::app::automations::{
    self, AddAutomationRequest, AutomationRequest, EditAutomationRequest, OnRecordRequest, RevertRunRequest,
    RunsRequest,
};
use crate::commands::Context;
use crate::commands::support::{assignments, changed, short_id};
use crate::output::{Table, write_json};

/// Automations: add, list, show, edit, enable, disable, remove; runs, revert, test, run, tick.
#[derive(clap::Args)]
pub struct AutomationArgs {
    #[command(subcommand)]
    pub command: AutomationCommand,
}

/// A definition by flags, or from a JSON file.
#[derive(clap::Args, Default)]
pub struct DefinitionFlags {
    /// A JSON definition file (see docs/logic.md "Automations")
    #[arg(long, value_name = "FILE")]
    pub from: Option<PathBuf>,
    /// The object whose records trigger it
    #[arg(long)]
    pub object: Option<String>,
    /// created | changed:FIELD | matches:FILTER | date:FIELD[+/-DAYS] | manual
    #[arg(long, value_name = "TRIGGER")]
    pub on: Option<String>,
    /// With `changed:FIELD`: only when it changed from this value
    #[arg(long, value_name = "VALUE")]
    pub old: Option<String>,
    /// With `changed:FIELD`: only when it changed to this value
    #[arg(long, value_name = "VALUE")]
    pub new: Option<String>,
    /// Condition: a filter the record must pass (or `= formula`)
    #[arg(long = "if", value_name = "FILTER")]
    pub condition: Option<String>,
    /// Set a field of the record: field=value (`{name}`, `{today+3}`, `= formula`)
    #[arg(long = "set", value_name = "FIELD=VALUE")]
    pub set: Vec<String>,
    /// Create a task related to the record, with this title
    #[arg(long, value_name = "TITLE")]
    pub create_task: Option<String>,
    /// With --create-task: due this many days later
    #[arg(long, value_name = "DAYS", allow_hyphen_values = true)]
    pub due_in: Option<i32>,
    /// With --create-task: the object the task is made in (default: tasks; kept by id, so
    /// renaming the object keeps the automation working)
    #[arg(long, value_name = "OBJECT")]
    pub task_object: Option<String>,
    /// Create a record: `OBJECT: field=value; field=value`
    #[arg(long, value_name = "SPEC")]
    pub create: Vec<String>,
    /// Add a record to a relation of the record: field=record
    #[arg(long, value_name = "FIELD=RECORD")]
    pub link: Vec<String>,
    /// Remove a record from a relation of the record: field=record
    #[arg(long, value_name = "FIELD=RECORD")]
    pub unlink: Vec<String>,
}

#[derive(Subcommand)]
pub enum AutomationCommand {
    /// Add an automation (enabled)
    Add {
        /// The automation's name
        name: String,
        #[command(flatten)]
        definition: DefinitionFlags,
    },
    /// List automations: name, object, trigger, enabled
    List,
    /// Show an automation's definition (JSON)
    Show {
        /// The automation's name
        name: String,
    },
    /// Rename an automation, or replace its definition (--from FILE or flags)
    Edit {
        /// The automation's name
        name: String,
        /// Its new name
        #[arg(long)]
        rename: Option<String>,
        #[command(flatten)]
        definition: DefinitionFlags,
    },
    /// Turn an automation on
    Enable {
        /// The automation's name
        name: String,
    },
    /// Turn an automation off
    Disable {
        /// The automation's name
        name: String,
    },
    /// Remove an automation (its document is archived: `kith revert` brings it back)
    Remove {
        /// The automation's name
        name: String,
    },
    /// The run log, newest first (of one automation when named)
    Runs {
        /// Only this automation's runs
        name: Option<String>,
        /// How many runs to show
        #[arg(long, default_value_t = automations::DEFAULT_RUNS)]
        limit: usize,
    },
    /// Take back what one run changed (the edit that triggered it stays)
    Revert {
        /// The run's id (or a prefix of it), from `kith automation runs`
        run: String,
        /// Revert even if a later change touched what it changed
        #[arg(long)]
        force: bool,
    },
    /// Dry run: what an automation would change on a record, writing nothing
    Test {
        /// The automation's name
        name: String,
        /// The record (id or short id)
        #[arg(long)]
        record: String,
    },
    /// Run an automation on a record now (the record page's button)
    Run {
        /// The automation's name
        name: String,
        /// The record (id or short id)
        #[arg(long)]
        record: String,
    },
    /// Run the date-triggered automations that are due (`kith serve` and `kith sync
    /// --watch` do this every minute)
    Tick {
        /// Pretend it is this time (YYYY-MM-DDTHH:MM:SSZ)
        #[arg(long)]
        now: Option<String>,
    },
}

pub fn run(args: AutomationArgs, ctx: &Context) -> Result<(), CliError> {
    let mut ws = ctx.open()?;
    let mut out = ctx.out();
    let done = match args.command {
        AutomationCommand::Add { name, definition } => {
            let definition = definition.build(None)?;
            automations::add(&mut ws, &AddAutomationRequest { name, definition })?
        }
        AutomationCommand::List => return list(&automations::list(&ws)?, &mut out, ctx),
        AutomationCommand::Show { name } => {
            let a = automations::show(&ws, &AutomationRequest { automation: name })?;
            if ctx.json {
                write_json(&mut out, &a)?;
            } else {
                writeln!(out, "{} ({})", a.name, if a.enabled { "enabled" } else { "disabled" })?;
                match (&a.definition, &a.problem) {
                    (Some(def), _) => {
                        let json = serde_json::to_string_pretty(def).unwrap_or_default();
                        writeln!(out, "{json}")?;
                    }
                    (None, Some(problem)) => writeln!(out, "unreadable definition: {problem}")?,
                    (None, None) => {}
                }
            }
            return Ok(());
        }
        AutomationCommand::Edit {
            name,
            rename,
            definition,
        } => {
            // Flags not given keep the current definition's parts.
            let definition = if definition.is_empty() {
                None
            } else {
                let current = ws.automation_named(&name)?.definition;
                Some(definition.build(current.as_ref())?)
            };
            automations::edit(
                &mut ws,
                &EditAutomationRequest {
                    automation: name,
                    name: rename,
                    definition,
                },
            )?
        }
        AutomationCommand::Enable { name } => {
            automations::set_enabled(&mut ws, &AutomationRequest { automation: name }, true)?
        }
        AutomationCommand::Disable { name } => {
            automations::set_enabled(&mut ws, &AutomationRequest { automation: name }, false)?
        }
        AutomationCommand::Remove { name } => automations::remove(&mut ws, &AutomationRequest { automation: name })?,
        AutomationCommand::Runs { name, limit } => {
            let runs = automations::runs(
                &ws,
                &RunsRequest {
                    automation: name,
                    limit,
                },
            )?;
            return write_runs(&ws, &mut out, ctx, &runs);
        }
        AutomationCommand::Revert { run, force } => {
            let done = automations::revert_run(&mut ws, &RevertRunRequest { run, force })?;
            changed(&mut out, ctx, &done)?;
            if !ctx.json {
                writeln!(out, "revert it with `kith revert --group {}`", done.id)?;
            }
            return Ok(());
        }
        AutomationCommand::Test { name, record } => {
            let dry = automations::test(
                &ws,
                &OnRecordRequest {
                    automation: name,
                    record,
                },
            )?;
            if ctx.json {
                write_json(&mut out, &dry)?;
                return Ok(());
            }
            match dry.status {
                kith_core::RunStatus::Ok if dry.changes.is_empty() => writeln!(out, "it would change nothing")?,
                kith_core::RunStatus::Ok => {
                    writeln!(out, "it would (nothing was written):")?;
                    for c in &dry.changes {
                        writeln!(out, "  {c}")?;
                    }
                }
                other => writeln!(out, "{}: {}", other.as_str(), dry.message)?,
            }
            return Ok(());
        }
        AutomationCommand::Run { name, record } => {
            let runs = automations::run(
                &mut ws,
                &OnRecordRequest {
                    automation: name,
                    record,
                },
            )?;
            return write_runs(&ws, &mut out, ctx, &runs);
        }
        AutomationCommand::Tick { now } => {
            let now = match now {
                Some(text) => parse_datetime(&text).ok_or_else(|| {
                    CliError::InvalidArgument(format!("'{text}' is not a time (YYYY-MM-DDTHH:MM:SSZ)"))
                })?,
                None => now_ms(),
            };
            let runs = ws.automation_tick(now)?;
            if runs.is_empty() && !ctx.json {
                writeln!(out, "no date-triggered automation is due")?;
                return Ok(());
            }
            return write_runs(&ws, &mut out, ctx, &runs);
        }
    };
    changed(&mut out, ctx, &done)
}

fn list(all: &[Automation], out: &mut dyn Write, ctx: &Context) -> Result<(), CliError> {
    if ctx.json {
        write_json(out, all)?;
        return Ok(());
    }
    if all.is_empty() {
        writeln!(out, "no automations yet (add one with `kith automation add`)")?;
        return Ok(());
    }
    let mut table = Table::new(["name", "object", "trigger", "actions", "enabled"]);
    for a in all {
        let (object, trigger, actions) = match &a.definition {
            Some(d) => (
                d.object.clone(),
                d.trigger.describe(),
                d.actions.iter().map(Action::describe).collect::<Vec<_>>().join("; "),
            ),
            None => (String::new(), a.problem.clone().unwrap_or_default(), String::new()),
        };
        table.push(vec![
            a.name.clone(),
            object,
            trigger,
            actions,
            if a.enabled { "yes" } else { "no" }.to_string(),
        ]);
    }
    table.write(out)?;
    Ok(())
}

fn write_runs(ws: &Workspace, out: &mut dyn Write, ctx: &Context, runs: &[AutomationRun]) -> Result<(), CliError> {
    if ctx.json {
        write_json(out, runs)?;
        return Ok(());
    }
    if runs.is_empty() {
        writeln!(out, "no runs yet")?;
        return Ok(());
    }
    let names: std::collections::HashMap<_, _> = ws.config_docs().iter().map(|d| (d.id, d.name.clone())).collect();
    let mut table = Table::new(["run", "time", "automation", "trigger", "record", "by", "status", "what"]);
    for r in runs {
        let what = if r.message.is_empty() {
            r.changes.join("; ")
        } else {
            r.message.clone()
        };
        table.push(vec![
            r.run.to_string(),
            format_datetime(r.time),
            names.get(&r.automation).cloned().unwrap_or_default(),
            r.trigger.clone(),
            r.record.map(|id| short_id(ws, id)).unwrap_or_default(),
            r.by.clone(),
            r.status.as_str().to_string(),
            what,
        ]);
    }
    table.write(out)?;
    Ok(())
}

impl DefinitionFlags {
    fn is_empty(&self) -> bool {
        self.from.is_none()
            && self.object.is_none()
            && self.on.is_none()
            && self.condition.is_none()
            && self.set.is_empty()
            && self.create_task.is_none()
            && self.task_object.is_none()
            && self.create.is_empty()
            && self.link.is_empty()
            && self.unlink.is_empty()
    }

    /// The definition these flags give; on edit, flags not given keep `current`'s parts
    /// (actions given replace all actions).
    fn build(&self, current: Option<&AutomationDef>) -> Result<AutomationDef, CliError> {
        if let Some(path) = &self.from {
            let text = std::fs::read_to_string(path).map_err(|source| CliError::ReadFile {
                path: path.clone(),
                source,
            })?;
            return AutomationDef::from_json(&text)
                .map_err(|e| CliError::InvalidArgument(format!("{}: {e}", path.display())));
        }
        let object = match (&self.object, current) {
            (Some(o), _) => o.clone(),
            (None, Some(c)) => c.object.clone(),
            (None, None) => return Err(CliError::InvalidArgument("say which object with --object".into())),
        };
        let trigger = match (&self.on, current) {
            (Some(on), _) => self.trigger(on)?,
            (None, Some(c)) => c.trigger.clone(),
            (None, None) => {
                return Err(CliError::InvalidArgument(
                    "say what triggers it with --on (created, changed:FIELD, matches:FILTER, date:FIELD-3, manual)"
                        .into(),
                ));
            }
        };
        let mut actions = Vec::new();
        let set = assignments(&self.set)?;
        if !set.is_empty() {
            actions.push(Action::Set(set.into_iter().collect()));
        }
        if let Some(title) = &self.create_task {
            // On edit, the task goes where it went unless --task-object says otherwise.
            let current_object = current.into_iter().flat_map(|c| &c.actions).find_map(|a| match a {
                Action::CreateTask { object, .. } => object.clone(),
                _ => None,
            });
            actions.push(Action::CreateTask {
                title: title.clone(),
                due_in_days: self.due_in,
                object: self.task_object.clone().or(current_object),
            });
        }
        for spec in &self.create {
            let (object, values) = spec.split_once(':').ok_or_else(|| {
                CliError::InvalidArgument(format!("'{spec}' is not OBJECT: field=value; field=value"))
            })?;
            let pairs: Vec<String> = values
                .split(';')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            actions.push(Action::CreateRecord {
                object: object.trim().to_string(),
                values: assignments(&pairs)?.into_iter().collect(),
            });
        }
        for (field, record) in assignments(&self.link)? {
            actions.push(Action::Link { field, record });
        }
        for (field, record) in assignments(&self.unlink)? {
            actions.push(Action::Unlink { field, record });
        }
        if actions.is_empty() {
            match current {
                Some(c) => actions = c.actions.clone(),
                None => {
                    return Err(CliError::InvalidArgument(
                        "give at least one action (--set, --create-task, --create, --link, --unlink)".into(),
                    ));
                }
            }
        }
        let condition = match (&self.condition, current) {
            (Some(c), _) if c.trim().is_empty() => None,
            (Some(c), _) => Some(c.clone()),
            (None, Some(c)) => c.condition.clone(),
            (None, None) => None,
        };
        Ok(AutomationDef {
            object,
            trigger,
            condition,
            actions,
        })
    }

    fn trigger(&self, on: &str) -> Result<Trigger, CliError> {
        let (kind, rest) = on.split_once(':').unwrap_or((on, ""));
        let rest = rest.trim();
        let need = |what: &str| {
            if rest.is_empty() {
                Err(CliError::InvalidArgument(format!(
                    "--on {kind}: needs {what} (such as --on {kind}:{what})"
                )))
            } else {
                Ok(rest.to_string())
            }
        };
        Ok(match kind.trim() {
            "created" => Trigger::Created,
            "manual" => Trigger::Manual,
            "changed" => Trigger::Changed {
                field: need("FIELD")?,
                from: self.old.clone(),
                to: self.new.clone(),
            },
            "matches" => Trigger::Matches {
                filter: need("FILTER")?,
            },
            "date" => {
                let spec = need("FIELD")?;
                let at = spec.find(['+', '-']).unwrap_or(spec.len());
                let (field, offset) = spec.split_at(at);
                let offset_days = match offset.trim() {
                    "" => 0,
                    o => o.parse().map_err(|_| {
                        CliError::InvalidArgument(format!("'{o}' is not a number of days (date:close_date-3)"))
                    })?,
                };
                Trigger::Date {
                    field: field.trim().to_string(),
                    offset_days,
                }
            }
            other => {
                return Err(CliError::InvalidArgument(format!(
                    "'{other}' is not a trigger: created, changed:FIELD, matches:FILTER, date:FIELD-3 or manual"
                )));
            }
        })
    }
}
