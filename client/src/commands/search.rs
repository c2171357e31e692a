//! `kith search TEXT...`: full-text search. Every word must start a word of one of a
//! record's text fields (name, email, city, ...), case- and accent-insensitively.

use std::io::Write;

use crate::CliError;
use crate::app::search::{SearchRequest, search};
use crate::commands::Context;
use crate::commands::support::short_id;
use crate::output::{Table, write_json};

/// Full-text search over every object's text fields.
#[derive(clap::Args)]
pub struct SearchArgs {
    /// Words to look for
    #[arg(required = true)]
    pub text: Vec<String>,
    /// Only records of this object
    #[arg(long)]
    pub object: Option<String>,
    /// At most this many results, newest first
    #[arg(long, default_value_t = crate::app::search::DEFAULT_LIMIT)]
    pub limit: usize,
}

pub fn run(args: SearchArgs, ctx: &Context) -> Result<(), CliError> {
    let ws = ctx.open()?;
    let request = SearchRequest {
        text: args.text.join(" "),
        object: args.object,
        limit: args.limit,
    };
    let hits = search(&ws, &request)?;
    let mut out = ctx.out();
    if ctx.json {
        write_json(&mut out, &hits)?;
        return Ok(());
    }
    if hits.is_empty() {
        writeln!(out, "nothing matches '{}'", request.text)?;
        return Ok(());
    }
    let mut table = Table::new(["ID", "OBJECT", "NAME"]);
    for h in hits {
        table.push(vec![short_id(&ws, h.record), h.object, h.name]);
    }
    table.write(&mut out)?;
    Ok(())
}
