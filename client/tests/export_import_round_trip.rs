//! `kith export` then `kith import` into a fresh workspace gives the same records: the
//! same ids, the same values, and so the same export.

mod support;

use support::{Kith, path_str};

/// Fills a workspace with companies, people and deals that use most field types.
fn fill(kith: &Kith) {
    let acme = kith.ok(&[
        "record",
        "add",
        "companies",
        "name=Acme, Inc.",
        "domain=acme.example",
        "industry=Software",
        "employees=1200",
        "annual_revenue=12500000.5 EUR",
    ]);
    let acme = acme.trim();
    kith.ok(&["record", "add", "companies", "name=Globex", "industry=Retail"]);
    let ada = kith.ok(&[
        "record",
        "add",
        "people",
        "name=Ada \"Countess\" Lovelace",
        "email=ada@example.com",
        &format!("company={acme}"),
        "birthday=1815-12-10",
        "lead_source=Referral",
        "city=London\nMarylebone",
    ]);
    let bob = kith.ok(&[
        "record",
        "add",
        "people",
        "name=Bob",
        "phone=+44 20 1234 5678",
        "linkedin=linkedin.com/in/bob",
    ]);
    kith.ok(&[
        "record",
        "add",
        "deals",
        "name=Big deal",
        "amount=$1,250.75",
        "stage=Won",
        "close_date=2024-05-01",
        "probability=87.5%",
        &format!("company={acme}"),
        &format!("contacts={}; {}", ada.trim(), bob.trim()),
    ]);
    kith.ok(&["record", "add", "deals", "name=Small deal"]);
    kith.ok(&["field", "add", "people", "vip", "--type", "boolean"]);
    kith.ok(&["record", "update", bob.trim(), "vip=yes"]);
}

#[test]
fn exporting_csv_then_importing_it_into_a_fresh_workspace_gives_the_same_export() {
    let source = Kith::init();
    fill(&source);
    let copy = Kith::init();
    copy.ok(&["field", "add", "people", "vip", "--type", "boolean"]);
    // Related records first: deals point at companies and people.
    for object in ["companies", "people", "deals"] {
        let file = source.file(&format!("{object}.csv"));
        source.ok(&[
            "export",
            "--object",
            object,
            "--format",
            "csv",
            "--output",
            path_str(&file),
        ]);
        let out = copy.ok(&["import", path_str(&file), "--object", object, "--strict"]);
        assert!(out.contains("skipped") && out.contains(" 0 skipped"), "{out}");
    }
    for object in ["companies", "people", "deals"] {
        let before = source.ok(&["export", "--object", object]);
        let after = copy.ok(&["export", "--object", object]);
        assert_eq!(before, after, "{object}");
        assert!(before.lines().count() >= 3, "{before}");
        let json_before = source.ok(&["export", "--object", object, "--format", "json"]);
        let json_after = copy.ok(&["export", "--object", object, "--format", "json"]);
        assert_eq!(content(&json_before), content(&json_after));
        assert_eq!(
            content(&source.json(&["record", "list", object])["records"].to_string()),
            content(&copy.json(&["record", "list", object])["records"].to_string())
        );
    }
}

/// What a JSON list of records holds, without when and by whom they were made.
fn content(json: &str) -> Vec<(serde_json::Value, serde_json::Value)> {
    let records: serde_json::Value = serde_json::from_str(json).expect("valid JSON");
    records
        .as_array()
        .expect("an array of records")
        .iter()
        .map(|r| (r["id"].clone(), r["fields"].clone()))
        .collect()
}

#[test]
fn a_json_export_is_an_array_of_records_with_typed_values() {
    let kith = Kith::init();
    fill(&kith);
    let text = kith.ok(&["export", "--object", "deals", "--format", "json"]);
    let deals: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    let big = &deals[0];
    assert_eq!(big["name"], "Big deal");
    assert_eq!(big["object"], "deals");
    let fields = &big["fields"];
    assert_eq!(
        fields["amount"],
        serde_json::json!({"amount": "1250.75", "currency": "USD"})
    );
    assert_eq!(fields["stage"], "Won");
    assert_eq!(fields["probability"], 87.5);
    // Relations as id and name.
    let contacts = fields["contacts"].as_array().expect("contacts");
    assert_eq!(contacts.len(), 2);
    assert!(
        contacts.iter().all(|c| c["id"].is_string() && c["name"].is_string()),
        "{contacts:?}"
    );
    assert_eq!(deals[1]["fields"]["amount"], serde_json::Value::Null);
}

#[test]
fn an_empty_object_exports_a_header_or_an_empty_array() {
    let kith = Kith::init();
    assert_eq!(
        kith.ok(&["export", "--object", "tasks"]),
        "id,title,due,done,assignee,priority,related\n"
    );
    assert_eq!(kith.ok(&["export", "--object", "tasks", "--format", "json"]), "[]\n");
}
