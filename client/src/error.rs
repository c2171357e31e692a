//! The client's errors: [`CsvError`] for import and export, [`CliError`] for everything a
//! command can fail with. Every message is one sentence that says what to do.

use std::path::PathBuf;

/// Importing or exporting CSV / JSON failed as a whole (bad rows are not errors: they are
/// reported in [`crate::CsvImportReport`]).
#[derive(Debug, thiserror::Error)]
pub enum CsvError {
    /// Boxed: the workspace's error is large, and results travel through every call.
    #[error(transparent)]
    Kith(Box<kith_core::Error>),
    #[error(transparent)]
    Schema(#[from] kith_core::SchemaError),
    #[error("cannot read the CSV header: {0}")]
    Header(#[source] csv::Error),
    #[error("cannot read the CSV input: {0}")]
    Read(#[source] csv::Error),
    #[error(
        "cannot read the CSV input: {error}; the {written} records before it were imported as group {group} (`kith revert --group {group}` takes them back)"
    )]
    ReadAfterBatches {
        written: usize,
        group: kith_core::GroupId,
        error: csv::Error,
    },
    #[error("cannot read the file to import: {0}")]
    ReadInput(#[source] std::io::Error),
    #[error("cannot keep the temporary copy a strict import reads twice: {0}")]
    Spool(#[source] std::io::Error),
    #[error("'{0}' is not a text encoding Kith knows (try utf-8, windows-1252, latin1, utf-16le)")]
    UnknownEncoding(String),
    #[error("the file is not text (it holds NUL bytes); export it from its program as CSV and import that")]
    Binary,
    #[error("the CSV file is empty (it needs a header row naming the fields)")]
    NoHeader,
    #[error("column {column} of the header is not valid UTF-8")]
    HeaderNotUtf8 { column: usize },
    #[error(
        "the file has columns that are not fields of {object}: {columns} (map them with --map column=field, or skip them with --ignore-unknown)"
    )]
    UnknownColumns { object: String, columns: String },
    #[error("--map {column}={field}: the file has no column named '{column}'")]
    MappedColumnMissing { column: String, field: String },
    #[error("columns '{first}' and '{second}' both write field {object}.{field}; map one of them elsewhere")]
    DuplicateColumn {
        object: String,
        field: String,
        first: String,
        second: String,
    },
    #[error("column '{column}' names field {object}.{field}, which is archived; restore the field or skip the column")]
    ArchivedField {
        object: String,
        field: String,
        column: String,
    },
    #[error("cannot write the export: {0}")]
    Write(#[source] std::io::Error),
}

impl CsvError {
    fn is_broken_pipe(&self) -> bool {
        matches!(self, CsvError::Write(e) if e.kind() == std::io::ErrorKind::BrokenPipe)
    }
}

impl From<kith_core::Error> for CsvError {
    fn from(e: kith_core::Error) -> Self {
        CsvError::Kith(Box::new(e))
    }
}

impl From<crate::app::AppError> for CliError {
    fn from(e: crate::app::AppError) -> Self {
        use crate::app::AppError;
        match e {
            AppError::Kith(e) => CliError::Kith(e),
            AppError::Schema(e) => CliError::Schema(e),
            AppError::Query(e) => CliError::Query(e),
            AppError::Csv(e) => CliError::Csv(e),
            AppError::Invalid(message) | AppError::NotFound(message) => CliError::InvalidArgument(message),
        }
    }
}

impl From<kith_core::Error> for CliError {
    fn from(e: kith_core::Error) -> Self {
        CliError::Kith(Box::new(e))
    }
}

impl From<csv::Error> for CsvError {
    fn from(e: csv::Error) -> Self {
        let text = e.to_string();
        match e.into_kind() {
            csv::ErrorKind::Io(io) => CsvError::Write(io),
            _ => CsvError::Write(std::io::Error::other(text)),
        }
    }
}

/// Everything a `kith` command can fail with.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("the web UI stopped: {0}")]
    Serve(String),
    /// Boxed: the workspace's error is large, and results travel through every call.
    #[error(transparent)]
    Kith(Box<kith_core::Error>),
    #[error(transparent)]
    Schema(#[from] kith_core::SchemaError),
    #[error(transparent)]
    Query(#[from] kith_core::QueryError),
    #[error(transparent)]
    Csv(#[from] CsvError),
    #[error(transparent)]
    Sync(#[from] crate::sync::SyncError),
    #[error("no workspace at {0}; create one with `kith init`, or point --workspace (or KITH_WORKSPACE) at one")]
    NoWorkspace(PathBuf),
    #[error("cannot find a data directory for this user; pass --workspace or set KITH_WORKSPACE")]
    NoDataDir,
    #[error("'{0}' is not field=value (write the field's key or label, then '=', then the value)")]
    NotAnAssignment(String),
    #[error("{0}")]
    InvalidArgument(String),
    #[error("cannot read {path}: {source}")]
    ReadFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    WriteFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("nothing imported: {bad} row(s) are bad and --strict was given")]
    ImportRefused { bad: usize },
    #[error("cannot write to standard output: {0}")]
    Output(#[from] std::io::Error),
    #[error("`{command}` cannot run while {owner} holds the workspace at {}: {why}", workspace.display())]
    HeldElsewhere {
        command: &'static str,
        workspace: PathBuf,
        owner: String,
        why: &'static str,
    },
    /// A forwarded command failed; the process that ran it already worded the error,
    /// which was printed: only its exit status is left.
    #[error("the command failed with exit status {0}")]
    Exited(u8),
    #[error(
        "the kith process that holds the workspace stopped answering ({0}); if it has stopped, run the command again"
    )]
    ForwardLost(String),
}

/// The line the binary prints for an error: `error: ` and one sentence on one line.
pub fn error_line(e: &CliError) -> String {
    let message = e.to_string();
    let one_line: Vec<&str> = message.split_whitespace().collect();
    format!("error: {}", one_line.join(" "))
}

impl CliError {
    /// The reader of our output went away (`kith export | head`): not worth a message.
    pub fn is_broken_pipe(&self) -> bool {
        match self {
            CliError::Output(e) => e.kind() == std::io::ErrorKind::BrokenPipe,
            CliError::Csv(e) => e.is_broken_pipe(),
            _ => false,
        }
    }

    /// The exit status of a forwarded command whose error was already printed.
    pub fn already_reported(&self) -> Option<u8> {
        match self {
            CliError::Exited(code) => Some(*code),
            _ => None,
        }
    }
}
