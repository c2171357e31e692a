//! Running queries: pick a plan, then read only `rows` and the indexes.
//!
//! Plans, cheapest first:
//! 1. **Candidates**: a condition that the index answers (equality, range, prefix,
//!    empty, any-of, related-to), part of an `and` (or every branch of an `or`), selects
//!    few enough records (2,000 when a walk is possible, else 20,000): fetch those rows,
//!    filter, sort in memory.
//! 2. **Walk**: walk the first sort field's index (or `rows` in id order when unsorted)
//!    and filter rows as they come until the page is full. Good when the filter keeps
//!    many rows, so matches come early.
//! 3. **Scan**: every row of the object, keeping the best `limit` (sorts on list or long
//!    text fields with no selective condition).

use std::collections::{BTreeSet, BinaryHeap};
use std::ops::Bound;

use redb::ReadOnlyTable;

use super::eval::{matches, sort_key};
use super::{Filter, Op, Page, Query, Sort};
use crate::RecordId;
use crate::encoding::{TAG_EMPTY, band, index_filter_value, prefix_end, text_prefix};
use crate::error::{QueryError, Result, StoreError};
use crate::record::Row;
use crate::schema::{FieldKind, ObjectDef};
use crate::store::{decode_row, decode_row_fields, index_key_prefix, object_prefix, row_key, tables};
use crate::value::Value;
use crate::workspace::Workspace;

/// The most records the candidates plan will fetch before preferring a scan.
const CANDIDATE_LIMIT: usize = 20_000;

/// When the results can be walked in order, more candidates than this make the walk
/// cheaper: fetching `n` candidates costs `n` row reads, while a walk that keeps one row
/// in `N / n` reads about `limit * N / n` rows; with pages of ~50 and ~100k rows the two
/// meet near 2,000.
const CANDIDATE_LIMIT_WHEN_WALKABLE: usize = 2_000;

type Rows = ReadOnlyTable<&'static [u8], &'static [u8]>;
type Index = ReadOnlyTable<&'static [u8], ()>;

struct Ctx<'a> {
    object: &'a ObjectDef,
    rows: Rows,
    index: Index,
}

