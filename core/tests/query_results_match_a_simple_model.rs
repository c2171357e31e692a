//! Property test: on random records and random queries, `Workspace::query` (index plans,
//! walks, scans, cursor pagination) and `Workspace::count` agree with a plain in-memory
//! model that evaluates every filter and sort the obvious way.

use std::cmp::Ordering;

use kith_core::text::fold;
use kith_core::{
    CreateOptions, Decimal, FieldId, FieldKind, FieldSpec, Filter, Money, ObjectId, Op, OptionId, Query, RecordId,
    Sort, Value, Workspace,
};
use proptest::prelude::*;

const NAMES: [&str; 10] = [
    "Ana",
    "ána",
    "Bob",
    "bob smith",
    "Zoë",
    "zoe",
    "Émile",
    "emil",
    "Chloé Martin",
    "x",
];
const CODES: [&str; 2] = ["EUR", "USD"];

/// The fields of the test object, in the order `Fields` lists their ids.
#[derive(Clone, Copy, Debug, PartialEq)]
enum F {
    Name,
    Score,
    Level,
    Tags,
    When,
    Done,
    Price,
    Link,
}

const ALL: [F; 8] = [
    F::Name,
    F::Score,
    F::Level,
    F::Tags,
    F::When,
    F::Done,
    F::Price,
    F::Link,
];

struct Fixture {
    ws: Workspace,
    object: ObjectId,
    fields: Vec<FieldId>,
    /// Level options (ordered a < b < c) and tag options.
    levels: Vec<OptionId>,
    tags: Vec<OptionId>,
}

impl Fixture {
    fn new() -> Self {
        let mut ws = Workspace::in_memory(CreateOptions {
            user: "model".into(),
            standard_objects: false,
        })
        .unwrap();
        let object = ws.add_object("items", "Items").unwrap();
        let mut fields = Vec::new();
        for f in ALL {
            let spec = match f {
                F::Name => FieldSpec::new("name", "Name", FieldKind::Text),
                F::Score => FieldSpec::new("score", "Score", FieldKind::Number),
                F::Level => FieldSpec {
                    options: vec!["c".into(), "a".into(), "b".into()],
                    ..FieldSpec::new("level", "Level", FieldKind::Select)
                },
                F::Tags => FieldSpec {
                    options: vec!["red".into(), "green".into(), "blue".into()],
                    ..FieldSpec::new("tags", "Tags", FieldKind::MultiSelect)
                },
                F::When => FieldSpec::new("when", "When", FieldKind::Date),
                F::Done => FieldSpec::new("done", "Done", FieldKind::Boolean),
                F::Price => FieldSpec::new("price", "Price", FieldKind::Currency),
                F::Link => FieldSpec {
                    target: Some(object),
                    ..FieldSpec::new("link", "Link", FieldKind::Relation)
                },
            };
            fields.push(ws.add_field(object, spec).unwrap());
        }
        let obj = ws.schema().object(object).unwrap().clone();
        let levels = obj.field(fields[2]).unwrap().options.iter().map(|o| o.id).collect();
        let tags = obj.field(fields[3]).unwrap().options.iter().map(|o| o.id).collect();
        Fixture {
            ws,
            object,
            fields,
            levels,
            tags,
        }
    }
}

/// A value chosen by the generator, made concrete once option and record ids exist.
#[derive(Clone, Debug)]
enum Gen {
    Text(usize),
    Number(i32),
    Level(usize),
    Tags(Vec<usize>),
    Date(i32),
    Bool(bool),
    Price(i32, usize),
    Link(usize),
}

fn gen_value(f: F) -> BoxedStrategy<Option<Gen>> {
    let v: BoxedStrategy<Gen> = match f {
        F::Name => (0..NAMES.len()).prop_map(Gen::Text).boxed(),
        F::Score => (-5i32..5).prop_map(Gen::Number).boxed(),
        F::Level => (0usize..3).prop_map(Gen::Level).boxed(),
        F::Tags => proptest::collection::vec(0usize..3, 1..3).prop_map(Gen::Tags).boxed(),
        F::When => (0i32..6).prop_map(Gen::Date).boxed(),
        F::Done => any::<bool>().prop_map(Gen::Bool).boxed(),
        F::Price => (-3i32..4, 0usize..2).prop_map(|(a, c)| Gen::Price(a, c)).boxed(),
        F::Link => (0usize..8).prop_map(Gen::Link).boxed(),
    };
    prop_oneof![1 => Just(None), 3 => v.prop_map(Some)].boxed()
}

