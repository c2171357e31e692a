//! `kith object list|add|rename|archive|restore`: the objects (tables) of the workspace.

use clap::Subcommand;

use crate::CliError;
use crate::app::objects::{self, AddObjectRequest, ObjectRequest, RenameObjectRequest};
use crate::commands::Context;
use crate::commands::support::changed;
use crate::output::{Table, thousands, write_json};

/// List, add, rename, archive and restore objects.
#[derive(clap::Args)]
pub struct ObjectArgs {
    #[command(subcommand)]
    pub command: ObjectCommand,
}

#[derive(Subcommand)]
pub enum ObjectCommand {
    /// List objects with their number of fields and records (archived ones too)
    List,
    /// Add an object with a name field (its records are shown and found by it)
    Add {
        /// Key: lowercase letters, digits and _, starting with a letter
        key: String,
        /// Label shown to people [default: from the key]
        #[arg(long)]
        label: Option<String>,
    },
    /// Give an object a new label, a new key, or both
    Rename {
        /// The object (key, label or id)
        object: String,
        /// The new label, shown to people
        #[arg(long)]
        label: Option<String>,
        /// The new key: lowercase letters, digits and _, starting with a letter
        #[arg(long)]
        key: Option<String>,
    },
    /// Hide an object; its records and values are kept
    Archive {
        /// The object (key, label or id)
        object: String,
    },
    /// Bring back an archived object
    Restore {
        /// The object (key, label or id)
        object: String,
    },
}

pub fn run(args: ObjectArgs, ctx: &Context) -> Result<(), CliError> {
    let mut ws = ctx.open()?;
    let mut out = ctx.out();
    let answer = match args.command {
        ObjectCommand::List => {
            let list = objects::list(&ws)?;
            if ctx.json {
                write_json(&mut out, &list)?;
            } else {
                let mut table = Table::new(["KEY", "LABEL", "FIELDS", "RECORDS", ""]);
                for o in list {
                    let state = if o.archived { "archived" } else { "" };
                    table.push(vec![
                        o.key,
                        o.label,
                        o.fields.to_string(),
                        thousands(usize::try_from(o.records).unwrap_or(usize::MAX)),
                        state.into(),
                    ]);
                }
                table.write(&mut out)?;
            }
            return Ok(());
        }
        ObjectCommand::Add { key, label } => objects::add(&mut ws, &AddObjectRequest { key: Some(key), label })?,
        ObjectCommand::Rename { object, label, key } => {
            objects::rename(&mut ws, &RenameObjectRequest { object, label, key })?
        }
        ObjectCommand::Archive { object } => objects::set_archived(&mut ws, &ObjectRequest { object }, true)?,
        ObjectCommand::Restore { object } => objects::set_archived(&mut ws, &ObjectRequest { object }, false)?,
    };
    changed(&mut out, ctx, &answer)
}
