//! The report engine: one pass over the matching rows, each decoded once, grouped in a
//! `BTreeMap` keyed by the groups' natural order (option order for selects, time for
//! dates, name for relations, the empty group last).

use std::collections::{BTreeMap, HashMap};

use rust_decimal::Decimal;

use super::definition::{MeasureKind, ReportDef};
use super::{DateBucket, Measure};
use crate::error::{ReportError, Result};
use crate::money::{Money, minor_units};
use crate::record::Row;
use crate::schema::{FieldDef, FieldKind, ObjectDef};
use crate::time_fmt::date_of;
use crate::value::format_number;
use crate::workspace::Workspace;
use crate::{OptionId, RecordId, Stored, Value, field_type};

/// Which group a record falls in, for one group-by. Variants sort in the order groups are
/// shown; `Empty` (no value) is last.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GroupKey {
    /// A select option, by its place in the field's options.
    Option(usize, OptionId),
    /// `false` ("No") before `true` ("Yes").
    Bool(bool),
    /// The first day of a date bucket.
    Date(i32),
    /// A related record, by name (folded for sorting), then id.
    Record(String, RecordId, String),
    /// A stored value that does not convert to the field's type, as stored.
    Other(String),
    Empty,
}

/// One measure's figure for one group.
#[derive(Debug, Clone, PartialEq)]
pub enum MeasureValue {
    Count(u64),
    /// `None`: no record of the group has a value (avg, min and max of nothing).
    Number(Option<f64>),
    /// Per currency code; amounts in different currencies are never added together.
    Money(BTreeMap<String, Decimal>),
}

impl MeasureValue {
    /// The figure as text: `12`, `3.5`, `1200.00 EUR; 300.00 USD`, `` for nothing.
    pub fn display(&self) -> String {
        match self {
            MeasureValue::Count(n) => n.to_string(),
            MeasureValue::Number(None) => String::new(),
            MeasureValue::Number(Some(n)) => format_number((n * 100.0).round() / 100.0),
            MeasureValue::Money(per) => per
                .iter()
                .map(|(code, amount)| {
                    let m = Money {
                        amount: *amount,
                        code: code.clone(),
                    };
                    format!("{} {code}", m.amount_text())
                })
                .collect::<Vec<_>>()
                .join("; "),
        }
    }

    /// The figure as JSON: a count or number as a number (`null` for nothing), money as
    /// `{"EUR": "1200.00"}` (exact amounts as text, one per currency).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            MeasureValue::Count(n) => (*n).into(),
            MeasureValue::Number(n) => n.map_or(serde_json::Value::Null, Into::into),
            MeasureValue::Money(per) => per
                .iter()
                .map(|(code, amount)| {
                    let m = Money {
                        amount: *amount,
                        code: code.clone(),
                    };
                    (code.clone(), serde_json::Value::from(m.amount_text()))
                })
                .collect::<serde_json::Map<_, _>>()
                .into(),
        }
    }

    /// The figure as chart values: one per currency for money (code, value), one
    /// unnamed otherwise.
    pub fn points(&self) -> Vec<(Option<&str>, f64)> {
        use rust_decimal::prelude::ToPrimitive;
        match self {
            MeasureValue::Count(n) => vec![(None, *n as f64)],
            MeasureValue::Number(n) => vec![(None, n.unwrap_or(0.0))],
            MeasureValue::Money(per) => per
                .iter()
                .map(|(c, a)| (Some(c.as_str()), a.to_f64().unwrap_or(0.0)))
                .collect(),
        }
    }
}

/// One group's row of a report.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportRow {
    /// The group, one key per group-by.
    pub keys: Vec<GroupKey>,
    /// The group's labels, one per group-by (`(empty)` for no value).
    pub groups: Vec<String>,
    /// One figure per measure.
    pub values: Vec<MeasureValue>,
}

/// A report's result.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportResult {
    /// The object's key.
    pub object: String,
    /// Column titles of the group-bys (`Stage`, `Close date (month)`).
    pub group_by: Vec<String>,
    /// Column titles of the measures (`Count`, `Sum of Amount`).
    pub measures: Vec<String>,
    /// Groups in their natural order.
    pub rows: Vec<ReportRow>,
    /// The measures over every matching record.
    pub totals: Vec<MeasureValue>,
    /// Records that matched the filter.
    pub records: u64,
}