impl Ctx<'_> {
    fn row(&self, id: RecordId) -> Result<Option<Row>> {
        let key = row_key(self.object.id, id);
        match self.rows.get(key.as_slice()).map_err(StoreError::from)? {
            Some(bytes) => Ok(Some(decode_row(bytes.value())?)),
            None => Ok(None),
        }
    }

    /// Index key ranges that hold exactly the records satisfying a condition.
    fn ranges(&self, field: crate::FieldId, op: &Op) -> Option<Vec<(Vec<u8>, Vec<u8>)>> {
        let def = self.object.field(field)?;
        if !def.kind.is_indexed() {
            return None;
        }
        let base = index_key_prefix(field);
        let with = |bytes: &[u8]| {
            let mut k = base.clone();
            k.extend_from_slice(bytes);
            k
        };
        let exact = |v: &Value| {
            let start = with(&index_filter_value(def, v).0);
            let end = prefix_end(&start)?;
            Some((start, end))
        };
        let band = |v: &Value| {
            let start = with(&band(v));
            let end = prefix_end(&start).unwrap_or_default();
            (start, end)
        };
        // The key of a value whose text was cut is shared by the values that start like
        // it, on either side of it: bounds at such a key include it.
        let below = |v: &Value| {
            let (key, was_cut) = index_filter_value(def, v);
            let key = with(&key);
            if was_cut { prefix_end(&key) } else { Some(key) }
        };
        let above = |v: &Value| {
            let (key, was_cut) = index_filter_value(def, v);
            let key = with(&key);
            if was_cut { Some(key) } else { prefix_end(&key) }
        };
        Some(match op {
            Op::Eq(v) => vec![exact(v)?],
            Op::AnyOf(vs) => vs.iter().map(exact).collect::<Option<Vec<_>>>()?,
            Op::RelatedTo(id) => vec![exact(&Value::Records(vec![*id]))?],
            Op::IsEmpty => vec![(with(&[TAG_EMPTY]), with(&[TAG_EMPTY + 1]))],
            Op::Lt(v) => vec![(band(v).0, below(v)?)],
            Op::Le(v) => vec![(band(v).0, prefix_end(&with(&index_filter_value(def, v).0))?)],
            Op::Gt(v) => vec![(above(v)?, band(v).1)],
            Op::Ge(v) => vec![(with(&index_filter_value(def, v).0), band(v).1)],
            Op::StartsWith(s)
                if matches!(
                    def.kind,
                    FieldKind::Text | FieldKind::Email | FieldKind::Phone | FieldKind::Url
                ) =>
            {
                let start = with(&text_prefix(s));
                let end = prefix_end(&start)?;
                vec![(start, end)]
            }
            _ => return None,
        })
    }

    /// Records an index-answerable filter selects, if there are at most `limit`.
    /// `None`: the filter is not index-answerable, or selects too many.
    fn candidates(&self, filter: &Filter, limit: usize) -> Result<Option<BTreeSet<RecordId>>> {
        match filter {
            Filter::Cond { field, op } => {
                let Some(ranges) = self.ranges(*field, op) else {
                    return Ok(None);
                };
                let mut out = BTreeSet::new();
                for (start, end) in ranges {
                    if start >= end {
                        continue;
                    }
                    for entry in self
                        .index
                        .range(start.as_slice()..end.as_slice())
                        .map_err(StoreError::from)?
                    {
                        let (key, _) = entry.map_err(StoreError::from)?;
                        let k = key.value();
                        out.extend(RecordId::from_slice(&k[k.len() - 16..]));
                        if out.len() > limit {
                            return Ok(None);
                        }
                    }
                }
                Ok(Some(out))
            }
            Filter::All(parts) => {
                let mut best: Option<BTreeSet<RecordId>> = None;
                for part in parts {
                    let bound = best.as_ref().map_or(limit, |b| b.len());
                    if let Some(c) = self.candidates(part, bound)? {
                        best = Some(c);
                    }
                }
                Ok(best)
            }
            Filter::Any(parts) => {
                let mut out = BTreeSet::new();
                for part in parts {
                    let Some(c) = self.candidates(part, limit)? else {
                        return Ok(None);
                    };
                    out.extend(c);
                    if out.len() > limit {
                        return Ok(None);
                    }
                }
                Ok(Some(out))
            }
            Filter::Not(_) => Ok(None),
        }
    }
}

/// Keeps the `n` smallest keys seen.
struct TopN {
    n: usize,
    heap: BinaryHeap<(Vec<u8>, RecordId)>,
}

impl TopN {
    fn push(&mut self, key: Vec<u8>, id: RecordId) {
        if self.heap.len() < self.n {
            self.heap.push((key, id));
        } else if self.heap.peek().is_some_and(|(top, _)| key < *top) {
            self.heap.pop();
            self.heap.push((key, id));
        }
    }

    fn into_sorted(self) -> Vec<(Vec<u8>, RecordId)> {
        self.heap.into_sorted_vec()
    }
}

/// Which query a cursor belongs to: a hash (FNV-1a) of the object, filter and sort. A
/// cursor only means something to the query that printed it; another query's cursor
/// would silently start over, so it is refused instead.
fn query_fingerprint(query: &Query) -> [u8; 4] {
    let text = format!("{:?}|{:?}|{:?}", query.object, query.filter, query.sort);
    let mut hash: u32 = 0x811c_9dc5;
    for b in text.bytes() {
        hash ^= u32::from(b);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash.to_be_bytes()
}

/// Cursor text: hex of the query's fingerprint (4 bytes) ‖ primary component length
/// (u16 BE) ‖ full sort key.
fn encode_cursor(fingerprint: [u8; 4], primary_len: usize, key: &[u8]) -> String {
    let mut bytes = fingerprint.to_vec();
    bytes.extend_from_slice(&(primary_len as u16).to_be_bytes());
    bytes.extend_from_slice(key);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn decode_cursor(text: &str, fingerprint: [u8; 4]) -> Result<(usize, Vec<u8>), QueryError> {
    if !text.len().is_multiple_of(2) || text.len() < 8 + 4 + 32 {
        return Err(QueryError::BadCursor);
    }
    let bytes = (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2).unwrap_or("zz"), 16))
        .collect::<Result<Vec<u8>, _>>()
        .map_err(|_| QueryError::BadCursor)?;
    if bytes[..4] != fingerprint {
        return Err(QueryError::CursorOfAnotherQuery);
    }
    let primary_len = u16::from_be_bytes([bytes[4], bytes[5]]) as usize;
    let key = bytes[6..].to_vec();
    if primary_len + 16 > key.len() {
        return Err(QueryError::BadCursor);
    }
    Ok((primary_len, key))
}

