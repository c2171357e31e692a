//! `kith serve` over plain HTTP (no browser): pages answer, the security guard refuses
//! what it must, every value is escaped, edits and bulk edits can be undone.

mod web_support;

use kith_core::{FieldKind, FieldSpec};
use web_support::{TestServer, add, workspace};

#[test]
fn every_page_answers_and_the_home_page_opens_the_first_object() {
    let (_dir, mut ws) = workspace();
    let ann = add(&mut ws, "people", &[("name", "Ann Lee"), ("email", "ann@example.com")]);
    add(
        &mut ws,
        "deals",
        &[("name", "Big deal"), ("stage", "Won"), ("amount", "12000 EUR")],
    );
    let server = TestServer::start(ws);
    let home = server.get("/");
    assert_eq!(home.status, 303);
    assert_eq!(home.location(), "/o/people");
    for path in [
        "/o/people".to_string(),
        "/o/deals/board".to_string(),
        format!("/r/{ann}"),
        "/trash".into(),
        "/conflicts".into(),
        "/schema".into(),
        "/sync".into(),
        "/search?q=ann".into(),
        "/static/app.css".into(),
        "/static/app.js".into(),
        "/api/schema".into(),
        "/api/objects/people/records".into(),
    ] {
        let r = server.get(&path);
        assert_eq!(r.status, 200, "{path}: {}", r.body);
    }
    let table = server.get("/o/people");
    assert!(table.body.contains("Ann Lee"));
    let csp = table
        .header("content-security-policy")
        .expect("a content security policy");
    assert!(
        csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    for path in ["/o/people", "/o/deals/board", "/schema"] {
        let body = server.get(path).body;
        assert!(
            !body.contains(" onchange=") && !body.contains(" onclick="),
            "{path} has an inline handler the policy would block"
        );
    }
    assert!(server.get("/search?q=ann").body.contains("Ann Lee"));
    assert!(server.get("/o/deals/board").body.contains("12,000 EUR"));
    assert_eq!(server.get("/o/nothing").status, 404);
    assert_eq!(server.get("/r/not-an-id").status, 404);
}

#[test]
fn a_foreign_host_header_is_refused_against_dns_rebinding() {
    let (_dir, ws) = workspace();
    let server = TestServer::start(ws);
    let r = server.request("GET", "/o/people", &[("Host", "evil.example")], "");
    assert_eq!(r.status, 421);
    let r = server.request(
        "GET",
        "/o/people",
        &[("Host", &format!("localhost:{}", server.addr.port()))],
        "",
    );
    assert_eq!(r.status, 200);
}

#[test]
fn a_change_without_the_session_token_or_from_another_origin_is_refused_and_changes_nothing() {
    let (_dir, ws) = workspace();
    let server = TestServer::start(ws);
    let body = web_support::encode(&[("name", "Mallory")]);
    let form = ("Content-Type", "application/x-www-form-urlencoded");
    let no_token = server.request("POST", "/o/people/new", &[form], &body);
    assert_eq!(no_token.status, 403);
    let wrong_token = web_support::encode(&[("_token", "guess"), ("name", "Mallory")]);
    assert_eq!(
        server.request("POST", "/o/people/new", &[form], &wrong_token).status,
        403
    );
    let with_token = web_support::encode(&[("_token", &server.token), ("name", "Mallory")]);
    let cross = server.request(
        "POST",
        "/o/people/new",
        &[form, ("Origin", "http://evil.example")],
        &with_token,
    );
    assert_eq!(cross.status, 403);
    let api = server.request("POST", "/api/revert", &[("Content-Type", "application/json")], "{}");
    assert_eq!(api.status, 403);
    let ws = server.stop();
    let people = ws.object_named("people").expect("people").id;
    assert_eq!(ws.count_all(people).expect("count"), 0);
}

#[test]
fn a_record_created_from_the_form_opens_with_an_undo_that_takes_it_back() {
    let (_dir, ws) = workspace();
    let server = TestServer::start(ws);
    let created = server.post_form("/o/people/new", &[("name", "Bo Chen"), ("email", "bo@example.com")]);
    assert_eq!(created.status, 303, "{}", created.body);
    let location = created.location().to_string();
    assert!(
        location.starts_with("/r/") && location.contains("undo=delete"),
        "{location}"
    );
    let page = server.get(&location);
    assert!(
        page.body.contains("Bo Chen") && page.body.contains("Record created"),
        "{}",
        page.body
    );
    let undo = undo_spec(&location);
    let undone = server.post_form("/undo", &[("undo", &undo), ("back", "/o/people")]);
    assert_eq!(undone.status, 303);
    let ws = server.stop();
    let people = ws.object_named("people").expect("people").id;
    assert_eq!(ws.count_all(people).expect("count"), 0);
    assert_eq!(ws.trash_len().expect("trash"), 1);
}

fn undo_spec(location: &str) -> String {
    let query = location.split_once('?').expect("a query").1;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "undo")
        .map(|(_, v)| v.into_owned())
        .expect("an undo spec")
}

