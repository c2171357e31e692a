//! `kith field list|add|edit|rename|reorder|archive|restore|retype|set`: the fields of an
//! object. Positions are 1-based, counted among the fields `kith field list` shows.

use std::io::Write;

use clap::Subcommand;
use kith_core::{FieldDef, FieldKind, Workspace};

use crate::CliError;
pub(crate) use crate::app::fields::type_name;
use crate::app::fields::{
    self, AddFieldRequest, Definition, EditComputedRequest, FieldRequest, FieldSettingsRequest, ListFieldsRequest,
    RenameFieldRequest, ReorderFieldRequest,
};
use crate::app::retype::{self, RetypeRequest, Retyped};
use crate::app::schema_change::Placement;
use crate::commands::Context;
use crate::commands::support::{changed, parse_bool, short_id};
use crate::output::{Table, thousands, write_json};

/// List, add, rename, reorder, archive, restore and retype fields.
#[derive(clap::Args)]
pub struct FieldArgs {
    #[command(subcommand)]
    pub command: FieldCommand,
}

#[derive(Subcommand)]
pub enum FieldCommand {
    /// List an object's fields in order
    List {
        /// The object (key, label or id)
        object: String,
        /// Include archived fields
        #[arg(long)]
        all: bool,
    },
    /// Add a field at the end of an object's fields
    Add {
        /// The object (key, label or id)
        object: String,
        /// Key: lowercase letters, digits and _, starting with a letter
        key: String,
        /// text, long_text, number, currency, percent, date, datetime, boolean, select,
        /// multi_select, email, phone, url, rating or relation (or give --formula,
        /// --lookup or --rollup for a computed field)
        #[arg(long = "type", value_name = "TYPE", required_unless_present_any = ["formula", "lookup", "rollup"], conflicts_with_all = ["formula", "lookup", "rollup"])]
        kind: Option<FieldKind>,
        /// A computed field: a formula over this record's fields, like "amount * probability / 100"
        #[arg(long, value_name = "EXPR", conflicts_with_all = ["lookup", "rollup"])]
        formula: Option<String>,
        /// A computed field: a field of the related record, written relation.field, like company.industry
        #[arg(long, value_name = "RELATION.FIELD", conflicts_with = "rollup")]
        lookup: Option<String>,
        /// A computed field aggregating related records: "<relation>.<field> sum|avg|min|max [where FILTER]"
        /// or "<relation> count [where FILTER]"; <relation> is a relation field of this object or an
        /// object pointing here (deals, or deals/company), like "deals.amount sum where stage != Lost"
        #[arg(long, value_name = "SPEC")]
        rollup: Option<String>,
        /// Label shown to people [default: from the key]
        #[arg(long)]
        label: Option<String>,
        /// Every record needs a value
        #[arg(long)]
        required: bool,
        /// No two records share a value
        #[arg(long)]
        unique: bool,
        /// Options of a select or multi-select, comma-separated: "Low,Medium,High"
        #[arg(long)]
        options: Option<String>,
        /// The object a relation points to [default: any object]
        #[arg(long)]
        target: Option<String>,
        /// A relation to many records
        #[arg(long)]
        many: bool,
        /// Currency code for amounts given without one [default: USD]
        #[arg(long)]
        currency: Option<String>,
        /// Highest rating, 1 to 10 [default: 5]
        #[arg(long)]
        max_rating: Option<u8>,
    },
    /// Give a field a new label, a new key, or both (values are kept)
    Rename {
        /// The object (key, label or id)
        object: String,
        /// The field (key, label or id)
        field: String,
        /// The new label, shown to people
        #[arg(long)]
        label: Option<String>,
        /// The new key: lowercase letters, digits and _, starting with a letter
        #[arg(long)]
        key: Option<String>,
    },
    /// Move a field to a position (1 is first)
    Reorder {
        /// The object (key, label or id)
        object: String,
        /// The field (key, label or id)
        field: String,
        /// The new position, counting from 1
        position: usize,
    },
    /// Hide a field; its values are kept
    Archive {
        /// The object (key, label or id)
        object: String,
        /// The field (key, label or id)
        field: String,
    },
    /// Bring back an archived field with its values
    Restore {
        /// The object (key, label or id)
        object: String,
        /// The field (key, label or id)
        field: String,
    },
    /// Change a field's type; values that do not convert are kept as they were
    Retype {
        /// The object (key, label or id)
        object: String,
        /// The field (key, label or id)
        field: String,
        /// The new type: text, long_text, number, currency, percent, date, datetime, boolean, select, multi_select, email, phone, url, rating or relation
        #[arg(value_name = "TYPE")]
        kind: FieldKind,
        /// The object a relation points to
        #[arg(long)]
        target: Option<String>,
        /// Only report what would convert and what would not; change nothing
        #[arg(long)]
        dry_run: bool,
    },
    /// Change what a computed field computes (its values are recomputed)
    Edit {
        /// The object (key, label or id)
        object: String,
        /// The field (key, label or id)
        field: String,
        /// The new formula
        #[arg(long, value_name = "EXPR", required_unless_present_any = ["lookup", "rollup"], conflicts_with_all = ["lookup", "rollup"])]
        formula: Option<String>,
        /// The new lookup: relation.field
        #[arg(long, value_name = "RELATION.FIELD", conflicts_with = "rollup")]
        lookup: Option<String>,
        /// The new rollup: "<relation>.<field> <aggregate> [where FILTER]"
        #[arg(long, value_name = "SPEC")]
        rollup: Option<String>,
    },
    /// Make a field required or unique, or not
    Set {
        /// The object (key, label or id)
        object: String,
        /// The field (key, label or id)
        field: String,
        /// Every record needs a value (true) or not (false)
        #[arg(long, value_parser = parse_bool, value_name = "true|false")]
        required: Option<bool>,
        /// No two records may share a value (true) or they may (false)
        #[arg(long, value_parser = parse_bool, value_name = "true|false")]
        unique: Option<bool>,
    },
}