/// The length of the first sort component inside a sort key.
fn primary_len(object: &ObjectDef, sort: &[Sort], id: RecordId, row: &Row) -> usize {
    sort_key(object, &sort[..sort.len().min(1)], id, row).len() - 16
}

impl Workspace {
    /// Runs a query and returns one page.
    pub fn query(&self, query: &Query) -> Result<Page> {
        let object = self.object_def(query.object)?;
        let tx = self.store.read()?;
        let ctx = Ctx {
            object,
            rows: tx.open_table(tables::ROWS).map_err(StoreError::from)?,
            index: tx.open_table(tables::INDEX).map_err(StoreError::from)?,
        };
        for s in &query.sort {
            if object.field(s.field).is_none() {
                return Err(QueryError::BadSort(format!("{} has no field {}", object.key, s.field)).into());
            }
        }
        let fingerprint = query_fingerprint(query);
        let after = query
            .after
            .as_deref()
            .map(|c| decode_cursor(c, fingerprint))
            .transpose()?;
        let after_key = after.as_ref().map(|(_, k)| k.as_slice());
        // One more than the page is read to know whether there is a next page.
        let limit = query.limit.clamp(1, usize::MAX - 1);
        let filter = query.filter.as_ref();
        let keep = |id: RecordId, row: &Row| -> Option<Vec<u8>> {
            if !filter.is_none_or(|f| matches(object, row, f)) {
                return None;
            }
            let key = sort_key(object, &query.sort, id, row);
            after_key.is_none_or(|a| key.as_slice() > a).then_some(key)
        };

        let walkable = query.sort.first().is_none_or(|s| {
            object
                .field(s.field)
                .is_some_and(|f| f.kind.is_indexed() && !f.is_list())
        });
        let bound = if walkable {
            CANDIDATE_LIMIT_WHEN_WALKABLE
        } else {
            CANDIDATE_LIMIT
        };
        let candidates = match filter {
            Some(f) => ctx.candidates(f, bound)?,
            None => None,
        };
        let mut top = TopN {
            n: limit + 1,
            heap: BinaryHeap::new(),
        };
        let mut rows_seen: Vec<(RecordId, Row)> = Vec::new();
        if let Some(ids) = candidates {
            for id in ids {
                if let Some(row) = ctx.row(id)?
                    && let Some(key) = keep(id, &row)
                {
                    top.push(key, id);
                    rows_seen.push((id, row));
                }
            }
        } else if walkable {
            self.walk(
                &ctx,
                query,
                after.as_ref(),
                limit + 1,
                &mut |id, row| match keep(id, &row) {
                    Some(key) => {
                        top.push(key, id);
                        rows_seen.push((id, row));
                        true
                    }
                    None => false,
                },
            )?;
        } else {
            let prefix = object_prefix(object.id);
            let end = prefix_end(&prefix).unwrap_or_default();
            for entry in ctx
                .rows
                .range(prefix.as_slice()..end.as_slice())
                .map_err(StoreError::from)?
            {
                let (k, v) = entry.map_err(StoreError::from)?;
                let Some(id) = RecordId::from_slice(&k.value()[16..]) else {
                    continue;
                };
                let row = decode_row(v.value())?;
                if let Some(key) = keep(id, &row) {
                    top.push(key, id);
                }
            }
        }
        let mut sorted = top.into_sorted();
        let more = sorted.len() > limit;
        sorted.truncate(limit);
        let next = match (more, sorted.last()) {
            (true, Some((key, id))) => {
                let row = match rows_seen.iter().find(|(r, _)| r == id) {
                    Some((_, row)) => Some(row.clone()),
                    None => ctx.row(*id)?,
                };
                let plen = row.map_or(0, |row| {
                    if query.sort.is_empty() {
                        0
                    } else {
                        primary_len(object, &query.sort, *id, &row)
                    }
                });
                Some(encode_cursor(fingerprint, plen, key))
            }
            _ => None,
        };
        Ok(Page {
            ids: sorted.into_iter().map(|(_, id)| id).collect(),
            next,
        })
    }

