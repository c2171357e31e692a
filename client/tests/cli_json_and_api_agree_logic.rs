//! `kith … --json` and the web UI's `/api` answer in the same JSON for the same
//! operation: both call one function of the application layer (`client/src/app/`). The
//! CLI runs here while the server holds the workspace, so its commands are forwarded to
//! that server and both answers come from the same workspace at the same moment.
//!
//! This file: the logic (automations, reports and dashboards).
#![cfg(unix)]

#[path = "support/agree.rs"]
mod agree;
mod web_support;

use agree::{api_get, api_send, cli, cli_text, keys, toast};
use web_support::{TestServer, add, workspace};

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
