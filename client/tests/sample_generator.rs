//! The sample-data generator: deterministic, unique emails, and every value it writes
//! parses for its field and passes the workspace's rules.

use std::collections::HashSet;

use kith::sample::{self, Company, DEAL_STAGES, Fields, PEOPLE_FIELDS, Sample, value_of};
use kith::{CsvImportOptions, import_csv};
use kith_core::{CreateOptions, RecordId, Workspace};

/// A small but complete sample: companies, people, deals, tasks and notes, with the
/// relations given as `kith demo` gives them (companies by name, the rest by id).
fn rows(seed: u64, ids: &mut dyn FnMut(&str, &Fields) -> String) -> Vec<(&'static str, Fields)> {
    let mut s = Sample::new(seed);
    let mut out = Vec::new();
    let mut companies: Vec<Company> = Vec::new();
    let mut people: Vec<(String, String)> = Vec::new();
    for _ in 0..12 {
        let (c, f) = s.company();
        ids("companies", &f);
        companies.push(c);
        out.push(("companies", f));
    }
    for i in 0..60 {
        let f = s.person(if i % 7 == 0 {
            None
        } else {
            Some(&companies[i % companies.len()])
        });
        let id = ids("people", &f);
        people.push((id, value_of(&f, "name").unwrap_or_default().to_string()));
        out.push(("people", f));
    }
    let mut deals = Vec::new();
    for i in 0..20 {
        let contacts = vec![people[i].0.clone(), people[i + 20].0.clone()];
        let f = s.deal(Some(&companies[i % companies.len()]), &contacts);
        let id = ids("deals", &f);
        deals.push((id, value_of(&f, "name").unwrap_or_default().to_string()));
        out.push(("deals", f));
    }
    for i in 0..20 {
        let (id, about) = if i % 2 == 0 { &deals[i] } else { &people[i] };
        let f = s.task(about, Some(id));
        ids("tasks", &f);
        out.push(("tasks", f));
    }
    for i in 0..10 {
        let f = s.note(&people[i].1, &[people[i].0.clone(), deals[i].0.clone()]);
        ids("notes", &f);
        out.push(("notes", f));
    }
    out
}

/// Record ids 1, 2, 3, ...
fn counter() -> impl FnMut(&str, &Fields) -> String {
    let mut n = 0u128;
    move |_, _| {
        n += 1;
        RecordId::from_bytes(n.to_be_bytes()).to_string()
    }
}

#[test]
fn the_same_seed_gives_the_same_rows() {
    // Fixed ids, so only the generator can make the rows differ.
    let a = rows(42, &mut counter());
    let b = rows(42, &mut counter());
    assert_eq!(a, b);
    let c = rows(43, &mut counter());
    assert_ne!(a, c);

    let mut csv_a = Vec::new();
    let mut csv_b = Vec::new();
    let companies: Vec<Company> = sample::companies(1, 5).into_iter().map(|(c, _)| c).collect();
    sample::write_people_csv(&mut csv_a, 9, 50, &companies).expect("csv");
    sample::write_people_csv(&mut csv_b, 9, 50, &companies).expect("csv");
    assert_eq!(csv_a, csv_b);
}

#[test]
fn emails_and_company_names_are_unique() {
    // Few companies and many people: names collide often, emails must not.
    let mut s = Sample::new(7);
    let companies: Vec<Company> = (0..3).map(|_| s.company().0).collect();
    let mut emails = HashSet::new();
    for i in 0..4_000 {
        let person = s.person(companies.get(i % 4));
        let email = value_of(&person, "email").expect("an email").to_string();
        assert!(email.is_ascii() && !email.contains(' '), "{email}");
        assert!(emails.insert(email.clone()), "duplicate email {email}");
    }
    let names: Vec<String> = sample::companies(3, 1_500).into_iter().map(|(c, _)| c.name).collect();
    let unique: HashSet<&String> = names.iter().collect();
    assert_eq!(unique.len(), names.len());
}

#[test]
fn every_generated_value_parses_and_the_records_are_valid() {
    let mut ws = Workspace::in_memory(CreateOptions::new("t")).expect("workspace");
    let mut created = 0;
    // Create each record as it is generated, so relations point at real records.
    let generated = rows(5, &mut |object: &str, fields: &Fields| {
        let obj = ws.object_named(object).expect("standard object").id;
        let values = ws
            .parse_values(obj, fields)
            .unwrap_or_else(|e| panic!("{object} row {fields:?} does not parse: {e}"));
        assert_eq!(values.len(), fields.len());
        let id = ws
            .create_record(obj, values)
            .unwrap_or_else(|e| panic!("{object} row {fields:?} is refused: {e}"));
        created += 1;
        id.to_string()
    });
    assert_eq!(created, generated.len());

    let stages: HashSet<&str> = generated
        .iter()
        .filter(|(o, _)| *o == "deals")
        .filter_map(|(_, f)| value_of(f, "stage"))
        .collect();
    assert_eq!(stages.len(), DEAL_STAGES.len(), "{stages:?}");
    let people = ws.object_named("people").expect("people").id;
    assert_eq!(ws.count_all(people).expect("count"), 60);
}

#[test]
fn the_people_csv_imports_without_a_bad_row() {
    let mut ws = Workspace::in_memory(CreateOptions::new("t")).expect("workspace");
    let companies = sample::companies(11, 8);
    let object = ws.object_named("companies").expect("companies").id;
    for (_, fields) in &companies {
        let values = ws.parse_values(object, fields).expect("company values");
        ws.create_record(object, values).expect("company");
    }
    let refs: Vec<Company> = companies.into_iter().map(|(c, _)| c).collect();
    let mut csv = Vec::new();
    sample::write_people_csv(&mut csv, 12, 300, &refs).expect("csv");
    let header = csv.split(|b| *b == b'\n').next().expect("a header");
    assert_eq!(String::from_utf8_lossy(header), PEOPLE_FIELDS.join(","));

    let options = CsvImportOptions {
        object: "people".into(),
        mappings: Vec::new(),
        strict: true,
        ..CsvImportOptions::default()
    };
    let report = import_csv(&mut ws, csv.as_slice(), &options, &mut |_, _| {}).expect("import");
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.imported, 300);

    // Most people work somewhere: the company names resolved to the companies.
    let people = ws.object_named("people").expect("people").id;
    let filter = ws.parse_filter(people, "company is not empty").expect("filter");
    let employed = ws.count(people, Some(&filter)).expect("count");
    assert!((200..300).contains(&employed), "{employed}");
}
