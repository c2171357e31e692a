//! `kith settings show | set NAME VALUE`: workspace settings that sync to every device.
//! Today one: `number-format`, how numbers are written (`1,234.56`, the default, or
//! `1.234,56`, `1 234,56`, `1 234.56`, `1'234.56`). Input whose separators do not fit the
//! format is refused, never reread; stored values do not change when it does.

use std::io::Write;

use clap::Subcommand;
use kith_core::NumberFormat;

use crate::CliError;
use crate::commands::Context;
use crate::output::{JsonObject, write_json};

/// Show or change workspace settings.
#[derive(clap::Args)]
pub struct SettingsArgs {
    #[command(subcommand)]
    pub command: SettingsCommand,
}

#[derive(Subcommand)]
pub enum SettingsCommand {
    /// Show every setting
    Show,
    /// Change a setting (synced like a schema change)
    Set {
        /// The setting: number-format
        name: String,
        /// The new value; for number-format, how it writes 1234.56 (e.g. 1.234,56)
        value: String,
    },
}

pub fn run(args: SettingsArgs, ctx: &Context) -> Result<(), CliError> {
    match args.command {
        SettingsCommand::Show => show(ctx),
        SettingsCommand::Set { name, value } => set(&name, &value, ctx),
    }
}

fn set(name: &str, value: &str, ctx: &Context) -> Result<(), CliError> {
    if name != "number-format" {
        return Err(CliError::InvalidArgument(format!(
            "there is no setting '{name}' (settings: number-format)"
        )));
    }
    let format: NumberFormat = value
        .parse()
        .map_err(|e: kith_core::number_format::BadNumberFormat| CliError::InvalidArgument(e.to_string()))?;
    {
        let mut ws = ctx.open()?;
        ws.set_number_format(format)?;
    }
    show(ctx)
}

fn show(ctx: &Context) -> Result<(), CliError> {
    let ws = ctx.open()?;
    let format = ws.number_format();
    let mut out = ctx.out();
    if ctx.json {
        let mut j = JsonObject::default();
        j.push("number_format", format.sample());
        j.push("decimal_separator", format.decimal.to_string());
        j.push("grouping_separator", format.grouping.to_string());
        write_json(&mut out, &j)?;
    } else {
        writeln!(
            out,
            "number-format  {}   (decimal '{}', grouping '{}')",
            format.sample(),
            format.decimal,
            format.grouping
        )?;
    }
    Ok(())
}
