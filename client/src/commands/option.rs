//! `kith option list|add|rename|reorder|color|archive|restore`: the options of a select
//! or multi-select field. Options are named by label (case-insensitive) or id; positions
//! are 1-based among the options that are not archived.

use clap::Subcommand;

use crate::CliError;
use crate::commands::Context;
use crate::commands::field::ids;
use crate::commands::support::{done, position};
use crate::output::{Table, write_json};

/// The colours the UI draws options in.
const COLORS: [&str; 8] = ["gray", "blue", "green", "yellow", "orange", "red", "purple", "pink"];

/// Add, rename, reorder, recolor, archive and restore the options of a select field.
#[derive(clap::Args)]
pub struct OptionArgs {
    #[command(subcommand)]
    pub command: OptionCommand,
}

#[derive(Subcommand)]
pub enum OptionCommand {
    /// List a field's options in order
    List {
        /// The object (key, label or id)
        object: String,
        /// The field (key, label or id)
        field: String,
    },
    /// Add options at the end
    Add {
        /// The object (key, label or id)
        object: String,
        /// The field (key, label or id)
        field: String,
        /// Labels of the new options, one argument each
        #[arg(required = true)]
        labels: Vec<String>,
    },
    /// Give an option a new label (records keep it)
    Rename {
        /// The object (key, label or id)
        object: String,
        /// The field (key, label or id)
        field: String,
        /// The option (its label or id)
        option: String,
        /// The new label
        label: String,
    },
    /// Move an option to a position (1 is first); selects sort in option order
    Reorder {
        /// The object (key, label or id)
        object: String,
        /// The field (key, label or id)
        field: String,
        /// The option (its label or id)
        option: String,
        /// The new position, counting from 1
        position: usize,
    },
    /// Set an option's colour: gray, blue, green, yellow, orange, red, purple or pink
    Color {
        /// The object (key, label or id)
        object: String,
        /// The field (key, label or id)
        field: String,
        /// The option (its label or id)
        option: String,
        /// gray, blue, green, yellow, orange, red, purple or pink
        color: String,
    },
    /// Stop offering an option; records that have it keep it
    Archive {
        /// The object (key, label or id)
        object: String,
        /// The field (key, label or id)
        field: String,
        /// The option (its label or id)
        option: String,
    },
    /// Offer an archived option again
    Restore {
        /// The object (key, label or id)
        object: String,
        /// The field (key, label or id)
        field: String,
        /// The option (its label or id)
        option: String,
    },
}

pub fn run(args: OptionArgs, ctx: &Context) -> Result<(), CliError> {
    let mut ws = ctx.open()?;
    let mut out = ctx.out();
    match args.command {
        OptionCommand::List { object, field } => {
            let (_, f) = ids(&ws, &object, &field)?;
            if ctx.json {
                write_json(&mut out, &f.options)?;
            } else {
                let mut table = Table::new(["#", "LABEL", "COLOR", ""]);
                for (i, o) in f.options.iter().enumerate() {
                    table.push(vec![
                        (i + 1).to_string(),
                        o.label.clone(),
                        o.color.clone(),
                        if o.archived { "archived".into() } else { String::new() },
                    ]);
                }
                table.write(&mut out)?;
            }
        }
        OptionCommand::Add { object, field, labels } => {
            let (o, f) = ids(&ws, &object, &field)?;
            let added = ws.add_options(o, f.id, &labels)?;
            let list: Vec<String> = added.iter().map(ToString::to_string).collect();
            done(
                &mut out,
                ctx,
                &format!("added {} option(s) to {}: {}", added.len(), f.key, labels.join(", ")),
                &list.join(","),
            )?;
        }
        OptionCommand::Rename {
            object,
            field,
            option,
            label,
        } => {
            let (o, f) = ids(&ws, &object, &field)?;
            ws.rename_option(o, f.id, &option, &label)?;
            done(
                &mut out,
                ctx,
                &format!("renamed option '{option}' of {} to '{}'", f.key, label.trim()),
                &f.id.to_string(),
            )?;
        }
        OptionCommand::Reorder {
            object,
            field,
            option,
            position: given,
        } => {
            let wanted = position(given)?;
            let (o, f) = ids(&ws, &object, &field)?;
            let moved = f.option_named(&option).map(|x| x.id);
            let others: Vec<_> = f.options.iter().filter(|x| Some(x.id) != moved).collect();
            let active_others: Vec<_> = others.iter().copied().filter(|x| !x.archived).collect();
            let index = match active_others.get(wanted) {
                Some(before) => others.iter().position(|x| x.id == before.id).unwrap_or(others.len()),
                None => others.len(),
            };
            ws.reorder_option(o, f.id, &option, index)?;
            done(
                &mut out,
                ctx,
                &format!(
                    "moved option '{option}' of {} to position {}",
                    f.key,
                    wanted.min(active_others.len()) + 1
                ),
                &f.id.to_string(),
            )?;
        }
        OptionCommand::Color {
            object,
            field,
            option,
            color,
        } => {
            let color = color.trim().to_ascii_lowercase();
            if !COLORS.contains(&color.as_str()) {
                return Err(CliError::InvalidArgument(format!(
                    "'{color}' is not a colour Kith draws (use one of {})",
                    COLORS.join(", ")
                )));
            }
            let (o, f) = ids(&ws, &object, &field)?;
            ws.recolor_option(o, f.id, &option, &color)?;
            done(
                &mut out,
                ctx,
                &format!("option '{option}' of {} is now {color}", f.key),
                &f.id.to_string(),
            )?;
        }
        OptionCommand::Archive { object, field, option } => {
            let (o, f) = ids(&ws, &object, &field)?;
            ws.set_option_archived(o, f.id, &option, true)?;
            done(
                &mut out,
                ctx,
                &format!("archived option '{option}' of {} (records that have it keep it)", f.key),
                &f.id.to_string(),
            )?;
        }
        OptionCommand::Restore { object, field, option } => {
            let (o, f) = ids(&ws, &object, &field)?;
            ws.set_option_archived(o, f.id, &option, false)?;
            done(
                &mut out,
                ctx,
                &format!("restored option '{option}' of {}", f.key),
                &f.id.to_string(),
            )?;
        }
    }
    Ok(())
}
