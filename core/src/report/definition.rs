//! What a report is, and how it is kept in a `report` document's `content` map:
//!
//! ```text
//! object:   "<object id>"
//! filter:   "stage = won and amount >= 1000"     (the filter language; "" for none)
//! group_by: "<field id> <field id>:month"       (one or two, space-separated)
//! measures: "count sum:<field id> avg:<field id>"
//! chart:    "bar" | "stacked" | "line" | "pie" | "table"
//! ```
//!
//! Fields are named by id, so renaming a field or an option keeps reports working.
//! Stability: these keys and their text are what every replica reads.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use super::DateBucket;
use crate::error::ReportError;
use crate::schema::{FieldKind, ObjectDef};
use crate::{FieldId, ObjectId};

/// Content keys of a report document.
pub(crate) const OBJECT: &str = "object";
pub(crate) const FILTER: &str = "filter";
pub(crate) const GROUP_BY: &str = "group_by";
pub(crate) const MEASURES: &str = "measures";
pub(crate) const CHART: &str = "chart";

/// One group-by: a field, and for date fields how dates are bucketed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupBy {
    pub field: FieldId,
    /// Date and datetime fields only; `None` buckets them by day.
    pub bucket: Option<DateBucket>,
}

/// What a measure computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MeasureKind {
    Count,
    Sum,
    Avg,
    Min,
    Max,
}

impl MeasureKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MeasureKind::Count => "count",
            MeasureKind::Sum => "sum",
            MeasureKind::Avg => "avg",
            MeasureKind::Min => "min",
            MeasureKind::Max => "max",
        }
    }

    fn title(self) -> &'static str {
        match self {
            MeasureKind::Count => "Count",
            MeasureKind::Sum => "Sum",
            MeasureKind::Avg => "Average",
            MeasureKind::Min => "Minimum",
            MeasureKind::Max => "Maximum",
        }
    }
}

impl FromStr for MeasureKind {
    type Err = ReportError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "count" => MeasureKind::Count,
            "sum" => MeasureKind::Sum,
            "avg" | "average" => MeasureKind::Avg,
            "min" => MeasureKind::Min,
            "max" => MeasureKind::Max,
            _ => return Err(ReportError::UnknownMeasure(s.to_string())),
        })
    }
}

/// One measure: a count of records, or an aggregate of a number or currency field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Measure {
    pub kind: MeasureKind,
    /// `None` for `Count`.
    pub field: Option<FieldId>,
}

impl Measure {
    pub const COUNT: Measure = Measure {
        kind: MeasureKind::Count,
        field: None,
    };

    /// "Count", "Sum of Amount".
    pub fn label(&self, object: &ObjectDef) -> String {
        match self.field {
            None => self.kind.title().to_string(),
            Some(f) => format!("{} of {}", self.kind.title(), field_label(object, f)),
        }
    }

    /// "count", "sum:amount": the form the CLI takes.
    pub fn spec(&self, object: &ObjectDef) -> String {
        match self.field {
            None => self.kind.as_str().to_string(),
            Some(f) => format!("{}:{}", self.kind.as_str(), field_key(object, f)),
        }
    }
}

/// How a report is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChartKind {
    /// No chart, the table only.
    Table,
    #[default]
    Bar,
    /// Bars split by the second group-by.
    Stacked,
    /// For date buckets: one line per series.
    Line,
    /// Shares of the first measure.
    Pie,
}

impl ChartKind {
    pub const ALL: [ChartKind; 5] = [
        ChartKind::Bar,
        ChartKind::Stacked,
        ChartKind::Line,
        ChartKind::Pie,
        ChartKind::Table,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChartKind::Table => "table",
            ChartKind::Bar => "bar",
            ChartKind::Stacked => "stacked",
            ChartKind::Line => "line",
            ChartKind::Pie => "pie",
        }
    }
}

impl fmt::Display for ChartKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ChartKind {
    type Err = ReportError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "table" | "none" => ChartKind::Table,
            "bar" => ChartKind::Bar,
            "stacked" | "stacked-bar" | "stacked_bar" => ChartKind::Stacked,
            "line" => ChartKind::Line,
            "pie" => ChartKind::Pie,
            _ => return Err(ReportError::UnknownChart(s.to_string())),
        })
    }
}

/// A report: what to count or add up, over which records, grouped how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportDef {
    pub object: ObjectId,
    /// In the filter language (`kith record list --filter`); empty: every record.
    pub filter: String,
    /// One or two (zero: one group of every record).
    pub group_by: Vec<GroupBy>,
    /// At least one; an empty list reads as a count.
    pub measures: Vec<Measure>,
    pub chart: ChartKind,
}

impl ReportDef {
    /// A count of every record of `object`, as a bar chart.
    pub fn new(object: ObjectId) -> Self {
        ReportDef {
            object,
            filter: String::new(),
            group_by: Vec::new(),
            measures: vec![Measure::COUNT],
            chart: ChartKind::Bar,
        }
    }

    /// The document content that holds this definition.
    pub(crate) fn to_content(&self) -> Vec<(&'static str, String)> {
        let group_by = self
            .group_by
            .iter()
            .map(|g| match g.bucket {
                Some(b) => format!("{}:{}", g.field, b.as_str()),
                None => g.field.to_string(),
            })
            .collect::<Vec<_>>()
            .join(" ");
        let measures = self
            .measures
            .iter()
            .map(|m| match m.field {
                Some(f) => format!("{}:{}", m.kind.as_str(), f),
                None => m.kind.as_str().to_string(),
            })
            .collect::<Vec<_>>()
            .join(" ");
        vec![
            (OBJECT, self.object.to_string()),
            (FILTER, self.filter.clone()),
            (GROUP_BY, group_by),
            (MEASURES, measures),
            (CHART, self.chart.as_str().to_string()),
        ]
    }

