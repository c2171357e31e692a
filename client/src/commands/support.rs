//! Small helpers the subcommands share: `field=value` arguments, record ids given in
//! full or by prefix, short ids for tables, 1-based positions.

use std::io::Write;

use kith_core::{RecordId, Workspace};

use crate::CliError;
use crate::commands::Context;
use crate::output::{JsonObject, write_json};

/// Splits `field=value` arguments at the first `=`. An empty value clears the field.
pub(crate) fn assignments(args: &[String]) -> Result<Vec<(String, String)>, CliError> {
    args.iter()
        .map(|arg| match arg.split_once('=') {
            Some((field, value)) if !field.trim().is_empty() => Ok((field.trim().to_string(), value.to_string())),
            _ => Err(CliError::NotAnAssignment(arg.clone())),
        })
        .collect()
}

/// A record named by its full id or its short id (as `kith record list` prints it).
pub(crate) fn record_id(ws: &Workspace, text: &str) -> Result<RecordId, CliError> {
    Ok(ws.find_record_id(text.trim())?)
}

/// The short id to print for a record: a prefix of its id's random part that names
/// only it, so it can be typed back to any command that takes a record.
pub(crate) fn short_id(ws: &Workspace, id: RecordId) -> String {
    ws.short_record_id(id).unwrap_or_else(|_| id.to_string())
}

/// `true`/`false` (and yes/no) for flags that take a value.
pub(crate) fn parse_bool(text: &str) -> Result<bool, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" => Ok(true),
        "false" | "no" | "off" | "0" => Ok(false),
        _ => Err(format!("'{text}' is not true or false")),
    }
}

/// Reports a change: a sentence, or `{"id": .., "message": ..}` with `--json`.
/// Reports a change: its sentence, or with `--json` the whole [`crate::app::Changed`]
/// (what `/api` answers).
pub(crate) fn changed(out: &mut dyn Write, ctx: &Context, changed: &crate::app::Changed) -> Result<(), CliError> {
    if ctx.json {
        write_json(out, changed)?;
    } else {
        writeln!(out, "{}", changed.message)?;
    }
    Ok(())
}

pub(crate) fn done(out: &mut dyn Write, ctx: &Context, message: &str, id: &str) -> Result<(), CliError> {
    if ctx.json {
        let mut j = JsonObject::default();
        j.push("id", id.to_string());
        j.push("message", message.to_string());
        write_json(out, &j)?;
    } else {
        writeln!(out, "{message}")?;
    }
    Ok(())
}

/// Adds the words of records received in bulk to the search index (search already
/// finds them, more slowly), with a progress bar on a terminal. Returns the number of
/// records indexed.
pub(crate) fn finish_search_index(ws: &mut Workspace, ctx: &Context) -> Result<u64, CliError> {
    let total = ws.search_backlog()?;
    if total == 0 {
        return Ok(0);
    }
    let bar = (!ctx.json && ctx.shows_progress()).then(|| {
        let bar = indicatif::ProgressBar::new(total);
        let style =
            indicatif::ProgressStyle::with_template("{spinner} {bar:30} {pos}/{len} records indexed for search")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
        bar.set_style(style);
        bar
    });
    loop {
        let remaining = ws.index_search_backlog(crate::sync::SEARCH_INDEX_STEP)?;
        if let Some(bar) = &bar {
            bar.set_position(total.saturating_sub(remaining));
        }
        if remaining == 0 {
            break;
        }
    }
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    Ok(total)
}
