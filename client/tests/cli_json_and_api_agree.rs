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
