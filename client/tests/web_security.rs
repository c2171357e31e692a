//! `kith serve`'s guard and escaping over plain HTTP: the Host check, the session token
//! and Origin on every change, and hostile text shown as text.

mod web_support;

use kith_core::{FieldKind, FieldSpec};
use web_support::{TestServer, add, workspace};

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
