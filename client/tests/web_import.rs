//! The import page over plain HTTP: preview with per-row errors, import (followed on its
//! progress page), revert.

mod web_support;

use web_support::{TestServer, workspace};

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
    // The import runs on; the browser is sent to its progress page, which becomes the result.
    assert_eq!(done.status, 303, "{}", done.body);
    let page = done.location().to_string();
    assert!(page.starts_with("/import/"), "{page}");
    let progress = server.get(&format!("{page}/progress?wait=1"));
    assert_eq!(progress.status, 200, "{}", progress.body);
    for part in ["\"finished\":true", "\"rows_done\":3", "\"rows_total\":3"] {
        assert!(progress.body.contains(part), "{part}: {}", progress.body);
    }
    let done = server.get(&page);
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
