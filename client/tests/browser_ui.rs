//! The web UI in a real (headless) Chromium: the schema editor, filters and sorts, the
//! board, undo from the toast and from history, conflicts, live refresh, escaping and a
//! phone-sized window. These tests also take screenshots of the main pages (target/screenshots/, or
//! docs/screenshots/ for the README with KITH_UPDATE_SCREENSHOTS=1).

mod browser_support;
mod web_support;

use browser_support::{Browser, docs_screenshot};
use clap::Parser;
use kith_core::sync::protocol::Entry;
use kith_core::{CreateOptions, FieldKind, FieldSpec, RecordId, Workspace};
use web_support::{TestServer, add, workspace};

/// A demo workspace (the sample data `kith demo` makes) in a temporary directory.
fn demo() -> (tempfile::TempDir, Workspace) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("Acme sales");
    let cli = kith::Cli::parse_from([
        "kith",
        "demo",
        "--no-serve",
        "--json",
        "--workspace",
        &path.display().to_string(),
    ]);
    kith::run(cli).expect("the demo workspace is made");
    let ws = Workspace::open(&path).expect("it opens");
    (dir, ws)
}

fn first_record(server: &TestServer, object: &str) -> String {
    let body = server.get(&format!("/o/{object}")).body;
    let at = body.find("href=\"/r/").expect("a record link") + "href=\"/r/".len();
    body[at..at + 36].to_string()
}

#[test]
fn a_field_added_in_the_schema_editor_can_be_filled_on_a_record() {
    let (_dir, mut ws) = workspace();
    let ann = add(&mut ws, "people", &[("name", "Ann Lee")]);
    let server = TestServer::start(ws);
    let mut b = Browser::launch("schema_field", 1280, 800);
    b.goto(&server.url("/schema"));
    b.eval("document.querySelector('section.schema-object details.add-field').open = true");
    b.and_wait(
        "const f = document.querySelector('section.schema-object details.add-field form');
         f.label.value = 'Favourite colour'; f.kind.value = 'text'; f.requestSubmit();",
    );
    b.wait_for_text(".toast", "Field “Favourite colour” added");
    assert_eq!(
        b.eval("[...document.querySelectorAll('section.schema-object input[name=label]')].some(i => i.value === 'Favourite colour')"),
        true
    );
    b.goto(&server.url(&format!("/r/{ann}")));
    b.and_wait("const i = document.getElementById('f-favourite_colour'); i.value = 'teal'; i.form.requestSubmit();");
    b.wait_for_text(".toast", "Saved");
    assert_eq!(b.eval("document.getElementById('f-favourite_colour').value"), "teal");
}

#[test]
fn a_filter_and_a_sort_built_in_the_page_read_as_sentences_live_in_the_url_and_save_as_a_view() {
    let (_dir, ws) = demo();
    let server = TestServer::start(ws);
    let mut b = Browser::launch("filter_sort", 1280, 800);
    b.goto(&server.url("/o/deals"));
    b.and_wait(
        "const f = document.querySelector('form.filter-builder');
         f.add_field.value = 'stage'; f.add_op.value = '='; f.add_value.value = 'Won'; f.requestSubmit();",
    );
    assert!(b.text(".chips").contains("Stage is Won"), "{}", b.text(".chips"));
    b.and_wait(
        "const s = document.querySelector('form.sort-builder');
         s.sort_field.value = 'amount'; s.sort_dir.value = 'desc'; s.requestSubmit();",
    );
    assert!(b.text(".chips").contains("Sorted by Amount ↓"));
    let url = b.url();
    assert!(url.contains("filter=") && url.contains("sort=-amount"), "{url}");
    let stages = b.eval("[...document.querySelectorAll('td[data-field=stage]')].map(td => td.textContent.trim())");
    let stages = stages.as_array().expect("a list");
    assert!(!stages.is_empty() && stages.iter().all(|s| s == "Won"), "{stages:?}");
    // Reloading the address shows the same view.
    b.goto(&url);
    assert!(b.text(".chips").contains("Stage is Won"));
    b.screenshot(&docs_screenshot("table-filtered.png"));
    // Save it as a view: it is listed under Deals and opens with its filter and sort.
    b.eval("document.querySelector('details.view-menu').open = true");
    b.and_wait(
        "const f = document.querySelector('details.view-menu form[action=\"/views\"]');
         f.name.value = 'Won deals, biggest first'; f.requestSubmit();",
    );
    assert!(b.text("nav.sidebar ul.views").contains("Won deals, biggest first"));
    b.goto(&server.url("/o/deals"));
    assert!(b.text(".chips").is_empty(), "the plain table has no filter");
    b.and_wait("[...document.querySelectorAll('nav.sidebar ul.views a')].find(a => a.textContent.includes('Won deals')).click()");
    assert!(b.text("h1").contains("Won deals, biggest first"));
    assert!(b.text(".chips").contains("Stage is Won") && b.text(".chips").contains("Sorted by Amount ↓"));
}

