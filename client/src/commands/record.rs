//! `kith record add|get|update|delete|restore|list`: records. A record is named by its
//! full id or by its short id (as `record list` shows it).
//!
//! Undo: `record get ID --at TIME` shows a record as it was, `record restore ID --at TIME`
//! rolls it back (as one new change), and `record update --object OBJ --filter EXPR --set
//! field=value` edits many records as one change group that `kith revert --group` takes
//! back.
//!
//! A field that concurrent edits on different devices left with several values is marked
//! in `record get` (`⚠ conflict: also Rome — kith resolve ID city`) and in `record list`
//! (`⚠`). In JSON, `record get` has `"conflicts": {"city": ["Rome"]}` (always present,
//! `{}` when there is none) and each `record list` item has `"_conflicts": {"city":
//! ["Rome"]}` when it has conflicts (field keys never start with `_`): the other values
//! of each conflicted field, the shown one being the field's own value.

use std::io::{BufRead, Write};

use clap::Subcommand;
use kith_core::Workspace;
use kith_core::time_fmt::format_datetime;

use crate::CliError;
use crate::app::bulk::{self, BulkRequest};
use crate::app::records::{
    self, AddRequest, GetRequest, ListRequest, RecordDetail, RecordRequest, RestoreRequest, UpdateRequest,
    combined_filter,
};
use crate::app::revert::{RestoreAtRequest, restore_at};
use crate::commands::Context;
use crate::commands::history::parse_at;
use crate::commands::support::{assignments, changed, record_id, short_id};
use crate::output::{JsonObject, Table, thousands, write_json};

/// Add, show, update, delete and list records.
#[derive(clap::Args)]
pub struct RecordArgs {
    #[command(subcommand)]
    pub command: RecordCommand,
}

#[derive(Subcommand)]
pub enum RecordCommand {
    /// Add a record and print its id: kith record add people name="Ada Lovelace" email=ada@example.com
    Add {
        /// The object (key, label or id)
        object: String,
        /// field=value pairs; fields by key or label
        values: Vec<String>,
    },
    /// Show a record: every field, and the records that point to it
    Get {
        /// The record: its id or short id, as `kith record list` prints it
        id: String,
        /// Show the record as it was at this time: 2024-05-01T09:30:00Z, '2024-05-01
        /// 09:30' (UTC) or 2024-05-01
        #[arg(long, value_name = "DATETIME")]
        at: Option<String>,
    },
    /// Set fields of a record (ID field=value...), or of every record of an object that
    /// matches filters (--object OBJ --filter EXPR --set field=value, one change group);
    /// an empty value (field=) clears the field
    Update(UpdateArgs),
    /// Move a record to the trash
    Delete {
        /// The record: its id or short id, as `kith record list` prints it
        id: String,
    },
    /// Take a record out of the trash; with --at, roll it back to how it was then
    Restore {
        /// The record: its id or short id, as `kith record list` prints it
        id: String,
        /// Roll the record back to how it was at this time (one new change, which `kith
        /// revert` can take back)
        #[arg(long, value_name = "DATETIME", conflicts_with = "set")]
        at: Option<String>,
        /// field=value to change as the record comes back (a unique value another
        /// record took meanwhile, say)
        #[arg(long = "set", value_name = "FIELD=VALUE")]
        set: Vec<String>,
    },
    /// List records of an object, a page at a time
    List(ListArgs),
}

/// Takes a record out of the trash (`kith record restore`, and its alias `kith trash
/// restore`), with `field=value` changes made on the way back.
pub(crate) fn restore_from_trash(
    ws: &mut Workspace,
    ctx: &Context,
    out: &mut dyn Write,
    id: &str,
    set: &[String],
) -> Result<(), CliError> {
    let request = RestoreRequest {
        id: id.to_string(),
        set: assignments(set)?,
    };
    let restored = records::restore(ws, &request)?;
    changed(out, ctx, &restored)
}

