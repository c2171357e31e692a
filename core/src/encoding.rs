//! Order-preserving byte encodings of values, for index keys, sort keys and cursors.
//!
//! Each encoded value starts with a tag that puts empty values first, typed values
//! grouped by type, and values that do not convert to the field's type last. Every
//! encoding is prefix-free (fixed width, or escaped and terminated), so a value's
//! encoding is a key prefix that matches exactly that value, and inverting the bytes of
//! a component reverses its order (descending sorts).
//!
//! Stability: these bytes are stored in the `index` table, which `kith reindex` can
//! rebuild; changing them needs a reindex, not a migration.

use crate::field_type;
use crate::schema::FieldDef;
use crate::text::fold;
use crate::value::{Stored, Value};

pub(crate) const TAG_EMPTY: u8 = 0x00;
const TAG_BOOL: u8 = 0x10;
const TAG_NUMBER: u8 = 0x20;
const TAG_CURRENCY: u8 = 0x28;
const TAG_DATE: u8 = 0x30;
const TAG_DATETIME: u8 = 0x38;
pub(crate) const TAG_TEXT: u8 = 0x40;
const TAG_OPTION: u8 = 0x50;
const TAG_RECORD: u8 = 0x60;
const TAG_UNCONVERTED: u8 = 0xF0;
/// Ends a list in a sort key; below every tag so shorter lists sort first.
const LIST_END: u8 = 0x01;

/// The most bytes of folded text an index or sort key holds. Longer text is cut at a char
/// boundary and ended by [`CUT_END`], so a 10 MB cell costs an index key of ~300 bytes.
/// Keys then find a superset of the matching records; every query checks the row itself
/// (`query::eval::matches`), so results stay exact.
pub(crate) const INDEXED_TEXT_BYTES: usize = 256;

/// Ends cut text: UTF-8 never holds 0xFF, so a cut key sorts after every full value that
/// starts with the same bytes and before every value that is greater than them.
const CUT_END: u8 = 0xFF;

/// Whether text keeps all its bytes (exact comparison) or is cut (index and sort keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Text {
    Whole,
    Cut,
}

/// The tag a value's encoding starts with (range filters stay inside it).
pub(crate) fn tag_of(value: &Value) -> u8 {
    match value {
        Value::Text(_) => TAG_TEXT,
        Value::Number(_) => TAG_NUMBER,
        Value::Bool(_) => TAG_BOOL,
        Value::Date(_) => TAG_DATE,
        Value::DateTime(_) => TAG_DATETIME,
        Value::Currency(_) => TAG_CURRENCY,
        Value::Option(_) | Value::Options(_) => TAG_OPTION,
        Value::Records(_) => TAG_RECORD,
    }
}

fn push_escaped(out: &mut Vec<u8>, bytes: &[u8]) {
    for &b in bytes {
        out.push(b);
        if b == 0 {
            out.push(0xFF);
        }
    }
}

/// Appends folded text; returns whether it was cut.
fn push_text(out: &mut Vec<u8>, s: &str, text: Text) -> bool {
    let folded = fold(s);
    match text {
        Text::Cut if folded.len() > INDEXED_TEXT_BYTES => {
            push_escaped(out, cut(&folded).as_bytes());
            out.push(CUT_END);
            true
        }
        _ => {
            push_escaped(out, folded.as_bytes());
            out.extend_from_slice(&[0x00, 0x01]);
            false
        }
    }
}