#[test]
fn an_edit_is_saved_and_its_undo_reverts_exactly_that_change() {
    let (_dir, mut ws) = workspace();
    let ann = add(&mut ws, "people", &[("name", "Ann Lee"), ("city", "Oslo")]);
    let server = TestServer::start(ws);
    let saved = server.post_form(&format!("/r/{ann}/edit"), &[("city", "Bergen")]);
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert!(server.get(&format!("/r/{ann}")).body.contains("value=\"Bergen\""));
    let undo = undo_spec(saved.location());
    assert!(undo.starts_with("change:"), "{undo}");
    assert_eq!(
        server
            .post_form("/undo", &[("undo", &undo), ("back", &format!("/r/{ann}"))])
            .status,
        303
    );
    let ws = server.stop();
    let city = ws
        .record(ann)
        .expect("ann")
        .cells
        .into_iter()
        .find(|c| c.key == "city")
        .expect("city");
    assert_eq!(city.display, "Oslo");
}

#[test]
fn an_invalid_value_is_refused_with_the_message_beside_its_field() {
    let (_dir, mut ws) = workspace();
    let ann = add(&mut ws, "people", &[("name", "Ann Lee")]);
    let server = TestServer::start(ws);
    let r = server.post_form(&format!("/r/{ann}/edit"), &[("email", "not an address")]);
    assert_eq!(r.status, 422);
    let form_start = r.body.find("data-field=\"email\"").expect("the email form");
    let error = r.body[form_start..]
        .find("field-error")
        .expect("an error in the email form");
    let next_form = r.body[form_start + 1..]
        .find("data-field=")
        .map_or(usize::MAX, |i| i + 1);
    assert!(error < next_form, "the message sits beside the email field");
    assert!(r.body.contains("value=\"not an address\""), "what was typed is kept");
}

