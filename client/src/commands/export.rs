//! `kith export --object OBJ [--filter EXPR] [--sort KEYS] [--columns a,b] --format
//! csv|json [--output FILE]`: an object's live records, or those of a view (a filter and
//! a sort), through the application layer's export ([`crate::app::export`]), which
//! writes them a page at a time. CSV exports import back with `kith import` (ids kept,
//! relations as record ids).

use std::fs::File;
use std::io::Write;
use std::path::PathBuf;

use clap::ValueEnum;

use crate::CliError;
use crate::app::export::{ExportRequest, export};
use crate::commands::Context;
use crate::csv_io::ExportFormat;
use crate::output::{JsonObject, thousands, write_json};

/// Export an object's records as CSV or JSON.
#[derive(clap::Args)]
pub struct ExportArgs {
    /// The object (key, label or id)
    #[arg(long)]
    pub object: String,
    /// Only records matching this filter (repeat to AND), as in `kith record list`
    #[arg(long = "filter", value_name = "EXPR")]
    pub filters: Vec<String>,
    /// Sort keys, '-' for descending: "-amount,name" [default: creation order]
    #[arg(long, allow_hyphen_values = true)]
    pub sort: Option<String>,
    /// Only these fields, in this order, comma-separated (keys or labels) [default: every active field]
    #[arg(long, value_delimiter = ',')]
    pub columns: Vec<String>,
    /// csv (a header of id then field keys, then one line per record) or json (see docs/api.md)
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
    let request = ExportRequest {
        object: args.object,
        filters: args.filters,
        sort: args.sort,
        columns: args.columns,
        format,
    };
    match &args.output {
        None => {
            export(&ws, &request, ctx.out())?;
        }
        Some(path) => {
            let path = &ctx.path(path);
            // A bad filter, sort or column fails before the file is made.
            crate::app::export::Export::start(&ws, &request)?;
            let file = File::create(path).map_err(|source| CliError::WriteFile {
                path: path.to_path_buf(),
                source,
            })?;
            let done = export(&ws, &request, file)?;
            // stdout is free: the data went to the file.
            if ctx.json {
                let mut j = JsonObject::default();
                j.push("path", path.display().to_string());
                j.push("object", done.object);
                j.push("format", format.name());
                j.push("records", done.records);
                write_json(&mut ctx.out(), &j)?;
            } else {
                writeln!(
                    ctx.out(),
                    "exported {} records to {}",
                    thousands(done.records),
                    path.display()
                )?;
            }
        }
    }
    Ok(())
}