fn concrete(fx: &Fixture, ids: &[RecordId], g: &Gen) -> Value {
    match g {
        Gen::Text(i) => Value::Text(NAMES[*i].to_string()),
        Gen::Number(n) => Value::Number(*n as f64 / 2.0),
        Gen::Level(i) => Value::Option(fx.levels[*i]),
        Gen::Tags(t) => {
            let mut v: Vec<OptionId> = Vec::new();
            for i in t {
                if !v.contains(&fx.tags[*i]) {
                    v.push(fx.tags[*i]);
                }
            }
            Value::Options(v)
        }
        Gen::Date(d) => Value::Date(19_000 + d),
        Gen::Bool(b) => Value::Bool(*b),
        // Exact amounts written with different scales: 0.25, -0.50, 0.75, ...
        Gen::Price(a, c) => Value::Currency(Money {
            amount: Decimal::new(*a as i64 * 25, if a % 2 == 0 { 1 } else { 2 }),
            code: CODES[*c].to_string(),
        }),
        Gen::Link(i) => Value::Records(vec![ids[*i % ids.len()]]),
    }
}

/// The model's ordering of two values of one field (same kind).
fn model_cmp(fx: &Fixture, a: &Value, b: &Value) -> Ordering {
    let level_pos = |id: &OptionId| fx.levels.iter().position(|x| x == id).unwrap();
    let tag_pos = |id: &OptionId| fx.tags.iter().position(|x| x == id).unwrap();
    match (a, b) {
        (Value::Text(a), Value::Text(b)) => fold(a).cmp(&fold(b)),
        (Value::Number(a), Value::Number(b)) => a.partial_cmp(b).unwrap(),
        (Value::Option(a), Value::Option(b)) => level_pos(a).cmp(&level_pos(b)),
        (Value::Options(a), Value::Options(b)) => {
            let mut a: Vec<usize> = a.iter().map(tag_pos).collect();
            let mut b: Vec<usize> = b.iter().map(tag_pos).collect();
            a.sort();
            b.sort();
            a.cmp(&b)
        }
        (Value::Date(a), Value::Date(b)) => a.cmp(b),
        (Value::Bool(a), Value::Bool(b)) => a.cmp(b),
        // Amounts order by currency, then amount: never across currencies as one.
        (Value::Currency(a), Value::Currency(b)) => a.code.cmp(&b.code).then(a.amount.cmp(&b.amount)),
        (Value::Records(a), Value::Records(b)) => a.cmp(b),
        _ => panic!("mixed kinds"),
    }
}

/// The elements a condition is checked against (lists: each element).
fn elements(v: &Value) -> Vec<Value> {
    match v {
        Value::Options(ids) => ids.iter().map(|id| Value::Options(vec![*id])).collect(),
        other => vec![other.clone()],
    }
}

fn shown(fx: &Fixture, v: &Value) -> String {
    let obj = fx.ws.schema().object(fx.object).unwrap();
    let field = obj
        .fields
        .iter()
        .find(|f| kith_core::field_type::read(f, &kith_core::field_type::to_stored(f, v)).as_ref() == Some(v))
        .unwrap();
    fold(&kith_core::field_type::display(field, v))
}

fn model_matches(fx: &Fixture, row: &[Option<Value>], filter: &Filter) -> bool {
    match filter {
        Filter::All(p) => p.iter().all(|f| model_matches(fx, row, f)),
        Filter::Any(p) => p.iter().any(|f| model_matches(fx, row, f)),
        Filter::Not(f) => !model_matches(fx, row, f),
        Filter::Cond { field, op } => {
            let i = fx.fields.iter().position(|f| f == field).unwrap();
            let value = &row[i];
            let eq = |want: &Value| {
                value
                    .as_ref()
                    .is_some_and(|v| elements(v).iter().any(|e| model_cmp(fx, e, want) == Ordering::Equal))
            };
            // Ranges compare amounts within the filter's currency only.
            let comparable = |e: &Value, want: &Value| match (e, want) {
                (Value::Currency(a), Value::Currency(b)) => a.code == b.code,
                _ => true,
            };
            let cmp = |want: &Value, ok: fn(Ordering) -> bool| {
                value.as_ref().is_some_and(|v| {
                    elements(v)
                        .iter()
                        .any(|e| comparable(e, want) && ok(model_cmp(fx, e, want)))
                })
            };
            match op {
                Op::Eq(w) => eq(w),
                Op::Ne(w) => !eq(w),
                Op::Lt(w) => cmp(w, Ordering::is_lt),
                Op::Le(w) => cmp(w, Ordering::is_le),
                Op::Gt(w) => cmp(w, Ordering::is_gt),
                Op::Ge(w) => cmp(w, Ordering::is_ge),
                Op::Contains(s) => value.as_ref().is_some_and(|v| shown(fx, v).contains(&fold(s))),
                Op::StartsWith(s) => value.as_ref().is_some_and(|v| shown(fx, v).starts_with(&fold(s))),
                Op::IsEmpty => value.is_none(),
                Op::IsNotEmpty => value.is_some(),
                Op::AnyOf(ws) => ws.iter().any(eq),
                Op::RelatedTo(id) => eq(&Value::Records(vec![*id])),
            }
        }
    }
}

