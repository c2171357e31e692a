//! The `kith` subcommands: one file per subcommand, each a `#[derive(clap::Args)]` struct
//! and a `run` function, dispatched from [`Command`].
//!
//! # Writing a subcommand
//!
//! A subcommand's `run` has this shape:
//!
//! ```text
//! pub fn run(args: MyArgs, ctx: &Context) -> Result<(), CliError>
//! ```
//!
//! [`Context`] holds the global options, already resolved:
//!
//! * `ctx.workspace`: the workspace directory (`--workspace`, `KITH_WORKSPACE`, or the
//!   per-user default); `ctx.open()` opens it, with a clear error when there is none.
//! * `ctx.json`: `--json` was given (it is accepted anywhere on the command line): print
//!   JSON on stdout and nothing else there; messages for people go to stderr.
//! * `ctx.out()`: a locked stdout. Write with `writeln!(out, ..)?`: a write error becomes
//!   [`CliError::Output`], and a closed pipe (`kith ... | head`) ends the program quietly.
//!   `ctx.err()` for messages to people, `ctx.stdin()` for input, `ctx.path(p)` for a
//!   file named on the command line: never `std::io::stdout()`, `eprintln!` or a bare
//!   relative path, because while `kith serve` or `kith sync --watch` holds the workspace
//!   the command runs inside that process for its caller (`crate::forward`), and these
//!   are the caller's.
//!
//! Errors are [`CliError`]; the binary prints them as `error: <one sentence>` and exits
//! with status 1. Never `unwrap` anything that came from a user, a file or the network.

pub mod automation;
pub mod config;
pub mod conflicts;
mod context;
pub mod dashboard;
pub mod demo;
pub mod export;
pub mod field;
pub mod history;
pub mod import;
pub mod init;
pub mod join;
pub mod object;
pub mod option;
pub mod record;
pub mod reindex;
pub mod remote;
pub mod report;
pub mod resolve;
pub mod revert;
pub mod rule;
pub mod schema;
pub mod search;
pub mod serve;
pub mod settings;
pub mod status;
mod support;
pub mod sync;
pub mod total;
pub mod trash;
pub mod view;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::{CliError, location};

#[cfg(unix)]
pub(crate) use context::{Captured, Forwarded, Spill};
pub use context::{Context, Lent, OpenWorkspace, Output};

