//! The schema editor's stage and object controls in a real (headless) Chromium: a
//! pipeline stage renamed from its menu and a field made required from its toggle,
//! each answering with the operation's sentence in the toast; the page is photographed.

mod browser_support;
mod web_support;

use browser_support::{Browser, docs_screenshot};
use web_support::{TestServer, workspace};

#[test]
fn a_stage_is_renamed_from_its_menu_and_a_field_made_required_from_its_toggle() {
    let (_dir, ws) = workspace();
    let server = TestServer::start(ws);
    let mut b = Browser::launch("schema_editor", 1280, 900);
    b.goto(&server.url("/schema"));
    b.eval("document.querySelector('#object-deals summary[aria-label=\"More for option Won\"]').click()");
    b.and_wait(
        "const i = document.querySelector('#object-deals input[aria-label=\"Label of option Won\"]');
         i.value = 'Closed won'; i.form.requestSubmit();",
    );
    b.wait_for_text(".toast", "Option “Won” of “Stage” is now “Closed won”");
    assert!(b.text("#object-deals").contains("Closed won"));

    b.and_wait("document.querySelector('#object-deals button[aria-label=\"Amount required\"]').click()");
    b.wait_for_text(".toast", "Field “Amount”: required yes");
    assert_eq!(
        b.eval("document.querySelector('#object-deals button[aria-label=\"Amount required\"]').getAttribute('aria-pressed')"),
        "true"
    );
    b.eval("document.querySelector('#object-deals').scrollIntoView()");
    b.screenshot(&docs_screenshot("schema.png"));
}
