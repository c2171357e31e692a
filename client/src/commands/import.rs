//! `kith import FILE.csv --object OBJ [--map column=field]... [--strict] [--ignore-unknown]`:
//! a CSV file as records of one object, in one change group.
//!
//! Columns name fields by key or label (case-insensitively); `--map column=field`
//! overrides that, `--map column=` skips a column. An `id` column keeps record ids, so
//! `kith export` output imports back as the same records. A column that names no field
//! stops the import before anything is written, listing every such column, unless
//! `--ignore-unknown` is given (then they are skipped with a warning). Bad rows are
//! reported (row, line, column, why) and skipped; `--strict` imports nothing if any row
//! is bad, and exits with an error. `FILE` may be `-` for standard input. Numbers are read
//! in the workspace's number format, or with a decimal comma with `--decimal-comma`.
//! `--map "A+B=field"` joins columns; `--add-options` / `--create-missing` create the
//! select options and related records rows name (in the import's group); the encoding
//! (UTF-8, UTF-16, Windows-1252) and separator (`,` `;` tab) are detected unless
//! `--encoding` / `--delimiter` name them.

use std::fs::File;
use std::io::{Read, Write};
use std::path::PathBuf;

use indicatif::{ProgressBar, ProgressStyle};
use kith_core::NumberFormat;

use crate::CliError;
use crate::app::import::import;
use crate::commands::Context;
use crate::csv_io::CsvImportOptions;
use crate::output::{thousands, write_json};

/// Import a CSV file as records of an object.
#[derive(clap::Args)]
pub struct ImportArgs {
    /// The CSV file (UTF-8, with a header row), or - for standard input
    pub file: PathBuf,
    /// The object the rows become records of
    #[arg(long)]
    pub object: String,
    /// Send a column to a field (column=field), join columns into one field with spaces
    /// ("First Name+Last Name=name"), or skip a column (column=)
    #[arg(long = "map", value_name = "COLUMN=FIELD")]
    pub mappings: Vec<String>,
    /// Import nothing if any row is bad
    #[arg(long)]
    pub strict: bool,
    /// Skip columns that name no field instead of refusing the file
    #[arg(long)]
    pub ignore_unknown: bool,
    /// The file writes numbers with a decimal comma (1.234,56), whatever the workspace's
    /// number format (`kith settings set number-format`)
    #[arg(long)]
    pub decimal_comma: bool,
    /// Add the select options that cells name and fields lack (reverting the import
    /// removes them)
    #[arg(long)]
    pub add_options: bool,
    /// Create, by name, the related records that relation cells name and that do not
    /// exist yet (reverting the import deletes them)
    #[arg(long)]
    pub create_missing: bool,
    /// Create a field for each column that names none, its type inferred from the
    /// column's first 1,000 values (number, currency, date, datetime, boolean, email, url,
    /// phone, select when few distinct values, else text); reverting the import archives
    /// them
    #[arg(long)]
    pub create_fields: bool,
    /// Write nothing: show the fields that would be created, what each column feeds and
    /// the first bad rows (workspace rules such as unique are checked on import)
    #[arg(long)]
    pub preview: bool,
    /// The separator between cells: , ; tab (or \t) or any one character (default:
    /// detected from the header line)
    #[arg(long, value_name = "CHAR", value_parser = parse_delimiter)]
    pub delimiter: Option<u8>,
    /// The file's text encoding, such as utf-8, windows-1252, utf-16 (default: detected;
    /// files that are not UTF-8 and have no byte order mark are read as windows-1252)
    #[arg(long, value_name = "NAME")]
    pub encoding: Option<String>,
}

fn parse_delimiter(text: &str) -> Result<u8, String> {
    match text {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        _ if text.len() == 1 && text.is_ascii() => Ok(text.as_bytes()[0]),
        _ => Err(format!("'{text}' is not one character (use , ; tab or |)")),
    }
}

/// Bad rows listed in text output; the rest are counted.
const ERRORS_SHOWN: usize = 20;

