//! `kith search TEXT...`: full-text search. Every word must start a word of one of a
//! record's text fields (name, email, city, ...), case- and accent-insensitively.

use std::io::Write;

use crate::CliError;
use crate::commands::Context;
use crate::commands::support::short_id;
use crate::output::{JsonObject, Table, write_json};

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
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
}

pub fn run(args: SearchArgs, ctx: &Context) -> Result<(), CliError> {
    let ws = ctx.open()?;
    let object = args
        .object
        .as_deref()
        .map(|o| ws.object_named(o).map(|o| o.id))
        .transpose()?;
    let hits = ws.search(&args.text.join(" "), object, args.limit)?;
    let key_of = |o: kith_core::ObjectId| ws.schema().object(o).map_or_else(|| o.to_string(), |o| o.key.clone());
    let mut out = ctx.out();
    if ctx.json {
        let items: Vec<JsonObject> = hits
            .iter()
            .map(|h| {
                let mut j = JsonObject::default();
                j.push("id", h.record.to_string());
                j.push("object", key_of(h.object));
                j.push("name", ws.record_name(h.record));
                j
            })
            .collect();
        write_json(&mut out, &items)?;
        return Ok(());
    }
    if hits.is_empty() {
        writeln!(out, "nothing matches '{}'", args.text.join(" "))?;
        return Ok(());
    }
    let mut table = Table::new(["ID", "OBJECT", "NAME"]);
    for h in &hits {
        table.push(vec![
            short_id(&ws, h.record),
            key_of(h.object),
            ws.record_name(h.record),
        ]);
    }
    table.write(&mut out)?;
    Ok(())
}
