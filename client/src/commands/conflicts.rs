//! `kith conflicts [--object OBJ]`: fields that edits made at the same time on different
//! devices left with several values. Each value is numbered (1 is the one shown now) with
//! its author and time; `kith resolve RECORD FIELD --pick N` keeps one of them. Then unique
//! rules that a merge broke: records that devices saved offline with the same unique value
//! (both kept; edit one to settle it). Last, records that break a validation rule (edits
//! merged from devices that were offline, each valid alone), with the rule's message.

use std::io::Write;

use kith_core::time_fmt::format_datetime;

use crate::CliError;
pub(crate) use crate::app::conflicts::field_key;
use crate::app::conflicts::{self, ConflictsRequest};
use crate::commands::Context;
use crate::commands::history::short_change;
use crate::commands::support::short_id;
use crate::output::write_json;

/// List conflicted fields.
#[derive(clap::Args)]
pub struct ConflictsArgs {
    /// Only records of this object (key, label or id)
    #[arg(long)]
    pub object: Option<String>,
}

pub fn run(args: ConflictsArgs, ctx: &Context) -> Result<(), CliError> {
    let ws = ctx.open()?;
    let found = conflicts::list(&ws, &ConflictsRequest { object: args.object })?;
    let mut out = ctx.out();
    if ctx.json {
        write_json(&mut out, &found)?;
        return Ok(());
    }
    let (conflicts, clashes, names, merged, breaks) =
        (&found.values, &found.unique, &found.names, &found.merged, &found.breaks);
    if conflicts.is_empty() && clashes.is_empty() && names.is_empty() && merged.is_empty() && breaks.is_empty() {
        writeln!(out, "no conflicts")?;
        return Ok(());
    }
    for (i, c) in conflicts.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        let short = short_id(&ws, c.record);
        writeln!(
            out,
            "{} {short} ({}): {} has {} values",
            c.object_key,
            c.record_name,
            c.field_label,
            c.values.len()
        )?;
        let width = c.values.iter().map(|v| v.display.chars().count()).max().unwrap_or(0);
        for (n, v) in c.values.iter().enumerate() {
            let display = if v.display.is_empty() { "(empty)" } else { &v.display };
            let pad = " ".repeat(width.saturating_sub(display.chars().count()));
            let now = if n == 0 { "  (shown now)" } else { "" };
            writeln!(
                out,
                "  {}. {display}{pad}  by {}, {}, change {}{now}",
                n + 1,
                v.author,
                format_datetime(v.time),
                short_change(&v.change)
            )?;
        }
        writeln!(
            out,
            "  settle it: kith resolve {short} {} --pick N (or --value TEXT)",
            field_key(&ws, c)
        )?;
    }
    for (i, c) in clashes.iter().enumerate() {
        if i > 0 || !conflicts.is_empty() {
            writeln!(out)?;
        }
        writeln!(
            out,
            "{}.{} is unique, but {} records have {}",
            c.object_key,
            c.field_key,
            c.records.len(),
            c.value
        )?;
        for record in &c.records {
            writeln!(out, "  {} ({})", short_id(&ws, *record), ws.record_name(*record))?;
        }
        writeln!(
            out,
            "  settle it: change the {} of all but one (kith record update RECORD {}=...)",
            c.field_label, c.field_key
        )?;
    }
    for (i, c) in names.iter().enumerate() {
        if i > 0 || !conflicts.is_empty() || !clashes.is_empty() {
            writeln!(out)?;
        }
        writeln!(
            out,
            "{}.{} ({}) and {}.{} ({}) were both added as '{}' on different devices at the same time",
            c.object, c.kept, c.kept_kind, c.object, c.shown_as, c.kind, c.key
        )?;
        writeln!(
            out,
            "  settle it: kith field rename {} {} --key NEW (or kith field archive {} {})",
            c.object, c.shown_as, c.object, c.shown_as
        )?;
    }
    for (i, c) in merged.iter().enumerate() {
        if i > 0 || !conflicts.is_empty() || !clashes.is_empty() || !names.is_empty() {
            writeln!(out)?;
        }
        let short = short_id(&ws, c.record);
        writeln!(
            out,
            "{} {short} ({}): {} has {} (shown) and {} (from the same field added on another device, now {})",
            c.object_key,
            ws.record_name(c.record),
            c.field_key,
            c.kept,
            c.other,
            c.alias_key
        )?;
        writeln!(
            out,
            "  settle it: kith record update {short} {}=VALUE {}=",
            c.field_key, c.alias_key
        )?;
    }
    let before = !(conflicts.is_empty() && clashes.is_empty() && names.is_empty() && merged.is_empty());
    for (i, b) in breaks.iter().enumerate() {
        if i > 0 || before {
            writeln!(out)?;
        }
        let short = short_id(&ws, b.record);
        writeln!(
            out,
            "{} {short} ({}) breaks a rule: {}",
            b.object_key, b.record_name, b.message
        )?;
        let field = b.fields.first().map_or("FIELD", String::as_str);
        writeln!(out, "  settle it: kith record update {short} {field}=...")?;
    }
    Ok(())
}