#[test]
fn a_deal_dragged_to_another_column_moves_and_the_toast_undoes_it() {
    let (_dir, mut ws) = workspace();
    let deal = add(
        &mut ws,
        "deals",
        &[("name", "Orion renewal"), ("stage", "Lead"), ("amount", "5000 EUR")],
    );
    add(
        &mut ws,
        "deals",
        &[("name", "Kite expansion"), ("stage", "Won"), ("amount", "7000 EUR")],
    );
    let server = TestServer::start(ws);
    let mut b = Browser::launch("kanban_move", 1280, 800);
    b.goto(&server.url("/o/deals/board"));
    b.and_wait(&format!(
        "const card = document.querySelector('.card[data-record=\"{deal}\"]');
         const col = document.querySelector('.column[data-option=\"Won\"]');
         const dt = new DataTransfer();
         card.dispatchEvent(new DragEvent('dragstart', {{bubbles: true, dataTransfer: dt}}));
         col.dispatchEvent(new DragEvent('dragover', {{bubbles: true, cancelable: true, dataTransfer: dt}}));
         col.dispatchEvent(new DragEvent('drop', {{bubbles: true, cancelable: true, dataTransfer: dt}}));"
    ));
    b.wait_for_text(".toast", "Orion renewal moved to Won");
    assert!(b.text(".column[data-option=\"Won\"]").contains("Orion renewal"));
    assert!(
        b.text(".column[data-option=\"Won\"] header").contains("12,000.00 EUR"),
        "the column sums both deals"
    );
    b.and_wait("document.querySelector('.toast .undo').click()");
    assert!(b.text(".column[data-option=\"Lead\"]").contains("Orion renewal"));
    // The menu way to move, for people who cannot drag.
    b.and_wait(&format!(
        "const f = document.querySelector('.card[data-record=\"{deal}\"] form.move');
         f.option.value = 'Proposal'; f.requestSubmit();"
    ));
    assert!(b.text(".column[data-option=\"Proposal\"]").contains("Orion renewal"));
}

#[test]
fn an_edit_is_undone_from_the_toast_and_another_from_the_history() {
    let (_dir, mut ws) = workspace();
    let ann = add(&mut ws, "people", &[("name", "Ann Lee"), ("city", "Oslo")]);
    let server = TestServer::start(ws);
    let mut b = Browser::launch("undo", 1280, 800);
    b.goto(&server.url(&format!("/r/{ann}")));
    b.and_wait("const i = document.getElementById('f-city'); i.value = 'Bergen'; i.form.requestSubmit();");
    assert_eq!(b.eval("document.getElementById('f-city').value"), "Bergen");
    b.and_wait("document.querySelector('.toast .undo').click()");
    assert_eq!(b.eval("document.getElementById('f-city').value"), "Oslo");
    b.and_wait("const i = document.getElementById('f-city'); i.value = 'Rome'; i.form.requestSubmit();");
    assert_eq!(b.eval("document.getElementById('f-city').value"), "Rome");
    // The newest change is first in the timeline.
    assert!(
        b.text(".timeline .change").contains("Oslo → Rome"),
        "{}",
        b.text(".timeline .change")
    );
    b.and_wait("document.querySelector('.timeline .change form button').click()");
    assert_eq!(b.eval("document.getElementById('f-city').value"), "Oslo");
    // Each change's moment is shown in the reader's locale, the exact instant kept.
    assert_eq!(
        b.eval(
            "const t = document.querySelector('.timeline .change time'); \
             t.textContent === new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }) \
             .format(new Date(t.getAttribute('datetime'))) && !t.textContent.includes('UTC')"
        ),
        true
    );
    b.screenshot(&docs_screenshot("record.png"));
}

