//! `kith rule add | list | edit | disable | enable | remove`: validation rules, per object,
//! a condition (a yes/no formula) records must meet to be saved, with the message shown
//! when they do not (`kith record add` / `update` print it and write nothing). Rules are
//! synced configuration documents: each change prints its id for `kith revert`.

use std::io::Write;

use clap::Subcommand;
use kith_core::{DocId, FieldId, ObjectId, Rule, Workspace};

use crate::CliError;
use crate::commands::Context;
use crate::commands::history::short_change;
use crate::output::{JsonObject, Table, write_json};

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
    match args.command {
        RuleCommand::Add {
            object,
            when,
            message,
            fields,
        } => {
            let object = ws.object_named(&object)?.id;
            let fields = field_ids(&ws, object, &fields)?;
            let id = ws.add_rule(object, &when, &message, &fields)?;
            let rule = ws.rule(id)?;
            report(&ws, ctx, "added", &rule, None)
        }
        RuleCommand::List { object, all } => {
            let object = match object {
                Some(name) => Some(ws.object_named(&name)?.id),
                None => None,
            };
            let rules: Vec<Rule> = ws.rules(object)?.into_iter().filter(|r| all || !r.archived).collect();
            list(&ws, ctx, &rules)
        }
        RuleCommand::Edit {
            rule,
            when,
            message,
            fields,
        } => {
            let id = find_rule(&ws, &rule)?;
            let object = ws.rule(id)?.object;
            let fields = field_ids(&ws, object, &fields)?;
            let fields = (!fields.is_empty()).then_some(fields.as_slice());
            let change = ws.edit_rule(id, when.as_deref(), message.as_deref(), fields)?;
            report(&ws, ctx, "changed", &ws.rule(id)?, change)
        }
        RuleCommand::Disable { rule } => {
            let id = find_rule(&ws, &rule)?;
            let change = ws.set_rule_enabled(id, false)?;
            report(&ws, ctx, "disabled", &ws.rule(id)?, change)
        }
        RuleCommand::Enable { rule } => {
            let id = find_rule(&ws, &rule)?;
            let change = ws.set_rule_enabled(id, true)?;
            report(&ws, ctx, "enabled", &ws.rule(id)?, change)
        }
        RuleCommand::Remove { rule } => {
            let id = find_rule(&ws, &rule)?;
            let change = ws.remove_rule(id)?;
            report(&ws, ctx, "removed", &ws.rule(id)?, change)
        }
    }
}

fn field_ids(ws: &Workspace, object: ObjectId, names: &[String]) -> Result<Vec<FieldId>, CliError> {
    names.iter().map(|n| Ok(ws.field_named(object, n)?.id)).collect()
}

/// A rule named by its id, or by its first or last characters (at least 4; `kith rule
/// list` shows the last 8).
fn find_rule(ws: &Workspace, text: &str) -> Result<DocId, CliError> {
    let text = text.trim().to_ascii_lowercase();
    if let Ok(id) = text.parse::<DocId>() {
        return Ok(id);
    }
    let rules = ws.rules(None)?;
    let found: Vec<&Rule> = rules
        .iter()
        .filter(|r| {
            let id = r.id.to_string();
            text.len() >= 4 && (id.starts_with(&text) || id.ends_with(&text))
        })
        .collect();
    match found.as_slice() {
        [one] => Ok(one.id),
        [] => Err(CliError::InvalidArgument(format!(
            "no rule '{text}' (`kith rule list` shows their ids)"
        ))),
        _ => Err(CliError::InvalidArgument(format!(
            "'{text}' is the start of more than one rule's id; give more characters"
        ))),
    }
}

/// The last 8 hex digits: ids start with their creation time, so their ends differ.
fn short(id: DocId) -> String {
    let text = id.to_string();
    text[text.len() - 8..].to_string()
}

fn object_key(ws: &Workspace, rule: &Rule) -> String {
    ws.schema()
        .object(rule.object)
        .map_or_else(|| rule.object.to_string(), |o| o.key.clone())
}

fn field_keys(ws: &Workspace, rule: &Rule) -> Vec<String> {
    let obj = ws.schema().object(rule.object);
    rule.fields
        .iter()
        .map(|f| {
            obj.and_then(|o| o.field(*f))
                .map_or_else(|| f.to_string(), |d| d.key.clone())
        })
        .collect()
}

fn rule_json(ws: &Workspace, rule: &Rule) -> JsonObject {
    let mut j = JsonObject::default();
    j.push("id", rule.id.to_string());
    j.push("object", object_key(ws, rule));
    match ws.rule_condition(rule) {
        Ok(shown) => j.push("condition", shown),
        Err(why) => {
            j.push("condition", rule.condition.clone());
            j.push("broken", why);
        }
    }
    j.push("message", rule.message.clone());
    j.push("fields", field_keys(ws, rule));
    j.push("enabled", rule.enabled);
    j.push("removed", rule.archived);
    j
}

fn state(rule: &Rule) -> &'static str {
    if rule.archived {
        "removed"
    } else if rule.enabled {
        "on"
    } else {
        "off"
    }
}

fn list(ws: &Workspace, ctx: &Context, rules: &[Rule]) -> Result<(), CliError> {
    let mut out = ctx.out();
    if ctx.json {
        let items = rules.iter().map(|r| rule_json(ws, r)).collect();
        let mut j = JsonObject::default();
        j.push_objects("rules", items);
        write_json(&mut out, &j)?;
        return Ok(());
    }
    if rules.is_empty() {
        writeln!(
            out,
            "no rules (add one: kith rule add OBJECT --when CONDITION --message TEXT)"
        )?;
        return Ok(());
    }
    let mut table = Table::new(["id", "object", "state", "condition", "message", "fields"]);
    for rule in rules {
        let condition = ws
            .rule_condition(rule)
            .unwrap_or_else(|why| format!("(not enforced: {why})"));
        table.push(vec![
            short(rule.id),
            object_key(ws, rule),
            state(rule).to_string(),
            condition,
            rule.message.clone(),
            field_keys(ws, rule).join(", "),
        ]);
    }
    table.write(&mut out)?;
    Ok(())
}

fn report(ws: &Workspace, ctx: &Context, what: &str, rule: &Rule, change: Option<String>) -> Result<(), CliError> {
    let mut out = ctx.out();
    if ctx.json {
        let mut j = rule_json(ws, rule);
        if let Some(change) = &change {
            j.push("change", change.clone());
        }
        write_json(&mut out, &j)?;
        return Ok(());
    }
    let condition = ws.rule_condition(rule).unwrap_or_else(|why| why);
    writeln!(
        out,
        "{what} rule {} of {} ({}): when {condition} — else \"{}\"",
        short(rule.id),
        object_key(ws, rule),
        state(rule),
        rule.message
    )?;
    if let Some(change) = change {
        writeln!(out, "undo it: kith revert {}", short_change(&change))?;
    }
    Ok(())
}
