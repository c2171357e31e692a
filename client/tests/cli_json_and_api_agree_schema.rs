//! `kith … --json` and the web UI's `/api` answer in the same JSON for the same
//! operation: both call one function of the application layer (`client/src/app/`). The
//! CLI runs here while the server holds the workspace, so its commands are forwarded to
//! that server and both answers come from the same workspace at the same moment.
//!
//! This file: the schema (objects, fields, options, stages) and validation rules.
#![cfg(unix)]

#[path = "support/agree.rs"]
mod agree;
mod web_support;

use agree::{api_get, api_send, cli, keys};
use serde_json::Value;
use web_support::{TestServer, add, workspace};

#[test]
fn fields_are_added_renamed_archived_and_restored_the_same_from_the_cli_the_api_and_the_schema_editor() {
    let (_dir, ws) = workspace();
    let path = ws.path().expect("on disk").to_path_buf();
    let server = TestServer::start(ws);
    let field_of = |server: &TestServer, key: &str| -> Value {
        let schema = api_get(server, "/api/schema");
        schema["objects"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|o| o["key"] == "people")
            .flat_map(|o| o["fields"].as_array().cloned().unwrap_or_default())
            .find(|f| f["key"] == key)
            .unwrap_or(Value::Null)
    };

    let by_cli = cli(&path, &["field", "add", "people", "shoe_size", "--type", "number"]);
    assert_eq!(keys(&by_cli), ["id", "message", "undo"]);
    let by_api = api_send(
        &server,
        "POST",
        "/api/objects/people/fields",
        r#"{"label": "Hat size", "kind": "number"}"#,
    );
    assert_eq!(keys(&by_api), keys(&by_cli));
    assert_eq!(by_api["message"], "Field “Hat size” added as people.hat_size (number)");
    assert_eq!(field_of(&server, "hat_size")["kind"], "number");

    let by_cli = cli(&path, &["field", "rename", "people", "shoe_size", "--label", "Shoe"]);
    let by_api = api_send(
        &server,
        "POST",
        "/api/objects/people/fields/hat_size/rename",
        r#"{"label": "Hat"}"#,
    );
    assert_eq!(keys(&by_api), keys(&by_cli));
    assert_eq!(field_of(&server, "hat_size")["label"], "Hat");

    let by_cli = cli(&path, &["field", "archive", "people", "shoe_size"]);
    let by_api = api_send(&server, "POST", "/api/objects/people/fields/hat_size/archive", "");
    assert_eq!(keys(&by_api), keys(&by_cli));
    assert_eq!(field_of(&server, "hat_size")["archived"], true);
    // The archive's undo reverts exactly it.
    let change = by_api["undo"]
        .as_str()
        .and_then(|u| u.strip_prefix("change:"))
        .expect("a change");
    api_send(&server, "POST", "/api/revert", &format!(r#"{{"change": "{change}"}}"#));
    assert_eq!(field_of(&server, "hat_size")["archived"], false);
    let by_api = api_send(&server, "POST", "/api/objects/people/fields/shoe_size/restore", "");
    assert_eq!(by_api["message"], "Field “Shoe” restored");

    // The schema editor's form is the same operation, with the same sentence.
    let people = api_get(&server, "/api/schema")["objects"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|o| o["key"] == "people")
        .and_then(|o| o["id"].as_str())
        .expect("people's id")
        .to_string();
    let page = server.post_form(
        "/schema/field",
        &[("object", &people), ("label", "Glove size"), ("kind", "number")],
    );
    assert_eq!(page.status, 303, "{}", page.body);
    let query = page.location().split_once('?').expect("a toast").1;
    let done = form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "done")
        .map(|(_, v)| v.into_owned());
    assert_eq!(
        done.as_deref(),
        Some("Field “Glove size” added as people.glove_size (number)")
    );
    assert!(web_support::undo_spec(page.location()).starts_with("change:"));

    // A refused add (a key that exists) says the same on the API as on the command line.
    let refused = server.request(
        "POST",
        "/api/objects/people/fields",
        &[("Content-Type", "application/json"), ("x-kith-token", &server.token)],
        r#"{"key": "glove_size", "kind": "text"}"#,
    );
    assert_eq!(refused.status, 422, "{}", refused.body);
}

/// A field of an object, as `GET /api/objects/{object}/fields?all=true` lists it.
fn field_in(server: &TestServer, object: &str, key: &str) -> Value {
    api_get(server, &format!("/api/objects/{object}/fields?all=true"))
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| f["key"] == key)
        .cloned()
        .unwrap_or(Value::Null)
}

