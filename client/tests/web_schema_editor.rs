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

/// The toast a schema editor form redirected with.
fn toast(location: &str) -> String {
    let query = location.split_once('?').map(|(_, q)| q).unwrap_or_default();
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "done")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

#[test]
fn objects_are_added_renamed_archived_and_restored_in_the_schema_editor() {
    let (_dir, ws) = workspace();
    let server = TestServer::start(ws);
    let added = server.post_form("/schema/object", &[("label", "Office visits")]);
    assert_eq!(added.status, 303, "{}", added.body);
    assert_eq!(
        toast(added.location()),
        "Object “Office visits” added as office_visits, with a name field its records are shown by"
    );
    assert!(undo_spec(added.location()).starts_with("change:"));
    let page = server.get("/schema");
    assert!(page.body.contains("id=\"object-office_visits\""), "{}", page.body);

    let renamed = server.post_form(
        "/schema/object/change",
        &[("object", "office_visits"), ("action", "rename"), ("label", "Visits")],
    );
    assert_eq!(
        toast(renamed.location()),
        "Object “Office visits” is now office_visits (“Visits”)"
    );
    let archived = server.post_form(
        "/schema/object/change",
        &[("object", "office_visits"), ("action", "archive")],
    );
    assert_eq!(archived.status, 303, "{}", archived.body);
    let page = server.get("/schema");
    assert!(!page.body.contains("id=\"object-office_visits\""));
    assert!(page.body.contains("Restore the object Visits"), "{}", page.body);
    let restored = server.post_form(
        "/schema/object/change",
        &[("object", "office_visits"), ("action", "restore")],
    );
    assert_eq!(toast(restored.location()), "Object “Visits” restored");

    // A label that makes an existing key is refused, and nothing is added.
    let again = server.post_form("/schema/object", &[("label", "Visits"), ("key", "people")]);
    assert_eq!(again.status, 422, "{}", again.body);
    let ws = server.stop();
    assert_eq!(ws.schema().objects.iter().filter(|o| o.key == "people").count(), 1);
    assert!(!ws.object_named("office_visits").expect("the object").archived);
}

#[test]
fn moving_a_field_up_in_the_schema_editor_passes_over_archived_fields() {
    let (_dir, mut ws) = workspace();
    let people = ws.object_named("people").expect("people").clone();
    let active: Vec<_> = people.active_fields().map(|f| (f.id, f.key.clone())).collect();
    // Archive the second field: the third moved up must land first, before it.
    ws.set_field_archived(people.id, active[1].0, true).expect("archive");
    let server = TestServer::start(ws);
    let (o, f) = (people.id.to_string(), active[2].0.to_string());
    let moved = server.post_form(
        "/schema/field/change",
        &[("object", &o), ("field", &f), ("action", "up")],
    );
    assert_eq!(moved.status, 303, "{}", moved.body);
    assert!(
        toast(moved.location()).ends_with("moved to position 1"),
        "{}",
        moved.location()
    );
    let ws = server.stop();
    let order: Vec<String> = ws
        .object_named("people")
        .expect("people")
        .active_fields()
        .map(|f| f.key.clone())
        .collect();
    assert_eq!(order[..2], [active[2].1.clone(), active[0].1.clone()]);
}

#[test]
fn required_and_unique_are_set_in_the_schema_editor_and_refused_while_records_break_them() {
    let (_dir, mut ws) = workspace();
    add(&mut ws, "people", &[("name", "Ann")]);
    let server = TestServer::start(ws);
    let refused = server.post_form(
        "/schema/field/change",
        &[
            ("object", "people"),
            ("field", "city"),
            ("action", "required"),
            ("value", "true"),
        ],
    );
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("no value"), "{}", refused.body);
    let set = server.post_form(
        "/schema/field/change",
        &[
            ("object", "people"),
            ("field", "city"),
            ("action", "unique"),
            ("value", "true"),
        ],
    );
    assert_eq!(toast(set.location()), "Field “City”: required no, unique yes");
    let page = server.get("/schema").body;
    assert!(
        page.contains("aria-pressed=\"true\" aria-label=\"City unique\""),
        "{page}"
    );
    let ws = server.stop();
    let people = ws.object_named("people").expect("people").id;
    let city = ws.field_named(people, "city").expect("city");
    assert!(city.unique && !city.required);
}

#[test]
fn pipeline_stages_are_renamed_moved_archived_and_restored_in_the_schema_editor() {
    let (_dir, ws) = workspace();
    let server = TestServer::start(ws);
    let option = |option: &str, action: &str, extra: &[(&str, &str)]| {
        let mut fields = vec![
            ("object", "deals"),
            ("field", "stage"),
            ("option", option),
            ("action", action),
        ];
        fields.extend_from_slice(extra);
        let r = server.post_form("/schema/option", &fields);
        assert_eq!(r.status, 303, "{action}: {}", r.body);
        toast(r.location())
    };
    assert_eq!(
        option("Won", "rename", &[("label", "Closed won")]),
        "Option “Won” of “Stage” is now “Closed won”"
    );
    assert!(option("Lost", "up", &[]).contains("moved to position"));
    assert!(option("Lost", "archive", &[]).contains("archived (records that have it keep it)"));
    let page = server.get("/schema");
    assert!(page.body.contains("Restore option Lost"), "{}", page.body);
    assert_eq!(option("Lost", "restore", &[]), "Option “Lost” of “Stage” restored");
    let ws = server.stop();
    let deals = ws.object_named("deals").expect("deals").id;
    let stage = ws.field_named(deals, "stage").expect("stage");
    let labels: Vec<&str> = stage.options.iter().map(|o| o.label.as_str()).collect();
    let won = labels.iter().position(|l| *l == "Closed won").expect("renamed");
    let lost = labels.iter().position(|l| *l == "Lost").expect("kept");
    assert!(lost < won, "Lost moved up past Closed won: {labels:?}");
    assert!(!stage.option_named("Lost").expect("lost").archived);
}

#[test]
fn a_field_retyped_to_a_relation_in_the_schema_editor_points_at_the_object_chosen() {
    let (_dir, ws) = workspace();
    let companies = ws.object_named("companies").expect("companies").id;
    let server = TestServer::start(ws);
    let preview = server.get("/schema/retype?object=people&field=city&kind=relation");
    assert_eq!(preview.status, 200, "{}", preview.body);
    assert!(preview.body.contains("name=\"target\""), "{}", preview.body);
    let c = companies.to_string();
    let done = server.post_form(
        "/schema/field/change",
        &[
            ("object", "people"),
            ("field", "city"),
            ("action", "retype"),
            ("kind", "relation"),
            ("target", &c),
        ],
    );
    assert_eq!(done.status, 303, "{}", done.body);
    let ws = server.stop();
    let people = ws.object_named("people").expect("people").id;
    let city = ws.field_named(people, "city").expect("city");
    assert_eq!((city.kind, city.target), (FieldKind::Relation, Some(companies)));
}
