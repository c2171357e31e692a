//! Commands keep working while `kith serve` or `kith sync --watch` runs.
//!
//! The long-running process holds the workspace (redb lets one process open it), so it
//! also listens on a Unix socket in the workspace directory, `run/kith.sock` (the `run`
//! directory is mode 0700, the socket 0600: only the user reaches it). A command that
//! finds someone listening there sends its command line, working directory and, when it
//! reads it, its standard input; the holder runs the very same command code on the
//! workspace it has open (`crate::commands::dispatch` with a forwarded
//! [`Context`](crate::commands::Context)) and sends back what it printed and its exit
//! status, which the caller prints and exits with, as if it had run the command itself.
//! Writes made so go through the holder's workspace, so its change observers (the web
//! UI's live refresh) and its sync connector see them at once.
//!
//! * `protocol`: the messages (a JSON header line, then raw bytes).
//! * `server`: the listener inside the holder; one thread per forwarded command.
//! * `client`: the caller's side.
//!
//! A socket left by a killed process is stale: nobody accepts on it, so the caller runs
//! the command itself (the workspace is free), and the next holder replaces it.
//! Commands that need the workspace to themselves (`serve`, `sync`, `init`, `join`) are
//! not forwarded: they say which process holds it.

mod client;
mod protocol;
mod server;

use std::path::{Path, PathBuf};

pub(crate) use client::forward_if_held;
pub(crate) use server::listen;

use crate::commands::Command;

/// The directory, inside the workspace directory, that holds the socket.
const RUN_DIR: &str = "run";
/// The socket's file name.
const SOCKET_FILE: &str = "kith.sock";

/// Where the holder of the workspace at `workspace` listens.
pub(crate) fn socket_path(workspace: &Path) -> PathBuf {
    workspace.join(RUN_DIR).join(SOCKET_FILE)
}

/// How a command relates to a workspace another process holds.
enum Forwarding {
    /// Run it in the holder.
    Forward,
    /// Run it here: it does not use this workspace (`kith demo` makes its own).
    RunHere,
    /// Refuse, naming the command and saying why.
    Refuse(&'static str, &'static str),
}

/// Every command is forwarded unless listed here: a new subcommand needs no edit.
fn forwarding(command: &Command) -> Forwarding {
    match command {
        Command::Demo(_) => Forwarding::RunHere,
        Command::Serve(_) => Forwarding::Refuse(
            "kith serve",
            "stop that process first (Ctrl-C there), or use the web UI it serves",
        ),
        Command::Sync(_) => Forwarding::Refuse(
            "kith sync",
            "that process syncs the workspace itself whenever a relay is set (`kith status` shows how it goes); stop it to sync from here",
        ),
        Command::Init(_) => Forwarding::Refuse(
            "kith init",
            "a workspace already exists there; name another directory with --workspace",
        ),
        Command::Join(_) => Forwarding::Refuse(
            "kith join",
            "a workspace already exists there; name another directory with --workspace",
        ),
        _ => Forwarding::Forward,
    }
}

/// Whether the command reads standard input (so the caller sends it along).
fn reads_stdin(command: &Command) -> bool {
    match command {
        Command::Import(args) => args.file.as_os_str() == "-",
        _ => false,
    }
}

/// The name the holder gives itself in messages: `kith serve (pid 4242)`.
pub(crate) fn owner_name(what: &str) -> String {
    format!("{what} (pid {})", std::process::id())
}
