//! Errors, one enum per layer; [`Error`] is the umbrella the `Workspace` API returns.

use std::path::PathBuf;

use crate::DocId;

/// The storage layer: redb and the documents in it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("storage error: {0}")]
    Db(Box<redb::Error>),
    #[error("document {doc} cannot be loaded: {source}")]
    CorruptDocument {
        doc: DocId,
        #[source]
        source: Box<automerge::AutomergeError>,
    },
    #[error("a stored row is corrupt: {0}")]
    CorruptRow(#[from] postcard::Error),
    #[error("{0} is not a Kith workspace (no workspace file in it)")]
    NotAWorkspace(PathBuf),
    #[error("a workspace already exists at {0}")]
    AlreadyExists(PathBuf),
    #[error("cannot use {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the workspace at {0} is in use by another kith process (a command still running, such as a long import); wait for it to finish"
    )]
    InUse(PathBuf),
    #[error("the workspace file was written by a newer Kith (format {found}, this one reads {supported})")]
    UnsupportedFormat { found: u32, supported: u32 },
    #[error("the workspace file is missing its {0}")]
    MissingMeta(&'static str),
    #[error(
        "this device syncs with a read-only (viewer) token: it cannot change the workspace; ask the owner for a member token and run `kith remote set`"
    )]
    ReadOnly,
    #[error(
        "the change to document {doc} would be {bytes} bytes, over the relay's limit of {limit} bytes per change; nothing was written"
    )]
    ChangeTooLarge { doc: DocId, bytes: u64, limit: u64 },
}

macro_rules! redb_errors {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> Self {
                StoreError::Db(Box::new(e.into()))
            }
        }
    )*};
}
redb_errors!(
    redb::Error,
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError,
    redb::SetDurabilityError
);

/// A schema operation that cannot be done.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SchemaError {
    #[error("no object named '{0}'")]
    UnknownObject(String),
    #[error("object {object} has no field named '{field}'")]
    UnknownField { object: String, field: String },
    #[error("field {object}.{field} has no option named '{option}'")]
    UnknownOption {
        object: String,
        field: String,
        option: String,
    },
    #[error("'{0}' is not a valid key: use lowercase letters, digits and _, starting with a letter")]
    InvalidKey(String),
    #[error("a label cannot be empty")]
    EmptyLabel,
    #[error("{what} '{key}' already exists")]
    DuplicateKey { what: &'static str, key: String },
    #[error(
        "{what} '{key}' already exists but is archived; bring it back with its values (`kith {what} restore {restore}`) or choose another key"
    )]
    ArchivedKey {
        what: &'static str,
        key: String,
        /// The arguments `restore` takes.
        restore: String,
    },
    #[error("field {object}.{field} cannot be made {rule}: {reason}")]
    RuleNotMet {
        object: String,
        field: String,
        rule: &'static str,
        reason: String,
    },
    #[error("field {object}.{field}: {reason}")]
    InvalidSetting {
        object: String,
        field: String,
        reason: String,
    },
    #[error("'{0}' is not a configuration kind (view, automation, report, dashboard)")]
    NotConfigKind(String),
}

/// A write that breaks a type or a rule. Nothing was written.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{object}.{field}: {value} breaks rule '{rule}': {reason}")]
pub struct ValidationError {
    pub object: String,
    pub field: String,
    /// The offending value as given (quoted), or `(empty)`.
    pub value: String,
    /// `type`, `required`, `unique`, `unknown field`, `relation`.
    pub rule: &'static str,
    pub reason: String,
}

/// A query that cannot run as written.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum QueryError {
    #[error("filter: {message} (at character {position} of \"{input}\")")]
    Syntax {
        input: String,
        /// Characters (not bytes) before the offending text, from 0.
        position: usize,
        message: String,
    },
    #[error("filter on {object}.{field}: {reason}")]
    BadCondition {
        object: String,
        field: String,
        reason: String,
    },
    #[error("sort: {0}")]
    BadSort(String),
    #[error("the cursor is not one this query returned")]
    BadCursor,
    #[error("{field} is a {kind} field; totals are of currency fields")]
    NotCurrency { field: String, kind: &'static str },
    #[error("the total of {field} in {currency} is beyond what an exact amount holds (about 7.9e28)")]
    TotalTooLarge { field: String, currency: String },
    #[error(
        "the cursor belongs to another query (another object, filter or sort); give --after with the same filter and sort that printed it, or start again without it"
    )]
    CursorOfAnotherQuery,
}

