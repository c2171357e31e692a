//! `kith remote`, `kith join`, `kith sync [--watch]` and `kith status`, run as the built
//! binary against a real relay (kith-relay's library, in memory, on 127.0.0.1:0 in a
//! background runtime).

#[path = "support/relay.rs"]
mod relay;
mod support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use relay::TestRelay;
use support::{Kith, path_str};

/// Every bounded wait in these tests.
const PATIENCE: Duration = Duration::from_secs(20);

#[test]
fn remote_join_sync_and_status_move_records_between_two_workspaces() {
    let relay = TestRelay::start();
    let (workspace, owner, member) = relay.workspace();
    let a = Kith::init();
    a.ok(&["record", "add", "people", "name=Ada Lovelace"]);

    // Before a relay is set: status says so, and counts what waits.
    let status = a.json(&["status"]);
    assert_eq!(status["remote"], serde_json::Value::Null);
    let pending = status["pending"].as_u64().expect("pending");
    assert!(pending >= 2, "the schema and the record wait: {status}");
    assert!(a.fails(&["sync"]).contains("no relay is set"), "sync without a relay");

    let set = a.ok(&["remote", "set", &relay.url, "--token", &owner]);
    assert!(set.contains(&workspace) && set.contains("as owner"), "{set}");
    let shown = a.json(&["remote", "show"]);
    assert_eq!(shown["url"], relay.url.as_str());
    assert_eq!(shown["workspace"], workspace.as_str());
    assert!(!shown.to_string().contains(&owner[8..]), "the token is not shown whole");

    let status = a.json(&["status"]);
    assert_eq!(status["online"], true);
    assert_eq!(status["role"], "owner");
    assert_eq!(status["pending"].as_u64(), Some(pending));
    assert_eq!(status["last_sync"], serde_json::Value::Null);

    let synced = a.json(&["sync"]);
    assert_eq!(synced["pushed"].as_u64(), Some(pending));
    assert_eq!(synced["pending"], 0);
    let status = a.json(&["status", "--offline"]);
    assert_eq!(status["online"], serde_json::Value::Null);
    assert_eq!(status["pending"], 0);
    assert!(status["last_sync"].is_string());
    let text = a.ok(&["status"]);
    assert!(text.contains("online: workspace"), "{text}");
    assert!(text.contains("0 local change(s)"), "{text}");

    // B joins: a fresh replica with A's schema and records.
    let b = Kith::empty();
    let joined = b.ok(&["join", &relay.url, "--token", &member, "--user", "bob"]);
    assert!(
        joined.contains(&format!("joined workspace {workspace} as member")),
        "{joined}"
    );
    let people_row = joined
        .lines()
        .find(|l| l.starts_with("people"))
        .unwrap_or_else(|| panic!("a count for people: {joined}"));
    assert_eq!(people_row.split_whitespace().collect::<Vec<_>>(), ["people", "1"]);
    let list = b.json(&["record", "list", "people"]);
    assert!(list.to_string().contains("Ada Lovelace"), "{list}");
    assert!(
        b.fails(&["join", &relay.url, "--token", &member])
            .contains("already exists")
    );

    // An edit on B comes back to A.
    b.ok(&["record", "add", "people", "name=Charles Babbage"]);
    let moved = b.ok(&["sync"]);
    assert!(moved.starts_with("pushed "), "{moved}");
    let pulled = a.json(&["sync"]);
    assert!(pulled["received"].as_u64().expect("received") >= 1, "{pulled}");
    let list = a.json(&["record", "list", "people"]);
    assert!(list.to_string().contains("Charles Babbage"), "{list}");
    assert!(a.ok(&["sync"]).starts_with("already up to date"));
}

#[test]
fn a_wrong_token_or_address_fails_with_one_clear_line() {
    let relay = TestRelay::start();
    let a = Kith::init();
    let wrong = "kr_0000000000000000000000000000000000000000000000000000000000000000";
    let err = a.fails(&["remote", "set", &relay.url, "--token", wrong]);
    assert!(err.contains("the relay refused the token"), "{err}");
    assert!(a.json(&["remote", "show"])["url"].is_null(), "nothing stored");
    let err = a.fails(&["remote", "set", "relay.example.com", "--token", wrong]);
    assert!(err.contains("is not a relay address"), "{err}");

    let b = Kith::empty();
    let err = b.fails(&["join", &relay.url, "--token", wrong]);
    assert!(err.contains("the relay refused the token"), "{err}");
    // `kith remote set` needs the workspace a refused join does not create.
    assert!(err.contains("kith join") && !err.contains("remote set"), "{err}");
    assert!(!b.workspace().exists(), "a refused join creates nothing");

    // Stored without a check, the wrong token fails at sync time and in status.
    a.ok(&["remote", "set", &relay.url, "--token", wrong, "--no-check"]);
    assert!(a.fails(&["sync"]).contains("the relay refused the token"));
    let status = a.json(&["status"]);
    assert_eq!(status["online"], false);
    assert!(status["error"].as_str().expect("error").contains("refused the token"));
}

