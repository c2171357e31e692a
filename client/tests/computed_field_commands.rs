//! `kith field add --lookup/--rollup/--formula`, `kith field edit` and how `field list`
//! shows computed fields.

mod support;

use support::{Kith, assert_one_line_error};

#[test]
fn lookups_and_rollups_are_added_listed_edited_and_shown_on_records() {
    let kith = Kith::init();
    let acme = kith.ok(&["record", "add", "companies", "name=Acme", "industry=Retail"]);
    let acme = acme.trim();
    kith.ok(&[
        "record",
        "add",
        "deals",
        "name=A",
        "amount=10 USD",
        "stage=Won",
        "company=Acme",
    ]);
    kith.ok(&[
        "record",
        "add",
        "deals",
        "name=B",
        "amount=5 USD",
        "stage=Lost",
        "company=Acme",
    ]);
    kith.ok(&["field", "add", "deals", "sector", "--lookup", "company.industry"]);
    kith.ok(&[
        "field",
        "add",
        "companies",
        "open_amount",
        "--rollup",
        "deals.amount sum where stage != Lost",
    ]);
    let list = kith.ok(&["field", "list", "companies"]);
    assert!(list.contains("rollup → currency"), "{list}");
    assert!(
        list.contains("= deals/company.amount sum where stage != Lost"),
        "{list}"
    );
    let shown = kith.ok(&["record", "get", acme]);
    assert!(shown.contains("10.00 USD"), "{shown}");

    kith.ok(&[
        "field",
        "edit",
        "companies",
        "open_amount",
        "--rollup",
        "deals.amount sum",
    ]);
    let shown = kith.ok(&["record", "get", acme]);
    assert!(shown.contains("15.00 USD"), "{shown}");

    let err = kith.fails(&["record", "update", acme, "open_amount=3 USD"]);
    assert_one_line_error(&err);
    assert!(err.contains("cannot be written"), "{err}");
    let err = kith.fails(&["field", "add", "companies", "bad", "--rollup", "deals.nothing sum"]);
    assert!(err.contains("deals has no field named 'nothing'"), "{err}");
}
