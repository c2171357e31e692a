//! `kith view`: save a view, list it, run it (its filter and sort, paged), edit it, show
//! its changes, remove it and bring it back with `kith revert`; bad views change nothing.

mod support;

use support::{Kith, assert_one_line_error};

fn with_deals() -> Kith {
    let kith = Kith::init();
    for (name, stage, amount) in [
        ("Alpha", "Won", "100 EUR"),
        ("Bravo", "Won", "50 EUR"),
        ("Charlie", "Lead", "10 EUR"),
        ("Delta", "Won", "30 EUR"),
    ] {
        kith.ok(&[
            "record",
            "add",
            "deals",
            &format!("name={name}"),
            &format!("stage={stage}"),
            &format!("amount={amount}"),
        ]);
    }
    kith
}

fn names(page: &serde_json::Value) -> Vec<String> {
    page["records"]
        .as_array()
        .expect("records")
        .iter()
        .map(|r| r["name"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn a_saved_view_lists_and_runs_with_its_filter_and_sort() {
    let kith = with_deals();
    let saved = kith.json(&[
        "view",
        "save",
        "Big wins",
        "--object",
        "deals",
        "--filter",
        "stage = Won",
        "--sort",
        "-amount",
    ]);
    assert_eq!(saved["message"], "View saved: “Big wins”");
    let id = saved["id"].as_str().expect("an id").to_string();

    let list = kith.json(&["view", "list"]);
    let views = list["views"].as_array().expect("views");
    assert_eq!(views.len(), 1);
    assert_eq!(views[0]["id"], id.as_str());
    assert_eq!(views[0]["object"], "deals");
    assert_eq!(views[0]["kind"], "table");
    assert_eq!(views[0]["filter"], "stage = Won");
    assert_eq!(views[0]["sort"], "-amount");
    assert_eq!(views[0]["owner"], serde_json::Value::Null);

    // By name (any case) or by id; the same records `kith record list` gives.
    let run = kith.json(&["view", "run", "big wins"]);
    assert_eq!(names(&run), ["Alpha", "Bravo", "Delta"]);
    assert_eq!(run["count"], 3);
    assert_eq!(
        run,
        kith.json(&["record", "list", "deals", "--filter", "stage = Won", "--sort=-amount"])
    );
    assert_eq!(run, kith.json(&["view", "run", &id]));

    // Paged by cursor.
    let first = kith.json(&["view", "run", "Big wins", "--limit", "2"]);
    assert_eq!(names(&first), ["Alpha", "Bravo"]);
    let next = first["next"].as_str().expect("a next page");
    let second = kith.json(&["view", "run", "Big wins", "--limit", "2", "--after", next]);
    assert_eq!(names(&second), ["Delta"]);
    assert_eq!(second["next"], serde_json::Value::Null);

    let table = kith.ok(&["view", "run", "Big wins"]);
    assert!(table.contains("Alpha") && !table.contains("Charlie"), "{table}");
    let listed = kith.ok(&["view", "list"]);
    assert!(
        listed.contains("Big wins") && listed.contains("stage = Won"),
        "{listed}"
    );
}

#[test]
fn an_edited_view_runs_its_new_filter_and_the_edit_reverts() {
    let kith = with_deals();
    kith.ok(&[
        "view",
        "save",
        "Pipeline",
        "--object",
        "deals",
        "--filter",
        "stage = Won",
    ]);
    let edited = kith.json(&[
        "view",
        "edit",
        "Pipeline",
        "--name",
        "Leads",
        "--filter",
        "stage = Lead",
        "--kind",
        "board",
        "--field",
        "Stage",
        "--mine",
    ]);
    let change = edited["undo"]
        .as_str()
        .and_then(|u| u.strip_prefix("change:"))
        .expect("an undo")
        .to_string();
    let shown = kith.json(&["view", "show", "Leads"]);
    assert_eq!(shown["kind"], "board");
    assert_eq!(shown["field"], "stage");
    assert!(shown["owner"].is_string(), "--mine makes it the user's own: {shown}");
    assert_eq!(shown["history"].as_array().map(Vec::len), Some(2));
    assert_eq!(names(&kith.json(&["view", "run", "Leads"])), ["Charlie"]);

    kith.ok(&["revert", &change]);
    let back = kith.json(&["view", "show", "Pipeline"]);
    assert_eq!(back["filter"], "stage = Won");
    assert_eq!(back["kind"], "table");
    assert_eq!(back["owner"], serde_json::Value::Null);
    assert_eq!(
        names(&kith.json(&["view", "run", "Pipeline"])),
        ["Alpha", "Bravo", "Delta"]
    );

    // Nothing to change: no change made.
    let same = kith.json(&["view", "edit", "Pipeline", "--filter", "stage = Won"]);
    assert_eq!(same["undo"], serde_json::Value::Null);
}

#[test]
fn a_removed_view_leaves_the_list_and_revert_brings_it_back() {
    let kith = with_deals();
    kith.ok(&["view", "save", "Won", "--object", "deals", "--filter", "stage = Won"]);
    let removed = kith.json(&["view", "remove", "Won"]);
    let change = removed["undo"]
        .as_str()
        .and_then(|u| u.strip_prefix("change:"))
        .expect("an undo")
        .to_string();
    assert_eq!(kith.json(&["view", "list"])["views"], serde_json::json!([]));
    assert_one_line_error(&kith.fails(&["view", "run", "Won"]));

    kith.ok(&["revert", &change]);
    assert_eq!(kith.json(&["view", "list"])["views"].as_array().map(Vec::len), Some(1));
    assert_eq!(names(&kith.json(&["view", "run", "Won"])), ["Alpha", "Bravo", "Delta"]);
}

#[test]
fn saving_again_under_the_same_name_updates_the_view() {
    let kith = with_deals();
    let first = kith.json(&["view", "save", "Mine", "--object", "deals", "--sort", "name"]);
    let second = kith.json(&["view", "save", "Mine", "--object", "deals", "--sort", "-name"]);
    assert_eq!(first["id"], second["id"]);
    let views = kith.json(&["view", "list"]);
    assert_eq!(views["views"].as_array().map(Vec::len), Some(1));
    assert_eq!(views["views"][0]["sort"], "-name");
}

#[test]
fn a_view_that_would_not_open_is_refused_and_nothing_is_saved() {
    let kith = with_deals();
    for args in [
        &["view", "save", "X", "--object", "nothing"][..],
        &["view", "save", "X", "--object", "deals", "--filter", "nope = 1"],
        &["view", "save", "X", "--object", "deals", "--sort", "nope"],
        &["view", "save", "X", "--object", "deals", "--kind", "list"],
        &[
            "view", "save", "X", "--object", "deals", "--kind", "board", "--field", "name",
        ],
        &["view", "save", " ", "--object", "deals"],
        &["view", "save", "X", "--object", "deals", "--columns", "amount,nope"],
    ] {
        assert_one_line_error(&kith.fails(args));
    }
    assert_eq!(kith.json(&["view", "list"])["views"], serde_json::json!([]));
    assert_one_line_error(&kith.fails(&["view", "show", "nothing"]));
}

#[test]
fn a_views_columns_are_saved_edited_and_shown_and_run_still_lists_every_field() {
    let kith = with_deals();
    kith.ok(&[
        "view",
        "save",
        "Odds",
        "--object",
        "deals",
        "--columns",
        "Stage, amount,stage",
    ]);
    let shown = kith.json(&["view", "show", "Odds"]);
    assert_eq!(shown["columns"], "stage,amount", "keys, each once, in order");
    assert!(kith.ok(&["view", "show", "Odds"]).contains("columns: stage,amount"));
    kith.ok(&["view", "edit", "Odds", "--columns", "probability"]);
    assert_eq!(kith.json(&["view", "list"])["views"][0]["columns"], "probability");
    // Running it is unchanged in shape: records carry all their fields.
    let page = kith.json(&["view", "run", "Odds"]);
    assert_eq!(page["records"][0]["fields"]["stage"], "Won", "{page}");
    kith.ok(&["view", "edit", "Odds", "--columns", ""]);
    assert_eq!(kith.json(&["view", "show", "Odds"])["columns"], "");
}
