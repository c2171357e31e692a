//! Computed values are derived on every replica, never synced: a rollup follows a related
//! record edited on another device, a definition edited on one device and a record
//! edited on another (both offline) end with the right values on both, and a device
//! joining in bulk computes them too.

use kith_core::sync::protocol::Role;
use kith_core::{ComputedSpec, ObjectId, RecordId, Workspace};
use kith_tests::Harness;

fn create(ws: &mut Workspace, object: ObjectId, values: &[(&str, &str)]) -> RecordId {
    let inputs: Vec<(String, String)> = values.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let v = ws.parse_values(object, &inputs).unwrap();
    ws.create_record(object, v).unwrap()
}

fn set(ws: &mut Workspace, id: RecordId, field: &str, value: &str) {
    let object = ws.record(id).unwrap().object;
    let v = ws
        .parse_values(object, &[(field.to_string(), value.to_string())])
        .unwrap();
    ws.update_record(id, v).unwrap();
}

fn shown(ws: &Workspace, id: RecordId, key: &str) -> String {
    let view = ws.record(id).unwrap();
    view.cells.into_iter().find(|c| c.key == key).unwrap().display
}

#[test]
fn a_rollup_follows_a_related_record_changed_on_another_device() {
    let mut h = Harness::new(11);
    let a = h.add_founder("ana");
    let companies = h.ws(a).object_named("companies").unwrap().id;
    let deals = h.ws(a).object_named("deals").unwrap().id;
    let acme = create(h.ws(a), companies, &[("name", "Acme")]);
    let deal = create(
        h.ws(a),
        deals,
        &[
            ("name", "Renewal"),
            ("amount", "100 USD"),
            ("company", &acme.to_string()),
        ],
    );
    h.ws(a)
        .add_computed_field(
            companies,
            "total",
            "Total",
            &ComputedSpec::Rollup("deals.amount sum".into()),
        )
        .unwrap();
    h.local_change(a);
    let b = h.add_joiner("bo", Role::Member);
    h.run_until_quiescent();
    assert_eq!(shown(h.ws(b), acme, "total"), "100.00 USD");

    set(h.ws(b), deal, "amount", "250.50 USD");
    create(
        h.ws(b),
        deals,
        &[
            ("name", "Upsell"),
            ("amount", "0.25 USD"),
            ("company", &acme.to_string()),
        ],
    );
    h.local_change(b);
    h.run_until_quiescent();
    h.assert_converged();
    for peer in [a, b] {
        assert_eq!(shown(h.ws(peer), acme, "total"), "250.75 USD");
    }
}

#[test]
fn a_definition_edited_on_one_device_and_a_record_on_another_converge_to_the_right_value() {
    let mut h = Harness::new(12);
    let a = h.add_founder("ana");
    let companies = h.ws(a).object_named("companies").unwrap().id;
    let deals = h.ws(a).object_named("deals").unwrap().id;
    let acme = create(h.ws(a), companies, &[("name", "Acme")]);
    let won = create(
        h.ws(a),
        deals,
        &[
            ("name", "A"),
            ("amount", "10 USD"),
            ("stage", "Won"),
            ("company", &acme.to_string()),
        ],
    );
    create(
        h.ws(a),
        deals,
        &[
            ("name", "B"),
            ("amount", "5 USD"),
            ("stage", "Lead"),
            ("company", &acme.to_string()),
        ],
    );
    let total = h
        .ws(a)
        .add_computed_field(
            companies,
            "total",
            "Total",
            &ComputedSpec::Rollup("deals.amount sum".into()),
        )
        .unwrap();
    h.local_change(a);
    let b = h.add_joiner("bo", Role::Member);
    h.run_until_quiescent();
    assert_eq!(shown(h.ws(b), acme, "total"), "15.00 USD");

    h.go_offline(&[a, b]);
    h.ws(a)
        .edit_computed_field(
            companies,
            total,
            &ComputedSpec::Rollup("deals.amount sum where stage = Won".into()),
        )
        .unwrap();
    assert_eq!(shown(h.ws(a), acme, "total"), "10.00 USD");
    set(h.ws(b), won, "amount", "40 USD");
    assert_eq!(shown(h.ws(b), acme, "total"), "45.00 USD");
    h.reconnect_and_settle(&[a, b]);
    h.assert_converged();
    for peer in [a, b] {
        assert_eq!(shown(h.ws(peer), acme, "total"), "40.00 USD");
    }
}

#[test]
fn a_device_joining_in_bulk_computes_lookups_and_rollups() {
    let mut h = Harness::new(13);
    let a = h.add_founder("ana");
    let companies = h.ws(a).object_named("companies").unwrap().id;
    let deals = h.ws(a).object_named("deals").unwrap().id;
    h.ws(a)
        .add_computed_field(
            companies,
            "deal_count",
            "Deals",
            &ComputedSpec::Rollup("deals count".into()),
        )
        .unwrap();
    h.ws(a)
        .add_computed_field(
            deals,
            "sector",
            "Sector",
            &ComputedSpec::Lookup("company.industry".into()),
        )
        .unwrap();
    // Many records, read by the joining device on worker threads without each other:
    // rows are only complete once the batch is in.
    let mut first_deal = None;
    for i in 0..300 {
        let id = create(h.ws(a), deals, &[("name", &format!("Deal {i}"))]);
        first_deal.get_or_insert(id);
    }
    let acme = create(h.ws(a), companies, &[("name", "Acme"), ("industry", "Retail")]);
    let deal_ids: Vec<RecordId> = {
        let q = kith_core::Query {
            limit: 1000,
            ..kith_core::Query::new(deals)
        };
        h.ws(a).query(&q).unwrap().ids
    };
    for id in &deal_ids {
        set(h.ws(a), *id, "company", &acme.to_string());
    }
    assert_eq!(shown(h.ws(a), acme, "deal_count"), "300");
    h.local_change(a);
    let b = h.add_joiner("bo", Role::Member);
    h.run_until_quiescent();
    h.assert_converged();
    assert_eq!(shown(h.ws(b), acme, "deal_count"), "300");
    assert_eq!(shown(h.ws(b), first_deal.unwrap(), "sector"), "Retail");
}

#[test]
fn a_formula_edited_on_one_device_and_a_record_on_another_converge_to_the_right_value() {
    let mut h = Harness::new(14);
    let a = h.add_founder("ana");
    let deals = h.ws(a).object_named("deals").unwrap().id;
    let deal = create(h.ws(a), deals, &[("name", "A"), ("amount", "10 USD")]);
    let fee = h
        .ws(a)
        .add_computed_field(deals, "fee", "Fee", &ComputedSpec::Formula("amount * 0.1".into()))
        .unwrap();
    h.local_change(a);
    let b = h.add_joiner("bo", Role::Member);
    h.run_until_quiescent();
    assert_eq!(shown(h.ws(b), deal, "fee"), "1.00 USD");

    h.go_offline(&[a, b]);
    h.ws(a)
        .edit_computed_field(deals, fee, &ComputedSpec::Formula("amount * 0.2".into()))
        .unwrap();
    set(h.ws(b), deal, "amount", "50 USD");
    h.reconnect_and_settle(&[a, b]);
    h.assert_converged();
    for peer in [a, b] {
        assert_eq!(shown(h.ws(peer), deal, "fee"), "10.00 USD");
    }
}
