//! The schema editor over plain HTTP: retype with the report first, rename, archive with
//! undo, option colours from the palette.

mod web_support;

use kith_core::FieldKind;
use web_support::{TestServer, add, undo_spec, workspace};

#[test]
fn the_schema_editor_shows_what_a_retype_would_not_convert_before_doing_it() {
    let (_dir, mut ws) = workspace();
    let companies = ws.object_named("companies").expect("companies").id;
    let employees = ws.field_named(companies, "employees").expect("employees").id;
    add(&mut ws, "companies", &[("name", "Acme"), ("employees", "12")]);
    let server = TestServer::start(ws);
    // Retype number -> boolean: "12" does not convert; the preview says so and changes nothing.
    let preview = server.get(&format!(
        "/schema/retype?object={companies}&field={employees}&kind=boolean"
    ));
    assert_eq!(preview.status, 200);
    assert!(preview.body.contains("0 values convert; 1 do not"), "{}", preview.body);
    assert!(preview.body.contains("Acme"));
    let fields = |server: &TestServer| server.get("/api/schema").body;
    assert!(fields(&server).contains("\"kind\":\"number\""));
    let (c, f) = (companies.to_string(), employees.to_string());
    let done = server.post_form(
        "/schema/field/change",
        &[("object", &c), ("field", &f), ("action", "retype"), ("kind", "text")],
    );
    assert_eq!(done.status, 303, "{}", done.body);
    assert!(done.location().contains("undo=change"), "{}", done.location());
    let renamed = server.post_form(
        "/schema/field/change",
        &[
            ("object", &c),
            ("field", &f),
            ("action", "rename"),
            ("label", "Headcount"),
        ],
    );
    assert_eq!(renamed.status, 303);
    assert!(server.get("/schema").body.contains("value=\"Headcount\""));
    let archived = server.post_form(
        "/schema/field/change",
        &[("object", &c), ("field", &f), ("action", "archive")],
    );
    assert_eq!(archived.status, 303);
    // Undo the archive from its toast: the field is back, its value intact.
    let undo = undo_spec(archived.location());
    assert_eq!(
        server
            .post_form("/undo", &[("undo", &undo), ("back", "/schema")])
            .status,
        303
    );
    let ws = server.stop();
    let acme = ws.object_named("companies").expect("companies");
    let field = acme.field(employees).expect("the field");
    assert!(!field.archived && field.label == "Headcount" && field.kind == FieldKind::Text);
}

#[test]
fn an_option_gets_a_colour_from_the_palette_only() {
    let (_dir, ws) = workspace();
    let deals = ws.object_named("deals").expect("deals").id;
    let stage = ws.field_named(deals, "stage").expect("stage").id;
    let server = TestServer::start(ws);
    let (d, s) = (deals.to_string(), stage.to_string());
    let ok = server.post_form(
        "/schema/option",
        &[("object", &d), ("field", &s), ("option", "Won"), ("color", "teal")],
    );
    assert_eq!(ok.status, 303);
    let bad = server.post_form(
        "/schema/option",
        &[
            ("object", &d),
            ("field", &s),
            ("option", "Won"),
            ("color", "red;background:url(x)"),
        ],
    );
    assert_eq!(bad.status, 400);
    let added = server.post_form("/schema/option", &[("object", &d), ("field", &s), ("add", "On hold")]);
    assert_eq!(added.status, 303);
    let ws = server.stop();
    let stage = ws
        .object_named("deals")
        .expect("deals")
        .field(stage)
        .expect("stage")
        .clone();
    assert_eq!(stage.option_named("Won").expect("won").color, "teal");
    assert!(stage.option_named("On hold").is_some());
}