/// A report or dashboard definition that cannot be made or run as written.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReportError {
    #[error("a report groups by one or two fields, not {0}")]
    TooManyGroups(usize),
    #[error("{object}.{field} is a {kind} field; reports group by select, relation, boolean, date and datetime fields")]
    CannotGroupBy {
        object: String,
        field: String,
        kind: &'static str,
    },
    #[error("{field} is a {kind} field; a date bucket (:{bucket}) needs a date or datetime field")]
    BucketNeedsDate {
        field: String,
        kind: &'static str,
        bucket: String,
    },
    #[error("'{0}' is not a date bucket: use day, week, month, quarter or year")]
    UnknownBucket(String),
    #[error("'{0}' is not a measure: use count, or sum / avg / min / max followed by :FIELD (sum:amount)")]
    UnknownMeasure(String),
    #[error("{field} is a {kind} field; {measure} takes a number or currency field")]
    NotNumeric {
        field: String,
        kind: &'static str,
        measure: String,
    },
    #[error("'{0}' is not a chart: use table, bar, stacked, line or pie")]
    UnknownChart(String),
    #[error("a report named '{0}' already exists; pick another name or edit that one")]
    NameTaken(String),
    #[error("give the report a name")]
    EmptyName,
    #[error("no report named '{0}' (`kith report list` shows them)")]
    UnknownReport(String),
    #[error("no dashboard named '{0}' (`kith dashboard list` shows them)")]
    UnknownDashboard(String),
    #[error("a dashboard named '{0}' already exists; pick another name")]
    DashboardNameTaken(String),
    #[error("the stored report definition is unreadable: {0}")]
    Unreadable(String),
    #[error("the sum of {measure} in {currency} is beyond what an exact amount holds (about 7.9e28)")]
    TooLarge { measure: String, currency: String },
}

/// Everything the workspace API can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    /// Boxed: storage errors are large and rare, and every `Result` pays for its
    /// biggest variant.
    Store(Box<StoreError>),
    #[error(transparent)]
    Schema(#[from] SchemaError),
    #[error(transparent)]
    Validation(#[from] ValidationError),
    #[error(transparent)]
    Query(#[from] QueryError),
    #[error(transparent)]
    Report(#[from] ReportError),
    #[error("no record with id {0}")]
    RecordNotFound(String),
    #[error("'{text}' is the start of more than one {kind}'s id; give more characters")]
    AmbiguousId { kind: &'static str, text: String },
    #[error("record {0} is in the trash; `kith record restore {0}` brings it back first")]
    RecordDeleted(String),
    #[error("record {0} is not in the trash")]
    NotInTrash(String),
    #[error(
        "record {record} cannot come back from the trash: its {field} '{value}' is now used by record {holder} ({holder_name}); restore it with another value (`kith record restore {record} --set {field}=NEW`) or change {holder} first"
    )]
    RestoreTaken {
        record: String,
        field: String,
        value: String,
        holder: String,
        holder_name: String,
    },
    #[error("{what} was changed again later by change {change} ({author}, {time}); use --force to revert anyway")]
    RevertConflict {
        what: String,
        change: String,
        author: String,
        time: String,
    },
    #[error("no configuration document {0} in this workspace (`kith config list` shows them)")]
    ConfigDocNotFound(String),
    /// A validation rule of the object does not hold for the record as it would be
    /// saved: nothing was written.
    #[error("{message} (a validation rule of {object}; nothing was written)")]
    RuleBroken {
        object: String,
        /// Keys of the fields the rule concerns (where to show the message).
        fields: Vec<String>,
        message: String,
    },
    #[error("formula: {0}")]
    Formula(#[from] crate::formula::FormulaError),
    #[error("{0}")]
    InvalidRule(String),
    #[error("no change starts with '{0}'")]
    ChangeNotFound(String),
    #[error("no automation run {0} in the run log (`kith automation runs` lists them)")]
    RunNotFound(String),
    #[error("no automation named '{0}' (`kith automation list` shows them)")]
    AutomationNotFound(String),
    #[error("automation '{name}': {reason}")]
    BadAutomation { name: String, reason: String },
    #[error("'{0}' matches more than one change; give more characters")]
    AmbiguousChange(String),
    #[error(
        "no change group {0} in this workspace (give its id or short id, as `kith import` and `kith history` print them)"
    )]
    GroupNotFound(String),
    #[error("record {record} has no conflict on {field}")]
    NoConflict { record: String, field: String },
    #[error("pick a value from 1 to {max}")]
    BadPick { max: usize },
    #[error(
        "record {record}: the change to {field} would be {bytes} bytes, over the relay's limit of {limit} bytes per change; shorten {field} (nothing was written)"
    )]
    ChangeTooLarge {
        record: String,
        field: String,
        bytes: u64,
        limit: u64,
    },
}

impl<T> From<T> for Error
where
    StoreError: From<T>,
    T: RedbError,
{
    fn from(e: T) -> Self {
        Error::Store(Box::new(e.into()))
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        Error::Store(Box::new(e))
    }
}

/// redb's error types, so `?` lifts them straight into [`Error`].
pub trait RedbError {}
impl RedbError for redb::DatabaseError {}
impl RedbError for redb::TransactionError {}
impl RedbError for redb::TableError {}
impl RedbError for redb::StorageError {}
impl RedbError for redb::CommitError {}
impl RedbError for redb::SetDurabilityError {}
impl RedbError for postcard::Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;
