//! `reindex` rebuilds rows and indexes from the documents alone; what it builds equals
//! what every incremental write maintained.

use kith_core::{ComputedSpec, CreateOptions, FieldKind, ImportOptions, ImportRow, Workspace};

fn inputs(values: &[(&str, &str)]) -> Vec<(String, String)> {
    values.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[test]
fn a_reindex_after_many_kinds_of_writes_changes_no_derived_entry() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = Workspace::create(dir.path(), CreateOptions::new("tester")).unwrap();
    let companies = ws.object_named("companies").unwrap().id;
    let people = ws.object_named("people").unwrap().id;
    let deals = ws.object_named("deals").unwrap().id;

    let acme = ws
        .parse_values(
            companies,
            &inputs(&[
                ("name", "Acme"),
                ("industry", "Retail"),
                ("annual_revenue", "2500000 EUR"),
            ]),
        )
        .unwrap();
    let acme = ws.create_record(companies, acme).unwrap();
    // Computed fields, maintained by every write below and rebuilt by the reindex: a
    // rollup from each side of a relation, with a filter, and a lookup.
    for (object, key, spec) in [
        (companies, "people_count", ComputedSpec::Rollup("people count".into())),
        (
            companies,
            "won_amount",
            ComputedSpec::Rollup("deals.amount sum where stage = Won".into()),
        ),
        (
            companies,
            "average_amount",
            ComputedSpec::Rollup("deals.amount avg".into()),
        ),
        (deals, "sector", ComputedSpec::Lookup("company.industry".into())),
        (deals, "contact_count", ComputedSpec::Rollup("contacts count".into())),
    ] {
        ws.add_computed_field(object, key, key, &spec).unwrap();
    }
    // Validation rules, their breaks kept in `rule_breaks`: one reading a rollup (Acme
    // breaks it once the people below are imported), one looking through a relation.
    ws.add_rule(companies, "people_count < 10", "Too many people", &[])
        .unwrap();
    ws.add_rule(
        deals,
        "company.name != \"Acme\" or stage = \"Won\"",
        "Acme deals are won",
        &[],
    )
    .unwrap();
    let rows: Vec<ImportRow> = (0..50)
        .map(|i| ImportRow {
            id: None,
            values: ws
                .parse_values(
                    people,
                    &inputs(&[
                        ("name", &format!("Person {i}")),
                        ("email", &format!("p{i}@acme.test")),
                        ("company", "Acme"),
                        ("city", "Zürich"),
                    ]),
                )
                .unwrap(),
        })
        .collect();
    let report = ws
        .import_records(people, rows, &ImportOptions::default(), &mut |_| {})
        .unwrap();
    assert_eq!(report.created.len(), 50);
    let deal = ws
        .parse_values(
            deals,
            &inputs(&[
                ("name", "Renewal"),
                ("stage", "Won"),
                ("company", &acme.to_string()),
                ("contacts", &format!("{}; {}", report.created[0], report.created[1])),
            ]),
        )
        .unwrap();
    let deal = ws.create_record(deals, deal).unwrap();
    // Many edits of one record: its chunks get folded into a snapshot on the way.
    let amount = ws.field_named(deals, "amount").unwrap().id;
    for i in 0..40 {
        let v = ws
            .parse_values(deals, &inputs(&[("amount", &format!("{i}000 USD"))]))
            .unwrap();
        ws.update_record(deal, v).unwrap();
    }
    ws.delete_record(report.created[3]).unwrap();
    ws.delete_record(report.created[4]).unwrap();
    ws.restore_record(report.created[4]).unwrap();
    let city = ws.field_named(people, "city").unwrap().id;
    ws.retype_field(people, city, FieldKind::Select, None).unwrap();
    let employees = ws.field_named(companies, "employees").unwrap().id;
    ws.retype_field(companies, employees, FieldKind::Text, None).unwrap();
    let _ = amount;

    let incremental = ws.dump_derived().unwrap();
    assert!(incremental.iter().any(|(table, _, _)| *table == "rule_breaks"));
    assert_eq!(ws.rule_breaks(None).unwrap().len(), 1);
    // The states sums and averages keep are derived too (two rollups of one company).
    let states = incremental.iter().filter(|(t, _, _)| *t == "rollup_states").count();
    assert_eq!(states, 2);
    let count = ws.reindex().unwrap();
    assert_eq!(count, 52);
    let rebuilt = ws.dump_derived().unwrap();
    assert_eq!(incremental.len(), rebuilt.len());
    for (a, b) in incremental.iter().zip(&rebuilt) {
        assert_eq!(a, b);
    }

    // And again from a reopened file, where every document comes from disk.
    drop(ws);
    let mut ws = Workspace::open(dir.path()).unwrap();
    ws.reindex().unwrap();
    assert_eq!(ws.dump_derived().unwrap(), incremental);
    assert_eq!(
        ws.record(deal)
            .unwrap()
            .cells
            .iter()
            .find(|c| c.key == "amount")
            .unwrap()
            .display,
        "39000.00 USD"
    );
    let shown = |record, key: &str| {
        let view = ws.record(record).unwrap();
        view.cells.iter().find(|c| c.key == key).unwrap().display.clone()
    };
    assert_eq!(shown(acme, "people_count"), "49");
    assert_eq!(shown(acme, "won_amount"), "39000.00 USD");
    assert_eq!(shown(deal, "sector"), "Retail");
    assert_eq!(shown(deal, "contact_count"), "2");
}
