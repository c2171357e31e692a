//! `kith rule add | list | edit | disable | enable | remove`: validation rules, per object,
//! a condition (a yes/no formula) records must meet to be saved, with the message shown
//! when they do not (`kith record add` / `update` print it and write nothing). Rules are
//! synced configuration documents: each change prints its id for `kith revert`. Each
//! subcommand is one operation of [`crate::app::rules`].

use std::io::Write;

use clap::Subcommand;

use crate::CliError;
use crate::app::rules::{self, AddRuleRequest, EditRuleRequest, RuleChanged, RuleList, RuleRequest, RulesRequest};
use crate::commands::Context;
use crate::commands::history::short_change;
use crate::output::{Table, write_json};

/// Validation rules: conditions records must meet to be saved.
#[derive(clap::Args)]
pub struct RuleArgs {
    #[command(subcommand)]
    pub command: RuleCommand,
}

#[derive(Subcommand)]
pub enum RuleCommand {
    /// Add a rule to an object
    Add {
        /// The object (key, label or id)
        object: String,
        /// The condition records must meet, a formula: stage != "Won" or not is_empty(close_date)
        #[arg(long)]
        when: String,
        /// What people see when a record does not meet it
        #[arg(long)]
        message: String,
        /// A field to show the message beside (repeat; default: the fields the condition reads)
        #[arg(long = "field")]
        fields: Vec<String>,
    },
    /// List the rules (of one object), with their conditions as written today
    List {
        /// Only this object's rules
        object: Option<String>,
        /// Include removed rules
        #[arg(long)]
        all: bool,
    },
    /// Change a rule's condition, message or fields
    Edit {
        /// The rule's id (or its last 8 characters, as `kith rule list` shows it)
        rule: String,
        /// The new condition (a yes/no formula)
        #[arg(long)]
        when: Option<String>,
        /// The new message
        #[arg(long)]
        message: Option<String>,
        /// Replaces the fields the message is shown beside (repeat)
        #[arg(long = "field")]
        fields: Vec<String>,
    },
    /// Stop enforcing a rule (it is kept)
    Disable {
        /// The rule's id (or its last 8 characters, as `kith rule list` shows it)
        rule: String,
    },
    /// Enforce a disabled rule again
    Enable {
        /// The rule's id (or its last 8 characters, as `kith rule list` shows it)
        rule: String,
    },
    /// Remove a rule (archived: `kith revert` brings it back)
    Remove {
        /// The rule's id (or its last 8 characters, as `kith rule list` shows it)
        rule: String,
    },
}

pub fn run(args: RuleArgs, ctx: &Context) -> Result<(), CliError> {
    let mut ws = ctx.open()?;
    let (what, done) = match args.command {
        RuleCommand::Add {
            object,
            when,
            message,
            fields,
        } => (
            "added",
            rules::add(
                &mut ws,
                &AddRuleRequest {
                    object,
                    when,
                    message,
                    fields,
                },
            )?,
        ),
        RuleCommand::List { object, all } => {
            return list(ctx, &rules::list(&ws, &RulesRequest { object, all })?);
        }
        RuleCommand::Edit {
            rule,
            when,
            message,
            fields,
        } => (
            "changed",
            rules::edit(
                &mut ws,
                &EditRuleRequest {
                    rule,
                    when,
                    message,
                    fields,
                },
            )?,
        ),
        RuleCommand::Disable { rule } => ("disabled", rules::set_enabled(&mut ws, &RuleRequest { rule }, false)?),
        RuleCommand::Enable { rule } => ("enabled", rules::set_enabled(&mut ws, &RuleRequest { rule }, true)?),
        RuleCommand::Remove { rule } => ("removed", rules::remove(&mut ws, &RuleRequest { rule })?),
    };
    report(ctx, what, &done)
}

fn list(ctx: &Context, list: &RuleList) -> Result<(), CliError> {
    let mut out = ctx.out();
    if ctx.json {
        write_json(&mut out, list)?;
        return Ok(());
    }
    if list.rules.is_empty() {
        writeln!(
            out,
            "no rules (add one: kith rule add OBJECT --when CONDITION --message TEXT)"
        )?;
        return Ok(());
    }
    let mut table = Table::new(["id", "object", "state", "condition", "message", "fields"]);
    for rule in &list.rules {
        let condition = match &rule.broken {
            Some(why) => format!("(not enforced: {why})"),
            None => rule.condition.clone(),
        };
        table.push(vec![
            rule.short_id().to_string(),
            rule.object.clone(),
            rule.state().to_string(),
            condition,
            rule.message.clone(),
            rule.fields.join(", "),
        ]);
    }
    table.write(&mut out)?;
    Ok(())
}

fn report(ctx: &Context, what: &str, done: &RuleChanged) -> Result<(), CliError> {
    let mut out = ctx.out();
    if ctx.json {
        write_json(&mut out, done)?;
        return Ok(());
    }
    let rule = &done.rule;
    let condition = rule.broken.as_ref().unwrap_or(&rule.condition);
    writeln!(
        out,
        "{what} rule {} of {} ({}): when {condition} — else \"{}\"",
        rule.short_id(),
        rule.object,
        rule.state(),
        rule.message
    )?;
    if let Some(change) = &done.change {
        writeln!(out, "undo it: kith revert {}", short_change(change))?;
    }
    Ok(())
}