/// Kith, a local-first CRM.
#[derive(Parser)]
#[command(name = "kith", version, about = "Kith, a local-first CRM", propagate_version = true)]
pub struct Cli {
    /// The workspace directory [default: the per-user data directory, kith/default]
    #[arg(long, global = true, env = "KITH_WORKSPACE", value_name = "PATH")]
    pub workspace: Option<PathBuf>,
    /// Print JSON on stdout instead of text
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

/// Every subcommand.
#[derive(Subcommand)]
pub enum Command {
    /// Create a workspace with the standard objects (people, companies, deals, tasks, notes)
    Init(init::InitArgs),
    /// List, add, rename, archive and restore objects
    Object(object::ObjectArgs),
    /// List, add, rename, reorder, archive, restore and retype fields
    Field(field::FieldArgs),
    /// Add, rename, reorder, recolor, archive and restore the options of a select field
    Option(option::OptionArgs),
    /// Show the schema: objects, fields and options
    Schema(schema::SchemaArgs),
    /// Add, show, update, delete and list records
    Record(record::RecordArgs),
    /// Full-text search over every object's text fields
    Search(search::SearchArgs),
    /// Import a CSV file as records of an object (one change group)
    Import(import::ImportArgs),
    /// Export an object's records as CSV or JSON
    Export(export::ExportArgs),
    /// Rebuild the lists, indexes and search index from the record documents
    Reindex(reindex::ReindexArgs),
    /// Fill a workspace with sample data
    Demo(demo::DemoArgs),
    /// Set or show the relay this workspace syncs with
    Remote(remote::RemoteArgs),
    /// Make a replica of a relay workspace here and fill it
    Join(join::JoinArgs),
    /// Push local changes to the relay and pull everyone else's (--watch: stay connected)
    Sync(sync::SyncArgs),
    /// Show the sync state: relay, online or not, pending changes, last sync
    Status(status::StatusArgs),
    /// Every change of a record: when, who, what made it, each field's old → new
    History(history::HistoryArgs),
    /// Take back a change (its id from `kith history`) or a whole change group
    Revert(revert::RevertArgs),
    /// List, restore and purge records in the trash
    Trash(trash::TrashArgs),
    /// List fields that edits on different devices left with several values
    Conflicts(conflicts::ConflictsArgs),
    /// Settle a conflicted field with one of its values or a new one
    Resolve(resolve::ResolveArgs),
    /// Validation rules: conditions records must meet to be saved (add, list, edit, disable, remove)
    Rule(rule::RuleArgs),
    /// List the configuration documents (views, automations, reports, dashboards)
    Config(config::ConfigArgs),
    /// Automations: triggers, conditions, actions; the run log, dry runs, manual runs, revert
    Automation(automation::AutomationArgs),
    /// Show or change workspace settings (number-format)
    Settings(settings::SettingsArgs),
    /// Sum a currency field, per currency
    Total(total::TotalArgs),
    /// Saved reports: counts, sums and averages per group, as a table, CSV, JSON or SVG
    Report(report::ReportArgs),
    /// Dashboards: several saved reports shown together
    Dashboard(dashboard::DashboardArgs),
    /// Saved views: a table or board state (object, filter, sort) by name; list, save, edit, run
    View(view::ViewArgs),
    /// Open the web UI for this workspace (http://127.0.0.1:7878/)
    Serve(serve::ServeArgs),
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<(), CliError> {
    let ctx = Context::local(location::resolve(cli.workspace)?, cli.json);
    // The workspace is held by `kith serve` or `kith sync --watch`: run it there.
    #[cfg(unix)]
    if let Some(result) = crate::forward::forward_if_held(&cli.command, &ctx) {
        return result;
    }
    dispatch(cli.command, ctx)
}

/// Runs a subcommand with its context (here, or forwarded into the process that holds
/// the workspace).
pub(crate) fn dispatch(command: Command, ctx: Context) -> Result<(), CliError> {
    match command {
        Command::Init(args) => init::run(args, &ctx),
        Command::Object(args) => object::run(args, &ctx),
        Command::Field(args) => field::run(args, &ctx),
        Command::Option(args) => option::run(args, &ctx),
        Command::Schema(args) => schema::run(args, &ctx),
        Command::Record(args) => record::run(args, &ctx),
        Command::Search(args) => search::run(args, &ctx),
        Command::Import(args) => import::run(args, &ctx),
        Command::Export(args) => export::run(args, &ctx),
        Command::Reindex(args) => reindex::run(args, &ctx),
        Command::Demo(args) => demo::run(args, &ctx),
        Command::Remote(args) => remote::run(args, &ctx),
        Command::Join(args) => join::run(args, &ctx),
        Command::Sync(args) => sync::run(args, &ctx),
        Command::Status(args) => status::run(args, &ctx),
        Command::History(args) => history::run(args, &ctx),
        Command::Revert(args) => revert::run(args, &ctx),
        Command::Trash(args) => trash::run(args, &ctx),
        Command::Conflicts(args) => conflicts::run(args, &ctx),
        Command::Resolve(args) => resolve::run(args, &ctx),
        Command::Rule(args) => rule::run(args, &ctx),
        Command::Config(args) => config::run(args, &ctx),
        Command::Automation(args) => automation::run(args, &ctx),
        Command::Settings(args) => settings::run(args, &ctx),
        Command::Total(args) => total::run(args, &ctx),
        Command::Report(args) => report::run(args, &ctx),
        Command::Dashboard(args) => dashboard::run(args, &ctx),
        Command::View(args) => view::run(args, &ctx),
        Command::Serve(args) => serve::run(args, &ctx),
    }
}
