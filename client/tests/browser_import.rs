//! The import page in a real (headless) Chromium: a CSV file with a bad row is chosen,
//! its columns mapped, imported; the bad row is reported with its line and why; the
//! import is reverted from its result page and its records are gone.

mod browser_support;
mod web_support;

use browser_support::Browser;
use serde_json::json;
use web_support::{TestServer, workspace};

const CSV: &str =
    "Full name,E-mail,City\nAnn Lee,ann@example.com,Oslo\nBo Chen,not an address,Rome\nCy Diaz,cy@example.com,Lima\n";

/// Waits, in the page, until the import form's CSV field holds text (the page script
/// reads a chosen file into it).
const CSV_LOADED: &str = "new Promise((resolve) => {
    const check = () => document.getElementById('csv').value.length > 0 ? resolve(true) : setTimeout(check, 20);
    check();
})";

#[test]
fn a_csv_with_a_bad_row_is_imported_the_row_reported_and_the_import_reverted() {
    let (dir, ws) = workspace();
    let file = dir.path().join("people.csv");
    std::fs::write(&file, CSV).expect("the CSV is written");
    let server = TestServer::start(ws);
    let mut b = Browser::launch("import", 1280, 800);
    b.goto(&server.url("/import?object=people"));

    // Choose the file as a person would; the script reads it into the form.
    let document = b.call("DOM.getDocument", json!({}));
    let root = document["root"]["nodeId"].clone();
    let input = b.call(
        "DOM.querySelector",
        json!({"nodeId": root, "selector": "input[type=file][data-csv-into]"}),
    );
    b.call(
        "DOM.setFileInputFiles",
        json!({"files": [file.display().to_string()], "nodeId": input["nodeId"]}),
    );
    assert_eq!(b.eval(CSV_LOADED), true);
    b.and_wait("document.querySelector('form.import').requestSubmit()");

    // Map the columns the preview could not guess, check again, then import.
    assert!(b.text("h1").contains("Import into People"), "{}", b.text("main"));
    b.and_wait(
        "const maps = document.querySelectorAll('select[name=map]');
         maps[0].value = 'name'; maps[1].value = 'email'; maps[2].value = 'city';
         document.querySelector('button[formaction=\"/import/preview\"]').click();",
    );
    assert_eq!(
        b.eval("document.querySelectorAll('.field-error').length"),
        1,
        "the preview flags the bad row: {}",
        b.text("main")
    );
    b.and_wait("document.querySelector('form.import button:not([formaction])').click()");
    if b.eval("!!document.querySelector('[data-import-progress]')") == true {
        // The progress page: the script reloads it into the result when the import ends.
        b.and_wait("void 0");
    }
    b.wait_for_text("h1", "Imported 2 people");
    let reported = b.text("ul.import-errors li");
    assert!(
        reported.contains("row 2 (line 3), column E-mail") && reported.contains("not an address"),
        "the bad row is reported with its line and why: {reported}"
    );

    // Revert the import from its result page: every record it made is gone.
    b.and_wait("[...document.querySelectorAll('button')].find((x) => x.textContent === 'Revert this import').click()");
    b.goto(&server.url("/o/people"));
    let table = b.text("main");
    for name in ["Ann Lee", "Cy Diaz"] {
        assert!(!table.contains(name), "{name} is gone after the revert: {table}");
    }
    let ws = server.stop();
    let people = ws.object_named("people").expect("people").id;
    assert_eq!(ws.count_all(people).expect("count"), 0);
}
