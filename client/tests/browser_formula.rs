//! The formula editor of the schema editor, in a real (headless) Chromium: a formula
//! typed into a new field previews its value on a record as you type (or says where it
//! is wrong), and once saved its values are in the table.

mod browser_support;
mod web_support;

use browser_support::Browser;
use web_support::{TestServer, add, workspace};

#[test]
fn a_formula_field_added_in_the_editor_previews_then_shows_its_values_in_the_table() {
    let (_dir, mut ws) = workspace();
    let deal = add(&mut ws, "deals", &[("name", "Renewal"), ("amount", "1200 EUR")]);
    let server = TestServer::start(ws);
    let mut b = Browser::launch("formula_editor", 1280, 900);
    b.goto(&server.url("/schema"));
    let form = "document.querySelector('#object-deals details.add-field form')";
    b.eval(&format!(
        "{{ document.querySelector('#object-deals details.add-field').open = true;
         const f = {form}; f.label.value = 'Commission'; f.kind.value = 'formula';
         const d = f.definition; d.value = 'amount *'; d.dispatchEvent(new Event('input')); }}"
    ));
    b.wait_for_text("#object-deals output.computed-preview", "line 1, column");
    b.eval(&format!(
        "{{ const d = {form}.definition; d.value = 'amount * 0.1'; d.dispatchEvent(new Event('input')); }}"
    ));
    b.wait_for_text("#object-deals output.computed-preview", "120.00 EUR");
    assert!(b.text("#object-deals output.computed-preview").contains("On Renewal"));
    b.and_wait(&format!("{form}.requestSubmit();"));
    b.wait_for_text(".toast", "Field “Commission” added");
    assert!(b.text("#object-deals").contains("formula → currency"));

    // Moved among the columns the table shows, it is there with its value.
    for _ in 0..3 {
        b.and_wait("document.querySelector('button[aria-label=\"Move Commission up\"]').click()");
    }
    b.goto(&server.url("/o/deals"));
    b.wait_for_text("table.records", "120.00 EUR");
    // On the record page it is shown, not offered for editing.
    b.goto(&server.url(&format!("/r/{deal}")));
    assert_eq!(b.text("output#f-commission"), "120.00 EUR");
}
