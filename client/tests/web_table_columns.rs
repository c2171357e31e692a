//! The table page's chosen columns: `columns=` picks the fields shown, in order (the
//! record's name stays first, it is the link); the "Columns" menu is a plain GET form that
//! folds its checkboxes and positions into `columns=`; a saved view keeps its columns and
//! reopens with them; unknown or archived fields are dropped with a note, never a 500;
//! the table's CSV export has the chosen columns.

mod web_support;

use web_support::{TestServer, add, workspace};

/// The labels of the records table's header, in order.
fn header(body: &str) -> Vec<String> {
    let table = &body[body.find("class=\"records\"").expect("the records table")..];
    let head = &table[..table.find("</thead>").expect("a header")];
    head.split("<th scope=\"col\">")
        .skip(1)
        .map(|th| {
            let text = &th[..th.find("</th>").unwrap_or(th.len())];
            let inner = text.split('>').nth(1).unwrap_or(text);
            inner.split('<').next().unwrap_or("").trim().to_string()
        })
        .collect()
}

fn server() -> (tempfile::TempDir, TestServer) {
    let (dir, mut ws) = workspace();
    add(
        &mut ws,
        "deals",
        &[("name", "Big"), ("amount", "5000"), ("stage", "Won")],
    );
    (dir, TestServer::start(ws))
}

#[test]
fn the_columns_param_shows_those_fields_in_order_after_the_name() {
    let (_dir, server) = server();
    let page = server.get("/o/deals?columns=stage,amount");
    assert_eq!(page.status, 200);
    assert_eq!(header(&page.body), ["Name", "Stage", "Amount"]);
    // Without it: today's default columns.
    let default = server.get("/o/deals");
    assert_eq!(
        header(&default.body),
        [
            "Name",
            "Amount",
            "Stage",
            "Close date",
            "Probability",
            "Company",
            "Contacts"
        ]
    );
}

#[test]
fn the_columns_menu_is_a_labelled_get_form_whose_choice_becomes_the_columns_param() {
    let (_dir, server) = server();
    let page = server.get("/o/deals?filter=amount%20%3E%201");
    assert!(page.body.contains("Columns ▾"), "the menu");
    assert!(page.body.contains("name=\"set_columns\""));
    assert!(page.body.contains("aria-label=\"Position of Stage\""));
    assert!(page.body.contains("name=\"col\" value=\"probability\""));
    let chose = server.get("/o/deals?filter=amount+%3E+1&set_columns=1&col=amount&pos_amount=3&col=owner&pos_owner=1");
    assert_eq!(chose.status, 303);
    let to = chose.location().to_string();
    assert!(to.contains("columns=owner%2Camount"), "{to}");
    assert!(to.contains("filter=amount"), "the filter is kept: {to}");
    assert_eq!(header(&server.get(&to).body), ["Name", "Owner", "Amount"]);
}

#[test]
fn a_saved_view_keeps_its_columns_and_reopens_with_them() {
    let (_dir, server) = server();
    let page = server.get("/o/deals?columns=probability,stage");
    assert!(
        page.body.contains("name=\"columns\" value=\"name,probability,stage\""),
        "the Save view form carries the columns"
    );
    let saved = server.post_form(
        "/views",
        &[
            ("name", "Odds"),
            ("object", "deals"),
            ("kind", "table"),
            ("filter", ""),
            ("sort", ""),
            ("field", ""),
            ("columns", "name,probability,stage"),
        ],
    );
    assert_eq!(saved.status, 303, "{}", saved.body);
    let list: serde_json::Value = serde_json::from_str(&server.get("/api/views").body).expect("JSON");
    assert_eq!(list["views"][0]["columns"], "name,probability,stage");
    // The sidebar's link opens it with its columns.
    let sidebar = server.get("/o/deals");
    let start = sidebar
        .body
        .find("columns=name%2Cprobability%2Cstage")
        .expect("the view's link");
    let href_start = sidebar.body[..start].rfind("href=\"").unwrap() + 6;
    let href = sidebar.body[href_start..]
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&");
    assert_eq!(header(&server.get(&href).body), ["Name", "Probability", "Stage"]);
    // Its CSV export has those columns.
    let csv = server.get("/o/deals/export.csv?columns=name,probability,stage");
    assert_eq!(csv.status, 200);
    assert!(csv.body.starts_with("id,name,probability,stage"), "{}", csv.body);
}

#[test]
fn unknown_or_archived_columns_are_dropped_with_a_note() {
    let (_dir, mut ws) = workspace();
    add(&mut ws, "deals", &[("name", "Big"), ("amount", "5000")]);
    let deals = ws.object_named("deals").unwrap().id;
    let owner = ws.field_named(deals, "owner").unwrap().id;
    ws.set_field_archived(deals, owner, true).unwrap();
    let server = TestServer::start(ws);
    let page = server.get("/o/deals?columns=nope,owner,amount");
    assert_eq!(page.status, 200);
    assert_eq!(header(&page.body), ["Name", "Amount"]);
    assert!(page.body.contains("Not shown: nope, owner"), "the note");
    // A view naming a field the object lacks is refused, nothing saved.
    let refused = server.post_form("/views", &[("name", "Bad"), ("object", "deals"), ("columns", "nope")]);
    assert!(refused.status >= 400 && refused.status < 500, "{}", refused.status);
    assert!(refused.body.contains("no field “nope”"), "{}", refused.body);
}
