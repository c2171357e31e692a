//! `kith init [--user NAME]`: creates a workspace with the standard objects.

use std::io::Write;

use kith_core::{CreateOptions, Workspace};

use crate::CliError;
use crate::commands::Context;
use crate::output::{JsonObject, write_json};

/// Create a workspace with the standard objects.
#[derive(clap::Args)]
pub struct InitArgs {
    /// Your name, recorded as the author of your changes [default: $USER, or "me"]
    #[arg(long)]
    pub user: Option<String>,
}

pub fn run(args: InitArgs, ctx: &Context) -> Result<(), CliError> {
    let user = args
        .user
        .or_else(|| std::env::var("USER").ok())
        .or_else(|| std::env::var("USERNAME").ok())
        .map(|u| u.trim().to_string())
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "me".to_string());
    let ws = Workspace::create(&ctx.workspace, CreateOptions::new(&user))?;
    let objects: Vec<&str> = ws.schema().active_objects().map(|o| o.key.as_str()).collect();
    let mut out = ctx.out();
    if ctx.json {
        let mut o = JsonObject::default();
        o.push("path", ctx.workspace.display().to_string());
        o.push("user", user.clone());
        o.push("objects", objects.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        write_json(&mut out, &o)?;
    } else {
        writeln!(out, "created a workspace at {} for {user}", ctx.workspace.display())?;
        writeln!(out, "objects: {}", objects.join(", "))?;
    }
    Ok(())
}