/// `kith record update`: one record, or many as one change group.
#[derive(clap::Args)]
pub struct UpdateArgs {
    /// The record: its id or short id, as `kith record list` prints it (not with --object)
    pub id: Option<String>,
    /// field=value pairs for the one record; fields by key or label
    pub values: Vec<String>,
    /// Update every record of this object that matches --filter (all of them without one)
    #[arg(long)]
    pub object: Option<String>,
    /// A condition such as 'city = Paris'; several are ANDed (with --object)
    #[arg(long = "filter", value_name = "EXPR")]
    pub filters: Vec<String>,
    /// field=value to set on every matching record (with --object)
    #[arg(long = "set", value_name = "FIELD=VALUE")]
    pub set: Vec<String>,
    /// Do not ask before updating more than one record
    #[arg(long, short = 'y')]
    pub yes: bool,
}

/// `kith record list`.
#[derive(clap::Args)]
pub struct ListArgs {
    /// The object (key, label or id)
    pub object: String,
    /// A condition such as 'stage = Won and amount >= 10000'; several are ANDed
    #[arg(long = "filter", value_name = "EXPR")]
    pub filters: Vec<String>,
    /// Sort keys, '-' for descending: "-amount,name"
    #[arg(long, allow_hyphen_values = true)]
    pub sort: Option<String>,
    /// Records per page
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    /// Continue after this cursor (printed under the previous page)
    #[arg(long, value_name = "CURSOR")]
    pub after: Option<String>,
    /// Print only how many records match
    #[arg(long)]
    pub count: bool,
    /// Columns to show, comma-separated [default: the first four fields]
    #[arg(long, value_name = "FIELDS")]
    pub fields: Option<String>,
}

/// Columns a list shows when not told.
const DEFAULT_COLUMNS: usize = 4;

pub fn run(args: RecordArgs, ctx: &Context) -> Result<(), CliError> {
    let mut ws = ctx.open()?;
    let mut out = ctx.out();
    match args.command {
        RecordCommand::Add { object, values } => {
            let values = assignments(&values)?;
            let added = records::add(&mut ws, &AddRequest { object, values })?;
            if ctx.json {
                write_json(&mut out, &added)?;
            } else {
                writeln!(out, "{}", added.id)?;
            }
        }
        RecordCommand::Get { id, at } => {
            let at = at.as_deref().map(parse_at).transpose()?;
            let detail = records::get(&ws, &GetRequest { id, at })?;
            if ctx.json {
                write_json(&mut out, &detail)?;
            } else {
                show(&ws, &detail, &mut out)?;
            }
        }
        RecordCommand::Update(update) if update.object.is_some() => bulk_update(&mut ws, update, ctx, &mut out)?,
        RecordCommand::Update(UpdateArgs {
            id,
            values,
            filters,
            set,
            ..
        }) => {
            if !filters.is_empty() || !set.is_empty() {
                return Err(CliError::InvalidArgument(
                    "--filter and --set update many records: name their object with --object OBJ".into(),
                ));
            }
            let Some(id) = id else {
                return Err(CliError::InvalidArgument(
                    "name the record to update (kith record update ID field=value...), or update many with --object OBJ --filter EXPR --set field=value".into(),
                ));
            };
            if values.is_empty() {
                return Err(CliError::InvalidArgument(
                    "give the new values as field=value after the record id".into(),
                ));
            }
            let values = assignments(&values)?;
            let updated = records::update(
                &mut ws,
                &UpdateRequest {
                    id,
                    values,
                    skip_unchanged: false,
                },
            )?;
            changed(&mut out, ctx, &updated)?;
        }
        RecordCommand::Delete { id } => {
            let deleted = records::delete(&mut ws, &RecordRequest { id })?;
            changed(&mut out, ctx, &deleted)?;
        }
        RecordCommand::Restore { id, at: None, set } => restore_from_trash(&mut ws, ctx, &mut out, &id, &set)?,
        RecordCommand::Restore { id, at: Some(at), .. } => {
            let id = record_id(&ws, &id)?;
            let time = parse_at(&at)?;
            let request = RestoreAtRequest {
                id: id.to_string(),
                at: time,
            };
            let restored = restore_at(&mut ws, &request)?;
            if ctx.json {
                write_json(&mut out, &restored)?;
            } else if let Some(group) = &restored.group {
                writeln!(
                    out,
                    "restored {id} to how it was at {} (group {group}; `kith revert --group {group}` takes it back)",
                    restored.at
                )?;
            } else {
                writeln!(out, "{id} is already as it was at {}; nothing changed", restored.at)?;
            }
        }
        RecordCommand::List(list) => list_records(&ws, list, ctx, &mut out)?,
    }
    Ok(())
}