/// The keys of an object's fields not archived, in order.
fn field_order(server: &TestServer, object: &str) -> Vec<String> {
    api_get(server, &format!("/api/objects/{object}/fields"))
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["key"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn objects_are_listed_added_renamed_archived_and_restored_the_same_from_the_cli_and_the_api() {
    let (_dir, ws) = workspace();
    let path = ws.path().expect("on disk").to_path_buf();
    let server = TestServer::start(ws);

    assert_eq!(cli(&path, &["object", "list"]), api_get(&server, "/api/objects"));
    let by_cli = cli(&path, &["object", "add", "projects"]);
    assert_eq!(keys(&by_cli), ["id", "message", "undo"]);
    let by_api = api_send(&server, "POST", "/api/objects", r#"{"label": "Office visits"}"#);
    assert_eq!(keys(&by_api), keys(&by_cli));
    assert_eq!(
        by_api["message"],
        "Object “Office visits” added as office_visits, with a name field its records are shown by"
    );

    let by_cli = cli(&path, &["object", "rename", "projects", "--label", "Initiatives"]);
    let by_api = api_send(
        &server,
        "POST",
        "/api/objects/office_visits/rename",
        r#"{"key": "visits"}"#,
    );
    assert_eq!(keys(&by_api), keys(&by_cli));
    assert_eq!(by_cli["message"], "Object “Projects” is now projects (“Initiatives”)");

    let by_cli = cli(&path, &["object", "archive", "Initiatives"]);
    let by_api = api_send(&server, "POST", "/api/objects/visits/archive", "");
    assert_eq!(keys(&by_api), keys(&by_cli));
    let listed = api_get(&server, "/api/objects");
    assert_eq!(listed, cli(&path, &["object", "list"]));
    assert!(
        listed
            .as_array()
            .into_iter()
            .flatten()
            .filter(|o| o["key"] == "projects" || o["key"] == "visits")
            .all(|o| o["archived"] == true),
        "{listed}"
    );
    // The archive's undo takes back exactly it.
    let change = by_api["undo"]
        .as_str()
        .and_then(|u| u.strip_prefix("change:"))
        .expect("a change");
    api_send(&server, "POST", "/api/revert", &format!(r#"{{"change": "{change}"}}"#));
    let by_cli = cli(&path, &["object", "restore", "projects"]);
    assert_eq!(by_cli["message"], "Object “Initiatives” restored");
    assert!(
        api_get(&server, "/api/objects")
            .as_array()
            .into_iter()
            .flatten()
            .all(|o| o["archived"] == false)
    );
}

#[test]
fn fields_are_reordered_set_redefined_and_retyped_the_same_from_the_cli_and_the_api() {
    let (_dir, mut ws) = workspace();
    let path = ws.path().expect("on disk").to_path_buf();
    add(&mut ws, "people", &[("name", "Ada"), ("city", "12")]);
    add(&mut ws, "people", &[("name", "Bo"), ("city", "Paris")]);
    let server = TestServer::start(ws);
    assert_eq!(
        cli(&path, &["field", "list", "people", "--all"]),
        api_get(&server, "/api/objects/people/fields?all=true")
    );

    // Reorder: a position from 1, or a step up or down.
    let by_cli = cli(&path, &["field", "reorder", "people", "city", "1"]);
    assert_eq!(keys(&by_cli), ["id", "message", "undo"]);
    assert_eq!(field_order(&server, "people")[0], "city");
    let by_api = api_send(
        &server,
        "POST",
        "/api/objects/people/fields/city/reorder",
        r#"{"step": "down"}"#,
    );
    assert_eq!(keys(&by_api), keys(&by_cli));
    assert_eq!(by_api["message"], "Field “City” moved to position 2");
    assert_eq!(field_order(&server, "people")[..2], ["name", "city"]);
    // Where it already is: nothing is written, so there is nothing to undo.
    let again = api_send(
        &server,
        "POST",
        "/api/objects/people/fields/city/reorder",
        r#"{"position": 2}"#,
    );
    assert_eq!(again["undo"], Value::Null, "{again}");

    // Settings: refused while a record breaks the rule, with the same sentence.
    let refused = server.request(
        "POST",
        "/api/objects/people/fields/email/settings",
        &[("Content-Type", "application/json"), ("x-kith-token", &server.token)],
        r#"{"required": true}"#,
    );
    assert_eq!(refused.status, 422, "{}", refused.body);
    let by_cli = cli(&path, &["field", "set", "people", "city", "--unique", "true"]);
    let by_api = api_send(
        &server,
        "POST",
        "/api/objects/people/fields/name/settings",
        r#"{"required": true}"#,
    );
    assert_eq!(keys(&by_api), keys(&by_cli));
    assert_eq!(by_cli["message"], "Field “City”: required no, unique yes");
    assert_eq!(field_in(&server, "people", "city")["unique"], true);

    // Retype: a dry run reports the values that would not convert and changes nothing.
    let dry_cli = cli(&path, &["field", "retype", "people", "city", "number", "--dry-run"]);
    let dry_api = api_send(
        &server,
        "POST",
        "/api/objects/people/fields/city/retype",
        r#"{"kind": "number", "dry_run": true}"#,
    );
    assert_eq!(dry_cli, dry_api);
    assert_eq!(dry_api["converted"], 1);
    assert_eq!(dry_api["unconverted"][0]["value"], "Paris");
    assert_eq!(dry_api["unconverted"][0]["record"], "Bo");
    assert_eq!(dry_api["undo"], Value::Null);
    assert_eq!(field_in(&server, "people", "city")["kind"], "text");
    let by_api = api_send(
        &server,
        "POST",
        "/api/objects/people/fields/city/retype",
        r#"{"kind": "number"}"#,
    );
    assert_eq!(field_in(&server, "people", "city")["kind"], "number");
    assert_eq!(by_api["unconverted_count"], 1);
    let by_cli = cli(&path, &["field", "retype", "people", "city", "text"]);
    let mut shape = (keys(&by_cli), keys(&by_api));
    shape.0.retain(|k| k != "undo");
    shape.1.retain(|k| k != "undo");
    assert_eq!(shape.0, shape.1);
    assert!(by_cli["undo"].as_str().is_some_and(|u| u.starts_with("change:")));

    // A computed field: added and redefined the same way.
    let by_cli = cli(&path, &["field", "add", "people", "where_", "--formula", "city"]);
    let by_api = api_send(
        &server,
        "POST",
        "/api/objects/people/fields",
        r#"{"key": "who", "formula": "name"}"#,
    );
    assert_eq!(keys(&by_api), keys(&by_cli));
    assert_eq!(by_api["message"], "Field “Who” added as people.who (formula → text)");
    let by_cli = cli(&path, &["field", "edit", "people", "who", "--formula", "city"]);
    let by_api = api_send(
        &server,
        "POST",
        "/api/objects/people/fields/where_/definition",
        r#"{"formula": "name"}"#,
    );
    assert_eq!(keys(&by_api), keys(&by_cli));
    assert_eq!(by_api["message"], "Field “Where” now computes name");
    // Its type follows from what it computes: not even a dry run retypes it.
    let refused = server.request(
        "POST",
        "/api/objects/people/fields/who/retype",
        &[("Content-Type", "application/json"), ("x-kith-token", &server.token)],
        r#"{"kind": "number", "dry_run": true}"#,
    );
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("kith field edit"), "{}", refused.body);
}

#[test]
fn options_and_pipeline_stages_change_the_same_from_the_cli_and_the_api() {
    let (_dir, ws) = workspace();
    let path = ws.path().expect("on disk").to_path_buf();
    let server = TestServer::start(ws);
    let stages = |server: &TestServer| -> Vec<(String, String, bool)> {
        api_get(server, "/api/objects/deals/fields/stage/options")
            .as_array()
            .into_iter()
            .flatten()
            .map(|o| {
                (
                    o["label"].as_str().unwrap_or_default().to_string(),
                    o["color"].as_str().unwrap_or_default().to_string(),
                    o["archived"] == true,
                )
            })
            .collect()
    };
    assert_eq!(
        cli(&path, &["option", "list", "deals", "stage"]),
        api_get(&server, "/api/objects/deals/fields/stage/options")
    );

    let by_cli = cli(&path, &["option", "add", "deals", "stage", "On hold"]);
    assert_eq!(keys(&by_cli), ["id", "message", "undo"]);
    let by_api = api_send(
        &server,
        "POST",
        "/api/objects/deals/fields/stage/options",
        r#"{"labels": ["Parked"]}"#,
    );
    assert_eq!(keys(&by_api), keys(&by_cli));
    assert_eq!(by_api["message"], "Added to “Stage”: “Parked”");
    let refused = server.request(
        "POST",
        "/api/objects/deals/fields/name/options",
        &[("Content-Type", "application/json"), ("x-kith-token", &server.token)],
        r#"{"labels": ["X"]}"#,
    );
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(
        refused
            .body
            .contains("only select and multi_select fields have options"),
        "{}",
        refused.body
    );

    let by_cli = cli(&path, &["option", "rename", "deals", "stage", "on hold", "Paused"]);
    let by_api = api_send(
        &server,
        "POST",
        "/api/objects/deals/fields/stage/options/Parked/rename",
        r#"{"label": "Frozen"}"#,
    );
    assert_eq!(keys(&by_api), keys(&by_cli));
    assert_eq!(by_api["message"], "Option “Parked” of “Stage” is now “Frozen”");

    // Colours come from the palette the pages draw, teal and brown included.
    let by_cli = cli(&path, &["option", "color", "deals", "stage", "Paused", "brown"]);
    let by_api = api_send(
        &server,
        "POST",
        "/api/objects/deals/fields/stage/options/Frozen/color",
        r#"{"color": "teal"}"#,
    );
    assert_eq!(keys(&by_api), keys(&by_cli));
    let refused = server.request(
        "POST",
        "/api/objects/deals/fields/stage/options/Frozen/color",
        &[("Content-Type", "application/json"), ("x-kith-token", &server.token)],
        r#"{"color": "mauve"}"#,
    );
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.body.contains("not a colour Kith draws"), "{}", refused.body);

    let by_cli = cli(&path, &["option", "reorder", "deals", "stage", "Paused", "1"]);
    let by_api = api_send(
        &server,
        "POST",
        "/api/objects/deals/fields/stage/options/Frozen/reorder",
        r#"{"step": "up"}"#,
    );
    assert_eq!(keys(&by_api), keys(&by_cli));

    let by_cli = cli(&path, &["option", "archive", "deals", "stage", "Paused"]);
    let by_api = api_send(
        &server,
        "POST",
        "/api/objects/deals/fields/stage/options/Frozen/archive",
        "",
    );
    assert_eq!(keys(&by_api), keys(&by_cli));
    let now = stages(&server);
    assert_eq!(now[0], ("Paused".to_string(), "brown".to_string(), true), "{now:?}");
    let frozen = now.iter().position(|s| s.0 == "Frozen").expect("Frozen");
    assert_eq!(now[frozen], ("Frozen".to_string(), "teal".to_string(), true));
    assert_eq!(frozen, now.len() - 2, "one place up from the end: {now:?}");

    let by_api = api_send(
        &server,
        "POST",
        "/api/objects/deals/fields/stage/options/Paused/restore",
        "",
    );
    assert_eq!(by_api["message"], "Option “Paused” of “Stage” restored");
    assert_eq!(
        cli(&path, &["option", "list", "deals", "stage"]),
        api_get(&server, "/api/objects/deals/fields/stage/options")
    );
}

#[test]
fn rules_are_added_edited_toggled_listed_and_removed_the_same_from_the_cli_the_api_and_the_schema_editor() {
    let (_dir, ws) = workspace();
    let path = ws.path().expect("on disk").to_path_buf();
    let server = TestServer::start(ws);

    let by_cli = cli(
        &path,
        &[
            "rule",
            "add",
            "people",
            "--when",
            "not is_empty(email)",
            "--message",
            "Email needed",
        ],
    );
    let by_api = api_send(
        &server,
        "POST",
        "/api/objects/people/rules",
        r#"{"when": "not is_empty(city)", "message": "City needed", "fields": ["city"]}"#,
    );
    assert_eq!(keys(&by_cli), keys(&by_api));
    assert_eq!(by_api["fields"], serde_json::json!(["city"]));
    let (first, second) = (
        by_cli["id"].as_str().expect("an id").to_string(),
        by_api["id"].as_str().expect("an id").to_string(),
    );

    let by_cli = cli(&path, &["rule", "edit", &first, "--message", "Give an email"]);
    let by_api = api_send(
        &server,
        "PATCH",
        &format!("/api/rules/{second}"),
        r#"{"message": "Give a city"}"#,
    );
    assert_eq!(keys(&by_cli), keys(&by_api));
    assert!(by_api["change"].is_string(), "{by_api}");
    assert_eq!(by_api["message"], "Give a city");

    let by_cli = cli(&path, &["rule", "disable", &first]);
    let by_api = api_send(&server, "POST", &format!("/api/rules/{second}/disable"), "");
    assert_eq!(keys(&by_cli), keys(&by_api));
    assert_eq!(by_api["enabled"], false);
    let by_api = api_send(&server, "POST", &format!("/api/rules/{second}/enable"), "");
    assert_eq!(by_api["enabled"], true);

    assert_eq!(cli(&path, &["rule", "list"]), api_get(&server, "/api/rules"));
    assert_eq!(
        cli(&path, &["rule", "list", "people", "--all"]),
        api_get(&server, "/api/rules?object=people&all=true")
    );

    let by_cli = cli(&path, &["rule", "remove", &first]);
    let by_api = api_send(&server, "POST", &format!("/api/rules/{second}/remove"), "");
    assert_eq!(keys(&by_cli), keys(&by_api));
    assert_eq!(by_api["removed"], true);
    assert_eq!(api_get(&server, "/api/rules")["rules"], serde_json::json!([]));

    // The schema editor's form is the same operation: its toast undoes the change.
    let page = server.post_form("/schema/rule", &[("action", "remove"), ("rule", "nope")]);
    assert_eq!(page.status, 400, "{}", page.body);
    let page = server.post_form("/schema/rule", &[("action", "enable"), ("rule", &first)]);
    assert_eq!(page.status, 303, "{}", page.body);
    assert!(web_support::undo_spec(page.location()).starts_with("change:"));
    let listed = api_get(&server, "/api/rules?all=true");
    let first_now = listed["rules"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["id"] == first.as_str())
        .expect("the first rule");
    assert_eq!(first_now["enabled"], true);
}
