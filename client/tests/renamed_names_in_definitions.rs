//! `kith automation show` and `kith report show` show a definition with today's names
//! after a field, an object and an option were renamed, and the definitions keep working.

mod support;

use support::Kith;

fn rename_stage_won_and_deals(kith: &Kith) {
    kith.ok(&[
        "field", "rename", "deals", "stage", "--key", "phase", "--label", "Phase",
    ]);
    kith.ok(&["option", "rename", "deals", "phase", "Won", "Closed won"]);
    kith.ok(&["object", "rename", "deals", "--key", "opportunities"]);
}

#[test]
fn automation_and_report_show_print_the_new_names_after_renames_and_still_work() {
    let kith = Kith::init();
    kith.ok(&[
        "automation",
        "add",
        "Won deals",
        "--object",
        "deals",
        "--on",
        "changed:stage",
        "--new",
        "Won",
        "--if",
        "amount > 1000",
        "--set",
        "probability=100",
    ]);
    kith.ok(&[
        "report",
        "add",
        "Won",
        "--object",
        "deals",
        "--filter",
        "stage = Won",
        "--measure",
        "sum:amount",
    ]);
    rename_stage_won_and_deals(&kith);

    let automation = kith.ok(&["automation", "show", "Won deals"]);
    assert!(
        automation.contains("\"opportunities\"")
            && automation.contains("\"phase\"")
            && automation.contains("\"Closed won\""),
        "{automation}"
    );
    assert!(!automation.contains("\"stage\""), "{automation}");
    let report = kith.json(&["report", "show", "Won"]);
    assert_eq!(report["object"], "opportunities");
    assert_eq!(report["filter"], "phase = \"Closed won\"");

    let deal = kith.json(&[
        "record",
        "add",
        "opportunities",
        "name=Big",
        "amount=5000",
        "phase=Lead",
    ])["id"]
        .as_str()
        .unwrap()
        .to_string();
    kith.ok(&["record", "update", &deal, "phase=Closed won"]);
    assert!(
        kith.ok(&["record", "get", &deal]).contains("100"),
        "the automation fired"
    );
    let run = kith.ok(&["report", "run", "Won"]);
    assert!(run.contains("5000.00"), "{run}");
}