    /// Reads a definition from a report document's content.
    pub(crate) fn from_content(content: &BTreeMap<String, String>) -> Result<Self, ReportError> {
        let get = |k: &str| content.get(k).map(String::as_str).unwrap_or_default();
        let bad = |what: &str| ReportError::Unreadable(what.to_string());
        let object = get(OBJECT).parse().map_err(|_| bad("its object"))?;
        let mut group_by = Vec::new();
        for part in get(GROUP_BY).split_whitespace() {
            let (field, bucket) = match part.split_once(':') {
                Some((f, b)) => (f, Some(b.parse::<DateBucket>()?)),
                None => (part, None),
            };
            group_by.push(GroupBy {
                field: field.parse().map_err(|_| bad("a group-by field"))?,
                bucket,
            });
        }
        let mut measures = Vec::new();
        for part in get(MEASURES).split_whitespace() {
            let (kind, field) = match part.split_once(':') {
                Some((k, f)) => (k, Some(f.parse().map_err(|_| bad("a measure's field"))?)),
                None => (part, None),
            };
            measures.push(Measure {
                kind: kind.parse()?,
                field,
            });
        }
        if measures.is_empty() {
            measures.push(Measure::COUNT);
        }
        let chart = match get(CHART) {
            "" => ChartKind::default(),
            c => c.parse()?,
        };
        Ok(ReportDef {
            object,
            filter: get(FILTER).to_string(),
            group_by,
            measures,
            chart,
        })
    }

    /// Checks the definition against the object's fields: one or two group-bys of
    /// fields that group, measures of number or currency fields.
    pub(crate) fn check(&self, object: &ObjectDef) -> Result<(), ReportError> {
        if self.group_by.len() > 2 {
            return Err(ReportError::TooManyGroups(self.group_by.len()));
        }
        for g in &self.group_by {
            let def = object.field(g.field).ok_or_else(|| bad_field(object, g.field))?;
            let is_date = matches!(def.kind, FieldKind::Date | FieldKind::Datetime);
            if let Some(bucket) = g.bucket
                && !is_date
            {
                return Err(ReportError::BucketNeedsDate {
                    field: def.key.clone(),
                    kind: def.kind.as_str(),
                    bucket: bucket.as_str().to_string(),
                });
            }
            if !groups(def.kind) {
                return Err(ReportError::CannotGroupBy {
                    object: object.key.clone(),
                    field: def.key.clone(),
                    kind: def.kind.as_str(),
                });
            }
        }
        for m in &self.measures {
            match (m.kind, m.field) {
                (MeasureKind::Count, _) => {}
                (kind, None) => return Err(ReportError::UnknownMeasure(kind.as_str().to_string())),
                (kind, Some(f)) => {
                    let def = object.field(f).ok_or_else(|| bad_field(object, f))?;
                    if !measurable(def.kind) {
                        return Err(ReportError::NotNumeric {
                            field: def.key.clone(),
                            kind: def.kind.as_str(),
                            measure: kind.as_str().to_string(),
                        });
                    }
                }
            }
        }
        Ok(())
    }

    /// "stage, close_date:month": the group-bys as the CLI takes them.
    pub fn group_by_spec(&self, object: &ObjectDef) -> Vec<String> {
        self.group_by
            .iter()
            .map(|g| match g.bucket {
                Some(b) => format!("{}:{}", field_key(object, g.field), b.as_str()),
                None => field_key(object, g.field),
            })
            .collect()
    }
}

fn bad_field(object: &ObjectDef, field: FieldId) -> ReportError {
    ReportError::Unreadable(format!("{} has no field {field}", object.key))
}

/// Whether a field of this kind can be a group-by.
pub(crate) fn groups(kind: FieldKind) -> bool {
    matches!(
        kind,
        FieldKind::Select
            | FieldKind::MultiSelect
            | FieldKind::Relation
            | FieldKind::Boolean
            | FieldKind::Date
            | FieldKind::Datetime
    )
}

/// Whether sum / avg / min / max apply to a field of this kind.
pub(crate) fn measurable(kind: FieldKind) -> bool {
    matches!(
        kind,
        FieldKind::Number | FieldKind::Currency | FieldKind::Percent | FieldKind::Rating
    )
}

/// A field's key, or its id when the object no longer has it.
pub(crate) fn field_key(object: &ObjectDef, field: FieldId) -> String {
    object.field(field).map_or_else(|| field.to_string(), |f| f.key.clone())
}

fn field_label(object: &ObjectDef, field: FieldId) -> String {
    object
        .field(field)
        .map_or_else(|| field.to_string(), |f| f.label.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_definition_reads_back_from_its_content() {
        let def = ReportDef {
            object: ObjectId::new(),
            filter: "stage = won".into(),
            group_by: vec![
                GroupBy {
                    field: FieldId::new(),
                    bucket: None,
                },
                GroupBy {
                    field: FieldId::new(),
                    bucket: Some(DateBucket::Quarter),
                },
            ],
            measures: vec![
                Measure::COUNT,
                Measure {
                    kind: MeasureKind::Avg,
                    field: Some(FieldId::new()),
                },
            ],
            chart: ChartKind::Stacked,
        };
        let content: BTreeMap<String, String> = def.to_content().into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        assert_eq!(ReportDef::from_content(&content).unwrap(), def);
    }

    #[test]
    fn unreadable_content_is_an_error_not_a_panic() {
        let content: BTreeMap<String, String> = [("object".to_string(), "nope".to_string())].into();
        assert!(matches!(
            ReportDef::from_content(&content),
            Err(ReportError::Unreadable(_))
        ));
    }
}
