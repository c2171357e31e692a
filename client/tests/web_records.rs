//! `kith serve`'s pages over plain HTTP: every page answers; records are created, edited
//! (with the message beside a refused field), bulk-edited, shown as of a moment,
//! exported, and every change can be undone.

mod web_support;

use web_support::{TestServer, add, undo_spec, workspace};

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
    assert!(server.get("/o/deals/board").body.contains("12,000.00 EUR"));
    assert_eq!(server.get("/o/nothing").status, 404);
    assert_eq!(server.get("/r/not-an-id").status, 404);
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
    assert!(
        then.body
            .contains(r#"As it was at <time datetime="2023-11-14T22:14:00Z""#),
        "{}",
        then.body
    );
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
fn a_board_keeps_the_tables_filter_and_counts_only_what_it_keeps() {
    let (_dir, mut ws) = workspace();
    add(
        &mut ws,
        "deals",
        &[
            ("name", "North deal"),
            ("stage", "Won"),
            ("amount", "100 EUR"),
            ("owner", "Ann"),
        ],
    );
    add(
        &mut ws,
        "deals",
        &[
            ("name", "South deal"),
            ("stage", "Won"),
            ("amount", "900 EUR"),
            ("owner", "Bo"),
        ],
    );
    let server = TestServer::start(ws);
    let table = server.get("/o/deals?filter=owner+%3D+Ann").body;
    assert!(
        table.contains("/o/deals/board?filter=owner+%3D+Ann"),
        "the Board link keeps the filter"
    );
    let board = server.get("/o/deals/board?filter=owner+%3D+Ann").body;
    assert!(board.contains("North deal") && !board.contains("South deal"));
    assert!(
        board.contains("100.00 EUR") && !board.contains("1,000.00 EUR"),
        "the sum covers the kept deals only"
    );
}
