//! Numbers are read in the workspace's number format (a synced setting, `kith settings`),
//! refused with the accepted forms when their separators do not fit it; amounts are exact,
//! never compared or added across currencies, and shown as exact text in JSON.

mod support;

use serde_json::json;
use support::Kith;

#[test]
fn numbers_with_separators_that_do_not_group_are_refused_with_the_accepted_forms() {
    let kith = Kith::init();
    for (field, input) in [
        ("employees", "1,5"),
        ("employees", "12,34,5"),
        ("employees", "1.234,56"),
    ] {
        let err = kith.fails(&["record", "add", "companies", "name=N2", &format!("{field}={input}")]);
        assert!(err.contains(input) && err.contains("1,234.56"), "{err}");
    }
    let err = kith.fails(&["record", "add", "deals", "name=D", "amount=1.234,56 EUR"]);
    assert!(err.contains("1.234,56 EUR") && err.contains("1,234.56"), "{err}");
    assert_eq!(kith.ok(&["record", "list", "companies", "--count"]).trim(), "0");

    let id = kith.ok(&["record", "add", "companies", "name=N3", "employees=1,500"]);
    let record = kith.json(&["record", "get", id.trim()]);
    assert_eq!(record["fields"]["employees"], 1500.0);
}

#[test]
fn a_decimal_comma_workspace_reads_numbers_amounts_percents_and_filters_its_way() {
    let kith = Kith::init();
    let shown = kith.ok(&["settings", "set", "number-format", "1.234,56"]);
    assert!(shown.contains("1.234,56"), "{shown}");
    assert_eq!(kith.json(&["settings", "show"])["decimal_separator"], ",");

    let company = kith.ok(&["record", "add", "companies", "name=N2", "employees=1,5"]);
    let company = kith.json(&["record", "get", company.trim()]);
    assert_eq!(company["fields"]["employees"], 1.5);
    let deal = kith.ok(&[
        "record",
        "add",
        "deals",
        "name=D",
        "amount=1.234,56 EUR",
        "probability=12,5%",
    ]);
    let deal = kith.json(&["record", "get", deal.trim()]);
    assert_eq!(
        deal["fields"]["amount"],
        json!({"amount": "1234.56", "currency": "EUR"})
    );
    assert_eq!(deal["fields"]["probability"], 12.5);
    let err = kith.fails(&["record", "add", "deals", "name=E", "amount=1.5 EUR"]);
    assert!(err.contains("1.234,56"), "{err}");

    // A comma separates `in` values in filters: a decimal comma is quoted.
    let found = kith.json(&["record", "list", "deals", "--filter", "amount > '1.000,5 EUR'"]);
    assert_eq!(found["records"].as_array().map(Vec::len), Some(1));
    assert!(
        kith.fails(&["record", "list", "deals", "--filter", "amount > 1.5"])
            .contains("1.234,56")
    );
}

#[test]
fn an_import_can_say_its_file_uses_a_decimal_comma() {
    let kith = Kith::init();
    let file = kith.write(
        "deals.csv",
        "name,amount\nBig,\"1.234,56 EUR\"\nSmall,\"0,10 EUR\"\n".as_bytes(),
    );
    let path = support::path_str(&file);
    let refused = kith.json(&["import", path, "--object", "deals"]);
    assert_eq!(refused["imported"], 0, "{refused}");
    let report = kith.json(&["import", path, "--object", "deals", "--decimal-comma"]);
    assert_eq!(report["imported"], 2, "{report}");
    let total = kith.json(&["total", "deals", "amount"]);
    assert_eq!(total["totals"], json!([{"amount": "1234.66", "currency": "EUR"}]));
}

#[test]
fn amounts_sort_within_their_currency_and_total_per_currency() {
    let kith = Kith::init();
    for (name, amount) in [
        ("Tokyo", "19188500 JPY"),
        ("Berlin", "247000 EUR"),
        ("Paris", "1000.10 EUR"),
        ("Osaka", "500 JPY"),
    ] {
        kith.ok(&[
            "record",
            "add",
            "deals",
            &format!("name={name}"),
            &format!("amount={amount}"),
        ]);
    }
    let sorted = kith.json(&["record", "list", "deals", "--sort", "amount"]);
    let names: Vec<&str> = sorted["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    // By currency code, then amount: yen are never ranked against euros.
    assert_eq!(names, ["Paris", "Berlin", "Osaka", "Tokyo"]);
    let eur = kith.json(&["record", "list", "deals", "--filter", "amount > 100000 EUR", "--count"]);
    assert_eq!(eur["count"], 1);

    let text = kith.ok(&["total", "deals", "amount"]);
    assert_eq!(text, "248000.10 EUR\n19189000 JPY\n");
    let won = kith.ok(&["total", "deals", "amount", "--filter", "name = Berlin"]);
    assert_eq!(won, "247000.00 EUR\n");
}
