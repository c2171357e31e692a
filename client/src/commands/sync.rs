//! `kith sync [--watch]`: push local changes to the relay and pull everyone else's; once
//! (exit when caught up), or staying connected until Ctrl-C.

use std::cell::RefCell;
use std::future::Future;
use std::io::Write;

use kith_core::time_fmt::{format_datetime, now_ms};

use crate::CliError;
use crate::commands::{Context, support};
use crate::output::{JsonObject, thousands, write_json};
use crate::sync::{Remote, SyncError, SyncEvent, SyncReport, sync_once, sync_watch};

/// Push local changes to the relay and pull everyone else's.
#[derive(clap::Args)]
pub struct SyncArgs {
    /// Stay connected until Ctrl-C: push and pull changes as they happen, reconnecting
    /// after network trouble; one line per batch of changes
    #[arg(long)]
    pub watch: bool,
}

pub fn run(args: SyncArgs, ctx: &Context) -> Result<(), CliError> {
    let mut ws = ctx.open_owned()?;
    let remote = Remote::load(&ws)?.ok_or(SyncError::NoRemote)?;
    if args.watch {
        return watch(ws, &remote, ctx);
    }
    let report = block_on(sync_once(&mut ws, &remote, |_| {}))??;
    support::finish_search_index(&mut ws, ctx)?;
    let mut out = ctx.out();
    if ctx.json {
        write_json(&mut out, &report_json(&report))?;
    } else {
        writeln!(out, "{}", describe(&report))?;
        if !report.erased.is_empty() {
            let ids: Vec<String> = report.erased.iter().map(|r| r.to_string()).collect();
            writeln!(
                out,
                "erased {} record(s) purged on another device (an erasure wins over local edits): {}",
                report.erased.len(),
                ids.join(", ")
            )?;
        }
        if report.pending > 0 {
            writeln!(
                out,
                "{} local change(s) stay unsynced: this token is read-only ({})",
                thousands(report.pending as usize),
                report.role.as_str()
            )?;
        }
    }
    Ok(())
}

/// Runs a future on a runtime made for this one command.
pub(crate) fn block_on<F: Future>(future: F) -> Result<F::Output, SyncError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(SyncError::Runtime)?;
    Ok(runtime.block_on(future))
}

/// One sentence for a one-shot sync.
fn describe(report: &SyncReport) -> String {
    if report.pushed == 0 && report.received == 0 {
        return format!("already up to date (log position {})", report.cursor);
    }
    format!(
        "pushed {} change(s), received {} ({} document(s) changed); up to date at log position {}",
        thousands(report.pushed),
        thousands(report.received),
        thousands(report.documents),
        report.cursor
    )
}

fn report_json(report: &SyncReport) -> JsonObject {
    let mut j = JsonObject::default();
    j.push("workspace", report.workspace.clone());
    j.push("role", report.role.as_str());
    j.push("pushed", report.pushed);
    j.push("received", report.received);
    j.push("documents", report.documents);
    j.push("unreadable", report.unreadable);
    j.push("cursor", report.cursor);
    j.push("head", report.head);
    j.push("pending", report.pending);
    j.push(
        "erased",
        report.erased.iter().map(|r| r.to_string()).collect::<Vec<_>>(),
    );
    j
}

