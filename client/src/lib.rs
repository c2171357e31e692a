//! # kith
//!
//! The `kith` command-line client of Kith, a local-first CRM, as a library: the binary
//! (`main.rs`) only parses arguments and prints errors.
//!
//! * [`commands`]: one file per subcommand, each a `clap::Args` struct and a `run`
//!   function taking the shared [`commands::Context`] (the resolved workspace path and
//!   the `--json` flag).
//! * [`csv_io`]: CSV import (one change group per import, bad rows reported and skipped
//!   or, with `strict`, nothing imported) and CSV / JSON export.
//! * `location`: where the default workspace lives (a per-user data directory).
//! * `output`: aligned tables, ordered JSON objects and number formatting.
//! * `forward`: while `kith serve` or `kith sync --watch` holds the workspace, other
//!   commands run inside it, through a Unix socket in the workspace directory.
//! * [`web`]: the local web UI (`kith serve`): axum, server-rendered pages, a JSON API.
//! * [`sync`]: the sync connector, a tokio runtime for kith-core's sans-IO sync engine
//!   (`kith remote`, `kith join`, `kith sync`, `kith status`).
//!
//! Errors are one [`CliError`] enum ([`CsvError`] for import and export); each displays
//! as one sentence, which the binary prints after `error: `.

mod app;
pub mod commands;
mod csv_export;
mod csv_infer;
mod csv_input;
pub mod csv_io;
mod csv_missing;
mod csv_plan;
mod error;
#[cfg(unix)]
mod forward;
mod location;
mod output;
mod record_json;
pub mod sample;
pub mod sync;
pub mod web;

pub use commands::{Cli, Command, Context, run};
pub use csv_io::{
    CsvImportOptions, CsvImportReport, CsvRowError, ExportFormat, export, import_csv, import_csv_pausing,
};
pub use error::{CliError, CsvError, error_line};
pub use location::default_workspace;
pub use web::{ServerInfo, serve};
