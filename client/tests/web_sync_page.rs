//! The Sync page connects a served workspace to a relay: the connector starts at once,
//! pushes the workspace's changes, and the page says it is online.

mod web_support;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

use web_support::{TestServer, add, workspace};

#[test]
fn a_relay_set_on_the_sync_page_connects_and_receives_the_workspace() {
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
    let (_, owner) = relay.create_workspace("test").expect("a relay workspace");

    let (_dir, mut ws) = workspace();
    add(&mut ws, "people", &[("name", "Ada")]);
    let server = TestServer::start(ws);
    assert!(server.get("/sync").body.contains("not running (no relay set)"));

    // Live events: every commit, including the relay's acknowledgement of our changes.
    let mut events = TcpStream::connect(server.addr).expect("connect");
    events
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("a hang guard");
    write!(events, "GET /events HTTP/1.1\r\nHost: {}\r\n\r\n", server.host()).expect("send");
    let mut events = BufReader::new(events);

    let set = server.post_form("/sync/remote", &[("url", &url), ("token", &owner.secret)]);
    assert_eq!(set.status, 303, "{}", set.body);
    // Wait, event by event, until the page says the outbox is empty and we are online.
    let mut line = String::new();
    loop {
        line.clear();
        events.read_line(&mut line).expect("an event before the guard runs out");
        if !line.starts_with("event: change") {
            continue;
        }
        let page = server.get("/sync").body;
        if page.contains("Changes waiting to be sent</dt><dd>0</dd>") && page.contains("online") {
            assert!(page.contains(&url), "the page names the relay");
            break;
        }
    }
    let sidebar = server.get("/o/people").body;
    assert!(sidebar.contains("Synced"), "the sidebar's dot says so: {sidebar}");
    drop(server);
    let _ = stop_relay.send(());
}
