//! `kith history RECORD`: every change of a record, oldest first: when, who, on which
//! device, what made it, and each field's old and new value. `kith schema history` shows
//! the schema's changes the same way (see [`write_history`]). Each change is listed with
//! its short id (12 hex characters), which `kith revert` takes.
//!
//! Also the helpers the other undo commands share: `--at` times and change ids.

use std::io::Write;

use kith_core::time_fmt::{format_datetime, parse_datetime};
use kith_core::{ChangeKind, HistoryEntry};

use crate::CliError;
use crate::commands::Context;
use crate::commands::support::{record_id, short_id};
use crate::output::{JsonObject, write_json};

/// Show every change of a record.
#[derive(clap::Args)]
pub struct HistoryArgs {
    /// The record: its id or short id, as `kith record list` prints it
    pub record: String,
}

pub fn run(args: HistoryArgs, ctx: &Context) -> Result<(), CliError> {
    let ws = ctx.open()?;
    let id = record_id(&ws, &args.record)?;
    let mut entries = ws.record_history(id)?;
    // Fields in the order the object lists them (archived and unknown ones last).
    if let Some(obj) = ws.schema().object(ws.row(id)?.object) {
        let position = |f: kith_core::FieldId| obj.fields.iter().position(|d| d.id == f).unwrap_or(usize::MAX);
        for entry in &mut entries {
            entry.fields.sort_by_key(|d| position(d.field));
        }
    }
    let mut out = ctx.out();
    if ctx.json {
        return write_history_json(&mut out, &entries, false);
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
    write_history(&mut out, &entries, false)
}

/// How many characters of a change hash are shown (and are enough for `kith revert`).
pub(crate) const SHORT_CHANGE: usize = 12;

/// The short form of a change hash.
pub(crate) fn short_change(change: &str) -> &str {
    change.get(..SHORT_CHANGE).unwrap_or(change)
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

/// What made a change, in words: edit, import, bulk edit, automation, revert, conflict
/// resolved, restore, schema change, ...
pub(crate) fn made_by(entry: &HistoryEntry) -> String {
    let mut parts = entry.message.split(':');
    let head = parts.next().unwrap_or_default();
    let what = match head {
        "edit" => "edit".to_string(),
        "import" => "import".to_string(),
        "bulk" => "bulk edit".to_string(),
        "automation" => "automation".to_string(),
        "resolve" => "conflict resolved".to_string(),
        "revert" => {
            let _group = parts.next();
            match parts.next() {
                Some(target) if !target.is_empty() => {
                    let kind = if target.contains('-') { "group" } else { "change" };
                    format!("revert of {kind} {target}")
                }
                _ => "revert".to_string(),
            }
        }
        "restore" => {
            let _group = parts.next();
            match parts.next().and_then(|t| t.parse::<i64>().ok()) {
                Some(time) => format!("restore to {}", format_datetime(time)),
                None => "restore".to_string(),
            }
        }
        "schema" => "schema change".to_string(),
        "member" => "member joined".to_string(),
        // Folding maps two devices created concurrently, or moving values of a field two
        // devices added with one key (docs/storage-format.md).
        "heal" => "merge healed".to_string(),
        _ if entry.kind == ChangeKind::Other && !head.is_empty() => head.to_string(),
        _ => entry.kind.as_str().to_string(),
    };
    if entry.synced {
        format!("{what}, from another device")
    } else {
        what
    }
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

/// History as a JSON array, oldest first.
pub(crate) fn write_history_json(out: &mut dyn Write, entries: &[HistoryEntry], schema: bool) -> Result<(), CliError> {
    let items: Vec<JsonObject> = entries
        .iter()
        .map(|entry| {
            let mut j = JsonObject::default();
            j.push("change", short_change(&entry.change).to_string());
            j.push("hash", entry.change.clone());
            j.push("time", format_datetime(entry.time));
            j.push("time_ms", entry.time);
            j.push("author", entry.author.clone());
            j.push("device", entry.device.clone());
            j.push("synced", entry.synced);
            j.push("made_by", made_by(entry));
            j.push("kind", serde_json::to_value(entry.kind).unwrap_or_default());
            j.push("message", entry.message.clone());
            j.push("group", entry.group.map(|g| g.to_string()));
            if !schema {
                j.push("created", entry.created);
                j.push("deleted", entry.deleted);
            }
            let fields: Vec<JsonObject> = entry
                .fields
                .iter()
                .map(|d| {
                    let mut f = JsonObject::default();
                    f.push("label", d.label.clone());
                    f.push("old", d.old.clone());
                    f.push("new", d.new.clone());
                    f
                })
                .collect();
            j.push_objects(if schema { "changes" } else { "fields" }, fields);
            j
        })
        .collect();
    write_json(out, &items)?;
    Ok(())
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
