//! `kith remote set|show`: the relay this workspace syncs with. The address and token are
//! kept in the workspace file.

use std::io::Write;
use std::time::Duration;

use clap::Subcommand;
use kith_core::time_fmt::format_datetime;

use crate::CliError;
use crate::commands::Context;
use crate::commands::sync::block_on;
use crate::output::{JsonObject, write_json};
use crate::sync::{Remote, adopt_relay_workspace, check_remote, local_state};

/// How long `remote set` waits for the relay to answer.
const CHECK_TIMEOUT: Duration = Duration::from_secs(10);

/// Set or show the relay this workspace syncs with.
#[derive(clap::Args)]
pub struct RemoteArgs {
    #[command(subcommand)]
    pub command: RemoteCommand,
}

#[derive(Subcommand)]
pub enum RemoteCommand {
    /// Set the relay and token; checks them by connecting once
    Set {
        /// The relay's address: https://HOST or https://HOST:PORT (http, ws and wss work too)
        url: String,
        /// The device token from `kith-relay token create`
        #[arg(long, env = "KITH_TOKEN", hide_env_values = true)]
        token: String,
        /// Store them without connecting
        #[arg(long)]
        no_check: bool,
    },
    /// Show the relay, the relay workspace and the last sync
    Show,
}

pub fn run(args: RemoteArgs, ctx: &Context) -> Result<(), CliError> {
    match args.command {
        RemoteCommand::Set { url, token, no_check } => set(&url, &token, no_check, ctx),
        RemoteCommand::Show => show(ctx),
    }
}

fn set(url: &str, token: &str, no_check: bool, ctx: &Context) -> Result<(), CliError> {
    let mut ws = ctx.open()?;
    let remote = Remote::new(url, token)?;
    let info = if no_check {
        None
    } else {
        let info = block_on(check_remote(&remote, CHECK_TIMEOUT))??;
        adopt_relay_workspace(&mut ws, &info)?;
        Some(info)
    };
    remote.save(&mut ws)?;
    let mut out = ctx.out();
    if ctx.json {
        let mut j = JsonObject::default();
        j.push("url", remote.url.clone());
        j.push("workspace", info.as_ref().map(|i| i.workspace.clone()));
        j.push("role", info.as_ref().map(|i| i.role.as_str()));
        j.push("head", info.as_ref().map(|i| i.head));
        write_json(&mut out, &j)?;
    } else {
        writeln!(out, "relay set: {}", remote.url)?;
        match info {
            Some(info) => writeln!(
                out,
                "workspace {} as {} ({} change(s) on the relay); `kith sync` syncs now",
                info.workspace,
                info.role.as_str(),
                info.head
            )?,
            None => writeln!(out, "not checked; `kith sync` will connect")?,
        }
    }
    Ok(())
}

fn show(ctx: &Context) -> Result<(), CliError> {
    let ws = ctx.open()?;
    let state = local_state(&ws)?;
    let last_sync = state.last_sync_ms.map(format_datetime);
    let mut out = ctx.out();
    if ctx.json {
        let mut j = JsonObject::default();
        j.push("url", state.remote.as_ref().map(|r| r.url.clone()));
        j.push("token", state.remote.as_ref().map(Remote::masked_token));
        j.push("workspace", state.workspace_id.clone());
        j.push("last_sync", last_sync);
        write_json(&mut out, &j)?;
        return Ok(());
    }
    let Some(remote) = state.remote else {
        writeln!(out, "no relay set; set one with `kith remote set URL --token TOKEN`")?;
        return Ok(());
    };
    writeln!(out, "url        {}", remote.url)?;
    writeln!(out, "token      {}", remote.masked_token())?;
    writeln!(
        out,
        "workspace  {}",
        state
            .workspace_id
            .as_deref()
            .unwrap_or("(not known until the first sync)")
    )?;
    writeln!(out, "last sync  {}", last_sync.as_deref().unwrap_or("never"))?;
    Ok(())
}
