//! The web UI's "Save view" and "Delete view" forms call the application layer's view
//! operations (`crate::app::views`): a view saved on a page is the one `/api/views`
//! lists and runs, and a view that would not open is refused with the API's sentence.

mod web_support;

use web_support::{TestServer, add, workspace};

#[test]
fn a_view_saved_on_a_page_is_the_one_the_api_lists_and_runs() {
    let (_dir, mut ws) = workspace();
    add(&mut ws, "people", &[("name", "Ada"), ("city", "London")]);
    add(&mut ws, "people", &[("name", "Bo"), ("city", "Oslo")]);
    let server = TestServer::start(ws);
    let saved = server.post_form(
        "/views",
        &[
            ("name", "Londoners"),
            ("object", "People"),
            ("kind", "table"),
            ("filter", "city = London"),
            ("sort", "name"),
            ("field", ""),
            ("mine", "1"),
        ],
    );
    assert_eq!(saved.status, 303, "{}", saved.body);
    let list: serde_json::Value = serde_json::from_str(&server.get("/api/views").body).expect("JSON");
    let view = &list["views"][0];
    assert_eq!(view["name"], "Londoners");
    assert_eq!(view["object"], "people", "the object by key, as the app layer names it");
    assert!(view["owner"].is_string(), "{view}");
    let run: serde_json::Value = serde_json::from_str(&server.get("/api/views/Londoners/records").body).expect("JSON");
    assert_eq!(run["count"], 1);
    assert_eq!(run["records"][0]["name"], "Ada");
}

#[test]
fn a_board_view_on_a_field_that_is_no_select_is_refused_by_the_page_too() {
    let (_dir, ws) = workspace();
    let server = TestServer::start(ws);
    let refused = server.post_form(
        "/views",
        &[
            ("name", "Odd board"),
            ("object", "deals"),
            ("kind", "board"),
            ("filter", ""),
            ("sort", ""),
            ("field", "name"),
        ],
    );
    assert!(refused.status >= 400, "{}", refused.status);
    assert!(
        refused.body.contains("a board groups by a select field"),
        "{}",
        refused.body
    );
    let list: serde_json::Value = serde_json::from_str(&server.get("/api/views").body).expect("JSON");
    assert_eq!(list["views"], serde_json::json!([]));
}
