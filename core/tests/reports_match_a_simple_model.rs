//! Property test: on random deals and random report definitions, `Workspace::run_report`
//! (index candidates or a scan of `rows`, grouping, date buckets, exact money per
//! currency) gives the same groups, in the same order, with the same figures as a plain
//! model computed from the values the records were made with.

use std::collections::BTreeMap;

use kith_core::report::{DateBucket, GroupBy, Measure, MeasureKind, MeasureValue, ReportDef};
use kith_core::{CreateOptions, Decimal, FieldId, Money, OptionId, Value, Workspace};
use proptest::prelude::*;

const CODES: [&str; 3] = ["EUR", "USD", "JPY"];
const STAGES: [&str; 6] = ["Lead", "Qualified", "Proposal", "Negotiation", "Won", "Lost"];

/// One generated deal: stage (option index), amount (minor units, currency index), close
/// date (days since the epoch), probability.
#[derive(Debug, Clone)]
struct Deal {
    stage: Option<usize>,
    amount: Option<(i64, usize)>,
    close: Option<i32>,
    probability: Option<i32>,
}

fn deal() -> impl Strategy<Value = Deal> {
    (
        proptest::option::of(0usize..6),
        proptest::option::of((-5_000i64..2_000_000, 0usize..3)),
        // 2023-01-01 .. about 2025-09
        proptest::option::of(19_358i32..20_358),
        proptest::option::of(0i32..=100),
    )
        .prop_map(|(stage, amount, close, probability)| Deal {
            stage,
            amount,
            close,
            probability,
        })
}

fn money(minor: i64, code: usize) -> Money {
    let scale = if CODES[code] == "JPY" { 0 } else { 2 };
    Money {
        amount: Decimal::new(minor, scale),
        code: CODES[code].to_string(),
    }
}

struct Fields {
    stage: FieldId,
    amount: FieldId,
    close: FieldId,
    probability: FieldId,
    options: Vec<OptionId>,
}

fn workspace(deals: &[Deal]) -> (Workspace, kith_core::ObjectId, Fields) {
    let mut ws = Workspace::in_memory(CreateOptions::new("ada")).unwrap();
    let object = ws.object_named("deals").unwrap().clone();
    let field = |k: &str| object.find_field(k).unwrap().clone();
    let stage = field("stage");
    let fields = Fields {
        stage: stage.id,
        amount: field("amount").id,
        close: field("close_date").id,
        probability: field("probability").id,
        options: STAGES.iter().map(|s| stage.option_named(s).unwrap().id).collect(),
    };
    let name = field("name").id;
    for (i, d) in deals.iter().enumerate() {
        let mut values = vec![(name, Some(Value::Text(format!("deal {i}"))))];
        values.push((fields.stage, d.stage.map(|s| Value::Option(fields.options[s]))));
        values.push((fields.amount, d.amount.map(|(m, c)| Value::Currency(money(m, c)))));
        values.push((fields.close, d.close.map(Value::Date)));
        values.push((fields.probability, d.probability.map(|p| Value::Number(f64::from(p)))));
        ws.create_record(object.id, values).unwrap();
    }
    (ws, object.id, fields)
}

/// What the model groups by.
#[derive(Debug, Clone, Copy)]
enum By {
    Stage,
    Close(DateBucket),
}

/// A model group key: `None` (empty) sorts last.
type Key = (bool, i64);

fn key_of(by: By, d: &Deal) -> Key {
    match by {
        By::Stage => d.stage.map_or((true, 0), |s| (false, s as i64)),
        By::Close(b) => d.close.map_or((true, 0), |c| (false, i64::from(b.start(c)))),
    }
}

fn label_of(by: By, key: Key) -> String {
    match (by, key) {
        (_, (true, _)) => "(empty)".to_string(),
        (By::Stage, (false, s)) => STAGES[s as usize].to_string(),
        (By::Close(b), (false, start)) => b.label(start as i32),
    }
}