/// Confirmation is asked for (or `--yes` required) above this many records.
const CONFIRM_ABOVE: u64 = 1;

/// `kith record update --object OBJ [--filter EXPR]... --set field=value... [--yes]`.
fn bulk_update(ws: &mut Workspace, args: UpdateArgs, ctx: &Context, out: &mut dyn Write) -> Result<(), CliError> {
    if args.id.is_some() || !args.values.is_empty() {
        return Err(CliError::InvalidArgument(
            "with --object, give the new values with --set field=value (not after the command)".into(),
        ));
    }
    if args.set.is_empty() {
        return Err(CliError::InvalidArgument(
            "give the values to set on every matching record with --set field=value".into(),
        ));
    }
    let object_name = args.object.unwrap_or_default();
    let obj = ws.object_named(&object_name)?.clone();
    let filter = combined_filter(ws, obj.id, &args.filters)?;
    // Parsed here too so a bad value is refused before asking to confirm.
    ws.parse_values(obj.id, &assignments(&args.set)?)?;
    let matching = ws.count(obj.id, filter.as_ref())?;
    if matching == 0 {
        if ctx.json {
            let mut j = JsonObject::default();
            j.push("records", 0);
            j.push("group", serde_json::Value::Null);
            write_json(out, &j)?;
        } else {
            writeln!(out, "no {} records match; nothing changed", obj.key)?;
        }
        return Ok(());
    }
    if matching > CONFIRM_ABOVE && !args.yes {
        let what = format!(
            "{} {} records ({})",
            thousands(matching as usize),
            obj.key,
            args.set.join(", ")
        );
        if let Some(why) = ctx.cannot_ask() {
            return Err(CliError::InvalidArgument(format!(
                "this would update {what}; add --yes to confirm ({why})"
            )));
        }
        write!(ctx.err(), "update {what}? [y/N] ")?;
        let mut answer = String::new();
        std::io::BufReader::new(ctx.stdin()).read_line(&mut answer)?;
        if !matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
            return Err(CliError::InvalidArgument("cancelled; nothing was changed".into()));
        }
    }
    let request = BulkRequest {
        object: object_name,
        filters: args.filters,
        ids: Vec::new(),
        set: assignments(&args.set)?,
    };
    let report = bulk::bulk_update(ws, &request)?;
    if ctx.json {
        write_json(out, &report)?;
    } else {
        let group = report.group.unwrap_or_default();
        writeln!(
            out,
            "updated {} {} records as change group {group} (`kith revert --group {group}` takes it back)",
            thousands(report.records),
            obj.key,
        )?;
    }
    Ok(())
}

