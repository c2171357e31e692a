//! `kith join URL --token T [--user NAME]`: makes a new replica of a relay workspace at
//! the workspace path and fills it with one sync.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use kith_core::{WORKSPACE_FILE, Workspace};

use crate::CliError;
use crate::commands::sync::block_on;
use crate::commands::{Context, support};
use crate::output::{JsonObject, Table, thousands, write_json};
use crate::sync::{Remote, SyncEvent, check_remote, sync_once};

/// How long the first contact with the relay may take.
const CHECK_TIMEOUT: Duration = Duration::from_secs(10);

/// Make a replica of a relay workspace here and fill it.
#[derive(clap::Args)]
pub struct JoinArgs {
    /// The relay's address: https://HOST or https://HOST:PORT (http, ws and wss work too)
    pub url: String,
    /// The device token from `kith-relay token create`
    #[arg(long, env = "KITH_TOKEN", hide_env_values = true)]
    pub token: String,
    /// Your name, recorded as the author of your changes [default: $USER, or "me"]
    #[arg(long)]
    pub user: Option<String>,
}

pub fn run(args: JoinArgs, ctx: &Context) -> Result<(), CliError> {
    if ctx.workspace.join(WORKSPACE_FILE).exists() {
        return Err(CliError::InvalidArgument(format!(
            "a workspace already exists at {}; join into another directory with --workspace PATH",
            ctx.workspace.display()
        )));
    }
    let remote = Remote::new(&args.url, &args.token)?;
    // A wrong address or token fails here, before anything is created.
    let info = block_on(check_remote(&remote, CHECK_TIMEOUT))?.map_err(|e| match e {
        // `kith remote set` needs a workspace, which joining has not made yet.
        crate::sync::SyncError::Unauthorized => CliError::InvalidArgument(
            "the relay refused the token (unknown or revoked); check that you copied the whole token (kr_…) for this relay and run `kith join` again, or ask the workspace owner for a new one".into(),
        ),
        other => other.into(),
    })?;
    let mut ws = Workspace::create_replica(&ctx.workspace, &user_name(args.user))?;
    remote.save(&mut ws)?;

    let bar = (!ctx.json && std::io::stderr().is_terminal()).then(|| progress_bar(info.head));
    let mut documents = 0usize;
    let synced = block_on(sync_once(&mut ws, &remote, |event| {
        if let (
            Some(bar),
            SyncEvent::Applied {
                documents: d, cursor, ..
            },
        ) = (&bar, event)
        {
            documents += d;
            bar.set_position(*cursor);
            bar.set_message(format!("{} documents", thousands(documents)));
        }
    }))?;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let report = synced.inspect_err(|_| {
        eprintln!(
            "the replica at {} is only partly filled; `kith sync` there continues",
            ctx.workspace.display()
        );
    })?;

    // Search finds everything already; this makes it fast.
    support::finish_search_index(&mut ws, ctx)?;

    let mut counts = Vec::new();
    for object in ws.schema().active_objects() {
        counts.push((object.key.clone(), ws.count_all(object.id)?));
    }
    let mut out = ctx.out();
    if ctx.json {
        let mut j = JsonObject::default();
        j.push("path", ctx.workspace.display().to_string());
        j.push("workspace", report.workspace.clone());
        j.push("role", report.role.as_str());
        j.push("documents", report.documents);
        j.push("cursor", report.cursor);
        let mut objects = JsonObject::default();
        for (key, n) in &counts {
            objects.push(key.clone(), *n);
        }
        j.push_object("records", objects);
        write_json(&mut out, &j)?;
        return Ok(());
    }
    writeln!(
        out,
        "joined workspace {} as {} at {}",
        report.workspace,
        report.role.as_str(),
        ctx.workspace.display()
    )?;
    if !ws.has_schema_doc() {
        writeln!(
            out,
            "the relay workspace is empty so far; once its first device has synced, `kith sync` here fetches it"
        )?;
        return Ok(());
    }
    writeln!(out, "received {} document(s)", thousands(report.documents))?;
    let mut table = Table::new(["object", "records"]);
    for (key, n) in counts {
        table.push(vec![key, thousands(n as usize)]);
    }
    table.write(&mut out)?;
    Ok(())
}

/// The name recorded as the author of this device's changes.
fn user_name(given: Option<String>) -> String {
    given
        .or_else(|| std::env::var("USER").ok())
        .or_else(|| std::env::var("USERNAME").ok())
        .map(|u| u.trim().to_string())
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "me".to_string())
}

/// A bar over the relay's log (`head` positions); snapshots of compacted documents
/// arrive before the log entries, so the count of documents moves first.
fn progress_bar(head: u64) -> ProgressBar {
    let bar = ProgressBar::new(head.max(1));
    let style = ProgressStyle::with_template("{spinner} {bar:30} {pos}/{len} log entries, {msg} ({elapsed})")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_message("0 documents");
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}
