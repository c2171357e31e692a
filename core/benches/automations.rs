//! The cost automations and a rollup add to a record write, on a workspace of generated
//! people spread over 100 companies (1,000 each at 100,000 people).
//!
//! `cargo bench -p kith-core --bench automations [-- --records N]`
//!
//! Prints one line per measurement; `docs/performance.md` records the numbers.

use std::time::{Duration, Instant};

use kith_core::automation::{Action, AutomationDef, Trigger};
use kith_core::{ComputedSpec, CreateOptions, ImportOptions, ImportRow, Workspace};

const COMPANIES: usize = 100;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

fn person(ws: &Workspace, i: usize) -> Vec<kith_core::FieldChange> {
    let people = ws.object_named("people").expect("people").id;
    let inputs: Vec<(String, String)> = vec![
        ("name".into(), format!("Person {i} Example")),
        ("email".into(), format!("person{i}@example.com")),
        ("city".into(), ["Oslo", "Lyon", "Porto"][i % 3].into()),
        ("company".into(), format!("Company {}", i % COMPANIES)),
    ];
    ws.parse_values(people, &inputs).expect("values")
}

/// Median time of `n` record creations.
fn creates(ws: &mut Workspace, from: usize, n: usize) -> Duration {
    let people = ws.object_named("people").expect("people").id;
    let samples = (from..from + n)
        .map(|i| {
            let values = person(ws, i);
            let start = Instant::now();
            ws.create_record(people, values).expect("create");
            start.elapsed()
        })
        .collect();
    median(samples)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let records: usize = args
        .iter()
        .position(|a| a == "--records")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut ws = Workspace::create(dir.path(), CreateOptions::new("bench")).expect("workspace");
    let people = ws.object_named("people").expect("people").id;
    let companies = ws.object_named("companies").expect("companies").id;
    for c in 0..COMPANIES {
        let values = ws
            .parse_values(companies, &[("name".into(), format!("Company {c}"))])
            .expect("company");
        ws.create_record(companies, values).expect("company");
    }
    let rows: Vec<ImportRow> = (0..records)
        .map(|i| ImportRow {
            id: None,
            values: person(&ws, i),
        })
        .collect();
    let started = Instant::now();
    ws.import_records(people, rows, &ImportOptions::default(), &mut |_| {})
        .expect("import");
    println!("imported {records} people in {:.1} s", started.elapsed().as_secs_f64());

    let n = 301;
    let plain = creates(&mut ws, records, n);
    println!(
        "create a person, no automations, no rollup (median of {n}): {}",
        ms(plain)
    );

    // Every create now also updates its company's count of people.
    ws.add_computed_field(
        companies,
        "people_count",
        "People",
        &ComputedSpec::Rollup("people/company count".into()),
    )
    .expect("rollup");

    ws.create_automation(
        "Tag new people",
        &AutomationDef {
            object: "people".into(),
            trigger: Trigger::Created,
            condition: Some("city = Oslo or city = Lyon or city = Porto".into()),
            actions: vec![Action::Set(
                [("job_title".to_string(), "New contact".to_string())].into(),
            )],
        },
    )
    .expect("automation");
    ws.create_automation(
        "Welcome task",
        &AutomationDef {
            object: "people".into(),
            trigger: Trigger::Created,
            condition: None,
            actions: vec![Action::CreateTask {
                title: "Welcome {name}".into(),
                due_in_days: Some(3),
                object: None,
            }],
        },
    )
    .expect("automation");
    let with = creates(&mut ws, records + n, n);
    println!(
        "create a person that triggers two automations and updates a rollup (median of {n}): {}",
        ms(with)
    );
    println!(
        "automations and the rollup add: {} (target <= 5 ms)",
        ms(with.saturating_sub(plain))
    );
    let runs = ws.automation_runs(None, usize::MAX).expect("runs").len();
    assert_eq!(runs, 2 * n, "every create ran both");
    let first = ws.records_named(companies, "Company 0", 1).expect("company")[0];
    let field = ws
        .object_named("companies")
        .expect("companies")
        .fields
        .iter()
        .find(|f| f.key == "people_count")
        .expect("rollup field")
        .id;
    let counted = ws.row(first).expect("row").get(field).map(|v| v.raw_text());
    let expected = (records + 2 * n).div_ceil(COMPANIES);
    assert_eq!(counted, Some(expected.to_string()), "the rollup counts every person");
}
