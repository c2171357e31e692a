//! `kith history RECORD`: every change of a record, oldest first: when, who, on which
//! device, what made it, and each field's old and new value. `kith schema history` shows
//! the schema's changes the same way (see [`write_history`]). Each change is listed with
//! its short id (12 hex characters), which `kith revert` takes.
//!
//! Also the helpers the other undo commands share: `--at` times and change ids.

use std::io::Write;

use kith_core::HistoryEntry;
use kith_core::time_fmt::{format_datetime, parse_datetime};

use crate::CliError;
use crate::app::history::{HistoryRequest, record_history};
pub(crate) use crate::app::history::{made_by, short_change};
use crate::commands::Context;
use crate::commands::support::short_id;
use crate::output::write_json;

/// Show every change of a record.
#[derive(clap::Args)]
pub struct HistoryArgs {
    /// The record: its id or short id, as `kith record list` prints it
    pub record: String,
}

pub fn run(args: HistoryArgs, ctx: &Context) -> Result<(), CliError> {
    let ws = ctx.open()?;
    let history = record_history(&ws, &HistoryRequest { record: args.record })?;
    let (id, entries) = (history.record, &history.entries);
    let mut out = ctx.out();
    if ctx.json {
        write_json(&mut out, &history)?;
        return Ok(());
    }
    let row = ws.row(id)?;
    let object = ws
        .schema()
        .object(row.object)
        .map_or_else(|| row.object.to_string(), |o| o.key.clone());
    writeln!(
        out,
        "{object} {} ({}): {}",
        short_id(&ws, id),
        ws.record_name(id),
        changes_count(entries.len())
    )?;
    write_history(&mut out, entries, false)
}

fn changes_count(n: usize) -> String {
    if n == 1 {
        "1 change".to_string()
    } else {
        format!("{n} changes")
    }
}

/// A `--at` moment in milliseconds since the epoch. A time given to the second (as
/// `kith history` shows them) covers that whole second, so the changes listed at that
/// time are included.
pub(crate) fn parse_at(text: &str) -> Result<i64, CliError> {
    let ms = parse_datetime(text).ok_or_else(|| {
        CliError::InvalidArgument(format!(
            "--at '{text}' is not a date and time; write it as 2024-05-01T09:30:00Z, '2024-05-01 09:30' (UTC) or 2024-05-01"
        ))
    })?;
    let has_fraction = text.contains('.');
    Ok(if has_fraction { ms } else { ms.saturating_add(999) })
}

/// A value as shown in a history line.
fn shown(value: Option<&str>) -> &str {
    match value {
        Some(v) if !v.is_empty() => v,
        _ => "(empty)",
    }
}

/// The short form of a device (actor) id.
fn short_device(device: &str) -> &str {
    device.get(..8).unwrap_or(device)
}

/// One line per change, then its details indented: `created`, `moved to the trash`,
/// `restored from the trash`, and `Label: old → new` for each field (for the schema,
/// each property change).
pub(crate) fn write_history(out: &mut dyn Write, entries: &[HistoryEntry], schema: bool) -> Result<(), CliError> {
    for entry in entries {
        let group = entry.group.map(|g| format!(" [group {g}]")).unwrap_or_default();
        writeln!(
            out,
            "{}  {}  {} (device {})  {}{group}",
            short_change(&entry.change),
            format_datetime(entry.time),
            entry.author,
            short_device(&entry.device),
            made_by(entry),
        )?;
        if entry.created {
            writeln!(out, "    created")?;
        }
        match entry.deleted {
            Some(true) => writeln!(out, "    moved to the trash")?,
            Some(false) => writeln!(out, "    restored from the trash")?,
            None => {}
        }
        for diff in &entry.fields {
            if schema {
                writeln!(
                    out,
                    "    {}",
                    schema_line(&diff.label, diff.old.as_deref(), diff.new.as_deref())
                )?;
            } else {
                writeln!(
                    out,
                    "    {}: {} → {}",
                    diff.label,
                    shown(diff.old.as_deref()),
                    shown(diff.new.as_deref())
                )?;
            }
        }
        if !entry.created && entry.deleted.is_none() && entry.fields.is_empty() {
            writeln!(out, "    (nothing visible changed)")?;
        }
    }
    Ok(())
}

/// A schema history line: `field people.city archived`, `field people.city label: City → Town`.
fn schema_line(label: &str, old: Option<&str>, new: Option<&str>) -> String {
    let bare = ["added", "removed", "archived", "restored"]
        .iter()
        .any(|w| label.ends_with(&format!(" {w}")));
    if bare {
        return label.to_string();
    }
    let subject = match label.rsplit_once(": ") {
        Some((what, prop)) => format!("{what} {prop}"),
        None => label.to_string(),
    };
    format!("{subject}: {} → {}", shown(old), shown(new))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_time_to_the_second_covers_that_whole_second() {
        let at = parse_at("2024-05-01T09:30:00Z").expect("a time");
        assert_eq!(at % 1000, 999);
        let exact = parse_at("2024-05-01T09:30:00.250Z").expect("a time");
        assert_eq!(exact % 1000, 250);
        assert!(parse_at("yesterday").is_err());
    }

    #[test]
    fn schema_lines_read_as_sentences() {
        assert_eq!(
            schema_line("field people.city archived", Some("false"), Some("true")),
            "field people.city archived"
        );
        assert_eq!(
            schema_line("field people.city: label", Some("City"), Some("Town")),
            "field people.city label: City → Town"
        );
    }
}
