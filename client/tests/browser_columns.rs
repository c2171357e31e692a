//! The table's "Columns" menu in a real (headless) Chromium: choose the columns and their
//! order, save the view, and reopen it from the sidebar: the header shows those columns.

mod browser_support;
mod web_support;

use browser_support::Browser;
use web_support::{TestServer, add, workspace};

const HEADER: &str =
    "[...document.querySelectorAll('table.records thead th[scope=col]')].map(t => t.textContent.trim()).join('|')";

#[test]
fn columns_chosen_in_the_menu_are_saved_with_the_view_and_shown_when_it_is_reopened() {
    let (_dir, mut ws) = workspace();
    add(
        &mut ws,
        "deals",
        &[("name", "Renewal"), ("amount", "1200 EUR"), ("owner", "Bo")],
    );
    let server = TestServer::start(ws);
    let mut b = Browser::launch("table_columns", 1280, 900);
    b.goto(&server.url("/o/deals"));
    // Tick Owner (first after the name) and Amount; untick the rest.
    b.eval(
        "{ document.querySelector('details.columns-menu').open = true;
           const f = document.querySelector('form.columns');
           for (const c of f.querySelectorAll('input[name=col]:not([disabled])')) {
             c.checked = c.value === 'owner' || c.value === 'amount';
           }
           f.querySelector('input[name=pos_owner]').value = '1';
           f.querySelector('input[name=pos_amount]').value = '2'; }",
    );
    b.and_wait("document.querySelector('form.columns').requestSubmit();");
    assert_eq!(b.eval(HEADER).as_str(), Some("Name|Owner|Amount"));

    b.eval(
        "{ document.querySelector('details.view-menu').open = true;
           document.querySelector('form[action=\"/views\"] input[name=name]').value = 'Owners'; }",
    );
    b.and_wait("document.querySelector('form[action=\"/views\"]').requestSubmit();");
    b.wait_for_text(".toast", "View “Owners” saved");

    b.goto(&server.url("/o/deals"));
    assert_eq!(
        b.eval(HEADER).as_str().map(|h| h.split('|').count()),
        Some(7),
        "the default again"
    );
    b.and_wait("[...document.querySelectorAll('a')].find(a => a.textContent.trim() === 'Owners').click();");
    assert_eq!(b.eval(HEADER).as_str(), Some("Name|Owner|Amount"));
}
