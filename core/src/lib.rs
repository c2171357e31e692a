//! # kith-core
//!
//! The heart of Kith, a local-first CRM: the data model, the schema, the local store,
//! queries and history. No network and no async here.
//!
//! ## Architecture
//!
//! * **Documents are the truth.** Every record is its own Automerge document
//!   (`record.rs`); the schema is one more document (`schema/doc.rs`). Documents carry
//!   their full history: who changed what, when, and why (the commit message).
//! * **redb holds everything** (`store/`): documents as a snapshot plus incremental
//!   chunks, an outbox of local chunks for the relay, and *derived* tables: `rows` (each
//!   record's current values), `index` (order-preserving keys for filters and sorts) and
//!   `text_index` (search). A user action is one write transaction over all of them.
//! * **Reads never touch Automerge.** Lists, filters, counts and search read `rows` and
//!   the indexes (`query/`). Documents are loaded on demand, behind a small LRU, when a
//!   record is edited.
//! * **Types are a view.** A stored value ([`Stored`]) never changes when a field is
//!   retyped; it is read through the field's current type ([`Value`]), so every schema
//!   change can be taken back.
//!
//! ## Example
//!
//! ```
//! use kith_core::{CreateOptions, Query, Workspace};
//!
//! let mut ws = Workspace::in_memory(CreateOptions::new("ada")).unwrap();
//! let people = ws.object_named("people").unwrap().id;
//! let values = ws
//!     .parse_values(people, &[("name".into(), "Ada Lovelace".into()), ("city".into(), "London".into())])
//!     .unwrap();
//! let id = ws.create_record(people, values).unwrap();
//!
//! let mut query = Query::new(people);
//! query.filter = Some(ws.parse_filter(people, "city = london").unwrap());
//! assert_eq!(ws.query(&query).unwrap().ids, vec![id]);
//! ```

#![warn(clippy::unwrap_used)]

pub mod automation;
mod doc_kind;
mod encoding;
mod error;
pub mod field_type;
pub mod formula;
mod history;
mod ids;
mod merged;
pub mod money;
pub mod number_format;
mod query;
mod record;
pub mod report;
pub mod schema;
pub mod short_id;
mod store;
pub mod sync;
pub mod text;
pub mod time_fmt;
mod value;
mod workspace;

pub use doc_kind::DocKind;
pub use error::{Error, QueryError, ReportError, Result, SchemaError, StoreError, ValidationError};
pub use history::ChangeKind;
pub use ids::{DocId, FieldId, GroupId, ObjectId, OptionId, ParseIdError, RecordId};
pub use number_format::NumberFormat;
pub use query::{Filter, FilterAst, Op, Page, Query, SearchHit, Sort, SortAst, parse_filter, parse_sort};
pub use record::Row;
pub use rust_decimal::Decimal;
pub use schema::{Aggregate, Computed, ConfigDoc, FieldDef, FieldKind, ObjectDef, Rollup, Schema, SelectOption};
pub use value::{Money, Stored, Value, format_number};
pub use workspace::{
    ApplySummary, Automation, AutomationRun, BulkReport, CellView, ChangeObserver, Changes, ComputedPreview,
    ComputedSpec, ConfigChange, ConfigContent, ConfigDiff, ConflictValue, ConflictView, CreateOptions, DerivedEntry,
    Device, DryRun, FieldChange, FieldDiff, FieldSpec, HistoryEntry, ImportChecks, ImportOptions, ImportReport,
    ImportRow, MergedValueClash, RecordView, Resolution, RetypeReport, RevertReport, RowError, Rule, RuleBreak,
    RunStatus, StuckChange, UniqueClash, WORKSPACE_FILE, Workspace,
};