pub fn run(args: FieldArgs, ctx: &Context) -> Result<(), CliError> {
    let mut ws = ctx.open()?;
    let mut out = ctx.out();
    let answer = match args.command {
        FieldCommand::List { object, all } => {
            let fields = fields::list(&ws, &ListFieldsRequest { object, all })?;
            if ctx.json {
                write_json(&mut out, &fields)?;
            } else {
                let mut table = Table::new(["#", "KEY", "LABEL", "TYPE", "DETAILS"]).whole_values();
                for (i, f) in fields.iter().enumerate() {
                    table.push(vec![
                        (i + 1).to_string(),
                        f.key.clone(),
                        f.label.clone(),
                        type_name(f),
                        details(&ws, f),
                    ]);
                }
                table.write(&mut out)?;
            }
            return Ok(());
        }
        FieldCommand::Add {
            object,
            key,
            kind,
            formula,
            lookup,
            rollup,
            label,
            required,
            unique,
            options,
            target,
            many,
            currency,
            max_rating,
        } => {
            let request = AddFieldRequest {
                object,
                key: Some(key),
                label,
                kind,
                computed: Definition {
                    formula,
                    lookup,
                    rollup,
                },
                required,
                unique,
                options: options
                    .map(|o| o.split(',').map(str::to_string).collect())
                    .unwrap_or_default(),
                target,
                many,
                currency,
                max_rating,
            };
            fields::add(&mut ws, &request)?
        }
        FieldCommand::Rename {
            object,
            field,
            label,
            key,
        } => fields::rename(
            &mut ws,
            &RenameFieldRequest {
                object,
                field,
                label,
                key,
            },
        )?,
        FieldCommand::Reorder {
            object,
            field,
            position,
        } => fields::reorder(
            &mut ws,
            &ReorderFieldRequest {
                object,
                field,
                to: Placement::to(position),
            },
        )?,
        FieldCommand::Archive { object, field } => {
            fields::set_archived(&mut ws, &FieldRequest { object, field }, true)?
        }
        FieldCommand::Restore { object, field } => {
            fields::set_archived(&mut ws, &FieldRequest { object, field }, false)?
        }
        FieldCommand::Retype {
            object,
            field,
            kind,
            target,
            dry_run,
        } => {
            let request = RetypeRequest {
                object,
                field,
                kind,
                target,
                dry_run,
            };
            let done = retype::retype(&mut ws, &request)?;
            return write_retyped(&mut out, ctx, &ws, &done);
        }
        FieldCommand::Edit {
            object,
            field,
            formula,
            lookup,
            rollup,
        } => fields::edit_computed(
            &mut ws,
            &EditComputedRequest {
                object,
                field,
                definition: Definition {
                    formula,
                    lookup,
                    rollup,
                },
            },
        )?,
        FieldCommand::Set {
            object,
            field,
            required,
            unique,
        } => fields::set(
            &mut ws,
            &FieldSettingsRequest {
                object,
                field,
                required,
                unique,
            },
        )?,
    };
    changed(&mut out, ctx, &answer)
}

