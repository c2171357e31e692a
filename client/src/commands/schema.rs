//! `kith schema show [--at DATETIME]`: every object with its fields, their types, settings
//! and options, now or as they were at a time. `kith schema history`: every schema
//! change, each with the id `kith revert` takes.

use std::io::Write;

use clap::Subcommand;
use kith_core::time_fmt::format_datetime;

use crate::CliError;
use crate::app::schema::{self, SchemaRequest};
use crate::commands::Context;
use crate::commands::field::details;
use crate::commands::history::{parse_at, write_history};
use crate::output::{Table, write_json};

/// Show the schema.
#[derive(clap::Args)]
pub struct SchemaArgs {
    #[command(subcommand)]
    pub command: SchemaCommand,
}

#[derive(Subcommand)]
pub enum SchemaCommand {
    /// Objects, fields (type, required, unique, relation target) and options; with
    /// --json, the whole schema with ids
    Show {
        /// Include archived objects and fields
        #[arg(long)]
        all: bool,
        /// Show the schema as it was at this time: 2024-05-01T09:30:00Z, '2024-05-01
        /// 09:30' (UTC) or 2024-05-01
        #[arg(long, value_name = "DATETIME")]
        at: Option<String>,
    },
    /// Every change to the schema, oldest first, with the id `kith revert` takes
    History,
}

pub fn run(args: SchemaArgs, ctx: &Context) -> Result<(), CliError> {
    let ws = ctx.open()?;
    let mut out = ctx.out();
    match args.command {
        SchemaCommand::History => {
            let history = schema::history(&ws)?;
            if ctx.json {
                write_json(&mut out, &history)?;
                return Ok(());
            }
            write_history(&mut out, &history.entries, true)?;
        }
        SchemaCommand::Show { all, at } => {
            let at = at.as_deref().map(parse_at).transpose()?;
            let schema = &schema::show(&ws, &SchemaRequest { at })?;
            if ctx.json {
                write_json(&mut out, schema)?;
                return Ok(());
            }
            if let Some(time) = at {
                writeln!(out, "the schema as it was at {}", format_datetime(time))?;
                writeln!(out)?;
            }
            if schema.objects.is_empty() {
                writeln!(out, "(no objects)")?;
            }
            let mut first = true;
            for obj in schema.objects.iter().filter(|o| all || !o.archived) {
                if !first {
                    writeln!(out)?;
                }
                first = false;
                let archived = if obj.archived { " (archived)" } else { "" };
                writeln!(out, "{} ({}){archived}", obj.key, obj.label)?;
                let mut table = Table::new(["  KEY", "LABEL", "TYPE", "DETAILS"]).whole_values();
                for f in obj.fields.iter().filter(|f| all || !f.archived) {
                    table.push(vec![
                        format!("  {}", f.key),
                        f.label.clone(),
                        f.kind.to_string(),
                        details(&ws, f),
                    ]);
                }
                if table.is_empty() {
                    writeln!(out, "  (no fields)")?;
                } else {
                    table.write(&mut out)?;
                }
            }
        }
    }
    Ok(())
}