#[derive(Clone, Debug)]
enum GenOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Contains(String),
    StartsWith(String),
    IsEmpty,
    IsNotEmpty,
    AnyOf,
}

#[derive(Clone, Debug)]
enum GenFilter {
    Cond(usize, GenOp, Gen, Gen),
    All(Vec<GenFilter>),
    Any(Vec<GenFilter>),
    Not(Box<GenFilter>),
}

fn gen_cond() -> impl Strategy<Value = GenFilter> {
    (0usize..ALL.len()).prop_flat_map(|i| {
        let f = ALL[i];
        let scalar_ops = prop_oneof![
            Just(GenOp::Eq),
            Just(GenOp::Ne),
            Just(GenOp::Lt),
            Just(GenOp::Le),
            Just(GenOp::Gt),
            Just(GenOp::Ge),
            "[a-zé ]{0,3}".prop_map(GenOp::Contains),
            "[a-zé]{0,2}".prop_map(GenOp::StartsWith),
            Just(GenOp::IsEmpty),
            Just(GenOp::IsNotEmpty),
            Just(GenOp::AnyOf),
        ];
        let value = gen_value(f).prop_filter_map("needs a value", |v| v);
        (Just(i), scalar_ops, value.clone(), value).prop_map(|(i, op, a, b)| GenFilter::Cond(i, op, a, b))
    })
}

fn gen_filter() -> impl Strategy<Value = GenFilter> {
    gen_cond().prop_recursive(2, 6, 3, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 1..3).prop_map(GenFilter::All),
            proptest::collection::vec(inner.clone(), 1..3).prop_map(GenFilter::Any),
            inner.prop_map(|f| GenFilter::Not(Box::new(f))),
        ]
    })
}

fn make_filter(fx: &Fixture, ids: &[RecordId], g: &GenFilter) -> Filter {
    match g {
        GenFilter::All(p) => Filter::All(p.iter().map(|f| make_filter(fx, ids, f)).collect()),
        GenFilter::Any(p) => Filter::Any(p.iter().map(|f| make_filter(fx, ids, f)).collect()),
        GenFilter::Not(f) => Filter::Not(Box::new(make_filter(fx, ids, f))),
        GenFilter::Cond(i, op, a, b) => {
            let field = fx.fields[*i];
            let mut v = concrete(fx, ids, a);
            // A list value in a condition means its first element.
            if let Value::Options(o) = &v {
                v = Value::Options(vec![o[0]]);
            }
            let w = concrete(fx, ids, b);
            let w = match w {
                Value::Options(o) => Value::Options(vec![o[0]]),
                other => other,
            };
            let op = match op {
                GenOp::Eq => Op::Eq(v),
                GenOp::Ne => Op::Ne(v),
                GenOp::Lt => Op::Lt(v),
                GenOp::Le => Op::Le(v),
                GenOp::Gt => Op::Gt(v),
                GenOp::Ge => Op::Ge(v),
                GenOp::Contains(s) => Op::Contains(s.clone()),
                GenOp::StartsWith(s) => Op::StartsWith(s.clone()),
                GenOp::IsEmpty => Op::IsEmpty,
                GenOp::IsNotEmpty => Op::IsNotEmpty,
                GenOp::AnyOf => Op::AnyOf(vec![v, w]),
            };
            Filter::Cond { field, op }
        }
    }
}

/// Sorted order in the model: each key with empties first (ascending), reversed when
/// descending, then record id.
fn model_order(fx: &Fixture, rows: &[(RecordId, Vec<Option<Value>>)], sort: &[Sort]) -> Vec<RecordId> {
    let mut rows: Vec<&(RecordId, Vec<Option<Value>>)> = rows.iter().collect();
    rows.sort_by(|(ida, a), (idb, b)| {
        for s in sort {
            let i = fx.fields.iter().position(|f| *f == s.field).unwrap();
            let o = match (&a[i], &b[i]) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Less,
                (Some(_), None) => Ordering::Greater,
                (Some(x), Some(y)) => model_cmp(fx, x, y),
            };
            let o = if s.descending { o.reverse() } else { o };
            if o != Ordering::Equal {
                return o;
            }
        }
        ida.cmp(idb)
    });
    rows.into_iter().map(|(id, _)| *id).collect()
}

