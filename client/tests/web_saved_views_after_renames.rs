//! A view saved in the web UI keeps listing the same records after its object, a field
//! and an option are renamed, and the sidebar link and view editor show the new names.

mod web_support;

use web_support::{TestServer, workspace};

#[test]
fn a_saved_view_shows_the_new_names_and_the_same_records_after_renames() {
    let (_dir, mut ws) = workspace();
    let deals = ws.object_named("deals").unwrap().id;
    for (name, stage) in [("Alpha deal", "Won"), ("Beta deal", "Lost")] {
        let values = ws
            .parse_values(deals, &[("name".into(), name.into()), ("stage".into(), stage.into())])
            .unwrap();
        ws.create_record(deals, values).unwrap();
    }
    let server = TestServer::start(ws);
    let view = [
        ("name", "Won board"),
        ("object", "deals"),
        ("kind", "board"),
        ("filter", "stage = Won"),
        ("sort", "-amount"),
        ("field", "stage"),
    ];
    assert_eq!(server.post_form("/views", &view).status, 303);
    let mut ws = server.stop();

    let stage = ws.field_named(deals, "stage").unwrap().id;
    let amount = ws.field_named(deals, "amount").unwrap().id;
    ws.rename_field(deals, stage, Some("Phase"), Some("phase")).unwrap();
    ws.rename_field(deals, amount, None, Some("value")).unwrap();
    ws.rename_option(deals, stage, "Won", "Closed won").unwrap();
    ws.rename_object(deals, Some("Opportunities"), Some("opportunities"))
        .unwrap();

    let server = TestServer::start(ws);
    let page = server.get("/o/people").body;
    let link = "/o/opportunities/board?filter=phase+%3D+%22Closed+won%22&amp;sort=-value&amp;field=phase";
    assert!(page.contains(link), "the sidebar link has today's names: {page}");
    let board = server.get(&link.replace("&amp;", "&")).body;
    assert!(board.contains("Alpha deal"), "{board}");
    assert!(!board.contains("Beta deal"), "{board}");
}