pub fn run(args: ImportArgs, ctx: &Context) -> Result<(), CliError> {
    let mut mappings = Vec::with_capacity(args.mappings.len() + 1);
    for m in &args.mappings {
        let (column, field) = m.split_once('=').ok_or_else(|| {
            CliError::InvalidArgument(format!("--map '{m}' is not column=field (column= skips the column)"))
        })?;
        mappings.push((column.trim().to_string(), field.trim().to_string()));
    }
    if args.ignore_unknown {
        mappings.push(("*".to_string(), String::new()));
    }
    let options = CsvImportOptions {
        object: args.object.clone(),
        mappings,
        strict: args.strict,
        number_format: args.decimal_comma.then_some(NumberFormat::DECIMAL_COMMA),
        encoding: args.encoding.clone(),
        delimiter: args.delimiter,
        add_options: args.add_options,
        create_missing: args.create_missing,
        create_fields: args.create_fields,
        preview: args.preview,
        batch_rows: 0,
    };
    let input: Box<dyn Read> = if args.file.as_os_str() == "-" {
        ctx.stdin()
    } else {
        let path = ctx.path(&args.file);
        Box::new(File::open(&path).map_err(|source| CliError::ReadFile { path, source })?)
    };
    let mut ws = ctx.open()?;
    let bar = if ctx.shows_progress() {
        ProgressBar::new(0)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} records ({eta} left)")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let imported = import(&mut ws, input, &options, &mut |done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    });
    bar.finish_and_clear();
    let imported = imported?;
    let report = &imported.report;

    let mut out = ctx.out();
    if ctx.json {
        write_json(&mut out, &imported)?;
    } else {
        let mut err = ctx.err();
        if report.encoding != "UTF-8" {
            let _ = writeln!(err, "note: read the file as {} text", report.encoding);
        }
        if args.ignore_unknown && !report.ignored_columns.is_empty() {
            let _ = writeln!(
                err,
                "warning: skipped columns that name no field: {}",
                report.ignored_columns.join(", ")
            );
        }
        for e in report.errors.iter().take(ERRORS_SHOWN) {
            let _ = writeln!(err, "{e}");
        }
        if report.skipped > ERRORS_SHOWN {
            let _ = writeln!(
                err,
                "... and {} more bad rows (--json lists the first 1,000)",
                thousands(report.skipped - ERRORS_SHOWN)
            );
        }
    }
    if report.preview {
        if !ctx.json {
            write_preview(&mut out, report)?;
        }
        return Ok(());
    }
    if args.strict && !report.errors.is_empty() {
        return Err(CliError::ImportRefused { bad: report.skipped });
    }
    if !ctx.json {
        let mut made = String::new();
        if report.added_options > 0 {
            made.push_str(&format!(", {} options added", thousands(report.added_options)));
        }
        if report.created_records > 0 {
            made.push_str(&format!(
                ", {} related records created",
                thousands(report.created_records)
            ));
        }
        writeln!(
            out,
            "import group {}: {} imported, {} skipped{made}",
            report.group,
            thousands(report.imported),
            thousands(report.skipped)
        )?;
    }
    Ok(())
}

/// What a preview found, on standard output (the bad rows are on standard error).
fn write_preview(out: &mut dyn Write, report: &crate::csv_io::CsvImportReport) -> Result<(), CliError> {
    writeln!(out, "preview: nothing was written")?;
    if !report.new_fields.is_empty() {
        writeln!(out, "new fields:")?;
        for f in &report.new_fields {
            let options = if f.options.is_empty() {
                String::new()
            } else {
                format!(" ({})", f.options.join(", "))
            };
            writeln!(out, "  {} ({}){options}  from column '{}'", f.key, f.kind, f.column)?;
        }
    }
    writeln!(out, "columns:")?;
    for (column, field) in &report.mapping {
        let to = if field.is_empty() { "(skipped)" } else { field.as_str() };
        writeln!(out, "  {column} -> {to}")?;
    }
    writeln!(
        out,
        "{} rows would import, {} are bad",
        thousands(report.imported),
        thousands(report.skipped)
    )?;
    Ok(())
}
