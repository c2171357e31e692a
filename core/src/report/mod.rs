//! Reports: records of one object, filtered, grouped by one or two fields (a select, a
//! relation, a boolean, or a date bucketed by day / week / month / quarter / year), with
//! measures (count; sum / avg / min / max of number and currency fields) per group.
//!
//! * `definition`: what a report is ([`ReportDef`]) and how it sits in a `report`
//!   configuration document's `content` map (one text value per property, so each edit
//!   and each revert touches only what it changed).
//! * `bucket`: date buckets.
//! * `run`: the engine. It reads `rows` (through the query engine's plans: index
//!   candidates when the filter selects few records, else one pass over the object's
//!   rows), decodes each row once and groups into a `BTreeMap`. Never loads documents.
//! * `output`: the result as CSV; `chart`: the result as an SVG chart.
//!
//! Money is exact: sums, averages, minimums and maximums of a currency field are kept per
//! currency, and a group with amounts in two currencies shows two figures, never a mix.

mod bucket;
mod chart;
mod definition;
mod output;
mod run;
mod saved;

pub use bucket::DateBucket;
pub use chart::render_svg;
pub use definition::{ChartKind, GroupBy, Measure, MeasureKind, ReportDef};
pub use run::{GroupKey, MeasureValue, ReportResult, ReportRow};
pub use saved::{Dashboard, Report, ReportSpec};

pub(crate) use run::run_report;
