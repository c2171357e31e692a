//! `kith report` and `kith dashboard`: define, run (table, JSON, CSV, SVG), edit, show
//! the changes, revert one, remove; bad definitions get one clear sentence.

mod support;

use support::{Kith, assert_one_line_error};

fn with_deals() -> Kith {
    let kith = Kith::init();
    for (name, stage, amount, date) in [
        ("A", "Won", "100 EUR", "2024-01-15"),
        ("B", "Won", "50 USD", "2024-01-20"),
        ("C", "Lead", "10 EUR", "2024-02-01"),
        ("D", "Won", "30 EUR", "2024-02-03"),
        ("E", "", "", ""),
    ] {
        let mut args = vec!["record", "add", "deals"];
        let sets = [
            format!("name={name}"),
            format!("stage={stage}"),
            format!("amount={amount}"),
            format!("close_date={date}"),
        ];
        args.extend(sets.iter().map(String::as_str));
        kith.ok(&args);
    }
    kith
}

#[test]
fn a_report_runs_as_a_table_json_csv_and_svg() {
    let kith = with_deals();
    kith.ok(&[
        "report",
        "add",
        "Won by month",
        "--object",
        "deals",
        "--group-by",
        "stage",
        "--group-by",
        "close_date:month",
        "--measure",
        "count",
        "--measure",
        "sum:amount",
    ]);
    let json = kith.json(&["report", "run", "won by month"]);
    assert_eq!(json["group_by"], serde_json::json!(["Stage", "Close date (month)"]));
    assert_eq!(json["measures"], serde_json::json!(["Count", "Sum of Amount"]));
    let rows = json["rows"].as_array().unwrap();
    let groups: Vec<String> = rows.iter().map(|r| r["groups"].to_string()).collect();
    assert_eq!(
        groups,
        [
            r#"["Lead","2024-02"]"#,
            r#"["Won","2024-01"]"#,
            r#"["Won","2024-02"]"#,
            r#"["(empty)","(empty)"]"#
        ]
    );
    // Two currencies in one group: two figures, never one mixed sum.
    assert_eq!(
        rows[1]["values"],
        serde_json::json!([2, {"EUR": "100.00", "USD": "50.00"}])
    );
    assert_eq!(
        json["totals"],
        serde_json::json!([5, {"EUR": "140.00", "USD": "50.00"}])
    );

    let table = kith.ok(&["report", "run", "Won by month"]);
    assert!(table.contains("100.00 EUR; 50.00 USD"), "{table}");
    assert!(table.lines().last().unwrap().starts_with("Total"), "{table}");

    let csv = kith.ok(&["report", "run", "Won by month", "--csv"]);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("Stage,Close date (month),Count,Sum of Amount (EUR),Sum of Amount (USD)")
    );
    assert_eq!(lines.next(), Some("Lead,2024-02,1,10.00,"));

    let svg = kith.ok(&["report", "run", "Won by month", "--svg"]);
    assert!(
        svg.starts_with("<svg") && svg.contains("<title>Won by month</title>"),
        "{svg}"
    );
}

#[test]
fn an_edit_shows_in_the_report_history_and_reverts() {
    let kith = with_deals();
    kith.ok(&["report", "add", "Stages", "--object", "deals", "--group-by", "stage"]);
    let edited = kith.json(&["report", "edit", "Stages", "--measure", "avg:amount", "--chart", "pie"]);
    let change = edited["undo"]
        .as_str()
        .unwrap()
        .strip_prefix("change:")
        .unwrap()
        .to_string();
    let shown = kith.ok(&["report", "show", "Stages"]);
    assert!(shown.contains("measures: avg:amount"), "{shown}");
    assert!(shown.contains("measures: count → avg:amount"), "{shown}");
    assert!(shown.contains(&change[..12]), "{shown}");
    kith.ok(&["revert", &change]);
    let json = kith.json(&["report", "show", "Stages"]);
    assert_eq!(json["measures"], serde_json::json!(["count"]));
    assert_eq!(json["chart"], "bar");

    let removed = kith.json(&["report", "remove", "Stages"]);
    assert!(kith.ok(&["report", "list"]).starts_with("no reports yet"));
    kith.ok(&[
        "revert",
        removed["undo"].as_str().unwrap().strip_prefix("change:").unwrap(),
    ]);
    assert!(kith.ok(&["report", "list"]).contains("Stages"));
}

#[test]
fn a_dashboard_runs_its_reports_in_order() {
    let kith = with_deals();
    kith.ok(&["report", "add", "Stages", "--object", "deals", "--group-by", "stage"]);
    kith.ok(&[
        "report",
        "add",
        "Months",
        "--object",
        "deals",
        "--group-by",
        "close_date:month",
    ]);
    kith.ok(&["dashboard", "add", "Sales", "--report", "Months", "--report", "Stages"]);
    let json = kith.json(&["dashboard", "show", "Sales"]);
    let names: Vec<&str> = json["reports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["report"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Months", "Stages"]);
    let text = kith.ok(&["dashboard", "show", "Sales"]);
    assert!(text.find("Months").unwrap() < text.find("Stages").unwrap(), "{text}");
    assert!(kith.ok(&["dashboard", "list"]).contains("Months, Stages"));
}

#[test]
fn bad_report_definitions_get_one_sentence_and_save_nothing() {
    let kith = with_deals();
    for args in [
        vec!["report", "add", "X", "--object", "deals", "--group-by", "name"],
        vec!["report", "add", "X", "--object", "deals", "--group-by", "stage:month"],
        vec!["report", "add", "X", "--object", "deals", "--measure", "sum:name"],
        vec!["report", "add", "X", "--object", "deals", "--chart", "donut"],
        vec!["report", "add", "X", "--object", "nope"],
        vec!["report", "run", "missing"],
    ] {
        let err = kith.fails(&args);
        assert_one_line_error(&err);
    }
    assert!(kith.ok(&["report", "list"]).starts_with("no reports yet"));
}