#[test]
fn a_bulk_edit_of_selected_rows_is_one_group_that_one_undo_reverts() {
    let (_dir, mut ws) = workspace();
    let a = add(&mut ws, "people", &[("name", "A"), ("city", "Oslo")]);
    let b = add(&mut ws, "people", &[("name", "B"), ("city", "Oslo")]);
    let c = add(&mut ws, "people", &[("name", "C"), ("city", "Oslo")]);
    let server = TestServer::start(ws);
    let (a_s, b_s) = (a.to_string(), b.to_string());
    let r = server.post_form(
        "/o/people/bulk",
        &[
            ("ids", &a_s),
            ("ids", &b_s),
            ("field", "city"),
            ("value", "Rome"),
            ("scope", "selected"),
            ("back", "/o/people"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(
        r.location().contains("2+records+changed") || r.location().contains("2%20records"),
        "{}",
        r.location()
    );
    let undo = undo_spec(r.location());
    assert!(undo.starts_with("group:"));
    let mut ws = server.stop();
    let city = |ws: &kith_core::Workspace, id| {
        ws.record(id)
            .expect("record")
            .cells
            .into_iter()
            .find(|c| c.key == "city")
            .expect("city")
            .display
    };
    assert_eq!(
        (city(&ws, a), city(&ws, b), city(&ws, c)),
        ("Rome".into(), "Rome".into(), "Oslo".into())
    );
    let group = undo.trim_start_matches("group:").parse().expect("a group id");
    ws.revert_group(group, false).expect("the group reverts");
    assert_eq!((city(&ws, a), city(&ws, b)), ("Oslo".into(), "Oslo".into()));
}

#[test]
fn hostile_names_and_labels_show_as_text_on_every_page() {
    let (_dir, mut ws) = workspace();
    let people = ws.object_named("people").expect("people").id;
    let label = "\"><img src=x onerror=alert(1)>";
    ws.add_field(people, FieldSpec::new("hostile", label, FieldKind::Text))
        .expect("field");
    let id = add(
        &mut ws,
        "people",
        &[("name", "<script>alert(1)</script>"), ("hostile", "<b>bold</b>")],
    );
    add(
        &mut ws,
        "deals",
        &[("name", "<script>alert(1)</script> deal"), ("stage", "Won")],
    );
    let server = TestServer::start(ws);
    for path in [
        "/o/people".to_string(),
        format!("/r/{id}"),
        "/search?q=script".into(),
        "/schema".into(),
        "/o/deals/board".into(),
        "/o/people?filter=hostile+%3D+%22%3Cscript%3E%22".into(),
    ] {
        let body = server.get(&path).body;
        assert!(!body.contains("<script>alert"), "{path} has a live script tag");
        assert!(!body.contains("<img src=x"), "{path} has a live img tag");
        assert!(!body.contains("<b>bold"), "{path} has live markup from a value");
    }
    assert!(
        server
            .get(&format!("/r/{id}"))
            .body
            .contains("&lt;script&gt;alert(1)&lt;/script&gt;")
    );
    assert!(
        server
            .get("/schema")
            .body
            .contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;")
    );
}

#[test]
fn the_json_api_lists_and_updates_records_with_an_undo() {
    let (_dir, mut ws) = workspace();
    let ann = add(&mut ws, "people", &[("name", "Ann Lee"), ("city", "Oslo")]);
    let server = TestServer::start(ws);
    let list: serde_json::Value =
        serde_json::from_str(&server.get("/api/objects/people/records?filter=city%20%3D%20Oslo").body).expect("json");
    assert_eq!(list["count"], 1);
    assert_eq!(list["records"][0]["values"]["name"], "Ann Lee");
    let patch = server.request(
        "PATCH",
        &format!("/api/records/{ann}"),
        &[("Content-Type", "application/json"), ("x-kith-token", &server.token)],
        r#"{"values": {"city": "Rome"}}"#,
    );
    assert_eq!(patch.status, 200, "{}", patch.body);
    let v: serde_json::Value = serde_json::from_str(&patch.body).expect("json");
    assert_eq!(v["record"]["values"]["city"], "Rome");
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
    assert!(fields(&server).contains("\"type\":\"number\""));
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

#[test]
fn an_import_previews_its_rows_reports_the_bad_one_and_reverts_as_a_whole() {
    let (_dir, ws) = workspace();
    let server = TestServer::start(ws);
    let csv = "Full name,E-mail,City\nAnn Lee,ann@example.com,Oslo\nBo Chen,not an address,Rome\nCy Diaz,cy@example.com,Lima\n";
    let preview = server.post_form("/import/preview", &[("object", "people"), ("csv", csv)]);
    assert_eq!(preview.status, 200, "{}", preview.body);
    // "City" matches a field by name; the other two are mapped by hand below.
    assert!(
        preview.body.contains("<option value=\"city\" selected>"),
        "{}",
        preview.body
    );
    let checked = server.post_form(
        "/import/preview",
        &[
            ("object", "people"),
            ("csv", csv),
            ("map", "name"),
            ("map", "email"),
            ("map", "city"),
        ],
    );
    assert_eq!(
        checked.body.matches("field-error").count(),
        1,
        "one bad row: {}",
        checked.body
    );
    assert!(checked.body.contains("not an address"));
    let done = server.post_form(
        "/import/run",
        &[
            ("object", "people"),
            ("csv", csv),
            ("map", "name"),
            ("map", "email"),
            ("map", "city"),
        ],
    );
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("Imported 2 people"), "{}", done.body);
    assert!(done.body.contains("row 2"), "the bad row is reported: {}", done.body);
    let at = done.body.find("name=\"undo\" value=\"").expect("a revert button") + "name=\"undo\" value=\"".len();
    let spec = &done.body[at..at + done.body[at..].find('"').expect("end")];
    assert!(spec.starts_with("group:"));
    assert_eq!(
        server.post_form("/undo", &[("undo", spec), ("back", "/import")]).status,
        303
    );
    let ws = server.stop();
    let people = ws.object_named("people").expect("people").id;
    assert_eq!(ws.count_all(people).expect("count"), 0, "the whole import was reverted");
}

#[test]
fn a_record_shows_as_it_was_at_a_moment_and_can_be_restored_to_it() {
    let (_dir, mut ws) = workspace();
    ws.set_clock(|| 1_700_000_000_000); // 2023-11-14 22:13:20 UTC
    let ann = add(&mut ws, "people", &[("name", "Ann Lee"), ("city", "Oslo")]);
    ws.set_clock(|| 1_700_000_100_000); // 22:15:00
    let people = ws.object_named("people").expect("people").id;
    let values = ws
        .parse_values(people, &[("city".into(), "Rome".into())])
        .expect("values");
    ws.update_record(ann, values).expect("update");
    let server = TestServer::start(ws);
    let then = server.get(&format!("/r/{ann}?at=2023-11-14T22:14"));
    assert_eq!(then.status, 200, "{}", then.body);
    assert!(then.body.contains("As it was at 2023-11-14T22:14"));
    assert!(then.body.contains("<dd>Oslo</dd>"), "{}", then.body);
    assert_eq!(server.get(&format!("/r/{ann}?at=yesterday")).status, 400);
    let restored = server.post_form(&format!("/r/{ann}/restore-at"), &[("at", "2023-11-14T22:14")]);
    assert_eq!(restored.status, 303);
    assert!(server.get(&format!("/r/{ann}")).body.contains("value=\"Oslo\""));
    let undo = undo_spec(restored.location());
    assert_eq!(server.post_form("/undo", &[("undo", &undo), ("back", "/")]).status, 303);
    assert!(server.get(&format!("/r/{ann}")).body.contains("value=\"Rome\""));
}

#[test]
fn a_filtered_sorted_view_exports_its_own_records_in_its_order() {
    let (_dir, mut ws) = workspace();
    add(&mut ws, "people", &[("name", "Cy"), ("city", "Oslo")]);
    add(&mut ws, "people", &[("name", "Ann"), ("city", "Oslo")]);
    add(&mut ws, "people", &[("name", "Bo"), ("city", "Rome")]);
    let server = TestServer::start(ws);
    let csv = server.get("/o/people/export.csv?filter=city+%3D+Oslo&sort=name");
    assert_eq!(csv.status, 200);
    assert!(
        csv.header("content-disposition")
            .is_some_and(|d| d.contains("people.csv"))
    );
    let names: Vec<&str> = csv
        .body
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap_or_default())
        .collect();
    assert_eq!(names, ["Ann", "Cy"]);
    let all = server.get("/o/people/export.csv");
    assert_eq!(
        all.body.lines().count(),
        4,
        "the whole object: a header and three records"
    );
}

#[test]
fn a_bulk_edit_that_one_selected_record_would_refuse_changes_none_of_them() {
    let (_dir, mut ws) = workspace();
    let a = add(&mut ws, "people", &[("name", "A"), ("city", "Oslo")]);
    let b = add(&mut ws, "people", &[("name", "B"), ("city", "Oslo")]);
    ws.delete_record(b).expect("b goes to the trash");
    let server = TestServer::start(ws);
    let (a_s, b_s) = (a.to_string(), b.to_string());
    let edit = |field: &str, value: &str, ids: &[&str]| {
        let mut form: Vec<(&str, &str)> = ids.iter().map(|id| ("ids", *id)).collect();
        form.extend([
            ("field", field),
            ("value", value),
            ("scope", "selected"),
            ("back", "/o/people"),
        ]);
        server.post_form("/o/people/bulk", &form).status
    };
    assert_eq!(edit("city", "Rome", &[&a_s, &b_s]), 422, "a record in the trash");
    assert_eq!(
        edit("email", "same@example.com", &[&a_s, &a_s]),
        400,
        "one unique value for two"
    );
    assert_eq!(edit("name", "", &[&a_s]), 400, "a required field emptied");
    let ws = server.stop();
    let city = ws
        .record(a)
        .expect("a")
        .cells
        .into_iter()
        .find(|c| c.key == "city")
        .expect("city");
    assert_eq!(city.display, "Oslo", "nothing was written");
}
