//! Validation rules in the web UI over plain HTTP: added and edited in the schema editor,
//! a refused save shows the rule's message beside the fields it concerns on the record
//! page, and the Conflicts page lists records that break a rule.

mod web_support;

use web_support::{TestServer, add, undo_spec, workspace};

const MESSAGE: &str = "Close date is required when Stage is Won";

/// A rule's message as the editor lists it (in its edit form).
fn listed(message: &str) -> String {
    format!("value=\"{message}\"")
}

fn add_rule(server: &TestServer, object: &str) {
    let added = server.post_form(
        "/schema/rule",
        &[
            ("action", "add"),
            ("object", object),
            ("when", "stage != \"Won\" or not is_empty([Close date])"),
            ("message", MESSAGE),
            ("fields", "close_date"),
        ],
    );
    assert_eq!(added.status, 303, "{}", added.body);
}

#[test]
fn a_rule_added_in_the_schema_editor_refuses_a_save_with_its_message_beside_the_field() {
    let (_dir, mut ws) = workspace();
    let deals = ws.object_named("deals").expect("deals").id.to_string();
    let id = add(&mut ws, "deals", &[("name", "Renewal"), ("stage", "Lead")]);
    let server = TestServer::start(ws);
    add_rule(&server, &deals);
    let schema = server.get("/schema").body;
    assert!(schema.contains(&listed(MESSAGE)), "{schema}");
    assert!(schema.contains("is_empty([Close date])"), "{schema}");

    let refused = server.post_form(&format!("/r/{id}/edit"), &[("stage", "Won")]);
    assert_eq!(refused.status, 422, "{}", refused.body);
    // The message is shown beside the edited field and beside the field the rule names.
    let body = &refused.body;
    let at = |key: &str| {
        let start = body.find(&format!("data-field=\"{key}\"")).expect(key);
        let end = body[start..].find("</form>").expect("end of the field form") + start;
        body[start..end].to_string()
    };
    assert!(at("stage").contains(MESSAGE), "{}", at("stage"));
    assert!(at("close_date").contains(MESSAGE), "{}", at("close_date"));
    assert!(!at("name").contains(MESSAGE));
    assert!(server.get(&format!("/r/{id}")).body.contains("Lead"));
    server.stop();
}

#[test]
fn rules_are_edited_disabled_and_removed_with_undo_and_breaks_are_on_the_conflicts_page() {
    let (_dir, mut ws) = workspace();
    let deals = ws.object_named("deals").expect("deals").id.to_string();
    add(&mut ws, "deals", &[("name", "Old win"), ("stage", "Won")]);
    let server = TestServer::start(ws);
    assert!(!server.get("/conflicts").body.contains(MESSAGE));
    add_rule(&server, &deals);
    let conflicts = server.get("/conflicts").body;
    assert!(
        conflicts.contains("Old win") && conflicts.contains(MESSAGE),
        "{conflicts}"
    );

    let ws = server.stop();
    let rule = ws.rules(None).expect("rules")[0].id.to_string();
    let server = TestServer::start(ws);
    let edited = server.post_form(
        "/schema/rule",
        &[
            ("action", "edit"),
            ("rule", &rule),
            ("when", "true"),
            ("message", "Always fine"),
        ],
    );
    assert_eq!(edited.status, 303, "{}", edited.body);
    assert!(server.get("/schema").body.contains("Always fine"));
    assert!(!server.get("/conflicts").body.contains("Old win"));
    // Its undo puts the old rule back.
    let undo = undo_spec(edited.location());
    assert_eq!(
        server
            .post_form("/undo", &[("undo", &undo), ("back", "/schema")])
            .status,
        303
    );
    assert!(server.get("/schema").body.contains(&listed(MESSAGE)));

    let bad = server.post_form(
        "/schema/rule",
        &[
            ("action", "edit"),
            ("rule", &rule),
            ("when", "stage = "),
            ("message", "x"),
        ],
    );
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("line 1, column 9"), "{}", bad.body);

    let off = server.post_form("/schema/rule", &[("action", "disable"), ("rule", &rule)]);
    assert_eq!(off.status, 303);
    assert!(!server.get("/conflicts").body.contains("Old win"));
    let removed = server.post_form("/schema/rule", &[("action", "remove"), ("rule", &rule)]);
    assert_eq!(removed.status, 303);
    assert!(!server.get("/schema").body.contains(&listed(MESSAGE)));
    let ws = server.stop();
    assert!(ws.rules(None).expect("rules")[0].archived);
}

#[test]
fn the_conflicts_page_lists_the_first_two_hundred_rule_breaks_and_points_to_the_cli() {
    let (_dir, mut ws) = workspace();
    let deals = ws.object_named("deals").expect("deals").id.to_string();
    for i in 0..201 {
        add(&mut ws, "deals", &[("name", &format!("Old win {i}")), ("stage", "Won")]);
    }
    let server = TestServer::start(ws);
    add_rule(&server, &deals);
    let conflicts = server.get("/conflicts").body;
    assert_eq!(conflicts.matches(">Old win ").count(), 200, "{conflicts}");
    assert!(conflicts.contains("The first 200 are shown"), "{conflicts}");
    let ws = server.stop();
    assert_eq!(ws.rule_breaks(None).expect("breaks").len(), 201);
}

#[test]
fn a_record_that_breaks_a_rule_says_so_on_its_page_until_it_is_fixed() {
    let (_dir, mut ws) = workspace();
    let deals = ws.object_named("deals").expect("deals").id.to_string();
    let old = add(&mut ws, "deals", &[("name", "Old win"), ("stage", "Won")]);
    let fine = add(&mut ws, "deals", &[("name", "Open deal"), ("stage", "Lead")]);
    let server = TestServer::start(ws);
    add_rule(&server, &deals);

    let page = server.get(&format!("/r/{old}")).body;
    assert!(page.contains("rule-break") && page.contains(MESSAGE), "{page}");
    assert!(page.contains("Edit Close date so that it holds."), "{page}");
    assert!(!server.get(&format!("/r/{fine}")).body.contains("rule-break"));

    let saved = server.post_form(&format!("/r/{old}/edit"), &[("close_date", "2026-11-30")]);
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert!(!server.get(&format!("/r/{old}")).body.contains("rule-break"));
}