impl ReportResult {
    /// The result as JSON (the shape docs/api.md describes).
    pub fn to_json(&self) -> serde_json::Value {
        let values = |v: &[MeasureValue]| v.iter().map(MeasureValue::to_json).collect::<Vec<_>>();
        serde_json::json!({
            "object": self.object,
            "group_by": self.group_by,
            "measures": self.measures,
            "rows": self.rows.iter().map(|r| serde_json::json!({
                "groups": r.groups,
                "values": values(&r.values),
            })).collect::<Vec<_>>(),
            "totals": values(&self.totals),
            "records": self.records,
        })
    }
}

/// Money figures of one currency.
#[derive(Debug, Clone, Copy)]
struct MoneyAcc {
    n: u64,
    sum: Decimal,
    min: Decimal,
    max: Decimal,
}

/// A measure being computed.
#[derive(Debug, Clone)]
enum Acc {
    Count(u64),
    Number { n: u64, sum: f64, min: f64, max: f64 },
    Money(BTreeMap<String, MoneyAcc>),
}

/// A measure resolved against the schema.
struct Measuring<'a> {
    measure: Measure,
    label: String,
    def: Option<&'a FieldDef>,
}

impl Measuring<'_> {
    fn empty(&self) -> Acc {
        match self.def {
            Some(d) if d.kind == FieldKind::Currency => Acc::Money(BTreeMap::new()),
            Some(_) => Acc::Number {
                n: 0,
                sum: 0.0,
                min: f64::INFINITY,
                max: f64::NEG_INFINITY,
            },
            None => Acc::Count(0),
        }
    }

    /// The row's value of the measured field (read once per row, added to the group's and
    /// the totals' figures).
    fn read(&self, row: &Row) -> Option<Value> {
        let def = self.def?;
        let stored = row.get(def.id).filter(|s| !s.is_empty())?;
        fast_money(def, stored).or_else(|| field_type::read(def, stored))
    }

    /// Adds one row's value. Fails only when an exact money sum would overflow.
    fn add(&self, acc: &mut Acc, value: Option<&Value>) -> Result<(), ReportError> {
        match (acc, value) {
            (Acc::Count(n), _) if self.def.is_none() => *n += 1,
            (Acc::Number { n, sum, min, max }, Some(Value::Number(x))) => {
                *n += 1;
                *sum += x;
                *min = min.min(*x);
                *max = max.max(*x);
            }
            (Acc::Money(per), Some(Value::Currency(m))) => {
                // Looked up by `&str` first: a new code is cloned once per group, not per row.
                if !per.contains_key(m.code.as_str()) {
                    per.insert(
                        m.code.clone(),
                        MoneyAcc {
                            n: 0,
                            sum: Decimal::ZERO,
                            min: m.amount,
                            max: m.amount,
                        },
                    );
                }
                let Some(a) = per.get_mut(m.code.as_str()) else {
                    return Ok(());
                };
                a.n += 1;
                a.sum = a.sum.checked_add(m.amount).ok_or_else(|| ReportError::TooLarge {
                    measure: self.label.clone(),
                    currency: m.code.clone(),
                })?;
                a.min = a.min.min(m.amount);
                a.max = a.max.max(m.amount);
            }
            _ => {}
        }
        Ok(())
    }

    fn finish(&self, acc: &Acc) -> MeasureValue {
        let kind = self.measure.kind;
        match acc {
            Acc::Count(n) => MeasureValue::Count(*n),
            Acc::Number { n, sum, min, max } => MeasureValue::Number(match kind {
                MeasureKind::Sum => Some(*sum),
                _ if *n == 0 => None,
                MeasureKind::Avg => Some(sum / *n as f64),
                MeasureKind::Min => Some(*min),
                MeasureKind::Max => Some(*max),
                MeasureKind::Count => Some(*n as f64),
            }),
            Acc::Money(per) => MeasureValue::Money(
                per.iter()
                    .map(|(code, a)| {
                        let figure = match kind {
                            MeasureKind::Sum => a.sum,
                            MeasureKind::Avg => money_average(a.sum, a.n, code),
                            MeasureKind::Min => a.min,
                            MeasureKind::Max => a.max,
                            MeasureKind::Count => Decimal::from(a.n),
                        };
                        (code.clone(), figure)
                    })
                    .collect(),
            ),
        }
    }
}

/// Amounts as this version stores them (`12.50 EUR`: canonical decimal, space, code) read
/// without the general parser (which accepts what people type); anything else: `None`,
/// and the caller reads it the general way.
fn fast_money(def: &FieldDef, stored: &Stored) -> Option<Value> {
    if def.kind != FieldKind::Currency {
        return None;
    }
    let Stored::Str(text) = stored else { return None };
    let (amount, code) = text.split_once(' ')?;
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
        return None;
    }
    let amount = Decimal::from_str_exact(amount).ok()?;
    Some(Value::Currency(Money {
        amount,
        code: code.to_string(),
    }))
}