    /// Walks rows in (roughly) result order, calling `visit` (which says whether it kept
    /// the row) until `want` rows were kept or the rows run out. Rows sharing a primary sort value come as a group, so the
    /// caller's top-N sees every row that could precede the page end.
    fn walk(
        &self,
        ctx: &Ctx<'_>,
        query: &Query,
        after: Option<&(usize, Vec<u8>)>,
        want: usize,
        visit: &mut dyn FnMut(RecordId, Row) -> bool,
    ) -> Result<()> {
        let object = ctx.object;
        let mut passed = 0;
        let Some(primary) = query.sort.first() else {
            // Unsorted: record id order is `rows` key order.
            let prefix = object_prefix(object.id);
            let start = match after {
                Some((_, key)) => row_key(
                    object.id,
                    RecordId::from_slice(&key[key.len() - 16..]).ok_or(QueryError::BadCursor)?,
                )
                .to_vec(),
                None => prefix.to_vec(),
            };
            let end = prefix_end(&prefix).unwrap_or_default();
            for entry in ctx
                .rows
                .range(start.as_slice()..end.as_slice())
                .map_err(StoreError::from)?
            {
                let (k, v) = entry.map_err(StoreError::from)?;
                let Some(id) = RecordId::from_slice(&k.value()[16..]) else {
                    continue;
                };
                if visit(id, decode_row(v.value())?) {
                    passed += 1;
                    if passed >= want {
                        break;
                    }
                }
            }
            return Ok(());
        };
        let base = index_key_prefix(primary.field);
        let base_end = prefix_end(&base).unwrap_or_default();
        // Resume at the cursor's primary value (inclusive: its group may continue).
        let resume = after.map(|(plen, key)| {
            let mut v = key[..*plen].to_vec();
            if primary.descending {
                v.iter_mut().for_each(|b| *b = !*b);
            }
            let mut k = base.clone();
            k.extend_from_slice(&v);
            k
        });
        let (lo, hi) = match (&resume, primary.descending) {
            (Some(r), false) => (Bound::Included(r.clone()), Bound::Excluded(base_end)),
            (Some(r), true) => (
                Bound::Included(base.clone()),
                Bound::Excluded(prefix_end(r).unwrap_or_else(|| base_end.clone())),
            ),
            (None, _) => (Bound::Included(base.clone()), Bound::Excluded(base_end)),
        };
        let range = ctx
            .index
            .range::<&[u8]>((bound_ref(&lo), bound_ref(&hi)))
            .map_err(StoreError::from)?;
        let mut iter: Box<dyn Iterator<Item = _>> = if primary.descending {
            Box::new(range.rev())
        } else {
            Box::new(range)
        };
        let mut group: Option<Vec<u8>> = None;
        loop {
            let Some(entry) = iter.next() else { break };
            let (key, _) = entry.map_err(StoreError::from)?;
            let k = key.value();
            let value_part = k[..k.len() - 16].to_vec();
            if group.as_ref() != Some(&value_part) {
                if passed >= want {
                    break; // the group that filled the page is complete
                }
                group = Some(value_part);
            }
            let Some(id) = RecordId::from_slice(&k[k.len() - 16..]) else {
                continue;
            };
            let Some(row) = ctx.row(id)? else { continue };
            if visit(id, row) {
                passed += 1;
            }
        }
        Ok(())
    }

