//! Saved views are view documents: one saved in the web UI of one device shows in the
//! sidebar of another device after sync (a user's own view only in their own), and views
//! kept in the old `ui.views` setting move into documents once.

mod web_support;

use kith_core::sync::protocol::Entry;
use kith_core::{DocKind, Workspace};
use web_support::{TestServer, undo_spec, workspace};

/// Everything `from` has not sent yet, applied to `to` as if the relay delivered it.
fn deliver(from: &Workspace, to: &mut Workspace) {
    let entries: Vec<Entry> = from
        .outbox(10_000)
        .expect("the outbox")
        .into_iter()
        .enumerate()
        .map(|(i, c)| Entry {
            seq: i as u64 + 1,
            doc: c.doc,
            data: c.data,
        })
        .collect();
    let last = entries.len() as u64;
    to.apply_remote(&[], &entries, last).expect("applied");
}

#[test]
fn a_view_saved_on_one_device_shows_in_the_sidebar_of_another_after_sync() {
    let (_dir, ws) = workspace();
    let server = TestServer::start(ws);
    let shared = [
        ("name", "Biggest deals"),
        ("object", "deals"),
        ("kind", "table"),
        ("filter", ""),
        ("sort", "-amount"),
        ("field", ""),
    ];
    assert_eq!(server.post_form("/views", &shared).status, 303);
    let mut own = shared.to_vec();
    own[0] = ("name", "Tester's own deals");
    own.push(("mine", "1"));
    assert_eq!(server.post_form("/views", &own).status, 303);
    assert!(
        server.get("/o/deals").body.contains("own deals"),
        "the user sees their own view"
    );
    let ws = server.stop();

    let other = tempfile::tempdir().expect("a directory");
    let mut replica = Workspace::create_replica(&other.path().join("ws"), "bo").expect("a replica");
    deliver(&ws, &mut replica);
    let server = TestServer::start(replica);
    let page = server.get("/o/people").body;
    assert!(
        page.contains("Biggest deals"),
        "the shared view is in the sidebar: {page}"
    );
    assert!(page.contains("sort=-amount"), "with its state");
    assert!(!page.contains("own deals"), "another user's own view is not");
}

#[test]
fn views_kept_in_the_old_setting_move_into_view_documents_once() {
    let (_dir, mut ws) = workspace();
    ws.set_setting(
        "ui.views",
        r#"[{"id":"abc123","name":"Old view","object":"people","kind":"table","filter":"","sort":"name","field":""}]"#,
    )
    .unwrap();
    let server = TestServer::start(ws);
    assert!(server.get("/o/people").body.contains("Old view"));
    let ws = server.stop();
    assert_eq!(ws.setting("ui.views").unwrap().as_deref(), Some(""));
    let views = ws.config_contents(&DocKind::View).unwrap();
    assert_eq!(views.len(), 1);
    assert_eq!(views[0].name, "Old view");
    assert_eq!(views[0].content["sort"], "name");
    // Started again, nothing is migrated twice.
    let server = TestServer::start(ws);
    let ws = server.stop();
    assert_eq!(ws.config_contents(&DocKind::View).unwrap().len(), 1);
}

#[test]
fn a_deleted_view_leaves_the_sidebar_and_its_undo_brings_it_back() {
    let (_dir, ws) = workspace();
    let server = TestServer::start(ws);
    let fields = [
        ("name", "Everyone by name"),
        ("object", "people"),
        ("kind", "table"),
        ("filter", ""),
        ("sort", "name"),
        ("field", ""),
    ];
    let saved = server.post_form("/views", &fields);
    let id = saved
        .location()
        .split("view=")
        .nth(1)
        .expect("the view's id")
        .split('&')
        .next()
        .unwrap()
        .to_string();
    let deleted = server.post_form(&format!("/views/{id}/delete"), &[("back", "/o/people")]);
    assert_eq!(deleted.status, 303);
    assert!(!server.get("/o/people").body.contains("Everyone by name"));
    let undo = undo_spec(deleted.location());
    let undone = server.post_form("/undo", &[("undo", &undo), ("back", "/o/people")]);
    assert_eq!(undone.status, 303, "{}", undone.body);
    assert!(server.get("/o/people").body.contains("Everyone by name"));
    // The redo archives it again.
    let redo = undo_spec(undone.location());
    assert_eq!(
        server
            .post_form("/undo", &[("undo", &redo), ("back", "/o/people")])
            .status,
        303
    );
    assert!(!server.get("/o/people").body.contains("Everyone by name"));
    let ws = server.stop();
    assert_eq!(
        ws.config_contents(&DocKind::View).unwrap().len(),
        1,
        "archived, never destroyed"
    );
}
