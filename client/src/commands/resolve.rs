//! `kith resolve RECORD FIELD --pick N | --value TEXT`: settle a conflicted field with one
//! of the values `kith conflicts` lists (numbered from 1) or with a new value. The
//! resolution is a change like any edit: it syncs, and `kith revert` can take it back.

use std::io::Write;

use kith_core::Resolution;

use crate::CliError;
use crate::commands::Context;
use crate::commands::support::record_id;
use crate::output::{JsonObject, write_json};

/// Settle a conflicted field.
#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("resolution").args(["pick", "value"])))]
pub struct ResolveArgs {
    /// The record: its id or short id, as `kith record list` prints it
    pub record: String,
    /// The field (key or label)
    pub field: String,
    /// Keep the N-th value `kith conflicts` lists (1 is the one shown now)
    #[arg(long, value_name = "N")]
    pub pick: Option<usize>,
    /// Set this value instead of any of them
    #[arg(long, value_name = "TEXT")]
    pub value: Option<String>,
}

pub fn run(args: ResolveArgs, ctx: &Context) -> Result<(), CliError> {
    let mut ws = ctx.open()?;
    let id = record_id(&ws, &args.record)?;
    let object = ws.row(id)?.object;
    let field = ws.field_named(object, &args.field)?.clone();
    let resolution = match (args.pick, args.value) {
        (Some(n), None) => Resolution::Pick(n),
        (None, Some(text)) => Resolution::Value(text),
        _ => {
            return Err(CliError::InvalidArgument(
                "give either --pick N (a value `kith conflicts` lists) or --value TEXT".into(),
            ));
        }
    };
    if !ws.record_conflicts(id)?.iter().any(|c| c.field == field.id) {
        return Err(CliError::InvalidArgument(format!(
            "{} of record {id} has no conflict to resolve (`kith conflicts` lists the conflicts)",
            field.label
        )));
    }
    ws.resolve_conflict(id, field.id, resolution)?;
    let now = ws
        .record(id)?
        .cells
        .into_iter()
        .find(|c| c.field == field.id)
        .map(|c| c.display)
        .unwrap_or_default();
    let mut out = ctx.out();
    if ctx.json {
        let mut j = JsonObject::default();
        j.push("id", id.to_string());
        j.push("field", field.key.clone());
        j.push("value", now);
        write_json(&mut out, &j)?;
    } else {
        let shown = if now.is_empty() { "(empty)".to_string() } else { now };
        writeln!(
            out,
            "resolved {} of {} ({}): {shown}",
            field.label,
            id,
            ws.record_name(id)
        )?;
    }
    Ok(())
}
