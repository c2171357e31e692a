//! The JSON API under /api: list with a filter, update with an undo, revert, errors.

mod web_support;

use web_support::{TestServer, add, workspace};

#[test]
fn the_json_api_lists_and_updates_records_with_an_undo() {
    let (_dir, mut ws) = workspace();
    let ann = add(&mut ws, "people", &[("name", "Ann Lee"), ("city", "Oslo")]);
    let server = TestServer::start(ws);
    let list: serde_json::Value =
        serde_json::from_str(&server.get("/api/objects/people/records?filter=city%20%3D%20Oslo").body).expect("json");
    assert_eq!(list["count"], 1);
    assert_eq!(list["records"][0]["fields"]["name"], "Ann Lee");
    let patch = server.request(
        "PATCH",
        &format!("/api/records/{ann}"),
        &[("Content-Type", "application/json"), ("x-kith-token", &server.token)],
        r#"{"values": {"city": "Rome"}}"#,
    );
    assert_eq!(patch.status, 200, "{}", patch.body);
    let v: serde_json::Value = serde_json::from_str(&patch.body).expect("json");
    assert_eq!(v["id"], ann.to_string());
    let got: serde_json::Value = serde_json::from_str(&server.get(&format!("/api/records/{ann}")).body).expect("json");
    assert_eq!(got["fields"]["city"], "Rome");
    let change = v["undo"]
        .as_str()
        .expect("an undo")
        .trim_start_matches("change:")
        .to_string();
    let revert = server.request(
        "POST",
        "/api/revert",
        &[("Content-Type", "application/json"), ("x-kith-token", &server.token)],
        &format!(r#"{{"change": "{change}"}}"#),
    );
    assert_eq!(revert.status, 200, "{}", revert.body);
    let bad = server.request(
        "PATCH",
        &format!("/api/records/{ann}"),
        &[("Content-Type", "application/json"), ("x-kith-token", &server.token)],
        r#"{"values": {"email": "nope"}}"#,
    );
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("\"error\""));
}