/// Select values as this version stores them (option ids) read without matching labels
/// first; a date stored as `YYYY-MM-DD` read without the general date parser. `None`:
/// read it the general way.
fn fast_key_value(def: &FieldDef, stored: &Stored) -> Option<Value> {
    let Stored::Str(text) = stored else { return None };
    match def.kind {
        FieldKind::Select => {
            let id: OptionId = text.parse().ok()?;
            def.option(id).map(|o| Value::Option(o.id))
        }
        FieldKind::Date => super::bucket::parse_iso_date(text).map(Value::Date),
        _ => None,
    }
}

/// An average of exact amounts, rounded (half to even) to the currency's minor units.
pub(crate) fn money_average(sum: Decimal, n: u64, code: &str) -> Decimal {
    if n == 0 {
        return Decimal::ZERO;
    }
    (sum / Decimal::from(n)).round_dp(minor_units(code))
}

/// A group-by resolved against the schema.
struct Grouping<'a> {
    def: &'a FieldDef,
    bucket: DateBucket,
}

impl Grouping<'_> {
    /// The groups a row falls in: one, or one per element of a list field (a deal tagged
    /// two ways counts in both tags' groups), `Empty` when it has no value.
    fn keys(&self, ws: &Workspace, names: &mut HashMap<RecordId, String>, row: &Row) -> Vec<GroupKey> {
        let Some(stored) = row.get(self.def.id).filter(|s| !s.is_empty()) else {
            return vec![GroupKey::Empty];
        };
        let Some(value) = fast_key_value(self.def, stored).or_else(|| field_type::read(self.def, stored)) else {
            return vec![GroupKey::Other(stored.raw_text())];
        };
        let option = |id: OptionId| self.option_key(id);
        let keys: Vec<GroupKey> = match value {
            Value::Option(id) => vec![option(id)],
            Value::Options(ids) => ids.into_iter().map(option).collect(),
            Value::Bool(b) => vec![GroupKey::Bool(b)],
            Value::Date(d) => vec![GroupKey::Date(self.bucket.start(d))],
            Value::DateTime(ms) => vec![GroupKey::Date(self.bucket.start(date_of(ms)))],
            Value::Records(ids) => ids
                .into_iter()
                .map(|id| {
                    let name = names.entry(id).or_insert_with(|| ws.record_name(id)).clone();
                    GroupKey::Record(crate::text::fold(&name), id, name)
                })
                .collect(),
            other => vec![GroupKey::Other(field_type::display(self.def, &other))],
        };
        let mut keys = keys;
        if keys.len() > 1 {
            keys.sort();
            keys.dedup();
        }
        if keys.is_empty() {
            keys.push(GroupKey::Empty);
        }
        keys
    }

    /// The row's one group when reading it needs no allocation (a select option or a date
    /// stored the way this version stores them, or no value); `None`: use [`Self::keys`].
    fn single_key(&self, row: &Row) -> Option<GroupKey> {
        let Some(stored) = row.get(self.def.id).filter(|s| !s.is_empty()) else {
            return Some(GroupKey::Empty);
        };
        match fast_key_value(self.def, stored)? {
            Value::Option(id) => Some(self.option_key(id)),
            Value::Date(d) => Some(GroupKey::Date(self.bucket.start(d))),
            _ => None,
        }
    }

    fn option_key(&self, id: OptionId) -> GroupKey {
        let place = self.def.options.iter().position(|o| o.id == id).unwrap_or(usize::MAX);
        GroupKey::Option(place, id)
    }

    fn label(&self, key: &GroupKey) -> String {
        match key {
            GroupKey::Option(_, id) => self.def.option(*id).map_or_else(|| id.to_string(), |o| o.label.clone()),
            GroupKey::Bool(b) => if *b { "Yes" } else { "No" }.to_string(),
            GroupKey::Date(d) => self.bucket.label(*d),
            GroupKey::Record(_, _, name) => name.clone(),
            GroupKey::Other(s) => s.clone(),
            GroupKey::Empty => "(empty)".to_string(),
        }
    }

    fn title(&self, bucketed: bool) -> String {
        if bucketed {
            format!("{} ({})", self.def.label, self.bucket.as_str())
        } else {
            self.def.label.clone()
        }
    }
}