/// A retype's report: what converts, and a table of the values that do not.
fn write_retyped(out: &mut dyn Write, ctx: &Context, ws: &Workspace, done: &Retyped) -> Result<(), CliError> {
    if ctx.json {
        write_json(out, done)?;
        return Ok(());
    }
    writeln!(out, "{}", done.message)?;
    if !done.unconverted.is_empty() {
        let verb = if done.dry_run { "would be" } else { "are" };
        writeln!(
            out,
            "{} value(s) do not convert to {} and {verb} kept as they were:",
            thousands(done.unconverted_count),
            done.kind
        )?;
        let mut table = Table::new(["ID", "RECORD", "VALUE"]);
        for u in &done.unconverted {
            table.push(vec![short_id(ws, u.id), u.record.clone(), format!("'{}'", u.value)]);
        }
        table.write(out)?;
        if done.unconverted_count > done.unconverted.len() {
            writeln!(
                out,
                "… and {} more",
                thousands(done.unconverted_count - done.unconverted.len())
            )?;
        }
    }
    if done.dry_run {
        writeln!(
            out,
            "Nothing was changed (a dry run); run it again without --dry-run to retype."
        )?;
    }
    Ok(())
}

/// A field's settings in a few words: flags, relation target, options.
pub(crate) fn details(ws: &Workspace, f: &FieldDef) -> String {
    let mut parts: Vec<String> = Vec::new();
    if f.computed.is_some() {
        let object = ws
            .schema()
            .objects
            .iter()
            .find(|o| o.field(f.id).is_some())
            .map(|o| o.id);
        if let Some(source) = object.and_then(|o| ws.computed_source(o, f.id)) {
            parts.push(format!("= {source}"));
        }
    }
    if f.required {
        parts.push("required".into());
    }
    if f.unique {
        // Devices that saved the same value offline both keep their record: say so
        // rather than claim a rule the data breaks (`kith conflicts` lists them).
        let object = ws
            .schema()
            .objects
            .iter()
            .find(|o| o.field(f.id).is_some())
            .map(|o| o.id);
        match object.map(|o| ws.unique_duplicates(o, f.id)) {
            Some(Ok(n)) if n > 0 => parts.push(format!("unique ({n} duplicates)")),
            _ => parts.push("unique".into()),
        }
    }
    if f.archived {
        parts.push("archived".into());
    }
    match f.kind {
        FieldKind::Relation => {
            let target = f
                .target
                .and_then(|t| ws.schema().object(t))
                .map_or_else(|| "any object".to_string(), |o| o.key.clone());
            parts.push(format!("{} {target}", if f.many { "many" } else { "one" }));
        }
        FieldKind::Currency => parts.push(f.currency.clone()),
        FieldKind::Rating => parts.push(format!("1-{}", f.max_rating)),
        FieldKind::Select | FieldKind::MultiSelect => {
            let options: Vec<String> = f
                .options
                .iter()
                .map(|o| {
                    if o.archived {
                        format!("{} (archived)", o.label)
                    } else {
                        o.label.clone()
                    }
                })
                .collect();
            parts.push(format!("options: {}", options.join(", ")));
        }
        _ => {}
    }
    if !f.previous_kinds.is_empty() {
        let before: Vec<&str> = f.previous_kinds.iter().map(|k| k.as_str()).collect();
        parts.push(format!("was {}", before.join(", ")));
    }
    parts.join("; ")
}
