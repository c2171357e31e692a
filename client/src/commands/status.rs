//! `kith status [--offline]`: the relay, whether it answers, local changes waiting to be
//! pushed, the log position and the last sync.

use std::io::Write;
use std::time::Duration;

use kith_core::time_fmt::format_datetime;

use crate::CliError;
use crate::commands::Context;
use crate::commands::sync::block_on;
use crate::output::{JsonObject, thousands, write_json};
use crate::sync::{RemoteInfo, SyncError, check_remote, local_state};

/// How long `status` waits for the relay.
const CHECK_TIMEOUT: Duration = Duration::from_secs(3);

/// Show the sync state: relay, online or not, pending changes, last sync.
#[derive(clap::Args)]
pub struct StatusArgs {
    /// Do not try to reach the relay
    #[arg(long)]
    pub offline: bool,
}

pub fn run(args: StatusArgs, ctx: &Context) -> Result<(), CliError> {
    let ws = ctx.open()?;
    let state = local_state(&ws)?;
    drop(ws);
    let check: Option<Result<RemoteInfo, SyncError>> = match (&state.remote, args.offline) {
        (Some(remote), false) => Some(block_on(check_remote(remote, CHECK_TIMEOUT))?),
        _ => None,
    };
    let last_sync = state.last_sync_ms.map(format_datetime);
    let mut out = ctx.out();
    if ctx.json {
        let mut j = JsonObject::default();
        // `path` is the local directory, `workspace` the relay's workspace id, in every
        // command's JSON.
        j.push("path", ctx.workspace.display().to_string());
        j.push("remote", state.remote.as_ref().map(|r| r.url.clone()));
        j.push("workspace", state.workspace_id.clone());
        j.push(
            "online",
            match &check {
                Some(Ok(_)) => Some(true),
                Some(Err(_)) => Some(false),
                None => None,
            },
        );
        if let Some(Ok(info)) = &check {
            j.push("role", info.role.as_str());
            j.push("head", info.head);
        }
        if let Some(Err(e)) = &check {
            j.push("error", e.to_string());
        }
        j.push("pending", state.pending);
        j.push("cursor", state.cursor);
        j.push("last_sync", last_sync);
        j.push("search_backlog", state.search_backlog);
        j.push("unreadable", state.unreadable);
        j.push("read_only", state.read_only);
        j.push("pending_purges", state.pending_purges);
        j.push(
            "stuck",
            state
                .stuck
                .iter()
                .map(|c| serde_json::json!({"record": c.record.to_string(), "bytes": c.bytes, "reason": c.reason}))
                .collect::<Vec<_>>(),
        );
        write_json(&mut out, &j)?;
        return Ok(());
    }
    writeln!(out, "workspace   {}", ctx.workspace.display())?;
    let Some(remote) = &state.remote else {
        writeln!(
            out,
            "relay       none; set one with `kith remote set URL --token TOKEN`"
        )?;
        writeln!(out, "pending     {} local change(s)", thousands(state.pending as usize))?;
        return Ok(());
    };
    writeln!(out, "relay       {}", remote.url)?;
    let connection = match &check {
        Some(Ok(info)) => format!(
            "online: workspace {} as {}, {} change(s) on the relay",
            info.workspace,
            info.role.as_str(),
            info.head
        ),
        Some(Err(e)) => format!("offline: {e}"),
        None => "not checked (--offline)".to_string(),
    };
    writeln!(out, "connection  {connection}")?;
    writeln!(
        out,
        "pending     {} local change(s) not on the relay yet",
        thousands(state.pending as usize)
    )?;
    let behind = match &check {
        Some(Ok(info)) if info.head > state.cursor => format!(" of {}", info.head),
        _ => String::new(),
    };
    writeln!(out, "cursor      log position {}{behind}", state.cursor)?;
    writeln!(out, "last sync   {}", last_sync.as_deref().unwrap_or("never"))?;
    if state.search_backlog > 0 {
        writeln!(
            out,
            "search      {} record(s) not indexed yet (found by reading their rows; `kith sync` indexes them)",
            thousands(state.search_backlog as usize)
        )?;
    }
    if state.read_only {
        writeln!(
            out,
            "access      read-only (viewer token): local changes are refused; ask the owner for a member token"
        )?;
    }
    if state.pending_purges > 0 {
        writeln!(
            out,
            "purges      {} purged record(s) not erased on the relay yet: `kith sync` sends the purge",
            thousands(state.pending_purges as usize)
        )?;
    }
    for change in &state.stuck {
        writeln!(
            out,
            "stuck       a change of record {} ({} bytes) was refused by the relay ({}); it is kept here and sent again when the relay allows changes that large: ask its operator to raise max_chunk_bytes",
            change.record, change.bytes, change.reason
        )?;
    }
    if state.unreadable > 0 {
        writeln!(
            out,
            "unreadable  {} received change(s) this version of kith cannot read: kept, and applied after you upgrade kith (or run `kith reindex`)",
            thousands(state.unreadable as usize)
        )?;
    }
    Ok(())
}
