//! Values as they are stored and as they are read.
//!
//! A [`Stored`] value is exactly what sits in a record document (and in the `rows`
//! table): it never changes when a field is retyped. A [`Value`] is the stored value
//! read through the field's *current* type (see `field_type::read`), so retyping is a
//! change of view, and retyping back restores the original view exactly.
//!
//! Stability: `Stored` is serialized into the `rows` table (postcard) and mapped onto
//! Automerge scalars; changing its variants breaks existing replicas.

use serde::{Deserialize, Serialize};

/// A value as stored in a record document. Type-independent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Stored {
    /// Text-like values, select option ids, single relations, dates (`YYYY-MM-DD`) and
    /// currency amounts (`"12.50 EUR"`: exact decimal text, never a float).
    Str(String),
    /// Numbers, percents, ratings.
    F64(f64),
    /// Integers written by other clients; read like numbers.
    Int(i64),
    /// Booleans.
    Bool(bool),
    /// A point in time, milliseconds since the Unix epoch (UTC).
    Timestamp(i64),
    /// Multi-select option ids, many-relations' record ids.
    List(Vec<String>),
}

impl Stored {
    /// How the stored value reads when shown as it is (for values that do not
    /// convert to their field's current type).
    pub fn raw_text(&self) -> String {
        match self {
            Stored::Str(s) => s.clone(),
            Stored::F64(n) => format_number(*n),
            Stored::Int(n) => n.to_string(),
            Stored::Bool(b) => b.to_string(),
            Stored::Timestamp(ms) => crate::time_fmt::format_datetime(*ms),
            Stored::List(items) => items.join(", "),
        }
    }

    /// Whether this value counts as empty (for `required` and `is empty`).
    pub fn is_empty(&self) -> bool {
        match self {
            Stored::Str(s) => s.trim().is_empty(),
            Stored::List(items) => items.is_empty(),
            _ => false,
        }
    }
}

pub use crate::money::Money;

/// A value read through a field's type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Value {
    /// text, long_text, email, phone, url.
    Text(String),
    /// number, percent (12.5 means 12.5 %), rating.
    Number(f64),
    Bool(bool),
    /// Days since 1970-01-01.
    Date(i32),
    /// Milliseconds since the Unix epoch, UTC.
    DateTime(i64),
    Currency(Money),
    /// A select option id.
    Option(crate::OptionId),
    /// Multi-select option ids, in the order they were set.
    Options(Vec<crate::OptionId>),
    /// Related record ids (one or many).
    Records(Vec<crate::RecordId>),
}

/// Numbers print without a trailing `.0` when they are whole.
pub fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}
