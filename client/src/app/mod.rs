//! The application layer: one function per operation, a request in and a response out,
//! called by the CLI commands (which parse arguments and format text), the web UI's JSON
//! API (which parses HTTP) and so, through `crate::forward`, by commands forwarded to a
//! running `kith serve` or `kith sync --watch`. Each response serializes to the JSON shape
//! documented in docs/api.md, which `--json` prints and `/api` answers: the shapes are
//! made here once.
//!
//! * [`records`]: list, get, add, update, delete, restore; [`bulk`]: bulk edit.
//! * [`import`]: a CSV file as records (one change group); [`export`]: records as CSV
//!   or JSON, a page at a time.
//! * Schema edits: [`objects`] (list, add, rename, archive, restore); [`fields`] (list,
//!   add, rename, reorder, settings, computed definitions, archive, restore); [`retype`]
//!   (with the report of values that do not convert, also as a dry run); [`options`] of
//!   select fields and pipeline stages (add, rename, recolour, reorder, archive, restore).
//! * [`config`]: the configuration documents (views, automations, reports, dashboards).
//! * [`rules`]: validation rules (add, edit, enable, disable, remove, list).
//! * [`automations`]: add, edit, enable, disable, remove, list, show; the run log, a dry
//!   run, a manual run, reverting a run.
//! * [`reports`]: add, edit, remove, list, show, run (JSON, CSV, SVG); [`dashboards`]:
//!   add, edit, remove, list, show (every report run).
//! * [`conflicts`]: every kind, as `kith conflicts` lists them; [`resolve`]: settle one.
//! * [`views`]: saved views (list, show, save, edit, remove, run: a view's records).
//! * [`trash`]: the trash listed (restore is in `records`).
//! * [`schema`] (the whole schema, now or then, and its history), [`search`], [`history`],
//!   [`revert`].
//!
//! Operations take the workspace (`&Workspace` to read, `&mut` to write) and never touch
//! stdout, files or the network.

pub(crate) mod automations;
pub(crate) mod bulk;
pub(crate) mod config;
pub(crate) mod conflicts;
pub(crate) mod dashboards;
pub(crate) mod export;
pub(crate) mod fields;
pub(crate) mod history;
pub(crate) mod import;
pub(crate) mod objects;
pub(crate) mod options;
pub(crate) mod records;
pub(crate) mod reports;
pub(crate) mod resolve;
pub(crate) mod retype;
pub(crate) mod revert;
pub(crate) mod rules;
pub(crate) mod schema;
pub(crate) mod schema_change;
pub(crate) mod search;
pub(crate) mod trash;
pub(crate) mod views;

/// What an operation can fail with; every message is one sentence.
#[derive(Debug, thiserror::Error)]
pub(crate) enum AppError {
    /// Boxed: the workspace's error is large.
    #[error(transparent)]
    Kith(Box<kith_core::Error>),
    #[error(transparent)]
    Schema(#[from] kith_core::SchemaError),
    #[error(transparent)]
    Query(#[from] kith_core::QueryError),
    #[error(transparent)]
    Csv(#[from] crate::CsvError),
    /// The request itself is wrong (a missing part, a bad limit).
    #[error("{0}")]
    Invalid(String),
    /// What the request names is not there (a saved view).
    #[error("{0}")]
    NotFound(String),
}

impl From<kith_core::Error> for AppError {
    fn from(e: kith_core::Error) -> Self {
        AppError::Kith(Box::new(e))
    }
}

/// What a change did, for every operation that changes one thing: its id, a sentence,
/// and how to take it back (`change:<hash>`, `restore:<id>`, `delete:<id>`, as the web
/// UI's Undo reads them), when it can be.
#[derive(Debug, serde::Serialize)]
pub(crate) struct Changed {
    pub(crate) id: String,
    pub(crate) message: String,
    pub(crate) undo: Option<String>,
}