pub(crate) fn list_records(ws: &Workspace, args: ListArgs, ctx: &Context, out: &mut dyn Write) -> Result<(), CliError> {
    if args.count {
        let n = records::count(ws, &args.object, &args.filters)?;
        if ctx.json {
            let mut j = JsonObject::default();
            j.push("count", n);
            write_json(out, &j)?;
        } else {
            writeln!(out, "{n}")?;
        }
        return Ok(());
    }
    let request = ListRequest {
        object: args.object.clone(),
        filters: args.filters.clone(),
        sort: args.sort.clone(),
        after: args.after.clone(),
        limit: Some(args.limit),
    };
    let page = records::list(ws, &request)?;
    if ctx.json {
        write_json(out, &page)?;
        return Ok(());
    }
    let obj = ws.object_named(&args.object)?;
    let views = &page.views;
    let columns: Vec<kith_core::FieldId> = match &args.fields {
        Some(list) => list
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|name| ws.field_named(obj.id, name).map(|f| f.id))
            .collect::<Result<_, _>>()?,
        None => obj.active_fields().take(DEFAULT_COLUMNS).map(|f| f.id).collect(),
    };
    let headers =
        std::iter::once("ID".to_string()).chain(columns.iter().filter_map(|c| obj.field(*c)).map(|f| f.label.clone()));
    let mut table = Table::new(headers);
    let mut unconverted = false;
    let mut conflicted = false;
    for view in views {
        let mut row = vec![short_id(ws, view.id)];
        for column in &columns {
            let text = match view.cells.iter().find(|c| c.field == *column) {
                Some(cell) if cell.unconverted => {
                    unconverted = true;
                    format!("{} *", cell.display)
                }
                Some(cell) if !cell.conflicts.is_empty() => {
                    conflicted = true;
                    format!("{} ⚠", cell.display)
                }
                Some(cell) => cell.display.clone(),
                // An archived field asked for by name: read it all the same.
                None => match (obj.field(*column), ws.row(view.id)) {
                    (Some(def), Ok(row)) => ws.cell(def, &row).display,
                    _ => String::new(),
                },
            };
            row.push(text);
        }
        table.push(row);
    }
    if table.is_empty() {
        writeln!(
            out,
            "no {} records{}",
            obj.key,
            if !args.filters.is_empty() || args.after.is_some() {
                " match"
            } else {
                ""
            }
        )?;
        return Ok(());
    }
    table.write(out)?;
    if unconverted {
        writeln!(out, "* kept as stored: does not convert to the field's type")?;
    }
    if conflicted {
        writeln!(
            out,
            "⚠ conflict: edits on different devices left several values (`kith conflicts` lists them)"
        )?;
    }
    if let Some(next) = &page.next {
        writeln!(out, "more: add --after {next}")?;
    }
    Ok(())
}

/// `kith record get` as text: the record's fields, then the records that point to it
/// (none when shown as of a moment).
fn show(ws: &Workspace, detail: &RecordDetail, out: &mut dyn Write) -> Result<(), CliError> {
    let (view, related, at) = (&detail.view, &detail.groups, detail.at.as_deref());
    let id = view.id;
    match at {
        Some(time) => writeln!(out, "{} {id} as it was at {time}", view.object_key)?,
        None => writeln!(out, "{} {id}", view.object_key)?,
    }
    let short = short_id(ws, id);
    let mut table = Table::new(["FIELD", "VALUE"]).whole_values();
    for cell in &view.cells {
        let mut value = if cell.unconverted {
            format!("{}  (kept as stored: does not convert to {})", cell.display, cell.kind)
        } else {
            cell.display.clone()
        };
        if !cell.conflicts.is_empty() {
            value.push_str(&format!(
                "  ⚠ conflict: also {} — kith resolve {short} {}",
                cell.conflicts.join(", "),
                cell.key
            ));
        }
        table.push(vec![cell.label.clone(), value]);
    }
    table.write(out)?;
    writeln!(
        out,
        "created {} by {}, updated {}",
        format_datetime(view.created_at),
        view.created_by,
        format_datetime(view.updated_at)
    )?;
    if let Some(deleted) = view.deleted_at {
        if at.is_some() {
            writeln!(out, "in the trash then (since {})", format_datetime(deleted))?;
        } else {
            writeln!(
                out,
                "in the trash since {} (`kith record restore {short}` brings it back)",
                format_datetime(deleted)
            )?;
        }
    }
    if !related.is_empty() {
        writeln!(out)?;
        writeln!(out, "Related records:")?;
        for group in related {
            let more = if group.total > group.records.len() as u64 {
                format!(" ({} in all)", thousands(group.total as usize))
            } else {
                String::new()
            };
            writeln!(out, "  {}.{} ({}){more}", group.object, group.field, group.label)?;
            let mut t = Table::new(["    ID", "NAME"]);
            for (rid, name) in &group.records {
                t.push(vec![format!("    {}", short_id(ws, *rid)), name.clone()]);
            }
            t.write(out)?;
        }
    }
    Ok(())
}