/// A query: filter, sort keys (field index, descending), page size.
type GenQuery = (Option<GenFilter>, Vec<(usize, bool)>, usize);

#[derive(Clone, Debug)]
struct Case {
    records: Vec<Vec<Option<Gen>>>,
    /// (record index, field index, new value)
    updates: Vec<(usize, usize, Option<Gen>)>,
    deletes: Vec<usize>,
    queries: Vec<GenQuery>,
}

fn gen_case() -> impl Strategy<Value = Case> {
    let record = ALL.iter().map(|f| gen_value(*f)).collect::<Vec<_>>();
    (
        proptest::collection::vec(record, 8..40),
        proptest::collection::vec(
            (
                0usize..40,
                0usize..ALL.len(),
                (0usize..ALL.len()).prop_flat_map(|i| gen_value(ALL[i]).prop_map(move |v| (i, v))),
            ),
            0..10,
        ),
        proptest::collection::vec(0usize..40, 0..4),
        proptest::collection::vec(
            (
                proptest::option::weighted(0.8, gen_filter()),
                proptest::collection::vec((0usize..ALL.len(), any::<bool>()), 0..3),
                1usize..7,
            ),
            1..6,
        ),
    )
        .prop_map(|(records, updates, deletes, queries)| Case {
            records,
            // An update writes a value generated for the field it targets.
            updates: updates.into_iter().map(|(r, _, (f, v))| (r, f, v)).collect(),
            deletes,
            queries,
        })
}

fn run_case(case: Case) -> Result<(), TestCaseError> {
    let mut fx = Fixture::new();
    let mut ids = Vec::new();
    let mut model: Vec<(RecordId, Vec<Option<Value>>)> = Vec::new();
    for (n, gens) in case.records.iter().enumerate() {
        // Links point at records created before this one (or at itself, via an update).
        let mut values = Vec::new();
        let mut row = Vec::new();
        for (i, g) in gens.iter().enumerate() {
            let v = match g {
                Some(Gen::Link(_)) if ids.is_empty() => None,
                Some(g) => Some(concrete(&fx, &ids, g)),
                None => None,
            };
            if let Some(v) = &v {
                values.push((fx.fields[i], v.clone()));
            }
            row.push(v);
        }
        let id = fx
            .ws
            .create_record(fx.object, values.into_iter().map(|(f, v)| (f, Some(v))).collect())
            .unwrap();
        ids.push(id);
        model.push((id, row));
        let _ = n;
    }
    for (r, f, g) in &case.updates {
        let r = r % ids.len();
        let v = g.as_ref().map(|g| concrete(&fx, &ids, g));
        fx.ws.update_record(ids[r], vec![(fx.fields[*f], v.clone())]).unwrap();
        model[r].1[*f] = v;
    }
    let mut deleted = Vec::new();
    for d in &case.deletes {
        let d = d % ids.len();
        if !deleted.contains(&d) {
            fx.ws.delete_record(ids[d]).unwrap();
            deleted.push(d);
        }
    }
    let live: Vec<(RecordId, Vec<Option<Value>>)> = model
        .iter()
        .enumerate()
        .filter(|(i, _)| !deleted.contains(i))
        .map(|(_, r)| r.clone())
        .collect();

    for (gf, gsort, limit) in &case.queries {
        let filter = gf.as_ref().map(|g| make_filter(&fx, &ids, g));
        let mut sort: Vec<Sort> = Vec::new();
        for (i, desc) in gsort {
            if !sort.iter().any(|s| s.field == fx.fields[*i]) {
                sort.push(Sort {
                    field: fx.fields[*i],
                    descending: *desc,
                });
            }
        }
        let matching: Vec<(RecordId, Vec<Option<Value>>)> = live
            .iter()
            .filter(|(_, row)| filter.as_ref().is_none_or(|f| model_matches(&fx, row, f)))
            .cloned()
            .collect();
        let expected = model_order(&fx, &matching, &sort);

        let mut got = Vec::new();
        let mut query = Query {
            object: fx.object,
            filter: filter.clone(),
            sort: sort.clone(),
            limit: *limit,
            after: None,
        };
        for _ in 0..200 {
            let page = fx.ws.query(&query).unwrap();
            prop_assert!(page.ids.len() <= *limit);
            got.extend(page.ids);
            match page.next {
                Some(next) => query.after = Some(next),
                None => break,
            }
        }
        prop_assert_eq!(&got, &expected, "filter {:?} sort {:?}", filter, sort);
        let count = fx.ws.count(fx.object, filter.as_ref()).unwrap();
        prop_assert_eq!(count as usize, expected.len());
    }
    let _ = &mut fx;
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn query_pages_and_counts_equal_the_models(case in gen_case()) {
        run_case(case)?;
    }
}
