//! `kith object list|add|rename|archive|restore`: the objects (tables) of the workspace.

use clap::Subcommand;

use crate::CliError;
use crate::commands::Context;
use crate::commands::support::{done, label_from_key};
use crate::output::{JsonObject, Table, thousands, write_json};

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
    match args.command {
        ObjectCommand::List => {
            let mut list = Vec::new();
            for o in &ws.schema().objects {
                list.push((
                    o.key.clone(),
                    o.label.clone(),
                    o.active_fields().count(),
                    ws.count_all(o.id)?,
                    o.archived,
                ));
            }
            if ctx.json {
                let items: Vec<JsonObject> = list
                    .into_iter()
                    .map(|(key, label, fields, records, archived)| {
                        let mut j = JsonObject::default();
                        j.push("key", key);
                        j.push("label", label);
                        j.push("fields", fields);
                        j.push("records", records);
                        j.push("archived", archived);
                        j
                    })
                    .collect();
                write_json(&mut out, &items)?;
            } else {
                let mut table = Table::new(["KEY", "LABEL", "FIELDS", "RECORDS", ""]);
                for (key, label, fields, records, archived) in list {
                    let state = if archived { "archived" } else { "" };
                    table.push(vec![
                        key,
                        label,
                        fields.to_string(),
                        thousands(records as usize),
                        state.into(),
                    ]);
                }
                table.write(&mut out)?;
            }
        }
        ObjectCommand::Add { key, label } => {
            let label = label.unwrap_or_else(|| label_from_key(&key));
            let id = ws.add_object_with_name(&key, &label)?;
            let message = format!("added object {key} ({label}) with a name field, which its records are shown by");
            done(&mut out, ctx, &message, &id.to_string())?;
        }
        ObjectCommand::Rename { object, label, key } => {
            if label.is_none() && key.is_none() {
                return Err(CliError::InvalidArgument("give --label, --key or both".into()));
            }
            let id = ws.object_named(&object)?.id;
            ws.rename_object(id, label.as_deref(), key.as_deref())?;
            let now = ws.object_named(&id.to_string())?;
            done(
                &mut out,
                ctx,
                &format!("object is now {} ({})", now.key, now.label),
                &id.to_string(),
            )?;
        }
        ObjectCommand::Archive { object } => {
            let (id, key) = named(&ws, &object)?;
            ws.set_object_archived(id, true)?;
            done(
                &mut out,
                ctx,
                &format!("archived object {key} (its records are kept; `kith object restore {key}` brings it back)"),
                &id.to_string(),
            )?;
        }
        ObjectCommand::Restore { object } => {
            let (id, key) = named(&ws, &object)?;
            ws.set_object_archived(id, false)?;
            done(&mut out, ctx, &format!("restored object {key}"), &id.to_string())?;
        }
    }
    Ok(())
}

fn named(ws: &kith_core::Workspace, name: &str) -> Result<(kith_core::ObjectId, String), CliError> {
    let o = ws.object_named(name)?;
    Ok((o.id, o.key.clone()))
}
