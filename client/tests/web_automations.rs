//! Automations through the web UI's forms: an edit that triggers one is undone from its
//! toast together with what the automation did; a bad definition is refused and saves
//! nothing.

mod web_support;

use kith_core::Query;
use web_support::{TestServer, add, undo_spec, workspace};

#[test]
fn undoing_an_edit_that_triggered_an_automation_takes_back_what_it_did_too() {
    let (_dir, mut ws) = workspace();
    let ann = add(&mut ws, "people", &[("name", "Ann Lee"), ("city", "Oslo")]);
    let server = TestServer::start(ws);
    let made = server.post_form(
        "/automations",
        &[
            ("name", "Movers"),
            ("object", "people"),
            ("trigger", "changed"),
            ("field", "city"),
            ("task", "Send {name} a welcome to {city}"),
        ],
    );
    assert_eq!(made.status, 303, "{}", made.body);
    let saved = server.post_form(&format!("/r/{ann}/edit"), &[("city", "Bergen")]);
    assert_eq!(saved.status, 303, "{}", saved.body);
    let undo = undo_spec(saved.location());
    assert!(undo.starts_with("group:"), "{undo}");
    assert!(server.get("/o/tasks").body.contains("Send Ann Lee a welcome to Bergen"));
    assert!(server.get("/automations/runs").body.contains("Movers"));
    assert_eq!(
        server
            .post_form("/undo", &[("undo", &undo), ("back", &format!("/r/{ann}"))])
            .status,
        303
    );
    let refused = server.post_form(
        "/automations",
        &[
            ("name", "Bad"),
            ("object", "people"),
            ("trigger", "changed"),
            ("field", "nope"),
            ("task", "x"),
        ],
    );
    assert_eq!(refused.status, 422, "{}", refused.body);
    let ws = server.stop();
    let tasks = ws.object_named("tasks").unwrap().id;
    assert!(ws.query(&Query::new(tasks)).unwrap().ids.is_empty());
    let city = ws
        .record(ann)
        .unwrap()
        .cells
        .into_iter()
        .find(|c| c.key == "city")
        .unwrap();
    assert_eq!(city.display, "Oslo");
    assert_eq!(ws.automations().unwrap().len(), 1);
}
