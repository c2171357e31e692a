//! Queries over `rows` and the indexes: filters, sorts, cursor pagination, counts and
//! full-text search. One API, used by the CLI and the UI alike. Queries never load
//! Automerge documents.
//!
//! Semantics, shared by the index and by row-by-row evaluation (both use the encodings
//! in `encoding.rs`): text compares case- and accent-insensitively; on list fields
//! (multi-select, many-relations) a condition holds when it holds for any element;
//! empty values sort first; values that do not convert to the field's type sort last
//! and match only `is not empty`, `contains` and `starts with`.

pub(crate) mod eval;
mod exec;
mod parse;
mod resolve;
pub(crate) use resolve::resolve_filter_in;
mod search;
mod stored;
pub(crate) use stored::{
    field_ref, filter_to_shown, filter_to_stored, sort_to_shown, sort_to_stored, stored_field, stored_field_id,
    value_to_shown, value_to_stored,
};

use serde::Serialize;

use crate::value::Value;
use crate::{FieldId, ObjectId, RecordId};

pub use parse::{FilterAst, SortAst, parse_filter, parse_sort};
pub use search::SearchHit;

/// A condition on one field.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    Eq(Value),
    Ne(Value),
    Lt(Value),
    Le(Value),
    Gt(Value),
    Ge(Value),
    /// The shown text contains this (folded).
    Contains(String),
    /// The shown text starts with this (folded).
    StartsWith(String),
    IsEmpty,
    IsNotEmpty,
    /// Equals any of these.
    AnyOf(Vec<Value>),
    /// A relation field holds this record.
    RelatedTo(RecordId),
}

/// A filter: conditions combined with and / or / not.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    Cond { field: FieldId, op: Op },
    All(Vec<Filter>),
    Any(Vec<Filter>),
    Not(Box<Filter>),
}

/// One sort key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub field: FieldId,
    pub descending: bool,
}

/// A page request.
#[derive(Debug, Clone)]
pub struct Query {
    pub object: ObjectId,
    pub filter: Option<Filter>,
    /// Sort keys in order; ties (and an empty list) fall back to record id, which is
    /// creation order.
    pub sort: Vec<Sort>,
    pub limit: usize,
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
}

impl Query {
    pub fn new(object: ObjectId) -> Self {
        Query {
            object,
            filter: None,
            sort: Vec::new(),
            limit: 50,
            after: None,
        }
    }
}

/// One page of results.
#[derive(Debug, Clone, Serialize)]
pub struct Page {
    pub ids: Vec<RecordId>,
    /// Pass as `Query::after` for the next page; `None` on the last page.
    pub next: Option<String>,
}