/// `kith sync --watch`: a line (or a JSON object) per event until Ctrl-C. Meanwhile other
/// kith commands on the workspace run here (crate::forward): the workspace sits in a
/// mutex the connector locks only for one local transaction at a time.
fn watch(ws: kith_core::Workspace, remote: &Remote, ctx: &Context) -> Result<(), CliError> {
    let shared = std::sync::Arc::new(std::sync::Mutex::new(ws));
    #[cfg(unix)]
    let socket = crate::forward::listen(&shared, "kith sync --watch", None);
    if !ctx.json {
        eprintln!("syncing with {} until Ctrl-C", remote.url);
    }
    // A failed write to stdout (a closed pipe) ends the watch like Ctrl-C does.
    let write_error: RefCell<Option<std::io::Error>> = RefCell::new(None);
    let stop = tokio::sync::Notify::new();
    let on_event = |event: &SyncEvent| {
        let Some(line) = event_line(event, ctx.json) else {
            return;
        };
        let mut out = ctx.out();
        if let Err(e) = writeln!(out, "{line}").and_then(|()| out.flush()) {
            write_error.borrow_mut().get_or_insert(e);
            stop.notify_one();
        }
    };
    let shutdown = async {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            () = stop.notified() => {}
        }
    };
    let watched = block_on(sync_watch(&*shared, remote, shutdown, on_event));
    #[cfg(unix)]
    if let Some(socket) = socket {
        socket.stop();
    }
    watched??;
    if let Some(e) = write_error.into_inner() {
        return Err(CliError::Output(e));
    }
    Ok(())
}

/// The line `--watch` prints for an event, if any.
fn event_line(event: &SyncEvent, json: bool) -> Option<String> {
    let now = now_ms();
    let mut j = JsonObject::default();
    j.push("time", format_datetime(now));
    let text = match event {
        SyncEvent::Online(info) => {
            j.push("event", "online");
            j.push("workspace", info.workspace.clone());
            j.push("role", info.role.as_str());
            j.push("head", info.head);
            format!("online: workspace {} as {}", info.workspace, info.role.as_str())
        }
        SyncEvent::Applied {
            documents,
            snapshots,
            entries,
            cursor,
        } => {
            j.push("event", "received");
            j.push("changes", snapshots + entries);
            j.push("documents", *documents);
            j.push("cursor", *cursor);
            format!(
                "received {} change(s), {} document(s) changed",
                thousands(snapshots + entries),
                thousands(*documents)
            )
        }
        SyncEvent::Acknowledged { chunks, cursor } => {
            j.push("event", "pushed");
            j.push("changes", *chunks);
            j.push("cursor", *cursor);
            format!("pushed {} change(s)", thousands(*chunks))
        }
        SyncEvent::CaughtUp { head } => {
            j.push("event", "caught_up");
            j.push("head", *head);
            format!("up to date (log position {head})")
        }
        SyncEvent::Offline { reason, retry_in_ms } => {
            j.push("event", "offline");
            j.push("reason", reason.clone());
            j.push("retry_in_ms", *retry_in_ms);
            format!("offline: {reason}; retrying in {:.1} s", *retry_in_ms as f64 / 1000.0)
        }
        SyncEvent::Refused { changes } => {
            j.push("event", "refused");
            j.push("changes", *changes);
            format!("the relay refused {changes} change(s) as too large: set aside, see `kith status`")
        }
        SyncEvent::Purged { documents, erased } => {
            j.push("event", "purged");
            j.push("documents", *documents);
            j.push("erased", erased.iter().map(|r| r.to_string()).collect::<Vec<_>>());
            if erased.is_empty() {
                return None;
            }
            let ids: Vec<String> = erased.iter().map(|r| r.to_string()).collect();
            format!(
                "erased {} record(s) purged on another device (an erasure wins over local edits): {}",
                erased.len(),
                ids.join(", ")
            )
        }
        SyncEvent::RelayRestored { requeued } => {
            j.push("event", "relay_restored");
            j.push("requeued", *requeued);
            format!(
                "the relay was restored from a backup: pulling everything again and pushing back {} stored change(s)",
                thousands(*requeued as usize)
            )
        }
        SyncEvent::SearchIndexed { remaining: 0 } => {
            j.push("event", "search_indexed");
            j.push("remaining", 0);
            "search index up to date".to_string()
        }
        // Steps of search indexing: only the last one is worth a line.
        // Sent is not stored: the acknowledgement is what counts.
        SyncEvent::SearchIndexed { .. } | SyncEvent::Pushed { .. } => return None,
    };
    if json {
        serde_json::to_string(&j).ok()
    } else {
        let time = format_datetime(now);
        let clock = time.get(11..20).unwrap_or(&time);
        Some(format!("{clock} {text}"))
    }
}
