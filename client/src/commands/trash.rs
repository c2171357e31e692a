//! `kith trash list|restore|purge`: records moved to the trash. Restoring takes a record
//! back; purging destroys it on this device, and on the relay and every other device at
//! the next sync: the one action that cannot be undone, so it needs `--yes`.

use std::io::Write;

use clap::Subcommand;
use kith_core::time_fmt::format_datetime;

use crate::CliError;
use crate::app::trash::{self, TrashRequest};
use crate::commands::Context;
use crate::commands::support::{done, record_id, short_id};
use crate::output::{Table, thousands, write_json};

/// List, restore and purge records in the trash.
#[derive(clap::Args)]
pub struct TrashArgs {
    #[command(subcommand)]
    pub command: TrashCommand,
}

#[derive(Subcommand)]
pub enum TrashCommand {
    /// Records in the trash, most recently deleted first
    List {
        /// Only records of this object (key, label or id)
        #[arg(long)]
        object: Option<String>,
        /// How many records to show
        #[arg(long, default_value_t = trash::DEFAULT_LIMIT)]
        limit: usize,
    },
    /// Take a record out of the trash (the same as `kith record restore`)
    Restore {
        /// The record: its id or short id, as `kith record list` prints it
        id: String,
        /// field=value to change as the record comes back
        #[arg(long = "set", value_name = "FIELD=VALUE")]
        set: Vec<String>,
    },
    /// Destroy a record in the trash and its history on this device (cannot be undone)
    Purge {
        /// The record: its id or short id, as `kith record list` prints it
        id: String,
        /// Confirm: purging is the one action Kith cannot undo
        #[arg(long)]
        yes: bool,
    },
}

pub fn run(args: TrashArgs, ctx: &Context) -> Result<(), CliError> {
    let mut ws = ctx.open()?;
    let mut out = ctx.out();
    match args.command {
        TrashCommand::List { object, limit } => {
            let one_object = object.is_some();
            let page = trash::list(&ws, &TrashRequest { object, limit })?;
            if ctx.json {
                write_json(&mut out, &page)?;
                return Ok(());
            }
            let views = &page.views;
            if views.is_empty() {
                writeln!(out, "the trash is empty")?;
                return Ok(());
            }
            let mut table = Table::new(["ID", "OBJECT", "NAME", "DELETED"]);
            for v in views {
                table.push(vec![
                    short_id(&ws, v.id),
                    v.object_key.clone(),
                    ws.record_name(v.id),
                    v.deleted_at.map(format_datetime).unwrap_or_default(),
                ]);
            }
            table.write(&mut out)?;
            match one_object {
                false => {
                    let total = ws.trash_len()?;
                    if total > views.len() as u64 {
                        writeln!(
                            out,
                            "{} of {} records in the trash shown (raise --limit to see more)",
                            thousands(views.len()),
                            thousands(total as usize)
                        )?;
                    }
                }
                true if views.len() == limit => {
                    writeln!(out, "more may be in the trash: raise --limit to see them")?;
                }
                true => {}
            }
            writeln!(out, "`kith record restore ID` brings a record back")?;
        }
        TrashCommand::Restore { id, set } => {
            crate::commands::record::restore_from_trash(&mut ws, ctx, &mut out, &id, &set)?;
        }
        TrashCommand::Purge { id, yes } => {
            let id = record_id(&ws, &id)?;
            if !yes {
                return Err(CliError::InvalidArgument(format!(
                    "purging destroys record {id} and its whole history on this device, on the relay and on every other device, the one action Kith cannot undo; add --yes to purge it"
                )));
            }
            let name = ws.record_name(id);
            ws.purge(id)?;
            done(
                &mut out,
                ctx,
                &format!(
                    "purged {id} ({name}) from this device; the relay and the other devices erase it at the next sync"
                ),
                &id.to_string(),
            )?;
        }
    }
    Ok(())
}
