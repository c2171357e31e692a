//! `kith reindex`: rebuilds the derived tables (lists, indexes, search) from the record
//! documents, the source of truth.

use std::io::Write;

use crate::CliError;
use crate::commands::Context;
use crate::output::{JsonObject, thousands, write_json};

/// Rebuild lists, indexes and the search index from the record documents.
#[derive(clap::Args)]
pub struct ReindexArgs {}

pub fn run(_args: ReindexArgs, ctx: &Context) -> Result<(), CliError> {
    let mut ws = ctx.open()?;
    let count = ws.reindex()?;
    let mut out = ctx.out();
    if ctx.json {
        let mut o = JsonObject::default();
        o.push("records", count);
        write_json(&mut out, &o)?;
    } else {
        writeln!(out, "reindexed {} records", thousands(count))?;
    }
    Ok(())
}