/// The first `INDEXED_TEXT_BYTES` bytes of `s` or fewer, ending at a char boundary.
fn cut(s: &str) -> &str {
    let mut end = INDEXED_TEXT_BYTES.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// The prefix that the index key of every folded text starting with `prefix` begins
/// with (cut as keys are, so long prefixes find the keys of long values).
pub(crate) fn text_prefix(prefix: &str) -> Vec<u8> {
    let mut out = vec![TAG_TEXT];
    push_escaped(&mut out, cut(&fold(prefix)).as_bytes());
    out
}

fn f64_bytes(n: f64) -> [u8; 8] {
    let n = if n == 0.0 { 0.0 } else { n }; // -0.0 sorts with 0.0
    let bits = n.to_bits();
    let ordered = if bits >> 63 == 1 { !bits } else { bits | (1 << 63) };
    ordered.to_be_bytes()
}

fn i64_bytes(n: i64) -> [u8; 8] {
    ((n as u64) ^ (1 << 63)).to_be_bytes()
}

/// Appends the encoding of one scalar element of a value (lists are encoded per element).
/// Returns whether text in it was cut.
fn push_scalar(out: &mut Vec<u8>, field: &FieldDef, value: &Value, element: usize, text: Text) -> bool {
    out.push(tag_of(value));
    match value {
        Value::Text(s) => return push_text(out, s, text),
        Value::Number(n) => out.extend_from_slice(&f64_bytes(*n)),
        Value::Bool(b) => out.push(*b as u8),
        Value::Date(d) => out.extend_from_slice(&((*d as u32) ^ (1 << 31)).to_be_bytes()),
        Value::DateTime(ms) => out.extend_from_slice(&i64_bytes(*ms)),
        // Code first: amounts in different currencies are never ordered as one.
        Value::Currency(m) => {
            push_text(out, &m.code, Text::Whole);
            crate::money::push_decimal(out, m.amount);
        }
        Value::Option(id) => push_option(out, field, *id),
        Value::Options(ids) => push_option(out, field, ids[element]),
        Value::Records(ids) => out.extend_from_slice(ids[element].as_bytes()),
    }
    false
}

/// Options sort by their place in the field's option list (pipelines read in order).
fn push_option(out: &mut Vec<u8>, field: &FieldDef, id: crate::OptionId) {
    let order = field.option(id).map_or(i64::MAX, |o| o.order);
    out.extend_from_slice(&i64_bytes(order));
    out.extend_from_slice(id.as_bytes());
}

fn element_count(value: &Value) -> usize {
    match value {
        Value::Options(ids) => ids.len(),
        Value::Records(ids) => ids.len(),
        _ => 1,
    }
}

/// The index entries of one field of one row: one per list element, one for a scalar,
/// one `TAG_EMPTY` entry for an empty value (so `is empty` is an index lookup). Long text
/// is cut (see [`INDEXED_TEXT_BYTES`]).
pub(crate) fn index_values(field: &FieldDef, stored: Option<&Stored>) -> Vec<Vec<u8>> {
    encode_values(field, stored, Text::Cut)
}

/// Like [`index_values`], with text whole: what comparisons of a row with a filter use.
pub(crate) fn exact_values(field: &FieldDef, stored: Option<&Stored>) -> Vec<Vec<u8>> {
    encode_values(field, stored, Text::Whole)
}

fn encode_values(field: &FieldDef, stored: Option<&Stored>, text: Text) -> Vec<Vec<u8>> {
    let Some(stored) = stored.filter(|s| !s.is_empty()) else {
        return vec![vec![TAG_EMPTY]];
    };
    match field_type::read(field, stored) {
        Some(value) => {
            let n = element_count(&value);
            if n == 0 {
                return vec![vec![TAG_EMPTY]];
            }
            let mut out: Vec<Vec<u8>> = (0..n)
                .map(|i| {
                    let mut key = Vec::with_capacity(24);
                    push_scalar(&mut key, field, &value, i, text);
                    key
                })
                .collect();
            out.sort();
            out.dedup();
            out
        }
        None => {
            let mut key = vec![TAG_UNCONVERTED];
            push_text(&mut key, &stored.raw_text(), text);
            vec![key]
        }
    }
}

/// The exact encoding a filter value is compared with (scalars and the first list
/// element).
pub(crate) fn filter_value(field: &FieldDef, value: &Value) -> Vec<u8> {
    encode_filter_value(field, value, Text::Whole).0
}

/// The index key a filter value looks up, and whether its text was cut: then other values
/// share the key, and range bounds at it must be inclusive (rows are checked anyway).
pub(crate) fn index_filter_value(field: &FieldDef, value: &Value) -> (Vec<u8>, bool) {
    encode_filter_value(field, value, Text::Cut)
}

fn encode_filter_value(field: &FieldDef, value: &Value, text: Text) -> (Vec<u8>, bool) {
    let mut out = Vec::with_capacity(24);
    let mut was_cut = false;
    if element_count(value) == 0 {
        out.push(TAG_EMPTY);
    } else {
        was_cut = push_scalar(&mut out, field, value, 0, text);
    }
    (out, was_cut)
}

/// One sort-key component: the whole value, lists as their sorted elements.
pub(crate) fn push_sort_component(out: &mut Vec<u8>, field: &FieldDef, stored: Option<&Stored>, descending: bool) {
    let start = out.len();
    let values = index_values(field, stored);
    if field.is_list() {
        for v in &values {
            if v[0] != TAG_EMPTY {
                out.extend_from_slice(v);
            }
        }
        out.push(LIST_END);
    } else {
        out.extend_from_slice(&values[0]);
    }
    if descending {
        for b in &mut out[start..] {
            *b = !*b;
        }
    }
}

/// The smallest key greater than every key that starts with `prefix`.
pub(crate) fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xFF {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// The keys a range filter on `value` stays inside: its type's tag, and for amounts
/// its currency too (amounts compare only within their currency).
pub(crate) fn band(value: &Value) -> Vec<u8> {
    let mut out = vec![tag_of(value)];
    if let Value::Currency(m) = value {
        push_text(&mut out, &m.code, Text::Whole);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::FieldKind;
    use proptest::prelude::*;

    fn encode(kind: FieldKind, v: Value) -> Vec<u8> {
        let f = FieldDef::new("f", "F", kind);
        filter_value(&f, &v)
    }

    proptest! {
        #[test]
        fn numbers_encode_in_numeric_order(a in -1e12f64..1e12, b in -1e12f64..1e12) {
            let (ea, eb) = (encode(FieldKind::Number, Value::Number(a)), encode(FieldKind::Number, Value::Number(b)));
            prop_assert_eq!(a.partial_cmp(&b).unwrap(), ea.cmp(&eb));
        }

        #[test]
        fn text_encodes_in_folded_order(a in "\\PC{0,12}", b in "\\PC{0,12}") {
            let (ea, eb) = (encode(FieldKind::Text, Value::Text(a.clone())), encode(FieldKind::Text, Value::Text(b.clone())));
            prop_assert_eq!(fold(&a).cmp(&fold(&b)), ea.cmp(&eb));
        }

        #[test]
        fn inverted_components_sort_in_reverse(a in "[a-c\\x00]{0,5}", b in "[a-c\\x00]{0,5}") {
            let f = FieldDef::new("f", "F", FieldKind::Text);
            let key = |s: &str| {
                let mut out = Vec::new();
                push_sort_component(&mut out, &f, Some(&Stored::Str(s.to_string())), true);
                out.extend_from_slice(&[7; 16]); // a record id follows in real keys
                out
            };
            prop_assert_eq!(fold(&a).cmp(&fold(&b)).reverse(), key(&a).cmp(&key(&b)));
        }

        #[test]
        fn dates_and_datetimes_encode_in_time_order(a in any::<i32>(), b in any::<i32>()) {
            prop_assert_eq!(a.cmp(&b), encode(FieldKind::Date, Value::Date(a)).cmp(&encode(FieldKind::Date, Value::Date(b))));
            let (a, b) = (a as i64 * 1000, b as i64 * 977);
            prop_assert_eq!(a.cmp(&b), encode(FieldKind::Datetime, Value::DateTime(a)).cmp(&encode(FieldKind::Datetime, Value::DateTime(b))));
        }
    }

    #[test]
    fn long_text_keys_are_cut_at_a_char_boundary_and_stay_in_order() {
        let f = FieldDef::new("f", "F", FieldKind::Text);
        let key = |s: &str| index_values(&f, Some(&Stored::Str(s.to_string())))[0].clone();
        let long = "日".repeat(3_500_000); // 10.5 MB, 3 bytes a char
        assert!(key(&long).len() <= INDEXED_TEXT_BYTES + 2);
        assert!(std::str::from_utf8(&key(&long)[1..key(&long).len() - 1]).is_ok());
        // A cut key sorts after every value starting with its bytes, before greater ones.
        let prefix = cut(&long).to_string();
        assert!(key(&prefix) < key(&long));
        assert!(key(&format!("{prefix}zzz")) < key(&long));
        assert!(key(&long) < key(&format!("{}本", &prefix[..prefix.len() - 3])));
        // Comparisons with rows use the whole text.
        assert_ne!(exact_values(&f, Some(&Stored::Str(long.clone()))), vec![key(&long)]);
        assert!(key(&long).starts_with(&text_prefix(&long)));
    }

    #[test]
    fn empty_values_sort_before_everything() {
        let f = FieldDef::new("f", "F", FieldKind::Number);
        assert!(index_values(&f, None)[0] < index_values(&f, Some(&Stored::F64(-1e300)))[0]);
    }

    #[test]
    fn prefix_end_is_the_next_prefix() {
        assert_eq!(prefix_end(&[1, 2]), Some(vec![1, 3]));
        assert_eq!(prefix_end(&[1, 0xFF]), Some(vec![2]));
        assert_eq!(prefix_end(&[0xFF]), None);
    }
}
