//! `kith option list|add|rename|reorder|color|archive|restore`: the options of a select
//! or multi-select field. Options are named by label (case-insensitive) or id; positions
//! are 1-based among the options that are not archived.

use clap::Subcommand;

use crate::CliError;
use crate::app::options::{
    self, AddOptionsRequest, FieldOptionsRequest, OptionRequest, RecolorOptionRequest, RenameOptionRequest,
    ReorderOptionRequest,
};
use crate::app::schema_change::Placement;
use crate::commands::Context;
use crate::commands::support::changed;
use crate::output::{Table, write_json};

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
    /// Set an option's colour: gray, red, orange, yellow, green, teal, blue, purple, pink or brown
    Color {
        /// The object (key, label or id)
        object: String,
        /// The field (key, label or id)
        field: String,
        /// The option (its label or id)
        option: String,
        /// gray, red, orange, yellow, green, teal, blue, purple, pink or brown
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
    let one = |object: String, field: String, option: String| OptionRequest { object, field, option };
    let answer = match args.command {
        OptionCommand::List { object, field } => {
            let list = options::list(&ws, &FieldOptionsRequest { object, field })?;
            if ctx.json {
                write_json(&mut out, &list)?;
            } else {
                let mut table = Table::new(["#", "LABEL", "COLOR", ""]);
                for (i, o) in list.iter().enumerate() {
                    table.push(vec![
                        (i + 1).to_string(),
                        o.label.clone(),
                        o.color.clone(),
                        if o.archived { "archived".into() } else { String::new() },
                    ]);
                }
                table.write(&mut out)?;
            }
            return Ok(());
        }
        OptionCommand::Add { object, field, labels } => {
            options::add(&mut ws, &AddOptionsRequest { object, field, labels })?
        }
        OptionCommand::Rename {
            object,
            field,
            option,
            label,
        } => options::rename(
            &mut ws,
            &RenameOptionRequest {
                option: one(object, field, option),
                label,
            },
        )?,
        OptionCommand::Reorder {
            object,
            field,
            option,
            position,
        } => options::reorder(
            &mut ws,
            &ReorderOptionRequest {
                option: one(object, field, option),
                to: Placement::to(position),
            },
        )?,
        OptionCommand::Color {
            object,
            field,
            option,
            color,
        } => options::recolor(
            &mut ws,
            &RecolorOptionRequest {
                option: one(object, field, option),
                color,
            },
        )?,
        OptionCommand::Archive { object, field, option } => {
            options::set_archived(&mut ws, &one(object, field, option), true)?
        }
        OptionCommand::Restore { object, field, option } => {
            options::set_archived(&mut ws, &one(object, field, option), false)?
        }
    };
    changed(&mut out, ctx, &answer)
}