/// The model's figure of one measure over a group's deals.
fn figure(kind: MeasureKind, on: Option<&str>, deals: &[&Deal]) -> MeasureValue {
    match on {
        None => MeasureValue::Count(deals.len() as u64),
        Some("probability") => {
            let xs: Vec<f64> = deals.iter().filter_map(|d| d.probability.map(f64::from)).collect();
            let sum: f64 = xs.iter().sum();
            MeasureValue::Number(match kind {
                MeasureKind::Sum => Some(sum),
                _ if xs.is_empty() => None,
                MeasureKind::Avg => Some(sum / xs.len() as f64),
                MeasureKind::Min => xs.iter().copied().reduce(f64::min),
                MeasureKind::Max => xs.iter().copied().reduce(f64::max),
                MeasureKind::Count => Some(xs.len() as f64),
            })
        }
        Some(_) => {
            let mut per: BTreeMap<String, Vec<Decimal>> = BTreeMap::new();
            for d in deals {
                if let Some((m, c)) = d.amount {
                    let m = money(m, c);
                    per.entry(m.code).or_default().push(m.amount);
                }
            }
            MeasureValue::Money(
                per.into_iter()
                    .map(|(code, xs)| {
                        let sum: Decimal = xs.iter().copied().sum();
                        let v = match kind {
                            MeasureKind::Sum => sum,
                            MeasureKind::Avg => {
                                let places = if code == "JPY" { 0 } else { 2 };
                                (sum / Decimal::from(xs.len() as u64)).round_dp(places)
                            }
                            MeasureKind::Min => xs.iter().copied().min().unwrap(),
                            MeasureKind::Max => xs.iter().copied().max().unwrap(),
                            MeasureKind::Count => Decimal::from(xs.len() as u64),
                        };
                        (code, v)
                    })
                    .collect(),
            )
        }
    }
}

fn bucket() -> impl Strategy<Value = DateBucket> {
    prop::sample::select(DateBucket::ALL.to_vec())
}

fn group_bys() -> impl Strategy<Value = Vec<By>> {
    prop_oneof![
        Just(vec![]),
        Just(vec![By::Stage]),
        bucket().prop_map(|b| vec![By::Close(b)]),
        bucket().prop_map(|b| vec![By::Stage, By::Close(b)]),
        bucket().prop_map(|b| vec![By::Close(b), By::Stage]),
    ]
}

fn measures() -> impl Strategy<Value = Vec<(MeasureKind, Option<&'static str>)>> {
    let kinds = [MeasureKind::Sum, MeasureKind::Avg, MeasureKind::Min, MeasureKind::Max];
    prop::collection::vec(
        prop_oneof![
            Just((MeasureKind::Count, None)),
            (
                prop::sample::select(kinds.to_vec()),
                prop::sample::select(vec!["amount", "probability"])
            )
                .prop_map(|(k, f)| (k, Some(f))),
        ],
        1..4,
    )
}

/// Filters the model evaluates directly: none, "stage is Won", "stage is Lead or Won",
/// "probability at least 50" (a field the report may neither group nor measure: rows are
/// decoded with only the fields the report and its filter read).
fn passes(filter: usize, d: &Deal) -> bool {
    match filter {
        0 => true,
        1 => d.stage == Some(4),
        2 => d.stage == Some(0) || d.stage == Some(4),
        _ => d.probability.is_some_and(|p| p >= 50),
    }
}
const FILTERS: [&str; 4] = ["", "stage = won", "stage = lead or stage = won", "probability >= 50"];

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn report_figures_match_a_direct_computation(
        deals in prop::collection::vec(deal(), 0..40),
        by in group_bys(),
        measures in measures(),
        filter in 0usize..4,
    ) {
        let (ws, object, f) = workspace(&deals);
        let field = |name: &str| match name {
            "amount" => f.amount,
            _ => f.probability,
        };
        let def = ReportDef {
            object,
            filter: FILTERS[filter].to_string(),
            group_by: by
                .iter()
                .map(|b| match b {
                    By::Stage => GroupBy { field: f.stage, bucket: None },
                    By::Close(bucket) => GroupBy { field: f.close, bucket: Some(*bucket) },
                })
                .collect(),
            measures: measures.iter().map(|(k, on)| Measure { kind: *k, field: on.map(field) }).collect(),
            chart: Default::default(),
        };
        let result = ws.run_report(&def).unwrap();

        let kept: Vec<&Deal> = deals.iter().filter(|d| passes(filter, d)).collect();
        let mut groups: BTreeMap<Vec<Key>, Vec<&Deal>> = BTreeMap::new();
        for d in &kept {
            groups.entry(by.iter().map(|b| key_of(*b, d)).collect()).or_default().push(d);
        }
        let expected: Vec<(Vec<String>, Vec<MeasureValue>)> = groups
            .iter()
            .map(|(keys, ds)| {
                (
                    by.iter().zip(keys).map(|(b, k)| label_of(*b, *k)).collect(),
                    measures.iter().map(|(k, on)| figure(*k, *on, ds)).collect(),
                )
            })
            .collect();
        let actual: Vec<(Vec<String>, Vec<MeasureValue>)> =
            result.rows.iter().map(|r| (r.groups.clone(), r.values.clone())).collect();
        prop_assert_eq!(actual, expected);
        let totals: Vec<MeasureValue> = measures.iter().map(|(k, on)| figure(*k, *on, &kept)).collect();
        prop_assert_eq!(&result.totals, &totals);
        prop_assert_eq!(result.records, kept.len() as u64);
    }
}
