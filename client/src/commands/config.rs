//! `kith config list`: the workspace's configuration documents (views, automations,
//! reports, dashboards), as the schema document's manifest lists them, each with its
//! current name and whether it is archived (read from its document).

use std::io::Write;

use crate::CliError;
use crate::app::config;
use crate::commands::Context;
use crate::output::{Table, write_json};
use clap::Subcommand;

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
    let docs = config::list(&ws)?;
    let mut out = ctx.out();
    if ctx.json {
        write_json(&mut out, &docs)?;
    } else if docs.config_docs.is_empty() {
        writeln!(out, "no configuration documents yet")?;
    } else {
        let mut table = Table::new(["id", "kind", "name", "created", "archived"]);
        for d in docs.config_docs {
            table.push(vec![
                d.id,
                d.kind,
                d.name,
                d.created_at,
                if d.archived { "yes" } else { "" }.to_string(),
            ]);
        }
        table.write(&mut out)?;
    }
    Ok(())
}
