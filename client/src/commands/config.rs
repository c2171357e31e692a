//! `kith config list`: the workspace's configuration documents (views, automations,
//! reports, dashboards), as the schema document's manifest lists them, each with its
//! current name and whether it is archived (read from its document).

use std::io::Write;

use clap::Subcommand;
use kith_core::time_fmt::format_datetime;

use crate::CliError;
use crate::commands::Context;
use crate::output::{JsonObject, Table, write_json};

/// List the workspace's configuration documents.
#[derive(clap::Args)]
pub struct ConfigArgs {
    #[command(subcommand)]
    pub command: ConfigCommand,
}

#[derive(Subcommand)]
pub enum ConfigCommand {
    /// Every configuration document: id, kind, name, when it was made, whether archived
    List,
}

pub fn run(args: ConfigArgs, ctx: &Context) -> Result<(), CliError> {
    match args.command {
        ConfigCommand::List => list(ctx),
    }
}

fn list(ctx: &Context) -> Result<(), CliError> {
    let ws = ctx.open()?;
    // A document not arrived yet (the manifest synced first) shows its manifest name.
    let docs: Vec<(&kith_core::ConfigDoc, String, bool)> = ws
        .config_docs()
        .iter()
        .map(|d| match ws.config_doc(d.id) {
            Ok(c) => (d, c.name, c.archived),
            Err(_) => (d, d.name.clone(), false),
        })
        .collect();
    let mut out = ctx.out();
    if ctx.json {
        let items: Vec<JsonObject> = docs
            .iter()
            .map(|(d, name, archived)| {
                let mut j = JsonObject::default();
                j.push("id", d.id.to_string());
                j.push("kind", d.kind.to_string());
                j.push("name", name.clone());
                j.push("created_at", format_datetime(d.created_at));
                j.push("archived", *archived);
                j
            })
            .collect();
        let mut j = JsonObject::default();
        j.push_objects("config_docs", items);
        write_json(&mut out, &j)?;
    } else if docs.is_empty() {
        writeln!(out, "no configuration documents yet")?;
    } else {
        let mut table = Table::new(["id", "kind", "name", "created", "archived"]);
        for (d, name, archived) in docs {
            table.push(vec![
                d.id.to_string(),
                d.kind.to_string(),
                name,
                format_datetime(d.created_at),
                if archived { "yes" } else { "" }.to_string(),
            ]);
        }
        table.write(&mut out)?;
    }
    Ok(())
}
