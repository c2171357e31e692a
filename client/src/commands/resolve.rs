//! `kith resolve RECORD FIELD --pick N | --value TEXT`: settle a conflicted field with one
//! of the values `kith conflicts` lists (numbered from 1) or with a new value. The
//! resolution is a change like any edit: it syncs, and `kith revert` can take it back.

use std::io::Write;

use crate::CliError;
use crate::app::resolve::{ResolveRequest, resolve};
use crate::commands::Context;
use crate::output::write_json;

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
    let request = ResolveRequest {
        id: args.record,
        field: args.field,
        pick: args.pick,
        value: args.value,
    };
    let resolved = resolve(&mut ws, &request)?;
    let mut out = ctx.out();
    if ctx.json {
        write_json(&mut out, &resolved)?;
    } else {
        let shown = if resolved.value.is_empty() {
            "(empty)"
        } else {
            resolved.value.as_str()
        };
        writeln!(
            out,
            "resolved {} of {} ({}): {shown}",
            resolved.label, resolved.id, resolved.name
        )?;
    }
    Ok(())
}