/// Every combination of one key per group-by (list fields put a row in several groups).
fn combinations(per_group: &[Vec<GroupKey>]) -> Vec<Vec<GroupKey>> {
    let mut out: Vec<Vec<GroupKey>> = vec![Vec::new()];
    for keys in per_group {
        out = out
            .into_iter()
            .flat_map(|prefix| {
                keys.iter().map(move |k| {
                    let mut v = prefix.clone();
                    v.push(k.clone());
                    v
                })
            })
            .collect();
    }
    out
}

/// Runs a report over the rows of its object.
pub(crate) fn run_report(ws: &Workspace, report: &ReportDef) -> Result<ReportResult> {
    let object: &ObjectDef = ws
        .schema()
        .object(report.object)
        .ok_or_else(|| crate::SchemaError::UnknownObject(report.object.to_string()))?;
    report.check(object)?;
    let filter = match report.filter.trim() {
        "" => None,
        text => Some(ws.parse_filter(object.id, text)?),
    };
    let groupings: Vec<Grouping<'_>> = report
        .group_by
        .iter()
        .filter_map(|g| {
            Some(Grouping {
                def: object.field(g.field)?,
                bucket: g.bucket.unwrap_or_default(),
            })
        })
        .collect();
    let measures: Vec<Measuring<'_>> = report
        .measures
        .iter()
        .map(|m| Measuring {
            measure: *m,
            label: m.label(object),
            def: m.field.and_then(|f| object.field(f)),
        })
        .collect();
    let empty = || measures.iter().map(Measuring::empty).collect::<Vec<_>>();
    let mut groups: BTreeMap<Vec<GroupKey>, Vec<Acc>> = BTreeMap::new();
    let mut totals = empty();
    let mut names = HashMap::new();
    let mut records = 0u64;
    let mut failed: Option<ReportError> = None;
    // Only the grouped and measured fields are decoded from each row.
    let mut read: Vec<crate::FieldId> = groupings
        .iter()
        .map(|g| g.def.id)
        .chain(measures.iter().filter_map(|m| m.def.map(|d| d.id)))
        .collect();
    read.sort();
    read.dedup();
    // Buffers reused from row to row.
    let mut values: Vec<Option<Value>> = Vec::with_capacity(measures.len());
    let mut key: Vec<GroupKey> = Vec::with_capacity(groupings.len());
    ws.for_each_match_reading(object.id, filter.as_ref(), Some(&read), |_, row| {
        if failed.is_some() {
            return;
        }
        records += 1;
        values.clear();
        values.extend(measures.iter().map(|m| m.read(row)));
        let mut add = |accs: &mut Vec<Acc>| {
            for ((m, acc), value) in measures.iter().zip(accs.iter_mut()).zip(&values) {
                if let Err(e) = m.add(acc, value.as_ref()) {
                    failed = Some(e);
                }
            }
        };
        add(&mut totals);
        // The usual case: one group per group-by; the key is built in the reused buffer and
        // only copied for a new group.
        key.clear();
        key.extend(groupings.iter().map_while(|g| g.single_key(row)));
        if key.len() == groupings.len() {
            match groups.get_mut(key.as_slice()) {
                Some(accs) => add(accs),
                None => add(groups.entry(key.clone()).or_insert_with(empty)),
            }
            return;
        }
        let per_group: Vec<Vec<GroupKey>> = groupings.iter().map(|g| g.keys(ws, &mut names, row)).collect();
        if per_group.iter().all(|keys| keys.len() == 1) {
            let keys: Vec<GroupKey> = per_group.into_iter().flatten().collect();
            add(groups.entry(keys).or_insert_with(empty));
        } else {
            for keys in combinations(&per_group) {
                add(groups.entry(keys).or_insert_with(empty));
            }
        }
    })?;
    if let Some(e) = failed {
        return Err(e.into());
    }
    let finish = |accs: &[Acc]| measures.iter().zip(accs).map(|(m, a)| m.finish(a)).collect();
    let rows = groups
        .iter()
        .map(|(keys, accs)| ReportRow {
            groups: groupings.iter().zip(keys).map(|(g, k)| g.label(k)).collect(),
            keys: keys.clone(),
            values: finish(accs),
        })
        .collect();
    Ok(ReportResult {
        object: object.key.clone(),
        group_by: groupings
            .iter()
            .zip(&report.group_by)
            .map(|(g, spec)| g.title(spec.bucket.is_some()))
            .collect(),
        measures: measures.iter().map(|m| m.label.clone()).collect(),
        rows,
        totals: finish(&totals),
        records,
    })
}
