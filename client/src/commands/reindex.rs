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
    // Changes received but unreadable by an older version are applied first.
    let unreadable = ws.retry_unreadable()?;
    let count = ws.reindex()?;
    let mut out = ctx.out();
    if ctx.json {
        let mut o = JsonObject::default();
        o.push("records", count);
        o.push("unreadable", unreadable);
        write_json(&mut out, &o)?;
    } else {
        writeln!(out, "reindexed {} records", thousands(count))?;
        if unreadable > 0 {
            writeln!(
                out,
                "{} received change(s) are still unreadable by this version of kith: they are kept; upgrade kith",
                thousands(unreadable as usize)
            )?;
        }
    }
    Ok(())
}
