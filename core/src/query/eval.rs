//! Evaluating filters on one row, and computing sort keys. Uses the same encodings as
//! the index, so a filter means the same whether answered by the index or by rows.

use super::{Filter, Op, Sort};
use crate::RecordId;
use crate::encoding::{TAG_EMPTY, band, exact_values, filter_value, push_sort_component};
use crate::field_type;
use crate::record::Row;
use crate::schema::ObjectDef;
use crate::text::fold;
use crate::value::Value;

/// Whether `row` passes `filter`. Conditions on fields the object does not have are false.
pub(crate) fn matches(object: &ObjectDef, row: &Row, filter: &Filter) -> bool {
    match filter {
        Filter::All(parts) => parts.iter().all(|f| matches(object, row, f)),
        Filter::Any(parts) => parts.iter().any(|f| matches(object, row, f)),
        Filter::Not(inner) => !matches(object, row, inner),
        Filter::Cond { field, op } => {
            let Some(def) = object.field(*field) else {
                return false;
            };
            let stored = row.get(*field).filter(|s| !s.is_empty());
            let encoded = exact_values(def, stored);
            let empty = encoded.len() == 1 && encoded[0][0] == TAG_EMPTY;
            let eq = |v: &Value| {
                let want = filter_value(def, v);
                encoded.contains(&want)
            };
            let cmp = |v: &Value, ok: fn(std::cmp::Ordering) -> bool| {
                let want = filter_value(def, v);
                let band = band(v);
                encoded.iter().any(|e| e.starts_with(&band) && ok(e.cmp(&want)))
            };
            let shown = || match stored {
                None => String::new(),
                Some(s) => fold(&match field_type::read(def, s) {
                    Some(v) => field_type::display(def, &v),
                    None => s.raw_text(),
                }),
            };
            match op {
                Op::Eq(v) => eq(v),
                Op::Ne(v) => !eq(v),
                Op::Lt(v) => cmp(v, |o| o.is_lt()),
                Op::Le(v) => cmp(v, |o| o.is_le()),
                Op::Gt(v) => cmp(v, |o| o.is_gt()),
                Op::Ge(v) => cmp(v, |o| o.is_ge()),
                Op::Contains(s) => !empty && shown().contains(&fold(s)),
                Op::StartsWith(s) => !empty && shown().starts_with(&fold(s)),
                Op::IsEmpty => empty,
                Op::IsNotEmpty => !empty,
                Op::AnyOf(vs) => vs.iter().any(eq),
                Op::RelatedTo(id) => eq(&Value::Records(vec![*id])),
            }
        }
    }
}

/// The full sort key of a row: each sort component (inverted when descending), then the
/// record id. Keys order rows exactly as the query returns them, so they are cursors too.
pub(crate) fn sort_key(object: &ObjectDef, sort: &[Sort], id: RecordId, row: &Row) -> Vec<u8> {
    let mut key = Vec::with_capacity(64);
    for s in sort {
        if let Some(def) = object.field(s.field) {
            push_sort_component(&mut key, def, row.get(s.field), s.descending);
        }
    }
    key.extend_from_slice(id.as_bytes());
    key
}
