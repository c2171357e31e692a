//! `kith export --object OBJ --format csv|json [--output FILE]`: an object's live records.
//! CSV exports import back with `kith import` (ids kept, relations as record ids).

use std::fs::File;
use std::io::Write;
use std::path::PathBuf;

use clap::ValueEnum;

use crate::CliError;
use crate::commands::Context;
use crate::csv_io::{ExportFormat, export};
use crate::output::{JsonObject, thousands, write_json};

/// Export an object's records as CSV or JSON.
#[derive(clap::Args)]
pub struct ExportArgs {
    /// The object (key, label or id)
    #[arg(long)]
    pub object: String,
    /// csv (a header of field keys, then one line per record) or json (see docs/api.md)
    #[arg(long, value_enum, default_value_t = Format::Csv)]
    pub format: Format,
    /// Write to this file instead of standard output
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Csv,
    Json,
}

pub fn run(args: ExportArgs, ctx: &Context) -> Result<(), CliError> {
    let ws = ctx.open()?;
    let format = match args.format {
        // `--json` asks for JSON on standard output: the records themselves.
        Format::Csv if ctx.json && args.output.is_none() => ExportFormat::Json,
        Format::Csv => ExportFormat::Csv,
        Format::Json => ExportFormat::Json,
    };
    match &args.output {
        None => {
            export(&ws, &args.object, format, ctx.out())?;
        }
        Some(path) => {
            let path = &ctx.path(path);
            let file = File::create(path).map_err(|source| CliError::WriteFile {
                path: path.to_path_buf(),
                source,
            })?;
            let count = export(&ws, &args.object, format, file)?;
            // stdout is free: the data went to the file.
            if ctx.json {
                let mut j = JsonObject::default();
                j.push("path", path.display().to_string());
                j.push("object", ws.object_named(&args.object)?.key.clone());
                j.push(
                    "format",
                    match format {
                        ExportFormat::Csv => "csv",
                        ExportFormat::Json => "json",
                    },
                );
                j.push("records", count);
                write_json(&mut ctx.out(), &j)?;
            } else {
                writeln!(ctx.out(), "exported {} records to {}", thousands(count), path.display())?;
            }
        }
    }
    Ok(())
}
