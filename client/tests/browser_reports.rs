//! The report builder and dashboards in a real (headless) Chromium: build a report by
//! choosing from the form (the result and chart follow each choice and the address keeps
//! the state), save it, see it refresh live when a record changes, edit it and revert the
//! edit from its history, and put it on a dashboard.

mod browser_support;
mod web_support;

use browser_support::{Browser, docs_screenshot};
use web_support::{TestServer, add, workspace};

/// Sets a builder select and waits for the page its change submits.
fn choose(b: &mut Browser, selector: &str, value: &str) {
    b.and_wait(&format!(
        "const s = document.querySelector({sel}); s.value = {value}; s.dispatchEvent(new Event('change'));",
        sel = serde_json::json!(selector),
        value = serde_json::json!(value),
    ));
}

#[test]
fn a_report_built_in_the_page_saves_refreshes_live_reverts_and_joins_a_dashboard() {
    let (_dir, mut ws) = workspace();
    add(
        &mut ws,
        "deals",
        &[("name", "Alpha"), ("stage", "Won"), ("amount", "100 EUR")],
    );
    add(
        &mut ws,
        "deals",
        &[("name", "Beta"), ("stage", "Won"), ("amount", "50 EUR")],
    );
    let gamma = add(
        &mut ws,
        "deals",
        &[("name", "Gamma"), ("stage", "Lead"), ("amount", "7 EUR")],
    );
    let server = TestServer::start(ws);
    let mut b = Browser::launch("reports", 1280, 900);

    // Build: object, group-by, a second measure; each choice shows the result at once.
    b.goto(&server.url("/reports"));
    choose(&mut b, "form.report-builder select[name=object]", "deals");
    choose(&mut b, "form.report-builder select[name=g1]", "stage");
    choose(&mut b, "form.report-builder select[name=mk]:nth-of-type(1)", "count");
    b.and_wait(
        "const f = document.querySelector('form.report-builder');
         const kinds = f.querySelectorAll('select[name=mk]'), fields = f.querySelectorAll('select[name=mf]');
         kinds[1].value = 'sum'; fields[1].value = 'amount'; f.requestSubmit();",
    );
    let url = b.url();
    assert!(url.contains("g1=stage") && url.contains("mf=amount"), "{url}");
    let rows = b.eval("[...document.querySelectorAll('table.report-table tbody tr')].map(r => r.textContent.trim())");
    let rows: Vec<String> = serde_json::from_value(rows).expect("rows");
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(rows[0].starts_with("Lead") && rows[0].contains("7.00 EUR"), "{rows:?}");
    assert!(rows[1].starts_with("Won") && rows[1].contains("150.00 EUR"), "{rows:?}");
    assert_eq!(
        b.eval("document.querySelector('figure.chart svg[role=img] title')?.textContent"),
        "New report"
    );

    // Save it under a name.
    b.and_wait(
        "const f = document.querySelector('form.report-save'); f.name.value = 'Deals <b>by</b> stage'; f.requestSubmit();",
    );
    b.wait_for_text(".toast", "Report saved");
    assert_eq!(b.text("h1"), "Deals <b>by</b> stage", "the name is shown as text");
    assert_eq!(b.eval("document.querySelector('main h1 b') === null"), true);
    let report_path = b.eval("location.pathname").as_str().unwrap_or_default().to_string();
    b.screenshot(&docs_screenshot("report.png"));

    // A record changed elsewhere shows in the open report without a reload.
    b.eval("window.notReloaded = true");
    let r = server.request(
        "PATCH",
        &format!("/api/records/{gamma}"),
        &[("Content-Type", "application/json"), ("x-kith-token", &server.token)],
        r#"{"values": {"stage": "Won"}}"#,
    );
    assert_eq!(r.status, 200);
    b.wait_for_text("table.report-table tbody", "157.00 EUR");
    assert_eq!(b.eval("window.notReloaded"), true, "refreshed in place");

    // Edit the chart, save, and take the edit back from the report's history.
    b.eval("document.querySelector('details.report-edit').open = true");
    choose(&mut b, "details.report-edit select[name=chart]", "pie");
    assert!(b.url().contains("chart=pie"));
    assert_eq!(b.eval("!!document.querySelector('svg.chart-pie')"), true);
    b.and_wait("document.querySelector('form.report-save').requestSubmit()");
    b.wait_for_text(".toast", "Report saved");
    b.wait_for_text(".timeline", "chart: bar → pie");
    b.and_wait(
        "[...document.querySelectorAll('.timeline li')].find(li => li.textContent.includes('bar → pie'))
            .querySelector('form').requestSubmit()",
    );
    b.wait_for_text(".toast", "Change reverted");
    assert_eq!(b.eval("!!document.querySelector('svg.chart-bar')"), true);

    // A dashboard of that report shows its chart and table.
    b.goto(&server.url("/reports"));
    b.and_wait(
        "const f = document.querySelector('form.dashboard-form'); f.name.value = 'Sales';
         f.querySelector('input[type=number]').value = '1'; f.requestSubmit();",
    );
    b.wait_for_text(".toast", "Dashboard saved");
    assert_eq!(b.text(".dashboard-card h2"), "Deals <b>by</b> stage");
    assert_eq!(
        b.eval("!!document.querySelector('.dashboard-card svg[role=img]')"),
        true
    );
    assert!(b.text(".dashboard-card table").contains("157.00 EUR"));
    b.screenshot(&docs_screenshot("dashboard.png"));

    // Deleting the report offers Undo, which brings it back.
    b.goto(&server.url(&report_path));
    b.eval("document.querySelector('details.report-edit').open = true");
    b.and_wait("document.querySelector('form[action$=\"/delete\"]').requestSubmit()");
    b.wait_for_text(".toast", "deleted");
    b.and_wait("document.querySelector('.toast form').requestSubmit()");
    b.wait_for_text(".report-list", "Deals <b>by</b> stage");
}