/// Moves every pending change from `from` to `to`, as a relay would.
fn send(from: &mut Workspace, to: &mut Workspace, seq: &mut u64) {
    let chunks = from.outbox(10_000).expect("the outbox");
    let entries: Vec<Entry> = chunks
        .iter()
        .map(|c| {
            *seq += 1;
            Entry {
                seq: *seq,
                doc: c.doc,
                data: c.data.clone(),
            }
        })
        .collect();
    to.apply_remote(&[], &entries, *seq).expect("apply");
    let ids: Vec<u64> = chunks.iter().map(|c| c.id).collect();
    from.acknowledge(&ids, *seq).expect("acknowledge");
}

fn set_city(ws: &mut Workspace, id: RecordId, city: &str) {
    let people = ws.object_named("people").expect("people").id;
    let values = ws
        .parse_values(people, &[("city".into(), city.into())])
        .expect("values");
    ws.update_record(id, values).expect("update");
}

#[test]
fn a_conflict_from_two_devices_is_shown_with_its_authors_and_settled() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut ana = Workspace::create(&dir.path().join("ana"), CreateOptions::new("ana")).expect("create");
    let mut bo = Workspace::create_replica(&dir.path().join("bo"), "bo").expect("replica");
    let ada = add(&mut ana, "people", &[("name", "Ada"), ("city", "London")]);
    let mut seq = 0;
    send(&mut ana, &mut bo, &mut seq);
    bo.ensure_member().expect("member");
    send(&mut bo, &mut ana, &mut seq);
    set_city(&mut ana, ada, "Paris");
    set_city(&mut bo, ada, "Rome");
    send(&mut ana, &mut bo, &mut seq);
    send(&mut bo, &mut ana, &mut seq);
    let server = TestServer::start(ana);
    let mut b = Browser::launch("conflict", 1280, 800);
    b.goto(&server.url("/conflicts"));
    assert!(b.text("main").contains("Ada"));
    assert!(b.text("nav.sidebar").contains("⚠ 1"), "the sidebar counts conflicts");
    b.goto(&server.url(&format!("/r/{ada}")));
    let banner = b.text("section.conflict");
    assert!(banner.contains("Paris") && banner.contains("Rome"), "{banner}");
    assert!(banner.contains("ana") && banner.contains("bo"), "{banner}");
    b.screenshot(&docs_screenshot("conflict.png"));
    b.and_wait(
        "[...document.querySelectorAll('section.conflict li')].find(li => li.textContent.includes('Rome'))
            .querySelector('button').click()",
    );
    assert_eq!(b.eval("document.querySelectorAll('section.conflict').length"), 0);
    assert_eq!(b.eval("document.getElementById('f-city').value"), "Rome");
}

#[test]
fn a_change_made_elsewhere_appears_in_an_open_page_without_a_reload() {
    let (_dir, mut ws) = workspace();
    let ann = add(&mut ws, "people", &[("name", "Ann Lee"), ("city", "Oslo")]);
    let server = TestServer::start(ws);
    let mut b = Browser::launch("live", 1280, 800);
    b.goto(&server.url("/o/people"));
    b.eval("window.notReloaded = true");
    // Another local tool changes the record through the API.
    let r = server.request(
        "PATCH",
        &format!("/api/records/{ann}"),
        &[("Content-Type", "application/json"), ("x-kith-token", &server.token)],
        r#"{"values": {"city": "Lisbon"}}"#,
    );
    assert_eq!(r.status, 200);
    b.wait_for_text("td[data-field=city]", "Lisbon");
    assert_eq!(b.eval("window.notReloaded"), true, "the page was refreshed in place");
}

#[test]
fn a_view_saved_elsewhere_appears_in_the_sidebar_of_an_open_page_without_a_reload() {
    let (_dir, mut ws) = workspace();
    let ann = add(&mut ws, "people", &[("name", "Ann Lee")]);
    let server = TestServer::start(ws);
    let mut b = Browser::launch("live-view", 1280, 800);
    b.goto(&server.url(&format!("/r/{ann}")));
    b.eval("window.notReloaded = true");
    // Another window (or a device, by sync) saves a view.
    let saved = server.post_form(
        "/views",
        &[
            ("name", "Oslo people"),
            ("object", "people"),
            ("kind", "table"),
            ("filter", "city = Oslo"),
        ],
    );
    assert_eq!(saved.status, 303);
    b.wait_for_text("nav.sidebar ul.views", "Oslo people");
    assert_eq!(b.eval("window.notReloaded"), true, "the page was refreshed in place");
}

