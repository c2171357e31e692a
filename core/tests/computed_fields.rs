//! Lookup and rollup fields: computed on write into rows, recomputed when what they read
//! changes, read-only, filterable, sortable and searchable like stored fields.

use kith_core::{ComputedSpec, CreateOptions, ObjectId, Query, RecordId, Workspace};

fn inputs(values: &[(&str, &str)]) -> Vec<(String, String)> {
    values.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

struct Crm {
    ws: Workspace,
    companies: ObjectId,
    deals: ObjectId,
    people: ObjectId,
}

fn crm() -> Crm {
    let ws = Workspace::in_memory(CreateOptions::new("tester")).unwrap();
    let companies = ws.object_named("companies").unwrap().id;
    let deals = ws.object_named("deals").unwrap().id;
    let people = ws.object_named("people").unwrap().id;
    Crm {
        ws,
        companies,
        deals,
        people,
    }
}

impl Crm {
    fn create(&mut self, object: ObjectId, values: &[(&str, &str)]) -> RecordId {
        let v = self.ws.parse_values(object, &inputs(values)).unwrap();
        self.ws.create_record(object, v).unwrap()
    }

    fn update(&mut self, record: RecordId, values: &[(&str, &str)]) {
        let object = self.ws.record(record).unwrap().object;
        let v = self.ws.parse_values(object, &inputs(values)).unwrap();
        self.ws.update_record(record, v).unwrap();
    }

    fn shown(&self, record: RecordId, key: &str) -> String {
        let view = self.ws.record(record).unwrap();
        view.cells.iter().find(|c| c.key == key).unwrap().display.clone()
    }

    fn add(&mut self, object: ObjectId, key: &str, spec: ComputedSpec) {
        self.ws.add_computed_field(object, key, key, &spec).unwrap();
    }

    fn ids(&self, object: ObjectId, filter: &str, sort: &str) -> Vec<RecordId> {
        let mut q = Query::new(object);
        if !filter.is_empty() {
            q.filter = Some(self.ws.parse_filter(object, filter).unwrap());
        }
        if !sort.is_empty() {
            q.sort = self.ws.parse_sort(object, sort).unwrap();
        }
        self.ws.query(&q).unwrap().ids
    }
}

#[test]
fn a_lookup_shows_the_related_records_field_and_follows_its_changes() {
    let mut c = crm();
    let acme = c.create(c.companies, &[("name", "Acme"), ("industry", "Retail")]);
    let deal = c.create(c.deals, &[("name", "Renewal"), ("company", &acme.to_string())]);
    c.add(c.deals, "industry", ComputedSpec::Lookup("company.industry".into()));
    assert_eq!(c.shown(deal, "industry"), "Retail");

    c.update(acme, &[("industry", "Finance")]);
    assert_eq!(c.shown(deal, "industry"), "Finance");

    let globex = c.create(c.companies, &[("name", "Globex"), ("industry", "Software")]);
    c.update(deal, &[("company", &globex.to_string())]);
    assert_eq!(c.shown(deal, "industry"), "Software");
}

#[test]
fn a_rollup_over_records_pointing_here_sums_money_exactly_and_applies_its_filter() {
    let mut c = crm();
    let acme = c.create(c.companies, &[("name", "Acme")]);
    c.add(
        c.companies,
        "open_amount",
        ComputedSpec::Rollup("deals.amount sum where stage != Lost".into()),
    );
    assert_eq!(c.shown(acme, "open_amount"), "0.00 USD");
    let a = acme.to_string();
    c.create(
        c.deals,
        &[("name", "A"), ("amount", "0.10 USD"), ("stage", "Won"), ("company", &a)],
    );
    let b = c.create(
        c.deals,
        &[
            ("name", "B"),
            ("amount", "0.20 USD"),
            ("stage", "Lead"),
            ("company", &a),
        ],
    );
    c.create(
        c.deals,
        &[
            ("name", "C"),
            ("amount", "1000 USD"),
            ("stage", "Lost"),
            ("company", &a),
        ],
    );
    // 0.1 + 0.2 is 0.30 exactly, not 0.30000000000000004; the lost deal is left out.
    assert_eq!(c.shown(acme, "open_amount"), "0.30 USD");

    c.update(b, &[("stage", "Lost")]);
    assert_eq!(c.shown(acme, "open_amount"), "0.10 USD");
    // A deal moved to another company leaves this one's total.
    let globex = c.create(c.companies, &[("name", "Globex")]);
    c.update(b, &[("stage", "Won"), ("company", &globex.to_string())]);
    assert_eq!(c.shown(acme, "open_amount"), "0.10 USD");
    assert_eq!(c.shown(globex, "open_amount"), "0.20 USD");
    // A deleted deal counts no more; restored, it counts again.
    c.ws.delete_record(b).unwrap();
    assert_eq!(c.shown(globex, "open_amount"), "0.00 USD");
    c.ws.restore_record(b).unwrap();
    assert_eq!(c.shown(globex, "open_amount"), "0.20 USD");
}

#[test]
fn a_rollup_over_a_relation_field_of_the_record_counts_and_finds_extremes() {
    let mut c = crm();
    let ann = c.create(c.people, &[("name", "Ann"), ("birthday", "1990-05-01")]);
    let bob = c.create(c.people, &[("name", "Bob"), ("birthday", "1985-01-20")]);
    let deal = c.create(c.deals, &[("name", "Renewal"), ("contacts", &format!("{ann}; {bob}"))]);
    c.add(c.deals, "contact_count", ComputedSpec::Rollup("contacts count".into()));
    c.add(c.deals, "oldest", ComputedSpec::Rollup("contacts.birthday min".into()));
    c.add(
        c.deals,
        "young_contacts",
        ComputedSpec::Rollup("contacts count where birthday > 1986-01-01".into()),
    );
    assert_eq!(c.shown(deal, "contact_count"), "2");
    assert_eq!(c.shown(deal, "oldest"), "1985-01-20");
    assert_eq!(c.shown(deal, "young_contacts"), "1");

    c.update(bob, &[("birthday", "1999-12-31")]);
    assert_eq!(c.shown(deal, "oldest"), "1990-05-01");
    assert_eq!(c.shown(deal, "young_contacts"), "2");
}

#[test]
fn computed_values_filter_sort_and_search_like_stored_ones() {
    let mut c = crm();
    c.add(c.companies, "deal_count", ComputedSpec::Rollup("deals count".into()));
    let acme = c.create(c.companies, &[("name", "Acme"), ("industry", "Healthcare")]);
    let globex = c.create(c.companies, &[("name", "Globex"), ("industry", "Logistics")]);
    let initech = c.create(c.companies, &[("name", "Initech")]);
    for (company, n) in [(acme, 1), (globex, 3)] {
        for i in 0..n {
            c.create(
                c.deals,
                &[("name", &format!("Deal {i}")), ("company", &company.to_string())],
            );
        }
    }
    c.add(c.deals, "sector", ComputedSpec::Lookup("company.industry".into()));

    assert_eq!(c.ids(c.companies, "deal_count >= 1", "-deal_count"), vec![globex, acme]);
    assert_eq!(c.ids(c.companies, "deal_count = 0", ""), vec![initech]);
    assert_eq!(c.ids(c.companies, "", "deal_count"), vec![initech, acme, globex]);
    assert_eq!(c.ids(c.deals, "sector = Logistics", "").len(), 3);

    let hits = c.ws.search("logistics", Some(c.deals), 10).unwrap();
    assert_eq!(hits.len(), 3, "a lookup's text is searchable: {hits:?}");
}

#[test]
fn computed_fields_cannot_be_written() {
    let mut c = crm();
    let acme = c.create(c.companies, &[("name", "Acme")]);
    c.add(c.companies, "deal_count", ComputedSpec::Rollup("deals count".into()));
    let values = c.ws.parse_values(c.companies, &inputs(&[("deal_count", "5")])).unwrap();
    let err = c.ws.update_record(acme, values).unwrap_err().to_string();
    assert!(err.contains("cannot be written"), "{err}");
    let err = c.ws.update_record(
        acme,
        vec![(c.ws.field_named(c.companies, "deal_count").unwrap().id, None)],
    );
    assert!(err.is_err());
    assert_eq!(c.shown(acme, "deal_count"), "0");
}

#[test]
fn a_definition_that_reads_itself_in_a_circle_is_refused_naming_the_cycle() {
    let mut c = crm();
    c.add(c.companies, "total", ComputedSpec::Rollup("deals.amount sum".into()));
    c.add(c.deals, "company_total", ComputedSpec::Lookup("company.total".into()));
    let total = c.ws.field_named(c.companies, "total").unwrap().id;
    let err =
        c.ws.edit_computed_field(
            c.companies,
            total,
            &ComputedSpec::Rollup("deals.company_total sum".into()),
        )
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("companies.total -> deals.company_total -> companies.total")
            || err.contains("deals.company_total -> companies.total -> deals.company_total"),
        "{err}"
    );
}

