//! `kith … --json` and the web UI's `/api` answer in the same JSON for the same
//! operation: both call one function of the application layer (`client/src/app/`). The
//! CLI runs here while the server holds the workspace, so its commands are forwarded to
//! that server and both answers come from the same workspace at the same moment.
#![cfg(unix)]

mod web_support;

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use web_support::{TestServer, add, workspace};

/// `kith --workspace WS ARGS --json`, parsed.
fn cli(ws: &Path, args: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_kith"))
        .arg("--workspace")
        .arg(ws)
        .args(args)
        .arg("--json")
        .env_remove("KITH_WORKSPACE")
        .output()
        .expect("kith runs");
    assert!(
        out.status.success(),
        "kith {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("kith {args:?} printed no JSON: {e}"))
}

fn api_get(server: &TestServer, path: &str) -> Value {
    let r = server.get(path);
    assert_eq!(r.status, 200, "{path}: {}", r.body);
    serde_json::from_str(&r.body).expect("JSON")
}

fn api_send(server: &TestServer, method: &str, path: &str, body: &str) -> Value {
    let r = server.request(
        method,
        path,
        &[("Content-Type", "application/json"), ("x-kith-token", &server.token)],
        body,
    );
    assert_eq!(r.status, 200, "{method} {path}: {}", r.body);
    serde_json::from_str(&r.body).expect("JSON")
}

fn keys(v: &Value) -> Vec<String> {
    let mut keys: Vec<String> = v.as_object().expect("an object").keys().cloned().collect();
    keys.sort();
    keys
}

#[test]
fn reads_answer_the_same_json_from_the_cli_and_the_api() {
    let (_dir, mut ws) = workspace();
    let path = ws.path().expect("on disk").to_path_buf();
    let acme = add(&mut ws, "companies", &[("name", "Acme")]);
    let ada = add(&mut ws, "people", &[("name", "Ada Lovelace"), ("company", "Acme")]);
    add(&mut ws, "people", &[("name", "Alan Turing"), ("city", "London")]);
    let server = TestServer::start(ws);
    let ada = ada.to_string();

    assert_eq!(
        cli(&path, &["record", "list", "people"]),
        api_get(&server, "/api/objects/people/records")
    );
    assert_eq!(
        cli(
            &path,
            &[
                "record",
                "list",
                "people",
                "--filter",
                "city = London",
                "--sort",
                "-name"
            ]
        ),
        api_get(
            &server,
            "/api/objects/people/records?filter=city%20%3D%20London&sort=-name"
        )
    );
    assert_eq!(
        cli(&path, &["record", "get", &ada]),
        api_get(&server, &format!("/api/records/{ada}"))
    );
    let company = cli(&path, &["record", "get", &acme.to_string()]);
    assert_eq!(company["related"][0]["name"], "Ada Lovelace");
    assert_eq!(company, api_get(&server, &format!("/api/records/{acme}")));
    assert_eq!(cli(&path, &["search", "ada"]), api_get(&server, "/api/search?q=ada"));
    assert_eq!(cli(&path, &["schema", "show"]), api_get(&server, "/api/schema"));
    assert_eq!(cli(&path, &["conflicts"]), api_get(&server, "/api/conflicts"));
    assert_eq!(cli(&path, &["config", "list"]), api_get(&server, "/api/config"));
    assert_eq!(
        cli(&path, &["schema", "history"]),
        api_get(&server, "/api/schema/history")
    );
    assert_eq!(
        cli(&path, &["history", &ada]),
        api_get(&server, &format!("/api/records/{ada}/history"))
    );
}

#[test]
fn changes_answer_in_the_same_shape_from_the_cli_and_the_api() {
    let (_dir, mut ws) = workspace();
    let path = ws.path().expect("on disk").to_path_buf();
    let ann = add(&mut ws, "people", &[("name", "Ann Lee")]).to_string();
    let server = TestServer::start(ws);

    let by_cli = cli(&path, &["record", "add", "people", "name=Bo"]);
    let by_api = api_send(
        &server,
        "POST",
        "/api/objects/people/records",
        r#"{"values": {"name": "Cy"}}"#,
    );
    assert_eq!(keys(&by_cli), ["id", "message", "undo"]);
    assert_eq!(keys(&by_cli), keys(&by_api));

    let by_cli = cli(&path, &["record", "update", &ann, "city=Oslo"]);
    let by_api = api_send(
        &server,
        "PATCH",
        &format!("/api/records/{ann}"),
        r#"{"values": {"city": "Rome"}}"#,
    );
    assert_eq!(keys(&by_cli), keys(&by_api));
    assert_eq!(
        by_cli["message"], by_api["message"],
        "the same sentence for the same record"
    );
    let undo = by_api["undo"].as_str().expect("an undo");
    let change = undo.strip_prefix("change:").expect("a change");

    let by_api = api_send(&server, "POST", "/api/revert", &format!(r#"{{"change": "{change}"}}"#));
    let group = by_api["group"].as_str().expect("the revert's group").to_string();
    let by_cli = cli(&path, &["revert", "--group", &group]);
    assert_eq!(keys(&by_cli), ["group", "records", "reverted", "schema"]);
    assert_eq!(keys(&by_cli), keys(&by_api));

    let by_cli = cli(&path, &["record", "delete", &ann]);
    assert_eq!(cli(&path, &["trash", "list"]), api_get(&server, "/api/trash"));
    let by_api = api_send(&server, "POST", &format!("/api/records/{ann}/restore"), "");
    assert_eq!(keys(&by_cli), keys(&by_api));
    assert_eq!(
        api_get(&server, &format!("/api/records/{ann}"))["deleted_at"],
        Value::Null
    );
}

#[test]
fn an_import_reports_the_same_from_the_cli_and_the_api() {
    let (dir, ws) = workspace();
    let path = ws.path().expect("on disk").to_path_buf();
    let server = TestServer::start(ws);
    let import_by_api = |query: &str, csv: &str| -> Value {
        let r = server.request(
            "POST",
            &format!("/api/objects/people/import{query}"),
            &[("Content-Type", "text/csv"), ("x-kith-token", &server.token)],
            csv,
        );
        assert_eq!(r.status, 200, "{}", r.body);
        serde_json::from_str(&r.body).expect("JSON")
    };
    let csv = "name,email,Shoe size\nAda,ada@example.com,38\nBo,not an email,44\n";
    let file = dir.path().join("people.csv");
    std::fs::write(&file, csv).expect("write the CSV");
    let file = file.to_str().expect("UTF-8");

    // A preview writes nothing: both answers are the same but for the group id each
    // import draws.
    let mut by_cli = cli(
        &path,
        &["import", file, "--object", "people", "--preview", "--create-fields"],
    );
    assert_eq!(by_cli["new_fields"][0]["key"], "shoe_size", "{by_cli}");
    let mut by_api = import_by_api("?preview=true&create_fields=true", csv);
    by_cli["group"] = Value::Null;
    by_api["group"] = Value::Null;
    assert_eq!(by_cli, by_api);

    let by_cli = cli(&path, &["import", file, "--object", "people", "--map", "Shoe size="]);
    let by_api = import_by_api("?map=Shoe%20size%3D", "name,Shoe size\nCy,40\n");
    assert_eq!(by_cli["imported"], 1);
    assert_eq!(by_cli["errors"][0]["row"], 2, "{by_cli}");
    assert_eq!(by_api["imported"], 1, "{by_api}");
    assert_eq!(keys(&by_cli), keys(&by_api));
}

#[test]
fn a_bulk_edit_answers_the_same_from_the_cli_the_api_and_the_table_page() {
    let (_dir, mut ws) = workspace();
    let path = ws.path().expect("on disk").to_path_buf();
    let a = add(&mut ws, "people", &[("name", "A"), ("city", "Oslo")]);
    let b = add(&mut ws, "people", &[("name", "B"), ("city", "Oslo")]);
    add(&mut ws, "people", &[("name", "C"), ("city", "Lima")]);
    let server = TestServer::start(ws);
    let city_count = |city: &str| {
        api_get(
            &server,
            &format!("/api/objects/people/records?filter=city%20%3D%20{city}"),
        )["count"]
            .clone()
    };

    let by_cli = cli(
        &path,
        &[
            "record",
            "update",
            "--object",
            "people",
            "--filter",
            "city = Oslo",
            "--set",
            "city=Rome",
            "--yes",
        ],
    );
    assert_eq!(keys(&by_cli), ["group", "records"]);
    assert_eq!(by_cli["records"], 2);
    let by_api = api_send(
        &server,
        "POST",
        "/api/objects/people/bulk",
        r#"{"set": {"city": "Paris"}, "filters": ["city = Rome"]}"#,
    );
    assert_eq!(keys(&by_api), keys(&by_cli));
    assert_eq!(by_api["records"], 2);
    assert_eq!(city_count("Paris"), 2);

    // A selection: only the records named, one group that one revert takes back.
    let by_api = api_send(
        &server,
        "POST",
        "/api/objects/people/bulk",
        &format!(r#"{{"set": {{"city": "Bern"}}, "ids": ["{a}"]}}"#),
    );
    assert_eq!(by_api["records"], 1);
    assert_eq!(city_count("Bern"), 1);
    let group = by_api["group"].as_str().expect("a group");
    api_send(&server, "POST", "/api/revert", &format!(r#"{{"group": "{group}"}}"#));
    assert_eq!(city_count("Paris"), 2);

    // Nothing matching: the same answer either way, and nothing written.
    let none_by_cli = cli(
        &path,
        &[
            "record",
            "update",
            "--object",
            "people",
            "--filter",
            "city = Nowhere",
            "--set",
            "city=X",
            "--yes",
        ],
    );
    let none_by_api = api_send(
        &server,
        "POST",
        "/api/objects/people/bulk",
        r#"{"set": {"city": "X"}, "filters": ["city = Nowhere"]}"#,
    );
    assert_eq!(none_by_cli, none_by_api);
    assert_eq!(none_by_api["group"], Value::Null);

    // The table page's bulk edit is the same operation: a unique value for two records
    // is refused by the same check, with the same sentence, and nothing changes.
    let refused = server.request(
        "POST",
        "/api/objects/people/bulk",
        &[("Content-Type", "application/json"), ("x-kith-token", &server.token)],
        &format!(r#"{{"set": {{"email": "same@example.com"}}, "ids": ["{a}", "{b}"]}}"#),
    );
    assert_eq!(refused.status, 400, "{}", refused.body);
    let (a_s, b_s) = (a.to_string(), b.to_string());
    let page = server.post_form(
        "/o/people/bulk",
        &[
            ("ids", &a_s),
            ("ids", &b_s),
            ("field", "email"),
            ("value", "same@example.com"),
            ("scope", "selected"),
            ("back", "/o/people"),
        ],
    );
    assert_eq!(page.status, 400, "{}", page.body);
    let sentence: Value = serde_json::from_str(&refused.body).expect("JSON");
    let sentence = sentence["error"].as_str().expect("an error");
    assert!(page.body.contains(sentence), "{sentence} / {}", page.body);
    assert_eq!(city_count("Paris"), 2);
}

#[test]
fn an_update_that_changes_nothing_writes_nothing_on_the_api_and_the_record_page() {
    let (_dir, mut ws) = workspace();
    let ann = add(&mut ws, "people", &[("name", "Ann"), ("city", "Oslo")]);
    let server = TestServer::start(ws);
    let history = |server: &TestServer| {
        api_get(server, &format!("/api/records/{ann}/history"))
            .as_array()
            .map(Vec::len)
    };
    let before = history(&server);

    let by_api = api_send(
        &server,
        "PATCH",
        &format!("/api/records/{ann}"),
        r#"{"values": {"city": "Oslo", "name": "Ann"}, "skip_unchanged": true}"#,
    );
    assert_eq!(by_api["message"], "nothing changed");
    assert_eq!(by_api["undo"], Value::Null);
    let page = server.post_form(&format!("/r/{ann}/edit"), &[("city", "Oslo")]);
    assert_eq!(page.status, 303, "{}", page.body);
    assert!(page.location().contains("Nothing"), "{}", page.location());
    assert_eq!(history(&server), before, "no change was written");

    // A changed value through the page answers with the undo the API gives.
    let page = server.post_form(&format!("/r/{ann}/edit"), &[("city", "Rome")]);
    let undo = web_support::undo_spec(page.location());
    let newest = api_get(&server, &format!("/api/records/{ann}/history"));
    let newest = newest.as_array().and_then(|h| h.last()).expect("a change");
    let short = newest["change"].as_str().expect("a hash");
    assert!(undo.starts_with(&format!("change:{short}")), "{undo} / {short}");
}

/// Moves every pending change from `from` to `to`, as a relay's log entries would.
fn send(from: &mut kith_core::Workspace, to: &mut kith_core::Workspace, seq: &mut u64) {
    let chunks = from.outbox(10_000).expect("the outbox");
    let entries: Vec<kith_core::sync::protocol::Entry> = chunks
        .iter()
        .map(|c| {
            *seq += 1;
            kith_core::sync::protocol::Entry {
                seq: *seq,
                doc: c.doc,
                data: c.data.clone(),
            }
        })
        .collect();
    to.apply_remote(&[], &entries, *seq).expect("apply");
    let ids: Vec<u64> = chunks.iter().map(|c| c.id).collect();
    from.acknowledge(&ids, *seq).expect("acknowledge");
}

#[test]
fn a_conflict_is_resolved_the_same_from_the_cli_the_api_and_the_record_page() {
    let (dir, mut ana) = workspace();
    let path = ana.path().expect("on disk").to_path_buf();
    let mut bo = kith_core::Workspace::create_replica(&dir.path().join("bo"), "bo").expect("a replica");
    let id = add(
        &mut ana,
        "people",
        &[("name", "Ada"), ("city", "London"), ("phone", "+44 20 7946 0001")],
    );
    let mut seq = 0;
    send(&mut ana, &mut bo, &mut seq);
    bo.ensure_member().expect("member");
    send(&mut bo, &mut ana, &mut seq);
    let set = |ws: &mut kith_core::Workspace, values: &[(&str, &str)]| {
        let people = ws.object_named("people").expect("people").id;
        let inputs: Vec<(String, String)> = values.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let changes = ws.parse_values(people, &inputs).expect("values");
        ws.update_record(id, changes).expect("update");
    };
    set(
        &mut ana,
        &[("city", "Paris"), ("name", "Ada L"), ("phone", "+44 20 7946 0002")],
    );
    set(
        &mut bo,
        &[("city", "Rome"), ("name", "Ada B"), ("phone", "+44 20 7946 0003")],
    );
    send(&mut ana, &mut bo, &mut seq);
    send(&mut bo, &mut ana, &mut seq);
    assert_eq!(
        ana.record_conflicts(id).expect("conflicts").len(),
        3,
        "three conflicts were made"
    );
    let server = TestServer::start(ana);
    let id = id.to_string();

    let by_cli = cli(&path, &["resolve", &id, "city", "--pick", "1"]);
    assert_eq!(keys(&by_cli), ["field", "id", "undo", "value"]);
    let by_api = api_send(
        &server,
        "POST",
        &format!("/api/records/{id}/resolve"),
        r#"{"field": "name", "value": "Ada Lovelace"}"#,
    );
    assert_eq!(keys(&by_api), keys(&by_cli));
    assert_eq!(by_api["value"], "Ada Lovelace");
    assert!(
        by_api["undo"].as_str().is_some_and(|u| u.starts_with("change:")),
        "{by_api}"
    );

    // A field without a conflict is refused by the same check, page and API alike.
    let again = server.request(
        "POST",
        &format!("/api/records/{id}/resolve"),
        &[("Content-Type", "application/json"), ("x-kith-token", &server.token)],
        r#"{"field": "city", "pick": 1}"#,
    );
    assert_eq!(again.status, 400, "{}", again.body);
    assert!(again.body.contains("no conflict"), "{}", again.body);

    // The page's banner resolves the last one and offers the same undo.
    let schema = api_get(&server, "/api/schema");
    let phone = schema["objects"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|o| o["fields"].as_array().into_iter().flatten())
        .find(|f| f["key"] == "phone")
        .and_then(|f| f["id"].as_str())
        .expect("the phone field's id")
        .to_string();
    let page = server.post_form(
        &format!("/r/{id}/resolve"),
        &[("field", &phone), ("value", "+44 20 7946 0004")],
    );
    assert_eq!(page.status, 303, "{}", page.body);
    assert!(web_support::undo_spec(page.location()).starts_with("change:"));
    let record = api_get(&server, &format!("/api/records/{id}"));
    assert_eq!(record["conflicts"], serde_json::json!({}), "{record}");
    assert!(
        record["fields"]["phone"].as_str().is_some_and(|p| p.ends_with("0004")),
        "{record}"
    );
}

#[test]
fn restoring_a_record_to_a_moment_answers_the_same_from_the_cli_and_the_api() {
    let (_dir, mut ws) = workspace();
    let path = ws.path().expect("on disk").to_path_buf();
    let ann = add(&mut ws, "people", &[("name", "Ann"), ("city", "Oslo")]).to_string();
    let server = TestServer::start(ws);
    api_send(
        &server,
        "PATCH",
        &format!("/api/records/{ann}"),
        r#"{"values": {"city": "Rome"}}"#,
    );
    let history = api_get(&server, &format!("/api/records/{ann}/history"));
    let created = &history.as_array().expect("changes")[0];
    let ms = created["time_ms"].as_i64().expect("time_ms");

    let by_api = api_send(
        &server,
        "POST",
        &format!("/api/records/{ann}/restore-at"),
        &format!(r#"{{"at": {ms}}}"#),
    );
    assert_eq!(by_api["changed"], true, "{by_api}");
    assert!(by_api["group"].is_string(), "{by_api}");
    assert_eq!(
        api_get(&server, &format!("/api/records/{ann}"))["fields"]["city"],
        "Oslo"
    );

    // Already as it was: nothing written, the same shape from the CLI.
    let time = created["time"].as_str().expect("time");
    let by_cli = cli(&path, &["record", "restore", &ann, "--at", time]);
    assert_eq!(keys(&by_cli), ["at", "changed", "group", "id"]);
    assert_eq!(keys(&by_cli), keys(&by_api));
    assert_eq!(by_cli["changed"], false, "{by_cli}");
    assert_eq!(by_cli["group"], Value::Null);
}

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

/// The toast a page's redirect after an action carries (its `done` parameter).
fn toast(page: &web_support::Response) -> String {
    assert_eq!(page.status, 303, "{}", page.body);
    let query = page.location().split_once('?').expect("a toast").1;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "done")
        .map(|(_, v)| v.into_owned())
        .expect("a done message")
}

/// `kith --workspace WS ARGS` (no `--json`): what it printed.
fn cli_text(ws: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_kith"))
        .arg("--workspace")
        .arg(ws)
        .args(args)
        .env_remove("KITH_WORKSPACE")
        .output()
        .expect("kith runs");
    assert!(
        out.status.success(),
        "kith {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

#[test]
fn an_export_writes_the_same_file_from_the_cli_the_api_and_the_table_page() {
    let (_dir, mut ws) = workspace();
    let path = ws.path().expect("on disk").to_path_buf();
    add(&mut ws, "people", &[("name", "Ada Lovelace"), ("city", "London")]);
    add(&mut ws, "people", &[("name", "Alan Turing"), ("city", "London")]);
    add(&mut ws, "people", &[("name", "Bo"), ("city", "Oslo")]);
    let server = TestServer::start(ws);

    let by_cli = cli_text(
        &path,
        &[
            "export",
            "--object",
            "people",
            "--filter",
            "city = London",
            "--sort",
            "-name",
            "--columns",
            "name,city",
        ],
    );
    let by_api = server.get("/api/objects/people/export?filter=city%20%3D%20London&sort=-name&columns=name,city");
    assert_eq!(by_api.status, 200, "{}", by_api.body);
    assert_eq!(by_api.body, by_cli);
    let rows: Vec<Vec<&str>> = by_cli.lines().map(|l| l.split(',').skip(1).collect()).collect();
    assert_eq!(
        rows,
        [
            vec!["name", "city"],
            vec!["Alan Turing", "London"],
            vec!["Ada Lovelace", "London"]
        ]
    );

    // The table page's "Export CSV" of that view: every active field.
    let page = server.get("/o/people/export.csv?filter=city+%3D+London&sort=-name");
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(
        page.body,
        cli_text(
            &path,
            &[
                "export",
                "--object",
                "people",
                "--filter",
                "city = London",
                "--sort",
                "-name"
            ]
        )
    );

    // JSON: the records themselves, in the shape of every record.
    assert_eq!(
        cli(&path, &["export", "--object", "people", "--sort", "name"]),
        api_get(&server, "/api/objects/people/export?format=json&sort=name")
    );
    // A bad filter is refused before anything is sent.
    let refused = server.get("/api/objects/people/export?filter=shoe_size%20%3D%201");
    assert_eq!(refused.status, 422, "{}", refused.body);
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

#[test]
fn automations_are_managed_tested_run_and_reverted_the_same_from_the_cli_and_the_api() {
    let (_dir, mut ws) = workspace();
    let path = ws.path().expect("on disk").to_path_buf();
    let ann = add(&mut ws, "people", &[("name", "Ann Lee")]).to_string();
    let server = TestServer::start(ws);

    let by_cli = cli(
        &path,
        &[
            "automation",
            "add",
            "greet",
            "--object",
            "people",
            "--on",
            "manual",
            "--create-task",
            "Greet {name}",
        ],
    );
    let by_api = api_send(
        &server,
        "POST",
        "/api/automations",
        r#"{"name": "callback", "definition": {"object": "people", "trigger": "manual",
            "actions": [{"create_task": {"title": "Call {name}"}}]}}"#,
    );
    assert_eq!(keys(&by_cli), ["id", "message", "undo"]);
    assert_eq!(keys(&by_cli), keys(&by_api));
    assert_eq!(by_api["message"], "Automation added: “callback” (manual)");
    // The Automations page's editor is the same operation, with the same sentence.
    let page = server.post_form(
        "/automations",
        &[
            ("name", "buzz"),
            ("object", "people"),
            ("trigger", "manual"),
            ("task", "Buzz {name}"),
        ],
    );
    assert_eq!(toast(&page), "Automation added: “buzz” (manual)");
    api_send(&server, "POST", "/api/automations/buzz/remove", "");

    assert_eq!(
        cli(&path, &["automation", "list"]),
        api_get(&server, "/api/automations")
    );
    assert_eq!(
        cli(&path, &["automation", "show", "callback"]),
        api_get(&server, "/api/automations/callback")
    );

    let by_cli = cli(&path, &["automation", "edit", "greet", "--rename", "hello"]);
    let by_api = api_send(&server, "PATCH", "/api/automations/callback", r#"{"name": "ring"}"#);
    assert_eq!(keys(&by_cli), keys(&by_api));
    assert_eq!(by_api["message"], "Automation saved: “ring”");

    let by_cli = cli(&path, &["automation", "disable", "hello"]);
    let by_api = api_send(&server, "POST", "/api/automations/ring/disable", "");
    assert_eq!(keys(&by_cli), keys(&by_api));
    assert_eq!(api_get(&server, "/api/automations/ring")["enabled"], false);
    let by_cli = cli(&path, &["automation", "enable", "hello"]);
    let by_api = api_send(&server, "POST", "/api/automations/ring/enable", "");
    assert_eq!(by_cli["message"], "Automation enabled: “hello”");
    assert_eq!(by_api["message"], "Automation enabled: “ring”");

    assert_eq!(
        cli(&path, &["automation", "test", "ring", "--record", &ann]),
        api_get(&server, &format!("/api/records/{ann}/automations/ring/test"))
    );

    let by_cli = cli(&path, &["automation", "run", "hello", "--record", &ann]);
    let by_api = api_send(&server, "POST", &format!("/api/records/{ann}/automations/ring/run"), "");
    assert_eq!(keys(&by_cli[0]), keys(&by_api[0]));
    assert_eq!(by_api[0]["status"], "ok");
    assert_eq!(
        cli(&path, &["automation", "runs"]),
        api_get(&server, "/api/automations/runs")
    );

    let (cli_run, api_run) = (
        by_cli[0]["run"].as_str().expect("a run").to_string(),
        by_api[0]["run"].as_str().expect("a run").to_string(),
    );
    let by_cli = cli(&path, &["automation", "revert", &cli_run]);
    let by_api = api_send(&server, "POST", &format!("/api/automations/runs/{api_run}/revert"), "");
    assert_eq!(keys(&by_cli), keys(&by_api));
    assert!(by_api["undo"].as_str().is_some_and(|u| u.starts_with("group:")));
    let tasks = api_get(&server, "/api/objects/tasks/records");
    assert_eq!(tasks["count"], 0, "both runs' tasks are taken back: {tasks}");

    let by_cli = cli(&path, &["automation", "remove", "hello"]);
    let by_api = api_send(&server, "POST", "/api/automations/ring/remove", "");
    assert_eq!(keys(&by_cli), keys(&by_api));
    assert!(by_api["undo"].as_str().is_some_and(|u| u.starts_with("change:")));
    assert_eq!(api_get(&server, "/api/automations"), serde_json::json!([]));
}

#[test]
fn reports_and_dashboards_are_managed_and_run_the_same_from_the_cli_and_the_api() {
    let (_dir, mut ws) = workspace();
    let path = ws.path().expect("on disk").to_path_buf();
    add(
        &mut ws,
        "deals",
        &[("name", "A"), ("stage", "Won"), ("amount", "100 EUR")],
    );
    add(
        &mut ws,
        "deals",
        &[("name", "B"), ("stage", "Lead"), ("amount", "7 EUR")],
    );
    let server = TestServer::start(ws);

    let by_cli = cli(
        &path,
        &[
            "report",
            "add",
            "stages",
            "--object",
            "deals",
            "--group-by",
            "stage",
            "--measure",
            "sum:amount",
        ],
    );
    let by_api = api_send(
        &server,
        "POST",
        "/api/reports",
        r#"{"name": "counts", "object": "deals", "group_by": ["stage"]}"#,
    );
    assert_eq!(keys(&by_cli), ["id", "message", "undo"]);
    assert_eq!(keys(&by_cli), keys(&by_api));
    assert_eq!(by_api["message"], "Report saved: “counts”");
    // The Reports page's save form is the same operation, with the same sentence.
    let page = server.post_form(
        "/reports",
        &[
            ("object", "deals"),
            ("g1", "stage"),
            ("mk", "count"),
            ("mf", ""),
            ("name", "form"),
        ],
    );
    assert_eq!(toast(&page), "Report saved: “form”");
    assert!(web_support::undo_spec(page.location()).starts_with("change:"));
    api_send(&server, "POST", "/api/reports/form/remove", "");

    assert_eq!(cli(&path, &["report", "list"]), api_get(&server, "/api/reports"));
    let by_cli = cli(&path, &["report", "edit", "stages", "--chart", "pie"]);
    let by_api = api_send(
        &server,
        "PATCH",
        "/api/reports/counts",
        r#"{"measures": ["count", "avg:amount"]}"#,
    );
    assert_eq!(keys(&by_cli), keys(&by_api));
    assert!(by_api["undo"].as_str().is_some_and(|u| u.starts_with("change:")));
    assert_eq!(
        cli(&path, &["report", "show", "counts"]),
        api_get(&server, "/api/reports/counts")
    );
    assert_eq!(
        api_get(&server, "/api/reports/counts")["measures"],
        serde_json::json!(["count", "avg:amount"])
    );

    let run = cli(&path, &["report", "run", "stages"]);
    assert_eq!(run, api_get(&server, "/api/reports/stages/run"));
    assert_eq!(run["totals"], serde_json::json!([{"EUR": "107.00"}]));
    let csv = server.get("/api/reports/stages/run?format=csv");
    assert_eq!(csv.body, cli_text(&path, &["report", "run", "stages", "--csv"]));
    let svg = server.get("/api/reports/stages/run?format=svg");
    assert_eq!(
        svg.body,
        cli_text(&path, &["report", "run", "stages", "--svg"]).trim_end()
    );
    assert!(svg.body.starts_with("<svg"), "{}", svg.body);
    // The report page's CSV download is the same run.
    assert_eq!(
        server
            .get(&format!("/reports/{}/report.csv", run["id"].as_str().expect("an id")))
            .body,
        csv.body
    );

    let by_cli = cli(&path, &["dashboard", "add", "sales", "--report", "stages"]);
    let by_api = api_send(
        &server,
        "POST",
        "/api/dashboards",
        r#"{"name": "pipeline", "reports": ["counts"]}"#,
    );
    assert_eq!(keys(&by_cli), keys(&by_api));
    assert_eq!(by_api["message"], "Dashboard saved: “pipeline”, 1 report");
    let by_cli = cli(
        &path,
        &["dashboard", "edit", "sales", "--report", "counts", "--report", "stages"],
    );
    let by_api = api_send(&server, "PATCH", "/api/dashboards/pipeline", r#"{"name": "funnel"}"#);
    assert_eq!(keys(&by_cli), keys(&by_api));
    assert_eq!(cli(&path, &["dashboard", "list"]), api_get(&server, "/api/dashboards"));
    let shown = api_get(&server, "/api/dashboards/sales");
    assert_eq!(cli(&path, &["dashboard", "show", "sales"]), shown);
    let names: Vec<&str> = shown["reports"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["report"].as_str())
        .collect();
    assert_eq!(names, ["counts", "stages"]);

    let by_cli = cli(&path, &["dashboard", "remove", "sales"]);
    let by_api = api_send(&server, "POST", "/api/dashboards/funnel/remove", "");
    assert_eq!(keys(&by_cli), keys(&by_api));
    assert_eq!(api_get(&server, "/api/dashboards")["dashboards"], serde_json::json!([]));
    let by_cli = cli(&path, &["report", "remove", "stages"]);
    let by_api = api_send(&server, "POST", "/api/reports/counts/remove", "");
    assert_eq!(keys(&by_cli), keys(&by_api));
    assert_eq!(by_api["message"], "Report deleted: “counts”");
    assert_eq!(api_get(&server, "/api/reports")["reports"], serde_json::json!([]));
}