    /// Calls `visit` with every live record of `object` that passes `filter`, each row
    /// decoded once: the index's candidates when the filter selects few enough records,
    /// else one pass over the object's rows. Order: record id within each plan.
    ///
    /// `fields`: the only fields the visitor reads. Rows then come decoded with only
    /// those fields' and the filter's fields' values (`created_by` and the conflicts left
    /// out too): decoding every value was most of a report's time.
    pub(crate) fn for_each_match_reading(
        &self,
        object: crate::ObjectId,
        filter: Option<&Filter>,
        fields: Option<&[crate::FieldId]>,
        mut visit: impl FnMut(RecordId, &Row),
    ) -> Result<()> {
        let def = self.object_def(object)?;
        let tx = self.store.read()?;
        let ctx = Ctx {
            object: def,
            rows: tx.open_table(tables::ROWS).map_err(StoreError::from)?,
            index: tx.open_table(tables::INDEX).map_err(StoreError::from)?,
        };
        let candidates = match filter {
            Some(f) => ctx.candidates(f, CANDIDATE_LIMIT)?,
            None => None,
        };
        let passes = |row: &Row| filter.is_none_or(|f| matches(def, row, f));
        // A filter reads only its conditions' fields (`matches`).
        let wanted: Option<Vec<crate::FieldId>> = fields.map(|fields| {
            let mut wanted = fields.to_vec();
            if let Some(f) = filter {
                filter_fields(f, &mut wanted);
            }
            wanted.sort();
            wanted.dedup();
            wanted
        });
        let decode = |bytes: &[u8]| match &wanted {
            Some(fields) => decode_row_fields(bytes, fields),
            None => decode_row(bytes),
        };
        if let Some(ids) = candidates {
            for id in ids {
                let key = row_key(object, id);
                let Some(bytes) = ctx.rows.get(key.as_slice()).map_err(StoreError::from)? else {
                    continue;
                };
                let row = decode(bytes.value())?;
                if passes(&row) {
                    visit(id, &row);
                }
            }
            return Ok(());
        }
        let prefix = object_prefix(object);
        let end = prefix_end(&prefix).unwrap_or_default();
        for entry in ctx
            .rows
            .range(prefix.as_slice()..end.as_slice())
            .map_err(StoreError::from)?
        {
            let (k, v) = entry.map_err(StoreError::from)?;
            let Some(id) = RecordId::from_slice(&k.value()[16..]) else {
                continue;
            };
            let row = decode(v.value())?;
            if passes(&row) {
                visit(id, &row);
            }
        }
        Ok(())
    }

    /// Number of live records of an object that pass `filter`.
    pub fn count(&self, object: crate::ObjectId, filter: Option<&Filter>) -> Result<u64> {
        let Some(filter) = filter else {
            return self.count_all(object);
        };
        let def = self.object_def(object)?;
        let tx = self.store.read()?;
        let ctx = Ctx {
            object: def,
            rows: tx.open_table(tables::ROWS).map_err(StoreError::from)?,
            index: tx.open_table(tables::INDEX).map_err(StoreError::from)?,
        };
        let mut n = 0;
        if let Some(ids) = ctx.candidates(filter, usize::MAX)? {
            for id in ids {
                if ctx.row(id)?.is_some_and(|row| matches(def, &row, filter)) {
                    n += 1;
                }
            }
            return Ok(n);
        }
        let prefix = object_prefix(object);
        let end = prefix_end(&prefix).unwrap_or_default();
        for entry in ctx
            .rows
            .range(prefix.as_slice()..end.as_slice())
            .map_err(StoreError::from)?
        {
            let (_, v) = entry.map_err(StoreError::from)?;
            if matches(def, &decode_row(v.value())?, filter) {
                n += 1;
            }
        }
        Ok(n)
    }
}

/// The fields a filter's conditions read.
fn filter_fields(filter: &Filter, out: &mut Vec<crate::FieldId>) {
    match filter {
        Filter::Cond { field, .. } => out.push(*field),
        Filter::All(parts) | Filter::Any(parts) => parts.iter().for_each(|f| filter_fields(f, out)),
        Filter::Not(inner) => filter_fields(inner, out),
    }
}

fn bound_ref(b: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    match b {
        Bound::Included(v) => Bound::Included(v.as_slice()),
        Bound::Excluded(v) => Bound::Excluded(v.as_slice()),
        Bound::Unbounded => Bound::Unbounded,
    }
}