#[test]
fn hostile_names_and_labels_stay_text_in_the_browser() {
    let (_dir, mut ws) = workspace();
    let people = ws.object_named("people").expect("people").id;
    let label = "\"><img src=x onerror=alert(1)>";
    ws.add_field(people, FieldSpec::new("hostile", label, FieldKind::Text))
        .expect("field");
    let id = add(
        &mut ws,
        "people",
        &[("name", "<script>alert(1)</script>"), ("hostile", "x")],
    );
    let server = TestServer::start(ws);
    let mut b = Browser::launch("escaping", 1280, 800);
    for path in [
        "/o/people".to_string(),
        format!("/r/{id}"),
        "/schema".into(),
        "/search?q=script".into(),
    ] {
        b.goto(&server.url(&path));
        assert_eq!(
            b.eval("document.querySelectorAll('script:not([src]), img').length"),
            0,
            "{path}"
        );
        assert!(
            b.text("main").contains("<script>alert(1)</script>") || path == "/schema",
            "{path}"
        );
    }
    b.goto(&server.url(&format!("/r/{id}")));
    assert!(b.text("main").contains(label), "the label shows as typed");
    assert!(!b.dialog_opened(), "no alert fired");
}

#[test]
fn a_phone_sized_window_gets_a_menu_and_cards_and_the_main_pages_are_photographed() {
    let (_dir, ws) = demo();
    let server = TestServer::start(ws);
    let deal = first_record(&server, "deals");
    let mut b = Browser::launch("screens", 1280, 800);
    b.goto(&server.url("/o/people"));
    b.screenshot(&docs_screenshot("table.png"));
    b.goto(&server.url("/o/deals/board"));
    b.screenshot(&docs_screenshot("board.png"));
    b.goto(&server.url(&format!("/r/{deal}")));
    b.screenshot(&docs_screenshot("deal.png"));
    b.resize(390, 800);
    b.goto(&server.url("/o/people"));
    assert_eq!(
        b.eval("getComputedStyle(document.querySelector('table.records thead')).display"),
        "none"
    );
    assert_eq!(
        b.eval("getComputedStyle(document.querySelector('table.records tr')).display"),
        "block"
    );
    b.eval("document.querySelector('nav.sidebar details').open = false");
    assert_eq!(
        b.eval("getComputedStyle(document.querySelector('nav.sidebar ul.objects')).display"),
        "none"
    );
    assert_eq!(
        b.eval("document.documentElement.scrollWidth <= 400"),
        true,
        "nothing overflows sideways"
    );
    b.screenshot(&docs_screenshot("phone.png"));
    // The record page stacks its fields above the timeline.
    b.goto(&server.url(&format!("/r/{deal}")));
    let columns = b.eval("getComputedStyle(document.querySelector('.record-layout')).gridTemplateColumns");
    assert_eq!(
        columns.as_str().map(|c| c.split_whitespace().count()),
        Some(1),
        "{columns}"
    );
    assert_eq!(
        b.eval("document.documentElement.scrollWidth <= 400"),
        true,
        "the record page fits too"
    );
}