#[test]
fn editing_a_rollup_recomputes_every_record_of_its_object() {
    let mut c = crm();
    let acme = c.create(c.companies, &[("name", "Acme")]);
    let a = acme.to_string();
    c.create(c.deals, &[("name", "A"), ("amount", "10 EUR"), ("company", &a)]);
    c.create(c.deals, &[("name", "B"), ("amount", "30 EUR"), ("company", &a)]);
    c.add(
        c.companies,
        "deal_amount",
        ComputedSpec::Rollup("deals.amount sum".into()),
    );
    assert_eq!(c.shown(acme, "deal_amount"), "40.00 EUR");
    let field = c.ws.field_named(c.companies, "deal_amount").unwrap().id;
    c.ws.edit_computed_field(c.companies, field, &ComputedSpec::Rollup("deals.amount max".into()))
        .unwrap();
    assert_eq!(c.shown(acme, "deal_amount"), "30.00 EUR");
    assert_eq!(
        c.ws.computed_source(c.companies, field).unwrap(),
        "deals/company.amount max"
    );
}

#[test]
fn a_formula_field_is_computed_filtered_sorted_searched_and_follows_what_it_reads() {
    let mut c = crm();
    let acme = c.create(c.companies, &[("name", "Acme"), ("industry", "Retail")]);
    let a = acme.to_string();
    let small = c.create(c.deals, &[("name", "Small"), ("amount", "0.10 EUR"), ("company", &a)]);
    let big = c.create(c.deals, &[("name", "Big"), ("amount", "0.20 EUR"), ("company", &a)]);
    c.add(c.deals, "double", ComputedSpec::Formula("amount * 3".into()));
    c.add(
        c.deals,
        "label",
        ComputedSpec::Formula("upper(name) & \" / \" & company.industry".into()),
    );
    // Exact money: 0.10 * 3 is 0.30, not 0.30000000000000004.
    assert_eq!(c.shown(small, "double"), "0.30 EUR");
    assert_eq!(c.shown(big, "label"), "BIG / Retail");

    assert_eq!(c.ids(c.deals, "double > 0.5 EUR", ""), vec![big]);
    assert_eq!(c.ids(c.deals, "", "-double"), vec![big, small]);
    assert_eq!(c.ws.search("retail", Some(c.deals), 10).unwrap().len(), 2);

    c.update(small, &[("amount", "1 EUR")]);
    assert_eq!(c.shown(small, "double"), "3.00 EUR");
    c.update(acme, &[("industry", "Finance")]);
    assert_eq!(c.shown(big, "label"), "BIG / Finance");

    let double = c.ws.field_named(c.deals, "double").unwrap().id;
    c.ws.edit_computed_field(c.deals, double, &ComputedSpec::Formula("amount * 2".into()))
        .unwrap();
    assert_eq!(c.shown(small, "double"), "2.00 EUR");
    assert_eq!(c.ws.computed_source(c.deals, double).unwrap(), "amount * 2");
}

