//! `kith … --json` and the web UI's `/api` answer in the same JSON for the same
//! operation: both call one function of the application layer (`client/src/app/`). The
//! CLI runs here while the server holds the workspace, so its commands are forwarded to
//! that server and both answers come from the same workspace at the same moment.
//!
//! This file: records (reads, changes, imports, bulk edits, conflicts, restores, exports).
#![cfg(unix)]

#[path = "support/agree.rs"]
mod agree;
mod web_support;

use std::sync::atomic::{AtomicI64, Ordering};

use agree::{api_get, api_send, cli, cli_text, keys};
use serde_json::Value;
use web_support::{TestServer, add, workspace};

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
    // Each write a second after the one before: with the wall clock, the creation, the
    // edit and the restore could share a second (or, under load, the creation and the
    // edit a second the restore falls after), and "the record at that moment" would be
    // a different record from run to run.
    ws.set_clock(a_second_per_call);
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

    // Already as it was: nothing written, the same shape from the CLI. The moment is
    // given to the millisecond: `--at` with whole seconds names the END of that second
    // (so `kith history`'s times include the change they show), which is after the edit
    // whenever the edit shares the creation's second.
    let by_cli = cli(&path, &["record", "restore", &ann, "--at", &to_the_millisecond(ms)]);
    assert_eq!(keys(&by_cli), ["at", "changed", "group", "id"]);
    assert_eq!(keys(&by_cli), keys(&by_api));
    assert_eq!(by_cli["changed"], false, "{by_cli}");
    assert_eq!(by_cli["group"], Value::Null);
}

/// A fake clock for a workspace the test server holds (and the CLI's forwarded commands
/// run in): one second later at each call. Only the test above sets it.
fn a_second_per_call() -> i64 {
    static NOW: AtomicI64 = AtomicI64::new(1_700_000_000_000);
    NOW.fetch_add(1000, Ordering::SeqCst) + 1000
}

/// `ms` as RFC 3339 with its milliseconds, always written (`.000` too: without a
/// fraction, `--at` means the end of the second).
fn to_the_millisecond(ms: i64) -> String {
    let seconds = kith_core::time_fmt::format_datetime(ms);
    format!("{}.{:03}Z", seconds.trim_end_matches('Z'), ms.rem_euclid(1000))
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