/// `kith sync --watch --json` in the background: its stdout lines arrive on a channel.
struct Watcher {
    child: Child,
    lines: mpsc::Receiver<serde_json::Value>,
}

impl Watcher {
    fn start(kith: &Kith) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kith"))
            .args(["--workspace", path_str(&kith.workspace()), "sync", "--watch", "--json"])
            .env_remove("KITH_WORKSPACE")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("kith runs");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
                if tx.send(value).is_err() {
                    break;
                }
            }
        });
        Watcher { child, lines }
    }

    /// Waits for an event named `name`.
    fn expect(&self, name: &str) -> serde_json::Value {
        loop {
            match self.lines.recv_timeout(PATIENCE) {
                Ok(event) if event["event"] == name => return event,
                Ok(_) => continue,
                Err(e) => panic!("no {name} event: {e}"),
            }
        }
    }

    /// Ctrl-C, and the exit status.
    fn interrupt(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-INT", &pid]).status().expect("kill runs");
        assert!(sent.success());
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(self.child.wait());
        });
        rx.recv_timeout(PATIENCE).expect("exits in time").expect("status")
    }
}

#[cfg(unix)]
#[test]
fn sync_watch_prints_live_changes_and_stops_on_ctrl_c() {
    let relay = TestRelay::start();
    let (workspace, owner, member) = relay.workspace();
    let a = Kith::init();
    a.ok(&["remote", "set", &relay.url, "--token", &owner]);
    a.ok(&["sync"]);
    let b = Kith::empty();
    b.ok(&["join", &relay.url, "--token", &member]);

    let watcher = Watcher::start(&b);
    let online = watcher.expect("online");
    assert_eq!(online["workspace"], workspace.as_str());
    watcher.expect("caught_up");
    a.ok(&["record", "add", "people", "name=Grace Hopper"]);
    a.ok(&["sync"]);
    let received = watcher.expect("received");
    assert!(received["changes"].as_u64().expect("changes") >= 1, "{received}");
    assert!(watcher.interrupt().success(), "Ctrl-C ends the watch cleanly");
    let list = b.json(&["record", "list", "people"]);
    assert!(list.to_string().contains("Grace Hopper"), "{list}");
}

#[test]
fn join_makes_a_large_workspace_searchable_before_it_returns() {
    let relay = TestRelay::start();
    let (_, owner, member) = relay.workspace();
    let a = Kith::init();
    let mut csv = String::from("name,email\n");
    for i in 0..600 {
        csv.push_str(&format!("Person {i} Zoë,p{i}@example.test\n"));
    }
    let file = a.write("people.csv", csv.as_bytes());
    a.ok(&["import", path_str(&file), "--object", "people"]);
    a.ok(&["remote", "set", &relay.url, "--token", &owner]);
    a.ok(&["sync"]);

    // 600 new records arrive in one batch: their search entries come after the rows,
    // and join indexes them before it returns.
    let b = Kith::empty();
    b.ok(&["join", &relay.url, "--token", &member]);
    let status = b.json(&["status", "--offline"]);
    assert_eq!(status["search_backlog"], 0, "{status}");
    assert!(!b.ok(&["status", "--offline"]).contains("not indexed yet"));
    let hits = b.json(&["search", "zoe 59"]);
    assert_eq!(hits.as_array().map(Vec::len), Some(11), "59 and 590–599: {hits}");
}

#[test]
fn trash_purge_erases_the_record_on_the_other_device_which_is_told() {
    let relay = TestRelay::start();
    let (_, owner, member) = relay.workspace();
    let a = Kith::init();
    let added = a.json(&["record", "add", "people", "name=Zed Erasure"]);
    let id = added["id"].as_str().expect("id").to_string();
    a.ok(&["remote", "set", &relay.url, "--token", &owner]);
    a.ok(&["sync"]);
    let b = Kith::empty();
    b.ok(&["join", &relay.url, "--token", &member, "--user", "bob"]);
    assert!(
        b.json(&["record", "list", "people"])
            .to_string()
            .contains("Zed Erasure")
    );

    a.ok(&["record", "delete", &id]);
    let purged = a.ok(&["trash", "purge", &id, "--yes"]);
    assert!(purged.contains("the relay and the other devices erase it"), "{purged}");
    let status = a.ok(&["status", "--offline"]);
    assert!(
        status.contains("1 purged record(s) not erased on the relay yet"),
        "{status}"
    );
    a.ok(&["sync"]);
    assert_eq!(a.json(&["status", "--offline"])["pending_purges"], 0);

    let synced = b.ok(&["sync"]);
    assert!(
        synced.contains(&format!(
            "erased 1 record(s) purged on another device (an erasure wins over local edits): {id}"
        )),
        "{synced}"
    );
    assert!(
        !b.json(&["record", "list", "people"])
            .to_string()
            .contains("Zed Erasure")
    );
}