#[test]
fn formulas_that_read_each_other_in_a_circle_are_refused_and_errors_have_a_position() {
    let mut c = crm();
    c.add(c.deals, "a", ComputedSpec::Formula("probability + 1".into()));
    c.add(c.deals, "b", ComputedSpec::Formula("a + 1".into()));
    let a = c.ws.field_named(c.deals, "a").unwrap().id;
    let err =
        c.ws.edit_computed_field(c.deals, a, &ComputedSpec::Formula("b + 1".into()))
            .unwrap_err()
            .to_string();
    assert!(
        err.contains("deals.a -> deals.b -> deals.a") || err.contains("deals.b -> deals.a -> deals.b"),
        "{err}"
    );
    let err =
        c.ws.add_computed_field(c.deals, "bad", "Bad", &ComputedSpec::Formula("amount * ".into()))
            .unwrap_err()
            .to_string();
    assert!(err.contains("line 1, column"), "{err}");
}

static NOW: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);

fn fake_now() -> i64 {
    NOW.load(std::sync::atomic::Ordering::SeqCst)
}

#[test]
fn formulas_reading_today_are_recomputed_when_the_date_changes() {
    let mut c = crm();
    NOW.store(
        kith_core::time_fmt::midnight_of(kith_core::time_fmt::parse_date("2024-03-10").unwrap()),
        std::sync::atomic::Ordering::SeqCst,
    );
    c.ws.set_clock(fake_now);
    let deal = c.create(c.deals, &[("name", "A"), ("close_date", "2024-03-15")]);
    c.add(
        c.deals,
        "days_left",
        ComputedSpec::Formula("close_date - today()".into()),
    );
    assert_eq!(c.shown(deal, "days_left"), "5");
    c.ws.refresh_today_formulas().unwrap();
    assert_eq!(c.shown(deal, "days_left"), "5");
    NOW.store(
        kith_core::time_fmt::midnight_of(kith_core::time_fmt::parse_date("2024-03-12").unwrap()),
        std::sync::atomic::Ordering::SeqCst,
    );
    assert!(c.ws.refresh_today_formulas().unwrap());
    assert_eq!(c.shown(deal, "days_left"), "3");
    assert!(!c.ws.refresh_today_formulas().unwrap(), "nothing to do on the same day");
}
