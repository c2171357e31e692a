//! `kith conflicts [--object OBJ]`: fields that edits made at the same time on different
//! devices left with several values. Each value is numbered (1 is the one shown now) with
//! its author and time; `kith resolve RECORD FIELD --pick N` keeps one of them. Then unique
//! rules that a merge broke: records that devices saved offline with the same unique value
//! (both kept; edit one to settle it). Last, records that break a validation rule (edits
//! merged from devices that were offline, each valid alone), with the rule's message.

use std::io::Write;

use kith_core::time_fmt::format_datetime;
use kith_core::{ConflictView, UniqueClash, Workspace};

use crate::CliError;
use crate::commands::Context;
use crate::commands::history::short_change;
use crate::commands::support::short_id;
use crate::output::{JsonObject, write_json};

/// List conflicted fields.
#[derive(clap::Args)]
pub struct ConflictsArgs {
    /// Only records of this object (key, label or id)
    #[arg(long)]
    pub object: Option<String>,
}

pub fn run(args: ConflictsArgs, ctx: &Context) -> Result<(), CliError> {
    let ws = ctx.open()?;
    let object = match &args.object {
        Some(name) => Some(ws.object_named(name)?.id),
        None => None,
    };
    let conflicts = ws.conflicts(object)?;
    let clashes = ws.unique_clashes(object)?;
    let names = key_clashes(&ws, object);
    let merged = ws.merged_value_clashes(object)?;
    let breaks = ws.rule_breaks(object)?;
    let mut out = ctx.out();
    if ctx.json {
        let items: Vec<JsonObject> = conflicts
            .iter()
            .map(|c| conflict_json(&ws, c))
            .chain(clashes.iter().map(|c| clash_json(&ws, c)))
            .chain(names.iter().map(|c| c.json()))
            .chain(merged.iter().map(merged_json))
            .chain(breaks.iter().map(break_json))
            .collect();
        write_json(&mut out, &items)?;
        return Ok(());
    }
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

/// `{kind: "rule", record, object, rule, message, fields}`.
fn break_json(b: &kith_core::RuleBreak) -> JsonObject {
    let mut j = JsonObject::default();
    j.push("kind", "rule");
    j.push("record", b.record.to_string());
    j.push("object", b.object_key.clone());
    j.push("rule", b.rule.to_string());
    j.push("message", b.message.clone());
    j.push("fields", b.fields.clone());
    j
}

/// `{kind: "merged_field", record, object, field, value, alias, alias_value}`.
fn merged_json(c: &kith_core::MergedValueClash) -> JsonObject {
    let mut j = JsonObject::default();
    j.push("kind", "merged_field");
    j.push("record", c.record.to_string());
    j.push("object", c.object_key.clone());
    j.push("field", c.field_key.clone());
    j.push("value", c.kept.clone());
    j.push("alias", c.alias_key.clone());
    j.push("alias_value", c.other.clone());
    j
}

/// Two fields added with one key but different types at the same time (both kept, the
/// later shown under a free key until the user renames or archives one).
struct KeyClash {
    object: String,
    key: String,
    kept: String,
    kept_kind: String,
    shown_as: String,
    kind: String,
}

impl KeyClash {
    /// `{kind: "schema", object, key, kept, kept_type, shown_as, type}`.
    fn json(&self) -> JsonObject {
        let mut j = JsonObject::default();
        j.push("kind", "schema");
        j.push("object", self.object.clone());
        j.push("key", self.key.clone());
        j.push("kept", self.kept.clone());
        j.push("kept_type", self.kept_kind.clone());
        j.push("shown_as", self.shown_as.clone());
        j.push("type", self.kind.clone());
        j
    }
}

fn key_clashes(ws: &Workspace, object: Option<kith_core::ObjectId>) -> Vec<KeyClash> {
    let mut out = Vec::new();
    for obj in ws
        .schema()
        .objects
        .iter()
        .filter(|o| object.is_none_or(|id| id == o.id))
    {
        for f in obj.active_fields() {
            let Some(key) = &f.clashing_key else { continue };
            let Some(kept) = obj.fields.iter().find(|k| &k.key == key) else {
                continue;
            };
            out.push(KeyClash {
                object: obj.key.clone(),
                key: key.clone(),
                kept: kept.key.clone(),
                kept_kind: kept.kind.to_string(),
                shown_as: f.key.clone(),
                kind: f.kind.to_string(),
            });
        }
    }
    out
}

/// `{kind: "unique", object, field, field_label, value, records: [{record, record_name}]}`.
fn clash_json(ws: &Workspace, c: &UniqueClash) -> JsonObject {
    let mut j = JsonObject::default();
    j.push("kind", "unique");
    j.push("object", c.object_key.clone());
    j.push("field", c.field_key.clone());
    j.push("field_label", c.field_label.clone());
    j.push("value", c.value.clone());
    let records = c
        .records
        .iter()
        .map(|r| {
            let mut record = JsonObject::default();
            record.push("record", r.to_string());
            record.push("record_name", ws.record_name(*r));
            record
        })
        .collect();
    j.push_objects("records", records);
    j
}

/// The key of a conflicted field (its id when the schema no longer has it).
pub(crate) fn field_key(ws: &Workspace, c: &ConflictView) -> String {
    ws.schema()
        .object(c.object)
        .and_then(|o| o.field(c.field))
        .map_or_else(|| c.field.to_string(), |f| f.key.clone())
}

/// `{kind: "value", record, record_name, object, field, field_label, values: [{n, value,
/// author, time, change, shown}]}`.
fn conflict_json(ws: &Workspace, c: &ConflictView) -> JsonObject {
    let mut j = JsonObject::default();
    j.push("kind", "value");
    j.push("record", c.record.to_string());
    j.push("record_name", c.record_name.clone());
    j.push("object", c.object_key.clone());
    j.push("field", field_key(ws, c));
    j.push("field_label", c.field_label.clone());
    let values = c
        .values
        .iter()
        .enumerate()
        .map(|(n, v)| {
            let mut value = JsonObject::default();
            value.push("n", n + 1);
            value.push("value", v.display.clone());
            value.push("author", v.author.clone());
            value.push("time", format_datetime(v.time));
            value.push("change", short_change(&v.change).to_string());
            value.push("shown", n == 0);
            value
        })
        .collect();
    j.push_objects("values", values);
    j
}
