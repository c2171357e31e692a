//! Saved views answer the same JSON from `kith view … --json` and `/api/views…`: both
//! call `crate::app::views`. The CLI runs while the server holds the workspace, so its
//! commands are forwarded to that server and both answers come from the same workspace.
#![cfg(unix)]

#[path = "support/agree.rs"]
mod agree;
mod web_support;

use agree::{api_get, api_send, cli, keys};
use web_support::{TestServer, add, workspace};

#[test]
fn views_read_the_same_from_the_cli_and_the_api() {
    let (_dir, mut ws) = workspace();
    let path = ws.path().expect("on disk").to_path_buf();
    add(&mut ws, "people", &[("name", "Ada Lovelace"), ("city", "London")]);
    add(&mut ws, "people", &[("name", "Alan Turing"), ("city", "London")]);
    add(&mut ws, "people", &[("name", "Grace Hopper"), ("city", "New York")]);
    let server = TestServer::start(ws);

    let saved = api_send(
        &server,
        "POST",
        "/api/views",
        r#"{"name": "Londoners", "object": "people", "filter": "city = London", "sort": "-name"}"#,
    );
    let id = saved["id"].as_str().expect("an id").to_string();

    assert_eq!(cli(&path, &["view", "list"]), api_get(&server, "/api/views"));
    assert_eq!(api_get(&server, "/api/views")["views"][0]["filter"], "city = London");
    assert_eq!(
        cli(&path, &["view", "show", "Londoners"]),
        api_get(&server, "/api/views/Londoners")
    );
    assert_eq!(
        cli(&path, &["view", "show", &id]),
        api_get(&server, &format!("/api/views/{id}"))
    );

    let run = cli(&path, &["view", "run", "Londoners"]);
    assert_eq!(run, api_get(&server, "/api/views/Londoners/records"));
    assert_eq!(run["count"], 2);
    assert_eq!(run["records"][0]["name"], "Alan Turing");
    // The shape and records of `record list` with the view's filter and sort.
    assert_eq!(
        run,
        api_get(
            &server,
            "/api/objects/people/records?filter=city%20%3D%20London&sort=-name"
        )
    );
    let first = cli(&path, &["view", "run", "Londoners", "--limit", "1"]);
    assert_eq!(first, api_get(&server, &format!("/api/views/{id}/records?limit=1")));
    let next = first["next"].as_str().expect("a second page");
    assert_eq!(
        cli(&path, &["view", "run", "Londoners", "--limit", "1", "--after", next]),
        api_get(&server, &format!("/api/views/{id}/records?limit=1&after={next}"))
    );
}

#[test]
fn view_changes_answer_in_the_same_shape_from_the_cli_and_the_api() {
    let (_dir, ws) = workspace();
    let path = ws.path().expect("on disk").to_path_buf();
    let server = TestServer::start(ws);

    let by_cli = cli(
        &path,
        &["view", "save", "By name", "--object", "people", "--sort", "name"],
    );
    let by_api = api_send(
        &server,
        "POST",
        "/api/views",
        r#"{"name": "Board", "object": "deals", "kind": "board", "field": "stage", "mine": true}"#,
    );
    assert_eq!(keys(&by_cli), ["id", "message", "undo"]);
    assert_eq!(keys(&by_cli), keys(&by_api));
    let views = api_get(&server, "/api/views");
    assert_eq!(views["views"][1]["kind"], "board");
    assert!(views["views"][1]["owner"].is_string(), "{views}");

    let by_cli = cli(&path, &["view", "edit", "By name", "--sort", "-name"]);
    let by_api = api_send(&server, "PATCH", "/api/views/By%20name", r#"{"sort": "name"}"#);
    assert_eq!(keys(&by_cli), keys(&by_api));
    assert_eq!(by_cli["message"], by_api["message"]);
    assert_eq!(
        api_get(&server, "/api/views/By%20name")["history"]
            .as_array()
            .map(Vec::len),
        Some(3)
    );

    let by_api = api_send(&server, "DELETE", "/api/views/Board", "");
    let undo = by_api["undo"]
        .as_str()
        .and_then(|u| u.strip_prefix("change:"))
        .expect("an undo");
    assert_eq!(cli(&path, &["view", "list"])["views"].as_array().map(Vec::len), Some(1));
    api_send(&server, "POST", "/api/revert", &format!(r#"{{"change": "{undo}"}}"#));
    assert_eq!(
        api_get(&server, "/api/views")["views"].as_array().map(Vec::len),
        Some(2)
    );
    let by_cli = cli(&path, &["view", "remove", "Board"]);
    assert_eq!(keys(&by_cli), keys(&by_api));

    // A bad view: the same sentence, nothing saved.
    let r = server.request(
        "POST",
        "/api/views",
        &[("Content-Type", "application/json"), ("x-kith-token", &server.token)],
        r#"{"name": "Bad", "object": "people", "filter": "nope = 1"}"#,
    );
    assert!(r.status >= 400, "{}", r.body);
    assert_eq!(
        api_get(&server, "/api/views")["views"].as_array().map(Vec::len),
        Some(1)
    );
    assert_eq!(server.get("/api/views/nothing").status, 404);
}