/// Another device's change travels through a real relay to the served workspace, whose
/// connector applies it; the open page shows it without a reload.
#[test]
fn a_change_from_another_device_arrives_through_the_relay_into_an_open_page() {
    use kith::sync::{Remote, sync_once};
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let relay = kith_relay::Relay::in_memory(kith_relay::Config::default()).expect("relay");
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let (stop_relay, relay_stopped) = tokio::sync::oneshot::channel::<()>();
    rt.spawn(kith_relay::serve(listener, relay.clone(), async move {
        let _ = relay_stopped.await;
    }));
    let (workspace, owner) = relay.create_workspace("test").expect("a relay workspace");
    let bo_token = relay
        .create_token(workspace.id, kith_relay::Role::Member)
        .expect("a token");

    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut ana = Workspace::create(&dir.path().join("ana"), CreateOptions::new("ana")).expect("ana");
    let ada = add(&mut ana, "people", &[("name", "Ada"), ("city", "London")]);
    let ana_remote = Remote::new(&url, &owner.secret).expect("remote");
    ana_remote.save(&mut ana).expect("remote saved");
    rt.block_on(sync_once(&mut ana, &ana_remote, |_| {}))
        .expect("ana pushes");

    let server = TestServer::start(ana);
    let mut b = Browser::launch("live_sync", 1280, 800);
    b.goto(&server.url(&format!("/r/{ada}")));
    assert_eq!(b.eval("document.getElementById('f-city').value"), "London");

    let mut bo = Workspace::create_replica(&dir.path().join("bo"), "bo").expect("bo");
    let bo_remote = Remote::new(&url, &bo_token.secret).expect("remote");
    rt.block_on(sync_once(&mut bo, &bo_remote, |_| {})).expect("bo joins");
    let people = bo.object_named("people").expect("people").id;
    let values = bo
        .parse_values(people, &[("city".into(), "Lisbon".into())])
        .expect("values");
    bo.update_record(ada, values).expect("bo edits");
    rt.block_on(sync_once(&mut bo, &bo_remote, |_| {})).expect("bo pushes");

    b.wait_for_text(".timeline", "London → Lisbon");
    assert_eq!(b.eval("document.getElementById('f-city').value"), "Lisbon");
    assert!(b.text(".timeline .change").contains("bo"), "the change is bo's");
    drop(server);
    let _ = stop_relay.send(());
}

#[test]
fn a_table_cell_edited_in_place_saves_on_enter_and_undoes_from_the_toast() {
    let (_dir, mut ws) = workspace();
    add(&mut ws, "people", &[("name", "Ann Lee"), ("city", "Oslo")]);
    let server = TestServer::start(ws);
    let mut b = Browser::launch("inline_edit", 1280, 800);
    b.goto(&server.url("/o/people"));
    b.eval(
        "{ const td = document.querySelector('td[data-field=city]');
         td.dispatchEvent(new MouseEvent('dblclick', {bubbles: true}));
         const input = td.querySelector('input.cell-edit');
         input.value = 'Paris';
         input.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', bubbles: true})); }",
    );
    b.wait_for_text(".toast", "Saved");
    assert_eq!(b.text("td[data-field=city]").trim(), "Paris");
    b.eval("document.querySelector('.toast .undo').click()");
    b.wait_for_text("td[data-field=city]", "Oslo");
    // Esc leaves the cell as it was.
    b.eval(
        "{ const td = document.querySelector('td[data-field=city]');
         td.dispatchEvent(new MouseEvent('dblclick', {bubbles: true}));
         const input = td.querySelector('input.cell-edit');
         input.value = 'Lima';
         input.dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape', bubbles: true})); }",
    );
    assert_eq!(b.text("td[data-field=city]").trim(), "Oslo");
    let ws = server.stop();
    let people = ws.object_named("people").expect("people").id;
    let mut q = kith_core::Query::new(people);
    q.limit = 1;
    let id = ws.query(&q).expect("a page").ids[0];
    let city = ws
        .record(id)
        .expect("ann")
        .cells
        .into_iter()
        .find(|c| c.key == "city")
        .expect("city");
    assert_eq!(city.display, "Oslo");
}

#[test]
fn slash_focuses_search_and_results_across_objects_appear_as_you_type() {
    let (_dir, mut ws) = workspace();
    add(&mut ws, "people", &[("name", "Marta Quist")]);
    add(&mut ws, "companies", &[("name", "Quist Logistics")]);
    add(&mut ws, "deals", &[("name", "Other deal"), ("stage", "Won")]);
    let server = TestServer::start(ws);
    let mut b = Browser::launch("search", 1280, 800);
    b.goto(&server.url("/o/deals"));
    b.eval("document.dispatchEvent(new KeyboardEvent('keydown', {key: '/', bubbles: true}))");
    assert_eq!(b.eval("document.activeElement.id"), "global-search");
    b.eval(
        "{ const s = document.getElementById('global-search');
           s.value = 'quist'; s.dispatchEvent(new Event('input', {bubbles: true})); }",
    );
    b.wait_for_text("#search-results", "Quist Logistics");
    let results = b.text("#search-results");
    assert!(
        results.contains("Marta Quist · People") && results.contains("Quist Logistics · Companies"),
        "{results}"
    );
    assert!(!results.contains("Other deal"));
}
